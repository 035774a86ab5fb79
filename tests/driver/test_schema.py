"""The config schema agrees with what it describes: every shipped option of every group
composes and checks under it, and its choices are the names the owning packages accept."""

from __future__ import annotations

from pathlib import Path

import pytest
import torchsearch.conf
from cli_helpers import compose_config

from torchsearch._cli import check_command
from torchsearch._schema import COMBINERS
from torchsearch._schema import DISTILL_KINDS
from torchsearch._schema import ENSEMBLE_STRATEGIES
from torchsearch._schema import TRANSFER_MODES
from torchsearch.driver._plan import make_plan
from torchsearch.exploit._controller import Combiner
from torchsearch.exploit._controller import DistillKind
from torchsearch.exploit._controller import EnsembleStrategy
from torchsearch.exploit._transfer import TransferMode

CONF = Path(torchsearch.conf.__file__).parent
PATHS = {"csv": "train.csv", "npz": "train.npz", "images": "photos"}
OPTIONS = [
    (group.name, option.stem)
    for group in sorted(CONF.iterdir())
    if group.is_dir() and not group.name.startswith("_")
    for option in sorted(group.glob("*.yaml"))
]


@pytest.mark.parametrize(("group", "option"), OPTIONS, ids=[f"{g}={o}" for g, o in OPTIONS])
def test_every_shipped_option_checks_under_the_schema(group: str, option: str) -> None:
    overrides = [f"{group}={option}"]
    if group == "data" and option in PATHS:
        overrides.append(f"data.path={PATHS[option]}")
    if group == "storage" and option == "postgresql":
        overrides.append("storage.url=postgresql://me@127.0.0.1/db")
    check_command(overrides)


@pytest.mark.parametrize(
    ("space", "data"),
    [
        ("dnn", "digits"),
        ("cnn", "digits"),
        ("cnn1d", "mnist1d"),
        ("rnn_last", "digits"),
        ("rnn_all", "random_walk"),
    ],
)
def test_every_shipped_space_plans_on_its_data(space: str, data: str) -> None:
    # The plan checks what the schema cannot: blocks, suggestions and their hparams.
    assert make_plan(compose_config(f"space={space}", f"data={data}", fast=False))


def test_there_are_options_of_every_group() -> None:
    groups = {group for group, _ in OPTIONS}
    assert {"data", "space", "search", "storage", "trainer", "transfer"} <= groups
    assert {"ensemble", "distill"} <= groups


@pytest.mark.parametrize(
    ("choices", "owner"),
    [
        (ENSEMBLE_STRATEGIES, EnsembleStrategy),
        (COMBINERS, Combiner),
        (DISTILL_KINDS, DistillKind),
        (TRANSFER_MODES, TransferMode),
    ],
)
def test_the_schema_offers_the_names_their_owner_accepts(
    choices: tuple[str, ...], owner: type
) -> None:
    assert set(choices) == {member.value for member in owner}  # type: ignore[attr-defined]
