"""Validation rules: every problem reported at once, and nothing written when input is bad."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from domain.db import Database
from domain.entities import Community, Content, Engagement, Member, Organization
from domain.enums import ContentKind, EngagementKind, Platform, Visibility
from domain.errors import FieldProblem, ValidationFailed
from domain.services.communities import CommunityChanges, CommunityDraft, CommunityService
from domain.services.content import ContentDraft, ContentService
from domain.services.engagement import MAX_BATCH, EngagementDraft, EngagementService
from domain.services.members import Interest, MemberDraft, MemberService
from domain.services.organizations import OrganizationService, TopicDraft
from domain.validation import HANDLE_PATTERN, SLUG_PATTERN, Problems


def _codes(error: ValidationFailed) -> dict[str, str]:
    return {".".join(p.field): p.code for p in error.problems}


# -- Problems -----------------------------------------------------------------------------


def test_problems_collect_every_fault_under_their_prefix() -> None:
    problems = Problems(("items", "3"))
    problems.text("name", "   ", low=1, high=10)
    problems.text("bio", "x" * 11, low=0, high=10)
    problems.within("weight", 2.0, 0.0, 1.0)
    problems.pattern("slug", "Bad Slug", SLUG_PATTERN, "is not a slug")
    with pytest.raises(ValidationFailed) as raised:
        problems.raise_if_any()
    assert raised.value.problems == (
        FieldProblem(("items", "3", "name"), "`name` must not be blank", "BLANK"),
        FieldProblem(("items", "3", "bio"), "`bio` must be at most 10 characters", "TOO_LONG"),
        FieldProblem(("items", "3", "weight"), "`weight` must be between 0 and 1", "OUT_OF_RANGE"),
        FieldProblem(("items", "3", "slug"), "`slug` is not a slug", "INVALID_FORMAT"),
    )


def test_problems_ignore_fields_left_out() -> None:
    problems = Problems()
    problems.text("name", None, low=1, high=10)
    problems.within("weight", None, 0.0, 1.0)
    problems.pattern("slug", None, SLUG_PATTERN, "is not a slug")
    problems.raise_if_any()
    assert problems.items == []


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_within_accepts_exactly_the_numbers_inside_the_range(value: float) -> None:
    problems = Problems()
    problems.within("x", value, -1.0, 1.0)
    inside = not math.isnan(value) and -1.0 <= value <= 1.0
    assert (problems.items == []) == inside


@pytest.mark.parametrize("slug", ["a", "acme", "acme-2", "a" * 64, "0x"])
def test_good_slugs_match(slug: str) -> None:
    assert SLUG_PATTERN.fullmatch(slug)


@pytest.mark.parametrize("slug", ["", "-acme", "acme-", "Acme", "ac me", "a" * 65, "acmé"])
def test_bad_slugs_do_not_match(slug: str) -> None:
    assert not SLUG_PATTERN.fullmatch(slug)


@pytest.mark.parametrize("handle", ["bob", "Bob.Smith", "a_b-c", "x" * 64])
def test_good_handles_match(handle: str) -> None:
    assert HANDLE_PATTERN.fullmatch(handle)


@pytest.mark.parametrize("handle", ["", "bob smith", "bob@x", "x" * 65, "zoë"])
def test_bad_handles_do_not_match(handle: str) -> None:
    assert not HANDLE_PATTERN.fullmatch(handle)


# -- services refuse bad input before writing --------------------------------------------


async def _organization(db: Database) -> int:
    async with db.session() as session:
        organization = await OrganizationService(session).create("acme", "Acme")
        assert organization.id is not None
        return organization.id


async def _count(db: Database, entity: type) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(entity)) or 0)


async def test_an_organization_with_a_bad_slug_and_blank_name_is_refused(
    sqlite_db: Database,
) -> None:
    async with sqlite_db.session() as session:
        with pytest.raises(ValidationFailed) as raised:
            await OrganizationService(session).create("Not A Slug", "  ")
    assert _codes(raised.value) == {"slug": "INVALID_FORMAT", "name": "BLANK"}
    assert await _count(sqlite_db, Organization) == 0


async def test_a_topic_with_an_advantage_above_one_is_refused(sqlite_db: Database) -> None:
    organization_id = await _organization(sqlite_db)
    async with sqlite_db.session() as session:
        with pytest.raises(ValidationFailed) as raised:
            await OrganizationService(session).add_topic(
                organization_id, TopicDraft("pricing", "Pricing", advantage=1.5)
            )
    assert _codes(raised.value) == {"advantage": "OUT_OF_RANGE"}


async def test_a_community_needs_a_name_and_a_short_description(sqlite_db: Database) -> None:
    organization_id = await _organization(sqlite_db)
    async with sqlite_db.session() as session:
        service = CommunityService(session, organization_id)
        with pytest.raises(ValidationFailed) as raised:
            await service.create(
                CommunityDraft(" ", Platform.FORUM, Visibility.PUBLIC, description="d" * 2001)
            )
        with pytest.raises(ValidationFailed) as on_update:
            await service.update(1, CommunityChanges(name="n" * 201))
    assert _codes(raised.value) == {"name": "BLANK", "description": "TOO_LONG"}
    assert _codes(on_update.value) == {"name": "TOO_LONG"}
    assert await _count(sqlite_db, Community) == 0


async def test_a_member_draft_reports_every_problem_at_once(sqlite_db: Database) -> None:
    organization_id = await _organization(sqlite_db)
    draft = MemberDraft(
        handle="no spaces please",
        display_name="",
        interests=(Interest(1, 0.7), Interest(1, 0.6), Interest(2, -0.1)),
    )
    async with sqlite_db.session() as session:
        with pytest.raises(ValidationFailed) as raised:
            await MemberService(session, organization_id).create(draft)
    assert _codes(raised.value) == {
        "handle": "INVALID_FORMAT",
        "displayName": "BLANK",
        "interests.1.topicId": "DUPLICATE",
        "interests.2.weight": "OUT_OF_RANGE",
        "interests": "OUT_OF_RANGE",
    }
    assert await _count(sqlite_db, Member) == 0


async def test_interests_of_an_unknown_topic_are_refused(sqlite_db: Database) -> None:
    organization_id = await _organization(sqlite_db)
    async with sqlite_db.session() as session:
        with pytest.raises(ValidationFailed) as raised:
            await MemberService(session, organization_id).create(
                MemberDraft("bob", "Bob", interests=(Interest(999, 0.5),))
            )
    assert _codes(raised.value) == {"interests.0.topicId": "NOT_FOUND"}


async def test_a_member_cannot_follow_themselves(sqlite_db: Database) -> None:
    organization_id = await _organization(sqlite_db)
    async with sqlite_db.session() as session:
        with pytest.raises(ValidationFailed) as raised:
            await MemberService(session, organization_id).follow(7, 7)
    assert _codes(raised.value) == {"followeeId": "SELF_FOLLOW"}


async def test_content_fields_are_checked_before_its_references(sqlite_db: Database) -> None:
    organization_id = await _organization(sqlite_db)
    draft = ContentDraft(
        community_id=1,
        kind=ContentKind.POST,
        body="",
        title="t" * 301,
        topic_ids=(1, 1),
        sentiment=1.5,
        quality=-0.1,
    )
    async with sqlite_db.session() as session:
        with pytest.raises(ValidationFailed) as raised:
            await ContentService(session, organization_id).publish(draft)
    assert _codes(raised.value) == {
        "title": "TOO_LONG",
        "body": "BLANK",
        "sentiment": "OUT_OF_RANGE",
        "quality": "OUT_OF_RANGE",
        "topicIds": "DUPLICATE",
    }
    assert await _count(sqlite_db, Content) == 0


async def test_too_many_topics_on_content_are_refused(sqlite_db: Database) -> None:
    organization_id = await _organization(sqlite_db)
    draft = ContentDraft(1, ContentKind.POST, "body", topic_ids=tuple(range(1, 12)))
    async with sqlite_db.session() as session:
        with pytest.raises(ValidationFailed) as raised:
            await ContentService(session, organization_id).publish(draft)
    assert _codes(raised.value) == {"topicIds": "TOO_MANY"}


async def test_a_reply_needs_a_parent_and_a_post_may_not_have_one(sqlite_db: Database) -> None:
    organization_id = await _organization(sqlite_db)
    async with sqlite_db.session() as session:
        community = await CommunityService(session, organization_id).create(
            CommunityDraft("Forum", Platform.FORUM, Visibility.PUBLIC)
        )
        assert community.id is not None
        service = ContentService(session, organization_id)
        with pytest.raises(ValidationFailed) as orphan:
            await service.publish(ContentDraft(community.id, ContentKind.REPLY, "hi"))
        with pytest.raises(ValidationFailed) as adopted:
            await service.publish(ContentDraft(community.id, ContentKind.POST, "hi", parent_id=1))
    assert _codes(orphan.value) == {"parentId": "REQUIRED"}
    assert _codes(adopted.value) == {"parentId": "NOT_ALLOWED"}


async def test_an_empty_or_oversized_engagement_batch_is_refused(sqlite_db: Database) -> None:
    organization_id = await _organization(sqlite_db)
    item = EngagementDraft(1, 1, EngagementKind.LIKE)
    async with sqlite_db.session() as session:
        service = EngagementService(session, organization_id)
        with pytest.raises(ValidationFailed) as empty:
            await service.ingest([])
        with pytest.raises(ValidationFailed) as oversized:
            await service.ingest([item] * (MAX_BATCH + 1))
    assert _codes(empty.value) == {"items": "BLANK"}
    assert _codes(oversized.value) == {"items": "TOO_MANY"}
    assert await _count(sqlite_db, Engagement) == 0
