"""What a resolver's selection asks for, read from the parsed document (fragments included).

Resolvers use it to skip work nobody will read, or to batch work everybody will; both err
towards doing more: a field under a fragment of another type still counts as asked for.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import strawberry
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionSetNode,
)


def selected_fields(info: strawberry.Info) -> list[FieldNode]:
    """The fields selected directly on the current field's value."""
    raw = info._raw_info
    return [f for node in raw.field_nodes for f in fields_of(node.selection_set, raw.fragments)]


def item_selects(info: strawberry.Info, name: str) -> bool:
    """Whether a connection's items (`nodes`, or `edges { node }`) select field `name`."""
    fragments = info._raw_info.fragments
    for field in selected_fields(info):
        if field.name.value == "nodes":
            items = fields_of(field.selection_set, fragments)
        elif field.name.value == "edges":
            items = (
                inner
                for edge in fields_of(field.selection_set, fragments)
                if edge.name.value == "node"
                for inner in fields_of(edge.selection_set, fragments)
            )
        else:
            continue
        if any(item.name.value == name for item in items):
            return True
    return False


def fields_of(
    selection_set: SelectionSetNode | None, fragments: Mapping[str, FragmentDefinitionNode]
) -> Iterator[FieldNode]:
    """The fields of a selection set, through inline fragments and fragment spreads."""
    for selection in selection_set.selections if selection_set else ():
        if isinstance(selection, FieldNode):
            yield selection
        elif isinstance(selection, InlineFragmentNode):
            yield from fields_of(selection.selection_set, fragments)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                yield from fields_of(fragment.selection_set, fragments)
