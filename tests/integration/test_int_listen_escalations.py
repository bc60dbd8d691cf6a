"""Escalations, snowball alerts and the listening KPI figures on real databases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from listen_world import NOW, Clock, World, build_world
from sqlalchemy import select

from domain.db import Database
from domain.errors import NotFound, ValidationFailed
from domain.events import ALERT_RAISED, ESCALATION_CHANGED, MENTION_ESCALATED, DomainEvent
from domain.listening import kpis
from domain.listening.alerts import AlertService, SnowballWatch
from domain.listening.escalations import Actor, EscalationDraft, EscalationService
from domain.listening.mentions import MentionDraft, MentionService
from domain.listening.tables import ListeningSettings
from domain.metrics.window import Window
from domain.pagination import PageRequest
from domain.repositories.metrics import Scope
from domain.services.metrics import MetricsQuery, MetricsService


@pytest.fixture
async def world(db: Database) -> World:
    return await build_world(db)


async def _mention(db: Database, world: World, text: str, clock: Clock | None = None) -> int:
    async with db.session() as session:
        svc = MentionService(session, world.organization_id, clock or Clock())
        mention = await svc.record(MentionDraft("forum", text, author_handle="x"))
    assert mention.id is not None
    return mention.id


def escalations(session: object, world: World, clock: Clock) -> EscalationService:
    actor = Actor.key(world.key_id)
    return EscalationService(session, world.organization_id, actor, clock)  # type: ignore[arg-type]


async def test_an_escalation_goes_to_the_least_loaded_expert_on_its_topics(
    db: Database, world: World
) -> None:
    clock = Clock()
    picked = []
    for _ in range(4):
        mention_id = await _mention(db, world, "my invoice is wrong")
        async with db.session() as session:
            escalation = await escalations(session, world, clock).create(
                EscalationDraft(mention_id=mention_id)
            )
        picked.append(escalation.assignee_member_id)
    bea, bo = world.experts["bea"], world.experts["bo"]
    # Bea knows billing best so takes the first; then load alternates. Max is no expert.
    assert picked == [bea, bo, bea, bo]
    shipping = await _mention(db, world, "where is my parcel")
    async with db.session() as session:
        routed = await escalations(session, world, clock).create(
            EscalationDraft(mention_id=shipping)
        )
        nobody = await _mention(db, world, "hello there")
        unrouted = await escalations(session, world, clock).create(
            EscalationDraft(mention_id=nobody)
        )
    assert routed.assignee_member_id == world.experts["sam"]
    assert unrouted.assignee_member_id is None


async def test_an_escalation_runs_its_course_and_history_records_who_and_when(
    db: Database, world: World
) -> None:
    mention_id = await _mention(db, world, "I was charged twice, awful")
    clock = Clock()
    async with db.session() as session:
        svc = escalations(session, world, clock)
        created = await svc.create(EscalationDraft(mention_id=mention_id, reason="refund"))
        assert created.id is not None
        # Held apart: a refused write rolls back and expires the rows the session loaded.
        escalation_id = created.id
        assert created.target_seconds == 24 * 3600
        assert created.due_at == NOW + timedelta(hours=24)
        clock.now = NOW + timedelta(hours=2)
        await svc.reassign(escalation_id, None)
        clock.now = NOW + timedelta(hours=3)
        responded = await svc.respond(escalation_id, "Refunded today.")
        assert responded.first_response_seconds == 3 * 3600
        clock.now = NOW + timedelta(hours=5)
        resolved = await svc.resolve(escalation_id, "done")
        assert resolved.status == "resolved"
        with pytest.raises(ValidationFailed) as refused:
            await svc.respond(escalation_id, "again")
        assert refused.value.problems[0].code == "INVALID_TRANSITION"
        history = await svc.history(escalation_id, PageRequest(first=10))
        mention = (await MentionService(session, world.organization_id).get_many([mention_id]))[
            mention_id
        ]
        names = [e.name for e in (await session.scalars(select(DomainEvent))).all()]
    assert [(c.action, c.from_status, c.to_status) for c in history.items] == [
        ("created", None, "open"),
        ("reassigned", "open", "open"),
        ("responded", "open", "responded"),
        ("resolved", "responded", "resolved"),
    ]
    assert {c.actor for c in history.items} == {f"api_key:{world.key_id}"}
    assert [c.occurred_at for c in history.items] == [
        NOW,
        NOW + timedelta(hours=2),
        NOW + timedelta(hours=3),
        NOW + timedelta(hours=5),
    ]
    # Routed to Bea first, handed to Bo when reassigned without a name.
    assert [c.assignee_member_id for c in history.items[:2]] == [
        world.experts["bea"],
        world.experts["bo"],
    ]
    assert (mention.status, mention.response_text) == ("responded", "Refunded today.")
    assert MENTION_ESCALATED in names
    assert names.count(ESCALATION_CHANGED) == 4


async def test_escalation_input_is_checked_before_anything_is_written(
    db: Database, world: World
) -> None:
    clock = Clock()
    mention_id = await _mention(db, world, "meh")
    async with db.session() as session:
        svc = escalations(session, world, clock)
        with pytest.raises(ValidationFailed):
            await svc.create(EscalationDraft())
        with pytest.raises(NotFound):
            await svc.create(EscalationDraft(mention_id=987654))
        with pytest.raises(NotFound):
            await svc.create(EscalationDraft(mention_id=mention_id, assignee_id=987654))
        first = await svc.create(EscalationDraft(mention_id=mention_id))
        first_id = first.id
        assert first_id is not None
        with pytest.raises(ValidationFailed) as twice:
            await svc.create(EscalationDraft(mention_id=mention_id))
        assert twice.value.problems[0].code == "INVALID_TRANSITION"
        assert await svc.total(None) == 1
        resolved = await svc.resolve(first_id)
        assert resolved.status == "resolved"
        mention = (await MentionService(session, world.organization_id).get_many([mention_id]))[
            mention_id
        ]
    # Resolved without an answer: the mention is back in the inbox to be answered.
    assert mention.status == "triaged"


async def _negatives(db: Database, world: World, clock: Clock, count: int, at_minutes: int) -> None:
    drafts = [
        MentionDraft(
            "forum",
            "billing is broken",
            author_handle=f"n{i}",
            sentiment=-0.8,
            occurred_at=clock.now - timedelta(minutes=at_minutes),
        )
        for i in range(count)
    ]
    async with db.session() as session:
        await MentionService(session, world.organization_id, clock).ingest(drafts)


async def _alerts(db: Database, world: World) -> list[tuple[int, str]]:
    async with db.session() as session:
        page = await AlertService(session, world.organization_id).page(False, PageRequest())
    return [(a.topic_id, a.status) for a in page.items]


async def test_an_alert_fires_once_past_the_threshold_and_not_below_it(
    db: Database, world: World
) -> None:
    clock = Clock()
    # A baseline: 14 negative billing mentions over the past week, 1 per 12 hours.
    for day in range(1, 8):
        await _negatives(db, world, clock, 2, at_minutes=day * 24 * 60)
    await _negatives(db, world, clock, 4, at_minutes=5)
    assert await _alerts(db, world) == []  # four is below the minimum of five
    await _negatives(db, world, clock, 1, at_minutes=4)
    assert await _alerts(db, world) == [(world.billing, "open")]
    await _negatives(db, world, clock, 3, at_minutes=3)
    assert await _alerts(db, world) == [(world.billing, "open")]  # same episode
    # Two hours on, the last hour is calm: the next negative mention ends the episode.
    clock.now = NOW + timedelta(hours=2)
    await _negatives(db, world, clock, 1, at_minutes=1)
    assert await _alerts(db, world) == [(world.billing, "ended")]
    await _negatives(db, world, clock, 6, at_minutes=1)
    assert await _alerts(db, world) == [(world.billing, "open"), (world.billing, "ended")]
    async with db.session() as session:
        names = [e.name for e in (await session.scalars(select(DomainEvent))).all()]
    assert names.count(ALERT_RAISED) == 2


async def test_alert_thresholds_are_per_organization(db: Database, world: World) -> None:
    async with db.session() as session:
        session.add(
            ListeningSettings(
                organization_id=world.organization_id, snowball_min_count=2, snowball_ratio=1.5
            )
        )
        await session.commit()
    clock = Clock()
    await _negatives(db, world, clock, 2, at_minutes=1)
    assert await _alerts(db, world) == [(world.billing, "open")]


async def test_evaluating_an_unchanged_topic_twice_raises_nothing_new(
    db: Database, world: World
) -> None:
    clock = Clock()
    await _negatives(db, world, clock, 6, at_minutes=1)
    async with db.session() as session:
        again = await SnowballWatch(session, world.organization_id, clock).evaluate([world.billing])
    assert again == []
    assert len(await _alerts(db, world)) == 1


async def test_kpi_figures_are_counted_from_rows_as_by_hand(db: Database, world: World) -> None:
    clock = Clock()
    drafts = [
        MentionDraft("f", "a", author_handle="a", sentiment=0.6, kind=None),
        MentionDraft("f", "b", author_handle="b", sentiment=0.04),
        MentionDraft("f", "c?", author_handle="c", sentiment=-0.7),
        MentionDraft("f", "how?", author_handle="d", sentiment=0.0),
        MentionDraft("f", "e", author_handle="e", sentiment=-0.2),
    ]
    async with db.session() as session:
        made = await MentionService(session, world.organization_id, clock).ingest(drafts)
        clock.now = NOW + timedelta(minutes=10)
        mentions = MentionService(session, world.organization_id, clock)
        await mentions.respond(made[2].id or 0, "sorry")
        clock.now = NOW + timedelta(minutes=30)
        await mentions.respond(made[3].id or 0, "like this")
        start, end = NOW - timedelta(hours=1), NOW + timedelta(hours=1)
        sentiment = await kpis.mention_sentiment(session, world.organization_id, start, end)
        responses = await kpis.mention_responses(session, world.organization_id, start, end)
        svc = escalations(session, world, clock)
        clock.now = NOW
        one = await svc.create(EscalationDraft(mention_id=made[4].id, reason="x"))
        two = await svc.create(EscalationDraft(mention_id=made[0].id))
        await svc.create(EscalationDraft(mention_id=made[1].id))
        clock.now = NOW + timedelta(hours=1)
        await svc.respond(one.id or 0, "fast")
        clock.now = NOW + timedelta(hours=30)
        await svc.respond(two.id or 0, "slow")
        sla = await kpis.escalation_responses(session, world.organization_id, start, end)
        empty = await kpis.escalation_responses(session, world.organization_id, end, end)
    assert (sentiment.positive, sentiment.negative, sentiment.total) == (1, 2, 5)
    assert sentiment.net == pytest.approx(-20.0)
    # Complaints c and e, question d: c and d answered after 10 and 30 minutes.
    assert (responses.answered, responses.needing_answer) == (2, 3)
    assert responses.rate == pytest.approx(2 / 3)
    assert responses.median_first_response_seconds == 20 * 60
    # Three escalations, 24 h targets: one answered in 1 h, one in 30 h, one not yet.
    assert (sla.within_target, sla.escalations) == (1, 3)
    assert sla.sla == pytest.approx(1 / 3)
    assert sla.median_first_response_seconds == (3600 + 30 * 3600) / 2
    assert (empty.escalations, empty.sla, empty.median_first_response_seconds) == (0, 0.0, None)


async def test_an_organization_summary_counts_mentions_and_escalations_by_the_same_figures(
    db: Database, world: World
) -> None:
    clock = Clock()
    drafts = [
        MentionDraft("f", "great", author_handle="a", sentiment=0.6),
        MentionDraft("f", "broken?", author_handle="b", sentiment=-0.7),
        MentionDraft("f", "how?", author_handle="c", sentiment=0.0),
    ]
    async with db.session() as session:
        made = await MentionService(session, world.organization_id, clock).ingest(drafts)
        clock.now = NOW + timedelta(minutes=10)
        await MentionService(session, world.organization_id, clock).respond(made[1].id or 0, "ok")
        svc = escalations(session, world, clock)
        clock.now = NOW
        fast = await svc.create(EscalationDraft(mention_id=made[0].id))
        await svc.create(EscalationDraft(mention_id=made[2].id))
        clock.now = NOW + timedelta(hours=2)
        await svc.respond(fast.id or 0, "done")
        window = Window.between(NOW - timedelta(hours=12), NOW + timedelta(hours=11))
        service = MetricsService(session, world.organization_id)
        organization = await service.reports(
            Scope.ORGANIZATION, [world.organization_id], MetricsQuery(window)
        )
        community = await service.reports(Scope.COMMUNITY, [world.community], MetricsQuery(window))
    summary = organization[world.organization_id].summary
    assert summary.mentions == 3
    assert summary.net_sentiment == pytest.approx(100 * (1 - 1) / 3)
    # The complaint and the question need an answer; the complaint got one after 10 minutes.
    assert summary.response_rate == pytest.approx(1 / 2)
    assert summary.median_first_response_seconds == 600
    assert (summary.escalations, summary.escalation_sla) == (2, pytest.approx(1 / 2))
    assert summary.median_escalation_response_seconds == 2 * 3600
    # Mentions belong to the brand, not to a community: the community's figures leave them out.
    alone = community[world.community].summary
    assert (alone.mentions, alone.escalations, alone.escalation_sla) == (0, 0, None)
