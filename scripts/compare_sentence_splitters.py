"""Score German sentence splitters on the test table and time them on the seed articles.

    python scripts/compare_sentence_splitters.py

Needs the candidates installed: pip install pysbd syntok sentencex somajo sentence-splitter blingfire
A case counts as right only when the splitter returns exactly the expected sentences.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from german_sentence_cases import SENTENCE_CASES  # noqa: E402


def candidates() -> dict[str, Callable[[str], list[str]]]:
    found: dict[str, Callable[[str], list[str]]] = {}
    try:
        import pysbd

        seg = pysbd.Segmenter(language="de", clean=False)
        found["pysbd"] = lambda t: [s.strip() for s in seg.segment(t) if s.strip()]
    except ImportError:
        pass
    try:
        import syntok.segmenter as syntok_segmenter

        def syntok_split(t: str) -> list[str]:
            out = []
            for para in syntok_segmenter.analyze(t):
                for sent in para:
                    out.append("".join(tok.spacing + tok.value for tok in sent).strip())
            return out

        found["syntok"] = syntok_split
    except ImportError:
        pass
    try:
        import sentencex

        found["sentencex"] = lambda t: [s.strip() for s in sentencex.segment("de", t) if s.strip()]
    except ImportError:
        pass
    try:
        from somajo import SoMaJo

        somajo = SoMaJo("de_CMC", split_camel_case=False, split_sentences=True)

        def somajo_split(t: str) -> list[str]:
            out = []
            for sent in somajo.tokenize_text([t]):
                out.append("".join(tok.text + (" " if tok.space_after else "") for tok in sent).strip())
            return out

        found["somajo"] = somajo_split
    except ImportError:
        pass
    try:
        from sentence_splitter import SentenceSplitter

        moses = SentenceSplitter(language="de")
        found["sentence-splitter (Moses)"] = moses.split
    except ImportError:
        pass
    try:
        import blingfire

        found["blingfire"] = lambda t: blingfire.text_to_sentences(t).split("\n")
    except ImportError:
        pass
    from summarise.segment import split_sentences

    found["summarise.split_sentences"] = split_sentences
    return found


def main() -> None:
    seeds = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "seeds").glob("*.txt"))]
    text = "\n".join(seeds) * 20
    print(f"{len(SENTENCE_CASES)} cases; timing on {len(text):,} characters of seed text\n")
    print(f"{'splitter':28} {'right':>7} {'ms':>8}")
    for name, split in candidates().items():
        right = 0
        misses = []
        for case in SENTENCE_CASES:
            got = [" ".join(s.split()) for s in split(" ".join(case))]
            if got == case:
                right += 1
            else:
                misses.append(got)
        start = time.perf_counter()
        for para in text.split("\n"):
            split(para)
        ms = (time.perf_counter() - start) * 1000
        print(f"{name:28} {right:>3}/{len(SENTENCE_CASES):<3} {ms:>8.0f}")
        if "-v" in sys.argv:
            for miss in misses:
                print("    ", miss)


if __name__ == "__main__":
    main()
