"""Mechanisms, in expectation over seeds on common random numbers (paired by seed).

Each test changes one lever and checks the direction of the effect with a paired 95%
interval: the mechanism, not a hard-coded outcome.
"""

from simulator import SIZES, Scenario, run_experiment
from simulator.scenario import Incident, Strategy

SEEDS = 6
SMALL = SIZES["small"]


def _compare(base: Strategy, changed: Strategy, kpi: str, **scenario) -> float:
    """Paired difference changed - base of a KPI; asserts the 95% interval excludes zero."""
    sc = Scenario(name="mechanism", strategies=[base, changed], days=SMALL.days, **scenario)
    sc = sc.resized(members=SMALL.members)
    result = run_experiment(sc, SEEDS, base_seed=11, workers=1)
    difference = result.differences()[(base.name, changed.name)][kpi]
    assert difference.excludes_zero, difference
    return difference.mean


def test_faster_answers_give_fewer_negative_mentions():
    slow = Strategy(name="slow", response_share=0.9, response_hours=48.0)
    fast = Strategy(name="fast", response_share=0.9, response_hours=0.5)
    incident = [Incident(day=10, severity=0.03, duration_days=10)]
    assert _compare(slow, fast, "negative_mentions", incidents=incident) < 0


def test_higher_quality_gives_more_engagement_per_post():
    low = Strategy(name="low", quality=0.2)
    high = Strategy(name="high", quality=0.9)
    assert _compare(low, high, "engagement_per_brand_post") > 0


def test_a_bought_audience_lowers_the_engagement_rate():
    organic = Strategy(name="organic")
    bought = Strategy(name="bought", paid_followers=1.0)
    assert _compare(organic, bought, "engagement_rate") < 0


def test_more_strategic_topic_content_gives_more_conversions():
    buzz = Strategy(name="buzz", posts_per_day=2.0, topic_mix={"interests": 1.0})
    strategic = Strategy(
        name="strategic", posts_per_day=2.0, topic_mix={"interests": 0.2, "strategic": 0.8}
    )
    assert _compare(buzz, strategic, "conversions") > 0
