"""The driver: a search run from a Hydra config to a leaderboard and ``best.json``."""

from __future__ import annotations

from torchsearch.driver._loggers import TrialLogger
from torchsearch.driver._report import BestModel
from torchsearch.driver._run import run_search

__all__ = ["BestModel", "TrialLogger", "run_search"]
