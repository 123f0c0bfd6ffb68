from __future__ import annotations

import pytest

from domain.common import passwords
from domain.common.passwords import StationKeyVerifier, hash_station_key

KEY = "station-key-0123456789"


async def test_station_keys_are_checked_once_then_remembered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[str] = []
    real = passwords.verify_station_key

    def counting(key_hash: str, key: str) -> bool:
        calls.append(key)
        return real(key_hash, key)

    monkeypatch.setattr(passwords, "verify_station_key", counting)
    verifier = StationKeyVerifier()
    stored = hash_station_key(KEY)
    assert await verifier.verify(stored, KEY)
    assert await verifier.verify(stored, KEY)
    assert len(calls) == 1  # the second check is a lookup

    # failures are never remembered: every wrong attempt is checked (and can be throttled)
    assert not await verifier.verify(stored, "wrong-key-0123456789")
    assert not await verifier.verify(stored, "wrong-key-0123456789")
    assert len(calls) == 3

    # a new key for the station (a new hash) is checked again, and the old key fails against it
    renewed = hash_station_key("another-key-0123456789")
    assert not await verifier.verify(renewed, KEY)
    assert len(calls) == 4


async def test_the_memory_is_bounded() -> None:
    verifier = StationKeyVerifier(capacity=2)
    hashes = [hash_station_key(f"station-key-{i:010d}") for i in range(3)]
    for i, h in enumerate(hashes):
        assert await verifier.verify(h, f"station-key-{i:010d}")
    assert len(verifier._verified) == 2
