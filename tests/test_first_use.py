"""First use and everyday use, as a newcomer meets them: usage without arguments, a URL or an
output folder given as PATH, the Unix filter, asking before clearing the cache, and the words
and numbers of the messages."""

from __future__ import annotations

import json
import os
import pty
import subprocess
from pathlib import Path

import pytest
from support import (
    COPY_MARIAN,
    REPO,
    brief_args,
    console_script,
    environment_for_subprocess,
    inbox_with,
    options,
    run_summarise,
    runner,
    translate_args,
)

from summarise.cli import app

LEAD = "Die Regierung hat am Montag ein neues Gesetz beschlossen."
BODY = "Der Stadtrat hat am Dienstag den neuen Radweg beschlossen. Die Arbeiten beginnen im Herbst."


def test_summarise_alone_prints_the_usage_and_exits_2() -> None:
    result = run_summarise()
    assert result.returncode == 2
    assert result.stderr.startswith("Usage: summarise") and "brief" in result.stderr
    assert result.stdout == ""


def test_a_web_address_the_tool_does_not_fetch_is_named_with_why(tmp_path: Path, copy_marian: Path) -> None:
    result = run_summarise(
        "translate", "ftp://www.example.org/artikel-1.html", "--translator", str(copy_marian), cwd=tmp_path
    )
    assert result.returncode == 1
    assert "error: ftp://www.example.org/artikel-1.html: only http and https addresses are fetched" in (
        result.stderr.splitlines()
    )


def test_a_web_address_given_to_the_library_as_a_path_says_to_give_it_as_text(tmp_path: Path) -> None:
    from summarise.errors import ConfigError
    from summarise.pipeline import run

    with pytest.raises(
        ConfigError, match=r"^https://www.example.org/a.html: a web address given as a path: give"
    ):
        run([Path("https://www.example.org/a.html")], options(tmp_path / "out", COPY_MARIAN, None))


def test_an_output_folder_given_as_path_is_recognised(tmp_path: Path, copy_marian: Path) -> None:
    inbox = inbox_with(tmp_path, {"a.txt": LEAD})
    out = tmp_path / "out"
    assert runner.invoke(app, translate_args(inbox, out, copy_marian)).exit_code == 0
    result = runner.invoke(app, translate_args(out, tmp_path / "again", copy_marian))
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {out}: a folder of summarise's outputs (briefs or translations), not of articles: give "
        "the folder the articles are in\n"
    )


def test_translate_dash_reads_standard_input_and_prints_the_translation(tmp_path: Path) -> None:
    here = tmp_path / "here"
    here.mkdir()
    result = run_summarise("translate", "-", "--translator", str(COPY_MARIAN), input=f"{BODY}\n", cwd=here)
    assert result.returncode == 0, result.stderr
    # The copy model gives the German back: the answer is the article's own text, exactly.
    assert result.stdout == f"{BODY}\n"
    assert result.stderr == ""  # no "written to" line: nothing was written
    assert list(here.iterdir()) == []  # no output folder
    again = run_summarise("translate", "-", "--translator", str(COPY_MARIAN), input=BODY, cwd=here)
    assert again.stdout == result.stdout  # the same answer, from the cache


def test_brief_dash_prints_the_markdown_brief(tmp_path: Path, tiny_bart: Path) -> None:
    result = run_summarise(
        "brief",
        "-",
        "--translator",
        str(COPY_MARIAN),
        "--summariser",
        str(tiny_bart),
        "--beams",
        "1",
        input=f"Stadtrat beschließt Radweg\n{BODY}\n",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("# Stadtrat beschließt Radweg\n\n## Summary\n")
    assert "## Translation" in result.stdout and BODY.split(". ")[0] in result.stdout


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["inbox"], "error: - (standard input) is read alone: give either - or files and folders"),
        (["-o", "out"], "error: -o: with - the answer goes to standard output (redirect it: > brief.md)"),
        (["--json"], "error: --json: with - standard output carries the answer; leave out one of them"),
    ],
)
def test_dash_stands_alone(tmp_path: Path, extra: list[str], message: str) -> None:
    (tmp_path / "inbox").mkdir()
    result = run_summarise(
        "translate", "-", *extra, "--translator", str(COPY_MARIAN), input=BODY, cwd=tmp_path
    )
    assert (result.returncode, result.stderr, result.stdout) == (2, message + "\n", "")


