"""Clean stage: normalise each paragraph, drop web boilerplate, and find the headline.

Boilerplate is found three ways, and every removed line is kept with its reason:
- by rule: regular expressions kept as data (boilerplate.toml), German and English;
- by list shape: after a "Lesen Sie auch" / "More Stories" heading, the short lines that follow;
  and at the very end of an article, a run of three or more short lines without sentence
  punctuation (headlines of other articles);
- by evidence across the run: a short line found in several different articles of one run, unless
  it ends like a sentence or the articles that share it are copies of one text (agency copy, a
  developing story): shared text is a duplicate, not junk.
"""

from __future__ import annotations

import hashlib
import math
import re
import sys
import tomllib
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from .article_metadata import KICKER, metadata_lines, metadata_of
from .brief import (
    CODE,
    HEADING,
    NO_VISIBLE_TEXT,
    PARAGRAPH,
    Block,
    RemovedLine,
    removed_share,
    with_code_spans,
)
from .line_model import LineModel, column, line_features, shipped_model
from .text_shape import FULL_STOP, LINE_END

# Invisible characters that carry no text: zero-width spaces and joiners, soft hyphens, BOMs.
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_SPACES = re.compile(r"\s+")
_BULLET = re.compile(r"^[-–—•*·▪►]\s")
# A sentence ends here: final punctuation, perhaps followed by closing quotes or brackets.

# Above this share of its text removed, a brief warns that cleaning may have cost article text.
# Calibrated on real articles (scripts/removed_share.py): correct removals reach 0.29 of a
# copied page's text (the seeds) and 0.13 of a saved page's; held-out pages, 0.
MUCH_REMOVED_SHARE = 0.4
HEADLINE_MAX_CHARS = 150
LIST_ITEM_MAX_CHARS = 200
TRAILING_LIST_MIN_LINES = 3
TRAILING_ITEM_MAX_CHARS = 120
# The line model judges articles of at least this many lines (the corpus it learnt from has 9 and
# more); a shorter text has too little context, and only the rules apply to it.
MODEL_MIN_LINES = 8
# A line an article has this many times is a page's furniture, not its text.
REPEATED_IN_ARTICLE = 3
# Evidence across a run: a line this short, found in this many different articles.
REPEATED_MAX_CHARS = 200
REPEATED_MIN_ARTICLES = 3
# Articles with at least this share of their text in sentences found in other articles of the run
# are copies of one text: the short lines they share are theirs, not a site's.
SHARED_COPY_SHARE = 0.3


@dataclass
class CleanText:
    paragraphs: list[str]  # the article's body, as it will be translated
    headline: str | None = None  # the first line, when it reads like a headline
    removed: list[RemovedLine] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)  # each paragraph's form; [] when all are plain
    characters: int = 0  # the visible characters of the text as read (what `removed` is a share of)
    # What the removed bylines, date lines and kicker said (article_metadata: author, date, kicker).
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def removed_characters(self) -> int:
        """The visible characters cleaning removed (lines of no visible text count nothing)."""
        return sum(len(line.text) for line in self.removed if line.reason != NO_VISIBLE_TEXT)

    @property
    def removed_share(self) -> float:
        return removed_share(self.removed_characters, self.characters)

    @property
    def much_removed(self) -> bool:
        """Cleaning removed more of the text than correct removals ever did: worth a warning."""
        return self.removed_share > MUCH_REMOVED_SHARE


@dataclass(frozen=True)
class Rule:
    reason: str
    pattern: re.Pattern[str]
    max_chars: int = sys.maxsize
    starts_list: bool = False
    not_a_sentence: bool = False  # only lines that do not end like a sentence
    list_reason: str = "link list after “{heading}”"  # for the lines of the list it starts

    def matches(self, line: str) -> bool:
        if len(line) > self.max_chars or (self.not_a_sentence and FULL_STOP.search(line)):
            return False
        return self.pattern.search(line) is not None


