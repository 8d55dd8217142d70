import torch, collections
from transformers import Xcodec2Config, Xcodec2Model
cfg = Xcodec2Config()
with torch.device("meta"):
    m = Xcodec2Model(cfg)
d = collections.Counter()
for n, p in m.named_parameters():
    parts = n.split(".")
    d[".".join(parts[:2])] += p.numel()
for k, v in sorted(d.items()): print(f"{k:50s} {v/1e6:9.3f} M")
tot = sum(p.numel() for p in m.parameters())
print("total", tot/1e6)
for top in sorted({n.split('.')[0] for n,_ in m.named_parameters()}):
    print(top, sum(p.numel() for n,p in m.named_parameters() if n.startswith(top+'.'))/1e6)
print([n for n,_ in m.named_children()])
