"""``IdTokens``: the RFID cards and app tokens drivers charge with, and their status for stations.

A station asks for a token's status on every Authorize and start; concurrent questions share one
query (a group commit of reads).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from beanie import PydanticObjectId

from domain.charging import repository as repo
from domain.charging.errors import InvalidIdTag
from domain.charging.models import IdToken, IdTokenStatus
from domain.common.batching import GroupCommit
from domain.common.clock import as_utc, utcnow
from domain.common.errors import AlreadyExists

ID_TAG_MAX = 20  # OCPP 1.6 IdToken is CiString20
# the id tag a driver's app sessions carry: "APP" + 17 hex digits (20 characters, CiString20)
APP_TAG = re.compile(r"APP[0-9A-F]{17}")


@dataclass(frozen=True)
class IdTagInfo:
    """What a station is told about a token (OCPP 1.6 IdTagInfo)."""

    status: IdTokenStatus
    expiry_date: datetime | None = None
    parent_id_tag: str | None = None


def tag_info(token: IdToken | None, now: datetime) -> IdTagInfo:
    """Unknown tokens are Invalid; an Accepted token past its expiry date is Expired."""
    if token is None:
        return IdTagInfo(IdTokenStatus.INVALID)
    expiry = as_utc(token.expiry_date) if token.expiry_date else None
    status = token.status
    if status is IdTokenStatus.ACCEPTED and expiry is not None and expiry <= now:
        status = IdTokenStatus.EXPIRED
    return IdTagInfo(status, expiry, token.parent_id_tag)


def token_type(id_tag: str) -> str:
    """The 2.0.1 IdTokenEnumType of a tag laddnet sends: its own app tags are Central, any other
    tag (an RFID card a driver linked or an operator typed in) ISO14443."""
    return "Central" if is_app_tag(id_tag) else "ISO14443"


class IdTokens:
    def __init__(self) -> None:
        self.lookups: GroupCommit[str, IdToken | None] = GroupCommit(
            repo.id_tokens_by_tag, max_batch=500, name="id token reads", wrap=False
        )

    async def find(self, id_tag: str) -> IdToken | None:
        """The token (None: unknown), read together with the concurrent lookups."""
        return await self.lookups.submit(id_tag)

    async def status(self, id_tag: str) -> IdTokenStatus:
        """What a station is told on Authorize: unknown tags are Invalid."""
        return (await self.info(id_tag)).status

    async def info(self, id_tag: str) -> IdTagInfo:
        """The status with the token's expiry date and parent id tag."""
        return tag_info(await self.find(id_tag), utcnow())

    async def link(
        self, driver_id: PydanticObjectId, id_tag: str, *, org_id: PydanticObjectId | None = None
    ) -> IdToken:
        tag = id_tag.strip()
        if not tag or len(tag) > ID_TAG_MAX:
            raise InvalidIdTag(f"an id tag is 1-{ID_TAG_MAX} characters", field="idTag")
        if not tag.isprintable():
            raise InvalidIdTag("an id tag has printable characters only", field="idTag")
        if is_app_tag(tag):
            raise InvalidIdTag("this id tag is reserved for app sessions", field="idTag")
        token = await repo.claim_id_token(tag, driver_id, org_id)
        if token is None:
            raise AlreadyExists("this id tag is linked to another driver", field="idTag")
        return token

    async def for_driver(self, driver_id: PydanticObjectId) -> list[IdToken]:
        return await repo.id_tokens_for_driver(driver_id)

    async def linked(self, driver_id: PydanticObjectId) -> list[IdToken]:
        """The tokens (RFID cards) the driver linked, without the app's own id tag."""
        return [t for t in await repo.id_tokens_for_driver(driver_id) if not is_app_tag(t.id_tag)]

    async def app_tag(self, driver_id: PydanticObjectId) -> str:
        """The id tag the driver's app sessions carry, made on first use and reused after: the
        station reports only the tag, and through it the transaction is the driver's."""
        for token in await repo.id_tokens_for_driver(driver_id):
            if is_app_tag(token.id_tag):
                return token.id_tag
        for _attempt in range(3):
            tag = "APP" + secrets.token_hex(9).upper()[:17]
            if await repo.claim_id_token(tag, driver_id, None) is not None:
                return tag
        raise RuntimeError("could not make an app id tag")

    async def driver_of(self, id_tag: str) -> PydanticObjectId | None:
        token = await repo.get_id_token(id_tag)
        return token.driver_id if token else None


def is_app_tag(id_tag: str) -> bool:
    return APP_TAG.fullmatch(id_tag) is not None
