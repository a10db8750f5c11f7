"""What a morning run from two feeds costs, and what the second run costs: a local web server on
127.0.0.1 serves two feeds (RSS 2.0 and Atom) of N entries each, every entry a page made of the
seeds' sentences; `summarise translate --feed A --feed B` runs three times through the real CLI in
a fresh interpreter (the copy model: the figures are the fetching's and the run's, not a real
model's): the first run, a second with nothing changed, and a third after one entry changed. For
each: the requests the server saw (by kind) and the wall time.

    .venv/bin/python scripts/feed_rerun.py [--entries 20] [--interval 1.0]

--interval is --fetch-interval (seconds between two requests to one host; 1 by default, as a
user's run would use it).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from seed_text import seed_sentences

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--entries", type=int, default=20, help="entries per feed")
    parser.add_argument("--interval", type=float, default=1.0, help="--fetch-interval")
    args = parser.parse_args()
    sentences = seed_sentences()
    pages: dict[str, bytes] = {}
    for section in ("politik", "wirtschaft"):
        for i in range(args.entries):
            text = " ".join(sentences[(i * 3 + k) % len(sentences)] for k in range(3))
            pages[f"/{section}/{i}.html"] = (
                f"<html><head><meta charset='utf-8'><title>{section} {i}</title></head><body><article>"
                f"<h1>{section.capitalize()}: Meldung {i}</h1><p>{text}</p></article></body></html>"
            ).encode()
    log: list[str] = []

    def feed(name: str, atom: bool) -> bytes:
        links = [f"/{name}/{i}.html" for i in range(args.entries)]
        if atom:
            entries = "".join(
                f'<entry><title>{link}</title><link href="{link}"/><id>{link}</id>'
                f"<updated>{'2026-12-08' if link.endswith('/0.html') and changed.is_set() else '2026-12-07'}"
                "T06:00:00Z</updated></entry>"
                for link in links
            )
            head = '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">'
            return f"{head}<title>{name}</title>{entries}</feed>".encode()
        items = "".join(
            f"<item><title>{link}</title><link>{link}</link><guid>{link}</guid>"
            "<pubDate>Mon, 07 Dec 2026 06:00:00 GMT</pubDate></item>"
            for link in links
        )
        head = '<?xml version="1.0"?><rss version="2.0">'
        return f"{head}<channel><title>{name}</title>{items}</channel></rss>".encode()

    changed = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            log.append(self.path)
            if self.path == "/politik.xml":
                body, kind = feed("politik", atom=False), "application/rss+xml"
            elif self.path == "/wirtschaft.atom":
                body, kind = feed("wirtschaft", atom=True), "application/atom+xml"
            elif self.path in pages:
                body, kind = pages[self.path], "text/html; charset=utf-8"
            else:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            tag = f'"{hash(body) & 0xFFFFFFFF:x}"'
            if self.headers.get("If-None-Match") == tag:
                self.send_response(304)
                self.send_header("ETag", tag)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("ETag", tag)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_port}"
    with tempfile.TemporaryDirectory(prefix="summarise-feeds-") as work:
        out = Path(work) / "out"
        command = [
            str(Path(sys.executable).with_name("summarise")),
            "translate",
            "--feed", f"{base}/politik.xml",
            "--feed", f"{base}/wirtschaft.atom",
            "-o", str(out),
            "--translator", str(REPO / "tests" / "data" / "copy-marian"),
            "--fetch-interval", str(args.interval),
            "--cache-dir", str(Path(work) / "cache"),
            "-q",
        ]  # fmt: skip
        print(f"two feeds of {args.entries} entries each, --fetch-interval {args.interval:g}")
        for label in ("first run", "second run, nothing changed", "third run, one entry changed"):
            if label.startswith("third"):
                changed.set()
                pages["/wirtschaft/0.html"] += b"<!-- changed -->"
            log.clear()
            began = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True)
            seconds = time.perf_counter() - began
            kinds = Counter(
                "robots.txt" if p == "/robots.txt" else "feed" if p.endswith((".xml", ".atom")) else "page"
                for p in log
            )
            by_kind = f"{kinds['feed']} feed, {kinds['page']} page, {kinds['robots.txt']} robots.txt"
            print(f"{label}: exit {done.returncode}, {len(log)} requests ({by_kind}), {seconds:.2f} s")
            if done.returncode != 0:
                print(done.stderr[-2000:])
    httpd.shutdown()


if __name__ == "__main__":
    main()
