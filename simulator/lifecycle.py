"""Arrivals (Bass diffusion), visits, the manager's learning, love decay, churn and costs."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from domain import metrics
from simulator.state import RunState
from simulator.streams import bernoulli_rows

I64 = npt.NDArray[np.int64]
DAYS_PER_YEAR = 365.0
DAYS_PER_MONTH = 30.0
LOVE_REFERENCE = 0.3
"""Mean love at which word of mouth runs at the published q (assumption)."""


def manager_skill(state: RunState) -> float:
    """In-house managers learn toward skill_max; an agency's learning is capped (assumption)."""
    s = state.strategy
    learned = s.skill_max - (s.skill_max - s.skill_start) * np.exp(-state.day / s.learning_days)
    if s.manager == "agency":
        return float(min(learned, max(s.agency_skill_cap, s.skill_start)))
    return float(learned)


def arrivals(state: RunState) -> None:
    """Members of the market pool who join today: Bass (1969) with love-scaled word of mouth."""
    m, p, s = state.members, state.scenario.population, state.strategy
    remaining = m.market - state.market_joined
    if state.day == 0:
        state.tally.joins = int((m.join_day == 0).sum())
    if remaining <= 0 or state.day == 0:
        return
    potential = m.initial + m.market
    adopted = m.initial + state.market_joined
    love = float(m.love[state.alive].mean()) if state.alive.size else 0.0
    ads = s.ad_spend_per_day if state.paid_levers_on else 0.0
    p_day = (p.bass_p + s.ad_effect * ads / 100.0) / DAYS_PER_YEAR
    q_day = p.bass_q * min(love / LOVE_REFERENCE, 2.0) / DAYS_PER_YEAR
    hazard = min(p_day + q_day * adopted / potential, 1.0)
    state.check(np.array([hazard]))
    joining = int(state.streams["arrivals"].binomial(remaining, hazard))
    start = m.initial + state.market_joined
    m.join_day[start : start + joining] = state.day
    state.market_joined += joining
    state.tally.joins = joining


def roll_alive(state: RunState) -> None:
    """Today's alive rows: yesterday's stayers and today's arrivals, kept ascending.

    Arrivals are the next rows of the market pool, which lie between the initial members and
    the bought block, so they are inserted, not recomputed from every row.
    """
    m, joins = state.members, state.tally.joins
    state.alive = state.staying
    if state.day == 0 or joins == 0:
        return
    start = m.initial + state.market_joined - joins
    state.present[start : start + joins] = True
    at = int(np.searchsorted(state.staying, start))
    new = np.arange(start, start + joins, dtype=np.int64)
    state.alive = np.concatenate((state.staying[:at], new, state.staying[at:]))


def visitors(state: RunState) -> I64:
    """Alive members who come by today; love (presence) makes visits likelier."""
    m = state.members
    # One uniform per row (not per alive row), so a row meets the same draws whoever else is
    # alive; computed over every row in place, which beats gathering the alive rows.
    rng = state.streams.daily("visits", state.day)
    u = rng.random(dtype=np.float32, out=state.uniforms)
    probability = np.add(m.love, np.float32(0.5), out=state.scratch)
    np.multiply(probability, m.visit, out=probability)
    np.minimum(probability, np.float32(1.0), out=probability)
    state.check(probability)
    coming = np.less(u, probability, out=state.flags)
    np.logical_and(coming, state.present, out=coming)
    return np.flatnonzero(coming)


def decay_love(state: RunState) -> None:
    """Love fades without interaction."""
    m = state.members
    m.love[state.alive] *= np.float32(1.0 - state.scenario.dynamics.love_decay)


def churn(state: RunState) -> None:
    """Members who leave at the end of today: a hazard that rises as trust and relevance fall."""
    m, dyn = state.members, state.scenario.dynamics
    # The hazard is largest at zero trust and relevance: only rows whose uniform falls below
    # that bound can leave, so the hazard is computed for them alone.
    exponent = 0.5 * (dyn.churn_trust_factor + dyn.churn_relevance_factor)
    bound = min(dyn.churn_daily * float(np.exp(exponent)) * 1.0001, 1.0)
    rows, u = bernoulli_rows(state.streams, "churn", state.day, m.capacity, bound)
    alive = state.present[rows]
    rows, u = rows[alive], u[alive]
    hazard: npt.NDArray[np.floating[Any]] = dyn.churn_daily * np.exp(
        dyn.churn_trust_factor * (0.5 - m.trust[rows])
        + dyn.churn_relevance_factor * (0.5 - m.relevance[rows])
    )
    hazard = state.check(np.minimum(hazard, 1.0))
    leaving = rows[u < hazard]
    state.leave(leaving)
    state.tally.churned = int(leaving.size)


def paid_levers_per_day(state: RunState) -> float:
    """What a day of the discretionary levers costs: ads and influencer outreach."""
    s, prices = state.strategy, state.scenario.prices
    return s.ad_spend_per_day + s.influencers * prices.influencer_monthly / DAYS_PER_MONTH


def enforce_budget(state: RunState) -> None:
    """Stop ads and influencers for good once the budget cannot pay another day of them.

    The manager and the posts are committed costs and go on (a community is not abandoned
    mid-year), so the total may pass the budget by those; bought followers are paid on day 0.
    """
    budget = state.strategy.budget
    if budget is None or not state.paid_levers_on:
        return
    discretionary = paid_levers_per_day(state)
    if discretionary > 0 and state.spent + discretionary > budget:
        state.budget_exhausted_day = state.day


def daily_cost(state: RunState) -> float:
    """What today costs: manager, posts (quality costs more), ads, influencers, bought followers."""
    s, prices, t = state.strategy, state.scenario.prices, state.tally
    monthly = prices.in_house_monthly if s.manager == "in-house" else prices.agency_monthly
    cost = monthly / DAYS_PER_MONTH
    cost += t.brand_posts * (prices.post + prices.quality_premium * s.quality**2)
    if state.paid_levers_on:
        cost += paid_levers_per_day(state)
    if state.day == 0:
        cost += int(state.members.bought.sum()) * prices.follower
    return cost


def end_of_day(state: RunState) -> None:
    """Audience, activity and relationship figures after today's churn."""
    m, t, d = state.members, state.tally, state.day
    staying = state.staying
    t.audience = int(staying.size)
    t.dau = int(state.active_on[d])
    t.mau = int(state.active_on[max(d - 29, 0) : d + 1].sum())
    t.love = float(m.love[staying].mean()) if staying.size else 0.0
    t.trust = float(m.trust[staying].mean()) if staying.size else 0.0
    t.retention = metrics.retention(state.cohort, state.cohort - state.cohort_left)
    state.close_day()
