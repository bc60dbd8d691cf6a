"""The domain's closed sets, registered as GraphQL enums (values named by their Python keys).

`strawberry.enum` registers each domain enum in place, so resolvers pass domain values straight
through and GraphQL input arrives as domain values; importing them from here makes sure the
registration has happened.
"""

from __future__ import annotations

from enum import StrEnum

import strawberry

from domain.enums import (
    ApiKeyRole,
    AttributionModel,
    CampaignStatus,
    CommunityOrder,
    ContentKind,
    ContentStatus,
    EngagementKind,
    MembershipRole,
    MembershipState,
    Platform,
    TaskStatus,
    Visibility,
)
from domain.metrics.window import Granularity

strawberry.enum(Platform, description="Where a community lives.")
strawberry.enum(Visibility, description="Who can see a community.")
strawberry.enum(MembershipRole, description="A member's part in a community.")
strawberry.enum(MembershipState, description="Whether a membership is still alive.")
strawberry.enum(ContentKind, description="What a piece of content is.")
strawberry.enum(ContentStatus, description="Where content is in its life and its approval.")
strawberry.enum(AttributionModel, description="How conversion value is credited to content.")
strawberry.enum(TaskStatus, description="Where a campaign task is.")
strawberry.enum(CampaignStatus, description="Whether a campaign is planned, running or closed.")
strawberry.enum(EngagementKind, description="A member's action on content.")
strawberry.enum(ApiKeyRole, name="Role", description="What an API key may do.")
strawberry.enum(CommunityOrder, name="CommunityOrderField", description="What communities sort by.")
strawberry.enum(Granularity, name="MetricsGranularity", description="How a series is bucketed.")

Role = ApiKeyRole
CommunityOrderField = CommunityOrder
MetricsGranularity = Granularity


@strawberry.enum(description="Which way a list is sorted.")
class OrderDirection(StrEnum):
    ASC = "asc"
    DESC = "desc"


__all__ = [
    "AttributionModel",
    "CampaignStatus",
    "CommunityOrderField",
    "ContentKind",
    "ContentStatus",
    "EngagementKind",
    "MembershipRole",
    "MembershipState",
    "MetricsGranularity",
    "OrderDirection",
    "Platform",
    "Role",
    "TaskStatus",
    "Visibility",
]
