"""A real TLS (HTTPS) server on 127.0.0.1 with certificates made on the spot by a throw-away CA.

The SSL and HTTPS checks are tested against genuine handshakes, so expiry, an unknown CA and a host
name mismatch fail inside OpenSSL exactly as they would against a real site::

    ca = TestCA()                                   # self-signed root; ca.bundle_path is its PEM
    with serve_tls(ca, days=20) as peer:            # leaf for "localhost" + IP 127.0.0.1
        monkeypatch.setenv("ONLINETRACKER_CA_BUNDLE", ca.bundle_path)
        run_check(CheckSpec("ssl", peer.target))    # "localhost:<port>"
        run_check(CheckSpec("https", peer.url))     # "https://localhost:<port>/" answers 200 "ok"
        peer.http.set(status=503)                   # the underlying HttpPeer
    with serve_tls(ca, days=-1) as peer: ...        # expired yesterday
    with serve_tls(ca, dns_names=("wrong.example",), ip_addresses=()) as peer: ...

Keys are EC P-256: generating one takes microseconds, where RSA would slow every test.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import os
import shutil
import ssl
import tempfile
from collections.abc import Iterator, Sequence

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.peers.http_server import HttpPeer

#: Added to a leaf's lifetime so a check run a few milliseconds later still sees exactly ``days``
#: whole days left (and ``days=-1`` still reads as -1, not -2).
_SLACK = dt.timedelta(hours=1)


class TestCA:
    """A self-signed root whose PEM lives in a private temporary directory until :meth:`cleanup`."""

    __test__ = False  # not a pytest test class despite the name

    def __init__(self, common_name: str = "OnlineTracker Test CA"):
        self.directory = tempfile.mkdtemp(prefix="onlinetracker-ca-")
        self.key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        public_key = self.key.public_key()
        self.certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_key_usage(cert_sign=True), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        self.bundle_path = self._write("ca.pem", self.certificate.public_bytes(serialization.Encoding.PEM))

    def issue(
        self,
        dns_names: Sequence[str] = ("localhost",),
        ip_addresses: Sequence[str] = ("127.0.0.1",),
        days: int = 60,
    ) -> tuple[str, str]:
        """Write a leaf certificate and key; return their paths.

        ``days`` is the number of whole days left from now; negative means it expired that many days
        ago (its validity then started 30 days before it ended).
        """
        now = dt.datetime.now(dt.UTC)
        not_after = now + dt.timedelta(days=days) + _SLACK
        not_before = min(now - dt.timedelta(days=1), not_after - dt.timedelta(days=30))
        key = ec.generate_private_key(ec.SECP256R1())
        names: list[x509.GeneralName] = [x509.DNSName(name) for name in dns_names]
        names += [x509.IPAddress(ipaddress.ip_address(address)) for address in ip_addresses]
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, (list(dns_names) or ["leaf"])[0])])
        certificate = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self.certificate.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(cert_sign=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False
            )
            .sign(self.key, hashes.SHA256())
        )
        serial = format(certificate.serial_number, "x")
        cert_path = self._write(f"leaf-{serial}.pem", certificate.public_bytes(serialization.Encoding.PEM))
        key_path = self._write(
            f"leaf-{serial}.key",
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
        )
        return cert_path, key_path

    def server_context(self, **issue_kwargs) -> ssl.SSLContext:
        """A server-side context presenting a freshly issued leaf (see :meth:`issue`)."""
        cert_path, key_path = self.issue(**issue_kwargs)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_path, key_path)
        return context

    def cleanup(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)

    def _write(self, name: str, data: bytes) -> str:
        path = os.path.join(self.directory, name)
        with open(path, "wb") as handle:
            handle.write(data)
        return path


class TlsPeer:
    """An HTTPS server; ``target`` is "localhost:<port>" for the SSL check, ``url`` for HTTPS."""

    def __init__(self, context: ssl.SSLContext, hostname: str = "localhost"):
        self.http = HttpPeer(ssl_context=context)
        self.port = self.http.port
        self.hostname = hostname
        self.target = f"{hostname}:{self.port}"
        self.url = f"https://{hostname}:{self.port}/"

    def stop(self) -> None:
        self.http.stop()


@contextlib.contextmanager
def serve_tls(
    ca: TestCA,
    days: int = 60,
    dns_names: Sequence[str] = ("localhost",),
    ip_addresses: Sequence[str] = ("127.0.0.1",),
    hostname: str = "localhost",
) -> Iterator[TlsPeer]:
    """Serve HTTPS on 127.0.0.1 with a leaf from ``ca``; ``hostname`` is what the peer's URLs name."""
    peer = TlsPeer(ca.server_context(dns_names=dns_names, ip_addresses=ip_addresses, days=days), hostname)
    try:
        yield peer
    finally:
        peer.stop()


def _key_usage(cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )
