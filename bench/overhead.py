"""Overhead of ``torchsearch.train.fit`` over a hand-written PyTorch loop on tiny candidates.

A search trains many small candidates one after another, so whatever ``fit`` adds per step
or per call multiplies. This script trains the same architectures, from the same initial
weights, on the same synthetic data of digits' size (1078 train / 359 validation examples,
64 features, 10 classes) for exactly the same optimizer steps, on the same batches, with
the same optimizer: once with ``fit`` (its default lean loop), once with ``fit`` through a
Lightning ``Trainer`` (``loop="lightning"``, the DDP path), and once with a plain loop.
It checks that the three end with identical weights, prints the median wall time of each
and the ratios, then a cProfile breakdown of where the extra time goes.

    python bench/overhead.py [--quick]

Models come from ``torchsearch.build_model``; an architecture whose blocks are not installed
(yet) is trained as stand-in modules of the same shapes (docs/model_search.md,
"Blocks"), marked ``*``.
"""

from __future__ import annotations

import argparse
import cProfile
import inspect
import logging
import pstats
import statistics
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F
from torch.optim.adam import adam as adam_update

import torchsearch
from torchsearch.train import Hyperparameters
from torchsearch.train import TrainSettings
from torchsearch.train import evaluate
from torchsearch.train import fit

ARCHITECTURES: list[tuple[str, list[str]]] = [
    ("dnn", ["FIXED_OUTPUT_FULLY_CONNECTED_128"]),
    ("dnn", ["FULLY_CONNECTED", "FULLY_CONNECTED_PYRAMID"]),
    ("dnn", ["FIXED_OUTPUT_FULLY_CONNECTED_256", "FIXED_OUTPUT_FULLY_CONNECTED_128"]),
    ("dnn", ["FULLY_CONNECTED_RESIDUAL_PROJECT_BATCHNORM", "FULLY_CONNECTED"]),
    ("cnn", ["FIXED_CHANNEL_CONVOLUTION_16", "PLATE_REDUCTION_FLATTEN"]),
]
HPARAMS = Hyperparameters(learning_rate=1e-3, optimizer="adam")


@dataclass
class Split:
    x: torch.Tensor
    y: torch.Tensor
    lengths: torch.Tensor | None = None


def synthetic_digits(seed: int = 0) -> tuple[Split, Split]:
    """Ten noisy class prototypes of 64 features: 1078 training and 359 validation examples."""
    g = torch.Generator().manual_seed(seed)
    prototypes = torch.randn(10, 64, generator=g)
    y = torch.randint(0, 10, (1437,), generator=g)
    x = prototypes[y] + 1.5 * torch.randn(1437, 64, generator=g)
    return Split(x[:1078], y[:1078]), Split(x[1078:], y[1078:])


class StandIn(nn.Module):
    """A catalogue-shaped model, ``forward(x, lengths=None)``, for when blocks are missing."""

    def __init__(self, layers: list[nn.Module]) -> None:
        super().__init__()
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(x)


class ProjectResidual(nn.Module):
    """FULLY_CONNECTED_RESIDUAL_PROJECT_BATCHNORM: Dense, ReLU, BN, plus a projected input."""

    def __init__(self, features: int) -> None:
        super().__init__()
        width = max(min(100, features), 2)
        self.dense, self.norm = nn.Linear(features, width), nn.BatchNorm1d(width)
        self.project = nn.Linear(features, width) if width != features else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(F.relu(self.dense(x))) + self.project(x)


