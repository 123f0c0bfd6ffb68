"""Typed errors of the simulator's control API (what a caller asked for cannot be done)."""

from __future__ import annotations


class SimulatorError(Exception):
    """Base of every error the control API raises; ``code`` is stable."""

    code = "simulator_error"


class UnknownConnector(SimulatorError):
    code = "unknown_connector"


class ConnectorBusy(SimulatorError):
    """The connector has a session, is faulted or is unavailable."""

    code = "connector_busy"


class NoSession(SimulatorError):
    code = "no_session"


class NotConnected(SimulatorError):
    """The station is not connected and booted, so it cannot talk to the CSMS."""

    code = "not_connected"


class AuthorizationRejected(SimulatorError):
    """The CSMS did not accept the id tag (Authorize or StartTransaction)."""

    code = "authorization_rejected"


class CsmsError(SimulatorError):
    """The CSMS answered a call with a CALLERROR, or not in time."""

    code = "csms_error"
