"""The run's KPIs, by the domain's formulas: one row of daily figures and the run's summary."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from domain import metrics
from simulator.record import DayTally

DAILY_KPIS = (
    "audience", "joins", "churned", "active_members", "monthly_active", "stickiness",
    "brand_posts", "member_posts", "views", "likes", "comments", "shares", "engagement_rate",
    "amplification_rate", "conversation_rate", "applause_rate", "quality_weighted_engagement",
    "positive_mentions", "negative_mentions", "net_sentiment", "complaints", "response_rate",
    "median_first_response_seconds", "escalations", "escalation_sla", "retention", "love",
    "trust", "strategy_alignment", "conversions", "conversion_value", "cost",
)  # fmt: skip


def daily_row(t: DayTally, advantage: npt.NDArray[np.float32]) -> dict[str, float]:
    """The day's KPIs from its tally."""
    posts = t.brand_posts + t.member_posts
    positive = t.positive_mentions + t.positive_comments
    negative = t.negative_mentions + t.negative_comments
    voices = t.positive_mentions + t.negative_mentions + t.comments
    seconds = np.concatenate(t.response_seconds) if t.response_seconds else np.empty(0)
    median = metrics.median_first_response_time(seconds)
    return {
        "audience": t.audience, "joins": t.joins, "churned": t.churned,
        "active_members": t.dau, "monthly_active": t.mau,
        "stickiness": metrics.stickiness([t.dau], t.mau),
        "brand_posts": t.brand_posts, "member_posts": t.member_posts, "views": t.views,
        "likes": t.likes, "comments": t.comments, "shares": t.shares,
        "engagement_rate": metrics.engagement_rate(t.likes, t.comments, t.shares, t.audience),
        "amplification_rate": metrics.amplification_rate(t.shares, posts),
        "conversation_rate": metrics.conversation_rate(t.comments, posts),
        "applause_rate": metrics.applause_rate(t.likes, posts),
        "quality_weighted_engagement": t.quality_weighted,
        "positive_mentions": t.positive_mentions, "negative_mentions": t.negative_mentions,
        "net_sentiment": metrics.net_sentiment(positive, negative, voices),
        "complaints": t.complaints,
        "response_rate": metrics.response_rate(t.answered, t.complaints),
        "median_first_response_seconds": np.nan if median is None else median,
        "escalations": t.escalations,
        "escalation_sla": metrics.escalation_sla(t.escalations_within, t.escalations),
        "retention": t.retention, "love": t.love, "trust": t.trust,
        "strategy_alignment": metrics.strategy_alignment(t.topic_volume, advantage),
        "conversions": t.conversions, "conversion_value": t.conversion_value, "cost": t.cost,
    }  # fmt: skip


def _total(daily: dict[str, npt.NDArray[np.float64]], name: str) -> float:
    return float(daily[name].sum())


def summarize(
    daily: dict[str, npt.NDArray[np.float64]],
    tallies: dict[str, float],
    advantage: npt.NDArray[np.float32],
    topic_volume: npt.NDArray[np.float64],
    response_seconds: npt.NDArray[np.float64],
) -> dict[str, float]:
    """Whole-run KPIs: totals over the horizon, end-of-run levels, and rates over totals."""
    posts = _total(daily, "brand_posts") + _total(daily, "member_posts")
    likes, comments, shares = (_total(daily, k) for k in ("likes", "comments", "shares"))
    value, cost = _total(daily, "conversion_value"), _total(daily, "cost")
    payback = metrics.payback_index(daily["conversion_value"], daily["cost"])
    median = metrics.median_first_response_time(response_seconds)
    t = {k: int(v) for k, v in tallies.items()}
    return {
        "audience": float(daily["audience"][-1]),
        "engagement_rate": float(daily["engagement_rate"].mean()),
        "engagement_per_brand_post": metrics.safe_ratio(t["brand_engagements"], t["brand_posts"]),
        "amplification_rate": metrics.amplification_rate(shares, posts),
        "conversation_rate": metrics.conversation_rate(comments, posts),
        "applause_rate": metrics.applause_rate(likes, posts),
        "quality_weighted_engagement": _total(daily, "quality_weighted_engagement"),
        "stickiness": float(daily["stickiness"].mean()),
        "negative_mentions": _total(daily, "negative_mentions"),
        "net_sentiment": float(np.mean(daily["net_sentiment"])),
        "response_rate": metrics.response_rate(t["answered"], t["complaints"]),
        "median_first_response_hours": np.nan if median is None else median / 3600.0,
        "escalation_sla": metrics.escalation_sla(t["escalations_within"], t["escalations"]),
        "retention": float(daily["retention"][-1]),
        "churned": _total(daily, "churned"),
        "love": float(daily["love"][-1]),
        "trust": float(daily["trust"][-1]),
        "strategy_alignment": metrics.strategy_alignment(topic_volume, advantage),
        "conversions": _total(daily, "conversions"),
        "conversion_value": value,
        "cost": cost,
        "roi": metrics.roi(value, cost),
        "payback_day": np.nan if payback is None else float(payback),
    }  # fmt: skip
