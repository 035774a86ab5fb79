"""Reading and checking a run's config before anything touches the storage.

Every mistake a user can make in the config (an unknown block or search algorithm, a
data file that cannot be read, a space that does not fit the data) is found here, so a
bad run stops with one clear line and writes nothing to the trial database.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch
from omegaconf import DictConfig
from omegaconf import OmegaConf
from optuna.artifacts import FileSystemArtifactStore

from torchsearch._errors import ConfigError
from torchsearch._resolvers import register_resolvers
from torchsearch._scalars import RunScalars
from torchsearch._scalars import get
from torchsearch._secrets import redact_values
from torchsearch.blocks import InputKind
from torchsearch.blocks import get_registry
from torchsearch.data import DataSplits
from torchsearch.data import provider_from_config
from torchsearch.driver._curves import CURVE_KEYS
from torchsearch.driver._curves import CurveSettings
from torchsearch.driver._parallel import RUN_KEYS
from torchsearch.driver._parallel import ParallelSettings
from torchsearch.driver._pruning import PruningSettings
from torchsearch.driver._recipe import ExploitSettings
from torchsearch.driver._storage import StorageSettings
from torchsearch.exploit import TransferSettings
from torchsearch.exploit import TrialModels
from torchsearch.search import HyperparameterSpace
from torchsearch.search import SearchSettings
from torchsearch.search import get_searcher
from torchsearch.space import Architecture
from torchsearch.space import CandidateModel
from torchsearch.space import ProblemType
from torchsearch.space import build_model
from torchsearch.space import fix_architecture_order
from torchsearch.train import REGRESSION_DISTILLATION
from torchsearch.train import TrainSettings
from torchsearch.train import resolve_device
from torchsearch.trials import CompletedTrial
from torchsearch.trials import load_state

__all__ = ["RunPlan", "make_plan"]

_KIND_OF_PROBLEM = {
    ProblemType.DNN: InputKind.FLAT,
    ProblemType.CNN: InputKind.IMAGE,
    ProblemType.RNN_ALL: InputKind.SEQUENCE,
    ProblemType.RNN_LAST: InputKind.SEQUENCE,
}


@dataclass(frozen=True)
class RunPlan:
    """Everything a search run needs, checked and typed."""

    data: DataSplits
    problem: ProblemType
    search: SearchSettings
    searcher: str
    searcher_options: dict[str, Any]
    inner_sampler: str
    n_trials: int
    timeout_s: float | None
    max_parameters: int | None
    hparam_space: HyperparameterSpace
    suggestions: tuple[Architecture, ...]
    train: TrainSettings
    parallel: ParallelSettings
    pruning: PruningSettings
    curves: CurveSettings
    storage: StorageSettings
    transfer: TransferSettings
    exploit: ExploitSettings
    metric: str
    direction: str
    loss: str
    seed: int
    config: dict[str, Any]

    def build(self, architecture: Architecture) -> CandidateModel:
        """A fresh model of ``architecture`` for this run's data."""
        return build_model(architecture, self.data.input_spec, self.data.num_outputs, self.problem)

    def count_parameters(self, architecture: Architecture) -> int:
        """The parameters of a model of ``architecture``, counted on PyTorch's meta
        device, so that no memory is spent on a model too big to train (a block that
        cannot be built there is built on the CPU instead)."""
        try:
            with torch.device("meta"):
                return self.build(architecture).num_parameters
        except Exception:  # e.g. a plugin block that reads values while building
            return self.build(architecture).num_parameters

    def trial_models(
        self, trials: Iterable[CompletedTrial], artifacts: FileSystemArtifactStore
    ) -> TrialModels:
        """The models of ``trials`` (members, teachers, the best), from their checkpoints."""
        return TrialModels(
            trials,
            self.build,
            lambda artifact_id: load_state(artifacts, artifact_id),
            self.data.num_outputs,
        )


