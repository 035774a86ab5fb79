"""How a candidate is trained: the run's settings and the trial's hyperparameters.

:class:`TrainSettings` is the same for every trial of a search (budget, batch sizes,
devices, seed); :class:`Hyperparameters` are what the inner sampler proposes per trial
(docs/model_search.md, "Hyperparameters"). Both are frozen and check their values on
construction, raising :class:`~torchsearch.ConfigError` with the fix in the message, so a
bad override fails before any training starts.
"""

from __future__ import annotations

from dataclasses import dataclass

from torchsearch._errors import ConfigError
from torchsearch._schema import ACCELERATORS
from torchsearch._schema import LOOPS
from torchsearch._schema import PRECISIONS
from torchsearch.space._hyperparameters import require_int
from torchsearch.space._hyperparameters import require_positive_int

__all__ = [
    "ACCELERATORS",
    "LOOPS",
    "PRECISIONS",
    "STRATEGIES",
    "TrainSettings",
]

STRATEGIES = ("auto", "ddp")
"""Lightning's names: float32, or autocast to bfloat16 / float16 (with loss scaling)."""


@dataclass(frozen=True, kw_only=True)
class TrainSettings:
    """Settings shared by every trial of a run.

    Args:
        max_epochs: the budget in passes over the training split; None when
            ``max_steps`` is the budget. Exactly one of the two is set.
        max_steps: the budget in optimizer steps (Model Search's ``train_steps``,
            default 1000); None when ``max_epochs`` is the budget.
        batch_size: examples per training step (per process under DDP); Model Search's
            ``--phoenix_batch_size`` default, 100.
        eval_batch_size: examples per evaluation batch.
        accelerator: ``"auto"`` (a GPU when present, else the CPU), ``"cpu"`` or ``"gpu"``.
        devices: processes for ``strategy="ddp"`` outside torchrun; under torchrun
            ``LOCAL_WORLD_SIZE`` decides (docs/library_notes.md, "Lightning").
        strategy: ``"auto"`` trains in this process on one device; ``"ddp"`` trains one
            model over all processes with Lightning's DDP.
        seed: seeds Python, NumPy and torch, and the order of the training batches.
        deterministic: make torch use deterministic algorithms while training (on CPU
            results are reproducible without it).
        parameter_scaled_training: train a tower of depth ``d`` about
            ``d / maximum_depth`` of the budget (docs/model_search.md, "Training").
        maximum_depth: the search's depth cap; needed by parameter-scaled training.
        num_workers: 0 slices batches from the in-memory tensors in this process; more
            fetches them in worker processes (only worth it for memory-mapped data).
        loop: ``"lean"`` runs the optimization loop in this process, calling the
            :class:`CandidateSystem`'s hooks (low overhead for tiny candidates);
            ``"lightning"`` runs it with a Lightning ``Trainer``; ``"auto"`` picks
            ``"lightning"`` for DDP and ``"lean"`` otherwise.
        precision: one of :data:`PRECISIONS`; the mixed ones run the forward pass under
            ``torch.autocast`` (``16-mixed`` scales the loss), weights stay float32.
    """

    max_epochs: int | None = None
    max_steps: int | None = 1000
    batch_size: int = 100
    eval_batch_size: int = 1024
    accelerator: str = "auto"
    devices: int | str = "auto"
    strategy: str = "auto"
    seed: int = 0
    deterministic: bool = False
    parameter_scaled_training: bool = False
    maximum_depth: int | None = None
    num_workers: int = 0
    loop: str = "auto"
    precision: str = "32"

    def __post_init__(self) -> None:
        if isinstance(self.precision, int) and not isinstance(self.precision, bool):
            object.__setattr__(self, "precision", str(self.precision))  # YAML's 32
        if (self.max_epochs is None) == (self.max_steps is None):
            raise ConfigError(
                "Set exactly one training budget, max_epochs or max_steps, and the other to "
                f"None; got max_epochs={self.max_epochs} and max_steps={self.max_steps}."
            )
        for name in ("max_epochs", "max_steps", "batch_size", "eval_batch_size"):
            if getattr(self, name) is not None:
                require_positive_int(name, getattr(self, name))
        _choice("accelerator", self.accelerator, ACCELERATORS)
        _choice("strategy", self.strategy, STRATEGIES)
        _choice("loop", self.loop, LOOPS)
        _choice("precision", self.precision, PRECISIONS)
        if self.devices != "auto":
            require_positive_int("devices", self.devices)
        require_int("seed", self.seed)
        if require_int("num_workers", self.num_workers) < 0:
            raise ConfigError(f"num_workers must be 0 or more, got {self.num_workers}.")
        if self.maximum_depth is not None:
            require_positive_int("maximum_depth", self.maximum_depth)
        if self.parameter_scaled_training and self.maximum_depth is None:
            raise ConfigError(
                "parameter_scaled_training needs maximum_depth, the search's depth cap; "
                "set maximum_depth."
            )
        if self.loop == "lean" and self.strategy == "ddp":
            raise ConfigError(
                "strategy='ddp' runs through Lightning; use loop='auto' or loop='lightning'."
            )

    @property
    def resolved_loop(self) -> str:
        """``"lean"`` or ``"lightning"``: what ``loop="auto"`` means for these settings."""
        if self.loop != "auto":
            return self.loop
        return "lightning" if self.strategy == "ddp" else "lean"


def _choice(name: str, value: object, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ConfigError(f"Unknown {name} {value!r}; choose one of {', '.join(choices)}.")
