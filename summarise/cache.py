"""Cache: translations and summaries per file, in one SQLite store under the user's cache folder.

Keys are content hashes: the file's sha256, the model ids and resolved revisions, the generation
settings and FORMAT_VERSION. A second run over unchanged files finds every result here and never
loads a model.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .errors import CacheError

# Bump when the shape or meaning of a cached value changes: old entries then simply miss.
FORMAT_VERSION = 3  # 3: keyed by the cleaned text; a headline apart from the body

DB_NAME = "summarise.sqlite3"
CONVERTED_MODELS = "ct2"  # folder beside the database for models converted to CTranslate2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (kind, key)
)
"""


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
    path: Path
    entries: dict[str, int]
    size_bytes: int


class Cache:
    """Results by (kind, key). Opened lazily, so a run that never asks costs nothing."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / DB_NAME
        self._db: sqlite3.Connection | None = None

    @contextmanager
    def _reported(self, doing: str) -> Iterator[None]:
        """SQLite and file-system errors as one CacheError naming the cache and the reason."""
        try:
            yield
        except sqlite3.DatabaseError as error:
            corrupt = "not a database" in str(error) or "malformed" in str(error)
            hint = "; `summarise cache clear` starts it afresh" if corrupt else ""
            raise CacheError(f"{self.path}: cannot {doing} the cache: {error}{hint}", corrupt) from None
        except sqlite3.Error as error:
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
                    "SELECT kind, COUNT(*) FROM entries GROUP BY kind ORDER BY kind"
                ):
                    entries[kind] = count
        size = sum(p.stat().st_size for p in self.folder.glob(DB_NAME + "*") if p.is_file())
        return CacheStats(self.path, entries, size)

    def clear(self) -> int:
        """Delete every entry; returns how many there were (0 for a corrupt store, which is deleted)."""
        if not self.path.exists():
            return 0
        try:
            with self._transaction() as db:
                count = int(db.execute("SELECT COUNT(*) FROM entries").fetchone()[0])
                db.execute("DELETE FROM entries")
        except CacheError as error:
            if not error.corrupt:
                raise
            self.close()
            for path in self.folder.glob(DB_NAME + "*"):  # the database and its WAL and shared memory
                path.unlink()
            return 0
        with self._reported("compact"):
            self._connect().execute("VACUUM")
        return count

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
