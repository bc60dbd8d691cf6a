"""Publishing, editing and soft-deleting content, threads included, and reading it back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain.concurrency import next_version
from domain.db import transaction
from domain.entities import Community, Content, Member
from domain.enums import ContentKind, ContentStatus
from domain.errors import NotFound
from domain.events import CONTENT_PUBLISHED, emit
from domain.orbit import activity_added, content_love
from domain.pagination import Page, PageRequest
from domain.repositories.communities import CommunityRepository
from domain.repositories.content import ContentFilter, ContentRepository
from domain.repositories.members import MemberRepository
from domain.repositories.organizations import TopicRepository
from domain.rollups.daily import Tally, content_changed, content_counts, content_key
from domain.timeutil import utcnow
from domain.validation import Problems

MAX_TOPICS = 10
REPLY_KINDS = frozenset({ContentKind.COMMENT, ContentKind.REPLY, ContentKind.ANSWER})


@dataclass(frozen=True)
class ContentDraft:
    community_id: int
    kind: ContentKind
    body: str
    title: str = ""
    author_id: int | None = None
    parent_id: int | None = None
    topic_ids: tuple[int, ...] = field(default_factory=tuple)
    sentiment: float = 0.0
    quality: float = 0.5


@dataclass(frozen=True)
class ContentChanges:
    title: str | None = None
    body: str | None = None
    topic_ids: tuple[int, ...] | None = None
    sentiment: float | None = None
    quality: float | None = None
    # The version the caller read; another version is a CONFLICT (None: no check).
    expected_version: int | None = None


def _check_fields(
    title: str | None,
    body: str | None,
    topic_ids: Sequence[int] | None,
    sentiment: float | None,
    quality: float | None,
) -> Problems:
    problems = Problems()
    problems.text("title", title, low=0, high=300)
    problems.text("body", body, low=1, high=20000)
    problems.within("sentiment", sentiment, -1.0, 1.0)
    problems.within("quality", quality, 0.0, 1.0)
    if topic_ids is not None:
        if len(topic_ids) > MAX_TOPICS:
            problems.add("topicIds", f"at most {MAX_TOPICS} topics", "TOO_MANY")
        if len(set(topic_ids)) != len(topic_ids):
            problems.add("topicIds", "a topic may appear once", "DUPLICATE")
    return problems


class ContentService:
    def __init__(self, session: AsyncSession, organization_id: int) -> None:
        self.session = session
        self.organization_id = organization_id
        self.repo = ContentRepository(session, organization_id)
        self.topics = TopicRepository(session, organization_id)

    async def check(self, draft: ContentDraft) -> None:
        """Refuse a draft that breaks a rule or names something unknown; writes nothing."""
        problems = _check_fields(
            draft.title, draft.body, draft.topic_ids, draft.sentiment, draft.quality
        )
        problems.raise_if_any()
        await self._check_references(draft, problems)
        problems.raise_if_any()

    async def publish(self, draft: ContentDraft) -> Content:
        await self.check(draft)
        now = utcnow()
        async with transaction(self.session):
            content = self.repo.add(
                Content(
                    organization_id=self.organization_id,
                    community_id=draft.community_id,
                    author_id=draft.author_id,
                    parent_id=draft.parent_id,
                    kind=draft.kind.value,
                    title=draft.title,
                    body=draft.body,
                    sentiment=draft.sentiment,
                    quality=draft.quality,
                    status=ContentStatus.PUBLISHED.value,
                    published_at=now,
                    created_at=now,
                    updated_at=now,
                )
            )
            await self.session.flush()
            assert content.id is not None
            await self.repo.replace_topics(content.id, draft.topic_ids)
            if draft.parent_id is not None:
                await self.repo.bump_reply_count(draft.parent_id, 1)
            await announce_published(self.session, None, content)
        return content

    async def _check_references(self, draft: ContentDraft, problems: Problems) -> None:
        community = await CommunityRepository(self.session, self.organization_id).get(
            draft.community_id
        )
        _check_community(community, problems)
        if draft.author_id is not None:
            author = await MemberRepository(self.session, self.organization_id).get(draft.author_id)
            _check_author(author, problems)
        await self._check_parent(draft, problems)
        await self._check_topics(draft.topic_ids, problems)

    async def _check_parent(self, draft: ContentDraft, problems: Problems) -> None:
        if draft.parent_id is None:
            if draft.kind in REPLY_KINDS:
                problems.add("parentId", f"a {draft.kind.value} needs a parent", "REQUIRED")
            return
        if draft.kind not in REPLY_KINDS:
            problems.add("parentId", f"a {draft.kind.value} cannot have a parent", "NOT_ALLOWED")
            return
        parent = (await self.repo.get_live([draft.parent_id])).get(draft.parent_id)
        if parent is None:
            problems.add("parentId", "content not found", "NOT_FOUND")
        elif parent.community_id != draft.community_id:
            problems.add("parentId", "the parent is in another community", "MISMATCH")

    async def _check_topics(self, topic_ids: Sequence[int], problems: Problems) -> None:
        known = await self.topics.existing_ids(topic_ids)
        for index, topic_id in enumerate(topic_ids):
            if topic_id not in known:
                problems.add(f"topicIds.{index}", "topic not found", "NOT_FOUND")

    async def update(self, content_id: int, changes: ContentChanges) -> Content:
        problems = _check_fields(
            changes.title, changes.body, changes.topic_ids, changes.sentiment, changes.quality
        )
        problems.raise_if_any()
        if changes.topic_ids is not None:
            await self._check_topics(changes.topic_ids, problems)
            problems.raise_if_any()
        async with transaction(self.session):
            content = await self._live(content_id)
            before = content.model_copy()
            for name in ("title", "body", "sentiment", "quality"):
                value = getattr(changes, name)
                if value is not None:
                    setattr(content, name, value)
            if changes.topic_ids is not None:
                await self.repo.replace_topics(content_id, changes.topic_ids)
            content.updated_at = utcnow()
            await next_version(self.session, content, changes.expected_version, "content")
            self.session.add(content)
            await content_changed(self.session, before, content)
        return content

    async def delete(self, content_id: int) -> Content:
        """Soft delete: the row stays for metrics and audit, but no list shows it again."""
        async with transaction(self.session):
            content = await self._live(content_id)
            before = content.model_copy()
            content.deleted_at = utcnow()
            content.updated_at = content.deleted_at
            content.version += 1
            self.session.add(content)
            if content.parent_id is not None:
                await self.repo.bump_reply_count(content.parent_id, -1)
            await content_changed(self.session, before, content)
        return content

    async def _live(self, content_id: int) -> Content:
        content = (await self.repo.get_live([content_id])).get(content_id)
        if content is None:
            raise NotFound.of("id", "content")
        return content

    async def get_many(self, content_ids: Sequence[int]) -> dict[int, Content]:
        return await self.repo.get_live(content_ids)

    async def read_many(self, content_ids: Sequence[int]) -> dict[int, Any]:
        """Live content by id as plain rows, for readers (the API's loaders)."""
        return await self.repo.live_plain(content_ids)

    async def pages(
        self, parent: str, parent_ids: Sequence[int], where: ContentFilter, request: PageRequest
    ) -> dict[int, Page[Any]]:
        return await self.repo.pages_for(parent, parent_ids, where, request)

    async def pages_with_authors(
        self, parent: str, parent_ids: Sequence[int], where: ContentFilter, request: PageRequest
    ) -> dict[int, Page[Any]]:
        """`pages`, with each page's authors in `extras["authors"]` (member id -> member row)."""
        return await self.repo.pages_with_authors(parent, parent_ids, where, request)

    async def counts(
        self, parent: str, parent_ids: Sequence[int], where: ContentFilter
    ) -> dict[int, int]:
        return await self.repo.counts_for(parent, parent_ids, where)

    async def topics_of(self, content_ids: Sequence[int]) -> dict[int, list[int]]:
        return await self.repo.topics_of(content_ids)


async def announce_published(
    session: AsyncSession, before: Content | None, content: Content
) -> None:
    """What publishing does besides the row: the event, the rollups, the members' love.

    Called inside the publishing transaction of direct publishing. Love before the rollups,
    as every writer of both orders them (an ingest locks the same membership scores and daily
    rows): two writers taking them in opposite orders could each wait for the other.
    """
    _emit_published(session, content)
    await activity_added(session, content.organization_id, {}, content_love(content))
    await content_changed(session, before, content)


async def announce_many_published(session: AsyncSession, contents: Sequence[Content]) -> None:
    """`announce_published` for a batch of newly published rows (the scheduler's): one event
    each, but their rollup counts summed into one write."""
    tally = Tally()
    for content in contents:
        _emit_published(session, content)
        tally.add(content_key(content), content_counts(content))
        await activity_added(session, content.organization_id, {}, content_love(content))
    await tally.write(session)


def _emit_published(session: AsyncSession, content: Content) -> None:
    assert content.id is not None
    assert content.published_at is not None
    emit(
        session,
        organization_id=content.organization_id,
        name=CONTENT_PUBLISHED,
        subject_type="Content",
        subject_id=content.id,
        payload={
            "kind": content.kind,
            "title": content.title,
            "publishedAt": content.published_at.isoformat(),
        },
    )


def _check_community(community: Community | None, problems: Problems) -> None:
    if community is None:
        problems.add("communityId", "community not found", "NOT_FOUND")
    elif community.archived_at is not None:
        problems.add("communityId", "the community is archived", "ARCHIVED")


def _check_author(author: Member | None, problems: Problems) -> None:
    if author is None:
        problems.add("authorId", "member not found", "NOT_FOUND")
