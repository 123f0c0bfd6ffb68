"""An OCPP 1.6J station boots, authorises, charges with meter values and stops, end to end."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from ocpp.v16 import call

from domain.charging.events import SessionUpdated, StationTelemetryUpdated
from domain.charging.state import SessionStatus
from domain.network import repository as network_repo
from tests.factories.charging import connect_charge_point, link_tag
from tests.factories.network import create_station
from tests.ocpp_server.conftest import Csms


def ts(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def sv(value: str, measurand: str, unit: str, **extra: str) -> dict[str, str]:
    return {
        "value": value,
        "measurand": measurand,
        "unit": unit,
        "context": "Sample.Periodic",
        **extra,
    }


async def test_a_16_station_boots_authorises_charges_and_stops(csms: Csms) -> None:
    station = await create_station(csms.network, csms.site.org_id, csms.site.id)
    driver_id = await link_tag(csms.charging, "TAG-16")
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
    async with csms.events.subscribe(lambda e: e.station_id == str(station.id)) as events:
        async with connect_charge_point(csms.port, station.charge_point_id, "1.6") as cp:
            boot = await cp.call(
                call.BootNotification(
                    charge_point_vendor="Laddco", charge_point_model="L2", firmware_version="1.2.3"
                )
            )
            assert (boot.status, boot.interval) == ("Accepted", 60)
            stored = await network_repo.get_station(station.id)
            assert stored is not None and stored.online and stored.vendor == "Laddco"
            assert stored.ocpp_version == "1.6" and stored.firmware_version == "1.2.3"
            assert (await cp.call(call.Heartbeat())).current_time

            await cp.call(
                call.StatusNotification(
                    connector_id=1, error_code="NoError", status="Preparing", timestamp=ts(t0)
                )
            )
            assert (await cp.call(call.Authorize(id_tag="TAG-16"))).id_tag_info[
                "status"
            ] == "Accepted"
            assert (await cp.call(call.Authorize(id_tag="NOBODY"))).id_tag_info[
                "status"
            ] == "Invalid"

            start = await cp.call(
                call.StartTransaction(
                    connector_id=1, id_tag="TAG-16", meter_start=10_000, timestamp=ts(t0)
                )
            )
            assert start.id_tag_info["status"] == "Accepted"
            tx = start.transaction_id
            assert isinstance(tx, int)
            await cp.call(
                call.StatusNotification(
                    connector_id=1,
                    error_code="NoError",
                    status="Charging",
                    timestamp=ts(t0 + timedelta(seconds=5)),
                )
            )
            t1 = t0 + timedelta(minutes=10)
            await cp.call(
                call.MeterValues(
                    connector_id=1,
                    transaction_id=tx,
                    meter_value=[
                        {
                            "timestamp": ts(t1),
                            "sampledValue": [
                                sv(
                                    "13.5",
                                    "Energy.Active.Import.Register",
                                    "kWh",
                                    location="Outlet",
                                ),
                                sv("21.0", "Power.Active.Import", "kW"),
                                sv("31.8", "Current.Import", "A", phase="L1"),
                                sv("32.2", "Current.Import", "A", phase="L2"),
                                sv("232", "Voltage", "V", phase="L1-N"),
                                sv("41.5", "Temperature", "Celsius", location="Body"),
                                sv("55", "SoC", "Percent", location="EV"),
                                sv("22000", "Power.Offered", "W"),
                            ],
                        }
                    ],
                )
            )
            session = await csms.charging.store.session_by_transaction(station.id, str(tx))
            assert session is not None
            assert session.status is SessionStatus.CHARGING
            assert (session.energy_wh, session.last_power_w) == (3_500, 21_000.0)
            assert session.driver_id == driver_id

            t2 = t0 + timedelta(minutes=20)
            stop = await cp.call(
                call.StopTransaction(
                    meter_stop=15_250,
                    timestamp=ts(t2),
                    transaction_id=tx,
                    reason="EVDisconnected",
                    id_tag="TAG-16",
                    transaction_data=[
                        {
                            "timestamp": ts(t2),
                            "sampledValue": [
                                {
                                    "value": "15250",
                                    "context": "Transaction.End",
                                    "measurand": "Energy.Active.Import.Register",
                                    "unit": "Wh",
                                }
                            ],
                        }
                    ],
                )
            )
            assert stop.id_tag_info["status"] == "Accepted"
        seen = []
        while True:
            event = await events.__anext__()
            seen.append(event)
            if isinstance(event, SessionUpdated) and event.status == "ENDED":
                break

    session = await csms.charging.store.session_by_transaction(station.id, str(tx))
    assert session is not None
    assert session.status is SessionStatus.ENDED
    assert (session.meter_start_wh, session.last_meter_wh, session.energy_wh) == (
        10_000,
        15_250,
        5_250,
    )
    assert session.ended_at == t2 and session.started_at == t0
    assert session.stop_reason == "EVDisconnected"
    assert session.max_power_w == 21_000.0
    assert session.connector_lock is None and session.flags == []

    samples = await csms.charging.store.samples_for_transaction(station.id, str(tx))
    assert len(samples) == 9
    energy = [s for s in samples if s.measurand == "Energy.Active.Import.Register"]
    assert [(s.value, s.unit) for s in energy] == [(13_500.0, "Wh"), (15_250.0, "Wh")]

    rows = await csms.charging.telemetry(station.id, t0, t2 + timedelta(seconds=1))
    row = next(r for r in rows if r.at == t1)
    assert row.connector_id == 1
    assert (row.energy_wh, row.power_w, row.current_a, row.voltage_v) == (
        13_500,
        21_000.0,
        32.0,
        232.0,
    )
    assert (row.temperature_c, row.soc_percent) == (41.5, 55.0)

    telemetry = [e for e in seen if isinstance(e, StationTelemetryUpdated)]
    assert telemetry and telemetry[0].temperature_c == 41.5 and telemetry[0].energy_wh == 13_500
    for _ in range(100):  # the server notices the close a moment after the client
        stored = await network_repo.get_station(station.id)
        if stored is not None and not stored.online:
            break
        await asyncio.sleep(0.02)
    assert stored is not None and not stored.online  # disconnected at the end
    history = await csms.network.status_history(stored, t0 - timedelta(minutes=1), t2)
    assert [i.status.value for i in history if i.connector_id == 1] == ["Preparing", "Charging"]


async def test_registration_status_vendor_messages_and_status_reports_16(csms: Csms) -> None:
    from domain.diagnostics.models import StationReport
    from domain.network.models import RegistrationStatus, Station

    pending = await create_station(csms.network, csms.site.org_id, csms.site.id)
    rejected = await create_station(csms.network, csms.site.org_id, csms.site.id)
    for station, registration in [
        (pending, RegistrationStatus.PENDING),
        (rejected, RegistrationStatus.REJECTED),
    ]:
        await Station.get_pymongo_collection().update_one(
            {"_id": station.id}, {"$set": {"registration": registration.value}}
        )
        async with connect_charge_point(csms.port, station.charge_point_id, "1.6") as cp:
            boot = await cp.call(
                call.BootNotification(charge_point_vendor="V", charge_point_model="M")
            )
            assert (boot.status, boot.interval) == (registration.value, 60)

    long_ago = datetime(2025, 1, 1, tzinfo=UTC)
    async with connect_charge_point(csms.port, pending.charge_point_id, "1.6") as cp:
        # connecting counts as seen; pretend that was long ago: any message (not only a
        # Heartbeat) shows the station alive
        await Station.get_pymongo_collection().update_one(
            {"_id": pending.id}, {"$set": {"last_seen_at": long_ago}}
        )
        answer = await cp.call(
            call.DataTransfer(vendor_id="com.example", message_id="x", data="{}")
        )
        assert answer.status == "UnknownVendorId"
        await cp.call(call.DiagnosticsStatusNotification(status="Uploading"))
        await cp.call(call.FirmwareStatusNotification(status="Downloaded"))
        seen = await network_repo.get_station(pending.id)
        assert seen is not None and seen.last_seen_at is not None and seen.last_seen_at > long_ago
    kinds = {
        (r.kind, r.status) for r in await StationReport.find({"station_id": pending.id}).to_list()
    }
    assert kinds == {
        ("DataTransfer", None),
        ("DiagnosticsStatus", "Uploading"),
        ("FirmwareStatus", "Downloaded"),
    }
