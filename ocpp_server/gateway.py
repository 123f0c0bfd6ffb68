"""The StationGateway of this node: a domain command, in the station's OCPP version, over its
live connection. Called from API tasks, never from inside an ``@on`` handler."""

from __future__ import annotations

import logging
from typing import Any

import ocpp.exceptions
from websockets.exceptions import ConnectionClosed

from domain.charging.commands import CommandResult, CommandStatus, StationCommand
from ocpp_server import commands_v16, commands_v201
from ocpp_server.registry import ConnectionRegistry

log = logging.getLogger(__name__)


class OcppGateway:
    def __init__(self, registry: ConnectionRegistry) -> None:
        self.registry = registry

    async def send(self, charge_point_id: str, command: StationCommand) -> CommandResult:
        connection = self.registry.get(charge_point_id)
        if connection is None:
            return CommandResult(CommandStatus.OFFLINE, "the station is not connected")
        name = type(command).__name__
        builder = commands_v16.build if connection.ocpp_version == "1.6" else commands_v201.build
        try:
            payload, interpret = builder(command)
        except NotImplementedError as exc:  # the station's OCPP version has no such message
            return CommandResult(CommandStatus.NOT_SUPPORTED, str(exc))
        except (ValueError, KeyError, TypeError) as exc:
            return CommandResult(CommandStatus.FAILED, f"cannot express {name}: {exc}")
        try:
            response: Any = await connection.handler.call(payload, suppress=False)
        except TimeoutError:
            log.warning("%s: %s timed out", charge_point_id, name)
            return CommandResult(CommandStatus.TIMED_OUT, "the station did not answer in time")
        except ConnectionClosed:
            return CommandResult(CommandStatus.OFFLINE, "the station disconnected")
        except ocpp.exceptions.OCPPError as exc:
            code = getattr(exc, "code", "CallError")
            log.warning("%s: %s answered with %s", charge_point_id, name, code)
            return CommandResult(CommandStatus.FAILED, f"{code}: {exc.description}")
        except (ocpp.exceptions.UnknownCallErrorCodeError, ocpp.exceptions.ValidationError) as exc:
            return CommandResult(CommandStatus.FAILED, str(exc))
        try:
            return interpret(response)
        except Exception:
            log.exception("%s: unexpected answer to %s: %r", charge_point_id, name, response)
            return CommandResult(CommandStatus.FAILED, "the station's answer was not understood")
