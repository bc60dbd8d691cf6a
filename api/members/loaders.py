"""Loaders for members, their interests, memberships and follows."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from strawberry.dataloader import DataLoader

from api.batching import CountKey, PageKey, alone, by_id, counts_by_parent, pages_by_parent
from domain.entities import Follow, Member, MemberInterest, Membership
from domain.pagination import Page

if TYPE_CHECKING:
    from api.context import Services


@dataclass(frozen=True)
class MemberLoaders:
    members: DataLoader[int, Member | None]
    interests: DataLoader[int, list[MemberInterest]]
    memberships: DataLoader[int, Membership | None]
    follows: DataLoader[int, Follow | None]
    membership_pages: DataLoader[PageKey, Page[Any]]
    membership_counts: DataLoader[CountKey, int]

    @classmethod
    def build(cls, services: Services, lock: asyncio.Lock) -> MemberLoaders:
        members = services.members

        async def interests(ids: list[int]) -> Sequence[list[MemberInterest]]:
            found = await alone(lock, members.interests_of, ids)
            return [found.get(i, []) for i in ids]

        return cls(
            members=by_id(lock, members.read_many),
            interests=DataLoader(load_fn=interests),
            memberships=by_id(lock, members.get_memberships),
            follows=by_id(lock, members.get_follows),
            membership_pages=pages_by_parent(lock, members.membership_pages),
            membership_counts=counts_by_parent(lock, members.membership_counts),
        )
