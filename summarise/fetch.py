"""Fetch: a web address -> the page, kept on disk, then read like a saved page (the stage before
read).

A polite and safe client, built on httpx2 (the HTTP library huggingface_hub already brings): a
User-Agent naming the tool, timeouts, a size cap (`--max-size`), at most 5 redirects, each
followed only to http(s), content types checked (HTML and plain text are articles; anything else
is named and skipped), one request per host every `--fetch-interval` seconds (or the Crawl-delay
its robots.txt asks for), robots.txt respected (Protego, Scrapy's parser), retries with backoff on
429 and 5xx (Retry-After honoured). Every failure is one line naming the address.

Each page is kept in the pages folder (`OUT/.pages/<host>/<name>.html` unless `--pages` names
another) with an index (`.summarise-web`) of what came with it: the final address after
redirects, the fetch time, the server's Date, ETag and Last-Modified. A page already fetched is
asked for again conditionally (If-None-Match, If-Modified-Since): unchanged, it costs one small
request and nothing is written, and its brief is left as it is.

Nothing here runs, and no connection is made, unless a run is given an address.
"""

from __future__ import annotations

import calendar
import contextlib
import email.utils
import hashlib
import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar
from urllib.parse import urljoin, urlsplit

from . import __version__
from .errors import FetchError, InputError, OutputError, error_line, first_line
from .files import read_bytes, too_big
from .outputs import write_atomic

log = logging.getLogger(__name__)
_T = TypeVar("_T")

USER_AGENT = f"summarise/{__version__} (newsbrief; German news to English briefs)"
PAGES_FOLDER = ".pages"  # inside the output folder, unless --pages names another
INDEX_NAME = ".summarise-web"
INDEX_FORMAT = 1
_INDEX_MAX_BYTES = 2**28

# Content types that are articles, and the suffix their page is kept with (the reader of that suffix).
ARTICLE_TYPES = {"text/html": ".html", "application/xhtml+xml": ".html", "text/plain": ".txt"}
# Content types of feeds (servers send RSS and Atom under any of these).
FEED_TYPES = {
    "application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/xml", "text/xml",
}  # fmt: skip
_RETRIED = {429, 500, 502, 503, 504}
_LONGEST_WAIT = 60.0  # a Retry-After or Crawl-delay beyond this is not waited for


def is_web_address(text: str) -> bool:
    """Whether a command-line argument is a web address rather than a path."""
    return re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", text) is not None


@dataclass(frozen=True)
class FetchSettings:
    max_bytes: int  # --max-size
    interval: float = 1.0  # seconds between two requests to one host (--fetch-interval)
    refetch: bool = False  # ask for every page unconditionally (--refetch)
    timeout: float = 20.0  # seconds to connect, and between two reads
    max_redirects: int = 5
    tries: int = 3  # for 429, 5xx and a connection that failed or timed out
    backoff: float = 2.0  # seconds before the second try; doubled for each further one


@dataclass(frozen=True)
class Page:
    """A web page as kept on disk for a run."""

    url: str
    path: Path  # the page as it came, in the pages folder
    relative: PurePosixPath  # <host>/<name>: where its outputs go in the output folder
    metadata: tuple[tuple[str, str], ...]  # url, final_url, fetched, http_date, etag, last_modified
    fetched: bool  # False: unchanged since it was last fetched (the server said 304)


@dataclass
class _Kept:
    """What the index keeps of a page."""

    file: str  # relative to the pages folder
    final_url: str
    fetched: str  # ISO 8601, UTC
    sha256: str
    content_type: str
    http_date: str = ""
    etag: str = ""
    last_modified: str = ""

    def metadata(self, url: str) -> tuple[tuple[str, str], ...]:
        pairs = [
            ("url", url),
            ("final_url", self.final_url if self.final_url != url else ""),
            ("fetched", self.fetched),
            ("http_date", self.http_date),
            ("etag", self.etag),
            ("last_modified", self.last_modified),
        ]
        return tuple((key, value) for key, value in pairs if value)


@dataclass
class _Host:
    next_request: float = 0.0  # monotonic time
    robots: Any = None  # a Protego parser; None: everything allowed
    refused: str = ""  # why nothing of this host is fetched (its robots.txt could not be read)


