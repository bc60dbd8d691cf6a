"""Every update that takes `expectedVersion` (found in the schema): stale is a CONFLICT that
changes nothing; the version read succeeds and raises it by one."""

from __future__ import annotations

from typing import Any

import httpx
from api_harness import api_db, http, row_counts
from test_trust_catalog import SCHEMA, mutation_document, post
from trust_catalog import MUTATIONS, build_world

from api.ids import decode_id
from domain.db import Database
from domain.enums import ApiKeyRole

__all__ = ["api_db", "http"]


def versioned_mutations() -> list[str]:
    """Mutations whose input has `expectedVersion`."""
    assert SCHEMA.mutation_type is not None
    names = []
    for name, field in SCHEMA.mutation_type.fields.items():
        input_type = getattr(field.args["input"].type, "of_type", None)
        if input_type is not None and "expectedVersion" in getattr(input_type, "fields", {}):
            names.append(name)
    return names


async def version_of(http: httpx.AsyncClient, key: str, global_id: str) -> dict[str, Any]:
    decoded = decode_id(global_id)
    assert decoded is not None
    query = f"query($id: ID!) {{ node(id: $id) {{ ... on {decoded[0]} {{ version updatedAt }} }} }}"
    node: dict[str, Any] = (await post(http, key, query, id=global_id))["data"]["node"]
    return node


def test_the_update_mutations_take_expected_version() -> None:
    assert {
        "communityUpdate",
        "membershipUpdate",
        "contentUpdate",
        "campaignUpdate",
        "webhookUpdate",
    } <= set(versioned_mutations())


async def test_a_stale_expected_version_is_a_conflict_and_overwrites_nothing(
    http: httpx.AsyncClient, api_db: Database
) -> None:
    world = await build_world(api_db)
    key = world.keys[ApiKeyRole.OWNER]
    for name in versioned_mutations():
        valid = MUTATIONS[name].make_input(world.ids)
        before_row = await version_of(http, key, valid["id"])
        before = await row_counts(api_db)
        stale = {**valid, "expectedVersion": before_row["version"] - 1}
        body = await post(http, key, mutation_document(name), input=stale)
        [error] = body["data"][name]["userErrors"]
        assert error["code"] == "CONFLICT", (name, error)
        assert error["field"] == ["input", "expectedVersion"]
        assert f"version {before_row['version']}" in error["message"]
        assert await version_of(http, key, valid["id"]) == before_row, name
        assert await row_counts(api_db) == before, name


async def test_the_version_read_updates_and_is_raised_by_one(
    http: httpx.AsyncClient, api_db: Database
) -> None:
    world = await build_world(api_db)
    key = world.keys[ApiKeyRole.OWNER]
    for name in versioned_mutations():
        valid = MUTATIONS[name].make_input(world.ids)
        read = (await version_of(http, key, valid["id"]))["version"]
        body = await post(
            http, key, mutation_document(name), input={**valid, "expectedVersion": read}
        )
        assert body["data"][name]["userErrors"] == [], (name, body)
        assert (await version_of(http, key, valid["id"]))["version"] == read + 1, name
