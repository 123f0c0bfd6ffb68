"""Issue 13 end to end: an operator rotates a station's key and raises it from profile 1 to 2 to 3
through the contract's operations (clients/stations.graphql, sent verbatim), against laddnet in its
production wiring with its wss:// listener and local CA; the station is a real `ocpp` charge point
that asks for its certificate with a CSR (SignCertificate) and then connects with it."""

from __future__ import annotations

import asyncio
import ssl
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from beanie import PydanticObjectId
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID
from ocpp.v201 import call as call201
from websockets.exceptions import InvalidStatus

from domain.identity import repository as identity_repo
from domain.security.ca import new_key
from laddnet.database import Database
from tests.e2e.conftest import Laddnet, running_laddnet
from tests.e2e.ops import OPS, create_site, register_station
from tests.factories.charging import connect_charge_point
from tests.factories.network import STATION_KEY


@pytest.fixture(scope="module")
async def app(
    database: Database, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Laddnet]:
    async with running_laddnet(database, tmp_path_factory, ocpp_tls_port=0) as running:
        yield running


def _trusting(app: Laddnet, tmp: Path, cert: bytes | None = None, key: bytes | None = None) -> Any:
    tls = app.container.tls
    assert tls is not None
    context = ssl.create_default_context(cafile=str(tls.station_ca_cert))
    if cert is not None and key is not None:
        (tmp / "station.pem").write_bytes(cert)
        (tmp / "station.key").write_bytes(key)
        context.load_cert_chain(str(tmp / "station.pem"), str(tmp / "station.key"))
    return context


async def _boots(app: Laddnet, cp_id: str, **kw: Any) -> None:
    ocpp = app.container.ocpp
    assert ocpp is not None
    port = ocpp.tls_port if kw.get("tls") else app.ocpp_port
    async with connect_charge_point(port, cp_id, "2.0.1", **kw) as cp:
        reply = await cp.call(
            call201.BootNotification(
                charging_station={"model": "M", "vendor_name": "V"}, reason="PowerUp"
            )
        )
        assert reply.status == "Accepted"


async def _refused(app: Laddnet, cp_id: str, **kw: Any) -> None:
    ocpp = app.container.ocpp
    assert ocpp is not None
    port = ocpp.tls_port if kw.get("tls") else app.ocpp_port
    with pytest.raises(InvalidStatus) as refused:
        async with connect_charge_point(port, cp_id, "2.0.1", **kw):
            pass
    assert refused.value.response.status_code == 401


async def _security(app: Laddnet, token: str, station_id: str) -> dict[str, Any]:
    data = await app.data(OPS["StationCertificates"], {"stationId": station_id}, token)
    found: dict[str, Any] = data["station"]
    return found


