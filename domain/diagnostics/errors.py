from __future__ import annotations

from domain.common.errors import Conflict, NotFound


class AlertNotFound(NotFound):
    pass


class AlertResolved(Conflict):
    pass


class TransferNotFound(NotFound):
    pass
