"""A world holding one row of every Node type, and a minimal valid input for every mutation.

The role x operation x foreign-organization test (`test_trust_catalog.py`) reads the schema
and looks each mutation up here: a mutation that lands without an entry in `MUTATIONS`, or a
Node type `build_world` cannot make, fails that test with a message naming what to add.
Inputs are functions of the world's global ids, so the same entry serves for the caller's own
rows, another organization's rows and ids that never existed.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from api.ids import encode_id
from domain.audit.tables import AuditEntry
from domain.campaigns.service import CampaignDraft, CampaignService, Objective
from domain.campaigns.tasks import TaskDraft, TaskService
from domain.campaigns.workflow import ContentWorkflow, PlannedContent
from domain.db import Database
from domain.enums import (
    ApiKeyRole,
    ContentKind,
    EngagementKind,
    MembershipRole,
    Platform,
    Visibility,
)
from domain.events import DomainEvent
from domain.listening.escalations import Actor, EscalationDraft, EscalationService
from domain.listening.mentions import MentionDraft, MentionService
from domain.listening.tables import Alert, EscalationChange
from domain.services.communities import CommunityDraft, CommunityService
from domain.services.content import ContentDraft, ContentService
from domain.services.engagement import EngagementDraft, EngagementService
from domain.services.members import Interest, MemberDraft, MemberService, MembershipDraft
from domain.services.organizations import OrganizationService, TopicDraft
from domain.simulations.tables import Simulation
from domain.webhooks.service import WebhookDraft, WebhookService
from domain.webhooks.tables import WebhookDelivery

Ids = dict[str, str]
_worlds = itertools.count(1)


@dataclass
class World:
    """One organization with a key per role and one row of each Node type, by global id."""

    organization_id: int
    keys: dict[ApiKeyRole, str]
    ids: Ids


async def build_world(database: Database) -> World:
    """A fresh organization (its own slug) holding one row of every Node type."""
    slug = f"world-{next(_worlds)}"
    async with database.session() as session:
        organizations = OrganizationService(session)
        organization = await organizations.create(slug, slug.title())
        org = _id(organization.id)
        keys = {role: (await organizations.issue_key(org, role)).secret for role in ApiKeyRole}
        spare_key = (await organizations.issue_key(org, ApiKeyRole.VIEWER, "spare")).record
        topic = _id((await organizations.add_topic(org, TopicDraft("billing", "Billing"))).id)
        community = await CommunityService(session, org).create(
            CommunityDraft("Forum", Platform.FORUM, Visibility.PUBLIC)
        )
        members = MemberService(session, org)
        ada = _id(
            (await members.create(MemberDraft("ada", "Ada", interests=(Interest(topic, 0.9),)))).id
        )
        bob = _id((await members.create(MemberDraft("bob", "Bob"))).id)
        expert = MembershipRole.SUBJECT_MATTER_EXPERT
        membership = await members.join(MembershipDraft(_id(community.id), ada, role=expert))
        follow = await members.follow(ada, bob)
        post = await ContentService(session, org).publish(
            ContentDraft(
                _id(community.id), ContentKind.POST, "hi", author_id=ada, topic_ids=(topic,)
            )
        )
        engagement = await EngagementService(session, org).record(
            EngagementDraft(_id(post.id), bob, EngagementKind.LIKE)
        )
        mention = await MentionService(session, org).record(
            MentionDraft("twitter", "my billing invoice is wrong", author_handle="carol")
        )
        spare = await MentionService(session, org).record(
            MentionDraft("twitter", "billing again", author_handle="dave")
        )
        escalation = await EscalationService(session, org, Actor(None, "catalog")).create(
            EscalationDraft(mention_id=_id(mention.id), assignee_id=ada)
        )
        webhook = await WebhookService(session, org, allow_private=True).create(
            WebhookDraft("http://127.0.0.1:9/hooks", ("content.published",))
        )
        rows = await _rows_without_services(session, org, topic, _id(webhook.webhook.id))
        planned = await _campaign_and_planned_content(session, org, _id(community.id), ada)
        change = (
            await session.execute(
                select(EscalationChange.id).where(EscalationChange.escalation_id == escalation.id)
            )
        ).scalar_one()
    row_ids: dict[str, int] = {
        "Organization": org,
        "Topic": topic,
        "Community": _id(community.id),
        "Member": ada,
        "Membership": _id(membership.id),
        "Follow": _id(follow.id),
        "Content": _id(post.id),
        "Engagement": _id(engagement.id),
        "Mention": _id(mention.id),
        "Escalation": _id(escalation.id),
        "EscalationChange": change,
        "Webhook": _id(webhook.webhook.id),
        # A key of its own, so revoking it leaves the world's callers working.
        "ApiKey": _id(spare_key.id),
        **rows,
        **planned,
    }
    ids = {name: encode_id(name, row_id) for name, row_id in row_ids.items() if "#" not in name}
    # Rows some inputs need besides the one of each type: a second member, a second mention.
    ids["Member#2"] = encode_id("Member", bob)
    ids["Mention#2"] = encode_id("Mention", _id(spare.id))
    for step in ("draft", "review", "approved"):
        ids[f"Content#{step}"] = encode_id("Content", row_ids.pop(f"Content#{step}"))
    return World(org, keys, ids)


async def _rows_without_services(
    session: Any, org: int, topic: int, webhook: int
) -> dict[str, int]:
    """Alerts are raised by the snowball watch, deliveries by the dispatcher and audit entries
    by mutations' transactions; no call of the API makes one on demand, so the world inserts
    them as those processes would."""
    alert = Alert(
        organization_id=org,
        topic_id=topic,
        open_topic_id=topic,
        status="open",
        window_count=12,
        baseline_per_window=1.0,
        ratio=12.0,
        threshold=3.0,
    )
    event = DomainEvent(organization_id=org, name="content.published", payload={})
    # Runs are finished by a server's simulation runner; the world holds one it finished.
    simulation = Simulation(
        organization_id=org,
        scenario="crisis-response",
        strategies=["silent"],
        seeds=2,
        days=5,
        members=100,
        status="failed",
        error="catalog",
    )
    entry = AuditEntry(
        organization_id=org, actor="catalog", action="communityCreate", target_type="Topic"
    )
    session.add_all([alert, event, simulation, entry])
    await session.flush()
    delivery = WebhookDelivery(
        organization_id=org,
        webhook_id=webhook,
        event_id=_id(event.id),
        event_name=event.name,
        delivery_key=f"catalog-{org}-{event.id}",
    )
    session.add(delivery)
    await session.commit()
    return {
        "Alert": _id(alert.id),
        "WebhookDelivery": _id(delivery.id),
        "Simulation": _id(simulation.id),
        "AuditEntry": _id(entry.id),
    }


async def _campaign_and_planned_content(
    session: Any, org: int, community: int, owner: int
) -> dict[str, int]:
    """A campaign, and content at each approval step: a draft, one in review and an approved
    one. The workflow runs without a key, so any key may review what it submitted."""
    now = datetime.now(UTC)
    campaign = await CampaignService(session, org).create(
        CampaignDraft(
            "Launch", Objective("conversions", 10, now + timedelta(days=30)), now, now + DAY * 30
        )
    )
    workflow = ContentWorkflow(session, org, None)
    task = await TaskService(session, org).create(
        TaskDraft(_id(campaign.id), "Brief", owner, now, now + DAY)
    )
    steps: dict[str, int] = {"Campaign": _id(campaign.id), "CampaignTask": _id(task.id)}
    for step, moves in (("draft", 0), ("review", 1), ("approved", 2)):
        content = await workflow.create(
            PlannedContent(community, ContentKind.POST, f"{step} copy", campaign_id=campaign.id)
        )
        if moves >= 1:
            await workflow.submit(_id(content.id))
        if moves >= 2:
            await workflow.approve(_id(content.id))
        steps[f"Content#{step}"] = _id(content.id)
    return steps


DAY = timedelta(days=1)


def _id(value: int | None) -> int:
    assert value is not None
    return value


@dataclass(frozen=True)
class Entry:
    """How to call one mutation: its input type and a minimal valid input from world ids."""

    input_type: str
    make_input: Callable[[Ids], dict[str, Any]]


def _engagement(ids: Ids) -> dict[str, Any]:
    return {"contentId": ids["Content"], "memberId": ids["Member"], "kind": "COMMENT"}


def _mention(_ids: Ids) -> dict[str, Any]:
    return {"source": "forum", "text": "the invoice looks fine now", "authorHandle": "erin"}


# Every mutation of the schema, with a minimal input that succeeds for a fresh world's owner.
MUTATIONS: dict[str, Entry] = {
    "communityCreate": Entry(
        "CommunityCreateInput",
        lambda ids: {"name": "New", "platform": "BLOG", "visibility": "PRIVATE"},
    ),
    "communityUpdate": Entry(
        "CommunityUpdateInput", lambda ids: {"id": ids["Community"], "name": "Renamed"}
    ),
    "communityArchive": Entry("CommunityArchiveInput", lambda ids: {"id": ids["Community"]}),
    "memberCreate": Entry(
        "MemberCreateInput",
        lambda ids: {
            "handle": "zed",
            "displayName": "Zed",
            "interests": [{"topicId": ids["Topic"], "weight": 0.5}],
        },
    ),
    "membershipCreate": Entry(
        "MembershipCreateInput",
        lambda ids: {"communityId": ids["Community"], "memberId": ids["Member#2"]},
    ),
    "membershipUpdate": Entry(
        "MembershipUpdateInput", lambda ids: {"id": ids["Membership"], "love": 0.5}
    ),
    "followCreate": Entry(
        "FollowCreateInput",
        lambda ids: {"followerId": ids["Member#2"], "followeeId": ids["Member"]},
    ),
    "contentPublish": Entry(
        "ContentPublishInput",
        lambda ids: {
            "communityId": ids["Community"],
            "kind": "REPLY",
            "body": "thanks",
            "authorId": ids["Member#2"],
            "parentId": ids["Content"],
            "topicIds": [ids["Topic"]],
        },
    ),
    "contentUpdate": Entry(
        "ContentUpdateInput",
        lambda ids: {"id": ids["Content"], "title": "Edited", "topicIds": [ids["Topic"]]},
    ),
    "contentDelete": Entry("ContentDeleteInput", lambda ids: {"id": ids["Content"]}),
    "engagementRecord": Entry("EngagementRecordInput", _engagement),
    "engagementsIngest": Entry("EngagementsIngestInput", lambda ids: {"items": [_engagement(ids)]}),
    "webhookCreate": Entry(
        "WebhookCreateInput",
        lambda ids: {"url": "http://127.0.0.1:9/other", "events": ["ALERT_RAISED"]},
    ),
    "webhookUpdate": Entry(
        "WebhookUpdateInput", lambda ids: {"id": ids["Webhook"], "description": "ops"}
    ),
    "webhookDelete": Entry("WebhookDeleteInput", lambda ids: {"id": ids["Webhook"]}),
    "mentionRecord": Entry(
        "MentionRecordInput",
        lambda ids: {"source": "forum", "text": "thanks!", "authorId": ids["Member"]},
    ),
    "mentionsIngest": Entry("MentionsIngestInput", lambda ids: {"items": [_mention(ids)]}),
    "mentionTriage": Entry(
        "MentionTriageInput",
        lambda ids: {"id": ids["Mention#2"], "priority": "HIGH", "assigneeId": ids["Member"]},
    ),
    "mentionIgnore": Entry("MentionIgnoreInput", lambda ids: {"id": ids["Mention#2"]}),
    "mentionRespond": Entry(
        "MentionRespondInput", lambda ids: {"id": ids["Mention#2"], "text": "on it"}
    ),
    "escalationCreate": Entry(
        "EscalationCreateInput",
        lambda ids: {"mentionId": ids["Mention#2"], "assigneeId": ids["Member"]},
    ),
    "escalationRespond": Entry(
        "EscalationRespondInput", lambda ids: {"id": ids["Escalation"], "text": "fixed"}
    ),
    "escalationReassign": Entry(
        "EscalationReassignInput",
        lambda ids: {"id": ids["Escalation"], "assigneeId": ids["Member"]},
    ),
    "escalationResolve": Entry("EscalationResolveInput", lambda ids: {"id": ids["Escalation"]}),
    "campaignCreate": Entry(
        "CampaignCreateInput",
        lambda ids: {
            "name": "Spring",
            "objective": {"kpi": "conversions", "target": 5, "due": _later(20)},
            "startsAt": _later(1),
            "endsAt": _later(10),
            "topicIds": [ids["Topic"]],
        },
    ),
    "campaignUpdate": Entry(
        "CampaignUpdateInput",
        lambda ids: {"id": ids["Campaign"], "budget": 100.0, "topicIds": [ids["Topic"]]},
    ),
    "campaignClose": Entry("CampaignCloseInput", lambda ids: {"id": ids["Campaign"]}),
    "contentCreate": Entry(
        "ContentCreateInput",
        lambda ids: {
            "communityId": ids["Community"],
            "kind": "ARTICLE",
            "body": "planned",
            "campaignId": ids["Campaign"],
            "authorId": ids["Member"],
            "topicIds": [ids["Topic"]],
        },
    ),
    "contentSubmit": Entry("ContentSubmitInput", lambda ids: {"id": ids["Content#draft"]}),
    "contentApprove": Entry("ContentApproveInput", lambda ids: {"id": ids["Content#review"]}),
    "contentReject": Entry(
        "ContentRejectInput", lambda ids: {"id": ids["Content#review"], "reason": "off brand"}
    ),
    "contentSchedule": Entry(
        "ContentScheduleInput", lambda ids: {"id": ids["Content#approved"], "at": _later(2)}
    ),
    "simulationRun": Entry(
        "SimulationRunInput",
        lambda ids: {
            "scenario": "crisis-response",
            "strategies": ["silent"],
            "seeds": 2,
            "days": 5,
            "members": 50,
        },
    ),
    "campaignTaskCreate": Entry(
        "CampaignTaskCreateInput",
        lambda ids: {
            "campaignId": ids["Campaign"],
            "title": "Draft copy",
            "ownerId": ids["Member"],
            "startsAt": _later(1),
            "dueAt": _later(3),
            "dependsOn": [ids["CampaignTask"]],
        },
    ),
    "campaignTaskUpdate": Entry(
        "CampaignTaskUpdateInput",
        lambda ids: {"id": ids["CampaignTask"], "title": "Brief v2", "ownerId": ids["Member"]},
    ),
    "conversionRecord": Entry(
        "ConversionRecordInput",
        lambda ids: {"externalId": "order-1", "memberId": ids["Member"], "value": 42.0},
    ),
    "apiKeyCreate": Entry("ApiKeyCreateInput", lambda ids: {"role": "ANALYST", "name": "bi"}),
    "apiKeyRevoke": Entry("ApiKeyRevokeInput", lambda ids: {"id": ids["ApiKey"]}),
}


def _later(days: int) -> str:
    return (datetime.now(UTC) + DAY * days).isoformat()


# Required arguments of root query fields, besides the id arguments the test fills itself.
QUERY_ARGUMENTS: dict[str, dict[str, Any]] = {
    "calendar": {"from": _later(-30), "to": _later(30)},
}
