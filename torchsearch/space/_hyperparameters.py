"""A trial's optimization hyperparameters: what the search draws, the trial record
keeps and the trainer reads, checked in one place (docs/model_search.md,
"Hyperparameters"). Light: no training library is imported."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import fields
from typing import Any

from torchsearch._errors import ConfigError
from torchsearch._schema import OPTIMIZERS

__all__ = [
    "EXPONENTIAL_DECAY_TIMES",
    "OPTIMIZERS",
    "Hyperparameters",
    "decay_steps",
    "require_int",
    "require_number",
    "require_positive_int",
]


@dataclass(frozen=True, kw_only=True)
class Hyperparameters:
    """A trial's optimization hyperparameters (docs/model_search.md, "Hyperparameters").

    Dropout is not here: the model applies it between blocks, reading
    ``dropout_rate`` from the architecture's hparams.

    Args:
        learning_rate: the initial learning rate (Model Search searches [1e-6, 0.01]).
        optimizer: one of :data:`OPTIMIZERS`.
        exponential_decay_rate: multiply the learning rate by this every
            ``exponential_decay_steps`` steps (staircase); None for no decay.
        exponential_decay_steps: the decay period; set with the rate, or neither.
        gradient_max_norm: clip the gradients to this global norm; None for no clipping.
        l2_regularization: add ``l2 * sum(w**2) / 2`` over all trainable parameters to the
            loss, as TensorFlow's ``l2_loss`` did; 0 for none.
        lr_warmup_steps: raise the learning rate linearly from 0 over this many steps.
    """

    learning_rate: float = 1e-3
    optimizer: str = "adam"
    exponential_decay_rate: float | None = None
    exponential_decay_steps: int | None = None
    gradient_max_norm: float | None = None
    l2_regularization: float = 0.0
    lr_warmup_steps: int = 0

    def __post_init__(self) -> None:
        if require_number("learning_rate", self.learning_rate) <= 0:
            raise ConfigError(f"learning_rate must be positive, got {self.learning_rate}.")
        if self.optimizer not in OPTIMIZERS:
            raise ConfigError(
                f"Unknown optimizer {self.optimizer!r}; choose one of {', '.join(OPTIMIZERS)}."
            )
        rate, steps = self.exponential_decay_rate, self.exponential_decay_steps
        if (rate is None) != (steps is None):
            raise ConfigError(
                "Set both exponential_decay_rate and exponential_decay_steps, or neither; got "
                f"exponential_decay_rate={rate} and exponential_decay_steps={steps}."
            )
        if rate is not None and require_number("exponential_decay_rate", rate) <= 0:
            raise ConfigError(f"exponential_decay_rate must be positive, got {rate}.")
        if steps is not None:
            require_positive_int("exponential_decay_steps", steps)
        norm = self.gradient_max_norm
        if norm is not None and require_number("gradient_max_norm", norm) <= 0:
            raise ConfigError(f"gradient_max_norm must be positive or None, got {norm}.")
        l2 = self.l2_regularization
        if require_number("l2_regularization", l2) < 0:
            raise ConfigError(f"l2_regularization must be 0 or more, got {l2}.")
        if require_int("lr_warmup_steps", self.lr_warmup_steps) < 0:
            raise ConfigError(f"lr_warmup_steps must be 0 or more, got {self.lr_warmup_steps}.")

    @classmethod
    def from_record(cls, values: Mapping[str, Any], total_steps: int) -> Hyperparameters:
        """The hyperparameters a trial's recorded ``hparams`` train with: decay "times"
        (``exponential_decay_times``) become a decay period in steps of a trial of
        ``total_steps`` (see :func:`decay_steps`).

        Raises:
            ConfigError: a value is invalid (see the class).
        """
        values = dict(values)
        times = values.pop(EXPONENTIAL_DECAY_TIMES, None)
        if times is not None:
            if isinstance(times, float) and times.is_integer():
                times = int(times)
            values["exponential_decay_steps"] = decay_steps(
                total_steps, require_positive_int(EXPONENTIAL_DECAY_TIMES, times)
            )
        return cls.from_mapping(values)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> Hyperparameters:
        """Reads the fields present in ``values``, ignoring every other key.

        A trial's params also hold block and dropout hparams; only this class's fields
        are taken, with integral floats accepted for the integer fields.

        Raises:
            ConfigError: a value is invalid (see the class).
        """
        names = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in values.items() if k in names}
        for name in ("exponential_decay_steps", "lr_warmup_steps"):
            value = kwargs.get(name)
            if isinstance(value, float) and value.is_integer():
                kwargs[name] = int(value)
        return cls(**kwargs)


EXPONENTIAL_DECAY_TIMES = "exponential_decay_times"
"""How many times the learning rate decays over training; see :func:`decay_steps`."""


def decay_steps(total_steps: int, times: int) -> int:
    """The decay period for ``exponential_decay_times``: ``total_steps // times``, at least 1.

    Model Search draws ``train_steps // i`` for ``i`` in ``[min_decay_times,
    max_decay_times)``; the sampler draws ``i``, as the training length is known only to
    the driver (docs/model_search.md, "Hyperparameters").
    """
    return max(int(total_steps) // max(int(times), 1), 1)


def require_int(name: str, value: object) -> int:
    """``value`` when it is an integer (not a bool)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{name} must be an integer, got {value!r}.")
    return value


def require_positive_int(name: str, value: object) -> int:
    if require_int(name, value) < 1:
        raise ConfigError(f"{name} must be a positive integer, got {value!r}.")
    return value  # type: ignore[return-value]


def require_number(name: str, value: object) -> float:
    """``value`` as a float when it is an int or a float (not a bool)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{name} must be a number, got {value!r}.")
    return float(value)
