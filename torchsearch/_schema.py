"""The schema of torchsearch's configuration: every config group as a dataclass.

Registered in Hydra's ConfigStore as ``torchsearch_schema`` and named first in the root
config's defaults list, so that composing the config checks every value's type and
refuses keys that do not exist. What a type cannot say (the choices of a name, the range
of a number) is field metadata, checked by :mod:`torchsearch._settings_check` on the
composed config before torch is imported. Light: nothing but the standard library and
Hydra's config store.

Data sets are plugins with settings of their own, so the ``data`` group is a mapping here;
the built-in data sets' settings have their schemas in :data:`DATA_SCHEMAS`.
"""

# OmegaConf 2.3 reads typing's Optional/List/Dict, not ``X | None`` or ``list[X]``;
# ``setting`` returns a dataclass field.
# ruff: noqa: UP006, UP035, UP045, RUF009

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import Dict
from typing import List
from typing import Optional

__all__ = [
    "ACCELERATORS",
    "BACKENDS",
    "COMBINERS",
    "DATA_SCHEMAS",
    "DIRECTIONS",
    "DISTILL_KINDS",
    "ENSEMBLE_STRATEGIES",
    "INNER_SAMPLERS",
    "LOGGERS",
    "LOOPS",
    "LOSSES",
    "METRICS",
    "OPTIMIZERS",
    "PARALLEL_MODES",
    "PRECISIONS",
    "PRUNERS",
    "SCHEMA_NAME",
    "STORAGES",
    "TASKS",
    "TASK_LOSSES",
    "TASK_METRICS",
    "TRANSFER_MODES",
    "LearningSchema",
    "TorchSearchSchema",
    "register_schema",
]

SCHEMA_NAME = "torchsearch_schema"
"""The root schema's name in the ConfigStore (first in ``conf/config.yaml``'s defaults)."""

TASKS = ("classification", "regression")
"""What a data set's target is: class labels, or a number to predict (``data.task``)."""
METRICS = {
    "accuracy": "maximize",
    "loss": "minimize",
    "rmse": "minimize",
    "mae": "minimize",
    "r2": "maximize",
}
"""The metrics a search can optimise, with their natural direction."""
TASK_METRICS = {
    "classification": ("accuracy", "loss"),
    "regression": ("rmse", "mae", "r2", "loss"),
}
"""The metrics each task scores; the first is its default."""
LOSSES = ("cross_entropy", "mse", "mae", "huber")
TASK_LOSSES = {"classification": ("cross_entropy",), "regression": ("mse", "mae", "huber")}
"""The training losses each task takes; the first is its default."""
DIRECTIONS = ("maximize", "minimize")
OPTIMIZERS = ("momentum", "sgd", "adagrad", "adam", "rmsprop")
"""Model Search's optimizer names; ``momentum`` is SGD with momentum 0.9."""
ACCELERATORS = ("auto", "cpu", "gpu")
LOOPS = ("auto", "lean", "lightning")
PRECISIONS = ("32", "bf16-mixed", "16-mixed")
PARALLEL_MODES = ("auto", "none", "trials", "ddp")
BACKENDS = ("auto", "gloo", "nccl")
PRUNERS = ("none", "median", "successive_halving", "hyperband")
LOGGERS = ("csv", "tensorboard")
"""The per-trial curve files ``trainer.loggers`` may list (docs/curves.md)."""
INNER_SAMPLERS = ("tpe", "random")
STORAGES = ("sqlite", "journal", "postgresql")
TRANSFER_MODES = ("none", "snapshot", "uniform_average", "loss_weighted_average")
ENSEMBLE_STRATEGIES = ("none", "nonadaptive", "adaptive", "residual", "intermixed")
COMBINERS = ("average", "weighted")
DISTILL_KINDS = ("none", "mse_logits", "mse_softmax", "cross_entropy", "adaptively_balance")


def setting(
    default: Any = None,
    *,
    choices: tuple[Any, ...] | None = None,
    least: float | None = None,
    above: float | None = None,
    most: float | None = None,
    below: float | None = None,
    each: tuple[str, ...] | None = None,
    pair: bool = False,
    text: bool = False,
    also_int: bool = False,
    example: Any = None,
) -> Any:
    """A field with what its type cannot say, read by the settings check.

    Args:
        default: the default; a list is copied for each instance.
        choices: the values allowed (``text``: compared as text, so YAML's ``32`` is
            ``"32"``; ``also_int``: an integer in the range is allowed too).
        least / above / most / below: the bounds of a number (``>=``, ``>``, ``<=``, ``<``).
        each: the values every item of a list must take.
        pair: a list ``[low, high]`` with ``low <= high``.
        text: compare ``choices`` as text.
        also_int: besides ``choices``, an integer within the bounds is allowed.
        example: a sensible value to show in errors, where the default is null.
    """
    metadata = {
        "choices": choices,
        "least": least,
        "above": above,
        "most": most,
        "below": below,
        "each": each,
        "pair": pair,
        "text": text,
        "also_int": also_int,
        "example": example,
    }
    metadata = {k: v for k, v in metadata.items() if v is not None and v is not False}
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda: type(default)(default), metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass
class ObjectiveSchema:
    """``objective``: what the search optimises."""

    metric: Optional[str] = setting(None, choices=tuple(METRICS), example="accuracy")
    direction: Optional[str] = setting(None, choices=DIRECTIONS)
    loss: Optional[str] = setting(None, choices=LOSSES, example="mse")


