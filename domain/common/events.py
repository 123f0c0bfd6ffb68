"""Domain events and the bus that carries them to whoever listens (GraphQL subscriptions, alerts).

The events every context shares (a station's connectivity and connector status, which network
publishes; alerts) are here; a context's own events live with it (``domain/charging/events.py``,
``domain/diagnostics/events.py``), and consumers import them from their publisher.

Services publish after they save. ``publish`` never blocks and never fails the caller: a slow
subscriber loses its oldest events (and is told how many) rather than slowing a charge point down.

``InProcessEventBus`` serves one process. A multi-node deployment swaps in a bus that relays through
MongoDB; both satisfy ``EventBus``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class DomainEvent:
    org_id: str
    at: datetime
    station_id: str | None = None
    site_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class ConnectorStatusChanged(DomainEvent):
    connector_id: int
    status: str
    error_code: str | None = None


@dataclass(frozen=True, kw_only=True)
class StationConnectivityChanged(DomainEvent):
    online: bool


@dataclass(frozen=True, kw_only=True)
class AlertChanged(DomainEvent):
    alert_id: str
    connector_id: int | None
    kind: str
    severity: str
    state: str
    message: str
    raised_at: datetime
    acknowledged_at: datetime | None = None
    resolved_at: datetime | None = None


EventFilter = Callable[[DomainEvent], bool]


class Subscription(Protocol):
    def __aiter__(self) -> AsyncIterator[DomainEvent]: ...


class EventBus(Protocol):
    def publish(self, event: DomainEvent) -> None: ...

    def subscribe(
        self, accept: EventFilter, *, maxsize: int = 1000
    ) -> contextlib.AbstractAsyncContextManager[AsyncIterator[DomainEvent]]: ...


@dataclass(eq=False)
class _Subscriber:
    accept: EventFilter
    queue: asyncio.Queue[DomainEvent]
    dropped: int = field(default=0)


class InProcessEventBus:
    """Fan-out to in-process subscribers with bounded queues."""

    def __init__(self) -> None:
        self._subscribers: set[_Subscriber] = set()

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    def publish(self, event: DomainEvent) -> None:
        for sub in tuple(self._subscribers):
            try:
                if not sub.accept(event):
                    continue
            except Exception:
                log.exception("event filter failed")
                continue
            if sub.queue.full():
                sub.queue.get_nowait()
                sub.dropped += 1
            sub.queue.put_nowait(event)

    @contextlib.asynccontextmanager
    async def subscribe(
        self, accept: EventFilter, *, maxsize: int = 1000
    ) -> AsyncIterator[AsyncIterator[DomainEvent]]:
        sub = _Subscriber(accept=accept, queue=asyncio.Queue(maxsize=maxsize))
        self._subscribers.add(sub)
        try:
            yield self._drain(sub)
        finally:
            self._subscribers.discard(sub)
            if sub.dropped:
                log.warning("a slow subscriber lost %d events", sub.dropped)

    @staticmethod
    async def _drain(sub: _Subscriber) -> AsyncIterator[DomainEvent]:
        while True:
            yield await sub.queue.get()
