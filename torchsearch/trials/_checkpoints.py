"""A trial's weights in the run's artifact store: saving them, and reading them back.

Checkpoints are plain state dicts, read with ``weights_only=True``: loading one never
runs code from the file, whoever wrote it.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import optuna
import torch
from optuna.artifacts.exceptions import ArtifactNotFound

from torchsearch._errors import StorageError
from torchsearch._errors import StorageLostError

__all__ = ["CheckpointError", "load_state", "save_state"]

StateDict = dict[str, torch.Tensor]


class CheckpointError(StorageError):
    """A trial's checkpoint is missing or cannot be read."""


def save_state(
    store: optuna.artifacts.FileSystemArtifactStore, trial: optuna.Trial, state: StateDict
) -> tuple[str, int]:
    """Saves ``state`` as ``trial``'s checkpoint; returns its artifact id and its size in
    bytes.

    Raises:
        StorageLostError: the checkpoint folder cannot be written (moved, deleted, full).
    """
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"trial-{trial.number}.pt"
        torch.save(state, path)
        try:
            artifact_id = optuna.artifacts.upload_artifact(
                artifact_store=store, file_path=str(path), study_or_trial=trial
            )
            return artifact_id, path.stat().st_size
        except OSError as exc:
            raise StorageLostError(
                f"Cannot write trial {trial.number}'s checkpoint in {Path(store._base_path)}: "
                f"{exc.strerror or exc}. Was the checkpoint folder (storage.artifacts, or "
                "artifacts/ in the run folder) moved or deleted? The finished trials are kept "
                "in the storage; rerun the same command once the folder is back."
            ) from exc


def load_state(store: optuna.artifacts.FileSystemArtifactStore, artifact_id: str) -> StateDict:
    """The state dict saved under ``artifact_id``, on the CPU.

    Raises:
        CheckpointError: it is missing, unreadable, or not a state dict of tensors.
    """
    try:
        with store.open_reader(artifact_id) as reader:
            state = torch.load(reader, map_location="cpu", weights_only=True)
    except ArtifactNotFound:
        raise CheckpointError(f"checkpoint {artifact_id} is missing") from None
    except Exception as exc:  # torch.load raises many kinds for a damaged file
        raise CheckpointError(f"checkpoint {artifact_id} cannot be read: {exc}") from exc
    if not isinstance(state, dict) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()
    ):
        raise CheckpointError(f"checkpoint {artifact_id} is not a state dict of tensors")
    return state
