"""What is STORED (MongoDB, localstripe) against what the charge points were answered.

The audit reads the server's database directly (read-only) and lists localstripe's payment intents;
it never asks the server under test, so a server that answers wrongly cannot hide a loss.
"""

from __future__ import annotations

import collections
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from bson import ObjectId
from pymongo import MongoClient

from chaos.station import AnsweredMeter, Failure, LocalSession

# A payment is settled when money moved or it is final without moving money.
SETTLED = {
    "CAPTURED",
    "PARTIALLY_REFUNDED",
    "REFUNDED",
    "RELEASED",
    "DECLINED",
    "FAILED",
    "NOT_REQUIRED",
    "UNPAID",
}


@dataclass
class Figures:
    """One audit: the asserted metrics (all must be 0) and what explains them."""

    sessions_started: int = 0
    sessions_ended: int = 0
    sessions_lost: int = 0  # StartTransaction/Started answered, no session stored
    stops_lost: int = 0  # StopTransaction/Ended answered, the stored session not ENDED
    sessions_duplicated: int = 0  # stored sessions beyond one per session a station ran
    ended_unsettled: int = 0  # ENDED in MongoDB, no settled payment
    meters_answered: int = 0
    meters_missing: int = 0  # answered sampled values not stored
    others_failed: int = 0  # good stations' messages: CALLERROR, dropped, rejected, timeout
    double_charges: int = 0  # sessions charged more than once (or more than due) in Stripe
    unsettled_by_status: dict[str, int] = field(default_factory=dict)
    failures_by_kind: dict[str, int] = field(default_factory=dict)
    stripe_without_payment: int = 0  # money taken in Stripe, the payment not CAPTURED in MongoDB
    examples: list[str] = field(default_factory=list)

    ASSERTED = (
        "sessions_lost",
        "stops_lost",
        "sessions_duplicated",
        "ended_unsettled",
        "meters_missing",
        "others_failed",
        "double_charges",
    )

    def violations(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.ASSERTED if getattr(self, name)}


def _ms(at: datetime) -> int:
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return int(at.timestamp() * 1000)


