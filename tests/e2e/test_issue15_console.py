"""Done when (issue 15): the operator console, in a real headless Chromium against laddnet in its
production wiring, with charge points of the ``ocpp`` library over loopback. An operator signs in,
watches a station come online and its power change live, acknowledges an overheating alert a
station raises, starts and stops a session remotely and sees it end, opens the revenue report and
downloads its CSV; a viewer sees no actions, and the API refuses them. Each page's screenshot is
written to test-artifacts/console/."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from ocpp.v16 import call as call16
from ocpp.v201 import call as call201
from playwright.async_api import Browser, Page, expect

from domain.common.clock import utcnow
from tests.e2e.browser import browser, new_page, shot, sign_in
from tests.e2e.conftest import Laddnet
from tests.e2e.ops import OPS, create_site, register_station, ts
from tests.factories.charging import connect_charge_point
from tests.factories.identity import PASSWORD, unique_email

__all__ = ["browser"]  # the fixture, used by name


async def organisation(app: Laddnet) -> tuple[str, str, str]:
    """A fresh organisation: (org id, its admin's email, the admin's token)."""
    email = unique_email("console-admin")
    org, _ = await app.container.identity.create_organisation_with_admin(
        f"Console Org {uuid.uuid4().hex[:6]}", email, PASSWORD
    )
    return str(org.id), email, await app.sign_in(email)


async def viewer_of(app: Laddnet, org_id: str) -> str:
    from beanie import PydanticObjectId

    from domain.identity.models import OperatorRole

    email = unique_email("console-viewer")
    await app.container.identity.create_operator(
        PydanticObjectId(org_id), email, PASSWORD, role=OperatorRole.VIEWER
    )
    return email


async def until(check: Any, what: str, within: float = 5.0) -> Any:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"{what} did not happen within {within}s")


def sv(value: str, measurand: str, unit: str, **extra: str) -> dict[str, str]:
    return {"value": value, "measurand": measurand, "unit": unit, **extra}


async def meter16(cp: Any, power_kw: float, energy_kwh: float, temp: float = 31.0) -> None:
    await cp.call(
        call16.MeterValues(
            connector_id=1,
            meter_value=[
                {
                    "timestamp": ts(utcnow()),
                    "sampled_value": [
                        sv(f"{energy_kwh:.3f}", "Energy.Active.Import.Register", "kWh"),
                        sv(f"{power_kw:.1f}", "Power.Active.Import", "kW"),
                        sv(f"{power_kw * 1000 / 400 / 1.732:.1f}", "Current.Import", "A"),
                        sv("400", "Voltage", "V"),
                        sv(f"{temp:.1f}", "Temperature", "Celsius", location="Body"),
                    ],
                }
            ],
        )
    )


async def settled(app: Laddnet, quiet: float = 0.3) -> int:
    """The event bus's subscriber count once it has not changed for ``quiet`` seconds (pages and
    tests before this one leave their subscriptions asynchronously)."""
    count, since = app.events.subscriber_count, time.monotonic()
    deadline = since + 10
    while time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        now = app.events.subscriber_count
        if now != count:
            count, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return count
    raise AssertionError("the subscriptions never settled")


async def page_subscribed(app: Laddnet, base: int, held: int) -> None:
    """The page's ``held`` subscriptions have reached the event bus (and no earlier page's)."""
    await until(lambda: app.events.subscriber_count == base + held, "the page's subscriptions")


def assert_no_page_errors(page: Page) -> None:
    errors = page.errors  # type: ignore[attr-defined]
    assert errors == [], errors


async def test_an_operator_signs_in_and_watches_a_station_come_online_and_draw_power(
    laddnet: Laddnet, browser: Browser
) -> None:
    app = laddnet
    _, email, admin = await organisation(app)
    site_id = await create_site(app, admin)
    cp_id = f"CON-{uuid.uuid4().hex[:6].upper()}"
    station_id = await register_station(app, admin, site_id, cp_id)

    page = await new_page(browser, app.api_base)
    await page.goto("/")
    await shot(page, "01-sign-in")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill("not-the-password")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("alert")).to_contain_text("UNAUTHENTICATED")
    await shot(page, "01-sign-in-refused")

    base = await settled(app)
    await sign_in(page, email, PASSWORD)
    row = page.locator(f"tr[data-station-id='{station_id}']")
    await expect(row.locator("[data-field=online]")).to_have_text("Offline")
    await expect(page.locator("#live")).to_have_text("Live")
    await page_subscribed(app, base, 2)  # stationEvents and alertFeed

    async with connect_charge_point(app.ocpp_port, cp_id, "1.6") as cp:
        await cp.call(
            call16.BootNotification(charge_point_vendor="Laddco", charge_point_model="L50")
        )
        await expect(row.locator("[data-field=online]")).to_have_text("Online")
        await cp.call(
            call16.StatusNotification(
                connector_id=1, error_code="NoError", status="Charging", timestamp=ts(utcnow())
            )
        )
        await expect(row.locator("[data-field=connectors]")).to_contain_text("1: Charging")
        await meter16(cp, 7.4, 10.0)
        await expect(row.locator("[data-field=power]")).to_have_text("7.4 kW")
        await meter16(cp, 11.0, 10.5, temp=36.5)
        await expect(row.locator("[data-field=power]")).to_have_text("11.0 kW")
        await expect(row.locator("[data-field=temperature]")).to_have_text("36.5 °C")
        await expect(page.locator("[data-tile=online] .tile-value")).to_have_text("1 of 1")
        await shot(page, "02-network-overview")

        # filters apply at once: an offline-only view hides the station
        await page.get_by_label("Health").select_option("OFFLINE")
        await expect(row).to_be_hidden()
        await page.get_by_label("Health").select_option("")
        await expect(row).to_be_visible()

        await row.get_by_role("link", name=f"Station {cp_id}").click()
        station = page.locator(".station")
        await expect(page.get_by_role("heading", level=1)).to_contain_text(f"Station {cp_id}")
        await expect(station.locator("tr[data-connector='1'] [data-field=power]")).to_have_text(
            "11.0 kW"
        )
        await expect(page.locator("figure.chart figcaption").first).to_have_text("Power (kW)")
        await meter16(cp, 15.5, 11.0)  # the page follows, too
        await expect(station.locator("tr[data-connector='1'] [data-field=power]")).to_have_text(
            "15.5 kW"
        )
        power = await page.evaluate(
            "() => Chart.getChart(document.querySelector('figure.chart canvas'))"
            ".data.datasets[0].data.map(p => p.y)"
        )
        assert power[-3:] == [7.4, 11.0, 15.5], power
        await shot(page, "03-station")

        # the phone layout: the navigation folds into a menu
        phone = await new_page(browser, app.api_base, phone=True)
        await sign_in(phone, email, PASSWORD)
        await expect(phone.get_by_role("link", name="Alerts")).to_be_hidden()
        await phone.get_by_role("button", name="Menu").click()
        await expect(phone.get_by_role("link", name="Alerts")).to_be_visible()
        await shot(phone, "04-network-phone")
        await phone.context.close()

    await expect(page.locator("h1 [data-field=online]")).to_have_text("Offline")
    assert_no_page_errors(page)
    await page.context.close()


def temperature(celsius: float) -> call201.NotifyEvent:
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    return call201.NotifyEvent(
        generated_at=now,
        seq_no=0,
        event_data=[
            {
                "event_id": int(time.monotonic() * 1000) % 1_000_000,
                "timestamp": now,
                "trigger": "Delta",
                "actual_value": f"{celsius:.1f}",
                "event_notification_type": "PreconfiguredMonitor",
                "component": {"name": "Connector", "evse": {"id": 1, "connector_id": 1}},
                "variable": {"name": "Temperature"},
            }
        ],
    )


async def test_an_operator_acknowledges_an_overheating_alert_as_it_comes_in(
    laddnet: Laddnet, browser: Browser
) -> None:
    app = laddnet
    _, email, admin = await organisation(app)
    site_id = await create_site(app, admin)
    cp_id = f"HOT-{uuid.uuid4().hex[:6].upper()}"
    await register_station(app, admin, site_id, cp_id)
    await app.data(
        OPS["SetAlertRule"],
        {"input": {"kind": "OVERHEATING", "threshold": 70, "durationSeconds": 0}},
        admin,
    )
    page = await new_page(browser, app.api_base)
    base = await settled(app)
    await sign_in(page, email, PASSWORD)
    await page.get_by_role("link", name="Alerts").click()
    await expect(page.get_by_role("heading", name="Alerts", level=1)).to_be_visible()
    await expect(page.locator("tr[data-rule=OVERHEATING]")).to_contain_text("Organisation")
    await page_subscribed(app, base, 1)  # alertFeed

    async with connect_charge_point(app.ocpp_port, cp_id, "2.0.1") as cp:
        await cp.call(
            call201.BootNotification(
                charging_station={"model": "Hot", "vendor_name": "Laddco"}, reason="PowerUp"
            )
        )
        await cp.call(temperature(45.0))
        await cp.call(temperature(86.0))
        alert = page.locator("table.alerts tbody tr").first
        await expect(alert).to_contain_text("Overheating")
        await expect(alert.locator("[data-field=state]")).to_have_text("Raised")
        await expect(page.locator(".notice.warn")).to_contain_text("New alert: Overheating")
        await shot(page, "05-alerts-raised")
        await alert.get_by_role("button", name="Acknowledge").click()
        await expect(alert.locator("[data-field=state]")).to_have_text("Acknowledged")
        listed = await app.data(OPS["Alerts"], {"state": "ACKNOWLEDGED", "first": 5}, admin)
        [edge] = listed["alerts"]["edges"]
        assert edge["node"]["kind"] == "OVERHEATING" and edge["node"]["acknowledgedAt"]

        # a rule is changed from the page and read back from the API
        rule = page.locator("tr[data-rule=OVERHEATING]")
        await rule.get_by_label("Overheating threshold in °C").fill("75")
        await rule.get_by_role("button", name="Save").click()
        await expect(rule.locator(".notice")).to_have_text("Saved.")
        await shot(page, "06-alerts-acknowledged")
    assert_no_page_errors(page)
    await page.context.close()


async def test_an_operator_starts_and_stops_a_session_remotely_and_sees_it_end(
    laddnet: Laddnet, browser: Browser
) -> None:
    app = laddnet
    _, email, admin = await organisation(app)
    site_id = await create_site(app, admin)
    cp_id = f"REM-{uuid.uuid4().hex[:6].upper()}"
    station_id = await register_station(app, admin, site_id, cp_id)
    driver = await app.driver()
    card = f"RFID{uuid.uuid4().hex[:10].upper()}"
    await app.data(OPS["LinkIdToken"], {"idTag": card}, driver)

    page = await new_page(browser, app.api_base)
    base = await settled(app)
    await sign_in(page, email, PASSWORD)
    async with connect_charge_point(app.ocpp_port, cp_id, "1.6") as cp:
        await cp.call(
            call16.BootNotification(charge_point_vendor="Laddco", charge_point_model="L50")
        )
        await cp.call(
            call16.StatusNotification(
                connector_id=1, error_code="NoError", status="Available", timestamp=ts(utcnow())
            )
        )
        await page.goto(f"/#/stations/{station_id}")
        await expect(page.locator("tr[data-connector='1'] [data-field=status]")).to_have_text(
            "Available"
        )
        await page_subscribed(app, base, 2)  # the site's stationEvents and alertFeed

        # every command shows the station's answer
        start = page.get_by_role("form", name="Remote start")
        await start.get_by_label("Id tag").fill(card)
        await start.get_by_role("button", name="Start charging").click()
        await expect(start.locator(".notice")).to_contain_text("accepted the remote start")
        action, remote = await until(lambda: cp.received and cp.received[-1], "remote start")
        assert (action, remote["id_tag"], remote["connector_id"]) == (
            "RemoteStartTransaction",
            card,
            1,
        )
        cp.answers["Reset"] = "Rejected"
        reset = page.get_by_role("form", name="Reset")
        await reset.get_by_role("button", name="Reset station").click()
        await expect(reset.get_by_role("alert")).to_have_text(
            "The station rejected it: reset: Rejected (COMMAND_REJECTED)"
        )
        availability = page.get_by_role("form", name="Availability")
        await availability.get_by_label("Applies to").select_option("2")
        await availability.get_by_role("button", name="Change availability").click()
        await expect(availability.locator(".notice")).to_have_text(
            "The station accepted the availability change."
        )
        assert cp.received[-1] == ("ChangeAvailability", {"connector_id": 2, "type": "Inoperative"})
        unlock = page.get_by_role("form", name="Unlock connector")
        await unlock.get_by_role("button", name="Unlock").click()
        await expect(unlock.locator(".notice")).to_have_text("The station accepted it.")
        assert cp.received[-1] == ("UnlockConnector", {"connector_id": 1})
        trigger = page.get_by_role("form", name="Trigger a message")
        await trigger.get_by_role("button", name="Trigger").click()
        await expect(trigger.locator(".notice")).to_have_text("The station accepted it.")
        assert cp.received[-1][0] == "TriggerMessage"
        setting = page.get_by_role("form", name="Read or set a setting")
        await setting.get_by_label("Variable").fill("HeartbeatInterval")
        await setting.get_by_role("button", name="Read from station").click()
        await expect(setting.locator(".notice")).to_contain_text("HeartbeatInterval = 300")
        await setting.get_by_label("Value").fill("120")
        await setting.get_by_role("button", name="Set").click()
        await expect(setting.locator(".notice")).to_contain_text("HeartbeatInterval: accepted")
        assert cp.received[-1] == (
            "ChangeConfiguration",
            {"key": "HeartbeatInterval", "value": "120"},
        )
        limit = page.get_by_role("form", name="Charging limit", exact=True)
        await limit.get_by_label("Limit").fill("11000")
        await limit.get_by_role("button", name="Set limit").click()
        await expect(limit.locator(".notice")).to_contain_text("The station accepted it.")
        assert cp.received[-1][0] == "SetChargingProfile"
        firmware = page.get_by_role("form", name="Firmware update")
        await firmware.get_by_label("Firmware location").fill("not a url")
        await firmware.get_by_role("button", name="Update firmware").click()
        assert cp.received[-1][0] == "SetChargingProfile"  # the browser refused the bad URL

        started = await cp.call(
            call16.StartTransaction(
                connector_id=1, id_tag=card, meter_start=1_000, timestamp=ts(utcnow())
            )
        )
        tx = started.transaction_id
        await cp.call(
            call16.StatusNotification(
                connector_id=1, error_code="NoError", status="Charging", timestamp=ts(utcnow())
            )
        )
        session_row = page.locator("table.sessions tbody tr").first
        await expect(session_row.locator("[data-field=status]")).to_have_text("Charging")
        await shot(page, "07-station-charging")

        await session_row.get_by_role("button", name="Remote stop").click()
        await expect(session_row.locator(".notice")).to_contain_text("asked to stop")
        action, remote = await until(
            lambda: cp.received[-1][0] == "RemoteStopTransaction" and cp.received[-1],
            "remote stop",
        )
        assert remote["transaction_id"] == tx
        await cp.call(
            call16.StopTransaction(
                meter_stop=4_500, timestamp=ts(utcnow()), transaction_id=tx, reason="Remote"
            )
        )
        await expect(session_row.locator("[data-field=status]")).to_have_text("Ended")
        await expect(session_row.get_by_role("button", name="Remote stop")).to_have_count(0)
        await shot(page, "08-station-session-ended")
    assert_no_page_errors(page)
    await page.context.close()


TARIFF = {"currency": "SEK", "vatPercent": "25", "energyPricePerKwh": "3.50"}


async def paid_session(app: Laddnet, admin: str, site_id: str) -> tuple[str, str]:
    """A priced session a driver paid with a card (on localstripe): (station id, session id)."""
    cp_id = f"PAY-{uuid.uuid4().hex[:6].upper()}"
    station_id = await register_station(app, admin, site_id, cp_id)
    tariff = await app.data(
        OPS["CreateTariff"],
        {"input": {**TARIFF, "name": "Standard", "preAuthorizationAmount": "300"}},
        admin,
    )
    tariff_id = tariff["createTariff"]["tariff"]["id"]
    await app.data(OPS["AssignTariff"], {"stationId": station_id, "tariffId": tariff_id}, admin)
    driver = await app.driver()
    await app.data(OPS["SetUpPaymentMethod"], None, driver)
    saved = await app.data(
        OPS["SetDefaultPaymentMethod"], {"paymentMethodId": "pm_card_visa"}, driver
    )
    card = saved["setDefaultPaymentMethod"]["paymentMethod"]["id"]
    async with connect_charge_point(app.ocpp_port, cp_id, "1.6") as cp:
        await cp.call(
            call16.BootNotification(charge_point_vendor="Laddco", charge_point_model="L50")
        )
        started = await app.data(
            OPS["StartCharging"],
            {"input": {"stationId": station_id, "connectorId": 1, "paymentMethodId": card}},
            driver,
        )
        sid = started["startCharging"]["session"]["id"]
        id_tag = cp.received[-1][1]["id_tag"]
        t0 = utcnow() - timedelta(minutes=30)
        tx = (
            await cp.call(
                call16.StartTransaction(
                    connector_id=1, id_tag=id_tag, meter_start=0, timestamp=ts(t0)
                )
            )
        ).transaction_id
        for minute, wh, kw in ((10, 3_000, 18.0), (20, 7_000, 24.0)):
            await cp.call(
                call16.MeterValues(
                    connector_id=1,
                    transaction_id=tx,
                    meter_value=[
                        {
                            "timestamp": ts(t0 + timedelta(minutes=minute)),
                            "sampled_value": [
                                sv(str(wh), "Energy.Active.Import.Register", "Wh"),
                                sv(str(kw), "Power.Active.Import", "kW"),
                            ],
                        }
                    ],
                )
            )
        await cp.call(
            call16.StopTransaction(
                meter_stop=10_000, timestamp=ts(utcnow()), transaction_id=tx, id_tag=id_tag
            )
        )
    for _ in range(100):
        node = (await app.data(OPS["MySessions"], {"first": 1}, driver))["mySessions"]["edges"][0]
        if node["node"]["payment"]["status"] == "CAPTURED":
            return station_id, sid
        await asyncio.sleep(0.05)
    raise AssertionError("the session's payment was never captured")


async def test_an_operator_reads_revenue_downloads_its_csv_and_looks_at_the_reports(
    laddnet: Laddnet, browser: Browser
) -> None:
    app = laddnet
    _, email, admin = await organisation(app)
    site_id = await create_site(app, admin)
    station_id, sid = await paid_session(app, admin, site_id)

    page = await new_page(browser, app.api_base)
    await sign_in(page, email, PASSWORD)
    await page.get_by_role("link", name="Revenue").click()
    await expect(page.locator("[data-tile=gross] .tile-value")).to_have_text("SEK 35.00")
    await page.get_by_label("Group by").select_option("STATION")
    revenue = page.locator("table.revenue tbody tr")
    await expect(revenue).to_have_count(1)
    await expect(revenue.first).to_contain_text("SEK 35.00")
    await shot(page, "09-revenue")

    async with page.expect_download() as pending:
        await page.get_by_role("button", name="Download payments (CSV)").click()
    download = await pending.value
    assert download.suggested_filename.startswith("payments-")
    text = (await download.path()).read_text()
    header, *rows = text.strip().splitlines()
    assert "receipt" in header.lower() and len(rows) == 1, text
    assert sid in rows[0] and "35.00" in rows[0] and "visa" in rows[0].lower(), rows
    await expect(page.get_by_role("status").last).to_have_text("Downloaded 1 payments.")

    await page.get_by_role("link", name="Sessions").click()
    await page.locator(f"tr[data-session-id='{sid}'] a").click()
    await expect(page.get_by_role("heading", name="Receipt", level=2)).to_be_visible()
    await expect(page.locator("[data-field=payment]")).to_have_text("Captured")
    await expect(page.locator(".receipt .totals")).to_contain_text("SEK 35.00")
    await expect(page.locator("figure.chart figcaption")).to_have_text("Meter curve")
    await page.get_by_label("Amount (SEK)").fill("5.00")
    await page.get_by_label("Reason").fill("slow charge")
    await page.get_by_role("button", name="Refund").click()
    await expect(page.get_by_role("form", name="Refund").locator(".notice")).to_contain_text(
        "SEK 5.00"
    )
    await shot(page, "10-session-detail")

    await page.get_by_role("link", name="Reports").click()
    await expect(page.locator("table.usage tbody tr")).to_have_count(1)
    await expect(page.locator("table.heatmap tbody tr")).to_have_count(7)
    await expect(page.get_by_role("heading", name="Bottlenecks")).to_be_visible()
    await shot(page, "11-reports")

    await page.get_by_role("link", name="Tariffs & plans").click()
    await expect(page.locator("table.tariffs")).to_contain_text("Standard")
    form = page.get_by_role("form", name="New tariff")
    await form.get_by_label("Name", exact=True).fill("Night")
    await form.get_by_label("Energy price per kWh").first.fill("3.99")
    await form.get_by_role("button", name="Add power band").click()
    band = form.locator(".row").nth(0)
    await band.get_by_label("Band 1 from (kW)").fill("50")
    await band.get_by_label("Energy price per kWh").fill("5.49")
    await form.get_by_role("button", name="Add time of day").click()
    window = form.locator(".row").nth(1)
    await window.get_by_label("Sat").uncheck()
    await window.get_by_label("Sun").uncheck()
    await window.get_by_label("Energy price per kWh").fill("1.99")
    await form.get_by_role("button", name="Create tariff").click()
    night = page.locator("table.tariffs tr", has_text="Night")
    await expect(night).to_contain_text("SEK 3.99/kWh")
    await expect(night).to_contain_text("SEK 5.49/kWh at >50 kW")
    await expect(night).to_contain_text("Mon\u2013Fri 22:00\u201306:00")
    assign = page.get_by_role("form", name="Assign a tariff to stations")
    await assign.get_by_label("Tariff", exact=True).select_option(label="Night (SEK)")
    await assign.get_by_role("checkbox").first.check()
    await assign.get_by_role("button", name="Assign").click()
    await expect(assign.locator(".notice")).to_contain_text("Assigned to Station PAY-")
    await expect(night.locator("[data-field=stations]")).to_contain_text("Station PAY-")
    await shot(page, "12-tariffs")
    tariffs = await app.data("{ tariffs { name } }", None, admin)
    assert sorted(t["name"] for t in tariffs["tariffs"]) == ["Night", "Standard"]
    station = await app.data(
        "query($id: ID!) { station(id: $id) { tariff { name } } }", {"id": station_id}, admin
    )
    assert station["station"]["tariff"] == {"name": "Night"}
    assert_no_page_errors(page)
    await page.context.close()


async def test_a_viewer_sees_no_actions_and_the_api_refuses_them(
    laddnet: Laddnet, browser: Browser
) -> None:
    app = laddnet
    org_id, _, admin = await organisation(app)
    site_id = await create_site(app, admin)
    cp_id = f"VIEW-{uuid.uuid4().hex[:6].upper()}"
    station_id = await register_station(app, admin, site_id, cp_id)
    viewer = await viewer_of(app, org_id)

    page = await new_page(browser, app.api_base)
    await sign_in(page, viewer, PASSWORD)
    await expect(page.locator(".role")).to_have_text("viewer")
    for path, heading in (
        (f"/#/stations/{station_id}", f"Station {cp_id}"),
        ("/#/alerts", "Alerts"),
        ("/#/tariffs", "Tariffs & plans"),
        ("/#/sessions", "Sessions"),
    ):
        await page.goto(path)
        await expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
        await expect(page.locator("main [data-action]")).to_have_count(0)
        await expect(page.locator("main button:visible")).to_have_count(0)
        if path.startswith("/#/stations"):
            await expect(page.get_by_role("heading", name="Commands")).to_have_count(0)
            await shot(page, "13-station-as-viewer")
    refused = await page.evaluate(
        """async (id) => {
            const token = JSON.parse(localStorage.getItem('laddnet.console.tokens')).accessToken;
            const r = await fetch('/graphql', {method: 'POST',
              headers: {'Content-Type': 'application/json', Authorization: 'Bearer ' + token},
              body: JSON.stringify({query: 'mutation($s: ID!) { resetStation(stationId: $s) '
                + '{ accepted errors { code message } } }', variables: {s: id}})});
            return (await r.json()).data.resetStation;
        }""",
        station_id,
    )
    assert refused["accepted"] is False and refused["errors"][0]["code"] == "FORBIDDEN"
    assert_no_page_errors(page)
    await page.context.close()
