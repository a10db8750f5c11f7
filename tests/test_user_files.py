"""Nothing of the user's lost or overwritten, and only what the user pointed at is read (issue 21):
the cache removes only what it made, an output never replaces a file summarise did not write,
two articles never share an output, links out of an input folder are not followed, and `brief`
and `translate` never overwrite each other."""

from __future__ import annotations

import json
import shutil
import sqlite3
import unicodedata
from pathlib import Path, PurePosixPath

import pytest
from support import GOOD, brief_args, inbox_with, options, run_summarise, runner, translate_args

from summarise.cache import CONVERTED_MARK, Store, mark
from summarise.cli import app
from summarise.errors import ConfigError
from summarise.outputs import DATED_DIGEST, RECORDS_NAME, output_stems, written_by_summarise
from summarise.pipeline import run

OTHER = "Der Bundestag hat am Donnerstag ein Gesetz beschlossen. Es tritt im Januar in Kraft."
BRIEF_SUFFIXES = (".json", ".md", ".html")


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error:")]


# ----------------------------------------------------------------------------- the cache's own files


def users_conversion(folder: Path) -> Path:
    """A CTranslate2 model the user converted by hand: no mark of the store's."""
    folder.mkdir(parents=True)
    (folder / "model.bin").write_bytes(b"\0" * 1000)
    (folder / "config.json").write_text("{}")
    return folder


@pytest.mark.slow  # a child process per run: the slow tier (docs in README, Development)
def test_cache_clear_removes_only_the_conversions_it_made(tmp_path: Path, copy_marian: Path) -> None:
    cache = tmp_path / "models"  # cache_dir = "~/models": a folder the user keeps models in too
    own = users_conversion(cache / "ct2" / "my-opus-int8")
    notes = cache / "notes.txt"
    notes.write_text("meine Modelle")
    inbox = inbox_with(tmp_path, {"a.txt": GOOD})
    args = [
        *translate_args(inbox, tmp_path / "out", copy_marian),
        "--engine",
        "ct2",
        "--cache-dir",
        str(cache),
    ]
    assert run_summarise(*args).returncode == 0
    converted = [p for p in (cache / "ct2").iterdir() if p.name != "my-opus-int8"]
    assert len(converted) == 1 and (converted[0] / CONVERTED_MARK).is_file()
    # A copy of summarise's conversion under a name of the user's is the user's.
    copied = cache / "ct2" / "copy-of-it"
    shutil.copytree(converted[0], copied)
    stats = run_summarise("cache", "stats", "--cache-dir", str(cache))
    assert "models converted for CTranslate2: 1 " in stats.stdout, stats.stdout
    cleared = run_summarise("cache", "clear", "--cache-dir", str(cache), "--yes")
    assert cleared.returncode == 0 and "and 1 converted models" in cleared.stdout
    assert not converted[0].exists()
    assert (own / "model.bin").is_file() and (copied / "model.bin").is_file() and notes.is_file()


def test_cache_clear_of_a_corrupt_database_removes_the_database_alone(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "summarise.sqlite3").write_bytes(b"not a database " * 100)
    (cache / "summarise.sqlite3-wal").write_bytes(b"")
    backup = cache / "summarise.sqlite3.bak"
    backup.write_bytes(b"the user's backup")
    other = cache / "summarise.sqlite3-mine"
    other.write_text("mine")
    cleared = run_summarise("cache", "clear", "--yes")
    assert cleared.returncode == 0, cleared.stderr
    assert not (cache / "summarise.sqlite3").exists() and not (cache / "summarise.sqlite3-wal").exists()
    assert backup.read_bytes() == b"the user's backup" and other.read_text() == "mine"


def test_conversions_left_by_a_crash_are_cleared_and_folders_not_marked_are_not(tmp_path: Path) -> None:
    store = Store(tmp_path / "cache")
    staging = store.converted_models / ".m--main--int8.abc123"
    staging.mkdir(parents=True)
    mark(staging, ".summarise-converting", "")
    hidden_own = users_conversion(store.converted_models / ".my-hidden-model")
    marked_elsewhere = users_conversion(store.converted_models / "renamed")
    mark(marked_elsewhere, CONVERTED_MARK, "m--main--int8")  # a copy: the mark names another folder
    assert store.stats().converted_models == 0
    store.clear()
    assert not staging.exists() and hidden_own.is_dir() and marked_elsewhere.is_dir()


