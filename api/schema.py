"""The one GraphQL schema: every area's queries and mutations merged, plus its export."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import strawberry
from graphql import GraphQLError
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from api.communities.mutations import CommunityMutation
from api.communities.queries import CommunityQuery
from api.connections import MAX_PAGE_SIZE
from api.content.mutations import ContentMutation
from api.members.mutations import MemberMutation
from api.members.queries import MemberQuery
from api.nodes import NodeQuery
from api.organizations.queries import OrganizationQuery
from api.scalars import DateTime
from domain.errors import DomainError

Query = merge_types("Query", (OrganizationQuery, NodeQuery, CommunityQuery, MemberQuery))
Mutation = merge_types("Mutation", (CommunityMutation, MemberMutation, ContentMutation))


class TownsquareSchema(strawberry.Schema):
    """Logs only the errors nobody meant: refusals of bad input are the client's business."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        unexpected = [e for e in errors if is_unexpected(e)]
        if unexpected:
            super().process_errors(unexpected, execution_context)


def is_unexpected(error: GraphQLError) -> bool:
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError | DomainError)


schema = TownsquareSchema(
    query=Query,
    mutation=Mutation,
    config=StrawberryConfig(relay_max_results=MAX_PAGE_SIZE, scalar_map={datetime: DateTime}),
)


def schema_text() -> str:
    """The schema in SDL, as committed to `schema.graphql`."""
    return schema.as_str() + "\n"


def export_schema(path: str | Path) -> Path:
    """Write the SDL to `path` (what `townsquare export-schema` runs)."""
    target = Path(path)
    target.write_text(schema_text(), encoding="utf-8")
    return target
