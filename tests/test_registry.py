"""The block registry: entry-point discovery, providers, and its three failure modes."""

from __future__ import annotations

import subprocess
import sys

import pytest

import torchsearch
from torchsearch import Architecture
from torchsearch import DuplicateBlockError
from torchsearch import TensorSpec
from torchsearch import UnknownBlockError
from torchsearch import build_model
from torchsearch.blocks import Block
from torchsearch.blocks import PluginLoadWarning
from torchsearch.blocks import refresh_registry

SCALE_PLUGIN = """
import torch
from torch import nn
from torchsearch.blocks import Block, BuiltBlock, InputKind


class Scale(nn.Module):
    def __init__(self, factor):
        super().__init__()
        self.factor = nn.Parameter(torch.full((1,), float(factor)))

    def forward(self, x):
        return x * self.factor


class ScaleBlock(Block):
    input_kinds = frozenset(InputKind)
    is_input_order_important = False

    def __init__(self, factor: float = 2.0):
        self.factor = factor

    def build(self, spec, hparams=None):
        return BuiltBlock(Scale(self.factor), spec)


class NotABlock:
    pass
"""


def test_catalogue_is_installed_and_sorted() -> None:
    names = torchsearch.list_blocks()
    assert len(names) >= 130
    assert names == sorted(names)
    assert torchsearch.list_blocks("RESNET_*") == ["RESNET_3X3", "RESNET_4X4", "RESNET_5X5"]


def test_provider_names_the_distribution() -> None:
    provider = torchsearch.block_provider("LSTM_128")
    assert provider.distribution == "torchsearch"
    assert provider.target == "torchsearch.blocks._recurrent:LSTM_128"
    assert provider.version == torchsearch.__version__


def test_create_block_applies_overrides_and_drops_none() -> None:
    block = torchsearch.create_block("FIXED_OUTPUT_FULLY_CONNECTED_128", output_size=7)
    assert isinstance(block, Block)
    assert block.build(TensorSpec.flat(3)).output == TensorSpec.flat(7)
    default = torchsearch.create_block("FIXED_OUTPUT_FULLY_CONNECTED_128", output_size=None)
    assert default.build(TensorSpec.flat(3)).output == TensorSpec.flat(128)


def test_bad_override_is_a_plugin_error() -> None:
    with pytest.raises(torchsearch.PluginError, match="rejects the settings"):
        torchsearch.create_block("IDENTITY", no_such_setting=1)


@pytest.mark.parametrize(
    ("typo", "suggestion"),
    [
        ("CONVOLUTION_3x3", "CONVOLUTION_3X3"),
        ("RESNET_3X", "RESNET_3X3"),
        ("lstm_128", "LSTM_128"),
    ],
)
def test_unknown_name_lists_the_closest(typo: str, suggestion: str) -> None:
    with pytest.raises(UnknownBlockError) as info:
        torchsearch.create_block(typo)
    message = str(info.value)
    assert f"Unknown block {typo!r}" in message
    assert suggestion in message
    assert "python -m torchsearch.blocks" in message


def test_third_party_block_is_discovered_built_and_removed(make_distribution) -> None:
    make_distribution(
        "throwaway-scale", {"SCALE_2": "ts_scale:ScaleBlock"}, {"ts_scale": SCALE_PLUGIN}
    )
    refresh_registry()
    assert "SCALE_2" in torchsearch.list_blocks("SCALE*")
    provider = torchsearch.block_provider("SCALE_2")
    assert (provider.distribution, provider.version) == ("throwaway-scale", "1.0")
    model = build_model(Architecture.single(["SCALE_2"]), TensorSpec.flat(4), 3, "dnn")
    assert model.state_dict()["towers.0.0_SCALE_2.factor"].item() == 2.0


def test_broken_plugin_warns_once_and_the_rest_works(make_distribution) -> None:
    make_distribution(
        "throwaway-broken",
        {"BROKEN_A": "ts_missing_module:Block", "BROKEN_B": "ts_ok:NotABlock"},
        {"ts_ok": SCALE_PLUGIN},
        version="0.3",
    )
    with pytest.warns(PluginLoadWarning) as record:
        refresh_registry()
    assert len(record) == 1
    message = str(record[0].message)
    assert "'throwaway-broken 0.3'" in message
    assert "BROKEN_A = ts_missing_module:Block" in message
    assert "ModuleNotFoundError" in message and "ts_missing_module" in message
    assert "BROKEN_B = ts_ok:NotABlock" in message and "not a Block" in message
    assert "BROKEN_A" not in torchsearch.list_blocks()
    assert len(torchsearch.list_blocks()) >= 130


def test_duplicate_name_names_both_providers(make_distribution) -> None:
    make_distribution(
        "throwaway-dup-a", {"DUP_BLOCK": "ts_dup:ScaleBlock"}, {"ts_dup": SCALE_PLUGIN}
    )
    make_distribution("throwaway-dup-b", {"DUP_BLOCK": "ts_dup:ScaleBlock"}, version="2.0")
    with pytest.raises(DuplicateBlockError) as info:
        refresh_registry()
    message = str(info.value)
    assert "'DUP_BLOCK'" in message
    assert "throwaway-dup-a 1.0" in message and "throwaway-dup-b 2.0" in message


def test_shadowing_a_catalogue_name_is_a_duplicate(make_distribution) -> None:
    make_distribution(
        "throwaway-shadow", {"IDENTITY": "ts_shadow:ScaleBlock"}, {"ts_shadow": SCALE_PLUGIN}
    )
    with pytest.raises(DuplicateBlockError, match=r"throwaway-shadow 1.0 .* torchsearch 0.1.0"):
        refresh_registry()


def test_listing_on_the_command_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "torchsearch.blocks", "BI_LSTM_*"],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == [
        "BI_LSTM_1024",
        "BI_LSTM_128",
        "BI_LSTM_256",
        "BI_LSTM_512",
    ]
    assert all("torchsearch" in line and "sequence" in line for line in lines)
    missing = subprocess.run(
        [sys.executable, "-m", "torchsearch.blocks", "NOPE*"], capture_output=True, text=True
    )
    assert missing.returncode == 1 and "No installed block matches" in missing.stderr
