"""The ``torchsearch`` command: a thin Hydra shell around :func:`torchsearch.driver.run_search`.

Every setting is a Hydra override (``torchsearch data=csv data.path=train.csv
search.n_trials=50``); ``torchsearch --help`` lists the config groups. A
:class:`TorchSearchError` becomes one line on standard error and exit status 1, never a
traceback.
"""

from __future__ import annotations

import logging
import os
import sys
import traceback
from pathlib import Path
from typing import Any

import hydra
from hydra import compose
from hydra import initialize_config_module
from hydra.core.hydra_config import HydraConfig
from hydra.errors import HydraException
from omegaconf import DictConfig
from omegaconf import OmegaConf
from omegaconf import open_dict
from omegaconf.errors import ConfigAttributeError
from omegaconf.errors import ConfigKeyError
from omegaconf.errors import OmegaConfBaseException
from omegaconf.errors import ValidationError

from torchsearch._configs import PLUGIN_OPTIONS
from torchsearch._configs import check_plugin_option
from torchsearch._errors import ConfigError
from torchsearch._errors import TorchSearchError
from torchsearch._errors import caused_by_interrupt
from torchsearch._names import check_study_name
from torchsearch._resolvers import register_resolvers
from torchsearch._scalars import RunScalars
from torchsearch._schema import register_schema
from torchsearch._secrets import PRIVATE_MODE
from torchsearch._secrets import RedactingStream
from torchsearch._secrets import redact
from torchsearch._secrets import write_private
from torchsearch._settings_check import type_error
from torchsearch._settings_check import unknown_key

__all__ = ["main"]

EXIT_ERROR = 1
EXIT_INTERRUPTED = 130


# The run folder is outputs/${study_folder:${storage.study}} (conf/config.yaml): a study
# name that is a path is refused before Hydra creates any folder.
register_resolvers()
register_schema()

SHORT_KEYS = {"replay": ("trial", "seed", "steps", "replicas"), "report": ("top", "out")}
"""What ``torchsearch WORD KEY=VALUE`` is short for: ``WORD.KEY=VALUE``."""
REPLAY_KEYS = SHORT_KEYS["replay"]


def main() -> None:
    """The ``torchsearch`` command; ``torchsearch replay trial=N ...`` replays trial N,
    ``torchsearch report ...`` shows what a study holds, ``torchsearch --version`` prints
    the installed version."""
    if sys.argv[1:] in (["--version"], ["-V"]):
        from torchsearch import __version__

        print(f"torchsearch {__version__}")
        return
    sys.stdout = RedactingStream(sys.stdout)
    sys.stderr = RedactingStream(sys.stderr)
    if "report" in sys.argv[1:]:
        sys.exit(report(sys.argv[1:]))
    sys.argv[1:] = expand_replay(sys.argv[1:])
    try:
        check_command(sys.argv[1:])
    except TorchSearchError as exc:
        print(f"torchsearch: error: {exc}", file=sys.stderr)
        sys.exit(EXIT_ERROR)
    _search()


