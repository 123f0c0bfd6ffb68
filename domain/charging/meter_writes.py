"""MeterValues stored before their answer, group-committed across stations (part of
``ChargingStore``).

A charge point deletes what it was answered for, so a MeterValues is answered only once its new
samples and its session's running update (energy, power, flags) are stored. Concurrent
MeterValues of every station share one flush (``GroupCommit``): one ``insert_many`` of the new
samples and, at the same time, one ordered ``bulk_write`` of the session updates (one session's
updates keep their order). Samples not known to be newer than what this process stored (see
``sample_keys.py``) are first checked against the keys the store holds, so a replay (e.g. after a
restart) stores nothing twice. At low load a MeterValues goes alone at once; under load the ones that arrived during a
flush go together in the next, so the cost per message falls as the load rises.

A flush that fails because of what one message holds (a value the store refuses) is tried again
message by message: that message gets its error (an OCPP CALLERROR; the station may resend it),
everyone else's is stored and answered. A store that is away fails the whole flush.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from beanie import PydanticObjectId

from domain.charging import sample_repository as sample_repo
from domain.charging import session_repository as session_repo
from domain.charging.metering import SampledValue
from domain.charging.recording import MeterUpdate


@dataclass(frozen=True)
class SampleRow:
    """A sample as it is stored: its key, the station's meta and the value."""

    key: str
    org_id: PydanticObjectId
    station_id: PydanticObjectId
    connector_id: int
    transaction_id: str | None
    sample: SampledValue


@dataclass(frozen=True)
class SessionMeterUpdate:
    session_id: PydanticObjectId
    update: MeterUpdate
    at: datetime
    query: dict[str, Any]  # which stored session it applies to


@dataclass(frozen=True)
class MeterWrite:
    """What one MeterValues stores."""

    station_id: PydanticObjectId
    samples: tuple[SampleRow, ...]
    update: SessionMeterUpdate | None = None
    check_stored: bool = True  # False: the samples are known to be newer than any stored


async def write_meter_batch(batch: Sequence[MeterWrite]) -> list[None]:
    """The samples (after the key check the writes need) and the session updates, the two
    concurrently: one round trip when no key check is needed, two when one is."""
    ops = [
        session_repo.meter_update_op(w.update.query, w.update.update, w.update.at)
        for w in batch
        if w.update is not None
    ]
    outcomes = await asyncio.gather(
        _insert_samples(batch), session_repo.bulk_meter_updates(ops), return_exceptions=True
    )
    for outcome in outcomes:  # raised once both are done: a retry never overlaps them
        if isinstance(outcome, BaseException):
            raise outcome
    return [None] * len(batch)


async def _insert_samples(batch: Sequence[MeterWrite]) -> None:
    rows = {r.key: r for w in batch for r in w.samples}
    checked = [r for w in batch if w.check_stored for r in w.samples]
    if checked:
        start = min(r.sample.at for r in checked)
        end = max(r.sample.at for r in checked)
        keys = [r.key for r in checked]
        for key in await sample_repo.existing_sample_keys_any(keys, start, end):
            rows.pop(key, None)
    await sample_repo.insert_sample_rows(list(rows.values()))
