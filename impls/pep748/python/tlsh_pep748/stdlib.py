"""A PEP 748 implementation over Python's standard :mod:`ssl` module.

``IMPLEMENTATION`` is a :class:`~tlsh_pep748.api.TLSImplementation` whose
contexts build :class:`ssl.SSLContext` objects from PEP 748 configurations and
whose buffers are :class:`ssl.SSLObject` instances between two
:class:`ssl.MemoryBIO` objects: ``process_incoming`` writes to the incoming
BIO, ``process_outgoing`` reads from the outgoing one, and nothing does I/O.
``INSECURE_IMPLEMENTATION`` is its insecure variant.

It is tlsharness's test subject for the PEP 748 bridge and meant as an example
for implementers; the places where the :mod:`ssl` module (or the PEP) needs
care are spelled out where they are handled:

* **Transport EOF.** PEP 748 has no way to tell a buffer that the transport
  ended, so no PEP 748 buffer can ever raise ``RaggedEOF``. This buffer has
  one more method, ``process_incoming_eof()`` (``MemoryBIO.write_eof()``):
  afterwards ``read`` returns the remaining plaintext, then ``b''`` if the
  peer's close_notify arrived (for good) and ``RaggedEOF`` if it did not. The
  :mod:`ssl` module sets ``OP_IGNORE_UNEXPECTED_EOF`` by default, which
  would turn a truncation into a clean end; contexts here clear it.
* **ALPN.** ``SSLContext.set_alpn_protocols`` takes ASCII strings only, while
  PEP 748 protocol names are arbitrary bytes (1..255 of them); the wire-format
  list goes to the method it uses underneath. ``SSLObject.
  selected_alpn_protocol`` decodes the name as UTF-8; the raw bytes of a
  name that is not UTF-8 are recovered from the ``UnicodeDecodeError``.
  The :mod:`ssl` module's server continues without ALPN when the lists do not
  overlap; RFC 7301 section 3.2 wants the handshake to fail with
  ``no_application_protocol``. The server reads the client's offer from the
  ClientHello bytes as they arrive (:class:`_ClientHelloSniffer`) and its
  SNI callback, which OpenSSL runs before it selects the protocol, returns
  that alert.
* **Several server chains.** One ``SSLContext`` per chain; the SNI callback
  moves the connection to the context whose leaf names the requested host.
* **Cipher suites.** ``SSLContext.set_ciphers`` governs TLS 1.2 suites only;
  the :mod:`ssl` module cannot restrict TLS 1.3 suites. A TLS 1.3 list that
  leaves out one of the suites OpenSSL offers is a ``ConfigurationError``
  rather than silently not honoured.
* **Alerts.** PEP 748 errors carry no alert. This implementation's errors
  (:class:`StdlibTLSError` and subclasses) carry ``alert_sent`` and
  ``alert_received``, the TLS AlertDescription codes of the first fatal
  alert this connection sent and received (else the first one other than
  close_notify), observed through the :mod:`ssl` module's TLS message
  callback (``SSLContext._msg_callback``, CPython's debugging hook). Without
  that hook they are ``None``.

Versions: PEP 748's ``TLSVersion`` names TLS 1.2 and 1.3 only, so
``MINIMUM_SUPPORTED`` means TLS 1.2 here and ``MAXIMUM_SUPPORTED`` TLS 1.3.
Certificates, keys and trust stores may come from buffers (PEM, or DER for a
single object) or files; ``from_id`` is a ``ConfigurationError``.
"""

from __future__ import annotations

import contextlib
import os
import ssl
import sys
import warnings
import weakref
from collections.abc import Iterator

from .api import (
    Buffer,
    CipherSuite,
    ConfigurationError,
    InsecureConfiguration,
    InsecureTLSImplementation,
    NextProtocol,
    RaggedEOF,
    SecurityWarning,
    SigningChain,
    TLSClientConfiguration,
    TLSError,
    TLSImplementation,
    TLSServerConfiguration,
    TLSVersion,
    WantReadError,
    WantWriteError,
)

__all__ = [
    "IMPLEMENTATION",
    "INSECURE_IMPLEMENTATION",
    "StdlibClientContext",
    "StdlibServerContext",
    "StdlibInsecureClientContext",
    "StdlibInsecureServerContext",
    "StdlibTLSBuffer",
    "StdlibTLSError",
    "StdlibWantReadError",
    "StdlibWantWriteError",
    "StdlibRaggedEOF",
    "StdlibConfigurationError",
    "StdlibTLSImplementation",
    "validate_config",
]

# TLS AlertDescription codes used here (RFC 8446 section 6).
_ALERT_CLOSE_NOTIFY = 0
_ALERT_NO_APPLICATION_PROTOCOL = 120
_ALERT_LEVEL_FATAL = 2
# TLS content types (RFC 8446 section 5.1).
_CONTENT_ALERT = 21
_CONTENT_HANDSHAKE = 22
_FINISHED = b"\x14"  # HandshakeType finished (RFC 8446 section 4)

#: ``process_incoming`` refuses (``WantReadError``) to grow the unprocessed
#: input beyond this; one delivery into an empty buffer is always accepted.
INCOMING_LIMIT = (1 << 20) + (1 << 16)

_OP_IGNORE_UNEXPECTED_EOF = getattr(ssl, "OP_IGNORE_UNEXPECTED_EOF", 0)


# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------


class StdlibTLSError(TLSError):
    """A TLS error from this implementation.

    ``alert_sent`` / ``alert_received``: the TLS AlertDescription code of the
    alert this connection sent / received (the first fatal one, else the
    first one other than close_notify), or ``None`` when there was none or
    it could not be observed.
    """

    alert_sent: int | None = None
    alert_received: int | None = None


class StdlibWantReadError(WantReadError, StdlibTLSError):
    """The operation needs bytes from the peer (``process_incoming``)."""


class StdlibWantWriteError(WantWriteError, StdlibTLSError):
    """The outgoing buffer must be drained (``process_outgoing``) first."""


class StdlibRaggedEOF(RaggedEOF, StdlibTLSError):
    """The transport ended without the peer's close_notify."""


