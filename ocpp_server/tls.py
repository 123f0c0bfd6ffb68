"""The TLS side of OCPP security profiles 2 and 3 (2.0.1 Part 2 §A00; 1.6 Security whitepaper).

- TLS 1.2 or higher only (A00.FR.313), no TLS compression (A00.FR.321; OpenSSL's default).
- TLS 1.2 cipher suites: the four A00.FR.318 requires (ECDHE-ECDSA and RSA key exchange with
  AES-GCM) plus ECDHE-RSA for forward secrecy with an RSA server key; TLS 1.3 suites as OpenSSL has.
- A client certificate is requested but not required at the TLS level, so profile 2 and 3 stations
  share one port. One that is presented must chain to the charging-station CA and be in date, or
  the handshake fails before any HTTP; the websocket handshake (auth.py) then checks that it names
  the station and enforces the station's stored profile.
"""

from __future__ import annotations

import ssl
from pathlib import Path

from cryptography import x509

from domain.security.ca import CertificateInfo, info_of

CIPHERS_TLS12 = ":".join(
    [
        "ECDHE-ECDSA-AES128-GCM-SHA256",  # TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
        "ECDHE-ECDSA-AES256-GCM-SHA384",  # TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
        "AES128-GCM-SHA256",  # TLS_RSA_WITH_AES_128_GCM_SHA256
        "AES256-GCM-SHA384",  # TLS_RSA_WITH_AES_256_GCM_SHA384
        "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-RSA-AES256-GCM-SHA384",
    ]
)


def server_context(cert_file: Path, key_file: Path, client_ca_file: Path | None) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers(CIPHERS_TLS12)
    context.options |= ssl.OP_NO_COMPRESSION | ssl.OP_NO_RENEGOTIATION
    context.load_cert_chain(str(cert_file), str(key_file))
    if client_ca_file is not None:
        context.load_verify_locations(cafile=str(client_ca_file))
        context.verify_mode = ssl.CERT_OPTIONAL
    return context


def peer_certificate(transport: object) -> tuple[bool, CertificateInfo | None]:
    """(over TLS?, the verified client certificate if the station presented one)."""
    get = getattr(transport, "get_extra_info", None)
    ssl_object = get("ssl_object") if get is not None else None
    if ssl_object is None:
        return False, None
    der = ssl_object.getpeercert(binary_form=True)
    if not der:
        return True, None
    return True, info_of(x509.load_der_x509_certificate(der))