async def test_rotate_a_key_then_raise_a_station_from_profile_1_to_2_to_3(
    app: Laddnet, tmp_path: Path
) -> None:
    org_id, admin = await app.operator()
    site_id = await create_site(app, admin)
    cp_id = f"SEC-{uuid.uuid4().hex[:6].upper()}"
    station_id = await register_station(app, admin, site_id, cp_id)
    assert await _security(app, admin, station_id) == {
        "id": station_id,
        "securityProfile": 1,
        "certificates": [],
    }

    # rotation: the station takes the new key; the old one is refused once it logs in with it
    async with connect_charge_point(app.ocpp_port, cp_id, "2.0.1") as cp:
        await cp.call(
            call201.BootNotification(
                charging_station={"model": "M", "vendor_name": "V"}, reason="PowerUp"
            )
        )
        rotated = await app.data(OPS["RotateStationPassword"], {"stationId": station_id}, admin)
        assert rotated["rotateStationPassword"] == {"status": "ACCEPTED", "errors": []}
        _, asked = cp.received[-1]
        [change] = asked["set_variable_data"]
        assert (change["component"]["name"], change["variable"]["name"]) == (
            "SecurityCtrlr",
            "BasicAuthPassword",
        )
        station_key = change["attribute_value"]
    await _boots(app, cp_id, password=station_key)
    await _refused(app, cp_id, password=STATION_KEY)

    # profile 2: SetNetworkProfile + Reset; confirmed by the station's first wss:// connection
    async with connect_charge_point(app.ocpp_port, cp_id, "2.0.1", password=station_key) as cp:
        await cp.call(
            call201.BootNotification(
                charging_station={"model": "M", "vendor_name": "V"}, reason="PowerUp"
            )
        )
        raised = await app.data(
            OPS["SetStationSecurityProfile"], {"stationId": station_id, "profile": 2}, admin
        )
        assert raised["setStationSecurityProfile"] == {"status": "ACCEPTED", "errors": []}
        profile = next(p for a, p in cp.received if a == "SetNetworkProfile")
        assert profile["connection_data"]["security_profile"] == 2
        assert profile["connection_data"]["ocpp_csms_url"].startswith("wss://")
        assert [a for a, _ in cp.received][-1] == "Reset"
    assert (await _security(app, admin, station_id))["securityProfile"] == 1  # not yet
    await _boots(app, cp_id, password=station_key, tls=_trusting(app, tmp_path))
    assert (await _security(app, admin, station_id))["securityProfile"] == 2
    await _refused(app, cp_id, password=station_key)  # plain ws:// no more

    # profile 3 needs a certificate first: refused, then the station asks with a CSR
    early = await app.gql(
        OPS["SetStationSecurityProfile"], {"stationId": station_id, "profile": 3}, admin
    )
    assert [e["code"] for e in early["data"]["setStationSecurityProfile"]["errors"]] == [
        "INVALID_INPUT"
    ]
    org = await identity_repo.get_organisation(PydanticObjectId(org_id))
    assert org is not None
    key = new_key()
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.COMMON_NAME, cp_id),
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, org.name),
                ]
            )
        )
        .sign(key, hashes.SHA256())
        .public_bytes(serialization.Encoding.PEM)
        .decode()
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    ocpp = app.container.ocpp
    assert ocpp is not None
    async with connect_charge_point(
        ocpp.tls_port, cp_id, "2.0.1", password=station_key, tls=_trusting(app, tmp_path)
    ) as cp:
        answer = await cp.call(
            call201.SignCertificate(csr=csr, certificate_type="ChargingStationCertificate")
        )
        assert answer.status == "Accepted"
        for _ in range(100):
            if any(a == "CertificateSigned" for a, _ in cp.received):
                break
            await asyncio.sleep(0.05)
        signed = next(p for a, p in cp.received if a == "CertificateSigned")
        raised = await app.data(
            OPS["SetStationSecurityProfile"], {"stationId": station_id, "profile": 3}, admin
        )
        assert raised["setStationSecurityProfile"]["status"] == "ACCEPTED"
    held = (await _security(app, admin, station_id))["certificates"]
    serial = format(
        x509.load_pem_x509_certificate(signed["certificate_chain"].encode()).serial_number, "x"
    )
    assert [(c["certificateType"], c["serialNumber"]) for c in held] == [
        ("CHARGING_STATION", serial)
    ]
    assert held[0]["subject"] == f"O={org.name},CN={cp_id}"

    cert_pem = signed["certificate_chain"].encode()
    await _boots(app, cp_id, password=None, tls=_trusting(app, tmp_path, cert_pem, key_pem))
    assert (await _security(app, admin, station_id))["securityProfile"] == 3
    await _refused(app, cp_id, password=station_key, tls=_trusting(app, tmp_path))  # Basic: no more
    down = await app.gql(
        OPS["SetStationSecurityProfile"], {"stationId": station_id, "profile": 2}, admin
    )
    assert [e["code"] for e in down["data"]["setStationSecurityProfile"]["errors"]] == [
        "INVALID_INPUT"
    ]
