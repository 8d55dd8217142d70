"""XCodec2-style speech codec with self-guidance: `from codec import Codec, CodecConfig`."""
from codec.config import CodecConfig
from codec.model import Codec

__all__ = ["Codec", "CodecConfig"]
