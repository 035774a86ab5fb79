"""Overhead of ``torchsearch.train.fit`` over a hand-written PyTorch loop on tiny candidates.

A search trains many small candidates one after another, so whatever ``fit`` adds per step
or per call multiplies. This script trains the same architectures, from the same initial
weights, on the same synthetic data of digits' size (1078 train / 359 validation examples,
64 features, 10 classes) for exactly the same optimizer steps, on the same batches, with
the same optimizer: once with ``fit`` (its default lean loop), once with ``fit`` through a
Lightning ``Trainer`` (``loop="lightning"``, the DDP path), once with a Lightning
``Fabric`` loop written as a Fabric-based ``fit`` would be (a ``Fabric`` per call,
``fabric.setup(system, optimizer)``, the :class:`CandidateSystem`'s hooks called as the
lean loop calls them, ``fabric.backward``), and once with a plain loop. Three other
Fabric usages are timed alongside: one ``Fabric`` shared by every call (``fabric-once``);
the wrapped ``training_step`` and ``zero_grad`` looked up once per call instead of through
the wrappers' ``__getattr__`` at every step (``fabric-hoisted``); and ``fabric.setup``
followed by the lean loop over the unwrapped system and optimizer (``fabric-bare``, which
gives up what Fabric's wrappers do: precision plugins' backward and optimizer step, and,
under DDP, the forward through the DDP wrapper that gradient sync needs). It checks that
all end with the same weights as the plain loop, prints the median wall time of each and
the ratios, the fixed and per-step cost of a call, then a cProfile breakdown of where the
extra time goes, Fabric's by wrapper.

    python bench/overhead.py [--quick] [--threads N]

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

import lightning.pytorch as pl
import torch
from lightning.fabric import Fabric
from lightning.fabric.plugins.precision.precision import Precision
from lightning.fabric.wrappers import _FabricModule
from lightning.fabric.wrappers import _FabricOptimizer
from torch import nn
from torch.nn import functional as F
from torch.optim import Optimizer
from torch.optim.adam import adam as adam_update

import torchsearch
from torchsearch.train import Batches
from torchsearch.train import CandidateSystem
from torchsearch.train import Hyperparameters
from torchsearch.train import TrainSettings
from torchsearch.train import evaluate
from torchsearch.train import fit
from torchsearch.train._trainer import quiet_lightning

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


def make_fabric() -> Fabric:
    """A one-device CPU ``Fabric``, silent as ``fit``'s ``Trainer`` is."""
    with quiet_lightning():
        return Fabric(accelerator="cpu", devices=1, precision="32-true")


SHARED_FABRIC: Fabric | None = None  # fabric-once's, made on first use


def with_fabric(usage: str) -> Callable[[nn.Module, Split, Split, int, int], float]:
    """``fit``'s lean path with its loop written on Fabric.

    ``usage``: ``"per-fit"`` makes a ``Fabric`` per call, as a Fabric-based ``fit`` would;
    ``"once"`` shares one between calls; ``"hoisted"`` is ``"per-fit"`` with the wrapped
    system's ``training_step`` and the optimizer's ``zero_grad`` looked up once per call
    rather than through the wrappers' ``__getattr__`` at every step (under DDP the looked-up
    ``training_step`` is Fabric's redirection through the DDP forward, reusable);
    ``"bare"`` makes one per call but, after ``fabric.setup``, runs the lean loop on the
    unwrapped system and optimizer.
    """

    def run(model: nn.Module, train: Split, val: Split, steps: int, batch: int) -> float:
        global SHARED_FABRIC
        pl.seed_everything(0, workers=True, verbose=False)  # as fit does
        batches = Batches(train, batch, 0, device=torch.device("cpu"))
        system = CandidateSystem(model, HPARAMS)
        with quiet_lightning():
            if usage == "once":
                if SHARED_FABRIC is None:
                    SHARED_FABRIC = make_fabric()
                fabric = SHARED_FABRIC
            else:
                fabric = make_fabric()
            optimizer, scheduler = _unpack(system.configure_optimizers())
            extra = {} if scheduler is None else {"scheduler": scheduler}
            module, fabric_optimizer, *_ = fabric.setup(system, optimizer, **extra)
            if usage == "bare":
                fabric_loop(None, module.module, optimizer, scheduler, batches, steps)
            else:
                hoist = usage == "hoisted"
                fabric_loop(fabric, module, fabric_optimizer, scheduler, batches, steps, hoist)
        return evaluate(model, val)["loss"]

    return run


