"""Tariff value types and the tariff/plan documents.

Units (one rule everywhere in this package):

- Fixed amounts (``session_fee``, ``cap``, ``pre_authorization_amount``, a plan's ``monthly_fee``)
  are integer **minor units** of the tariff's currency (öre, cents).
- Unit prices (``*_price_per_kwh``, ``*_price_per_minute``, ``idle_fee_per_minute``) are integer
  **milli-minor units** per kWh or per minute: ``PRICE_SCALE`` (1000) of them make one minor unit.
  SEK 3.495/kWh is ``349_500``. That keeps sub-öre unit prices exact; every *amount* that comes out of
  pricing is still integer minor units.
- ``vat_rate_bp`` is the VAT rate in **basis points**: 2500 is 25 %, 2550 is 25.5 % (Finland).
- Prices are **VAT-inclusive** (Nordic consumer pricing): what the tariff says is what the driver
  pays; pricing reports the VAT contained in the total.
- Power is integer watts, energy integer Wh, times of day are minutes after local midnight and days
  of week are ISO numbers (1 = Monday … 7 = Sunday), evaluated in the site's timezone.
"""

from __future__ import annotations

from datetime import datetime

from beanie import Document, PydanticObjectId
from pydantic import BaseModel, ConfigDict, Field
from pymongo import ASCENDING, IndexModel

from domain.common.clock import utcnow
from domain.common.money import Money

PRICE_DIGITS = 3
PRICE_SCALE = 10**PRICE_DIGITS
"""Milli-minor units per minor unit: unit prices are stored times 1000 for sub-minor precision."""

MINUTES_PER_DAY = 24 * 60


class PowerBand(BaseModel):
    """A charging-speed band: ``min_power_w < measured power <= max_power_w``.

    The lower bound is exclusive and the upper inclusive, so "≤ 22 kW" and "22-150 kW" meet at
    exactly 22 kW, which belongs to the lower band. A band starting at 0 W also holds 0 W.
    ``max_power_w`` None means no upper bound. A price left as None falls back to the base price.
    """

    model_config = ConfigDict(frozen=True)

    min_power_w: int = 0
    max_power_w: int | None = None
    energy_price_per_kwh: int | None = None
    time_price_per_minute: int | None = None

    def contains(self, power_w: int) -> bool:
        if self.max_power_w is not None and power_w > self.max_power_w:
            return False
        return power_w > self.min_power_w or power_w == self.min_power_w == 0


class TimeWindow(BaseModel):
    """A time-of-day window starting on each of ``days_of_week`` at ``start_minute`` local time.

    It ends at ``end_minute``: on the same day when ``end_minute > start_minute``, otherwise on the
    next day (a night window 22:00-06:00 that starts on Friday ends on Saturday morning;
    ``start == end`` is a full 24 hours). ``end_minute`` may be 1440 ("24:00"). Clock times are the
    site's wall clock: a window over a DST change lasts the wall-clock span (22:00-06:00 is 9 real
    hours on the night clocks go back); a start or end that falls in the spring-forward gap is the
    moment the clocks jump.
    """

    model_config = ConfigDict(frozen=True)

    days_of_week: tuple[int, ...]
    start_minute: int
    end_minute: int
    energy_price_per_kwh: int | None = None
    time_price_per_minute: int | None = None


class Tariff(BaseModel):
    """How a session is priced. See the module docstring for units; ``pricing.price_session``."""

    model_config = ConfigDict(frozen=True)

    currency: str
    vat_rate_bp: int
    session_fee: int = 0
    energy_price_per_kwh: int = 0
    time_price_per_minute: int = 0
    idle_fee_per_minute: int = 0
    idle_grace_minutes: int = 0
    power_bands: tuple[PowerBand, ...] = ()
    time_windows: tuple[TimeWindow, ...] = ()
    cap: int | None = None
    pre_authorization_amount: int = 0

    def band_for(self, power_w: int) -> PowerBand | None:
        for band in self.power_bands:
            if band.contains(power_w):
                return band
        return None

    def money(self, amount: int) -> Money:
        return Money(amount, self.currency)


class TariffDocument(Document):
    """An operator's named tariff. Stations point at it with ``Station.tariff_id``."""

    org_id: PydanticObjectId
    name: str
    tariff: Tariff
    created_at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "tariffs"
        indexes = [IndexModel([("org_id", ASCENDING), ("name", ASCENDING)], unique=True)]


class Plan(Document):
    """A membership plan: a monthly fee buying an energy discount and included energy per period."""

    org_id: PydanticObjectId
    name: str
    description: str = ""
    currency: str
    monthly_fee: int  # minor units, VAT-inclusive
    energy_discount_percent: int = 0  # 0..100, on the energy lines of a member's sessions
    included_wh: int = 0  # energy included per billing period, Wh
    stripe_price_id: str | None = None
    created_at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "plans"
        indexes = [IndexModel([("org_id", ASCENDING), ("name", ASCENDING)], unique=True)]

    @property
    def monthly_fee_money(self) -> Money:
        return Money(self.monthly_fee, self.currency)