@lru_cache(maxsize=1)
def boilerplate_rules() -> tuple[Rule, ...]:
    """The rules shipped in boilerplate.toml."""
    data = tomllib.loads(resources.files(__package__).joinpath("boilerplate.toml").read_text("utf-8"))
    return tuple(
        Rule(
            reason=rule["reason"],
            pattern=re.compile(rule["pattern"], re.IGNORECASE),
            max_chars=rule.get("max_chars", sys.maxsize),
            starts_list=rule.get("starts_list", False),
            not_a_sentence=rule.get("not_a_sentence", False),
            list_reason=rule.get("list_reason", Rule.list_reason),
        )
        for rule in data["rule"]
    )


class RepeatedLines:
    """Short lines seen in several different articles of one run: boilerplate by evidence.

    Text shared by articles is not junk when the articles are copies of one text (versions of a
    developing story, outlets printing the same agency copy): then its headline and subheadings are
    shared too. So a repeated line counts as boilerplate only while most of the articles that
    have it share little of their sentences with other articles of the run (SHARED_COPY_SHARE).

    Lines are counted by key (`line_keys`): the output folder's ledger keeps each article's keys,
    so the evidence of a re-run is counted without reading the articles that did not change."""

    def __init__(self, min_articles: int = REPEATED_MIN_ARTICLES) -> None:
        self.min_articles = min_articles
        self._articles: dict[str, set[str]] = defaultdict(set)
        self._keys: dict[str, list[str]] = {}
        self._shared: dict[str, float] = {}  # per article: the share of its text in shared sentences
        self._verdict: dict[str, bool] = {}

    def add(self, article_id: str, keys: Iterable[str]) -> None:
        """Count an article's lines (their keys); the same content under two names counts once
        (same id)."""
        if article_id in self._keys:
            return
        self._keys[article_id] = list(keys)
        for key in self._keys[article_id]:
            self._articles[key].add(article_id)
        self._shared.clear()
        self._verdict.clear()

    def articles_with(self, line: str) -> int:
        return len(self._articles.get(_line_key(line), ()))

    def is_repeated(self, line: str) -> bool:
        return self._boilerplate(_line_key(line))

    def verdicts(self, keys: Iterable[str]) -> tuple[int, ...]:
        """What this evidence says of an article's lines: for each, the number of articles that
        have it where that makes it boilerplate, else 0. While these stay the same, cleaning the
        article gives the same text (the count is part of a removed line's reason)."""
        return tuple(len(self._articles[key]) if self._boilerplate(key) else 0 for key in keys)

    def _boilerplate(self, key: str) -> bool:
        if (verdict := self._verdict.get(key)) is None:
            articles = self._articles.get(key, set())
            length, sentence = _key_parts(key)
            verdict = (
                len(articles) >= self.min_articles
                and length <= REPEATED_MAX_CHARS
                and not sentence  # shared sentences are shared text
                and 2 * sum(1 for a in articles if self._shared_share(a) >= SHARED_COPY_SHARE)
                <= len(articles)
            )
            self._verdict[key] = verdict
        return verdict

    def _shared_share(self, article_id: str) -> float:
        """The share of an article's text in sentences that other articles of the run have too."""
        if (share := self._shared.get(article_id)) is None:
            total = shared = 0
            for key in self._keys[article_id]:
                length, sentence = _key_parts(key)
                total += length
                if sentence and len(self._articles[key]) >= 2:
                    shared += length
            share = self._shared[article_id] = shared / total if total else 0.0
        return share


def line_keys(paragraphs: Iterable[str]) -> list[str]:
    """The keys of an article's lines, as evidence across a run counts them."""
    return [_line_key(line) for line in map(normalise, paragraphs) if line]


