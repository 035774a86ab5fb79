"""The command line of a benchmark that writes one section of BENCHMARKS.md.

``bench/transfer.py`` and ``bench/ensembles.py`` each measure one question and put (or
replace) their ``## Title`` section in ``--output``; ``bench/run.py`` includes both.
"""

from __future__ import annotations

import argparse
import logging
import shlex
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

__all__ = ["quiet_libraries", "replace_section", "section_main"]


def quiet_libraries() -> None:
    """Silences Lightning's info lines and library warnings, which would bury the
    benchmark's own progress lines."""
    logging.getLogger("lightning").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")


def replace_section(path: Path, title: str, body: str, command: str) -> None:
    """Puts ``## title`` with ``body`` into ``path``, replacing an earlier one."""
    text = path.read_text() if path.exists() else ""
    section = f"## {title}\n\nFrom one run of `{command}`.\n\n{body}\n"
    head, found, rest = text.partition(f"## {title}\n")
    if found:
        after = rest.find("\n## ")
        text = head + section + (rest[after + 1 :] if after >= 0 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text)


def section_main(
    argv: list[str] | None,
    description: str,
    title: str,
    measure: Callable[[bool, list[int]], str],
) -> int:
    """Parses ``--quick``, ``--seeds`` and ``--output``, runs ``measure(quick, seeds)``
    and writes its markdown as section ``title``; returns the exit status."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="the CI smoke check")
    parser.add_argument("--seeds", type=int, default=None, help="seeds 0..N-1 (3; quick: 1)")
    parser.add_argument("--output", type=Path, default=Path("BENCHMARKS.md"))
    args = parser.parse_args(argv)
    seeds = list(range(args.seeds if args.seeds is not None else (1 if args.quick else 3)))
    quiet_libraries()
    start = time.perf_counter()
    body = measure(args.quick, seeds)
    command = shlex.join(["python", *sys.argv]) if argv is None else shlex.join(argv)
    replace_section(args.output.resolve(), title, body, command)
    print(body)
    print(f"wrote {args.output} in {time.perf_counter() - start:.1f}s")
    return 0
