"""Mutations of listening: record and ingest mentions, work the inbox, run escalations."""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.errors import UserError
from api.listening.enums import MentionKind, Priority
from api.listening.types import Escalation, Mention
from api.payloads import InputIds, perform
from domain.listening.escalations import EscalationDraft
from domain.listening.mentions import MAX_BATCH, MentionDraft, Triage
from domain.listening.tables import Escalation as EscalationRow
from domain.listening.tables import Mention as MentionRow


@strawberry.input(description="A mention found by listening; its author is a member or a handle.")
class MentionRecordInput:
    source: str = strawberry.field(description="Where it was said, e.g. twitter, forum, reviews.")
    text: str
    author_id: strawberry.ID | None = strawberry.field(
        default=None, description="A known member; reach comes from their followers."
    )
    author_handle: str | None = strawberry.field(
        default=None, description="A handle on the source, when the author is not a member."
    )
    author_followers: int | None = strawberry.field(
        default=None, description="The handle's followers, for reach."
    )
    url: str | None = None
    sentiment: float | None = strawberry.field(
        default=None, description="A score from -1 to 1; scored with VADER when left out."
    )
    kind: MentionKind | None = strawberry.field(
        default=None, description="Inferred from text and sentiment when left out."
    )
    priority: Priority | None = strawberry.field(default=None, description="NORMAL by default.")
    occurred_at: datetime | None = strawberry.field(
        default=None, description="When it was said; now when left out."
    )


@strawberry.input(description=f"Up to {MAX_BATCH} mentions, written all together or not at all.")
class MentionsIngestInput:
    items: list[MentionRecordInput]


@strawberry.input(description="Triage a mention: set its priority, kind or assignee.")
class MentionTriageInput:
    id: strawberry.ID
    priority: Priority | None = None
    kind: MentionKind | None = None
    assignee_id: strawberry.ID | None = None


@strawberry.input
class MentionIgnoreInput:
    id: strawberry.ID


@strawberry.input(description="The brand's answer to a mention.")
class MentionRespondInput:
    id: strawberry.ID
    text: str


@strawberry.input(description="Escalate a mention or content; give exactly one of them.")
class EscalationCreateInput:
    mention_id: strawberry.ID | None = None
    content_id: strawberry.ID | None = None
    priority: Priority | None = strawberry.field(
        default=None, description="The mention's priority (or NORMAL) when left out."
    )
    assignee_id: strawberry.ID | None = strawberry.field(
        default=None, description="Routed to the least-loaded expert on its topics when left out."
    )
    reason: str = ""


@strawberry.input
class EscalationRespondInput:
    id: strawberry.ID
    text: str


@strawberry.input(description="Hand an escalation on; to the next best expert when no assignee.")
class EscalationReassignInput:
    id: strawberry.ID
    assignee_id: strawberry.ID | None = None


@strawberry.input
class EscalationResolveInput:
    id: strawberry.ID
    note: str = ""


@strawberry.type
class MentionRecordPayload:
    mention: Mention | None
    user_errors: list[UserError]


@strawberry.type
class MentionsIngestPayload:
    ingested_count: int = strawberry.field(description="How many were written: all or none.")
    mentions: list[Mention]
    user_errors: list[UserError]


@strawberry.type
class MentionTriagePayload:
    mention: Mention | None
    user_errors: list[UserError]


@strawberry.type
class MentionIgnorePayload:
    mention: Mention | None
    user_errors: list[UserError]


@strawberry.type
class MentionRespondPayload:
    mention: Mention | None
    user_errors: list[UserError]


@strawberry.type
class EscalationCreatePayload:
    escalation: Escalation | None
    user_errors: list[UserError]


@strawberry.type
class EscalationRespondPayload:
    escalation: Escalation | None
    user_errors: list[UserError]


@strawberry.type
class EscalationReassignPayload:
    escalation: Escalation | None
    user_errors: list[UserError]


@strawberry.type
class EscalationResolvePayload:
    escalation: Escalation | None
    user_errors: list[UserError]


def _mention(row: MentionRow | None) -> Mention | None:
    return None if row is None else Mention.from_row(row)


def _escalation(row: EscalationRow | None) -> Escalation | None:
    return None if row is None else Escalation.from_row(row)


def _draft(ids: InputIds, item: MentionRecordInput) -> MentionDraft:
    return MentionDraft(
        source=item.source,
        text=item.text,
        author_id=ids.maybe(item.author_id, "Member"),
        author_handle=item.author_handle,
        author_followers=item.author_followers,
        url=item.url,
        sentiment=item.sentiment,
        kind=item.kind,
        priority=item.priority,
        occurred_at=item.occurred_at,
    )


