"""PEP 748's unified TLS API, transcribed from the PEP's text.

PEP 748 ("A Unified TLS API for Python", draft, public domain) proposes a
standard module of TLS interfaces for Python 3.14. That module does not exist
yet, so this file provides it: every class the PEP defines, written from the
PEP's code blocks and prose, with the PEP's names, signatures and docstrings
(shortened where the PEP repeats itself).

* Concrete classes, as the PEP gives them: ``TLSClientConfiguration``,
  ``TLSServerConfiguration``, ``Certificate``, ``PrivateKey``,
  ``SigningChain``, ``TrustStore``, ``CipherSuite``, ``NextProtocol``,
  ``TLSVersion``, the errors and ``TLSImplementation``.
* Protocol classes (structural types an implementation provides):
  ``ClientContext``, ``ServerContext``, ``TLSBuffer`` and ``TLSSocket``.
* The *insecure* variants, which the PEP describes in prose only ("a separate
  insecure module ... contains insecure variants of the configuration,
  context, and implementation objects, which allow to disable certificate
  validation as well as the server hostname check", plus ``SecurityWarning``):
  ``InsecureConfiguration``, ``InsecureClientContext``,
  ``InsecureServerContext`` and ``InsecureTLSImplementation``. Their shape is
  this module's choice; the PEP fixes none.

Nothing here is specific to tlsharness. The extensions tlsharness's bridge
understands (transport EOF, alerts, capabilities) are optional attributes an
implementation may add; they are described in ``impls/pep748/README.md`` and
implemented by :mod:`tlsh_pep748.stdlib`.
"""

from __future__ import annotations

import os
import warnings
from abc import abstractmethod
from collections.abc import Callable, Sequence
from enum import Enum, IntEnum
from typing import Generic, Protocol, TypeVar, Union

#: What the PEP calls ``Buffer`` (``collections.abc.Buffer`` from Python 3.12 on).
Buffer = Union[bytes, bytearray, memoryview]

__all__ = [
    "Buffer",
    "TLSClientConfiguration",
    "TLSServerConfiguration",
    "ClientContext",
    "ServerContext",
    "TLSSocket",
    "TLSBuffer",
    "CipherSuite",
    "NextProtocol",
    "TLSVersion",
    "TLSError",
    "WantWriteError",
    "WantReadError",
    "RaggedEOF",
    "ConfigurationError",
    "Certificate",
    "PrivateKey",
    "SigningChain",
    "TrustStore",
    "TLSImplementation",
    "SecurityWarning",
    "InsecureConfiguration",
    "InsecureClientContext",
    "InsecureServerContext",
    "InsecureTLSImplementation",
]


# --------------------------------------------------------------------------
# Cipher suites, protocols, versions
# --------------------------------------------------------------------------


class CipherSuite(IntEnum):
    """Known cipher suites.

    The values are the two-octet identifiers of the IANA registry, so a member
    compares equal to the 16-bit integer on the wire. Every part of the API
    that accepts a ``CipherSuite`` also accepts a raw 16-bit integer, for
    suites the enum does not list.

    See: <https://www.iana.org/assignments/tls-parameters/tls-parameters.xhtml>
    """

    TLS_AES_128_GCM_SHA256 = 0x1301
    TLS_AES_256_GCM_SHA384 = 0x1302
    TLS_CHACHA20_POLY1305_SHA256 = 0x1303
    TLS_AES_128_CCM_SHA256 = 0x1304
    TLS_AES_128_CCM_8_SHA256 = 0x1305
    TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 = 0xC02B
    TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 = 0xC02C
    TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 = 0xC02F
    TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 = 0xC030
    TLS_ECDHE_ECDSA_WITH_AES_128_CCM = 0xC0AC
    TLS_ECDHE_ECDSA_WITH_AES_256_CCM = 0xC0AD
    TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8 = 0xC0AE
    TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8 = 0xC0AF
    TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 = 0xCCA8
    TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 = 0xCCA9


