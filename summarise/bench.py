"""Benchmark: summarise against the usual ways of running the same models, on this machine.

    python -m summarise.bench [--quick] [--json FILE] [--threads N] [--device cpu|cuda] [--work DIR]
    python -m summarise.bench --sweep [--threads N]     # CTranslate2 workers x threads, on the CPU

Random-weight models with the real architectures (opus-mt-de-en; distilbart-cnn-12-6) cost what
the real ones cost per token, but never stop by themselves, so every system is made to produce
exactly the same output: ceil(1.1 x longest source) tokens per batch for translation, 80 tokens
per summary. Throughput counts *useful* target tokens (1.1 x each segment's own length): padding
and a batch's overshoot for its shorter segments count as cost. Systems run interleaved, round
after round (A B C D, A B C D), and the report gives medians and ratios.

Translation, beam 4 unless said:
  naive     transformers generate per sentence, batch 1, fp32 (on a length-stratified subset)
  batched   transformers, sentences sorted by length, batches of 16, fp32 (what EasyNMT does)
  ct2       raw CTranslate2 on pre-tokenized segments, the same batches as ours (CPU: int8)
  big       GPU only: transformers fp32, sorted batches of 256 sentences (the best transformers
            configuration of the H100 sweep in docs/performance.md), beam 4 and greedy
  ours      summarise's default path end to end (read, segment, translate, write, cache)
  torch_<dtype>  GPU only: our batches on the torch engine in float32/float16/bfloat16
Summarisation (~700-token articles, beam 4, no-repeat 3, 80 tokens):
  naive     transformers generate, fp32, one article at a time
  fp16x16   GPU only: transformers fp16, 16 articles per batch
  ours      summarise's summariser as a run places it, articles batched together
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .cache import Store
from .engines import Ct2Engine, Engine, convert_for_ct2, load_engine, physical_cores
from .loading import EngineLoader
from .localmodels import (
    BART_DISTILBART_CNN,
    BART_TINY,
    MARIAN_OPUS_DE_EN,
    MARIAN_TINY,
    Architecture,
    build_bart,
    build_marian,
)
from .models import ModelSpec, ResolvedModel, resolve_model
from .options import FixedLengths, Options
from .pipeline import run
from .placement import effective_batch_tokens, plan
from .segment import segment_paragraphs, split_sentences
from .summary import ModelSummariser, summary_settings
from .translate import ModelTranslator, batches_by_tokens, translation_settings

LENGTHS = FixedLengths(translation_ratio=1.1, summary_tokens=80)
OUTPUT_RATIO = LENGTHS.translation_ratio
SUMMARY_TOKENS = LENGTHS.summary_tokens
SUMMARY_ARTICLE_TOKENS = 700
BEAMS = 4
EASYNMT_BATCH = 16
BIG_BATCH = 256  # sentences per batch: transformers' best on the H100 (docs/performance.md)
REFERENCE_SUMMARY_BATCH = 16  # the GPU reference: transformers fp16, 16 articles per batch


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m summarise.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="fewer segments and rounds: under 5 minutes on 2 cores"
    )
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    parser.add_argument("--threads", type=int, default=physical_cores(), help="threads for every system")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu", help="where every system runs")
    parser.add_argument(
        "--sweep",
        action="store_true",
        help="CPU: raw CTranslate2 at every workers x threads split of --threads, translation and summaries",
    )
    parser.add_argument("--work", type=Path, help="folder for the built models (kept and reused)")
    parser.add_argument("--seeds", type=Path, default=_default_seeds(), help="folder of German articles")
    # Plumbing check for tests: tiny models, figures meaningless.
    parser.add_argument("--tiny", action="store_true", help=argparse.SUPPRESS)
    # Plumbing check for tests: the GPU-only systems too, on whatever --device is.
    parser.add_argument("--all-systems", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--probe", nargs=3, metavar=("MARIAN", "BART", "ROOT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    # Random weights: the faithfulness guard doubts every segment, and would say so per article.
    logging.getLogger("summarise").setLevel(logging.ERROR)
    if args.probe:
        marian, bart, converted = (Path(p) for p in args.probe)
        print(json.dumps(_memory_probe(marian, bart, converted, args)))
        return
    with tempfile.TemporaryDirectory(prefix="summarise-bench-") as tmp:
        work = args.work or Path(tmp) / "models"
        results = _sweep(args, work) if args.sweep else _bench(args, Path(tmp), work)
    _print_sweep(results) if args.sweep else _print(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        print(f"\nwritten to {args.json}")


def _default_seeds() -> Path:
    here = Path("seeds")
    return here if here.is_dir() else Path(__file__).resolve().parent.parent / "seeds"


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- inputs


def _seed_paragraphs(seeds: Path) -> dict[str, list[str]]:
    return {
        p.name: [line.strip() for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]
        for p in sorted(seeds.glob("*.txt"))
    }


def _long_article(paragraphs: list[str], words: int, seed: int = 3) -> str:
    """~`words` words of new German-like text: sentences of the seeds' lengths, made of the seeds'
    words in random order. Every sentence is new, so no system gains from repeated segments."""
    sentences = [s for p in paragraphs for s in split_sentences(p)]
    lengths = [len(s.split()) for s in sentences]
    vocabulary = [w.strip(".!?…") for s in sentences for w in s.split() if w.strip(".!?…")]
    rng = random.Random(seed)
    out: list[str] = []
    total = 0
    while total < words:
        paragraph = []
        for _ in range(rng.randint(2, 5)):
            sentence = " ".join(rng.choice(vocabulary) for _ in range(rng.choice(lengths))).rstrip(",;:")
            paragraph.append(sentence[:1].upper() + sentence[1:] + ".")
            total += len(sentence.split())
        out.append(" ".join(paragraph))
    return "\n\n".join(out)


def _write_inputs(folder: Path, seeds: dict[str, list[str]], long_words: int) -> None:
    folder.mkdir(parents=True)
    for name, paragraphs in seeds.items():
        (folder / name).write_text("\n".join(paragraphs) + "\n", encoding="utf-8")
    if long_words:
        all_paragraphs = [p for ps in seeds.values() for p in ps]
        (folder / "long.txt").write_text(_long_article(all_paragraphs, long_words), encoding="utf-8")


@dataclass
class _Models:
    marian: ResolvedModel
    bart: ResolvedModel
    converted: Path  # CTranslate2 conversions, made once


def _build_models(args: argparse.Namespace, work: Path, training_text: list[str]) -> _Models:
    sizes: tuple[Architecture, Architecture] = (
        (MARIAN_TINY, BART_TINY) if args.tiny else (MARIAN_OPUS_DE_EN, BART_DISTILBART_CNN)
    )
    suffix = "tiny" if args.tiny else "random"
    marian_dir, bart_dir = work / f"opus-mt-de-en-{suffix}", work / f"distilbart-cnn-12-6-{suffix}"
    if not (marian_dir / "config.json").is_file():
        _say("building a random opus-mt-de-en (74M parameters) ...")
        build_marian(training_text, marian_dir, sizes[0])
    if not (bart_dir / "config.json").is_file():
        _say("building a random distilbart-cnn-12-6 (306M parameters) ...")
        build_bart(training_text, bart_dir, sizes[1])
    return _Models(
        resolve_model(ModelSpec("translator", str(marian_dir)), "--translator"),
        resolve_model(ModelSpec("summariser", str(bart_dir)), "--summariser"),
        Store(work / "cache").converted_models,
    )


# ----------------------------------------------------------------------------- the run


def _bench(args: argparse.Namespace, tmp: Path, work: Path) -> dict[str, Any]:
    import ctranslate2
    import torch
    import transformers
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    torch.set_num_threads(args.threads)
    gpu = args.device == "cuda"
    gpu_systems = gpu or args.all_systems
    if gpu and not torch.cuda.is_available():
        raise SystemExit("--device cuda: torch sees no CUDA GPU")
    quick = args.quick or args.tiny
    rounds = 1 if args.tiny else 2
    seeds = _seed_paragraphs(args.seeds)
    training_text = [p for ps in seeds.values() for p in ps]
    models = _build_models(args, work, training_text)
    marian_dir, bart_dir = models.marian.path, models.bart.path

    # What a run would place on this device; a GPU that CTranslate2 cannot use leaves it out.
    _say(f"loading both models as summarise places them on {args.device} ...")
    loader = EngineLoader("auto", args.device, args.threads, models.converted)
    conversion: dict[str, float] = {}
    engines: dict[str, Engine] = {}
    for role, model in (("translator", models.marian), ("summariser", models.bart)):
        started = time.perf_counter()
        engines[role] = loader.load(model)
        conversion[role] = time.perf_counter() - started
    ct2_works = isinstance(engines["translator"], Ct2Engine)

    load: dict[str, float] = {}
    started = time.perf_counter()
    hf_marian = AutoModelForSeq2SeqLM.from_pretrained(marian_dir).eval().to(args.device)
    load["transformers_translator"] = time.perf_counter() - started
    started = time.perf_counter()
    hf_bart = AutoModelForSeq2SeqLM.from_pretrained(bart_dir).eval().to(args.device)
    load["transformers_summariser"] = time.perf_counter() - started
    marian_tok = AutoTokenizer.from_pretrained(marian_dir)
    bart_tok = AutoTokenizer.from_pretrained(bart_dir)

    # The same segments for every system: what summarise's own segmenter makes of the input.
    inputs = tmp / "input"
    if quick:  # two seed articles, a third of the work
        seeds = dict(list(seeds.items())[::2][:2])
    _write_inputs(inputs, seeds, long_words=0 if quick else 1500)
    settings = translation_settings(models.marian, "ct2", BEAMS)

    def count(text: str) -> int:
        return len(marian_tok(text)["input_ids"])

    segments: list[str] = []
    for path in sorted(inputs.glob("*.txt")):
        paragraphs = path.read_text(encoding="utf-8").split("\n")
        segments += [s.text for s in segment_paragraphs(paragraphs, count, settings.segment_tokens).segments]
    segments = list(dict.fromkeys(segments))  # ours translates a repeated segment once; so do all
    encoded = [marian_tok(s)["input_ids"] for s in segments]
    lengths = [len(ids) for ids in encoded]
    useful = sum(math.ceil(OUTPUT_RATIO * n) for n in lengths)
    order = sorted(range(len(segments)), key=lengths.__getitem__)
    naive_count = 6 if quick else 24
    naive_subset = order[:: max(1, len(order) // naive_count)][:naive_count]
    naive_useful = sum(math.ceil(OUTPUT_RATIO * lengths[i]) for i in naive_subset)
    _say(f"{len(segments)} segments, {sum(lengths)} source tokens, {useful} useful target tokens")

    def fixed(longest: int) -> int:
        return math.ceil(OUTPUT_RATIO * longest)

    def synchronise() -> None:
        if gpu:
            torch.cuda.synchronize()

    def hf_generate(model: Any, tok: Any, ids: list[list[int]], new: int, **kw: Any) -> None:
        batch = tok.pad({"input_ids": ids}, padding=True, return_tensors="pt").to(args.device)
        with torch.inference_mode():
            model.generate(**batch, min_new_tokens=new, max_new_tokens=new, do_sample=False, **kw)

    def naive() -> tuple[float, float]:
        for i in naive_subset:
            hf_generate(hf_marian, marian_tok, [encoded[i]], fixed(lengths[i]), num_beams=BEAMS)
        synchronise()
        return naive_useful, 0.0

    def sorted_batches(size: int, beams: int, model: Any = hf_marian) -> System:
        def go() -> tuple[float, float]:
            for start in range(0, len(order), size):
                batch = order[start : start + size]
                new = fixed(lengths[batch[-1]])
                hf_generate(model, marian_tok, [encoded[i] for i in batch], new, num_beams=beams)
            synchronise()
            return useful, 0.0

        return go

    # Our batches, as the translator cuts them for the placement the run chose.
    placement = engines["translator"].placement
    our_batches = batches_by_tokens(
        order, lengths, effective_batch_tokens(placement, sum(lengths)), placement.batch_segments
    )

    def raw_ct2(beams: int) -> System:
        # The very CTranslate2 translator that summarise's engine holds, fed pre-tokenized batches.
        engine = engines["translator"]
        assert isinstance(engine, Ct2Engine)
        ct2_batches = [
            ([marian_tok.convert_ids_to_tokens(encoded[i]) for i in batch], fixed(lengths[batch[-1]]))
            for batch in our_batches
        ]

        def go() -> tuple[float, float]:
            pending = [
                engine.translator.translate_batch(
                    tokens,
                    beam_size=beams,
                    min_decoding_length=new,
                    max_decoding_length=new,
                    max_input_length=0,
                    asynchronous=True,
                )
                for tokens, new in ct2_batches
            ]
            for batch in pending:
                for result in batch:
                    result.result()
            return useful, 0.0

        return go

    used_engine: dict[str, str] = {}

    def ours(beams: int) -> System:
        def go() -> tuple[float, float]:
            folder = Path(tempfile.mkdtemp(dir=tmp))
            options = Options(
                out_dir=folder / "out",
                translator=ModelSpec("translator", str(marian_dir)),
                summariser=None,
                engine="auto",
                device=args.device,
                beams=beams,
                threads=args.threads,
                cache_dir=folder / "cache",
                lengths=LENGTHS,
            )
            converted = Store(folder / "cache").converted_models
            converted.parent.mkdir(parents=True)
            converted.symlink_to(models.converted.absolute())  # the models are converted once, above
            report = run([inputs], options)
            assert not report.failures, report.failures
            record = json.loads(next((folder / "out").glob("*.json")).read_text(encoding="utf-8"))
            used_engine["ours"] = record["models"]["translator"]["engine"]
            return useful, sum(report.load_seconds.values())  # model loading is reported apart

        return go

    def torch_engine(precision: str, beams: int) -> System:
        engine = load_engine(models.marian, "torch", args.device, args.threads, models.converted, precision)
        settings = translation_settings(models.marian, "torch", beams)
        translator = ModelTranslator(engine, settings, lengths=LENGTHS)

        def go() -> tuple[float, float]:
            translator.translate(segments)
            return useful, 0.0

        return go

    systems: dict[str, System] = {"naive": naive, "batched": sorted_batches(EASYNMT_BATCH, BEAMS)}
    if gpu_systems:
        systems["big"] = sorted_batches(BIG_BATCH, BEAMS)
    if ct2_works:
        systems["ct2"] = raw_ct2(BEAMS)
    systems["ours"] = ours(BEAMS)
    if gpu_systems:
        systems["big_greedy"] = sorted_batches(BIG_BATCH, 1)
    if ct2_works:
        systems["ct2_greedy"] = raw_ct2(1)
    systems["ours_greedy"] = ours(1)
    if gpu_systems:
        for precision in ("float32", "float16", "bfloat16"):
            systems[f"torch_{precision}"] = torch_engine(precision, BEAMS)
            systems[f"torch_{precision}_greedy"] = torch_engine(precision, 1)
    translation = _interleave(systems, rounds)

    # Summarisation: ~700-token articles made of the seed text.
    article_count = (2 if quick else 4) if not gpu else 2 * REFERENCE_SUMMARY_BATCH
    articles = _summary_articles(training_text, bart_tok, article_count)
    summariser = ModelSummariser(engines["summariser"], summary_settings(models.bart, "ct2", BEAMS), LENGTHS)
    bart_kw = {"num_beams": BEAMS, "no_repeat_ngram_size": 3, "length_penalty": 2.0}
    article_ids = [bart_tok(article)["input_ids"] for article in articles]

    def naive_summary() -> tuple[float, float]:
        for ids in article_ids[: 4 if gpu else None]:  # one at a time on a GPU: 4 say enough
            hf_generate(hf_bart, bart_tok, [ids], SUMMARY_TOKENS, **bart_kw)
        synchronise()
        return min(len(article_ids), 4) if gpu else len(article_ids), 0.0

    def reference_summary() -> tuple[float, float]:
        for start in range(0, len(article_ids), REFERENCE_SUMMARY_BATCH):
            batch = article_ids[start : start + REFERENCE_SUMMARY_BATCH]
            hf_generate(hf_bart_fp16, bart_tok, batch, SUMMARY_TOKENS, **bart_kw)
        synchronise()
        return len(article_ids), 0.0

    def our_summary() -> tuple[float, float]:
        summariser.summarise_many([[article] for article in articles])
        synchronise()
        return len(articles), 0.0

    summary_systems: dict[str, System] = {"naive": naive_summary}
    if gpu_systems:
        half = AutoModelForSeq2SeqLM.from_pretrained(bart_dir, dtype=torch.float16)
        hf_bart_fp16 = half.eval().to(args.device)
        summary_systems["fp16x16"] = reference_summary
    summary_systems["ours"] = our_summary
    summarisation = _interleave(summary_systems, rounds)

    _say("peak memory with both models loaded (a fresh process) ...")
    probe_command = [sys.executable, "-m", "summarise.bench", "--threads", str(args.threads)]
    probe_command += ["--device", args.device, "--seeds", str(args.seeds)]
    probe_command += ["--probe", str(marian_dir), str(bart_dir), str(models.converted)]
    probe = subprocess.run(probe_command, capture_output=True, text=True, check=True)
    memory = json.loads(probe.stdout.strip().splitlines()[-1])
    _say("cached re-run of the seeds, through the CLI ...")
    cached = _cached_rerun(args.seeds, tmp, training_text)

    tok_s = {name: figures["units_per_s"] for name, figures in translation.items()}
    per_article = {name: 1 / figures["units_per_s"] for name, figures in summarisation.items()}
    ratios = {
        "translation_vs_naive": tok_s["ours"] / tok_s["naive"],
        "translation_vs_batched": tok_s["ours"] / tok_s["batched"],
        "summarisation_vs_naive": per_article["naive"] / per_article["ours"],
    }
    if ct2_works:
        ratios["translation_vs_ct2"] = tok_s["ours"] / tok_s["ct2"]
        ratios["greedy_translation_vs_ct2"] = tok_s["ours_greedy"] / tok_s["ct2_greedy"]
    if gpu_systems:
        ratios["translation_vs_big"] = tok_s["ours"] / tok_s["big"]
        ratios["greedy_translation_vs_big"] = tok_s["ours_greedy"] / tok_s["big_greedy"]
        ratios["summarisation_vs_fp16x16"] = per_article["fp16x16"] / per_article["ours"]
    return {
        "machine": {
            "cpus": os.cpu_count(),
            "physical_cores": physical_cores(),
            "threads": args.threads,
            "device": args.device,
            "gpu": torch.cuda.get_device_name(0) if gpu else None,
            "processor": platform.processor() or platform.machine(),
            "python": platform.python_version(),
            "torch": torch.__version__,
            "transformers": transformers.__version__,
            "ctranslate2": ctranslate2.__version__,
        },
        "mode": "tiny" if args.tiny else "quick" if quick else "full",
        "rounds": rounds,
        "placement": {
            role: {**vars(engine.placement), "description": engine.description}
            for role, engine in engines.items()
        },
        "translation": {
            "segments": len(segments),
            "naive_segments": len(naive_subset),
            "source_tokens": sum(lengths),
            "useful_target_tokens": useful,
            "useful_tokens_per_s": tok_s,
            "ours_engine": used_engine.get("ours"),
            "runs_s": {name: figures["runs_s"] for name, figures in translation.items()},
        },
        "summarisation": {
            "articles": len(articles),
            "seconds_per_article": per_article,
            "runs_s": {name: figures["runs_s"] for name, figures in summarisation.items()},
        },
        "ratios": ratios,
        "memory": memory,
        "load_s": {**load, **{f"summarise_{role}": s for role, s in memory["load_s"].items()}},
        "first_load_s": conversion,  # the first load converts for CTranslate2 (once per model)
        "cached_rerun_s": cached,
    }


# A system runs its work once and returns (units of work done, seconds not to count).
System = Callable[[], tuple[float, float]]


def _interleave(systems: dict[str, System], rounds: int) -> dict[str, dict[str, Any]]:
    """Run every system once per round, in turn; return each one's median throughput."""
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in systems}
    for round_number in range(1, rounds + 1):
        for name, system in systems.items():
            started = time.perf_counter()
            units, excluded = system()
            seconds = time.perf_counter() - started - excluded
            runs[name].append((units, seconds))
            _say(f"  round {round_number} {name:22} {seconds:8.2f} s")
    return {
        name: {
            "units_per_s": statistics.median(units / seconds for units, seconds in results),
            "runs_s": [round(seconds, 3) for _, seconds in results],
        }
        for name, results in runs.items()
    }


