"""A simulated charge point's control API: what a driver, a test or the fleet makes it do.

The connection lifecycle and state live in ``core.py``; the version-specific wire format in
``v16.py`` / ``v201.py``; decisions on CSMS commands in ``commands.py``.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from simulator.config import VENDOR
from simulator.core import VERSIONS, StationCore
from simulator.errors import (
    AuthorizationRejected,
    ConnectorBusy,
    NoSession,
    SimulatorError,
)
from simulator.model import ConnectorModel, Session

log = logging.getLogger("simulator")

__all__ = ["VENDOR", "VERSIONS", "SimStation"]


class SimStation(StationCore):
    async def start_session(
        self,
        connector_id: int = 1,
        id_tag: str | None = None,
        *,
        remote_start_id: int | None = None,
        remote: bool = False,
        planned_end: float | None = None,
    ) -> Session:
        """A driver plugs in and presents ``id_tag`` (default: the configured tag).

        Locally started sessions are authorised first (Authorize); remote starts are not
        (AuthorizeRemoteTxRequests is false). Raises ConnectorBusy, AuthorizationRejected,
        NotConnected or UnknownConnector.
        """
        conn = self.connector(connector_id)
        link = self.link
        if not conn.is_idle:
            raise ConnectorBusy(f"{self.id} connector {connector_id} is {conn.status}")
        tag = id_tag or self.config.id_tag
        session = Session(
            id_tag=tag,
            started_at=datetime.now(UTC),
            meter_start_wh=int(conn.energy_wh),
            battery_wh=self.rng.uniform(40_000, 100_000),
            soc=self.rng.uniform(10.0, 60.0),
            remote_start_id=remote_start_id,
            planned_end=planned_end,
        )
        conn.session, conn.status = session, "Preparing"  # claimed before the first await
        try:
            await link.status_notification(conn)
            if not remote and not await link.authorize(tag):
                raise AuthorizationRejected(f"{self.id}: id tag {tag!r} not accepted by the CSMS")
            conn.status = "Charging"
            begin = self.sample(conn)
            if not await link.start_transaction(conn, session, begin, remote):
                await link.stop_transaction(conn, session, self.sample(conn), "DeAuthorized")
                raise AuthorizationRejected(f"{self.id}: transaction for {tag!r} deauthorised")
        except Exception:
            if conn.session is session:
                await self._end_locally(conn)
            raise
        except BaseException:  # cancelled: no more messages, just release the connector
            if conn.session is session:
                conn.session, conn.status = None, conn.settled_status()
            raise
        self.stats.sessions_started += 1
        await link.status_notification(conn)
        return session

    async def stop_session(self, connector_id: int, reason: str = "Local") -> None:
        """End the session on a connector (the driver stops; or ``Remote``, ``Reset`` …)."""
        conn = self.connector(connector_id)
        session = conn.session
        if session is None or session.transaction_id is None:
            raise NoSession(f"{self.id} connector {connector_id} has no running transaction")
        link = self.link
        end = self.sample(conn)
        conn.session = None  # detached first: a second stop finds nothing
        conn.status = "Finishing"
        try:
            await link.stop_transaction(conn, session, end, reason)
            if not conn.faulted:  # the cable is still in: Finishing, then released
                await self._quietly(link.status_notification(conn), "StatusNotification")
        finally:
            self.stats.sessions_ended += 1
            await self._end_locally(conn)

    async def _end_locally(self, conn: ConnectorModel) -> None:
        conn.session = None
        self.profiles.end_transaction(conn.connector_id)
        if conn.pending_inoperative:
            conn.operative, conn.pending_inoperative = False, False
        conn.status = conn.settled_status()
        conn.power_w = 0.0
        if self._link is not None and self.booted:
            await self._quietly(self._link.status_notification(conn), "StatusNotification")
        if self.reset_when_idle and self.charging_count == 0:
            self.reset_when_idle = False
            await self.reboot(hard=False)

    async def fault(self, connector_id: int, error_code: str = "GroundFailure") -> None:
        """The connector fails: any session ends, StatusNotification Faulted with ``error_code``."""
        conn = self.connector(connector_id)
        if conn.session is not None and conn.session.transaction_id is not None:
            conn.faulted, conn.error_code = True, error_code
            await self.stop_session(connector_id, reason="Fault")
        else:
            conn.session = None
            conn.faulted, conn.error_code, conn.status = True, error_code, "Faulted"
            if self._link is not None and self.booted:
                await self._link.status_notification(conn)
        if self._link is not None and self.booted:
            await self._quietly(self._link.fault_event(conn, error_code), "NotifyEvent")

    async def clear_fault(self, connector_id: int | None = None) -> None:
        targets = [self.connector(connector_id)] if connector_id else self.connectors.values()
        for conn in list(targets):
            if not conn.faulted:
                continue
            conn.faulted, conn.error_code = False, "NoError"
            conn.status = conn.settled_status()
            if self._link is not None and self.booted:
                await self._link.status_notification(conn)

    async def overheat(self, connector_id: int) -> None:
        """The connector's cooling fails: temperature climbs past 80 °C and power derates."""
        self.connector(connector_id).overheating = True

    async def cool_down(self, connector_id: int | None = None) -> None:
        """Cooling restored: temperature falls back towards normal over a few meter intervals."""
        targets = [self.connector(connector_id)] if connector_id else self.connectors.values()
        for conn in targets:
            conn.overheating = False

    async def reboot(self, hard: bool) -> None:
        """End every session (reason Reset), then drop the connection and boot again."""
        for conn in list(self.connectors.values()):
            if conn.session is not None and conn.session.transaction_id is not None:
                try:
                    await self.stop_session(conn.connector_id, "HardReset" if hard else "SoftReset")
                except SimulatorError as exc:
                    log.warning("%s: could not end session before reset: %s", self.id, exc)
        self._reboot = True
        self._boot_reason = "RemoteReset"
        if self._ws is not None:
            await self._ws.close()
