"""SignCertificate for both versions (2.0.1 A02/A03; 1.6 Security whitepaper): the CSR is checked
and signed in the handler (answered Accepted, or Rejected when laddnet cannot sign it), and the
certificate goes to the station by CertificateSigned from the ``@after`` hook, never inside the
``@on`` (the library would deadlock waiting for its own answer)."""

from __future__ import annotations

import logging

from domain.charging.commands import CertificateSigned
from domain.common.errors import DomainError
from domain.network.models import Station
from ocpp_server.context import HandlerContext

log = logging.getLogger(__name__)


async def sign(ctx: HandlerContext, station: Station, csr: str, kind: str | None) -> bool:
    """True: Accepted, the certificate waits for ``send_signed``."""
    if ctx.security is None:
        return False
    try:
        pem = await ctx.security.sign_csr(station, csr, kind)
    except DomainError as exc:
        log.warning("station %s: CSR refused: %s", station.charge_point_id, exc)
        return False
    ctx.signed[station.charge_point_id] = (pem.decode(), kind)
    return True


async def send_signed(ctx: HandlerContext, station: Station) -> None:
    signed = ctx.signed.pop(station.charge_point_id, None)
    if signed is None or ctx.security is None:
        return
    pem, kind = signed
    result = await ctx.security.commands.send(
        station.charge_point_id, CertificateSigned(certificate_chain=pem, certificate_type=kind)
    )
    log.info("station %s: CertificateSigned %s", station.charge_point_id, result.status.value)
