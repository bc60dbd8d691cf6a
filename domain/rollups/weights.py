"""The quality weight of an engagement, valued once when it is recorded.

weight = engagement_weight(engager's followers, interest match), the formula the simulator
uses too (domain.metrics.engagement_weight). Interest match is the sum of the engager's interest
weights over the content's topics, clipped to [0, 1]. Content without topics matches
UNTAGGED_MATCH: nothing says it is off-interest, and a zero would silence all of its likes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from domain.metrics import engagement_weight

UNTAGGED_MATCH = 0.5


def interest_match(interests: Mapping[int, float], topics: Sequence[int]) -> float:
    """How much of the member's interest the content's topics cover, in [0, 1]."""
    if not topics:
        return UNTAGGED_MATCH
    return min(1.0, max(0.0, sum(interests.get(t, 0.0) for t in topics)))


def quality_weights(
    pairs: Sequence[tuple[int, int]],
    followers: Mapping[int, int],
    interests: Mapping[int, Mapping[int, float]],
    topics: Mapping[int, Sequence[int]],
) -> list[float]:
    """The weight of each (member id, content id) engagement, in the order given, from the
    members' followers counts and interests and the content's topics."""
    if not pairs:
        return []
    matches = [interest_match(interests.get(m, {}), topics.get(c, [])) for m, c in pairs]
    reach = [followers.get(m, 0) for m, _ in pairs]
    return [float(w) for w in engagement_weight(reach, matches)]