def _line_key(line: str) -> str:
    """A normalised line's key: 64 bits of a hash of its case-folded text, its length, and whether
    it ends like a sentence ("s") or not ("-")."""
    data = line.casefold().encode("utf-8", "surrogatepass")
    kind = "s" if FULL_STOP.search(line) else "-"
    return f"{hashlib.blake2b(data, digest_size=8).hexdigest()}:{len(line)}:{kind}"


def _key_parts(key: str) -> tuple[int, bool]:
    """A line key's length and whether its line ends like a sentence (a key that is not one of
    ours, from a hand-edited ledger, reads as a long sentence: never boilerplate)."""
    _, _, rest = key.partition(":")
    length, _, kind = rest.partition(":")
    return (int(length), kind == "s") if length.isdigit() else (sys.maxsize, True)


def clean_paragraphs(
    paragraphs: Sequence[str],
    keep_boilerplate: bool = False,
    repeated: RepeatedLines | None = None,
    rules: Sequence[Rule] | None = None,
    blocks: Sequence[Block] = (),
    model: LineModel | bool | None = True,
    links: Sequence[float] = (),
) -> CleanText:
    """Normalise the paragraphs, remove boilerplate (unless kept) and take out the headline.

    `blocks` gives each paragraph's form (Markdown); code is kept exactly as it is and is never
    taken for boilerplate, and only plain paragraphs can form a trailing link list or be judged by
    the line model. `model`: True for the shipped line model, a LineModel, or None/False for the
    rules and the evidence alone. `links`: a web page's paragraphs, the share of each that is a
    link's text (read.link_shares): two or more in a row that are all link are other articles."""
    rules = boilerplate_rules() if rules is None else rules
    line_model = shipped_model() if model is True else (model or None)
    forms = list(blocks) or [Block()] * len(paragraphs)
    removed: list[RemovedLine] = []
    lines: list[tuple[int, str]] = []  # (position as read, normalised text)
    for index, paragraph in enumerate(paragraphs):
        text = paragraph if forms[index].kind == CODE else normalise(paragraph)
        if text.strip():
            lines.append((index, text))
        else:
            removed.append(RemovedLine(index, paragraph, NO_VISIBLE_TEXT))
    characters = sum(len(text) for _, text in lines)
    named = None  # where the article's own headline was found, when the model found it
    metadata: dict[str, str] = {}
    if not keep_boilerplate:
        # Lines known by what the page says of them (a run of links) or by their whole shape (a
        # byline, a date, a credit: the brief's metadata), with the reason.
        known = _linked_runs([links[index] if index < len(links) else 0.0 for index, _ in lines])
        found = metadata_lines([text if forms[index].kind == PARAGRAPH else "" for index, text in lines])
        metadata = metadata_of(found, [text for _, text in lines])
        known |= {position: line.reason for position, line in found.items()}
        lines, named = _drop_boilerplate(lines, forms, rules, repeated, removed, line_model, known)
    removed.sort(key=lambda line: line.paragraph)
    removed = [RemovedLine(r.paragraph, with_code_spans(r.text), r.reason) for r in removed]
    body = [text for _, text in lines]
    body_forms = [forms[index] for index, _ in lines]
    headline = None
    at = next((i for i, (index, _) in enumerate(lines) if index == named), None)
    head, kicker = _headline_and_kicker(body, body_forms, at)
    if head is not None and len(body) > 1:
        headline = with_code_spans(body[head])
        if kicker is not None and (keep_boilerplate or not _surely_kicker(body[kicker])):
            kicker = None  # "Orden fürs Morden" may be the title its subtitle explains: kept
        if kicker is not None:  # a kicker is metadata, not a paragraph of the story
            removed.append(
                RemovedLine(lines[kicker][0], with_code_spans(body[kicker]), "kicker (above the headline)")
            )
            removed.sort(key=lambda line: line.paragraph)
            metadata.setdefault(KICKER, body[kicker].rstrip(" :"))
        for position in sorted((head, *([] if kicker is None else [kicker])), reverse=True):
            del body[position], body_forms[position]  # what a page put above the headline stays below
    structured = any(form.kind != PARAGRAPH for form in body_forms)
    return CleanText(body, headline, removed, body_forms if structured else [], characters, metadata)


