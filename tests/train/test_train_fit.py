"""fit: it learns, honours its budget exactly, is reproducible, and prints nothing."""

from __future__ import annotations

import math
import warnings
from types import SimpleNamespace

import pytest
import torch
from train_helpers import Tensors
from train_helpers import mlp

from torchsearch.train import Batches
from torchsearch.train import FitResult
from torchsearch.train import Hyperparameters
from torchsearch.train import TrainSettings
from torchsearch.train import evaluate
from torchsearch.train import fit
from torchsearch.train import parameter_scaled_steps

LOOPS = ("lean", "lightning")


def test_fit_reduces_validation_loss(train_split: Tensors, val_split: Tensors) -> None:
    model = mlp()
    before = evaluate(model, val_split)
    result = fit(
        model,
        train_split,
        val_split,
        Hyperparameters(learning_rate=0.01),
        TrainSettings(max_epochs=20, max_steps=None, batch_size=32),
    )
    assert isinstance(result, FitResult)
    assert result.metrics["loss"] < 0.5 * before["loss"]
    assert result.metrics["accuracy"] > 0.9
    assert result.metrics == evaluate(model, val_split)
    assert result.train_seconds > 0
    assert math.isfinite(result.train_loss)


@pytest.mark.parametrize("precision", ["bf16-mixed", "16-mixed"])
@pytest.mark.parametrize("loop", LOOPS)
def test_mixed_precision_trains_in_autocast_with_float32_weights(
    loop: str, precision: str, train_split: Tensors, val_split: Tensors
) -> None:
    model, reference = mlp(), mlp()
    dtypes: list[torch.dtype] = []
    model[0].register_forward_hook(lambda _m, _i, out: dtypes.append(out.dtype))
    settings = TrainSettings(max_epochs=20, max_steps=None, batch_size=32, loop=loop)
    mixed = fit(model, train_split, val_split, Hyperparameters(learning_rate=0.01),
                TrainSettings(**{**settings.__dict__, "precision": precision}))  # fmt: skip
    plain = fit(reference, train_split, val_split, Hyperparameters(learning_rate=0.01), settings)
    # Training ran in autocast, validation in float32; 16-mixed is bfloat16 on the CPU,
    # as Lightning makes it.
    assert torch.bfloat16 in dtypes
    assert all(p.dtype == torch.float32 for p in model.parameters())
    assert mixed.metrics["accuracy"] > 0.9
    assert abs(mixed.metrics["loss"] - plain.metrics["loss"]) < 0.05


@pytest.mark.parametrize("loop", LOOPS)
def test_max_steps_is_exact(
    loop: str, train_split: Tensors, val_split: Tensors, optimizer_steps: list[float]
) -> None:
    # 240 examples in batches of 32: 8 steps an epoch, so 19 steps end mid-epoch.
    settings = TrainSettings(max_steps=19, batch_size=32, loop=loop)
    result = fit(mlp(), train_split, val_split, settings=settings)
    assert len(optimizer_steps) == result.steps == 19
    assert result.epochs == pytest.approx(19 / 8)


@pytest.mark.parametrize("loop", LOOPS)
def test_max_epochs_is_exact(
    loop: str, train_split: Tensors, val_split: Tensors, optimizer_steps: list[float]
) -> None:
    settings = TrainSettings(max_epochs=3, max_steps=None, batch_size=50, loop=loop)
    result = fit(mlp(), train_split, val_split, settings=settings)
    # 240 examples in batches of 50: 4 full batches and one of 40.
    assert len(optimizer_steps) == result.steps == 3 * 5
    assert result.epochs == 3


@pytest.mark.parametrize(
    ("max_steps", "maximum_depth", "depth", "expected"),
    [
        (100, 10, 3, 34),  # per block 10, increment 100 // 30 = 3: ceil(100 / 3)
        (100, 10, 10, 100),  # the deepest tower trains the whole budget
        (100, 10, 7, 100),  # increment 100 // 70 = 1
        (50, 5, 1, 10),  # increment 5
        (10, 20, 2, 2),  # per block max(10 // 20, 1) = 1, increment 5
    ],
)
def test_parameter_scaled_steps_follow_model_search(
    max_steps: int, maximum_depth: int, depth: int, expected: int
) -> None:
    # Model Search's increment = max(S // (d * max(S // D, 1)), 1).
    assert parameter_scaled_steps(max_steps, depth, maximum_depth) == expected
    assert parameter_scaled_steps(10000, 3, 10) == 3334  # Model Search's example


