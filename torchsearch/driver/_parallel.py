"""The processes of one command: alone, a worker per torchrun rank, or DDP per trial.

``trainer.parallel`` (docs/parallel.md):

- ``none``: one process, one worker.
- ``trials`` (the default under torchrun): every rank is an independent worker on its
  own device (``cuda:LOCAL_RANK``, or its share of the CPU cores), all on one study;
  rank 0 reports once every rank has finished.
- ``ddp``: rank 0 is the only worker; it asks for each trial, assembles the model and
  sends it (its initial weights included) to every rank, and all ranks train it with
  Lightning's DDP; rank 0 records and tells.

The process group is started here (gloo on CPU, nccl on GPUs, ``trainer.backend``)
before any Lightning ``Trainer``, which reuses it, and destroyed when the search ends.
"""

from __future__ import annotations

import datetime
import io
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch
from torch import distributed as dist

from torchsearch._errors import ConfigError
from torchsearch._schema import BACKENDS
from torchsearch._schema import PARALLEL_MODES

__all__ = ["BACKENDS", "PARALLEL_MODES", "Layout", "ParallelSettings", "Team"]

RUN_KEYS = ("parallel", "threads", "backend")
"""The ``trainer`` keys that are about the processes, not about training one trial."""

# A rank that finished its trials waits for the others at the final barrier for as long
# as their last trials take; a lost peer is torchrun's to detect, not this timeout's.
BARRIER_TIMEOUT = datetime.timedelta(days=7)


@dataclass(frozen=True)
class Layout:
    """Where this process is in a torchrun job (its environment variables)."""

    rank: int
    local_rank: int
    world_size: int
    local_world_size: int

    @classmethod
    def from_environment(cls) -> Layout | None:
        """The torchrun layout of this process; ``None`` outside torchrun."""
        names = ("RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE")
        if not all(name in os.environ for name in names):
            return None
        try:
            return cls(*(int(os.environ[name]) for name in names))
        except ValueError as exc:
            raise ConfigError(f"torchrun's environment is malformed: {exc}.") from exc


@dataclass(frozen=True)
class ParallelSettings:
    """The ``trainer.parallel``, ``trainer.threads`` and ``trainer.backend`` settings.

    Args:
        mode: ``none``, ``trials`` or ``ddp`` (``auto`` resolved).
        threads: torch threads per process; ``None`` shares this host's cores among
            its workers.
        backend: the process group's backend, ``gloo`` or ``nccl`` (``auto`` resolved).
        layout: the torchrun layout, ``None`` outside torchrun.
    """

    mode: str
    threads: int | None
    backend: str
    layout: Layout | None

    @classmethod
    def from_config(cls, trainer: Mapping[str, Any], accelerator_is_gpu: bool) -> ParallelSettings:
        """Reads and checks the settings against torchrun's environment.

        Args:
            trainer: the ``trainer`` config section.
            accelerator_is_gpu: trials train on GPUs.

        Raises:
            ConfigError: an unknown value, DDP outside torchrun, nccl without GPUs, or
                more ranks on this host than GPUs.
        """
        mode = str(trainer.get("parallel", "auto"))
        backend = str(trainer.get("backend", "auto"))
        threads = trainer.get("threads")
        if mode not in PARALLEL_MODES:
            raise ConfigError(
                f"Unknown trainer.parallel {mode!r}; choose one of {', '.join(PARALLEL_MODES)}."
            )
        if backend not in BACKENDS:
            raise ConfigError(
                f"Unknown trainer.backend {backend!r}; choose one of {', '.join(BACKENDS)}."
            )
        if threads is not None and (
            isinstance(threads, bool) or not isinstance(threads, int) or threads < 1
        ):
            raise ConfigError(
                f"trainer.threads must be a positive integer or null (share the cores), got "
                f"{threads!r}."
            )
        layout = Layout.from_environment()
        if mode == "auto":
            mode = "none" if layout is None else "trials"
        if mode == "ddp" and layout is None:
            raise ConfigError(
                "trainer.parallel=ddp trains each trial over torchrun's processes; run "
                "`torchrun --nproc_per_node=N -m torchsearch trainer.parallel=ddp ...`."
            )
        if backend == "auto":
            backend = "nccl" if accelerator_is_gpu else "gloo"
        if backend == "nccl" and not accelerator_is_gpu:
            raise ConfigError(
                "trainer.backend=nccl needs CUDA GPUs and the trials train on the CPU here; "
                "use trainer.backend=gloo (or auto)."
            )
        if layout is not None and accelerator_is_gpu:
            gpus = torch.cuda.device_count()
            if layout.local_world_size > gpus:
                raise ConfigError(
                    f"torchrun starts {layout.local_world_size} processes on this host but "
                    f"it has {gpus} GPU(s); use --nproc_per_node={gpus} or fewer."
                )
        return cls(mode, threads, backend, layout)

    @property
    def workers_per_host(self) -> int:
        """Processes of this command on this host (all of them train, also under DDP)."""
        return 1 if self.layout is None else self.layout.local_world_size


