"""A run's output folder: the names of its files, what may be replaced there, the marker that says
summarise writes here, each article's files (written, or left alone when they already say the
same), the digest, and the ledger of what the folder holds. What it refuses, it refuses before any
model is resolved.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from urllib.parse import quote

from . import render
from .brief import Brief, shown
from .errors import ConfigError, InputError, OutputError
from .files import read_small_text
from .ledger import Ledger
from .outputs import (
    BRIEF,
    DATED_DIGEST,
    DIGEST_HTML_NAME,
    DIGEST_NAME,
    OUTPUT_MARKER,
    TRANSLATE,
    OutputRecords,
    Resolver,
    dated_digest_names,
    output_files,
    output_stems,
    output_suffixes,
    previous_record,
    refuse_overwriting,
    shortened,
    unchanged,
    write_atomic,
)
from .read import InputFile


class OutputFolder:
    """Where a run writes: one per run, made by `checked` before any model is resolved."""

    def __init__(self, folder: Path, inputs: Sequence[InputFile], with_summary: bool) -> None:
        self.folder = folder
        self.with_summary = with_summary
        self.inputs = inputs
        self._resolved = Resolver()
        # The latest digest, and today's (checked now; a run that ends on another day writes that one).
        today = [folder / name for name in dated_digest_names(date.today())]
        self.digests = [folder / DIGEST_NAME, folder / DIGEST_HTML_NAME, *today] if with_summary else []
        stems = output_stems(
            (f.relative for f in inputs),
            output_suffixes(with_summary),
            reserved=(DIGEST_NAME, DIGEST_HTML_NAME, *self._articles_inside()),
            reserved_like=DATED_DIGEST if with_summary else None,
        )
        self.stems = {f: stems[f.relative] for f in inputs}
        # Each article's output files, its JSON record first.
        self.files = {f: output_files(folder, self.stems[f], with_summary) for f in inputs}
        self.records = OutputRecords(folder, BRIEF if with_summary else TRANSLATE)
        self.same_renderer = False  # set by prepare()

    @classmethod
    def checked(cls, folder: Path, inputs: Sequence[InputFile], with_summary: bool) -> OutputFolder:
        """The output folder of a run over `inputs`; raises (ConfigError, before any work) where a
        file it would write is not summarise's to replace: an article, a file of the user's, the
        other command's output."""
        self = cls(folder, inputs, with_summary)
        every_output = [path for paths in self.files.values() for path in paths]
        refuse_overwriting([f.path for f in inputs], [*every_output, *self.digests], self._resolved)
        self.records.check_command()
        for digest in self.digests:
            if (reason := self.records.why_not_replaced(digest)) is not None:
                raise ConfigError(f"{digest} {reason}: not replaced; choose another output folder (-o)")
        return self

    def prepare(self) -> None:
        """Create the folder, and mark it as summarise's (its files are never read as articles)
        unless the run's own articles live in it. The marker names the renderer: `same_renderer`
        says whether the last run that wrote here rendered as this one does."""
        folder = self.folder
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ConfigError(
                f"{folder}: cannot create the output folder: {error.strerror or error}"
            ) from None
        if not folder.is_dir():
            raise ConfigError(f"{folder}: the output path exists and is not a folder")
        if self._articles_inside():
            return
        marker = folder / OUTPUT_MARKER
        text = (
            "summarise writes here: files in this folder are not read as articles.\n"
            f"renderer {render.renderer_identity()}\n"
        )
        try:
            self.same_renderer = read_small_text(marker) == text
        except (OSError, InputError):
            self.same_renderer = False
        if not self.same_renderer:
            with contextlib.suppress(OutputError):  # a read-only folder says so at the first brief
                write_atomic(marker, text)

    def ledger(self, context: str) -> Ledger:
        """What the folder holds from earlier runs made in the same `context` (models, settings)."""
        return Ledger.load(self.folder, context)

    def _articles_inside(self) -> list[str]:
        """The paths (relative to the folder) of the run's articles that live in it: no output
        may take one of their names."""
        real = os.path.realpath(self.folder) + os.sep
        return [
            where[len(real) :].replace(os.sep, "/")
            for where in (self._resolved(f.path) for f in self.inputs)
            if where.startswith(real)
        ]

    # ------------------------------------------------------------------------- an article's files

    def written_order(self, source: InputFile) -> list[Path]:
        """An article's files as a report lists them: the pages, then the JSON record."""
        json_path, *pages = self.files[source]
        return [*pages, json_path]

    def shortened_name(self, source: InputFile) -> str | None:
        """A note when the article's output name had to be shortened (None: it was not)."""
        stem = self.stems[source]
        if not shortened(source.relative, stem):
            return None
        return f"output name shortened to {shown(stem.name)} (the file name is too long to add a suffix)"

    def write_brief(self, brief: Brief, source: InputFile) -> WrittenBrief:
        """Write an article's files. A brief made again from the same article, models and settings
        is the same brief: it keeps the date it was first made, and its files are left alone."""
        stem = self.stems[source]
        if stem.is_absolute() or ".." in stem.parts:  # defence in depth: discovery never makes these
            raise OutputError(f"{stem}: output path would leave the output folder {self.folder}")
        json_path, *pages = self.files[source]
        previous = previous_record(json_path)
        source_then = previous.get("source") if previous is not None else None
        replaced = source_then.get("sha256") if isinstance(source_then, dict) else None
        replaced = replaced if isinstance(replaced, str) else None
        same_article = previous is not None and replaced == brief.source.sha256
        first_made = str(previous.get("created")) if previous is not None and same_article else brief.created
        if previous is not None and same_article:
            earlier = replace(brief, created=first_made, cached=previous.get("cached") is True)
            # The JSON is renamed into place last: when it says the same, so do the pages beside
            # it, if the same renderer made them. Rendering them (or the JSON) again only to compare
            # would cost most of a cached run.
            if self.same_renderer and earlier.to_json() == previous and all(map(_is_file, pages)):
                return WrittenBrief([*pages, json_path], False, replaced, first_made)
            if unchanged(files := self._rendered(earlier, json_path, pages)):
                return WrittenBrief(list(files), False, replaced, first_made)
        files = self._rendered(brief, json_path, pages)
        self.records.write(files)
        return WrittenBrief(list(files), True, replaced, first_made)

    def _rendered(self, brief: Brief, json_path: Path, pages: list[Path]) -> dict[Path, str]:
        """The texts of an article's output files, by path, the JSON record last (renamed last)."""
        record = render.render_json(brief)
        if not self.with_summary:
            return {pages[0]: render.render_translation(brief), json_path: record}
        markdown = render.render_brief(brief)
        digest = os.path.relpath(self.folder / DIGEST_HTML_NAME, pages[1].parent).replace(os.sep, "/")
        html = render.render_brief_html(brief, markdown, digest=quote(digest))
        return {pages[0]: markdown, pages[1]: html, json_path: record}

    # ------------------------------------------------------------------------- the digest

    def write_digest(self, digest: render.Digest, day: date) -> tuple[Path, Path]:
        """The day's digest, Markdown and HTML, as the latest (`digest.md`) and as the day's
        (`digest-2026-12-06.md`); returns the Markdown of each."""
        markdown, html = render.render_digest(digest), render.render_digest_html(digest)
        dated = [self.folder / name for name in dated_digest_names(day)]
        for path, text in zip([*self.digests[:2], *dated], [markdown, html] * 2, strict=True):
            if not unchanged({path: text}):  # the same day's digest, unchanged: left alone
                self.records.write({path: text})
        return self.digests[0], dated[0]

    def record_path(self, source: InputFile) -> str:
        """An article's JSON record, relative to the folder (as the history keeps it)."""
        return os.path.relpath(self.files[source][0], self.folder).replace(os.sep, "/")

    def has_digest(self) -> bool:
        """A digest from an earlier run is there (one a reader may open while this run goes)."""
        return bool(self.digests) and self.digests[0].is_file()

    def compact(self) -> None:
        self.records.compact()


@dataclass(frozen=True)
class WrittenBrief:
    """An article's files after `write_brief`."""

    files: list[Path]  # its JSON record last
    rewritten: bool  # False: they already said exactly this, and were left alone
    replaced: str | None  # the source sha256 of the brief they held before (None: none)
    first_made: str  # when a brief of this version of the article was first made here


def _is_file(path: Path) -> bool:
    try:
        return path.stat().st_size > 0
    except OSError:
        return False
