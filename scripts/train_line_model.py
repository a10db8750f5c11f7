"""Train the clean stage's line model (summarise/line_model.py) on the tune split of a labelled
cleaning corpus, cross-validated by outlet, and write summarise/line_model.json.

    .venv/bin/python scripts/train_line_model.py [CORPUS] [--write] [--l2 1.0] [--max-loss 0.003]

CORPUS (default ../shared/cleaning-corpus) holds sources.toml and text/<id>.labels (label TAB line;
A article, B boilerplate, M metadata). Only the "tune" split is read for training and for choosing
the threshold; the "measure" split is scored once at the end, for the report, never to choose.

Prints, for the tune split out of fold (each outlet predicted by a model that never saw it) and for
the measure split: the boilerplate recall and article lines lost at each threshold, and the same
for two baselines: the rules alone (the clean stage without the model) and jusText's classifier on
the same lines. Needs numpy (it comes with torch); the product needs nothing of it.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from summarise.clean import boilerplate_rules, clean_paragraphs, normalise  # noqa: E402
from summarise.line_model import COLUMNS, FEATURES, LineModel, line_features  # noqa: E402


@dataclass(frozen=True)
class Document:
    id: str
    outlet: str
    split: str
    labels: list[str]
    lines: list[str]


def load(corpus: Path) -> list[Document]:
    documents = []
    for entry in tomllib.loads((corpus / "sources.toml").read_text("utf-8"))["document"]:
        rows = (corpus / "text" / f"{entry['id']}.labels").read_text("utf-8").splitlines()
        pairs = [row.split("\t", 1) for row in rows]
        kept = [(label, normalise(line)) for label, line in pairs if normalise(line)]
        documents.append(
            Document(entry["id"], entry["outlet"], entry["split"], [k[0] for k in kept], [k[1] for k in kept])
        )
    return documents


def cleaned_out(document: Document, model: LineModel | None) -> list[bool]:
    """Which lines the clean stage removes, with this line model (None: the rules alone)."""
    cleaned = clean_paragraphs(document.lines, rules=boilerplate_rules(), model=model)
    removed = {line.paragraph for line in cleaned.removed}
    return [i in removed for i in range(len(document.lines))]


def fit(x: np.ndarray, y: np.ndarray, l2: float) -> tuple[np.ndarray, float]:
    """L2-regularised logistic regression by Newton's method (the bias not regularised)."""
    rows, columns = x.shape
    design = np.hstack([x, np.ones((rows, 1))])
    weights = np.zeros(columns + 1)
    penalty = np.full(columns + 1, l2)
    penalty[-1] = 0.0
    for _ in range(50):
        p = 1 / (1 + np.exp(-design @ weights))
        gradient = design.T @ (p - y) + penalty * weights
        hessian = (design * (p * (1 - p))[:, None]).T @ design + np.diag(penalty)
        step = np.linalg.solve(hessian, gradient)
        weights -= step
        if np.abs(step).max() < 1e-8:
            break
    return weights[:-1], float(weights[-1])


def model_of(documents: list[Document], l2: float, threshold: float = 0.99) -> LineModel:
    rows, targets = [], []
    chosen = [COLUMNS.index(name) for name in FEATURES]
    for document in documents:
        for row, label in zip(line_features(document.lines), document.labels, strict=True):
            if label in "AB":
                rows.append([row[at] for at in chosen])
                targets.append(1.0 if label == "B" else 0.0)
    x = np.array(rows)
    mean, scale = x.mean(0), x.std(0)
    scale[scale == 0] = 1.0
    weights, bias = fit((x - mean) / scale, np.array(targets), l2)
    return LineModel(FEATURES, tuple(mean), tuple(scale), tuple(weights), bias, threshold)


def tally(documents: list[Document], removed: dict[str, list[bool]]) -> dict[str, float]:
    counts = {"A": 0, "B": 0, "M": 0, "A_removed": 0, "B_removed": 0, "M_removed": 0}
    for document in documents:
        for label, gone in zip(document.labels, removed[document.id], strict=True):
            counts[label] += 1
            counts[f"{label}_removed"] += gone
    return {
        "recall": counts["B_removed"] / max(1, counts["B"]),
        "lost": counts["A_removed"],
        "of": counts["A"],
        "metadata": counts["M_removed"] / max(1, counts["M"]),
    }