def fabric_loop(
    fabric: Fabric | None,
    system: CandidateSystem | _FabricModule,
    optimizer: Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None,
    batches: Batches,
    max_steps: int,
    hoist: bool = False,
    gradient_clip_val: float | None = HPARAMS.gradient_max_norm,
) -> int:
    """``run_lean``'s hooks in ``run_lean``'s order; ``fabric`` None: ``run_lean`` itself.

    ``hoist``: look ``training_step`` and ``zero_grad`` up once, not at every step.
    """
    steps = 0
    training_step = system.training_step
    zero_grad = getattr(optimizer, "optimizer", optimizer).zero_grad
    system.train()
    while steps < max_steps:
        system.on_train_epoch_start()
        for batch_idx, batch in enumerate(batches):
            if hoist:
                zero_grad(set_to_none=True)
                loss = training_step(batch, batch_idx)
            else:
                optimizer.zero_grad(set_to_none=True)
                loss = system.training_step(batch, batch_idx)
            if fabric is None:
                loss.backward()
                if gradient_clip_val is not None:
                    params = [p for group in optimizer.param_groups for p in group["params"]]
                    nn.utils.clip_grad_norm_(params, gradient_clip_val)
            else:
                fabric.backward(loss)
                if gradient_clip_val is not None:
                    fabric.clip_gradients(system, optimizer, max_norm=gradient_clip_val)
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            steps += 1
            if steps == max_steps:
                break
        system.on_train_epoch_end()
    return steps


def _unpack(configured: object) -> tuple[Optimizer, torch.optim.lr_scheduler.LRScheduler | None]:
    """The optimizer and scheduler of ``configure_optimizers``' two shapes (as _loop.py)."""
    if isinstance(configured, Optimizer):
        return configured, None
    assert isinstance(configured, dict)
    schedule = configured["lr_scheduler"]
    scheduler = schedule["scheduler"] if isinstance(schedule, dict) else schedule
    return configured["optimizer"], scheduler


RUNNERS = {
    "plain": plain_loop,
    "fit": with_fit("lean"),
    "lightning": with_fit("lightning"),
    "fabric": with_fabric("per-fit"),
    "fabric-once": with_fabric("once"),
    "fabric-hoisted": with_fabric("hoisted"),
    "fabric-bare": with_fabric("bare"),
}
MAIN = ("fit", "lightning", "fabric")  # the table's columns; the other usages get their own


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
    for key in RUNNERS:
        if key != "plain":
            agreement = _agreement(weights["plain"], weights[key], f"{key} on {'+'.join(names)}")
            AGREEMENT.setdefault(key, set()).add(agreement)
    return {k: statistics.median(v) for k, v in times.items()}


AGREEMENT: dict[str, set[str]] = {}  # how each runner's weights matched the plain loop's


def _agreement(plain: dict[str, torch.Tensor], other: dict[str, torch.Tensor], label: str) -> str:
    """Whether the weights are "identical" or "within 1e-6"; asserts one of them."""
    if all(torch.equal(plain[k], other[k]) for k in plain):
        return "identical"
    worst = max(float((plain[k].double() - other[k].double()).abs().max()) for k in plain)
    assert worst <= 1e-6, f"{label}: weights differ from the plain loop's by up to {worst:.2e}"
    return "within 1e-6"


