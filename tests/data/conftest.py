"""Fixtures for the data tests: real files in ``tmp_path`` and throwaway distributions.

Every file a provider reads here is written for real (CSV text, PNG images, ``.npz``
archives); nothing is mocked. ``unreadable`` makes a permission test meaningful even
when the tests run as root, by dropping the capability that lets root read any file
from the current thread while the test reads it.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Sequence
from pathlib import Path

import pytest

WriteCsv = Callable[..., Path]


@pytest.fixture
def write_csv(tmp_path: Path) -> WriteCsv:
    """Returns ``write(name, rows, header=None)``: a CSV file in ``tmp_path``."""

    def write(
        name: str, rows: Sequence[Sequence[object]], header: Sequence[str] | None = None
    ) -> Path:
        lines = [",".join(header)] if header is not None else []
        lines += [",".join(str(v) for v in row) for row in rows]
        path = tmp_path / name
        path.write_text("\n".join(lines) + "\n")
        return path

    return write


@pytest.fixture
def make_dataset_distribution(make_distribution: Callable[..., Path]) -> Callable[..., Path]:
    """``make(name, entry_points, modules=None, version="1.0")`` in ``torchsearch.datasets``.

    The root ``make_distribution`` fixture for the data-set group: a real ``.dist-info``
    folder on ``sys.path`` that ``importlib.metadata`` finds as installed.
    """
    return functools.partial(make_distribution, group="torchsearch.datasets")


@pytest.fixture
def unreadable() -> Callable[[Path], contextlib.AbstractContextManager[None]]:
    """Returns ``unreadable(path)``: a context in which ``path`` cannot be read."""

    @contextlib.contextmanager
    def context(path: Path) -> Iterator[None]:
        path.chmod(0)
        try:
            with _without_root_override():
                yield
        finally:
            path.chmod(0o644)

    return context


_CAP_DAC_OVERRIDE = 1
_CAP_DAC_READ_SEARCH = 2
_CAPABILITY_VERSION_3 = 0x20080522


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    ]


@contextlib.contextmanager
def _without_root_override() -> Iterator[None]:
    """Drops root's right to read any file from this thread's effective capabilities."""
    if os.geteuid() != 0:
        yield
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        header, data = _CapHeader(_CAPABILITY_VERSION_3, 0), (_CapData * 2)()
        if libc.capget(ctypes.byref(header), data) != 0:
            raise OSError(ctypes.get_errno(), "capget")
    except (OSError, AttributeError) as exc:
        pytest.skip(f"cannot drop root's file permissions here ({exc})")
    saved = data[0].effective
    data[0].effective &= ~((1 << _CAP_DAC_OVERRIDE) | (1 << _CAP_DAC_READ_SEARCH))
    if libc.capset(ctypes.byref(header), data) != 0:
        pytest.skip("cannot drop root's file permissions here (capset failed)")
    try:
        yield
    finally:
        data[0].effective = saved
        libc.capset(ctypes.byref(header), data)
