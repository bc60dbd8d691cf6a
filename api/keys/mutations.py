"""Mutations of API keys: make one (its secret is in this payload only) and revoke one."""

from __future__ import annotations

import strawberry

from api.enums import Role
from api.errors import UserError
from api.keys.types import ApiKey
from api.payloads import InputIds, perform
from domain.entities import ApiKey as ApiKeyRow
from domain.services.organizations import IssuedKey


@strawberry.input
class ApiKeyCreateInput:
    role: Role
    name: str = ""


@strawberry.input
class ApiKeyRevokeInput:
    id: strawberry.ID


@strawberry.type
class ApiKeyCreatePayload:
    api_key: ApiKey | None
    secret: str | None = strawberry.field(
        description="The key itself, shown this once: only its hash is stored."
    )
    user_errors: list[UserError]


@strawberry.type
class ApiKeyRevokePayload:
    api_key: ApiKey | None
    user_errors: list[UserError]


def _key(row: ApiKeyRow | None) -> ApiKey | None:
    return None if row is None else ApiKey.from_row(row)


@strawberry.type
class ApiKeyMutation:
    @strawberry.mutation(description="Make an API key; the payload shows its secret once.")
    async def api_key_create(
        self, info: strawberry.Info, input: ApiKeyCreateInput
    ) -> ApiKeyCreatePayload:
        service = info.context.services.keys
        issued: IssuedKey | None
        issued, errors = await perform(info, lambda: service.create(input.role, input.name))
        return ApiKeyCreatePayload(
            api_key=None if issued is None else _key(issued.record),
            secret=None if issued is None else issued.secret,
            user_errors=errors,
        )

    @strawberry.mutation(description="Revoke an API key: it and its tokens stop working at once.")
    async def api_key_revoke(
        self, info: strawberry.Info, input: ApiKeyRevokeInput
    ) -> ApiKeyRevokePayload:
        key_id = InputIds().of(input.id, "ApiKey")
        service = info.context.services.keys
        row, errors = await perform(info, lambda: service.revoke(key_id))
        return ApiKeyRevokePayload(api_key=_key(row), user_errors=errors)
