"""OCPP 2.0.1 wire format of a simulated station (one connector per EVSE)."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime
from typing import Any

from ocpp.v201 import ChargePoint, call, call_result
from ocpp.v201.enums import Action

from laddnet.simulator import meter
from laddnet.simulator.commands import schedule_limit_w
from laddnet.simulator.link import Link, iso, on
from laddnet.simulator.model import ConnectorModel, MeterSample, Session
from laddnet.simulator.profiles import TX_PURPOSE, Profile

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


class V201Link(Link, ChargePoint):  # type: ignore[misc]
    # -- station → CSMS ----------------------------------------------------------------------
    async def boot(self, reason: str) -> tuple[str, float]:
        cfg = self.station.config
        res = await self.send(
            call.BootNotification(
                charging_station={
                    "model": cfg.model_name,
                    "vendor_name": "laddnet-sim",
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

    # -- CSMS → station ----------------------------------------------------------------------
    @on(Action.request_start_transaction)
    def on_request_start(
        self,
        id_token: dict[str, Any],
        remote_start_id: int,
        call_unique_id: str,
        evse_id: int | None = None,
        charging_profile: dict[str, Any] | None = None,
        **_kw: Any,
    ) -> call_result.RequestStartTransaction:
        profile = None
        if charging_profile is not None:
            profile = self._profile(charging_profile)
            if profile is None:
                return call_result.RequestStartTransaction(status="Rejected")
        ok, follow = self.station.commands.remote_start(
            evse_id, id_token["id_token"], remote_start_id, profile
        )
        self.defer(call_unique_id, "remote start", follow)
        return call_result.RequestStartTransaction(status="Accepted" if ok else "Rejected")

    @on(Action.request_stop_transaction)
    def on_request_stop(
        self, transaction_id: str, call_unique_id: str, **_kw: Any
    ) -> call_result.RequestStopTransaction:
        ok, follow = self.station.commands.remote_stop(transaction_id)
        self.defer(call_unique_id, "remote stop", follow)
        return call_result.RequestStopTransaction(status="Accepted" if ok else "Rejected")

    @on(Action.reset)
    def on_reset(self, type: str, call_unique_id: str, **_kw: Any) -> call_result.Reset:
        status, follow = self.station.commands.reset(hard=True, on_idle=type == "OnIdle")
        self.defer(call_unique_id, "reset", follow)
        return call_result.Reset(status=status)

    @on(Action.change_availability)
    def on_change_availability(
        self,
        operational_status: str,
        call_unique_id: str,
        evse: dict[str, Any] | None = None,
        **_kw: Any,
    ) -> call_result.ChangeAvailability:
        evse_id = evse["id"] if evse else None
        status, follow = self.station.commands.change_availability(
            evse_id, operational_status == "Operative"
        )
        self.defer(call_unique_id, "availability", follow)
        return call_result.ChangeAvailability(status=status)

    @on(Action.unlock_connector)
    def on_unlock(
        self, evse_id: int, connector_id: int, call_unique_id: str, **_kw: Any
    ) -> call_result.UnlockConnector:
        result, _f = self.station.commands.unlock(evse_id, stop=False)
        status = {"Unknown": "UnknownConnector", "Ongoing": "OngoingAuthorizedTransaction"}
        return call_result.UnlockConnector(status=status.get(result, "Unlocked"))

    @on(Action.trigger_message)
    def on_trigger(
        self,
        requested_message: str,
        call_unique_id: str,
        evse: dict[str, Any] | None = None,
        **_kw: Any,
    ) -> call_result.TriggerMessage:
        if requested_message not in TRIGGERS:
            return call_result.TriggerMessage(status="NotImplemented")
        ok, follow = self.station.commands.trigger(requested_message, evse["id"] if evse else None)
        self.defer(call_unique_id, f"trigger {requested_message}", follow)
        return call_result.TriggerMessage(status="Accepted" if ok else "Rejected")

    @on(Action.get_variables)
    def on_get_variables(
        self, get_variable_data: list[dict[str, Any]], **_kw: Any
    ) -> call_result.GetVariables:
        results = []
        for item in get_variable_data:
            component, variable = item["component"], item["variable"]
            status, var = self.station.device.lookup(component["name"], variable["name"])
            result: dict[str, Any] = {
                "attribute_status": status,
                "component": component,
                "variable": variable,
            }
            if item.get("attribute_type", "Actual") != "Actual" and var is not None:
                result["attribute_status"] = "NotSupportedAttributeType"
            elif var is not None:
                result["attribute_value"] = var.value
            results.append(result)
        return call_result.GetVariables(get_variable_result=results)

    @on(Action.set_variables)
    def on_set_variables(
        self, set_variable_data: list[dict[str, Any]], **_kw: Any
    ) -> call_result.SetVariables:
        results = []
        for item in set_variable_data:
            component, variable = item["component"], item["variable"]
            status, var = self.station.device.lookup(component["name"], variable["name"])
            if var is not None:
                outcome = self.station.device.set_value(var.key, item["attribute_value"])
                status = "Accepted" if outcome == "Accepted" else "Rejected"
            results.append(
                {"attribute_status": status, "component": component, "variable": variable}
            )
        return call_result.SetVariables(set_variable_result=results)

    @on(Action.get_base_report)
    def on_get_base_report(
        self, request_id: int, report_base: str, call_unique_id: str, **_kw: Any
    ) -> call_result.GetBaseReport:
        self.defer(call_unique_id, "base report", lambda: self.notify_report(request_id))
        return call_result.GetBaseReport(status="Accepted")

    @on(Action.get_log)
    def on_get_log(
        self, log_type: str, request_id: int, call_unique_id: str, **_kw: Any
    ) -> call_result.GetLog:
        filename, follow = self.station.commands.upload(request_id, log_type.lower())
        self.defer(call_unique_id, "log upload", follow)
        return call_result.GetLog(status="Accepted", filename=filename)

    @on(Action.update_firmware)
    def on_update_firmware(
        self, request_id: int, firmware: dict[str, Any], call_unique_id: str, **_kw: Any
    ) -> call_result.UpdateFirmware:
        follow = self.station.commands.update_firmware(request_id, firmware["location"])
        self.defer(call_unique_id, "firmware update", follow)
        return call_result.UpdateFirmware(status="Accepted")

    @on(Action.set_charging_profile)
    def on_set_charging_profile(
        self, evse_id: int, charging_profile: dict[str, Any], **_kw: Any
    ) -> call_result.SetChargingProfile:
        p = charging_profile
        schedules = p.get("charging_schedule") or [{}]
        status = self.station.commands.set_profile(
            evse_id,
            p["id"],
            p["charging_profile_purpose"],
            p["stack_level"],
            schedules[0].get("charging_rate_unit", ""),
            schedules[0].get("charging_schedule_period", []),
            p.get("transaction_id"),
        )
        return call_result.SetChargingProfile(status=status)

    @on(Action.clear_charging_profile)
    def on_clear_charging_profile(
        self,
        charging_profile_id: int | None = None,
        charging_profile_criteria: dict[str, Any] | None = None,
        **_kw: Any,
    ) -> call_result.ClearChargingProfile:
        c = charging_profile_criteria or {}
        cleared = self.station.commands.clear_profile(
            charging_profile_id,
            c.get("evse_id"),
            c.get("charging_profile_purpose"),
            c.get("stack_level"),
        )
        return call_result.ClearChargingProfile(status="Accepted" if cleared else "Unknown")

    @on(Action.data_transfer)
    def on_data_transfer(self, vendor_id: str, **_kw: Any) -> call_result.DataTransfer:
        return call_result.DataTransfer(status="UnknownVendorId")

    def _profile(self, p: dict[str, Any]) -> Profile | None:
        schedules = p.get("charging_schedule") or [{}]
        try:
            limit = schedule_limit_w(
                schedules[0].get("charging_schedule_period", []),
                schedules[0].get("charging_rate_unit", ""),
                self.station.config.dc,
            )
        except (ValueError, KeyError, TypeError):
            return None
        return Profile(p["id"], 0, TX_PURPOSE, p.get("stack_level", 0), limit)
