"""Every block of the plugin: shapes, gradients, masking, positions, tuning and training.

Blocks are created through ``torchsearch.create_block`` (the installed entry points), so
these tests see exactly what a search would.
"""

from __future__ import annotations

import pickle

import pytest
import torch
import torchsearch
from torch import nn
from torchsearch import Architecture
from torchsearch import InputKind
from torchsearch import TensorSpec

import torchsearch_transformer

NAMES = sorted(torchsearch_transformer.BLOCK_VARIANTS)
ATTENTION = [n for n in NAMES if torchsearch.create_block(n).uses_lengths]
SPECS = {
    "seq": TensorSpec.sequence(5, 7),
    "seq_var": TensorSpec.sequence(5),
    "seq_odd": TensorSpec.sequence(3),
    "flat": TensorSpec.flat(6),
}
STEPS = 7
LENGTHS = torch.tensor([7, 4, 1, 0])


def _cases() -> list[tuple[str, str]]:
    return [
        (name, key)
        for name in NAMES
        for key, spec in SPECS.items()
        if spec.kind in torchsearch.create_block(name).input_kinds
    ]


def _run(block: torchsearch.Block, module: nn.Module, x: torch.Tensor, lengths=None):
    return module(x, lengths) if block.uses_lengths else module(x)


def _batch(spec: TensorSpec) -> torch.Tensor:
    steps = () if spec.kind is InputKind.FLAT else (spec.steps or STEPS,)
    return torch.randn(len(LENGTHS), *steps, spec.features)


@pytest.mark.parametrize(("name", "key"), _cases())
def test_block_builds_runs_and_backpropagates(name: str, key: str) -> None:
    torch.manual_seed(0)
    spec = SPECS[key]
    block = torchsearch.create_block(name)
    module, output = block.build(spec)
    x = _batch(spec).requires_grad_()
    lengths = LENGTHS if spec.kind is InputKind.SEQUENCE else None
    y = _run(block, module, x, lengths)
    declared = (len(LENGTHS), *(STEPS if d is None else d for d in output.shape))
    assert tuple(y.shape) == declared
    assert output.kind is spec.kind
    if spec.kind is InputKind.SEQUENCE:
        assert output.steps == spec.steps
    assert torch.isfinite(y).all()
    y.square().mean().backward()
    assert torch.isfinite(x.grad).all()
    assert all(p.grad is not None for p in module.parameters())


@pytest.mark.parametrize("name", NAMES)
def test_blocks_are_picklable_settings(name: str) -> None:
    block = torchsearch.create_block(name)
    assert repr(pickle.loads(pickle.dumps(block))) == repr(block)
    assert not block.accepts(TensorSpec.image(1, 4, 4))


