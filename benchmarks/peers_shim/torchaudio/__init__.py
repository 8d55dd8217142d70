"""A stand-in for torchaudio, for the peer decode-speed benchmark ONLY (benchmarks/peers_run.py puts it on sys.path
when the real torchaudio is missing or cannot load against the installed torch).

EnCodec and DAC import torchaudio at module level for audio file I/O, resampling and a few loss/metric transforms;
building the models and running encode/decode never call it. Every attribute or submodule of this package is a
stub that raises NotImplementedError when used, so anything that really needed torchaudio fails loudly instead of
silently computing something else. Never install or use this for anything but that benchmark.
"""
import importlib.abc
import importlib.machinery
import sys
import types

__version__ = "0.0.0+benchmark-shim"
SHIM = True


class _Stub:
    def __init__(self, name):
        self._name = name

    def __getattr__(self, attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        return _Stub(f"{self._name}.{attr}")

    def __call__(self, *args, **kwargs):
        raise NotImplementedError(f"{self._name}: torchaudio is a benchmark shim here (benchmarks/peers_shim)")

    def __mro_entries__(self, bases):  # `class X(torchaudio.transforms.Y)` -> a plain base class
        return (object,)


class _Module(types.ModuleType):
    def __getattr__(self, attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        return _Stub(f"{self.__name__}.{attr}")


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname, path, target=None):
        if fullname.startswith("torchaudio."):
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        return None

    def create_module(self, spec):
        module = _Module(spec.name)
        module.__path__ = []
        return module

    def exec_module(self, module):
        pass


sys.meta_path.insert(0, _Finder())
sys.modules[__name__].__class__ = _Module
