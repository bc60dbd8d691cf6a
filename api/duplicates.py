"""Field duplication: one field asked for again and again in one selection set (`{ a a a ... }`).

Execution merges such copies into one, but validation compares every pair of fields with the
same response key (OverlappingFieldsCanBeMerged), so a few thousand copies make validation
quadratic before anything runs. This check counts the copies first, merged through fragments
as execution merges them, and refuses a document with more than `max_duplicates` copies of a
response key in one selection set, before validation starts.

Copies under different type conditions (`... on Community { id } ... on Member { id }`) are
counted apart: only one type's copies apply to an object (plus those under no condition), so
they are not duplicates of each other; a fragment spread twice at one level counts once, as
execution collects it once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from strawberry.extensions import SchemaExtension

from api.documents import ValidationResults

MAX_DUPLICATE_FIELDS_EXCEEDED = "MAX_DUPLICATE_FIELDS_EXCEEDED"
Fragments = Mapping[str, FragmentDefinitionNode]


@dataclass(frozen=True)
class Duplicate:
    """The most repeated response key of a document, and how often it appears in one place."""

    key: str
    count: int


def worst_duplicate(document: DocumentNode) -> Duplicate | None:
    """The response key repeated most often in one selection set, or None if none repeats."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    memo: dict[int, Duplicate | None] = {}
    found = [
        _worst_in(definition.selection_set, fragments, memo)
        for definition in document.definitions
        if isinstance(definition, OperationDefinitionNode)
    ]
    return _worse(*found)


def _worst_in(
    selection_set: SelectionSetNode, fragments: Fragments, memo: dict[int, Duplicate | None]
) -> Duplicate | None:
    """The worst key of this selection set and of every selection set below it.

    Each selection set of the document is counted once (`memo`, by node): a fragment spread
    in many places, or fragments spreading each other in a chain, would otherwise be walked
    once per path to them, exponentially many. This runs before validation, so before the
    depth limit too; a cycle of fragments (invalid, refused by validation) ends at the memo.
    """
    if id(selection_set) in memo:
        return memo[id(selection_set)]
    memo[id(selection_set)] = None
    counts: Counter[tuple[str | None, str]] = Counter()
    below: list[Duplicate | None] = []
    for condition, field in _collect(selection_set, fragments, None, set()):
        counts[(condition, field.alias.value if field.alias else field.name.value)] += 1
        if field.selection_set is not None:
            below.append(_worst_in(field.selection_set, fragments, memo))
    here = _worst_key(counts)
    worst = _worse(here if here is not None and here.count > 1 else None, *below)
    memo[id(selection_set)] = worst
    return worst


def _worse(*found: Duplicate | None) -> Duplicate | None:
    present = [d for d in found if d is not None]
    return max(present, key=lambda d: d.count) if present else None


def _worst_key(counts: Counter[tuple[str | None, str]]) -> Duplicate | None:
    """Copies without a type condition apply to every object; of those under conditions, the
    one type with the most copies adds to them (without the schema, the worst case)."""
    always: Counter[str] = Counter()
    conditional: dict[str, int] = {}
    for (condition, key), count in counts.items():
        if condition is None:
            always[key] += count
        else:
            conditional[key] = max(conditional.get(key, 0), count)
    totals = {key: always[key] + conditional.get(key, 0) for key in always.keys() | conditional}
    if not totals:
        return None
    key = max(totals, key=lambda k: totals[k])
    return Duplicate(key, totals[key])


def _collect(
    selection_set: SelectionSetNode,
    fragments: Fragments,
    condition: str | None,
    visited: set[str],
) -> Iterator[tuple[str | None, FieldNode]]:
    """The fields of one level, fragments flattened (each named fragment once, as execution
    collects it, which also ends a cycle of spreads), with the type condition they sit under."""
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            yield condition, selection
        elif isinstance(selection, InlineFragmentNode):
            inner = selection.type_condition.name.value if selection.type_condition else condition
            yield from _collect(selection.selection_set, fragments, inner, visited)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is None or name in visited:
                continue
            visited.add(name)
            inner = fragment.type_condition.name.value
            yield from _collect(fragment.selection_set, fragments, inner, visited)


class MaxDuplicateFields(SchemaExtension):
    """Refuses, before validation, a document repeating one field more than `limit` times."""

    def __init__(self, limit: int, seen: ValidationResults) -> None:
        self.limit = limit
        # Front ends repeat a few documents: each text is counted once (bounded LRU).
        self.seen = seen

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.pre_execution_errors is None:
            worst = self._worst(context.query, document)
            if worst is not None and worst.count > self.limit:
                # Set before validation runs: Strawberry then skips validating the document.
                context.pre_execution_errors = [refusal(worst, self.limit)]
        yield

    def _worst(self, query: str | None, document: DocumentNode) -> Duplicate | None:
        known = self.seen.get(query) if query else None
        if known is None:
            found = worst_duplicate(document)
            known = [] if found is None else [found]
            if query:
                self.seen.put(query, known)
        return known[0] if known else None


def refusal(worst: Duplicate, limit: int) -> GraphQLError:
    return GraphQLError(
        f"The field `{worst.key}` is selected {worst.count} times in one selection set; "
        f"at most {limit} copies of a field are allowed.",
        extensions={
            "code": MAX_DUPLICATE_FIELDS_EXCEEDED,
            "field": worst.key,
            "count": worst.count,
            "maximum": limit,
        },
    )