@pytest.mark.parametrize("train", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("name", ATTENTION)
def test_padded_steps_do_not_reach_valid_steps(name: str, train: bool) -> None:
    torch.manual_seed(0)
    module, _ = torchsearch.create_block(name).build(SPECS["seq_var"])
    module.train(train)
    x = _batch(SPECS["seq_var"])
    padded = torch.arange(STEPS) >= LENGTHS.unsqueeze(1)
    noisy = torch.where(padded.unsqueeze(-1), 100 * torch.randn_like(x), x)
    with torch.no_grad():
        a, b = module(x, LENGTHS), module(noisy, LENGTHS)
    valid = ~padded
    torch.testing.assert_close(a[valid], b[valid])
    assert (a[padded] == 0).all() and (b[padded] == 0).all()
    assert torch.isfinite(a).all()


@pytest.mark.parametrize("name", ATTENTION)
def test_attention_is_permutation_equivariant_over_steps(name: str) -> None:
    """Why the attention blocks declare ``is_input_order_important = False``."""
    torch.manual_seed(0)
    block = torchsearch.create_block(name)
    module, _ = block.build(SPECS["seq"])
    x, order = _batch(SPECS["seq"]), torch.randperm(STEPS)
    torch.testing.assert_close(module(x[:, order], None), module(x, None)[:, order])
    assert block.is_input_order_important is False


def test_flat_inputs_are_feature_tokens_mean_pooled() -> None:
    torch.manual_seed(0)
    block = torchsearch.create_block("TRANSFORMER_ENCODER_32")
    module, output = block.build(TensorSpec.flat(6))
    assert output == TensorSpec.flat(32)
    assert module.tokenize.weight.shape == (6, 32)
    x = torch.randn(4, 6)
    # Features are told apart by their own embeddings: swapping two changes the output.
    assert not torch.allclose(module(x, None), module(x[:, [1, 0, 2, 3, 4, 5]], None))
    # lengths mean nothing for a flat vector and are ignored.
    torch.testing.assert_close(module(x, None), module(x, torch.tensor([1, 1, 1, 1])))


def test_sequence_projection_only_when_widths_differ() -> None:
    block = torchsearch.create_block("SELF_ATTENTION_32")
    assert isinstance(block.build(TensorSpec.sequence(32)).module.project, nn.Identity)
    assert isinstance(block.build(TensorSpec.sequence(8)).module.project, nn.Linear)


@pytest.mark.parametrize("features", [1, 3, 4, 7])
def test_sinusoidal_encoding_values(features: int) -> None:
    module, output = torchsearch.create_block("POSITIONAL_ENCODING").build(
        TensorSpec.sequence(features)
    )
    assert output == TensorSpec.sequence(features)
    assert not list(module.parameters())
    table = module(torch.zeros(2, 9, features))[0]
    expected_first = torch.tensor([0.0, 1.0] * features)[:features]  # sin 0, cos 0, ...
    torch.testing.assert_close(table[0], expected_first)
    torch.testing.assert_close(table[3, 0], torch.sin(torch.tensor(3.0)))
    torch.testing.assert_close(table, torchsearch_transformer.sinusoidal_table(9, features))
    assert module(torch.zeros(1, 500, features)).shape == (1, 500, features)


@pytest.mark.parametrize("name", ["POSITIONAL_ENCODING", "LEARNED_POSITIONAL_ENCODING_64"])
def test_positional_encodings_read_order(name: str) -> None:
    torch.manual_seed(0)
    block = torchsearch.create_block(name)
    assert block.is_input_order_important is True
    assert block.input_kinds == frozenset({InputKind.SEQUENCE})
    module, _ = block.build(TensorSpec.sequence(4))
    if name.startswith("LEARNED"):
        nn.init.normal_(module.table)
    x = torch.randn(2, 5, 4)
    order = torch.tensor([4, 3, 2, 1, 0])
    assert not torch.allclose(module(x[:, order]), module(x)[:, order])


def test_learned_encoding_rejects_sequences_beyond_its_table() -> None:
    block = torchsearch.create_block("LEARNED_POSITIONAL_ENCODING_64")
    assert block.accepts(TensorSpec.sequence(4, 64))
    assert block.accepts(TensorSpec.sequence(4))
    assert not block.accepts(TensorSpec.sequence(4, 65))
    with pytest.raises(torchsearch.ConfigError, match="at most 64 steps"):
        block.build(TensorSpec.sequence(4, 65))
    # build_model asks accepts() first; its message names the block but cannot say why.
    with pytest.raises(torchsearch.ConfigError, match="LEARNED_POSITIONAL_ENCODING_64"):
        torchsearch.build_model(
            Architecture.single(["LEARNED_POSITIONAL_ENCODING_64"]),
            TensorSpec.sequence(4, 65),
            2,
            "rnn_last",
        )
    module, _ = block.build(TensorSpec.sequence(4))
    assert module(torch.zeros(1, 64, 4)).shape == (1, 64, 4)
    with pytest.raises(torchsearch_transformer.SequenceTooLongError, match="65 steps"):
        module(torch.zeros(1, 65, 4))
    assert issubclass(torchsearch_transformer.SequenceTooLongError, torchsearch.TorchSearchError)


def test_invalid_settings_are_config_errors() -> None:
    with pytest.raises(torchsearch.ConfigError, match="heads dividing d_model"):
        torchsearch.create_block("TRANSFORMER_ENCODER_32", heads=3)
    block = torchsearch.create_block("TRANSFORMER_ENCODER_32", heads=2, ff_multiplier=1)
    layer = block.build(TensorSpec.sequence(32)).module.mixer
    assert layer.self_attn.num_heads == 2 and layer.linear1.out_features == 32


def test_tunable_encoder_honours_hyperparameters() -> None:
    block = torchsearch.create_block("TUNABLE_TRANSFORMER_ENCODER")
    assert set(block.hyperparameters()) == {"d_model", "heads", "ff_multiplier"}
    module, output = block.build(TensorSpec.sequence(5), {"d_model": 128, "heads": 8})
    assert output == TensorSpec.sequence(128)
    assert module.mixer.self_attn.num_heads == 8
    assert module.mixer.linear1.out_features == 2 * 128  # ff_multiplier default
    with pytest.raises(torchsearch.ConfigError, match="no hyperparameter 'width'"):
        block.build(TensorSpec.sequence(5), {"width": 32})
    with pytest.raises(torchsearch.ConfigError):
        block.build(TensorSpec.sequence(5), {"d_model": 32, "heads": 3})
    arch = Architecture.single(
        ["TUNABLE_TRANSFORMER_ENCODER"],
        TUNABLE_TRANSFORMER_ENCODER_d_model=32,
        TUNABLE_TRANSFORMER_ENCODER_ff_multiplier=3,
    )
    model = torchsearch.build_model(arch, TensorSpec.flat(6), 3, "dnn")
    assert model.summary()[0].output == TensorSpec.flat(32)
    assert model(torch.randn(2, 6)).shape == (2, 3)


def _train(model: nn.Module, x: torch.Tensor, y: torch.Tensor, lengths=None) -> list[float]:
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(25):
        loss = nn.functional.cross_entropy(model(x, lengths), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def test_sequence_model_trains() -> None:
    """rnn_last reads the last valid step, so attention must gather the whole sequence."""
    torch.manual_seed(0)
    x, lengths = torch.randn(64, 10, 3), torch.randint(2, 11, (64,))
    valid = torch.arange(10) < lengths.unsqueeze(1)
    y = ((x[..., 0] * valid).sum(1) > 0).long()
    arch = Architecture.single(["POSITIONAL_ENCODING", "TRANSFORMER_ENCODER_32"])
    model = torchsearch.build_model(arch, torchsearch.TensorSpec.sequence(3), 2, "rnn_last")
    losses = _train(model, x, y, lengths)
    assert losses[-1] < 0.6 * losses[0]


def test_flat_model_trains() -> None:
    torch.manual_seed(0)
    x = torch.randn(64, 6)
    y = (x[:, 0] > x[:, 1]).long()
    arch = Architecture.single(["SELF_ATTENTION_32", "TRANSFORMER_ENCODER_32"])
    model = torchsearch.build_model(arch, TensorSpec.flat(6), 2, "dnn")
    assert [row.output for row in model.summary()] == [TensorSpec.flat(32)] * 2
    losses = _train(model, x, y)
    assert losses[-1] < 0.6 * losses[0]


def test_sequence_blocks_stack_in_a_per_step_model() -> None:
    torch.manual_seed(0)
    arch = Architecture.single(
        ["LEARNED_POSITIONAL_ENCODING_64", "SELF_ATTENTION_64", "TRANSFORMER_ENCODER_64"]
    )
    model = torchsearch.build_model(arch, TensorSpec.sequence(5), 3, "rnn_all")
    names = list(model.state_dict())
    assert any(".1_SELF_ATTENTION_64.project." in n for n in names)
    assert not any(".2_TRANSFORMER_ENCODER_64.project." in n for n in names)  # 64 in, 64 out
    out = model(torch.randn(4, STEPS, 5), LENGTHS)
    assert out.shape == (4, STEPS, 3)
