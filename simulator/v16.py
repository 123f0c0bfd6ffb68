"""OCPP 1.6J wire format of a simulated station: messages it sends, commands it answers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ocpp.v16 import ChargePoint, call, call_result
from ocpp.v16.enums import Action

from simulator import meter
from simulator.commands import schedule_limit_w
from simulator.config import VENDOR
from simulator.link import Link, iso, on
from simulator.model import ConnectorModel, MeterSample, Session
from simulator.profiles import TX_PURPOSE, Profile

STOP_REASONS = {
    "Local": "Local",
    "Remote": "Remote",
    "HardReset": "HardReset",
    "SoftReset": "SoftReset",
    "Fault": "Other",
    "UnlockCommand": "UnlockCommand",
    "DeAuthorized": "DeAuthorized",
    "EVDisconnected": "EVDisconnected",
}
TRIGGERS = {
    "BootNotification",
    "DiagnosticsStatusNotification",
    "FirmwareStatusNotification",
    "Heartbeat",
    "MeterValues",
    "StatusNotification",
}


def _accepted(id_tag_info: Any) -> bool:
    return isinstance(id_tag_info, dict) and id_tag_info.get("status") == "Accepted"


class V16Link(Link, ChargePoint):  # type: ignore[misc]
    # -- station → CSMS ----------------------------------------------------------------------
    async def boot(self, reason: str) -> tuple[str, float]:
        cfg = self.station.config
        res = await self.send(
            call.BootNotification(
                charge_point_model=cfg.model_name,
                charge_point_vendor=VENDOR,
                charge_point_serial_number=cfg.serial,
                firmware_version=self.station.firmware_version,
            )
        )
        return res.status, float(res.interval)

    async def heartbeat(self) -> None:
        await self.send(call.Heartbeat())

    async def status_notification(self, conn: ConnectorModel) -> None:
        await self._status(conn.connector_id, conn.status, conn.error_code)

    async def _status(self, connector_id: int, status: str, error_code: str) -> None:
        await self.send(
            call.StatusNotification(
                connector_id=connector_id,
                error_code=error_code,
                status=status,
                timestamp=iso(datetime.now(UTC)),
            )
        )

    async def report_all_status(self) -> None:
        conns = self.station.connectors.values()
        whole = "Available" if any(c.operative for c in conns) else "Unavailable"
        await self._status(0, whole, "NoError")
        for conn in conns:
            await self.status_notification(conn)

    async def authorize(self, id_tag: str) -> bool:
        res = await self.send(call.Authorize(id_tag=id_tag))
        return _accepted(res.id_tag_info)

    async def start_transaction(
        self, conn: ConnectorModel, session: Session, sample: MeterSample, remote: bool
    ) -> bool:
        res = await self.send(
            call.StartTransaction(
                connector_id=conn.connector_id,
                id_tag=session.id_tag,
                meter_start=sample.energy_wh,
                timestamp=iso(session.started_at),
            )
        )
        session.transaction_id = int(res.transaction_id)
        return _accepted(res.id_tag_info)

    async def meter_values(self, conn: ConnectorModel, sample: MeterSample) -> None:
        session = conn.session
        tx = session.transaction_id if session is not None else None
        await self.send(
            call.MeterValues(
                connector_id=conn.connector_id,
                transaction_id=tx,
                meter_value=[
                    {
                        "timestamp": iso(sample.timestamp),
                        "sampled_value": meter.sampled_values(sample, numeric=False),
                    }
                ],
            )
        )

    async def stop_transaction(
        self, conn: ConnectorModel, session: Session, sample: MeterSample, reason: str
    ) -> None:
        ts = iso(sample.timestamp)
        await self.send(
            call.StopTransaction(
                meter_stop=sample.energy_wh,
                timestamp=ts,
                transaction_id=int(session.transaction_id or 0),
                reason=STOP_REASONS.get(reason, "Other"),
                id_tag=session.id_tag,
                transaction_data=[
                    {
                        "timestamp": ts,
                        "sampled_value": meter.energy_only(sample, "Transaction.End", False),
                    }
                ],
            )
        )

    async def upload_status_notification(self, status: str, request_id: int | None) -> None:
        await self.send(call.DiagnosticsStatusNotification(status=status))

    async def firmware_status_notification(self, status: str, request_id: int | None) -> None:
        await self.send(call.FirmwareStatusNotification(status=status))

    async def fault_event(self, conn: ConnectorModel, error_code: str) -> None:
        """1.6 carries the error code in StatusNotification already."""

    async def temperature_warning(self, conn: ConnectorModel) -> None:
        """1.6: StatusNotification with errorCode HighTemperature (or NoError), status unchanged."""
        await self.status_notification(conn)

    # -- CSMS → station ----------------------------------------------------------------------
    @on(Action.remote_start_transaction)
    def on_remote_start(
        self,
        id_tag: str,
        call_unique_id: str,
        connector_id: int | None = None,
        charging_profile: dict[str, Any] | None = None,
        **_kw: Any,
    ) -> call_result.RemoteStartTransaction:
        profile = None
        if charging_profile is not None:
            profile = self._profile(charging_profile)
            if profile is None:
                return call_result.RemoteStartTransaction(status="Rejected")
        ok, follow = self.station.commands.remote_start(connector_id, id_tag, None, profile)
        self.defer(call_unique_id, "remote start", follow)
        return call_result.RemoteStartTransaction(status="Accepted" if ok else "Rejected")

    @on(Action.remote_stop_transaction)
    def on_remote_stop(
        self, transaction_id: int, call_unique_id: str, **_kw: Any
    ) -> call_result.RemoteStopTransaction:
        ok, follow = self.station.commands.remote_stop(transaction_id)
        self.defer(call_unique_id, "remote stop", follow)
        return call_result.RemoteStopTransaction(status="Accepted" if ok else "Rejected")

    @on(Action.reset)
    def on_reset(self, type: str, call_unique_id: str, **_kw: Any) -> call_result.Reset:
        _status, follow = self.station.commands.reset(hard=type == "Hard")
        self.defer(call_unique_id, "reset", follow)
        return call_result.Reset(status="Accepted")

    @on(Action.change_availability)
    def on_change_availability(
        self, connector_id: int, type: str, call_unique_id: str, **_kw: Any
    ) -> call_result.ChangeAvailability:
        status, follow = self.station.commands.change_availability(
            connector_id, type == "Operative"
        )
        self.defer(call_unique_id, "availability", follow)
        return call_result.ChangeAvailability(status=status)

    @on(Action.unlock_connector)
    def on_unlock(
        self, connector_id: int, call_unique_id: str, **_kw: Any
    ) -> call_result.UnlockConnector:
        result, follow = self.station.commands.unlock(connector_id, stop=True)
        self.defer(call_unique_id, "unlock", follow)
        return call_result.UnlockConnector(
            status="NotSupported" if result == "Unknown" else "Unlocked"
        )

    @on(Action.trigger_message)
    def on_trigger(
        self,
        requested_message: str,
        call_unique_id: str,
        connector_id: int | None = None,
        **_kw: Any,
    ) -> call_result.TriggerMessage:
        if requested_message not in TRIGGERS:
            return call_result.TriggerMessage(status="NotImplemented")
        ok, follow = self.station.commands.trigger(requested_message, connector_id)
        self.defer(call_unique_id, f"trigger {requested_message}", follow)
        return call_result.TriggerMessage(status="Accepted" if ok else "Rejected")

    @on(Action.get_configuration)
    def on_get_configuration(
        self, key: list[str] | None = None, **_kw: Any
    ) -> call_result.GetConfiguration:
        device = self.station.device
        wanted = key or [v.key for v in device.items()]
        found, unknown = [], []
        for k in wanted:
            var = device.get(k)
            if var is None:
                unknown.append(k)
            else:
                found.append({"key": var.key, "readonly": var.readonly, "value": var.value})
        return call_result.GetConfiguration(configuration_key=found, unknown_key=unknown or None)

    @on(Action.change_configuration)
    def on_change_configuration(
        self, key: str, value: str, **_kw: Any
    ) -> call_result.ChangeConfiguration:
        return call_result.ChangeConfiguration(status=self.station.device.set_value(key, value))

    @on(Action.get_diagnostics)
    def on_get_diagnostics(
        self, location: str, call_unique_id: str, **_kw: Any
    ) -> call_result.GetDiagnostics:
        filename, follow = self.station.commands.upload(None, "diagnostics", location)
        self.defer(call_unique_id, "diagnostics upload", follow)
        return call_result.GetDiagnostics(file_name=filename)

    @on(Action.update_firmware)
    def on_update_firmware(
        self, location: str, retrieve_date: str, call_unique_id: str, **_kw: Any
    ) -> call_result.UpdateFirmware:
        self.defer(
            call_unique_id, "firmware update", self.station.commands.update_firmware(None, location)
        )
        return call_result.UpdateFirmware()

    @on(Action.set_charging_profile)
    def on_set_charging_profile(
        self, connector_id: int, cs_charging_profiles: dict[str, Any], **_kw: Any
    ) -> call_result.SetChargingProfile:
        p = cs_charging_profiles
        schedule = p.get("charging_schedule", {})
        status = self.station.commands.set_profile(
            connector_id,
            p["charging_profile_id"],
            p["charging_profile_purpose"],
            p["stack_level"],
            schedule.get("charging_rate_unit", ""),
            schedule.get("charging_schedule_period", []),
            p.get("transaction_id"),
        )
        return call_result.SetChargingProfile(status=status)

    @on(Action.clear_charging_profile)
    def on_clear_charging_profile(
        self,
        id: int | None = None,
        connector_id: int | None = None,
        charging_profile_purpose: str | None = None,
        stack_level: int | None = None,
        **_kw: Any,
    ) -> call_result.ClearChargingProfile:
        cleared = self.station.commands.clear_profile(
            id, connector_id, charging_profile_purpose, stack_level
        )
        return call_result.ClearChargingProfile(status="Accepted" if cleared else "Unknown")

    @on(Action.data_transfer)
    def on_data_transfer(self, vendor_id: str, **_kw: Any) -> call_result.DataTransfer:
        return call_result.DataTransfer(status="UnknownVendorId")

    def _profile(self, p: dict[str, Any]) -> Profile | None:
        schedule = p.get("charging_schedule", {})
        try:
            limit = schedule_limit_w(
                schedule.get("charging_schedule_period", []),
                schedule.get("charging_rate_unit", ""),
                self.station.config.dc,
            )
        except (ValueError, KeyError, TypeError):
            return None
        return Profile(p["charging_profile_id"], 0, TX_PURPOSE, p.get("stack_level", 0), limit)
