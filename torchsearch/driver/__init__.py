"""The driver: a search run from a Hydra config to a leaderboard and ``best.json``."""

from __future__ import annotations

from torchsearch.driver._loggers import TrialLogger
from torchsearch.driver._run import run_search
from torchsearch.report import BestModel

__all__ = ["BestModel", "TrialLogger", "run_search"]
