"""Query cost, computed from the parsed document before anything runs (and from the result after).

Objects cost 1, connections 2 plus their page size (`first`/`last`, else the default), and what
sits inside a connection's items is multiplied by that page size, as GitHub's node limit is; each
mutation field costs 10. The walk over the document is done once per query text: it compiles to
a small plan (cached in a bounded LRU) that only needs the variables to price a request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    NamedTypeNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_composite_type,
    is_list_type,
    parse,
)
from graphql.language import ValueNode
from graphql.utilities import get_operation_ast

from api.settings import CostWeights
from domain.pagination import MAX_PAGE_SIZE

Kind = Literal["object", "list", "connection", "mutation"]
PAGE_ARGUMENTS = ("first", "last")
LIST_SIZE_ARGUMENTS = ("ids",)


@dataclass(frozen=True)
class Size:
    """How many items a list or page holds: a literal, a variable's value, or unknown (None)."""

    literal: int | None = None
    variable: str | None = None

    def resolve(self, variables: Mapping[str, Any], default: int) -> int:
        value: Any = self.literal
        if self.variable is not None:
            value = variables.get(self.variable)
        if isinstance(value, list):
            return len(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return max(value, 0)
        return default


@dataclass(frozen=True)
class ItemsPath:
    """Where a connection's items sit in the result: `nodes`, or `edges` then `node`."""

    container: str
    inner: str | None
    children: tuple[CostNode, ...]


@dataclass(frozen=True)
class CostNode:
    key: str  # the response key (the alias if there is one)
    kind: Kind
    size: Size = Size()
    children: tuple[CostNode, ...] = ()
    items: tuple[ItemsPath, ...] = field(default=())


@dataclass(frozen=True)
class CostPlan:
    nodes: tuple[CostNode, ...]

    def requested(self, variables: Mapping[str, Any], weights: CostWeights) -> int:
        return _requested(self.nodes, 1, variables, weights)

    def node_count(self, variables: Mapping[str, Any], weights: CostWeights) -> int:
        """GitHub's node count: each connection's page size times its enclosing pages, summed."""
        return _node_count(self.nodes, 1, variables, weights)

    def actual(self, data: Any, weights: CostWeights) -> int:
        return _actual(self.nodes, data, weights)


class CostPlanner:
    """Compiles documents of one schema into cost plans, caching the last `size` query texts."""

    def __init__(self, weights: CostWeights, size: int = 512) -> None:
        self.schema: GraphQLSchema | None = None
        self.weights = weights
        self.plan = lru_cache(maxsize=size)(self._compile)

    def bind(self, schema: GraphQLSchema) -> None:
        """Price documents of `schema` (known only once the schema that uses this is built)."""
        self.schema = schema
        self.plan.cache_clear()

    def _compile(self, query: str, operation_name: str | None) -> CostPlan:
        assert self.schema is not None, "bind the planner to its schema first"
        # Parsing again only on a cache miss; the text was parsed and validated already.
        document = parse(query)
        operation = get_operation_ast(document, operation_name)
        if operation is None:
            return CostPlan(())
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        return CostPlan(_operation_plan(self.schema, operation, fragments))


def _operation_plan(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
) -> tuple[CostNode, ...]:
    root = schema.get_root_type(operation.operation)
    if root is None:
        return ()
    if operation.operation == OperationType.MUTATION:
        fields = _fields(schema, root, operation.selection_set, fragments)
        return tuple(
            CostNode(node.alias.value if node.alias else node.name.value, "mutation")
            for node, _ in fields
        )
    return _selection_plan(schema, root, operation.selection_set, fragments)


def _fields(
    schema: GraphQLSchema,
    parent: Any,
    selection_set: SelectionSetNode | None,
    fragments: Mapping[str, FragmentDefinitionNode],
) -> list[tuple[FieldNode, GraphQLField | None]]:
    """The fields selected on `parent`, fragments flattened, each with its definition."""
    found: list[tuple[FieldNode, GraphQLField | None]] = []
    for selection in selection_set.selections if selection_set else ():
        if isinstance(selection, FieldNode):
            definitions = getattr(parent, "fields", {})
            found.append((selection, definitions.get(selection.name.value)))
            continue
        condition: NamedTypeNode | None
        if isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is None:
                continue
            condition, inner = fragment.type_condition, fragment.selection_set
        elif isinstance(selection, InlineFragmentNode):
            condition, inner = selection.type_condition, selection.selection_set
        else:
            continue
        target = schema.get_type(condition.name.value) if condition else parent
        found.extend(_fields(schema, target, inner, fragments))
    return found


def _selection_plan(
    schema: GraphQLSchema,
    parent: Any,
    selection_set: SelectionSetNode | None,
    fragments: Mapping[str, FragmentDefinitionNode],
) -> tuple[CostNode, ...]:
    plan = []
    for node, definition in _fields(schema, parent, selection_set, fragments):
        if definition is None or not is_composite_type(get_named_type(definition.type)):
            continue  # scalars, enums and meta fields are free
        plan.append(_field_plan(schema, node, definition, fragments))
    return tuple(plan)


def _field_plan(
    schema: GraphQLSchema,
    node: FieldNode,
    definition: GraphQLField,
    fragments: Mapping[str, FragmentDefinitionNode],
) -> CostNode:
    key = node.alias.value if node.alias else node.name.value
    named = get_named_type(definition.type)
    if isinstance(named, GraphQLObjectType) and _is_connection(named):
        items = _items(schema, named, node.selection_set, fragments)
        return CostNode(key, "connection", _size(node, PAGE_ARGUMENTS), items=items)
    children = _selection_plan(schema, named, node.selection_set, fragments)
    if is_list_type(get_nullable_type(definition.type)):  # type: ignore[arg-type]
        return CostNode(key, "list", _size(node, LIST_SIZE_ARGUMENTS), children)
    return CostNode(key, "object", children=children)


def _items(
    schema: GraphQLSchema,
    connection: GraphQLObjectType,
    selection_set: SelectionSetNode | None,
    fragments: Mapping[str, FragmentDefinitionNode],
) -> tuple[ItemsPath, ...]:
    """The plans of what is selected on a connection's items, through `nodes` and `edges.node`."""
    paths = []
    for node, definition in _fields(schema, connection, selection_set, fragments):
        key = node.alias.value if node.alias else node.name.value
        if definition is None:
            continue
        named = get_named_type(definition.type)
        if node.name.value == "nodes":
            paths.append(
                ItemsPath(key, None, _selection_plan(schema, named, node.selection_set, fragments))
            )
        elif node.name.value == "edges":
            for inner, inner_definition in _fields(schema, named, node.selection_set, fragments):
                if inner.name.value != "node" or inner_definition is None:
                    continue
                inner_key = inner.alias.value if inner.alias else inner.name.value
                item_type = get_named_type(inner_definition.type)
                children = _selection_plan(schema, item_type, inner.selection_set, fragments)
                paths.append(ItemsPath(key, inner_key, children))
    return tuple(paths)


def _is_connection(named: Any) -> bool:
    # Relay's shape, whatever the type is called: a page of edges with its pageInfo.
    return isinstance(named, GraphQLObjectType) and {"edges", "pageInfo"} <= named.fields.keys()


def _size(node: FieldNode, arguments: tuple[str, ...]) -> Size:
    for argument in node.arguments or ():
        if argument.name.value in arguments:
            return _value_size(argument.value)
    return Size()


def _value_size(value: ValueNode) -> Size:
    if isinstance(value, IntValueNode):
        return Size(literal=int(value.value))
    if isinstance(value, ListValueNode):
        return Size(literal=len(value.values))
    if isinstance(value, VariableNode):
        return Size(variable=value.name.value)
    return Size()


def _requested(
    nodes: tuple[CostNode, ...], multiplier: int, variables: Mapping[str, Any], w: CostWeights
) -> int:
    total = 0
    for node in nodes:
        if node.kind == "mutation":
            total += w.mutation
        elif node.kind == "object":
            total += multiplier * w.object + _requested(node.children, multiplier, variables, w)
        elif node.kind == "list":
            size = node.size.resolve(variables, w.default_list_size)
            total += multiplier * size * w.object
            total += _requested(node.children, multiplier * size, variables, w)
        else:
            # A page above the maximum is refused when it runs, so it can only cost the maximum.
            size = min(node.size.resolve(variables, w.default_page_size), MAX_PAGE_SIZE)
            total += multiplier * (w.connection + size * w.object)
            for path in node.items:
                total += _requested(path.children, multiplier * size, variables, w)
    return total


def _node_count(
    nodes: tuple[CostNode, ...], multiplier: int, variables: Mapping[str, Any], w: CostWeights
) -> int:
    """Items a query may return, counted as GitHub does: only connections hold nodes, and a
    connection inside another's items (or inside a list) is asked once per enclosing item."""
    total = 0
    for node in nodes:
        if node.kind == "object":
            total += _node_count(node.children, multiplier, variables, w)
        elif node.kind == "list":
            size = node.size.resolve(variables, w.default_list_size)
            total += _node_count(node.children, multiplier * size, variables, w)
        elif node.kind == "connection":
            size = min(node.size.resolve(variables, w.default_page_size), MAX_PAGE_SIZE)
            total += multiplier * size
            for path in node.items:
                total += _node_count(path.children, multiplier * size, variables, w)
    return total


def _actual(nodes: tuple[CostNode, ...], data: Any, w: CostWeights) -> int:
    """The cost of what was returned: the same weights, over the items that really came back."""
    if not isinstance(data, Mapping):
        return 0
    total = 0
    for node in nodes:
        if node.kind == "mutation":
            total += w.mutation
            continue
        value = data.get(node.key)
        if value is None:
            continue
        if node.kind == "object":
            total += w.object + _actual(node.children, value, w)
        elif node.kind == "list":
            items = [item for item in value if item is not None]
            total += len(items) * w.object + sum(_actual(node.children, i, w) for i in items)
        else:
            total += _actual_connection(node, value, w)
    return total


def _actual_connection(node: CostNode, value: Mapping[str, Any], w: CostWeights) -> int:
    counted = 0
    total = w.connection
    for path in node.items:
        items = value.get(path.container) or []
        if path.inner is not None:
            items = [edge.get(path.inner) for edge in items if edge is not None]
        items = [item for item in items if item is not None]
        counted = max(counted, len(items))
        total += sum(_actual(path.children, item, w) for item in items)
    return total + counted * w.object