class NextProtocol(Enum):
    """The underlying negotiated ("next") protocol.

    Aliases for well-known ALPN protocol names; anywhere a ``NextProtocol`` is
    accepted or returned, a raw ``bytes`` name may stand instead.
    """

    H2 = b"h2"
    H2C = b"h2c"
    HTTP1 = b"http/1.1"
    WEBRTC = b"webrtc"
    C_WEBRTC = b"c-webrtc"
    FTP = b"ftp"
    STUN = b"stun.nat-discovery"
    TURN = b"stun.turn"


class TLSVersion(Enum):
    """TLS versions.

    The ``MINIMUM_SUPPORTED`` and ``MAXIMUM_SUPPORTED`` variants are "open
    ended", and refer to the "lowest mutually supported" and "highest
    mutually supported" TLS versions, respectively.
    """

    MINIMUM_SUPPORTED = "MINIMUM_SUPPORTED"
    TLSv1_2 = "TLSv1.2"
    TLSv1_3 = "TLSv1.3"
    MAXIMUM_SUPPORTED = "MAXIMUM_SUPPORTED"


# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------


class TLSError(Exception):
    """The base exception for all TLS related errors from any implementation.

    Catching this error should be sufficient to catch *all* TLS errors,
    regardless of what implementation is used.
    """


class WantWriteError(TLSError):
    """A special signaling exception used only when non-blocking or buffer-only
    I/O is used.

    This error signals that the requested operation cannot complete until
    more data is written to the network, or until the output buffer is
    drained. It should only be raised when it is completely impossible to
    write any data: if a partial write is achievable then this should not be
    raised.
    """


class WantReadError(TLSError):
    """A special signaling exception used only when non-blocking or buffer-only
    I/O is used.

    This error signals that the requested operation cannot complete until
    more data is read from the network, or until more data is available in
    the input buffer.
    """


class RaggedEOF(TLSError):
    """A TLS connection has been closed gracelessly: a TLS CloseNotify was not
    received from the peer before the underlying transport reached EOF (a
    so-called "ragged EOF").

    This exception is not guaranteed to be raised in the face of a ragged EOF:
    some implementations may not be able to detect or report it. It is a
    concern only for protocols that cannot detect truncation themselves.
    """


class ConfigurationError(TLSError):
    """A special exception that implementations can use when the provided
    configuration uses features not supported by that implementation."""


# --------------------------------------------------------------------------
# Certificates, private keys, signing chains, trust stores
# --------------------------------------------------------------------------


class Certificate:
    """Object representing a certificate used in TLS.

    It only records where the certificate comes from (a buffer, a file or an
    implementation-defined identifier); it does not parse anything.
    """

    __slots__ = (
        "_buffer",
        "_path",
        "_id",
    )

    def __init__(
        self,
        buffer: bytes | None = None,
        path: os.PathLike[str] | None = None,
        id: bytes | None = None,
    ):
        """Creates a Certificate object from a path, buffer, or ID.

        If none of these is given, an exception is raised.
        """
        if buffer is None and path is None and id is None:
            raise ValueError("Certificate cannot be empty.")
        self._buffer = buffer
        self._path = path
        self._id = id

    @classmethod
    def from_buffer(cls, buffer: bytes) -> Certificate:
        """Creates a Certificate object from a byte buffer, PEM-encoded (it
        then *must* begin with the standard "-----BEGIN CERTIFICATE-----"
        preamble) or else assumed to be DER-encoded."""
        return cls(buffer=buffer)

    @classmethod
    def from_file(cls, path: os.PathLike[str]) -> Certificate:
        """Creates a Certificate object from a file on disk holding a PEM- or
        DER-encoded certificate (same preamble rule as ``from_buffer``)."""
        return cls(path=path)

    @classmethod
    def from_id(cls, id: bytes) -> Certificate:
        """Creates a Certificate object from an arbitrary identifier. This may
        be useful for implementations that rely on system certificate stores."""
        return cls(id=id)


