"""Lines of an article's page that say who wrote it, when, and whose picture it is.

The clean stage takes them out of the text to translate (a byline or "Stand: 16.05.2024" is not a
paragraph of the story) and keeps what they say as the brief's metadata: the author and the date.
Photo credits and captions that carry a credit are recognised by that credit and only removed.

Precision first: a line is recognised only when all of it has the shape (a byline is "Von" and
names, each of at least two words, or an agency); a sentence that merely starts the same way
("Von Berlin aus fuhr er ...", "Von Tätern und Opfern") is not a byline.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence
from dataclasses import dataclass

from .text_shape import FULL_STOP

AUTHOR = "author"
DATE = "date"
KICKER = "kicker"  # set by the clean stage, which knows where the headline is

_AGENCY = r"(?i:dpa|afp|ap|reuters|rtr|kna|epd|sid|apa|sda|dts|ots|ddp|anp)"
_PARTICLE = r"(?:von|van|de|der|den|del|da|di|du|le|la|zu|ten|bin|al)"
_CAPITALISED = r"(?:Dr\.|Prof\.|[A-ZÄÖÜÉÈÁÀÓÍÚŁŠŽČ][\w'’-]*\.?)"
# A person: two to five words, capitalised ("Jens Kassner", "JÖRG ZSCHOCHE", "Ursula von der
# Leyen", "Dr. Max Kolter"); an agency alone ("dpa").
_PERSON = rf"(?:{_CAPITALISED}(?:\s+(?:{_PARTICLE}\s+)*{_CAPITALISED}){{1,4}}|{_AGENCY})"
_NAMES = rf"{_PERSON}(?:\s*(?:,|\bund\b|&|\band\b)\s*{_PERSON})*"
# After the names: ", dpa", ", Frankfurt", "(dpa)".
_BYLINE_TAIL = rf"(?:\s*,\s*{_CAPITALISED}|\s*\(\s*{_AGENCY}\s*\))?"
_BYLINE_OPENER = (
    r"(?i:(?:(?:ein(?:e|en)?\s+)?(?:kommentar|analyse|gastbeitrag|reportage|essay|kolumne|glosse"
    r"|interview)\s+)?(?:von|by)\s*:?|(?:autor(?:in)?|autoren|text|verfasst\s+von)\s*:)"
)
_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("januar", "jan", "jänner", "jän"),
            ("februar", "feb", "febr"),
            ("märz", "mär", "mrz"),
            ("april", "apr"),
            ("mai",),
            ("juni", "jun"),
            ("juli", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("oktober", "okt"),
            ("november", "nov"),
            ("dezember", "dez"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = "(?i:" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_WEEKDAY = (
    r"(?i:(?:montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag|mo|di|mi|do|fr|sa|so)\.?,?\s+)"
)
_DAY_FIRST = (
    rf"(?P<day>\d{{1,2}})\.\s?(?:(?P<month>\d{{1,2}})\.\s?|(?P<month_name>{_MONTH})\s+)"
    r"(?P<year>\d{4}|\d{2})"
)
_ISO_DATE = r"(?P<iso>\d{4}-\d{2}-\d{2})"
_TIME = r"(?i:\s*(?:,|-|–|\||um|/)?\s*\d{1,2}[:.]\d{2}(?:\s*uhr)?(?:\s*\(?(?:mez|mesz|cet|cest|utc)\)?)?)"
_DATE_OPENER = (
    r"(?i:(?:stand|veröffentlicht|erschienen|aktualisiert|zuletzt\s+aktualisiert|akt\.|publiziert"
    r"|update|erstellt|geändert|datum)(?:\s+(?:am|um|vom))?\s*:?\s*)"
)
_RELATIVE = (
    r"(?i:vor\s+\d{1,3}\s+(?:sekunden|minuten|min\.?|stunden|std\.?|tagen)"
    r"|(?:heute|gestern),?\s+\d{1,2}[:.]\d{2}(?:\s*uhr)?)"
)

_BYLINE = re.compile(
    rf"^(?:{_BYLINE_OPENER})\s*(?P<names>{_NAMES}){_BYLINE_TAIL}"
    rf"(?:\s*[,|•·]?\s*(?:{_DATE_OPENER})?(?:{_WEEKDAY})?(?:{_DAY_FIRST}|{_ISO_DATE}){_TIME}?)?\s*,?$"
)
# "Von" alone, the names on the next line (pages that set the opener apart).
_BYLINE_OPENER_ALONE = re.compile(rf"^(?:{_BYLINE_OPENER})$")
_NAMES_ALONE = re.compile(rf"^(?P<names>{_NAMES}){_BYLINE_TAIL}\s*,?$")
_DATE_LINE = re.compile(
    rf"^{_DATE_OPENER}?(?:{_WEEKDAY})?(?:(?:{_DAY_FIRST}|{_ISO_DATE}){_TIME}?|{_RELATIVE})\s*[,|]?$",
    re.IGNORECASE,
)
_CREDIT_WORD = r"(?:foto|fotos|bild|bilder|quelle|grafik|illustration|abbildung|video|image)"
_CREDIT_AGENCY = re.compile(
    r"\b(?:dpa|afp|ap|reuters|getty\s+images|imago|epa|picture[\s-]alliance|istock|shutterstock|"
    r"keystone|apa|sid|kna|epd|action\s+press|funke\s+foto\s+services|xinhua|ddp)\b",
    re.IGNORECASE,
)
# A credit on its own line: "Foto: ...", "© ...", "Bild © ...", "Quelle: dpa".
_CREDIT = re.compile(
    rf"^(?:{_CREDIT_WORD}\s*(?:\[m\])?\s*(?::|©)|©|\(c\)|copyright:)\s*\S.{{0,100}}$", re.IGNORECASE
)
# A picture agency's credit: "STR/AFP via Getty Images", "(AFP / ISHARA S. KODIKARA)", "sid/dpa".
_AGENCY_CREDIT = re.compile(
    rf"^\(?[^.!?/|]{{0,60}}(?:[/|]|\bvia\b)[^!?]{{0,80}}\)?$|^\(?{_AGENCY}(?:\s*[/,]\s*{_AGENCY})*\)?$"
)
# A caption that ends in its picture's credit: "Erst fiel der linke Kühlturm. Foto: Peter Kneffel/dpa".
_CREDIT_TEXT = r"(?:[^!?©.]|\.(?=\S)){2,80}"
_CAPTIONED = re.compile(
    rf"^.{{10,300}}?(?:[.!?\"“”)]|,)\s+(?:\(\s*)?(?:(?:foto|fotos|bild|bilder|grafik)\s*(?:\[m\])?\s*(?::|©)|©)"
    rf"\s*{_CREDIT_TEXT}\)?$",
    re.IGNORECASE,
)
_CREDIT_MAX_CHARS = 120
_CREDIT_MAX_WORDS = 12


@dataclass(frozen=True)
class MetadataLine:
    reason: str  # why the line is not part of the text to translate
    field: str = ""  # the brief's metadata key it gives (AUTHOR, DATE), "" for none
    value: str = ""


def metadata_lines(lines: Sequence[str]) -> dict[int, MetadataLine]:
    """The lines (by position) that are an article's metadata, with what each says."""
    found: dict[int, MetadataLine] = {}
    for position, line in enumerate(lines):
        if len(line) > _CREDIT_MAX_CHARS * 3:
            continue
        byline = _BYLINE.match(line)
        if byline:
            found[position] = MetadataLine("byline", AUTHOR, _names(byline["names"]))
            continue
        if _BYLINE_OPENER_ALONE.match(line) and position + 1 < len(lines):
            names = _NAMES_ALONE.match(lines[position + 1])
            if names and len(lines[position + 1]) <= 100:
                found[position] = MetadataLine("byline")
                found[position + 1] = MetadataLine("byline", AUTHOR, _names(names["names"]))
                continue
        if position in found:
            continue
        dated = _DATE_LINE.match(line)
        if dated:
            found[position] = MetadataLine("date line", DATE, _iso_date(dated) or "")
        elif _credit_shaped(line) and (
            _CREDIT.match(line) or (_AGENCY_CREDIT.match(line) and _CREDIT_AGENCY.search(line))
        ):
            found[position] = MetadataLine("photo credit or source")
        elif _CAPTIONED.match(line) and not _CREDIT_TAIL_IN_QUOTE.search(line):
            found[position] = MetadataLine("image caption (with its credit)")
    return found


