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
from .session import ModelSession
from .translate import TranslatedSegment

# Distinct segments tokenized and sorted together: plenty to batch well, and a huge article's
# token ids are never all in memory at once.
SEGMENTS_PER_PASS = 5_000


class PhaseProgress(Protocol):
    """The phase a run is in, with its steps (here: segments translated)."""

    def phase(self, description: str, total: int | None = None, unit: str = "") -> None: ...
    def step(self, count: int = 1) -> None: ...


class TranslationMemory:
    def __init__(self, store: Store, session: ModelSession, progress: PhaseProgress | None = None) -> None:
        self.store = store
        self.session = session
        self.progress = progress
        self.translated = 0  # segments the model translated, this run
        self.remembered = 0  # segments taken from the memory, this run

    def translate(
        self, texts: Sequence[str], should_stop: Callable[[], bool] | None = None
    ) -> dict[str, TranslatedSegment]:
        """Every distinct text's translation. When `should_stop()` turns true, what is finished
        is stored and StopRequested is raised."""
        texts = list(dict.fromkeys(texts))
        keys = {text: self.session.segment_key(text) for text in texts}
        found = self.store.get_many(SEGMENT, keys.values(), _from_memory)
        known = {text: found[keys[text]] for text in texts if keys[text] in found}
        self.remembered += len(known)

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

        # On a cluster the wave goes in one pass: the actors tokenize their own calls, and each
        # pass of the actor pool loads the model again.
        per_pass = max(1, len(todo)) if self.session.cluster is not None else SEGMENTS_PER_PASS
        for start in range(0, len(todo), per_pass):
            translator = self.session.translator()
            known.update(translator.translate(todo[start : start + per_pass], keep, should_stop))
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
