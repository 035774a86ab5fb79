"""The depth schedule: how deep a tower may grow after a number of completed trials.

Ported from Model Search's ``get_allowed_depth`` (docs/model_search.md, "Search
algorithms"). The search may only go one block deeper once enough trials have completed
at the current depth, so that each depth is explored before the next.
"""

from __future__ import annotations

from collections.abc import Sequence

from torchsearch._errors import ConfigError

__all__ = ["allowed_depth", "default_depth_thresholds"]


def default_depth_thresholds(max_depth: int) -> tuple[int, ...]:
    """Model Search's default schedule ``[0, 5, 10, ...]``, one threshold per depth."""
    return tuple(5 * i for i in range(max_depth))


def allowed_depth(num_completed: int, thresholds: Sequence[int] | None, max_depth: int) -> int:
    """The deepest tower the search may propose after ``num_completed`` trials.

    The allowed depth is the index of the first threshold above ``num_completed``, and
    ``max_depth`` once ``num_completed`` reaches the last threshold:
    with the default thresholds, 0 trials allow depth 1 and 11 trials allow depth 3.

    Args:
        num_completed: the number of completed, feasible trials.
        thresholds: the number of trials each depth needs; ``None`` or empty for
            :func:`default_depth_thresholds`.
        max_depth: the cap (``maximum_depth``).

    Returns:
        The allowed depth, between 0 and ``max_depth``.

    Raises:
        ConfigError: there are more thresholds than ``max_depth``.
    """
    schedule = tuple(thresholds) if thresholds else default_depth_thresholds(max_depth)
    if len(schedule) > max_depth:
        raise ConfigError(
            f"increase_complexity_minimum_trials has {len(schedule)} thresholds but "
            f"maximum_depth is {max_depth}; give at most one threshold per depth."
        )
    if not schedule or num_completed >= schedule[-1]:
        return max_depth
    return next(depth for depth, needed in enumerate(schedule) if needed > num_completed)
