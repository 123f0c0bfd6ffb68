"""How a simulated station decides on CSMS commands, version-neutral.

Each ``cmd_*`` runs inside an ``@on`` handler: it only looks at and changes local state and
returns the answer plus an optional follow-up (a coroutine factory) that the link starts after
the CALLRESULT is sent. Follow-ups may call the CSMS; the decisions never do.
"""

from __future__ import annotations

import asyncio
import logging
import re
import urllib.parse
import urllib.request
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from simulator import physics
from simulator.model import ConnectorModel
from simulator.profiles import TX_PURPOSE, Profile

if TYPE_CHECKING:
    from simulator.station import SimStation

FollowUp = Callable[[], Coroutine[Any, Any, Any]] | None

log = logging.getLogger("simulator")

TRIGGERS = frozenset(
    {
        "BootNotification",
        "Heartbeat",
        "StatusNotification",
        "MeterValues",
        "TransactionEvent",
        "DiagnosticsStatusNotification",
        "LogStatusNotification",
        "FirmwareStatusNotification",
    }
)


def schedule_limit_w(periods: list[dict[str, Any]], unit: str, dc: bool) -> float:
    """The limit of the first schedule period, in watts. Raises ValueError on a bad schedule."""
    if not periods:
        raise ValueError("a charging schedule needs at least one period")
    first = min(periods, key=lambda p: p.get("start_period", 0))
    return physics.limit_to_watts(float(first["limit"]), unit, dc, first.get("number_phases"))


