"""``torchsearch-predict MODEL INPUTS``: a searched model's predictions on a CSV file, an
npz file or a folder of images, written as CSV (one row per input: its name, the label,
then the probability of every class; for a model that labels every step, the steps'
labels joined by ``;`` and the probabilities averaged over the steps; for a regression
model, its name and the predicted number)."""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from torchsearch._errors import TorchSearchError
from torchsearch.predict._inputs import read_inputs
from torchsearch.predict._predictor import load_model

__all__ = ["main"]


def main(argv: list[str] | None = None) -> None:
    """Runs the command; an error is one line and exit status 1."""
    parser = argparse.ArgumentParser(
        prog="torchsearch-predict",
        description="Predicts with a searched model (a run folder or its best_model.pt2).",
    )
    parser.add_argument("model", type=Path, help="a run folder, or a .pt2 model file")
    parser.add_argument("inputs", type=Path, help="a .csv or .npz file, or a folder of images")
    parser.add_argument(
        "-o", "--output", type=Path, help="where to write the predictions (default: stdout)"
    )
    args = parser.parse_args(argv)
    try:
        predictor = load_model(args.model)
        x, names = read_inputs(args.inputs, predictor.card)
        labels = predictor.predict(x)
        probabilities = None if predictor.regression else predictor.predict_proba(x)
    except TorchSearchError as exc:
        print(f"torchsearch-predict: error: {exc}", file=sys.stderr)
        sys.exit(1)
    if probabilities is None:
        pairs = zip(names, labels, strict=True)
        rows = [["input", "prediction"], *([name, f"{value:.6g}"] for name, value in pairs)]
    else:
        rows = [["input", "label", *(f"p_{c}" for c in predictor.classes)]]
        per_input = probabilities if probabilities.dim() == 2 else probabilities.mean(dim=1)
        for name, label, row in zip(names, labels, per_input.tolist(), strict=True):
            shown = ";".join(label) if isinstance(label, list) else label  # one per step
            rows.append([name, shown, *(f"{p:.6f}" for p in row)])
    if args.output is None:
        csv.writer(sys.stdout).writerows(rows)
        return
    with args.output.open("w", newline="") as file:
        csv.writer(file).writerows(rows)
    print(f"{len(rows) - 1} predictions written to {args.output}", file=sys.stderr)
