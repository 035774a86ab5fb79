"""The trial record: what a trial is in the storage, in one place.

Every attribute key (:class:`Key`, :class:`StudyKey`), the kinds of trial
(:class:`TrialKind`), writing a record (:class:`RecordWriter`) and reading it back
(:func:`read_proposal`, :func:`completed_trials`), ranking completed trials
(:func:`rank`) and a trial's checkpoint (:func:`save_state`, :func:`load_state`).
Searchers, the driver, the report and the benchmarks read and write trials through
this package only.
"""

from __future__ import annotations

from torchsearch.trials._checkpoints import CheckpointError
from torchsearch.trials._checkpoints import load_state
from torchsearch.trials._checkpoints import save_state
from torchsearch.trials._proposal import TrialProposal
from torchsearch.trials._ranking import DIRECTIONS
from torchsearch.trials._ranking import CompletedTrial
from torchsearch.trials._ranking import EnsembleRecord
from torchsearch.trials._ranking import TeacherRecord
from torchsearch.trials._ranking import TrainingRecord
from torchsearch.trials._ranking import check_direction
from torchsearch.trials._ranking import rank
from torchsearch.trials._record import RecordWriter
from torchsearch.trials._record import claim_study
from torchsearch.trials._record import completed_trials
from torchsearch.trials._record import oversized_towers
from torchsearch.trials._record import read_completed
from torchsearch.trials._record import read_exploitation
from torchsearch.trials._record import read_proposal
from torchsearch.trials._schema import GIVEN
from torchsearch.trials._schema import OVERSIZED
from torchsearch.trials._schema import SEARCH_KINDS
from torchsearch.trials._schema import SUGGESTED
from torchsearch.trials._schema import Key
from torchsearch.trials._schema import StudyKey
from torchsearch.trials._schema import TrialKind

__all__ = [
    "DIRECTIONS",
    "GIVEN",
    "OVERSIZED",
    "SEARCH_KINDS",
    "SUGGESTED",
    "CheckpointError",
    "CompletedTrial",
    "EnsembleRecord",
    "Key",
    "RecordWriter",
    "StudyKey",
    "TeacherRecord",
    "TrainingRecord",
    "TrialKind",
    "TrialProposal",
    "check_direction",
    "claim_study",
    "completed_trials",
    "load_state",
    "oversized_towers",
    "rank",
    "read_completed",
    "read_exploitation",
    "read_proposal",
    "save_state",
]
