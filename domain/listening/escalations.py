"""Escalations: a mention or content routed to an expert, answered, reassigned and resolved.

Every state change is written to the escalation's history with the API key that made it, in
the same transaction as the change, and the escalated mention's status follows the escalation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from domain.db import transaction
from domain.errors import NotFound, ValidationFailed
from domain.events import ESCALATION_CHANGED, ESCALATION_RESOLVED, MENTION_ESCALATED, emit
from domain.listening.enums import EscalationAction, EscalationStatus, MentionStatus, Priority
from domain.listening.mentions import ESCALATE_FROM, mark_responded
from domain.listening.repositories import (
    EscalationChangeRepository,
    EscalationRepository,
    MentionRepository,
    SettingsRepository,
)
from domain.listening.routing import route
from domain.listening.tables import Escalation, EscalationChange, ListeningSettings, Mention
from domain.pagination import Page, PageRequest
from domain.repositories.content import ContentRepository
from domain.repositories.members import MemberRepository
from domain.timeutil import as_utc, utcnow
from domain.validation import Problems

Clock = Callable[[], datetime]
OPEN = frozenset({EscalationStatus.OPEN, EscalationStatus.RESPONDED})


@dataclass(frozen=True)
class Actor:
    """Who made a change: the API key that called, or a named process (the CLI, the seed)."""

    key_id: int | None
    label: str

    @classmethod
    def key(cls, key_id: int) -> Actor:
        return cls(key_id, f"api_key:{key_id}")


@dataclass(frozen=True)
class EscalationDraft:
    mention_id: int | None = None
    content_id: int | None = None
    priority: Priority | None = None
    assignee_id: int | None = None
    reason: str = ""


def target_seconds(settings: ListeningSettings, priority: Priority) -> int:
    """The response-time target of a priority, as the organization configured it."""
    return int(getattr(settings, f"target_seconds_{priority.value}"))


class EscalationService:
    def __init__(
        self, session: AsyncSession, organization_id: int, actor: Actor, clock: Clock = utcnow
    ) -> None:
        self.session = session
        self.organization_id = organization_id
        self.actor = actor
        self.clock = clock
        self.repo = EscalationRepository(session, organization_id)
        self.history_repo = EscalationChangeRepository(session, organization_id)
        self.members = MemberRepository(session, organization_id)

    async def create(self, draft: EscalationDraft) -> Escalation:
        problems = Problems()
        if (draft.mention_id is None) == (draft.content_id is None):
            problems.add("mentionId", "give exactly one of `mentionId` or `contentId`", "REQUIRED")
        problems.text("reason", draft.reason, low=0, high=2000)
        problems.raise_if_any()
        await self._check_assignee(draft.assignee_id)
        settings = await SettingsRepository(self.session, self.organization_id).get()
        async with transaction(self.session):
            mention, topic_ids = await self._subject(draft)
            priority = draft.priority or Priority(mention.priority if mention else "normal")
            assignee = draft.assignee_id
            if assignee is None:
                assignee = await route(self.session, self.organization_id, topic_ids)
            now = self.clock()
            target = target_seconds(settings, priority)
            escalation = Escalation(
                organization_id=self.organization_id,
                mention_id=draft.mention_id,
                content_id=draft.content_id,
                assignee_member_id=assignee,
                priority=priority.value,
                status=EscalationStatus.OPEN.value,
                reason=draft.reason,
                target_seconds=target,
                due_at=now + timedelta(seconds=target),
                created_at=now,
                updated_at=now,
            )
            self.session.add(escalation)
            await self.session.flush()
            if mention is not None:
                self._mention_escalated(mention, escalation, now)
            self._record(escalation, EscalationAction.CREATED, None, "", now)
        return escalation

    async def _subject(self, draft: EscalationDraft) -> tuple[Mention | None, list[int]]:
        if draft.mention_id is not None:
            mention = await MentionRepository(self.session, self.organization_id).get(
                draft.mention_id
            )
            if mention is None:
                raise NotFound.of("mentionId", "mention")
            if MentionStatus(mention.status) not in ESCALATE_FROM:
                raise ValidationFailed.single(
                    "mentionId",
                    f"a {mention.status} mention cannot be escalated",
                    "INVALID_TRANSITION",
                )
            topics = await MentionRepository(self.session, self.organization_id).topics_of(
                [draft.mention_id]
            )
            return mention, topics[draft.mention_id]
        assert draft.content_id is not None
        content_repo = ContentRepository(self.session, self.organization_id)
        if not await content_repo.get_live([draft.content_id]):
            raise NotFound.of("contentId", "content")
        topics = await content_repo.topics_of([draft.content_id])
        return None, topics.get(draft.content_id, [])

    def _mention_escalated(self, mention: Mention, escalation: Escalation, now: datetime) -> None:
        mention.status = MentionStatus.ESCALATED.value
        mention.priority = escalation.priority
        mention.updated_at = now
        mention.version += 1
        emit(
            self.session,
            organization_id=self.organization_id,
            name=MENTION_ESCALATED,
            payload={"mentionId": mention.id, "escalationId": escalation.id},
            subject_type="Mention",
            subject_id=mention.id,
        )

    async def respond(self, escalation_id: int, text: str) -> Escalation:
        problems = Problems()
        problems.text("text", text, low=1, high=5000)
        problems.raise_if_any()
        async with transaction(self.session):
            escalation = await self._open(escalation_id, "responded to")
            now = self.clock()
            previous = escalation.status
            if escalation.first_response_at is None:
                escalation.first_response_at = now
                elapsed = (now - as_utc(escalation.created_at)).total_seconds()
                escalation.first_response_seconds = max(elapsed, 0.0)
            escalation.status = EscalationStatus.RESPONDED.value
            await self._mention_follows(escalation, text, now)
            self._touch(escalation, now)
            self._record(escalation, EscalationAction.RESPONDED, previous, text, now)
        return escalation

    async def reassign(self, escalation_id: int, assignee_id: int | None) -> Escalation:
        """Hand to `assignee_id`, or when None to the next best expert other than the current."""
        await self._check_assignee(assignee_id)
        async with transaction(self.session):
            escalation = await self._open(escalation_id, "reassigned")
            if assignee_id is None:
                assignee_id = await self._next_expert(escalation)
                if assignee_id is None:
                    raise ValidationFailed.single(
                        "assigneeId", "no other expert knows these topics", "NO_EXPERT"
                    )
            now = self.clock()
            escalation.assignee_member_id = assignee_id
            self._touch(escalation, now)
            self._record(escalation, EscalationAction.REASSIGNED, escalation.status, "", now)
        return escalation

    async def resolve(self, escalation_id: int, note: str = "") -> Escalation:
        problems = Problems()
        problems.text("note", note, low=0, high=2000)
        problems.raise_if_any()
        async with transaction(self.session):
            escalation = await self._open(escalation_id, "resolved")
            now = self.clock()
            previous = escalation.status
            escalation.status = EscalationStatus.RESOLVED.value
            escalation.resolved_at = now
            await self._mention_after_resolution(escalation, now)
            self._touch(escalation, now)
            self._record(escalation, EscalationAction.RESOLVED, previous, note, now)
            emit(
                self.session,
                organization_id=self.organization_id,
                name=ESCALATION_RESOLVED,
                payload={"escalationId": escalation.id},
                subject_type="Escalation",
                subject_id=escalation.id,
            )
        return escalation

    async def _next_expert(self, escalation: Escalation) -> int | None:
        if escalation.mention_id is not None:
            repo = MentionRepository(self.session, self.organization_id)
            topic_ids = (await repo.topics_of([escalation.mention_id]))[escalation.mention_id]
        else:
            assert escalation.content_id is not None
            content = ContentRepository(self.session, self.organization_id)
            topic_ids = (await content.topics_of([escalation.content_id])).get(
                escalation.content_id, []
            )
        return await route(
            self.session,
            self.organization_id,
            topic_ids,
            exclude=escalation.assignee_member_id,
        )

    async def _mention_follows(self, escalation: Escalation, text: str, now: datetime) -> None:
        mention = await self._mention_of(escalation)
        if mention is not None and mention.status == MentionStatus.ESCALATED.value:
            mark_responded(mention, text, now)

    async def _mention_after_resolution(self, escalation: Escalation, now: datetime) -> None:
        # Resolved without an answer to the mention: it goes back to the inbox to be answered.
        mention = await self._mention_of(escalation)
        if mention is not None and mention.status == MentionStatus.ESCALATED.value:
            mention.status = MentionStatus.TRIAGED.value
            mention.updated_at = now
            mention.version += 1

    async def _mention_of(self, escalation: Escalation) -> Mention | None:
        if escalation.mention_id is None:
            return None
        return await MentionRepository(self.session, self.organization_id).get(
            escalation.mention_id
        )

    async def _open(self, escalation_id: int, action: str) -> Escalation:
        escalation = await self.repo.get(escalation_id)
        if escalation is None:
            raise NotFound.of("id", "escalation")
        if EscalationStatus(escalation.status) not in OPEN:
            raise ValidationFailed.single(
                "id", f"a {escalation.status} escalation cannot be {action}", "INVALID_TRANSITION"
            )
        return escalation

    async def _check_assignee(self, assignee_id: int | None) -> None:
        if assignee_id is not None and await self.members.get(assignee_id) is None:
            raise NotFound.of("assigneeId", "member")

    def _touch(self, escalation: Escalation, now: datetime) -> None:
        escalation.updated_at = now
        escalation.version += 1
        self.session.add(escalation)

    def _record(
        self,
        escalation: Escalation,
        action: EscalationAction,
        previous: str | None,
        note: str,
        now: datetime,
    ) -> None:
        assert escalation.id is not None
        self.session.add(
            EscalationChange(
                organization_id=self.organization_id,
                escalation_id=escalation.id,
                action=action.value,
                from_status=previous,
                to_status=escalation.status,
                assignee_member_id=escalation.assignee_member_id,
                actor_key_id=self.actor.key_id,
                actor=self.actor.label,
                note=note[:2000],
                occurred_at=now,
            )
        )
        emit(
            self.session,
            organization_id=self.organization_id,
            name=ESCALATION_CHANGED,
            payload={"escalationId": escalation.id, "action": action.value},
            subject_type="Escalation",
            subject_id=escalation.id,
        )

    async def get_many(self, escalation_ids: Sequence[int]) -> dict[int, Escalation]:
        return await self.repo.get_many(escalation_ids)

    async def latest_for_mentions(self, mention_ids: Sequence[int]) -> dict[int, Escalation]:
        """The latest escalation of each mention that was ever escalated, by mention id."""
        return await self.repo.latest_for_mentions(mention_ids)

    async def page(self, status: EscalationStatus | None, request: PageRequest) -> Page[Escalation]:
        return await self.repo.list_page(status, request)

    async def total(self, status: EscalationStatus | None) -> int:
        return await self.repo.total(status)

    async def history(self, escalation_id: int, request: PageRequest) -> Page[EscalationChange]:
        return await self.history_repo.history(escalation_id, request)

    async def history_total(self, escalation_id: int) -> int:
        return await self.history_repo.history_total(escalation_id)

    async def changes_many(self, change_ids: Sequence[int]) -> dict[int, EscalationChange]:
        return await self.history_repo.get_many(change_ids)
