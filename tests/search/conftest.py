"""Fixtures of the search tests; the fake blocks live in ``search_fakes``.

They live in a uniquely named module because every ``conftest.py`` is imported under the
same module name, which would break pickling the fake block classes.
"""

from __future__ import annotations

from search_fakes import make_registry  # noqa: F401 - re-exported fixtures
from search_fakes import registry  # noqa: F401
from search_fakes import scripted  # noqa: F401
