"""A fleet of simulated OCPP 1.6J / 2.0.1 charge points (``laddnet simulate``, demo mode, benchmark)."""

from simulator.config import SimStationConfig, build_station_configs
from simulator.errors import (
    AuthorizationRejected,
    ConnectorBusy,
    NoSession,
    NotConnected,
    SimulatorError,
    UnknownConnector,
)
from simulator.fleet import Fleet
from simulator.station import SimStation
from simulator.stats import FleetStats

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
