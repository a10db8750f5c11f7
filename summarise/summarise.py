"""Summarise stage: English translation -> short summary, covering the whole text.

BART reads at most 1,024 tokens. A longer translation is cut into chunks at segment boundaries,
each chunk is summarised, and the joined summaries are summarised again until they fit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from .errors import SummariseError
from .models import ResolvedModel, generation_defaults, load_seq2seq, model_max_positions
from .segment import fit_to_budget

_MAX_ROUNDS = 8


@dataclass(frozen=True)
class SummarySettings:
    """Everything that changes a summary's output; part of every cache key."""

    beams: int
    min_length: int
    max_length: int
    length_penalty: float
    no_repeat_ngram_size: int
    window: int

    def signature(self) -> dict[str, Any]:
        return asdict(self)


def summary_settings(model: ResolvedModel, beams: int | None) -> SummarySettings:
    """Settings for a resolved model, read from its JSON files: no torch, no weights."""
    defaults = generation_defaults(model)
    return SummarySettings(
        beams=beams or int(defaults.get("num_beams") or 1),
        min_length=int(defaults.get("min_length") or 0),
        max_length=int(defaults.get("max_length") or 142),
        length_penalty=float(defaults.get("length_penalty") or 1.0),
        no_repeat_ngram_size=int(defaults.get("no_repeat_ngram_size") or 0),
        window=model_max_positions(model),
    )


@dataclass(frozen=True)
class Summary:
    text: str
    chunks: int  # chunks summarised in the first round (1 when the text fit the window)
    rounds: int


class Summariser:
    """A loaded BART-style summariser (transformers + torch)."""

    def __init__(self, model: ResolvedModel, settings: SummarySettings, device: str) -> None:
        self.model_ref = model
        self.settings = settings
        self.model, self.tokenizer = load_seq2seq(model, device)
        self.device = device

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=True)["input_ids"])

    def summarise(self, units: Sequence[str]) -> Summary:
        """Summarise text given as ordered units (translated segments): every unit is read."""
        units = [u for u in units if u.strip()]
        if not units:
            return Summary("", 0, 0)
        window = self.settings.window
        first_chunks = 0
        for round_number in range(1, _MAX_ROUNDS + 1):
            chunks = self._chunk(units, window)
            first_chunks = first_chunks or len(chunks)
            summaries = self._generate(chunks)
            if len(chunks) == 1:
                return Summary(summaries[0], first_chunks, round_number)
            units = summaries
        raise SummariseError(f"summary did not converge in {_MAX_ROUNDS} rounds")

    def _chunk(self, units: Sequence[str], window: int) -> list[str]:
        """Pack consecutive units into chunks of at most `window` tokens; split oversize units."""
        chunks: list[str] = []
        current: list[str] = []
        for unit in units:
            for piece in fit_to_budget(unit, self.count_tokens, window):
                candidate = " ".join([*current, piece])
                if current and self.count_tokens(candidate) > window:
                    chunks.append(" ".join(current))
                    current = [piece]
                else:
                    current.append(piece)
        if current:
            chunks.append(" ".join(current))
        return chunks

    def _generate(self, chunks: list[str]) -> list[str]:
        import torch

        settings = self.settings
        summaries = []
        # One chunk at a time: chunks are near the window, so batching gains little and costs memory.
        for chunk in chunks:
            inputs = self.tokenizer(chunk, return_tensors="pt", truncation=False).to(self.device)
            length = int(inputs["input_ids"].shape[1])
            # A summary is never longer than its text, and short texts are not padded out.
            max_length = max(8, min(settings.max_length, length))
            min_length = min(settings.min_length, length // 2)
            with torch.inference_mode():
                output = self.model.generate(
                    **inputs,
                    num_beams=settings.beams,
                    min_length=min_length,
                    max_length=max_length,
                    length_penalty=settings.length_penalty,
                    no_repeat_ngram_size=settings.no_repeat_ngram_size,
                    early_stopping=True,
                    do_sample=False,
                )
            summaries.append(self.tokenizer.decode(output[0], skip_special_tokens=True).strip())
        return summaries
