"""Every table of the application, imported in one place so the metadata knows them all.

Migrations, test fixtures and anything that creates a schema import this module. A new
module of tables is added to the imports below and its tenant tables to `TENANT_TABLES`.
"""

from __future__ import annotations

from sqlmodel import SQLModel

from domain import entities, events
from domain.audit import tables as audit
from domain.campaigns import tables as campaigns
from domain.idempotency import tables as idempotency
from domain.listening import tables as listening
from domain.rollups import tables as rollups
from domain.simulations import tables as simulations
from domain.webhooks import tables as webhooks

METADATA = SQLModel.metadata

# Tables whose rows belong to one organization (all carry `organization_id`).
TENANT_TABLES: tuple[str, ...] = (
    *entities.TENANT_TABLES,
    events.DomainEvent.__tablename__,
    webhooks.Webhook.__tablename__,
    webhooks.WebhookDelivery.__tablename__,
    idempotency.IdempotencyKey.__tablename__,
    *rollups.TENANT_TABLES,
    *listening.TENANT_TABLES,
    *campaigns.TENANT_TABLES,
    *simulations.TENANT_TABLES,
    *audit.TENANT_TABLES,
)

__all__ = ["METADATA", "TENANT_TABLES"]
