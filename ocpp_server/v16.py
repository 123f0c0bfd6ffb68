# mypy: disable-error-code="misc,untyped-decorator"
"""OCPP 1.6J: one handler per action, each translating the payload into one domain call."""

from __future__ import annotations

from typing import Any

from ocpp.routing import after, on
from ocpp.v16 import ChargePoint, call_result
from ocpp.v16.enums import Action

from domain.charging.id_tokens import IdTagInfo
from domain.charging.timestamps import parse
from domain.common.clock import utcnow
from ocpp_server import certificates
from ocpp_server.rpc import codes16
from ocpp_server.rpc.router import RobustRouting
from ocpp_server.translate import readings
from ocpp_server.wire import iso, now_iso


def id_tag_info(info: IdTagInfo) -> dict[str, Any]:
    """OCPP 1.6 IdTagInfo: the status, and the token's expiryDate and parentIdTag where it has
    them (``None``s are left out on the wire)."""
    return {
        "status": info.status.value,
        "expiry_date": iso(info.expiry_date) if info.expiry_date else None,
        "parent_id_tag": info.parent_id_tag,
    }


class ChargePoint16(RobustRouting, ChargePoint):
    rpc_error_codes = ("FormationViolation", "FormationViolation", "GenericError")
    known_actions = frozenset(a.value for a in Action)

    def validate_call(self, msg: Any) -> None:
        codes16.validate_call(msg)  # OCPP-J 1.6's error codes, not 2.0.1's

    @on(Action.boot_notification)
    async def on_boot(
        self, charge_point_vendor: str, charge_point_model: str, **extra: Any
    ) -> call_result.BootNotification:
        status = await self.ctx.network.station_booted(
            self.station,
            ocpp_version="1.6",
            vendor=charge_point_vendor,
            model=charge_point_model,
            serial_number=extra.get("charge_point_serial_number"),
            firmware_version=extra.get("firmware_version"),
        )
        return call_result.BootNotification(
            current_time=now_iso(), interval=self.ctx.heartbeat_interval, status=status.value
        )

    @on(Action.heartbeat)
    async def on_heartbeat(self) -> call_result.Heartbeat:
        await self.ctx.network.station_seen(self.station)
        return call_result.Heartbeat(current_time=now_iso())

    @on(Action.status_notification)
    async def on_status(
        self, connector_id: int, error_code: str, status: str, **extra: Any
    ) -> call_result.StatusNotification:
        await self.ctx.charging.connector_status(
            self.station,
            connector_id=connector_id,
            status=status,
            error_code=error_code,
            at=parse(extra.get("timestamp")) if extra.get("timestamp") else utcnow(),
            info=extra.get("info"),
            vendor_error_code=extra.get("vendor_error_code"),
        )
        return call_result.StatusNotification()

    @on(Action.authorize)
    async def on_authorize(self, id_tag: str) -> call_result.Authorize:
        info = await self.ctx.charging.id_tag_info(id_tag)
        return call_result.Authorize(id_tag_info=id_tag_info(info))

    @on(Action.start_transaction)
    async def on_start_transaction(
        self,
        connector_id: int,
        id_tag: str,
        meter_start: int,
        timestamp: str,
        reservation_id: int | None = None,
    ) -> call_result.StartTransaction:
        result = await self.ctx.charging.start_transaction(
            self.station,
            connector_id=connector_id,
            id_tag=id_tag,
            meter_start_wh=meter_start,
            timestamp=parse(timestamp),
            reservation_id=reservation_id,
        )
        return call_result.StartTransaction(
            transaction_id=int(result.session.transaction_id or 0),
            id_tag_info=id_tag_info(result.id_tag_info or IdTagInfo(result.id_tag_status)),
        )

    @on(Action.meter_values)
    async def on_meter_values(
        self,
        connector_id: int,
        meter_value: list[dict[str, Any]],
        transaction_id: int | None = None,
    ) -> call_result.MeterValues:
        await self.ctx.charging.meter_values(
            self.station,
            connector_id=connector_id,
            transaction_id=str(transaction_id) if transaction_id is not None else None,
            readings=readings(meter_value, v201=False),
        )
        return call_result.MeterValues()

    @on(Action.stop_transaction)
    async def on_stop_transaction(
        self,
        meter_stop: int,
        timestamp: str,
        transaction_id: int,
        reason: str | None = None,
        id_tag: str | None = None,
        transaction_data: list[dict[str, Any]] | None = None,
    ) -> call_result.StopTransaction:
        result = await self.ctx.charging.stop_transaction(
            self.station,
            transaction_id=str(transaction_id),
            meter_stop_wh=meter_stop,
            timestamp=parse(timestamp),
            reason=reason,
            id_tag=id_tag,
            transaction_data=readings(transaction_data, v201=False),
        )
        if result.id_tag_status is None:
            return call_result.StopTransaction()
        info = result.id_tag_info or IdTagInfo(result.id_tag_status)
        return call_result.StopTransaction(id_tag_info=id_tag_info(info))

    @on(Action.sign_certificate)  # Security whitepaper
    async def on_sign_certificate(self, csr: str, **_: Any) -> call_result.SignCertificate:
        ok = await certificates.sign(self.ctx, self.station, csr, None)
        return call_result.SignCertificate(status="Accepted" if ok else "Rejected")

    @after(Action.sign_certificate)
    async def after_sign_certificate(self, **_: Any) -> None:
        await certificates.send_signed(self.ctx, self.station)

    @on(Action.data_transfer)
    async def on_data_transfer(
        self, vendor_id: str, message_id: str | None = None, data: str | None = None
    ) -> call_result.DataTransfer:
        status = await self.ctx.reports.data_transfer(
            self.station, vendor_id=vendor_id, message_id=message_id, data=data
        )
        return call_result.DataTransfer(status=status)

    @on(Action.diagnostics_status_notification)
    async def on_diagnostics_status(self, status: str) -> call_result.DiagnosticsStatusNotification:
        await self.ctx.reports.record(self.station, "DiagnosticsStatus", status=status)
        return call_result.DiagnosticsStatusNotification()

    @on(Action.security_event_notification)
    async def on_security_event(
        self, type: str, timestamp: str, tech_info: str | None = None, **_: Any
    ) -> call_result.SecurityEventNotification:
        """The Security whitepaper's SecurityEventNotification, recorded as 2.0.1's is: a critical
        event raises the security alert."""
        await self.ctx.reports.record(
            self.station,
            "SecurityEvent",
            status=type,
            data={"timestamp": timestamp, "tech_info": tech_info},
        )
        return call_result.SecurityEventNotification()

    @on(Action.firmware_status_notification)
    async def on_firmware_status(self, status: str) -> call_result.FirmwareStatusNotification:
        await self.ctx.reports.record(self.station, "FirmwareStatus", status=status)
        return call_result.FirmwareStatusNotification()
