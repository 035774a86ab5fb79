"""The benchmark's methods, each ``(task, budget, seed) -> MethodResult``.

- ``torchsearch-cd``, ``random``, ``evolution``: ``torchsearch.driver.run_search`` with
  ``search=<name>`` in a temporary run folder, under ``search.n_trials`` and
  ``search.timeout_s``; curves from the study's trials (each trial's checkpoint is scored
  on test for the curves and the front only), the selected model's test accuracy from
  ``best.json``. ``torchsearch-cd-small`` adds ``space.max_parameters``.
- ``tpe-fixed-slots``: Optuna TPE over ``block_0 .. block_{K-1}`` categorical slots (the
  space's blocks, plus ``"none"`` after the first) and the space's learning-rate range
  and optimizers, trained with ``torchsearch.train.fit`` on the same splits and budget.
- ``anchor:<model>/paper`` and ``anchor:<model>/fit``: the hand-designed models of
  ``bench/anchors.py``, trained with the published recipe and with ``fit``.
"""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import anchors
import optuna
import torch
from hydra import compose
from hydra import initialize_config_module
from omegaconf import DictConfig
from omegaconf import OmegaConf
from records import Budget
from records import MethodResult
from records import Task
from records import TrialRecord

from torchsearch import Architecture
from torchsearch import build_model
from torchsearch import fix_architecture_order
from torchsearch.data import DataSplits
from torchsearch.data import provider_from_config
from torchsearch.driver import run_search
from torchsearch.exploit import TrialModels
from torchsearch.report import describe
from torchsearch.train import Hyperparameters
from torchsearch.train import TrainSettings
from torchsearch.train import evaluate
from torchsearch.train import fit
from torchsearch.trials import CompletedTrial
from torchsearch.trials import load_state
from torchsearch.trials import read_completed

Method = Callable[[Task, Budget, int], MethodResult]
KIND_OF_PROBLEM = {"dnn": "flat", "cnn": "image", "rnn_all": "sequence", "rnn_last": "sequence"}


