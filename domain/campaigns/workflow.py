"""Content approval: draft -> in review -> approved or rejected -> scheduled -> published.

Who may call each step is the API's role matrix (a manager or owner approves and schedules; an
analyst cannot). The workflow itself refuses what no role may do: a step from the wrong status
(the error names the current one) and a key approving what it submitted itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col

from domain.campaigns.repositories import CampaignRepository
from domain.db import transaction
from domain.entities import Content
from domain.enums import CampaignStatus, ContentKind, ContentStatus
from domain.errors import Conflict, NotFound, ValidationFailed
from domain.repositories.content import ContentRepository
from domain.services.content import ContentDraft, ContentService
from domain.timeutil import as_utc, utcnow
from domain.validation import Problems

DRAFT = ContentStatus.DRAFT
IN_REVIEW = ContentStatus.IN_REVIEW
APPROVED = ContentStatus.APPROVED
REJECTED = ContentStatus.REJECTED
SCHEDULED = ContentStatus.SCHEDULED

# Each step and the statuses it may start from.
STEPS: dict[str, frozenset[ContentStatus]] = {
    "submit": frozenset({DRAFT, REJECTED}),
    "approve": frozenset({IN_REVIEW}),
    "reject": frozenset({IN_REVIEW}),
    "schedule": frozenset({APPROVED, SCHEDULED}),
}


@dataclass(frozen=True)
class PlannedContent:
    """Top-level content to write as a draft, optionally for a campaign."""

    community_id: int
    kind: ContentKind
    body: str
    title: str = ""
    campaign_id: int | None = None
    author_id: int | None = None
    topic_ids: tuple[int, ...] = ()

    def as_draft(self) -> ContentDraft:
        return ContentDraft(
            community_id=self.community_id,
            kind=self.kind,
            body=self.body,
            title=self.title,
            author_id=self.author_id,
            topic_ids=self.topic_ids,
        )


def check_step(step: str, content: Content) -> None:
    """Refuse `step` unless the content's status allows it, naming the current status."""
    allowed = STEPS[step]
    if content.status not in allowed:
        wanted = " or ".join(sorted(s.value for s in allowed))
        raise ValidationFailed.single(
            "id",
            f"cannot {step} content that is {content.status}; it must be {wanted}",
            "INVALID_TRANSITION",
        )


class ContentWorkflow:
    """The approval steps of one organization's content, on behalf of one API key."""

    def __init__(self, session: AsyncSession, organization_id: int, key_id: int | None) -> None:
        self.session = session
        self.organization_id = organization_id
        self.key_id = key_id
        self.repo = ContentRepository(session, organization_id)
        self.content = ContentService(session, organization_id)
        self.campaigns = CampaignRepository(session, organization_id)

    async def create(self, planned: PlannedContent) -> Content:
        await self.content.check(planned.as_draft())
        if planned.campaign_id is not None:
            await self._check_campaign(planned.campaign_id)
        async with transaction(self.session):
            content = self.repo.add(
                Content(
                    organization_id=self.organization_id,
                    community_id=planned.community_id,
                    author_id=planned.author_id,
                    campaign_id=planned.campaign_id,
                    kind=planned.kind.value,
                    title=planned.title,
                    body=planned.body,
                    status=DRAFT.value,
                )
            )
            await self.session.flush()
            assert content.id is not None
            await self.repo.replace_topics(content.id, planned.topic_ids)
        return content

    async def _check_campaign(self, campaign_id: int) -> None:
        campaign = await self.campaigns.get(campaign_id)
        if campaign is None:
            raise NotFound.of("campaignId", "campaign")
        if campaign.status == CampaignStatus.CLOSED.value:
            raise ValidationFailed.single("campaignId", "the campaign is closed", "CLOSED")

    async def submit(self, content_id: int) -> Content:
        async with transaction(self.session):
            content = await self._at_step("submit", content_id)
            await self._move(content, IN_REVIEW)
            content.submitted_by_key_id = self.key_id
            content.reviewed_by_key_id = None
            content.rejection_reason = None
        return content

    async def approve(self, content_id: int) -> Content:
        async with transaction(self.session):
            content = await self._at_step("approve", content_id)
            self._refuse_self_review(content)
            await self._move(content, APPROVED)
            content.reviewed_by_key_id = self.key_id
        return content

    async def reject(self, content_id: int, reason: str) -> Content:
        problems = Problems()
        problems.text("reason", reason, low=1, high=2000)
        problems.raise_if_any()
        async with transaction(self.session):
            content = await self._at_step("reject", content_id)
            self._refuse_self_review(content)
            await self._move(content, REJECTED)
            content.reviewed_by_key_id = self.key_id
            content.rejection_reason = reason.strip()
        return content

    async def schedule(self, content_id: int, at: datetime) -> Content:
        if as_utc(at) <= utcnow():
            raise ValidationFailed.single("at", "`at` must be in the future", "IN_THE_PAST")
        async with transaction(self.session):
            content = await self._at_step("schedule", content_id)
            await self._move(content, SCHEDULED)
            content.scheduled_at = as_utc(at)
        return content

    async def _at_step(self, step: str, content_id: int) -> Content:
        content = (await self.repo.get_live([content_id])).get(content_id)
        if content is None:
            raise NotFound.of("id", "content")
        check_step(step, content)
        return content

    def _refuse_self_review(self, content: Content) -> None:
        # Four eyes: the key that asked for review may not answer it. Writes without a key
        # (the CLI, the seed) have no identity to compare and are not refused.
        if self.key_id is not None and content.submitted_by_key_id == self.key_id:
            raise ValidationFailed.single(
                "id", "the key that submitted content cannot review it", "SELF_APPROVAL"
            )

    async def _move(self, content: Content, status: ContentStatus) -> None:
        """Move the content on only if nobody moved it since it was read (compare and set).

        The conditional UPDATE takes the row's lock, so of two reviewers racing on the same
        item the second waits, finds the status changed, and gets CONFLICT: never two verdicts.
        """
        now = utcnow()
        moved = await self.session.execute(
            update(Content)
            .where(
                col(Content.id) == content.id,
                col(Content.status) == content.status,
                col(Content.version) == content.version,
            )
            .values(status=status.value, updated_at=now, version=content.version + 1)
            .execution_options(synchronize_session=False)
        )
        if moved.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict.single("id", "the content changed while this step ran; read it again")
        set_committed_value(content, "status", status.value)
        set_committed_value(content, "updated_at", now)
        set_committed_value(content, "version", content.version + 1)
        self.session.add(content)
