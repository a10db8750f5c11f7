"""Post-editing, pre-substitution or both: which way of applying a glossary serves the reader?

German sentences of our own writing (templates below) are filled with names from the shipped
default list (people and places whose German spelling differs from the English), translated by a
model through the product's own loading code, and the glossary applied in each of three ways
(glossary.Method):

- post-edit: the model translates the German; its German spellings and known variants are
  replaced by the renderings;
- pre-substitute: the terms are put into English in the German source first, then translated
  (and the output post-edited as well);
- both: post-edit; a segment whose rendering is still missing is translated once more from the
  pre-substituted source, and that is taken where it is better.

Reported per way: segments whose every term's rendering is there, segments flagged, segments the
model translated (model cost), and "rest unchanged": segments whose words outside the terms are
exactly those of the model's plain translation (pre-substitution changes what the model sees, so
it may change more than the name).

    python scripts/glossary_strategies.py                       # the copy model in tests/data
    python scripts/glossary_strategies.py --translator Helsinki-NLP/opus-mt-de-en   # the real one
    python scripts/glossary_strategies.py --entries 50000    # also: a glossary that large, timed
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from summarise.brief import MISSING
from summarise.glossary import Glossary, GlossaryTranslator, Method, Term
from summarise.models import ModelSpec
from summarise.options import Options
from summarise.session import ModelSession
from summarise.translate import OnTranslated, TranslatedSegment, Translator

ROOT = Path(__file__).resolve().parents[1]
COPY_MODEL = ROOT / "tests" / "data" / "copy-marian"
METHODS: tuple[Method, ...] = ("post-edit", "pre-substitute", "both")

# {p}: a person, {c}: a place. Sentences of the project's own writing, in the style of news.
TEMPLATES = (
    "{p} sagte am Montag in {c}, die Gespräche würden fortgesetzt.",
    "Nach Angaben von {p} ist die Lage in {c} weiterhin angespannt.",
    "Am Abend traf {p} in {c} ein, wie ein Sprecher mitteilte.",
    "{c} meldete in der Nacht neue Angriffe, {p} kündigte eine Antwort an.",
    "Die Regierung in {c} wies die Vorwürfe von {p} zurück.",
    "{p}s Rede wurde in {c} mit Spannung erwartet.",
    "Beobachter in {c} rechnen nicht mit einem schnellen Ende der Krise.",
    "Ein Treffen mit {p} sei nicht geplant, hieß es aus {c}.",
)


class Counting:
    """A translator that counts the segments it is asked for."""

    def __init__(self, translator: Translator) -> None:
        self.translator = translator
        self.asked = 0

    def translate(
        self,
        texts: Sequence[str],
        on_translated: OnTranslated | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> dict[str, TranslatedSegment]:
        self.asked += len(set(texts))
        return self.translator.translate(texts, on_translated, should_stop)


def sentences(glossary: Glossary, count: int, seed: int) -> list[str]:
    curated = [t for t in glossary.terms if "curated.tsv" in t.origin]
    people = [t.german for t in curated if t.german[0].isupper() and "People" in _group(t)]
    places = [t.german for t in curated if "Places" in _group(t)]
    rng = random.Random(seed)
    return [rng.choice(TEMPLATES).format(p=rng.choice(people), c=rng.choice(places)) for _ in range(count)]


_GROUPS: dict[str, str] = {}


def _group(term: Term) -> str:
    """The comment heading the curated file's group of an entry ("# People: Russia")."""
    if not _GROUPS:
        heading = ""
        path = ROOT / "summarise" / "names" / "curated.tsv"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if line.startswith("# People") or line.startswith("# Places"):
                heading = line
            _GROUPS[f"curated.tsv:{number}"] = heading
    return _GROUPS.get(term.origin.rsplit(" ", 1)[-1], "")


def rest(glossary: Glossary, source: str, text: str) -> list[str]:
    """The words of a translation outside its terms' renderings, spellings and variants."""
    for term in glossary.terms_in(source):
        with_s = re.compile(rf"(?<!\w){re.escape(term.english)}s(?!\w)", re.IGNORECASE)  # a kept -s
        for pattern in (with_s, term.rendering_pattern, *term.spelling_patterns):
            text = pattern.sub(" ", text)
    return re.findall(r"\w+", text.replace("'s", " "))


def measure(translator: Translator, texts: list[str], glossary: Glossary) -> None:
    plain = translator.translate(texts)
    print(f"{len(texts)} sentences, {sum(len(glossary.terms_in(t)) for t in texts)} terms in them\n")
    print("| way | every rendering there | flagged | rest unchanged | segments translated | seconds |")
    print("| --- | --- | --- | --- | --- | --- |")
    for method in METHODS:
        counting = Counting(translator)
        started = time.perf_counter()
        done = GlossaryTranslator(Glossary(glossary.terms, glossary.sources, method), counting).translate(
            texts
        )
        seconds = time.perf_counter() - started
        complete = sum(1 for t in texts if not any(u.action == MISSING for u in done[t].glossary))
        flagged = sum(1 for t in texts if done[t].flags)
        same = sum(1 for t in texts if rest(glossary, t, done[t].text) == rest(glossary, t, plain[t].text))
        n = len(texts)
        print(
            f"| {method} | {complete} ({complete / n:.1%}) | {flagged} | {same} ({same / n:.1%}) "
            f"| {counting.asked} | {seconds:.1f} |"
        )


def large_glossary(entries: int, seed: int) -> None:
    """How long a glossary of `entries` made-up terms (over the default names) takes to load, to
    get ready (its patterns compiled at the first article) and per article of the seeds."""
    rng = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyz"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "large.tsv"
        rows = []
        for n in range(entries):
            word = "".join(rng.choice(letters) for _ in range(rng.randint(5, 12))).capitalize()
            rows.append(f"{word}{n}\t{word}E{n}")
        path.write_text("\n".join(rows) + "\n", encoding="utf-8")
        started = time.perf_counter()
        defaults = len(Glossary.of(None).terms)
        print(f"\nthe {defaults} default names: loaded in {(time.perf_counter() - started) * 1000:.1f} ms")
        started = time.perf_counter()
        glossary = Glossary.of(path)
        loaded = time.perf_counter()
        articles = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "seeds").glob("*.txt"))]
        glossary.signature(articles[:1])
        ready = time.perf_counter()
        for article in articles:
            glossary.signature([article])
        each = (time.perf_counter() - ready) / len(articles)
    print(
        f"{len(glossary.terms)} entries: loaded in {loaded - started:.2f} s, "
        f"ready in {ready - loaded:.2f} s, {each * 1000:.1f} ms per seed article"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--translator", default=str(COPY_MODEL), help="hub id or folder (default: the copy model)"
    )
    parser.add_argument("--sentences", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--beams", type=int, default=4)
    parser.add_argument("--entries", type=int, default=0, help="also time a glossary of this many entries")
    args = parser.parse_args()
    glossary = Glossary.of(None)
    texts = list(dict.fromkeys(sentences(glossary, args.sentences, args.seed)))
    with tempfile.TemporaryDirectory() as converted:
        options = Options(
            out_dir=Path(converted) / "out",
            translator=ModelSpec("translator", args.translator),
            summariser=None,
            beams=args.beams,
            device="cpu",
        )
        session = ModelSession(options, Path(converted))
        print(f"translator: {args.translator}, beams {args.beams}\n")
        measure(session.translator(), texts, glossary)
    if args.entries:
        large_glossary(args.entries, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