class PrivateKey:
    """Object representing a private key corresponding to a public key for a
    certificate used in TLS. Same model and caveats as :class:`Certificate`."""

    __slots__ = (
        "_buffer",
        "_path",
        "_id",
    )

    def __init__(
        self,
        buffer: bytes | None = None,
        path: os.PathLike | None = None,
        id: bytes | None = None,
    ):
        """Creates a PrivateKey object from a path, buffer, or ID.

        If none of these is given, an exception is raised.
        """
        if buffer is None and path is None and id is None:
            raise ValueError("PrivateKey cannot be empty.")
        self._buffer = buffer
        self._path = path
        self._id = id

    @classmethod
    def from_buffer(cls, buffer: bytes) -> PrivateKey:
        """Creates a PrivateKey object from a byte buffer, PEM-encoded (it then
        *must* begin with the standard preamble: dashes, "BEGIN", the key type,
        dashes) or else assumed to be DER-encoded."""
        return cls(buffer=buffer)

    @classmethod
    def from_file(cls, path: os.PathLike) -> PrivateKey:
        """Creates a PrivateKey object from a file on disk holding a PEM- or
        DER-encoded key (same preamble rule as ``from_buffer``)."""
        return cls(path=path)

    @classmethod
    def from_id(cls, id: bytes) -> PrivateKey:
        """Creates a PrivateKey object from an arbitrary identifier. This may
        be useful for implementations that rely on system private key stores."""
        return cls(id=id)


class SigningChain:
    """Object representing a certificate chain used in TLS: a leaf certificate
    with its private key (``None`` when the key travels with the certificate),
    and the certificates to send after the leaf."""

    leaf: tuple[Certificate, PrivateKey | None]
    chain: list[Certificate]

    def __init__(
        self,
        leaf: tuple[Certificate, PrivateKey | None],
        chain: Sequence[Certificate] | None = None,
    ):
        """Initializes a SigningChain object."""
        self.leaf = leaf
        if chain is None:
            chain = []
        self.chain = list(chain)


class TrustStore:
    """The trust store that is used to verify certificate validity.

    The same model as :class:`Certificate`: a buffer of PEM certificates, a
    file, an identifier, or none of these for the system trust store.
    """

    __slots__ = (
        "_buffer",
        "_path",
        "_id",
    )

    def __init__(
        self,
        buffer: bytes | None = None,
        path: os.PathLike | None = None,
        id: bytes | None = None,
    ):
        """Creates a TrustStore object from a path, buffer, or ID.

        If none of these is given, the default system trust store is used.
        """
        self._buffer = buffer
        self._path = path
        self._id = id

    @classmethod
    def system(cls) -> TrustStore:
        """Returns a TrustStore object that represents the system trust
        database."""
        return cls()

    @classmethod
    def from_buffer(cls, buffer: bytes) -> TrustStore:
        """Initializes a trust store from a buffer of PEM-encoded certificates."""
        return cls(buffer=buffer)

    @classmethod
    def from_file(cls, path: os.PathLike) -> TrustStore:
        """Initializes a trust store from a single file containing PEMs."""
        return cls(path=path)

    @classmethod
    def from_id(cls, id: bytes) -> TrustStore:
        """Initializes a trust store from an arbitrary identifier."""
        return cls(id=id)


# --------------------------------------------------------------------------
# Configurations
# --------------------------------------------------------------------------


