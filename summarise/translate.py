"""Translate stage: German segments -> English, in length-sorted batches, then reassembled."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from .models import ResolvedModel, generation_defaults, load_seq2seq, model_max_positions
from .segment import Segment

log = logging.getLogger(__name__)

# Segments are sentences; longer ones are split to this many tokens (Marian was trained on
# sentences, and output quality falls well before its 512-token limit).
DEFAULT_SEGMENT_TOKENS = 256
# Source tokens per batch, padding included: bounds memory, and lets short segments batch widely.
DEFAULT_BATCH_TOKENS = 4096


@dataclass(frozen=True)
class TranslationSettings:
    """Everything that changes a translation's output; part of every cache key."""

    beams: int
    segment_tokens: int
    max_positions: int
    max_output_ratio: float = 2.0
    max_output_extra: int = 16

    def signature(self) -> dict[str, Any]:
        return asdict(self)


def translation_settings(model: ResolvedModel, beams: int | None) -> TranslationSettings:
    """Settings for a resolved model, read from its JSON files: no torch, no weights."""
    max_positions = model_max_positions(model)
    return TranslationSettings(
        beams=beams or int(generation_defaults(model).get("num_beams") or 1),
        segment_tokens=min(DEFAULT_SEGMENT_TOKENS, max_positions),
        max_positions=max_positions,
    )


class Translator:
    """A loaded MarianMT model (transformers + torch)."""

    def __init__(
        self,
        model: ResolvedModel,
        settings: TranslationSettings,
        device: str,
        batch_tokens: int = DEFAULT_BATCH_TOKENS,
    ) -> None:
        self.model_ref = model
        self.settings = settings
        self.model, self.tokenizer = load_seq2seq(model, device)
        self.device = device
        self.batch_tokens = batch_tokens

    def count_tokens(self, text: str) -> int:
        """Tokens the model sees for `text`, end-of-sequence included."""
        return len(self.tokenizer(text, add_special_tokens=True)["input_ids"])

    def translate(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> list[str]:
        """Translate texts in length-sorted batches; returns translations in the input order.

        Identical texts are translated once. `progress` is called with the number of texts done.
        """
        import torch

        unique = list(dict.fromkeys(texts))
        encoded = self.tokenizer(unique, add_special_tokens=True)["input_ids"]
        order = sorted(range(len(unique)), key=lambda i: len(encoded[i]))
        results: dict[str, str] = {}
        for batch in _batches_by_tokens(order, [len(ids) for ids in encoded], self.batch_tokens):
            longest = max(len(encoded[i]) for i in batch)
            padded = self.tokenizer.pad(
                {"input_ids": [encoded[i] for i in batch]}, padding=True, return_tensors="pt"
            ).to(self.device)
            max_new = min(
                int(longest * self.settings.max_output_ratio) + self.settings.max_output_extra,
                self.settings.max_positions - 1,
            )
            with torch.inference_mode():
                output = self.model.generate(
                    **padded, num_beams=self.settings.beams, max_new_tokens=max_new, do_sample=False
                )
            decoded = self.tokenizer.batch_decode(output, skip_special_tokens=True)
            for i, text in zip(batch, decoded, strict=True):
                results[unique[i]] = text.strip()
            if progress:
                progress(len(batch))
        return [results[t] for t in texts]


def _batches_by_tokens(order: list[int], lengths: list[int], budget: int) -> list[list[int]]:
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