def make_plan(cfg: DictConfig) -> RunPlan:
    """Checks ``cfg`` and loads the data; raises a TorchSearchError on the first problem."""
    register_resolvers()  # the configs' own (a config composed outside the command)
    config = OmegaConf.to_container(cfg, resolve=True)
    assert isinstance(config, dict)
    scalars = RunScalars.from_config(config)
    space = get(config, "space")
    problem = ProblemType.parse(space.get("problem", ""))
    registry = get_registry()
    blocks = tuple(space.get("blocks") or ())
    registry.check(blocks)
    searcher_cfg = get(config, "search")
    searcher = str(searcher_cfg.get("name"))
    get_searcher(searcher)  # an unknown searcher fails here, before any storage
    search = SearchSettings(
        blocks=blocks,
        problem=problem,
        minimum_depth=scalars.minimum_depth,
        maximum_depth=scalars.maximum_depth,
        beam_size=scalars.beam_size,
        increase_complexity_probability=scalars.increase_complexity_probability,
        increase_complexity_minimum_trials=tuple(
            space.get("increase_complexity_minimum_trials") or ()
        ),
        direction=scalars.direction,
    )
    search.check(registry)
    suggestions = tuple(
        _suggestion(s, problem, i) for i, s in enumerate(space.get("suggestions") or ())
    )
    hparam_space = HyperparameterSpace.from_config(space.get("learning") or {})
    for index, suggestion in enumerate(suggestions):
        registry.check(suggestion.blocks)
        hparam_space.check_fixed(
            suggestion.hparams, suggestion.blocks, f"space.suggestions[{index}].hparams", registry
        )
    trainer = dict(get(config, "trainer"))
    parallel = ParallelSettings.from_config(trainer, _trains_on_gpu(trainer))
    train = _train_settings(
        {k: v for k, v in trainer.items() if k not in RUN_KEYS and k not in CURVE_KEYS},
        seed=scalars.seed,
        parameter_scaled_training=scalars.parameter_scaled_training,
        maximum_depth=search.maximum_depth,
        strategy="ddp" if parallel.mode == "ddp" else "auto",
    )
    resolve_device(train)  # no CUDA device for accelerator=gpu: one line, before any trial
    pruning = PruningSettings.from_config(searcher_cfg)
    curves = CurveSettings.from_config(searcher_cfg, trainer)
    _check_validations(pruning, curves, train)
    data = provider_from_config(get(config, "data")).load().to_kind(_KIND_OF_PROBLEM[problem])
    if data.per_step != (problem is ProblemType.RNN_ALL):
        raise ConfigError(
            f"space {space.get('name')} predicts a label per step, but data={data.name} has "
            "one label per sequence: use space=rnn_last, or data with a label per step (an "
            "npz y of shape (N, T); data=random_walk)."
            if problem is ProblemType.RNN_ALL
            else f"data={data.name} has a label per step, which only space=rnn_all predicts "
            f"(space {space.get('name')} predicts one per example); choose space=rnn_all"
            + (", or data.per_step=false." if data.name == "random_walk" else ".")
        )
    exploit = ExploitSettings.from_config(config)
    _check_task(data, scalars.task, exploit)
    if blocks and not any(registry.prototype(b).accepts(data.input_spec) for b in blocks):
        raise ConfigError(
            f"No block of space.blocks takes {data.name}'s {data.input_spec} inputs (space "
            f"{space.get('name')}, problem {problem.value}); choose blocks that do, e.g. with "
            "`python -m torchsearch.blocks`, or another space."
        )
    return RunPlan(
        data=data,
        problem=problem,
        search=search,
        searcher=searcher,
        searcher_options=dict(searcher_cfg.get("options") or {}),
        inner_sampler=str(searcher_cfg.get("inner_sampler", "tpe")),
        n_trials=scalars.n_trials,
        timeout_s=scalars.timeout_s,
        max_parameters=scalars.max_parameters,
        hparam_space=hparam_space,
        suggestions=suggestions,
        train=train,
        parallel=parallel,
        pruning=pruning,
        curves=curves,
        storage=StorageSettings.from_config(get(config, "storage")),
        transfer=TransferSettings.from_config(config.get("transfer") or {}),
        exploit=exploit,
        metric=scalars.metric,
        direction=scalars.direction,
        loss=scalars.loss,
        seed=scalars.seed,
        config=redact_values(config),  # what the study and best.json may keep
    )


def _check_task(data: DataSplits, task: str, exploit: ExploitSettings) -> None:
    """Checks that the data gives the targets ``data.task`` says, and that distillation
    compares what a regression model outputs (numbers, not class probabilities).

    Raises:
        ConfigError: they disagree.
    """
    if data.task != task:
        given = "numeric targets" if data.task == "regression" else "class labels"
        raise ConfigError(
            f"data={data.name} gives {given}, but data.task is {task}; set data.task={data.task}."
        )
    kind = exploit.distill.kind.value
    if task == "regression" and kind != "none" and kind not in REGRESSION_DISTILLATION:
        raise ConfigError(
            f"distill={kind} compares class probabilities, which a regression model does "
            f"not give; choose distill={' or distill='.join(REGRESSION_DISTILLATION)}, or "
            "distill=none."
        )


def _check_validations(
    pruning: PruningSettings, curves: CurveSettings, train: TrainSettings
) -> None:
    """Validations while training need the lean loop, and a pruner needs them.

    Raises:
        ConfigError: a pruner or a report period with another loop, or a pruner with
            ``search.report_every=0``.
    """
    if pruning.active and not curves.reports:
        raise ConfigError(
            f"search.pruner={pruning.pruner} judges the validations a trial reports while "
            "it trains, and search.report_every=0 turns them off: give a period (or null)."
        )
    if train.resolved_loop == "lean":
        return
    if pruning.active:
        raise ConfigError(
            f"search.pruner={pruning.pruner} judges trials while they train, which only "
            "the lean loop does: not with trainer.parallel=ddp or trainer.loop=lightning."
        )
    if curves.report_every:
        raise ConfigError(
            f"search.report_every={curves.report_every} validates trials while they "
            "train, which only the lean loop does: with trainer.parallel=ddp or "
            "trainer.loop=lightning a trial reports its final value only (leave "
            "search.report_every null)."
        )


def _trains_on_gpu(trainer: Mapping[str, Any]) -> bool:
    """Whether trials would train on CUDA GPUs (``resolve_device`` decides per trial)."""
    return trainer.get("accelerator", "auto") != "cpu" and torch.cuda.is_available()


def _train_settings(trainer: Mapping[str, Any], **fixed: Any) -> TrainSettings:
    accepted = set(TrainSettings.__dataclass_fields__) - set(fixed) - {"devices"}
    accepted |= set(RUN_KEYS) | set(CURVE_KEYS)
    unknown = sorted(set(trainer) - accepted)
    if unknown:
        raise ConfigError(
            f"Unknown trainer setting(s) {', '.join(unknown)}; the trainer accepts "
            f"{', '.join(sorted(accepted))}."
        )
    return TrainSettings(**{**trainer, **fixed})


def _suggestion(entry: Any, problem: ProblemType, index: int) -> Architecture:
    if isinstance(entry, Mapping):
        blocks, hparams = entry.get("blocks"), entry.get("hparams") or {}
    else:
        blocks, hparams = entry, {}
    if not isinstance(blocks, list) or not blocks:
        raise ConfigError(
            f"space.suggestions[{index}] needs a non-empty 'blocks' list, got {entry!r}."
        )
    return Architecture.single(fix_architecture_order(blocks, problem), **dict(hparams))