class TLSClientConfiguration:
    """An immutable container for the configuration of a TLS client.

    New fields are only ever appended; none is removed, renamed or reordered.
    """

    __slots__ = (
        "_certificate_chain",
        "_ciphers",
        "_inner_protocols",
        "_lowest_supported_version",
        "_highest_supported_version",
        "_trust_store",
    )

    def __init__(
        self,
        certificate_chain: SigningChain | None = None,
        ciphers: Sequence[CipherSuite | int] | None = None,
        inner_protocols: Sequence[NextProtocol | bytes] | None = None,
        lowest_supported_version: TLSVersion | None = None,
        highest_supported_version: TLSVersion | None = None,
        trust_store: TrustStore | None = None,
    ) -> None:
        if inner_protocols is None:
            inner_protocols = []

        self._certificate_chain = certificate_chain
        self._ciphers = ciphers
        self._inner_protocols = inner_protocols
        self._lowest_supported_version = lowest_supported_version
        self._highest_supported_version = highest_supported_version
        self._trust_store = trust_store

    @property
    def certificate_chain(self) -> SigningChain | None:
        return self._certificate_chain

    @property
    def ciphers(self) -> Sequence[CipherSuite | int] | None:
        return self._ciphers

    @property
    def inner_protocols(self) -> Sequence[NextProtocol | bytes]:
        return self._inner_protocols

    @property
    def lowest_supported_version(self) -> TLSVersion | None:
        return self._lowest_supported_version

    @property
    def highest_supported_version(self) -> TLSVersion | None:
        return self._highest_supported_version

    @property
    def trust_store(self) -> TrustStore | None:
        return self._trust_store


class TLSServerConfiguration:
    """An immutable container for the configuration of a TLS server.

    "Similar to the client one, except that it takes a
    ``Sequence[SigningChain]`` as the ``certificate_chain`` parameter": a
    server may hold one chain per name it serves (chosen by SNI). A trust
    store on a server is what it verifies client certificates with.
    """

    __slots__ = (
        "_certificate_chain",
        "_ciphers",
        "_inner_protocols",
        "_lowest_supported_version",
        "_highest_supported_version",
        "_trust_store",
    )

    def __init__(
        self,
        certificate_chain: Sequence[SigningChain] | None = None,
        ciphers: Sequence[CipherSuite | int] | None = None,
        inner_protocols: Sequence[NextProtocol | bytes] | None = None,
        lowest_supported_version: TLSVersion | None = None,
        highest_supported_version: TLSVersion | None = None,
        trust_store: TrustStore | None = None,
    ) -> None:
        if inner_protocols is None:
            inner_protocols = []

        self._certificate_chain = certificate_chain
        self._ciphers = ciphers
        self._inner_protocols = inner_protocols
        self._lowest_supported_version = lowest_supported_version
        self._highest_supported_version = highest_supported_version
        self._trust_store = trust_store

    @property
    def certificate_chain(self) -> Sequence[SigningChain] | None:
        return self._certificate_chain

    @property
    def ciphers(self) -> Sequence[CipherSuite | int] | None:
        return self._ciphers

    @property
    def inner_protocols(self) -> Sequence[NextProtocol | bytes]:
        return self._inner_protocols

    @property
    def lowest_supported_version(self) -> TLSVersion | None:
        return self._lowest_supported_version

    @property
    def highest_supported_version(self) -> TLSVersion | None:
        return self._highest_supported_version

    @property
    def trust_store(self) -> TrustStore | None:
        return self._trust_store


# --------------------------------------------------------------------------
# Protocol classes: contexts, sockets, buffers
# --------------------------------------------------------------------------