def stand_in_block(name: str, features: int) -> tuple[nn.Module, int]:
    """A stand-in for catalogue block ``name`` and its output width."""
    if name.startswith("FIXED_OUTPUT_FULLY_CONNECTED_"):
        width = int(name.rsplit("_", 1)[1])
    elif name == "FULLY_CONNECTED":
        width = max(min(100, features), 2)
    elif name == "FULLY_CONNECTED_PYRAMID":
        width = min(100, max(features // 2, 2))
    elif name == "FULLY_CONNECTED_RESIDUAL_PROJECT_BATCHNORM":
        return ProjectResidual(features), max(min(100, features), 2)
    else:
        raise KeyError(f"no stand-in for {name}: install Model Search's catalogue")
    return nn.Sequential(nn.Linear(features, width), nn.ReLU()), width


def stand_in(names: list[str]) -> nn.Module:
    """A DNN of stand-in blocks and a logits layer, shaped as ``build_model`` would."""
    features, layers = 64, []
    for name in names:
        layer, features = stand_in_block(name, features)
        layers.append(layer)
    return StandIn([*layers, nn.Linear(features, 10)])


def catalogue_installed(names: list[str]) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PluginLoadWarning while the catalogue is missing
        return set(names) <= set(torchsearch.list_blocks())


def make_model(problem: str, names: list[str], use_catalogue: bool) -> nn.Module:
    torch.manual_seed(0)
    if not use_catalogue:
        return stand_in(names)
    spec = torchsearch.TensorSpec.flat(64)
    if problem == "cnn":
        spec = torchsearch.TensorSpec.image(1, 8, 8)
    return torchsearch.build_model(torchsearch.Architecture.single(names), spec, 10, problem)


def plain_loop(
    model: nn.Module,
    train: Split,
    val: Split,
    steps: int,
    batch: int,
    learning_rate: float = HPARAMS.learning_rate,
    seed: int = 0,
) -> float:
    """What a PyTorch user writes: Adam, shuffled slices, validation once at the end."""
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    model.train()
    done = 0
    while done < steps:
        order = torch.randperm(len(train.x), generator=generator)
        for start in range(0, len(order), batch):
            index = order[start : start + batch]
            loss = F.cross_entropy(model(train.x[index]), train.y[index])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            done += 1
            if done == steps:
                break
    model.eval()
    with torch.no_grad():
        return float(F.cross_entropy(model(val.x), val.y))


def with_fit(loop: str) -> Callable[[nn.Module, Split, Split, int, int], float]:
    def run(model: nn.Module, train: Split, val: Split, steps: int, batch: int) -> float:
        settings = TrainSettings(
            max_steps=steps, batch_size=batch, seed=0, loop=loop, accelerator="cpu"
        )
        return fit(model, train, val, HPARAMS, settings).metrics["loss"]

    return run


RUNNERS = {"plain": plain_loop, "fit": with_fit("lean"), "lightning": with_fit("lightning")}


def time_runs(
    problem: str,
    names: list[str],
    data: tuple[Split, Split],
    args: argparse.Namespace,
    use_catalogue: bool,
) -> dict[str, float]:
    """Median seconds per runner, runs interleaved; checks that the weights agree."""
    train, val = data
    times: dict[str, list[float]] = {k: [] for k in RUNNERS}
    weights = {}
    for repeat in range(args.repeats + 1):  # the first round warms up and is not counted
        for key, runner in RUNNERS.items():
            model = make_model(problem, names, use_catalogue)
            start = time.perf_counter()
            runner(model, train, val, args.steps, args.batch_size)
            if repeat:
                times[key].append(time.perf_counter() - start)
            weights[key] = model.state_dict()
    for key in ("fit", "lightning"):
        same = all(torch.equal(weights["plain"][k], weights[key][k]) for k in weights["plain"])
        assert same, f"{key} and the plain loop ended with different weights for {names}"
    return {k: statistics.median(v) for k, v in times.items()}


def profile(
    runner: Callable[..., float],
    model: nn.Module,
    data: tuple[Split, Split],
    args: argparse.Namespace,
) -> dict[str, float]:
    """Seconds per step in the model's forward, backward, Adam's update, and everything else.

    The three named parts never nest (Lightning runs forward and backward inside
    ``optimizer.step(closure)``, so the step as a whole would), and are the same work in
    every runner; "rest" is the loop around them.
    """
    profiler = cProfile.Profile()
    profiler.runcall(runner, model, *data, args.steps, args.batch_size)
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    code = {
        "forward": type(model).forward,
        "backward": torch.Tensor.backward,
        "adam": adam_update,
    }
    parts = {key: _cumulative(stats, fn) for key, fn in code.items()}
    total = max(ct for _, _, _, ct, _ in stats.values())
    parts["rest"] = total - sum(parts.values())
    return {k: v / args.steps for k, v in parts.items()}


def _cumulative(stats: dict, fn: Callable) -> float:
    """Cumulative seconds in ``fn`` (matched by file, first line and name)."""
    fn = inspect.unwrap(fn)
    filename, line = inspect.getsourcefile(fn) or "", inspect.getsourcelines(fn)[1]
    return sum(
        ct
        for (file, lineno, func), (_, _, _, ct, _) in stats.items()
        if file == filename and func == fn.__name__ and line <= lineno <= line + 3
    )


def evaluate_versus_validate(model: nn.Module, val: Split) -> tuple[float, float]:
    """Median ms of ``evaluate`` and of a silent ``Trainer.validate`` on the validation split."""
    import lightning.pytorch as pl

    from torchsearch.train import Batch
    from torchsearch.train import Batches
    from torchsearch.train import CandidateSystem

    class Validated(CandidateSystem):
        def validation_step(self, batch: Batch, batch_idx: int) -> None:
            self.log("val_loss", F.cross_entropy(self(batch.x), batch.y))

    def validate() -> None:
        trainer = pl.Trainer(
            accelerator="cpu",  # as every runner here
            devices=1,
            logger=False,
            enable_checkpointing=False,
            enable_progress_bar=False,
            enable_model_summary=False,
        )
        trainer.validate(Validated(model), Batches(val, 1024, seed=0), verbose=False)

    def ours() -> None:
        evaluate(model, val)

    # Quiet, as docs/library_notes.md ("Lightning") explains.
    for name in ("lightning.pytorch", "lightning.fabric"):
        logging.getLogger(name).setLevel(logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _median_ms(ours), _median_ms(validate)


def _median_ms(fn: Callable[[], None], repeats: int = 15) -> float:
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 architectures, 200 steps, 5 runs")
    parser.add_argument("--batch-size", type=int, default=TrainSettings().batch_size)
    args = parser.parse_args()
    architectures = ARCHITECTURES[:3] if args.quick else ARCHITECTURES
    args.steps, args.repeats = (200, 5) if args.quick else (1000, 5)
    train, val = synthetic_digits()
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads; {args.steps} steps of "
        f"batch {args.batch_size}, median of {args.repeats} runs each; * = stand-in modules "
        "(that part of Model Search's catalogue is not installed)"
    )
    print(f"{'architecture':<72} {'plain':>8} {'fit':>8} {'ratio':>6} {'lightning':>10} ratio")
    totals = dict.fromkeys(RUNNERS, 0.0)
    for problem, names in architectures:
        data = (_as_images(train), _as_images(val)) if problem == "cnn" else (train, val)
        use_catalogue = catalogue_installed(names)
        if not use_catalogue and problem != "dnn":  # stand-ins exist for dense blocks only
            print(f"{problem} {'+'.join(names)}: skipped, its blocks are not installed")
            continue
        medians = time_runs(problem, names, data, args, use_catalogue)
        for key in totals:
            totals[key] += medians[key]
        print(_row(f"{problem} {'+'.join(names)}{'' if use_catalogue else ' *'}", medians))
    print(_row("all architectures", totals))
    print("\nWhere the time goes (cProfile of the first architecture, us per step):")
    problem, names = architectures[0]
    use_catalogue = catalogue_installed(names)
    for key in RUNNERS:
        model = make_model(problem, names, use_catalogue)
        parts = profile(RUNNERS[key], model, (train, val), args)
        print(f"  {key:<10}" + "  ".join(f"{k} {v * 1e6:6.1f}" for k, v in parts.items()))
    fixed = {
        key: _median_ms(
            lambda r=runner: r(
                make_model(problem, names, use_catalogue), train, val, 1, args.batch_size
            )
        )
        for key, runner in RUNNERS.items()
    }
    print(
        "Fixed cost of a call (1 step, validation included): "
        + ", ".join(f"{key} {ms:.2f} ms" for key, ms in fixed.items())
    )
    ours, lightning = evaluate_versus_validate(make_model(problem, names, use_catalogue), val)
    print(f"\nValidating 359 examples: evaluate() {ours:.2f} ms, ", end="")
    print(f"Trainer.validate {lightning:.1f} ms (medians)")


def _as_images(split: Split) -> Split:
    return Split(split.x.reshape(-1, 1, 8, 8), split.y)


def _row(label: str, medians: dict[str, float]) -> str:
    plain = medians["plain"]
    return (
        f"{label:<72} {plain * 1e3:7.1f}ms {medians['fit'] * 1e3:6.1f}ms "
        f"{medians['fit'] / plain:6.2f} {medians['lightning'] * 1e3:8.1f}ms "
        f"{medians['lightning'] / plain:6.2f}"
    )


if __name__ == "__main__":
    main()