class StdlibConfigurationError(ConfigurationError, StdlibTLSError):
    """The configuration cannot be honoured by this implementation."""


def _ssl_text(exc: BaseException) -> str:
    """An ssl error's text without the "(_ssl.c:NNN)" location."""
    text = str(exc)
    cut = text.rfind(" (_ssl.c:")
    return text[:cut] if cut > 0 and text.endswith(")") else text


# --------------------------------------------------------------------------
# What OpenSSL knows: cipher suites
# --------------------------------------------------------------------------


def _is_tls13_suite(suite: int) -> bool:
    return suite >> 8 == 0x13


def _learn_ciphers() -> tuple[dict[int, str], dict[str, int], frozenset[int]]:
    """Every cipher suite this OpenSSL can use, by IANA id and by OpenSSL name,
    and the TLS 1.3 suites an ``SSLContext`` offers (which the ssl module
    cannot change)."""
    probe = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    tls13_default = frozenset(
        c["id"] & 0xFFFF for c in probe.get_ciphers() if _is_tls13_suite(c["id"] & 0xFFFF)
    )
    probe.set_ciphers("ALL:COMPLEMENTOFALL:@SECLEVEL=0")
    by_id: dict[int, str] = {}
    for c in probe.get_ciphers():
        by_id.setdefault(c["id"] & 0xFFFF, c["name"])
    # OpenSSL implements all five TLS 1.3 suites (and names them as IANA
    # does) but lists only the enabled ones.
    for suite in CipherSuite:
        if _is_tls13_suite(suite):
            by_id.setdefault(int(suite), suite.name)
    by_name = {name: suite for suite, name in by_id.items()}
    return by_id, by_name, tls13_default


_CIPHER_NAME, _CIPHER_ID, _TLS13_OFFERED = _learn_ciphers()


# --------------------------------------------------------------------------
# Checking a configuration
# --------------------------------------------------------------------------

# PEP 748 versions, in order. MINIMUM_SUPPORTED is TLS 1.2 and
# MAXIMUM_SUPPORTED TLS 1.3: the PEP cannot express anything else.
_VERSION_RANK = {"MINIMUM_SUPPORTED": 0, "TLSv1.2": 1, "TLSv1.3": 2, "MAXIMUM_SUPPORTED": 3}
_SSL_VERSION = {0: ssl.TLSVersion.TLSv1_2, 1: ssl.TLSVersion.TLSv1_2,
                2: ssl.TLSVersion.TLSv1_3, 3: ssl.TLSVersion.TLSv1_3}


def _version_rank(version: object, what: str) -> int:
    """The rank of a TLSVersion (any enum with the PEP's values)."""
    value = getattr(version, "value", version)
    if not isinstance(value, str) or value not in _VERSION_RANK:
        raise StdlibConfigurationError(f"{what}: {version!r} is not a PEP 748 TLSVersion")
    return _VERSION_RANK[value]


def _source_of(obj: object, what: str, trust: bool = False) -> tuple[str, object]:
    """Where a Certificate, PrivateKey or TrustStore comes from: ("buffer",
    bytes), ("path", path) or, for a trust store, ("system", None).

    PEP 748 gives these classes no public accessors: the sources are the
    private attributes its code defines (``_buffer``, ``_path``, ``_id``).
    """
    buffer = getattr(obj, "_buffer", None)
    path = getattr(obj, "_path", None)
    ident = getattr(obj, "_id", None)
    if buffer is not None:
        if not isinstance(buffer, (bytes, bytearray, memoryview)) or len(buffer) == 0:
            raise StdlibConfigurationError(f"{what}: the buffer is empty or not bytes")
        return "buffer", bytes(buffer)
    if path is not None:
        try:
            return "path", os.fspath(path)
        except TypeError:
            raise StdlibConfigurationError(f"{what}: {path!r} is not a path") from None
    if ident is not None:
        raise StdlibConfigurationError(f"{what}: from_id() is not supported by the ssl module")
    if trust:
        return "system", None
    raise StdlibConfigurationError(f"{what}: no buffer, path or id")


def _is_server_config(config: object) -> bool:
    """Whether `config` is a TLSServerConfiguration (of this module, or of
    another copy of the PEP's classes)."""
    return isinstance(config, TLSServerConfiguration) or (
        not isinstance(config, TLSClientConfiguration)
        and type(config).__name__ == "TLSServerConfiguration"
    )


