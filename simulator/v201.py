"""OCPP 2.0.1: how a simulated station answers CSMS commands (messages it sends: v201_messages)."""

from __future__ import annotations

from typing import Any

from ocpp.v201 import call_result
from ocpp.v201.enums import Action

from simulator.commands import schedule_limit_w
from simulator.link import on
from simulator.profiles import TX_PURPOSE, Profile
from simulator.v201_messages import TRIGGERS, V201Messages


class V201Link(V201Messages):
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
        remote = (_kw.get("log") or {}).get("remote_location")
        filename, follow = self.station.commands.upload(request_id, log_type.lower(), remote)
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