class TLSSocket(Protocol):
    """A socket.socket-like object that creates an OS socket, wraps it in a
    TLS context, and provides read and write methods over that channel.

    tlsharness drives implementations through buffers only; this Protocol is
    here for completeness.
    """

    @abstractmethod
    def __init__(self, *args: tuple, **kwargs: tuple) -> None:
        """TLSSockets should not be constructed by the user: contexts make them
        in ``connect()``."""
        ...

    @abstractmethod
    def recv(self, bufsize: int) -> bytes:
        """Receive data from the socket. Should not work before the handshake
        is completed."""
        ...

    @abstractmethod
    def send(self, bytes: bytes) -> int:
        """Send data to the socket. The socket must be connected to a remote
        socket."""
        ...

    @abstractmethod
    def close(self, force: bool = False) -> None:
        """Shuts down the connection and marks the socket closed.

        With ``force``, send close_notify and do not wait for the peer's;
        without, send close_notify and raise ``WantReadError`` until the
        peer's close_notify has been received. Either way ``WantWriteError``
        if sending the close_notify currently fails.
        """
        ...

    @abstractmethod
    def listen(self, backlog: int) -> None:
        """Enable a server to accept connections."""
        ...

    @abstractmethod
    def accept(self) -> tuple[TLSSocket, tuple[str | None, int]]:
        """Accept a connection: returns (conn, address)."""
        ...

    @abstractmethod
    def getsockname(self) -> tuple[str | None, int]:
        """Return the local address to which the socket is connected."""
        ...

    @abstractmethod
    def getpeercert(self) -> bytes | None:
        """Return the raw DER bytes of the certificate provided by the peer
        during the handshake, if applicable."""
        ...

    @abstractmethod
    def getpeername(self) -> tuple[str | None, int]:
        """Return the remote address to which the socket is connected."""
        ...

    @property
    @abstractmethod
    def context(self) -> ClientContext | ServerContext:
        """The ``Context`` object this socket is tied to."""
        ...

    @abstractmethod
    def cipher(self) -> CipherSuite | int | None:
        """The negotiated cipher suite (``CipherSuite`` or its 16-bit id), or
        ``None`` before the handshake."""
        ...

    @abstractmethod
    def negotiated_protocol(self) -> NextProtocol | bytes | None:
        """The protocol selected during the handshake, or ``None``."""
        ...

    @property
    @abstractmethod
    def negotiated_tls_version(self) -> TLSVersion | None:
        """The version of TLS that has been negotiated on this connection."""
        ...


class TLSBuffer(Protocol):
    """An in-memory channel: two buffers wrapped in a TLS context, with read
    and write methods over that channel. Nothing here does I/O: bytes arrive
    through ``process_incoming`` and leave through ``process_outgoing``."""

    @abstractmethod
    def read(self, amt: int, buffer: Buffer | None) -> bytes | int:
        """Read up to ``amt`` bytes of data from the input buffer and return
        the result as a ``bytes`` instance. If an optional buffer is provided,
        the result is written into the buffer and the number of bytes is
        returned instead.

        Once EOF is reached, all further calls to this method return the
        empty byte string ``b''``. May read "short".

        Raise ``WantReadError`` or ``WantWriteError`` if there is insufficient
        data in either the input or output buffer and the operation would
        have caused data to be written or read.

        May raise ``RaggedEOF`` if the connection has been closed without a
        graceful TLS shutdown.

        As at any time a re-negotiation is possible, a call to ``read()`` can
        also cause write operations.
        """
        ...

    @abstractmethod
    def write(self, buf: Buffer) -> int:
        """Write ``buf`` in encrypted form to the output buffer and return the
        number of bytes written. May write "short".

        Raise ``WantReadError`` or ``WantWriteError`` if there is insufficient
        data in either the input or output buffer and the operation would
        have caused data to be written or read; then resolve that situation
        and call again, with the exact same ``buf`` object.
        """
        ...

    @abstractmethod
    def do_handshake(self) -> None:
        """Performs the TLS handshake. Also performs certificate validation
        and hostname verification."""
        ...

    @abstractmethod
    def cipher(self) -> CipherSuite | int | None:
        """Returns the CipherSuite entry for the cipher that has been
        negotiated on the connection. If no connection has been negotiated,
        returns ``None``. If the cipher negotiated is not defined in
        CipherSuite, returns the 16-bit integer representing that cipher
        directly."""
        ...

    @abstractmethod
    def negotiated_protocol(self) -> NextProtocol | bytes | None:
        """Returns the protocol that was selected during the TLS handshake:
        a ``NextProtocol`` member when it is one, else the raw bytes.

        ``None`` if no protocols were configured, if the other party does not
        support protocol negotiation, if none of the peer's proposed protocols
        is supported, or if the handshake has not happened yet.
        """
        ...

    @property
    @abstractmethod
    def context(self) -> ClientContext | ServerContext:
        """The ``Context`` object this buffer is tied to."""
        ...

    @property
    @abstractmethod
    def negotiated_tls_version(self) -> TLSVersion | None:
        """The version of TLS that has been negotiated on this connection."""
        ...

    @abstractmethod
    def shutdown(self) -> None:
        """Performs a clean TLS shut down. This should generally be used
        whenever possible to signal to the remote peer that the content is
        finished."""
        ...

    @abstractmethod
    def process_incoming(self, data_from_network: bytes) -> None:
        """Receives some TLS data from the network and stores it in an
        internal buffer.

        If the internal buffer is overfull, this method will raise
        ``WantReadError`` and store no data. At this point, the user must call
        ``read`` to remove some data from the internal buffer before
        repeating this call.
        """
        ...

    @abstractmethod
    def incoming_bytes_buffered(self) -> int:
        """Returns how many bytes are in the incoming buffer waiting to be
        processed."""
        ...

    @abstractmethod
    def process_outgoing(self, amount_bytes_for_network: int) -> bytes:
        """Returns the next ``amt`` bytes of data that should be written to
        the network from the outgoing data buffer, removing it from the
        internal buffer."""
        ...

    @abstractmethod
    def outgoing_bytes_buffered(self) -> int:
        """Returns how many bytes are in the outgoing buffer waiting to be
        sent."""
        ...

    @abstractmethod
    def getpeercert(self) -> bytes | None:
        """Return the raw DER bytes of the certificate provided by the peer
        during the handshake, if applicable."""
        ...