@dataclass
class ReplaySchema:
    """``replay``: train a recorded trial again (``torchsearch replay trial=N``)."""

    trial: Any = setting(None, choices=("best",), also_int=True, least=0)
    seed: Optional[int] = setting(None, least=0)
    steps: Optional[int] = setting(None, least=1)
    replicas: int = setting(1, least=1)


@dataclass
class ReportSchema:
    """``report``: what ``torchsearch report`` and the end of a search show."""

    top: int = setting(10, least=1)
    out: Optional[str] = None


@dataclass
class TrainerSchema:
    """``trainer``: how each candidate is trained."""

    max_epochs: Optional[int] = setting(10, least=1)
    max_steps: Optional[int] = setting(None, least=1)
    batch_size: int = setting(32, least=1)
    eval_batch_size: int = setting(1024, least=1)
    accelerator: str = setting("auto", choices=ACCELERATORS)
    precision: Any = setting(32, choices=PRECISIONS, text=True)
    deterministic: bool = True
    loop: str = setting("auto", choices=LOOPS)
    parallel: str = setting("auto", choices=PARALLEL_MODES)
    threads: Optional[int] = setting(None, least=1, example=1)
    backend: str = setting("auto", choices=BACKENDS)
    loggers: List[str] = setting([], each=LOGGERS)


@dataclass
class SearchSchema:
    """``search``: the searcher (an entry point of ``torchsearch.searchers``) and budget."""

    name: str = "coordinate_descent"
    n_trials: int = setting(20, least=1)
    timeout_s: Optional[float] = setting(None, above=0, example=3600)
    inner_sampler: str = setting("tpe", choices=INNER_SAMPLERS)
    options: Dict[str, Any] = field(default_factory=dict)
    pruner: str = setting("none", choices=PRUNERS)
    report_every: Optional[int] = setting(None, least=0)
    count_pruned: bool = False


@dataclass
class DropoutSchema:
    """``space.learning.dropout``: a rate drawn from ``[min, max)``, or none."""

    apply: bool = False
    min: float = setting(0.1, least=0, most=1)
    max: float = setting(0.6, least=0, most=1)


@dataclass
class DecaySchema:
    """``space.learning.exponential_decay``: a staircase decay of the rate."""

    apply: bool = False
    min_rate: float = setting(0.75, above=0, most=1)
    max_rate: float = setting(0.95, above=0, most=1)
    min_decay_times: int = setting(1, least=1)
    max_decay_times: int = setting(5, least=2)


@dataclass
class ClippingSchema:
    """``space.learning.gradient_clipping``: a global gradient norm in ``[min, max]``."""

    apply: bool = False
    min: float = setting(2.0, above=0)
    max: float = setting(5.0, above=0)


@dataclass
class L2Schema:
    """``space.learning.l2_regularization``: a weight in ``[min, max]``."""

    apply: bool = False
    min: float = setting(0.0, least=0)
    max: float = setting(0.05, least=0)


@dataclass
class LearningSchema:
    """``space.learning``: the optimisation hyperparameters the search draws (their
    defaults are Model Search's; docs/model_search.md, "Hyperparameters")."""

    learning_rate: List[float] = setting([1e-6, 0.01], above=0, pair=True)
    optimizers: List[str] = setting(list(OPTIMIZERS), each=OPTIMIZERS)
    dropout: DropoutSchema = field(default_factory=DropoutSchema)
    exponential_decay: DecaySchema = field(default_factory=DecaySchema)
    gradient_clipping: ClippingSchema = field(default_factory=ClippingSchema)
    l2_regularization: L2Schema = field(default_factory=L2Schema)


@dataclass
class SpaceSchema:
    """``space``: the blocks, depths and hyperparameters a search may use."""

    name: str = "dnn"
    problem: str = "dnn"
    blocks: List[str] = field(default_factory=list)
    minimum_depth: int = setting(1, least=0)
    maximum_depth: int = setting(5, least=1)
    beam_size: int = setting(1, least=1)
    increase_complexity_probability: float = setting(1.0, least=0, most=1)
    increase_complexity_minimum_trials: Optional[List[int]] = setting(None, least=0)
    suggestions: List[Any] = field(default_factory=list)
    learning: LearningSchema = field(default_factory=LearningSchema)
    parameter_scaled_training: bool = False
    max_parameters: Optional[int] = setting(None, least=1, example=100000)


@dataclass
class StorageSchema:
    """``storage``: the trial database every worker shares."""

    name: str = setting("sqlite", choices=STORAGES)
    url: Optional[str] = None
    study: str = "torchsearch"
    artifacts: Optional[str] = None
    heartbeat_interval: Optional[int] = setting(60, least=1)
    grace_period: Optional[int] = setting(180, least=1)


