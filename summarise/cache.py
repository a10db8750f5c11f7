"""The store: the one owner of the cache folder.

    <cache folder>/summarise.sqlite3    translations, summaries, the translation memory, last run
    <cache folder>/ct2/                 models converted for CTranslate2, one folder per model,
                                        revision and quantisation

Keys are content hashes (`cache_key`): the cleaned text, the model ids and resolved revisions, the
generation settings and FORMAT_VERSION. A second run over unchanged files finds every result here
and never loads a model. Values are JSON; what they mean is the caller's (brief.py's records).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .errors import CacheCorruptError, CacheError

# Bump when the shape or meaning of a cached value changes: old entries then simply miss.
FORMAT_VERSION = 3  # 3: keyed by the cleaned text; a headline apart from the body

DB_NAME = "summarise.sqlite3"
_CONVERTED_MODELS = "ct2"
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
# SQLite's primary result codes for a file that is not (or no longer) a database.
_CORRUPT_CODES = {sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB}


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


@dataclass(frozen=True)
class CacheStats:
    path: Path  # the database
    entries: dict[str, int]  # per kind
    size_bytes: int  # the database, its WAL and shared memory
    converted_models: int = 0
    converted_bytes: int = 0
    converted_path: Path | None = None
    last_run: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Cleared:
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

    def check(self) -> None:
        """Raise a CacheError naming the folder and the cure, where the cache folder is no usable
        folder: a file, or a folder this user may not enter or write."""
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
                hint = "`summarise cache clear` starts it afresh"
                raise CacheCorruptError(f"{self.path}: cannot {doing} the cache: {error}; {hint}") from None
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
            self._db = db
        return self._db

    def get(self, kind: str, key: str) -> dict[str, Any] | None:
        if not self.path.exists():
            return None
        db = self._connect()
        with self._reported("read"):
            row = db.execute("SELECT value FROM entries WHERE kind = ? AND key = ?", (kind, key)).fetchone()
        return json.loads(row[0]) if row else None

    def put(self, kind: str, key: str, value: dict[str, Any]) -> None:
        self.put_many(kind, {key: value})

    def get_many(self, kind: str, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The entries found among `keys` (missing keys are absent from the result)."""
        keys = list(keys)
        if not keys or not self.path.exists():
            return {}
        found: dict[str, dict[str, Any]] = {}
        db = self._connect()
        with self._reported("read"):
            for start in range(0, len(keys), 500):  # SQLite limits the parameters of one statement
                chunk = keys[start : start + 500]
                marks = ",".join("?" * len(chunk))
                for key, value in db.execute(
                    f"SELECT key, value FROM entries WHERE kind = ? AND key IN ({marks})", (kind, *chunk)
                ):
                    found[key] = json.loads(value)
        return found

    def put_many(self, kind: str, values: dict[str, dict[str, Any]]) -> None:
        """Store entries in one transaction: all of them or, after a crash, none."""
        now = datetime.now(UTC).isoformat()
        with self._transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO entries (kind, key, value, created_at) VALUES (?, ?, ?, ?)",
                [(kind, key, json.dumps(value, ensure_ascii=False), now) for key, value in values.items()],
            )

    def record_run(self, figures: dict[str, Any]) -> None:
        """Keep the figures of the run that just ended, for `summarise cache stats`."""
        self.put(_RUN[0], _RUN[1], figures)

    def last_run(self) -> dict[str, Any]:
        return self.get(*_RUN) or {}

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
        size = sum(p.stat().st_size for p in self.folder.glob(DB_NAME + "*") if p.is_file())
        converted = self._converted()
        return CacheStats(
            path=self.path,
            entries=entries,
            size_bytes=size,
            converted_models=len(converted),
            converted_bytes=sum(f.stat().st_size for p in converted for f in p.rglob("*") if f.is_file()),
            converted_path=self.converted_models if converted else None,
            last_run=self.last_run(),
        )

    def _converted(self) -> list[Path]:
        folder = self.converted_models
        if not folder.is_dir():
            return []
        # Dot-folders are conversions in progress (or left by a crash): not models.
        return [p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")]

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
                for path in self.folder.glob(DB_NAME + "*"):  # the database and its WAL and shared memory
                    path.unlink()
        converted = 0
        if not keep_converted and self.converted_models.is_dir():
            converted = len(self._converted())
            with self._reported("empty"):
                shutil.rmtree(self.converted_models)
        return Cleared(count, converted)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