class StationCommands:
    """Decisions on CSMS commands for one station (``station.commands``)."""

    def __init__(self, station: SimStation) -> None:
        self.station = station

    def _targets(self, connector_id: int | None) -> list[ConnectorModel] | None:
        """Connector 0 / None: all of them; an unknown id: None."""
        if not connector_id:
            return list(self.station.connectors.values())
        conn = self.station.connectors.get(connector_id)
        return [conn] if conn is not None else None

    def _session_connector(self, transaction_id: int | str) -> ConnectorModel | None:
        for conn in self.station.connectors.values():
            if conn.session is not None and str(conn.session.transaction_id) == str(transaction_id):
                return conn
        return None

    def remote_start(
        self,
        connector_id: int | None,
        id_tag: str,
        remote_start_id: int | None = None,
        profile: Profile | None = None,
    ) -> tuple[bool, FollowUp]:
        if not self.station.booted:
            return False, None
        if connector_id:
            conn = self.station.connectors.get(connector_id)
            if conn is None or not conn.is_idle:
                return False, None
        else:
            conn = next((c for c in self.station.connectors.values() if c.is_idle), None)
            if conn is None:
                return False, None
        cid = conn.connector_id

        async def start() -> None:
            if profile is not None:
                self.station.profiles.set(
                    Profile(
                        profile.profile_id, cid, TX_PURPOSE, profile.stack_level, profile.limit_w
                    )
                )
            await self.station.start_session(
                cid, id_tag, remote_start_id=remote_start_id, remote=True
            )

        return True, start

    def remote_stop(self, transaction_id: int | str) -> tuple[bool, FollowUp]:
        conn = self._session_connector(transaction_id)
        if conn is None:
            return False, None
        cid = conn.connector_id
        return True, lambda: self.station.stop_session(cid, "Remote")

    def reset(self, hard: bool, on_idle: bool = False) -> tuple[str, FollowUp]:
        if on_idle and self.station.charging_count:
            self.station.reset_when_idle = True
            return "Scheduled", None
        return "Accepted", lambda: self.station.reboot(hard)

    def change_availability(
        self, connector_id: int | None, operative: bool
    ) -> tuple[str, FollowUp]:
        targets = self._targets(connector_id)
        if targets is None:
            return "Rejected", None
        scheduled = False
        changed: list[ConnectorModel] = []
        for conn in targets:
            if operative:
                conn.operative, conn.pending_inoperative = True, False
            elif conn.session is not None:
                conn.pending_inoperative = True
                scheduled = True
                continue
            else:
                conn.operative = False
            if conn.session is None and conn.status != conn.settled_status():
                conn.status = conn.settled_status()
                changed.append(conn)

        async def report() -> None:
            for conn in changed:
                await self.station.link.status_notification(conn)

        return ("Scheduled" if scheduled else "Accepted"), (report if changed else None)

    def unlock(self, connector_id: int, stop: bool) -> tuple[str, FollowUp]:
        """ "Unknown", "Ongoing" (a session, not stopped) or "Unlocked"."""
        conn = self.station.connectors.get(connector_id)
        if conn is None:
            return "Unknown", None
        if conn.session is not None:
            if not stop:
                return "Ongoing", None
            return "Unlocked", lambda: self.station.stop_session(connector_id, "UnlockCommand")
        return "Unlocked", None

    def trigger(self, message: str, connector_id: int | None) -> tuple[bool, FollowUp]:
        targets = self._targets(connector_id)
        if message not in TRIGGERS or targets is None:
            return False, None

        async def send() -> None:
            link = self.station.link if message != "BootNotification" else self.station._link
            if link is None:
                return
            if message == "BootNotification":
                status, interval = await link.boot("Triggered")
                if status == "Accepted" and interval and self.station._heartbeat_override is None:
                    self.station.heartbeat_interval = interval
            elif message == "Heartbeat":
                await link.heartbeat()
            elif message == "StatusNotification":
                for conn in targets:
                    await link.status_notification(conn)
            elif message in ("MeterValues", "TransactionEvent"):
                for conn in targets:
                    if message == "MeterValues" or conn.session is not None:
                        await link.meter_values(conn, self.station.sample(conn))
            elif message in ("DiagnosticsStatusNotification", "LogStatusNotification"):
                await link.upload_status_notification(
                    self.station.upload_status, self.station.upload_request_id
                )
            else:
                await link.firmware_status_notification(
                    self.station.firmware_status, self.station.firmware_request_id
                )

        return True, send

    def upload(
        self, request_id: int | None, kind: str, location: str | None = None
    ) -> tuple[str, FollowUp]:
        """Diagnostics (1.6) or log (2.0.1) upload: answer a file name, then report progress. To
        an http(s) location the file (a small log of the station's state) is really sent, by HTTP
        PUT to ``location/filename`` as stations do; a failed PUT reports UploadFailed."""
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        filename = f"{self.station.id}-{kind}-{stamp}.log"
        self.station.upload_request_id = request_id

        async def upload() -> None:
            self.station.upload_status = "Uploading"
            await self.station.link.upload_status_notification("Uploading", request_id)
            await self.station._step()
            done = "Uploaded"
            if location and location.startswith(("http://", "https://")):
                body = self._log_file(kind, stamp).encode()
                target = location.rstrip("/") + "/" + urllib.parse.quote(filename)
                try:
                    await asyncio.to_thread(_put, target, body)
                except OSError as exc:
                    log.warning("%s: upload to %s failed: %s", self.station.id, target, exc)
                    done = "UploadFailed"
            self.station.upload_status = done
            await self.station.link.upload_status_notification(done, request_id)
            self.station.upload_status = "Idle"

        return filename, upload

    def _log_file(self, kind: str, stamp: str) -> str:
        lines = [f"{stamp} {self.station.id} {kind} log (laddnet simulator)"]
        for conn in self.station.connectors.values():
            lines.append(
                f"connector {conn.connector_id}: status {conn.status} error {conn.error_code}"
            )
        return "\n".join(lines) + "\n"

    def update_firmware(self, request_id: int | None, location: str) -> FollowUp:
        self.station.firmware_request_id = request_id
        match = re.search(r"(\d+(?:\.\d+)+)", location.rsplit("/", 1)[-1])
        version = match.group(1) if match else f"{self.station.firmware_version}+1"

        async def install() -> None:
            for status in ("Downloading", "Downloaded", "Installing", "Installed"):
                self.station.firmware_status = status
                await self.station.link.firmware_status_notification(status, request_id)
                if status != "Installed":
                    await self.station._step()
            self.station.firmware_version = version
            self.station.firmware_status = "Idle"
            log.info("%s: firmware %s installed", self.station.id, version)

        return install

    def set_profile(
        self,
        connector_id: int,
        profile_id: int,
        purpose: str,
        stack_level: int,
        unit: str,
        periods: list[dict[str, Any]],
        transaction_id: int | str | None = None,
    ) -> str:
        """ "Accepted" or "Rejected" (unknown connector, bad schedule, TxProfile without session)."""
        if connector_id and connector_id not in self.station.connectors:
            return "Rejected"
        try:
            limit = schedule_limit_w(periods, unit, self.station.config.dc)
        except (ValueError, KeyError, TypeError) as exc:
            log.info("%s: charging profile %s rejected: %s", self.station.id, profile_id, exc)
            return "Rejected"
        if purpose == TX_PURPOSE:
            conn = self.station.connectors.get(connector_id)
            if conn is None or conn.session is None:
                return "Rejected"
            if transaction_id is not None and str(conn.session.transaction_id) != str(
                transaction_id
            ):
                return "Rejected"
        self.station.profiles.set(Profile(profile_id, connector_id, purpose, stack_level, limit))
        return "Accepted"

    def clear_profile(
        self,
        profile_id: int | None,
        connector_id: int | None,
        purpose: str | None,
        stack_level: int | None,
    ) -> bool:
        return self.station.profiles.clear(profile_id, connector_id, purpose, stack_level)


def _put(url: str, body: bytes) -> None:
    request = urllib.request.Request(
        url, data=body, method="PUT", headers={"Content-Type": "text/plain"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        if response.status >= 300:
            raise OSError(f"HTTP {response.status}")