def _intents(stripe_base: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    after: str | None = None
    with httpx.Client(
        base_url=stripe_base, headers={"Authorization": "Bearer sk_test_laddnet"}, timeout=60
    ) as client:
        for _ in range(10_000):
            params: dict[str, Any] = {"limit": 100}
            if after:
                params["starting_after"] = after
            page = client.get("/v1/payment_intents", params=params).raise_for_status().json()
            out.extend(page["data"])
            if not page.get("has_more") or not page["data"]:
                break
            after = page["data"][-1]["id"]
    return out


class Auditor:
    def __init__(self, mongo_uri: str, database: str, stripe_base: str, good: set[str]) -> None:
        self.mongo_uri = mongo_uri
        self.database = database
        self.stripe_base = stripe_base
        self.good = good  # charge point ids of well-behaved stations

    def audit(
        self,
        sessions: list[LocalSession],
        meters: list[AnsweredMeter],
        failures: list[Failure],
        phases: set[str],
    ) -> Figures:
        f = Figures()
        sessions = [s for s in sessions if s.phase in phases and s.cp_id in self.good]
        meters = [m for m in meters if m.phase in phases and m.cp_id in self.good]
        client: MongoClient[dict[str, Any]]
        with MongoClient(self.mongo_uri, tz_aware=True, serverSelectionTimeoutMS=30_000) as client:
            db: Any = client[self.database]
            stations = {
                d["charge_point_id"]: d["_id"]
                for d in db.stations.find(
                    {"charge_point_id": {"$in": sorted(self.good)}}, {"charge_point_id": 1}
                )
            }
            stored = list(
                db.charging_sessions.find(
                    {"charge_point_id": {"$in": sorted(self.good)}},
                    {
                        "charge_point_id": 1,
                        "connector_id": 1,
                        "evse_id": 1,
                        "transaction_id": 1,
                        "meter_start_wh": 1,
                        "status": 1,
                    },
                )
            )
            by_tx = {(d["charge_point_id"], d.get("transaction_id")): d for d in stored}
            by_start: dict[tuple[str, int, int | None], list[dict[str, Any]]] = (
                collections.defaultdict(list)
            )
            for d in stored:
                connector = d.get("evse_id") or d["connector_id"]
                by_start[(d["charge_point_id"], connector, d.get("meter_start_wh"))].append(d)
            # sessions: lost, stops lost, duplicated
            mine: list[dict[str, Any]] = []
            for s in sessions:
                if not s.start_answered:
                    continue
                f.sessions_started += 1
                doc = by_tx.get((s.cp_id, s.tx_id))
                if doc is None:
                    f.sessions_lost += 1
                    self._example(f, f"lost: {s.cp_id}/{s.connector} tx {s.tx_id}")
                    continue
                mine.append(doc)
                if s.stop_answered:
                    f.sessions_ended += 1
                    if doc.get("status") != "ENDED":
                        f.stops_lost += 1
                        self._example(
                            f, f"stop lost: {s.cp_id} tx {s.tx_id} stored {doc.get('status')}"
                        )
                same = by_start.get((s.cp_id, s.connector, s.meter_start), [])
                extra = [d for d in same if d["_id"] != doc["_id"]]
                if extra:
                    f.sessions_duplicated += len(extra)
                    self._example(f, f"duplicated: {s.cp_id} tx {s.tx_id} +{len(extra)}")
                    mine.extend(extra)
            # settlement of what is stored as ENDED
            ended = [d for d in mine if d.get("status") == "ENDED"]
            payments = {
                p["session_id"]: p
                for p in db.session_payments.find(
                    {"session_id": {"$in": [d["_id"] for d in ended]}},
                    {"session_id": 1, "status": 1, "amount_due": 1, "amount_captured": 1},
                )
            }
            for d in ended:
                p = payments.get(d["_id"])
                status = p.get("status") if p else "no payment"
                if status not in SETTLED:
                    f.ended_unsettled += 1
                    f.unsettled_by_status[status] = f.unsettled_by_status.get(status, 0) + 1
            # answered meter values
            wanted: dict[str, set[tuple[int, int, str]]] = collections.defaultdict(set)
            for m in meters:
                for measurand in m.measurands:
                    wanted[m.cp_id].add((m.connector, _ms(m.at), measurand))
                    f.meters_answered += 1
            for cp_id, keys in wanted.items():
                oid = stations.get(cp_id)
                if oid is None:
                    f.meters_missing += len(keys)
                    continue
                low = min(k[1] for k in keys)
                high = max(k[1] for k in keys)
                have = {
                    (s["meta"]["connector_id"], _ms(s["at"]), s["measurand"])
                    for s in db.meter_samples.find(
                        {
                            "meta.station_id": oid,
                            "at": {
                                "$gte": datetime.fromtimestamp(low / 1000, UTC),
                                "$lte": datetime.fromtimestamp(high / 1000, UTC),
                            },
                        },
                        {"meta.connector_id": 1, "at": 1, "measurand": 1},
                    )
                }
                missing = keys - have
                if missing:
                    f.meters_missing += len(missing)
                    self._example(f, f"meters missing: {cp_id} {len(missing)} of {len(keys)}")
            # money: one charge per session, never more than due
            session_of_payment = {
                str(p["_id"]): p["session_id"]
                for p in db.session_payments.find(
                    {"session_id": {"$in": [d["_id"] for d in mine]}}, {"session_id": 1}
                )
            }
            captured = {
                p["session_id"]: p
                for p in db.session_payments.find(
                    {"session_id": {"$in": [d["_id"] for d in mine]}},
                    {"session_id": 1, "status": 1, "amount_due": 1, "amount_captured": 1},
                )
            }
        mine_ids = {d["_id"] for d in mine}
        taken: dict[ObjectId, list[int]] = collections.defaultdict(list)
        for intent in _intents(self.stripe_base):
            meta = intent.get("metadata") or {}
            sid: ObjectId | None = None
            if meta.get("session") and ObjectId.is_valid(meta["session"]):
                sid = ObjectId(meta["session"])
            elif meta.get("session_payment") in session_of_payment:
                sid = session_of_payment[meta["session_payment"]]
            if sid is None or sid not in mine_ids:
                continue
            received = int(intent.get("amount_received") or 0)
            if intent.get("status") == "succeeded" or received > 0:
                taken[sid].append(received or int(intent.get("amount") or 0))
        for sid, amounts in taken.items():
            p = captured.get(sid)
            due = (p or {}).get("amount_due")
            if len(amounts) > 1 or (due is not None and sum(amounts) > due):
                f.double_charges += 1
                self._example(f, f"double charge: session {sid} {amounts} due {due}")
            if p is None or p.get("status") not in {
                "CAPTURED",
                "PARTIALLY_REFUNDED",
                "REFUNDED",
            }:
                f.stripe_without_payment += 1
        # failures of well-behaved stations
        for failure in failures:
            if failure.phase in phases and failure.cp_id in self.good:
                f.others_failed += 1
                kind = f"{failure.action} {failure.kind}"
                f.failures_by_kind[kind] = f.failures_by_kind.get(kind, 0) + 1
        return f

    @staticmethod
    def _example(f: Figures, text: str) -> None:
        if len(f.examples) < 8:
            f.examples.append(text)
