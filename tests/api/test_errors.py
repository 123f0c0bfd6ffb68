"""``domain_errors_as``: the one place a mutation's DomainError becomes its payload's ``errors``."""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field

import pytest

from api.errors import UserError, domain_errors_as
from domain.common.errors import InvalidInput

pytestmark = pytest.mark.unit


@dataclass
class Payload:
    value: int | None = None
    errors: list[UserError] = field(default_factory=list)


@domain_errors_as(Payload)
async def resolver(info: object, amount: int) -> Payload:
    """Doubles the amount."""
    if amount < 0:
        raise InvalidInput("amount must not be negative", field="amount")
    if amount == 13:
        raise KeyError("a bug")
    return Payload(value=amount * 2)


async def test_a_domain_error_becomes_the_payloads_errors() -> None:
    out = await resolver(None, -1)
    assert out.value is None
    assert [(e.code, e.field, e.message) for e in out.errors] == [
        ("INVALID_INPUT", "amount", "amount must not be negative")
    ]


async def test_success_passes_through_and_other_errors_stay_unexpected() -> None:
    assert await resolver(None, 2) == Payload(value=4)
    with pytest.raises(KeyError):
        await resolver(None, 13)


def test_strawberry_still_sees_the_resolvers_own_signature() -> None:
    assert list(inspect.signature(resolver).parameters) == ["info", "amount"]
    assert resolver.__doc__ == "Doubles the amount."
    assert inspect.iscoroutinefunction(resolver)
