"""Structured-log context: bind station/session ids once, and every log line in that task has them.

Uses contextvars, so each asyncio task (one per station connection) carries its own context.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
from collections.abc import Iterator
from typing import Any

_context: contextvars.ContextVar[dict[str, Any]] = contextvars.ContextVar("log_context", default={})  # noqa: B039


@contextlib.contextmanager
def bound(**fields: Any) -> Iterator[None]:
    token = _context.set({**_context.get(), **fields})
    try:
        yield
    finally:
        _context.reset(token)


def bind(**fields: Any) -> None:
    """Bind for the rest of the current task (a connection handler's lifetime)."""
    _context.set({**_context.get(), **fields})


def current() -> dict[str, Any]:
    return _context.get()


class ContextFilter(logging.Filter):
    """Copies the bound fields onto each record as ``record.ctx``."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.ctx = _context.get()
        return True


def log_event(logger: logging.Logger, name: str, level: int = logging.INFO, **fields: Any) -> None:
    """One structured event on one line: ``name`` (``session.started``, ``payment.captured`` …)
    and its fields, besides the bound context. Text logs show ``name key=value …``; JSON logs put
    the fields beside ``event``."""
    logger.log(level, name, extra={"fields": fields})