class PageStore:
    """The pages folder and its index: which file holds which address, and what came with it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.index_path = folder / INDEX_NAME
        self.pages: dict[str, _Kept] = {}  # by address: pages, and feeds themselves
        self.entries: dict[str, dict[str, str]] = {}  # by feed: each entry taken (its id) -> its date
        self._load()

    def _load(self) -> None:
        try:
            data = json.loads(read_bytes(self.index_path, _INDEX_MAX_BYTES, "index")[0])
            if data.get("format") == INDEX_FORMAT:
                self.pages = {url: _Kept(**kept) for url, kept in data["pages"].items()}
                self.entries = {
                    feed: {str(key): str(date) for key, date in taken.items()}
                    for feed, taken in data.get("entries", {}).items()
                }
        except InputError:
            pass  # none yet: every page is fetched whole
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as error:
            log.info("%s: ignored (%s); pages are fetched again", self.index_path, error)
            self.pages, self.entries = {}, {}

    def save(self) -> None:
        data = {
            "format": INDEX_FORMAT,
            "pages": {url: asdict(kept) for url, kept in self.pages.items()},
            "entries": self.entries,
        }
        write_atomic(self.index_path, json.dumps(data, separators=(",", ":")) + "\n")

    def kept(self, url: str) -> _Kept | None:
        """The page as last fetched, if its file is still there."""
        kept = self.pages.get(url)
        return kept if kept is not None and (self.folder / kept.file).is_file() else None

    def name_for(self, url: str, suffix: str) -> str:
        """The file a page is kept in: `<host>/<last part of its path>`, made unique with a hash of
        the address where another address has that name."""
        if (kept := self.pages.get(url)) is not None and kept.file.endswith(suffix):
            return kept.file
        parts = urlsplit(url)
        host = _safe(parts.hostname or "host") + (f"_{parts.port}" if parts.port else "")
        tail = [_safe(p) for p in parts.path.split("/") if _safe(p)]
        stem = re.sub(r"\.(?:html?|php|aspx?|txt)$", "", tail[-1], flags=re.IGNORECASE) if tail else "index"
        stem = (stem or "index")[:80]
        taken = {kept.file for other, kept in self.pages.items() if other != url}
        name = f"{host}/{stem}{suffix}"
        if name in taken:
            name = f"{host}/{stem}~{hashlib.sha256(url.encode()).hexdigest()[:8]}{suffix}"
        return name


def _safe(part: str) -> str:
    """A part of an address as a file name: letters, digits, `-`, `_`, `.`; nothing hidden."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", part).strip("-.")[:80]


