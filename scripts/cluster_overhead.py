"""What `--cluster ray` costs on one machine, and what the driver costs per article (issue 14).

1. The same folder translated by a plain run (the machine's cores as one engine's threads) and by
   `--cluster ray` on a local Ray instance (one actor per core, one thread each), each with an
   empty cache: the cluster run's overhead is its wall time over the plain run's. The model is a
   random-weight opus-mt-de-en (the real architecture, 74M parameters) with translations of a
   fixed length (the benchmark's policy: random weights would otherwise decode to the limit).
2. The driver's own cost per article: the same folder again, with every segment in the translation
   memory but no article's translation cached, so the run does everything but the model's work —
   read, clean, detect the language, segment, look up, assemble, write.

    .venv/bin/python scripts/cluster_overhead.py [--articles 48] [--beams 4] [--work DIR]
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from seed_text import seed_sentences

from summarise.bench import LENGTHS
from summarise.cache import DB_NAME, Store
from summarise.engines import physical_cores
from summarise.localmodels import MARIAN_OPUS_DE_EN, build_marian
from summarise.models import ModelSpec
from summarise.options import Options
from summarise.pipeline import run
from summarise.report import RunReport


def make_articles(folder: Path, count: int) -> None:
    sentences = seed_sentences()
    rng = random.Random(11)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        body = " ".join(rng.sample(sentences, 6))
        (folder / f"{i:04}.txt").write_text(f"Meldung {i} aus der Redaktion\n\n{body}\n", encoding="utf-8")


def timed(inbox: Path, options: Options) -> tuple[float, RunReport]:
    started = time.perf_counter()
    report = run([inbox], options)
    seconds = time.perf_counter() - started
    if report.exit_code != 0:
        sys.exit(f"run failed: {report.failures or report.aborted}")
    return seconds, report


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=48)
    parser.add_argument("--beams", type=int, default=4, help="4: the model's own default; 1: greedy")
    parser.add_argument("--work", type=Path, help="folder for the model and the runs (kept and reused)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="summarise-cluster-"))
    model = work / "opus-mt-de-en-random"
    if not (model / "config.json").is_file():
        print("building a random opus-mt-de-en ...", flush=True)
        build_marian(seed_sentences(), model, MARIAN_OPUS_DE_EN)
    inbox = work / f"inbox-{args.articles}"
    if not inbox.is_dir():
        make_articles(inbox, args.articles)
    cores = physical_cores()
    runs = work / f"runs-{time.time_ns()}"
    base = Options(
        out_dir=runs / "plain",
        translator=ModelSpec("translator", str(model)),
        summariser=None,
        device="cpu",
        beams=args.beams,
        threads=cores,
        cache_dir=runs / "cache-plain",
        lengths=LENGTHS,
    )
    # Convert the model once, outside the timings (both runs would find it converted).
    timed(inbox, replace(base, out_dir=runs / "warm", cache_dir=runs / "cache-warm"))
    converted = Store(runs / "cache-warm").converted_models
    for folder in ("cache-plain", "cache-ray"):
        Store(runs / folder).converted_models.parent.mkdir(parents=True)
        Store(runs / folder).converted_models.symlink_to(converted)

    plain, report = timed(inbox, base)
    import ray  # the local instance is started before the clock, as a cluster would be up already

    started = time.perf_counter()
    ray.init(include_dashboard=False, log_to_driver=False)
    ray_start = time.perf_counter() - started
    on_ray, ray_report = timed(
        inbox, replace(base, out_dir=runs / "ray", cache_dir=runs / "cache-ray", cluster="ray", threads=1)
    )
    assert ray_report.segments_translated == report.segments_translated
    segments = report.segments_translated
    decoding = "greedy" if args.beams == 1 else f"beam {args.beams}"
    print(f"{args.articles} articles, {segments} segments, {cores} cores, {decoding}, fixed-length outputs")
    print(f"plain run, 1 engine x {cores} threads: {plain:.2f} s")
    print(f"--cluster ray, {cores} actors x 1 thread: {on_ray:.2f} s ({on_ray / plain:.2f}x the plain run)")
    print(f"  (starting the local Ray instance before it: {ray_start:.2f} s, not counted)")

    # The driver alone: every segment remembered, no translation record cached.
    with sqlite3.connect(runs / "cache-plain" / DB_NAME) as db:
        db.execute("DELETE FROM entries WHERE kind = 'translation'")
    driver, driver_report = timed(inbox, replace(base, out_dir=runs / "driver"))
    assert driver_report.segments_translated == 0 and driver_report.segments_remembered == segments
    tokenizer = sum(driver_report.load_seconds.values())
    per_article = (driver - tokenizer) / args.articles
    print(
        f"driver only (read, clean, language, segment, look up, assemble, write): {driver:.2f} s, "
        f"of which {tokenizer:.2f} s loading the language detector and the tokenizer: "
        f"{per_article * 1000:.1f} ms per article"
    )
    model_per_article = (plain - per_article * args.articles) / args.articles
    print(
        f"model work per article on this machine ({cores} cores): {model_per_article * 1000:.0f} ms: "
        f"one driver can feed about {model_per_article / per_article:.0f} such machines"
    )
    ray.shutdown()


if __name__ == "__main__":
    main()