def test_fit_trains_the_scaled_number_of_steps(
    train_split: Tensors, val_split: Tensors, optimizer_steps: list[float]
) -> None:
    settings = TrainSettings(
        max_steps=100, batch_size=32, parameter_scaled_training=True, maximum_depth=10
    )
    assert fit(mlp(), train_split, val_split, settings=settings, depth=3).steps == 34
    # Without depth=, the depth is read from model.architecture, as build_model sets it.
    model = mlp()
    model.architecture = SimpleNamespace(towers=(("A", "B", "C", "D", "E"),))  # type: ignore[assignment]
    assert fit(model, train_split, val_split, settings=settings).steps == 50
    assert len(optimizer_steps) == 84


def test_scaled_epoch_budget_counts_steps(train_split: Tensors, val_split: Tensors) -> None:
    settings = TrainSettings(
        max_epochs=10,
        max_steps=None,
        batch_size=40,
        parameter_scaled_training=True,
        maximum_depth=4,
    )
    # 10 epochs of 6 steps = 60 global steps; depth 1 of 4: increment 4, 15 steps.
    result = fit(mlp(), train_split, val_split, settings=settings, depth=1)
    assert result.steps == 15
    assert result.epochs == 2.5


@pytest.mark.parametrize("loop", LOOPS)
def test_same_seed_gives_identical_results(
    loop: str, train_split: Tensors, val_split: Tensors
) -> None:
    hparams = Hyperparameters(learning_rate=0.05, optimizer="momentum")
    settings = TrainSettings(max_steps=30, batch_size=16, seed=7, loop=loop)
    runs = []
    for _ in range(2):
        model = mlp(dropout=0.3)
        runs.append((fit(model, train_split, val_split, hparams, settings), model.state_dict()))
    (first, weights), (second, again) = runs
    assert first.metrics == second.metrics
    assert first.train_loss == second.train_loss
    assert all(torch.equal(weights[k], again[k]) for k in weights)
    other = fit(
        mlp(dropout=0.3),
        train_split,
        val_split,
        hparams,
        TrainSettings(max_steps=30, batch_size=16, seed=8, loop=loop),
    )
    assert other.metrics != first.metrics


def test_lean_and_lightning_loops_agree_bit_for_bit(
    train_split: Tensors, val_split: Tensors
) -> None:
    hparams = Hyperparameters(
        learning_rate=0.05,
        optimizer="rmsprop",
        exponential_decay_rate=0.5,
        exponential_decay_steps=10,
        gradient_max_norm=0.5,
        l2_regularization=0.01,
        lr_warmup_steps=5,
    )
    results, weights = [], []
    for loop in LOOPS:
        model = mlp(dropout=0.2)
        results.append(
            fit(
                model,
                train_split,
                val_split,
                hparams,
                TrainSettings(max_steps=43, batch_size=32, loop=loop),
            )
        )
        weights.append(model.state_dict())
    assert results[0].metrics == results[1].metrics
    assert results[0].train_loss == results[1].train_loss
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])


@pytest.mark.parametrize("loop", LOOPS)
def test_fit_prints_and_warns_nothing(
    loop: str,
    train_split: Tensors,
    val_split: Tensors,
    capfd: pytest.CaptureFixture[str],
    recwarn: pytest.WarningsRecorder,
) -> None:
    settings = TrainSettings(max_epochs=2, max_steps=None, batch_size=64, loop=loop)
    fit(mlp(), train_split, val_split, Hyperparameters(gradient_max_norm=1.0), settings)
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")
    assert [str(w.message) for w in recwarn] == []


def test_fit_with_worker_processes_matches_in_memory(
    train_split: Tensors, val_split: Tensors
) -> None:
    results = []
    for workers in (0, 1):
        settings = TrainSettings(max_steps=12, batch_size=32, num_workers=workers)
        results.append(fit(mlp(), train_split, val_split, settings=settings))
    assert results[0].metrics == results[1].metrics


