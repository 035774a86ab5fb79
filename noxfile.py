"""Developer sessions: tests, plugins (each in a fresh environment), lint.

Every session installs torch first, pinned to the CPU build that README.md names, and
only then the packages that depend on it; otherwise pip resolves ``torch>=2.1`` to the
newest release with several GB of CUDA packages (docs/library_notes.md, "Installing
torch").
"""

from __future__ import annotations

from pathlib import Path

import nox

nox.options.sessions = ["tests", "plugins", "bench_quick", "lint"]
nox.options.reuse_existing_virtualenvs = False

TORCH = "torch==2.13.0"
ROOT = Path(__file__).parent
PLUGINS = sorted(p.name for p in (ROOT / "plugins").iterdir() if (p / "pyproject.toml").exists())


def _install_torch(session: nox.Session) -> None:
    session.install(TORCH)


@nox.session
def tests(session: nox.Session) -> None:
    """Core tests against a regular (non-editable) install, as users get it.

    tests/driver/test_postgresql.py runs against the server that
    ``TORCHSEARCH_TEST_POSTGRESQL_URL`` names (``.ci/postgresql`` starts one and prints
    it); nox passes the outer environment through, and without the variable it skips.
    """
    _install_torch(session)
    # optuna-dashboard: tests/driver/test_curves.py reads a study through its own API.
    session.install(".[test,postgresql,tensorboard]", "optuna-dashboard")
    # Run from tests/ so that the installed package, not the source tree, is imported.
    # tests/bench (minutes of real benchmark runs) is bench_quick's, not run twice.
    session.run(
        "pytest",
        "--durations=15",
        "--ignore=tests/bench",
        *session.posargs,
        env={"PYTHONDONTWRITEBYTECODE": "1"},
    )


@nox.session
@nox.parametrize("plugin", PLUGINS)
def plugins(session: nox.Session, plugin: str) -> None:
    """One plugin in a fresh environment: its tests, core tests with it, then uninstalled."""
    _install_torch(session)
    session.install(".[test]", f"./plugins/{plugin}[test]")
    session.run("pytest", f"plugins/{plugin}/tests", *session.posargs)
    # Core tests parametrized over the registries now also check the plugin's blocks and
    # searchers, found through the same entry points as torchsearch's own.
    session.run(
        "pytest",
        "-q",
        "tests/blocks/test_catalogue.py",
        "tests/test_registry.py",
        "tests/search/test_searchers.py",
        env={"TORCHSEARCH_TEST_PROVIDER": plugin},
    )
    session.run("pip", "uninstall", "-y", plugin)
    session.run("python", "plugins/check_uninstalled.py", plugin)


def _install_bench(session: nox.Session) -> None:
    """torchsearch and the regularized-evolution plugin the benchmarks compare."""
    _install_torch(session)
    session.install(".[test]", "./plugins/torchsearch-evolution", "matplotlib")


@nox.session
def bench(session: nox.Session) -> None:
    """The benchmarks: every method, the overhead, transfer learning, then BENCHMARKS.md
    (about two hours on 2 CPU cores; ``-- --quick`` for the smoke run, ``-- --help`` for
    the options)."""
    _install_bench(session)
    session.run("python", "bench/run.py", *session.posargs)


@nox.session
def bench_quick(session: nox.Session) -> None:
    """CI's smoke check of the benchmarks: ``bench/run.py --quick`` runs every method and
    writes the tables and plots (tests/bench checks them; no timing thresholds)."""
    _install_bench(session)
    session.run("pytest", "-q", "tests/bench", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff lint and format check."""
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