def profile(
    runner: Callable[..., float],
    model: nn.Module,
    data: tuple[Split, Split],
    args: argparse.Namespace,
) -> tuple[dict[str, float], dict]:
    """Seconds per step in the model's forward, backward, Adam's update, and everything else.

    The three named parts never nest (Lightning runs forward and backward inside
    ``optimizer.step(closure)``, so the step as a whole would), and are the same work in
    every runner; "rest" is the loop around them. Also returns the raw ``pstats`` table.
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
    return {k: v / args.steps for k, v in parts.items()}, stats


def fabric_breakdown(stats: dict, steps: int) -> dict[str, float]:
    """Seconds per step that Fabric's wrappers add around the work they wrap.

    ``backward``: ``Fabric.backward`` less the ``Tensor.backward`` it calls; ``optimizer
    step``: ``_FabricOptimizer.step`` less the torch optimizer's ``step`` that the precision
    plugin calls; the ``__getattr__`` of each wrapper (attribute forwarding, e.g. the
    system's ``training_step`` and the optimizer's ``param_groups`` in ``zero_grad``);
    ``forward wrapper``: ``_FabricModule.forward`` (precision context, input/output
    conversion).
    """
    parts = {
        "backward": _cumulative(stats, Fabric.backward) - _callees(stats, Precision.backward),
        "optimizer step": _cumulative(stats, _FabricOptimizer.step)
        - _callees(stats, Precision.optimizer_step),
        "module __getattr__": _cumulative(stats, _FabricModule.__getattr__),
        "optimizer __getattr__": _cumulative(stats, _FabricOptimizer.__getattr__),
        "forward wrapper": _cumulative(stats, _FabricModule.forward),
    }
    return {k: v / steps for k, v in parts.items()}


def _keys(stats: dict, fn: Callable) -> list[tuple[str, int, str]]:
    """The ``pstats`` keys of ``fn`` (matched by file, first line and name)."""
    fn = inspect.unwrap(fn)
    filename, line = inspect.getsourcefile(fn) or "", inspect.getsourcelines(fn)[1]
    return [
        (file, lineno, func)
        for file, lineno, func in stats
        if file == filename and func == fn.__name__ and line <= lineno <= line + 3
    ]


def _cumulative(stats: dict, fn: Callable) -> float:
    """Cumulative seconds in ``fn``."""
    return sum(stats[key][3] for key in _keys(stats, fn))


def _calls(stats: dict, fn: Callable) -> int:
    return sum(stats[key][1] for key in _keys(stats, fn))


def _callees(stats: dict, fn: Callable) -> float:
    """Cumulative seconds in what ``fn`` calls directly."""
    keys = _keys(stats, fn)
    return sum(callers[key][3] for *_, callers in stats.values() for key in keys if key in callers)


def evaluate_versus_validate(model: nn.Module, val: Split) -> tuple[float, float]:
    """Median ms of ``evaluate`` and of a silent ``Trainer.validate`` on the validation split."""
    from torchsearch.train import Batch

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


def fixed_and_per_step(
    calls: dict[str, Callable[[int], object]], steps: int, repeats: int = 15
) -> dict[str, tuple[float, float]]:
    """Per runner ``call(steps)``: median ms of a 1-step call, and ms per further step.

    The calls of all runners are interleaved, so that other work on the machine slows
    them alike.
    """
    times: dict[tuple[str, int], list[float]] = {(k, n): [] for k in calls for n in (1, steps)}
    for repeat in range(repeats + 1):  # the first round warms up and is not counted
        for (key, n), spent in times.items():
            start = time.perf_counter()
            calls[key](n)
            if repeat:
                spent.append(time.perf_counter() - start)
    median = {k: statistics.median(v) * 1e3 for k, v in times.items()}
    return {
        key: (median[key, 1], (median[key, steps] - median[key, 1]) / (steps - 1)) for key in calls
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 architectures, 200 steps, 5 runs")
    parser.add_argument("--batch-size", type=int, default=TrainSettings().batch_size)
    parser.add_argument(
        "--threads", type=int, help="torch's intra-op threads (default: torch's choice)"
    )
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    architectures = ARCHITECTURES[:3] if args.quick else ARCHITECTURES
    args.steps, args.repeats = (200, 5) if args.quick else (1000, 5)
    train, val = synthetic_digits()
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads; {args.steps} steps of "
        f"batch {args.batch_size}, median of {args.repeats} runs each; * = stand-in modules "
        "(that part of Model Search's catalogue is not installed)"
    )
    print(
        f"{'architecture':<72} {'plain':>8} {'fit':>8} {'ratio':>6} {'lightning':>10} ratio"
        f" {'fabric':>8} ratio"
    )
    totals = dict.fromkeys(RUNNERS, 0.0)
    rows: list[tuple[str, dict[str, float]]] = []
    for problem, names in architectures:
        data = (_as_images(train), _as_images(val)) if problem == "cnn" else (train, val)
        use_catalogue = catalogue_installed(names)
        if not use_catalogue and problem != "dnn":  # stand-ins exist for dense blocks only
            print(f"{problem} {'+'.join(names)}: skipped, its blocks are not installed")
            continue
        medians = time_runs(problem, names, data, args, use_catalogue)
        for key in totals:
            totals[key] += medians[key]
        rows.append((f"{problem} {'+'.join(names)}{'' if use_catalogue else ' *'}", medians))
        print(_row(*rows[-1]))
    rows.append(("all architectures", totals))
    print(_row(*rows[-1]))
    print(
        "Weights against the plain loop's: "
        + ", ".join(f"{key} {' / '.join(sorted(how))}" for key, how in AGREEMENT.items())
    )

    problem, names = architectures[0]
    use_catalogue = catalogue_installed(names)
    print(
        "\nOther Fabric usages: ratio to plain (fabric-once's Fabric gains a callback per call,"
        " see below)"
    )
    fabrics = [key for key in RUNNERS if key.startswith("fabric")]
    print(f"{'architecture':<72} " + " ".join(f"{key:>14}" for key in fabrics))
    for label, medians in rows:
        ratios = [medians[key] / medians["plain"] for key in fabrics]
        print(f"{label:<72} " + " ".join(f"{ratio:14.2f}" for ratio in ratios))

    short = max(args.steps // 5, 2)
    costs = fixed_and_per_step(
        {
            key: lambda n, r=runner: r(
                make_model(problem, names, use_catalogue), train, val, n, args.batch_size
            )
            for key, runner in RUNNERS.items()
        },
        short,
    )
    print(
        f"\nCost of a call (first architecture; medians of 15 interleaved calls of 1 and of "
        f"{short} steps): fixed (1 step, validation included), then per further step"
    )
    for key, (fixed, per_step) in costs.items():
        over = per_step - costs["plain"][1], per_step - costs["fit"][1]
        print(
            f"  {key:<14} {fixed:6.2f} ms + {per_step * 1e3:6.1f} us/step "
            f"({over[0] * 1e3:+6.1f} us/step over plain, {over[1] * 1e3:+6.1f} over fit)"
        )

    print("\nWhere the time goes (cProfile of the first architecture, us per step):")
    profiles = {}
    for key in RUNNERS:
        model = make_model(problem, names, use_catalogue)
        parts, profiles[key] = profile(RUNNERS[key], model, (train, val), args)
        print(f"  {key:<15}" + "  ".join(f"{k} {v * 1e6:6.1f}" for k, v in parts.items()))
    print("Fabric's wrappers, us per step (cProfile, same run):")
    for key in fabrics:
        parts = fabric_breakdown(profiles[key], args.steps)
        stats = profiles[key]
        setup = _cumulative(stats, Fabric.__init__) + _cumulative(stats, Fabric.setup)
        print(
            f"  {key:<15}"
            + "  ".join(f"{k} {v * 1e6:5.1f}" for k, v in parts.items())
            + f"; {_calls(stats, _FabricModule.forward)} calls of _FabricModule.forward;"
            f" Fabric() + setup {setup * 1e3:.2f} ms per call"
        )
    created = _median_ms(make_fabric)
    print(
        f"Fabric(accelerator='cpu', devices=1) takes {created:.2f} ms (median); "
        f"fabric-once's Fabric has {len(SHARED_FABRIC._callbacks) if SHARED_FABRIC else 0} "
        "callbacks after this script's calls (each setup of a LightningModule adds it)"
    )

    ours, lightning = evaluate_versus_validate(make_model(problem, names, use_catalogue), val)
    print(f"\nValidating 359 examples: evaluate() {ours:.2f} ms, ", end="")
    print(f"Trainer.validate {lightning:.1f} ms (medians)")


def _as_images(split: Split) -> Split:
    return Split(split.x.reshape(-1, 1, 8, 8), split.y)


def _row(label: str, medians: dict[str, float]) -> str:
    plain = medians["plain"]
    cells = [f"{medians[key] * 1e3:{8 if key == 'lightning' else 6}.1f}ms" for key in MAIN]
    ratios = [f"{medians[key] / plain:6.2f}" for key in MAIN]
    return f"{label:<72} {plain * 1e3:7.1f}ms " + " ".join(
        f"{cell} {ratio}" for cell, ratio in zip(cells, ratios, strict=True)
    )


if __name__ == "__main__":
    main()
