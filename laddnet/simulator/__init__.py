"""A fleet of simulated OCPP 1.6J / 2.0.1 charge points (``laddnet simulate``, demo mode, benchmark)."""

from laddnet.simulator.config import SimStationConfig, build_station_configs
from laddnet.simulator.errors import (
    AuthorizationRejected,
    ConnectorBusy,
    NoSession,
    NotConnected,
    SimulatorError,
    UnknownConnector,
)
from laddnet.simulator.fleet import Fleet
from laddnet.simulator.station import SimStation
from laddnet.simulator.stats import FleetStats

__all__ = [
    "AuthorizationRejected",
    "ConnectorBusy",
    "Fleet",
    "FleetStats",
    "NoSession",
    "NotConnected",
    "SimStation",
    "SimStationConfig",
    "SimulatorError",
    "UnknownConnector",
    "build_station_configs",
]
