"""Demo mode: a demo organisation, site, driver and a simulated fleet that comes online at once.

Everything is created idempotently, so a second ``make run`` reuses it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from beanie import PydanticObjectId

from domain.billing import repository as billing_repo
from domain.common.errors import AlreadyExists
from domain.identity import repository as identity_repo
from domain.network import repository as network_repo
from domain.network.service import ConnectorSpec
from domain.tariffs.validation import PowerBandInput, TariffInput, TimeWindowInput
from laddnet.admin import ensure_site
from laddnet.container import Container
from laddnet.settings import Settings
from simulator.config import DEFAULT_ID_TAG, build_station_configs
from simulator.fleet import Fleet

log = logging.getLogger(__name__)

DEMO_ORG = "Laddnet Demo"
DEMO_ADMIN = "admin@demo.laddnet.local"
DEMO_DRIVER = "driver@demo.laddnet.local"
DEMO_PASSWORD = "laddnet-demo-password"
DEMO_STATION_KEY = "demo-station-key-0001"
DEMO_PREFIX = "DEMO-"
DEMO_TARIFF = "Demo tariff"


DEMO_CARD = "pm_card_visa"  # Stripe's test Visa, 4242 4242 4242 4242 (localstripe knows it)


async def ensure_demo_card(container: Container, driver_id: PydanticObjectId, fresh: bool) -> None:
    """The demo driver pays with Stripe's test Visa from the start. ``fresh``: the Stripe behind
    this run (the demo's own localstripe) was just started and knows no customer stored by an
    earlier run, so those records are dropped and made again."""
    if fresh:
        dropped = await billing_repo.forget_customers()
        if dropped:
            log.info("demo stripe started empty: forgot %d stored customers", dropped)
    if await container.billing.default_payment_method(driver_id) is None:
        card = await container.billing.set_default_payment_method(driver_id, DEMO_CARD)
        log.info("demo driver's default card: %s ending %s", card.brand, card.last4)


async def ensure_demo_network(
    container: Container, stations: int, *, fresh_stripe: bool = False
) -> list[str]:
    """The demo org, its admin, a driver holding the fleet's id tag and a test card, a site and the
    stations."""
    identity, network = container.identity, container.network
    org = await identity_repo.organisation_by_name(DEMO_ORG)
    if org is None:
        org, _ = await identity.create_organisation_with_admin(DEMO_ORG, DEMO_ADMIN, DEMO_PASSWORD)
    assert org.id is not None
    driver = await identity_repo.driver_by_email(DEMO_DRIVER)
    if driver is None:
        driver, _ = await identity.sign_up_driver(
            DEMO_DRIVER, DEMO_PASSWORD, "Demo Driver", client_key="demo"
        )
    assert driver.id is not None
    with contextlib.suppress(AlreadyExists):
        await container.charging.link_id_token(driver.id, DEFAULT_ID_TAG, org_id=org.id)
    await ensure_demo_card(container, driver.id, fresh_stripe)
    site = await ensure_site(
        network,
        org.id,
        "Demo site, Stockholm",
        59.3326,
        18.0649,
        "Europe/Stockholm",
        "Sergels torg 1, Stockholm",
    )
    site_id: PydanticObjectId = site.id  # type: ignore[assignment]
    tariff_id = await ensure_demo_tariff(container, org.id)
    configs = build_station_configs(stations, DEMO_PREFIX, DEMO_STATION_KEY)
    for i, cfg in enumerate(configs):
        if await network_repo.get_station_by_cp_id(cfg.charge_point_id) is not None:
            continue
        station = await network.register_station(
            org.id,
            site_id=site_id,
            charge_point_id=cfg.charge_point_id,
            name=f"Demo charger {i + 1}",
            password=DEMO_STATION_KEY,
            connectors=[
                ConnectorSpec(c, cfg.connector_standard, cfg.max_power_w)
                for c in range(1, cfg.connectors + 1)
            ],
            latitude=59.3326 + 0.0004 * i,
            longitude=18.0649 + 0.0006 * i,
        )
        await network.assign_tariff(station, tariff_id)
    return [c.charge_point_id for c in configs]


async def ensure_demo_tariff(container: Container, org_id: PydanticObjectId) -> PydanticObjectId:
    """A Nordic-style tariff: start fee, per kWh by charging speed, cheaper nights, idle fee."""
    for existing in await container.tariffs.list_tariffs(org_id):
        if existing.name == DEMO_TARIFF:
            return existing.id  # type: ignore[return-value]
    sek = 100_000  # prices are milli-öre per kWh/minute: 1 SEK = 100 öre = 100,000 milli-öre
    created = await container.tariffs.create_tariff(
        org_id,
        TariffInput(
            name=DEMO_TARIFF,
            currency="SEK",
            vat_rate_bp=2500,
            session_fee=500,  # öre
            energy_price_per_kwh=int(3.5 * sek),
            idle_fee_per_minute=int(0.5 * sek),
            idle_grace_minutes=30,
            power_bands=[
                PowerBandInput(
                    min_power_w=22_000, max_power_w=150_000, energy_price_per_kwh=int(5.5 * sek)
                ),
                PowerBandInput(min_power_w=150_000, energy_price_per_kwh=int(6.9 * sek)),
            ],
            time_of_day=[
                TimeWindowInput(
                    days_of_week=[1, 2, 3, 4, 5, 6, 7],
                    start_time="22:00",
                    end_time="06:00",
                    energy_price_per_kwh=int(2.5 * sek),
                )
            ],
            pre_authorization_amount=50_000,  # SEK 500.00
        ),
    )
    return created.id  # type: ignore[return-value]


@contextlib.asynccontextmanager
async def run_demo(
    container: Container, settings: Settings, ocpp_port: int, *, fresh_stripe: bool = False
) -> AsyncIterator[list[str]]:
    ids = await ensure_demo_network(container, settings.demo_stations, fresh_stripe=fresh_stripe)
    configs = build_station_configs(len(ids), DEMO_PREFIX, DEMO_STATION_KEY)
    half = (len(configs) + 1) // 2
    url = f"ws://127.0.0.1:{ocpp_port}/ocpp"
    fleets = [
        Fleet(url, configs[:half], ocpp_version="1.6", meter_interval=10.0, auto_charge=True),
        Fleet(
            url, configs[half:], ocpp_version="2.0.1", meter_interval=10.0, auto_charge=True, seed=1
        ),
    ]
    for fleet in fleets:
        await fleet.start()
    reporter = asyncio.create_task(_report(fleets), name="demo-progress")
    try:
        yield [
            f"Demo fleet     {len(ids)} simulated stations ({half} on OCPP 1.6, "
            f"{len(ids) - half} on 2.0.1): {', '.join(ids)}",
            f"Demo operator  {DEMO_ADMIN} / {DEMO_PASSWORD}  (sign in to the console)",
            f"Demo driver    {DEMO_DRIVER} / {DEMO_PASSWORD}  (default card: Stripe's test "
            f"Visa {DEMO_CARD}; other test cards in the README)",
        ]
    finally:
        reporter.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reporter
        for fleet in fleets:
            await fleet.stop()


async def _report(fleets: list[Fleet]) -> None:
    previous = ""
    while True:
        await asyncio.sleep(5)
        line = " | ".join(f.progress_line() for f in fleets)
        if line != previous:
            log.debug("demo fleet: %s", line)
            previous = line
