"""Scenarios and strategies: Pydantic models, TOML loading and the built-in catalogue.

Every field has a default documented (with its source) in docs/SIMULATOR.md; a TOML file only
states what differs. Unknown fields and out-of-range values are errors that name the field.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

Share = Annotated[float, Field(ge=0.0, le=1.0)]
Positive = Annotated[float, Field(gt=0.0)]
NonNegative = Annotated[float, Field(ge=0.0)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Topic(_Model):
    """A subject of conversation, as the organization's vocabulary names it."""

    name: str = Field(min_length=1)
    popularity: Positive = 1.0
    advantage: Share = 0.0
    goal: bool = False


class Population(_Model):
    """Who the community is made of and how they are connected."""

    members: int = Field(default=2_000, ge=10, le=20_000_000)
    interest_concentration: Positive = 0.5
    affinity_alpha: Positive = 4.0
    affinity_beta: Positive = 2.0
    visit_median: Share = 0.12
    visit_sigma: NonNegative = 1.0
    creator_median: Share = 0.004
    creator_sigma: NonNegative = 2.0
    mean_follows: Positive = 10.0
    attractiveness_exponent: float = Field(default=2.3, gt=1.0, le=10.0)
    triad_probability: Share = 0.5
    homophily: Share = 0.6
    market_share: NonNegative = 0.5
    bass_p: Share = 0.03
    bass_q: Share = 0.38


class Dynamics(_Model):
    """The behavioural rules every strategy lives under."""

    feed_size: int = Field(default=5, ge=1, le=100)
    base_engagement: Positive = 0.06
    social_proof: NonNegative = 0.15
    brand_visibility: Positive = 8.0
    like_share: Share = 0.75
    comment_share: Share = 0.18
    share_attention: Share = 0.08
    cascade_depth: int = Field(default=4, ge=0, le=20)
    complaint_rate: Share = 0.0004
    snowball_hours: Positive = 12.0
    echo_probability: Share = 0.15
    advocacy_probability: Share = 0.004
    love_rate: Share = 0.05
    love_decay: Share = 0.01
    trust_answer_gain: Share = 0.15
    trust_resolution_gain: Share = 0.1
    trust_ignored_loss: Share = 0.25
    trust_echo_loss: Share = 0.03
    trust_relevance_gain: Share = 0.01
    spam_loss: Share = 0.01
    churn_daily: Share = 0.0008
    churn_trust_factor: NonNegative = 4.0
    churn_relevance_factor: NonNegative = 3.0
    conversion_probability: Share = 0.01
    brand_call_to_action: NonNegative = 10.0
    interest_drift: Share = 0.02
    conversion_value: NonNegative = 40.0


class Incident(_Model):
    """A real product flaw that makes members complain for a while."""

    day: int = Field(ge=0)
    severity: Share = 0.02
    duration_days: int = Field(default=5, ge=1, le=365)


class Prices(_Model):
    """What the levers cost, in the scenario's currency."""

    post: NonNegative = 40.0
    quality_premium: NonNegative = 120.0
    follower: NonNegative = 0.5
    ad_per_day: NonNegative = 0.0
    in_house_monthly: NonNegative = 5_000.0
    agency_monthly: NonNegative = 6_000.0
    influencer_monthly: NonNegative = 500.0
    escalation: NonNegative = 15.0


class TopicMix(_Model):
    """How the brand picks the topic of each post; weights are normalised."""

    interests: NonNegative = 1.0
    goals: NonNegative = 0.0
    strategic: NonNegative = 0.0

    @model_validator(mode="after")
    def _some_weight(self) -> TopicMix:
        if self.interests + self.goals + self.strategic <= 0:
            raise ValueError("at least one of interests, goals, strategic must be positive")
        return self


class Strategy(_Model):
    """The levers a strategist turns."""

    name: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9-]*$")
    description: str = ""
    posts_per_day: float = Field(default=1.0, ge=0.0, le=200.0)
    topic_mix: TopicMix = TopicMix()
    quality: Share = 0.6
    response_share: Share = 0.8
    response_hours: Positive = 8.0
    escalation: bool = False
    expert_hours: Positive = 4.0
    escalation_target_hours: Positive = 8.0
    paid_followers: float = Field(default=0.0, ge=0.0, le=10.0)
    paid_affinity: Share = 0.08
    ad_spend_per_day: NonNegative = 0.0
    ad_effect: NonNegative = 0.002
    influencers: int = Field(default=0, ge=0, le=10_000)
    influencer_share_probability: Share = 0.3
    manager: Literal["in-house", "agency"] = "in-house"
    skill_start: Share = 0.4
    skill_max: Share = 0.95
    learning_days: Positive = 120.0
    agency_skill_cap: Share = 0.6
    budget: NonNegative | None = None