def compose_config(
    task: Task,
    budget: Budget,
    seed: int,
    search: str,
    capped: bool = False,
    extra: tuple[str, ...] = (),
) -> DictConfig:
    """The Hydra config of a torchsearch search of ``task`` under ``budget``; ``capped``
    adds the budget's parameter cap, ``extra`` more overrides."""
    overrides = [
        f"data={task.data}",
        f"data.seed={task.data_seed}",
        f"space={task.space}",
        f"search={search}",
        f"search.n_trials={budget.n_trials}",
        "trainer.max_epochs=null",
        f"trainer.max_steps={budget.trial_steps}",
        f"trainer.batch_size={budget.batch_size}",
        "trainer.accelerator=cpu",
        f"seed={seed}",
        *task.overrides,
    ]
    if budget.seconds is not None:
        overrides.append(f"search.timeout_s={budget.seconds}")
    if capped:
        overrides.append(f"space.max_parameters={budget.max_parameters}")
    if search == "evolution":
        # A third of the trials at most, so that most of a short run is mutations.
        population = min(budget.population_size, max(2, budget.n_trials // 3))
        overrides += [
            f"search.options.population_size={population}",
            f"search.options.tournament_size={min(5, population)}",
        ]
    with initialize_config_module("torchsearch.conf", version_base="1.3"):
        return compose("config", overrides=[*overrides, *extra])


def load_task_data(task: Task) -> tuple[DataSplits, DictConfig]:
    """The splits a search of ``task`` sees (same seed, same layout), and the space."""
    cfg = compose_config(task, Budget(n_trials=1, trial_steps=1), seed=0, search="random")
    data_cfg = OmegaConf.to_container(cfg.data, resolve=True)
    assert isinstance(data_cfg, dict)
    splits = provider_from_config(data_cfg).load()
    return splits.to_kind(KIND_OF_PROBLEM[cfg.space.problem]), cfg.space


def torchsearch_method(
    search: str, capped: bool = False, extra: tuple[str, ...] = (), name: str | None = None
) -> Method:
    """A method running ``torchsearch`` with ``search=<search>`` (and the parameter cap,
    and ``extra`` overrides), named ``name`` in the tables."""

    def run(task: Task, budget: Budget, seed: int) -> MethodResult:
        cfg = compose_config(task, budget, seed, search, capped, extra)
        data, space = load_task_data(task)
        with tempfile.TemporaryDirectory(prefix=f"bench-{search}-") as folder:
            run_dir = Path(folder)
            start = time.perf_counter()
            # The run's progress bar and leaderboard would interleave with the bench's lines.
            with (
                contextlib.redirect_stdout(io.StringIO()),
                contextlib.redirect_stderr(io.StringIO()),
            ):
                run_search(cfg, run_dir)
            seconds = time.perf_counter() - start
            best = json.loads((run_dir / "best.json").read_text())
            trials = _study_trials(run_dir, best["study"], data, space)
        return MethodResult(
            method=name or METHOD_NAMES.get(search, search) + ("-small" if capped else ""),
            task=task.name,
            seed=seed,
            test_accuracy=float(best["test"]["accuracy"]),
            validation_accuracy=float(best["validation"]["accuracy"]),
            parameters=int(best["parameters"]),
            seconds=seconds,
            trials=trials,
        )

    return run


def _study_trials(
    run_dir: Path, study_name: str, data: DataSplits, space: DictConfig
) -> list[TrialRecord]:
    """The completed trials in finishing order, each checkpoint scored on test."""
    study = optuna.load_study(study_name=study_name, storage=f"sqlite:///{run_dir}/trials.db")
    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    done.sort(key=lambda t: t.datetime_complete)
    if not done:
        return []
    origin = min(t.datetime_start for t in study.trials if t.datetime_start is not None)
    store = optuna.artifacts.FileSystemArtifactStore(str(run_dir / "artifacts"))
    completed = [r for r in (read_completed(t) for t in done) if r is not None]
    models = TrialModels(
        completed,
        lambda architecture: build_model(
            architecture, data.input_spec, data.num_classes, space.problem
        ),
        lambda artifact_id: load_state(store, artifact_id),
        data.num_classes,
    )
    records = []
    for record in completed:
        trial = study.trials[record.number]
        records.append(
            TrialRecord(
                number=trial.number,
                seconds=(trial.datetime_complete - origin).total_seconds(),
                validation_accuracy=float(trial.value),
                test_accuracy=_checkpoint_test(models, record, data),
                parameters=record.parameters or 0,
                architecture=describe(record),
            )
        )
    return records


def _checkpoint_test(
    models: TrialModels, record: CompletedTrial, data: DataSplits
) -> float | None:
    """Test accuracy of a trial's model (an ensemble's too), or None when it cannot be
    rebuilt."""
    try:
        return evaluate(models.model(record.number), data.test)["accuracy"]
    except Exception:  # a curve point, never the result: leave it out
        return None


def tpe_fixed_slots(task: Task, budget: Budget, seed: int) -> MethodResult:
    """Optuna TPE over fixed block slots and the learning rate; selects by validation.

    Same trial and wall-clock budget as the searches: stops after ``budget.n_trials``
    trained candidates or when ``budget.seconds`` have passed.
    """
    data, space = load_task_data(task)
    blocks = list(space.blocks)
    slots = int(space.maximum_depth)
    low, high = (float(v) for v in space.learning.learning_rate)
    optimizers = list(space.learning.optimizers)
    settings = TrainSettings(
        max_steps=budget.trial_steps,
        batch_size=budget.batch_size,
        seed=seed,
        accelerator="cpu",
        deterministic=True,
    )
    records: list[TrialRecord] = []
    errors: list[str] = []
    models: dict[int, tuple[torch.nn.Module, int]] = {}
    start = time.perf_counter()

    def objective(trial: optuna.Trial) -> float:
        tower = [trial.suggest_categorical("block_0", blocks)]
        for slot in range(1, slots):
            name = trial.suggest_categorical(f"block_{slot}", ["none", *blocks])
            if name != "none":
                tower.append(name)
        hparams = Hyperparameters(
            learning_rate=trial.suggest_float("learning_rate", low, high, log=True),
            optimizer=trial.suggest_categorical("optimizer", optimizers),
        )
        try:
            ordered = fix_architecture_order(tower, space.problem)
            architecture = Architecture.single(
                ordered, learning_rate=hparams.learning_rate, optimizer=hparams.optimizer
            )
            torch.manual_seed(seed * 100_003 + trial.number)
            model = build_model(architecture, data.input_spec, data.num_classes, space.problem)
            result = fit(model, data.train, data.validation, hparams, settings)
        except Exception as exc:  # an architecture that does not fit the data scores 0
            errors.append(str(exc))
            return 0.0
        accuracy = float(result.metrics["accuracy"])
        count = sum(p.numel() for p in model.parameters() if p.requires_grad)
        models[trial.number] = (model, count)
        records.append(
            TrialRecord(
                number=trial.number,
                seconds=time.perf_counter() - start,
                validation_accuracy=accuracy,
                test_accuracy=evaluate(model, data.test)["accuracy"],
                parameters=count,
                architecture=" > ".join(ordered),
            )
        )
        return accuracy

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = optuna.create_study(
        direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed)
    )
    study.optimize(objective, n_trials=budget.n_trials, timeout=budget.seconds)
    seconds = time.perf_counter() - start
    if not records:
        failed = f"FAILED: every trial failed, e.g. {errors[0] if errors else '?'}"
        return MethodResult("tpe-fixed-slots", task.name, seed, 0.0, 0.0, 0, seconds, note=failed)
    chosen = max(records, key=lambda r: r.validation_accuracy)
    model, count = models[chosen.number]
    return MethodResult(
        method="tpe-fixed-slots",
        task=task.name,
        seed=seed,
        test_accuracy=evaluate(model, data.test)["accuracy"],
        validation_accuracy=chosen.validation_accuracy,
        parameters=count,
        seconds=seconds,
        trials=records,
    )


def anchor_method(name: str, recipe: str) -> Method:
    """The anchor ``name`` trained with ``recipe``: ``"paper"`` or ``"fit"``."""
    train = anchors.train_published if recipe == "paper" else anchors.train_torchsearch

    def run(task: Task, budget: Budget, seed: int) -> MethodResult:
        data, _ = load_task_data(task)
        data = data.to_kind("flat")
        model = anchors.make(name, data, seed)
        seconds = train(model, data, budget.anchor_steps, seed)
        validation, test = anchors.scores(model, data)
        count = anchors.parameters(model)
        return MethodResult(
            method=f"anchor:{name}/{recipe}",
            task=task.name,
            seed=seed,
            test_accuracy=test,
            validation_accuracy=validation,
            parameters=count,
            seconds=seconds,
            trials=[TrialRecord(0, seconds, validation, test, count, f"{name} (hand-designed)")],
        )

    return run


METHOD_NAMES = {"coordinate_descent": "torchsearch-cd"}
SEARCH_METHODS: dict[str, Method] = {
    "torchsearch-cd": torchsearch_method("coordinate_descent"),
    "random": torchsearch_method("random"),
    "evolution": torchsearch_method("evolution"),
    "tpe-fixed-slots": tpe_fixed_slots,
}


PLANNED: dict[str, tuple[str, str]] = {
    "scale-out (workers, storage ms per trial)": (
        "trainer.parallel",
        "measured by bench/parallel.py (its own section) and bench/storage.py",
    ),
}
"""The hooks for figures still to come: a row's config key, and why it is not measured.

When a key exists in torchsearch's composed config (its feature has landed), the row is
no longer reported as pending and its method belongs in ``methods_for``."""


def attempt(method: Method, task: Task, budget: Budget, seed: int, name: str) -> MethodResult:
    """``method``'s result named ``name``; a failure is a row with its error rather than
    an exception, so one method's failure does not lose the whole table."""
    start = time.perf_counter()
    try:
        result = method(task, budget, seed)
    except Exception as exc:  # reported in the row, and the run's exit status
        return MethodResult(
            name,
            task.name,
            seed,
            float("nan"),
            float("nan"),
            0,
            time.perf_counter() - start,
            note=f"FAILED: {type(exc).__name__}: {exc}",
        )
    result.method = name
    return result


def pending_methods(task: Task, budget: Budget) -> dict[str, str]:
    """The planned rows whose config key does not exist yet, with the reason."""
    cfg = compose_config(task, budget, seed=0, search="coordinate_descent")
    return {
        name: why
        for name, (key, why) in PLANNED.items()
        if OmegaConf.select(cfg, key, default=None) is None
    }


def methods_for(task: Task, budget: Budget) -> dict[str, Method]:
    """Every method run on ``task``: the searches (with the parameter-capped search where
    the budget has a cap), then each anchor under both recipes."""
    table: dict[str, Method] = {}
    for name, method in SEARCH_METHODS.items():
        table[name] = method
        if name == "torchsearch-cd" and budget.max_parameters is not None:
            table["torchsearch-cd-small"] = torchsearch_method("coordinate_descent", capped=True)
    for name in task.anchors:
        for recipe in ("paper", "fit"):
            table[f"anchor:{name}/{recipe}"] = anchor_method(name, recipe)
    return table
