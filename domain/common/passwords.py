"""Password hashing with argon2id (argon2-cffi).

People's passwords use argon2's recommended parameters. Station keys (OCPP security profile 1
``AuthorizationKey``: 16-40 random characters) carry far more entropy than a person's password, so
they use cheaper parameters: a boot storm of thousands of stations must not spend minutes hashing.
"""

from __future__ import annotations

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