@pytest.mark.slow  # a child process per run: the slow tier (docs in README, Development)
def test_a_conversion_made_before_the_marks_is_marked_when_next_used(
    tmp_path: Path, copy_marian: Path
) -> None:
    inbox = inbox_with(tmp_path, {"a.txt": GOOD})
    args = [*translate_args(inbox, tmp_path / "out", copy_marian), "--engine", "ct2"]
    assert run_summarise(*args).returncode == 0
    (folder,) = (tmp_path / "cache" / "ct2").iterdir()
    (folder / CONVERTED_MARK).unlink()  # as an earlier version left it
    assert Store(tmp_path / "cache").stats().converted_models == 0
    (tmp_path / "out" / "a.json").unlink()
    sqlite3.connect(tmp_path / "cache" / "summarise.sqlite3").execute(
        "DELETE FROM entries"
    ).connection.commit()
    assert run_summarise(*args).returncode == 0
    assert Store(tmp_path / "cache").stats().converted_models == 1


# ----------------------------------------------------------------------------- outputs


@pytest.mark.slow  # a child process per run: the slow tier (docs in README, Development)
def test_an_output_never_replaces_a_file_summarise_did_not_write(
    tmp_path: Path, copy_marian: Path, tiny_bart: Path
) -> None:
    folder = inbox_with(tmp_path, {"artikel.txt": GOOD, "bericht.txt": OTHER, "drittes.txt": OTHER + " Neu."})
    saved_page = folder / "artikel.html"
    saved_page.write_text("<html>the saved page</html>")
    notes = folder / "artikel.md"
    notes.write_text("my notes")
    other_tool = folder / "bericht.json"
    other_tool.write_text('{"from": "another tool"}')
    args = ["brief", "artikel.txt", "bericht.txt", "drittes.txt", "-o", "."]
    args += ["--translator", str(copy_marian), "--summariser", str(tiny_bart), "--beams", "1"]
    result = run_summarise(*args, cwd=folder)
    assert result.returncode == 1, result.stderr
    errors = error_lines(result.stderr)
    assert len(errors) == 2
    assert "artikel.txt" in errors[0] and "was not written by summarise: not replaced" in errors[0]
    assert "bericht.json was not written by summarise: not replaced" in errors[1]
    assert saved_page.read_text() == "<html>the saved page</html>" and notes.read_text() == "my notes"
    assert other_tool.read_text() == '{"from": "another tool"}'
    assert json.loads((folder / "drittes.json").read_text(encoding="utf-8"))["summary"]  # the rest go on


@pytest.mark.slow  # a child process per run: the slow tier (docs in README, Development)
@pytest.mark.parametrize("records", ["kept", "deleted"])  # deleted: as an earlier version left the folder
def test_a_brief_summarise_wrote_is_made_again_when_its_article_changes(
    tmp_path: Path, copy_marian: Path, tiny_bart: Path, records: str
) -> None:
    inbox = inbox_with(tmp_path, {"a.txt": GOOD})
    out = tmp_path / "out"
    assert run_summarise(*brief_args(inbox, out, copy_marian, tiny_bart)).returncode == 0
    assert (out / RECORDS_NAME).is_file()
    if records == "deleted":
        (out / RECORDS_NAME).unlink()  # its files are then known by their content
    (out / "notes.md").write_text("my notes", encoding="utf-8")  # a file of the user's beside
    (inbox / "a.txt").write_text(GOOD + " Sie trafen sich erneut.", encoding="utf-8")
    result = run_summarise(*brief_args(inbox, out, copy_marian, tiny_bart))
    assert result.returncode == 0, result.stderr
    assert "Sie trafen sich erneut" in (out / "a.json").read_text(encoding="utf-8")
    assert (out / "notes.md").read_text(encoding="utf-8") == "my notes"


def test_a_digest_of_the_user_s_is_refused_before_any_work(
    tmp_path: Path, copy_marian: Path, tiny_bart: Path
) -> None:
    inbox = inbox_with(tmp_path, {"a.txt": GOOD})
    out = tmp_path / "out"
    out.mkdir()
    (out / "digest.md").write_text("# My digest of the week\n")
    result = run_summarise(*brief_args(inbox, out, copy_marian, tiny_bart))
    assert result.returncode == 2
    (error,) = error_lines(result.stderr)
    assert error == f"error: {out / 'digest.md'} was not written by summarise: not replaced; " + (
        "choose another output folder (-o)"
    )
    assert (out / "digest.md").read_text() == "# My digest of the week\n"
    assert not (out / "a.json").exists()


