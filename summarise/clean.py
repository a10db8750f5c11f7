"""Clean stage: normalise the text of each paragraph before segmentation.

Boilerplate removal (subscription prompts, link lists, disclaimers) belongs here too; until it
lands, this stage only normalises characters that confuse the splitter and the tokenizers, and
records what it dropped so that nothing disappears silently.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

# Invisible characters that carry no text: zero-width spaces and joiners, soft hyphens, BOMs.
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class RemovedLine:
    paragraph: int
    text: str
    reason: str


@dataclass
class CleanText:
    paragraphs: list[str]
    removed: list[RemovedLine] = field(default_factory=list)


def clean_paragraphs(paragraphs: list[str]) -> CleanText:
    """NFC-normalise, drop invisible characters and collapse runs of white space."""
    kept: list[str] = []
    removed: list[RemovedLine] = []
    for index, paragraph in enumerate(paragraphs):
        text = unicodedata.normalize("NFC", paragraph)
        text = _SPACES.sub(" ", _INVISIBLE.sub("", text)).strip()
        if text:
            kept.append(text)
        else:
            removed.append(RemovedLine(index, paragraph, "no visible text"))
    return CleanText(kept, removed)
