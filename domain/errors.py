"""Errors the domain raises; the API turns them into `userErrors`, the CLI into messages."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class FieldProblem:
    """One problem with one input field, in the shape GraphQL `userErrors` need."""

    field: tuple[str, ...]
    message: str
    code: str = "INVALID"


class DomainError(Exception):
    """Base of every error the domain raises on purpose."""

    code = "INVALID"

    def __init__(self, problems: Iterable[FieldProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(p.message for p in self.problems))


class ValidationFailed(DomainError):
    """Input broke a rule; nothing was written."""

    @classmethod
    def single(
        cls, field: str | tuple[str, ...], message: str, code: str = "INVALID"
    ) -> ValidationFailed:
        path = (field,) if isinstance(field, str) else field
        return cls([FieldProblem(path, message, code)])


class NotFound(DomainError):
    """The object is unknown to this organization (another tenant's ids land here too)."""

    code = "NOT_FOUND"

    @classmethod
    def of(cls, field: str, what: str) -> NotFound:
        return cls([FieldProblem((field,), f"{what} not found", "NOT_FOUND")])


class Conflict(DomainError):
    """The write collides with existing state (a duplicate, a stale version)."""

    code = "CONFLICT"

    @classmethod
    def single(cls, field: str, message: str) -> Conflict:
        return cls([FieldProblem((field,), message, "CONFLICT")])


class Unauthenticated(Exception):
    """No valid credential was presented."""
