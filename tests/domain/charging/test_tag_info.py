"""What a station is told about a token: status, expiry and parent; and the 2.0.1 token type."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from beanie import PydanticObjectId

from domain.charging.id_tokens import IdTagInfo, tag_info, token_type
from domain.charging.models import IdToken, IdTokenStatus

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def token(**fields: object) -> IdToken:
    return IdToken.model_construct(id_tag="CARD-1", driver_id=PydanticObjectId(), **fields)


def test_unknown_is_invalid_and_a_plain_token_is_its_status() -> None:
    assert tag_info(None, NOW) == IdTagInfo(IdTokenStatus.INVALID)
    assert tag_info(token(status=IdTokenStatus.BLOCKED), NOW) == IdTagInfo(IdTokenStatus.BLOCKED)


def test_expiry_and_parent_are_told_and_an_accepted_token_past_expiry_is_expired() -> None:
    later = NOW + timedelta(days=30)
    fleet = token(status=IdTokenStatus.ACCEPTED, expiry_date=later, parent_id_tag="FLEET-1")
    assert tag_info(fleet, NOW) == IdTagInfo(IdTokenStatus.ACCEPTED, later, "FLEET-1")
    naive_past = datetime(2026, 1, 1)  # MongoDB gives naive UTC back
    old = token(status=IdTokenStatus.ACCEPTED, expiry_date=naive_past, parent_id_tag=None)
    assert tag_info(old, NOW) == IdTagInfo(
        IdTokenStatus.EXPIRED, naive_past.replace(tzinfo=UTC), None
    )
    blocked = token(status=IdTokenStatus.BLOCKED, expiry_date=naive_past, parent_id_tag=None)
    assert tag_info(blocked, NOW).status is IdTokenStatus.BLOCKED  # blocked stays blocked


def test_app_tags_are_central_and_any_other_tag_an_rfid_card() -> None:
    assert token_type("APP0123456789ABCDEF0") == "Central"
    assert token_type("04A2B3C4D5") == "ISO14443"