class ClientContext(Protocol):
    """Applies a ``TLSClientConfiguration`` to connections: a factory of
    client-side ``TLSSocket`` and ``TLSBuffer`` objects."""

    @abstractmethod
    def __init__(self, configuration: TLSClientConfiguration) -> None:
        """Create a new client context object from a given TLS client
        configuration."""
        ...

    @property
    @abstractmethod
    def configuration(self) -> TLSClientConfiguration:
        """Returns the TLS client configuration that was used to create the
        client context."""
        ...

    @abstractmethod
    def connect(self, address: tuple[str | None, int]) -> TLSSocket:
        """Creates a TLSSocket that behaves like a socket.socket, and contains
        information about the TLS exchange (cipher, negotiated_protocol,
        negotiated_tls_version, etc.)."""
        ...

    @abstractmethod
    def create_buffer(self, server_hostname: str) -> TLSBuffer:
        """Creates a TLSBuffer that acts as an in-memory channel, and contains
        information about the TLS exchange (cipher, negotiated_protocol,
        negotiated_tls_version, etc.)."""
        ...


class ServerContext(Protocol):
    """Applies a ``TLSServerConfiguration`` to connections: "similar [to the
    client context], taking a ``TLSServerConfiguration`` instead"."""

    @abstractmethod
    def __init__(self, configuration: TLSServerConfiguration) -> None:
        """Create a new server context object from a given TLS server
        configuration."""
        ...

    @property
    @abstractmethod
    def configuration(self) -> TLSServerConfiguration:
        """Returns the TLS server configuration that was used to create the
        server context."""
        ...

    @abstractmethod
    def connect(self, address: tuple[str | None, int]) -> TLSSocket:
        """Creates a listening TLSSocket bound to ``address``."""
        ...

    @abstractmethod
    def create_buffer(self) -> TLSBuffer:
        """Creates a server-side TLSBuffer (an in-memory channel)."""
        ...


# --------------------------------------------------------------------------
# Runtime access
# --------------------------------------------------------------------------

_ClientContext = TypeVar("_ClientContext", bound=ClientContext)
_ServerContext = TypeVar("_ServerContext", bound=ServerContext)


class TLSImplementation(Generic[_ClientContext, _ServerContext]):
    """What a concrete implementation hands to libraries: its two context
    classes and its ``validate_config`` function.

    A global singleton or the result of a callable, as the implementation
    prefers.
    """

    __slots__ = (
        "_client_context",
        "_server_context",
        "_validate_config",
    )

    def __init__(
        self,
        client_context: type[_ClientContext],
        server_context: type[_ServerContext],
        validate_config: Callable[[TLSClientConfiguration | TLSServerConfiguration], None],
    ) -> None:
        self._client_context = client_context
        self._server_context = server_context
        self._validate_config = validate_config

    @property
    def client_context(self) -> type[_ClientContext]:
        """The concrete implementation of the Client Context object, if this
        TLS implementation supports being the client on a TLS connection."""
        return self._client_context

    @property
    def server_context(self) -> type[_ServerContext]:
        """The concrete implementation of the Server Context object, if this
        TLS implementation supports being a server on a TLS connection."""
        return self._server_context

    @property
    def validate_config(self) -> Callable[[TLSClientConfiguration | TLSServerConfiguration], None]:
        """A function that reveals whether this TLS implementation supports a
        particular TLS configuration: it raises (``ConfigurationError``) when
        unsupported constructors were used for certificates, keys or the
        trust store."""
        return self._validate_config


