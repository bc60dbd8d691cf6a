"""Queries of the members area: the members list, and memberships of any parent, batched."""

from __future__ import annotations

import strawberry

from api.connections import from_page, page_request
from api.errors import or_query_error
from api.members.types import Member, MemberConnection, Membership, MembershipConnection
from api.members.types import MembershipFilter as MembershipFilterInput
from domain.pagination import PageRequest
from domain.repositories.members import MembershipFilter


async def memberships_of(
    info: strawberry.Info,
    parent: str,
    parent_id: int,
    where: MembershipFilterInput | None,
    request: PageRequest,
) -> MembershipConnection:
    """One page of a community's or member's memberships, batched with its siblings'."""
    loaders = info.context.loaders.members
    domain_filter = where.to_domain() if where is not None else MembershipFilter()
    page = await loaders.membership_pages.load((parent, parent_id, domain_filter, request))
    return from_page(
        MembershipConnection,
        page,
        Membership.from_row,
        lambda: loaders.membership_counts.load((parent, parent_id, domain_filter)),
    )


@strawberry.type
class MemberQuery:
    @strawberry.field(description="The organization's members, oldest first.")
    async def members(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> MemberConnection:
        context = info.context
        service = context.services.members
        request = page_request(first, after, last, before)
        page = await or_query_error(lambda: context.run(service.page, request))
        return from_page(
            MemberConnection, page, Member.from_row, lambda: context.run(service.total)
        )
