"""Articles from the web: URLs fetched by a polite and safe client, against a local HTTP server
on 127.0.0.1 started by the tests (its pages of the project's own writing). Nothing here reaches
beyond loopback."""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from support import GOOD, brief_args, inbox_with, options, runner, translate_args

from summarise.cli import app
from summarise.errors import FetchError
from summarise.fetch import USER_AGENT, Fetcher, FetchSettings, PageStore

PAGE = (
    "<!DOCTYPE html><html lang='de'><head><meta charset='utf-8'><title>Radweg beschlossen</title>"
    "<meta name='author' content='Anna Beispiel'></head><body><article><h1>Der Stadtrat hat den "
    "Radweg beschlossen</h1><p>Der Stadtrat hat am Montag den neuen Radweg entlang des Flusses "
    "beschlossen. Die Arbeiten beginnen im Frühjahr und dauern ein Jahr.</p><p>Die Kosten liegen "
    "bei zwei Millionen Euro. Der Bund übernimmt die Hälfte.</p></article></body></html>"
)

Reply = tuple[int, dict[str, str], bytes]


@dataclass
class Server:
    """A web server on 127.0.0.1: `routes` answer by path; every request is logged."""

    routes: dict[str, Callable[[dict[str, str]], Reply]] = field(default_factory=dict)
    log: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    base: str = ""

    def page(
        self, path: str, body: str | bytes, content_type: str = "text/html; charset=utf-8", etag: str = ""
    ) -> None:
        data = body.encode() if isinstance(body, str) else body

        def answer(headers: dict[str, str]) -> Reply:
            tag = etag or '"' + hashlib.sha256(data).hexdigest()[:12] + '"'
            sent = {
                "Content-Type": content_type,
                "ETag": tag,
                "Last-Modified": "Mon, 07 Dec 2026 06:00:00 GMT",
            }
            if headers.get("if-none-match") == tag:
                return 304, sent, b""
            return 200, sent, data

        self.routes[path] = answer

    def requests_for(self, path: str) -> list[dict[str, str]]:
        return [headers for logged, headers in self.log if logged == path]


@pytest.fixture
def server() -> Iterator[Server]:
    state = Server()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            headers = {k.lower(): v for k, v in self.headers.items()}
            state.log.append((self.path, headers))
            route = state.routes.get(self.path)
            status, sent, body = (
                route(headers) if route else (404, {"Content-Type": "text/plain"}, b"not here")
            )
            self.send_response(status)
            for key, value in sent.items():
                self.send_header(key, value)
            if "Content-Length" not in sent and status != 304:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if status != 304:
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # a client that gave up
                    self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.base = f"http://127.0.0.1:{httpd.server_port}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield state
    httpd.shutdown()
    httpd.server_close()


def fetcher(tmp_path: Path, **settings: Any) -> Fetcher:
    chosen = {"max_bytes": 2**20, "interval": 0.0, "backoff": 0.0, "timeout": 5.0} | settings
    return Fetcher(FetchSettings(**chosen), PageStore(tmp_path / "pages"))


def fast(args: list[str]) -> list[str]:
    return [*args, "--fetch-interval", "0"]


def test_a_url_is_fetched_kept_and_briefed_with_its_provenance(
    tmp_path: Path, server: Server, copy_marian: Path, tiny_bart: Path
) -> None:
    server.page("/politik/radweg.html", PAGE)
    server.routes["/kurz"] = lambda h: (301, {"Location": "/politik/radweg.html"}, b"")
    url = server.base + "/kurz"
    out = tmp_path / "out"
    _, _, *options = brief_args(tmp_path, out, copy_marian, tiny_bart)  # "brief", PATH, options...
    result = runner.invoke(app, fast(["brief", url, *options]))
    assert result.exit_code == 0, result.output
    host = f"127.0.0.1_{server.base.rsplit(':', 1)[1]}"
    kept = out / ".pages" / host / "kurz.html"
    assert kept.read_bytes() == PAGE.encode()  # the page as it came
    record = json.loads((out / host / "kurz.json").read_text(encoding="utf-8"))
    source = record["source"]
    assert source["path"] == str(kept) and source["sha256"] == hashlib.sha256(PAGE.encode()).hexdigest()
    metadata = source["metadata"]
    assert metadata["url"] == url and metadata["final_url"] == server.base + "/politik/radweg.html"
    assert metadata["etag"].startswith('"') and metadata["last_modified"].endswith("GMT")
    assert metadata["fetched"].endswith("+00:00") and metadata["http_date"].endswith("GMT")
    assert metadata["author"] == "Anna Beispiel"  # the page's own metadata, read as for a saved page
    assert "Radweg" in record["title"]
    # Polite: it named itself, and asked robots.txt first.
    assert server.log[0][0] == "/robots.txt"
    assert all(headers["user-agent"] == USER_AGENT for _, headers in server.log)


