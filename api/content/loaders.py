"""Loaders for content, its topics and threads, and engagement."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from strawberry.dataloader import DataLoader

from api.batching import CountKey, PageKey, alone, by_id, counts_by_parent, pages_by_parent
from domain.entities import Content, Engagement
from domain.pagination import Page

if TYPE_CHECKING:
    from api.context import Services


@dataclass(frozen=True)
class ContentLoaders:
    content: DataLoader[int, Content | None]
    topic_ids: DataLoader[int, list[int]]
    engagements: DataLoader[int, Engagement | None]
    content_pages: DataLoader[PageKey, Page[Any]]
    content_pages_with_authors: DataLoader[PageKey, Page[Any]]
    content_counts: DataLoader[CountKey, int]
    engagement_pages: DataLoader[PageKey, Page[Any]]
    engagement_counts: DataLoader[CountKey, int]

    @classmethod
    def build(cls, services: Services, lock: asyncio.Lock) -> ContentLoaders:
        content = services.content
        engagement = services.engagement

        async def topic_ids(ids: list[int]) -> Sequence[list[int]]:
            found = await alone(lock, content.topics_of, ids)
            return [found.get(i, []) for i in ids]

        return cls(
            content=by_id(lock, content.read_many),
            topic_ids=DataLoader(load_fn=topic_ids),
            engagements=by_id(lock, engagement.get_many),
            content_pages=pages_by_parent(lock, content.pages),
            content_pages_with_authors=pages_by_parent(lock, content.pages_with_authors),
            content_counts=counts_by_parent(lock, content.counts),
            engagement_pages=pages_by_parent(lock, engagement.pages),
            engagement_counts=counts_by_parent(lock, engagement.counts),
        )
