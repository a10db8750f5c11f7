"""Summarise stage: English translation -> short summary, covering the whole text.

BART reads at most 1,024 tokens. A longer translation is cut into chunks at segment boundaries,
each chunk is summarised, and the joined summaries are summarised again until they fit.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from .engines import Decoding, Engine
from .errors import SummariseError
from .models import ResolvedModel, count_tokens, generation_defaults, model_max_positions, token_ids
from .options import FixedLengths
from .segment import fit_to_budget

_MAX_ROUNDS = 8


@dataclass(frozen=True)
class SummarySettings:
    """Everything that changes a summary's output; part of every cache key."""

    engine: str
    beams: int
    min_new_tokens: int
    max_new_tokens: int
    length_penalty: float
    no_repeat_ngram_size: int
    window: int

    def signature(self, lengths: FixedLengths | None = None) -> dict[str, Any]:
        """The settings as recorded in the JSON and the cache keys, with the length policy."""
        return asdict(self) | {"fixed_output_tokens": lengths.summary_tokens if lengths else None}


def summary_settings(model: ResolvedModel, engine: str, beams: int | None) -> SummarySettings:
    """Settings for a resolved model, read from its JSON files: no torch, no weights."""
    defaults = generation_defaults(model)
    # The published min_length/max_length count the decoder start token; new tokens do not.
    return SummarySettings(
        engine=engine,
        beams=beams or int(defaults.get("num_beams") or 1),
        min_new_tokens=max(0, int(defaults.get("min_length") or 0) - 1),
        max_new_tokens=max(1, int(defaults.get("max_length") or 142) - 1),
        length_penalty=float(defaults.get("length_penalty") or 1.0),
        no_repeat_ngram_size=int(defaults.get("no_repeat_ngram_size") or 0),
        window=model_max_positions(model),
    )


@dataclass(frozen=True)
class Summary:
    text: str
    chunks: int  # chunks summarised in the first round (1 when the text fit the window)
    rounds: int


OnSummarised = Callable[[dict[int, "Summary | SummariseError"]], None]


class Described(Protocol):
    description: str  # what ran a result, as its JSON records it


class Summariser(Protocol):
    """Anything that summarises articles given as ordered units: a model run here
    (ModelSummariser) or by a cluster's actors (cluster.ClusterSummariser)."""

    @property
    def engine(self) -> Described: ...

    def summarise_many(
        self, articles: Sequence[Sequence[str]], on_summarised: OnSummarised | None = None
    ) -> list[Summary | SummariseError]:
        """One result per article, in order: its summary, or the error that belongs to it alone;
        also given to `on_summarised` (by article index) as they are final."""
        ...


