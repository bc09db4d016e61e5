"""Readers' 👍/👎 on digest items tune their channel's threshold, a small bounded step per vote.

A 👎 says "this should not have reached us": the bar goes up a step, so papers scored like it stop
coming. A 👍 lowers it a step, letting a little more through. The step is small and the range is
bounded, so a few votes adjust a subscription and no number of them can silence it or flood it;
a manager's `/digest edit threshold:` sets it outright.
"""

from __future__ import annotations

from dataclasses import dataclass

from scholarbot.digest.state import DigestState
from scholarbot.readers import ReaderState, VoteKind

#: Threshold change per vote (rank scores are 0..1; a subscription starts at 0.35).
STEP = 0.02
#: Votes never move a threshold outside this range.
LOWEST, HIGHEST = 0.10, 0.80


@dataclass(frozen=True)
class Tuned:
    """What a vote did: the threshold before and after, and the subscription's vote totals."""

    before: float
    after: float
    ups: int
    downs: int


def apply_vote(
    readers: ReaderState,
    state: DigestState,
    subscription_id: int,
    paper_id: str,
    user_id: int,
    kind: VoteKind,
) -> Tuned | None:
    """Record a vote and move the threshold by its change; None when the subscription is gone."""
    if state.get_subscription(subscription_id) is None:
        return None
    vote = readers.vote(subscription_id, paper_id, user_id, kind)
    # A vote up (+1) lowers the bar; repeating a vote changes nothing; switching moves two steps.
    moved = state.nudge_threshold(subscription_id, -vote.delta * STEP, LOWEST, HIGHEST)
    if moved is None:
        return None
    return Tuned(moved[0], moved[1], vote.ups, vote.downs)
