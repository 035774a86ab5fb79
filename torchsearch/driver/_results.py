"""Choosing the best trial on validation, scoring it once on test, exporting it.

The test split is touched here only, for the chosen model: no figure picks the best of
many on test. A rerun whose best trial is the one ``best.json`` already holds shows that
record and scores nothing (README, "Seeing what the search found").
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
from pathlib import Path

import optuna
from optuna.artifacts import FileSystemArtifactStore
from torch import nn

from torchsearch._secrets import redact
from torchsearch.driver._plan import RunPlan
from torchsearch.driver._storage import artifact_folder
from torchsearch.exploit import TrialModels
from torchsearch.predict import MODEL_FILE
from torchsearch.predict import export_model
from torchsearch.report import BEST_FILE
from torchsearch.report import BestModel
from torchsearch.report import ReportSettings
from torchsearch.report import best_line
from torchsearch.report import leaderboard_rows
from torchsearch.report import print_leaderboard
from torchsearch.report import read_best
from torchsearch.report import write_best
from torchsearch.train import evaluate
from torchsearch.trials import CheckpointError
from torchsearch.trials import CompletedTrial
from torchsearch.trials import completed_trials
from torchsearch.trials import rank

__all__ = ["report_best"]


def report_best(
    study: optuna.Study, plan: RunPlan, artifacts: FileSystemArtifactStore, run_dir: Path
) -> BestModel | None:
    """Prints the leaderboard; scores the best trial on test, exports it and writes
    ``best.json``, unless ``best.json`` already holds that trial (and its model file is
    there): then it prints that record and leaves both files as they are."""
    trials = completed_trials(study, kinds=None)
    ranked = rank(trials, plan.direction)
    top = ReportSettings.from_config(plan.config.get("report")).top
    print_leaderboard(leaderboard_rows(trials, ranked), plan.metric, total=len(trials), top=top)
    recorded = _recorded(run_dir / BEST_FILE, plan, ranked)
    if recorded is not None:
        print(
            f"{best_line(recorded, plan.metric)}, as {run_dir / BEST_FILE} recorded (the "
            "test split is not scored again)."
        )
        return recorded
    chosen = _best_with_weights(ranked, plan.trial_models(trials, artifacts))
    if chosen is None:
        return None
    best_trial, model = chosen
    architecture = best_trial.architecture
    members = list(best_trial.ensemble.members) if best_trial.ensemble else None
    test = evaluate(model, plan.data.test, plan.train.eval_batch_size)
    checkpoint = artifact_folder(plan.storage, run_dir) / best_trial.checkpoint
    model_file = _export(model, plan, best_trial, test, run_dir / MODEL_FILE)
    best = BestModel(
        trial=best_trial.number,
        kind=best_trial.kind,
        members=members,
        teacher=best_trial.teacher.trial if best_trial.teacher else None,
        architecture=architecture.to_dict(),
        hyperparameters=dict(architecture.hparams),
        parameters=best_trial.parameters or sum(p.numel() for p in model.parameters()),
        validation=dict(best_trial.validation),
        test={k: float(v) for k, v in test.items()},
        checkpoint=str(checkpoint),
        model_file=str(model_file) if model_file else None,
        study=plan.storage.study,
        storage=redact(plan.storage.url or str(run_dir / "trials.db")),
        objective=f"{plan.direction} validation {plan.metric}",
    )
    path = write_best(best, run_dir / BEST_FILE)
    print(f"{best_line(best, plan.metric)}. Written to {path}")
    return best


def _recorded(path: Path, plan: RunPlan, ranked: Sequence[CompletedTrial]) -> BestModel | None:
    """``best.json``'s record when it already holds the best trial of this study, with
    its model file in place; ``None`` when the end of the search must choose again."""
    best = read_best(path)
    if best is None or not ranked or best.study != plan.storage.study:
        return None
    if best.trial != ranked[0].number:
        return None
    if best.model_file is not None and not Path(best.model_file).is_file():
        return None
    return best


def _best_with_weights(
    ranked: Sequence[CompletedTrial], models: TrialModels
) -> tuple[CompletedTrial, nn.Module] | None:
    """The best trial whose checkpoint loads, with its model; says so when it skips one
    (the first few by name, then how many)."""
    skipped = 0
    for trial in ranked:
        try:
            chosen = trial, models.model(trial.number)
        except CheckpointError as exc:
            skipped += 1
            if skipped <= SKIPS_NAMED:
                print(f"torchsearch: trial {trial.number} is skipped: {str(exc).rstrip('.')}.")
            continue
        if skipped > SKIPS_NAMED:
            print(f"torchsearch: ... and {skipped - SKIPS_NAMED} more trials skipped.")
        return chosen
    if skipped > SKIPS_NAMED:
        print(f"torchsearch: ... and {skipped - SKIPS_NAMED} more trials skipped.")
    return None


SKIPS_NAMED = 3
"""How many trials without a readable checkpoint the report names one by one."""


def _export(
    model: nn.Module,
    plan: RunPlan,
    trial: CompletedTrial,
    test: Mapping[str, float],
    path: Path,
) -> Path | None:
    """Exports the chosen model on raw inputs with its card (README, "Using the model"):
    ``torch.export.load(path).module()(x)`` gives the logits (an ensemble's combined
    logits: its members are part of the program); for sequences all steps are taken as
    valid. ``None`` when it cannot be exported (logged); the checkpoint and the
    architecture in ``best.json`` still rebuild it."""
    exported = export_model(
        model,
        plan.data,
        path,
        trial=trial.number,
        architecture=trial.architecture.to_dict(),
        validation=trial.validation,
        test=test,
    )
    return path if exported else None
