"""The speech LM: a Llama over [text pieces][specials][codec codes] (see lm/vocab.py), trained on extracted tokens.

  python -m lm.extract   codec + manifest -> token shards         (lm/extract.py, lm/tokens.py)
  python -m lm.train     token shards -> <out>/final (SpeechLM)   (lm/train.py, lm/packing.py)
  generate_codes(...)    texts -> speech codes                    (lm/generate.py)
"""
from lm.generate import Reference, SamplingConfig, generate_codes
from lm.model import SpeechLM
from lm.vocab import Vocabulary

__all__ = ["Reference", "SamplingConfig", "SpeechLM", "Vocabulary", "generate_codes"]
