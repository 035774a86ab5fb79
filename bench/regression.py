"""Regression measured: a search on the bundled diabetes set against linear baselines.

    python bench/regression.py [--quick] [--seeds N] [--output BENCHMARKS.md]

For each seed, a coordinate-descent search (``data=diabetes``, the default ``dnn`` space
with its ensembles and distillation) selects its model by validation RMSE; that model's
test RMSE, MAE and R² are read from ``best.json`` (measured once). On the same split
(``data.seed=0`` for every seed, so every row sees the same 266 / 88 / 88 patients),
scikit-learn's ordinary least squares and ridge regression (its penalty chosen by
leave-one-out on the training split) are fitted on the training split's standardised
features and scored on the same test rows. The search's seed changes its draws only.

``--output`` gets (or has replaced) its section ``## Regression: diabetes``;
``bench/run.py`` includes the same section in a full run.
"""

from __future__ import annotations

import contextlib
import io
import json
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from hydra import compose
from hydra import initialize_config_module
from sections import section_main
from sklearn.linear_model import LinearRegression
from sklearn.linear_model import RidgeCV

from torchsearch.data import DataSplits
from torchsearch.data import DiabetesProvider
from torchsearch.driver import run_search

SECTION = "Regression: diabetes"


@dataclass(frozen=True)
class RegressionBudget:
    """What each search gets: trials, and optimizer steps per trial."""

    n_trials: int
    trial_steps: int


FULL = RegressionBudget(n_trials=40, trial_steps=900)
QUICK = RegressionBudget(n_trials=3, trial_steps=20)


@dataclass(frozen=True)
class Scores:
    """One model's test errors in the target's units, and how it was found."""

    method: str
    seed: int | None
    rmse: float
    mae: float
    r2: float
    parameters: int | None = None
    seconds: float | None = None
    validation_rmse: float | None = None


def linear_baselines(data: DataSplits) -> list[Scores]:
    """Least squares and cross-validated ridge on the training split, scored on test."""
    assert data.target_scaling is not None
    mean, std = float(data.target_scaling.mean), float(data.target_scaling.std)
    x_train, y_train = data.train.x.numpy(), data.train.y.numpy() * std + mean
    x_test, y_test = data.test.x.numpy(), data.test.y.numpy() * std + mean
    models = {
        "linear regression (least squares)": LinearRegression(),
        "ridge regression (penalty by leave-one-out)": RidgeCV(alphas=np.logspace(-3, 3, 25)),
    }
    rows = []
    for name, model in models.items():
        error = model.fit(x_train, y_train).predict(x_test) - y_test
        spread = np.sum((y_test - y_test.mean()) ** 2)
        rows.append(
            Scores(
                method=name,
                seed=None,
                rmse=float(np.sqrt(np.mean(error**2))),
                mae=float(np.mean(np.abs(error))),
                r2=float(1 - np.sum(error**2) / spread),
                parameters=x_train.shape[1] + 1,
            )
        )
    return rows


def search(seed: int, budget: RegressionBudget) -> Scores:
    """A coordinate-descent search on diabetes; its selected model's test errors."""
    overrides = [
        "data=diabetes",
        "data.seed=0",
        f"search.n_trials={budget.n_trials}",
        "trainer.max_epochs=null",
        f"trainer.max_steps={budget.trial_steps}",
        "trainer.accelerator=cpu",
        f"seed={seed}",
    ]
    with initialize_config_module("torchsearch.conf", version_base="1.3"):
        cfg = compose("config", overrides=overrides)
    with tempfile.TemporaryDirectory(prefix="bench-regression-") as folder:
        start = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            run_search(cfg, Path(folder))
        seconds = time.perf_counter() - start
        best = json.loads((Path(folder) / "best.json").read_text())
    return Scores(
        method="torchsearch, coordinate descent",
        seed=seed,
        rmse=best["test"]["rmse"],
        mae=best["test"]["mae"],
        r2=best["test"]["r2"],
        parameters=best["parameters"],
        seconds=seconds,
        validation_rmse=best["validation"]["rmse"],
    )


def measure(quick: bool, seeds: list[int]) -> str:
    """The section's markdown: every search seed, their median, and the baselines."""
    budget = QUICK if quick else FULL
    data = DiabetesProvider(seed=0).load()
    baselines = linear_baselines(data)
    searches = []
    for seed in seeds:
        searches.append(search(seed, budget))
        print(f"regression seed {seed}: test rmse {searches[-1].rmse:.2f}", flush=True)
    median = Scores(
        method="torchsearch, median of the seeds",
        seed=None,
        rmse=statistics.median(s.rmse for s in searches),
        mae=statistics.median(s.mae for s in searches),
        r2=statistics.median(s.r2 for s in searches),
    )
    best_linear = min(b.rmse for b in baselines)
    lines = [
        f"{budget.n_trials} trials of {budget.trial_steps} steps per search (batch 32), "
        f"{len(data.train)} / {len(data.validation)} / {len(data.test)} patients; errors in "
        "the target's units (disease progression, 25-346; its training standard deviation is "
        f"{float(data.target_scaling.std):.1f}). Test figures of the model each method "
        "selected, measured once.",
        "",
        "| method | seed | test RMSE | test MAE | test R² | params | validation RMSE | seconds |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in [*baselines, *searches, median]:
        lines.append(
            f"| {row.method} | {'' if row.seed is None else row.seed} | {row.rmse:.2f} | "
            f"{row.mae:.2f} | {row.r2:.3f} | {_int(row.parameters)} | "
            f"{_number(row.validation_rmse)} | {_number(row.seconds, 0)} |"
        )
    verdict = "beats" if median.rmse < best_linear else "does not beat"
    below = sum(s.rmse < best_linear for s in searches)
    lines += [
        "",
        f"Median test RMSE of the search over the best linear baseline: "
        f"{median.rmse / best_linear:.3f} ({verdict} it; {below} of {len(searches)} seeds "
        f"below {best_linear:.2f}).",
    ]
    return "\n".join(lines)


def _int(value: int | None) -> str:
    return "" if value is None else f"{value:,}"


def _number(value: float | None, digits: int = 2) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def main(argv: list[str] | None = None) -> int:
    return section_main(argv, __doc__.splitlines()[0], SECTION, measure)


if __name__ == "__main__":
    sys.exit(main())
