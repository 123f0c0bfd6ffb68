# mypy: disable-error-code="misc,untyped-decorator"
"""OCPP 2.0.1: one handler per action, each translating the payload into one domain call.

Our station model numbers connectors per EVSE: a 2.0.1 ``evseId`` is our ``connector_id``.
"""

from __future__ import annotations

from typing import Any

from ocpp.routing import after, on
from ocpp.v201 import ChargePoint, call_result
from ocpp.v201.enums import Action

from domain.charging.timestamps import parse
from ocpp_server import certificates
from ocpp_server.rpc.router import RobustRouting
from ocpp_server.translate import readings
from ocpp_server.wire import now_iso


class ChargePoint201(RobustRouting, ChargePoint):
    rpc_error_codes = ("RpcFrameworkError", "RpcFrameworkError", "MessageTypeNotSupported")
    known_actions = frozenset(a.value for a in Action)

    @on(Action.boot_notification)
    async def on_boot(
        self, charging_station: dict[str, Any], reason: str, **_: Any
    ) -> call_result.BootNotification:
        status = await self.ctx.network.station_booted(
            self.station,
            ocpp_version="2.0.1",
            vendor=charging_station.get("vendor_name", ""),
            model=charging_station.get("model", ""),
            serial_number=charging_station.get("serial_number"),
            firmware_version=charging_station.get("firmware_version"),
        )
        return call_result.BootNotification(
            current_time=now_iso(), interval=self.ctx.heartbeat_interval, status=status.value
        )

    @on(Action.heartbeat)
    async def on_heartbeat(self, **_: Any) -> call_result.Heartbeat:
        await self.ctx.network.station_seen(self.station)
        return call_result.Heartbeat(current_time=now_iso())

    @on(Action.status_notification)
    async def on_status(
        self, timestamp: str, connector_status: str, evse_id: int, connector_id: int, **_: Any
    ) -> call_result.StatusNotification:
        await self.ctx.charging.connector_status(
            self.station,
            connector_id=evse_id,
            status=connector_status,
            error_code=None,
            at=parse(timestamp),
        )
        return call_result.StatusNotification()

    @on(Action.authorize)
    async def on_authorize(self, id_token: dict[str, Any], **_: Any) -> call_result.Authorize:
        status = await self.ctx.charging.authorize(id_token.get("id_token", ""))
        return call_result.Authorize(id_token_info={"status": status.value})

    @on(Action.transaction_event)
    async def on_transaction_event(
        self,
        event_type: str,
        timestamp: str,
        trigger_reason: str,
        seq_no: int,
        transaction_info: dict[str, Any],
        meter_value: list[dict[str, Any]] | None = None,
        offline: bool | None = None,
        evse: dict[str, Any] | None = None,
        id_token: dict[str, Any] | None = None,
        **_: Any,
    ) -> call_result.TransactionEvent:
        tag = (id_token or {}).get("id_token") or None
        result = await self.ctx.charging.transaction_event(
            self.station,
            event_type=event_type,
            transaction_id=transaction_info["transaction_id"],
            seq_no=seq_no,
            timestamp=parse(timestamp),
            trigger_reason=trigger_reason,
            offline=bool(offline),
            evse_id=(evse or {}).get("id"),
            id_tag=tag,
            charging_state=transaction_info.get("charging_state"),
            stopped_reason=transaction_info.get("stopped_reason"),
            remote_start_id=transaction_info.get("remote_start_id"),
            meter_values=readings(meter_value, v201=True),
        )
        if result.id_tag_status is None:
            return call_result.TransactionEvent()
        return call_result.TransactionEvent(id_token_info={"status": result.id_tag_status.value})

    @on(Action.meter_values)
    async def on_meter_values(
        self, evse_id: int, meter_value: list[dict[str, Any]], **_: Any
    ) -> call_result.MeterValues:
        await self.ctx.charging.meter_values(
            self.station,
            connector_id=evse_id,
            transaction_id=None,
            readings=readings(meter_value, v201=True),
        )
        return call_result.MeterValues()

    @on(Action.notify_report)
    async def on_notify_report(
        self, request_id: int, generated_at: str, seq_no: int, **extra: Any
    ) -> call_result.NotifyReport:
        # the settings into the station's device model, the part onto its request; and as sent
        await self.ctx.network.device_model.notify_report(
            self.station,
            request_id=request_id,
            seq_no=seq_no,
            tbc=bool(extra.get("tbc")),
            generated_at=parse(generated_at),
            report_data=extra.get("report_data"),
        )
        await self.ctx.reports.record(
            self.station,
            "NotifyReport",
            request_id=request_id,
            data={"generated_at": generated_at, "seq_no": seq_no, **extra},
        )
        return call_result.NotifyReport()

    @on(Action.notify_event)
    async def on_notify_event(
        self, generated_at: str, seq_no: int, event_data: list[dict[str, Any]], **extra: Any
    ) -> call_result.NotifyEvent:
        await self.ctx.reports.record(
            self.station,
            "NotifyEvent",
            data={
                "generated_at": generated_at,
                "seq_no": seq_no,
                "event_data": event_data,
                **extra,
            },
        )
        # the connector temperatures in it are meter samples (2.0.1 has no Temperature measurand)
        await self.ctx.charging.connector_temperatures(self.station, event_data)
        return call_result.NotifyEvent()

    @on(Action.security_event_notification)
    async def on_security_event(
        self, type: str, timestamp: str, tech_info: str | None = None, **_: Any
    ) -> call_result.SecurityEventNotification:
        await self.ctx.reports.record(
            self.station,
            "SecurityEvent",
            status=type,
            data={"timestamp": timestamp, "tech_info": tech_info},
        )
        return call_result.SecurityEventNotification()

    @on(Action.sign_certificate)
    async def on_sign_certificate(
        self, csr: str, certificate_type: str | None = None, **_: Any
    ) -> call_result.SignCertificate:
        ok = await certificates.sign(self.ctx, self.station, csr, certificate_type)
        return call_result.SignCertificate(status="Accepted" if ok else "Rejected")

    @on(Action.get_15118_ev_certificate)
    async def on_get_15118_ev_certificate(
        self, iso15118_schema_version: str, action: str, exi_request: str, **_: Any
    ) -> call_result.Get15118EVCertificate:
        if self.ctx.security is None:
            return call_result.Get15118EVCertificate(status="Failed", exi_response="")
        answer = await self.ctx.security.ev_certificate(
            self.station, iso15118_schema_version, action, exi_request
        )
        return call_result.Get15118EVCertificate(
            status=answer.status, exi_response=answer.payload or ""
        )

    @on(Action.get_certificate_status)
    async def on_get_certificate_status(
        self, ocsp_request_data: dict[str, Any], **_: Any
    ) -> call_result.GetCertificateStatus:
        if self.ctx.security is None:
            return call_result.GetCertificateStatus(status="Failed")
        answer = await self.ctx.security.certificate_status(self.station, ocsp_request_data)
        return call_result.GetCertificateStatus(status=answer.status, ocsp_result=answer.payload)

    @after(Action.sign_certificate)
    async def after_sign_certificate(self, **_: Any) -> None:
        await certificates.send_signed(self.ctx, self.station)

    @on(Action.log_status_notification)
    async def on_log_status(
        self, status: str, request_id: int | None = None, **_: Any
    ) -> call_result.LogStatusNotification:
        await self.ctx.reports.record(
            self.station, "LogStatus", status=status, request_id=request_id
        )
        return call_result.LogStatusNotification()

    @on(Action.firmware_status_notification)
    async def on_firmware_status(
        self, status: str, request_id: int | None = None, **_: Any
    ) -> call_result.FirmwareStatusNotification:
        await self.ctx.reports.record(
            self.station, "FirmwareStatus", status=status, request_id=request_id
        )
        return call_result.FirmwareStatusNotification()

    @on(Action.data_transfer)
    async def on_data_transfer(
        self, vendor_id: str, message_id: str | None = None, data: Any = None, **_: Any
    ) -> call_result.DataTransfer:
        status = await self.ctx.reports.data_transfer(
            self.station,
            vendor_id=vendor_id,
            message_id=message_id,
            data=None if data is None else str(data),
        )
        return call_result.DataTransfer(status=status)
