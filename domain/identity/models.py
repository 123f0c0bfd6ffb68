"""Identity documents. The identity context grows accounts, roles and tokens on top of these."""

from __future__ import annotations

from datetime import datetime

from beanie import Document
from pydantic import Field
from pymongo import IndexModel

from domain.common.clock import utcnow


class Organisation(Document):
    """A charge-point operator: owns sites, stations, tariffs and operator accounts."""

    name: str
    created_at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "organisations"
        indexes = [IndexModel("name", unique=True)]