class _Plan:
    """A checked configuration: what a context will configure.

    Building one touches no file; ``validate_config`` is exactly that.
    """

    __slots__ = ("server", "minimum", "maximum", "tls12_ciphers", "alpn", "chains", "trust")

    def __init__(self, server: bool) -> None:
        self.server = server
        self.minimum = ssl.TLSVersion.TLSv1_2
        self.maximum = ssl.TLSVersion.TLSv1_3
        self.tls12_ciphers: str | None = None  # OpenSSL cipher string, TLS 1.2 suites
        self.alpn: list[bytes] = []
        self.chains: list[SigningChain] = []
        self.trust: tuple[str, object] | None = None

    @classmethod
    def of(cls, config: TLSClientConfiguration | TLSServerConfiguration) -> _Plan:
        plan = cls(server=_is_server_config(config))
        plan._versions(config)
        plan._ciphers(config)
        plan._protocols(config)
        plan._chains(config)
        if config.trust_store is not None:
            plan.trust = _source_of(config.trust_store, "trust store", trust=True)
        return plan

    def _versions(self, config) -> None:
        lo = config.lowest_supported_version
        hi = config.highest_supported_version
        lo_rank = 0 if lo is None else _version_rank(lo, "lowest_supported_version")
        hi_rank = 3 if hi is None else _version_rank(hi, "highest_supported_version")
        if lo_rank == 3 and hi_rank != 3:
            raise StdlibConfigurationError(
                "lowest_supported_version MAXIMUM_SUPPORTED with a lower highest version"
            )
        if hi_rank == 0 and lo_rank != 0:
            raise StdlibConfigurationError(
                "highest_supported_version MINIMUM_SUPPORTED with a higher lowest version"
            )
        self.minimum, self.maximum = _SSL_VERSION[lo_rank], _SSL_VERSION[hi_rank]
        if self.minimum > self.maximum:
            raise StdlibConfigurationError(
                f"lowest_supported_version {getattr(lo, 'value', lo)} is above "
                f"highest_supported_version {getattr(hi, 'value', hi)}"
            )

    def _ciphers(self, config) -> None:
        """Unknown suites are ignored; each version that stays negotiable
        needs a suite, and a version without one is no longer negotiated."""
        if config.ciphers is None:
            return
        tls12: list[str] = []
        tls13: set[int] = set()
        for suite in config.ciphers:
            if not isinstance(suite, int) or not 0 <= suite <= 0xFFFF:
                raise StdlibConfigurationError(f"cipher {suite!r} is not a 16-bit suite id")
            name = _CIPHER_NAME.get(int(suite))
            if name is None:
                continue
            if _is_tls13_suite(suite):
                tls13.add(int(suite))
            elif name not in tls12:
                tls12.append(name)
        v12, v13 = ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3
        if tls13 and self.maximum >= v13 and not tls13 >= _TLS13_OFFERED:
            missing = ", ".join(_CIPHER_NAME[s] for s in sorted(_TLS13_OFFERED - tls13))
            raise StdlibConfigurationError(
                "the ssl module cannot restrict TLS 1.3 cipher suites (it has no "
                f"SSL_CTX_set_ciphersuites); allow {missing} too, or pin TLS 1.2"
            )
        if not tls13 and self.maximum >= v13:
            self.maximum = v12
        if not tls12 and self.minimum <= v12:
            self.minimum = v13
        if self.minimum > self.maximum:
            raise StdlibConfigurationError(
                "no known cipher suite is left for any version the configuration allows"
            )
        if tls12:
            self.tls12_ciphers = ":".join(tls12)

    def _protocols(self, config) -> None:
        wire = 0
        for proto in config.inner_protocols or ():
            # A NextProtocol member (of any copy of the PEP's classes) or bytes.
            name = getattr(proto, "value", proto)
            if not isinstance(name, (bytes, bytearray, memoryview)):
                raise StdlibConfigurationError(f"inner protocol {proto!r} is not bytes")
            name = bytes(name)
            if not 1 <= len(name) <= 255:
                raise StdlibConfigurationError(
                    f"inner protocol name of {len(name)} bytes (ALPN names are 1..255 bytes)"
                )
            self.alpn.append(name)
            wire += 1 + len(name)
        if wire > 0xFFFF:
            raise StdlibConfigurationError(f"ALPN protocol list too long ({wire} bytes)")

    def _chains(self, config) -> None:
        chains = config.certificate_chain
        if self.server:
            chains = list(chains or ())
            if not chains:
                raise StdlibConfigurationError("a server needs a certificate chain")
        else:
            chains = [] if chains is None else [chains]
        for i, chain in enumerate(chains):
            leaf = getattr(chain, "leaf", None)
            if not isinstance(leaf, tuple) or len(leaf) != 2:
                raise StdlibConfigurationError(f"chain {i}: leaf is not (Certificate, key)")
            _source_of(leaf[0], f"chain {i} leaf")
            if leaf[1] is not None:
                _source_of(leaf[1], f"chain {i} key")
            for j, cert in enumerate(getattr(chain, "chain", None) or ()):
                _source_of(cert, f"chain {i} certificate {j}")
        self.chains = chains


def validate_config(config: TLSClientConfiguration | TLSServerConfiguration) -> None:
    """PEP 748 ``validate_config``: raises ``ConfigurationError`` unless this
    implementation can honour `config`.

    Beyond the PEP's minimum (supported constructors for certificates, keys
    and the trust store) it checks everything a context would refuse:
    version range, ALPN names, cipher suites, chain counts. It reads no file.
    """
    _Plan.of(config)


# --------------------------------------------------------------------------
# Loading certificates, keys and trust stores
# --------------------------------------------------------------------------


def _read(kind: str, value: object, what: str) -> bytes:
    if kind == "buffer":
        return value  # type: ignore[return-value]
    try:
        with open(value, "rb") as f:  # type: ignore[arg-type]
            return f.read()
    except OSError as e:
        raise StdlibConfigurationError(f"{what}: {e}") from None


def _is_pem(data: bytes) -> bool:
    return data.lstrip().startswith(b"-----BEGIN")


def _cert_pem(data: bytes, what: str) -> bytes:
    """PEM text of a certificate given as PEM (possibly several) or DER."""
    if _is_pem(data):
        return data if data.endswith(b"\n") else data + b"\n"
    try:
        return ssl.DER_cert_to_PEM_cert(data).encode("ascii")
    except (ValueError, UnicodeError) as e:
        raise StdlibConfigurationError(f"{what}: not a PEM or DER certificate: {e}") from None


def _key_pems(data: bytes) -> list[bytes]:
    """PEM candidates for a private key given as PEM or DER (PKCS#8 first,
    then the traditional RSA and EC forms)."""
    if _is_pem(data):
        return [data]
    import base64
    body = base64.encodebytes(data)
    return [
        b"-----BEGIN %s-----\n%s-----END %s-----\n" % (label, body, label)
        for label in (b"PRIVATE KEY", b"RSA PRIVATE KEY", b"EC PRIVATE KEY")
    ]


def _cert_der(pem_or_der: bytes) -> bytes:
    """DER of the first certificate in `pem_or_der`."""
    if not _is_pem(pem_or_der):
        return pem_or_der
    text = pem_or_der.decode("ascii", "replace")
    end = text.find("-----END CERTIFICATE-----")
    try:
        return ssl.PEM_cert_to_DER_cert(text[: end + 25]) if end >= 0 else b""
    except ValueError:
        return b""


@contextlib.contextmanager
def _private_dir() -> Iterator[str]:
    """A private temporary folder (mode 0700) for the files
    ``SSLContext.load_cert_chain`` insists on; removed afterwards."""
    import tempfile  # only when files must be written

    with tempfile.TemporaryDirectory(prefix="tlsh-pep748-") as d:
        yield d


