"""Each distinct document is parsed and validated once: bounded caches by query text.

Strawberry's own `ValidationCache` keys on the validation rules too, and the depth and alias
limiters build a new rule class for every request, so it never hits here. The rules of one
schema do not change between requests, so the query text alone decides the result.
"""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

from graphql import DocumentNode, GraphQLError, parse
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document


class ValidationResults:
    """The last `size` documents' validation errors (an empty list for a valid document)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.results: OrderedDict[str, list[Any]] = OrderedDict()

    def get(self, query: str) -> list[Any] | None:
        found = self.results.get(query)
        if found is not None:
            self.results.move_to_end(query)
        return found

    def put(self, query: str, errors: list[Any]) -> None:
        self.results[query] = errors
        while len(self.results) > self.size:
            self.results.popitem(last=False)


class CachedValidation(SchemaExtension):
    """Answers validation from `results` when the same text was validated before."""

    def __init__(self, results: ValidationResults) -> None:
        self.results = results

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if context.pre_execution_errors is not None:
            # Refused before validation (too many duplicated fields): nothing to validate.
            yield
            return
        query = context.query
        errors = self.results.get(query) if query is not None else None
        if errors is None:
            errors = list(
                validate_document(
                    context.schema._schema,
                    context.graphql_document,  # type: ignore[arg-type]
                    context.validation_rules,
                )
            )
            if query is not None:
                self.results.put(query, errors)
        context.pre_execution_errors = errors
        yield


def parse_cache(size: int) -> Callable[..., DocumentNode]:
    """`graphql.parse` behind an LRU of `size` texts (failures are not cached)."""
    return lru_cache(maxsize=size)(parse)


class CachedParse(SchemaExtension):
    """Takes the parsed document from `parsed` when the same text was parsed before.

    A document that fails to parse is left to Strawberry, which parses it again and reports
    the syntax error the usual way (with its code); only valid texts are worth caching.
    """

    def __init__(self, parsed: Callable[..., DocumentNode]) -> None:
        self.parsed = parsed

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.query:
            with contextlib.suppress(GraphQLError):
                context.graphql_document = self.parsed(context.query, **context.parse_options)
        yield
