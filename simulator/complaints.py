"""Incidents, complaints and the brand's answers; unanswered complaints snowball.

A complaint is a negative mention. The brand answers a share of them after a delay (faster
with a skilled manager; escalated ones go to an expert). Until answered, a complaint spreads
to the complainer's followers, who lose trust and may echo it as new negative mentions: the
longer it waits, the further it spreads.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from simulator.feed import follower_sample
from simulator.state import RunState
from simulator.streams import bernoulli_rows

I64 = npt.NDArray[np.int64]
ECHO_GENERATIONS = 2
SNOWBALL_REACH = 0.3
"""Share of a complainer's followers who see an unanswered complaint (assumption)."""


def incident_rate(state: RunState) -> float:
    """Extra daily complaint probability per member from incidents in progress (decaying)."""
    rate = 0.0
    for incident in state.scenario.incidents:
        age = state.day - incident.day
        if 0 <= age < incident.duration_days:
            rate += incident.severity * float(np.exp(-age / max(incident.duration_days / 2, 1)))
    return rate


def complaints(state: RunState) -> None:
    """Draw today's complaints among alive members and process them, with their echoes."""
    rate = min(state.scenario.dynamics.complaint_rate + incident_rate(state), 1.0)
    state.check(np.array([rate]))
    # The rate is the same for everyone: draw the few rows it hits, then keep the alive ones.
    rows, _ = bernoulli_rows(state.streams, "complaints", state.day, state.members.capacity, rate)
    complainers = rows[state.present[rows]]
    for _ in range(ECHO_GENERATIONS):
        if complainers.size == 0:
            return
        complainers = _handle(state, complainers)


def _answer(
    state: RunState, count: int
) -> tuple[
    npt.NDArray[np.bool_], npt.NDArray[np.float64], npt.NDArray[np.bool_], npt.NDArray[np.bool_]
]:
    """(answered, delay in hours or inf, escalated, resolved) for ``count`` complaints."""
    s, rng = state.strategy, state.streams["complaints"]
    answered = rng.random(count) < s.response_share
    escalated = answered & s.escalation
    hours = np.where(
        escalated,
        rng.exponential(s.expert_hours, count),
        rng.exponential(s.response_hours * (1.5 - state.skill), count),
    )
    delay = np.where(answered, hours, np.inf)
    resolve = np.where(escalated, 0.9, 0.3 + 0.6 * state.skill)
    resolved = answered & (rng.random(count) < state.check(resolve))
    return answered, delay, escalated, resolved


def _handle(state: RunState, who: I64) -> I64:
    m, dyn, t, s = state.members, state.scenario.dynamics, state.tally, state.strategy
    answered, delay, escalated, resolved = _answer(state, who.size)
    gain = dyn.trust_answer_gain + dyn.trust_resolution_gain * resolved
    m.trust[who] = np.clip(
        np.where(answered, m.trust[who] + gain, m.trust[who] - dyn.trust_ignored_loss), 0, 1
    )
    state.touch(who)
    topic = m.interests[who].argmax(axis=1).astype(np.int16)
    within = escalated & (delay <= s.escalation_target_hours)
    t.complaints += int(who.size)
    t.negative_mentions += int(who.size)
    t.answered += int(answered.sum())
    t.escalations += int(escalated.sum())
    t.escalations_within += int(within.sum())
    t.cost += float(escalated.sum()) * state.scenario.prices.escalation
    t.response_seconds.append(delay[answered] * 3600.0)
    t.add_topics(topic)
    if state.log.enabled:
        state.log.add("mention", member=who, day=np.full(who.size, state.day), topic=topic,
                      sentiment=np.full(who.size, -0.8), answered=answered,
                      response_seconds=np.where(answered, delay * 3600.0, np.nan),
                      escalated=escalated, within_target=within)  # fmt: skip
    return _snowball(state, who, delay)


def _snowball(state: RunState, who: I64, delay: npt.NDArray[np.float64]) -> I64:
    """Followers who see the complaint before it is answered; returns those who echo it."""
    m, dyn = state.members, state.scenario.dynamics
    rng = state.streams["complaints"]
    spread = -np.expm1(-delay / dyn.snowball_hours)
    _, follower = follower_sample(state, who, SNOWBALL_REACH * spread, rng)
    m.trust[follower] = np.maximum(m.trust[follower] - dyn.trust_echo_loss, 0.0)
    echo = state.check(dyn.echo_probability * (1.0 - m.trust[follower]))
    return np.unique(follower[rng.random(follower.size, dtype=np.float32) < echo])


def advocacy(state: RunState, engaged: I64) -> None:
    """Engaged members who love the community post positive mentions (word of mouth)."""
    m, rng = state.members, state.streams["sentiment"]
    probability = state.check(state.scenario.dynamics.advocacy_probability * m.love[engaged])
    fans = engaged[rng.random(engaged.size, dtype=np.float32) < probability]
    topic = m.interests[fans].argmax(axis=1).astype(np.int16)
    state.tally.positive_mentions += int(fans.size)
    state.tally.add_topics(topic)
    if state.log.enabled:
        no = np.zeros(fans.size, bool)
        state.log.add("mention", member=fans, day=np.full(fans.size, state.day), topic=topic,
                      sentiment=np.full(fans.size, 0.7), answered=no,
                      response_seconds=np.full(fans.size, np.nan), escalated=no,
                      within_target=no)  # fmt: skip
