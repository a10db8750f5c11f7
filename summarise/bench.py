"""Benchmark: summarise against the usual ways of running the same models, on this machine.

    python -m summarise.bench [--quick] [--json FILE] [--threads N] [--work DIR]

Random-weight models with the real architectures (opus-mt-de-en; distilbart-cnn-12-6) cost what
the real ones cost per token, but never stop by themselves, so every system is made to produce
exactly the same output: ceil(1.1 x longest source) tokens per batch for translation, 80 tokens
per summary. Throughput counts *useful* target tokens (1.1 x each segment's own length): padding
and a batch's overshoot for its shorter segments count as cost. Systems run interleaved, round
after round (A B C D, A B C D), and the report gives medians and ratios.

Translation, beam 4 unless said:
  naive     transformers generate per sentence, batch 1, fp32 (on a length-stratified subset)
  batched   transformers, sentences sorted by length, batches of 16, fp32 (what EasyNMT does)
  ct2       raw CTranslate2 int8 on pre-tokenized segments, the same batches as ours
  ours      summarise's default path end to end (read, segment, translate, write, cache)
Summarisation (one ~700-token article at a time, beam 4, no-repeat 3, 80 tokens):
  naive     transformers generate, fp32
  ours      summarise's summariser on its default engine
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
from pathlib import Path
from typing import Any

from .cache import CONVERTED_MODELS
from .engines import Ct2Engine, load_engine, physical_cores
from .localmodels import (
    BART_DISTILBART_CNN,
    BART_TINY,
    MARIAN_OPUS_DE_EN,
    MARIAN_TINY,
    build_bart,
    build_marian,
)
from .models import ModelSpec, ResolvedModel, resolve_model
from .pipeline import RunOptions, run
from .segment import segment_paragraphs, split_sentences
from .summarise import Summariser, summary_settings
from .translate import DEFAULT_BATCH_TOKENS, batches_by_tokens, translation_settings

OUTPUT_RATIO = 1.1
SUMMARY_TOKENS = 80
SUMMARY_ARTICLE_TOKENS = 700
BEAMS = 4
EASYNMT_BATCH = 16


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m summarise.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="fewer segments and rounds: under 5 minutes on 2 cores"
    )
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    parser.add_argument("--threads", type=int, default=physical_cores(), help="threads for every system")
    parser.add_argument("--work", type=Path, help="folder for the built models (kept and reused)")
    parser.add_argument("--seeds", type=Path, default=_default_seeds(), help="folder of German articles")
    parser.add_argument("--probe", nargs=3, metavar=("MARIAN", "BART", "ROOT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    # Random weights: the faithfulness guard doubts every segment, and would say so per article.
    logging.getLogger("summarise").setLevel(logging.ERROR)
    if args.probe:
        marian, bart, converted = (Path(p) for p in args.probe)
        print(json.dumps(_memory_probe(marian, bart, converted, args.threads, args.seeds)))
        return
    with tempfile.TemporaryDirectory(prefix="summarise-bench-") as tmp:
        results = _bench(args, Path(tmp), args.work or Path(tmp) / "models")
    _print(results)
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


# ----------------------------------------------------------------------------- the run


def _bench(args: argparse.Namespace, tmp: Path, work: Path) -> dict[str, Any]:
    import ctranslate2
    import torch
    import transformers
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    torch.set_num_threads(args.threads)
    quick = args.quick
    rounds = 2
    seeds = _seed_paragraphs(args.seeds)
    training_text = [p for ps in seeds.values() for p in ps]

    marian_dir, bart_dir = work / "opus-mt-de-en-random", work / "distilbart-cnn-12-6-random"
    if not (marian_dir / "config.json").is_file():
        _say("building a random opus-mt-de-en (74M parameters) ...")
        build_marian(training_text, marian_dir, MARIAN_OPUS_DE_EN)
    if not (bart_dir / "config.json").is_file():
        _say("building a random distilbart-cnn-12-6 (306M parameters) ...")
        build_bart(training_text, bart_dir, BART_DISTILBART_CNN)
    marian = resolve_model(ModelSpec("translator", str(marian_dir)), "--translator")
    bart = resolve_model(ModelSpec("summariser", str(bart_dir)), "--summariser")
    converted = work / "ct2"

    _say("converting both to CTranslate2 int8 (once) ...")
    conversion: dict[str, float] = {}
    engines = {}
    for role, model in (("translator", marian), ("summariser", bart)):
        started = time.perf_counter()
        engines[role] = _ct2(model, role, args.threads, converted)
        conversion[role] = time.perf_counter() - started

    load: dict[str, float] = {}
    started = time.perf_counter()
    hf_marian = AutoModelForSeq2SeqLM.from_pretrained(marian_dir).eval()
    load["transformers_translator"] = time.perf_counter() - started
    started = time.perf_counter()
    hf_bart = AutoModelForSeq2SeqLM.from_pretrained(bart_dir).eval()
    load["transformers_summariser"] = time.perf_counter() - started
    marian_tok = AutoTokenizer.from_pretrained(marian_dir)
    bart_tok = AutoTokenizer.from_pretrained(bart_dir)

    # The same segments for every system: what summarise's own segmenter makes of the input.
    inputs = tmp / "input"
    if quick:  # two seed articles, a third of the work
        seeds = dict(list(seeds.items())[::2][:2])
    _write_inputs(inputs, seeds, long_words=0 if quick else 1500)
    settings = translation_settings(marian, "ct2", BEAMS)

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

    def hf_generate(model: Any, tok: Any, ids: list[list[int]], new: int, **kw: Any) -> None:
        batch = tok.pad({"input_ids": ids}, padding=True, return_tensors="pt")
        with torch.inference_mode():
            model.generate(**batch, min_new_tokens=new, max_new_tokens=new, do_sample=False, **kw)

    def naive() -> tuple[float, float]:
        for i in naive_subset:
            hf_generate(hf_marian, marian_tok, [encoded[i]], fixed(lengths[i]), num_beams=BEAMS)
        return naive_useful, 0.0

    def batched() -> tuple[float, float]:
        for start in range(0, len(order), EASYNMT_BATCH):
            batch = order[start : start + EASYNMT_BATCH]
            new = fixed(lengths[batch[-1]])
            hf_generate(hf_marian, marian_tok, [encoded[i] for i in batch], new, num_beams=BEAMS)
        return useful, 0.0

    # The very CTranslate2 translator that summarise's engine holds, fed pre-tokenized batches.
    ct2_translator = engines["translator"].translator
    ct2_batches = [
        ([marian_tok.convert_ids_to_tokens(encoded[i]) for i in batch], fixed(max(lengths[i] for i in batch)))
        for batch in batches_by_tokens(order, lengths, DEFAULT_BATCH_TOKENS)
    ]

    def raw_ct2(beams: int) -> System:
        def go() -> tuple[float, float]:
            pending = [
                ct2_translator.translate_batch(
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

    def ours(beams: int) -> System:
        def go() -> tuple[float, float]:
            folder = Path(tempfile.mkdtemp(dir=tmp))
            options = RunOptions(
                out_dir=folder / "out",
                translator=ModelSpec("translator", str(marian_dir)),
                summariser=None,
                engine="auto",
                beams=beams,
                threads=args.threads,
                cache_dir=folder / "cache",
                fixed_output_ratio=OUTPUT_RATIO,
            )
            (folder / "cache").mkdir()
            (folder / "cache" / CONVERTED_MODELS).symlink_to(converted.absolute())  # converted once, above
            report = run([inputs], options)
            assert not report.failures, report.failures
            return useful, sum(report.load_seconds.values())  # model loading is reported apart

        return go

    systems = {
        "naive": naive,
        "batched": batched,
        "ct2": raw_ct2(BEAMS),
        "ours": ours(BEAMS),
        "ct2_greedy": raw_ct2(1),
        "ours_greedy": ours(1),
    }
    translation = _interleave(systems, rounds)

    # Summarisation: ~700-token articles made of the seed text, one at a time.
    articles = _summary_articles(training_text, bart_tok, 1 if quick else 3)
    summariser = Summariser(engines["summariser"], summary_settings(bart, "ct2", BEAMS, SUMMARY_TOKENS))
    bart_kw = {"num_beams": BEAMS, "no_repeat_ngram_size": 3, "length_penalty": 2.0}

    def naive_summary() -> tuple[float, float]:
        for article in articles:
            hf_generate(hf_bart, bart_tok, [bart_tok(article)["input_ids"]], SUMMARY_TOKENS, **bart_kw)
        return len(articles), 0.0

    def our_summary() -> tuple[float, float]:
        for article in articles:
            summariser.summarise([article])
        return len(articles), 0.0

    summarisation = _interleave({"naive": naive_summary, "ours": our_summary}, rounds)

    _say("peak memory with both models loaded (a fresh process) ...")
    probe = subprocess.run(
        [
            sys.executable,
            "-m",
            "summarise.bench",
            "--threads",
            str(args.threads),
            "--seeds",
            str(args.seeds),
            "--probe",
            str(marian_dir),
            str(bart_dir),
            str(converted),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    memory = json.loads(probe.stdout.strip().splitlines()[-1])
    _say("cached re-run of the seeds, through the CLI ...")
    cached = _cached_rerun(args.seeds, tmp, training_text)

    tok_s = {name: figures["units_per_s"] for name, figures in translation.items()}
    per_article = {name: 1 / figures["units_per_s"] for name, figures in summarisation.items()}
    return {
        "machine": {
            "cpus": os.cpu_count(),
            "physical_cores": physical_cores(),
            "threads": args.threads,
            "processor": platform.processor() or platform.machine(),
            "python": platform.python_version(),
            "torch": torch.__version__,
            "transformers": transformers.__version__,
            "ctranslate2": ctranslate2.__version__,
        },
        "mode": "quick" if quick else "full",
        "rounds": rounds,
        "translation": {
            "segments": len(segments),
            "naive_segments": len(naive_subset),
            "source_tokens": sum(lengths),
            "useful_target_tokens": useful,
            "useful_tokens_per_s": tok_s,
            "runs_s": {name: figures["runs_s"] for name, figures in translation.items()},
        },
        "summarisation": {
            "articles": len(articles),
            "seconds_per_article": per_article,
            "runs_s": {name: figures["runs_s"] for name, figures in summarisation.items()},
        },
        "ratios": {
            "translation_vs_naive": tok_s["ours"] / tok_s["naive"],
            "translation_vs_batched": tok_s["ours"] / tok_s["batched"],
            "translation_vs_ct2": tok_s["ours"] / tok_s["ct2"],
            "greedy_translation_vs_ct2": tok_s["ours_greedy"] / tok_s["ct2_greedy"],
            "summarisation_vs_naive": per_article["naive"] / per_article["ours"],
        },
        "memory": memory,
        "load_s": {**load, **{f"ct2_{role}": s for role, s in memory["load_s"].items()}},
        "conversion_s": conversion,
        "cached_rerun_s": cached,
    }


# A system runs its work once and returns (units of work done, seconds not to count).
System = Callable[[], tuple[float, float]]


def _ct2(model: ResolvedModel, role: str, threads: int, converted: Path) -> Ct2Engine:
    """A model on CTranslate2 int8, configured as the pipeline configures it for its role."""
    engine = load_engine(model, "ct2", "cpu", threads, converted, parallel_batches=role == "translator")
    assert isinstance(engine, Ct2Engine)
    return engine


def _interleave(systems: dict[str, System], rounds: int) -> dict[str, dict[str, Any]]:
    """Run every system once per round, in turn; return each one's median throughput."""
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in systems}
    for round_number in range(1, rounds + 1):
        for name, system in systems.items():
            started = time.perf_counter()
            units, excluded = system()
            seconds = time.perf_counter() - started - excluded
            runs[name].append((units, seconds))
            _say(f"  round {round_number} {name:12} {seconds:8.2f} s")
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


