"""Which schema fields may skip graphql-core's and Strawberry's per-field machinery, decided once.

A request walks hundreds of fields, and most of them only read an attribute or encode a relay
id. For those, graphql-core builds a `GraphQLResolveInfo`, Strawberry wraps the call in its
resolver chain, and `complete_value` recurses through the type wrappers: about a third of a
thread read's CPU. Each field of the schema gets a `FieldPlan` when the schema is built: how to
compute its value from the parent object directly, or none (the stock path).

Only fields whose value is a scalar or an enum get a plan, and only when nothing could observe
the difference: no arguments, no field extensions (permissions are extensions), no exception
handlers, a synchronous resolver that asks for no `info`, or Strawberry's default attribute
read, or the relay `id` of a node class that keeps `Node`'s own id and type name resolution.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from graphql import (
    GraphQLField,
    GraphQLLeafType,
    GraphQLObjectType,
    GraphQLSchema,
    get_nullable_type,
    is_leaf_type,
    is_non_null_type,
)
from strawberry.relay import GlobalID, Node
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

# (parent object, parent type's name) -> the field's raw value, as its resolver would return it.
Read = Callable[[Any, str], Any]

RELAY_ID = Node._id.__func__  # type: ignore[attr-defined]
DEFAULT_RESOLVE_ID = Node.resolve_id.__func__  # type: ignore[attr-defined]
DEFAULT_RESOLVE_TYPENAME = Node.resolve_typename.__func__  # type: ignore[attr-defined]


class NotPlanned(Exception):
    """The value cannot be read the short way for this object: take the stock path."""


@dataclass(frozen=True, slots=True)
class FieldPlan:
    """How to answer one leaf field without a resolve info: read, then coerce for output."""

    kind: str  # "attribute", "self resolver" or "relay id": what the tests and the docs name
    read: Read
    leaf: GraphQLLeafType
    nullable: bool


# Parent type -> field name -> plan; a field absent from the inner dict takes the stock path.
Plans = dict[GraphQLObjectType, dict[str, FieldPlan]]


def plan_schema(schema: GraphQLSchema, converter: GraphQLCoreConverter) -> Plans:
    """A plan for every field of every object type of `schema` that may take the short way
    (`converter` built it, and knows which fields have exception handlers)."""
    plans: Plans = {}
    for named in schema.type_map.values():
        if not isinstance(named, GraphQLObjectType) or named.name.startswith("__"):
            continue
        planned = {
            name: plan
            for name, field in named.fields.items()
            if (plan := plan_field(field, converter))
        }
        if planned:
            plans[named] = planned
    return plans


def plan_field(field: GraphQLField, converter: GraphQLCoreConverter) -> FieldPlan | None:
    """The plan of one field, or None when only the stock path is sure to answer it alike."""
    leaf = get_nullable_type(field.type)
    definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if not is_leaf_type(leaf) or not isinstance(definition, StrawberryField):
        return None
    if field.args or definition.arguments or definition.extensions:
        return None
    if field.subscribe is not None or converter._get_field_exception_handlers(definition):
        return None
    found = _reader(definition)
    if found is None:
        return None
    kind, read = found
    return FieldPlan(kind, read, leaf, not is_non_null_type(field.type))  # type: ignore[arg-type]


def _reader(definition: StrawberryField) -> tuple[str, Read] | None:
    resolver = definition.base_resolver
    if resolver is None:
        return "attribute", _attribute(definition.python_name, definition.default_resolver)
    if resolver.is_async or resolver.parent_parameter is not None:
        return None
    function = resolver._unbound_wrapped_func
    if function is RELAY_ID:
        return "relay id", _relay_id
    if resolver.info_parameter is not None or resolver.root_parameter is not None:
        return None
    if resolver.self_parameter is None or set(resolver.signature.parameters) != {
        resolver.self_parameter.name
    }:
        return None
    return "self resolver", _self_resolver(resolver)


def _attribute(name: str, default_resolver: Callable[[Any, str], object]) -> Read:
    def read(source: Any, _parent: str) -> Any:
        return default_resolver(source, name)

    return read


def _self_resolver(resolver: Any) -> Read:
    def read(source: Any, _parent: str) -> Any:
        return resolver(source)

    return read


def _relay_id(source: Any, parent: str) -> GlobalID:
    """`Node._id` for a node class with `Node`'s own `resolve_id` and `resolve_typename`:
    the type name is the parent type's (what `info.path.typename` holds)."""
    id_attr = _id_attrs.get(type(source), "")
    if id_attr == "":
        id_attr = _id_attrs[type(source)] = _default_id_attr(type(source))
    if id_attr is None:
        raise NotPlanned
    node_id = getattr(source, id_attr)
    if node_id is None or hasattr(node_id, "__await__"):
        raise NotPlanned
    return GlobalID(type_name=parent, node_id=str(node_id))


# Node class -> its NodeID attribute, or None when the class resolves ids its own way.
_id_attrs: dict[type, str | None] = {}


def _default_id_attr(cls: type) -> str | None:
    if not issubclass(cls, Node):
        return None
    default = (
        getattr(cls.resolve_id, "__func__", None) is DEFAULT_RESOLVE_ID
        and getattr(cls.resolve_typename, "__func__", None) is DEFAULT_RESOLVE_TYPENAME
    )
    return cls.resolve_id_attr() if default else None