def test_a_second_run_asks_whether_the_page_changed_and_rewrites_nothing(
    tmp_path: Path, server: Server, copy_marian: Path
) -> None:
    server.page("/a.html", PAGE)
    out = tmp_path / "out"
    args = fast(["translate", server.base + "/a.html", "-o", str(out), "--translator", str(copy_marian)])
    assert runner.invoke(app, args).exit_code == 0
    host = next(p for p in (out / ".pages").iterdir() if p.is_dir())
    kept = host / "a.html"
    written = {p: p.stat().st_mtime_ns for p in [kept, *out.glob("*/*.json")]}
    server.log.clear()
    again = runner.invoke(app, args)
    assert again.exit_code == 0 and "nothing new" in again.stderr, again.output
    [asked] = server.requests_for("/a.html")
    assert asked["if-none-match"].startswith('"') and "if-modified-since" in asked
    assert {p: p.stat().st_mtime_ns for p in written} == written  # nothing rewritten
    # Asked for, the page is fetched whole.
    server.log.clear()
    assert runner.invoke(app, [*args, "--refetch"]).exit_code == 0
    [whole] = server.requests_for("/a.html")
    assert "if-none-match" not in whole
    # A page that changed is fetched and translated again.
    server.page("/a.html", PAGE.replace("Montag", "Dienstag"))
    changed = runner.invoke(app, [*args, "--json"])
    report = json.loads(changed.stdout)
    assert [a["updated"] for a in report["articles"]] == [True]
    assert "Dienstag" in kept.read_text(encoding="utf-8")


def test_each_address_that_cannot_be_had_is_one_line_and_the_rest_go_on(
    tmp_path: Path, server: Server, copy_marian: Path
) -> None:
    server.page("/good.html", PAGE)
    server.page("/report.pdf", b"%PDF-1.4", content_type="application/pdf")
    server.routes["/gone"] = lambda h: (404, {"Content-Type": "text/plain"}, b"")
    server.routes["/loop"] = lambda h: (302, {"Location": "/loop"}, b"")
    server.routes["/away"] = lambda h: (302, {"Location": "ftp://127.0.0.1/file"}, b"")
    server.page("/feed.xml", "<rss/>", content_type="application/rss+xml")
    server.page("/binary.html", bytes(range(256)) * 40)  # fetched, then refused by the reader
    inbox = inbox_with(tmp_path, {"local.txt": GOOD})
    out = tmp_path / "out"
    urls = [server.base + p for p in ("/good.html", "/report.pdf", "/gone", "/loop", "/away", "/feed.xml")]
    urls.append(server.base + "/binary.html")
    result = runner.invoke(app, fast([*translate_args(inbox, out, copy_marian), *urls, "ftp://127.0.0.1/x"]))
    assert result.exit_code == 1
    said = [line for line in result.stderr.splitlines() if line.startswith(("error:", "skipped:"))]
    only_http = "only http and https addresses are fetched"
    assert sorted(said) == sorted(
        [
            f"skipped: {server.base}/report.pdf: content type application/pdf is not an article "
            "(HTML or plain text)",
            f"error: {server.base}/gone: HTTP 404 Not Found",
            f"error: {server.base}/loop: more than 5 redirects",
            f"error: {server.base}/away: redirected to ftp://127.0.0.1/file: {only_http}",
            f"error: ftp://127.0.0.1/x: {only_http}",
            f"skipped: {server.base}/feed.xml: content type application/rss+xml is not an article (HTML or "
            "plain text): a feed? give it with --feed",
            f"error: {server.base}/binary.html: binary file (control characters), not text",  # by its address
        ]
    ), said
    assert len(list(out.glob("**/*.json"))) == 2  # the good page and the local file