def _summary_articles(paragraphs: list[str], tokenizer: Any, count: int) -> list[str]:
    articles = []
    rng = random.Random(5)
    for _ in range(count):
        chosen: list[str] = []
        while len(tokenizer(" ".join(chosen))["input_ids"]) < SUMMARY_ARTICLE_TOKENS:
            chosen.append(rng.choice(paragraphs))
        articles.append(" ".join(chosen))
    return articles


def _memory_probe(marian: Path, bart: Path, converted: Path, args: argparse.Namespace) -> dict[str, Any]:
    """In a fresh process: load both models as a run does, use them, report peak memory."""
    loader = EngineLoader("auto", args.device, args.threads, converted)
    load = {}
    engines = {}
    for role, folder in (("translator", marian), ("summariser", bart)):
        model = resolve_model(ModelSpec(role, str(folder)), f"--{role}")
        started = time.perf_counter()
        engines[role] = loader.load(model)
        load[role] = time.perf_counter() - started
    translator_model = resolve_model(ModelSpec("translator", str(marian)), "--translator")
    settings = translation_settings(translator_model, "ct2", BEAMS)
    paragraphs = [p for ps in _seed_paragraphs(args.seeds).values() for p in ps]
    ModelTranslator(engines["translator"], settings, lengths=LENGTHS).translate(
        [s for p in paragraphs for s in split_sentences(p)]
    )
    summary_model = resolve_model(ModelSpec("summariser", str(bart)), "--summariser")
    summariser = ModelSummariser(
        engines["summariser"], summary_settings(summary_model, "ct2", BEAMS), LENGTHS
    )
    group = engines["summariser"].placement.workers * engines["summariser"].placement.summary_batch
    summariser.summarise_many(
        [[a] for a in _summary_articles(paragraphs, engines["summariser"].tokenizer, max(1, group))]
    )
    figures: dict[str, Any] = {
        "peak_rss_mb": _peak_rss_mb(),
        "load_s": load,
        "torch_imported": "torch" in sys.modules,
    }
    if "torch" in sys.modules:
        import torch

        if torch.cuda.is_available():
            figures["peak_gpu_mb"] = torch.cuda.max_memory_allocated() / 2**20
    return figures


