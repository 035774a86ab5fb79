"""Choosing the best trial on validation, scoring it once on test, exporting it.

The test split is touched here only, for the chosen model (DESIGN.md, "Decisions
already taken"): no figure picks the best of many on test.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

import optuna
import torch
from optuna.artifacts import FileSystemArtifactStore
from optuna.trial import TrialState

from torchsearch.driver._plan import RunPlan
from torchsearch.driver._report import BestModel
from torchsearch.driver._report import LeaderboardRow
from torchsearch.driver._report import format_leaderboard
from torchsearch.driver._report import write_best
from torchsearch.driver._storage import artifact_folder
from torchsearch.driver._storage import redact
from torchsearch.driver._trial import ATTR_CHECKPOINT
from torchsearch.driver._trial import ATTR_PARAMETERS
from torchsearch.driver._trial import ATTR_VALIDATION
from torchsearch.driver._trial import load_checkpoint
from torchsearch.search import ARCHITECTURE_ATTR as ATTR_ARCHITECTURE
from torchsearch.space import Architecture
from torchsearch.space import CandidateModel
from torchsearch.space import build_model
from torchsearch.train import evaluate

__all__ = ["export_model", "leaderboard_rows", "report_best"]

_log = logging.getLogger("torchsearch")
LEADERBOARD_SIZE = 10


def report_best(
    study: optuna.Study, plan: RunPlan, artifacts: FileSystemArtifactStore, run_dir: Path
) -> BestModel | None:
    """Prints the leaderboard, scores the best trial on test and writes ``best.json``."""
    rows = leaderboard_rows(study, plan.direction)
    print(format_leaderboard(rows[:LEADERBOARD_SIZE], plan.metric, len(rows)))
    if not rows:
        return None
    trial = study.trials[rows[0].trial]
    architecture = Architecture.from_dict(trial.user_attrs[ATTR_ARCHITECTURE])
    model = build_model(architecture, plan.data.input_spec, plan.data.num_classes, plan.problem)
    load_checkpoint(artifacts, trial.user_attrs[ATTR_CHECKPOINT], model)
    test = evaluate(model, plan.data.test, plan.train.eval_batch_size)
    checkpoint = artifact_folder(plan.storage, run_dir) / trial.user_attrs[ATTR_CHECKPOINT]
    model_file = export_model(model, plan, run_dir / "best_model.pt2")
    best = BestModel(
        trial=trial.number,
        architecture=architecture.to_dict(),
        hyperparameters=dict(architecture.hparams),
        parameters=int(trial.user_attrs[ATTR_PARAMETERS]),
        validation=dict(trial.user_attrs[ATTR_VALIDATION]),
        test={k: float(v) for k, v in test.items()},
        checkpoint=str(checkpoint),
        model_file=str(model_file) if model_file else None,
        study=plan.storage.study,
        storage=redact(plan.storage.url or str(run_dir / "trials.db")),
        objective=f"{plan.direction} validation {plan.metric}",
    )
    path = write_best(best, run_dir / "best.json")
    print(
        f"Best: trial {best.trial}, {best.parameters:,} parameters, validation "
        f"{plan.metric} {rows[0].value:.4f}, test accuracy {best.test['accuracy']:.4f}. "
        f"Written to {path}"
    )
    return best


def leaderboard_rows(study: optuna.Study, direction: str) -> list[LeaderboardRow]:
    """Completed trials with an architecture, best first (ties: lower trial number)."""
    trials = [
        t
        for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        if ATTR_ARCHITECTURE in t.user_attrs and t.value is not None and not math.isnan(t.value)
    ]
    sign = -1.0 if direction == "maximize" else 1.0
    trials.sort(key=lambda t: (sign * float(t.value), t.number))  # type: ignore[arg-type]
    return [
        LeaderboardRow(
            rank=i + 1,
            trial=t.number,
            architecture=str(Architecture.from_dict(t.user_attrs[ATTR_ARCHITECTURE])),
            parameters=int(t.user_attrs.get(ATTR_PARAMETERS, 0)),
            value=float(t.value),  # type: ignore[arg-type]
        )
        for i, t in enumerate(trials)
    ]


def export_model(model: CandidateModel, plan: RunPlan, path: Path) -> Path | None:
    """Saves ``model`` with ``torch.export``, loadable without torchsearch.

    ``torch.export.load(path).module()(x)`` gives the logits; for sequences all steps
    are taken as valid. Returns ``None`` (and logs why) when the model cannot be exported;
    the checkpoint and the architecture in ``best.json`` still rebuild it.
    """
    model = model.eval()
    example = plan.data.test.x[:2].contiguous()
    batch = torch.export.Dim("batch", min=1)
    try:
        program = torch.export.export(model, (example,), dynamic_shapes=({0: batch},))
        torch.export.save(program, str(path))
    except Exception as exc:  # export support varies by layer; the checkpoint remains
        _log.warning("Could not export the best model with torch.export: %s", exc)
        return None
    return path
