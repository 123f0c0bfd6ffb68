"""The one place domain errors become GraphQL: payload ``errors`` for mutations, coded errors for
queries and subscriptions. Anything else is masked for the client and logged with its traceback."""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, ParamSpec, TypeVar

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors
from strawberry.types import ExecutionContext

from domain.common.errors import DomainError, Unauthenticated

log = logging.getLogger("api")

UNEXPECTED = "Unexpected error."


@strawberry.type
class UserError:
    """An expected failure: ``code`` is a stable UPPER_SNAKE word, ``field`` the input at fault."""

    code: str
    field: str | None
    message: str

    @classmethod
    def from_domain(cls, error: DomainError) -> UserError:
        return cls(code=error.code, field=error.field, message=error.message)


def user_errors(error: DomainError) -> list[UserError]:
    return [UserError.from_domain(error)]


P = ParamSpec("P")
R = TypeVar("R")


def domain_errors_as(
    payload: Callable[..., R],
) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]:
    """Wrap a mutation resolver: a DomainError it raises is answered as ``payload(errors=[…])``
    (its code, field and message), so the mutation's result says what the caller must fix. Any
    other exception stays unexpected (masked and logged)."""

    def decorate(resolver: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        @functools.wraps(resolver)
        async def resolve(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return await resolver(*args, **kwargs)
            except DomainError as error:
                return payload(errors=user_errors(error))

        return resolve

    return decorate


class CodedError(GraphQLError):
    """A DomainError raised where the result has no ``errors`` field: carries ``extensions.code``."""

    def __init__(self, error: DomainError) -> None:
        extensions: dict[str, Any] = {"code": error.code}
        if error.field:
            extensions["field"] = error.field
        super().__init__(error.message, extensions=extensions)


@contextlib.contextmanager
def coded_errors() -> Iterator[None]:
    """Wrap a query or subscription resolver: its domain errors reach the client with their code."""
    try:
        yield
    except DomainError as error:
        raise CodedError(error) from error


def is_unexpected(error: GraphQLError) -> bool:
    """Validation and parse errors have no original error; ours are CodedErrors. The rest is a bug."""
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


def error_masking() -> MaskErrors:
    return MaskErrors(should_mask_error=is_unexpected, error_message=UNEXPECTED)


def log_errors(errors: list[GraphQLError], execution_context: ExecutionContext | None) -> None:
    """``Schema.process_errors``: log the unexpected with context; expected ones are not news."""
    operation = getattr(execution_context, "operation_name", None)
    for error in errors:
        if is_unexpected(error):
            original = error.original_error
            log.error(
                "unexpected error in GraphQL operation %s at %s",
                operation,
                ".".join(str(p) for p in error.path or ()),
                exc_info=(type(original), original, original.__traceback__) if original else None,
            )


def unauthenticated() -> Unauthenticated:
    return Unauthenticated("sign in first: this needs an access token")
