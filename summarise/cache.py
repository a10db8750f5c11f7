"""The store: the one owner of the cache folder.

    <cache folder>/summarise.sqlite3    translations, summaries, the translation memory, last run
    <cache folder>/ct2/                 models converted for CTranslate2, one folder per model,
                                        revision and quantisation

Keys are content hashes (`cache_key`): the cleaned text, the model ids and resolved revisions, the
generation settings and FORMAT_VERSION. A second run over unchanged files finds every result here
and never loads a model. Values are JSON; what they mean is the caller's (brief.py's records).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sqlite3
import stat
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar, overload

from .errors import CacheCorruptError, CacheError, InputError
from .files import read_small_text

# Bump when the shape or meaning of a cached value changes: old entries then simply miss.
FORMAT_VERSION = 3  # 3: keyed by the cleaned text; a headline apart from the body

DB_NAME = "summarise.sqlite3"
_DB_COMPANIONS = ("", "-wal", "-shm", "-journal")  # the database, its WAL, shared memory, journal
_CONVERTED_MODELS = "ct2"
# What makes a folder under ct2/ the store's: a conversion carries CONVERTED_MARK holding its own
# folder's name (a copy of it under another name is not the store's), a conversion in progress
# STAGING_MARK. A folder without is never counted, nor removed.
CONVERTED_MARK = ".summarise-converted"
STAGING_MARK = ".summarise-converting"
# Kinds of entries.
TRANSLATION, SUMMARY, SEGMENT = "translation", "summary", "segment"
_RUN = ("run", "last")  # the figures of the latest run, for `cache stats`

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (kind, key)
)
"""
_COLUMNS = {"kind", "key", "value", "created_at"}
# SQLite's primary result codes for a file that is not (or no longer) a database.
_CORRUPT_CODES = {sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB}
_CURE = "`summarise cache clear` starts it afresh"


def mark(folder: Path, kind: str, name: str) -> None:
    """Mark `folder` as the store's: CONVERTED_MARK with the name it has (or will have once
    renamed into place), or STAGING_MARK."""
    (folder / kind).write_text(name + "\n", encoding="utf-8")


def marked(folder: Path, kind: str, name: str) -> bool:
    """Whether `folder` carries the mark `kind` holding `name`."""
    try:
        return read_small_text(folder / kind, 4096) == name + "\n"
    except (OSError, InputError):
        return False


def cache_dir(override: Path | None = None) -> Path:
    """--cache-dir, else $SUMMARISE_CACHE_DIR, else the platform's user cache folder."""
    if override is not None:
        return override
    if env := os.environ.get("SUMMARISE_CACHE_DIR"):
        return Path(env)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("summarise", appauthor=False))