# "Foto:" inside quotes or brackets that close later belongs to a sentence, not to a credit.
_CREDIT_TAIL_IN_QUOTE = re.compile(r"[„“\"»][^„“\"»«]*$")


def metadata_of(found: dict[int, MetadataLine], lines: Sequence[str]) -> dict[str, str]:
    """The brief's metadata from the recognised lines: the first author and the first date above
    the body (a byline further down belongs to a teaser of another article)."""
    body = next(
        (p for p, line in enumerate(lines) if len(line) >= _BODY_MIN_CHARS and FULL_STOP.search(line)),
        len(lines),
    )
    metadata: dict[str, str] = {}
    for position in sorted(found):
        line = found[position]
        if position < body and line.field and line.value and line.field not in metadata:
            metadata[line.field] = line.value
    return metadata


# The body begins with the first line this long that ends like a sentence.
_BODY_MIN_CHARS = 150


def _credit_shaped(line: str) -> bool:
    return len(line) <= _CREDIT_MAX_CHARS and len(line.split()) <= _CREDIT_MAX_WORDS


def _names(names: str) -> str:
    return " ".join(names.split()).strip(" ,")


def _iso_date(match: re.Match[str]) -> str | None:
    """The date of a date line as YYYY-MM-DD (as a web page's metadata gives it), or None."""
    groups = match.groupdict()
    if groups.get("iso"):
        return str(groups["iso"])
    if not groups.get("day"):
        return None  # "vor 14 Minuten": relative to a time the text does not say
    year = int(groups["year"])
    year += 2000 if year < 100 else 0
    month = int(groups["month"]) if groups.get("month") else _MONTHS[groups["month_name"].lower().rstrip(".")]
    try:
        return datetime.date(year, month, int(groups["day"])).isoformat()
    except ValueError:
        return None