def _write_private(directory: str, name: str, data: bytes) -> str:
    path = os.path.join(directory, name)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    return path


def _load_chain(ctx: ssl.SSLContext, chain: SigningChain, i: int) -> bytes:
    """Loads one SigningChain into `ctx`; returns the leaf's DER."""
    cert, key = chain.leaf
    leaf = _cert_pem(_read(*_source_of(cert, f"chain {i} leaf"), f"chain {i} leaf"),
                     f"chain {i} leaf")
    pem = leaf
    for j, extra in enumerate(chain.chain):
        what = f"chain {i} certificate {j}"
        pem += _cert_pem(_read(*_source_of(extra, what), what), what)
    keys = [None] if key is None else _key_pems(
        _read(*_source_of(key, f"chain {i} key"), f"chain {i} key"))
    last: Exception | None = None
    with _private_dir() as d:
        certfile = _write_private(d, "chain.pem", pem)
        for n, key_pem in enumerate(keys):
            keyfile = None if key_pem is None else _write_private(d, f"key{n}.pem", key_pem)
            try:
                ctx.load_cert_chain(certfile, keyfile)
                return _cert_der(leaf)
            except (ssl.SSLError, ValueError) as e:
                last = e
    raise StdlibConfigurationError(f"chain {i}: cannot load: {_ssl_text(last)}")


def _load_trust(ctx: ssl.SSLContext, trust: tuple[str, object]) -> None:
    kind, value = trust
    try:
        if kind == "system":
            ctx.load_default_certs(
                ssl.Purpose.SERVER_AUTH
                if ctx.protocol == ssl.PROTOCOL_TLS_CLIENT
                else ssl.Purpose.CLIENT_AUTH
            )
        elif kind == "path" and os.path.isdir(value):  # type: ignore[arg-type]
            ctx.load_verify_locations(capath=value)
        else:
            data = _read(kind, value, "trust store")
            ctx.load_verify_locations(cadata=data.decode("ascii") if _is_pem(data) else data)
    except (ssl.SSLError, ValueError, UnicodeError) as e:
        raise StdlibConfigurationError(f"trust store: {_ssl_text(e)}") from None


# --------------------------------------------------------------------------
# Certificate names (which server chain answers an SNI)
# --------------------------------------------------------------------------


def _der_items(data: bytes, start: int, end: int) -> Iterator[tuple[int, int, int]]:
    """(tag, value start, value end) of each DER element in data[start:end]."""
    while start < end:
        tag = data[start]
        n = data[start + 1]
        start += 2
        if n & 0x80:
            k = n & 0x7F
            n = int.from_bytes(data[start : start + k], "big")
            start += k
        if start + n > end:
            raise ValueError("truncated DER")
        yield tag, start, start + n
        start += n


_OID_SUBJECT_ALT_NAME = bytes([0x55, 0x1D, 0x11])  # 2.5.29.17


def _dns_names(der: bytes) -> list[str]:
    """The dNSName entries of a certificate's subjectAltName (RFC 5280
    section 4.2.1.6), lower case; [] when there are none or the DER is odd."""
    try:
        ((_, c0, c1),) = list(_der_items(der, 0, len(der)))[:1]
        _, t0, t1 = next(_der_items(der, c0, c1))  # tbsCertificate
        for tag, v0, v1 in _der_items(der, t0, t1):
            if tag != 0xA3:  # [3] extensions
                continue
            _, s0, s1 = next(_der_items(der, v0, v1))
            for _, e0, e1 in _der_items(der, s0, s1):
                parts = list(_der_items(der, e0, e1))
                if der[parts[0][1] : parts[0][2]] != _OID_SUBJECT_ALT_NAME:
                    continue
                _, o0, o1 = parts[-1]  # extnValue OCTET STRING
                _, g0, g1 = next(_der_items(der, o0, o1))
                return [
                    der[n0:n1].decode("ascii").lower()
                    for gtag, n0, n1 in _der_items(der, g0, g1)
                    if gtag == 0x82  # [2] dNSName
                ]
    except (ValueError, IndexError, StopIteration, UnicodeError):
        pass
    return []


def _name_matches(pattern: str, host: str) -> bool:
    """RFC 6125 section 6.4: exact match, or a wildcard as the whole
    left-most label."""
    host = host.lower().rstrip(".")
    pattern = pattern.rstrip(".")
    if pattern == host:
        return True
    if pattern.startswith("*.") and "." in host:
        first, rest = host.split(".", 1)
        return bool(first) and rest == pattern[2:]
    return False


# --------------------------------------------------------------------------
# Reading the client's ALPN offer
# --------------------------------------------------------------------------


def _client_hello_alpn(body: bytes) -> list[bytes] | None:
    """The protocol names of a ClientHello's ALPN extension (RFC 7301 section
    3.1), or None when it has none. Raises IndexError/ValueError on
    malformed input."""
    p = 2 + 32  # legacy_version, random
    p += 1 + body[p]  # legacy_session_id
    p += 2 + int.from_bytes(body[p : p + 2], "big")  # cipher_suites
    p += 1 + body[p]  # legacy_compression_methods
    if p >= len(body):
        return None
    end = p + 2 + int.from_bytes(body[p : p + 2], "big")
    p += 2
    while p + 4 <= end:
        kind = int.from_bytes(body[p : p + 2], "big")
        size = int.from_bytes(body[p + 2 : p + 4], "big")
        p += 4
        if kind == 16:  # application_layer_protocol_negotiation
            names, q = [], p + 2
            stop = min(p + 2 + int.from_bytes(body[p : p + 2], "big"), p + size)
            while q < stop:
                n = body[q]
                names.append(bytes(body[q + 1 : q + 1 + n]))
                q += 1 + n
            return names
        p += size
    return None


