"""Mentions on real databases: scoring, tagging, bulk all-or-nothing, the inbox and triage."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import pytest
from listen_world import NOW, Clock, World, build_world
from sqlalchemy import func, select

from domain.db import Database
from domain.errors import NotFound, ValidationFailed
from domain.events import MENTION_ADDED, DomainEvent
from domain.listening.enums import MentionKind, MentionStatus, Priority, SentimentLabel
from domain.listening.mentions import MentionDraft, MentionService, Triage
from domain.listening.repositories import MentionFilter
from domain.listening.tables import Mention
from domain.pagination import PageRequest


@pytest.fixture
async def world(db: Database) -> World:
    return await build_world(db)


def service(session: object, world: World, clock: Clock | None = None) -> MentionService:
    return MentionService(session, world.organization_id, clock or Clock())  # type: ignore[arg-type]


async def test_a_mention_is_scored_tagged_and_reaches_its_authors_followers(
    db: Database, world: World
) -> None:
    async with db.session() as session:
        mention = await service(session, world).record(
            MentionDraft("twitter", "I was charged twice, this billing is a scam!", world.fan)
        )
        topics = await service(session, world).topics_of([mention.id or 0])
    assert mention.sentiment < -0.05
    assert mention.kind == MentionKind.COMPLAINT.value
    assert mention.reach == 1200
    assert mention.author_handle == "fan"
    assert mention.status == MentionStatus.NEW.value
    assert topics[mention.id or 0] == [world.billing]


async def test_a_given_score_is_kept_and_a_bare_handle_brings_its_own_followers(
    db: Database, world: World
) -> None:
    draft = MentionDraft(
        "reviews", "Lovely parcel", author_handle="@kim", author_followers=40, sentiment=-0.3
    )
    async with db.session() as session:
        mention = await service(session, world).record(draft)
    assert mention.sentiment == -0.3
    assert mention.author_member_id is None
    assert (mention.author_handle, mention.reach) == ("@kim", 40)


async def test_bulk_ingest_writes_all_or_reports_every_bad_item_and_writes_none(
    db: Database, world: World
) -> None:
    good = MentionDraft("forum", "delivery was quick", author_handle="a")
    bad = [
        good,
        MentionDraft("forum", "   ", author_handle="b"),
        MentionDraft("forum", "fine", author_id=987654),
        MentionDraft("forum", "later", author_handle="c", occurred_at=NOW + timedelta(days=1)),
    ]
    async with db.session() as session:
        with pytest.raises(ValidationFailed) as refused:
            await service(session, world).ingest(bad)
        fields = {p.field: p.code for p in refused.value.problems}
        assert fields == {
            ("items", "1", "text"): "BLANK",
            ("items", "2", "authorId"): "NOT_FOUND",
            ("items", "3", "occurredAt"): "IN_FUTURE",
        }
        assert await session.scalar(select(func.count()).select_from(Mention)) == 0
        written = await service(session, world).ingest([good] * 3)
        events = (await session.scalars(select(DomainEvent))).all()
    assert len(written) == 3
    # The world's setup announced its communities' metrics; the ingest announced the mentions.
    assert [e.name for e in events if e.subject_type == "Mention"] == [MENTION_ADDED] * 3


async def test_a_batch_holds_at_most_250_mentions(db: Database, world: World) -> None:
    draft = MentionDraft("forum", "hi", author_handle="a")
    async with db.session() as session:
        with pytest.raises(ValidationFailed) as refused:
            await service(session, world).ingest([draft] * 251)
    assert refused.value.problems[0].code == "TOO_MANY"


async def _seed_inbox(db: Database, world: World) -> list[Mention]:
    drafts = [
        MentionDraft(
            "forum",
            text,
            author_handle=f"u{i}",
            occurred_at=NOW - timedelta(minutes=10 * i),
            priority=priority,
        )
        for i, (text, priority) in enumerate(
            [
                ("my invoice is wrong and I hate it", Priority.HIGH),
                ("shipping was great, thanks!", None),
                ("where is my parcel?", None),
                ("billing page looks fine", Priority.LOW),
                ("terrible delivery, broken box", Priority.HIGH),
            ]
        )
    ]
    async with db.session() as session:
        return await service(session, world).ingest(drafts)


async def _inbox(
    db: Database, world: World, where: MentionFilter, request: PageRequest | None = None
) -> list[str]:
    async with db.session() as session:
        page = await service(session, world).inbox(where, request or PageRequest(first=50))
    return [m.author_handle for m in page.items]


async def test_the_inbox_lists_newest_first_and_narrows_by_every_filter(
    db: Database, world: World
) -> None:
    await _seed_inbox(db, world)
    assert await _inbox(db, world, MentionFilter()) == ["u0", "u1", "u2", "u3", "u4"]
    negative = MentionFilter(sentiment=SentimentLabel.NEGATIVE)
    assert await _inbox(db, world, negative) == ["u0", "u4"]
    assert await _inbox(db, world, MentionFilter(topic_id=world.shipping)) == ["u1", "u2", "u4"]
    assert await _inbox(db, world, MentionFilter(priority=Priority.HIGH)) == ["u0", "u4"]
    assert await _inbox(db, world, MentionFilter(kind=MentionKind.QUESTION)) == ["u2"]
    since = MentionFilter(since=NOW - timedelta(minutes=20))
    assert await _inbox(db, world, since) == ["u0", "u1", "u2"]
    assert await _inbox(db, world, MentionFilter(status=MentionStatus.IGNORED)) == []
    # Another organization's topic id matches nothing here.
    assert await _inbox(db, world, MentionFilter(topic_id=world.billing + 2)) == []


async def test_inbox_pages_walk_forward_and_back_without_gaps(db: Database, world: World) -> None:
    await _seed_inbox(db, world)
    seen: list[str] = []
    request = PageRequest(first=2)
    async with db.session() as session:
        svc = service(session, world)
        while True:
            page = await svc.inbox(MentionFilter(), request)
            seen += [m.author_handle for m in page.items]
            if not page.has_next:
                break
            request = PageRequest(first=2, after=page.end_cursor)
        back = await svc.inbox(MentionFilter(), PageRequest(last=2, before=page.start_cursor))
        total = await svc.inbox_total(MentionFilter())
    assert seen == ["u0", "u1", "u2", "u3", "u4"]
    assert [m.author_handle for m in back.items] == ["u2", "u3"]
    assert total == 5


async def test_triage_moves_a_mention_through_its_states_and_refuses_invalid_moves(
    db: Database, world: World
) -> None:
    mentions = await _seed_inbox(db, world)
    first, second = (m.id or 0 for m in mentions[:2])
    clock = Clock(NOW + timedelta(minutes=30))
    async with db.session() as session:
        svc = service(session, world, clock)
        triaged = await svc.triage(
            first, Triage(priority=Priority.URGENT, assignee_id=world.experts["bea"])
        )
        assert (triaged.status, triaged.priority) == ("triaged", "urgent")
        assert triaged.assignee_member_id == world.experts["bea"]
        answered = await svc.respond(first, "Sorry, refunded.")
        assert answered.status == "responded"
        assert answered.first_response_seconds == 30 * 60
        ignored = await svc.ignore(second)
        assert ignored.status == "ignored"
        reopened = await svc.triage(second, Triage())
        assert reopened.status == "triaged"
        refusals: Sequence[tuple[str, object]] = [
            ("ignore", lambda: svc.ignore(first)),
            ("triage", lambda: svc.triage(first, Triage())),
            ("respond", lambda: svc.respond(first, "again")),
        ]
        for _, attempt in refusals:
            with pytest.raises(ValidationFailed) as refused:
                await attempt()  # type: ignore[operator]
            assert refused.value.problems[0].code == "INVALID_TRANSITION"
        with pytest.raises(NotFound):
            await svc.triage(second, Triage(assignee_id=987654))
        with pytest.raises(NotFound):
            await svc.ignore(987654)
        still = await svc.get_many([first])
    assert still[first].response_text == "Sorry, refunded."


async def test_another_organizations_mention_is_unknown(db: Database, world: World) -> None:
    mentions = await _seed_inbox(db, world)
    async with db.session() as session:
        foreign = MentionService(session, world.other_organization_id)
        with pytest.raises(NotFound):
            await foreign.ignore(mentions[0].id or 0)
        assert await foreign.get_many([mentions[0].id or 0]) == {}
        assert (await foreign.inbox(MentionFilter(), PageRequest())).items == []