def test_an_empty_standard_input_is_one_error_naming_it(tmp_path: Path) -> None:
    result = run_summarise("translate", "-", "--translator", str(COPY_MARIAN), input="", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr == "error: -: empty file (no text)\n"


def _cache_with_an_entry(tmp_path: Path) -> Path:
    cache = tmp_path / "cache"
    inbox = inbox_with(tmp_path, {"a.txt": LEAD})
    args = [*translate_args(inbox, tmp_path / "out", COPY_MARIAN), "--cache-dir", str(cache)]
    assert runner.invoke(app, args).exit_code == 0
    return cache


def _on_a_terminal(args: list[str], answer: str) -> tuple[int, str, str]:
    """`summarise ARGS` with a terminal as standard input, answering `answer` to its question."""
    leader, follower = pty.openpty()
    with subprocess.Popen(
        [console_script(), *args],
        stdin=follower,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment_for_subprocess(),
        text=True,
    ) as process:
        os.close(follower)
        os.write(leader, answer.encode())
        out, err = process.communicate(timeout=120)
    os.close(leader)
    return process.returncode, out, err


def test_cache_clear_asks_on_a_terminal_and_keeps_the_cache_on_no(tmp_path: Path) -> None:
    cache = _cache_with_an_entry(tmp_path)
    code, out, err = _on_a_terminal(["cache", "clear", "--cache-dir", str(cache)], "n\n")
    assert code == 1 and out == ""
    assert f"{cache} holds 1 translation, 0 summaries and 1 remembered segment" in err
    assert "the next run translates and summarises every article again" in err
    assert "Clear the cache? [y/N]" in err and err.endswith("cache kept\n")
    stats = runner.invoke(app, ["cache", "stats", "--cache-dir", str(cache)])
    assert "translation entries: 1" in stats.stdout
    code, out, _ = _on_a_terminal(["cache", "clear", "--cache-dir", str(cache)], "y\n")
    assert code == 0 and out.startswith("removed 2 entries from")


def test_cache_clear_without_a_terminal_needs_yes(tmp_path: Path) -> None:
    cache = _cache_with_an_entry(tmp_path)
    refused = runner.invoke(app, ["cache", "clear", "--cache-dir", str(cache)])
    assert refused.exit_code == 2
    assert refused.stderr == (
        "error: cache clear deletes the whole cache: add --yes to clear it without being asked\n"
    )
    cleared = runner.invoke(app, ["cache", "clear", "--cache-dir", str(cache), "--yes"])
    assert cleared.exit_code == 0 and cleared.stdout.startswith("removed 2 entries")


def test_a_cache_folder_that_does_not_exist_is_said_so(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    for command in (["cache", "stats"], ["cache", "clear", "--yes"]):
        result = runner.invoke(app, [*command, "--cache-dir", str(missing)])
        assert result.exit_code == 2
        assert result.stderr == f"error: --cache-dir {missing}: no cache there (no such folder)\n"
    # At the default place (here $SUMMARISE_CACHE_DIR, not made yet): no cache yet, not an error.
    stats = runner.invoke(app, ["cache", "stats"])
    assert stats.exit_code == 0
    assert stats.stdout == f"cache: none at {os.environ['SUMMARISE_CACHE_DIR']} yet (a run creates it)\n"
    assert not missing.exists()


def test_the_closing_line_counts_what_was_written_and_what_was_left_alone(
    tmp_path: Path, copy_marian: Path
) -> None:
    inbox = inbox_with(tmp_path, {"a.txt": LEAD, "b.txt": BODY, "c.txt": "Ein dritter Artikel ist das hier."})
    out = tmp_path / "out"
    first = runner.invoke(app, translate_args(inbox, out, copy_marian))
    assert first.stderr.endswith(f"3 translations written to {out}\n")
    (inbox / "a.txt").write_text(LEAD + " Es tritt im Mai in Kraft.", encoding="utf-8")
    second = runner.invoke(app, translate_args(inbox, out, copy_marian))
    assert second.stderr.endswith(f"1 translation written to {out}, 2 unchanged\n")
    third = runner.invoke(app, translate_args(inbox, out, copy_marian))
    assert third.stderr.endswith(f"nothing new in {out}: 3 translations unchanged\n")
    (out / "b.txt").unlink()  # an output deleted: made again, from the cache
    fourth = runner.invoke(app, translate_args(inbox, out, copy_marian))
    assert fourth.stderr.endswith(f"1 translation written to {out} (1 from the cache), 2 unchanged\n")


def test_a_digest_is_written_when_every_article_failed_and_the_report_names_both_pages(
    tmp_path: Path, copy_marian: Path, tiny_bart: Path
) -> None:
    inbox = inbox_with(tmp_path, {"leer.txt": " \n"})
    out = tmp_path / "out"
    result = runner.invoke(app, [*brief_args(inbox, out, copy_marian, tiny_bart), "--json", "-q"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["digest"] == str(out / "digest.md") and report["digest_html"] == str(out / "digest.html")
    digest = (out / "digest.md").read_text(encoding="utf-8")
    assert digest.startswith("# Digest: 1 article, ") and "_0 new today, 1 failed · updated " in digest
    assert "leer.txt" in digest and (out / "digest.html").is_file()


def test_the_doubts_count_and_the_coverage_line_count_the_same_segments(
    tmp_path: Path, copy_marian: Path, tiny_bart: Path
) -> None:
    from summarise.brief import Brief
    from summarise.render import render_brief

    inbox = inbox_with(tmp_path, {"a.txt": f"Stadtrat beschließt Radweg\n{BODY}"})
    out = tmp_path / "out"
    assert runner.invoke(app, brief_args(inbox, out, copy_marian, tiny_bart)).exit_code == 0
    brief = Brief.from_json(json.loads((out / "a.json").read_text(encoding="utf-8")))
    segments = len(brief.segments)
    markdown = render_brief(brief)
    assert f"sentences in {segments} segments and the headline, {segments + 1} translated" in markdown
    assert brief.translated_units == segments + 1


def test_the_missing_models_error_says_how_to_try_it_without_them(tmp_path: Path) -> None:
    inbox = inbox_with(tmp_path, {"a.txt": LEAD})
    result = run_summarise("brief", str(inbox), "-o", str(tmp_path / "out"))
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert result.stderr.endswith(
        '(to see summarise work without them: "Try it without the models" in its README)\n'
    )


def test_the_tiny_summariser_of_the_readme_is_built_in_one_command(tmp_path: Path) -> None:
    from summarise.localmodels import main

    assert main(["tiny-summariser", str(tmp_path / "tiny"), "--text", str(REPO / "seeds")]) == 0
    assert (tmp_path / "tiny" / "model.safetensors").is_file()
    config = json.loads((tmp_path / "tiny" / "config.json").read_text(encoding="utf-8"))
    assert config["architectures"] == ["BartForConditionalGeneration"]
    (tmp_path / "empty").mkdir()
    assert main(["tiny-summariser", str(tmp_path / "none"), "--text", str(tmp_path / "empty")]) == 2


def test_the_progress_lines_show_time_for_a_phase_without_steps_and_no_eta_before_an_article(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from summarise import terminal

    with terminal.TqdmProgress() as progress:
        progress.start(8)
        progress.phase("loading the translator (first use: converting it, once)")
        progress.current.refresh()
        progress.articles.refresh()
        drawn = capsys.readouterr().err
        assert "loading the translator (first use: converting it, once): 00:00" in drawn
        assert "0it" not in drawn and "?it/s" not in drawn  # tqdm's filler for a phase without a count
        assert "0/8 [00:00]" in drawn and "<?" not in drawn  # no "?" for the time left yet
        progress.phase("translating 10 segments", 10, "segment")
        progress.step(5)
        progress.advance()
        progress.articles.refresh()
        progress.current.refresh()
        drawn = capsys.readouterr().err
        assert "5/10" in drawn and "1/8 [" in drawn and "article/s]" in drawn
        terminal.say("Ctrl-C: stopping after the current batch")  # above the bars, not into them
        said = capsys.readouterr().err
        assert "Ctrl-C: stopping after the current batch\n" in said
    capsys.readouterr()  # the bars cleared away
    terminal.say("after the run")
    assert capsys.readouterr().err == "after the run\n"


def test_transformers_bars_stay_out_of_ours_with_verbose_too(monkeypatch: pytest.MonkeyPatch) -> None:
    from summarise import terminal

    monkeypatch.delenv("HF_HUB_DISABLE_PROGRESS_BARS", raising=False)
    monkeypatch.delenv("TRANSFORMERS_VERBOSITY", raising=False)
    terminal.configure_logging(verbose=True)
    assert os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] == "1"
    assert "TRANSFORMERS_VERBOSITY" not in os.environ  # -v shows the libraries' warnings
