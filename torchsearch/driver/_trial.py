"""One trial: the sampler's architecture, its hyperparameters, training, and the record.

Everything a later trial, another worker or the report needs goes to the storage: the
architecture, parent, kind, metrics, timings and the id of the checkpoint in the
artifact store (DESIGN.md, "The loop").
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path
from typing import Any

import optuna
import torch
from optuna.artifacts import FileSystemArtifactStore
from optuna.artifacts import upload_artifact

from torchsearch._errors import TorchSearchError
from torchsearch.blocks import get_registry
from torchsearch.driver._plan import RunPlan
from torchsearch.search import EXPONENTIAL_DECAY_TIMES
from torchsearch.search import decay_steps
from torchsearch.search import prepare_trial
from torchsearch.space import Architecture
from torchsearch.space import CandidateModel
from torchsearch.space import build_model
from torchsearch.train import Hyperparameters
from torchsearch.train import fit

__all__ = [
    "ATTR_CHECKPOINT",
    "ATTR_ERROR",
    "ATTR_PARAMETERS",
    "ATTR_REASON",
    "ATTR_TRAIN_SECONDS",
    "ATTR_VALIDATION",
    "TrialRunner",
    "load_checkpoint",
]

ATTR_PARAMETERS = "parameters"
ATTR_VALIDATION = "validation"
ATTR_TRAIN_SECONDS = "train_seconds"
ATTR_STEPS = "steps"
ATTR_CHECKPOINT = "checkpoint"
ATTR_ERROR = "error"
ATTR_REASON = "reason"


class TrialRunner:
    """The Optuna objective of a search: trains and records the trial's candidate.

    A candidate over ``space.max_parameters`` is not trained: the trial is pruned, with
    its parameter count and the reason recorded, and never becomes a parent (the
    searchers pick parents from completed trials only).
    """

    def __init__(self, plan: RunPlan, artifacts: FileSystemArtifactStore) -> None:
        self.plan = plan
        self.artifacts = artifacts
        self.registry = get_registry()

    def __call__(self, trial: optuna.Trial) -> float:
        plan = self.plan
        architecture = prepare_trial(trial, plan.hparam_space, self.registry).architecture
        # The initial weights depend on the run's seed and the trial alone, not on what
        # earlier trials left in torch's generator: a resumed study builds the same models.
        torch.manual_seed(trial_seed(plan.seed, trial.number))
        try:
            model = build_model(
                architecture, plan.data.input_spec, plan.data.num_classes, plan.problem
            )
        except TorchSearchError as exc:
            trial.set_user_attr(ATTR_ERROR, str(exc))
            raise
        trial.set_user_attr(ATTR_PARAMETERS, model.num_parameters)
        self._reject_if_too_big(trial, model.num_parameters)
        result = fit(
            model,
            plan.data.train,
            plan.data.validation,
            self._hyperparameters(architecture),
            plan.train,
            depth=len(architecture.blocks),
        )
        metrics = {k: float(v) for k, v in result.metrics.items()}
        trial.set_user_attr(ATTR_VALIDATION, {k: _json_number(v) for k, v in metrics.items()})
        trial.set_user_attr(ATTR_TRAIN_SECONDS, round(result.train_seconds, 4))
        trial.set_user_attr(ATTR_STEPS, result.steps)
        trial.set_user_attr(ATTR_CHECKPOINT, self._save(trial, model))
        value = metrics[plan.metric]
        if math.isnan(value):  # a diverged candidate is the worst, not a failed trial
            value = -math.inf if plan.direction == "maximize" else math.inf
        return value

    def _reject_if_too_big(self, trial: optuna.Trial, parameters: int) -> None:
        """Prunes ``trial`` untrained when its model exceeds ``space.max_parameters``."""
        cap = self.plan.max_parameters
        if cap is not None and parameters > cap:
            reason = f"rejected: {parameters:,} parameters > space.max_parameters {cap:,}"
            trial.set_user_attr(ATTR_REASON, reason)
            raise optuna.TrialPruned(reason)

    def _hyperparameters(self, architecture: Architecture) -> Hyperparameters:
        """The training hyperparameters; decay "times" become steps (§2 row 12)."""
        values: dict[str, Any] = dict(architecture.hparams)
        times = values.pop(EXPONENTIAL_DECAY_TIMES, None)
        if times is not None:
            values["exponential_decay_steps"] = decay_steps(self.total_steps, int(times))
        return Hyperparameters.from_mapping(values)

    @property
    def total_steps(self) -> int:
        """The training budget in (global) steps, as Model Search's ``train_steps``."""
        settings = self.plan.train
        if settings.max_steps is not None:
            return settings.max_steps
        per_epoch = math.ceil(len(self.plan.data.train) / settings.batch_size)
        return per_epoch * int(settings.max_epochs or 1)

    def _save(self, trial: optuna.Trial, model: CandidateModel) -> str:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"trial-{trial.number}.pt"
            torch.save(model.state_dict(), path)
            return upload_artifact(
                artifact_store=self.artifacts, file_path=str(path), study_or_trial=trial
            )


def trial_seed(seed: int, trial_number: int) -> int:
    """The seed of a trial's initial weights, distinct per trial and run seed."""
    return (seed * 1_000_003 + trial_number) % 2**63


def load_checkpoint(
    artifacts: FileSystemArtifactStore, artifact_id: str, model: torch.nn.Module
) -> torch.nn.Module:
    """Loads the state dict stored under ``artifact_id`` into ``model``."""
    with artifacts.open_reader(artifact_id) as reader:
        state: dict[str, Any] = torch.load(reader, map_location="cpu", weights_only=True)
    model.load_state_dict(state)
    return model


def _json_number(value: float) -> float | str:
    return value if math.isfinite(value) else str(value)
