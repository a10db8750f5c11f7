"""Render stage: Markdown brief, JSON record and plain translation per article, and the run digest.

Every file is written atomically (temporary file + os.replace): a crash never leaves half a brief.
"""

from __future__ import annotations

import errno
import json
import os
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from .errors import OutputError
from .guard import REASON_TEXT
from .read import InputFile
from .translate import assemble_paragraphs


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


# Errors after which no output can be written to the folder at all.
_FOLDER_UNUSABLE = {errno.ENOSPC, errno.EDQUOT, errno.EROFS}


def write_atomic(path: Path, text: str) -> None:
    write_together({path: text})


def write_together(files: dict[Path, str]) -> None:
    """Write files so that each is whole and they appear together: all are written to temporary
    files first (where a full disk shows), then renamed into place (which needs no space)."""
    staged: list[tuple[str, Path]] = []
    current = next(iter(files))
    try:
        try:
            for current, text in files.items():
                current.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(prefix=f".{current.name}.", suffix=".tmp", dir=current.parent)
                staged.append((tmp, current))
                os.fchmod(fd, 0o666 & ~_umask())  # as open() would: mkstemp makes files only we can read
                with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
                    handle.write(text)
            for tmp, final in staged:
                current = final
                os.replace(tmp, final)
        finally:
            for tmp, _ in staged:
                Path(tmp).unlink(missing_ok=True)
    except OSError as error:
        unusable = error.errno in _FOLDER_UNUSABLE
        raise OutputError(f"{current}: cannot write: {error.strerror or error}", unusable) from None


def _umask() -> int:
    mask = os.umask(0o022)  # reading the umask means setting it; put it straight back
    os.umask(mask)
    return mask


def render_json(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, indent=2) + "\n"


def render_brief(record: dict[str, Any]) -> str:
    """The Markdown brief: title, summary, full translation, then where it came from."""
    headline_flag = next((n for n, f in enumerate(record["flags"], start=1) if f.get("headline")), None)
    title = f"{record['title']} [?{headline_flag}]" if headline_flag else record["title"]
    lines = [f"# {title}", "", "## Summary", "", record["summary"] or "_(no summary)_", ""]
    if record["flags"]:
        lines += [f"_{_flag_count(record)}: marked [?n] below; see “Check these”._", ""]
    language = record["language"]
    heading = "Translation" if language["translated"] else f"Text ({language['name']}, not translated)"
    lines += [f"## {heading}", "", _marked_translation(record), ""]
    lines += _check_these(record)
    lines += ["---", ""]
    lines += _provenance(record)
    return "\n".join(lines) + "\n"


def _flag_count(record: dict[str, Any]) -> str:
    units = len(record["segments"]) + (1 if record["headline"] else 0)  # the headline is translated too
    return f"{len(record['flags'])} of {units} translated segments may be unfaithful"


def _marked_translation(record: dict[str, Any]) -> str:
    """The translation with each doubtful segment followed by its marker, [?1], [?2], ..."""
    if not record["flags"]:
        return str(record["translation"])
    markers = {
        flag["segment"]: n for n, flag in enumerate(record["flags"], start=1) if not flag.get("headline")
    }
    segments = record["segments"]
    targets = [
        f"{s['target'] or '…'} [?{markers[i]}]" if i in markers else s["target"]
        for i, s in enumerate(segments)
    ]
    paragraph_count = max((s["paragraph"] for s in segments), default=-1) + 1
    return "\n\n".join(assemble_paragraphs([s["paragraph"] for s in segments], targets, paragraph_count))


def _check_these(record: dict[str, Any]) -> list[str]:
    """Each doubtful segment with its German source, why it is doubted and what was tried."""
    if not record["flags"]:
        return []
    lines = ["## Check these", ""]
    for n, flag in enumerate(record["flags"], start=1):
        reasons = ", ".join(REASON_TEXT.get(r, r) for r in flag["reasons"])
        confidence = "" if flag["confidence"] is None else f"; confidence {flag['confidence']:.2f}"
        retried = "; still so after a retry with stricter decoding" if flag["retried"] else ""
        where = " (the headline)" if flag.get("headline") else ""
        lines += [f"{n}. [?{n}]{where} {reasons}{confidence}{retried}", f"   - German: {flag['source']}"]
        lines += [f"   - English: {flag['target'] or '(nothing)'}", ""]
    return lines


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
        f"{coverage['translated']} translated, {coverage['flagged']} doubtful "
        f"({coverage['retried']} retried with stricter decoding)"
    )
    lines.append(f"- Language: {record['language']['description']}")
    lines.append(f"- Cleaning: {_cleaning(record['cleaning'])}")
    for key, value in source.get("metadata", {}).items():
        lines.append(f"- Web page {key}: {value}")
    for warning in source.get("warnings", []):
        lines.append(f"- Warning: {warning}")
    lines.append(f"- Date: {record['created']}")
    return lines


def _cleaning(cleaning: dict[str, Any]) -> str:
    """What the clean stage removed, counted by reason (every line is listed in the JSON)."""
    if cleaning["boilerplate_kept"]:
        return "boilerplate kept (--keep-boilerplate)"
    reasons = Counter(
        "link list" if line["reason"].startswith("link list") else line["reason"]
        for line in cleaning["removed"]
        if line["reason"] != "no visible text"
    )
    if not reasons:
        return "no boilerplate found"
    counted = ", ".join(f"{reason} x{count}" if count > 1 else reason for reason, count in reasons.items())
    lines = sum(reasons.values())
    return f"{lines} line{'s' if lines > 1 else ''} removed as boilerplate ({counted}); listed in the JSON"


def render_digest(entries: Sequence[tuple[dict[str, Any], PurePosixPath]], created: str) -> str:
    """One section per article of the run: its title, summary and a link to its brief."""
    lines = [f"# Digest: {len(entries)} articles", "", f"_{created}_", ""]
    for record, brief in entries:
        link = brief.as_posix().replace(" ", "%20")
        lines += [f"## [{record['title']}]({link})", "", record["summary"] or "_(no summary)_", ""]
        if record["flags"]:
            lines += [f"_{_flag_count(record)}._", ""]
        lines += [f"Source: `{record['source']['path']}`", ""]
    return "\n".join(lines)