@strawberry.type
class ListeningMutation:
    @strawberry.mutation(description="Record one mention: scored, tagged, into the inbox.")
    async def mention_record(
        self, info: strawberry.Info, input: MentionRecordInput
    ) -> MentionRecordPayload:
        draft = _draft(InputIds(), input)
        service = info.context.services.mentions
        row, errors = await perform(info, lambda: service.record(draft))
        return MentionRecordPayload(mention=_mention(row), user_errors=errors)

    @strawberry.mutation(
        description=f"Record up to {MAX_BATCH} mentions at once: all are written, or none."
    )
    async def mentions_ingest(
        self, info: strawberry.Info, input: MentionsIngestInput
    ) -> MentionsIngestPayload:
        ids = InputIds()
        drafts = [_draft(ids, item) for item in input.items]
        service = info.context.services.mentions
        rows, errors = await perform(info, lambda: service.ingest(drafts))
        mentions = [Mention.from_row(r) for r in rows or []]
        return MentionsIngestPayload(
            ingested_count=len(mentions), mentions=mentions, user_errors=errors
        )

    @strawberry.mutation(description="Triage a new, triaged or ignored mention.")
    async def mention_triage(
        self, info: strawberry.Info, input: MentionTriageInput
    ) -> MentionTriagePayload:
        ids = InputIds()
        mention_id = ids.of(input.id, "Mention")
        triage = Triage(
            priority=input.priority,
            kind=input.kind,
            assignee_id=ids.maybe(input.assignee_id, "Member"),
        )
        service = info.context.services.mentions
        row, errors = await perform(info, lambda: service.triage(mention_id, triage))
        return MentionTriagePayload(mention=_mention(row), user_errors=errors)

    @strawberry.mutation(description="Set a new or triaged mention aside.")
    async def mention_ignore(
        self, info: strawberry.Info, input: MentionIgnoreInput
    ) -> MentionIgnorePayload:
        mention_id = InputIds().of(input.id, "Mention")
        service = info.context.services.mentions
        row, errors = await perform(info, lambda: service.ignore(mention_id))
        return MentionIgnorePayload(mention=_mention(row), user_errors=errors)

    @strawberry.mutation(description="Answer a mention; records the first-response time.")
    async def mention_respond(
        self, info: strawberry.Info, input: MentionRespondInput
    ) -> MentionRespondPayload:
        mention_id = InputIds().of(input.id, "Mention")
        service = info.context.services.mentions
        row, errors = await perform(info, lambda: service.respond(mention_id, input.text))
        return MentionRespondPayload(mention=_mention(row), user_errors=errors)

    @strawberry.mutation(description="Escalate a mention or content to an expert on its topics.")
    async def escalation_create(
        self, info: strawberry.Info, input: EscalationCreateInput
    ) -> EscalationCreatePayload:
        ids = InputIds()
        draft = EscalationDraft(
            mention_id=ids.maybe(input.mention_id, "Mention"),
            content_id=ids.maybe(input.content_id, "Content"),
            priority=input.priority,
            assignee_id=ids.maybe(input.assignee_id, "Member"),
            reason=input.reason,
        )
        service = info.context.services.escalations
        row, errors = await perform(info, lambda: service.create(draft))
        return EscalationCreatePayload(escalation=_escalation(row), user_errors=errors)

    @strawberry.mutation(description="Record the expert's answer; the mention is answered too.")
    async def escalation_respond(
        self, info: strawberry.Info, input: EscalationRespondInput
    ) -> EscalationRespondPayload:
        escalation_id = InputIds().of(input.id, "Escalation")
        service = info.context.services.escalations
        row, errors = await perform(info, lambda: service.respond(escalation_id, input.text))
        return EscalationRespondPayload(escalation=_escalation(row), user_errors=errors)

    @strawberry.mutation(description="Hand an open escalation to another expert.")
    async def escalation_reassign(
        self, info: strawberry.Info, input: EscalationReassignInput
    ) -> EscalationReassignPayload:
        ids = InputIds()
        escalation_id = ids.of(input.id, "Escalation")
        assignee_id = ids.maybe(input.assignee_id, "Member")
        service = info.context.services.escalations
        row, errors = await perform(info, lambda: service.reassign(escalation_id, assignee_id))
        return EscalationReassignPayload(escalation=_escalation(row), user_errors=errors)

    @strawberry.mutation(description="Close an escalation.")
    async def escalation_resolve(
        self, info: strawberry.Info, input: EscalationResolveInput
    ) -> EscalationResolvePayload:
        escalation_id = InputIds().of(input.id, "Escalation")
        service = info.context.services.escalations
        row, errors = await perform(info, lambda: service.resolve(escalation_id, input.note))
        return EscalationResolvePayload(escalation=_escalation(row), user_errors=errors)
