"""A session's cost from what its station measured, with the one pricing function of ``tariffs``.

The live cost (``sessionProgress``) and the final bill both come from ``SessionPricing`` (its
``session_samples`` + ``tariffs.pricing.price_samples``), so they always agree. Stored meter samples are grouped by time
into pricing samples (energy register, power), each carrying the connector's status at that moment
(from the network's status intervals); the session's start and stop readings bound them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from beanie import PydanticObjectId

from domain.billing.memberships import Memberships
from domain.billing.models import Membership, SessionPayment
from domain.billing.ports import ChargingPort, NetworkPort, TariffsPort
from domain.charging.metering import ENERGY_REGISTER
from domain.charging.models import ChargingSession
from domain.charging.models import MeterSample as StoredSample
from domain.common.clock import as_utc
from domain.network.models import Station, StatusInterval
from domain.tariffs.intervals import RegisterReading
from domain.tariffs.models import Tariff
from domain.tariffs.pricing import MemberBenefits, PricedSession, price_samples

POWER = "Power.Active.Import"
_OUTLET = (None, "Outlet")


def session_samples(
    session: ChargingSession,
    stored: Iterable[StoredSample],
    statuses: Sequence[StatusInterval] = (),
) -> list[RegisterReading]:
    """Stored samples of one session → pricing samples, oldest first. Pure."""
    energy: dict[datetime, tuple[int, int]] = {}  # at -> (rank, Wh): the total register wins
    power_total: dict[datetime, float] = {}
    power_phases: dict[datetime, float] = {}
    for s in stored:
        at = as_utc(s.at)
        if s.location not in _OUTLET:
            continue
        if s.measurand == ENERGY_REGISTER:
            rank = 0 if s.phase is None else 1
            if at not in energy or rank < energy[at][0]:
                energy[at] = (rank, round(s.value))
        elif s.measurand == POWER:
            if s.phase is None:
                power_total[at] = s.value
            else:
                power_phases[at] = power_phases.get(at, 0.0) + s.value
    moments = set(energy) | set(power_total) | set(power_phases)
    out: dict[datetime, RegisterReading] = {}
    for at in moments:
        watts = power_total.get(at, power_phases.get(at))
        out[at] = RegisterReading(
            at=at,
            energy_register_wh=energy[at][1] if at in energy else None,
            power_w=round(watts) if watts is not None else None,
        )
    started = as_utc(session.started_at) if session.started_at else None
    if started is not None and session.meter_start_wh is not None:
        out.setdefault(
            started, RegisterReading(at=started, energy_register_wh=session.meter_start_wh)
        )
    ended = as_utc(session.ended_at) if session.ended_at else None
    if ended is not None and session.last_meter_wh is not None:
        last = out.get(ended)
        power = last.power_w if last else None
        out[ended] = RegisterReading(
            at=ended, energy_register_wh=session.last_meter_wh, power_w=power
        )
    ordered = sorted(out.values(), key=lambda m: m.at)
    if started is not None:
        ordered = [m for m in ordered if m.at >= started]
    if ended is not None:
        ordered = [m for m in ordered if m.at <= ended]
    return [
        RegisterReading(m.at, m.energy_register_wh, m.power_w, _status_at(statuses, m.at))
        for m in ordered
    ]


def _status_at(statuses: Sequence[StatusInterval], at: datetime) -> str | None:
    for interval in statuses:
        start = as_utc(interval.start)
        end = as_utc(interval.end) if interval.end else None
        if start <= at and (end is None or at < end):
            return interval.status.value
    return None


@dataclass(frozen=True)
class Terms:
    """What a station's sessions are priced with now: its tariff and its site's timezone."""

    tariff_id: PydanticObjectId | None
    tariff: Tariff | None
    timezone: str


class SessionPricing:
    """Prices sessions for their bill and their live cost: the tariff (the payment's snapshot,
    else the station's now), the site's timezone, the driver's membership benefits, the samples."""

    def __init__(
        self,
        charging: ChargingPort,
        network: NetworkPort,
        tariffs: TariffsPort,
        memberships: Memberships,
    ) -> None:
        self.charging = charging
        self.network = network
        self.tariffs = tariffs
        self.memberships = memberships

    async def station_terms(self, station: Station | None, site_id: PydanticObjectId) -> Terms:
        doc = (
            await self.tariffs.tariff(station.tariff_id) if station and station.tariff_id else None
        )
        timezone = await self.network.site_timezone(site_id)
        return Terms(doc.id if doc else None, doc.tariff if doc else None, timezone or "UTC")

    async def session_terms(self, session: ChargingSession) -> Terms:
        """The terms of the session's station now (for a session without a payment yet)."""
        return await self.station_terms(
            await self.network.find_station(session.station_id), session.site_id
        )

    async def tariff_for(
        self, session: ChargingSession, payment: SessionPayment | None
    ) -> tuple[Tariff | None, str]:
        """The tariff a session is priced with and the site's timezone: the payment's snapshot,
        else the station's tariff now."""
        if payment is not None:
            return payment.tariff, payment.site_timezone
        terms = await self.session_terms(session)
        return terms.tariff, terms.timezone

    async def benefits(
        self, session: ChargingSession, now: datetime
    ) -> tuple[Membership | None, MemberBenefits | None]:
        if session.driver_id is None:
            return None, None
        return await self.memberships.benefits(session.driver_id, session.org_id, now)

    async def price(
        self, session: ChargingSession, payment: SessionPayment | None, *, now: datetime
    ) -> tuple[PricedSession | None, Membership | None]:
        """The session priced with its payment's tariff snapshot (else the station's tariff now)
        and the driver's membership benefits. None: no tariff."""
        tariff, tz = await self.tariff_for(session, payment)
        if tariff is None:
            return None, None
        membership, benefits = await self.benefits(session, now)
        priced = await self.price_with(session, tariff, tz, now=now, benefits=benefits)
        return priced, membership

    async def price_with(
        self,
        session: ChargingSession,
        tariff: Tariff,
        site_tz: str,
        *,
        now: datetime,
        benefits: MemberBenefits | None = None,
    ) -> PricedSession:
        """Load the session's samples and statuses and price them (live: up to ``now``)."""
        stored: Sequence[StoredSample] = []
        if session.transaction_id is not None:
            stored = await self.charging.samples(session)
        started = as_utc(session.started_at) if session.started_at else None
        ended = as_utc(session.ended_at) if session.ended_at else None
        statuses: Sequence[StatusInterval] = []
        if started is not None:
            statuses = await self.network.status_history(
                session.station_id, session.connector_id, started, ended or as_utc(now)
            )
        samples = session_samples(session, stored, statuses)
        until = ended or (as_utc(now) if started is not None else None)
        return price_samples(tariff, samples, site_tz=site_tz, until=until, membership=benefits)