@dataclass
class TransferSchema:
    """``transfer``: how a new trial's initial weights reuse earlier trials'."""

    name: str = setting("none", choices=TRANSFER_MODES)
    discount: float = setting(1.0, above=0, most=1)
    max_trials: Optional[int] = setting(None, least=1)
    steps_fraction: float = setting(1.0, above=0, most=1)


@dataclass
class EnsembleSchema:
    """``ensemble``: which trials combine the best towers."""

    strategy: str = setting("none", choices=ENSEMBLE_STRATEGIES)
    combiner: str = setting("average", choices=COMBINERS)
    width: int = setting(3, least=1)
    every: int = setting(5, least=1)
    minimal_pool_size: int = setting(100, least=0)
    trials_considered: int = setting(10, least=1)


@dataclass
class DistillSchema:
    """``distill``: the teacher loss of a distillation trial."""

    kind: str = setting("none", choices=DISTILL_KINDS)
    temperature: float = setting(1.0, above=0)
    min_lambda: float = setting(1.0, least=0)
    max_lambda: float = setting(1.0, least=0)
    ramp_trials: int = setting(0, least=0)
    minimal_pool_size: int = setting(100, least=0)


@dataclass
class TorchSearchSchema:
    """The whole configuration (``conf/config.yaml`` and its groups)."""

    data: Dict[str, Any] = field(default_factory=dict)
    transfer: TransferSchema = field(default_factory=TransferSchema)
    ensemble: EnsembleSchema = field(default_factory=EnsembleSchema)
    distill: DistillSchema = field(default_factory=DistillSchema)
    space: SpaceSchema = field(default_factory=SpaceSchema)
    search: SearchSchema = field(default_factory=SearchSchema)
    trainer: TrainerSchema = field(default_factory=TrainerSchema)
    storage: StorageSchema = field(default_factory=StorageSchema)
    objective: ObjectiveSchema = field(default_factory=ObjectiveSchema)
    seed: int = setting(0, least=0)
    replay: ReplaySchema = field(default_factory=ReplaySchema)
    report: ReportSchema = field(default_factory=ReportSchema)


@dataclass
class _SplitSchema:
    """The carving settings every built-in data set shares."""

    name: str = ""
    validation_fraction: float = setting(0.15, above=0, below=1)
    test_fraction: float = setting(0.15, above=0, below=1)
    seed: int = setting(0, least=0)


@dataclass
class CsvSchema(_SplitSchema):
    """``data=csv``."""

    path: str = ""
    label: Any = None  # a column name, a column index, or null (the last column)
    header: Any = setting("auto", choices=(True, False, "auto"))
    delimiter: str = ","
    validation_path: Optional[str] = None
    test_path: Optional[str] = None
    standardize: bool = True
    image_shape: Optional[List[int]] = setting(None, least=1)
    task: str = setting("classification", choices=TASKS)


@dataclass
class NpzSchema(_SplitSchema):
    """``data=npz``."""

    path: str = ""
    x: str = "x"
    y: str = "y"
    lengths: str = "lengths"
    x_val: Optional[str] = None
    y_val: Optional[str] = None
    lengths_val: Optional[str] = None
    x_test: Optional[str] = None
    y_test: Optional[str] = None
    lengths_test: Optional[str] = None
    standardize: bool = False
    image_shape: Optional[List[int]] = setting(None, least=1)
    task: str = setting("classification", choices=TASKS)


@dataclass
class ImagesSchema(_SplitSchema):
    """``data=images``."""

    path: str = ""
    channels: int = setting(3, choices=(1, 3))
    image_size: Any = setting([32, 32], least=1)  # [height, width], or one int: square


@dataclass
class Mnist1dSchema:
    """``data=mnist1d`` (its test split is the data set's own)."""

    name: str = ""
    validation_fraction: float = setting(0.2, above=0, below=1)
    seed: int = setting(0, least=0)


@dataclass
class RandomWalkSchema(_SplitSchema):
    """``data=random_walk``."""

    examples: int = setting(2000, least=20)
    max_steps: int = setting(40, least=10)
    per_step: bool = True


@dataclass
class DiabetesSchema(_SplitSchema):
    """``data=diabetes`` (a regression set)."""

    task: str = setting("regression", choices=("regression",))


DATA_SCHEMAS: dict[str, type] = {
    "csv": CsvSchema,
    "diabetes": DiabetesSchema,
    "digits": _SplitSchema,
    "images": ImagesSchema,
    "mnist1d": Mnist1dSchema,
    "npz": NpzSchema,
    "random_walk": RandomWalkSchema,
}
"""The built-in data sets' settings by ``data.name``; a plugin's are checked by its
provider."""


def register_schema() -> None:
    """Stores the root schema in Hydra's ConfigStore (idempotent)."""
    from hydra.core.config_store import ConfigStore

    ConfigStore.instance().store(name=SCHEMA_NAME, node=TorchSearchSchema)
