"""Fixtures for whole searches."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from cli_helpers import compose_config
from omegaconf import DictConfig


@pytest.fixture
def make_config() -> Callable[..., DictConfig]:
    """``make_config(*overrides)``: the composed config, as the command line would give it."""
    return compose_config