def test_fit_leaves_the_model_where_it_was(train_split: Tensors, val_split: Tensors) -> None:
    model = mlp()
    fit(model, train_split, val_split, settings=TrainSettings(max_steps=2, accelerator="cpu"))
    assert next(model.parameters()).device.type == "cpu"
    assert len(Batches(train_split, 32, seed=0)) == 8


def test_deterministic_mode_is_switched_back_off(train_split: Tensors, val_split: Tensors) -> None:
    settings = TrainSettings(max_steps=5, batch_size=32, deterministic=True)
    first = fit(mlp(dropout=0.2), train_split, val_split, settings=settings)
    assert not torch.are_deterministic_algorithms_enabled()
    second = fit(mlp(dropout=0.2), train_split, val_split, settings=settings)
    assert (first.metrics, first.steps) == (second.metrics, 5)


def test_fit_trains_a_built_candidate(train_split: Tensors, val_split: Tensors) -> None:
    import torchsearch

    tower = ["FIXED_OUTPUT_FULLY_CONNECTED_128", "FULLY_CONNECTED"]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a half-installed catalogue warns
            model = torchsearch.build_model(
                torchsearch.Architecture.single(tower), torchsearch.TensorSpec.flat(8), 3, "dnn"
            )
    except torchsearch.TorchSearchError as exc:
        pytest.skip(f"the dense catalogue is not installed: {exc}")
    before = evaluate(model, val_split)["loss"]
    settings = TrainSettings(
        max_steps=100, batch_size=32, parameter_scaled_training=True, maximum_depth=4
    )
    result = fit(model, train_split, val_split, Hyperparameters(learning_rate=0.01), settings)
    assert result.steps == parameter_scaled_steps(100, 2, 4) == 50  # depth 2 of the tower
    assert result.metrics["loss"] < before


def _with_norm_and_dropout() -> torch.nn.Module:
    """A model whose training mode matters: batch norm (running statistics) and dropout
    (random masks from torch's generator)."""
    torch.manual_seed(3)
    return torch.nn.Sequential(
        torch.nn.Linear(8, 16),
        torch.nn.BatchNorm1d(16),
        torch.nn.ReLU(),
        torch.nn.Dropout(0.3),
        torch.nn.Linear(16, 3),
    )


def test_validating_while_training_changes_nothing_in_the_training(
    train_split: Tensors, val_split: Tensors
) -> None:
    # What the learning curves of a search rely on (docs/curves.md): the same weights,
    # batch-norm statistics and final metrics with or without validations every 3 steps.
    settings = TrainSettings(max_steps=40, batch_size=32, seed=5)
    hparams = Hyperparameters(learning_rate=0.05, optimizer="momentum")
    plain_model, curved_model = _with_norm_and_dropout(), _with_norm_and_dropout()
    plain = fit(plain_model, train_split, val_split, hparams, settings)
    validations: list[tuple[int, dict[str, float]]] = []
    epochs: list[tuple[int, float]] = []
    curved = fit(
        curved_model,
        train_split,
        val_split,
        hparams,
        settings,
        validate_every=3,
        on_validation=lambda step, metrics: validations.append((step, metrics)),
        on_epoch_end=lambda step, loss: epochs.append((step, loss)),
    )
    assert [step for step, _ in validations] == list(range(3, 41, 3))
    assert all(set(metrics) == {"loss", "accuracy"} for _, metrics in validations)
    assert len({metrics["loss"] for _, metrics in validations}) > 1  # the model changed
    assert [step for step, _ in epochs] == [8, 16, 24, 32, 40]  # 240 examples, batches of 32
    assert epochs[-1][1] == curved.train_loss
    assert (curved.metrics, curved.train_loss) == (plain.metrics, plain.train_loss)
    plain_state, curved_state = plain_model.state_dict(), curved_model.state_dict()
    assert all(torch.equal(plain_state[k], curved_state[k]) for k in plain_state)


def test_evaluation_draws_nothing_from_torchs_generator_and_keeps_the_mode(
    val_split: Tensors,
) -> None:
    model = _with_norm_and_dropout().train()
    statistics = model[1].running_mean.clone()
    state = torch.get_rng_state()
    evaluate(model, val_split)
    assert torch.equal(torch.get_rng_state(), state)
    assert model.training and all(m.training for m in model.modules())
    assert torch.equal(model[1].running_mean, statistics)
