from __future__ import annotations

from domain.common.errors import InvalidInput, NotFound


class SessionNotFound(NotFound):
    pass


class InvalidIdTag(InvalidInput):
    pass
