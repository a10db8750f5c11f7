"""Nothing lost, whatever the folder holds (issue 10): outputs never touch inputs, odd names and
odd files, broken text, hostile markup, an unusable cache folder, an engine that breaks mid-run."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, unquote_to_bytes

import pytest
from markdown_it import MarkdownIt
from support import (
    ENGLISH,
    GOOD,
    brief_args,
    environment_for_subprocess,
    inbox_with,
    options,
    runner,
    translate_args,
    without_permission_override,
)

from summarise.cli import app
from summarise.engines import Ct2Engine
from summarise.pipeline import run


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error:")]


# ----------------------------------------------------------------------------- never touch the inputs


def test_an_output_never_takes_the_name_of_an_input(
    tmp_path: Path, copy_marian: Path, tiny_bart: Path
) -> None:
    """`translate in -o in`: the translation of `a.txt` would be `a.txt`; it is `a.txt.txt` (the
    name scheme, docs/outputs.md "Output names"), and no article is touched, then or on the next run."""
    inbox = inbox_with(tmp_path, {"a.txt": GOOD, "b.txt": GOOD + " Zwei."})
    before = {p.name: p.read_bytes() for p in inbox.iterdir()}
    result = runner.invoke(app, translate_args(inbox, inbox, copy_marian))
    assert result.exit_code == 0, result.output
    assert {p.name: p.read_bytes() for p in inbox.iterdir() if p.name in before} == before
    assert {p.name for p in inbox.iterdir() if not p.name.startswith(".")} == {
        "a.txt",
        "b.txt",
        "a.txt.txt",
        "a.txt.json",
        "b.txt.txt",
        "b.txt.json",
    }
    (inbox / "c.md").write_text(GOOD + " Drei.", encoding="utf-8")
    before["c.md"] = (inbox / "c.md").read_bytes()
    link = tmp_path / "link"
    link.symlink_to(inbox)  # the same folder under another name
    result = runner.invoke(app, brief_args(inbox, tmp_path / "briefs", copy_marian, tiny_bart))
    assert result.exit_code == 0 and "3 briefs written" in result.stderr  # our outputs are no articles
    result = runner.invoke(app, translate_args(inbox, link, copy_marian))
    assert result.exit_code == 0, result.output
    assert (inbox / "c.txt").is_file() and (inbox / "a.txt.txt").is_file()  # no article is named c.txt
    assert {p.name: p.read_bytes() for p in inbox.iterdir() if p.name in before} == before


def test_an_output_that_resolves_through_a_link_to_an_input_is_refused_before_any_work(
    tmp_path: Path, copy_marian: Path
) -> None:
    inbox = inbox_with(tmp_path, {"a.txt": GOOD})
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.txt").symlink_to(inbox / "a.txt")  # a translation written there would replace it
    result = runner.invoke(app, translate_args(inbox, out, copy_marian))
    assert result.exit_code == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"error: {out / 'a.txt'} would replace the article {inbox / 'a.txt'}")
    assert (inbox / "a.txt").read_text(encoding="utf-8") == GOOD


def test_the_output_folder_is_excluded_by_resolved_path(
    tmp_path: Path, copy_marian: Path, tiny_bart: Path
) -> None:
    inbox = inbox_with(tmp_path, {"a.txt": GOOD, "b.txt": GOOD + " Zwei."})
    (inbox / "briefs").mkdir()
    link = tmp_path / "briefs-link"
    link.symlink_to(inbox / "briefs")
    for _ in range(2):  # the second run must not read the first run's briefs
        result = runner.invoke(app, brief_args(inbox, link, copy_marian, tiny_bart))
        assert result.exit_code == 0, result.output
    records = sorted(p.name for p in (inbox / "briefs").rglob("*.json"))
    assert records == ["a.json", "b.json"]


def test_files_this_tool_wrote_are_never_taken_as_articles(
    tmp_path: Path, copy_marian: Path, tiny_bart: Path
) -> None:
    inbox = inbox_with(tmp_path, {"a.txt": GOOD, "b.txt": GOOD + " Zwei."})
    # Briefs written among the articles (allowed: no article is replaced), then run again.
    assert runner.invoke(app, brief_args(inbox, inbox, copy_marian, tiny_bart)).exit_code == 0
    assert not (inbox / ".summarise-output").exists()  # the folder holds articles: not marked
    again = runner.invoke(app, brief_args(inbox, inbox, copy_marian, tiny_bart))
    assert again.exit_code == 0, again.output
    assert "2 briefs unchanged" in again.stderr  # a.txt and b.txt; not a.md, b.md or digest.md
    # An output folder from an earlier run inside the input tree is skipped by its marker.
    assert runner.invoke(app, brief_args(inbox, inbox / "old", copy_marian, tiny_bart)).exit_code == 0
    assert (inbox / "old" / ".summarise-output").is_file()
    other = runner.invoke(app, brief_args(inbox, tmp_path / "new", copy_marian, tiny_bart))
    assert other.exit_code == 0 and "2 briefs written" in other.stderr, other.output
    # Named on the command line, an output is refused with its reason.
    named = runner.invoke(app, brief_args(inbox / "old" / "a.md", tmp_path / "x", copy_marian, tiny_bart))
    assert "skipped: " in named.stderr and "written by summarise" in named.stderr
    assert named.exit_code == 0  # skipped is not failed


# ----------------------------------------------------------------------------- names and files


@pytest.mark.skipif(sys.platform != "linux", reason="needs a file system that takes any bytes")
def test_a_file_name_that_is_not_utf8_is_briefed_and_kept_losslessly(
    tmp_path: Path, copy_marian: Path, tiny_bart: Path
) -> None:
    inbox = inbox_with(tmp_path, {"a.txt": GOOD})
    raw = os.path.join(os.fsencode(inbox), "Grüße.txt".encode("latin-1"))
    with open(raw, "wb") as handle:
        handle.write(b"Die Stadt plant neue Busse f\xc3\xbcr den Nahverkehr.")
    out = tmp_path / "out"
    result = runner.invoke(app, brief_args(inbox, out, copy_marian, tiny_bart))
    assert result.exit_code == 0, result.output
    [record_path] = [p for p in out.glob("*.json") if p.name != "a.json"]
    assert os.fsencode(record_path.name) == "Grüße.json".encode("latin-1")  # the output keeps the bytes
    record = json.loads(record_path.read_bytes())
    assert bytes.fromhex(record["source"]["path_bytes"]) == raw
    assert record["source"]["path"].endswith("Gr\\xfc\\xdfe.txt")
    assert record["title"] == "Die Stadt plant neue Busse für den Nahverkehr."  # its first sentence
    digest = (out / "digest.md").read_text(encoding="utf-8")
    links = digest_links(digest)
    assert {os.path.exists(os.path.join(os.fsencode(out), link)) for link in links} == {True}


ODD_NAMES = [
    "line\nbreak.txt",
    "hash#tag.txt",
    "bra]cket.txt",
    "paren).txt",
    "back`tick.txt",
    "per%25cent.txt",
    "back\\slash.txt",
]


def digest_links(digest: str) -> list[bytes]:
    """The link targets of the digest's article headings, as bytes (percent-decoded)."""
    tokens = MarkdownIt("commonmark").parse(digest)
    headings = [tokens[i + 1] for i, t in enumerate(tokens) if t.type == "heading_open" and t.tag == "h3"]
    links = []
    for heading in headings:
        opened = [c for c in heading.children or [] if c.type == "link_open"]
        assert len(opened) == 1, heading.content  # one entry, one link
        links.append(unquote_to_bytes(str(opened[0].attrs["href"])))
    return links


