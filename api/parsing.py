"""Large GraphQL documents are parsed and validated off the event loop.

graphql-core is pure Python: a 1 MiB document (one long string literal, a long comment) takes
~250 ms to parse, and every error found in it costs a scan of the whole text for its line and
column; a 40 MB one stopped every charge point sharing the event loop for 7.6 s. The body limit
(api/bodylimit.py) bounds the size; this moves parsing and validation of anything but small
documents to one worker thread of its own, so the event loop keeps its turns (the interpreter
hands the GIL over every few milliseconds) and neither the default executor's threads (station
key checks, password hashing) nor the loop wait behind a large document. Small documents, nearly
all of them, are handled in place: a thread hop would cost more than the work.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor

from graphql import parse
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

OFF_LOOP_CHARS = 16 * 1024  # documents longer than this are parsed and validated in the worker

_worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="graphql-parse")


class OffLoop(SchemaExtension):
    """Fills ``graphql_document`` and ``pre_execution_errors`` before strawberry would compute
    them in the loop (it skips what is already there). A syntax error raised here reaches the
    client exactly as strawberry's own would. Goes after the extensions that add validation rules
    or parse options (they do so when the operation starts, before these hooks)."""

    def _large(self) -> bool:
        query = self.execution_context.query
        return query is not None and len(query) > OFF_LOOP_CHARS

    async def on_parse(self) -> AsyncIterator[None]:
        ctx = self.execution_context
        if ctx.graphql_document is None and ctx.query is not None and self._large():
            ctx.graphql_document = await asyncio.get_running_loop().run_in_executor(
                _worker, functools.partial(parse, ctx.query, **ctx.parse_options)
            )
        yield

    async def on_validate(self) -> AsyncIterator[None]:
        ctx = self.execution_context
        if (
            ctx.graphql_document is not None
            and ctx.pre_execution_errors is None
            and ctx.validation_rules
            and self._large()
        ):
            ctx.pre_execution_errors = await asyncio.get_running_loop().run_in_executor(
                _worker,
                validate_document,
                ctx.schema._schema,  # graphql-core's schema, as strawberry's own validation uses
                ctx.graphql_document,
                ctx.validation_rules,
            )
        yield
