"""GeoJSON points as MongoDB stores them ([longitude, latitude]) and their validation."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from domain.common.errors import InvalidInput


class GeoPoint(BaseModel):
    type: Literal["Point"] = "Point"
    coordinates: tuple[float, float]  # (longitude, latitude)

    @property
    def longitude(self) -> float:
        return self.coordinates[0]

    @property
    def latitude(self) -> float:
        return self.coordinates[1]

    @classmethod
    def of(cls, latitude: float, longitude: float, *, field: str = "location") -> GeoPoint:
        if not -90.0 <= latitude <= 90.0:
            raise InvalidInput(f"latitude {latitude} is outside -90..90", field=field)
        if not -180.0 <= longitude <= 180.0:
            raise InvalidInput(f"longitude {longitude} is outside -180..180", field=field)
        return cls(coordinates=(longitude, latitude))
