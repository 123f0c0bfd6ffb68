"""Password hashing with argon2id (argon2-cffi).

People's passwords use argon2's recommended parameters. Station keys (OCPP security profile 1
``AuthorizationKey``: 16-40 random characters) carry far more entropy than a person's password, so
they use cheaper parameters: a boot storm of thousands of stations must not spend minutes hashing.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from collections import OrderedDict

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_people = PasswordHasher()
_stations = PasswordHasher(time_cost=1, memory_cost=4096, parallelism=1)


def hash_password(password: str) -> str:
    return _people.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _people.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def hash_station_key(key: str) -> str:
    return _stations.hash(key)


def verify_station_key(key_hash: str, key: str) -> bool:
    try:
        return _stations.verify(key_hash, key)
    except (VerificationError, InvalidHashError):
        return False


class StationKeyVerifier:
    """Checks station keys off the event loop and remembers the ones it has verified.

    argon2 holds the event loop for milliseconds per check; a boot storm of thousands of stations
    would stall every connection. The check runs in a worker thread (argon2 releases the GIL, so it
    uses the second core), and a verified (hash, key) pair is remembered by a keyed digest of the key,
    never the key itself, so a reconnecting station costs a dictionary lookup. A changed key has a
    new hash and so is checked again; failures are never remembered.
    """

    def __init__(self, capacity: int = 100_000) -> None:
        self.capacity = capacity
        self._pepper = secrets.token_bytes(32)
        self._verified: OrderedDict[tuple[str, bytes], None] = OrderedDict()
        # what an unknown id's key is checked against: a hash no key matches, with station params
        self._no_station = hash_station_key(secrets.token_urlsafe(32))

    def _digest(self, key: str) -> bytes:
        return hmac.new(self._pepper, key.encode(), hashlib.sha256).digest()

    async def verify(self, key_hash: str, key: str) -> bool:
        entry = (key_hash, self._digest(key))
        if entry in self._verified:
            self._verified.move_to_end(entry)
            return True
        ok = await asyncio.to_thread(verify_station_key, key_hash, key)
        if ok:
            self._verified[entry] = None
            while len(self._verified) > self.capacity:
                self._verified.popitem(last=False)
        return ok

    async def refuse(self, key: str) -> bool:
        """For an id no station has: the same argon2 work as a wrong key, so the answer's timing
        does not tell which ids exist. Always False."""
        await asyncio.to_thread(verify_station_key, self._no_station, key)
        return False
