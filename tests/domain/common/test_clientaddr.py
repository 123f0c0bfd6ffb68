"""Whose address a request carries: X-Forwarded-For only from a trusted proxy."""

from __future__ import annotations

import pytest

from domain.common.clientaddr import TrustedProxies, parse_networks

PROXIES = TrustedProxies.of(["10.0.0.0/8", "2001:db8::/32"])


@pytest.mark.parametrize(
    ("peer", "headers", "client"),
    [
        ("192.0.2.1", ["203.0.113.5"], "192.0.2.1"),  # untrusted peer: the header is ignored
        ("10.0.0.2", ["203.0.113.5"], "203.0.113.5"),
        ("10.0.0.2", ["198.51.100.1, 203.0.113.5"], "203.0.113.5"),  # left of it may be forged
        ("10.0.0.2", ["203.0.113.5, 10.0.0.3"], "203.0.113.5"),  # through two trusted hops
        ("10.0.0.2", ["203.0.113.5", "10.0.0.3"], "203.0.113.5"),  # several headers, in order
        ("10.0.0.2", [], "10.0.0.2"),
        ("10.0.0.2", ["10.0.0.9"], "10.0.0.9"),  # all trusted: the farthest seen
        ("10.0.0.2", ["garbage"], "10.0.0.2"),  # unreadable: the hop that passed it on
        ("10.0.0.2", ["203.0.113.5:4711"], "203.0.113.5"),
        ("10.0.0.2", ["[2001:db9::1]:80"], "2001:db9::1"),
        ("::ffff:10.0.0.2", ["203.0.113.5"], "203.0.113.5"),
        (None, ["203.0.113.5"], "unknown"),
    ],
)
def test_the_client_address(peer: str | None, headers: list[str], client: str) -> None:
    assert PROXIES.client(peer, headers) == client


def test_a_bad_network_is_named() -> None:
    with pytest.raises(ValueError, match=r"'10\.0\.0\.0/33'"):
        parse_networks(["10.0.0.0/8", "10.0.0.0/33"])