def _headline_and_kicker(
    body: list[str], forms: list[Block], named: int | None
) -> tuple[int | None, int | None]:
    """Where the headline is among the kept lines (the one the line model named, or a first line
    shaped like one), and the kicker right above it, if any. A kicker-shaped line taken for the
    headline gives way to a headline right below it."""
    if named is None:
        if (
            len(body) > 2
            and _kicker(body[0], forms[0])
            and _headline_below_kicker(body[0], body[1], forms[1])
        ):
            return 1, 0
        return (0, None) if body and _headline_form(body[0], forms[0]) else (None, None)
    below = named + 1
    if (
        below < len(body)
        and _kicker(body[named], forms[named])
        and _headline_below_kicker(body[named], body[below], forms[below])
    ):
        return below, named
    return named, (named - 1 if named > 0 and _kicker(body[named - 1], forms[named - 1]) else None)


# A kicker (Dachzeile, rubric) is a few words, no sentence: "Stromausfall in Berlin", "3. Liga".
KICKER_MAX_WORDS = 5
KICKER_MAX_CHARS = 50
KICKER_SURE_WORDS = 2


def _surely_kicker(line: str) -> bool:
    """A rubric ("Gesundheit", "Premier League") or a topic that announces what follows
    ("Waffenlieferungen an Israel:"); three words and more may be a short title instead."""
    return len(line.split()) <= KICKER_SURE_WORDS or line.endswith(":")


def _headline_below_kicker(kicker: str, line: str, form: Block) -> bool:
    """A headline under a kicker: longer than it, and may ask or quote ("Wie sicher ist ...?")."""
    quoted = line[:1] in '„“"»«' and line[-1:] in '“”"«»'
    return (
        form.kind == PARAGRAPH
        and len(kicker) < len(line) <= HEADLINE_MAX_CHARS
        and len(line.split()) >= 3
        and (quoted or not _STATEMENT_END.search(line))
    )


_STATEMENT_END = re.compile(r"[.:;…][\"'“”»«›‹)\]]*$")


def _kicker(line: str, form: Block) -> bool:
    return (
        form.kind == PARAGRAPH
        and (line[:1].isalnum() or line[:1] in '„“"»«')  # not the second half of a split headline
        and len(line) <= KICKER_MAX_CHARS
        and len(line.split()) <= KICKER_MAX_WORDS
        and not FULL_STOP.search(line)
    )


def _headline_form(line: str, form: Block) -> bool:
    """A first line that is the headline: a top heading, or a plain line shaped like a headline."""
    if form.kind == HEADING:
        return form.level == 1 and len(line) <= 2 * HEADLINE_MAX_CHARS
    return form.kind == PARAGRAPH and is_headline(line)


def is_headline(line: str) -> bool:
    """Short, at least two words, and no sentence punctuation at the end."""
    return len(line) <= HEADLINE_MAX_CHARS and len(line.split()) >= 2 and not LINE_END.search(line)


