"""The seed articles as material for the scripts' made-up articles and local models."""

from __future__ import annotations

import re
from pathlib import Path

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def seed_lines() -> list[str]:
    """Every non-empty line of the seed articles (text to train a local model's tokenizer on)."""
    return [
        line
        for path in sorted(SEEDS.glob("*.txt"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def seed_sentences() -> list[str]:
    """The seeds' sentences longer than 40 characters (cut at a full stop, roughly): made-up
    articles of three or four of them read like news to every stage."""
    return [
        s.strip() for line in seed_lines() for s in re.split(r"(?<=[.!?])\s+", line) if len(s.strip()) > 40
    ]
