"""The version-neutral state of a simulated station's connectors and sessions (no I/O).

Status names follow OCPP 1.6 (Available, Preparing, Charging, SuspendedEV, Finishing,
Unavailable, Faulted); the 2.0.1 adapter maps them onto its smaller vocabulary.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime

from simulator import physics

NO_ERROR = "NoError"
HIGH_TEMPERATURE = "HighTemperature"
# Temperature falls back below this before the HighTemperature warning clears (hysteresis).
HIGH_TEMPERATURE_CLEAR_C = 70.0
ACTIVE_STATUSES = frozenset({"Preparing", "Charging", "SuspendedEV", "SuspendedEVSE", "Finishing"})


@dataclass(slots=True)
class Session:
    id_tag: str
    started_at: datetime
    meter_start_wh: int
    battery_wh: float
    soc: float
    transaction_id: int | str | None = None
    remote_start_id: int | None = None
    planned_end: float | None = None  # loop time when auto-charge ends it


@dataclass(frozen=True, slots=True)
class MeterSample:
    timestamp: datetime
    energy_wh: int
    power_w: float
    offered_w: float
    currents_a: tuple[float, ...]  # L1, L2, L3 for AC; one DC value
    voltages_v: tuple[float, ...]  # L1-N, L2-N, L3-N for AC; the DC pack voltage
    temperature_c: float
    soc: float | None  # DC only: an AC charger does not know the vehicle's state of charge
    dc: bool


@dataclass(slots=True)
class ConnectorModel:
    connector_id: int
    dc: bool
    max_power_w: float
    thermal_time_constant_s: float
    energy_wh: float = 0.0  # lifetime import register
    temperature_c: float = physics.AMBIENT_C
    power_w: float = 0.0
    status: str = "Available"
    error_code: str = NO_ERROR
    operative: bool = True
    pending_inoperative: bool = False
    faulted: bool = False
    overheating: bool = False
    limit_w: float | None = None
    reported_temperature_c: float | None = None  # last value sent as a 2.0.1 Delta event
    session: Session | None = None
    last_time: float | None = field(default=None)

    @property
    def is_idle(self) -> bool:
        return (
            self.session is None
            and self.operative
            and not self.faulted
            and self.status not in ACTIVE_STATUSES
        )

    def settled_status(self) -> str:
        """Where the connector rests without a session."""
        if self.faulted:
            return "Faulted"
        if not self.operative:
            return "Unavailable"
        return "Available"

    def advance(self, now: float, wall: datetime, rng: random.Random) -> MeterSample:
        """Integrate power, energy, state of charge and heat from the last call up to ``now``."""
        dt = 0.0 if self.last_time is None else max(0.0, now - self.last_time)
        self.last_time = now
        session = self.session
        charging = session is not None and self.status in ("Charging", "SuspendedEV")
        if charging and session is not None:
            added = physics.energy_wh(self.power_w, dt)
            self.energy_wh += added
            session.soc = physics.soc_after(session.soc, added, session.battery_wh)
            self.power_w = physics.delivered_power_w(
                session.soc, self.max_power_w, self.dc, self.limit_w, self.temperature_c
            )
        else:
            self.power_w = 0.0
        target = physics.target_temperature_c(
            self.power_w, self.max_power_w, self.dc, self.overheating
        )
        self.temperature_c = physics.temperature_step(
            self.temperature_c, target, dt, self.thermal_time_constant_s
        )
        if self.dc:
            volts = physics.dc_pack_voltage_v(session.soc if session else 0.0)
            voltages: tuple[float, ...] = (volts,)
            currents: tuple[float, ...] = (physics.dc_current_a(self.power_w, volts),)
        else:
            voltages = physics.phase_voltages_v(rng)
            currents = physics.phase_currents_a(self.power_w, voltages)
        return MeterSample(
            timestamp=wall,
            energy_wh=int(self.energy_wh),
            power_w=self.power_w,
            offered_w=physics.offered_power_w(self.max_power_w, self.limit_w),
            currents_a=currents,
            voltages_v=voltages,
            temperature_c=self.temperature_c,
            soc=(session.soc if session else None) if self.dc else None,
            dc=self.dc,
        )

    def temperature_warning_changed(self) -> bool:
        """Set or clear the HighTemperature error code; True when it changed."""
        hot = self.temperature_c > physics.HIGH_TEMPERATURE_C
        if hot and self.error_code == NO_ERROR:
            self.error_code = HIGH_TEMPERATURE
            return True
        if (
            self.error_code == HIGH_TEMPERATURE
            and self.temperature_c < HIGH_TEMPERATURE_CLEAR_C
            and not self.faulted
        ):
            self.error_code = NO_ERROR
            return True
        return False
