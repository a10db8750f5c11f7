"""Translate stage: German segments -> English, in length-sorted batches, then reassembled."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from .engines import Decoding, Engine
from .models import ResolvedModel, generation_defaults, model_max_positions
from .segment import Segment

# Segments are sentences; longer ones are split to this many tokens (Marian was trained on
# sentences, and output quality falls well before its 512-token limit).
DEFAULT_SEGMENT_TOKENS = 256
# Source tokens per batch, padding included. Bounds memory; and since every sequence of a batch
# decodes as long as its longest, bigger batches waste more on the shorter ones: on the seeds'
# segments 4,096 decoded 75% more tokens than needed and 1,024 20%, and 1,024 ran 45% faster.
DEFAULT_BATCH_TOKENS = 1024


@dataclass(frozen=True)
class TranslationSettings:
    """Everything that changes a translation's output; part of every cache key."""

    engine: str
    beams: int
    segment_tokens: int
    max_positions: int
    max_output_ratio: float = 2.0
    max_output_extra: int = 16
    # Benchmarks only: random weights never stop, so every system is made to produce exactly
    # ceil(ratio x longest source) tokens per batch.
    fixed_output_ratio: float | None = None

    def signature(self) -> dict[str, Any]:
        return asdict(self)

    def max_new_tokens(self, longest_source: int) -> int:
        if self.fixed_output_ratio is not None:
            return math.ceil(self.fixed_output_ratio * longest_source)
        limit = int(longest_source * self.max_output_ratio) + self.max_output_extra
        return min(limit, self.max_positions - 1)


def translation_settings(
    model: ResolvedModel, engine: str, beams: int | None, fixed_output_ratio: float | None = None
) -> TranslationSettings:
    """Settings for a resolved model, read from its JSON files: no torch, no weights."""
    max_positions = model_max_positions(model)
    return TranslationSettings(
        engine=engine,
        beams=beams or int(generation_defaults(model).get("num_beams") or 1),
        segment_tokens=min(DEFAULT_SEGMENT_TOKENS, max_positions),
        max_positions=max_positions,
        fixed_output_ratio=fixed_output_ratio,
    )


class Translator:
    """Translation over a loaded engine: batching and decoding, whichever engine runs the model."""

    def __init__(
        self, engine: Engine, settings: TranslationSettings, batch_tokens: int = DEFAULT_BATCH_TOKENS
    ) -> None:
        self.engine = engine
        self.tokenizer = engine.tokenizer
        self.settings = settings
        self.batch_tokens = batch_tokens

    def count_tokens(self, text: str) -> int:
        """Tokens the model sees for `text`, end-of-sequence included."""
        return len(self.tokenizer(text, add_special_tokens=True)["input_ids"])

    def translate(self, texts: Sequence[str]) -> list[str]:
        """Translate texts in length-sorted batches; returns translations in the input order.

        Identical texts are translated once.
        """
        unique = list(dict.fromkeys(texts))
        if not unique:
            return []
        encoded = self.tokenizer(unique, add_special_tokens=True)["input_ids"]
        order = sorted(range(len(unique)), key=lambda i: len(encoded[i]))
        batches = batches_by_tokens(order, [len(ids) for ids in encoded], self.batch_tokens)
        jobs = []
        for batch in batches:
            new_tokens = self.settings.max_new_tokens(max(len(encoded[i]) for i in batch))
            fixed = self.settings.fixed_output_ratio is not None
            jobs.append(
                (
                    [encoded[i] for i in batch],
                    Decoding(self.settings.beams, new_tokens, new_tokens if fixed else 0),
                )
            )
        results: dict[str, str] = {}
        for batch, output in zip(batches, self.engine.generate_many(jobs), strict=True):
            decoded = self.tokenizer.batch_decode(output, skip_special_tokens=True)
            for i, text in zip(batch, decoded, strict=True):
                results[unique[i]] = text.strip()
        return [results[t] for t in texts]


def batches_by_tokens(order: list[int], lengths: list[int], budget: int) -> list[list[int]]:
    """Cut length-sorted items into batches whose padded size (count x longest) fits `budget`."""
    batches: list[list[int]] = []
    current: list[int] = []
    for i in order:
        if current and (len(current) + 1) * max(lengths[i], lengths[current[-1]]) > budget:
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches


def assemble_paragraphs(
    segments: Sequence[Segment], targets: Sequence[str], paragraph_count: int
) -> list[str]:
    """Put translated segments back into their paragraphs, in the original order."""
    paragraphs: list[list[str]] = [[] for _ in range(paragraph_count)]
    for segment, target in zip(segments, targets, strict=True):
        if target:
            paragraphs[segment.paragraph].append(target)
    return [" ".join(parts) for parts in paragraphs if parts]
