"""Translation memory: every German segment translated once per translator and settings.

It wraps the translator (as argos-translate's CachedTranslation wraps a translation): segments
found in the store come from there, only the rest reach the model, and each batch the model
finishes is stored at once, so an interrupted or killed run keeps what it translated. An edited
article re-translates only its changed sentences; a sentence repeated across articles (agency
boilerplate, datelines) is translated once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from .brief import checked
from .cache import SEGMENT, Store
from .translate import OnTranslated, TranslatedSegment, Translator

# Distinct segments tokenized and sorted together: plenty to batch well, and a huge article's
# token ids are never all in memory at once.
SEGMENTS_PER_PASS = 5_000


class PhaseProgress(Protocol):
    """The phase a run is in, with its steps (here: segments translated)."""

    def phase(self, description: str, total: int | None = None, unit: str = "") -> None: ...
    def step(self, count: int = 1) -> None: ...


class TranslationMemory:
    """A Translator in front of another: what the store remembers comes from there (under
    `key(text)`, which names the model and settings), the rest from `translator`, `per_pass`
    distinct segments at a time."""

    def __init__(
        self,
        store: Store,
        translator: Translator,
        key: Callable[[str], str],
        progress: PhaseProgress | None = None,
        per_pass: int = SEGMENTS_PER_PASS,
    ) -> None:
        self.store = store
        self.translator = translator
        self.key = key
        self.progress = progress
        self.per_pass = per_pass
        self.translated = 0  # segments the model translated
        self.remembered = 0  # segments taken from the memory

    def translate(
        self,
        texts: Sequence[str],
        on_translated: OnTranslated | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> dict[str, TranslatedSegment]:
        """Every distinct text's translation. When `should_stop()` turns true, what is finished
        is stored and StopRequested is raised."""
        texts = list(dict.fromkeys(texts))
        keys = {text: self.key(text) for text in texts}
        found = self.store.get_many(SEGMENT, keys.values(), _from_memory)
        known = {text: found[keys[text]] for text in texts if keys[text] in found}
        self.remembered += len(known)
        if on_translated is not None and known:
            on_translated(dict(known))

        todo = [text for text in texts if text not in known]
        done: set[str] = set()
        if self.progress is not None and todo:
            self.progress.phase(f"translating {len(todo)} segments", len(todo), "segment")

        def keep(batch: dict[str, TranslatedSegment]) -> None:
            self.store.put_many(SEGMENT, {keys[text]: _to_memory(t) for text, t in batch.items()})
            self.translated += len(batch)
            if self.progress is not None:  # a retried segment comes back twice: counted once
                self.progress.step(len(batch.keys() - done))
            done.update(batch)
            if on_translated is not None:
                on_translated(batch)

        for start in range(0, len(todo), self.per_pass):
            known.update(self.translator.translate(todo[start : start + self.per_pass], keep, should_stop))
        return known


def _to_memory(segment: TranslatedSegment) -> dict[str, Any]:
    return {
        "target": segment.text,
        "log_prob": segment.log_prob,
        "flags": segment.flags,
        "retried": segment.retried,
    }


def _from_memory(entry: dict[str, Any]) -> TranslatedSegment:
    segment = TranslatedSegment(entry["target"], entry["log_prob"], list(entry["flags"]), entry["retried"])
    if not all(isinstance(flag, str) for flag in segment.flags):
        raise TypeError("flags of another shape")
    return checked(segment)
