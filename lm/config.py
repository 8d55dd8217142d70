"""`LMConfig`: the shape of the speech LM (a transformers LlamaForCausalLM), with named presets.

Presets:
  debug  tests: a training step is milliseconds on CPU.
  tiny   ~9 M parameters: learns on 2 CPU cores within about an hour.
  mini   ~19 M parameters: CPU in hours, still within the default model's 60 MB in float16.
  small  ~117 M parameters: one GPU.
  1b     Llasa-1B's shape (Llama-3.2-1B: hidden 2048, 16 layers, 32 heads, 8 KV heads, tied embeddings).
Sizes are for a 16384 codebook: the vocabulary size is not part of a preset, it follows the text tokenizer and the
codec (lm/vocab.py).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from transformers import LlamaConfig


@dataclass(frozen=True)
class LMConfig:
    hidden_size: int
    num_layers: int
    num_heads: int
    num_kv_heads: int
    intermediate_size: int
    max_positions: int  # longest row (packed utterances) in tokens
    rope_theta: float = 500000.0
    tie_embeddings: bool = True

    @classmethod
    def preset(cls, name: str, **overrides) -> "LMConfig":
        if name not in PRESETS:
            raise ValueError(f"unknown LM preset {name!r}; choose from {sorted(PRESETS)}")
        return dataclasses.replace(PRESETS[name], **overrides)

    def llama_config(self, vocab_size: int, pad_token_id: int) -> LlamaConfig:
        return LlamaConfig(
            vocab_size=vocab_size, hidden_size=self.hidden_size, num_hidden_layers=self.num_layers,
            num_attention_heads=self.num_heads, num_key_value_heads=self.num_kv_heads,
            intermediate_size=self.intermediate_size, max_position_embeddings=self.max_positions,
            rope_theta=self.rope_theta, tie_word_embeddings=self.tie_embeddings, pad_token_id=pad_token_id,
            bos_token_id=None, eos_token_id=None, attention_dropout=0.0, rms_norm_eps=1e-5)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "LMConfig":
        return cls(**{f.name: d[f.name] for f in dataclasses.fields(cls)})


PRESETS = {
    "debug": LMConfig(hidden_size=64, num_layers=2, num_heads=4, num_kv_heads=2, intermediate_size=128, max_positions=1024),
    "tiny": LMConfig(hidden_size=256, num_layers=6, num_heads=4, num_kv_heads=2, intermediate_size=768, max_positions=1024),
    "mini": LMConfig(hidden_size=384, num_layers=8, num_heads=6, num_kv_heads=2, intermediate_size=1024, max_positions=1024),
    "small": LMConfig(hidden_size=768, num_layers=12, num_heads=12, num_kv_heads=4, intermediate_size=3072, max_positions=2048),
    "1b": LMConfig(hidden_size=2048, num_layers=16, num_heads=32, num_kv_heads=8, intermediate_size=8192, max_positions=2048),
}
