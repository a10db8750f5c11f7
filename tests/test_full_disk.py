"""A full disk, a read-only output folder and a corrupt cache: one clear line, nothing half-written.

The small disks are real file systems (tmpfs mounts), so the errors are the kernel's own. Mounting
needs root (CI runs as root); elsewhere these tests skip.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from support import SEEDS, brief_args, runner

from summarise.cli import app


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Callable[..., Path]]:
    mounted: list[Path] = []

    def mount(name: str, size: str, read_only: bool = False) -> Path:
        point = tmp_path / name
        point.mkdir()
        flags = f"size={size}" + (",ro" if read_only else "")
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", flags, "tmpfs", str(point)], capture_output=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a small file system here: {done.stderr.decode().strip()}")
        mounted.append(point)
        return point

    yield mount
    for point in mounted:
        subprocess.run(["umount", "-l", str(point)], check=False)


def whole_outputs(out: Path) -> list[Path]:
    """Every brief's JSON parses, every JSON has its brief, and no temporary file is left."""
    records = sorted(out.rglob("*.json"))
    for path in records:
        json.loads(path.read_text(encoding="utf-8"))
        assert path.with_suffix(".md").is_file()
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]
    return records


def test_a_full_output_disk_stops_the_run_with_one_line(
    tmp_path: Path, small_disk: Callable[..., Path], copy_marian: Path, tiny_bart: Path
) -> None:
    # Room for a brief or two, not for five.
    out = small_disk("disk", "40k") / "briefs"
    result = runner.invoke(app, brief_args(SEEDS, out, copy_marian, tiny_bart))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "No space left on device" in errors[0], result.stderr
    assert "stopped:" in result.stderr and "run the same command again" in result.stderr
    written = whole_outputs(out)
    assert len(written) < len(list(SEEDS.glob("*.txt")))

    # With room again, the same command finishes the job; what was done comes from the cache.
    again = runner.invoke(app, brief_args(SEEDS, tmp_path / "roomy", copy_marian, tiny_bart))
    assert again.exit_code == 0, again.output
    done = re.search(r"5 briefs written to .* \((\d+) from the cache\)", again.stderr)
    assert done and int(done.group(1)) >= len(written), again.stderr


def test_a_read_only_output_folder_is_one_line_and_exit_2(
    small_disk: Callable[..., Path], copy_marian: Path, tiny_bart: Path
) -> None:
    out = small_disk("readonly", "1m", read_only=True)
    result = runner.invoke(app, brief_args(SEEDS, out, copy_marian, tiny_bart))
    assert result.exit_code == 2, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "Read-only file system" in errors[0], result.stderr
    assert "Traceback" not in result.output and not list(out.iterdir())


@pytest.mark.parametrize(
    ("engine", "failing"),
    [
        ("torch", "database or disk is full"),  # SQLite's own words
        ("ct2", "No space left on device"),  # converting the model into the cache folder
    ],
)
def test_a_full_cache_disk_stops_the_run_with_one_line(
    tmp_path: Path,
    small_disk: Callable[..., Path],
    copy_marian: Path,
    tiny_bart: Path,
    engine: str,
    failing: str,
) -> None:
    cache = small_disk("cachedisk", "48k")
    args = [*brief_args(SEEDS, tmp_path / "briefs", copy_marian, tiny_bart), "--cache-dir", str(cache)]
    result = runner.invoke(app, [*args, "--engine", engine])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and failing in errors[0], result.stderr
    whole_outputs(tmp_path / "briefs")


def test_a_corrupt_cache_is_named_and_can_be_cleared(
    tmp_path: Path, copy_marian: Path, tiny_bart: Path
) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "summarise.sqlite3").write_bytes(b"this is not a database, it was overwritten by accident" * 100)
    args = [*brief_args(SEEDS, tmp_path / "briefs", copy_marian, tiny_bart), "--cache-dir", str(cache)]
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "not a database; `summarise cache clear` starts it afresh" in result.stderr
    stats = runner.invoke(app, ["cache", "stats", "--cache-dir", str(cache)])
    assert stats.exit_code == 2 and "not a database" in stats.stderr
    cleared = runner.invoke(app, ["cache", "clear", "--cache-dir", str(cache), "--yes"])
    assert cleared.exit_code == 0, cleared.output
    assert runner.invoke(app, args).exit_code == 0