# --------------------------------------------------------------------------
# The insecure variants
# --------------------------------------------------------------------------


class SecurityWarning(Warning):
    """Warning raised at every step of creating an insecure connection."""


class InsecureConfiguration:
    """Options that make TLS insecure, for testing only: never use them to
    reach a device with a self-signed certificate (put that certificate in a
    trust store instead).

    ``disable_verification`` skips certificate validation altogether;
    ``disable_hostname_check`` still validates the chain but not that it
    names the server. Immutable, like the configurations.
    """

    __slots__ = ("_disable_verification", "_disable_hostname_check")

    def __init__(
        self, disable_verification: bool = False, disable_hostname_check: bool = False
    ) -> None:
        warnings.warn(
            "InsecureConfiguration: certificate validation "
            + ("disabled" if disable_verification else "without hostname check")
            + " (for testing only)",
            SecurityWarning,
            stacklevel=2,
        )
        self._disable_verification = bool(disable_verification)
        self._disable_hostname_check = bool(disable_hostname_check)

    @property
    def disable_verification(self) -> bool:
        return self._disable_verification

    @property
    def disable_hostname_check(self) -> bool:
        return self._disable_hostname_check


class InsecureClientContext(ClientContext, Protocol):
    """A client context that also takes an ``InsecureConfiguration``."""

    @abstractmethod
    def __init__(
        self,
        configuration: TLSClientConfiguration,
        insecure_configuration: InsecureConfiguration,
    ) -> None: ...

    @property
    @abstractmethod
    def insecure_configuration(self) -> InsecureConfiguration:
        """The insecure options this context was created with."""
        ...


class InsecureServerContext(ServerContext, Protocol):
    """A server context that also takes an ``InsecureConfiguration``."""

    @abstractmethod
    def __init__(
        self,
        configuration: TLSServerConfiguration,
        insecure_configuration: InsecureConfiguration,
    ) -> None: ...

    @property
    @abstractmethod
    def insecure_configuration(self) -> InsecureConfiguration:
        """The insecure options this context was created with."""
        ...


_InsecureClientContext = TypeVar("_InsecureClientContext", bound=InsecureClientContext)
_InsecureServerContext = TypeVar("_InsecureServerContext", bound=InsecureServerContext)


class InsecureTLSImplementation(Generic[_InsecureClientContext, _InsecureServerContext]):
    """The insecure counterpart of :class:`TLSImplementation`: its context
    classes take ``(configuration, insecure_configuration)``.

    Holding one is harmless; the warnings come when an insecure configuration
    or context is made."""

    __slots__ = (
        "_insecure_client_context",
        "_insecure_server_context",
        "_validate_config",
    )

    def __init__(
        self,
        insecure_client_context: type[_InsecureClientContext],
        insecure_server_context: type[_InsecureServerContext],
        validate_config: Callable[[TLSClientConfiguration | TLSServerConfiguration], None],
    ) -> None:
        self._insecure_client_context = insecure_client_context
        self._insecure_server_context = insecure_server_context
        self._validate_config = validate_config

    @property
    def insecure_client_context(self) -> type[_InsecureClientContext]:
        return self._insecure_client_context

    @property
    def insecure_server_context(self) -> type[_InsecureServerContext]:
        return self._insecure_server_context

    @property
    def validate_config(self) -> Callable[[TLSClientConfiguration | TLSServerConfiguration], None]:
        return self._validate_config