@pytest.mark.parametrize(
    "names",
    [
        ["bericht.html.txt", "bericht.txt", "bericht.md"],
        [unicodedata.normalize("NFC", "Müller.txt"), unicodedata.normalize("NFD", "Müller.txt")],
        ["Bericht.txt", "bericht.txt"],
        ["A/x.txt", "a/x.txt"],
        ["digest.txt", "Digest.md", "b.txt"],
        ["b.txt", "b.md/c.txt", "b.md.txt"],
        ["x.txt", "x.txt~8a6dcb9c.md", "X.txt"],
    ],
)
def test_two_articles_never_share_an_output(names: list[str]) -> None:
    relatives = [PurePosixPath(name) for name in names]
    stems = output_stems(relatives, BRIEF_SUFFIXES, reserved=("digest.md", "digest.html"))
    outputs = [
        unicodedata.normalize("NFC", f"{stems[r]}{suffix}").casefold()
        for r in relatives
        for suffix in BRIEF_SUFFIXES
    ]
    folders = {unicodedata.normalize("NFC", str(p)).casefold() for r in relatives for p in stems[r].parents}
    assert len(set(outputs)) == len(outputs), stems
    assert not {"digest.md", "digest.html"} & set(outputs)
    assert not folders & set(outputs)


def test_the_name_scheme_keeps_plain_names_plain() -> None:
    relatives = [PurePosixPath(p) for p in ("a.txt", "a.md", "sub/a.txt", "b.txt", "digest.txt", "c.html")]
    stems = output_stems(relatives, BRIEF_SUFFIXES, reserved=("digest.md", "digest.html", "c.html"))
    assert [str(stems[r]) for r in relatives] == ["a.txt", "a.md", "sub/a", "b", "digest.txt", "c.html"]


def test_an_article_named_like_a_days_digest_keeps_its_whole_name_and_the_digests_are_ours(
    tmp_path: Path, copy_marian: Path, tiny_bart: Path
) -> None:
    relatives = [
        PurePosixPath(p) for p in ("Digest-2026-12-05.txt", "sub/digest-2026-12-05.txt", "digest-x.txt")
    ]
    stems = output_stems(relatives, BRIEF_SUFFIXES, reserved=("digest.md",), reserved_like=DATED_DIGEST)
    assert [str(stems[r]) for r in relatives] == [
        "Digest-2026-12-05.txt",
        "sub/digest-2026-12-05",
        "digest-x",
    ]
    inbox = inbox_with(tmp_path, {"digest-2026-12-05.txt": GOOD})
    out = inbox / "briefs"  # inside the inbox: the digests of every day are never read as articles
    report = run([inbox], options(out, copy_marian, tiny_bart))
    assert (out / "digest-2026-12-05.txt.md").is_file() and report.dated_digest is not None
    assert written_by_summarise(report.dated_digest) and written_by_summarise(out / "digest.html")
    again = run([inbox], options(out, copy_marian, tiny_bart))
    assert [a.source.path.name for a in again.articles] == ["digest-2026-12-05.txt"]


def test_outputs_of_names_alike_on_other_file_systems_are_apart_in_a_run(
    tmp_path: Path, copy_marian: Path, tiny_bart: Path
) -> None:
    nfc, nfd = unicodedata.normalize("NFC", "Müller.txt"), unicodedata.normalize("NFD", "Müller.txt")
    inbox = inbox_with(
        tmp_path, {"bericht.html.txt": GOOD, "bericht.txt": OTHER, nfc: GOOD + " Eins.", nfd: GOOD + " Zwei."}
    )
    page = f"<html><head><title>Bericht</title></head><body><article><p>{OTHER} {OTHER}</p></article>"
    (inbox / "bericht.html").write_text(page + "</body></html>")
    out = tmp_path / "out"
    report = run([inbox], options(out, copy_marian, tiny_bart))
    assert report.exit_code == 0, report.failures
    records = [a.outputs[-1] for a in report.articles]
    assert len(records) == 5 and len({str(p).casefold() for p in records}) == 5
    sources = {json.loads(p.read_text(encoding="utf-8"))["source"]["path"] for p in records}
    assert len(sources) == 5  # each record is its own article's
    digest = (out / "digest.md").read_text(encoding="utf-8")
    links = {line.split("](")[1].split(")")[0] for line in digest.splitlines() if "](" in line}
    assert len(links) == 5