class Scenario(_Model):
    """A community, its rules, its incidents and the strategies to compare."""

    name: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9-]*$")
    description: str = ""
    days: int = Field(default=90, ge=1, le=3_650)
    topics: list[Topic] = Field(default_factory=lambda: _default_topics(), min_length=2)
    population: Population = Population()
    dynamics: Dynamics = Dynamics()
    prices: Prices = Prices()
    incidents: list[Incident] = Field(default_factory=list)
    strategies: list[Strategy] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_names(self) -> Scenario:
        names = [s.name for s in self.strategies]
        if len(set(names)) != len(names):
            raise ValueError(f"strategy names must be unique, got {names}")
        topics = [t.name for t in self.topics]
        if len(set(topics)) != len(topics):
            raise ValueError(f"topic names must be unique, got {topics}")
        return self

    @model_validator(mode="after")
    def _affordable_followers(self) -> Scenario:
        # Followers are bought up front: a budget that cannot pay for them is a contradiction.
        for s in self.strategies:
            bought = round(self.population.members * s.paid_followers) * self.prices.follower
            if s.budget is not None and bought > s.budget:
                raise ValueError(
                    f"strategy {s.name!r}: buying its followers costs {bought:,.0f}, more than "
                    f"its budget of {s.budget:,.0f}"
                )
        return self

    def strategy(self, name: str) -> Strategy:
        """The strategy called name; ScenarioError naming the choices otherwise."""
        for strategy in self.strategies:
            if strategy.name == name:
                return strategy
        known = ", ".join(s.name for s in self.strategies)
        raise ScenarioError(f"scenario {self.name!r} has no strategy {name!r} (known: {known})")

    def resized(self, members: int | None = None, days: int | None = None) -> Scenario:
        """A copy with another population size and/or horizon, validated again."""
        data = self.model_dump()
        if members is not None:
            data["population"]["members"] = members
        if days is not None:
            data["days"] = days
        return parse_scenario(data, source=f"{self.name} (resized)")

    def only(self, names: list[str]) -> Scenario:
        """A copy keeping only the named strategies, in the given order."""
        chosen = [self.strategy(name) for name in names]
        return self.model_copy(update={"strategies": chosen})


class ScenarioError(ValueError):
    """A scenario could not be loaded; the message names the file and the bad field."""


def _default_topics() -> list[Topic]:
    return [
        Topic(name="how-to", popularity=3.0, advantage=0.8),
        Topic(name="product-news", popularity=1.0, goal=True),
        Topic(name="promotions", popularity=0.5, goal=True),
        Topic(name="integrations", popularity=1.5, advantage=1.0),
        Topic(name="industry", popularity=2.0),
        Topic(name="careers", popularity=0.7),
        Topic(name="off-topic", popularity=2.5),
        Topic(name="support", popularity=1.5, advantage=0.3),
    ]


def _describe(error: ValidationError, source: str) -> str:
    lines = [f"invalid scenario {source}:"]
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "(top level)"
        lines.append(f"  {where}: {item['msg']}")
    return "\n".join(lines)


def parse_scenario(data: dict[str, object], source: str = "<data>") -> Scenario:
    """Validate a dict (as read from TOML) into a Scenario, or raise ScenarioError."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as error:
        raise ScenarioError(_describe(error, source)) from None


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario TOML file."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ScenarioError(f"cannot read scenario {path}: {error}") from None
    return parse_scenario(data, source=str(path))


def builtin_names() -> list[str]:
    """Names of the scenarios shipped with the package, sorted."""
    folder = resources.files("simulator") / "scenarios"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def builtin_scenario(name: str) -> Scenario:
    """A built-in scenario by name, or ScenarioError listing the built-ins."""
    if name not in builtin_names():
        raise ScenarioError(f"no built-in scenario {name!r} (built-ins: {builtin_names()})")
    text = (resources.files("simulator") / "scenarios" / f"{name}.toml").read_text("utf-8")
    return parse_scenario(tomllib.loads(text), source=f"built-in {name}")


def resolve_scenario(name_or_path: str) -> Scenario:
    """A built-in by name, or a TOML file by path."""
    if name_or_path.endswith(".toml") or Path(name_or_path).is_file():
        return load_scenario(name_or_path)
    return builtin_scenario(name_or_path)
