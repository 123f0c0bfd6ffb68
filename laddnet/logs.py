"""Structured logs: one event per line, bound context (station id, session id) on every line.

What a person running laddnet wants to follow is logged at INFO as named events with fields
(``domain.common.logctx.log_event``): ``session.started``, ``session.ended``, ``alert.raised``,
``alert.acknowledged``, ``alert.resolved``, ``payment.captured``. Per-call detail (each Stripe
request, each MongoDB command, each OCPP frame, the demo fleet's progress) is DEBUG."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from domain.common.logctx import ContextFilter


def _value(value: object) -> str:
    text = str(value)
    return f'"{text}"' if (" " in text or not text) else text


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        ts = datetime.fromtimestamp(record.created, UTC).strftime("%H:%M:%S.%f")[:-3]
        ctx = {**(getattr(record, "ctx", {}) or {}), **(getattr(record, "fields", {}) or {})}
        extra = "".join(f" {k}={_value(v)}" for k, v in ctx.items() if v is not None)
        line = f"{ts} {record.levelname:<7} {record.name}: {record.getMessage()}{extra}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        doc = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "event": record.getMessage(),
            **(getattr(record, "ctx", {}) or {}),
            **(getattr(record, "fields", {}) or {}),
        }
        if record.exc_info:
            doc["exc"] = self.formatException(record.exc_info)
        return json.dumps(doc, default=str)


def configure(level: str = "INFO", as_json: bool = False) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter() if as_json else KeyValueFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # A line per message, query or HTTP call (Stripe's go through httpx/urllib3): at DEBUG only.
    per_call = logging.DEBUG if root.level <= logging.DEBUG else logging.WARNING
    for noisy in (
        "pymongo",
        "websockets",
        "uvicorn.access",
        "stripe",
        "ocpp",
        "httpx",
        "httpcore",
        "urllib3",
    ):
        logging.getLogger(noisy).setLevel(per_call)