def test_every_odd_name_is_one_digest_entry_with_one_working_link(
    tmp_path: Path, copy_marian: Path, tiny_bart: Path
) -> None:
    inbox = inbox_with(tmp_path, {name: f"{GOOD} {i}." for i, name in enumerate(ODD_NAMES)})
    out = tmp_path / "out"
    result = runner.invoke(app, brief_args(inbox, out, copy_marian, tiny_bart))
    assert result.exit_code == 0, result.output
    links = digest_links((out / "digest.md").read_text(encoding="utf-8"))
    assert len(links) == len(ODD_NAMES)
    opened = {(out / os.fsdecode(link)).with_suffix(".json") for link in links}
    sources = {json.loads(p.read_text(encoding="utf-8"))["source"]["path"] for p in opened}
    assert sources == {str(inbox / name) for name in ODD_NAMES}  # each link opens its own brief


def test_names_too_long_for_an_output_are_shortened_with_a_hash_and_recorded(
    tmp_path: Path, copy_marian: Path
) -> None:
    names = {
        "a" * 246 + ".txt": GOOD,
        "ä" * 125 + "x.txt": GOOD + " Zwei.",
        "b" * 251 + ".txt": GOOD + " Drei.",
    }
    inbox = inbox_with(tmp_path, names)
    out = tmp_path / "out"
    result = runner.invoke(app, translate_args(inbox, out, copy_marian))
    assert result.exit_code == 0, result.output
    records = {
        Path(r["source"]["path"]).name: r
        for r in map(json.loads, (p.read_bytes() for p in out.glob("*.json")))
    }
    assert set(records) == set(names)
    assert not [w for w in records["a" * 246 + ".txt"]["source"]["warnings"]]  # fits: left alone
    for name in ("ä" * 125 + "x.txt", "b" * 251 + ".txt"):
        [warning] = records[name]["source"]["warnings"]
        assert warning.startswith("output name shortened to ") and "~" in warning
    assert all(len(os.fsencode(p.name)) <= 255 for p in out.iterdir())


