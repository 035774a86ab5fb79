"""Property-based test of the settings: whatever values the keys a user types most get,
reading the config gives a run plan or torchsearch's own error, never another
exception (the bound on examples keeps CI's time bounded)."""

from __future__ import annotations

from typing import Any

from cli_helpers import compose_config
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from omegaconf import OmegaConf
from omegaconf import open_dict

from torchsearch import TorchSearchError
from torchsearch.driver._plan import RunPlan
from torchsearch.driver._plan import make_plan

KEYS = (
    "seed",
    "search.n_trials",
    "search.timeout_s",
    "search.pruner",
    "search.report_every",
    "space.max_parameters",
    "space.maximum_depth",
    "space.minimum_depth",
    "objective.metric",
    "objective.direction",
    "storage.study",
    "trainer.max_epochs",
    "trainer.max_steps",
    "trainer.batch_size",
    "trainer.precision",
    "trainer.parallel",
    "trainer.threads",
    "trainer.accelerator",
)
values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 10**7),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["abc", "", "32", "bf16-mixed", "auto", "cpu", "median", "../x", "1e3"]),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(changes=st.dictionaries(st.sampled_from(KEYS), values, min_size=1, max_size=3))
def test_any_setting_gives_a_plan_or_torchsearchs_error(changes: dict[str, Any]) -> None:
    cfg = compose_config()
    with open_dict(cfg):
        for key, value in changes.items():
            OmegaConf.update(cfg, key, value, merge=False)
    try:
        plan = make_plan(cfg)
    except TorchSearchError as exc:
        assert str(exc).strip() and "\n" not in str(exc).strip(), exc
        return
    assert isinstance(plan, RunPlan)
