"""Render stage: Markdown brief, JSON record and plain translation per article, and the run digest.

Every file is written atomically (temporary file + os.replace): a crash never leaves half a brief.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from .errors import OutputError
from .read import InputFile


def output_stems(
    inputs: Iterable[InputFile], reserved: Iterable[PurePosixPath] = ()
) -> dict[InputFile, PurePosixPath]:
    """Each input's output path without suffix: `a/b.txt` -> `a/b`.

    Where two inputs would share a stem (`a.txt` and `a.md` side by side), or a stem is reserved
    for a file of the run itself (the digest), they keep their full name (`a.txt`, `a.md`) so that
    nothing overwrites anything else.
    """
    stems = {f: f.relative.with_suffix("") for f in inputs}
    clashes = Counter(stems.values())
    clashes.update({stem: 2 for stem in reserved})
    return {f: (f.relative if clashes[stem] > 1 else stem) for f, stem in stems.items()}


def with_suffix_added(stem: PurePosixPath, suffix: str) -> PurePosixPath:
    """`a/b` -> `a/b.md`, and `a/b.txt` -> `a/b.txt.md` (never replaces a kept suffix)."""
    return stem.with_name(stem.name + suffix)


def write_atomic(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as error:
        raise OutputError(f"{path}: cannot write: {error.strerror or error}") from None


def render_json(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, indent=2) + "\n"


def render_brief(record: dict[str, Any]) -> str:
    """The Markdown brief: title, summary, full translation, then where it came from."""
    lines = [f"# {record['title']}", "", "## Summary", "", record["summary"] or "_(no summary)_", ""]
    lines += ["## Translation", "", record["translation"], "", "---", ""]
    lines += _provenance(record)
    return "\n".join(lines) + "\n"


def render_translation(record: dict[str, Any]) -> str:
    """The plain-text translation written by `summarise translate`: paragraphs as in the source."""
    return str(record["translation"]) + "\n"


def _provenance(record: dict[str, Any]) -> list[str]:
    source = record["source"]
    coverage = record["coverage"]
    lines = [
        f"- Source: `{source['path']}` (sha256 `{source['sha256']}`, {source['encoding']})",
    ]
    for role, model in record["models"].items():
        lines.append(f"- {role.capitalize()}: `{model['id']}` at revision `{model['revision']}`")
    lines.append(
        f"- Coverage: {coverage['sentences']} sentences, {coverage['segments']} segments, "
        f"{coverage['translated']} translated"
    )
    for warning in source.get("warnings", []):
        lines.append(f"- Warning: {warning}")
    lines.append(f"- Date: {record['created']}")
    return lines


def render_digest(entries: Sequence[tuple[dict[str, Any], PurePosixPath]], created: str) -> str:
    """One section per article of the run: its title, summary and a link to its brief."""
    lines = [f"# Digest: {len(entries)} articles", "", f"_{created}_", ""]
    for record, brief in entries:
        link = brief.as_posix().replace(" ", "%20")
        lines += [f"## [{record['title']}]({link})", "", record["summary"] or "_(no summary)_", ""]
        lines += [f"Source: `{record['source']['path']}`", ""]
    return "\n".join(lines)
