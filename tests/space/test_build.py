"""Building architectures: logits heads, lengths, parameter names and counts, errors."""

from __future__ import annotations

import pytest
import torch

from torchsearch import Architecture
from torchsearch import ConfigError
from torchsearch import TensorSpec
from torchsearch import UnknownBlockError
from torchsearch import build_model
from torchsearch import increase_structure_depth

PRF = "PLATE_REDUCTION_FLATTEN"
N, T, F, C = 4, 6, 5, 3


def _params(model: torch.nn.Module) -> dict[str, torch.Size]:
    return {k: v.shape for k, v in model.state_dict().items()}


def test_dnn_head_and_parameter_count() -> None:
    model = build_model(
        Architecture.single(["FIXED_OUTPUT_FULLY_CONNECTED_128"]), TensorSpec.flat(10), C, "dnn"
    )
    assert model(torch.randn(N, 10)).shape == (N, C)
    # 10*128 + 128 weights and biases, then the 128*3 + 3 logits layer.
    assert model.num_parameters == 10 * 128 + 128 + 128 * C + C


def test_empty_dnn_tower_is_a_linear_model() -> None:
    model = build_model(Architecture.single([]), TensorSpec.flat(10), C, "dnn")
    assert model.num_parameters == 10 * C + C
    assert list(_params(model)) == ["towers.0.logits.weight", "towers.0.logits.bias"]


def test_cnn_head() -> None:
    arch = Architecture.single(
        ["CONVOLUTION_3X3", "DOWNSAMPLE_CONVOLUTION_3X3", PRF, "FULLY_CONNECTED"]
    )
    model = build_model(arch, TensorSpec.image(3, 8, 8), C, "cnn")
    assert model(torch.randn(N, 3, 8, 8)).shape == (N, C)
    summary = model.summary()
    assert [row.key for row in summary] == [
        "0_CONVOLUTION_3X3",
        "1_DOWNSAMPLE_CONVOLUTION_3X3",
        f"f0_{PRF}",
        "f1_FULLY_CONNECTED",
    ]
    assert summary[1].output == TensorSpec.image(6, 4, 4)
    assert summary[2].output == TensorSpec.flat(6)


def test_rnn_all_gives_logits_per_step() -> None:
    model = build_model(Architecture.single(["LSTM_128"]), TensorSpec.sequence(F), C, "rnn_all")
    assert model(torch.randn(N, T, F)).shape == (N, T, C)


def test_rnn_last_reads_the_last_valid_step() -> None:
    torch.manual_seed(0)
    model = build_model(
        Architecture.single(["LSTM_128"]), TensorSpec.sequence(F), C, "rnn_last"
    ).eval()
    x = torch.randn(N, T, F)
    lengths = torch.tensor([6, 4, 2, 1])
    out = model(x, lengths)
    assert out.shape == (N, C)
    noisy = x.clone()
    for n, length in enumerate(lengths.tolist()):
        noisy[n, length:] = 100.0  # padding must not matter (the rnn_last fix)
    torch.testing.assert_close(model(noisy, lengths), out)
    # Each row equals the model run on the unpadded sequence alone.
    for n, length in enumerate(lengths.tolist()):
        alone = model(x[n : n + 1, :length])
        torch.testing.assert_close(alone[0], out[n], rtol=1e-5, atol=1e-5)


def test_same_block_same_position_same_names() -> None:
    a = build_model(
        Architecture.single(["FULLY_CONNECTED", "IDENTITY"]), TensorSpec.flat(8), C, "dnn"
    )
    b = build_model(
        Architecture.single(["FULLY_CONNECTED", "LOWRANK_2"]), TensorSpec.flat(8), C, "dnn"
    )
    shared = set(_params(a)) & set(_params(b))
    assert {"towers.0.0_FULLY_CONNECTED.linear.weight", "towers.0.logits.weight"} <= shared
    assert not any("1_" in name for name in shared)


@pytest.mark.parametrize(
    ("problem", "spec", "tower", "new_block"),
    [
        (
            "dnn",
            TensorSpec.flat(8),
            ["FULLY_CONNECTED", "BOTTLENECK_32"],
            "FULLY_CONNECTED_PYRAMID",
        ),
        ("rnn_last", TensorSpec.sequence(F), ["LSTM_128", "RNN_CELL_64"], "CONV1D_128_3"),
        (
            "cnn",
            TensorSpec.image(3, 8, 8),
            ["CONVOLUTION_3X3", PRF, "FULLY_CONNECTED"],
            "RESNET_3X3",
        ),
        (
            "cnn",
            TensorSpec.image(3, 8, 8),
            ["CONVOLUTION_3X3", PRF, "FULLY_CONNECTED"],
            "FULLY_CONNECTED",
        ),
    ],
)
def test_growth_never_renames_existing_blocks(problem, spec, tower, new_block) -> None:
    grown = increase_structure_depth(tower, new_block, problem)
    before = _params(build_model(Architecture.single(tower), spec, C, problem))
    after = _params(build_model(Architecture.single(grown), spec, C, problem))
    blocks_before = {k for k in before if ".logits." not in k}
    assert blocks_before <= set(after)
    assert all(after[k] == before[k] for k in blocks_before)


def test_dropout_applies_only_in_training() -> None:
    torch.manual_seed(0)
    arch = Architecture.single(["FULLY_CONNECTED", "FULLY_CONNECTED"], dropout_rate=0.5)
    model = build_model(arch, TensorSpec.flat(8), C, "dnn")
    x = torch.randn(N, 8)
    model.train()
    assert not torch.equal(model(x), model(x))
    model.eval()
    assert torch.equal(model(x), model(x))


def test_tunable_block_reads_its_prefixed_hparams() -> None:
    arch = Architecture.single(["TUNABLE_SVDF"], TUNABLE_SVDF_output_size=60)
    model = build_model(arch, TensorSpec.sequence(F, T), C, "rnn_all")
    assert model.summary()[0].output.features == 60
    assert model(torch.randn(N, T, F)).shape == (N, T, C)


def test_several_towers_average_their_logits() -> None:
    torch.manual_seed(0)
    arch = Architecture((("FULLY_CONNECTED",), ("IDENTITY",)))
    model = build_model(arch, TensorSpec.flat(8), C, "dnn").eval()
    x = torch.randn(N, 8)
    expected = (model.towers[0](x) + model.towers[1](x)) / 2
    torch.testing.assert_close(model(x), expected)
    assert "towers.1.logits.weight" in model.state_dict()


@pytest.mark.parametrize(
    ("arch", "spec", "problem", "match"),
    [
        (
            ["LSTM_128"],
            TensorSpec.flat(8),
            "dnn",
            "LSTM_128 at position 0 of tower 0 takes sequence",
        ),
        (
            ["FULLY_CONNECTED", "CONVOLUTION_3X3"],
            TensorSpec.image(3, 8, 8),
            "cnn",
            "not in CNN order",
        ),
        (["FULLY_CONNECTED"], TensorSpec.flat(8), "rnn_all", "predicts a label per step"),
        (["LSTM_128"], TensorSpec.sequence(F), "dnn", "use rnn_last"),
    ],
)
def test_unbuildable_architectures_are_config_errors(arch, spec, problem, match) -> None:
    with pytest.raises(ConfigError, match=match):
        build_model(Architecture.single(arch), spec, C, problem)


def test_unknown_block_fails_before_building() -> None:
    with pytest.raises(UnknownBlockError, match="FULLY_CONNECTED"):
        build_model(Architecture.single(["FULLY_CONECTED"]), TensorSpec.flat(8), C, "dnn")
