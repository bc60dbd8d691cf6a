"""Input types that arrive by the hundred, built from their input values in one step.

Strawberry converts every input object field by field: it resolves each field's type, works
out its GraphQL name and walks the conversion rules again for every item, ~0.1 ms per object
of four fields. `engagementsIngest` takes 250 of them, so that was the larger part of the
request's CPU. For an input whose fields are all scalars or enums (which graphql-core has
already parsed, and which Strawberry passes through unchanged) `flat_input` computes the
field names once and builds each object directly, through Strawberry's `from_input` hook.
A field holding a list of such inputs (`items: [EngagementRecordInput!]!`) is built the same
way, the whole list at once: Strawberry would otherwise still test each item's type and call
the hook item by item. The schema does not change.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import MISSING
from typing import Any, TypeVar

from strawberry.relay import GlobalID
from strawberry.scalars import is_scalar
from strawberry.types.arguments import InputContext
from strawberry.types.base import (
    StrawberryList,
    StrawberryOptional,
    StrawberryType,
    get_object_definition,
)
from strawberry.types.enum import StrawberryEnumDefinition, has_enum_definition
from strawberry.types.field import StrawberryField

T = TypeVar("T", bound=type)
Builder = Callable[[type, Mapping[str, Any], InputContext], Any]
# (GraphQL name, Python name, whether the client may leave it out with no default, and for
# a list of flat inputs their class and builder)
Plan = tuple[tuple[str, str, bool, tuple[type, Builder] | None], ...]
# The builder of each class made flat, for the lists of them.
_BUILDERS: dict[type, Builder] = {}


def flat_input(cls: T) -> T:
    """Build `cls` (a Strawberry input of scalar and enum fields, or of lists of inputs made
    flat before it) without per-field rules."""
    definition = get_object_definition(cls, strict=True)
    plans: dict[int, Plan] = {}

    def build(origin: type, value: Mapping[str, Any], context: InputContext) -> Any:
        plan = plans.get(id(context.config))
        if plan is None:
            plan = plans[id(context.config)] = _plan(definition.fields, context)
        kwargs: dict[str, Any] = {}
        for graphql_name, python_name, implicit_none, items in plan:
            if graphql_name in value:
                given = value[graphql_name]
                if items is not None and given is not None:
                    given = [None if v is None else items[1](items[0], v, context) for v in given]
                kwargs[python_name] = given
            elif implicit_none:
                kwargs[python_name] = None
        return origin(**kwargs)

    definition.from_input = build
    _BUILDERS[cls] = build
    return cls


def _plan(fields: list[StrawberryField], context: InputContext) -> Plan:
    plan = []
    for field in fields:
        items = _flat_items(field.type)
        if items is None and not _passes_through(field.type, context):
            raise TypeError(f"{field.python_name} is not a scalar or an enum: no flat input")
        # Strawberry gives fields without a default an implicit None, so do we.
        implicit = field.default_value is MISSING and field.default_factory is MISSING
        name = context.config.name_converter.from_field(field)
        plan.append((name, field.python_name, implicit, items))
    return tuple(plan)


def _flat_items(type_: StrawberryType | type | Any) -> tuple[type, Builder] | None:
    """The class and builder of the items of a list of flat inputs (None for other types)."""
    if isinstance(type_, StrawberryOptional):
        type_ = type_.of_type
    if not isinstance(type_, StrawberryList):
        return None
    item = type_.of_type
    if isinstance(item, StrawberryOptional):
        item = item.of_type
    if not isinstance(item, type) or item not in _BUILDERS:
        return None
    return item, _BUILDERS[item]


def _passes_through(type_: StrawberryType | type | Any, context: InputContext) -> bool:
    """Whether Strawberry's conversion returns values of `type_` unchanged."""
    if isinstance(type_, StrawberryOptional):
        type_ = type_.of_type
    if isinstance(type_, StrawberryEnumDefinition) or has_enum_definition(type_):
        return True
    # A GlobalID is built from its text; every other scalar is already parsed.
    return type_ is not GlobalID and is_scalar(type_, context.scalar_registry)
