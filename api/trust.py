"""The checks every operation passes before it runs: role, cost, rate limit; and clear codes.

One schema extension does them all once per operation, from the parsed document, so no resolver
pays for them. A refused operation gets `data: null` and one error with a stable code, and
nothing executes (so a refused mutation writes nothing).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import Any

from graphql import (
    ExecutionResult,
    FragmentDefinitionNode,
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
)
from graphql.utilities import get_operation_ast
from strawberry.extensions import MaskErrors, SchemaExtension

from api.cost import CostPlanner
from api.permissions import denied_fields
from api.ratelimit import Decision, RateLimiter
from api.selection import fields_of
from api.settings import TrustSettings

FORBIDDEN = "FORBIDDEN"
MAX_COST_EXCEEDED = "MAX_COST_EXCEEDED"
MAX_NODES_EXCEEDED = "MAX_NODES_EXCEEDED"
THROTTLED = "THROTTLED"
INTERNAL = "INTERNAL_SERVER_ERROR"

# Strawberry's own limiters report bare messages; these give them codes clients can branch on.
LIMIT_CODES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"exceeds maximum operation depth"), "MAX_DEPTH_EXCEEDED"),
    (re.compile(r"aliases found\. Allowed"), "MAX_ALIASES_EXCEEDED"),
    (re.compile(r"Document contains more than \d+ tokens"), "MAX_TOKENS_EXCEEDED"),
    (re.compile(r"introspection", re.IGNORECASE), "INTROSPECTION_DISABLED"),
    (re.compile(r"^Syntax Error"), "GRAPHQL_PARSE_FAILED"),
)
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"


class TrustGuard(SchemaExtension):
    """Refuses what the caller's role may not do, what costs too much, and what the bucket lacks."""

    def __init__(self, settings: TrustSettings, planner: CostPlanner, limiter: RateLimiter):
        self.settings = settings
        self.planner = planner
        self.limiter = limiter
        self.cost: dict[str, Any] | None = None
        self.executed = False

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        # Only a document refused before execution (parse, validation, limits) lacks codes here;
        # resolver errors keep what their resolvers said.
        if result is not None and not self.executed:
            for error in result.errors or ():
                _give_code(error)

    async def on_execute(self) -> AsyncIterator[None]:  # type: ignore[override]
        self.executed = True
        context = self.execution_context
        operation = get_operation_ast(context.graphql_document, context.operation_name)  # type: ignore[arg-type]
        if operation is None or context.context is None:
            yield
            return
        refusal = self._wrong_transport(operation) or await self._refusal(operation)
        if refusal is not None:
            if operation.operation == OperationType.SUBSCRIPTION:
                # Strawberry starts a subscription whatever `result` holds: only raising stops it
                # (the client gets the error and `complete`, and nothing is subscribed).
                raise refusal
            context.result = ExecutionResult(data=None, errors=[refusal])
            yield
            return
        yield
        await self._settle()

    def _wrong_transport(self, operation: OperationDefinitionNode) -> GraphQLError | None:
        """Subscriptions go over the websocket, queries and mutations over HTTP (where
        idempotency keys, access logs and per-request sessions apply)."""
        live = getattr(self.execution_context.context, "live", False)
        subscription = operation.operation == OperationType.SUBSCRIPTION
        if live == subscription:
            return None
        message = (
            "Subscribe over a websocket at /graphql with the graphql-transport-ws protocol."
            if subscription
            else "Send queries and mutations as HTTP POST to /graphql; the websocket carries "
            "subscriptions only."
        )
        return _error(message, "BAD_REQUEST")

    async def _refusal(self, operation: OperationDefinitionNode) -> GraphQLError | None:
        """Why the operation may not run, or None; takes its cost from the bucket if it may."""
        return self._forbidden(operation) or self._too_costly() or await self._throttled()

    def _forbidden(self, operation: OperationDefinitionNode) -> GraphQLError | None:
        principal = self.execution_context.context.principal
        fields = _root_fields(operation, self.execution_context)
        denied = denied_fields(operation.operation.value, fields, principal.role)
        if not denied:
            return None
        return _error(
            f"Forbidden: a {principal.role.value} key may not use {', '.join(denied)}.",
            FORBIDDEN,
            fields=denied,
        )

    def _too_costly(self) -> GraphQLError | None:
        context = self.execution_context
        plan = self.planner.plan(context.query or "", context.operation_name)
        variables = context.variables or {}
        requested = plan.requested(variables, self.settings.weights)
        nodes = plan.node_count(variables, self.settings.weights)
        self.cost = {"requestedQueryCost": requested, "actualQueryCost": None, "nodes": nodes}
        if nodes > self.settings.max_nodes:
            return _error(
                f"This query may return {nodes} nodes, more than the limit of "
                f"{self.settings.max_nodes}; ask for smaller pages or fewer nested connections.",
                MAX_NODES_EXCEEDED,
                nodes=nodes,
                maximumNodes=self.settings.max_nodes,
            )
        if requested <= self.settings.max_cost:
            return None
        return _error(
            f"Query cost {requested} exceeds the maximum of {self.settings.max_cost}; "
            "ask for smaller pages or fewer nested connections.",
            MAX_COST_EXCEEDED,
            cost=requested,
            maximumCost=self.settings.max_cost,
        )

    async def _throttled(self) -> GraphQLError | None:
        assert self.cost is not None
        requested = self.cost["requestedQueryCost"]
        principal = self.execution_context.context.principal
        decision = await self.limiter.take(_bucket(principal), requested)
        self._report(decision)
        if decision.allowed:
            return None
        response = getattr(self.execution_context.context, "response", None)
        if response is not None:
            response.status_code = 429
            response.headers["Retry-After"] = str(decision.retry_after_seconds)
        return _error(
            f"Throttled: this query costs {requested} points and "
            f"{int(decision.remaining)} are available; retry in "
            f"{decision.retry_after_seconds} s.",
            THROTTLED,
            retryAfter=decision.retry_after_seconds,
        )

    async def _settle(self) -> None:
        """Give back what the query did not use, and report what it really cost."""
        assert self.cost is not None
        result = self.execution_context.result
        plan = self.planner.plan(
            self.execution_context.query or "", self.execution_context.operation_name
        )
        data = getattr(result, "data", None)
        actual = plan.actual(data, self.settings.weights) if data is not None else 0
        self.cost["actualQueryCost"] = actual
        unused = self.cost["requestedQueryCost"] - actual
        principal = self.execution_context.context.principal
        self._report(await self.limiter.give_back(_bucket(principal), unused))

    def _report(self, decision: Decision) -> None:
        if self.cost is not None:
            self.cost["throttleStatus"] = {
                "maximumAvailable": decision.limit,
                "currentlyAvailable": int(decision.remaining),
                "restoreRate": decision.restore_rate,
            }
        response = getattr(self.execution_context.context, "response", None)
        if response is not None:
            response.headers["X-RateLimit-Limit"] = str(decision.limit)
            response.headers["X-RateLimit-Remaining"] = str(int(decision.remaining))

    def get_results(self) -> dict[str, Any]:
        return {"cost": self.cost} if self.cost is not None else {}


class SafeErrors(MaskErrors):
    """Production errors: a message and a code for what nobody meant; no exception text."""

    def __init__(self, should_mask_error: Callable[[GraphQLError], bool]) -> None:
        super().__init__(should_mask_error, "Internal server error.")

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        masked = super().anonymise_error(error)
        masked.extensions = {"code": INTERNAL}
        return masked


def _error(message: str, code: str, **details: Any) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code, **details})


def _give_code(error: GraphQLError) -> None:
    if error.extensions and "code" in error.extensions:
        return
    code = next((c for p, c in LIMIT_CODES if p.search(error.message)), VALIDATION_FAILED)
    error.extensions = {**(error.extensions or {}), "code": code}


def _bucket(principal: Any) -> str:
    return f"key:{principal.key_id}"


def _root_fields(operation: OperationDefinitionNode, context: Any) -> list[str]:
    """The root field names an operation selects, through fragments.

    The document has passed validation (no fragment cycles) before execution starts."""
    document = context.graphql_document
    fragments: Mapping[str, FragmentDefinitionNode] = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    return [field.name.value for field in fields_of(operation.selection_set, fragments)]