class Fetcher:
    """Fetches pages for one run (or one long-lived watch): one connection pool, robots.txt read
    once per host, requests to a host spaced out."""

    def __init__(
        self,
        settings: FetchSettings,
        store: PageStore,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        import httpx2

        self.settings = settings
        self.store = store
        self.clock = clock
        self.sleep = sleep
        self.hosts: dict[str, _Host] = {}
        self.done: dict[str, Page] = {}  # pages had by this fetcher: a page named twice is had once
        self.client = httpx2.Client(
            headers={"User-Agent": USER_AGENT},
            timeout=httpx2.Timeout(settings.timeout),
            follow_redirects=False,  # followed here: each hop checked (scheme, robots.txt, count)
            trust_env=True,  # the user's proxy settings
        )

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------------- a page

    def page(self, url: str) -> Page:
        """The page at `url`, kept on disk; FetchError (its reason in words) where it cannot be had,
        `skipped` where it is no article."""
        if url in self.done:
            return self.done[url]
        _check_address(url)
        kept = self.store.kept(url)
        response, body, final_url = self._get(url, self._conditions(kept))
        if response.status_code == 304 and kept is not None:
            self.done[url] = self._page(url, kept, fetched=False)
            return self.done[url]
        content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        suffix = ARTICLE_TYPES.get(content_type)
        if suffix is None:
            named = content_type or "none given"
            hint = ": a feed? give it with --feed" if content_type in FEED_TYPES else ""
            reason = f"content type {named} is not an article (HTML or plain text){hint}"
            raise FetchError(url, reason, skipped=True)
        now_kept, changed = self._keep(url, body, suffix, final_url, content_type, response.headers, kept)
        self.done[url] = self._page(url, now_kept, fetched=changed)
        return self.done[url]

    def _conditions(self, kept: _Kept | None) -> dict[str, str]:
        """The headers that ask "has it changed since?" (none with --refetch, or for a new page)."""
        if kept is None or self.settings.refetch:
            return {}
        conditions = {"If-None-Match": kept.etag} if kept.etag else {}
        return conditions | ({"If-Modified-Since": kept.last_modified} if kept.last_modified else {})

    def _page(self, url: str, kept: _Kept, fetched: bool) -> Page:
        return Page(url, self.store.folder / kept.file, PurePosixPath(kept.file), kept.metadata(url), fetched)

    # ------------------------------------------------------------------------- a feed

    def feed(self, url: str) -> tuple[list[Page], list[FetchError]]:
        """The pages of a feed's entries (RSS 2.0, Atom): each entry's link, fetched where it was not
        taken before or its date changed, else the page kept from before (no request). FetchError
        for the feed itself; an entry that cannot be had is that entry's failure."""
        import feedparser

        _check_address(url)
        kept = self.store.kept(url)
        response, body, final_url = self._get(url, self._conditions(kept))
        content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if response.status_code == 304 and kept is not None:
            body, final_url, content_type = (
                (self.store.folder / kept.file).read_bytes(),
                kept.final_url,
                kept.content_type,
            )
        elif content_type not in FEED_TYPES:
            raise FetchError(url, f"content type {content_type or 'none given'} is not a feed (RSS or Atom)")
        else:
            self._keep(url, body, ".xml", final_url, content_type, response.headers, kept)
        parsed = feedparser.parse(
            body, response_headers={"content-location": final_url, "content-type": content_type}
        )
        if parsed.bozo and not parsed.entries:
            raise FetchError(url, f"not a feed that can be read ({error_line(parsed.bozo_exception)})")
        feed_title = str(parsed.feed.get("title", ""))
        taken = self.store.entries.setdefault(url, {})
        pages: list[Page] = []
        failures: list[FetchError] = []
        for entry in parsed.entries:
            link = str(entry.get("link", ""))
            if not link:
                continue
            key = str(entry.get("id") or link)
            date = _entry_date(entry)
            described = (
                ("feed_url", url),
                ("feed_title", feed_title),
                ("entry_title", str(entry.get("title", ""))),
                ("entry_date", date),
            )
            about = tuple((k, v) for k, v in described if v)
            before = self.store.kept(link)
            try:
                if link in self.done:
                    page = self.done[link]
                elif before is not None and taken.get(key) == date and not self.settings.refetch:
                    page = self._page(link, before, fetched=False)  # taken before, unchanged: no request
                else:
                    page = self.page(link)
            except FetchError as error:
                failures.append(error)
                continue
            taken[key] = date
            pages.append(Page(page.url, page.path, page.relative, page.metadata + about, page.fetched))
        return pages, failures

    def _keep(
        self,
        url: str,
        body: bytes,
        suffix: str,
        final_url: str,
        content_type: str,
        headers: Any,
        kept: _Kept | None,
    ) -> tuple[_Kept, bool]:
        """Keep what an address gave (unless the same bytes are kept already) and index it."""
        sha256 = hashlib.sha256(body).hexdigest()
        name = self.store.name_for(url, suffix)
        path = self.store.folder / name
        changed = kept is None or kept.sha256 != sha256 or kept.file != name or not path.is_file()
        if changed:
            try:
                write_atomic(path, body)
            except OutputError as error:
                raise FetchError(url, f"cannot keep the page: {error}") from None
        now = datetime.now(UTC).replace(microsecond=0).isoformat()
        self.store.pages[url] = _Kept(
            file=name,
            final_url=final_url,
            fetched=now if changed or kept is None else kept.fetched,
            sha256=sha256,
            content_type=content_type,
            http_date=headers.get("date", ""),
            etag=headers.get("etag", ""),
            last_modified=headers.get("last-modified", ""),
        )
        return self.store.pages[url], changed

    # ------------------------------------------------------------------------- requests

    def _get(self, url: str, conditions: dict[str, str]) -> tuple[Any, bytes, str]:
        """GET `url`, redirects followed (each checked), 429 and 5xx retried; returns the final
        response (its body read, at most --max-size), the body, and the final address."""
        current = url
        for _ in range(self.settings.max_redirects + 1):
            self._check_robots(current)
            response, body = self._request(current, conditions)
            if response.status_code in (301, 302, 303, 307, 308) and "location" in response.headers:
                location = response.headers["location"]
                try:
                    following = urljoin(current, location)
                except ValueError:
                    following = location
                try:
                    _check_address(following)
                except InputError as error:
                    raise FetchError(url, f"redirected to {following}: {error.reason}") from None
                current = following
                continue
            if response.status_code == 304 or 200 <= response.status_code < 300:
                return response, body, current
            reason = response.reason_phrase or ""
            raise FetchError(url, f"HTTP {response.status_code} {reason}".strip() + _via(url, current))
        raise FetchError(url, f"more than {self.settings.max_redirects} redirects")

    def _request(self, url: str, conditions: dict[str, str], robots: bool = False) -> tuple[Any, bytes]:
        """One request, retried on 429, 5xx and connection failures with backoff."""
        import httpx2

        settings = self.settings
        for attempt in range(settings.tries):
            self._wait_for(url)
            try:
                with self.client.stream("GET", url, headers=conditions) as response:
                    if response.status_code in _RETRIED and attempt + 1 < settings.tries:
                        self._back_off(attempt, response.headers.get("retry-after"))
                        continue
                    body = b"" if response.is_redirect else self._body(url, response, robots)
                    return response, body
            except httpx2.TimeoutException:
                problem = f"no answer within {settings.timeout:g} s"
            except httpx2.TransportError as error:
                problem = f"cannot connect: {first_line(error, type(error).__name__)}"
            if attempt + 1 < settings.tries:
                self._back_off(attempt, None)
                continue
            tries = f" ({settings.tries} tries)" if settings.tries > 1 else ""
            raise FetchError(url, problem + tries)
        raise AssertionError("unreachable")  # the last try returns or raises

    def _body(self, url: str, response: Any, robots: bool) -> bytes:
        """The body, at most --max-size (robots.txt: 500 KiB, as RFC 9309 allows)."""
        limit = 500 * 1024 if robots else self.settings.max_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise FetchError(url, too_big(int(declared), limit))
        chunks, size = [], 0
        for chunk in response.iter_bytes():  # decompressed: a small gzip bomb is stopped here
            size += len(chunk)
            if size > limit:
                if robots:
                    break  # the rules in the first 500 KiB count
                raise FetchError(
                    url, f"more than {limit / 2**20:g} MB, the limit for one article (--max-size)"
                )
            chunks.append(chunk)
        return b"".join(chunks)

    def _back_off(self, attempt: int, retry_after: str | None) -> None:
        delay = self.settings.backoff * 2**attempt
        if retry_after:
            if retry_after.strip().isdigit():
                delay = float(retry_after)
            elif (when := email.utils.parsedate_to_datetime(retry_after)) is not None:
                delay = (when - datetime.now(UTC)).total_seconds()
        self.sleep(min(max(delay, 0.0), _LONGEST_WAIT))

    def _wait_for(self, url: str) -> None:
        """Space out requests to one host."""
        host = self._host(url)
        now = self.clock()
        if host.next_request > now:
            self.sleep(host.next_request - now)
        interval = self.settings.interval
        if host.robots is not None and (delay := host.robots.crawl_delay(USER_AGENT)) is not None:
            interval = max(interval, min(float(delay), _LONGEST_WAIT))
        host.next_request = max(now, host.next_request) + interval

    def _host(self, url: str) -> _Host:
        return self.hosts.setdefault(_origin(url), _Host())

    # ------------------------------------------------------------------------- robots.txt

    def _check_robots(self, url: str) -> None:
        origin = _origin(url)
        if origin not in self.hosts:
            self._read_robots(origin)
        host = self.hosts[origin]
        if host.refused:
            raise FetchError(url, host.refused)
        if host.robots is not None and not host.robots.can_fetch(url, USER_AGENT):
            raise FetchError(url, f"{origin}/robots.txt does not allow it")

    def _read_robots(self, origin: str) -> None:
        """robots.txt of a host, as RFC 9309 reads it: absent (4xx) allows everything; unreachable
        or a server error allows nothing."""
        from protego import Protego

        host = self.hosts.setdefault(origin, _Host())
        robots = f"{origin}/robots.txt"
        try:
            response, body = self._request(robots, {}, robots=True)
            for _ in range(self.settings.max_redirects):  # robots.txt may be redirected, on its host
                location = response.headers.get("location")
                if not (response.is_redirect and location and _origin(urljoin(robots, location)) == origin):
                    break
                response, body = self._request(urljoin(robots, location), {}, robots=True)
        except InputError as error:
            host.refused = f"{robots} could not be read ({error.reason}): nothing of {origin} is fetched"
            return
        status = response.status_code
        if status >= 500 or response.is_redirect:
            host.refused = f"{robots} could not be read (HTTP {status}): nothing of {origin} is fetched"
        elif 200 <= status < 300:
            host.robots = Protego.parse(body.decode("utf-8", "replace"))


def _entry_date(entry: Any) -> str:
    """An entry's date (updated, else published) in ISO 8601, UTC; "" where it gives none."""
    # dict.get: feedparser's own get maps a missing `updated` to `published` with a warning.
    parsed = dict.get(entry, "updated_parsed") or dict.get(entry, "published_parsed")
    if not parsed:
        return str(dict.get(entry, "updated") or dict.get(entry, "published") or "")
    return datetime.fromtimestamp(calendar.timegm(parsed), UTC).isoformat()


def _check_address(url: str) -> None:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (parsing the port is what checks it)
    except ValueError as error:
        raise FetchError(url, f"not a valid web address ({error})") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise FetchError(url, "only http and https addresses are fetched")
    if not parts.hostname:
        raise FetchError(url, "no host in the address")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def _via(url: str, final: str) -> str:
    return f" (at {final})" if final != url else ""


def feeds_of(given: tuple[str, ...] | list[str]) -> tuple[list[str], list[FetchError]]:
    """The feeds a run is given: addresses as they are, and the feeds an OPML file lists (its
    outlines' xmlUrl); what is neither is named."""
    feeds: list[str] = []
    problems: list[FetchError] = []
    for value in given:
        if is_web_address(value):
            feeds.append(value)
            continue
        try:
            feeds += _opml_feeds(Path(value))
        except (InputError, ValueError) as error:
            reason = (
                error.reason
                if isinstance(error, InputError)
                else f"not an OPML file ({first_line(error, type(error).__name__)})"
            )
            problems.append(FetchError(value, reason))
    return list(dict.fromkeys(feeds)), problems


def _opml_feeds(path: Path) -> list[str]:
    """The feed addresses of an OPML subscription list (the form feed readers export)."""
    from lxml import etree

    data, _ = read_bytes(path, _INDEX_MAX_BYTES, "OPML file")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        raise ValueError(str(error)) from None
    if root.tag != "opml":
        raise ValueError(f"its root is <{root.tag}>, not <opml>")
    found = [str(node.get("xmlUrl")) for node in root.iter("outline") if node.get("xmlUrl")]
    return [url for url in found if is_web_address(url)]


@dataclass
class FetchResult:
    """The pages of a run's addresses, and the addresses that could not be had."""

    pages: list[Page] = field(default_factory=list)
    failures: list[FetchError] = field(default_factory=list)


def fetch_all(urls: list[str], feeds: list[str], settings: FetchSettings, folder: Path) -> FetchResult:
    """Every address and feed of a run, in order; each failure is that address's (or feed's), and
    the rest go on: whatever goes wrong with one, typed or not. A page that two feeds (or a feed
    and an address) name is taken once."""
    result = FetchResult()
    store = PageStore(folder)
    seen: set[str] = set()
    with Fetcher(settings, store) as fetcher:
        for url in urls:
            if url not in seen:
                seen.add(url)
                if (page := _contained(url, fetcher.page, result.failures)) is not None:
                    result.pages.append(page)
        for feed in feeds:
            if (had := _contained(feed, fetcher.feed, result.failures)) is None:
                continue
            pages, failures = had
            result.failures += failures
            for page in pages:
                if page.url not in seen:
                    seen.add(page.url)
                    result.pages.append(page)
    with contextlib.suppress(OutputError):  # the index lost costs the next run its shortcut
        store.save()
    return result


def _contained(url: str, step: Callable[[str], _T], failures: list[FetchError]) -> _T | None:
    """`step(url)`, or None with the address's failure: its reason, or (a bug, or a library's
    surprise) the error's type and first line."""
    try:
        return step(url)
    except FetchError as error:
        failures.append(error)
    except Exception as error:
        log.info("unexpected error fetching %s", url, exc_info=error)
        failures.append(FetchError(url, error_line(error)))
    return None
