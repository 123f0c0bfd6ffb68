"""With introspection off the schema is not for strangers to read, and graphql-core's "Did you
mean 'sites'?" would read it out to them one typo at a time (field, argument, type, enum value
and input field names alike). This extension drops the suggestion from every error message."""

from __future__ import annotations

import re
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

_SUGGESTION = re.compile(r" ?Did you mean [^?]*\?")  # names never contain "?"


def without_suggestion(message: str) -> str:
    return _SUGGESTION.sub("", message)


class NoSuggestions(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        ctx = self.execution_context
        errors: list[GraphQLError] = list(ctx.pre_execution_errors or [])
        if ctx.result is not None and ctx.result.errors:
            errors += ctx.result.errors
        for error in errors:
            error.message = without_suggestion(error.message)