def test_busy_and_failing_servers_are_retried_with_backoff(tmp_path: Path, server: Server) -> None:
    answers = iter(
        [
            (429, {"Retry-After": "0"}, b""),
            (503, {}, b""),
            (200, {"Content-Type": "text/plain"}, b"Hallo Welt."),
        ]
    )
    server.routes["/busy.txt"] = lambda h: next(answers)
    server.routes["/broken"] = lambda h: (500, {}, b"")
    with fetcher(tmp_path) as client:
        page = client.page(server.base + "/busy.txt")
        assert page.path.read_text() == "Hallo Welt." and len(server.requests_for("/busy.txt")) == 3
        with pytest.raises(FetchError, match=r"HTTP 500 Internal Server Error"):
            client.page(server.base + "/broken")
    assert len(server.requests_for("/broken")) == 3


def test_a_slow_server_an_oversized_body_and_robots_txt(tmp_path: Path, server: Server) -> None:
    def slow(headers: dict[str, str]) -> Reply:
        time.sleep(1.5)
        return 200, {"Content-Type": "text/plain"}, b"spaet"

    server.routes["/slow"] = slow
    server.routes["/big"] = lambda h: (200, {"Content-Type": "text/plain"}, b"x" * (3 * 2**20))
    server.routes["/robots.txt"] = lambda h: (
        200,
        {"Content-Type": "text/plain"},
        b"User-agent: *\nDisallow: /privat/\n",
    )
    server.page("/privat/a.html", PAGE)
    with fetcher(tmp_path, timeout=0.5, tries=1, max_bytes=2**20) as client:
        with pytest.raises(FetchError, match=r"no answer within 0.5 s"):
            client.page(server.base + "/slow")
        with pytest.raises(
            FetchError, match=r"3.0 MB, over the limit of 1 MB for one article \(--max-size\)"
        ):
            client.page(server.base + "/big")
        with pytest.raises(FetchError, match=r"robots.txt does not allow it"):
            client.page(server.base + "/privat/a.html")
    assert server.requests_for("/privat/a.html") == []  # never asked for


def test_a_host_whose_robots_txt_fails_is_not_fetched_and_requests_to_a_host_are_spaced(
    tmp_path: Path, server: Server
) -> None:
    server.routes["/robots.txt"] = lambda h: (503, {}, b"")
    server.page("/a.html", PAGE)
    with fetcher(tmp_path, tries=1) as client, pytest.raises(FetchError, match=r"nothing of .* is fetched"):
        client.page(server.base + "/a.html")
    assert server.requests_for("/a.html") == []
    # Spaced: each request to one host waits for the interval since the last.
    server.routes["/robots.txt"] = lambda h: (404, {}, b"")
    waited: list[float] = []
    now = [100.0]

    def sleep(seconds: float) -> None:
        waited.append(seconds)
        now[0] += seconds

    settings = FetchSettings(max_bytes=2**20, interval=2.0, backoff=0.0)
    client = Fetcher(settings, PageStore(tmp_path / "spaced"), clock=lambda: now[0], sleep=sleep)
    server.page("/b.html", PAGE)
    with client:
        client.page(server.base + "/a.html")
        client.page(server.base + "/b.html")
        client.page(server.base + "/a.html")  # had already in this run: no request
    assert waited == [2.0, 2.0]  # robots.txt, then a page, then the other: 2 s apart


