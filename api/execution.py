"""graphql-core's executor with a short way for the fields planned in `api.execution_plans`.

A planned field (a scalar or enum read from its parent, see there) is answered by its plan's
read and the leaf type's output coercion: no resolve info, no response path, no Strawberry
resolver chain, no `complete_value` recursion and no awaitable checks. Whatever the short way
cannot answer exactly as graphql-core would goes the stock way for that field: a field node
carrying directives, a null for a non-null field, a value the scalar refuses, any exception.
The stock way resolves the field again from the start, so its errors, paths and null
propagation are graphql-core's own (the planned reads have no side effects, so reading twice
is harmless).
"""

from __future__ import annotations

from typing import Any, ClassVar

from graphql import (
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
)
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet
from graphql.pyutils import AwaitableOrValue, Path, Undefined, UndefinedType, gather_with_cancel
from strawberry.schema.schema import Schema, StrawberryGraphQLCoreExecutionContext

from api.execution_plans import FieldPlan, Plans, plan_schema

NO_PLANS: dict[str, FieldPlan] = {}

# One selection's fields in order: response name, its field nodes, its plan (None: stock way).
Steps = list[tuple[str, FieldDetailsList, FieldPlan | None]]


class PlannedExecutor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context, answering planned fields the short way.

    `plans` belong to one schema: `planned_executor` makes a subclass per schema.
    """

    plans: ClassVar[Plans] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        manager = self.middleware_manager
        # A resolve middleware (an extension's `resolve` hook) must see every field.
        self.short_way = not (manager is not None and manager.middlewares)
        # A list's items share one grouped field set: its steps are worked out once.
        self._steps: dict[int, tuple[GroupedFieldSet, Steps | None]] = {}

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> AwaitableOrValue[dict[str, Any]]:
        """graphql-core's `execute_fields`, with the planned fields answered in the loop."""
        steps = self.steps_of(parent_type, grouped_field_set)
        if steps is None:
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        results: dict[str, Any] = {}
        awaitable_fields: list[str] = []
        parent = parent_type.name
        try:
            for response_name, field_details_list, plan in steps:
                if plan is not None:
                    value = answer(plan, source_value, parent)
                    if value is not Undefined:
                        results[response_name] = value
                        continue
                result = super().execute_field(
                    parent_type,
                    source_value,
                    field_details_list,
                    Path(path, response_name, parent),
                    position_context,
                )
                if result is not Undefined:
                    results[response_name] = result
                    if self.is_awaitable(result):
                        awaitable_fields.append(response_name)
        except Exception:
            if awaitable_fields:
                self.settle_in_background([results[field] for field in awaitable_fields])
            raise
        if not awaitable_fields:
            return results
        return _awaited(results, awaitable_fields)

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: FieldDetailsList,
        path: Path,
        position_context: Any,
    ) -> AwaitableOrValue[Any] | UndefinedType:
        """The short way for a field met outside `execute_fields` (a mutation's, serially)."""
        plan = self.plans.get(parent_type, NO_PLANS).get(field_details_list[0].node.name.value)
        if plan is not None and self.short_way and not _directed(field_details_list):
            value = answer(plan, source, parent_type.name)
            if value is not Undefined:
                return value
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )

    def complete_value(
        self,
        return_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo,
        path: Path,
        result: Any,
        position_context: Any,
    ) -> AwaitableOrValue[Any]:
        """A present object for a non-null object type goes straight to its sub-selection.

        graphql-core would check the non-null wrapper's inner completion for null, which an
        object's (a dict or an awaitable of one) never is, after testing the type's kinds.
        """
        if (
            type(return_type) is GraphQLNonNull
            and type(return_type.of_type) is GraphQLObjectType
            and result is not None
            and result is not Undefined
            and not isinstance(result, Exception)
        ):
            return self.complete_object_value(
                return_type.of_type, field_details_list, info, path, result, position_context
            )
        return super().complete_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def steps_of(self, parent_type: GraphQLObjectType, fields: GroupedFieldSet) -> Steps | None:
        """The steps of one selection, or None when no field of it is planned."""
        # Keyed by identity like graphql-core's own subfield memo; the entry keeps the field
        # set alive, so its id is not reused while this request runs.
        found = self._steps.get(id(fields))
        if found is not None and found[0] is fields:
            return found[1]
        planned = self.plans.get(parent_type, NO_PLANS) if self.short_way else NO_PLANS
        steps: Steps = [
            (name, details, None if _directed(details) else planned.get(details[0].node.name.value))
            for name, details in fields.items()
        ]
        chosen = steps if any(plan is not None for _, _, plan in steps) else None
        self._steps[id(fields)] = (fields, chosen)
        return chosen


async def _awaited(results: dict[str, Any], awaitable_fields: list[str]) -> dict[str, Any]:
    # As graphql-core's `execute_fields` finishes: its awaitables in parallel, in place.
    if len(awaitable_fields) == 1:
        field = awaitable_fields[0]
        results[field] = await results[field]
    else:
        awaited = await gather_with_cancel(*(results[field] for field in awaitable_fields))
        results.update(zip(awaitable_fields, awaited, strict=True))
    return results


def _directed(field_details_list: FieldDetailsList) -> bool:
    return any(details.node.directives for details in field_details_list)


def answer(plan: FieldPlan, source: Any, parent: str) -> Any:
    """The completed value of a planned field, or Undefined when only the stock way may say."""
    try:
        raw = plan.read(source, parent)
        if raw is None or raw is Undefined:
            return None if plan.nullable else Undefined
        if isinstance(raw, Exception):
            return Undefined
        coerced = plan.leaf.coerce_output_value(raw)
    except Exception:  # the stock way raises it again, located and handled
        return Undefined
    return Undefined if coerced is None else coerced


def planned_executor() -> type[PlannedExecutor]:
    """An executor class of its own for one schema; `bind` it to the schema once built."""
    return type("PlannedExecutor", (PlannedExecutor,), {"plans": {}})


def bind(executor: type[PlannedExecutor], schema: Schema) -> None:
    """Plan the fields of `schema` (built with `executor` as its execution context class)."""
    executor.plans.update(plan_schema(schema._schema, schema.schema_converter))
