"""The hyperparameter space: Model Search's oracle space as ordinary Optuna params.

The space follows the learning spec's switches, tunable blocks add ``<BLOCKNAME>_<name>``
params, and TPE draws them with distributions that never change within a study
(docs/model_search.md, "Hyperparameters").
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import optuna
import pytest
import yaml
from omegaconf import OmegaConf
from optuna.distributions import CategoricalDistribution
from optuna.distributions import FloatDistribution
from optuna.distributions import IntDistribution

from torchsearch import ConfigError
from torchsearch.search import DROPOUT_OFF
from torchsearch.search import HyperparameterSpace
from torchsearch.search import RandomArchitectureSampler
from torchsearch.search import SearchSettings
from torchsearch.search import decay_steps
from torchsearch.search import prepare_trial
from torchsearch.testing import TOY_DENSE_BLOCKS
from torchsearch.testing import TOY_TUNABLE
from torchsearch.testing import toy_registry

CONF = Path(__file__).resolve().parents[2] / "conf"
FIXED = {"learning_rate", "optimizer"}
SWITCHED = {
    "dropout": {"dropout_rate"},
    "exponential_decay": {"exponential_decay_rate", "exponential_decay_times"},
    "gradient_clipping": {"gradient_max_norm"},
    "l2_regularization": {"l2_regularization"},
}


def dnn_learning() -> dict[str, Any]:
    return yaml.safe_load((CONF / "space" / "dnn.yaml").read_text())["learning"]


def test_the_dnn_config_space() -> None:
    dists = HyperparameterSpace.from_config(dnn_learning()).fixed_distributions
    assert dists == {
        "learning_rate": FloatDistribution(1e-3, 1e-2, log=True),
        "optimizer": CategoricalDistribution(["adam"]),
        "dropout_rate": CategoricalDistribution(
            [DROPOUT_OFF, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55]
        ),
        "exponential_decay_rate": FloatDistribution(0.75, 0.95),
        "exponential_decay_times": CategoricalDistribution([1, 2, 3, 4]),
        "gradient_max_norm": IntDistribution(2, 5),
    }


def test_an_omegaconf_node_reads_as_the_yaml_does() -> None:
    node = OmegaConf.load(CONF / "space" / "dnn.yaml").learning
    assert repr(HyperparameterSpace.from_config(node)) == repr(
        HyperparameterSpace.from_config(dnn_learning())
    )
    assert HyperparameterSpace.from_config(node).fixed_distributions == (
        HyperparameterSpace.from_config(dnn_learning()).fixed_distributions
    )


def test_missing_keys_take_model_search_defaults() -> None:
    dists = HyperparameterSpace.from_config({}).fixed_distributions
    assert dists == {
        "learning_rate": FloatDistribution(1e-6, 0.01, log=True),
        "optimizer": CategoricalDistribution(["momentum", "sgd", "adagrad", "adam", "rmsprop"]),
    }
    on = {key: {"apply": True} for key in SWITCHED}
    dists = HyperparameterSpace.from_config(on).fixed_distributions
    assert dists["l2_regularization"] == FloatDistribution(0.0, 0.05)
    assert dists["gradient_max_norm"] == IntDistribution(2, 5)


@pytest.mark.parametrize("section", sorted(SWITCHED))
@pytest.mark.parametrize("apply", [True, False])
def test_each_switch_adds_or_removes_its_params(section: str, apply: bool) -> None:
    learning = dnn_learning()
    for key in SWITCHED:
        learning[key]["apply"] = key == section and apply
    names = set(HyperparameterSpace.from_config(learning).fixed_distributions)
    assert names == FIXED | (SWITCHED[section] if apply else set())


def test_a_long_decay_range_is_an_integer_range() -> None:
    # Model Search's cnn_config.pbtxt range.
    learning = {
        "exponential_decay": {"apply": True, "min_decay_times": 1, "max_decay_times": 10000}
    }
    dists = HyperparameterSpace.from_config(learning).fixed_distributions
    assert dists["exponential_decay_times"] == IntDistribution(1, 9999)
    assert decay_steps(1000, 3) == 333
    assert decay_steps(1000, 9999) == 1  # never a zero period


@pytest.mark.parametrize(
    ("learning", "message"),
    [
        ({"learning_rte": [0.1, 0.2]}, "Unknown key"),
        ({"learning_rate": [0.0, 0.1]}, "0 < low <= high"),
        ({"learning_rate": 0.1}, r"\[low, high\]"),
        ({"optimizers": []}, "distinct names"),
        ({"dropout": {"apply": "yes"}}, "true or false"),
        ({"dropout": {"apply": True, "min": 0.5, "max": 0.5}}, "min < max"),
        (
            {"exponential_decay": {"apply": True, "min_decay_times": 3, "max_decay_times": 3}},
            "excludes",
        ),
        ({"gradient_clipping": {"apply": True, "min": 2.5}}, "whole number"),
        ({"l2_regularization": {"apply": True, "min": -1.0}}, ">= 0"),
        ({"dropout": {"apply": True, "rate": 0.1}}, r"accepts \['apply', 'max', 'min'\]"),
    ],
)
def test_bad_configs_are_config_errors(learning: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        HyperparameterSpace.from_config(learning)


def study_of(tmp_path: Path, storage: str = "sqlite", **settings: Any) -> optuna.Study:
    """A study on a file-backed storage: SQLite, or the faster journal file."""
    blocks = settings.pop("blocks", TOY_DENSE_BLOCKS)
    sampler = RandomArchitectureSampler(
        SearchSettings(blocks=blocks, problem="dnn", **settings),
        seed=0,
        registry=toy_registry(),
    )
    if storage == "sqlite":
        backend = optuna.storages.RDBStorage(f"sqlite:///{(tmp_path / 'hp.db').resolve()}")
    else:
        path = str(tmp_path / "hp.journal")
        backend = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(path))
    return optuna.create_study(storage=backend, sampler=sampler)


def test_tpe_draws_them_with_stable_distributions(tmp_path: Path) -> None:
    study = study_of(tmp_path, "journal", minimum_depth=1)
    space = HyperparameterSpace.from_config(dnn_learning())
    for _ in range(30):
        trial = study.ask()
        hparams = prepare_trial(trial, space, toy_registry()).architecture.hparams
        study.tell(trial, abs(math.log10(float(hparams["learning_rate"])) + 2.5))  # type: ignore[arg-type]
    trials = study.trials
    for name, dist in space.fixed_distributions.items():
        assert {repr(t.distributions[name]) for t in trials} == {repr(dist)}
    # After its 10 random start-up trials, TPE homes in on learning_rate = 10 ** -2.5.
    errors = [t.value for t in trials]
    assert sum(errors[-10:]) < 0.75 * sum(errors[:10])


def test_tunable_block_params_appear_only_with_their_block(tmp_path: Path) -> None:
    study = study_of(tmp_path, blocks=(TOY_DENSE_BLOCKS[0], TOY_TUNABLE), minimum_depth=1)
    space = HyperparameterSpace.from_config({})
    tunable = {f"{TOY_TUNABLE}_units", f"{TOY_TUNABLE}_bias", f"{TOY_TUNABLE}_scale"}
    seen = set()
    for _ in range(12):
        trial = study.ask()
        proposal = prepare_trial(trial, space, toy_registry())
        study.tell(trial, 0.0)
        has_block = TOY_TUNABLE in proposal.architecture.blocks
        assert (set(trial.params) == FIXED | tunable) is has_block
        assert set(proposal.architecture.hparams) == set(trial.params)
        seen.add(has_block)
    assert seen == {True, False}
    dists = {t.distributions.get(f"{TOY_TUNABLE}_units") for t in study.trials} - {None}
    assert dists == {IntDistribution(2, 16)}


def test_hyperparameters_fixed_by_hand_must_be_ones_a_trial_has() -> None:
    space = HyperparameterSpace.from_config({"dropout": {"apply": True}})
    blocks = (TOY_DENSE_BLOCKS[0], TOY_TUNABLE)
    fixed = {"learning_rate": 0.01, "optimizer": "adam", "dropout_rate": 0.2}
    fixed |= {"lr_warmup_steps": 10, f"{TOY_TUNABLE}_units": 8}
    space.check_fixed(fixed, blocks, "where", toy_registry())
    with pytest.raises(ConfigError, match=r"where has 'lerning_rate'.*did you mean learning_rate"):
        space.check_fixed({"lerning_rate": 0.01}, blocks, "where", toy_registry())
    # A block's setting is known only for a tower that has the block.
    with pytest.raises(ConfigError, match=f"'{TOY_TUNABLE}_units', which is not"):
        space.check_fixed(fixed, blocks[:1], "where", toy_registry())