class ModelSummariser:
    """Summaries over a loaded BART-style engine, whichever engine runs the model."""

    def __init__(
        self, engine: Engine, settings: SummarySettings, lengths: FixedLengths | None = None
    ) -> None:
        """`lengths`: benchmarks only; every summary exactly `lengths.summary_tokens` long."""
        self.engine = engine
        self.tokenizer = engine.tokenizer
        self.settings = settings
        self.lengths = lengths

    def count_tokens(self, text: str) -> int:
        return count_tokens(self.tokenizer, text)

    def summarise(self, units: Sequence[str]) -> Summary:
        """Summarise text given as ordered units (translated segments): every unit is read."""
        outcome = self.summarise_many([units])[0]
        if isinstance(outcome, SummariseError):
            raise outcome
        return outcome

    def summarise_many(
        self,
        articles: Sequence[Sequence[str]],
        on_summarised: Callable[[dict[int, Summary | SummariseError]], None] | None = None,
    ) -> list[Summary | SummariseError]:
        """Summarise several articles together: each round's chunks of every article go to the
        engine in shared batches (a GPU wants many at once; on a CPU, two workers keep busy).

        One result per article, in order: its summary, or the error that belongs to it alone;
        also given to `on_summarised` (by article index) as they are final: here, all at the end.
        """
        window = self.settings.window
        results: list[Summary | SummariseError | None] = [None] * len(articles)
        first_chunks = [0] * len(articles)
        active: dict[int, list[str]] = {}
        for index, units in enumerate(articles):
            kept = [u for u in units if u.strip()]
            if kept:
                active[index] = kept
            else:
                results[index] = Summary("", 0, 0)
        for round_number in range(1, _MAX_ROUNDS + 1):
            if not active:
                break
            chunks = {index: self._chunk(units, window) for index, units in active.items()}
            for index, article_chunks in chunks.items():
                first_chunks[index] = first_chunks[index] or len(article_chunks)
            flat = [(index, chunk) for index, article_chunks in chunks.items() for chunk in article_chunks]
            summaries = self._generate([chunk for _, chunk in flat])
            produced: dict[int, list[str]] = {}
            for (index, _), summary in zip(flat, summaries, strict=True):
                produced.setdefault(index, []).append(summary)
            for index, outputs in produced.items():
                if len(outputs) == 1:
                    results[index] = Summary(outputs[0], first_chunks[index], round_number)
                    del active[index]
                else:
                    active[index] = outputs
        for index in active:
            results[index] = SummariseError(f"summary did not converge in {_MAX_ROUNDS} rounds")
        final = [r if r is not None else SummariseError("not summarised") for r in results]
        if on_summarised is not None:
            on_summarised(dict(enumerate(final)))
        return final

    def _chunk(self, units: Sequence[str], window: int) -> list[str]:
        """Pack consecutive units into chunks of at most `window` tokens; split oversize units.

        Packed on each unit's own count (one tokenization per unit, so linear in the text), then
        each chunk is counted once; the rare chunk that tokenizes longer joined is packed exactly.
        """
        pieces: list[str] = []
        counts: list[int] = []
        for unit, count in zip(units, self._count_many(units), strict=True):
            if count <= window:
                pieces.append(unit)
                counts.append(count)
            else:
                split = fit_to_budget(unit, self.count_tokens, window)
                pieces.extend(split)
                counts.extend(self._count_many(split))
        specials = self.count_tokens("")  # <s> and </s>, counted once per chunk
        chunks: list[list[str]] = []
        current: list[str] = []
        current_tokens = specials
        for piece, count in zip(pieces, counts, strict=True):
            tokens = count - specials + 1  # + the joining space's token, at most
            if current and current_tokens + tokens > window:
                chunks.append(current)
                current, current_tokens = [], specials
            current.append(piece)
            current_tokens += tokens
        if current:
            chunks.append(current)
        joined = [" ".join(chunk) for chunk in chunks]
        texts = []
        for chunk, text, count in zip(chunks, joined, self._count_many(joined), strict=True):
            texts.extend([text] if count <= window else self._chunk_exactly(chunk, window))
        return texts

    def _count_many(self, texts: Sequence[str]) -> list[int]:
        """Token counts of many texts in one call (the tokenizer's per-call overhead dominates)."""
        counts: list[int] = []
        batch: list[str] = []
        size = 0
        for text in [*texts, None]:
            # In slices of ~50k characters: a book's encodings at once would weigh hundreds of MB.
            if batch and (text is None or size + len(text) > 50_000):
                counts.extend(len(ids) for ids in token_ids(self.tokenizer, list(batch)))
                batch, size = [], 0
            if text is not None:
                batch.append(text)
                size += len(text)
        return counts

    def _chunk_exactly(self, pieces: Sequence[str], window: int) -> list[str]:
        chunks: list[str] = []
        current: list[str] = []
        for piece in pieces:
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
        """Summaries of `chunks`, in order, batched by length and decoding settings."""
        encoded = self._encode_many(chunks)
        decodings = [self._decoding(len(ids)) for ids in encoded]
        # Batches share one decoding (a short chunk gets a shorter summary) and similar lengths.
        order = sorted(range(len(chunks)), key=lambda i: (_decoding_key(decodings[i]), len(encoded[i])))
        # Up to the placement's batch size, and small enough that every worker gets a batch.
        placement = self.engine.placement
        size = max(1, min(placement.summary_batch, math.ceil(len(chunks) / placement.workers)))
        batches: list[list[int]] = []
        for i in order:
            if batches and len(batches[-1]) < size and decodings[batches[-1][0]] == decodings[i]:
                batches[-1].append(i)
            else:
                batches.append([i])
        jobs = [([encoded[i] for i in batch], decodings[batch[0]]) for batch in batches]
        summaries = [""] * len(chunks)
        for batch, outputs in zip(batches, self.engine.generate_many(jobs), strict=True):
            for i, output in zip(batch, outputs, strict=True):
                summaries[i] = self.tokenizer.decode(output.ids, skip_special_tokens=True).strip()
        return summaries

    def _encode_many(self, texts: Sequence[str]) -> list[list[int]]:
        return token_ids(self.tokenizer, list(texts))

    def _decoding(self, source_tokens: int) -> Decoding:
        settings = self.settings
        if self.lengths is not None:
            max_new = min_new = self.lengths.summary_tokens
        else:
            # A summary is never longer than its text, and a short text is not padded out.
            max_new = max(8, min(settings.max_new_tokens, source_tokens))
            min_new = min(settings.min_new_tokens, source_tokens // 2)
        return Decoding(
            settings.beams, max_new, min_new, settings.length_penalty, settings.no_repeat_ngram_size
        )


def _decoding_key(decoding: Decoding) -> tuple[int, int]:
    return (decoding.max_new_tokens, decoding.min_new_tokens)
