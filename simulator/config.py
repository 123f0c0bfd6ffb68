"""What one simulated station is: identity, credentials, connectors, rated power."""

from __future__ import annotations

from dataclasses import dataclass

VENDOR = "laddnet-sim"  # chargePointVendor / vendorName in BootNotification
DEFAULT_ID_TAG = "SIMTAG0001"
AC_POWER_W = 22_000
DC_POWER_W = 150_000


@dataclass(frozen=True, slots=True)
class SimStationConfig:
    charge_point_id: str
    password: str
    connectors: int = 2
    id_tag: str = DEFAULT_ID_TAG
    dc: bool = False
    max_power_w: int = AC_POWER_W
    model: str = ""
    serial_number: str = ""
    firmware_version: str = "1.0.0"

    def __post_init__(self) -> None:
        if not self.charge_point_id or "/" in self.charge_point_id:
            raise ValueError(f"invalid charge point id {self.charge_point_id!r}")
        if not 1 <= self.connectors <= 16:
            raise ValueError(f"connectors must be 1..16, got {self.connectors}")
        if self.max_power_w <= 0:
            raise ValueError(f"max_power_w must be positive, got {self.max_power_w}")
        if not self.id_tag or len(self.id_tag) > 20:
            raise ValueError("id_tag must be 1..20 characters (OCPP 1.6 CiString20)")

    @property
    def model_name(self) -> str:
        return self.model or ("SIM-DC-%dkW" if self.dc else "SIM-AC-%dkW") % (
            self.max_power_w // 1000
        )

    @property
    def serial(self) -> str:
        return self.serial_number or f"SN-{self.charge_point_id}"

    @property
    def connector_standard(self) -> str:
        """The plug a registry would record for these connectors (CCS2 for DC, Type 2 for AC)."""
        return "CCS2" if self.dc else "TYPE2"


def station_id(prefix: str, index: int) -> str:
    """The id of the ``index``-th (1-based) station of a fleet: ``SIM-0001``."""
    return f"{prefix}{index:04d}"


def build_station_configs(
    count: int,
    prefix: str,
    password: str,
    *,
    connectors: int = 2,
    id_tag: str = DEFAULT_ID_TAG,
    dc_every: int = 4,
) -> list[SimStationConfig]:
    """A deterministic fleet: every ``dc_every``-th station is a 150 kW DC charger, the rest 22 kW AC.

    The composition root registers exactly these ids, connectors and powers on the CSMS before
    starting the fleet (``connector_standard`` and ``max_power_w`` give the connector records).
    """
    if count < 0:
        raise ValueError("count cannot be negative")
    configs = []
    for i in range(1, count + 1):
        dc = dc_every > 0 and i % dc_every == 0
        configs.append(
            SimStationConfig(
                charge_point_id=station_id(prefix, i),
                password=password,
                connectors=connectors,
                id_tag=id_tag,
                dc=dc,
                max_power_w=DC_POWER_W if dc else AC_POWER_W,
            )
        )
    return configs
