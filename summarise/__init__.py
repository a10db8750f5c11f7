"""summarise: German news articles in, English briefs out.

The library's entry point is `summarise.pipeline.run`; `split_sentences` is the German sentence
splitter. Heavy dependencies (torch, transformers) are imported only when a model is loaded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["__version__", "split_sentences"]

if TYPE_CHECKING:
    from .segment import split_sentences


def __getattr__(name: str) -> Any:
    # Lazy so that `import summarise` stays cheap for the CLI.
    if name == "split_sentences":
        from .segment import split_sentences

        return split_sentences
    raise AttributeError(name)