class _ClientHelloSniffer:
    """Finds the client's ALPN offer in the bytes a server receives.

    The :mod:`ssl` module tells a server nothing about the ClientHello, so
    the buffer shows this reader the same bytes it gives OpenSSL, until the
    first handshake message (the ClientHello) is complete. ``alpn`` is then
    the offered names, or None (no ALPN, or not a readable ClientHello:
    OpenSSL will have its own opinion of that).
    """

    LIMIT = 1 << 17

    def __init__(self) -> None:
        self._records = bytearray()
        self._message = bytearray()
        self.done = False
        self.alpn: list[bytes] | None = None

    def feed(self, data: bytes) -> None:
        if self.done:
            return
        self._records += data
        while len(self._records) >= 5:
            size = int.from_bytes(self._records[3:5], "big")
            if self._records[0] != _CONTENT_HANDSHAKE:
                return self._finish(None)
            if len(self._records) < 5 + size:
                break
            self._message += self._records[5 : 5 + size]
            del self._records[: 5 + size]
            if len(self._message) >= 4:
                if self._message[0] != 1:  # client_hello
                    return self._finish(None)
                need = 4 + int.from_bytes(self._message[1:4], "big")
                if len(self._message) >= need:
                    try:
                        return self._finish(_client_hello_alpn(bytes(self._message[4:need])))
                    except (IndexError, ValueError):
                        return self._finish(None)
        if len(self._records) + len(self._message) > self.LIMIT:
            self._finish(None)

    def _finish(self, alpn: list[bytes] | None) -> None:
        self.alpn = alpn
        self.done = True
        self._records = self._message = bytearray()


# --------------------------------------------------------------------------
# Contexts
# --------------------------------------------------------------------------


class _SSLObject(ssl.SSLObject):
    """An ``ssl.SSLObject`` that knows its buffer, so that the context's
    callbacks (which receive the SSLObject) can reach per-connection state."""

    def _pep748_buffer(self) -> StdlibTLSBuffer | None:
        ref = self.__dict__.get("_pep748_ref")
        return ref() if ref is not None else None


def _on_tls_message(conn, direction, version, content_type, msg_type, data) -> None:
    """``SSLContext._msg_callback``: records a connection's alerts, and when
    both Finished messages have crossed (the handshake is complete even if an
    error follows in the same call)."""
    if content_type == _CONTENT_ALERT and len(data) == 2:
        buffer = conn._pep748_buffer() if isinstance(conn, _SSLObject) else None
        if buffer is not None:
            buffer._note_alert(direction == "write", data[0], data[1])
    elif content_type == _CONTENT_HANDSHAKE and data[:1] == _FINISHED:
        buffer = conn._pep748_buffer() if isinstance(conn, _SSLObject) else None
        if buffer is not None:
            buffer._finished.add(direction)


class _StdlibContext:
    """What the client and server contexts share: the configuration, its
    plan, and building ``ssl.SSLContext`` objects from them."""

    _server_side = False

    def __init__(
        self,
        configuration: TLSClientConfiguration | TLSServerConfiguration,
        insecure: InsecureConfiguration | None = None,
    ) -> None:
        if _is_server_config(configuration) != self._server_side:
            raise StdlibConfigurationError(
                f"{type(self).__name__} needs a "
                + ("TLSServerConfiguration" if self._server_side else "TLSClientConfiguration")
            )
        self._configuration = configuration
        self._insecure = insecure
        self._plan = _Plan.of(configuration)
        self._alpn_wire = b"".join(bytes([len(p)]) + p for p in self._plan.alpn)

    @property
    def configuration(self):
        """The configuration this context was created with."""
        return self._configuration

    def _new_sslcontext(self) -> ssl.SSLContext:
        plan, insecure = self._plan, self._insecure
        try:
            ctx = ssl.SSLContext(
                ssl.PROTOCOL_TLS_SERVER if self._server_side else ssl.PROTOCOL_TLS_CLIENT
            )
            # A transport that ends without close_notify is a truncation,
            # not a clean end (RFC 8446 section 6.1).
            ctx.options &= ~_OP_IGNORE_UNEXPECTED_EOF
            # Renegotiation is refused, as by every adapter: a TLS 1.2
            # HelloRequest gets no ClientHello (RFC 5746; RFC 5246 7.4.1.1
            # lets a client ignore it).
            ctx.options |= ssl.OP_NO_RENEGOTIATION
            ctx.minimum_version = plan.minimum
            ctx.maximum_version = plan.maximum
            if plan.tls12_ciphers is not None:
                ctx.set_ciphers(plan.tls12_ciphers)
            if self._alpn_wire:
                self._set_alpn(ctx)
            ctx.sslobject_class = _SSLObject
            if hasattr(ctx, "_msg_callback"):
                ctx._msg_callback = _on_tls_message
            if self._server_side:
                if plan.trust is not None and not (insecure and insecure.disable_verification):
                    ctx.verify_mode = ssl.CERT_REQUIRED
                    _load_trust(ctx, plan.trust)
            else:
                # RFC 9525 section 6.3: no fallback to the subject CN.
                ctx.hostname_checks_common_name = False
                no_verify = bool(insecure and insecure.disable_verification)
                no_host = bool(insecure and insecure.disable_hostname_check)
                ctx.check_hostname = not no_verify and not no_host
                ctx.verify_mode = ssl.CERT_NONE if no_verify else ssl.CERT_REQUIRED
                if not no_verify:
                    _load_trust(ctx, plan.trust or ("system", None))
        except (ssl.SSLError, ValueError) as e:
            raise StdlibConfigurationError(_ssl_text(e)) from None
        return ctx

    def _set_alpn(self, ctx: ssl.SSLContext) -> None:
        """ALPN names are bytes; ``set_alpn_protocols`` takes ASCII ``str``
        only, so non-ASCII lists go to the method it calls underneath."""
        if all(p.isascii() for p in self._plan.alpn):
            ctx.set_alpn_protocols([p.decode("ascii") for p in self._plan.alpn])
        elif hasattr(ctx, "_set_alpn_protocols"):
            ctx._set_alpn_protocols(self._alpn_wire)
        else:
            raise StdlibConfigurationError("this ssl module takes ASCII ALPN names only")

    def connect(self, address: tuple[str | None, int]):
        """Sockets (PEP 748 ``TLSSocket``) are not implemented: this
        implementation provides buffers only."""
        raise NotImplementedError("tlsh_pep748.stdlib implements TLSBuffer only")


