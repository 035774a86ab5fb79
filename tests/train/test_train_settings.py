"""Settings and hyperparameters fail early, with messages that say what to change."""

from __future__ import annotations

import pytest
import torch
from train_helpers import mlp
from train_helpers import separable

from torchsearch import ConfigError
from torchsearch.train import OPTIMIZERS
from torchsearch.train import Hyperparameters
from torchsearch.train import TrainSettings
from torchsearch.train import fit


@pytest.mark.parametrize(
    ("budget", "message"),
    [
        ({"max_epochs": 3, "max_steps": 10}, "exactly one training budget"),
        ({"max_epochs": None, "max_steps": None}, "exactly one training budget"),
        ({"max_steps": 0}, "max_steps must be a positive integer"),
        ({"max_steps": None, "max_epochs": 2.5}, "max_epochs must be an integer"),
    ],
)
def test_budget_must_be_one_positive_integer(budget: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        TrainSettings(**budget)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("batch_size", 0, "batch_size must be a positive integer"),
        ("accelerator", "tpu", "Unknown accelerator 'tpu'; choose one of auto, cpu, gpu"),
        ("strategy", "fsdp", "Unknown strategy 'fsdp'; choose one of auto, ddp"),
        ("loop", "fast", "Unknown loop 'fast'"),
        ("precision", "64", "Unknown precision '64'; choose one of 32, bf16-mixed, 16-mixed"),
        ("devices", 0, "devices must be a positive integer"),
        ("num_workers", -1, "num_workers must be 0 or more"),
        ("parameter_scaled_training", True, "needs maximum_depth"),
    ],
)
def test_bad_settings_raise(field: str, value: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        TrainSettings(**{field: value})  # type: ignore[arg-type]


def test_precision_32_from_yaml_is_the_string() -> None:
    assert TrainSettings(precision=32).precision == "32"  # type: ignore[arg-type]


def test_lean_loop_cannot_run_ddp() -> None:
    with pytest.raises(ConfigError, match="strategy='ddp' runs through Lightning"):
        TrainSettings(strategy="ddp", loop="lean")
    assert TrainSettings(strategy="ddp").resolved_loop == "lightning"
    assert TrainSettings().resolved_loop == "lean"


def test_unknown_optimizer_lists_the_options() -> None:
    with pytest.raises(ConfigError) as info:
        Hyperparameters(optimizer="adamw")
    assert str(info.value) == (
        "Unknown optimizer 'adamw'; choose one of momentum, sgd, adagrad, adam, rmsprop."
    )
    assert OPTIMIZERS == ("momentum", "sgd", "adagrad", "adam", "rmsprop")


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"exponential_decay_rate": 0.9}, "Set both exponential_decay_rate"),
        ({"exponential_decay_steps": 10}, "Set both exponential_decay_rate"),
        ({"learning_rate": 0.0}, "learning_rate must be positive"),
        ({"gradient_max_norm": 0.0}, "gradient_max_norm must be positive or None"),
        ({"l2_regularization": -0.1}, "l2_regularization must be 0 or more"),
        ({"lr_warmup_steps": -1}, "lr_warmup_steps must be 0 or more"),
        ({"learning_rate": "fast"}, "learning_rate must be a number"),
    ],
)
def test_bad_hyperparameters_raise(values: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Hyperparameters(**values)  # type: ignore[arg-type]


def test_from_mapping_takes_only_its_fields() -> None:
    params = {
        "learning_rate": 0.01,
        "optimizer": "momentum",
        "exponential_decay_rate": 0.9,
        "exponential_decay_steps": 100.0,  # samplers may hand integers back as floats
        "dropout_rate": 0.2,
        "TUNABLE_SVDF_rank": 3,
        "new_block_type": "FULLY_CONNECTED",
    }
    hparams = Hyperparameters.from_mapping(params)
    assert hparams == Hyperparameters(
        learning_rate=0.01,
        optimizer="momentum",
        exponential_decay_rate=0.9,
        exponential_decay_steps=100,
    )
    with pytest.raises(ConfigError, match="Unknown optimizer"):
        Hyperparameters.from_mapping({"optimizer": "lamb"})


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without a GPU")
def test_gpu_without_cuda_is_a_config_error() -> None:
    data = separable(20)
    with pytest.raises(ConfigError, match="no CUDA device"):
        fit(mlp(), data, data, settings=TrainSettings(max_steps=1, accelerator="gpu"))


def test_scaling_needs_a_depth() -> None:
    data = separable(20)
    settings = TrainSettings(max_steps=10, parameter_scaled_training=True, maximum_depth=5)
    with pytest.raises(ConfigError, match="needs the tower's depth; pass depth="):
        fit(mlp(), data, data, settings=settings)