# ----------------------------------------------------------------------------- what is read


@pytest.mark.slow  # a child process per run: the slow tier (docs in README, Development)
def test_a_link_out_of_the_input_folder_is_named_and_not_read(tmp_path: Path, copy_marian: Path) -> None:
    private = tmp_path / "private"
    private.mkdir()
    (private / "notes.txt").write_text("Geheime Notizen: der Schlüssel liegt unter der Matte.")
    (private / "more.txt").write_text("Noch ein Geheimnis.")
    inbox = inbox_with(tmp_path, {"a.txt": GOOD})
    (inbox / "notes.txt").symlink_to(private / "notes.txt")
    (inbox / "passwd.txt").symlink_to("/etc/passwd")
    (inbox / "private").symlink_to(private)
    (inbox / "sub").mkdir()
    (inbox / "sub" / "same.txt").symlink_to(inbox / "a.txt")  # inside the folder: read
    out = tmp_path / "out"
    result = run_summarise(*translate_args(inbox, out, copy_marian))
    assert result.returncode == 0, result.stderr  # skipped, not failed: the links are not read
    assert error_lines(result.stderr) == [], result.stderr
    errors = sorted(line for line in result.stderr.splitlines() if line.startswith("skipped:"))
    assert len(errors) == 3, result.stderr
    for name, target in (
        ("notes.txt", private / "notes.txt"),
        ("passwd.txt", "/etc/passwd"),
        ("private", private),
    ):
        assert any(f"{inbox / name}: a symbolic link to {target}, outside {inbox}" in e for e in errors), (
            errors
        )
    written = {p.name for p in out.rglob("*.json")}
    assert written == {"a.json", "same.json"}
    assert "Geheim" not in "".join(p.read_text(encoding="utf-8") for p in out.rglob("*") if p.is_file())
    # Named as an argument, the user asks for it: read.
    asked = run_summarise(*translate_args(inbox / "notes.txt", tmp_path / "asked", copy_marian))
    assert asked.returncode == 0, asked.stderr


@pytest.mark.slow  # a child process per run: the slow tier (docs in README, Development)
@pytest.mark.parametrize(("first", "second"), [("brief", "translate"), ("translate", "brief")])
def test_brief_and_translate_never_overwrite_each_other(
    tmp_path: Path, copy_marian: Path, tiny_bart: Path, first: str, second: str
) -> None:
    inbox = inbox_with(tmp_path, {"a.txt": GOOD})
    out = tmp_path / "out"
    commands = {
        "brief": brief_args(inbox, out, copy_marian, tiny_bart),
        "translate": translate_args(inbox, out, copy_marian),
    }
    assert run_summarise(*commands[first]).returncode == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    result = run_summarise(*commands[second])
    assert result.returncode == 2
    (error,) = error_lines(result.stderr)
    assert f"holds the outputs of `summarise {first}`" in error and "-o" in error
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_the_library_refuses_the_other_command_s_folder_before_loading_a_model(
    tmp_path: Path, copy_marian: Path, tiny_bart: Path
) -> None:
    inbox = inbox_with(tmp_path, {"a.txt": GOOD})
    out = tmp_path / "out"
    assert run([inbox], options(out, copy_marian, tiny_bart)).exit_code == 0
    missing = options(out, tmp_path / "no-such-model", None)
    with pytest.raises(ConfigError, match="holds the outputs of `summarise brief`"):
        run([inbox], missing)


def test_records_survive_a_kill_between_recording_and_renaming(tmp_path: Path, copy_marian: Path) -> None:
    """A record is appended before its file is renamed into place; a damaged last line (a kill in
    the middle of appending) vouches for nothing and harms nothing."""
    inbox = inbox_with(tmp_path, {"a.txt": GOOD})
    out = tmp_path / "out"
    assert runner.invoke(app, translate_args(inbox, out, copy_marian)).exit_code == 0
    with (out / RECORDS_NAME).open("a") as records:
        records.write('{"path": "a.txt", "command": "trans')  # cut short
    (inbox / "a.txt").write_text(GOOD + " Neu.", encoding="utf-8")
    result = runner.invoke(app, translate_args(inbox, out, copy_marian))
    assert result.exit_code == 0, result.output
    assert "Neu" in (out / "a.txt").read_text(encoding="utf-8")
