import time, torch
torch.set_num_threads(1)
from transformers import Xcodec2Config
from transformers.models.xcodec2.modeling_xcodec2 import Xcodec2Encoder
from codec.encoder import AcousticEncoder
theirs = Xcodec2Encoder(Xcodec2Config()).eval()
ours = AcousticEncoder(48, (2, 2, 4, 4, 5), 1024).eval()
x = torch.randn(1, 16000)
def t(f, n=3):
    f(); best = 1e9
    for _ in range(n):
        s = time.perf_counter(); f(); best = min(best, time.perf_counter() - s)
    return best
with torch.inference_mode():
    a = t(lambda: theirs(x[:, None]))
    b = t(lambda: ours(x, torch.tensor([16000])))
    print("out shapes", theirs(x[:, None]).shape, ours(x, torch.tensor([16000])).shape)
print(f"XCodec2 (HF, anti-aliased SnakeBeta) encoder 1 s audio: {a*1e3:.0f} ms; ours: {b*1e3:.0f} ms; ratio {a/b:.2f}")
