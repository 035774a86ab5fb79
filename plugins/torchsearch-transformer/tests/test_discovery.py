"""The installed plugin is found through entry points, as any third-party plugin would be.

These tests need the distribution installed (``pip install -e plugins/torchsearch-transformer``):
they read its metadata, never its source tree.
"""

from __future__ import annotations

import importlib.metadata
import warnings

import pytest
import torchsearch
from torchsearch.blocks import Block
from torchsearch.blocks import refresh_registry

import torchsearch_transformer

DISTRIBUTION = "torchsearch-transformer"
NAMES = sorted(torchsearch_transformer.BLOCK_VARIANTS)


def test_patterns_find_the_plugin_blocks() -> None:
    assert torchsearch.list_blocks("TRANSFORMER*") == [
        "TRANSFORMER_ENCODER_128",
        "TRANSFORMER_ENCODER_32",
        "TRANSFORMER_ENCODER_64",
    ]
    assert torchsearch.list_blocks("SELF_ATTENTION_*") == [
        "SELF_ATTENTION_128",
        "SELF_ATTENTION_32",
        "SELF_ATTENTION_64",
    ]
    assert torchsearch.list_blocks("*POSITIONAL_ENCODING*") == [
        "LEARNED_POSITIONAL_ENCODING_64",
        "POSITIONAL_ENCODING",
    ]
    assert "TUNABLE_TRANSFORMER_ENCODER" in torchsearch.list_blocks("TUNABLE_*")


@pytest.mark.parametrize("name", NAMES)
def test_provider_names_this_distribution(name: str) -> None:
    provider = torchsearch.block_provider(name)
    assert provider.distribution == DISTRIBUTION
    assert provider.version == "0.1.0" == torchsearch_transformer.__version__
    assert provider.target == f"torchsearch_transformer._impl:{name}"
    block = torchsearch.create_block(name)
    assert isinstance(block, Block)
    assert isinstance(block, torchsearch_transformer.BLOCK_VARIANTS[name].block_class)


def test_entry_points_match_the_variants() -> None:
    declared = {
        ep.name: ep.value
        for ep in importlib.metadata.entry_points(group="torchsearch.blocks")
        if ep.dist is not None and ep.dist.name == DISTRIBUTION
    }
    assert declared == {name: f"torchsearch_transformer._impl:{name}" for name in NAMES}


def test_plugin_loads_without_warnings() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        refresh_registry()
    ours = [str(w.message) for w in caught if DISTRIBUTION in str(w.message)]
    assert not ours