def _memory_probe(marian: Path, bart: Path, converted: Path, threads: int, seeds: Path) -> dict[str, Any]:
    """In a fresh process: load both models as summarise does (int8), use them, report peak RSS."""
    load = {}
    engines = {}
    for role, folder in (("translator", marian), ("summariser", bart)):
        model = resolve_model(ModelSpec(role, str(folder)), f"--{role}")
        started = time.perf_counter()
        engines[role] = _ct2(model, role, threads, converted)
        load[role] = time.perf_counter() - started
    translator_model = resolve_model(ModelSpec("translator", str(marian)), "--translator")
    settings = translation_settings(translator_model, "ct2", BEAMS, OUTPUT_RATIO)
    from .translate import Translator

    paragraphs = [p for ps in _seed_paragraphs(seeds).values() for p in ps]
    Translator(engines["translator"], settings).translate([s for p in paragraphs for s in split_sentences(p)])
    summary_model = resolve_model(ModelSpec("summariser", str(bart)), "--summariser")
    summariser = Summariser(
        engines["summariser"], summary_settings(summary_model, "ct2", BEAMS, SUMMARY_TOKENS)
    )
    summariser.summarise(_summary_articles(paragraphs, engines["summariser"].tokenizer, 1))
    return {"peak_rss_mb": _peak_rss_mb(), "load_s": load}


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
    print(f"\nsummarise benchmark ({r['mode']}, {r['rounds']} rounds, {r['machine']['threads']} threads)")
    print(f"\ntranslation: {t['segments']} segments, {t['useful_target_tokens']} useful target tokens")
    print(f"  {'system':14} {'useful tok/s':>12}")
    for name, value in t["useful_tokens_per_s"].items():
        print(f"  {name:14} {value:12.1f}")
    print(f"\nsummarisation: {s['articles']} article(s) of ~{SUMMARY_ARTICLE_TOKENS} tokens,", end=" ")
    print(f"{SUMMARY_TOKENS}-token summaries")
    for name, value in s["seconds_per_article"].items():
        print(f"  {name:14} {value:8.2f} s per article")
    print("\nratios (ours / theirs, higher is better):")
    for name, value in ratios.items():
        target = TARGETS.get(name)
        verdict = (
            f"  target {target[0]} {target[1]}: {'met' if value >= target[1] else 'MISSED'}" if target else ""
        )
        print(f"  {name:28} {value:7.2f}{verdict}")
    greedy = t["useful_tokens_per_s"]["ours_greedy"]
    print(f"  greedy useful tok/s          {greedy:7.0f}  target >= 1000: {_verdict(greedy >= 1000)}")
    rss = r["memory"]["peak_rss_mb"]
    print(f"\npeak RSS, both models loaded (int8): {rss:.0f} MB  target <= 1536: {_verdict(rss <= 1536)}")
    print("model load (s): " + ", ".join(f"{k} {v:.2f}" for k, v in r["load_s"].items()))
    print(
        "conversion to CTranslate2, once (s): "
        + ", ".join(f"{k} {v:.1f}" for k, v in r["conversion_s"].items())
    )
    rerun = r["cached_rerun_s"]["median_s"]
    print(f"cached re-run of seeds/: {rerun:.2f} s wall  target < 1: {'met' if rerun < 1 else 'MISSED'}")


if __name__ == "__main__":
    main()
