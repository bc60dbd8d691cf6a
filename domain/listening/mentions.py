"""Recording mentions (one or a batch, all or nothing) and working them through the inbox.

A mention is scored with VADER unless its sender gives a score, tagged with the topics whose
keywords it contains, and gets its reach from its author's followers. The inbox moves it
through a small state machine; a move it does not allow is a user error and writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from domain.db import transaction
from domain.entities import Member, Topic
from domain.errors import NotFound, ValidationFailed
from domain.events import MENTION_ADDED, emit
from domain.listening.alerts import SnowballWatch
from domain.listening.enums import MentionKind, MentionStatus, Priority
from domain.listening.repositories import MentionFilter, MentionRepository
from domain.listening.scoring import infer_kind, sentiment_label, sentiment_score, tag_topics
from domain.listening.tables import Mention, MentionTopic
from domain.pagination import Page, PageRequest
from domain.repositories.members import MemberRepository
from domain.repositories.organizations import TopicRepository
from domain.timeutil import as_utc, utcnow
from domain.validation import Problems

MAX_BATCH = 250
FUTURE_SKEW = timedelta(minutes=5)
Clock = Callable[[], datetime]

# Which states each inbox action may start from; anything else is INVALID_TRANSITION.
TRIAGE_FROM = frozenset({MentionStatus.NEW, MentionStatus.TRIAGED, MentionStatus.IGNORED})
IGNORE_FROM = frozenset({MentionStatus.NEW, MentionStatus.TRIAGED})
RESPOND_FROM = frozenset({MentionStatus.NEW, MentionStatus.TRIAGED, MentionStatus.ESCALATED})
ESCALATE_FROM = frozenset({MentionStatus.NEW, MentionStatus.TRIAGED})


@dataclass(frozen=True)
class MentionDraft:
    source: str
    text: str
    author_id: int | None = None
    author_handle: str | None = None
    author_followers: int | None = None
    url: str | None = None
    sentiment: float | None = None
    kind: MentionKind | None = None
    priority: Priority | None = None
    occurred_at: datetime | None = None


@dataclass(frozen=True)
class Triage:
    priority: Priority | None = None
    assignee_id: int | None = None
    kind: MentionKind | None = None


def check_transition(status: str, allowed: frozenset[MentionStatus], action: str) -> None:
    if MentionStatus(status) not in allowed:
        raise ValidationFailed.single(
            "id", f"a {status} mention cannot be {action}", "INVALID_TRANSITION"
        )


class MentionService:
    def __init__(self, session: AsyncSession, organization_id: int, clock: Clock = utcnow) -> None:
        self.session = session
        self.organization_id = organization_id
        self.clock = clock
        self.repo = MentionRepository(session, organization_id)

    async def record(self, draft: MentionDraft) -> Mention:
        return (await self._write([draft], prefix=()))[0]

    async def ingest(self, drafts: Sequence[MentionDraft]) -> list[Mention]:
        """Write every mention or none; each bad item is reported under `items.<index>`."""
        problems = Problems()
        if not drafts:
            problems.add("items", "send at least one item", "BLANK")
        if len(drafts) > MAX_BATCH:
            problems.add("items", f"at most {MAX_BATCH} items per call", "TOO_MANY")
        problems.raise_if_any()
        return await self._write(drafts, prefix=("items",))

    async def _write(
        self, drafts: Sequence[MentionDraft], prefix: tuple[str, ...]
    ) -> list[Mention]:
        authors = await MemberRepository(self.session, self.organization_id).get_many(
            [d.author_id for d in drafts if d.author_id is not None]
        )
        topics = await TopicRepository(self.session, self.organization_id).all()
        now = self.clock()
        problems = Problems()
        built: list[tuple[Mention, list[int]]] = []
        for index, draft in enumerate(drafts):
            item = Problems((*prefix, str(index)) if prefix else ())
            mention, topic_ids = self._build(draft, authors, topics, now, item)
            problems.extend(item)
            if mention is not None:
                built.append((mention, topic_ids))
        problems.raise_if_any()
        async with transaction(self.session):
            for mention, _ in built:
                self.session.add(mention)
            await self.session.flush()
            for mention, topic_ids in built:
                assert mention.id is not None
                for topic_id in topic_ids:
                    self.session.add(
                        MentionTopic(
                            mention_id=mention.id,
                            topic_id=topic_id,
                            organization_id=self.organization_id,
                        )
                    )
                emit(
                    self.session,
                    organization_id=self.organization_id,
                    name=MENTION_ADDED,
                    payload={"mentionId": mention.id, "topicIds": topic_ids},
                    subject_type="Mention",
                    subject_id=mention.id,
                )
        await self._watch(built)
        return [mention for mention, _ in built]

    async def _watch(self, built: Sequence[tuple[Mention, list[int]]]) -> None:
        # Alerts are derived from committed mentions, in their own transaction: a failed
        # evaluation must never lose the mentions, and a racing writer may raise the alert.
        negative = {
            t for m, ids in built if sentiment_label(m.sentiment).value == "negative" for t in ids
        }
        if negative:
            await SnowballWatch(self.session, self.organization_id, self.clock).evaluate(
                sorted(negative)
            )

    def _build(
        self,
        draft: MentionDraft,
        authors: dict[int, Member],
        topics: Sequence[Topic],
        now: datetime,
        item: Problems,
    ) -> tuple[Mention | None, list[int]]:
        item.text("source", draft.source, low=1, high=64)
        item.text("text", draft.text, low=1, high=5000)
        item.text("url", draft.url, low=0, high=2000)
        item.within("sentiment", draft.sentiment, -1.0, 1.0)
        handle, followers, author_id = self._author(draft, authors, item)
        occurred = as_utc(draft.occurred_at) if draft.occurred_at is not None else now
        if occurred > now + FUTURE_SKEW:
            item.add("occurredAt", "`occurredAt` lies in the future", "IN_FUTURE")
        if item.items:
            return None, []
        score = draft.sentiment if draft.sentiment is not None else sentiment_score(draft.text)
        kind = draft.kind or infer_kind(draft.text, score)
        mention = Mention(
            organization_id=self.organization_id,
            source=draft.source.strip(),
            author_member_id=author_id,
            author_handle=handle,
            author_followers=followers,
            text=draft.text,
            url=draft.url,
            sentiment=score,
            reach=followers,
            kind=kind.value,
            priority=(draft.priority or Priority.NORMAL).value,
            status=MentionStatus.NEW.value,
            occurred_at=occurred,
            created_at=now,
            updated_at=now,
        )
        return mention, tag_topics(draft.text, topics)

    def _author(
        self, draft: MentionDraft, authors: dict[int, Member], item: Problems
    ) -> tuple[str, int, int | None]:
        """(handle, followers, member id) of the author: a known member or a bare handle."""
        if draft.author_id is not None:
            if draft.author_handle is not None or draft.author_followers is not None:
                item.add("authorHandle", "give either `authorId` or a handle", "NOT_ALLOWED")
            member = authors.get(draft.author_id)
            if member is None:
                item.add("authorId", "member not found", "NOT_FOUND")
                return "", 0, None
            return member.handle, member.followers_count, member.id
        if draft.author_handle is None:
            item.add("authorHandle", "give `authorId` or `authorHandle`", "REQUIRED")
            return "", 0, None
        item.text("authorHandle", draft.author_handle, low=1, high=200)
        followers = draft.author_followers or 0
        if followers < 0:
            item.add("authorFollowers", "`authorFollowers` must not be negative", "OUT_OF_RANGE")
        return draft.author_handle.strip(), max(followers, 0), None

    async def triage(self, mention_id: int, triage: Triage) -> Mention:
        if triage.assignee_id is not None:
            assignee = await MemberRepository(self.session, self.organization_id).get(
                triage.assignee_id
            )
            if assignee is None:
                raise NotFound.of("assigneeId", "member")
        async with transaction(self.session):
            mention = await self._get(mention_id)
            check_transition(mention.status, TRIAGE_FROM, "triaged")
            if triage.priority is not None:
                mention.priority = triage.priority.value
            if triage.kind is not None:
                mention.kind = triage.kind.value
            if triage.assignee_id is not None:
                mention.assignee_member_id = triage.assignee_id
            self._move(mention, MentionStatus.TRIAGED)
        return mention

    async def ignore(self, mention_id: int) -> Mention:
        async with transaction(self.session):
            mention = await self._get(mention_id)
            check_transition(mention.status, IGNORE_FROM, "ignored")
            self._move(mention, MentionStatus.IGNORED)
        return mention

    async def respond(self, mention_id: int, text: str) -> Mention:
        problems = Problems()
        problems.text("text", text, low=1, high=5000)
        problems.raise_if_any()
        async with transaction(self.session):
            mention = await self._get(mention_id)
            check_transition(mention.status, RESPOND_FROM, "responded to")
            mark_responded(mention, text, self.clock())
        return mention

    async def _get(self, mention_id: int) -> Mention:
        mention = await self.repo.get(mention_id)
        if mention is None:
            raise NotFound.of("id", "mention")
        return mention

    def _move(self, mention: Mention, status: MentionStatus) -> None:
        mention.status = status.value
        mention.updated_at = self.clock()
        mention.version += 1
        self.session.add(mention)

    async def get_many(self, mention_ids: Sequence[int]) -> dict[int, Mention]:
        return await self.repo.get_many(mention_ids)

    async def inbox(self, where: MentionFilter, request: PageRequest) -> Page[Mention]:
        return await self.repo.inbox(where, request)

    async def inbox_total(self, where: MentionFilter) -> int:
        return await self.repo.inbox_total(where)

    async def topics_of(self, mention_ids: Sequence[int]) -> dict[int, list[int]]:
        return await self.repo.topics_of(mention_ids)


def mark_responded(mention: Mention, text: str, at: datetime) -> None:
    """The mention's answer; the first response time counts from when it was said."""
    if mention.responded_at is None:
        mention.responded_at = at
        elapsed = (at - as_utc(mention.occurred_at)).total_seconds()
        mention.first_response_seconds = max(elapsed, 0.0)
    mention.response_text = text
    mention.status = MentionStatus.RESPONDED.value
    mention.updated_at = at
    mention.version += 1
