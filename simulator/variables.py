"""A station's configuration, readable as 1.6 keys and as 2.0.1 component/variable pairs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(slots=True)
class Variable:
    key: str  # OCPP 1.6 configuration key
    component: str | None  # OCPP 2.0.1 component (None: 1.6 only)
    name: str | None  # OCPP 2.0.1 variable
    value: str
    readonly: bool = False
    kind: str = "str"  # "int" (positive), "bool", "str"


def _valid(kind: str, value: str) -> bool:
    if kind == "int":
        try:
            return int(value) > 0
        except ValueError:
            return False
    if kind == "bool":
        return value.lower() in ("true", "false")
    return len(value) <= 500


class DeviceConfig:
    """Values a CSMS can read and write; ``on_change`` tells the station a writable value changed."""

    def __init__(self, variables: list[Variable], on_change: Callable[[str, str], None]) -> None:
        self._by_key = {v.key: v for v in variables}
        self._by_pair = {(v.component, v.name): v for v in variables if v.component}
        self._components = {v.component for v in variables if v.component}
        self._on_change = on_change

    def items(self) -> list[Variable]:
        return list(self._by_key.values())

    def get(self, key: str) -> Variable | None:
        return self._by_key.get(key)

    def set_value(self, key: str, value: str) -> str:
        """1.6 ChangeConfiguration: Accepted, Rejected (read-only or bad value) or NotSupported."""
        var = self._by_key.get(key)
        if var is None:
            return "NotSupported"
        if var.readonly or not _valid(var.kind, value):
            return "Rejected"
        var.value = value
        self._on_change(var.key, value)
        return "Accepted"

    def lookup(self, component: str, name: str) -> tuple[str, Variable | None]:
        """2.0.1: ("Accepted", var), ("UnknownComponent", None) or ("UnknownVariable", None)."""
        if component not in self._components:
            return "UnknownComponent", None
        var = self._by_pair.get((component, name))
        if var is None:
            return "UnknownVariable", None
        return "Accepted", var


def default_variables(
    charge_point_id: str, connectors: int, heartbeat_s: float, meter_s: float
) -> list[Variable]:
    measurands = (
        "Energy.Active.Import.Register,Power.Active.Import,Power.Offered,Current.Import,"
        "Voltage,Temperature,SoC"
    )
    return [
        Variable("HeartbeatInterval", "OCPPCommCtrlr", "HeartbeatInterval", _secs(heartbeat_s), kind="int"),
        Variable("MeterValueSampleInterval", "SampledDataCtrlr", "TxUpdatedInterval", _secs(meter_s), kind="int"),
        Variable("MeterValuesSampledData", "SampledDataCtrlr", "TxUpdatedMeasurands", measurands),
        Variable("ConnectionTimeOut", "TxCtrlr", "EVConnectionTimeOut", "60", kind="int"),
        Variable("AuthorizeRemoteTxRequests", "AuthCtrlr", "AuthorizeRemoteStart", "false", kind="bool"),
        Variable("LocalAuthorizeOffline", "AuthCtrlr", "LocalAuthorizeOffline", "false", kind="bool"),
        Variable("WebSocketPingInterval", "OCPPCommCtrlr", "WebSocketPingInterval", "20", kind="int"),
        Variable("ChargeProfileMaxStackLevel", "SmartChargingCtrlr", "ProfileStackLevel", "8", readonly=True),
        Variable("NumberOfConnectors", None, None, str(connectors), readonly=True),
        Variable(
            "SupportedFeatureProfiles", None, None,
            "Core,FirmwareManagement,RemoteTrigger,SmartCharging", readonly=True,
        ),
        Variable("Identity", "SecurityCtrlr", "Identity", charge_point_id, readonly=True),
    ]  # fmt: skip


def _secs(value: float) -> str:
    return str(max(1, round(value)))