@pytest.mark.slow  # a child process per run: the slow tier (docs in README, Development)
def test_only_regular_files_are_read_and_big_ones_are_refused(tmp_path: Path, copy_marian: Path) -> None:
    inbox = inbox_with(tmp_path, {"good.txt": GOOD, "big.txt": GOOD * 40_000})  # 2.8 MB
    os.mkfifo(inbox / "news.txt")  # would block a reader forever
    (inbox / "zero.txt").symlink_to("/dev/zero")  # would fill the memory
    command = [sys.executable, "-m", "summarise", *translate_args(inbox, tmp_path / "out", copy_marian)]
    done = subprocess.run(
        [*command, "--max-size", "1"],
        env=environment_for_subprocess(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1, done.stderr
    assert sorted(error_lines(done.stderr)) == [
        f"error: {inbox / 'big.txt'}: 2.7 MB, over the limit of 1 MB for one article (--max-size)",
        f"error: {inbox / 'news.txt'}: not a regular file (a named pipe): not read",
        f"error: {inbox / 'zero.txt'}: not a regular file (a character device): not read",
    ]
    assert (tmp_path / "out" / "good.txt").is_file()


def make_deeper_than_path_max(root: Path) -> None:
    """Folders nested past PATH_MAX (4,096 bytes) with an article at the bottom."""
    fd = os.open(root, os.O_RDONLY)
    try:
        for _ in range(4096 // 241 + 1):
            os.mkdir("d" * 240, dir_fd=fd)
            deeper = os.open("d" * 240, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = deeper
        article = os.open("deep.txt", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(article, GOOD.encode())
        os.close(article)
    finally:
        os.close(fd)


def test_a_folder_too_deep_to_walk_is_named_and_counted(tmp_path: Path, copy_marian: Path) -> None:
    inbox = inbox_with(tmp_path, {"good.txt": GOOD})
    make_deeper_than_path_max(inbox)
    result = runner.invoke(app, translate_args(inbox, tmp_path / "out", copy_marian))
    assert result.exit_code == 1, result.output
    [line] = error_lines(result.stderr)
    assert line.startswith(f"error: {inbox}/ddd") and line.endswith(
        "cannot read this folder: File name too long"
    )
    assert "1 failed" in result.stderr


# ----------------------------------------------------------------------------- text


def test_a_few_bad_bytes_in_utf8_are_replaced_and_counted_not_a_reason_for_cp1252(
    tmp_path: Path, copy_marian: Path
) -> None:
    text = "Grüße aus Köln: Die Straßenbahn fährt über die Brücke, sagte der Bürgermeister."
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a.txt").write_bytes(text.encode() + b" Ein \xff Fehler. " + text.encode())
    out = tmp_path / "out"
    result = runner.invoke(app, translate_args(inbox, out, copy_marian))
    assert result.exit_code == 0, result.output
    source = json.loads((out / "a.json").read_text(encoding="utf-8"))["source"]
    assert source["encoding"] == "utf-8"
    assert source["warnings"] == ["1 invalid UTF-8 sequence replaced with U+FFFD"]
    segments = json.loads((out / "a.json").read_text(encoding="utf-8"))["segments"]
    assert "Grüße aus Köln" in segments[0]["source"]  # no mojibake
    assert "1 invalid UTF-8 sequence replaced" in result.stderr


HOSTILE = (
    "<script>alert('x')</script> Breaking news [click here](https://evil.example) now\n"
    "# Not a heading\n"
    'The mayor said <img src=x onerror="alert(1)"> and **bold** and `code` and &lt;b&gt; too.\n'
    "1. not a list\n"
    "| a | b |\n"
    "- not a list either ~~gone~~ _em_ <https://evil.example/auto> ![img](https://evil.example/i.png)"
)


def test_article_text_is_text_in_every_rendered_output(
    tmp_path: Path, copy_marian: Path, tiny_bart: Path
) -> None:
    """Rendered with a CommonMark parser: no markup an article brought survives."""
    inbox = inbox_with(tmp_path, {"hostile.txt": HOSTILE + "\n" + ENGLISH, "[x](https:evil).txt": GOOD})
    out = tmp_path / "out"
    result = runner.invoke(app, brief_args(inbox, out, copy_marian, tiny_bart))
    assert result.exit_code == 0, result.output
    parser = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    for name in ("hostile.md", "[x](https:evil).md", "digest.md"):
        markdown = (out / name).read_text(encoding="utf-8")
        tokens = list(walk(parser.parse(markdown)))
        kinds = {t.type for t in tokens}
        assert not kinds & {"html_inline", "html_block", "image", "s_open", "strong_open", "table_open"}, name
        assert not kinds & {"blockquote_open", "ordered_list_open"}, name
        links = [t.attrs["href"] for t in tokens if t.type == "link_open"]
        assert all(str(href).endswith(".md") for href in links), (name, links)  # the digest's own only
        headings = [t for t in tokens if t.type == "heading_open"]
        if name == "digest.md":
            assert [t.tag for t in headings] == ["h1", "h2", "h3", "h3"]
        else:
            tags = [t.tag for t in headings]
            assert tags[0] == "h1" and tags.count("h1") == 1, (name, tags)
            em = [t for t in tokens if t.type == "em_open"]
            assert len(em) <= 1  # only "_(no summary)_" could be ours
    hostile = (out / "hostile.md").read_text(encoding="utf-8")
    text = "".join(t.content for t in walk(parser.parse(hostile)) if t.type == "text")
    assert "<script>alert('x')</script> Breaking news [click here](https://evil.example) now" in text
    assert "# Not a heading" in text and '<img src=x onerror="alert(1)">' in text and "&lt;b&gt;" in text
    # The HTML pages: the only elements are ours, and the article's markup is text in them.
    for name in ("hostile.html", "[x](https:evil).html", "digest.html"):
        page = PageElements()
        page.feed((out / name).read_text(encoding="utf-8"))
        assert not page.tags & {"script", "img", "iframe", "object", "embed", "form", "input"}, name
        for href in page.links:  # ours only: the digest, the source file, a doubt's entry on the page
            if href.startswith("file://"):
                assert Path(unquote(href.removeprefix("file://"))).is_file(), (name, href)
            elif href.startswith("#"):
                assert href[1:] in page.ids, (name, href)
            else:
                assert href.endswith(".html") and (out / unquote(href)).is_file(), (name, href)
        if name == "hostile.html":
            assert "<script>alert('x')</script> Breaking news [click here](https://evil.example)" in page.text


class PageElements(HTMLParser):
    """The elements, link targets and text of an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.links += [value or "" for key, value in attrs if tag == "a" and key == "href"]
        self.ids.update(value or "" for key, value in attrs if key == "id")

    def handle_data(self, data: str) -> None:
        self.text += data


def walk(tokens: list[Any]) -> Any:
    for token in tokens:
        yield token
        if token.children:
            yield from walk(token.children)


# ----------------------------------------------------------------------------- the cache folder


@pytest.mark.parametrize("command", ["brief", "translate", "cache stats", "cache clear"])
def test_a_cache_folder_that_is_a_file_is_one_line_for_every_command(
    command: str, tmp_path: Path, copy_marian: Path, tiny_bart: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "cachefile"
    blocker.write_text("not a folder")
    monkeypatch.setenv("SUMMARISE_CACHE_DIR", str(blocker))
    inbox = inbox_with(tmp_path, {"a.txt": GOOD})
    args = {
        "brief": brief_args(inbox, tmp_path / "out", copy_marian, tiny_bart),
        "translate": translate_args(inbox, tmp_path / "out", copy_marian),
    }.get(command, command.split())
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert result.stderr.strip().splitlines() == [
        f"error: {blocker}: the cache folder is not a folder; "
        "point --cache-dir or SUMMARISE_CACHE_DIR to a folder you can write"
    ]
    assert not (tmp_path / "out").exists()  # refused before any work


def test_a_cache_folder_that_may_not_be_entered_is_one_line(tmp_path: Path, copy_marian: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0)
    prefix = without_permission_override()
    inbox = inbox_with(tmp_path, {"a.txt": GOOD})
    try:
        for args in (translate_args(inbox, tmp_path / "out", copy_marian), ["cache", "stats"]):
            command = [*prefix, sys.executable, "-m", "summarise", *args, "--cache-dir", str(locked)]
            done = subprocess.run(command, env=environment_for_subprocess(), capture_output=True, text=True)
            assert done.returncode == 2, done.stderr
            assert done.stderr.strip().splitlines() == [
                f"error: {locked}: cannot use the cache folder: Permission denied; "
                "point --cache-dir or SUMMARISE_CACHE_DIR to a folder you can write"
            ]
    finally:
        locked.chmod(stat.S_IRWXU)


# ----------------------------------------------------------------------------- engines


def test_an_engine_failing_mid_run_is_one_line_per_article_and_keeps_what_was_translated(
    tmp_path: Path, copy_marian: Path, monkeypatch: pytest.MonkeyPatch, seeds_copy: Path
) -> None:
    real = Ct2Engine.generate_many
    batches = []

    def breaks_after_two(self: Ct2Engine, jobs: Any, should_stop: Any = None) -> Any:
        for hypotheses in real(self, jobs, should_stop):
            batches.append(len(hypotheses))
            if len(batches) > 2:
                raise RuntimeError("Library libcublas.so.12 is not found or cannot be loaded")
            yield hypotheses

    monkeypatch.setattr(Ct2Engine, "generate_many", breaks_after_two)
    result = runner.invoke(app, translate_args(seeds_copy, tmp_path / "out", copy_marian))
    assert result.exit_code == 1 and "Traceback" not in result.output
    errors = error_lines(result.stderr)
    assert len(errors) == 5 and all(
        e.endswith("RuntimeError: Library libcublas.so.12 is not found or cannot be loaded") for e in errors
    )
    monkeypatch.setattr(Ct2Engine, "generate_many", real)
    report = run([seeds_copy], options(tmp_path / "out", copy_marian, None))
    assert report.exit_code == 0
    assert report.segments_remembered == sum(batches[:2])  # the two batches done before the failure
