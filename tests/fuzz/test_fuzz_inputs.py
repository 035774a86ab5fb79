"""Property-based tests of everything torchsearch reads from outside: CSV and NumPy
files, trial records in a storage, and settings. Whatever the input, the answer is a
valid result or torchsearch's own error (one line on the command line), never another
exception. The number of examples is bounded so that CI's time is too."""

from __future__ import annotations

import string
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import optuna
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from optuna.trial import TrialState
from optuna.trial import create_trial

from torchsearch import TorchSearchError
from torchsearch.data import CsvProvider
from torchsearch.data import DataSplits
from torchsearch.data import NpzProvider
from torchsearch.trials import CompletedTrial
from torchsearch.trials import read_completed

BOUNDED = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

cells = st.one_of(
    st.integers(-5, 5).map(str),
    st.floats(allow_nan=True, allow_infinity=True, width=32).map(repr),
    st.sampled_from(["", "a", "b", "nan", "inf", "-", "1e999", '"x"', "1,5", " "]),
    st.text(string.printable, max_size=4),
)


@BOUNDED
@given(
    rows=st.lists(st.lists(cells, min_size=1, max_size=5), min_size=0, max_size=40),
    label=st.one_of(st.none(), st.integers(-3, 5), st.sampled_from(["a", "y", "c0"])),
    header=st.sampled_from(["auto", True, False]),
    delimiter=st.sampled_from([",", ";", "tab"]),
)
def test_any_csv_is_data_or_a_data_error(
    rows: list[list[str]], label: Any, header: Any, delimiter: str
) -> None:
    separator = "\t" if delimiter == "tab" else delimiter
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "data.csv"
        path.write_text("\n".join(separator.join(row) for row in rows))
        _loads_or_refuses(
            lambda: CsvProvider(path=str(path), label=label, header=header, delimiter=delimiter)
        )


arrays = hnp.arrays(
    dtype=st.sampled_from([np.float32, np.float64, np.int64, np.uint8, np.bool_]),
    shape=hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=12),
    elements=None,
)


@BOUNDED
@given(x=arrays, y=arrays, lengths=st.one_of(st.none(), arrays))
def test_any_npz_is_data_or_a_data_error(
    x: np.ndarray, y: np.ndarray, lengths: np.ndarray | None
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "data.npz"
        extra = {} if lengths is None else {"lengths": lengths}
        with open(path, "wb") as file:
            np.savez(file, x=x, y=y, **extra)
        _loads_or_refuses(lambda: NpzProvider(path=str(path)))


def _loads_or_refuses(make: Any) -> None:
    try:
        data = make().load()
    except TorchSearchError as exc:
        assert str(exc) and "\n" not in str(exc).strip()
        return
    assert isinstance(data, DataSplits)
    for split in (data.train, data.validation, data.test):
        assert bool(np.isfinite(split.x.numpy()).all())


json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
block_names = st.sampled_from(
    ["FULLY_CONNECTED", "FIXED_OUTPUT_FULLY_CONNECTED_128", "NO_SUCH_BLOCK", "", "x"]
)
architectures = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {
            "towers": st.one_of(
                json_values, st.lists(st.lists(block_names, max_size=3), max_size=2)
            ),
            "hparams": st.one_of(
                json_values,
                st.dictionaries(
                    st.sampled_from(
                        [
                            "optimizer",
                            "learning_rate",
                            "exponential_decay_rate",
                            "exponential_decay_times",
                            "dropout_rate",
                            "gradient_max_norm",
                        ]
                    ),
                    json_scalars,
                    max_size=4,
                ),
            ),
        }
    ),
)
record_keys = st.sampled_from(
    ["parent", "kind", "operation", "new_block", "parameters", "validation", "checkpoint",
     "train_seconds", "steps", "ensemble", "teacher", "training", "graft"]
)  # fmt: skip


@BOUNDED
@given(
    architecture=architectures,
    attrs=st.dictionaries(record_keys, json_values, max_size=6),
    value=st.floats(allow_nan=False, allow_infinity=True),  # Optuna fails a NaN tell
    number=st.integers(0, 50),
)
def test_any_trial_record_is_read_or_skipped(
    architecture: Any, attrs: dict[str, Any], value: float, number: int
) -> None:
    trial = create_trial(
        state=TrialState.COMPLETE,
        value=value,
        user_attrs={"architecture": architecture, **attrs},
    )
    trial.number = number
    trial._trial_id = number
    record = read_completed(trial)
    assert record is None or isinstance(record, CompletedTrial)
    if record is not None:
        assert record.number == number and record.value == value


optuna.logging.set_verbosity(optuna.logging.ERROR)
