"""``StationSecurity``: OCPP security profiles per station, key rotation and station certificates.

- A station's profile (1: Basic auth over ws; 2: TLS + Basic auth; 3: TLS + client certificate) is
  stored and enforced at the handshake (``check_level``): a connection below it is refused. It
  only goes up: a raise is asked of the station (1.6 ChangeConfiguration ``SecurityProfile``; 2.0.1
  SetNetworkProfile + Reset), kept pending, and becomes the profile when the station connects with
  it (``connected``); from then on the lower levels are refused.
- A new Basic-auth key (1.6 ChangeConfiguration ``AuthorizationKey``; 2.0.1 SetVariables
  ``SecurityCtrlr.BasicAuthPassword``) is pending once the station accepts it; the station's first
  login with it makes it the key and the old one is refused.
- SignCertificate: the station's CSR is checked (CN = charge point id, O = its organisation) and
  signed by laddnet's charging-station CA; the certificate is kept and sent by CertificateSigned.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import Protocol

from beanie import PydanticObjectId

from domain.charging.commands import (
    ChangeConfiguration,
    CommandResult,
    Reset,
    SetNetworkProfile,
    StationCommandService,
)
from domain.common.clock import utcnow
from domain.common.errors import InvalidInput, Unauthenticated
from domain.common.passwords import StationKeyVerifier, hash_station_key
from domain.network.models import Station
from domain.security import ca as x509ca
from domain.security import repository as repo
from domain.security.models import CertificateType, SecurityChange, StationCertificate

log = logging.getLogger(__name__)

PROFILES = (1, 2, 3)
KEY_BYTES = 20  # 1.6 AuthorizationKey / 2.0.1 BasicAuthPassword: 16-40 characters; 40 hex


class OrganisationNames(Protocol):
    """Security's view of identity: the registered name of an organisation."""

    async def __call__(self, org_id: PydanticObjectId) -> str | None: ...


@dataclass(frozen=True)
class ProviderAnswer:
    status: str  # OCPP: Accepted / Failed
    payload: str | None = None  # EXI response (15118) or OCSP result (base64)


class CertificateProvider(Protocol):
    """Where a real ISO 15118 / PKI provider plugs in (a V2G root / mobility operator CA's
    contract-certificate service, an OCSP responder): passed to ``StationSecurity``."""

    async def ev_certificate(
        self, schema_version: str, action: str, exi_request: str
    ) -> ProviderAnswer: ...

    async def certificate_status(self, ocsp_request: dict[str, object]) -> ProviderAnswer: ...


@dataclass(frozen=True)
class Endpoints:
    """Where stations reach laddnet, for SetNetworkProfile."""

    ws_url: str | None = None  # ws://host:port/ocpp/
    wss_url: str | None = None  # wss://host:port/ocpp/


