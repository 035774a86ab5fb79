"""Training losses: Model Search's distillation numbers, the frozen teacher, the plugin."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn
from torch.nn import functional as F
from train_helpers import PerStep
from train_helpers import Tensors
from train_helpers import mlp

from torchsearch import ConfigError
from torchsearch import DataError
from torchsearch.train import Batch
from torchsearch.train import CandidateSystem
from torchsearch.train import DistillationLoss
from torchsearch.train import LabelLoss
from torchsearch.train import TrainingLoss
from torchsearch.train import TrainSettings
from torchsearch.train import distillation_loss
from torchsearch.train import distillation_loss_from_targets
from torchsearch.train import fit
from torchsearch.train import teacher_targets

STUDENT = torch.tensor([[0.0, 4.0, 1.0]])  # one example, three classes
LABEL = torch.tensor([2])  # Model Search's one-hot [0, 0, 1]


@pytest.mark.parametrize(
    ("kind", "targets", "expected"),
    [
        # meta/distillation_test.py: its loss functions take the teacher's values as given.
        ("mse_logits", [2.0, 4.0, 8.0], (4 + 0 + 49) / 3),
        ("mse_softmax", [2.0, 4.0, 8.0], (4 + 0 + 49) / 3),
        ("cross_entropy", [0.2, 0.4, 0.4], 2.065884),
        # Trial 50 with 100 ramp trials: lambda = 1, as both of its bounds default to 1.
        ("adaptively_balance", [0.2, 0.4, 0.4], 5.13176775),
    ],
)
def test_model_search_distillation_numbers(
    kind: str, targets: list[float], expected: float
) -> None:
    teacher = torch.tensor([targets])
    loss = distillation_loss_from_targets(STUDENT, teacher, kind, 1.0, LABEL)
    assert loss.item() == pytest.approx(expected, abs=1e-5)
    for weights in (2.0, torch.tensor([2.0])):  # weights x 2 double the loss
        doubled = distillation_loss_from_targets(
            STUDENT, teacher, kind, 1.0, LABEL, example_weights=weights
        )
        assert doubled.item() == pytest.approx(2 * expected, abs=1e-5)


def test_raw_teacher_logits_give_the_same_numbers() -> None:
    mse = distillation_loss(STUDENT, torch.tensor([[2.0, 4.0, 8.0]]), "mse_logits")
    assert mse.item() == pytest.approx(53 / 3, abs=1e-5)
    log_probabilities = torch.tensor([[0.2, 0.4, 0.4]]).log()  # softmax gives .2, .4, .4
    soft = distillation_loss(STUDENT, log_probabilities, "cross_entropy")
    assert soft.item() == pytest.approx(2.065884, abs=1e-5)
    both = distillation_loss(STUDENT, log_probabilities, "adaptively_balance", labels=LABEL)
    assert both.item() == pytest.approx(5.13176775, abs=1e-5)


def test_mse_softmax_compares_teacher_probabilities_with_raw_student_logits() -> None:
    student, teacher = torch.randn(5, 4), torch.randn(5, 4)
    expected = F.mse_loss(student, torch.softmax(teacher / 3, dim=-1))
    actual = distillation_loss(student, teacher, "mse_softmax", temperature=3.0)
    assert torch.allclose(actual, expected)


def test_temperature_softens_the_soft_labels_of_every_kind_but_mse_logits() -> None:
    teacher = torch.randn(5, 4)
    assert torch.equal(teacher_targets(teacher, "mse_logits", 4.0), teacher)
    soft = teacher_targets(teacher, "cross_entropy", 4.0)
    assert torch.allclose(soft, torch.softmax(teacher / 4, dim=-1))
    student = torch.randn(5, 4)
    expected = -(soft * F.log_softmax(student, dim=-1)).sum(-1).mean()
    actual = distillation_loss(student, teacher, "cross_entropy", temperature=4.0)
    assert torch.allclose(actual, expected)


def test_weight_is_the_teacher_terms_factor() -> None:
    student, teacher, labels = torch.randn(6, 3), torch.randn(6, 3), torch.randint(0, 3, (6,))
    label = F.cross_entropy(student, labels)
    soft = distillation_loss(student, teacher, "cross_entropy")
    for weight in (0.0, 0.5, 2.0):
        balanced = distillation_loss(
            student, teacher, "adaptively_balance", weight=weight, labels=labels
        )
        assert torch.allclose(balanced, label + weight * soft)
        alone = distillation_loss(student, teacher, "cross_entropy", weight=weight)
        assert torch.allclose(alone, weight * soft)


class MeanOfTwo(nn.Module):
    """A two-member ensemble teacher: the mean of its members' logits."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(3)
        self.members = nn.ModuleList([nn.Linear(8, 3), nn.Linear(8, 3)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.stack([member(x) for member in self.members]).mean(0)


@pytest.mark.parametrize("kind", ["mse_logits", "cross_entropy"])
def test_ensemble_teacher_logits_are_the_mean_where_model_search_summed(kind: str) -> None:
    teacher, student = MeanOfTwo(), mlp()
    batch = Batch(torch.randn(10, 8), torch.randint(0, 3, (10,)), None)
    loss = DistillationLoss(teacher, kind)(student, batch)
    with torch.no_grad():
        first, second = (member(batch.x) for member in teacher.members)
    logits = student(batch.x)
    assert torch.allclose(loss, distillation_loss(logits, (first + second) / 2, kind))
    summed = distillation_loss(logits, first + second, kind)  # Model Search's add_n
    assert not torch.allclose(loss, summed)


def test_per_step_logits_score_the_valid_steps_only() -> None:
    g = torch.Generator().manual_seed(0)
    student, teacher = torch.randn(4, 5, 3, generator=g), torch.randn(4, 5, 3, generator=g)
    labels = torch.randint(0, 3, (4, 5), generator=g)
    lengths = torch.tensor([5, 1, 3, 2])
    valid = torch.arange(5) < lengths[:, None]
    padded = torch.where(valid[..., None], student, torch.full_like(student, 1e4))
    for kind in ("mse_logits", "mse_softmax", "cross_entropy", "adaptively_balance"):
        expected = distillation_loss(student[valid], teacher[valid], kind, 2.0, 0.5, labels[valid])
        actual = distillation_loss(padded, teacher, kind, 2.0, 0.5, labels, lengths)
        assert torch.allclose(actual, expected), kind
    # One weight per example applies to each of its valid steps.
    per_example = torch.tensor([1.0, 2.0, 0.0, 3.0])
    weights = per_example[:, None].expand(4, 5)[valid]
    mse = (student[valid] - teacher[valid]).square().mean(-1)
    expected = (weights * mse).sum() / (weights != 0).sum()  # the non-zero weights count
    actual = distillation_loss(
        student, teacher, "mse_logits", lengths=lengths, example_weights=per_example
    )
    assert torch.allclose(actual, expected)


def test_the_teacher_is_called_like_the_model_and_in_eval_mode() -> None:
    seen: list[bool] = []

    class Recording(PerStep):
        def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
            seen.append(self.training)
            return super().forward(x, lengths)

    teacher = Recording().train()
    loss = DistillationLoss(teacher, "cross_entropy")
    batch = Batch(torch.randn(2, 3, 4), torch.zeros(2, 3, dtype=torch.long), torch.tensor([3, 1]))
    loss(PerStep(), batch)
    teacher.train()  # switched back by someone: the next step still runs it in eval mode
    loss(PerStep(), batch)
    assert seen == [False, False]
    assert teacher.seen_lengths is batch.lengths


@pytest.mark.parametrize(
    ("kwargs", "fix"),
    [
        ({"kind": "kl"}, "use one of mse_logits, mse_softmax, cross_entropy"),
        ({"temperature": 0.0}, "temperature must be above 0"),
        ({"temperature": -1.0}, "temperature must be above 0"),
        ({"weight": -0.5}, "weight must be 0 or more"),
    ],
)
def test_bad_settings_are_config_errors(kwargs: dict[str, object], fix: str) -> None:
    settings: dict[str, object] = {"kind": "cross_entropy", **kwargs}
    with pytest.raises(ConfigError, match=fix):
        DistillationLoss(mlp(), **settings)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=fix):
        distillation_loss(STUDENT, STUDENT, **settings)  # type: ignore[arg-type]


def test_bad_inputs_are_errors() -> None:
    with pytest.raises(ConfigError, match="needs labels"):
        distillation_loss(STUDENT, STUDENT, "adaptively_balance")
    with pytest.raises(DataError, match="do not fit student logits"):
        distillation_loss(STUDENT, torch.zeros(1, 4), "mse_logits")
    with pytest.raises(DataError, match="example_weights"):
        distillation_loss(STUDENT, STUDENT, "mse_logits", example_weights=torch.ones(2))


@pytest.mark.parametrize("loop", ["lean", "lightning"])
def test_fit_distils_without_touching_the_teacher(
    loop: str, train_split: Tensors, val_split: Tensors
) -> None:
    teacher = mlp(seed=5)
    before = {k: v.clone() for k, v in teacher.state_dict().items()}
    student = mlp(seed=0)

    def gap() -> float:
        with torch.no_grad():
            return F.mse_loss(student(val_split.x), teacher(val_split.x)).item()

    start = gap()
    settings = TrainSettings(max_steps=40, batch_size=32, loop=loop)
    result = fit(
        student,
        train_split,
        val_split,
        settings=settings,
        loss=DistillationLoss(teacher, "mse_logits"),
    )
    assert gap() < 0.5 * start  # the student learnt the teacher's logits
    assert all(torch.equal(before[k], v) for k, v in teacher.state_dict().items())
    assert all(p.grad is None for p in teacher.parameters())
    assert not teacher.training
    assert math.isfinite(result.train_loss)


def test_default_loss_is_label_loss_bit_for_bit(train_split: Tensors, val_split: Tensors) -> None:
    settings = TrainSettings(max_steps=30, batch_size=16, seed=3)
    first, second = mlp(seed=4, dropout=0.2), mlp(seed=4, dropout=0.2)
    default = fit(first, train_split, val_split, settings=settings)
    explicit = fit(second, train_split, val_split, settings=settings, loss=LabelLoss())
    assert default.metrics == explicit.metrics
    assert default.train_loss == explicit.train_loss
    assert all(
        torch.equal(p, q) for p, q in zip(first.parameters(), second.parameters(), strict=True)
    )


def test_a_plugin_loss_is_called_on_every_step(train_split: Tensors, val_split: Tensors) -> None:
    class Counting(TrainingLoss):
        def __init__(self) -> None:
            self.calls, self.moved_to = 0, None

        def __call__(self, model: nn.Module, batch: Batch) -> torch.Tensor:
            self.calls += 1
            return 2 * F.cross_entropy(model(batch.x), batch.y)

        def to(self, device: torch.device) -> Counting:
            self.moved_to = device
            return self

    loss = Counting()
    result = fit(mlp(), train_split, val_split, settings=TrainSettings(max_steps=7), loss=loss)
    assert loss.calls == result.steps == 7
    assert loss.moved_to == torch.device("cpu")


def test_the_loss_is_no_hyperparameter_and_moves_its_teacher() -> None:
    teacher = mlp()
    loss = DistillationLoss(teacher, "mse_logits")
    system = CandidateSystem(mlp(), loss=loss)
    assert system.loss is loss and "loss" not in system.hparams
    assert "teacher" not in dict(system.named_modules())  # not trained, not checkpointed
    assert isinstance(CandidateSystem(mlp()).loss, LabelLoss)
    assert loss.to(torch.device("meta")) is loss
    assert all(p.device.type == "meta" for p in teacher.parameters())
