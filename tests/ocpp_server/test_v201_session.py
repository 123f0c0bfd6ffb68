"""An OCPP 2.0.1 station boots, authorises, charges (TransactionEvent) and stops, end to end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from ocpp.v201 import call

from domain.charging.state import SessionStatus
from domain.diagnostics import report_repository as report_repo
from domain.network import repository as network_repo
from tests.factories.charging import connect_charge_point, link_tag
from tests.factories.network import create_station
from tests.ocpp_server.conftest import Csms


def ts(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def meter(t: datetime, wh: float, w: float, context: str = "Sample.Periodic") -> dict[str, Any]:
    return {
        "timestamp": ts(t),
        "sampled_value": [
            {
                "value": wh / 1000,
                "measurand": "Energy.Active.Import.Register",
                "context": context,
                "unit_of_measure": {"unit": "kWh"},
            },
            {"value": w, "measurand": "Power.Active.Import", "context": context},
            {"value": 230.0, "measurand": "Voltage", "context": context},
        ],
    }


def event(
    kind: str, t: datetime, seq: int, state: str | None, mv: list[dict[str, Any]], **kw: Any
) -> call.TransactionEvent:
    info: dict[str, Any] = {"transaction_id": "TX-201-A"}
    if state:
        info["charging_state"] = state
    info.update(kw.pop("info", {}))
    return call.TransactionEvent(
        event_type=kind,
        timestamp=ts(t),
        trigger_reason=kw.pop("trigger", "MeterValuePeriodic"),
        seq_no=seq,
        transaction_info=info,
        meter_value=mv,
        **kw,
    )


async def test_a_201_station_boots_authorises_charges_and_stops(csms: Csms) -> None:
    station = await create_station(csms.network, csms.site.org_id, csms.site.id)
    driver_id = await link_tag(csms.charging, "TAG-201")
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=40)
    async with connect_charge_point(csms.port, station.charge_point_id, "2.0.1") as cp:
        boot = await cp.call(
            call.BootNotification(
                charging_station={"model": "Wallbox X", "vendor_name": "Laddco"}, reason="PowerUp"
            )
        )
        assert (boot.status, boot.interval) == ("Accepted", 60)
        await cp.call(call.Heartbeat())
        await cp.call(
            call.StatusNotification(
                timestamp=ts(t0), connector_status="Occupied", evse_id=1, connector_id=1
            )
        )
        auth = await cp.call(call.Authorize(id_token={"id_token": "TAG-201", "type": "ISO14443"}))
        assert auth.id_token_info["status"] == "Accepted"
        started = await cp.call(
            event(
                "Started",
                t0,
                0,
                "EVConnected",
                [meter(t0, 2_000, 0, "Transaction.Begin")],
                trigger="Authorized",
                evse={"id": 1, "connector_id": 1},
                id_token={"id_token": "TAG-201", "type": "ISO14443"},
            )
        )
        assert started.id_token_info["status"] == "Accepted"
        t1 = t0 + timedelta(minutes=15)
        await cp.call(event("Updated", t1, 1, "Charging", [meter(t1, 9_000, 11_000)]))
        session = await csms.charging.store.session_by_transaction(station.id, "TX-201-A")
        assert session is not None and session.status is SessionStatus.CHARGING
        assert (session.energy_wh, session.last_power_w) == (7_000, 11_000.0)
        await cp.call(
            call.MeterValues(
                evse_id=1, meter_value=[meter(t1 + timedelta(minutes=1), 9_200, 10_500)]
            )
        )
        t2 = t0 + timedelta(minutes=30)
        await cp.call(
            event(
                "Ended",
                t2,
                2,
                "EVConnected",
                [meter(t2, 12_000, 0, "Transaction.End")],
                trigger="EVDeparted",
                info={"stopped_reason": "EVDisconnected"},
            )
        )
        for kind, req in [
            (
                "NotifyReport",
                call.NotifyReport(request_id=7, generated_at=ts(t2), seq_no=0, tbc=False),
            ),
            (
                "NotifyEvent",
                call.NotifyEvent(
                    generated_at=ts(t2),
                    seq_no=0,
                    event_data=[
                        {
                            "event_id": 1,
                            "timestamp": ts(t2),
                            "trigger": "Alerting",
                            "actual_value": "81",
                            "event_notification_type": "HardWiredNotification",
                            "component": {"name": "EVSE"},
                            "variable": {"name": "Temperature"},
                        }
                    ],
                ),
            ),
            (
                "SecurityEvent",
                call.SecurityEventNotification(type="TamperDetectionActivated", timestamp=ts(t2)),
            ),
            ("LogStatus", call.LogStatusNotification(status="Uploaded", request_id=3)),
            ("FirmwareStatus", call.FirmwareStatusNotification(status="Installed", request_id=4)),
        ]:
            await cp.call(req)
            reports = await report_repo.reports_for_station(station.id, kind)
            assert len(reports) == 1, kind

    session = await csms.charging.store.session_by_transaction(station.id, "TX-201-A")
    assert session is not None
    assert session.status is SessionStatus.ENDED and session.ocpp_version == "2.0.1"
    assert (session.meter_start_wh, session.energy_wh, session.max_power_w) == (
        2_000,
        10_000,
        11_000.0,
    )
    assert (session.started_at, session.ended_at) == (t0, t2)
    assert session.stop_reason == "EVDisconnected" and session.driver_id == driver_id
    assert session.last_seq_no == 2 and session.flags == []
    assert session.evse_id == 1 and session.connector_id == 1
    samples = await csms.charging.store.samples_for_transaction(station.id, "TX-201-A")
    assert len(samples) == 9 + 3  # 3 events + MeterValues (tied to the running session)
    stored = await network_repo.get_station(station.id)
    assert stored is not None and stored.ocpp_version == "2.0.1" and stored.model == "Wallbox X"
    logs = await report_repo.reports_for_station(station.id, "LogStatus")
    assert (logs[0].status, logs[0].request_id) == ("Uploaded", 3)
