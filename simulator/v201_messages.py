"""OCPP 2.0.1 messages a simulated station sends (one connector per EVSE)."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime
from typing import Any

from ocpp.v201 import ChargePoint, call

from simulator import meter
from simulator.config import VENDOR
from simulator.link import Link, iso
from simulator.model import ConnectorModel, MeterSample, Session

CONNECTOR_STATUS = {
    "Available": "Available",
    "Unavailable": "Unavailable",
    "Faulted": "Faulted",
}  # everything else (Preparing, Charging, SuspendedEV, Finishing …) is Occupied
CHARGING_STATE = {"Charging": "Charging", "SuspendedEV": "SuspendedEV", "Preparing": "EVConnected"}
# common stop reason → (triggerReason, stoppedReason)
STOP_REASONS = {
    "Local": ("StopAuthorized", "Local"),
    "Remote": ("RemoteStop", "Remote"),
    "HardReset": ("ResetCommand", "ImmediateReset"),
    "SoftReset": ("ResetCommand", "ImmediateReset"),
    "Fault": ("AbnormalCondition", "Other"),
    "UnlockCommand": ("UnlockCommand", "Other"),
    "DeAuthorized": ("Deauthorized", "DeAuthorized"),
    "EVDisconnected": ("EVCommunicationLost", "EVDisconnected"),
}
TOKEN_TYPE = "ISO14443"
TRIGGERS = {
    "BootNotification",
    "FirmwareStatusNotification",
    "Heartbeat",
    "LogStatusNotification",
    "MeterValues",
    "StatusNotification",
    "TransactionEvent",
}
_event_ids = itertools.count(1)
# A Delta monitor on each connector's Temperature: report when it moved this much.
TEMPERATURE_DELTA_C = 5.0


def _accepted(id_token_info: Any) -> bool:
    """A TransactionEvent answer without idTokenInfo leaves the authorisation as it was."""
    return id_token_info is None or id_token_info.get("status") == "Accepted"


class V201Messages(Link, ChargePoint):  # type: ignore[misc]
    """What a 2.0.1 station sends; ``V201Link`` adds what it answers."""

    # -- station → CSMS ----------------------------------------------------------------------
    async def boot(self, reason: str) -> tuple[str, float]:
        cfg = self.station.config
        res = await self.send(
            call.BootNotification(
                charging_station={
                    "model": cfg.model_name,
                    "vendor_name": VENDOR,
                    "serial_number": cfg.serial,
                    "firmware_version": self.station.firmware_version,
                },
                reason=reason,
            )
        )
        return res.status, float(res.interval)

    async def heartbeat(self) -> None:
        await self.send(call.Heartbeat())

    async def status_notification(self, conn: ConnectorModel) -> None:
        await self.send(
            call.StatusNotification(
                timestamp=iso(datetime.now(UTC)),
                connector_status=CONNECTOR_STATUS.get(conn.status, "Occupied"),
                evse_id=conn.connector_id,
                connector_id=1,
            )
        )

    async def report_all_status(self) -> None:
        for conn in self.station.connectors.values():
            await self.status_notification(conn)

    async def authorize(self, id_tag: str) -> bool:
        res = await self.send(call.Authorize(id_token={"id_token": id_tag, "type": TOKEN_TYPE}))
        return _accepted(res.id_token_info) and res.id_token_info is not None

    async def _event(
        self,
        event_type: str,
        trigger: str,
        conn: ConnectorModel,
        session: Session,
        meter_value: list[dict[str, Any]],
        ts: datetime,
        **extra: Any,
    ) -> Any:
        self.station.seq_no += 1
        info: dict[str, Any] = {"transaction_id": str(session.transaction_id)}
        info.update(extra.pop("info", {}))
        return await self.send(
            call.TransactionEvent(
                event_type=event_type,
                timestamp=iso(ts),
                trigger_reason=trigger,
                seq_no=self.station.seq_no,
                transaction_info=info,
                meter_value=meter_value,
                evse={"id": conn.connector_id, "connector_id": 1},
                **extra,
            )
        )

    async def start_transaction(
        self, conn: ConnectorModel, session: Session, sample: MeterSample, remote: bool
    ) -> bool:
        session.transaction_id = uuid.uuid4().hex
        info: dict[str, Any] = {"charging_state": "Charging"}
        if session.remote_start_id is not None:
            info["remote_start_id"] = session.remote_start_id
        res = await self._event(
            "Started",
            "RemoteStart" if remote else "Authorized",
            conn,
            session,
            [
                {
                    "timestamp": iso(sample.timestamp),
                    "sampled_value": meter.energy_only(sample, "Transaction.Begin", True),
                }
            ],
            session.started_at,
            info=info,
            id_token={"id_token": session.id_tag, "type": TOKEN_TYPE},
        )
        return _accepted(res.id_token_info)

    async def meter_values(self, conn: ConnectorModel, sample: MeterSample) -> None:
        mv = [
            {
                "timestamp": iso(sample.timestamp),
                "sampled_value": meter.sampled_values(sample, numeric=True, temperature=False),
            }
        ]
        session = conn.session
        if session is None or session.transaction_id is None:
            await self.send(call.MeterValues(evse_id=conn.connector_id, meter_value=mv))
        else:
            state = CHARGING_STATE.get(conn.status, "EVConnected")
            await self._event(
                "Updated",
                "MeterValuePeriodic",
                conn,
                session,
                mv,
                sample.timestamp,
                info={"charging_state": state},
            )
        last = conn.reported_temperature_c
        if last is None or abs(sample.temperature_c - last) >= TEMPERATURE_DELTA_C:
            conn.reported_temperature_c = sample.temperature_c
            await self._notify(conn, "Temperature", f"{sample.temperature_c:.1f}", "Delta",
                               "PreconfiguredMonitor")  # fmt: skip

    async def stop_transaction(
        self, conn: ConnectorModel, session: Session, sample: MeterSample, reason: str
    ) -> None:
        trigger, stopped = STOP_REASONS.get(reason, ("AbnormalCondition", "Other"))
        await self._event(
            "Ended",
            trigger,
            conn,
            session,
            [
                {
                    "timestamp": iso(sample.timestamp),
                    "sampled_value": meter.energy_only(sample, "Transaction.End", True),
                }
            ],
            sample.timestamp,
            info={"charging_state": "Idle", "stopped_reason": stopped},
        )

    async def upload_status_notification(self, status: str, request_id: int | None) -> None:
        # 2.0.1 UploadLogStatusEnumType names the failure UploadFailure (1.6: UploadFailed)
        status = "UploadFailure" if status == "UploadFailed" else status
        await self.send(call.LogStatusNotification(status=status, request_id=request_id))

    async def firmware_status_notification(self, status: str, request_id: int | None) -> None:
        await self.send(call.FirmwareStatusNotification(status=status, request_id=request_id))

    async def fault_event(self, conn: ConnectorModel, error_code: str) -> None:
        """2.0.1 StatusNotification has no error code: the cause travels in a NotifyEvent."""
        await self._notify(conn, "AvailabilityState", "Faulted", "Delta", "HardWiredNotification",
                           tech_code=error_code)  # fmt: skip

    async def temperature_warning(self, conn: ConnectorModel) -> None:
        """Upper-threshold monitor on the connector's Temperature: raised, or cleared."""
        await self._notify(
            conn,
            "Temperature",
            f"{conn.temperature_c:.1f}",
            "Alerting",
            "PreconfiguredMonitor",
            tech_code="HighTemperature",
            cleared=conn.error_code != "HighTemperature",
        )

    async def _notify(
        self,
        conn: ConnectorModel,
        variable: str,
        value: str,
        trigger: str,
        kind: str,
        **extra: Any,
    ) -> None:
        now = iso(datetime.now(UTC))
        await self.send(
            call.NotifyEvent(
                generated_at=now,
                seq_no=0,
                event_data=[
                    {
                        "event_id": next(_event_ids),
                        "timestamp": now,
                        "trigger": trigger,
                        "actual_value": value,
                        "event_notification_type": kind,
                        "component": {
                            "name": "Connector",
                            "evse": {"id": conn.connector_id, "connector_id": 1},
                        },
                        "variable": {"name": variable},
                        **extra,
                    }
                ],
            )
        )

    async def notify_report(self, request_id: int) -> None:
        data = [
            {
                "component": {"name": var.component},
                "variable": {"name": var.name},
                "variable_attribute": [
                    {
                        "type": "Actual",
                        "value": var.value,
                        "mutability": "ReadOnly" if var.readonly else "ReadWrite",
                    }
                ],
            }
            for var in self.station.device.items()
            if var.component
        ]
        await self.send(
            call.NotifyReport(
                request_id=request_id,
                generated_at=iso(datetime.now(UTC)),
                seq_no=0,
                report_data=data,
            )
        )
