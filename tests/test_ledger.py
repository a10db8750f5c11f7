"""The output folder's ledger (issue 11): a re-run lists the articles that did not change without
reading them, and anything the ledger cannot vouch for takes the ordinary way. The measure of it
being right: a run without the ledger, over the same folder, finds nothing to rewrite."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import pytest
from support import options

from summarise.ledger import LEDGER_NAME
from summarise.pipeline import run
from summarise.read import Article, InputFile, read_article
from summarise.report import RunReport

FOOTER = "Folgen Sie der Redaktion auf Mastodon"
ARTICLES = {
    "a.txt": f"Putin traf Kim in Pjöngjang. Sie sprachen zwei Stunden.\n\n{FOOTER}",
    "b.txt": f"Die Bahn streikt am Montag. Viele Züge fallen aus.\n\n{FOOTER}",
    "c.txt": "Der Winter kommt früh. Es schneit in den Alpen.",
    "d.txt": "Die Preise steigen weiter. Das Brot wird teurer.",
}
OLD = 1_600_000_000  # 2020: an article written long before the run


def aged(folder: Path) -> None:
    """Articles last changed long ago (one changed just now is read again next time: see below)."""
    for path in folder.iterdir():
        os.utime(path, (OLD, OLD))


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The articles a run reads from disk."""
    read: list[Path] = []

    def counting(source: InputFile, max_bytes: int) -> Article:
        read.append(source.path)
        return read_article(source, max_bytes)

    monkeypatch.setattr("summarise.read.read_article", counting)
    return read


def write_inbox(tmp_path: Path, files: Mapping[str, str | bytes]) -> Path:
    inbox = tmp_path / "inbox"
    inbox.mkdir(exist_ok=True)
    for name, text in files.items():
        if isinstance(text, bytes):
            (inbox / name).write_bytes(text)
        else:
            (inbox / name).write_text(text, encoding="utf-8")
    aged(inbox)
    return inbox


def outputs_of(out: Path) -> dict[str, tuple[int, bytes]]:
    """Every brief file: its modification time and bytes (the digest and the ledger aside)."""
    return {
        p.name: (p.stat().st_mtime_ns, p.read_bytes())
        for p in sorted(out.iterdir())
        if not p.name.startswith((".", "digest"))
    }


def sentinel_times(out: Path) -> None:
    for name in outputs_of(out):
        os.utime(out / name, ns=(1, 1))  # any rewrite changes it


def brief_run(inbox: Path, out: Path, marian: Path, bart: Path) -> RunReport:
    report = run([inbox], options(out, marian, bart))
    assert report.exit_code == 0, report.failures
    return report


def briefed(tmp_path: Path, marian: Path, bart: Path) -> tuple[Path, Path]:
    """An inbox of ARTICLES, long unchanged, briefed once: (inbox, output folder)."""
    inbox = write_inbox(tmp_path, ARTICLES)
    out = tmp_path / "out"
    brief_run(inbox, out, marian, bart)
    return inbox, out


def test_an_unchanged_folder_is_listed_without_reading_a_single_article(
    tmp_path: Path, copy_marian: Path, tiny_bart: Path, reads: list[Path], caplog: pytest.LogCaptureFixture
) -> None:
    broken_utf8 = "Der Zug fährt ab. Er fährt nach Köln.".encode() + b"\xff"
    inbox = write_inbox(tmp_path, {**ARTICLES, "e.txt": broken_utf8})
    out = tmp_path / "out"
    first = brief_run(inbox, out, copy_marian, tiny_bart)
    assert (out / LEDGER_NAME).is_file() and len(reads) == 5
    before = outputs_of(out)
    reads.clear()
    caplog.clear()
    again = brief_run(inbox, out, copy_marian, tiny_bart)
    assert reads == []  # nothing read, cleaned, looked up or rendered
    assert outputs_of(out) == before  # nothing rewritten (times to the nanosecond)
    assert all(a.cached and not a.rewritten for a in again.articles)
    assert [a.card for a in again.articles] == [a.card for a in first.articles]
    assert again.articles[0].brief == first.articles[0].brief  # the whole brief, from its JSON
    digest = (out / "digest.md").read_text(encoding="utf-8")
    assert digest.startswith("# Digest: 5 articles, ") and "_5 new today · updated " in digest  # today's
    # A warning recorded in a brief is said again when the brief is listed, as a cached run did.
    assert "e.txt: 1 invalid UTF-8 sequence replaced with U+FFFD" in caplog.text