def report(args: list[str]) -> int:
    """``torchsearch report [overrides]``: the report of the study the overrides name
    (:func:`torchsearch.report.run_report`), read-only and without Hydra's run folder,
    which a report must not create; returns the exit status."""
    try:
        config, run_dir = report_config(expand_command(args, "report"))
        from torchsearch.report import run_report

        run_report(config, run_dir)
    except TorchSearchError as exc:
        print(f"torchsearch: error: {redact(str(exc))}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    return 0


def report_config(args: list[str]) -> tuple[dict[str, Any], Path]:
    """The checked, resolved config of ``args`` and the run folder they name
    (``hydra.run.dir``: the search's own, ``outputs/<study>`` by default).

    Raises:
        ConfigError: a wrong setting, or an argument that is not an override.
    """
    options = [a for a in args if a.startswith("-") or a == "replay"]
    if options:
        raise ConfigError(
            f"torchsearch report takes settings (KEY=VALUE) only, not {options[0]}; "
            "e.g. torchsearch report storage.study=NAME top=20."
        )
    check_overrides(args)
    config = compose_config(args, with_hydra=True)
    try:
        run_dir = Path(str(OmegaConf.select(config, "hydra.run.dir")))
        with open_dict(config):
            del config["hydra"]
    except OmegaConfBaseException as exc:
        raise as_one_line(exc, args) from None
    return checked_settings(config, args), run_dir


def check_command(args: list[str]) -> None:
    """Checks the command before Hydra creates the run folder: the overrides (see
    :func:`check_overrides`), then the config they compose to against its schema (types,
    keys, choices and ranges), with nothing heavy imported. Hydra's own options
    (``--help``, ``--multirun``...) are left to Hydra; the search checks the same
    settings again when it starts.

    Raises:
        ConfigError: one line naming the first wrong setting and what is allowed.
    """
    check_overrides(args)
    if any(arg.startswith("-") for arg in args):
        return
    checked_settings(compose_config(args), args)


def checked_settings(config: DictConfig, args: list[str]) -> dict[str, Any]:
    """``config`` resolved to plain containers and checked against its schema (types,
    keys, choices and ranges; :class:`RunScalars`).

    Raises:
        ConfigError: one line naming the first wrong setting of ``args``.
    """
    try:
        resolved = OmegaConf.to_container(config, resolve=True)
    except OmegaConfBaseException as exc:
        raise as_one_line(exc, args) from None
    assert isinstance(resolved, dict)
    RunScalars.from_config(resolved)  # type: ignore[arg-type]
    return resolved  # type: ignore[return-value]


def compose_config(args: list[str], *, with_hydra: bool = False) -> DictConfig:
    """The config the command line ``args`` compose to, as Hydra will compose it (with
    Hydra's own ``hydra`` node when ``with_hydra``).

    Raises:
        ConfigError: the composition fails (an unknown key or option, a value of the
            wrong type), in one line.
    """
    try:
        with initialize_config_module("torchsearch.conf", version_base="1.3"):
            return compose(config_name="config", overrides=args, return_hydra_config=with_hydra)
    except (HydraException, OmegaConfBaseException) as exc:
        raise as_one_line(exc, args) from None


def as_one_line(exc: BaseException, args: list[str]) -> TorchSearchError:
    """Hydra's or OmegaConf's error as torchsearch's one line: an unknown key with the
    closest one, a wrong type with an example, a missing option with the choices."""
    cause = exc.__cause__ if isinstance(exc.__cause__, OmegaConfBaseException) else exc
    if isinstance(cause, TorchSearchError):
        return cause
    if isinstance(cause.__cause__, TorchSearchError):  # raised by a resolver
        return cause.__cause__
    key = getattr(cause, "full_key", None)
    if key and isinstance(cause, (ConfigAttributeError, ConfigKeyError)):
        return unknown_key(str(key), data=chosen_data(args))
    if key and isinstance(cause, ValidationError):
        given = _given(args).get(str(key), str(getattr(cause, "value", "?")))
        return type_error(str(key), given)
    text = str(exc).split("Config search path")[0]
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    options = [line.strip() for line in text.splitlines() if line.startswith("\t")]
    first = lines[0].removeprefix("In 'config': ").rstrip(".") if lines else type(exc).__name__
    if options:
        return ConfigError(f"{first}; choose one of {', '.join(options)}.")
    return ConfigError(f"{first}.")


def chosen_data(args: list[str]) -> str:
    """The data set the command line chooses (``data=NAME``), else the default's."""
    return _given(args).get("data", "digits").strip("'\"")


def _given(args: list[str]) -> dict[str, str]:
    """The command line's overrides as key (without ``+``/``~``) to value text; the last
    one of a key wins, as in Hydra."""
    return {a.partition("=")[0].lstrip("+~"): a.partition("=")[2] for a in args}


def check_overrides(args: list[str]) -> None:
    """Checks what must hold before Hydra creates the run folder: a study name given on
    the command line is a name, not a path (the folder is ``outputs/<study>``), and a
    ``data=NAME`` / ``search=NAME`` has a config (a plugin may register one without).

    Raises:
        ConfigError: one of them does not hold.
    """
    for arg in args:
        key, _, value = arg.partition("=")
        value = value.strip("'\"")
        if key.lstrip("+~") == "storage.study" and value:
            check_study_name(value)
        elif key in PLUGIN_OPTIONS and value:
            check_plugin_option(key, value)


def expand_replay(args: list[str]) -> list[str]:
    """``["replay", "trial=3", "data=csv"]`` → ``["replay.trial=3", "data=csv"]`` (the
    bare word ``replay`` may come anywhere; ``trial`` defaults to ``best``); argument
    lists without it are returned as they are."""
    if "replay" not in args:
        return args
    rest = expand_command(args, "replay")
    if not any(a.split("=", 1)[0] == "replay.trial" for a in rest):
        rest.append("replay.trial=best")
    return rest


def expand_command(args: list[str], word: str) -> list[str]:
    """``args`` without the bare ``word`` (``replay``, ``report``), its short keys
    (:data:`SHORT_KEYS`) written out: ``top=20`` → ``report.top=20``."""
    keys = SHORT_KEYS[word]
    rest = [a for a in args if a != word]
    return [f"{word}.{a}" if a.split("=", 1)[0] in keys else a for a in rest]


@hydra.main(config_path="pkg://torchsearch.conf", config_name="config", version_base="1.3")
def _search(cfg: DictConfig) -> None:
    """Runs (or resumes) the search the config describes, then reports the best model."""
    run_dir = Path(HydraConfig.get().runtime.output_dir)
    save_run_config(cfg, run_dir)
    try:
        # The single-valued settings first, with nothing heavy imported: a wrong value
        # is one line in about a second; torch and Lightning load only after.
        RunScalars.from_config(OmegaConf.to_container(cfg, resolve=True))  # type: ignore[arg-type]
        from torchsearch.driver import run_search

        run_search(cfg, run_dir)
    except TorchSearchError as exc:
        print(f"torchsearch: error: {redact(str(exc))}", file=sys.stderr)
        sys.exit(EXIT_ERROR)
    except KeyboardInterrupt:
        _interrupted()
    except Exception as exc:
        # An interrupt in the middle of a database call can surface as the error of the
        # clean-up that followed it; it is still the user's Ctrl-C.
        if caused_by_interrupt(exc):
            _interrupted()
        _crashed(exc)


def save_run_config(cfg: DictConfig, run_dir: Path) -> None:
    """Writes the run folder's ``.hydra/`` copies of the settings (what Hydra would write
    itself, but with passwords masked and readable by their owner only) and makes the
    log file owner-only too."""
    hydra_cfg = HydraConfig.get()
    folder = run_dir / ".hydra"
    folder.mkdir(parents=True, exist_ok=True)
    copies = {
        "config.yaml": OmegaConf.to_yaml(cfg),
        "hydra.yaml": OmegaConf.to_yaml({"hydra": hydra_cfg}),
        "overrides.yaml": OmegaConf.to_yaml(list(hydra_cfg.overrides.task)),
    }
    for name, text in copies.items():
        write_private(folder / name, text)
    for log in run_dir.glob("*.log"):
        log.chmod(PRIVATE_MODE)


def _crashed(exc: Exception) -> None:
    """An error torchsearch did not expect: its traceback (passwords masked, unlike
    Hydra's report, which repeats the command line), then exit status 1."""
    trace = "".join(traceback.format_exception(exc))
    print(redact(trace), file=sys.stderr, end="")
    print(
        f"torchsearch: error: unexpected {type(exc).__name__} (a bug: please report it "
        "with the lines above); the finished trials are kept in the storage.",
        file=sys.stderr,
    )
    sys.exit(EXIT_ERROR)


def _interrupted() -> None:
    print(
        "\ntorchsearch: interrupted; the finished trials are kept. Rerun the same command "
        "to continue the search.",
        file=sys.stderr,
    )
    # An interrupt can land between the start of Optuna's heartbeat thread (not a daemon)
    # and the code that stops it; a normal exit would then wait for it forever. Everything
    # worth keeping is already in the storage, so flush and leave at once.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(EXIT_INTERRUPTED)
