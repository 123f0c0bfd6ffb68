"""X.509 for OCPP security profiles 2 and 3, with ``cryptography`` (no hand-written crypto).

Pure functions over PEM bytes: make a certificate authority, a TLS server certificate, and sign a
charging station's CSR (OCPP 2.0.1 A02/A03, 1.6 Security whitepaper SignCertificate) after checking
what the CSR asks for: the charge point id as its CN and the organisation as registered as its O
(2.0.1 Part 2 A00.FR.413/A00.FR.414; the key is EC P-256 or RSA >= 2048, A00.FR.420-ish key sizes).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from domain.common.errors import InvalidInput

MIN_RSA_BITS = 2048


@dataclass(frozen=True)
class CertificateInfo:
    serial_number: str  # hex, as OCPP's CertificateHashData carries it
    subject: str  # RFC 4514
    issuer: str
    common_name: str | None
    organisation: str | None
    not_before: datetime
    not_after: datetime
    issuer_name_hash: str
    issuer_key_hash: str


@dataclass(frozen=True)
class KeyPair:
    certificate_pem: bytes
    key_pem: bytes


def new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def key_pem(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _name(common_name: str, organisation: str | None = None) -> x509.Name:
    parts = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organisation:
        parts.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation))
    return x509.Name(parts)


def make_ca(common_name: str, now: datetime, *, days: int = 3650) -> KeyPair:
    key = new_key()
    name = _name(common_name, "laddnet")
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return KeyPair(cert.public_bytes(serialization.Encoding.PEM), key_pem(key))


def make_server_certificate(
    ca: KeyPair, hosts: list[str], now: datetime, *, days: int = 825
) -> KeyPair:
    """A TLS server certificate for the CSMS, its hosts as subjectAltName (DNS names or IPs)."""
    ca_cert, ca_key = _load_ca(ca)
    key = new_key()
    alt: list[x509.GeneralName] = []
    for host in hosts:
        try:
            alt.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            alt.append(x509.DNSName(host))
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(hosts[0], "laddnet"))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName(alt), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return KeyPair(cert.public_bytes(serialization.Encoding.PEM), key_pem(key))


def sign_station_csr(
    ca: KeyPair,
    csr_pem: str | bytes,
    *,
    charge_point_id: str,
    organisation: str,
    now: datetime,
    days: int = 365,
) -> bytes:
    """Sign a ChargingStationCertificate CSR. Refused (InvalidInput) when it is not a valid CSR,
    its signature does not verify, its key is weak, or its CN/O are not this station's."""
    raw = csr_pem.encode() if isinstance(csr_pem, str) else csr_pem
    try:
        csr = x509.load_pem_x509_csr(raw)
    except ValueError as exc:
        raise InvalidInput("the CSR is not a PEM PKCS#10 request", field="csr") from exc
    try:
        valid = csr.is_signature_valid
    except (InvalidSignature, ValueError):
        valid = False
    if not valid:
        raise InvalidInput("the CSR's signature does not verify", field="csr")
    public = csr.public_key()
    if isinstance(public, rsa.RSAPublicKey):
        if public.key_size < MIN_RSA_BITS:
            raise InvalidInput(f"an RSA key needs at least {MIN_RSA_BITS} bits", field="csr")
    elif not isinstance(public, ec.EllipticCurvePublicKey):
        raise InvalidInput("the CSR's key is neither EC nor RSA", field="csr")
    cn = _attr(csr.subject, NameOID.COMMON_NAME)
    org = _attr(csr.subject, NameOID.ORGANIZATION_NAME)
    if cn != charge_point_id:
        raise InvalidInput(f"the CSR's CN is {cn!r}, not the station's id", field="csr")
    if org != organisation:
        raise InvalidInput(f"the CSR's O is {org!r}, not the station's organisation", field="csr")
    ca_cert, ca_key = _load_ca(ca)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(charge_point_id, organisation))
        .issuer_name(ca_cert.subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM)


def describe(certificate_pem: str | bytes) -> CertificateInfo:
    raw = certificate_pem.encode() if isinstance(certificate_pem, str) else certificate_pem
    try:
        cert = x509.load_pem_x509_certificate(raw)
    except ValueError as exc:
        raise InvalidInput("not a PEM X.509 certificate", field="certificate") from exc
    return info_of(cert)


def info_of(cert: x509.Certificate) -> CertificateInfo:
    digest = hashes.Hash(hashes.SHA256())
    digest.update(cert.issuer.public_bytes())
    issuer_name_hash = digest.finalize().hex()
    try:
        aki = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
        issuer_key_hash = (aki.key_identifier or b"").hex()
    except x509.ExtensionNotFound:
        issuer_key_hash = ""
    return CertificateInfo(
        serial_number=format(cert.serial_number, "x"),
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        common_name=_attr(cert.subject, NameOID.COMMON_NAME),
        organisation=_attr(cert.subject, NameOID.ORGANIZATION_NAME),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        issuer_name_hash=issuer_name_hash,
        issuer_key_hash=issuer_key_hash,
    )


def _attr(name: x509.Name, oid: x509.ObjectIdentifier) -> str | None:
    values = name.get_attributes_for_oid(oid)
    if not values:
        return None
    value = values[0].value
    return value if isinstance(value, str) else value.decode()


def _load_ca(ca: KeyPair) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    cert = x509.load_pem_x509_certificate(ca.certificate_pem)
    key = serialization.load_pem_private_key(ca.key_pem, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError("the CA key must be an EC key")
    return cert, key
