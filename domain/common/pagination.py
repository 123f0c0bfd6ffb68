"""Opaque cursors for keyset pagination over (sort key, _id)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Generic, TypeVar

from domain.common.errors import InvalidInput

T = TypeVar("T")

MAX_PAGE = 200


def encode_cursor(*parts: str) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(parts)).encode()).decode()


def decode_cursor(cursor: str) -> list[str]:
    try:
        parts = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError):
        raise InvalidInput("malformed cursor", field="after") from None
    if not isinstance(parts, list) or not all(isinstance(p, str) for p in parts):
        raise InvalidInput("malformed cursor", field="after")
    return parts


def page_size(first: int | None, default: int = 50) -> int:
    if first is None:
        return default
    if first < 1 or first > MAX_PAGE:
        raise InvalidInput(f"first must be between 1 and {MAX_PAGE}", field="first")
    return first


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[tuple[str, T]]  # (cursor, item)
    has_next_page: bool
    total_count: int | None = None

    @property
    def end_cursor(self) -> str | None:
        return self.items[-1][0] if self.items else None
