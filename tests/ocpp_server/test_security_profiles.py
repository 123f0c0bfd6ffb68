"""OCPP security profiles 2 and 3 over real TLS, with `ocpp`-library charge points.

Profile 2: TLS + Basic auth. Profile 3: TLS + a client certificate from laddnet's charging-station
CA naming the station (CN) and its organisation (O). A connection below the station's stored
profile is refused; a raise is confirmed by the station's first connection at the new profile;
a rotated key replaces the old one at the station's first login with it; a station's CSR is
signed and the certificate it receives then passes profile 3. (2.0.1 Part 2 A00, A01-A03; 1.6
Security whitepaper.)
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID
from ocpp.v16 import call as call16
from ocpp.v201 import call as call201
from websockets.exceptions import InvalidMessage, InvalidStatus

from domain.charging.commands import StationCommandService
from domain.charging.service import ChargingService
from domain.common.clock import utcnow
from domain.common.events import InProcessEventBus
from domain.identity import repository as identity_repo
from domain.network import repository as network_repo
from domain.network.models import Station
from domain.network.service import NetworkService
from domain.security import ca as x509ca
from domain.security.service import Endpoints, ProviderAnswer, StationSecurity
from ocpp_server.server import OcppDependencies, OcppServer
from ocpp_server.tls import server_context
from tests.factories.charging import connect_charge_point
from tests.factories.network import STATION_KEY, create_org, create_site, create_station


async def org_name(org_id: object) -> str | None:
    org = await identity_repo.get_organisation(org_id)  # type: ignore[arg-type]
    return org.name if org else None


@dataclass
class Tls:
    server: OcppServer
    network: NetworkService
    security: StationSecurity
    ca: x509ca.KeyPair
    ca_file: Path
    tmp: Path
    org_id: object
    org_name: str
    site_id: object

    def client(self, cert: bytes | None = None, key: bytes | None = None) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(self.ca_file))
        if cert is not None and key is not None:
            cert_file, key_file = self.tmp / "client.pem", self.tmp / "client.key"
            cert_file.write_bytes(cert)
            key_file.write_bytes(key)
            context.load_cert_chain(str(cert_file), str(key_file))
        return context


@pytest.fixture(scope="module")
async def tls(database: object, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Tls]:
    tmp = tmp_path_factory.mktemp("tls")
    now = utcnow()
    ca = x509ca.make_ca("laddnet test charging-station CA", now)
    server_pair = x509ca.make_server_certificate(ca, ["127.0.0.1", "localhost"], now)
    ca_file, cert_file, key_file = tmp / "ca.pem", tmp / "server.pem", tmp / "server.key"
    ca_file.write_bytes(ca.certificate_pem)
    cert_file.write_bytes(server_pair.certificate_pem)
    key_file.write_bytes(server_pair.key_pem)
    events = InProcessEventBus()
    network = NetworkService(events)
    commands = StationCommandService(None)  # type: ignore[arg-type]
    charging = ChargingService(events=events, network=network, commands=commands)
    security = StationSecurity(
        commands, org_name, ca=ca, endpoints=Endpoints(wss_url="wss://127.0.0.1/ocpp/")
    )
    server = OcppServer(
        OcppDependencies(network=network, charging=charging, events=events, security=security),
        host="127.0.0.1",
        port=0,
        response_timeout=5.0,
        auth_failure_limit=1000,
        tls=server_context(cert_file, key_file, ca_file),
        tls_port=0,
    )
    await server.start()
    commands.gateway = server.gateway
    org = await create_org()
    site = await create_site(network, org.id)
    try:
        yield Tls(server, network, security, ca, ca_file, tmp, org.id, org.name, site.id)
    finally:
        await server.stop()


async def new_station(t: Tls) -> Station:
    return await create_station(t.network, t.org_id, t.site_id)  # type: ignore[arg-type]


async def fresh(station: Station) -> Station:
    found = await network_repo.get_station(station.id)  # type: ignore[arg-type]
    assert found is not None
    return found


async def boots(t: Tls, cp_id: str, version: str = "1.6", **kw: object) -> None:
    """The station gets in and its BootNotification is answered."""
    port = t.server.tls_port if kw.get("tls") else t.server.port
    async with connect_charge_point(port, cp_id, version, **kw) as cp:  # type: ignore[arg-type]
        if version == "1.6":
            reply = await cp.call(
                call16.BootNotification(charge_point_model="M", charge_point_vendor="V")
            )
        else:
            reply = await cp.call(
                call201.BootNotification(
                    charging_station={"model": "M", "vendor_name": "V"}, reason="PowerUp"
                )
            )
        assert reply.status == "Accepted"


async def refused_with(status: int, t: Tls, cp_id: str, **kw: object) -> None:
    port = t.server.tls_port if kw.get("tls") else t.server.port
    with pytest.raises(InvalidStatus) as refused:
        async with connect_charge_point(port, cp_id, **kw):  # type: ignore[arg-type]
            pass
    assert refused.value.response.status_code == status


async def refused_in_tls(t: Tls, cp_id: str, **kw: object) -> None:
    """The TLS handshake fails: no HTTP, no OCPP message reaches laddnet."""
    with pytest.raises((ssl.SSLError, OSError, InvalidMessage, InvalidStatus)) as refused:
        async with connect_charge_point(t.server.tls_port, cp_id, **kw) as cp:  # type: ignore[arg-type]
            await cp.call(call16.Heartbeat())
    assert not isinstance(refused.value, InvalidStatus), "refused only after the TLS handshake"


def csr_for(cp_id: str, org: str) -> tuple[str, bytes]:
    key = x509ca.new_key()
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.COMMON_NAME, cp_id),
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
                ]
            )
        )
        .sign(key, hashes.SHA256())
    )
    from cryptography.hazmat.primitives import serialization

    return csr.public_bytes(serialization.Encoding.PEM).decode(), x509ca.key_pem(key)


def certificate_for(
    t: Tls, cp_id: str, *, ca: x509ca.KeyPair | None = None, expired: bool = False
) -> tuple[bytes, bytes]:
    csr, key = csr_for(cp_id, t.org_name)
    now = utcnow() - timedelta(days=30) if expired else utcnow()
    pem = x509ca.sign_station_csr(
        ca or t.ca,
        csr,
        charge_point_id=cp_id,
        organisation=t.org_name,
        now=now,
        days=1 if expired else 30,
    )
    return pem, key


async def test_profile_2_takes_the_right_key_over_tls_and_refuses_a_wrong_one(tls: Tls) -> None:
    station = await new_station(tls)
    await boots(tls, station.charge_point_id, tls=tls.client())
    await refused_with(401, tls, station.charge_point_id, tls=tls.client(), password="wrong-key-1")
    await refused_with(401, tls, station.charge_point_id, tls=tls.client(), password=None)


async def test_profile_3_takes_a_valid_certificate_and_refuses_the_others_before_ocpp(
    tls: Tls,
) -> None:
    station = await new_station(tls)
    cp_id = station.charge_point_id
    cert, key = certificate_for(tls, cp_id)
    await boots(tls, cp_id, tls=tls.client(cert, key), password=None)
    assert (await fresh(station)).security_profile == 1  # nothing pending: profile stays

    other_ca = x509ca.make_ca("someone else's CA", utcnow())
    foreign, foreign_key = certificate_for(tls, cp_id, ca=other_ca)
    await refused_in_tls(tls, cp_id, tls=tls.client(foreign, foreign_key), password=None)
    old, old_key = certificate_for(tls, cp_id, expired=True)
    await refused_in_tls(tls, cp_id, tls=tls.client(old, old_key), password=None)
    neighbour = await new_station(tls)
    theirs, their_key = certificate_for(tls, neighbour.charge_point_id)
    await refused_with(401, tls, cp_id, tls=tls.client(theirs, their_key), password=None)
    # another organisation's name in a certificate from the right CA: refused too
    csr, k = csr_for(cp_id, "Not The Org")
    wrong_org = x509ca.sign_station_csr(
        tls.ca, csr, charge_point_id=cp_id, organisation="Not The Org", now=utcnow()
    )
    await refused_with(401, tls, cp_id, tls=tls.client(wrong_org, k), password=None)


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_profile_1_to_2_to_3_with_a_signed_csr_and_no_way_back(
    tls: Tls, version: str
) -> None:
    station = await new_station(tls)
    cp_id = station.charge_point_id
    async with connect_charge_point(tls.server.port, cp_id, version) as cp:
        await asyncio.sleep(0.05)
        online = await fresh(station)
        online.ocpp_version = version
        result = await tls.security.raise_profile(online, 2)
        assert result.accepted
        if version == "1.6":
            assert ("ChangeConfiguration", {"key": "SecurityProfile", "value": "2"}) in cp.received
        else:
            _, payload = next(r for r in cp.received if r[0] == "SetNetworkProfile")
            data = payload["connection_data"]
            assert (data["security_profile"], data["ocpp_csms_url"]) == (
                2,
                "wss://127.0.0.1/ocpp/",
            )
            assert any(r[0] == "Reset" for r in cp.received)
    assert (await fresh(station)).pending_security_profile == 2
    await boots(tls, cp_id, version, tls=tls.client())  # the station comes back on profile 2
    moved = await fresh(station)
    assert (moved.security_profile, moved.pending_security_profile) == (2, None)
    await refused_with(401, tls, cp_id, version=version)  # plain ws: no longer

    # SignCertificate: the station's CSR comes back signed by CertificateSigned
    csr, key = csr_for(cp_id, tls.org_name)
    async with connect_charge_point(tls.server.tls_port, cp_id, version, tls=tls.client()) as cp:
        if version == "1.6":
            answer = await cp.call(call16.SignCertificate(csr=csr))
        else:
            answer = await cp.call(
                call201.SignCertificate(csr=csr, certificate_type="ChargingStationCertificate")
            )
        assert answer.status == "Accepted"
        for _ in range(100):
            if any(r[0] == "CertificateSigned" for r in cp.received):
                break
            await asyncio.sleep(0.05)
        _, signed = next(r for r in cp.received if r[0] == "CertificateSigned")
        refused = await cp.call(
            call16.SignCertificate(csr=csr_for("CP-SOMEONE-ELSE", tls.org_name)[0])
            if version == "1.6"
            else call201.SignCertificate(csr=csr_for("CP-SOMEONE-ELSE", tls.org_name)[0])
        )
        assert refused.status == "Rejected"
    pem = signed["certificate_chain"].encode()
    held = await tls.security.certificates(await fresh(station))
    assert [c.serial_number for c in held] == [x509ca.describe(pem).serial_number]

    at2 = await fresh(station)
    at2.ocpp_version = version
    async with connect_charge_point(tls.server.tls_port, cp_id, version, tls=tls.client()):
        await asyncio.sleep(0.05)
        assert (await tls.security.raise_profile(at2, 3)).accepted
    await boots(tls, cp_id, version, tls=tls.client(pem, key), password=None)
    assert (await fresh(station)).security_profile == 3
    await refused_with(401, tls, cp_id, version=version, tls=tls.client())  # Basic auth: no more
    with pytest.raises(Exception, match="profiles only go up"):
        await tls.security.raise_profile(await fresh(station), 2)


async def test_a_rotated_key_replaces_the_old_one_at_the_stations_first_login_with_it(
    tls: Tls,
) -> None:
    station = await new_station(tls)
    cp_id = station.charge_point_id
    async with connect_charge_point(tls.server.port, cp_id, "1.6") as cp:
        await asyncio.sleep(0.05)
        assert (await tls.security.rotate_key(await fresh(station))).accepted
        _, change = next(r for r in cp.received if r[0] == "ChangeConfiguration")
    assert change["key"] == "AuthorizationKey"
    new_key = change["value"]
    assert len(new_key) == 40 and new_key != STATION_KEY
    await boots(tls, cp_id, password=STATION_KEY)  # until the station uses the new key
    await boots(tls, cp_id, password=new_key)
    await refused_with(401, tls, cp_id, password=STATION_KEY)
    await boots(tls, cp_id, password=new_key)


class _Provider:
    def __init__(self) -> None:
        self.asked: list[tuple[str, ...]] = []

    async def ev_certificate(self, schema_version: str, action: str, exi_request: str) -> Any:
        self.asked.append((schema_version, action, exi_request))
        return ProviderAnswer("Accepted", "EXI-RESPONSE")

    async def certificate_status(self, ocsp_request: dict[str, object]) -> Any:
        self.asked.append(("ocsp", str(ocsp_request["serial_number"])))
        return ProviderAnswer("Accepted", "T0NTUA==")


async def test_ev_certificates_and_ocsp_go_to_the_provider_or_are_answered_failed(
    tls: Tls,
) -> None:
    """2.0.1 M01/M02 Get15118EVCertificate and M06 GetCertificateStatus: laddnet is no ISO 15118
    PKI itself; without a provider it answers Failed (and logs), never Accepted."""
    station = await new_station(tls)
    ocsp = {
        "hash_algorithm": "SHA256",
        "issuer_name_hash": "aa",
        "issuer_key_hash": "bb",
        "serial_number": "0102",
        "responder_url": "http://ocsp.example/",
    }
    ev = call201.Get15118EVCertificate(
        iso15118_schema_version="urn:iso:15118:2:2013:MsgDef", action="Install", exi_request="AAEC"
    )
    async with connect_charge_point(tls.server.port, station.charge_point_id, "2.0.1") as cp:
        assert (await cp.call(ev)).status == "Failed"
        assert (await cp.call(call201.GetCertificateStatus(ocsp_request_data=ocsp))).status == (
            "Failed"
        )
        provider = _Provider()
        tls.security.provider = provider
        try:
            answer = await cp.call(ev)
            assert (answer.status, answer.exi_response) == ("Accepted", "EXI-RESPONSE")
            status = await cp.call(call201.GetCertificateStatus(ocsp_request_data=ocsp))
            assert (status.status, status.ocsp_result) == ("Accepted", "T0NTUA==")
        finally:
            tls.security.provider = None
    assert provider.asked == [
        ("urn:iso:15118:2:2013:MsgDef", "Install", "AAEC"),
        ("ocsp", "0102"),
    ]