class StdlibClientContext(_StdlibContext):
    """PEP 748 ``ClientContext``: verifies the server against the trust store
    (the system's when the configuration has none) and its hostname."""

    def __init__(self, configuration: TLSClientConfiguration) -> None:
        super().__init__(configuration)
        self._setup()

    def _setup(self) -> None:
        self._sslcontext = self._new_sslcontext()
        if self._plan.chains:
            _load_chain(self._sslcontext, self._plan.chains[0], 0)

    def create_buffer(self, server_hostname: str | None) -> StdlibTLSBuffer:
        """A buffer for one connection to `server_hostname`: sent as SNI (not
        for an IP address, RFC 6066 section 3) and checked against the
        server's certificate. One trailing dot is the absolute form of the
        same name: it is neither sent nor checked (RFC 6066 section 3).
        ``None`` (no SNI, no hostname check) only with an insecure
        configuration that turns the hostname check off (PEP 748's
        ``create_buffer`` takes a name; the ssl module refuses
        ``check_hostname`` without one too)."""
        ctx = self._sslcontext
        if server_hostname is None and ctx.check_hostname:
            raise StdlibConfigurationError(
                "server_hostname None while hostnames are checked: it needs an "
                "InsecureConfiguration with disable_hostname_check or disable_verification"
            )
        if server_hostname is not None and len(server_hostname) > 1 and server_hostname.endswith("."):
            server_hostname = server_hostname[:-1]
        return StdlibTLSBuffer(self, ctx, server_hostname)


class StdlibServerContext(_StdlibContext):
    """PEP 748 ``ServerContext``: one ``ssl.SSLContext`` per certificate
    chain; the client's SNI picks the chain whose leaf names it (the first
    when none does or no SNI was sent). With a trust store, a client
    certificate is required and verified against it."""

    _server_side = True

    def __init__(self, configuration: TLSServerConfiguration) -> None:
        super().__init__(configuration)
        self._setup()

    def _setup(self) -> None:
        self._sslcontexts: list[ssl.SSLContext] = []
        self._names: list[list[str]] = []
        for i, chain in enumerate(self._plan.chains):
            ctx = self._new_sslcontext()
            self._names.append(_dns_names(_load_chain(ctx, chain, i)))
            ctx.sni_callback = self._on_client_hello
            self._sslcontexts.append(ctx)

    def create_buffer(self) -> StdlibTLSBuffer:
        """A buffer for one connection from a client."""
        return StdlibTLSBuffer(self, self._sslcontexts[0], None)

    def _on_client_hello(self, conn: ssl.SSLObject, server_name: str | None, ctx) -> int | None:
        """The SNI callback, which OpenSSL runs on every ClientHello before it
        selects the ALPN protocol. Returns an alert to fail the handshake."""
        buffer = conn._pep748_buffer() if isinstance(conn, _SSLObject) else None
        if self._plan.alpn and buffer is not None:
            offered = buffer._client_alpn()
            if offered is not None and not set(offered) & set(self._plan.alpn):
                buffer._refusal = (
                    "no application protocol in common (RFC 7301 section 3.2): the client "
                    f"offered {offered!r}, the server has {self._plan.alpn!r}"
                )
                return _ALERT_NO_APPLICATION_PROTOCOL
        if server_name and len(self._sslcontexts) > 1:
            for names, candidate in zip(self._names, self._sslcontexts):
                if any(_name_matches(n, server_name) for n in names):
                    if candidate is not conn.context:
                        conn.context = candidate
                    break
        return None


# --------------------------------------------------------------------------
# The buffer
# --------------------------------------------------------------------------


