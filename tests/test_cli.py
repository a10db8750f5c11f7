"""The CLI end to end on local models: outputs, exit codes, the cache, and the offline error."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from support import brief_args, environment_for_subprocess, many_articles, options, runner

from summarise.cli import app
from summarise.pipeline import run
from summarise.text_reader import split_paragraphs


def test_brief_writes_a_brief_and_a_record_per_article_and_a_digest(
    seeds_copy: Path, tmp_path: Path, tiny_marian: Path, tiny_bart: Path
) -> None:
    out = tmp_path / "briefs"
    result = runner.invoke(app, brief_args(seeds_copy, out, tiny_marian, tiny_bart))
    assert result.exit_code == 0, result.output
    names = sorted(p.stem for p in seeds_copy.glob("*.txt"))
    assert sorted(p.stem for p in out.glob("*.md") if not p.name.startswith("digest")) == names
    for name in names:
        record = json.loads((out / f"{name}.json").read_text(encoding="utf-8"))
        source = seeds_copy / f"{name}.txt"
        assert record["source"]["path"] == str(source)
        assert len(record["source"]["sha256"]) == 64
        assert record["models"]["translator"]["id"] == str(tiny_marian)
        assert record["models"]["translator"]["revision"].startswith("local-")
        assert record["models"]["summariser"]["id"] == str(tiny_bart)
        assert isinstance(record["summary"], str) and record["summary"]
        segments = record["segments"]
        assert record["coverage"] == {
            "sentences": len({s["sentence"] for s in segments}),
            "segments": len(segments),
            "translated": len(segments),
            # Random weights: the guard doubts most of it, retries it, and says so.
            "flagged": len([f for f in record["flags"] if not f.get("headline")]),
            "retried": sum(s["retried"] for s in segments),
            "verbatim": 0,  # no code in a plain-text article
        }
        doubted = [f["segment"] for f in record["flags"] if not f.get("headline")]
        assert doubted == [i for i, s in enumerate(segments) if s["flags"]]
        # Every line of the source is accounted for, in order: removed as boilerplate (and listed),
        # the headline, or in the segments.
        paragraphs = split_paragraphs(source.read_text(encoding="utf-8"))
        removed = {line["paragraph"] for line in record["cleaning"]["removed"]}
        kept = [p for i, p in enumerate(paragraphs) if i not in removed]
        if record["headline"]:  # the article's own headline: the first kept line, or one below a kicker
            flat = [" ".join(line.split()) for line in kept]
            kept.pop(flat.index(record["headline"]["source"]))
        assert " ".join(s["source"] for s in segments).split() == " ".join(kept).split()
        brief = (out / f"{name}.md").read_text(encoding="utf-8")
        for heading in ("## Summary", "## Translation", record["source"]["sha256"], "Brief first made:"):
            assert heading in brief
        # Paragraphs survive: one per source paragraph.
        assert record["translation"].count("\n\n") == len({s["paragraph"] for s in segments}) - 1
    digest = (out / "digest.md").read_text(encoding="utf-8")
    assert all(f"]({name}.md)" in digest for name in names)


def test_second_run_hits_the_cache_for_every_file_and_loads_no_model(
    seeds_copy: Path, tmp_path: Path, tiny_marian: Path, tiny_bart: Path
) -> None:
    out = tmp_path / "briefs"
    first = run([seeds_copy], options(out, tiny_marian, tiny_bart))
    assert first.models_loaded == ["translator", "summariser"]
    assert not any(a.cached for a in first.articles)
    before = {p.name: json.loads(p.read_text()) for p in out.glob("*.json")}

    second = run([seeds_copy], options(out, tiny_marian, tiny_bart))
    assert second.models_loaded == []
    assert len(second.articles) == 5 and all(a.cached for a in second.articles)
    after = {p.name: json.loads(p.read_text()) for p in out.glob("*.json")}
    for name, record in before.items():
        assert after[name]["summary"] == record["summary"]
        assert after[name]["segments"] == record["segments"]

    edited = sorted(seeds_copy.glob("*.txt"))[2]
    lines = edited.read_text(encoding="utf-8").splitlines()
    lines.insert(2, "Putin und Kim sprachen danach auch über die Lage in der Region.")  # inside the body
    edited.write_text("\n".join(lines) + "\n", encoding="utf-8")
    third = run([seeds_copy], options(out, tiny_marian, tiny_bart))
    assert {a.source.path.name for a in third.articles if not a.cached} == {edited.name}
    assert third.models_loaded == ["translator", "summariser"]


def test_translate_reuses_nothing_it_should_not_and_writes_text(
    seeds_copy: Path, tmp_path: Path, tiny_marian: Path
) -> None:
    out = tmp_path / "english"
    result = runner.invoke(
        app, ["translate", str(seeds_copy), "-o", str(out), "--translator", str(tiny_marian), "--beams", "1"]
    )
    assert result.exit_code == 0, result.output
    texts = sorted(out.glob("*.txt"))
    assert len(texts) == 5 and not (out / "digest.md").exists()
    record = json.loads(texts[0].with_suffix(".json").read_text(encoding="utf-8"))
    assert "summary" not in record and "summariser" not in record["models"]
    # The headline first, then the translation; each doubt marked [?n] as in the brief, in the
    # order of the record's flags.
    text = texts[0].read_text(encoding="utf-8")
    headline, _, body = text.partition("\n\n")
    assert record["headline"] and headline.startswith(record["headline"]["target"])
    markers = [int(n) for n in re.findall(r" \[\?(\d+)\]", text)]
    assert markers == list(range(1, len(record["flags"]) + 1)) and markers
    assert re.sub(r" \[\?\d+\]", "", body) == record["translation"] + "\n"


def test_bad_files_are_named_the_rest_are_written_and_the_exit_code_is_1(
    tmp_path: Path, tiny_marian: Path, tiny_bart: Path
) -> None:
    inbox = tmp_path / "inbox"
    (inbox / "sub").mkdir(parents=True)
    (inbox / "good.txt").write_text(
        "Putin traf Kim in Pjöngjang. Sie sprachen zwei Stunden.", encoding="utf-8"
    )
    (inbox / "sub" / "good.txt").write_text("Der Vertrag trat im Dezember in Kraft.", encoding="utf-8")
    (inbox / "photo.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00" + bytes(range(256)))
    (inbox / "empty.md").write_text("", encoding="utf-8")
    (inbox / "invisible.txt").write_text("\u200b\u200b\n\u00ad", encoding="utf-8")
    (inbox / ".hidden.txt").write_text("Versteckt.", encoding="utf-8")
    out = inbox / "briefs"  # inside the input folder: its briefs must never be briefed in turn
    for prefix, exit_code in (("error:", 1), ("still failing:", 0)):
        # The second run: the same files fail the same way, unchanged: no news, no exit 1.
        result = runner.invoke(app, brief_args(inbox, out, tiny_marian, tiny_bart))
        assert result.exit_code == exit_code
        errors = [
            line for line in result.stderr.splitlines() if line.startswith(("error:", "still failing:"))
        ]
        assert len(errors) == 3 and all(line.startswith(prefix) for line in errors), result.output
        assert any("photo.txt" in line and "binary" in line for line in errors)
        assert any("empty.md" in line and "empty" in line for line in errors)
        assert any("invisible.txt" in line and "no text" in line for line in errors)
        assert sorted(str(p.relative_to(out)) for p in out.rglob("*.md")) == [
            f"digest-{date.today().isoformat()}.md",
            "digest.md",
            "good.md",
            "sub/good.md",
        ]
        assert "Traceback" not in result.output
    # Quiet, as a cron job runs it: nothing is news, so nothing is said.
    quiet = runner.invoke(app, [*brief_args(inbox, out, tiny_marian, tiny_bart), "-q"])
    assert quiet.exit_code == 0 and quiet.stderr.strip() == "", quiet.stderr
    # A file that changes and still fails is news again.
    (inbox / "empty.md").write_text("\u200b", encoding="utf-8")
    changed = runner.invoke(app, [*brief_args(inbox, out, tiny_marian, tiny_bart), "-q"])
    assert changed.exit_code == 1 and changed.stderr.startswith(f"error: {inbox / 'empty.md'}: "), (
        changed.stderr
    )


def test_no_articles_is_a_usage_error(tmp_path: Path, tiny_marian: Path, tiny_bart: Path) -> None:
    (tmp_path / "empty-folder").mkdir()
    result = runner.invoke(
        app, brief_args(tmp_path / "empty-folder", tmp_path / "out", tiny_marian, tiny_bart)
    )
    assert result.exit_code == 2
    assert "no article files (.txt, .md, .html, .htm) found in" in result.stderr


def run_console_script(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("summarise")
    return subprocess.run(
        [str(script), *args],
        cwd=cwd,
        env=environment_for_subprocess(),
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_offline_without_the_model_exits_2_with_one_line_and_no_traceback(
    seeds_copy: Path, tmp_path: Path
) -> None:
    result = run_console_script("brief", str(seeds_copy), "-o", str(tmp_path / "out"), cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Helsinki-NLP/opus-mt-de-en" in lines[0] and "--translator PATH" in lines[0]
    assert "Traceback" not in result.stderr + result.stdout
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("--help", ["brief", "translate", "models", "cache"]),
        ("brief --help", ["--translator", "--summariser", "--engine", "--out"]),
        ("models list", ["Helsinki-NLP/opus-mt-de-en", "sshleifer/distilbart-cnn-12-6", "nothing here"]),
        ("cache stats", ["cache: none at", "yet (a run creates it)"]),
    ],
)
def test_console_script_answers(command: str, expected: list[str], tmp_path: Path) -> None:
    result = run_console_script(*command.split(), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for text in expected:
        assert text in result.stdout


def test_console_script_briefs_a_folder(
    seeds_copy: Path, tmp_path: Path, tiny_marian: Path, tiny_bart: Path
) -> None:
    out = tmp_path / "briefs"
    result = run_console_script(*brief_args(seeds_copy, out, tiny_marian, tiny_bart), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert len(list(out.glob("*.json"))) == 5
    assert "5 briefs written" in result.stderr
    stats = run_console_script("cache", "stats", cwd=tmp_path)
    assert "translation entries: 5" in stats.stdout and "summary entries: 5" in stats.stdout
    assert "0 of 5 articles from the cache (0%), 0 of " in stats.stdout
    run_console_script(*brief_args(seeds_copy, out, tiny_marian, tiny_bart), cwd=tmp_path)
    stats = run_console_script("cache", "stats", cwd=tmp_path)
    assert "5 of 5 articles from the cache (100%), 0 of 0 segments" in stats.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--translator", "./no-such-model"], "not a model folder"),
        (["--device", "tpu"], "Invalid value"),
        (["--beams", "0"], "Invalid value"),
    ],
)
def test_configuration_errors_exit_2_without_traceback(
    seeds_copy: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    result = runner.invoke(app, ["brief", str(seeds_copy), "-o", str(tmp_path / "out"), *args])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_an_output_path_that_is_a_file_is_an_error(
    seeds_copy: Path, tmp_path: Path, tiny_marian: Path, tiny_bart: Path
) -> None:
    blocker = tmp_path / "out"
    blocker.write_text("not a folder")
    result = runner.invoke(app, brief_args(seeds_copy, blocker, tiny_marian, tiny_bart))
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0 and str(blocker) in result.stderr


def test_models_pull_offline_fails_in_one_line() -> None:
    result = runner.invoke(app, ["models", "pull"])
    assert result.exit_code == 2
    assert "Helsinki-NLP/opus-mt-de-en" in result.stderr and "HF_HUB_OFFLINE" in result.stderr


def test_cache_clear_empties_the_cache(seeds_copy: Path, tmp_path: Path, tiny_marian: Path) -> None:
    args = ["translate", str(seeds_copy), "-o", str(tmp_path / "en"), "--translator", str(tiny_marian)]
    runner.invoke(app, [*args, "--beams", "1"])
    before = runner.invoke(app, ["cache", "stats"]).stdout
    segments = int(re.search(r"segment entries: (\d+)", before).group(1))  # type: ignore[union-attr]
    assert "translation entries: 5" in before and segments > 5
    cleared = runner.invoke(app, ["cache", "clear", "--yes"]).stdout
    assert f"removed {5 + segments} entries" in cleared and "and 1 converted models" in cleared
    after = runner.invoke(app, ["cache", "stats"]).stdout
    assert "translation entries: 0" in after and "segment entries: 0" in after


@pytest.mark.parametrize(
    ("signum", "code", "said"),
    [(signal.SIGINT, 130, "Ctrl-C"), (signal.SIGTERM, 143, "SIGTERM"), (signal.SIGHUP, 129, "SIGHUP")],
)
@pytest.mark.slow  # a child process per run: the slow tier (docs in README, Development)
def test_a_stop_signal_finishes_the_batch_keeps_the_work_and_exits_128_plus_it(
    tmp_path: Path, copy_marian: Path, tiny_bart: Path, signum: int, code: int, said: str
) -> None:
    """Ctrl-C, a service manager's SIGTERM, a closed terminal's SIGHUP: the same clean stop."""
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    many_articles(inbox, 40)  # enough work that the run is still going when stopped
    script = Path(sys.executable).with_name("summarise")
    args = [str(script), *brief_args(inbox, out, copy_marian, tiny_bart)]
    child = subprocess.Popen(
        [*args, "--json"],
        env=environment_for_subprocess(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 240
    while not list(out.glob("*.json")) and time.monotonic() < deadline and child.poll() is None:
        time.sleep(0.05)
    child.send_signal(signum)
    stdout, stderr = child.communicate(timeout=240)
    assert child.returncode == code, stderr
    report = json.loads(stdout)
    assert report["exit_code"] == code and report["interrupted"]  # the report and the process agree
    assert f"{said}: stopping after the current batch" in stderr
    assert "interrupted:" in stderr and "Traceback" not in stderr
    written = sorted(out.glob("*.json"))
    assert 0 < len(written) < 40
    for path in written:  # whole files only, each with its brief
        assert json.loads(path.read_text(encoding="utf-8"))["coverage"]["translated"] > 0
        assert path.with_suffix(".md").is_file()
    again = subprocess.run(args, env=environment_for_subprocess(), capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    done = re.search(
        r"(\d+) briefs? written to \S+(?: \(\d+ from the cache\))?, (\d+) unchanged", again.stderr
    )
    assert done and int(done[1]) + int(done[2]) == 40 and int(done[2]) >= len(written)  # none redone
    rerun = run_console_script(*brief_args(inbox, out, copy_marian, tiny_bart), cwd=tmp_path)
    assert rerun.returncode == 0, rerun.stderr
    assert rerun.stderr.endswith(f"nothing new in {out}: 40 briefs unchanged\n")


def test_a_stop_request_keeps_every_translated_batch_for_the_next_run(
    seeds_copy: Path, tmp_path: Path, copy_marian: Path
) -> None:
    out = tmp_path / "en"
    articles = len(list(seeds_copy.glob("*.txt")))
    polls = 0

    def stop_after_a_few_batches() -> bool:
        # Polled once per article as the evidence pass reads it and again as the main pass does,
        # then once per batch the translator starts.
        nonlocal polls
        polls += 1
        return polls > 2 * articles + 2

    stopped = run([seeds_copy], options(out, copy_marian, None), should_stop=stop_after_a_few_batches)
    assert stopped.interrupted and stopped.exit_code == 130
    assert stopped.segments_translated > 0
    assert stopped.articles == [] and not list(out.glob("*.json"))  # one wave: no article was finished
    resumed = run([seeds_copy], options(out, copy_marian, None))
    assert resumed.exit_code == 0 and len(resumed.articles) == articles
    # What the stopped run translated came from the translation memory; only the rest was translated.
    assert resumed.segments_remembered == stopped.segments_translated
    assert resumed.segments_translated > 0


def test_translation_memory_retranslates_only_changed_sentences(
    seeds_copy: Path, tmp_path: Path, copy_marian: Path
) -> None:
    out = tmp_path / "en"
    first = run([seeds_copy], options(out, copy_marian, None))
    assert first.segments_translated > 50 and first.segments_remembered == 0

    edited = seeds_copy / "003_7118c5d12a141062.txt"
    text = edited.read_text(encoding="utf-8")
    old = "Dabei wurde ein Vertrag zur umfassenden strategischen Partnerschaft unterzeichnet."
    new = "Dabei wurde ein neuer Vertrag unterzeichnet."
    assert old in text
    edited.write_text(text.replace(old, new), encoding="utf-8")
    (seeds_copy / "copy-of-000.txt").write_text(  # the same article again under another name
        (seeds_copy / "000_8f56b1ec0a0c6f7f.txt").read_text(encoding="utf-8"), encoding="utf-8"
    )

    second = run([seeds_copy], options(out, copy_marian, None))
    assert second.segments_translated == 1  # the edited sentence, nothing else
    assert second.segments_remembered > 10
    record = json.loads((out / "003_7118c5d12a141062.json").read_text(encoding="utf-8"))
    assert new in [s["source"] for s in record["segments"]]
    assert old not in record["translation"]


def test_an_unwritable_output_place_fails_that_article_alone(
    tmp_path: Path, tiny_marian: Path, tiny_bart: Path
) -> None:
    # Permissions do not stop root (CI), so the unwritable place is a file where a folder must go.
    inbox = tmp_path / "inbox"
    (inbox / "sub").mkdir(parents=True)
    (inbox / "sub" / "a.txt").write_text("Putin traf Kim in Pjöngjang.", encoding="utf-8")
    (inbox / "b.txt").write_text("Der Vertrag trat im Dezember in Kraft.", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "sub").write_text("in the way")
    result = runner.invoke(app, brief_args(inbox, out, tiny_marian, tiny_bart))
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "sub/a.txt" in errors[0] and "cannot write" in errors[0]
    assert (out / "b.md").is_file() and (out / "sub").read_text() == "in the way"
    assert "Traceback" not in result.output


def test_brief_and_translate_share_their_run_options() -> None:
    """Declared once: the same options, with the same help, on both commands."""
    import typer

    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]

    def described(name: str) -> dict[str, tuple[str, ...]]:
        return {
            p.name: (*p.opts, p.help or "")
            for p in commands[name].params
            if p.name not in ("paths", "summariser", "summariser_revision")
        }

    assert described("brief") == described("translate")
    assert {"translator", "engine", "device", "cache_dir", "out", "quiet"} <= set(described("brief"))
    assert {p.name for p in commands["brief"].params} - {p.name for p in commands["translate"].params} == {
        "summariser",
        "summariser_revision",
    }