def _drop_boilerplate(
    lines: list[tuple[int, str]],
    forms: Sequence[Block],
    rules: Sequence[Rule],
    repeated: RepeatedLines | None,
    removed: list[RemovedLine],
    model: LineModel | None,
    known: dict[int, str],
) -> tuple[list[tuple[int, str]], int | None]:
    """The lines kept, and the position (as read) of the article's own headline among them where
    the line model found it."""
    kept: list[tuple[int, str]] = []
    heading: tuple[str, Rule] | None = None  # the line that opened a list, and its rule
    if len(lines) < MODEL_MIN_LINES:  # too little context to judge a line by its place in it
        model = None
    # The line model judges each line in the context of the whole document, as it was read.
    rows = line_features([text for _, text in lines]) if model is not None else []
    chances = [model.probability(row) for row in rows] if model is not None else []
    runs: dict[int, str] = {}
    protected = -1  # the article's own headline: never taken for furniture by the model
    if model is not None:
        short = column(rows, "short")
        runs = _runs([p if s else 0.0 for p, s in zip(chances, short, strict=True)], model)
        protected = _headline_candidate(lines, forms, rows, chances, model)
    copies = _copies(lines, forms, [-1.0 if p == protected else c for p, c in enumerate(chances)])
    for position, (index, text) in enumerate(lines):
        if forms[index].kind == CODE:  # code is the author's, never a site's furniture
            heading = None
            kept.append((index, text))
            continue
        rule = next((r for r in rules if r.matches(text)), None)
        # A list item after a heading goes with it: a bulleted one always, another unless the model
        # reads it as the article's (a subheading right after a box: the box ends before it).
        agrees = model is None or bool(_BULLET.match(text)) or chances[position] >= model.run_floor
        if rule is None and heading is not None and _list_item(text) and agrees:
            opener, opened_by = heading
            removed.append(RemovedLine(index, text, opened_by.list_reason.format(heading=opener)))
            continue
        if rule is not None:  # its own reason; a list it is part of goes on after it
            removed.append(RemovedLine(index, text, rule.reason))
            heading = (text, rule) if rule.starts_list else heading
            continue
        heading = None
        if position in copies:
            removed.append(RemovedLine(index, text, copies[position]))
            continue
        if position in known and forms[index].kind == PARAGRAPH:
            removed.append(RemovedLine(index, text, known[position]))
            continue
        if position == protected:
            pass
        elif model is not None and forms[index].kind == PARAGRAPH and chances[position] >= model.threshold:
            why = model.why(rows[position])
            reason = f"line model: boilerplate with probability {chances[position]:.2f} ({why})"
            removed.append(RemovedLine(index, text, reason))
            continue
        elif position in runs and forms[index].kind == PARAGRAPH:
            removed.append(RemovedLine(index, text, runs[position]))
            continue
        # Evidence removes only what looks like boilerplate by its form, and only where the articles
        # that share it are not copies of one text (RepeatedLines): shared sentences, a shared
        # story's headline and subheadings are translated once by the translation memory and kept.
        if repeated is not None and repeated.is_repeated(text):
            count = repeated.articles_with(text)
            removed.append(RemovedLine(index, text, f"repeated in {count} articles of this run"))
        else:
            kept.append((index, text))
    # Headlines of other articles at the very end, with no heading before them.
    trailing = 0
    while (
        trailing < len(kept) - 1
        and forms[kept[-1 - trailing][0]].kind == PARAGRAPH
        and _trailing_item(kept[-1 - trailing][1])
    ):
        trailing += 1
    if trailing >= TRAILING_LIST_MIN_LINES:
        for index, text in kept[-trailing:]:
            removed.append(RemovedLine(index, text, "trailing link list"))
        kept = kept[:-trailing]
    named = lines[protected][0] if protected >= 0 else None
    return kept, (named if any(index == named for index, _ in kept) else None)


# A paragraph of a web page this much the text of one link is a link; two or more in a row, a list
# of other articles.
LINKED_SHARE = 0.8


def _linked_runs(shares: Sequence[float]) -> dict[int, str]:
    """Positions in runs of two or more paragraphs that are each a link's text, with the reason."""
    found: dict[int, str] = {}
    start = 0
    for end in range(len(shares) + 1):
        if end < len(shares) and shares[end] >= LINKED_SHARE:
            continue
        if end - start >= 2:
            found.update(dict.fromkeys(range(start, end), f"links to other pages ({end - start} in a row)"))
        start = end + 1
    return found