def test_what_the_ledger_cannot_vouch_for_is_made_again(
    tmp_path: Path, copy_marian: Path, tiny_bart: Path, reads: list[Path]
) -> None:
    inbox, out = briefed(tmp_path, copy_marian, tiny_bart)
    a_before = json.loads((out / "a.json").read_text(encoding="utf-8"))
    assert not a_before["cleaning"]["removed"]  # the footer is in two articles: not evidence yet
    # The same size and the same modification time, other words: the change time tells.
    (inbox / "c.txt").write_text(ARTICLES["c.txt"].replace("früh", "spät"), encoding="utf-8")
    os.utime(inbox / "c.txt", (OLD, OLD))
    (out / "d.md").unlink()  # a brief deleted by hand
    json_path = out / "b.json"
    json_path.write_text(
        json_path.read_text(encoding="utf-8").replace("Montag", "Dienstag"), encoding="utf-8"
    )
    # A new article with the footer makes it boilerplate by evidence: a and b, unchanged files,
    # must be cleaned again.
    write_inbox(tmp_path, {"f.txt": f"Ein neuer Bericht beginnt. Er endet bald.\n\n{FOOTER}"})
    reads.clear()
    report = brief_run(inbox, out, copy_marian, tiny_bart)
    assert sorted(p.name for p in reads) == ["a.txt", "b.txt", "c.txt", "d.txt", "f.txt"]
    remade = {a.source.path.name for a in report.articles if a.rewritten}
    assert remade == {"a.txt", "b.txt", "c.txt", "d.txt", "f.txt"}
    assert "spät" in (out / "c.json").read_text(encoding="utf-8")
    assert (out / "d.md").is_file() and "Dienstag" not in json_path.read_text(encoding="utf-8")
    a_after = json.loads((out / "a.json").read_text(encoding="utf-8"))
    assert [r["reason"] for r in a_after["cleaning"]["removed"]] == ["repeated in 3 articles of this run"]
    # What the ledger vouched for is what the ordinary way gives: without it, nothing to rewrite.
    sentinel_times(out)
    before = outputs_of(out)
    (out / LEDGER_NAME).unlink()
    brief_run(inbox, out, copy_marian, tiny_bart)
    assert outputs_of(out) == before


def test_an_article_changed_just_now_is_read_again_next_time(
    tmp_path: Path, copy_marian: Path, tiny_bart: Path, reads: list[Path]
) -> None:
    inbox = write_inbox(tmp_path, ARTICLES)
    (inbox / "a.txt").write_text(ARTICLES["a.txt"], encoding="utf-8")  # now: within a clock tick
    out = tmp_path / "out"
    brief_run(inbox, out, copy_marian, tiny_bart)
    reads.clear()
    brief_run(inbox, out, copy_marian, tiny_bart)
    assert [p.name for p in reads] == ["a.txt"]


def test_another_option_a_path_typed_otherwise_or_a_broken_ledger_takes_the_ordinary_way(
    tmp_path: Path, copy_marian: Path, tiny_bart: Path, reads: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox, out = briefed(tmp_path, copy_marian, tiny_bart)
    reads.clear()
    kept = replace(options(out, copy_marian, tiny_bart), keep_boilerplate=True)
    assert run([inbox], kept).exit_code == 0
    assert len(reads) == 4
    # The brief records the path as given: named another way, the briefs say so.
    monkeypatch.chdir(tmp_path)
    reads.clear()
    assert run([Path("inbox")], kept).exit_code == 0
    assert len(reads) == 4
    assert json.loads((out / "a.json").read_text(encoding="utf-8"))["source"]["path"] == "inbox/a.txt"
    # A ledger that is not one (cut short, edited) is ignored and written anew.
    (out / LEDGER_NAME).write_text('{"format": 1, "context": "', encoding="utf-8")
    reads.clear()
    assert run([Path("inbox")], kept).exit_code == 0
    assert len(reads) == 4
    assert json.loads((out / LEDGER_NAME).read_text(encoding="utf-8"))["format"] == 1
    reads.clear()
    assert run([Path("inbox")], kept).exit_code == 0
    assert reads == []
    # Planted in the output folder: a link to an endless device is not read, and is replaced.
    (out / LEDGER_NAME).unlink()
    (out / LEDGER_NAME).symlink_to("/dev/zero")
    assert run([Path("inbox")], kept).exit_code == 0
    assert not (out / LEDGER_NAME).is_symlink() and (out / LEDGER_NAME).stat().st_size > 0
    # A folder in its place: not read, not replaced (nothing of the user's is removed), no shortcut.
    (out / LEDGER_NAME).unlink()
    (out / LEDGER_NAME).mkdir()
    reads.clear()
    assert run([Path("inbox")], kept).exit_code == 0
    assert len(reads) == 4 and (out / LEDGER_NAME).is_dir()


def test_a_run_stopped_part_way_keeps_the_ledger_of_the_articles_it_did_not_reach(
    tmp_path: Path, copy_marian: Path, tiny_bart: Path, reads: list[Path]
) -> None:
    inbox, out = briefed(tmp_path, copy_marian, tiny_bart)
    # Polled once per article by the evidence pass, then once per article: stopped before the second.
    polls = iter([False] * (len(ARTICLES) + 1) + [True])
    stopped = run([inbox], options(out, copy_marian, tiny_bart), should_stop=lambda: next(polls, True))
    assert stopped.interrupted and len(stopped.articles) == 1
    reads.clear()
    brief_run(inbox, out, copy_marian, tiny_bart)
    assert reads == []