def _peak_rss_mb() -> float:
    """This process's peak resident memory. VmHWM, not ru_maxrss: on Linux ru_maxrss survives
    exec, so a child started from a big parent would report the parent's peak."""
    try:
        status = Path("/proc/self/status").read_text()
        return int(status.split("VmHWM:")[1].split()[0]) / 1024
    except (OSError, IndexError, ValueError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cached_rerun(seeds: Path, tmp: Path, training_text: list[str]) -> dict[str, Any]:
    """Wall time of `summarise brief seeds/` when every article is cached (median of 3).

    A cached run loads no model, so the model's size does not enter: small local models fill the
    cache quickly, and the timed runs are the real CLI in a fresh interpreter.
    """
    marian = build_marian(training_text, tmp / "rerun-marian", MARIAN_TINY)
    bart = build_bart(training_text, tmp / "rerun-bart", BART_TINY)
    command = [sys.executable, "-m", "summarise", "brief", str(seeds), "-o", str(tmp / "rerun-out"), "-q"]
    command += [
        "--translator",
        str(marian),
        "--summariser",
        str(bart),
        "--cache-dir",
        str(tmp / "rerun-cache"),
    ]
    subprocess.run(command, check=True, capture_output=True)
    times = []
    for _ in range(3):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return {"median_s": statistics.median(times), "runs_s": [round(t, 3) for t in times]}


# ----------------------------------------------------------------------------- workers x threads


def _sweep(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Raw CTranslate2 int8 on the CPU at each workers x threads split of --threads: which split
    the placement should choose. Translation batches hold 2,048 tokens in flight in total, and
    summaries 4 chunks, as the placement keeps them."""
    from transformers import AutoTokenizer

    seeds = _seed_paragraphs(args.seeds)
    training_text = [p for ps in seeds.values() for p in ps]
    models = _build_models(args, work, training_text)
    marian_tok = AutoTokenizer.from_pretrained(models.marian.path)
    bart_tok = AutoTokenizer.from_pretrained(models.bart.path)
    paragraphs = training_text + _long_article(training_text, 300 if args.quick or args.tiny else 1500).split(
        "\n\n"
    )
    segments = list(dict.fromkeys(s for p in paragraphs for s in split_sentences(p)))
    encoded = [marian_tok(s)["input_ids"] for s in segments]
    lengths = [len(ids) for ids in encoded]
    order = sorted(range(len(segments)), key=lengths.__getitem__)
    useful = sum(math.ceil(OUTPUT_RATIO * n) for n in lengths)
    articles = [
        bart_tok.convert_ids_to_tokens(bart_tok(a)["input_ids"])
        for a in _summary_articles(training_text, bart_tok, 8)
    ]
    splits = [w for w in range(1, args.threads + 1) if args.threads % w == 0]
    figures: dict[str, Any] = {"threads": args.threads, "segments": len(segments), "splits": {}}
    import ctranslate2

    for workers in splits:
        threads = args.threads // workers
        placement = plan("ct2", "cpu", args.threads)
        tokens = max(256, 2048 // workers)
        batches = batches_by_tokens(order, lengths, tokens, placement.batch_segments)
        marian = convert_for_ct2(models.marian, "int8", models.converted)
        bart = convert_for_ct2(models.bart, "int8", models.converted)
        translator = ctranslate2.Translator(
            str(marian), device="cpu", compute_type="int8", inter_threads=workers, intra_threads=threads
        )
        summariser = ctranslate2.Translator(
            str(bart), device="cpu", compute_type="int8", inter_threads=workers, intra_threads=threads
        )
        row: dict[str, float] = {}
        for beams in (BEAMS, 1):
            started = time.perf_counter()
            pending = [
                translator.translate_batch(
                    [marian_tok.convert_ids_to_tokens(encoded[i]) for i in batch],
                    beam_size=beams,
                    min_decoding_length=math.ceil(OUTPUT_RATIO * lengths[batch[-1]]),
                    max_decoding_length=math.ceil(OUTPUT_RATIO * lengths[batch[-1]]),
                    max_input_length=0,
                    asynchronous=True,
                )
                for batch in batches
            ]
            for results in pending:
                for result in results:
                    result.result()
            row["translation_tok_s" if beams > 1 else "greedy_tok_s"] = useful / (
                time.perf_counter() - started
            )
        per_call = max(1, 4 // workers)
        started = time.perf_counter()
        pending = [
            summariser.translate_batch(
                articles[i : i + per_call],
                beam_size=BEAMS,
                no_repeat_ngram_size=3,
                length_penalty=2.0,
                min_decoding_length=SUMMARY_TOKENS,
                max_decoding_length=SUMMARY_TOKENS,
                max_input_length=0,
                target_prefix=[["<s>"]] * len(articles[i : i + per_call]),
                asynchronous=True,
            )
            for i in range(0, len(articles), per_call)
        ]
        for results in pending:
            for result in results:
                result.result()
        row["summary_s_per_article"] = (time.perf_counter() - started) / len(articles)
        figures["splits"][f"{workers}x{threads}"] = row
        _say(f"  {workers} workers x {threads} threads: {row}")
        del translator, summariser
    placement = plan("ct2", "cpu", args.threads)
    figures["placement_chooses"] = f"{placement.workers}x{placement.threads}"
    return figures


# ----------------------------------------------------------------------------- report

TARGETS = {
    "translation_vs_batched": (">=", 3.0),
    "translation_vs_ct2": (">=", 0.95),
    "summarisation_vs_naive": (">=", 4.0),
}


def _verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def _print(r: dict[str, Any]) -> None:
    t, s, ratios = r["translation"], r["summarisation"], r["ratios"]
    machine = r["machine"]
    where = machine["gpu"] or f"{machine['threads']} threads"
    print(f"\nsummarise benchmark ({r['mode']}, {r['rounds']} rounds, {machine['device']}: {where})")
    for role, placed in r["placement"].items():
        split = f"{placed['workers']} worker(s) x {placed['threads']} thread(s)"
        print(f"  {role}: {placed['description']}, {split}")
    print(f"\ntranslation: {t['segments']} segments, {t['useful_target_tokens']} useful target tokens")
    print(f"  {'system':22} {'useful tok/s':>12}")
    for name, value in t["useful_tokens_per_s"].items():
        print(f"  {name:22} {value:12.1f}")
    print(f"  (ours ran on {t['ours_engine']})")
    print(f"\nsummarisation: {s['articles']} article(s) of ~{SUMMARY_ARTICLE_TOKENS} tokens,", end=" ")
    print(f"{SUMMARY_TOKENS}-token summaries")
    for name, value in s["seconds_per_article"].items():
        print(f"  {name:14} {value:8.3f} s per article")
    print("\nratios (ours / theirs, higher is better):")
    for name, value in ratios.items():
        target = TARGETS.get(name) if machine["device"] == "cpu" else None
        verdict = (
            f"  target {target[0]} {target[1]}: {'met' if value >= target[1] else 'MISSED'}" if target else ""
        )
        print(f"  {name:30} {value:7.2f}{verdict}")
    rss = r["memory"]["peak_rss_mb"]
    print(f"\npeak RSS, both models loaded and used: {rss:.0f} MB  target <= 1536: {_verdict(rss <= 1536)}")
    if "peak_gpu_mb" in r["memory"]:
        print(f"peak GPU memory (torch): {r['memory']['peak_gpu_mb']:.0f} MB")
    print("model load (s): " + ", ".join(f"{k} {v:.2f}" for k, v in r["load_s"].items()))
    print("first load, converting (s): " + ", ".join(f"{k} {v:.1f}" for k, v in r["first_load_s"].items()))
    rerun = r["cached_rerun_s"]["median_s"]
    print(f"cached re-run of seeds/: {rerun:.2f} s wall  target < 1: {'met' if rerun < 1 else 'MISSED'}")


def _print_sweep(r: dict[str, Any]) -> None:
    print(f"\nCTranslate2 int8 on {r['threads']} threads, {r['segments']} segments (raw, fixed lengths)")
    print(f"  {'workers x threads':18} {'beam 4 tok/s':>12} {'greedy tok/s':>12} {'summary s/article':>18}")
    for split, row in r["splits"].items():
        print(
            f"  {split:18} {row['translation_tok_s']:12.0f} {row['greedy_tok_s']:12.0f} "
            f"{row['summary_s_per_article']:18.2f}"
        )
    print(f"the placement chooses {r['placement_chooses']}")


if __name__ == "__main__":
    main()
