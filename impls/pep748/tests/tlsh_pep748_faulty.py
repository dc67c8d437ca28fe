"""PEP 748 implementations that misbehave on purpose: the bridge's tests.

Each attribute is a TLSImplementation over tlsh_pep748.stdlib whose buffers
are wrapped by a class below. Load one with

    TLSH_PEP748_PATH=impls/pep748/tests \\
        tlsharness run --impl pep748:tlsh_pep748_faulty:NAME ...

* NO_EOF: correct, but its buffers have no process_incoming_eof() and it
  declares no capabilities: the bridge declares conservatively and leaves
  TRANSPORT_EOF out, so the ragged-eof scenarios that need it are UNSUPPORTED.
* RAISE_IN_HANDSHAKE: do_handshake raises ValueError (not a PEP 748 error).
* BAD_READ: read returns a str instead of bytes.
* RAISE_IN_CIPHER: cipher() raises KeyError (a call without status).
* UNKNOWN_CAPABILITY: declares a capability that does not exist.
* PEP_ONLY: correct, and strictly within PEP 748: no process_incoming_eof,
  and its errors are the PEP's plain classes, without the alert attributes.
  It declares the stdlib implementation's capabilities but TRANSPORT_EOF, so
  a run shows what the PEP alone lets a harness check
  (docs/pep748-gaps.md).
"""

from tlsh_pep748 import api, stdlib


class PlainBuffer:
    """Delegates the PEP 748 TLSBuffer interface, and nothing beyond it (no
    process_incoming_eof)."""

    def __init__(self, inner: stdlib.StdlibTLSBuffer) -> None:
        self._inner = inner

    def read(self, amt, buffer=None):
        return self._inner.read(amt, buffer)

    def write(self, buf):
        return self._inner.write(buf)

    def do_handshake(self):
        return self._inner.do_handshake()

    def cipher(self):
        return self._inner.cipher()

    def negotiated_protocol(self):
        return self._inner.negotiated_protocol()

    @property
    def context(self):
        return self._inner.context

    @property
    def negotiated_tls_version(self):
        return self._inner.negotiated_tls_version

    def shutdown(self):
        return self._inner.shutdown()

    def process_incoming(self, data_from_network):
        return self._inner.process_incoming(data_from_network)

    def incoming_bytes_buffered(self):
        return self._inner.incoming_bytes_buffered()

    def process_outgoing(self, amount_bytes_for_network):
        return self._inner.process_outgoing(amount_bytes_for_network)

    def outgoing_bytes_buffered(self):
        return self._inner.outgoing_bytes_buffered()

    def getpeercert(self):
        return self._inner.getpeercert()


class RaisingHandshake(PlainBuffer):
    def do_handshake(self):
        raise ValueError("deliberate failure in do_handshake")


class BadRead(PlainBuffer):
    def read(self, amt, buffer=None):
        data = self._inner.read(amt, buffer)
        return data.decode("latin-1")


class RaisingCipher(PlainBuffer):
    def cipher(self):
        raise KeyError("deliberate failure in cipher")


def _plain_error(e: api.TLSError) -> api.TLSError:
    """The PEP's own class for a stdlib error: no alert attributes."""
    for cls in (api.WantReadError, api.WantWriteError, api.RaggedEOF, api.ConfigurationError):
        if isinstance(e, cls):
            return cls(str(e))
    return api.TLSError(str(e))


class PepOnlyBuffer(PlainBuffer):
    """PlainBuffer whose errors carry nothing beyond the PEP."""


for _name in ("read", "write", "do_handshake", "shutdown", "process_incoming"):

    def _wrapped(self, *args, _name=_name):
        try:
            return getattr(PlainBuffer, _name)(self, *args)
        except api.TLSError as e:
            raise _plain_error(e) from None

    setattr(PepOnlyBuffer, _name, _wrapped)


def _implementation(buffer_class, **attributes):
    """A TLSImplementation whose contexts wrap stdlib buffers in
    `buffer_class`, with `attributes` (tlsh_*) on its class."""

    class Client(stdlib.StdlibClientContext):
        def create_buffer(self, server_hostname):
            return buffer_class(super().create_buffer(server_hostname))

    class Server(stdlib.StdlibServerContext):
        def create_buffer(self):
            return buffer_class(super().create_buffer())

    cls = type("FaultyImplementation", (api.TLSImplementation,), {"__slots__": (), **attributes})
    return cls(Client, Server, stdlib.validate_config)


_CAPS = stdlib.StdlibTLSImplementation.tlsh_capabilities - {"TRANSPORT_EOF", "INSECURE"}

NO_EOF = _implementation(PlainBuffer, tlsh_name="pep748-noeof")
RAISE_IN_HANDSHAKE = _implementation(
    RaisingHandshake, tlsh_name="pep748-faulty", tlsh_capabilities=_CAPS
)
BAD_READ = _implementation(BadRead, tlsh_name="pep748-faulty", tlsh_capabilities=_CAPS)
RAISE_IN_CIPHER = _implementation(
    RaisingCipher, tlsh_name="pep748-faulty", tlsh_capabilities=_CAPS
)
UNKNOWN_CAPABILITY = _implementation(
    PlainBuffer, tlsh_name="pep748-faulty", tlsh_capabilities={"TLS13", "TELEPORT"}
)
PEP_ONLY = _implementation(
    PepOnlyBuffer,
    tlsh_name="pep748-pep-only",
    tlsh_capabilities=stdlib.StdlibTLSImplementation.tlsh_capabilities - {"TRANSPORT_EOF"},
    tlsh_insecure=stdlib.INSECURE_IMPLEMENTATION,
)
