"""Human translations that every Debian system carries: the gettext message catalogues.

Each entry is an English program message and its translation, written by people. Used offline to
calibrate the faithfulness guard (calibrate_guard.py) and to compare language detectors
(compare_language_detectors.py).
"""

from __future__ import annotations

import gettext
import glob
import re
from collections.abc import Iterator

_MARKUP = re.compile(r"%\S+|\{[^}]*\}|[_&~]")  # printf/format placeholders and accelerator keys


def catalogue_globs(language: str) -> list[str]:
    return [
        f"/usr/share/locale/{language}/LC_MESSAGES/*.mo",
        f"/usr/share/*/lang/{language}/LC_MESSAGES/*.mo",
    ]


def message_pairs(patterns: list[str]) -> Iterator[tuple[str, str]]:
    """(English, translation) of every message in the catalogues matching `patterns`, as plain text."""
    for pattern in patterns:
        for path in sorted(glob.glob(pattern)):
            try:
                with open(path, "rb") as handle:
                    catalogue = gettext.GNUTranslations(handle)._catalog  # type: ignore[attr-defined]
            except (OSError, UnicodeDecodeError):
                continue
            for english, translated in catalogue.items():
                if isinstance(english, str) and english and isinstance(translated, str) and translated:
                    yield _plain(english), _plain(translated)


def _plain(text: str) -> str:
    return " ".join(_MARKUP.sub("", text).split())
