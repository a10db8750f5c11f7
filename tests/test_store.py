"""The store owns the cache folder: entries, the converted models, stats and clearing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from summarise.cache import CONVERTED_MARK, SEGMENT, SUMMARY, TRANSLATION, LastRun, Store, cache_key, mark
from summarise.errors import CacheCorruptError, CacheError


def converted_model(store: Store, name: str, size: int) -> None:
    folder = store.converted_models / name
    folder.mkdir(parents=True)
    (folder / "model.bin").write_bytes(b"\0" * size)
    mark(folder, CONVERTED_MARK, name)  # as convert_for_ct2 marks what it made


def test_entries_by_kind_and_key_in_one_transaction(tmp_path: Path) -> None:
    store = Store(tmp_path / "cache")
    assert store.get(TRANSLATION, "k") is None and not store.path.exists()  # nothing created to ask
    store.put_many(SEGMENT, {f"s{i}": {"target": str(i)} for i in range(700)})  # > one statement's limit
    store.put(TRANSLATION, "k", {"engine": "x"})
    assert store.get(TRANSLATION, "k") == {"engine": "x"}
    assert store.get(SUMMARY, "k") is None  # kinds do not mix
    found = store.get_many(SEGMENT, [f"s{i}" for i in range(0, 800, 100)])
    assert sorted(found) == [f"s{i}" for i in range(0, 700, 100)]


def test_stats_count_entries_and_converted_models_and_the_last_run(tmp_path: Path) -> None:
    store = Store(tmp_path / "cache")
    store.put_many(SEGMENT, {"a": {}, "b": {}})
    store.put(TRANSLATION, "t", {})
    figures = LastRun("2026-12-06T07:00:00+00:00", 3, 1, 20, 10, failed=1)
    store.record_run(figures)
    converted_model(store, "m--rev--int8", 3 * 2**20)
    (store.converted_models / ".m--rev--float16.tmp").mkdir()  # a conversion in progress: not a model
    stats = store.stats()
    assert stats.entries == {SEGMENT: 2, TRANSLATION: 1}  # the run's figures are not an entry
    assert stats.last_run == figures
    assert (stats.converted_models, stats.converted_bytes) == (1, 3 * 2**20 + len("m--rev--int8\n"))
    assert stats.converted_path == tmp_path / "cache" / "ct2"


def test_clear_removes_entries_and_converted_models_unless_kept(tmp_path: Path) -> None:
    store = Store(tmp_path / "cache")
    store.put_many(SEGMENT, {"a": {}, "b": {}})
    converted_model(store, "m--rev--int8", 10)
    kept = store.clear(keep_converted=True)
    assert (kept.entries, kept.converted_models) == (2, 0)
    assert store.stats().converted_models == 1
    store.put(SUMMARY, "s", {})
    cleared = store.clear()
    assert (cleared.entries, cleared.converted_models) == (1, 1)
    assert not store.converted_models.exists() and store.stats().entries == {}


def test_a_corrupt_database_is_known_by_its_sqlite_code_and_clear_starts_afresh(tmp_path: Path) -> None:
    store = Store(tmp_path / "cache")
    store.folder.mkdir()
    store.path.write_bytes(b"not a database at all " * 200)
    with pytest.raises(CacheCorruptError, match="cache clear"):
        store.get(TRANSLATION, "k")
    store.close()
    assert store.clear().entries == 0
    store.put(TRANSLATION, "k", {"ok": True})
    assert store.get(TRANSLATION, "k") == {"ok": True}


def test_other_database_errors_are_cache_errors_not_corruption(tmp_path: Path) -> None:
    store = Store(tmp_path / "cache")
    store.put(TRANSLATION, "k", {})
    store.close()
    holder = sqlite3.connect(store.path, timeout=0)
    holder.execute("BEGIN EXCLUSIVE")  # another writer holds the database
    try:
        store._connect().execute("PRAGMA busy_timeout = 0")
        with pytest.raises(CacheError) as raised:
            store.put(TRANSLATION, "k2", {})
        assert not isinstance(raised.value, CacheCorruptError)
    finally:
        holder.rollback()
        holder.close()


def test_keys_are_stable_and_name_every_part() -> None:
    assert cache_key(a=1, b="x") == cache_key(b="x", a=1)
    assert cache_key(a=1, b="x") != cache_key(a=1, b="y")
