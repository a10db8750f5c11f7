"""The plain-text reader: paragraphs by blank lines, and hard-wrapped lines joined again (an
e-mail, a terminal copy, a news agency's 72-column text)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from .source_text import Parsed, decode
from .text_shape import LINE_END


def parse(data: bytes, path: Path) -> Parsed:
    text, encoding, warnings = decode(data, path)
    return Parsed(split_paragraphs(text), encoding, warnings)


def split_paragraphs(text: str) -> list[str]:
    """Split text into paragraphs.

    News text arrives two ways: one paragraph per line, or paragraphs hard-wrapped at a fixed
    width. Lines are joined only where the evidence of the whole text says it is wrapped
    (`wrap_width`), and then only where the width forced the break (`join_wrapped`): a short line,
    a headline, a label after prose, the end of a paragraph stays a line of its own. Time and
    memory are linear in the number of lines.
    """
    lines = [line.strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return join_wrapped(lines, wrap_width(lines))


def join_wrapped(
    lines: Sequence[str],
    width: int | None,
    written: Sequence[str] | None = None,
    kept_breaks: frozenset[int] = frozenset(),
) -> list[str]:
    """Lines (blank ones end a paragraph) -> paragraphs, joining a line to the next where text
    wrapped at `width` (None: not wrapped) broke it. `written`: the lines as written, where that
    differs from their text (Markdown's link targets and markup); `kept_breaks`: lines whose break
    the writer made (a Markdown hard break), never joined."""
    if width is None:
        return [line for line in lines if line]
    source = written if written is not None else lines
    count = len(lines)

    def goes_on(index: int) -> bool:  # the width broke line `index` (the next word did not fit)
        following = source[index + 1] if index + 1 < count else ""
        return bool(following) and index not in kept_breaks and _forced_break(source[index], following, width)

    paragraphs: list[str] = []
    current: list[str] = []  # the lines of the paragraph being joined
    size = 0
    first = next((i for i, line in enumerate(lines) if line), -1)
    for index, line in enumerate(lines):
        if not line:
            _close(current, paragraphs)
            current, size = [], 0
            continue
        current.append(line)
        size += len(line)
        following = lines[index + 1] if index + 1 < count else ""
        joined = (
            goes_on(index)
            and not _BULLET_START.match(following)
            and not (index == first and _headline_shaped(line, following))
            # The last line of a wrapped paragraph ends a sentence; a line that does not and
            # goes on nowhere ("Artikel teilen", a newsletter prompt) is a label of its own.
            and (LINE_END.search(following) is not None or goes_on(index + 1))
            and size <= MAX_JOINED_CHARS
        )
        if not joined:
            _close(current, paragraphs)
            current, size = [], 0
    _close(current, paragraphs)
    return paragraphs


# A joined paragraph closes at the next line break after this many characters, whatever the
# evidence: a wrapped text without any blank line must not become one paragraph of megabytes.
MAX_JOINED_CHARS = 4000
# Evidence of hard wrapping: enough lines inside blocks, most of them broken where the width forced
# it (the next word would not have fitted), and most of those breaking a sentence.
_MIN_INNER_LINES = 3
_MIN_FORCED_SHARE = 0.6
_MIN_MID_SENTENCE_SHARE = 0.5
_MAX_WRAP_WIDTH = 100


def wrap_width(lines: Sequence[str], written: Sequence[str] | None = None) -> int | None:
    """The width a text (all of it: a paragraph alone is no evidence) is hard-wrapped at, or None
    when the evidence says it is not wrapped. `written`: the lines as written (see join_wrapped)."""
    source = written if written is not None else lines
    # Only a line followed by another in the same block can have been wrapped.
    inner = [(source[i], lines[i], source[i + 1]) for i in range(len(lines) - 1) if lines[i] and lines[i + 1]]
    if len(inner) < _MIN_INNER_LINES:
        return None
    # The wrap width: the longest such line, but for the few that a word too long to break (a link)
    # pushed past it.
    ordered = sorted(len(line) for line, _, _ in inner)
    width = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    if width > _MAX_WRAP_WIDTH:
        return None
    forced = [text for line, text, following in inner if _forced_break(line, following, width)]
    if len(forced) < _MIN_FORCED_SHARE * len(inner):
        return None
    mid_sentence = sum(1 for line in forced if not LINE_END.search(line))
    return width if mid_sentence >= _MIN_MID_SENTENCE_SHARE * len(forced) else None


def _forced_break(line: str, following: str, width: int) -> bool:
    """Did the width end `line`? A wrapper breaks a line only when the next word would not fit."""
    return len(line) + 1 + len(following.split(" ", 1)[0]) > width


def _headline_shaped(line: str, following: str) -> bool:
    """A first line that reads as a headline: short, several words, no closing punctuation, and the
    text after it opens a sentence. (German capitalises nouns, so a capital letter alone says
    nothing; a capitalised article, pronoun or preposition, a quote or a dateline does.)"""
    return (
        len(line) <= 150
        and len(line.split()) >= 2
        and not LINE_END.search(line)
        and _OPENS_SENTENCE.match(following) is not None
    )


# What begins a sentence and hardly ever stands capitalised inside one.
_OPENS_SENTENCE = re.compile(
    r"""^(?:["„“»«‚'(\[]|\d|[A-ZÄÖÜ]{2,}[\s,(/]|(?:Der|Die|Das|Den|Dem|Des|Ein|Eine|Einen|Einem|Einer|"""
    r"""Er|Es|Wir|Ich|Man|Im|In|Am|An|Auf|Aus|Nach|Mit|Bei|Vor|Für|Seit|Trotz|Wegen|Laut|Wie|Was|"""
    r"""Wer|Wenn|Als|Auch|Doch|Aber|Nun|So|Dabei|Damit|Dort|Diese|Dieser|Dieses|Zudem|The|A|On|At)\b)"""
)
_BULLET_START = re.compile(r"^(?:[-–—•*·▪►]|\d{1,3}[.)])\s")


# After a dangling hyphen these words start a new word: "Nord- und Süddeutschland".
_JOINING_WORDS = frozenset({"und", "oder", "bis", "sowie", "bzw", "als", "wie", "and", "or", "to"})


def _close(current: list[str], paragraphs: list[str]) -> None:
    """Join a paragraph's lines: with a space, or with none after a hyphen that a wrapper broke a
    word at (`E-` / `Mail`, `Bundes-` / `regierung`), which keeps the hyphen."""
    if not current:
        return
    text = current[0]
    for line in current[1:]:
        broken_word = text.endswith("-") and text[-2:-1].isalpha() and line[:1].isalpha()
        if broken_word and line.split(" ", 1)[0].rstrip(",.") not in _JOINING_WORDS:
            text += line
        else:
            text += " " + line
    paragraphs.append(text)