class StdlibTLSBuffer:
    """PEP 748 ``TLSBuffer`` over ``ssl.SSLObject`` and two ``MemoryBIO``.

    Beyond the PEP: ``process_incoming_eof()`` (the transport ended). After
    a fatal error every call but the queries raises the same error again.
    """

    def __init__(self, context: _StdlibContext, ctx: ssl.SSLContext, server_hostname: str | None):
        self._context = context
        self._incoming = ssl.MemoryBIO()
        self._outgoing = ssl.MemoryBIO()
        try:
            self._obj = ctx.wrap_bio(
                self._incoming,
                self._outgoing,
                server_side=context._server_side,
                server_hostname=server_hostname,
            )
        except (ssl.SSLError, ValueError, UnicodeError) as e:
            raise StdlibConfigurationError(
                f"server_hostname {server_hostname!r}: {_ssl_text(e)}"
            ) from None
        self._obj.__dict__["_pep748_ref"] = weakref.ref(self)
        self._hello = _ClientHelloSniffer() if context._server_side and context._plan.alpn else None
        self._refusal: str | None = None  # why our own callback failed the handshake
        self._error: StdlibTLSError | None = None  # fatal: raised again by later calls
        self._eof = False  # process_incoming_eof was called
        self._closed = False  # the peer's close_notify was read: b'' for ever
        self._ragged = False  # transport EOF without close_notify was read
        self._close_notify_sent = False
        self._alerts = [None, None]  # [sent, received]: (code, fatal)
        self._finished: set[str] = set()  # directions a Finished message took
        self._established = False  # the handshake completed (sticky)

    # ---- state and errors ------------------------------------------------

    @property
    def context(self):
        """The context this buffer was created by."""
        return self._context

    def _handshake_complete(self) -> bool:
        """Whether the handshake completed at some point. OpenSSL forgets it
        after a fatal error (``version()`` is None again), so it is kept."""
        if not self._established:
            self._established = len(self._finished) == 2 or self._obj.version() is not None
        return self._established

    def _note_alert(self, sent: bool, level: int, code: int) -> None:
        """Keeps the first fatal alert per direction, else the first that is
        not close_notify."""
        slot = 0 if sent else 1
        fatal = level == _ALERT_LEVEL_FATAL
        kept = self._alerts[slot]
        if code == _ALERT_CLOSE_NOTIFY and not fatal:
            return
        if kept is None or (fatal and not kept[1]):
            self._alerts[slot] = (code, fatal)

    def _client_alpn(self) -> list[bytes] | None:
        return self._hello.alpn if self._hello is not None else None

    def _make(self, cls: type[StdlibTLSError], message: str) -> StdlibTLSError:
        error = cls(message)
        sent, received = self._alerts
        error.alert_sent = sent[0] if sent else None
        error.alert_received = received[0] if received else None
        return error

    def _fatal(self, exc: BaseException | None, message: str | None = None) -> StdlibTLSError:
        """Records a fatal error (later calls raise it again) and returns it."""
        text = self._refusal or message or _ssl_text(exc)
        if message and exc is not None and not self._refusal:
            text = f"{message}: {_ssl_text(exc)}"
        self._error = self._make(StdlibTLSError, text)
        return self._error

    def _check_usable(self) -> None:
        if self._error is not None:
            raise self._make(type(self._error), str(self._error))

    @staticmethod
    def _is_unexpected_eof(exc: ssl.SSLError) -> bool:
        return isinstance(exc, ssl.SSLEOFError) or exc.reason == "UNEXPECTED_EOF_WHILE_READING"

    def _want_read(self) -> StdlibWantReadError:
        return StdlibWantReadError("the operation needs bytes from the peer")

    # ---- the handshake ---------------------------------------------------

    def do_handshake(self) -> None:
        """Performs the TLS handshake, including certificate and hostname
        verification. A client's first call produces the ClientHello."""
        self._check_usable()
        if self._handshake_complete():
            return
        try:
            self._obj.do_handshake()
        except ssl.SSLWantReadError:
            raise self._want_read() from None
        except ssl.SSLWantWriteError:
            raise StdlibWantWriteError("drain the outgoing buffer") from None
        except ssl.SSLError as e:
            if self._eof and self._is_unexpected_eof(e):
                raise self._fatal(e, "transport EOF during the handshake") from None
            raise self._fatal(e) from None

    # ---- application data ------------------------------------------------

    def read(self, amt: int, buffer: Buffer | None = None) -> bytes | int:
        """Up to `amt` bytes of plaintext (into `buffer` when given: then the
        count). ``b''`` (0) once the peer's close_notify was read, for good;
        ``RaggedEOF`` when the transport ended without it. Completes the
        handshake first."""
        if self._closed:
            return b"" if buffer is None else 0
        if self._ragged:
            raise self._make(StdlibRaggedEOF, "transport EOF without close_notify")
        self._check_usable()
        if amt <= 0:
            self.do_handshake()
            return b"" if buffer is None else 0
        try:
            data = self._obj.read(amt) if buffer is None else self._obj.read(amt, buffer)
        except ssl.SSLWantReadError:
            raise self._want_read() from None
        except ssl.SSLWantWriteError:
            raise StdlibWantWriteError("drain the outgoing buffer") from None
        except ssl.SSLZeroReturnError:
            data = b"" if buffer is None else 0  # close_notify, ours already sent
        except ssl.SSLError as e:
            if self._eof and self._is_unexpected_eof(e):
                if self._handshake_complete():
                    self._ragged = True
                    ragged = self._make(StdlibRaggedEOF, "transport EOF without close_notify")
                    raise ragged from None
                raise self._fatal(e, "transport EOF during the handshake") from None
            raise self._fatal(e) from None
        if not data:
            if not self._handshake_complete():
                raise self._fatal(None, "close_notify before the handshake completed")
            self._closed = True
        return data

    def write(self, buf: Buffer) -> int:
        """Encrypts `buf` into the outgoing buffer; returns the bytes taken.
        Completes the handshake first. After ``shutdown`` a ``TLSError``."""
        if self._close_notify_sent:
            raise self._make(StdlibTLSError, "write after shutdown: close_notify was sent")
        self._check_usable()
        if len(buf) == 0:
            self.do_handshake()
            return 0
        try:
            return self._obj.write(buf)
        except ssl.SSLWantReadError:
            raise self._want_read() from None
        except ssl.SSLWantWriteError:
            raise StdlibWantWriteError("drain the outgoing buffer") from None
        except ssl.SSLError as e:
            raise self._fatal(e) from None

    # ---- closing ---------------------------------------------------------

    def _drain(self) -> None:
        """Reads (and drops) what the peer sent until its close_notify or
        until more bytes are needed. Used while shutting down: OpenSSL 3.0's
        SSL_shutdown fails on application data that arrives before the
        peer's close_notify, SSL_read does not."""
        while not self._closed:
            try:
                data = self._obj.read(16384)
            except ssl.SSLWantReadError:
                return
            except ssl.SSLZeroReturnError:
                data = b""
            except ssl.SSLError as e:
                if self._eof and self._is_unexpected_eof(e):
                    self._ragged = True
                    raise self._make(
                        StdlibRaggedEOF, "transport EOF without close_notify during shutdown"
                    ) from None
                raise self._fatal(e) from None
            if not data:
                self._closed = True

    def shutdown(self) -> None:
        """Sends close_notify (first call) and waits for the peer's:
        ``WantReadError`` until it has been received, then returns (as PEP
        748 specifies for ``TLSSocket.close(force=False)``). Plaintext not
        read yet, and anything the peer sends meanwhile, is dropped: this
        side is done reading (RFC 8446 section 6.1)."""
        self._check_usable()
        if not self._handshake_complete() and not self._close_notify_sent:
            raise self._make(StdlibTLSError, "shutdown before the handshake completed")
        if not self._close_notify_sent:
            self._drain()
            try:
                self._obj.unwrap()
            except ssl.SSLWantReadError:
                pass  # ours is queued; the peer's has not come yet
            except ssl.SSLWantWriteError:
                raise StdlibWantWriteError("drain the outgoing buffer") from None
            except ssl.SSLError as e:
                raise self._fatal(e) from None
            self._close_notify_sent = True
        self._drain()
        if not self._closed:
            raise self._want_read()

    # ---- bytes in and out ------------------------------------------------

    def process_incoming(self, data_from_network: bytes) -> None:
        """Stores bytes from the network. ``WantReadError`` (nothing stored)
        when more than INCOMING_LIMIT bytes would wait unprocessed. Bytes
        that nothing can use any more (after the peer's close_notify or a
        fatal error) are dropped."""
        if self._eof:
            raise self._make(StdlibTLSError, "process_incoming after process_incoming_eof")
        data = bytes(data_from_network)
        if not data or self._closed or self._error is not None:
            return
        pending = self._incoming.pending
        if pending and pending + len(data) > INCOMING_LIMIT:
            raise self._want_read()
        if self._hello is not None:
            self._hello.feed(data)
        self._incoming.write(data)

    def process_incoming_eof(self) -> None:
        """Beyond PEP 748: the transport has ended, no more bytes will come.
        Later reads return what is left, then ``b''`` after a close_notify
        and ``RaggedEOF`` without; a handshake in progress fails."""
        if not self._eof:
            self._eof = True
            self._incoming.write_eof()

    def incoming_bytes_buffered(self) -> int:
        """Bytes received and not yet processed."""
        return self._incoming.pending

    def process_outgoing(self, amount_bytes_for_network: int) -> bytes:
        """Up to `amount_bytes_for_network` bytes for the network."""
        if amount_bytes_for_network <= 0:
            return b""
        return self._outgoing.read(amount_bytes_for_network)

    def outgoing_bytes_buffered(self) -> int:
        """Bytes waiting to be sent."""
        return self._outgoing.pending

    # ---- what was negotiated ---------------------------------------------

    def cipher(self) -> CipherSuite | int | None:
        """The negotiated suite (``CipherSuite`` when listed there, else its
        16-bit id), ``None`` before the handshake completed."""
        negotiated = self._obj.cipher()
        if negotiated is None:
            return None
        suite = _CIPHER_ID.get(negotiated[0])
        if suite is None:
            return None
        try:
            return CipherSuite(suite)
        except ValueError:
            return suite

    def negotiated_protocol(self) -> NextProtocol | bytes | None:
        """The ALPN protocol, ``None`` when none was negotiated."""
        try:
            name = self._obj.selected_alpn_protocol()
        except UnicodeDecodeError as e:
            # The ssl module decodes the name as UTF-8; the exception holds
            # the bytes it was given.
            raw = bytes(e.object)
        else:
            if name is None:
                return None
            raw = name.encode("utf-8", "surrogateescape")
        try:
            return NextProtocol(raw)
        except ValueError:
            return raw

    @property
    def negotiated_tls_version(self) -> TLSVersion | None:
        """``TLSVersion.TLSv1_2`` or ``TLSv1_3``; ``None`` before the
        handshake completed."""
        version = self._obj.version()
        if version is None:
            return None
        try:
            return TLSVersion(version)
        except ValueError:
            return None

    def getpeercert(self) -> bytes | None:
        """The peer's leaf certificate, DER; ``None`` when it sent none or
        before the handshake completed."""
        if not self._handshake_complete():
            return None
        return self._obj.getpeercert(binary_form=True)


