"""Translate stage: German segments -> English, in length-sorted batches, then reassembled."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from .brief import (
    CODE,
    Block,
    GlossaryUse,
    LanguageRecord,
    Segment,
    Translation,
    Unit,
    assemble_paragraphs,
    with_code_spans,
)
from .engines import Decoding, Engine, Hypothesis, Job
from .errors import StopRequested
from .guard import GuardSettings, better, check_segment
from .models import ResolvedModel, count_tokens, generation_defaults, model_max_positions, token_ids
from .options import FixedLengths
from .placement import effective_batch_tokens
from .segment import Segmentation, SourceSegment

# Segments are sentences; longer ones are split to this many tokens (Marian was trained on
# sentences, and output quality falls well before its 512-token limit).
DEFAULT_SEGMENT_TOKENS = 256


@dataclass(frozen=True)
class TranslationSettings:
    """Everything that changes a translation's output; part of every cache key."""

    engine: str
    beams: int
    segment_tokens: int
    max_positions: int
    max_output_ratio: float = 2.0
    max_output_extra: int = 16
    guard: GuardSettings = field(default_factory=GuardSettings)

    def signature(self, lengths: FixedLengths | None = None) -> dict[str, Any]:
        """The settings as recorded in the JSON and the cache keys, with the length policy (the
        benchmark's fixed lengths, or none) and whether doubtful segments are retried."""
        fields = asdict(self)
        guard = fields.pop("guard")
        return fields | {
            "fixed_output_ratio": lengths.translation_ratio if lengths else None,
            "guard": guard | {"retry": lengths is None},
        }

    def max_new_tokens(self, longest_source: int) -> int:
        limit = int(longest_source * self.max_output_ratio) + self.max_output_extra
        return min(limit, self.max_positions - 1)


def translation_settings(model: ResolvedModel, engine: str, beams: int | None) -> TranslationSettings:
    """Settings for a resolved model, read from its JSON files: no torch, no weights."""
    max_positions = model_max_positions(model)
    return TranslationSettings(
        engine=engine,
        beams=beams or int(generation_defaults(model).get("num_beams") or 1),
        segment_tokens=min(DEFAULT_SEGMENT_TOKENS, max_positions),
        max_positions=max_positions,
    )


@dataclass(frozen=True)
class TranslatedSegment:
    text: str
    log_prob: float | None  # mean per output token: the model's confidence in it
    flags: list[str]  # the guard's doubts that remain (see guard.py); empty when it looks fine
    retried: bool = False  # flagged at first and translated again with stricter decoding
    glossary: tuple[GlossaryUse, ...] = ()  # what the glossary did (glossary.GlossaryTranslator)

    def unit(self, source: str) -> Unit:
        """As the brief records it, with its German source (confidence to 4 places)."""
        confidence = None if self.log_prob is None else round(self.log_prob, 4)
        return Unit(source, self.text, confidence, tuple(self.flags), self.retried, self.glossary)


OnTranslated = Callable[[dict[str, "TranslatedSegment"]], None]


