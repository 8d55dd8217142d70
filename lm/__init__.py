"""The speech LM: a Llama over [text pieces][specials][codec codes] (see lm/vocab.py), trained on extracted tokens.

  python -m lm.extract   codec + manifest -> token shards         (lm/extract.py, lm/tokens.py)
  python -m lm.text      transcripts -> text tokenizer folder     (lm/text.py)
  python -m lm.train     token shards -> <out>/final (SpeechLM)   (lm/train.py, lm/packing.py)
  generate_codes(...)    texts -> speech codes                    (lm/generate.py)

The names below are imported lazily so that `python -m lm.<module>` runs each module only once.
"""

_EXPORTS = {"Reference": "lm.generate", "SamplingConfig": "lm.generate", "generate_codes": "lm.generate",
            "SpeechLM": "lm.model", "Vocabulary": "lm.vocab"}
__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'lm' has no attribute {name!r}")