# --------------------------------------------------------------------------
# Insecure variants
# --------------------------------------------------------------------------


class StdlibInsecureClientContext(StdlibClientContext):
    """A client context that may skip certificate verification
    (``disable_verification``) or only the hostname check
    (``disable_hostname_check``: the chain is still verified). Testing only."""

    def __init__(
        self,
        configuration: TLSClientConfiguration,
        insecure_configuration: InsecureConfiguration,
    ) -> None:
        warnings.warn(
            "insecure client context: the server is not fully verified",
            SecurityWarning,
            stacklevel=2,
        )
        _StdlibContext.__init__(self, configuration, insecure_configuration)
        self._setup()

    @property
    def insecure_configuration(self) -> InsecureConfiguration:
        return self._insecure


class StdlibInsecureServerContext(StdlibServerContext):
    """A server context whose ``disable_verification`` stops it from asking
    for client certificates even with a trust store. Testing only."""

    def __init__(
        self,
        configuration: TLSServerConfiguration,
        insecure_configuration: InsecureConfiguration,
    ) -> None:
        warnings.warn(
            "insecure server context: clients are not verified", SecurityWarning, stacklevel=2
        )
        _StdlibContext.__init__(self, configuration, insecure_configuration)
        self._setup()

    @property
    def insecure_configuration(self) -> InsecureConfiguration:
        return self._insecure


# --------------------------------------------------------------------------
# The implementation objects
# --------------------------------------------------------------------------

INSECURE_IMPLEMENTATION = InsecureTLSImplementation(
    insecure_client_context=StdlibInsecureClientContext,
    insecure_server_context=StdlibInsecureServerContext,
    validate_config=validate_config,
)


class StdlibTLSImplementation(TLSImplementation):
    """``TLSImplementation`` with the optional attributes tlsharness's PEP 748
    bridge reads (see impls/pep748/README.md): a name, a library version,
    the capabilities this implementation honours, and its insecure variant.
    """

    __slots__ = ()

    #: The backend name in tlsharness reports: this is the bridge's default
    #: implementation, so it answers to the bridge's own name.
    tlsh_name = "pep748"

    #: Not CIPHERS_TLS13: the ssl module cannot restrict TLS 1.3 suites.
    tlsh_capabilities = frozenset(
        {
            "TLS12",
            "TLS13",
            "CLIENT_AUTH",
            "CIPHERS_TLS12",
            "ALPN",
            "SNI_CHAINS",
            "PEERCERT",
            "TRANSPORT_EOF",
            "SOURCE_PATH",
            "SOURCE_BUFFER",
            "INSECURE",
            "RSA",
            "ECDSA",
            "SHUTDOWN",
        }
    )

    @property
    def tlsh_library_version(self) -> str:
        name = {"cpython": "CPython", "pypy": "PyPy"}.get(
            sys.implementation.name, sys.implementation.name
        )
        version = ".".join(str(n) for n in sys.version_info[:3])
        return f"{name} {version} ssl module, {ssl.OPENSSL_VERSION}"

    @property
    def tlsh_insecure(self) -> InsecureTLSImplementation:
        return INSECURE_IMPLEMENTATION


IMPLEMENTATION = StdlibTLSImplementation(
    client_context=StdlibClientContext,
    server_context=StdlibServerContext,
    validate_config=validate_config,
)
