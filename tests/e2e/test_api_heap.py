"""The serving process keeps what startup built out of the garbage collector's walks."""

from __future__ import annotations

import gc

import httpx
from api_harness import Api, Tenant, api_db, tenant  # noqa: F401  (fixtures)

from api.app import create_app
from domain.db import Database


async def test_startup_objects_are_frozen_while_serving_and_thawed_after(
    api_db: Database,  # noqa: F811
) -> None:
    acme: Tenant = await tenant(api_db, "acme")
    app = create_app(api_db, deliver_webhooks=False, publish_every=0)
    transport = httpx.ASGITransport(app=app)
    assert gc.get_freeze_count() == 0
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://townsquare.test") as client,
    ):
        # The schema and everything imported are frozen: full collections skip them.
        assert gc.get_freeze_count() > 10_000
        data = await Api(client, acme.key).data("{ viewer { organization { name } } }")
        assert data["viewer"]["organization"]["name"] == "Acme"
    assert gc.get_freeze_count() == 0
