from __future__ import annotations

from domain.common.errors import NotFound


class TariffNotFound(NotFound):
    pass


class PlanNotFound(NotFound):
    pass
