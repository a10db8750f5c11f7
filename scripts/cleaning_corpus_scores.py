"""The clean stage on a cleaning corpus (issue 12): per outlet and per split, boilerplate removed
(recall, and recall inside the article), article lines removed (precision), metadata removed,
and whether the title line is the headline. The "measure" split is never looked at while rules are
written: its figures are the ones to report.

    .venv/bin/python scripts/cleaning_corpus_scores.py CORPUS_FOLDER [-v]

A corpus folder holds `sources.toml` (one `[[document]]` each: id, outlet, country, url, origin,
split = "tune" or "measure", split by outlet) and, per document, `<id>.html.gz` (the saved page)
and `<id>.labels`: one line per paragraph summarise's reader extracts from the page, in order, a
label, a tab, the text. Labels: A article (headline, lead, body, subheadings, quotes); B
boilerplate (navigation, toolbars, teasers for other articles, ads, paywall and share prompts,
pagination); M metadata and page furniture (the page's <title>, bylines, dates, captions, credits,
pull quotes that repeat the text: removing them is neither right nor wrong).

Pages of news outlets are not ours to commit: a corpus lives outside the repository (issue 12's
note says where the one measured so far came from).
"""

from __future__ import annotations

import argparse
import gzip
import sys
import tempfile
import tomllib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from summarise.clean import clean_paragraphs
from summarise.read import InputFile, read_article

LABELS = ("A", "B", "M")
SPLITS = ("tune", "measure")


@dataclass(frozen=True)
class Document:
    id: str
    outlet: str
    country: str
    url: str
    origin: str
    split: str
    labels: tuple[str, ...]  # one per line, in order
    lines: tuple[str, ...]
    folder: Path

    @property
    def page(self) -> Path:
        return self.folder / f"{self.id}.html.gz"


def load_corpus(folder: Path) -> list[Document]:
    sources = tomllib.loads((folder / "sources.toml").read_text(encoding="utf-8"))
    documents = []
    for entry in sources["document"]:
        rows = (folder / f"{entry['id']}.labels").read_text(encoding="utf-8").splitlines()
        labels, lines = zip(*(row.split("\t", 1) for row in rows), strict=True)
        if not set(labels) <= set(LABELS) or entry["split"] not in SPLITS:
            sys.exit(f"{entry['id']}: labels must be {', '.join(LABELS)}, split one of {', '.join(SPLITS)}")
        documents.append(Document(**entry, labels=tuple(labels), lines=tuple(lines), folder=folder))
    return documents


def extracted(document: Document) -> list[str]:
    """The paragraphs summarise reads from the document's page, as a run reads them."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{document.id}.html"
        path.write_bytes(gzip.decompress(document.page.read_bytes()))
        return read_article(InputFile(path, PurePosixPath(path.name))).paragraphs


@dataclass
class Score:
    """What the clean stage did to one document's (or several documents') labelled lines."""

    boilerplate: int = 0
    boilerplate_removed: int = 0
    inside: int = 0  # boilerplate between the first and the last article line
    inside_removed: int = 0
    article: int = 0
    article_removed: list[str] = field(default_factory=list)
    metadata: int = 0
    metadata_removed: int = 0
    documents: int = 0
    titles_right: int = 0  # the brief's title line is the article's headline (its first A line)
    kept_boilerplate: list[str] = field(default_factory=list)
    wrong_titles: list[str] = field(default_factory=list)

    def add(self, other: Score) -> None:
        for name, value in vars(other).items():
            setattr(self, name, getattr(self, name) + value)

    @property
    def recall(self) -> float:
        return self.boilerplate_removed / self.boilerplate if self.boilerplate else 1.0

    @property
    def inside_recall(self) -> float:
        return self.inside_removed / self.inside if self.inside else 1.0

    @property
    def precision(self) -> float:
        removed = self.boilerplate_removed + len(self.article_removed)
        return self.boilerplate_removed / removed if removed else 1.0


def score(document: Document, lines: list[str] | None = None) -> Score:
    lines = list(document.lines) if lines is None else lines
    cleaned = clean_paragraphs(lines)
    removed = {line.paragraph for line in cleaned.removed}
    articles = [i for i, label in enumerate(document.labels) if label == "A"]
    result = Score(documents=1)
    for index, (label, text) in enumerate(zip(document.labels, lines, strict=True)):
        gone = index in removed
        if label == "A":
            result.article += 1
            if gone:
                result.article_removed.append(f"{document.id}: {text}")
        elif label == "M":
            result.metadata += 1
            result.metadata_removed += gone
        else:
            result.boilerplate += 1
            result.boilerplate_removed += gone
            if articles and articles[0] < index < articles[-1]:
                result.inside += 1
                result.inside_removed += gone
            if not gone:
                result.kept_boilerplate.append(f"{document.id}: {text}")
    title_line = cleaned.headline if cleaned.headline is not None else next(iter(cleaned.paragraphs), None)
    if articles and title_line == lines[articles[0]]:
        result.titles_right += 1
    else:
        result.wrong_titles.append(f"{document.id}: {title_line}")
    return result


def row(name: str, s: Score) -> str:
    return (
        f"| {name} | {s.documents} | {s.boilerplate_removed}/{s.boilerplate} ({s.recall:.2f}) | "
        f"{s.inside_removed}/{s.inside} ({s.inside_recall:.2f}) | {len(s.article_removed)} of "
        f"{s.article} ({s.precision:.2f}) | {s.metadata_removed}/{s.metadata} | "
        f"{s.titles_right}/{s.documents} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("corpus", type=Path, help="the corpus folder (sources.toml, pages, labels)")
    parser.add_argument("-v", "--verbose", action="store_true", help="list what went wrong, line by line")
    args = parser.parse_args()
    verbose = args.verbose
    by_outlet: dict[tuple[str, str], Score] = defaultdict(Score)
    by_split: dict[str, Score] = defaultdict(Score)
    for document in load_corpus(args.corpus):
        assert extracted(document) == list(document.lines), f"{document.id}: relabel (extraction changed)"
        result = score(document, extracted(document))
        by_outlet[(document.split, document.outlet)].add(result)
        by_split[document.split].add(result)
    print(
        "| outlet | documents | boilerplate removed | inside the article | article lines removed "
        "(precision) | metadata removed | title is the headline |"
    )
    print("|---|---|---|---|---|---|---|")
    for split in SPLITS:
        for (part, outlet), result in sorted(by_outlet.items()):
            if part == split:
                print(row(f"{outlet} ({split})", result))
        print(row(f"**{split}: all**", by_split[split]))
    if verbose:
        for split in SPLITS:
            s = by_split[split]
            for title, lines in (
                ("article lines removed", s.article_removed),
                ("boilerplate kept", s.kept_boilerplate),
                ("wrong title lines", s.wrong_titles),
            ):
                if lines and (split == "tune" or title == "article lines removed"):
                    print(f"\n{split}: {title}")
                    print("\n".join(f"  {line[:120]}" for line in lines))


if __name__ == "__main__":
    main()
