"""Test charge points built on the ``ocpp`` library, and a helper to connect one to the server.

The charge points answer every CSMS command; ``answers`` overrides a status per action, and every
received command is kept in ``received`` (action, payload) so tests can check what went out.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ssl
from collections.abc import AsyncIterator
from typing import Any

from beanie import PydanticObjectId
from ocpp.routing import on
from ocpp.v16 import ChargePoint as CP16
from ocpp.v16 import call_result as r16
from ocpp.v201 import ChargePoint as CP201
from ocpp.v201 import call_result as r201
from websockets.asyncio.client import ClientConnection, connect

from domain.charging.service import ChargingService
from tests.factories.network import STATION_KEY


def basic_auth(username: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


class _Recording:
    answers: dict[str, str]
    received: list[tuple[str, dict[str, Any]]]

    def _status(self, action: str, default: str = "Accepted") -> str:
        return self.answers.get(action, default)

    def _got(self, action: str, payload: dict[str, Any]) -> None:
        self.received.append((action, payload))


class TestChargePoint16(_Recording, CP16):
    __test__ = False

    def __init__(self, cp_id: str, connection: Any) -> None:
        super().__init__(cp_id, connection, response_timeout=5)
        self.answers = {}
        self.received = []
        self.delay: float = 0.0

    @on("RemoteStartTransaction")
    async def on_remote_start(self, **kw: Any) -> Any:
        self._got("RemoteStartTransaction", kw)
        await asyncio.sleep(self.delay)
        return r16.RemoteStartTransaction(status=self._status("RemoteStartTransaction"))

    @on("RemoteStopTransaction")
    def on_remote_stop(self, **kw: Any) -> Any:
        self._got("RemoteStopTransaction", kw)
        return r16.RemoteStopTransaction(status=self._status("RemoteStopTransaction"))

    @on("Reset")
    def on_reset(self, **kw: Any) -> Any:
        self._got("Reset", kw)
        return r16.Reset(status=self._status("Reset"))

    @on("ChangeAvailability")
    def on_change_availability(self, **kw: Any) -> Any:
        self._got("ChangeAvailability", kw)
        return r16.ChangeAvailability(status=self._status("ChangeAvailability"))

    @on("UnlockConnector")
    def on_unlock(self, **kw: Any) -> Any:
        self._got("UnlockConnector", kw)
        return r16.UnlockConnector(status=self._status("UnlockConnector", "Unlocked"))

    @on("TriggerMessage")
    def on_trigger(self, **kw: Any) -> Any:
        self._got("TriggerMessage", kw)
        return r16.TriggerMessage(status=self._status("TriggerMessage"))

    @on("GetConfiguration")
    def on_get_configuration(self, key: list[str] | None = None) -> Any:
        self._got("GetConfiguration", {"key": key})
        known = {"HeartbeatInterval": "300", "MeterValueSampleInterval": "60"}
        asked = key or list(known)
        return r16.GetConfiguration(
            configuration_key=[
                {"key": k, "readonly": False, "value": known[k]} for k in asked if k in known
            ],
            unknown_key=[k for k in asked if k not in known] or None,
        )

    @on("ChangeConfiguration")
    def on_change_configuration(self, **kw: Any) -> Any:
        self._got("ChangeConfiguration", kw)
        return r16.ChangeConfiguration(status=self._status("ChangeConfiguration"))

    @on("GetDiagnostics")
    def on_get_diagnostics(self, **kw: Any) -> Any:
        self._got("GetDiagnostics", kw)
        return r16.GetDiagnostics(file_name="diag-0001.zip")

    @on("UpdateFirmware")
    def on_update_firmware(self, **kw: Any) -> Any:
        self._got("UpdateFirmware", kw)
        return r16.UpdateFirmware()

    @on("SetChargingProfile")
    def on_set_profile(self, **kw: Any) -> Any:
        self._got("SetChargingProfile", kw)
        return r16.SetChargingProfile(status=self._status("SetChargingProfile"))

    @on("ClearChargingProfile")
    def on_clear_profile(self, **kw: Any) -> Any:
        self._got("ClearChargingProfile", kw)
        return r16.ClearChargingProfile(status=self._status("ClearChargingProfile"))

    @on("CertificateSigned")
    def on_certificate_signed(self, **kw: Any) -> Any:
        self._got("CertificateSigned", kw)
        return r16.CertificateSigned(status=self._status("CertificateSigned"))


class TestChargePoint201(_Recording, CP201):
    __test__ = False

    def __init__(self, cp_id: str, connection: Any) -> None:
        super().__init__(cp_id, connection, response_timeout=5)
        self.answers = {}
        self.received = []

    @on("RequestStartTransaction")
    def on_request_start(self, **kw: Any) -> Any:
        self._got("RequestStartTransaction", kw)
        return r201.RequestStartTransaction(status=self._status("RequestStartTransaction"))

    @on("RequestStopTransaction")
    def on_request_stop(self, **kw: Any) -> Any:
        self._got("RequestStopTransaction", kw)
        return r201.RequestStopTransaction(status=self._status("RequestStopTransaction"))

    @on("Reset")
    def on_reset(self, **kw: Any) -> Any:
        self._got("Reset", kw)
        return r201.Reset(status=self._status("Reset"))

    @on("ChangeAvailability")
    def on_change_availability(self, **kw: Any) -> Any:
        self._got("ChangeAvailability", kw)
        return r201.ChangeAvailability(status=self._status("ChangeAvailability"))

    @on("UnlockConnector")
    def on_unlock(self, **kw: Any) -> Any:
        self._got("UnlockConnector", kw)
        return r201.UnlockConnector(status=self._status("UnlockConnector", "Unlocked"))

    @on("TriggerMessage")
    def on_trigger(self, **kw: Any) -> Any:
        self._got("TriggerMessage", kw)
        return r201.TriggerMessage(status=self._status("TriggerMessage"))

    @on("GetVariables")
    def on_get_variables(self, get_variable_data: list[dict[str, Any]], **_: Any) -> Any:
        self._got("GetVariables", {"get_variable_data": get_variable_data})
        known = {("OCPPCommCtrlr", "HeartbeatInterval"): "300"}
        results = []
        for item in get_variable_data:
            k = (item["component"]["name"], item["variable"]["name"])
            results.append(
                {
                    "attribute_status": "Accepted" if k in known else "UnknownVariable",
                    "component": item["component"],
                    "variable": item["variable"],
                    **({"attribute_value": known[k]} if k in known else {}),
                }
            )
        return r201.GetVariables(get_variable_result=results)

    @on("GetBaseReport")
    def on_get_base_report(self, **kw: Any) -> Any:
        self._got("GetBaseReport", kw)
        return r201.GetBaseReport(status=self._status("GetBaseReport"))

    @on("SetVariables")
    def on_set_variables(self, set_variable_data: list[dict[str, Any]], **_: Any) -> Any:
        self._got("SetVariables", {"set_variable_data": set_variable_data})
        return r201.SetVariables(
            set_variable_result=[
                {
                    "attribute_status": self._status("SetVariables"),
                    "component": item["component"],
                    "variable": item["variable"],
                }
                for item in set_variable_data
            ]
        )

    @on("GetLog")
    def on_get_log(self, **kw: Any) -> Any:
        self._got("GetLog", kw)
        return r201.GetLog(status=self._status("GetLog"), filename="log-0001.tar.gz")

    @on("UpdateFirmware")
    def on_update_firmware(self, **kw: Any) -> Any:
        self._got("UpdateFirmware", kw)
        return r201.UpdateFirmware(status=self._status("UpdateFirmware"))

    @on("SetChargingProfile")
    def on_set_profile(self, **kw: Any) -> Any:
        self._got("SetChargingProfile", kw)
        return r201.SetChargingProfile(status=self._status("SetChargingProfile"))

    @on("ClearChargingProfile")
    def on_clear_profile(self, **kw: Any) -> Any:
        self._got("ClearChargingProfile", kw)
        return r201.ClearChargingProfile(status=self._status("ClearChargingProfile"))

    @on("CertificateSigned")
    def on_certificate_signed(self, **kw: Any) -> Any:
        self._got("CertificateSigned", kw)
        return r201.CertificateSigned(status=self._status("CertificateSigned"))

    @on("SetNetworkProfile")
    def on_set_network_profile(self, **kw: Any) -> Any:
        self._got("SetNetworkProfile", kw)
        return r201.SetNetworkProfile(status=self._status("SetNetworkProfile"))


@contextlib.asynccontextmanager
async def connect_charge_point(
    port: int,
    cp_id: str,
    version: str = "1.6",
    *,
    password: str | None = STATION_KEY,
    cls: type[Any] | None = None,
    tls: ssl.SSLContext | None = None,
    headers: dict[str, str] | None = None,
) -> AsyncIterator[Any]:
    """A real ``ocpp`` charge point connected over loopback; its receive loop runs meanwhile.
    With ``tls``: over ``wss://`` (security profiles 2 and 3); ``password=None`` sends no Basic
    auth (profile 3 presents the client certificate that ``tls`` carries instead).
    ``headers`` are sent with the handshake besides any credentials (``X-Forwarded-For``)."""
    cls = cls or (TestChargePoint16 if version == "1.6" else TestChargePoint201)
    ws: ClientConnection
    async with connect(
        f"{'wss' if tls else 'ws'}://127.0.0.1:{port}/ocpp/{cp_id}",
        subprotocols=[f"ocpp{version}"],  # type: ignore[list-item]
        additional_headers={
            **(basic_auth(cp_id, password) if password is not None else {}),
            **(headers or {}),
        },
        ssl=tls,
        open_timeout=5,
        close_timeout=1,
    ) as ws:
        cp = cls(cp_id, ws)
        cp.websocket = ws
        task = asyncio.create_task(cp.start())
        try:
            yield cp
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


def new_driver_id() -> PydanticObjectId:
    return PydanticObjectId()


async def link_tag(charging: ChargingService, id_tag: str) -> PydanticObjectId:
    """A fake driver with ``id_tag`` linked; returns the driver id."""
    driver_id = new_driver_id()
    await charging.link_id_token(driver_id, id_tag)
    return driver_id