def test_no_connection_is_made_when_no_address_is_given(
    tmp_path: Path, copy_marian: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    def refuse(*args: Any) -> None:
        raise AssertionError("a connection was made")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(Fetcher, "__init__", refuse)
    inbox = inbox_with(tmp_path, {"a.txt": GOOD})
    assert runner.invoke(app, translate_args(inbox, tmp_path / "out", copy_marian)).exit_code == 0


def rss(items: list[tuple[str, str, str]], title: str = "Beispiel-Zeitung: Politik") -> str:
    """An RSS 2.0 feed of (title, link, date) items; links may be relative."""
    entries = "".join(
        f"<item><title>{t}</title><link>{link}</link><guid>{link}</guid><pubDate>{date}</pubDate></item>"
        for t, link, date in items
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>{title}</title>{entries}</channel></rss>'


MONDAY, TUESDAY = "Mon, 07 Dec 2026 06:00:00 GMT", "Tue, 08 Dec 2026 06:00:00 GMT"


def test_a_feeds_new_entries_are_fetched_once_and_a_second_run_fetches_nothing(
    tmp_path: Path, server: Server, copy_marian: Path
) -> None:
    for name in ("a", "b", "c"):
        server.page(f"/politik/{name}.html", PAGE.replace("Radweg", f"Radweg {name.upper()}"))
    items = [
        ("Radweg A", "/politik/a.html", MONDAY),  # relative: resolved against the feed's address
        ("Radweg B", server.base + "/politik/b.html", MONDAY),
        ("Radweg B", server.base + "/politik/b.html", MONDAY),  # the same entry twice
        ("Radweg C", "c.html", MONDAY),  # relative to the feed's folder
    ]
    server.page("/feeds/politik.xml", rss(items), content_type="application/rss+xml")
    server.page("/feeds/c.html", PAGE)
    atom = (
        '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Wirtschaft</title>'
        f'<entry><title>B again</title><link href="{server.base}/politik/b.html"/><id>urn:b</id>'
        "<updated>2026-12-07T06:00:00Z</updated></entry></feed>"
    )
    server.page("/feeds/wirtschaft.atom", atom, content_type="application/atom+xml")
    out = tmp_path / "out"
    args = fast(["translate", "-o", str(out), "--translator", str(copy_marian)])
    feeds = ["--feed", server.base + "/feeds/politik.xml", "--feed", server.base + "/feeds/wirtschaft.atom"]
    first = runner.invoke(app, [*args, *feeds, "--json"])
    assert first.exit_code == 0, first.output
    report = json.loads(first.stdout)
    assert sorted(Path(a["path"]).name for a in report["articles"]) == ["a.html", "b.html", "c.html"]
    for page in ("/politik/a.html", "/politik/b.html", "/feeds/c.html"):
        assert len(server.requests_for(page)) == 1, page  # each once, though named three times
    record = json.loads(next(out.glob("*/a.json")).read_text(encoding="utf-8"))
    metadata = record["source"]["metadata"]
    assert metadata["feed_title"] == "Beispiel-Zeitung: Politik" and metadata["entry_title"] == "Radweg A"
    assert metadata["entry_date"] == "2026-12-07T06:00:00+00:00"
    assert metadata["url"] == server.base + "/politik/a.html"
    assert metadata["feed_url"] == server.base + "/feeds/politik.xml"

    # The next run: the feeds unchanged (304), no page asked for at all.
    server.log.clear()
    second = runner.invoke(app, [*args, *feeds, "--json"])
    assert second.exit_code == 0 and json.loads(second.stdout)["counts"]["unchanged"] == 3
    asked = sorted(path for path, _ in server.log)
    assert asked == ["/feeds/politik.xml", "/feeds/wirtschaft.atom", "/robots.txt"], asked
    assert all("if-none-match" in headers for path, headers in server.log if path.startswith("/feeds/"))

    # An entry whose date changed is asked for again; the others are not.
    items[0] = ("Radweg A", "/politik/a.html", TUESDAY)
    server.page("/feeds/politik.xml", rss(items), content_type="application/rss+xml")
    server.page("/politik/a.html", PAGE.replace("Radweg", "Radweg A, geändert"))
    server.log.clear()
    third = json.loads(runner.invoke(app, [*args, *feeds, "--json"]).stdout)
    pages_asked = [
        path for path, _ in server.log if not path.startswith(("/feeds/politik", "/feeds/wirt", "/rob"))
    ]
    assert pages_asked == ["/politik/a.html"]
    assert [a["updated"] for a in third["articles"] if a["new"]] == [True]


def test_feeds_from_an_opml_file_and_the_config_file_and_what_is_no_feed(
    tmp_path: Path, server: Server, copy_marian: Path
) -> None:
    server.page("/politik/a.html", PAGE)
    server.page("/feeds/a.xml", rss([("A", "/politik/a.html", MONDAY)]), content_type="application/rss+xml")
    server.page("/feeds/page.html", PAGE)  # HTML, not a feed
    opml = tmp_path / "subscriptions.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><head><title>Abos</title></head><body>'
        f'<outline text="A" type="rss" xmlUrl="{server.base}/feeds/a.xml"/>'
        f'<outline text="Keine"><outline text="HTML" xmlUrl="{server.base}/feeds/page.html"/></outline>'
        "</body></opml>",
        encoding="utf-8",
    )
    config = tmp_path / "config.toml"  # where the autouse fixture points SUMMARISE_CONFIG
    config.write_text(
        f'feeds = ["{opml}", "{tmp_path / "missing.opml"}"]\nfetch_interval = 0\n', encoding="utf-8"
    )
    out = tmp_path / "out"
    result = runner.invoke(app, ["translate", "-o", str(out), "--translator", str(copy_marian)])
    assert result.exit_code == 1, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 2, errors
    assert (
        f"error: {server.base}/feeds/page.html: content type text/html is not a feed (RSS or Atom)" in errors
    )
    assert any(line.startswith(f"error: {tmp_path / 'missing.opml'}: ") for line in errors)
    assert len(list(out.glob("*/a.json"))) == 1


def test_a_watch_reads_its_feeds_at_their_own_pace(
    tmp_path: Path, server: Server, copy_marian: Path, tiny_bart: Path
) -> None:
    from dataclasses import replace

    from summarise.report import RunReport
    from summarise.watch import Watcher, WatchSettings

    server.page("/politik/a.html", PAGE)
    server.page("/politik/b.html", PAGE.replace("Radweg", "Brücke"))
    server.page("/feed.xml", rss([("A", "/politik/a.html", MONDAY)]), content_type="application/rss+xml")
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    chosen = replace(
        options(out, copy_marian, tiny_bart), feeds=(server.base + "/feed.xml",), fetch_interval=0.0
    )
    reports: list[tuple[RunReport, str]] = []
    stop = threading.Event()
    watcher = Watcher(
        [inbox],
        chosen,
        WatchSettings(settle=0.3, debounce=0.2, feed_interval=1.0),
        lambda r, w: reports.append((r, w)),
        stop.is_set,
    )
    thread = threading.Thread(target=watcher.run)
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while not list(out.glob("*/a.json")):
            assert time.monotonic() < deadline
            time.sleep(0.1)
        server.page(
            "/feed.xml",
            rss([("A", "/politik/a.html", MONDAY), ("B", "/politik/b.html", TUESDAY)]),
            content_type="application/rss+xml",
        )
        (inbox / "local.txt").write_text(GOOD, encoding="utf-8")
        while not (list(out.glob("*/b.json")) and (out / "local.json").exists()):
            assert time.monotonic() < deadline
            time.sleep(0.1)
    finally:
        stop.set()
        thread.join(30)
    kinds = [why for _, why in reports]
    assert kinds[0] == "start" and "feeds" in kinds and "1 changed" in kinds
    assert len(server.requests_for("/politik/a.html")) == 1  # taken once, never again
    # The run for the file that arrived read no feed: the feed is read at its own pace only.
    feed_reads = len(server.requests_for("/feed.xml"))
    assert feed_reads == 1 + kinds.count("feeds"), (feed_reads, kinds)
