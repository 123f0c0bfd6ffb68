"""The ``laddnet`` command: serve, operator, station, simulate, export-schema."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import sys
import urllib.request
from collections.abc import Sequence

from pydantic import ValidationError

from domain.common.errors import DomainError, InvalidInput
from laddnet import logs
from laddnet.endpoints import reachable_host
from laddnet.settings import Settings

log = logging.getLogger("laddnet")


def _parse_connector(value: str) -> tuple[int, str, float]:
    """``ID:STANDARD:KW``, e.g. ``1:CCS2:150``."""
    try:
        cid, standard, kw = value.split(":")
        return int(cid), standard, float(kw)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r}: expected ID:STANDARD:KW such as 1:CCS2:150"
        ) from None


def read_secret(prompt: str, field: str) -> str:
    """Prompted for on a terminal; otherwise the first line of standard input (``echo KEY |
    laddnet …``). Nothing to read is a clear error, not a crash."""
    if sys.stdin is not None and sys.stdin.isatty():
        value = getpass.getpass(prompt)
    else:
        line = sys.stdin.readline() if sys.stdin is not None else ""
        value = line.rstrip("\r\n")
    if not value:
        raise InvalidInput(
            f"no {field} given: pass --{field}, type it at the prompt, or pipe it on standard input",
            field=field,
        )
    return value


def healthcheck(settings: Settings) -> int:
    url = f"http://{reachable_host(settings.api_host)}:{settings.api_port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            body = response.read().decode(errors="replace")
            print(f"{url}: {response.status} {body}")
            return 0 if response.status == 200 else 1
    except (OSError, ValueError) as exc:
        print(f"{url}: {exc}", file=sys.stderr)
        return 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="laddnet", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the service (MongoDB, OCPP server, HTTP API)")
    only = serve.add_mutually_exclusive_group()
    only.add_argument("--api-only", action="store_true", help="run only the HTTP/GraphQL API")
    only.add_argument("--ocpp-only", action="store_true", help="run only the OCPP server")
    serve.add_argument("--demo", action="store_true", default=None, help="start a simulated fleet")

    op = sub.add_parser("operator", help="operator accounts").add_subparsers(
        dest="operator_command", required=True
    )
    create = op.add_parser("create", help="create an organisation and its admin operator")
    create.add_argument("--org", required=True, help="organisation name")
    create.add_argument("--email", required=True)
    create.add_argument("--password", help="(prompted for when left out)")

    st = sub.add_parser("station", help="stations").add_subparsers(
        dest="station_command", required=True
    )
    add = st.add_parser("add", help="register a station from the shell")
    add.add_argument("--org", required=True, help="organisation name")
    add.add_argument("--site", required=True, help="site name (created when missing)")
    add.add_argument("--id", required=True, dest="charge_point_id", help="chargePointId")
    add.add_argument("--name", help="display name (default: the id)")
    add.add_argument("--password", help="OCPP Basic-auth key, 16-40 characters (prompted)")
    add.add_argument(
        "--connector",
        action="append",
        type=_parse_connector,
        help="ID:STANDARD:KW, repeatable (default 1:TYPE2:22)",
    )
    add.add_argument("--lat", type=float, help="latitude (for a new site, or the station)")
    add.add_argument("--lon", type=float, help="longitude")
    add.add_argument("--timezone", default="Europe/Stockholm", help="IANA timezone of a new site")
    add.add_argument("--address", default="", help="address of a new site")

    from simulator.cli import add_simulate_parser

    simulate = add_simulate_parser(sub)
    simulate.set_defaults(url=None)  # the running server's OCPP address, else the configured one
    simulate.add_argument(
        "--register",
        action="store_true",
        help="first register the stations PREFIX0001… with --password in laddnet's database "
        "(an organisation's site; existing ones with that password are kept)",
    )
    simulate.add_argument(
        "--org", help="with --register: organisation name (default: the only one)"
    )
    simulate.add_argument(
        "--site", default="Simulated stations", help="with --register: site name (made if missing)"
    )
    simulate.add_argument(
        "--timezone", default="Europe/Stockholm", help="with --register: a new site's time zone"
    )

    from laddnet.report_cli import add_report_parser

    add_report_parser(sub)

    sub.add_parser(
        "healthcheck",
        help="exit 0 when the API on this machine (LADDNET_API_PORT) answers /healthz ok "
        "(the container's health check)",
    )
    sub.add_parser("export-schema", help="print the GraphQL schema (SDL)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as exc:
        for err in exc.errors():
            name = "LADDNET_" + "_".join(str(p) for p in err["loc"]).upper()
            message = str(err["msg"]).removeprefix("Value error, ")
            print(f"error: INVALID_SETTING ({name}): {message}", file=sys.stderr)
        return 2
    logs.configure(settings.log_level, settings.log_json)
    try:
        if args.command == "serve":
            from laddnet.serve import serve

            if args.demo is not None:
                settings = settings.model_copy(update={"demo": args.demo})
            return asyncio.run(serve(settings, api=not args.ocpp_only, ocpp=not args.api_only))
        if args.command == "operator":
            from laddnet.admin import create_operator

            password = args.password or read_secret("Password: ", "password")
            return asyncio.run(create_operator(settings, args.org, args.email, password))
        if args.command == "station":
            from laddnet.admin import add_station

            password = args.password or read_secret("Station key (16-40 chars): ", "password")
            return asyncio.run(add_station(settings, args, password))
        if args.command == "simulate":
            from laddnet.admin import prepare_simulation
            from simulator.cli import run_simulate

            asyncio.run(prepare_simulation(settings, args))
            return asyncio.run(run_simulate(args)) or 0
        if args.command == "report":
            from laddnet.report_cli import run_report

            return asyncio.run(run_report(args, settings))
        if args.command == "healthcheck":
            return healthcheck(settings)
        if args.command == "export-schema":
            from api.schema_export import export_schema

            sys.stdout.write(export_schema())
            return 0
    except DomainError as exc:
        where = f" ({exc.field})" if exc.field else ""
        print(f"error: {exc.code}{where}: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
