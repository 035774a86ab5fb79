"""Model Search's sequence blocks: RNN, Conv1D, LSTM, BiLSTM and SVDF.

The shape table is that of Model Search's block_test.py; the SVDF numbers are the golden
values of svdf_conv_test.py and svdf_cell_test.py, reproduced with the same weights; the
deliberate fixes (BiLSTM alignment) and the handling of ``lengths`` are checked as
behaviour (docs/model_search.md, "Deliberate differences").
"""

from __future__ import annotations

import math
import pickle
import re

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from torchsearch._errors import ConfigError
from torchsearch.blocks import _recurrent
from torchsearch.blocks import _svdf
from torchsearch.blocks._contract import Block
from torchsearch.blocks._contract import BlockVariant
from torchsearch.blocks._contract import InputKind
from torchsearch.blocks._contract import IntRange
from torchsearch.blocks._contract import TensorSpec
from torchsearch.blocks._recurrent import BI_LSTM_128
from torchsearch.blocks._recurrent import CONV1D_128_3
from torchsearch.blocks._recurrent import LSTM_128
from torchsearch.blocks._recurrent import RECURRENT_DENSE_64
from torchsearch.blocks._recurrent import SKIP_BI_LSTM_128
from torchsearch.blocks._recurrent import SKIP_CONV1D_128_5
from torchsearch.blocks._recurrent import SKIP_LSTM_128
from torchsearch.blocks._recurrent import SKIP_RNN_CELL_64
from torchsearch.blocks._recurrent import BidirectionalLstm
from torchsearch.blocks._recurrent import Conv1D
from torchsearch.blocks._recurrent import Lstm
from torchsearch.blocks._recurrent import SimpleRnn
from torchsearch.blocks._svdf import SVDF_CELL_32_32_1_2
from torchsearch.blocks._svdf import SVDF_CELL_64_4_1
from torchsearch.blocks._svdf import SVDF_CONV_32_32_1
from torchsearch.blocks._svdf import SVDF_CONV_64_4_1_64
from torchsearch.blocks._svdf import TUNABLE_SVDF
from torchsearch.blocks._svdf import Svdf
from torchsearch.blocks._svdf import SvdfCell
from torchsearch.blocks._svdf import SvdfConv
from torchsearch.blocks._svdf import SvdfFashion
from torchsearch.blocks._svdf import TunableSvdf

RECURRENT_NAMES = (
    {f"{p}RNN_CELL_{n}" for p in ("", "SKIP_") for n in (64, 128, 256, 512, 1024)}
    | {f"RECURRENT_DENSE_{n}" for n in (64, 128, 256, 512, 1024)}
    | {f"{p}CONV1D_128_{k}" for p in ("", "SKIP_") for k in (3, 5)}
    | {
        f"{p}{b}LSTM_{n}"
        for p in ("", "SKIP_")
        for b in ("", "BI_")
        for n in (128, 256, 512, 1024)
    }
)
SVDF_NAMES = (
    {f"SVDF_CELL_{u}_{m}_1" for u in (64, 128, 256, 512, 1024) for m in (4, 8, 16)}
    | {f"SVDF_CONV_{u}_{m}_1_64" for u in (64, 128, 256, 512, 1024) for m in (4, 8, 16)}
    | {f"SVDF_{f}_576_8_1_{p}" for f in ("CELL", "CONV") for p in (64, 16, 7)}
    | {f"SVDF_{f}_32_32_1{p}" for f in ("CELL", "CONV") for p in ("", "_2")}
    | {"TUNABLE_SVDF"}
)


def _variants(module: object) -> dict[str, BlockVariant]:
    return {k: v for k, v in vars(module).items() if isinstance(v, BlockVariant)}


VARIANTS = {**_variants(_recurrent), **_variants(_svdf)}
ALL = sorted(VARIANTS)


def _small(name: str, **overrides: object) -> Block:
    """The block of ``name`` with its width cut to 8, to keep CPU tests fast."""
    settings = VARIANTS[name].settings
    small = {"output_size": 8} if "output_size" in settings else {}
    return VARIANTS[name](**{**small, **overrides})


