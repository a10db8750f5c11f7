"""Calibrate the faithfulness guard's length band and repetition test on human translations.

Reads the German message catalogues (gettext .mo files) that Debian installs: tens of thousands of
English strings with their German translations, all written by people. Prints the distribution of
English/German character ratios and how many human translations each check of the guard would
flag (its false-alarm rate on good translations).

    python scripts/calibrate_guard.py [CATALOGUE_GLOB ...]
"""

from __future__ import annotations

import sys

from message_catalogues import catalogue_globs, message_pairs

from summarise.brief import REPETITION, TOO_LONG, TOO_SHORT
from summarise.guard import GuardSettings, check_segment


def pairs(patterns: list[str]) -> list[tuple[str, str]]:
    """(German, English) sentence pairs of 20+ German characters and 3+ English words."""
    found = {
        german: english
        for english, german in message_pairs(patterns)
        if len(german) >= 20 and len(english.split()) >= 3
    }
    return list(found.items())


def main() -> None:
    data = pairs(sys.argv[1:] or catalogue_globs("de"))
    if not data:
        sys.exit("no German message catalogues found (Debian: /usr/share/locale/de/LC_MESSAGES)")
    ratios = sorted(len(en) / len(de) for de, en in data)
    print(f"{len(data)} German/English pairs (20+ German characters)")
    for p in (0.001, 0.005, 0.01, 0.5, 0.99, 0.995, 0.999):
        ratio = ratios[int(p * (len(ratios) - 1))]
        print(f"  English/German characters, {p * 100:5.1f}th percentile: {ratio:.2f}")
    settings = GuardSettings()
    flagged = {TOO_SHORT: 0, TOO_LONG: 0, REPETITION: 0}
    for de, en in data:
        for reason in check_segment(de, en, None, settings):
            flagged[reason] += 1
    inside = sum(settings.min_length_ratio <= r <= settings.max_length_ratio for r in ratios)
    band = f"{settings.min_length_ratio}-{settings.max_length_ratio}"
    print(f"band {band}: {inside / len(ratios):.2%} of pairs inside")
    for reason, count in flagged.items():
        print(f"  human translations flagged {reason}: {count} ({count / len(data):.3%})")


if __name__ == "__main__":
    main()