class Team:
    """The processes of one command, and what they do together.

    Args:
        settings: the parallel settings.
    """

    def __init__(self, settings: ParallelSettings) -> None:
        self.settings = settings
        layout = settings.layout
        self.rank = 0 if layout is None else layout.rank
        self._group: Any = None

    @property
    def distributed(self) -> bool:
        """Whether this command runs as several torchrun processes."""
        return self.settings.layout is not None and self.settings.layout.world_size > 1

    @property
    def is_reporter(self) -> bool:
        """Whether this process prints the report and writes ``best.json``."""
        return self.rank == 0

    @property
    def is_worker(self) -> bool:
        """Whether this process asks the study for trials (every rank, except under DDP
        where rank 0 asks for all)."""
        return self.settings.mode != "ddp" or self.rank == 0

    def start(self) -> None:
        """Joins the process group (nothing to do for a single process): the configured
        backend under DDP, gloo for a worker per rank (it only meets at the end)."""
        layout = self.settings.layout
        if not self.distributed or layout is None:
            return
        backend = self.settings.backend if self.settings.mode == "ddp" else "gloo"
        if backend == "nccl":
            torch.cuda.set_device(layout.local_rank)
        if not dist.is_initialized():
            dist.init_process_group(backend, timeout=BARRIER_TIMEOUT)
        # Objects (a trial's model) and barriers travel over gloo, whatever trains.
        if dist.get_backend() == "gloo":
            self._group = dist.group.WORLD
        else:
            self._group = dist.new_group(backend="gloo", timeout=BARRIER_TIMEOUT)

    def barrier(self) -> None:
        """Waits until every process of the command gets here."""
        if self._group is not None:
            dist.barrier(group=self._group)

    def stop(self) -> None:
        """Leaves the process group (gloo's threads would otherwise abort the exit)."""
        if self._group is not None and dist.is_initialized():
            dist.destroy_process_group()
        self._group = None

    def send(self, job: Any) -> None:
        """Rank 0: sends ``job`` (any picklable object, tensors on the CPU) to every rank;
        ``None`` tells them the search has ended."""
        self._broadcast(job)

    def receive(self) -> Any:
        """Ranks 1..: what rank 0 sent."""
        return self._broadcast(None)

    def _broadcast(self, job: Any) -> Any:
        assert self._group is not None, "start() first"
        payload = [None]
        if self.rank == 0:
            buffer = io.BytesIO()
            torch.save(job, buffer)
            payload = [buffer.getvalue()]
        dist.broadcast_object_list(payload, src=0, group=self._group)
        if self.rank == 0:
            return job
        data = payload[0]
        assert isinstance(data, bytes)
        return torch.load(io.BytesIO(data), map_location="cpu", weights_only=False)
