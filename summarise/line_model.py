"""The clean stage's line model: how likely a line of an article is web boilerplate, judged by its
shape, its place in the document and its neighbours, not by its wording.

A logistic model over FEATURES, learnt from a hand-labelled corpus of German news pages (tune split
only: `scripts/train_line_model.py`) and shipped as its coefficients (`line_model.json`). Pure
Python at run time: no training library, a few microseconds a line. Every line it removes records
the model's probability and the features that weighed most for it.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from .text_shape import FULL_STOP

# German (and a few English) function words: prose is full of them, furniture has few
# (jusText's stopword density, with a list of our own: only words with no content).
FUNCTION_WORDS = frozenset(
    """
    der die das des dem den ein eine einer eines einem einen kein keine keiner keines keinem keinen
    und oder aber sondern denn doch jedoch sowie als wie wenn weil dass ob damit obwohl während
    nachdem bevor seit seitdem bis sobald falls indem ohne um zu zum zur im in ins am an ans auf aus
    bei beim mit nach von vom vor über unter zwischen durch für gegen hinter neben trotz wegen
    laut innerhalb außerhalb statt er sie es wir ihr ich du man sich ihm ihn ihnen uns euch mich
    mir dich dir sein seine seiner seines seinem seinen ihre ihrer ihres ihrem ihren unser unsere
    dieser diese dieses diesem diesen jener jene jenes welche welcher welches wer was wo wie warum
    ist sind war waren wird werden wurde wurden worden hat haben hatte hatten habe kann können
    konnte konnten muss müssen musste soll sollen sollte sollten will wollen wollte darf dürfen
    würde würden wäre wären sei seien nicht nur auch noch schon sehr so dann denn da dort hier
    heute nun immer mehr etwa rund fast bereits dabei dazu davon darauf damit daher deshalb also
    zudem außerdem allerdings jedoch the a an and or of to in on at for with by from is are was
    were be been has have had it its that this which who not
    """.split()  # noqa: SIM905 (a word list reads best as words)
)
_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
_DATE_TIME = re.compile(
    r"\b\d{1,2}\.\s?\d{1,2}\.\s?(?:\d{2,4})?\b|\b\d{1,2}[.:]\d{2}\s?uhr\b|\buhr\b"
    r"|\bvor \d+ (?:minuten|stunden|tagen)\b"
    r"|\b(?:januar|februar|märz|april|mai|juni|juli|august|september|oktober|november|dezember)\b"
    r"|\b(?:stand|aktualisiert|veröffentlicht|update)\b",
    re.I,
)
_DURATION = re.compile(r"(?<![\d.,])\d{1,2}:\d{2}(?![\d.,])")
_GLUED = re.compile(r"[a-zäöüß][A-ZÄÖÜ][a-zäöüß]")
# Words of a page's furniture: widgets, prompts, media, navigation, consent; whole words, also as
# the part of a compound ("WAZ-Newsletter", "YouTube-Inhalte").
FURNITURE_WORDS = frozenset(
    """
    teilen drucken merken speichern kopieren vorlesen anhören hören kommentar kommentare kommentieren
    newsletter abo abonnieren abonnent anmelden registrieren login app podcast video videos foto fotos
    bild bilder galerie anzeige werbung partner gutschein spenden unterstützen startseite menü suche
    impressum datenschutz cookie cookies zustimmen einwilligung mehr weiterlesen lesen alle zurück
    weiter themen schlagworte tags ressort rubrik lesezeit min minuten share more read placeholder
    image grafik extern externe externen externer externes anzeigen laden einverstanden übermittelt
    """.split()  # noqa: SIM905 (a word list reads best as words)
)
_LINK_LIKE = re.compile(r"https?://|www\.|\.(?:de|at|ch|com|lu|li)\b|@\w|#\w|©|\(c\)|alle rechte", re.I)
_SEPARATORS = re.compile(r"\s[|›»•·/]\s|\s>\s")
_QUOTE_START = re.compile(r"^[\"„“»«‚']")
_BULLET = re.compile(r"^[-–—•*·▪►]\s|^\d{1,2}[.)]\s")
_DIGIT = re.compile(r"\d")
_CAPS = re.compile(r"\b[A-ZÄÖÜ]{3,}\b")
# A teaser's "Topic: headline" or a kicker glued before a colon: a few words, then ": ".
_KICKER_COLON = re.compile(r"^[^:.!?]{2,40}: \S")

# A line this long, ending like a sentence, is prose: the body lies between the first and the last.
_PROSE_CHARS = 120
_SHORT_CHARS = 100

_NEIGHBOUR = (
    "log_length",
    "ends_sentence",
    "function_share",
    "furniture_words",
    "short",
    "kicker_colon",
    "topic_overlap",
)
OWN = (
    "log_length",
    "log_words",
    "ends_sentence",
    "ends_colon",
    "question",
    "function_share",
    "lower_share",
    "digit_share",
    "date_time",
    "duration",
    "glued",
    "furniture_words",
    "link_like",
    "separators",
    "quote_start",
    "bullet",
    "caps_word",
    "kicker_colon",
    "short",
)
COLUMNS = (
    *OWN,
    "first_line",
    "position",
    "before_body",
    "after_body",
    "topic_overlap",
    "topic_shared",
    "repeated_in_document",
    "inside_another_line",
    "holds_another_line",
    "short_run",
    "short_before_body",
    "short_inside_body",
    "short_after_body",
    "short_off_topic",
    "off_topic_before_body",
    "off_topic_after_body",
    *(f"previous_{name}" for name in _NEIGHBOUR),
    *(f"next_{name}" for name in _NEIGHBOUR),
)


def _own(line: str) -> tuple[dict[str, float], list[str]]:
    """A line's own features, and its content words cut to their first six letters (German inflects
    their ends): what its topic is made of."""
    words = _WORD.findall(line)
    folded = [word.casefold() for word in words]
    count = len(words)
    letters = sum(map(len, words))
    digits = len(_DIGIT.findall(line))
    furniture = sum(any(part in FURNITURE_WORDS for part in word.split("-")) for word in folded)
    features = {
        "log_length": math.log1p(len(line)),
        "log_words": math.log1p(count),
        "ends_sentence": float(FULL_STOP.search(line) is not None and not line.endswith(":")),
        "ends_colon": float(line.endswith(":")),
        "question": float(line.rstrip("\"'“”»«").endswith("?")),
        "function_share": sum(word in FUNCTION_WORDS for word in folded) / count if count else 0.0,
        "lower_share": sum(word[0].islower() for word in words) / count if count else 0.0,
        "digit_share": digits / (letters + digits) if letters + digits else 0.0,
        "date_time": float(_DATE_TIME.search(line) is not None),
        "duration": float(_DURATION.search(line) is not None),
        "glued": float(_GLUED.search(line) is not None),
        "furniture_words": min(3, furniture) / max(1.0, math.sqrt(count)),
        "link_like": float(_LINK_LIKE.search(line) is not None),
        "separators": float(_SEPARATORS.search(line) is not None),
        "quote_start": float(_QUOTE_START.match(line) is not None),
        "bullet": float(_BULLET.match(line) is not None),
        "caps_word": float(_CAPS.search(line) is not None),
        "kicker_colon": float(_KICKER_COLON.match(line) is not None),
        "short": float(len(line) <= _SHORT_CHARS and not line.rstrip("\"'“”»«)").endswith(".")),
    }
    topic = [word[:6] for word in folded if len(word) >= 4 and word not in FUNCTION_WORDS]
    return features, topic


def line_features(lines: Sequence[str]) -> list[list[float]]:
    """Each line's values of COLUMNS, in the context of its document."""
    own, topics = [], []
    for features, topic in map(_own, lines):
        own.append(features)
        topics.append(topic)
    count = len(lines)
    prose = [i for i, line in enumerate(lines) if len(line) >= _PROSE_CHARS and own[i]["ends_sentence"]]
    first_prose, last_prose = (prose[0], prose[-1]) if prose else (count, -1)
    folded = [line.casefold() for line in lines]
    seen = Counter(folded)
    short = [bool(features["short"]) for features in own]
    runs = [0] * count
    start = 0
    for i in range(count + 1):
        if i == count or not short[i]:
            for j in range(start, i):
                runs[j] = i - start
            start = i + 1
    long_lines = "\n".join(text for text in folded if len(text) >= 40)  # searched for each line at once
    others = [text for text in folded if len(text) >= 15]
    # The document's topic: the content words of its prose. A line about this story (its headline,
    # a subheading, a list item) shares them; a teaser of another story or a consent text does not.
    prose_at = set(prose)
    vocabulary = Counter(word for i in prose for word in set(topics[i]))
    for i in range(count):
        own_words = set(topics[i])
        mine_too = i in prose_at  # a prose line's own words are in the vocabulary once: not elsewhere
        elsewhere = [word for word in own_words if vocabulary[word] > mine_too]
        own[i]["topic_overlap"] = len(elsewhere) / len(own_words) if own_words else 0.0
        own[i]["topic_shared"] = math.log1p(len(elsewhere))
    rows = []
    for i in range(count):
        mine = own[i]
        previous = own[i - 1] if i > 0 else None
        following = own[i + 1] if i + 1 < count else None
        text = folded[i]
        copies = seen[text] if len(text) >= 40 else 0  # its own copies among the long lines
        inside = len(text) >= 15 and long_lines.count(text) > copies
        holds = len(text) >= 30 and any(other in text and text != other for other in others)
        before, after = i < first_prose, i > last_prose
        off_topic = 1.0 - mine["topic_overlap"] if topics[i] else 0.0
        context = {
            "first_line": float(i == 0),
            "position": i / (count - 1) if count > 1 else 0.0,
            "before_body": float(before),
            "after_body": float(after),
            "repeated_in_document": math.log(seen[text]),
            "inside_another_line": float(inside),
            "holds_another_line": float(holds),
            "short_run": math.log1p(runs[i]),
            "short_before_body": mine["short"] * before,
            "short_inside_body": mine["short"] * (not before and not after),
            "short_after_body": mine["short"] * after,
            "short_off_topic": mine["short"] * off_topic,
            "off_topic_before_body": off_topic * before,
            "off_topic_after_body": off_topic * after,
        }
        for side, near in (("previous", previous), ("next", following)):
            for name in _NEIGHBOUR:
                context[f"{side}_{name}"] = near[name] if near is not None else 0.0
        rows.append([mine[name] if name in mine else context[name] for name in COLUMNS])
    return rows


