"""Loaders of listening rows by id, and of each mention's topics and latest escalation."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from strawberry.dataloader import DataLoader

from api.batching import alone, by_id
from domain.listening.tables import Alert, Escalation, EscalationChange, Mention

if TYPE_CHECKING:
    from api.context import Services


@dataclass(frozen=True)
class ListeningLoaders:
    mentions: DataLoader[int, Mention | None]
    mention_topic_ids: DataLoader[int, list[int]]
    escalations: DataLoader[int, Escalation | None]
    latest_escalations: DataLoader[int, Escalation | None]
    escalation_changes: DataLoader[int, EscalationChange | None]
    alerts: DataLoader[int, Alert | None]

    @classmethod
    def build(cls, services: Services, lock: asyncio.Lock) -> ListeningLoaders:
        mentions = services.mentions

        async def topic_ids(ids: list[int]) -> Sequence[list[int]]:
            found = await alone(lock, mentions.topics_of, ids)
            return [found.get(i, []) for i in ids]

        return cls(
            mentions=by_id(lock, mentions.get_many),
            mention_topic_ids=DataLoader(load_fn=topic_ids),
            escalations=by_id(lock, services.escalations.get_many),
            # Keyed by mention id: one statement for a whole inbox page.
            latest_escalations=by_id(lock, services.escalations.latest_for_mentions),
            escalation_changes=by_id(lock, services.escalations.changes_many),
            alerts=by_id(lock, services.alerts.get_many),
        )
