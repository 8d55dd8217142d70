"""Independent FLOP count of one lm-train step (forward+backward) vs benchmarks.lm_train.flops_per_token."""
import sys, torch
from torch.utils.flop_counter import FlopCounterMode
from benchmarks import fixtures, lm_train
from lm.tokens import TokenStore

preset = sys.argv[1] if len(sys.argv) > 1 else "tiny"
bt = int(sys.argv[2]) if len(sys.argv) > 2 else 2048
packing = (sys.argv[3] != "unpacked") if len(sys.argv) > 3 else True
torch.set_num_threads(1)
store = TokenStore(fixtures.tokens(utterances=48)); tok = fixtures.tokenizer(utterances=48)
rl = int(sys.argv[5]) if len(sys.argv) > 5 else None
s = lm_train.build_step(preset, torch.device("cpu"), store, tok, bt, packing=packing, row_length=rl)
row, cfg, model = s.row, s.config, s.model
B, S = row["batch_shape"]; real = row["real_tokens_per_step"]
if len(sys.argv) > 4: model.set_attn_implementation(sys.argv[4])
with FlopCounterMode(display=False) as fc:
    s.step()
counts = fc.get_flop_counts()["Global"]
by = {str(k): v for k, v in counts.items()}
total = sum(by.values())
attn = sum(v for k, v in by.items() if "attention" in k or "bmm" in k)
mm = total - attn
N = sum(m.weight.numel() for m in model.modules() if isinstance(m, torch.nn.Linear))
print("preset", preset, "packing", packing, "batch", B, "x", S, "real", real, "N_matmul", N, "ctx", round(s.context, 2))
print("ops:", {k: f"{v/1e9:.3f}G" for k, v in by.items()})
print(f"measured matmul {mm/1e9:.3f} G; 6*N*(B*S) = {6*N*B*S/1e9:.3f} G; ratio {mm/(6*N*B*S):.4f}")
d, L = cfg.hidden_size, cfg.num_layers
full_attn = 12 * L * d * S * B * S  # every (query,key) pair of every row, fwd+bwd (what FlopCounterMode charges sdpa)
print(f"measured attention {attn/1e9:.3f} G; 12*L*d*S*(B*S) = {full_attn/1e9:.3f} G; ratio {attn/full_attn if full_attn else 0:.4f}")
bench = lm_train.flops_per_token(model, cfg, s.context) * real
# independent "useful" count: matmuls over real tokens + causal block-diagonal attention over real tokens
pos = None
print(f"benchmark count {bench/1e9:.3f} G; measured total (incl. pads and masked pairs) {total/1e9:.3f} G; "
      f"bench/measured {bench/total:.4f}")
useful_mm = mm * real / (B * S)
print(f"measured matmul scaled to real tokens {useful_mm/1e9:.3f} G vs bench 6N*real {6*N*real/1e9:.3f} G; "
      f"ratio {6*N*real/useful_mm:.4f}")