# What the model reads of COLUMNS (the rest serves the clean stage: the headline's choice).
FEATURES = tuple(name for name in COLUMNS if name != "topic_shared")


def column(rows: Sequence[Sequence[float]], name: str) -> list[float]:
    """One column's values, line by line."""
    at = COLUMNS.index(name)
    return [row[at] for row in rows]


@dataclass(frozen=True)
class LineModel:
    """A logistic model over FEATURES: standardised values, weights, bias, and the probability of
    boilerplate above which a line is removed (chosen for precision: an article line is worth
    more than a boilerplate line). Short lines are also decided as blocks: a run of lines each at
    least `run_floor` goes as a unit when its mean logit is at least that of `run_threshold`."""

    names: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float
    threshold: float
    run_floor: float = 0.7
    run_threshold: float = 0.97

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LineModel:
        names = tuple(str(name) for name in data["names"])
        if names != FEATURES:
            raise ValueError("the line model was trained on other features")
        numbers = {key: tuple(float(v) for v in data[key]) for key in ("mean", "scale", "weights")}
        return cls(
            names,
            numbers["mean"],
            numbers["scale"],
            numbers["weights"],
            *(float(data[key]) for key in ("bias", "threshold", "run_floor", "run_threshold")),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "names": list(self.names),
            "mean": [round(v, 6) for v in self.mean],
            "scale": [round(v, 6) for v in self.scale],
            "weights": [round(v, 6) for v in self.weights],
            "bias": round(self.bias, 6),
            "threshold": round(self.threshold, 4),
            "run_floor": round(self.run_floor, 4),
            "run_threshold": round(self.run_threshold, 4),
        }

    def contributions(self, row: Sequence[float]) -> list[float]:
        """Each feature's part of the logit, for a row of COLUMNS."""
        values = [row[at] for at in _FEATURE_AT]
        return [
            w * (x - m) / s for w, x, m, s in zip(self.weights, values, self.mean, self.scale, strict=True)
        ]

    def probability(self, row: Sequence[float]) -> float:
        logit = self.bias + sum(self.contributions(row))
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, logit))))

    def why(self, row: Sequence[float], count: int = 3) -> str:
        """The features that pushed a line most towards boilerplate, in words for its reason: "low
        topic overlap", "after body", "not ends sentence"."""
        values = [row[at] for at in _FEATURE_AT]
        ranked = sorted(
            zip(self.contributions(row), self.names, values, self.mean, strict=True), reverse=True
        )
        words = []
        for part, name, value, mean in ranked[:count]:
            if part <= 0:
                break
            label = name.replace("_", " ")
            if value in (0.0, 1.0) and mean <= 1.0:  # a yes-or-no feature
                words.append(label if value else f"not {label}")
            else:
                words.append(f"{'high' if value > mean else 'low'} {label}")
        return ", ".join(words)


_FEATURE_AT = tuple(COLUMNS.index(name) for name in FEATURES)


@lru_cache(maxsize=1)
def shipped_model() -> LineModel:
    """The model shipped with summarise (line_model.json)."""
    text = resources.files(__package__).joinpath("line_model.json").read_text("utf-8")
    return LineModel.from_json(json.loads(text))