def cache_key(**parts: Any) -> str:
    """A stable hash of named parts (canonical JSON), with the format version mixed in."""
    canonical = json.dumps({"format": FORMAT_VERSION, **parts}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


T = TypeVar("T")


def _size(path: Path) -> int:
    """A regular file's size (not through a link); 0 for anything else."""
    try:
        status = path.lstat()
    except OSError:
        return 0
    return status.st_size if stat.S_ISREG(status.st_mode) else 0


def _as_is(value: dict[str, Any]) -> dict[str, Any]:
    return value


def _readable(text: str, read: Callable[[dict[str, Any]], T]) -> T | None:
    """A stored value as `read` makes it, or None where it cannot: not JSON, or of another shape
    (another version wrote it). Such an entry is a miss, never an error."""
    try:
        value = json.loads(text)
        return read(value) if isinstance(value, dict) else None
    except (ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError):
        return None


@dataclass(frozen=True)
class LastRun:
    """The figures of the latest run, for `summarise cache stats`."""

    finished: str
    articles: int
    articles_from_cache: int
    segments_translated: int
    segments_remembered: int
    failed: int = 0
    interrupted: bool = False

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LastRun:
        counts = ("articles", "articles_from_cache", "segments_translated", "segments_remembered")
        values = {name: data[name] for name in ("finished", *counts)}
        values["failed"] = data.get("failed", 0)  # not in the records of 0.1.0's first runs
        values["interrupted"] = data.get("interrupted", False)
        if (
            not isinstance(values["finished"], str)
            or not all(type(values[name]) is int for name in (*counts, "failed"))
            or type(values["interrupted"]) is not bool
        ):
            raise TypeError("figures of another shape")
        return cls(**values)


@dataclass(frozen=True)
class CacheStats:
    path: Path  # the database
    entries: dict[str, int]  # per kind
    size_bytes: int  # the database, its WAL and shared memory
    converted_models: int = 0
    converted_bytes: int = 0
    converted_path: Path | None = None
    last_run: LastRun | None = None

    @property
    def translations(self) -> int:
        return self.entries.get(TRANSLATION, 0)

    @property
    def summaries(self) -> int:
        return self.entries.get(SUMMARY, 0)

    @property
    def segments(self) -> int:
        """Segments in the translation memory."""
        return self.entries.get(SEGMENT, 0)


@dataclass(frozen=True)
class Cleared:
    path: Path  # the database
    entries: int
    converted_models: int


class Store:
    """Results by (kind, key), and the folder of converted models. Opened lazily: a run that
    never asks costs nothing."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / DB_NAME
        self._db: sqlite3.Connection | None = None

    @classmethod
    def at(cls, override: Path | None = None) -> Store:
        """The store in --cache-dir, $SUMMARISE_CACHE_DIR or the user cache folder."""
        return cls(cache_dir(override))

    def check(self, database: bool = True) -> None:
        """Raise a CacheError naming the folder and the cure, where the cache folder is no usable
        folder (a file, or a folder this user may not enter or write), or its database cannot be
        used (damaged, or laid out by another version; not checked with `database=False`)."""
        cure = "point --cache-dir or SUMMARISE_CACHE_DIR to a folder you can write"
        try:
            status = self.folder.stat()
        except FileNotFoundError:
            return  # created on first use (its parents are checked then)
        except OSError as error:
            raise CacheError(
                f"{self.folder}: cannot use the cache folder: {error.strerror or error}; {cure}"
            ) from None
        if not stat.S_ISDIR(status.st_mode):
            raise CacheError(f"{self.folder}: the cache folder is not a folder; {cure}")
        if not os.access(self.folder, os.R_OK | os.W_OK | os.X_OK):
            raise CacheError(f"{self.folder}: cannot use the cache folder: Permission denied; {cure}")
        if database and os.path.lexists(self.path):  # damaged, or of another version: said now
            self._connect()

    @property
    def converted_models(self) -> Path:
        """Where models converted for CTranslate2 are kept (created on first use)."""
        return self.folder / _CONVERTED_MODELS

    @contextmanager
    def _reported(self, doing: str) -> Iterator[None]:
        """SQLite and file-system errors as one CacheError naming the cache and the reason."""
        try:
            yield
        except sqlite3.Error as error:
            if getattr(error, "sqlite_errorcode", 0) & 0xFF in _CORRUPT_CODES:
                raise CacheCorruptError(f"{self.path}: cannot {doing} the cache: {error}; {_CURE}") from None
            raise CacheError(f"{self.path}: cannot {doing} the cache: {error}") from None
        except OSError as error:
            raise CacheError(f"{self.folder}: cannot {doing} the cache: {error.strerror or error}") from None

    def _connect(self) -> sqlite3.Connection:
        if self._db is None:
            with self._reported("open"):
                self.folder.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
                db.execute(_SCHEMA)
                self._check_layout(db)
            self._db = db
        return self._db

    def _check_layout(self, db: sqlite3.Connection) -> None:
        """A cache another version laid out otherwise (a column renamed, one added that every row
        must fill) cannot be used: one line, and the cure. Extra columns that may stay empty are
        no obstacle."""
        columns = {row[1]: row for row in db.execute("PRAGMA table_info(entries)")}
        missing = sorted(_COLUMNS - columns.keys())
        # table_info: (cid, name, type, notnull, default, pk)
        required = sorted(
            name for name, row in columns.items() if name not in _COLUMNS and row[3] and row[4] is None
        )
        if missing or required:
            db.close()
            what = (
                f"no column {', '.join(missing)}"
                if missing
                else f"a column {', '.join(required)} it cannot fill"
            )
            raise CacheCorruptError(
                f"{self.path}: the cache was written by another version of summarise ({what}); {_CURE}"
            )

    @overload
    def get(self, kind: str, key: str) -> dict[str, Any] | None: ...
    @overload
    def get(self, kind: str, key: str, read: Callable[[dict[str, Any]], T]) -> T | None: ...

    def get(self, kind: str, key: str, read: Callable[[dict[str, Any]], Any] = _as_is) -> Any:
        """The entry `read` makes of the value stored under (kind, key); None when there is none,
        or when it cannot be read (written by another version: it is a miss, and is replaced)."""
        if not self.path.exists():
            return None
        db = self._connect()
        with self._reported("read"):
            row = db.execute("SELECT value FROM entries WHERE kind = ? AND key = ?", (kind, key)).fetchone()
        return _readable(row[0], read) if row else None

    def put(self, kind: str, key: str, value: dict[str, Any]) -> None:
        self.put_many(kind, {key: value})

    @overload
    def get_many(self, kind: str, keys: Iterable[str]) -> dict[str, dict[str, Any]]: ...
    @overload
    def get_many(
        self, kind: str, keys: Iterable[str], read: Callable[[dict[str, Any]], T]
    ) -> dict[str, T]: ...

    def get_many(
        self, kind: str, keys: Iterable[str], read: Callable[[dict[str, Any]], Any] = _as_is
    ) -> dict[str, Any]:
        """The entries found among `keys`, as `read` makes them (missing keys, and values that
        cannot be read, are absent from the result)."""
        keys = list(keys)
        if not keys or not self.path.exists():
            return {}
        found: dict[str, Any] = {}
        db = self._connect()
        with self._reported("read"):
            for start in range(0, len(keys), 500):  # SQLite limits the parameters of one statement
                chunk = keys[start : start + 500]
                marks = ",".join("?" * len(chunk))
                for key, value in db.execute(
                    f"SELECT key, value FROM entries WHERE kind = ? AND key IN ({marks})", (kind, *chunk)
                ):
                    if (entry := _readable(value, read)) is not None:
                        found[key] = entry
        return found

    def put_many(self, kind: str, values: dict[str, dict[str, Any]]) -> None:
        """Store entries in one transaction: all of them or, after a crash, none."""
        now = datetime.now(UTC).isoformat()
        with self._transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO entries (kind, key, value, created_at) VALUES (?, ?, ?, ?)",
                [(kind, key, json.dumps(value, ensure_ascii=False), now) for key, value in values.items()],
            )

    def record_run(self, figures: LastRun) -> None:
        """Keep the figures of the run that just ended, for `summarise cache stats`."""
        self.put(_RUN[0], _RUN[1], asdict(figures))

    def last_run(self) -> LastRun | None:
        return self.get(*_RUN, read=LastRun.from_json)

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        db = self._connect()
        with self._reported("write to"):
            try:
                db.execute("BEGIN IMMEDIATE")
                yield db
                db.execute("COMMIT")
            except BaseException:
                # Also on Ctrl-C, wherever it lands: never leave a transaction open behind us.
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise

    def stats(self) -> CacheStats:
        entries: dict[str, int] = {}
        if self.path.exists():
            db = self._connect()
            with self._reported("read"):
                for kind, count in db.execute(
                    "SELECT kind, COUNT(*) FROM entries WHERE kind != ? GROUP BY kind ORDER BY kind",
                    (_RUN[0],),
                ):
                    entries[kind] = count
        size = sum(_size(Path(f"{self.path}{suffix}")) for suffix in _DB_COMPANIONS)
        converted = self._converted()
        return CacheStats(
            path=self.path,
            entries=entries,
            size_bytes=size,
            converted_models=len(converted),
            converted_bytes=sum(_size(f) for p in converted for f in p.rglob("*")),
            converted_path=self.converted_models if converted else None,
            last_run=self.last_run(),
        )

    def _converted(self, staging: bool = False) -> list[Path]:
        """The models this store's conversions made (each carries CONVERTED_MARK naming itself),
        and with `staging`, conversions a crash left half done (STAGING_MARK). Anything else in
        the folder (a conversion of the user's own, a copy) is not the store's."""
        folder = self.converted_models
        try:
            children = [p for p in folder.iterdir() if p.is_dir() and not p.is_symlink()]
        except OSError:  # absent, not a folder, not ours to read
            return []
        mine = [p for p in children if marked(p, CONVERTED_MARK, p.name)]
        if staging:
            mine += [p for p in children if p.name.startswith(".") and marked(p, STAGING_MARK, "")]
        return mine

    def clear(self, keep_converted: bool = False) -> Cleared:
        """Delete every entry and, unless kept, the converted models. A corrupt database is deleted
        (its entries count as 0)."""
        count = 0
        if self.path.exists():
            try:
                with self._transaction() as db:
                    count = int(
                        db.execute("SELECT COUNT(*) FROM entries WHERE kind != ?", (_RUN[0],)).fetchone()[0]
                    )
                    db.execute("DELETE FROM entries")
                with self._reported("compact"):
                    self._connect().execute("VACUUM")
            except CacheCorruptError:
                self.close()
                # The database and the files SQLite keeps beside it, by their exact names: a
                # `summarise.sqlite3.bak` of the user's is no file of the store's.
                for suffix in _DB_COMPANIONS:
                    Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        converted = 0
        if not keep_converted:
            models = self._converted()
            with self._reported("empty"):
                for folder in self._converted(staging=True):
                    shutil.rmtree(folder)
                with contextlib.suppress(OSError):  # left in place while it holds anything else
                    self.converted_models.rmdir()
            converted = len(models)
        return Cleared(self.path, count, converted)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