class StationSecurity:
    def __init__(
        self,
        commands: StationCommandService,
        org_names: OrganisationNames,
        *,
        ca: x509ca.KeyPair | None = None,
        endpoints: Endpoints | None = None,
        keys: StationKeyVerifier | None = None,
        certificate_days: int = 365,
        provider: CertificateProvider | None = None,
    ) -> None:
        self.commands = commands
        self.org_names = org_names
        self.ca = ca
        self.endpoints = endpoints or Endpoints()
        self.keys = keys or StationKeyVerifier()
        self.certificate_days = certificate_days
        self.provider = provider

    # -- at the handshake --------------------------------------------------------------------

    def check_level(self, station: Station, level: int) -> None:
        """Refuse a connection below the station's profile (or below one it was moved to)."""
        if level < station.security_profile:
            raise Unauthenticated(
                f"station {station.charge_point_id} must connect with security profile "
                f"{station.security_profile}, not {level}"
            )

    async def check_client_certificate(
        self, station: Station, info: x509ca.CertificateInfo
    ) -> None:
        """Profile 3: the TLS layer checked the chain and dates; the subject must be this
        station (CN) of its organisation as registered (O)."""
        if info.common_name != station.charge_point_id:
            raise Unauthenticated(
                f"the client certificate's CN {info.common_name!r} is not {station.charge_point_id!r}"
            )
        org = await self.org_names(station.org_id)
        if org is None or info.organisation != org:
            raise Unauthenticated(
                f"the client certificate's O {info.organisation!r} is not the station's organisation"
            )

    async def pending_key_matches(self, station: Station, password: str) -> bool:
        """The station logged in with the key it was asked to take: it is the key from now on."""
        pending = station.pending_password_hash
        if pending is None or not await self.keys.verify(pending, password):
            return False
        assert station.id is not None
        await repo.promote_password(station.id, pending)
        await repo.confirm_changes(station.id, "password", utcnow())
        log.info("station %s confirmed its new key", station.charge_point_id)
        return True

    async def connected(self, station: Station, level: int) -> None:
        """The station is in at ``level``: a raise it was asked for is confirmed."""
        pending = station.pending_security_profile
        if pending is not None and level >= pending and station.id is not None:
            await repo.promote_profile(station.id, level)
            await repo.confirm_changes(station.id, "profile", utcnow())
            log.info("station %s moved to security profile %d", station.charge_point_id, level)

    # -- what operators ask ------------------------------------------------------------------

    async def raise_profile(self, station: Station, profile: int) -> CommandResult:
        if profile not in PROFILES:
            raise InvalidInput("a security profile is 1, 2 or 3", field="profile")
        if profile <= station.security_profile:
            raise InvalidInput(
                f"the station is at profile {station.security_profile}: profiles only go up",
                field="profile",
            )
        if profile >= 2 and not self.endpoints.wss_url:
            raise InvalidInput(
                "laddnet has no TLS listener (LADDNET_OCPP_TLS_PORT)", field="profile"
            )
        if profile == 3 and not await self._has_station_certificate(station):
            raise InvalidInput(
                "the station holds no certificate from laddnet's CA yet: have it send "
                "SignCertificate first",
                field="profile",
            )
        if (station.ocpp_version or "1.6").startswith("2.0"):
            result = await self.commands.send(
                station.charge_point_id,
                SetNetworkProfile(
                    configuration_slot=1,
                    csms_url=self.endpoints.wss_url or "",
                    security_profile=profile,
                ),
            )
            if result.accepted:
                await self.commands.send(
                    station.charge_point_id,
                    ChangeConfiguration(
                        key="OCPPCommCtrlr.NetworkConfigurationPriority", value="1"
                    ),
                )
                await self.commands.send(station.charge_point_id, Reset())
        else:
            result = await self.commands.send(
                station.charge_point_id,
                ChangeConfiguration(key="SecurityProfile", value=str(profile)),
            )
        await self._record(station, "profile", result, profile=profile)
        if result.accepted:
            assert station.id is not None
            await repo.set_pending(station.id, profile=profile)
        return result

    async def rotate_key(self, station: Station) -> CommandResult:
        key = secrets.token_hex(KEY_BYTES)
        name = (
            "SecurityCtrlr.BasicAuthPassword"
            if (station.ocpp_version or "1.6").startswith("2.0")
            else "AuthorizationKey"
        )
        result = await self.commands.send(
            station.charge_point_id, ChangeConfiguration(key=name, value=key)
        )
        await self._record(station, "password", result)
        if result.accepted:
            assert station.id is not None
            await repo.set_pending(station.id, password_hash=hash_station_key(key))
        return result

    async def certificates(self, station: Station) -> list[StationCertificate]:
        assert station.id is not None
        return await repo.certificates_of(station.id)

    # -- what stations ask -------------------------------------------------------------------

    async def sign_csr(self, station: Station, csr: str, certificate_type: str | None) -> bytes:
        """SignCertificate: checked and signed, or InvalidInput (answered Rejected)."""
        if self.ca is None:
            raise InvalidInput("laddnet has no charging-station CA configured", field="csr")
        kind = certificate_type or CertificateType.CHARGING_STATION.value
        if kind != CertificateType.CHARGING_STATION.value:
            raise InvalidInput(f"laddnet signs no {kind} (only ChargingStationCertificate)")
        org = await self.org_names(station.org_id)
        if org is None:
            raise InvalidInput("the station's organisation is unknown", field="csr")
        now = utcnow()
        pem = x509ca.sign_station_csr(
            self.ca,
            csr,
            charge_point_id=station.charge_point_id,
            organisation=org,
            now=now,
            days=self.certificate_days,
        )
        info = x509ca.describe(pem)
        assert station.id is not None
        await repo.insert_certificate(
            StationCertificate(
                org_id=station.org_id,
                station_id=station.id,
                charge_point_id=station.charge_point_id,
                certificate_type=CertificateType.CHARGING_STATION,
                serial_number=info.serial_number,
                subject=info.subject,
                issuer=info.issuer,
                not_before=info.not_before,
                expires_at=info.not_after,
                pem=pem.decode(),
                source="signed",
            )
        )
        log.info("signed a certificate for station %s", station.charge_point_id)
        return pem

    async def ev_certificate(
        self, station: Station, schema_version: str, action: str, exi_request: str
    ) -> ProviderAnswer:
        """2.0.1 Get15118EVCertificate (M01/M02): passed to the provider, Failed without one."""
        if self.provider is None:
            log.warning(
                "station %s asked for an ISO 15118 EV certificate: no provider configured",
                station.charge_point_id,
            )
            return ProviderAnswer("Failed")
        return await self.provider.ev_certificate(schema_version, action, exi_request)

    async def certificate_status(
        self, station: Station, ocsp_request: dict[str, object]
    ) -> ProviderAnswer:
        """2.0.1 GetCertificateStatus (M06): OCSP through the provider, Failed without one."""
        if self.provider is None:
            log.warning(
                "station %s asked for a certificate status (OCSP): no provider configured",
                station.charge_point_id,
            )
            return ProviderAnswer("Failed")
        return await self.provider.certificate_status(ocsp_request)

    async def _has_station_certificate(self, station: Station) -> bool:
        return any(
            c.certificate_type is CertificateType.CHARGING_STATION and c.expires_at > utcnow()
            for c in await self.certificates(station)
        )

    async def _record(
        self, station: Station, kind: str, result: CommandResult, *, profile: int | None = None
    ) -> None:
        assert station.id is not None
        await repo.record_change(
            SecurityChange(
                org_id=station.org_id,
                station_id=station.id,
                kind=kind,
                profile=profile,
                status=result.status.value,
            )
        )
