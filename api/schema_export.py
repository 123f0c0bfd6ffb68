"""``schema.graphql`` is generated from the code: ``laddnet export-schema`` writes this."""

from __future__ import annotations

from strawberry.printer import print_schema

from api.schema import build_schema


def export_schema() -> str:
    return print_schema(build_schema(introspection=True)) + "\n"
