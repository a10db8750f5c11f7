"""The morning run as its reader meets it (issue 11): one-line usage errors, every missing model
named at once, models of the wrong kind refused, a local model known by what it is, re-runs that
touch nothing, and the translation file as the brief has it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support import GOOD, brief_args, environment_for_subprocess, inbox_with, runner, translate_args

from summarise.cli import app
from summarise.render import shown_time


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["brief", "x", "--beams", "0"], "error: Invalid value for '--beams': Input should be greater than"),
        (["brief", "x", "--threads", "-1"], "error: Invalid value for '--threads'"),
        (
            ["brief", "x", "--source-lang", "fr"],
            "error: Invalid value for '--source-lang': 'fr' is not one of",
        ),
        (["brief", "x", "--bogus"], "error: No such option: --bogus"),
        (["nonsense"], "error: No such command 'nonsense'"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]  # one line, no box
    assert result.stderr.startswith(message) and "Value error" not in result.stderr
    assert "╭" not in result.output and "Usage:" not in result.output


def test_a_path_that_does_not_exist_is_a_usage_error_before_any_work(
    tmp_path: Path, copy_marian: Path
) -> None:
    inbox = inbox_with(tmp_path, {"a.txt": GOOD})
    out = tmp_path / "out"
    result = runner.invoke(app, [*translate_args(inbox, out, copy_marian), str(tmp_path / "gone.txt")])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: {tmp_path / 'gone.txt'}: no such file or folder"
    assert not out.exists()  # stopped before any work: no empty output folder left behind
    (tmp_path / "empty").mkdir()
    result = runner.invoke(app, translate_args(tmp_path / "empty", out, copy_marian))
    assert result.exit_code == 2 and not out.exists()


def test_every_missing_model_is_named_at_once(tmp_path: Path) -> None:
    inbox = inbox_with(tmp_path, {"a.txt": GOOD})
    result = runner.invoke(app, ["brief", str(inbox), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    [line] = result.stderr.strip().splitlines()
    assert (
        "'Helsinki-NLP/opus-mt-de-en' (--translator) and 'sshleifer/distilbart-cnn-12-6' (--summariser)"
        in line
    )
    assert "--translator PATH and --summariser PATH" in line
    assert not (tmp_path / "out").exists()


def test_a_model_of_the_wrong_kind_is_refused_from_its_config(
    tmp_path: Path, copy_marian: Path, tiny_bart: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import summarise.models

    def no_weights(*args: object, **kwargs: object) -> None:
        raise AssertionError("weights loaded before the model's kind was checked")

    monkeypatch.setattr(summarise.models, "load_seq2seq", no_weights)
    inbox = inbox_with(tmp_path, {"a.txt": GOOD})
    out = tmp_path / "out"
    as_translator = runner.invoke(app, brief_args(inbox, out, tiny_bart, tiny_bart))
    assert as_translator.exit_code == 2
    assert as_translator.stderr.strip() == (
        f"error: --translator {tiny_bart}: a bart model (BartForConditionalGeneration), not a translation "
        "model; summarise runs marian models here, such as Helsinki-NLP/opus-mt-de-en"
    )
    as_summariser = runner.invoke(app, brief_args(inbox, out, copy_marian, copy_marian))
    assert as_summariser.exit_code == 2
    assert "--summariser" in as_summariser.stderr and "a marian model (MarianMTModel)" in as_summariser.stderr
    assert not out.exists()


def test_help_shows_examples_every_input_kind_and_offers_completion() -> None:
    brief_help = runner.invoke(app, ["brief", "--help"], env={"COLUMNS": "120"}).output
    assert ".txt, .md, .html, .htm" in brief_help
    assert "Examples:" in brief_help and "summarise brief seeds/" in brief_help
    assert "<bool>" not in brief_help and "-q, --quiet" in brief_help
    assert "--install-completion" in runner.invoke(app, ["--help"]).output
    assert "Examples:" in runner.invoke(app, ["translate", "--help"]).output


def test_a_local_model_is_known_by_what_it_is_not_by_how_its_path_is_typed(
    tmp_path: Path, copy_marian: Path
) -> None:
    inbox = inbox_with(tmp_path, {"a.txt": GOOD})
    linked = tmp_path / "models" / "the-same-model"
    linked.parent.mkdir()
    linked.symlink_to(copy_marian)
    cache = tmp_path / "cache"
    ways = [str(copy_marian), os.path.relpath(copy_marian), str(linked)]
    results = []
    for way in ways:
        args = [*translate_args(inbox, tmp_path / "out", Path(way)), "--cache-dir", str(cache)]
        results.append(runner.invoke(app, [*args, "--engine", "ct2"]))
    assert [r.exit_code for r in results] == [0, 0, 0]
    summaries = [r.stderr.strip().splitlines()[-1] for r in results]
    out = tmp_path / "out"
    assert summaries == [
        f"1 translation written to {out}",
        f"1 translation written to {out} (1 from the cache)",  # the same model: its cached translation
        f"1 translation written to {out} (1 from the cache)",  # (the JSON names the model as typed)
    ]
    assert len(list((cache / "ct2").iterdir())) == 1  # converted once


def test_a_cached_rerun_rewrites_nothing_and_the_brief_keeps_its_first_date(
    tmp_path: Path, copy_marian: Path, tiny_bart: Path
) -> None:
    inbox = inbox_with(tmp_path, {"a.txt": GOOD, "b.txt": GOOD + " Noch ein Satz."})
    out = tmp_path / "out"
    assert runner.invoke(app, brief_args(inbox, out, copy_marian, tiny_bart)).exit_code == 0
    briefs = sorted(
        p for p in out.iterdir() if p.suffix in (".json", ".md", ".html") and "digest" not in p.name
    )
    assert len(briefs) == 6
    first = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in briefs}
    created = json.loads((out / "a.json").read_text(encoding="utf-8"))["created"]
    for p in briefs:
        os.utime(p, ns=(1, 1))  # a sentinel time: any rewrite changes it
    again = runner.invoke(app, brief_args(inbox, out, copy_marian, tiny_bart))
    assert again.exit_code == 0 and f"nothing new in {out}: 2 briefs unchanged" in again.stderr
    assert {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in briefs} == {
        p: (1, first[p][1]) for p in briefs
    }
    digest = (out / "digest.md").read_text(encoding="utf-8")
    assert "_2 new today · updated " in digest  # briefed today, by the first run: still today's news
    # The brief says when it was first made (in the reader's time zone).
    assert f"- Brief first made: {shown_time(created)}" in (out / "a.md").read_text(encoding="utf-8")
    # An article that changed is updated in the digest, and its brief is made (and dated) again.
    (inbox / "b.txt").write_text(GOOD + " Ein ganz anderer Satz.", encoding="utf-8")
    third = runner.invoke(app, brief_args(inbox, out, copy_marian, tiny_bart))
    assert third.exit_code == 0
    assert (out / "b.json").stat().st_mtime_ns != 1 and (out / "a.json").stat().st_mtime_ns == 1
    digest = (out / "digest.md").read_text(encoding="utf-8")
    assert "_1 new and 1 updated today · updated " in digest
    assert "## Updated today" in digest and "(b.md)" in digest.split("## Updated today")[1]


def test_a_web_pages_own_date_is_the_article_date_in_the_brief(
    tmp_path: Path, copy_marian: Path, tiny_bart: Path
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(Path(__file__).parent / "data" / "golden" / "extra" / "page.html", inbox / "page.html")
    out = tmp_path / "out"
    assert runner.invoke(app, brief_args(inbox, out, copy_marian, tiny_bart)).exit_code == 0
    brief = (out / "page.md").read_text(encoding="utf-8")
    assert "- Article date (from the web page): 2025-03-14" in brief
    assert "2025-03-14" in (out / "digest.md").read_text(encoding="utf-8")


def test_the_html_digest_opens_in_a_real_browser(tmp_path: Path, copy_marian: Path, tiny_bart: Path) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser is None:
        pytest.skip("no Chromium installed (.ci/run installs Debian's chromium)")
    inbox = inbox_with(tmp_path, {"a.txt": GOOD, "b.txt": GOOD + " Noch ein Satz."})
    out = tmp_path / "out"
    assert runner.invoke(app, brief_args(inbox, out, copy_marian, tiny_bart)).exit_code == 0
    for width, name in ((412, "phone.png"), (1280, "desktop.png")):
        shot = tmp_path / name
        done = subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                f"--window-size={width},900",
                f"--screenshot={shot}",
                (out / "digest.html").as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            env=environment_for_subprocess() | {"HOME": str(tmp_path)},
        )
        assert done.returncode == 0, done.stderr
        assert shot.stat().st_size > 5_000  # a page was drawn, not an empty frame
    # What the browser shows is the DOM: dump it and find both entries, linked to their pages.
    dumped = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--dump-dom",
            (out / "digest.html").as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=environment_for_subprocess() | {"HOME": str(tmp_path)},
    )
    assert 'href="a.html"' in dumped.stdout and 'href="b.html"' in dumped.stdout
    assert "Digest: 2 articles, " in dumped.stdout and "2 new today · updated " in dumped.stdout


def test_the_console_script_answers_usage_errors_in_one_line(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("summarise")
    done = subprocess.run(
        [str(script), "brief", "x", "--beams", "0"],
        capture_output=True,
        text=True,
        env=environment_for_subprocess(),
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_json_prints_the_run_report_on_stdout(tmp_path: Path, copy_marian: Path, tiny_bart: Path) -> None:
    inbox = inbox_with(tmp_path, {"a.txt": GOOD, "empty.txt": ""})
    (inbox / "report.pdf").write_bytes(b"%PDF")
    out = tmp_path / "out"
    args = [*brief_args(inbox, out, copy_marian, tiny_bart), "--json"]
    first = runner.invoke(app, [*args, str(inbox / "report.pdf")])
    assert first.exit_code == 1
    report = json.loads(first.stdout)  # stdout holds the JSON alone; messages go to stderr
    assert first.stderr.strip().splitlines()[-1] == f"1 brief written to {out}, 1 failed, 1 skipped"
    assert report["exit_code"] == 1
    assert report["counts"] == {
        "written": 1,
        "from_cache": 0,
        "new": 1,
        "unchanged": 0,
        "skipped": 1,
        "failed": 1,
        "still_failing": 0,
        "flagged_segments": report["articles"][0]["flagged_segments"],
    }
    [article] = report["articles"]
    assert article["path"] == str(inbox / "a.txt") and article["language"] == "de" and article["new"]
    assert sorted(Path(p).name for p in article["outputs"]) == ["a.html", "a.json", "a.md"]
    assert report["skipped"] == [
        {
            "path": str(inbox / "report.pdf"),
            "reason": "unsupported file type (expected .txt, .md, .html, .htm)",
        }
    ]
    failed = {"path": str(inbox / "empty.txt"), "reason": "empty file (no text)", "failing_since": None}
    assert report["failed"] == [failed]
    assert article["updated"] is False and article["version_since"] is not None
    assert report["timings"]["total_seconds"] > 0 and "translator" in report["timings"]["model_load_seconds"]
    assert report["digest"] == str(out / "digest.md")
    again = runner.invoke(app, args)
    second = json.loads(again.stdout)
    assert second["counts"]["from_cache"] == 1 and second["counts"]["unchanged"] == 1
    assert second["timings"]["model_load_seconds"] == {}
    # empty.txt fails as it did, unchanged: no news, so no exit 1 (and said as such).
    assert again.exit_code == second["exit_code"] == 0 and second["counts"]["still_failing"] == 1
    assert second["failed"] == [failed | {"failing_since": report["articles"][0]["version_since"]}]
    assert f"still failing: {inbox / 'empty.txt'}: empty file (no text) (since " in again.stderr


def test_a_config_file_gives_defaults_that_options_override_and_config_says_where_each_came_from(
    tmp_path: Path, copy_marian: Path, tiny_bart: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox = inbox_with(tmp_path, {"a.txt": GOOD})
    config = tmp_path / "config.toml"  # where the autouse fixture points SUMMARISE_CONFIG
    monkeypatch.delenv("SUMMARISE_CACHE_DIR")
    config.write_text(
        f'translator = "{copy_marian}"\nsummariser = "{tiny_bart}"\nengine = "torch"\nbeams = 1\n'
        f'briefs_folder = "{tmp_path / "morning"}"\ncache_dir = "{tmp_path / "my-cache"}"\n',
        encoding="utf-8",
    )
    result = runner.invoke(app, ["brief", str(inbox), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert Path(report["articles"][0]["outputs"][0]).parent == tmp_path / "morning"
    record = json.loads((tmp_path / "morning" / "a.json").read_text(encoding="utf-8"))
    assert record["models"]["translator"]["id"] == str(copy_marian)
    assert record["settings"]["translation"]["beams"] == 1
    assert record["models"]["translator"]["engine"].startswith("transformers")
    assert (tmp_path / "my-cache").is_dir()
    # An option beats the file.
    result = runner.invoke(app, ["brief", str(inbox), "-o", str(tmp_path / "other"), "--beams", "2"])
    assert result.exit_code == 0, result.output
    assert (
        json.loads((tmp_path / "other" / "a.json").read_text(encoding="utf-8"))["settings"]["translation"][
            "beams"
        ]
        == 2
    )
    shown = runner.invoke(app, ["config"])
    assert shown.exit_code == 0
    assert f"config file: {config}" in shown.stdout
    assert f"  engine = torch  [config file {config}]" in shown.stdout
    assert "  device = auto  [default]" in shown.stdout
    assert "  translator_revision = (the model's pinned or main)  [default]" in shown.stdout
    assert f"  cache_dir = {tmp_path / 'my-cache'}  [config file {config}]" in shown.stdout
    assert "cache:" in runner.invoke(app, ["cache", "stats"]).stdout and str(tmp_path / "my-cache") in (
        runner.invoke(app, ["cache", "stats"]).stdout
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('engin = "torch"\n', "engin: unknown setting"),
        ('engine = "gpu"\n', "engine: 'gpu' is not one of auto, ct2, torch"),
        ("beams = 0\n", "beams: 0 is not a whole number from 1 to 16"),
        ("engine = \n", "not valid TOML"),
    ],
)
def test_a_config_file_with_a_mistake_is_one_line_exit_2(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "config.toml").write_text(text, encoding="utf-8")
    inbox = inbox_with(tmp_path, {"a.txt": GOOD})
    for args in (["brief", str(inbox), "-o", str(tmp_path / "out")], ["config"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2
        [line] = result.stderr.strip().splitlines()
        assert line.startswith(f"error: {tmp_path / 'config.toml'}: ") and message in line
    assert not (tmp_path / "out").exists()


class RecordedProgress:
    """What a run reports to its progress display, in order."""

    def __init__(self) -> None:
        self.events: list[tuple[str, object]] = []

    def start(self, total: int) -> None:
        self.events.append(("start", total))

    def advance(self, articles: int = 1) -> None:
        self.events.append(("advance", articles))

    def phase(self, description: str, total: int | None = None, unit: str = "") -> None:
        self.events.append(("phase", description))

    def step(self, count: int = 1) -> None:
        self.events.append(("step", count))


def test_progress_moves_during_the_work_and_names_each_phase(
    tmp_path: Path, tiny_marian: Path, tiny_bart: Path
) -> None:
    from support import many_articles, options

    from summarise.pipeline import run

    many_articles(tmp_path / "inbox", 6)
    progress = RecordedProgress()
    report = run([tmp_path / "inbox"], options(tmp_path / "out", tiny_marian, tiny_bart), progress)
    assert not report.failures
    phases = [what for kind, what in progress.events if kind == "phase"]
    translating = next(p for p in phases if str(p).startswith("translating "))
    # The first use on CTranslate2 converts the model first: the phase says so, once.
    assert phases[:2] == ["loading the translator (first use: converting it, once)", translating]
    assert "loading the summariser (first use: converting it, once)" in phases
    assert "summarising 6 articles" in phases
    # Segments are counted as batches finish: the bar moves before any article is done.
    start = progress.events.index(("phase", translating))
    end = next(i for i, (kind, _) in enumerate(progress.events) if kind == "phase" and i > start)
    assert ("advance", 1) not in progress.events[:end]
    steps = [int(str(n)) for kind, n in progress.events[start:end] if kind == "step"]
    assert sum(steps) == int(str(translating).split()[1]) and len(steps) >= 1
    assert progress.events[0] == ("start", 6)
    assert sum(n for kind, n in progress.events if kind == "advance") == 6  # type: ignore[misc]
    many_articles(tmp_path / "more", 2, tag="more")
    again = RecordedProgress()
    run([tmp_path / "more"], options(tmp_path / "out3", tiny_marian, None), again)
    assert ("phase", "loading the translator") in again.events  # converted already: not said again
    # Not a terminal (as here): no bars at all on stderr.
    result = runner.invoke(app, brief_args(tmp_path / "inbox", tmp_path / "out2", tiny_marian, tiny_bart))
    assert result.exit_code == 0 and "articles:" not in result.stderr and "it/s" not in result.stderr