def _run(block: Block, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
    module, _ = block.build(TensorSpec.sequence(x.shape[-1]))
    return module(x, lengths)


# --------------------------------------------------------------------------- the catalogue


def test_lookup_names_are_model_searchs() -> None:
    assert set(_variants(_recurrent)) == RECURRENT_NAMES
    assert set(_variants(_svdf)) == SVDF_NAMES
    assert len(RECURRENT_NAMES) + len(SVDF_NAMES) == 35 + 41


@pytest.mark.parametrize("module", [_recurrent, _svdf], ids=["recurrent", "svdf"])
def test_all_lists_classes_only(module: object) -> None:
    exported = [getattr(module, name) for name in module.__all__]  # type: ignore[attr-defined]
    assert all(isinstance(value, type) for value in exported)
    assert {v.block_class for v in _variants(module).values()} <= set(exported)


def _expected_settings(name: str) -> tuple[type, dict[str, object]]:
    """The original's registration of ``name``, read off the name."""
    if name == "TUNABLE_SVDF":
        return TunableSvdf, {}
    if match := re.fullmatch(r"SVDF_(CELL|CONV)_(\d+)_(\d+)_(\d+)(?:_(\d+))?", name):
        fashion = SvdfFashion.RNN_CELL if match[1] == "CELL" else SvdfFashion.CONV
        sizes = [int(match[i]) for i in (2, 3, 4)] + [int(match[5] or 0)]
        keys = ("output_size", "memory_size", "rank", "projection_size")
        return Svdf, {**dict(zip(keys, sizes, strict=True)), "fashion": fashion}
    if match := re.fullmatch(r"(SKIP_)?CONV1D_(\d+)_(\d+)", name):
        settings = {"output_size": int(match[2]), "kernel_size": int(match[3])}
        return Conv1D, {**settings, "skip": bool(match[1]), "activation": None}
    if match := re.fullmatch(r"RECURRENT_DENSE_(\d+)", name):
        return Conv1D, {"output_size": int(match[1]), "kernel_size": 1, "skip": False}
    match = re.fullmatch(r"(SKIP_)?(RNN_CELL|LSTM|BI_LSTM)_(\d+)", name)
    assert match, name
    block_class = {"RNN_CELL": SimpleRnn, "LSTM": Lstm, "BI_LSTM": BidirectionalLstm}[match[2]]
    return block_class, {"output_size": int(match[3]), "skip": bool(match[1])}


@pytest.mark.parametrize("name", ALL)
def test_registered_settings_match_model_search(name: str) -> None:
    block = VARIANTS[name]()
    block_class, settings = _expected_settings(name)
    assert type(block) is block_class
    assert {k: getattr(block, k) for k in settings} == settings


@pytest.mark.parametrize("name", ALL)
def test_flags_match_model_search(name: str) -> None:
    block = VARIANTS[name]()
    assert block.is_input_order_important is True
    assert block.is_flatten is False
    assert block.uses_lengths is True
    assert block.input_kinds == {InputKind.SEQUENCE}
    assert bool(block.hyperparameters()) is (name == "TUNABLE_SVDF")


# --------------------------------------------------------------------------- shapes


# block_test.py's rows for these blocks, all on a (2, 10, 10) input.
SHAPE_TABLE = [
    ("rnn_block1", SimpleRnn(), 100),
    ("rnn_block1_skip", SimpleRnn(skip=True), 100),
    ("rnn_block2", SimpleRnn(output_size=200), 200),
    ("rnn_block2_skip", SimpleRnn(output_size=200, skip=True), 200),
    ("recurrent_dense_block1", Conv1D(), 50),
    ("recurrent_dense_block2", Conv1D(output_size=200), 200),
    ("recurrent_dense_block_kernel_2", Conv1D(output_size=200, kernel_size=2), 200),
    ("recurrent_dense_kernel_2_skip", Conv1D(output_size=200, kernel_size=2, skip=True), 200),
    ("svdf_block1", Svdf(), 100),
    ("svdf_block2", Svdf(output_size=200), 200),
    ("svdf_block_conv_layer", Svdf(output_size=200, fashion=SvdfFashion.CONV), 200),
    ("svdf_block_with_projection", Svdf(output_size=200, projection_size=64), 64),
    ("svdf_conv_with_projection", Svdf(output_size=199, projection_size=32, fashion="conv"), 32),
    ("lstm_block1", Lstm(), 100),
    ("lstm_block1_skip", Lstm(skip=True), 100),
    ("lstm_block2", Lstm(output_size=200), 200),
    ("lstm_block2_skip", Lstm(output_size=200, skip=True), 200),
    ("bi_lstm_block1", BidirectionalLstm(), 200),
    ("bi_lstm_block1_skip", BidirectionalLstm(skip=True), 200),
    ("bi_lstm_block2", BidirectionalLstm(output_size=200), 400),
    ("bi_lstm_block2_skip", BidirectionalLstm(output_size=200, skip=True), 400),
]


@pytest.mark.parametrize(
    ("block", "width"), [row[1:] for row in SHAPE_TABLE], ids=[row[0] for row in SHAPE_TABLE]
)
@pytest.mark.parametrize("steps", [10, None])
def test_model_search_shape_table(block: Block, width: int, steps: int | None) -> None:
    module, output = block.build(TensorSpec.sequence(10, steps))
    y = module(torch.randn(2, 10, 10), None)
    assert tuple(y.shape) == (2, 10, width)
    assert output == TensorSpec.sequence(width, steps)


def test_tunable_svdf_shape_row() -> None:
    # block_test.py passes output_size=10, below the declared range [50, 100] that this
    # port enforces (Block.resolve_hparams), so the row uses 50; the output width comes
    # from projection_size either way.
    hparams = {"output_size": 50, "rank": 1, "memory_size": 4, "projection_size": 34}
    module, output = TUNABLE_SVDF().build(TensorSpec.sequence(10, 10), hparams)
    assert tuple(module(torch.randn(2, 10, 10), None).shape) == (2, 10, 34)
    assert output == TensorSpec.sequence(34, 10)
    with pytest.raises(ConfigError, match="output_size"):
        TUNABLE_SVDF().build(TensorSpec.sequence(10, 10), {**hparams, "output_size": 10})


@pytest.mark.parametrize("name", ALL)
def test_forward_and_backward_with_lengths(name: str) -> None:
    # Also checks the declared output against the module, with T known and unknown.
    torch.manual_seed(0)
    block = _small(name)
    for spec in (TensorSpec.sequence(5, 7), TensorSpec.sequence(5)):
        module, output = block.build(spec)
        x = torch.randn(3, 7, 5, requires_grad=True)
        y = module(x, torch.tensor([7, 5, 2]))
        assert tuple(y.shape) == (3, 7, output.features) and output.steps == spec.steps
    y.pow(2).mean().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    assert all(p.grad is not None for p in module.parameters()), name


# --------------------------------------------------------------------------- lengths


LENGTH_CASES = [
    "RNN_CELL_64", "SKIP_RNN_CELL_64", "LSTM_128", "SKIP_LSTM_128", "BI_LSTM_128",
    "SKIP_BI_LSTM_128", "RECURRENT_DENSE_64", "CONV1D_128_3", "SKIP_CONV1D_128_5",
    "SVDF_CELL_64_4_1", "SVDF_CELL_32_32_1_2", "SVDF_CONV_64_4_1_64", "TUNABLE_SVDF",
]  # fmt: skip


@pytest.mark.parametrize("name", LENGTH_CASES)
def test_padded_steps_change_nothing_and_read_zero(name: str) -> None:
    torch.manual_seed(0)
    module, _ = _small(name).build(TensorSpec.sequence(5))
    lengths = torch.tensor([7, 4, 1, 0])
    valid = torch.arange(7)[None, :, None] < lengths[:, None, None]
    x = torch.randn(4, 7, 5)
    noisy = torch.where(valid, x, 100 * torch.randn(4, 7, 5))
    y = module(x, lengths)
    assert torch.allclose(module(noisy, lengths), y, atol=1e-5)
    assert torch.equal(y * ~valid, torch.zeros_like(y))
    for i, length in enumerate(lengths.tolist()):
        if length:  # An example alone, cut to its length, gives the same valid steps.
            alone = module(x[i : i + 1, :length], None)
            assert torch.allclose(y[i : i + 1, :length], alone, atol=1e-5), (name, i)
    assert torch.allclose(module(x, torch.full((4,), 7)), module(x, None), atol=1e-6)


# --------------------------------------------------------------------------- recurrent layers


def _mirror_directions(lstm: nn.LSTM) -> None:
    """Gives the backward direction the forward direction's weights."""
    with torch.no_grad():
        for name, parameter in lstm.named_parameters():
            if name.endswith("_reverse"):
                parameter.copy_(getattr(lstm, name.removesuffix("_reverse")))


def test_bilstm_halves_are_aligned_in_time() -> None:
    # The original leaves the backward half reversed. Here, with equal weights in both
    # directions, reversing each sequence swaps the two halves step for step; with the
    # original's layout the halves would also be mirrored in time.
    torch.manual_seed(0)
    module, _ = BI_LSTM_128(output_size=6).build(TensorSpec.sequence(4))
    _mirror_directions(module.lstm)
    x = torch.randn(3, 7, 4)
    lengths = torch.tensor([7, 5, 3])
    flipped = torch.zeros_like(x)
    for i, length in enumerate(lengths.tolist()):
        flipped[i, :length] = x[i, :length].flip(0)
    y, y_flipped = module(x, lengths), module(flipped, lengths)
    for i, length in enumerate(lengths.tolist()):
        forward, backward = y[i, :length, :6], y[i, :length, 6:]
        assert torch.allclose(forward, y_flipped[i, :length, 6:].flip(0), atol=1e-6)
        assert torch.allclose(backward, y_flipped[i, :length, :6].flip(0), atol=1e-6)


def test_bilstm_backward_half_starts_at_the_last_valid_step() -> None:
    torch.manual_seed(0)
    module, _ = BI_LSTM_128(output_size=6).build(TensorSpec.sequence(4))
    x = torch.randn(2, 5, 4)
    y = module(x, torch.tensor([5, 3]))
    for i, last in ((0, 4), (1, 2)):  # The backward state there has read that step only.
        alone = module(x[i : i + 1, last : last + 1], None)
        assert torch.allclose(y[i, last, 6:], alone[0, 0, 6:], atol=1e-6)


@pytest.mark.parametrize(
    ("variant", "layer"), [(SKIP_RNN_CELL_64, "rnn"), (SKIP_LSTM_128, "lstm")]
)
def test_skip_projects_the_input_only_when_widths_differ(
    variant: BlockVariant, layer: str
) -> None:
    x = torch.randn(2, 5, 6)
    same, _ = variant(output_size=6).build(TensorSpec.sequence(6))
    assert same.projection is None
    assert torch.allclose(same(x, None), getattr(same, layer)(x)[0] + x)
    wider, _ = variant(output_size=9).build(TensorSpec.sequence(6))
    assert wider.projection.out_features == 9
    assert torch.allclose(wider(x, None), getattr(wider, layer)(x)[0] + wider.projection(x))


def test_bilstm_skip_projects_to_both_halves() -> None:
    module, output = SKIP_BI_LSTM_128(output_size=3).build(TensorSpec.sequence(6))
    x = torch.randn(2, 5, 6)
    assert output.features == 6 and module.projection is None  # 2 * 3 == 6.
    assert torch.allclose(module(x, None), module.lstm(x)[0] + x)


def test_recurrent_initial_values_follow_keras() -> None:
    module, _ = LSTM_128(output_size=5).build(TensorSpec.sequence(3))
    lstm = module.lstm
    forget = torch.zeros(20)
    forget[5:10] = 1  # unit_forget_bias: gates i, f, g, o.
    assert torch.equal(lstm.bias_ih_l0, forget) and torch.equal(lstm.bias_hh_l0, torch.zeros(20))
    w = lstm.weight_hh_l0.detach()
    assert torch.allclose(w.T @ w, torch.eye(5), atol=1e-5)  # Orthogonal.
    assert lstm.weight_ih_l0.abs().max() <= math.sqrt(6 / (3 + 20))  # Glorot on (3, 4 * 5).


# --------------------------------------------------------------------------- Conv1D


def test_recurrent_dense_is_linear_as_in_the_original() -> None:
    # As in the original, kernel 1 gets no ReLU; kept (see Conv1D's docstring).
    module, _ = RECURRENT_DENSE_64(output_size=4).build(TensorSpec.sequence(3))
    x = torch.randn(2, 5, 3)
    expected = x @ module.conv.weight[:, :, 0].T + module.conv.bias
    assert torch.allclose(module(x, None), expected, atol=1e-6)
    assert (module(x, None) < 0).any()
    relu, _ = RECURRENT_DENSE_64(output_size=4, activation="relu").build(TensorSpec.sequence(3))
    assert relu.relu and (relu(x, None) >= 0).all()


def test_conv1d_pads_like_tensorflow_same() -> None:
    module, _ = Conv1D(output_size=1, kernel_size=2, activation="linear").build(
        TensorSpec.sequence(1)
    )
    with torch.no_grad():
        module.conv.weight.copy_(torch.tensor([[[1.0, 10.0]]]))
    y = module(torch.tensor([[[1.0], [2.0], [3.0]]]), None)
    assert torch.equal(y.flatten(), torch.tensor([21.0, 32.0, 3.0]))  # The odd cell goes after.
    dilated, _ = Conv1D(output_size=1, kernel_size=3, dilation_rate=2).build(
        TensorSpec.sequence(1)
    )
    assert dilated.padding == (2, 2)


def test_conv1d_with_kernel_above_one_applies_relu() -> None:
    module, _ = CONV1D_128_3().build(TensorSpec.sequence(3))
    assert module.relu and (module(torch.randn(2, 5, 3), None) >= 0).all()
    skip, _ = SKIP_CONV1D_128_5(output_size=3).build(TensorSpec.sequence(3))
    x = torch.randn(2, 5, 3)
    conv = F.relu(skip.conv(F.pad(x.transpose(1, 2), (2, 2))).transpose(1, 2))
    assert skip.projection is None and torch.allclose(skip(x, None), conv + x, atol=1e-6)


# --------------------------------------------------------------------------- SVDF numerics


def _set_svdf(svdf: SvdfCell | SvdfConv, feature: list, time: list, bias: list) -> None:
    """Sets weights given in the original's layouts: feature F x filters, time M x filters."""
    with torch.no_grad():
        svdf.feature.weight.copy_(torch.tensor(feature).T)
        svdf.time_weight.copy_(torch.tensor(time).T)
        svdf.bias.copy_(torch.tensor(bias))


# svdf_conv_test.py: units 4, memory 3, rank 1, linear; its weights and expected output.
CONV_FEATURE = [
    [-0.31614766, 0.37929568, 0.27584907, -0.36453721],
    [-0.35801932, 0.22514193, 0.27241215, -0.06950231],
    [0.01112892, 0.12732419, 0.38735834, -0.10957076],
    [-0.09451947, 0.15611194, 0.39319292, -0.03019224],
    [0.39612538, 0.16101542, 0.21615031, 0.30737072],
]
CONV_TIME = [
    [-0.31614769, 0.37929571, 0.27584907, -0.36453718],
    [-0.35801938, 0.22514194, 0.27241215, -0.06950228],
    [0.01112869, 0.12732419, 0.38735834, -0.10957073],
]
CONV_BIAS = [-0.00316226, 0.00316225, -0.00316227, 0.00316227]
CONV_EXPECTED = [
    [
        [-0.00300881, 0.00605831, 0.01394408, 0.00183136],
        [-0.0082326, 0.0207185, 0.06872095, 0.00307236],
        [-0.00363621, 0.05575278, 0.15371153, 0.00205239],
        [0.01348117, 0.11057685, 0.25696135, 0.01239775],
        [0.03059855, 0.16540094, 0.36021116, 0.02274311],
        [0.04771594, 0.22022502, 0.46346098, 0.03308846],
        [0.06483334, 0.27504909, 0.56671083, 0.04343383],
    ],
    [
        [-0.00501995, 0.07283279, 0.31317118, 0.01642792],
        [0.05445613, 0.20556745, 0.57838139, 0.02692774],
        [0.11618549, 0.43952131, 0.87646019, 0.07446991],
        [0.13330287, 0.49434543, 0.97971004, 0.08481527],
        [0.15042025, 0.54916948, 1.08295989, 0.09516063],
        [0.16753764, 0.60399354, 1.18620968, 0.10550598],
        [0.18465498, 0.65881759, 1.28945935, 0.11585134],
    ],
]


@pytest.mark.parametrize("layer", [SvdfConv, SvdfCell])
def test_svdf_conv_test_golden_output(layer: type[SvdfConv] | type[SvdfCell]) -> None:
    svdf = layer(5, units=4, memory_size=3, rank=1, activation="linear")
    _set_svdf(svdf, CONV_FEATURE, CONV_TIME, CONV_BIAS)
    x = torch.arange(70, dtype=torch.float32).view(2, 7, 5) / 70
    y = svdf(x) if layer is SvdfConv else svdf(x)[0]
    assert torch.allclose(y, torch.tensor(CONV_EXPECTED), atol=1e-6)


# svdf_cell_test.py: units 4, memory 10, rank 1, linear; 10 steps of a batch of 2. Its
# weights come from TensorFlow's seeded random_uniform(-0.4, 0.4) (graph seed 87654321, op
# seed 0), regenerated with the same Philox stream; both variables draw the same stream,
# so the feature filters are the first 12 values of the time filters. The golden gradients
# below pin these weights down: they only hold for exactly these values.
CELL_TIME = [
    [-0.3193099, 0.37613347, 0.27901134, -0.36137494, -0.36118156,
     0.22197971, 0.27557442, -0.06634006, 0.0079667, 0.12416199],
    [0.3905206, -0.10640851, -0.0976817, 0.15294972, 0.39635518,
     -0.02702999, 0.39296314, 0.15785322, 0.21931258, 0.31053296],
    [-0.36916667, 0.38031587, -0.21580373, 0.27072677, 0.23622236,
     0.34936687, 0.18174365, 0.3590732, -0.17493086, 0.324846],
    [-0.10781813, 0.27201805, 0.14324132, -0.2368185, -0.27115166,
     -0.01580888, -0.14943552, 0.15465137, 0.09784451, -0.0337657],
]  # fmt: skip
CELL_INPUTS = [
    [[0.12609188, -0.46347019, -0.89598465], [0.35867718, 0.36897406, 0.73463392]],
    [[0.14278367, -1.64410412, -0.75222826], [-0.57290924, 0.12729003, 0.7567004]],
    [[0.49837467, 0.19278903, 0.26584083], [0.17660543, 0.52949083, -0.77931279]],
    [[-0.11186574, 0.13164264, -0.05349274], [-0.72674477, -0.5683046, 0.55900657]],
    [[-0.68892461, 0.37783599, 0.18263303], [-0.63690937, 0.44483393, -0.71817774]],
    [[-0.81299269, -0.86831826, 1.43940818], [-0.95760226, 1.82078898, 0.71135032]],
    [[-1.45006323, -0.82251364, -1.69082689], [-1.65087092, -1.89238167, 1.54172635]],
    [[0.03966608, -0.24936394, -0.77526885], [2.06740379, -1.51439476, 1.43768692]],
    [[0.11771342, -0.23761693, -0.65898693], [0.31088525, -1.55601168, -0.87661445]],
    [[-0.89477462, 1.67204106, -0.53235275], [-0.6230064, 0.29819036, 1.06939757]],
]  # Time-major, as the original feeds them.
CELL_ACTIVATIONS = [
    [0.36726, -0.522303, -0.456502, -0.175475],
    [0.170129, -0.344477, 0.385056, -0.281581],
]
CELL_INPUT_GRAD = [0.179993, 0.115846, 0.169998]  # The same for both examples.
CELL_FEATURE_GRAD = [
    [-0.918723, -1.700028, -2.022024, 1.395944],
    [-0.667541, -0.83933, -0.461926, -0.542757],
    [0.367526, -0.330445, 1.587667, -0.107099],
]
CELL_TIME_GRAD = [
    [-0.121947, 0.685224, -0.480493, 0.429518, 0.121952,
     0.238488, 1.969541, -0.030494, 0.498736, -0.22269],
    [0.141328, -0.497931, 0.35046, -0.349594, -0.382569,
     -0.187508, -1.78753, 0.483268, -0.427602, -0.066856],
    [0.04620457, -0.53625858, 0.18684755, -0.15690115, -0.35235715,
     0.60837597, -1.67157829, 0.36053753, -0.97437823, 0.32919434],
    [-0.15174544, 0.25558627, -0.23719919, 0.27823007, 0.48153371,
     0.34780267, 1.31657171, -0.7149213, 0.12750566, 0.36063662],
]  # fmt: skip


def test_svdf_cell_test_golden_activations_and_gradients() -> None:
    cell = SvdfCell(3, units=4, memory_size=10, rank=1, activation="linear")
    time = torch.tensor(CELL_TIME)
    with torch.no_grad():
        cell.feature.weight.copy_(time.flatten()[:12].view(3, 4).T)
        cell.time_weight.copy_(time)
        cell.bias.zero_()  # The original's zeros initialiser.
    x = torch.tensor(CELL_INPUTS).transpose(0, 1).requires_grad_()  # Batch-first.
    last = cell(x)[0][:, -1]  # The test checks the last step, after 10 steps of memory.
    last.sum().backward()
    assert torch.allclose(last, torch.tensor(CELL_ACTIVATIONS), atol=1e-5)
    assert torch.allclose(x.grad[:, -1], torch.tensor([CELL_INPUT_GRAD] * 2), atol=1e-5)
    assert torch.allclose(cell.feature.weight.grad.T, torch.tensor(CELL_FEATURE_GRAD), atol=1e-5)
    assert torch.allclose(cell.time_weight.grad, torch.tensor(CELL_TIME_GRAD), atol=1e-5)
    assert torch.equal(cell.bias.grad, torch.full((4,), 2.0))


@pytest.mark.parametrize(
    ("activation", "expected"), [("linear", [1.6, -2.9, 4.6]), ("relu", [1.6, 0.0, 4.6])]
)
@pytest.mark.parametrize("layer", [SvdfConv, SvdfCell])
def test_svdf_rank_two_by_hand(
    layer: type[SvdfConv] | type[SvdfCell], activation: str, expected: list[float]
) -> None:
    # One unit of rank 2, memory 2, on x = 1, -1, 2 with feature filters a = (1, 2), time
    # filters w0 = (0.5, 1) and w1 = (-1, 0.25) (previous step, current step), bias 0.1:
    #   y_t = a0 (0.5 x_{t-1} + x_t) + a1 (-x_{t-1} + 0.25 x_t) + 0.1 = 1.6, -2.9, 4.6.
    svdf = layer(1, units=1, memory_size=2, rank=2, activation=activation)  # type: ignore[arg-type]
    _set_svdf(svdf, [[1.0, 2.0]], [[0.5, -1.0], [1.0, 0.25]], [0.1])
    x = torch.tensor([[[1.0], [-1.0], [2.0]]])
    y = svdf(x) if layer is SvdfConv else svdf(x)[0]
    assert torch.allclose(y.flatten(), torch.tensor(expected), atol=1e-6)


def test_svdf_filters_of_a_unit_are_adjacent() -> None:
    # Filter u * rank + r belongs to unit u, in both layouts of the original.
    svdf = SvdfConv(1, units=2, memory_size=1, rank=2, activation="linear")
    with torch.no_grad():
        svdf.feature.weight.fill_(1.0)
        svdf.time_weight.copy_(torch.tensor([[0.0], [0.0], [3.0], [0.0]]))
    assert torch.equal(svdf(torch.ones(1, 1, 1)).flatten(), torch.tensor([0.0, 3.0]))


def test_svdf_cell_and_conv_agree_and_the_cell_streams() -> None:
    torch.manual_seed(0)
    cell = SvdfCell(3, units=4, memory_size=3, rank=2)
    conv = SvdfConv(3, units=4, memory_size=3, rank=2)
    conv.load_state_dict(cell.state_dict())
    x = torch.randn(2, 6, 3)
    y, state = cell(x, torch.tensor([6, 4]))
    assert torch.allclose(y[0], conv(x)[0], atol=1e-6)
    assert torch.allclose(y[1, :4], conv(x[1:, :4])[0], atol=1e-6)
    streamed, memory = [], cell.initial_state(2)
    for t in range(6):
        out, memory = cell.step(x[:, t], memory)
        streamed.append(out)
        if t == 3:  # The second example stops at length 4.
            assert torch.allclose(state[1], memory[1])
    assert torch.allclose(y[0], torch.stack(streamed, 1)[0], atol=1e-6)
    assert torch.allclose(state[0], memory[0])


def test_svdf_initial_values_follow_the_original() -> None:
    conv, _ = SVDF_CONV_32_32_1().build(TensorSpec.sequence(6))
    assert isinstance(conv.svdf, SvdfConv)
    assert conv.svdf.feature.weight.abs().max() <= 0.16
    assert conv.svdf.time_weight.abs().max() <= 0.16
    cell, _ = SVDF_CELL_64_4_1().build(TensorSpec.sequence(6))
    assert isinstance(cell.svdf, SvdfCell) and cell.projection is None
    assert cell.svdf.time_weight.abs().max() <= math.sqrt(6 / (64 + 4))  # Glorot.
    assert torch.equal(cell.svdf.bias, torch.zeros(64))


def test_svdf_projection_is_linear() -> None:
    module, output = SVDF_CELL_32_32_1_2().build(TensorSpec.sequence(6))
    x = torch.randn(2, 5, 6)
    assert output.features == 2
    assert torch.allclose(module(x, None), module.projection(module.svdf(x)[0]), atol=1e-6)
    conv, _ = SVDF_CONV_64_4_1_64().build(TensorSpec.sequence(6))
    assert conv.projection.in_features == 64 and conv.projection.out_features == 64


# --------------------------------------------------------------------------- TUNABLE_SVDF


def test_tunable_svdf_declares_the_original_search_space() -> None:
    space = TUNABLE_SVDF().hyperparameters()
    assert {name: (hp.low, hp.high) for name, hp in space.items()} == {
        "output_size": (50, 100),
        "memory_size": (4, 32),
        "rank": (1, 3),
        "projection_size": (0, 128),
    }
    assert all(isinstance(hp, IntRange) and hp.contains(hp.default) for hp in space.values())
    # block_builder_test.py: the search space holds TUNABLE_SVDF_<name> for each of them.
    prefixed = {f"TUNABLE_SVDF_{name}" for name in space}
    assert {"TUNABLE_SVDF_output_size", "TUNABLE_SVDF_memory_size"} <= prefixed
    assert {"TUNABLE_SVDF_rank", "TUNABLE_SVDF_projection_size"} <= prefixed


def test_no_tunable_block_name_is_a_prefix_of_another() -> None:
    # block_builder_test.py's test_naming_of_tunable, over every name defined here:
    # a hyperparameter prefix "<NAME>_" must not capture another block's names.
    tunable = [name for name in ALL if VARIANTS[name]().hyperparameters()]
    assert tunable == ["TUNABLE_SVDF"]
    for name in tunable:
        assert not [other for other in ALL if other != name and other.startswith(name)]


def test_tunable_svdf_honours_its_hyperparameters() -> None:
    block = TUNABLE_SVDF()
    hparams = {"output_size": 77, "memory_size": 9, "rank": 3, "projection_size": 0}
    module, output = block.build(TensorSpec.sequence(6), hparams)
    svdf = module.svdf
    assert isinstance(svdf, SvdfConv) and module.projection is None
    assert (svdf.units, svdf.memory_size, svdf.rank) == (77, 9, 3)
    assert svdf.time_weight.shape == (77 * 3, 9)
    assert output == TensorSpec.sequence(77)
    _, default = block.build(TensorSpec.sequence(6))
    assert default.features == block.hyperparameters()["output_size"].default
    with pytest.raises(ConfigError, match="hyperparameter"):
        block.build(TensorSpec.sequence(6), {"units": 3})


# --------------------------------------------------------------------------- errors, settings


def test_flat_and_image_inputs_are_refused() -> None:
    for name in ("LSTM_128", "RECURRENT_DENSE_64", "SVDF_CELL_64_4_1", "TUNABLE_SVDF"):
        block = VARIANTS[name]()
        for spec in (TensorSpec.flat(8), TensorSpec.image(3, 4, 4)):
            assert not block.accepts(spec)
            with pytest.raises(ConfigError, match="takes"):
                block.build(spec)


def test_bad_settings_raise() -> None:
    with pytest.raises(ConfigError, match="fashion"):
        Svdf(fashion="lattice")
    with pytest.raises(ConfigError, match="memory_size"):
        Svdf(memory_size=0)
    with pytest.raises(ConfigError, match="projection_size"):
        Svdf(projection_size=-1)
    with pytest.raises(ConfigError, match="activation"):
        Conv1D(activation="tanh")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="output_size"):
        Lstm(output_size=0)


def test_blocks_are_plain_reusable_settings() -> None:
    block = SVDF_CELL_64_4_1(output_size=8)
    settings = dict(vars(block))
    first, _ = block.build(TensorSpec.sequence(3))
    second, _ = block.build(TensorSpec.sequence(3))
    assert vars(block) == settings
    assert first.svdf.time_weight is not second.svdf.time_weight
    copy = pickle.loads(pickle.dumps(block))
    assert repr(copy) == repr(block)
    assert pickle.loads(pickle.dumps(TUNABLE_SVDF())).hyperparameters()
