"""Text -> speech and everything around it: corpora, synthesis, evaluation, comparison.

`pipelines.synthesize("text")` and `pipelines.TTSPipeline` are imported lazily, so that light entry points such as
`python -m pipelines.corpus` do not load the models' code.
"""

__all__ = ["synthesize", "TTSPipeline", "load_pipeline"]


def __getattr__(name):
    if name in __all__:
        from pipelines import tts

        return getattr(tts, name)
    raise AttributeError(f"module 'pipelines' has no attribute {name!r}")