def show(name: str, figures: dict[str, float]) -> None:
    print(
        f"  {name:<28} boilerplate recall {figures['recall']:.3f}  article lines lost {figures['lost']:>3}"
        f" of {figures['of']}  metadata removed {figures['metadata']:.3f}"
    )


def justext_removed(document: Document) -> list[bool]:
    """jusText's verdict on the same lines, each a paragraph of a page (German stoplist)."""
    import html

    import justext

    page = (
        "<html><body>" + "".join(f"<p>{html.escape(line)}</p>" for line in document.lines) + "</body></html>"
    )
    paragraphs = justext.justext(page.encode("utf-8"), justext.get_stoplist("German"))
    verdicts = [paragraph.is_boilerplate for paragraph in paragraphs]
    return verdicts if len(verdicts) == len(document.lines) else [False] * len(document.lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("corpus", nargs="?", type=Path, default=ROOT.parent / "shared" / "cleaning-corpus")
    parser.add_argument("--l2", type=float, default=1.0)
    parser.add_argument(
        "--max-loss", type=float, default=0.005, help="article lines lost, share (tune, out of fold)"
    )
    parser.add_argument("--write", action="store_true", help="write summarise/line_model.json")
    args = parser.parse_args()
    documents = load(args.corpus)
    tune = [d for d in documents if d.split == "tune"]
    measure = [d for d in documents if d.split == "measure"]
    outlets = sorted({d.outlet for d in tune})

    # Out of fold: each outlet's documents cleaned with a model trained on the other outlets.
    folds = {outlet: model_of([d for d in tune if d.outlet != outlet], args.l2) for outlet in outlets}

    def out_of_fold(knobs: tuple[float, float, float]) -> dict[str, list[bool]]:
        threshold, floor, run = knobs
        return {
            d.id: cleaned_out(
                d, replace(folds[d.outlet], threshold=threshold, run_floor=floor, run_threshold=run)
            )
            for d in tune
        }

    print(f"tune split, out of fold by outlet ({len(tune)} documents, {len(outlets)} outlets):")
    show("rules alone", tally(tune, {d.id: cleaned_out(d, None) for d in tune}))
    show("jusText", tally(tune, {d.id: justext_removed(d) for d in tune}))
    # The knobs: the line threshold, and the floor and mean of a run decided as a block. The most
    # boilerplate removed while the article lines lost stay within the bound, out of fold.
    best: tuple[float, tuple[float, float, float]] = (-1.0, (0.999, 1.0, 1.0))
    for threshold, floor, run in itertools.product(
        (0.95, 0.97, 0.98, 0.99, 0.995), (0.6, 0.7, 0.8), (0.93, 0.95, 0.97, 0.99)
    ):
        figures = tally(tune, out_of_fold((threshold, floor, run)))
        if figures["lost"] <= args.max_loss * figures["of"] and figures["recall"] > best[0]:
            best = (figures["recall"], (threshold, floor, run))
    chosen = best[1]
    show(f"rules + model at {chosen}", tally(tune, out_of_fold(chosen)))
    model = replace(
        model_of(tune, args.l2), threshold=chosen[0], run_floor=chosen[1], run_threshold=chosen[2]
    )
    print(
        f"chosen: line threshold {chosen[0]}, runs of lines >= {chosen[1]} with a mean >= {chosen[2]} "
        f"(article lines lost <= {args.max_loss:.1%} out of fold)"
    )
    ranked = sorted(zip(model.weights, model.names, strict=True), key=lambda pair: -abs(pair[0]))
    print("  weights: " + ", ".join(f"{name} {weight:+.2f}" for weight, name in ranked[:12]))

    print(f"measure split ({len(measure)} documents): scored once, for the report")
    show("rules alone", tally(measure, {d.id: cleaned_out(d, None) for d in measure}))
    show("jusText", tally(measure, {d.id: justext_removed(d) for d in measure}))
    show("rules + model", tally(measure, {d.id: cleaned_out(d, model) for d in measure}))
    if args.write:
        path = ROOT / "summarise" / "line_model.json"
        path.write_text(json.dumps(model.to_json(), indent=1) + "\n", encoding="utf-8")
        print(f"written: {path}")


if __name__ == "__main__":
    main()
