"""Charging profiles a station holds, and the power limit they add up to (pure, no I/O).

Per purpose the profile with the highest stack level wins (a connector profile and a
station-wide profile on connector 0 both apply); the effective limit is the lowest of the
winners. Transaction profiles end with their transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

TX_PURPOSE = "TxProfile"


@dataclass(frozen=True, slots=True)
class Profile:
    profile_id: int
    connector_id: int  # 0: the whole station
    purpose: str
    stack_level: int
    limit_w: float


class ProfileStore:
    def __init__(self) -> None:
        self._profiles: dict[int, Profile] = {}

    def __len__(self) -> int:
        return len(self._profiles)

    def set(self, profile: Profile) -> None:
        """Install or replace (same id, or same connector+purpose+stack level)."""
        for pid, existing in list(self._profiles.items()):
            if (
                existing.connector_id == profile.connector_id
                and existing.purpose == profile.purpose
                and existing.stack_level == profile.stack_level
            ):
                del self._profiles[pid]
        self._profiles[profile.profile_id] = profile

    def clear(
        self,
        profile_id: int | None = None,
        connector_id: int | None = None,
        purpose: str | None = None,
        stack_level: int | None = None,
    ) -> bool:
        """Remove matching profiles; True when at least one was removed."""
        doomed = [
            p.profile_id
            for p in self._profiles.values()
            if (profile_id is None or p.profile_id == profile_id)
            and (connector_id is None or p.connector_id == connector_id)
            and (purpose is None or p.purpose == purpose)
            and (stack_level is None or p.stack_level == stack_level)
        ]
        for pid in doomed:
            del self._profiles[pid]
        return bool(doomed)

    def end_transaction(self, connector_id: int) -> None:
        self.clear(connector_id=connector_id, purpose=TX_PURPOSE)

    def limit_w(self, connector_id: int) -> float | None:
        winners: dict[str, Profile] = {}
        for p in self._profiles.values():
            if p.connector_id not in (0, connector_id):
                continue
            best = winners.get(p.purpose)
            if best is None or p.stack_level > best.stack_level:
                winners[p.purpose] = p
        if not winners:
            return None
        return min(p.limit_w for p in winners.values())
