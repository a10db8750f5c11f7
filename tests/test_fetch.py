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
from support import GOOD, brief_args, inbox_with, runner, translate_args

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
    inbox = inbox_with(tmp_path, {"local.txt": GOOD})
    out = tmp_path / "out"
    urls = [server.base + p for p in ("/good.html", "/report.pdf", "/gone", "/loop", "/away")]
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
    server.routes["/big"] = lambda h: (200, {"Content-Type": "text/plain"}, b"x" * 5000)
    server.routes["/robots.txt"] = lambda h: (
        200,
        {"Content-Type": "text/plain"},
        b"User-agent: *\nDisallow: /privat/\n",
    )
    server.page("/privat/a.html", PAGE)
    with fetcher(tmp_path, timeout=0.5, tries=1, max_bytes=1000) as client:
        with pytest.raises(FetchError, match=r"no answer within 0.5 s"):
            client.page(server.base + "/slow")
        with pytest.raises(
            FetchError, match=r"5,000 bytes, more than the size limit \(1,000 bytes; --max-size\)"
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
    with client:
        client.page(server.base + "/a.html")
        client.page(server.base + "/a.html")
    assert waited == [2.0, 2.0]  # robots.txt, then the page, then the page again: 2 s apart


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