def _headline_candidate(
    lines: Sequence[tuple[int, str]],
    forms: Sequence[Block],
    rows: Sequence[Sequence[float]],
    chances: Sequence[float],
    model: LineModel,
) -> int:
    """The position of the article's own headline among the lines before its body: a plain line
    shaped like a headline, not boilerplate by the model, sharing at least half of its content
    words with the body, and of those the most like the body's topic (a section name, a kicker, a
    teaser share fewer); -1 when there is none."""
    before, overlap, shared = (
        column(rows, name) for name in ("before_body", "topic_overlap", "topic_shared")
    )
    candidates = [
        # Two shared words or more first (one says little), then the share of its words the body
        # has, less its probability of boilerplate (a teaser shares words too), then nearest the body.
        (shared[p] >= math.log1p(2), overlap[p] - chances[p], shared[p], p)
        for p, (index, text) in enumerate(lines)
        if before[p]
        and forms[index].kind == PARAGRAPH
        and is_headline(text)
        and overlap[p] >= 0.5
        and chances[p] < model.threshold
    ]
    return max(candidates)[3] if candidates else -1


def _runs(chances: Sequence[float], model: LineModel) -> dict[int, str]:
    """Short lines decided as a block: in a run of two or more that each look more like boilerplate
    than not, the run goes as a unit when it does on average (a teaser box, a breadcrumb). Lines
    given 0 (a long line, a sentence) end a run."""
    decided: dict[int, str] = {}
    start = 0
    count = len(chances)
    for end in range(count + 1):
        if end < count and chances[end] >= model.run_floor:
            continue
        if end - start >= 2:
            logits = [math.log(p / (1 - p)) if p < 1 else 60.0 for p in chances[start:end]]
            mean = 1 / (1 + math.exp(-sum(logits) / len(logits)))
            if mean >= model.run_threshold:
                reason = (
                    f"line model: in a run of {end - start} lines of boilerplate (probability {mean:.2f})"
                )
                decided.update(dict.fromkeys(range(start, end), reason))
        start = end + 1
    return decided


def _copies(
    lines: Sequence[tuple[int, str]], forms: Sequence[Block], chances: Sequence[float]
) -> dict[int, str]:
    """Plain lines an article has more than once, by position in `lines`, with the reason to remove
    them. Three copies or more are a page's furniture (an embed's consent text, "Mehr zum Thema"):
    all go, but for a short label ending in a colon (an interview's "Frage:"). Of two copies (a
    breadcrumb or kicker repeating the headline, a pull quote repeating a body sentence) the one
    that reads least like boilerplate in its place stays: its text is translated once."""
    where: dict[str, list[int]] = defaultdict(list)
    for position, (index, text) in enumerate(lines):
        if forms[index].kind == PARAGRAPH:
            where[text.casefold()].append(position)
    copies: dict[int, str] = {}
    for text, positions in where.items():
        if len(positions) >= REPEATED_IN_ARTICLE and not (text.endswith(":") and len(text.split()) <= 3):
            copies.update(dict.fromkeys(positions, f"repeated {len(positions)} times in this article"))
        elif len(positions) == 2 and chances:
            keep = min(positions, key=lambda position: (chances[position], position))
            other = positions[1] if keep == positions[0] else positions[0]
            copies[other] = f"the same as paragraph {lines[keep][0]}, kept there"
    return copies


def _list_item(line: str) -> bool:
    return bool(_BULLET.match(line)) or (len(line) <= LIST_ITEM_MAX_CHARS and not LINE_END.search(line))


def _trailing_item(line: str) -> bool:
    return not _BULLET.match(line) and len(line) <= TRAILING_ITEM_MAX_CHARS and not LINE_END.search(line)


def normalise(paragraph: str) -> str:
    """NFC, no invisible characters, single spaces."""
    text = unicodedata.normalize("NFC", paragraph)
    return _SPACES.sub(" ", _INVISIBLE.sub("", text)).strip()