class Translator(Protocol):
    """Anything that translates segments: a model run here (ModelTranslator) or by a cluster's
    actors (cluster.ClusterTranslator), the translation memory in front of one
    (memory.TranslationMemory), or the identity (IdentityTranslator: English passed through). A
    glossary or another engine is one more class of this shape, wrapping another."""

    def translate(
        self,
        texts: Sequence[str],
        on_translated: OnTranslated | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> dict[str, TranslatedSegment]:
        """Each distinct text's translation; batches go to `on_translated` as they are final.
        When `should_stop()` turns true, what is finished is handed over and StopRequested raised."""
        ...


class Described(Protocol):
    description: str  # what ran a result, as its JSON records it (e.g. "ctranslate2 int8 on cpu")


class TranslationModel(Translator, Protocol):
    """A translator that is a model: its tokenizer measures segments, its engine is recorded."""

    @property
    def engine(self) -> Described: ...

    def count_tokens(self, text: str) -> int: ...


class IdentityTranslator:
    """English passed through: every text is its own translation, with no doubts. No model."""

    description = ""

    def translate(
        self,
        texts: Sequence[str],
        on_translated: OnTranslated | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> dict[str, TranslatedSegment]:
        done = {text: TranslatedSegment(text, None, []) for text in dict.fromkeys(texts)}
        if on_translated is not None and done:
            on_translated(done)
        return done


class ModelTranslator:
    """Translation over a loaded engine: batching and decoding, whichever engine runs the model."""

    def __init__(
        self,
        engine: Engine,
        settings: TranslationSettings,
        batch_tokens: int | None = None,
        lengths: FixedLengths | None = None,
        retry: bool = True,
    ) -> None:
        """`batch_tokens`: padded source tokens per batch; by default the engine's placement
        decides (placement.py), shrunk for a small run so that every worker has work.
        `lengths`: benchmarks only; outputs of a fixed length, and no retries (random weights
        would have every segment retried). `retry`: translate doubtful segments once more."""
        self.engine = engine
        self.tokenizer = engine.tokenizer
        self.settings = settings
        self.batch_tokens = batch_tokens
        self.lengths = lengths
        self.retry = retry and lengths is None

    def _batches(self, order: list[int], lengths: list[int]) -> list[list[int]]:
        placement = self.engine.placement
        budget = self.batch_tokens or effective_batch_tokens(placement, sum(lengths[i] for i in order))
        return batches_by_tokens(order, lengths, budget, placement.batch_segments)

    def count_tokens(self, text: str) -> int:
        """Tokens the model sees for `text`, end-of-sequence included."""
        return count_tokens(self.tokenizer, text)

    def translate(
        self,
        texts: Sequence[str],
        on_translated: Callable[[dict[str, TranslatedSegment]], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> dict[str, TranslatedSegment]:
        """Translate texts in length-sorted batches, each distinct text once.

        Every batch's results go to `on_translated` as soon as they are final (kept, or retried
        by the guard). When `should_stop()` turns true, the batches already running are finished
        and handed over, then StopRequested is raised.
        """
        unique = list(dict.fromkeys(texts))
        results: dict[str, TranslatedSegment] = {}
        if not unique:
            return results
        encoded = token_ids(self.tokenizer, unique)
        order = sorted(range(len(unique)), key=lambda i: len(encoded[i]))
        batches = self._batches(order, [len(ids) for ids in encoded])
        jobs = [self._job([encoded[i] for i in batch]) for batch in batches]
        doubtful: dict[int, TranslatedSegment] = {}
        done = 0
        for batch, hypotheses in zip(batches, self.engine.generate_many(jobs, should_stop), strict=False):
            done += 1
            final = {}
            for i, hypothesis in zip(batch, hypotheses, strict=True):
                segment = self._judge(unique[i], hypothesis)
                if segment.flags and self.retry:
                    doubtful[i] = segment
                else:
                    final[unique[i]] = segment
            self._hand_over(final, results, on_translated)
        if doubtful and done == len(batches):
            self._hand_over(self._retry(doubtful, unique, encoded, should_stop), results, on_translated)
        if len(results) < len(unique):
            raise StopRequested(f"stopped after {len(results)} of {len(unique)} segments")
        return results

    def _job(self, batch: list[list[int]], stricter: bool = False) -> Job:
        longest = max(len(ids) for ids in batch)
        if self.lengths is not None:
            new_tokens = min_tokens = self.lengths.translation_tokens(longest)
        else:
            new_tokens, min_tokens = self.settings.max_new_tokens(longest), 0
        decoding = Decoding(self.settings.beams, new_tokens, min_tokens, scores=True)
        return batch, self.settings.guard.stricter(decoding) if stricter else decoding

    def _judge(self, source: str, hypothesis: Hypothesis, retried: bool = False) -> TranslatedSegment:
        text = self.tokenizer.decode(hypothesis.ids, skip_special_tokens=True).strip()
        flags = check_segment(source, text, hypothesis.log_prob, self.settings.guard)
        return TranslatedSegment(text, hypothesis.log_prob, flags, retried)

    def _retry(
        self,
        doubtful: dict[int, TranslatedSegment],
        unique: list[str],
        encoded: list[list[int]],
        should_stop: Callable[[], bool] | None,
    ) -> dict[str, TranslatedSegment]:
        """Translate flagged segments again with stricter decoding; keep whichever attempt is better."""
        order = sorted(doubtful, key=lambda i: len(encoded[i]))
        batches = self._batches(order, [len(ids) for ids in encoded])
        jobs = [self._job([encoded[i] for i in batch], stricter=True) for batch in batches]
        kept: dict[str, TranslatedSegment] = {}
        for batch, hypotheses in zip(batches, self.engine.generate_many(jobs, should_stop), strict=False):
            for i, hypothesis in zip(batch, hypotheses, strict=True):
                first, second = doubtful[i], self._judge(unique[i], hypothesis, retried=True)
                if better((first.flags, first.log_prob), (second.flags, second.log_prob)):
                    kept[unique[i]] = second
                else:
                    kept[unique[i]] = TranslatedSegment(first.text, first.log_prob, first.flags, retried=True)
        return kept

    @staticmethod
    def _hand_over(
        final: dict[str, TranslatedSegment],
        results: dict[str, TranslatedSegment],
        on_translated: Callable[[dict[str, TranslatedSegment]], None] | None,
    ) -> None:
        if final:
            results.update(final)
            if on_translated is not None:
                on_translated(final)


def batches_by_tokens(
    order: list[int], lengths: list[int], budget: int, max_items: int | None = None
) -> list[list[int]]:
    """Cut length-sorted items into batches whose padded size (count x longest) fits `budget`,
    of at most `max_items` items each."""
    batches: list[list[int]] = []
    current: list[int] = []
    for i in order:
        full = max_items is not None and len(current) >= max_items
        if current and (full or (len(current) + 1) * max(lengths[i], lengths[current[-1]]) > budget):
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches


def assemble_translation(
    headline: str | None,
    paragraph_count: int,
    segmentation: Segmentation,
    language: LanguageRecord,
    translated: Mapping[str, TranslatedSegment],
    engine: str,
    blocks: Sequence[Block] = (),
) -> Translation:
    """An article's translation, put back together from its segments' translations, in order."""
    segments = tuple(
        Segment.of(Unit(s.text, s.text), s.paragraph, s.sentence, verbatim=True)
        if s.verbatim
        else Segment.of(translated[s.text].unit(s.text), s.paragraph, s.sentence)
        for s in segmentation.segments
    )
    paragraphs = assemble_paragraphs(
        [s.paragraph for s in segments], [s.target for s in segments], paragraph_count
    )
    return Translation(
        engine=engine,
        language=language,
        headline=translated[headline].unit(headline) if headline else None,
        sentences=segmentation.sentences,
        segments=segments,
        paragraphs=tuple(paragraphs),
        blocks=tuple(blocks),
    )


def passed_through(
    headline: str | None, paragraphs: Sequence[str], language: LanguageRecord, blocks: Sequence[Block] = ()
) -> Translation:
    """An English article: its own text in place of a translation (the identity translator's),
    one unit per paragraph, code blocks kept as they are."""
    shown = [with_code_spans(text) for text in paragraphs]
    segmentation = Segmentation(
        len(shown),
        [
            SourceSegment(i, i, text, verbatim=bool(blocks) and blocks[i].kind == CODE)
            for i, text in enumerate(shown)
        ],
    )
    texts = [*filter(None, [headline]), *(s.text for s in segmentation.segments if not s.verbatim)]
    identity = IdentityTranslator()
    return assemble_translation(
        headline, len(shown), segmentation, language, identity.translate(texts), identity.description, blocks
    )
