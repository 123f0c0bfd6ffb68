"""The certificates OCPP security profiles 2 and 3 need, from settings or made on first run.

Unset, laddnet keeps a local charging-station CA and a server certificate it signed in
``LADDNET_DATA_DIR/tls`` (keys 0600), so the embedded default offers wss:// at once. A station
trusts laddnet by installing ``tls/ca.pem`` as its CSMSRootCertificate (or the operator's own
CA where LADDNET_OCPP_TLS_CERT is set), and gets its own certificate by SignCertificate.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from domain.common.clock import utcnow
from domain.security.ca import KeyPair, make_ca, make_server_certificate
from laddnet.settings import Settings


@dataclass(frozen=True)
class TlsFiles:
    server_cert: Path
    server_key: Path
    station_ca_cert: Path
    station_ca: KeyPair | None  # with its key: laddnet signs CSRs


def _write(path: Path, data: bytes, *, secret: bool = False) -> None:
    path.write_bytes(data)
    if secret:
        path.chmod(0o600)


def ensure_tls_files(settings: Settings) -> TlsFiles:
    folder = settings.data_dir / "tls"
    host = settings.ocpp_public_host or settings.ocpp_host
    if settings.station_ca_cert is not None:
        ca_cert = settings.station_ca_cert
        ca = (
            KeyPair(ca_cert.read_bytes(), settings.station_ca_key.read_bytes())
            if settings.station_ca_key is not None
            else None
        )
    else:
        folder.mkdir(parents=True, exist_ok=True)
        ca_cert, ca_key = folder / "ca.pem", folder / "ca.key"
        if not (ca_cert.exists() and ca_key.exists()):
            made = make_ca("laddnet charging-station CA", utcnow())
            _write(ca_key, made.key_pem, secret=True)
            _write(ca_cert, made.certificate_pem)
        ca = KeyPair(ca_cert.read_bytes(), ca_key.read_bytes())
    if settings.ocpp_tls_cert is not None and settings.ocpp_tls_key is not None:
        return TlsFiles(settings.ocpp_tls_cert, settings.ocpp_tls_key, ca_cert, ca)
    if ca is None:
        raise ValueError(
            "LADDNET_OCPP_TLS_CERT and LADDNET_OCPP_TLS_KEY are needed when the station CA's key "
            "is not given"
        )
    folder.mkdir(parents=True, exist_ok=True)
    cert, key, hosts = folder / "server.pem", folder / "server.key", folder / "server.hosts"
    wanted = sorted({host, "localhost", "127.0.0.1"})
    if not (cert.exists() and key.exists() and hosts.exists()) or hosts.read_text() != ",".join(
        wanted
    ):
        made = make_server_certificate(ca, [host, *[h for h in wanted if h != host]], utcnow())
        _write(key, made.key_pem, secret=True)
        _write(cert, made.certificate_pem)
        hosts.write_text(",".join(wanted))
    return TlsFiles(cert, key, ca_cert, ca)
