"""Who a request comes from, for throttles and rate limits: pure rule, no I/O.

The peer's address is the client's unless the peer is a configured trusted proxy; then the
client is the right-most address in ``X-Forwarded-For`` that is not itself a trusted proxy (each
proxy appends the address it saw, so everything left of the last trusted hop may be forged by the
client). An address that cannot be read there ends the walk: the last trusted hop that added it
is taken as the client, never anything the client wrote.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    """CIDRs (or single addresses); raises ValueError naming the one that is not."""
    networks = []
    for value in values:
        text = value.strip()
        if not text:
            continue
        try:
            networks.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            raise ValueError(f"{text!r} is not an IP address or CIDR network") from None
    return tuple(networks)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


@dataclass(frozen=True)
class TrustedProxies:
    networks: tuple[Network, ...] = ()

    @classmethod
    def of(cls, values: Iterable[str]) -> TrustedProxies:
        return cls(parse_networks(values))

    def trusts(self, address: ipaddress.IPv4Address | ipaddress.IPv6Address | None) -> bool:
        return address is not None and any(address in network for network in self.networks)

    def client(self, peer: str | None, forwarded_for: Sequence[str] = ()) -> str:
        """The client's address. ``forwarded_for``: every ``X-Forwarded-For`` header, in order."""
        if peer is None:
            return "unknown"
        current = _address(peer)
        if current is None or not self.trusts(current):
            return str(current) if current is not None else peer
        hops = [hop for header in forwarded_for for hop in header.split(",") if hop.strip()]
        for hop in reversed(hops):
            address = _address(hop)
            if address is None:
                break  # unreadable: the trusted hop that passed it on is as far as we can see
            current = address
            if not self.trusts(address):
                break
        return str(current)
