"""The Trainer factory: silent, one device by default, DDP laid out from torchrun's env."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from lightning.pytorch.strategies import DDPStrategy
from lightning.pytorch.strategies import SingleDeviceStrategy

from torchsearch.train import TrainSettings
from torchsearch.train import make_trainer

TORCHRUN_RANK_3_OF_4 = {
    "RANK": "3",
    "GROUP_RANK": "1",
    "LOCAL_RANK": "1",
    "LOCAL_WORLD_SIZE": "2",
    "WORLD_SIZE": "4",
    "MASTER_ADDR": "127.0.0.1",
    "MASTER_PORT": "29500",
}


def test_default_trainer_is_one_silent_device(capfd: pytest.CaptureFixture[str]) -> None:
    settings = TrainSettings(accelerator="cpu", max_steps=3)
    trainer = make_trainer(settings, gradient_clip_val=2.0)
    assert isinstance(trainer.strategy, SingleDeviceStrategy)
    assert (trainer.world_size, trainer.max_steps, trainer.gradient_clip_val) == (1, 3, 2.0)
    assert trainer.logger is None
    assert not trainer.checkpoint_callbacks
    assert capfd.readouterr() == ("", "")


def test_ddp_takes_devices_and_nodes_from_torchrun(monkeypatch: pytest.MonkeyPatch) -> None:
    # devices=LOCAL_WORLD_SIZE and num_nodes=WORLD_SIZE // LOCAL_WORLD_SIZE
    # (docs/library_notes.md, "Lightning").
    for name, value in TORCHRUN_RANK_3_OF_4.items():
        monkeypatch.setenv(name, value)
    trainer = make_trainer(TrainSettings(strategy="ddp", accelerator="cpu", devices=8))
    assert isinstance(trainer.strategy, DDPStrategy)
    assert (trainer.num_devices, trainer.num_nodes, trainer.world_size) == (2, 2, 4)
    assert (trainer.global_rank, trainer.local_rank) == (3, 1)
    # strategy="auto" under torchrun: each rank trains its own model on one device.
    single = make_trainer(TrainSettings(accelerator="cpu"))
    assert (single.world_size, single.global_rank) == (1, 0)


SCRIPT = """
import json, os, sys
import torch
sys.path.insert(0, {helpers!r})
from train_helpers import mlp, separable
from torchsearch.train import TrainSettings, fit
settings = TrainSettings(strategy="ddp", accelerator="cpu", max_epochs=2, max_steps=None,
                         batch_size=32)
model = mlp()
result = fit(model, separable(240, seed=1), separable(120, seed=2), settings=settings)
weights = float(sum(p.detach().double().sum() for p in model.parameters()))
# The same model trained alone on the same global batches (two ranks of 32 are 64).
alone = mlp()
fit(alone, separable(240, seed=1), separable(120, seed=2),
    settings=TrainSettings(accelerator="cpu", max_steps=8, max_epochs=None, batch_size=64))
gap = max(float((a - b).abs().max()) for a, b in zip(model.parameters(), alone.parameters()))
path = os.path.join({out!r}, os.environ["RANK"] + ".json")
with open(path, "w") as f:
    json.dump({{"metrics": result.metrics, "steps": result.steps, "weights": weights,
               "gap": gap}}, f)
# The process group outlives fit (a search trains many models in it); whoever started the
# processes ends it, or gloo's threads abort the interpreter's exit.
if torch.distributed.is_initialized():
    torch.distributed.barrier()
    torch.distributed.destroy_process_group()
"""


@pytest.mark.slow
def test_ddp_under_torchrun_trains_one_model_over_two_processes(tmp_path: Path) -> None:
    script = tmp_path / "ddp_fit.py"
    helpers = str(Path(__file__).parent)
    script.write_text(textwrap.dedent(SCRIPT.format(helpers=helpers, out=str(tmp_path))))
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", str(script)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    ranks = [json.loads((tmp_path / f"{r}.json").read_text()) for r in (0, 1)]
    # 120 examples a rank in batches of 32: 4 steps an epoch, 2 epochs.
    assert [r["steps"] for r in ranks] == [8, 8]
    assert ranks[0]["weights"] == ranks[1]["weights"]
    assert ranks[0]["metrics"] == ranks[1]["metrics"]
    # Two ranks of 32 step like one process with batches of 64: the same examples per
    # step (each rank takes every other example of one permutation), the gradients
    # averaged; only the order of the sums differs.
    assert ranks[0]["gap"] < 1e-5
