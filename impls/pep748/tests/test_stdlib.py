"""Unit tests of tlsh_pep748.stdlib on its own (no harness): the pieces the
scenarios cannot isolate. Run with Debian's interpreter, the one the bridge
embeds:

    /usr/bin/python3 -I impls/pep748/tests/test_stdlib.py
"""

import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "python"))
PKI = os.path.join(HERE, "..", "..", "..", "harness", "pki")

from tlsh_pep748 import api, stdlib  # noqa: E402


def pki(name: str) -> bytes:
    with open(os.path.join(PKI, name), "rb") as f:
        return f.read()


def server_config(**kw) -> api.TLSServerConfiguration:
    leaf = api.Certificate.from_buffer(pki("rsa-server.pem"))
    key = api.PrivateKey.from_buffer(pki("rsa-server.key"))
    chain = api.SigningChain((leaf, key), [api.Certificate.from_buffer(pki("rsa-int.pem"))])
    return api.TLSServerConfiguration(certificate_chain=[chain], **kw)


def client_config(**kw) -> api.TLSClientConfiguration:
    trust = api.TrustStore.from_buffer(pki("rsa-ca.pem"))
    return api.TLSClientConfiguration(trust_store=trust, **kw)


def pair(ccfg, scfg, host="server.tlsh.test"):
    client = stdlib.IMPLEMENTATION.client_context(ccfg).create_buffer(host)
    server = stdlib.IMPLEMENTATION.server_context(scfg).create_buffer()
    return client, server


def handshake(client, server):
    """Runs the handshake; returns (client error, server error)."""
    errors = [None, None]
    for _ in range(10):
        for i, b in enumerate((client, server)):
            if errors[i] is None:
                try:
                    b.do_handshake()
                except api.WantReadError:
                    pass
                except api.TLSError as e:
                    errors[i] = e
        server.process_incoming(client.process_outgoing(1 << 20))
        client.process_incoming(server.process_outgoing(1 << 20))
    return errors


class ConfigurationTests(unittest.TestCase):
    def check_refused(self, config):
        with self.assertRaises(api.ConfigurationError):
            stdlib.validate_config(config)

    def test_version_ranges(self):
        V = api.TLSVersion

        def bounds(lo, hi):
            return client_config(lowest_supported_version=lo, highest_supported_version=hi)

        self.check_refused(bounds(V.TLSv1_3, V.TLSv1_2))
        self.check_refused(bounds(V.MAXIMUM_SUPPORTED, V.TLSv1_3))
        self.check_refused(bounds(V.TLSv1_2, V.MINIMUM_SUPPORTED))
        stdlib.validate_config(bounds(V.MINIMUM_SUPPORTED, V.MINIMUM_SUPPORTED))

    def test_alpn_names(self):
        self.check_refused(client_config(inner_protocols=[b"h2", b""]))
        self.check_refused(client_config(inner_protocols=[b"p" * 256]))
        stdlib.validate_config(client_config(inner_protocols=[api.NextProtocol.H2, b"\xff" * 255]))

    def test_ciphers(self):
        suite = api.CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
        plan = stdlib._Plan.of(client_config(ciphers=[0xFEFE, suite]))
        self.assertEqual(plan.maximum, stdlib.ssl.TLSVersion.TLSv1_2)  # no TLS 1.3 suite listed
        # The ssl module cannot restrict TLS 1.3 suites: a strict subset is refused.
        self.check_refused(client_config(ciphers=[api.CipherSuite.TLS_AES_128_GCM_SHA256]))
        self.check_refused(client_config(ciphers=[0xFEFE]))

    def test_sources(self):
        self.check_refused(server_config(trust_store=api.TrustStore.from_id(b"x")))
        self.check_refused(api.TLSServerConfiguration())  # a server needs a chain


class HelperTests(unittest.TestCase):
    def test_dns_names(self):
        self.assertEqual(stdlib._dns_names(pki("rsa-server.der")), ["server.tlsh.test"])
        self.assertEqual(stdlib._dns_names(stdlib._cert_der(pki("rsa-nosan.pem"))), [])
        self.assertEqual(stdlib._dns_names(b"\x30\x03garbage"), [])

    def test_name_matches(self):
        self.assertTrue(stdlib._name_matches("*.tlsh.test", "alt.tlsh.test"))
        self.assertFalse(stdlib._name_matches("*.tlsh.test", "a.b.tlsh.test"))
        self.assertTrue(stdlib._name_matches("server.tlsh.test", "SERVER.tlsh.test."))

    def test_sniffer_one_byte_at_a_time(self):
        client, _ = pair(client_config(inner_protocols=[b"h2", b"\xff\x00"]), server_config())
        with self.assertRaises(api.WantReadError):
            client.do_handshake()
        hello = client.process_outgoing(1 << 16)
        sniffer = stdlib._ClientHelloSniffer()
        for i in range(len(hello)):
            sniffer.feed(hello[i : i + 1])
        self.assertTrue(sniffer.done)
        self.assertEqual(sniffer.alpn, [b"h2", b"\xff\x00"])


class BufferTests(unittest.TestCase):
    def test_alpn_no_overlap_fails_with_alert_120(self):
        client, server = pair(
            client_config(inner_protocols=[b"h2"]), server_config(inner_protocols=[b"spdy/3"])
        )
        cerr, serr = handshake(client, server)
        self.assertIsNotNone(serr)
        self.assertEqual(serr.alert_sent, 120)
        self.assertIsNotNone(cerr)
        self.assertEqual(cerr.alert_received, 120)

    def test_alpn_raw_bytes(self):
        name = b"\xff\x00\x80\x7f\xff"
        client, server = pair(
            client_config(inner_protocols=[b"\xff", name]), server_config(inner_protocols=[name])
        )
        self.assertEqual(handshake(client, server), [None, None])
        self.assertEqual(client.negotiated_protocol(), name)
        self.assertEqual(server.negotiated_protocol(), name)

    def test_ragged_and_clean_eof(self):
        for close in (False, True):
            client, server = pair(client_config(), server_config())
            self.assertEqual(handshake(client, server), [None, None])
            server.write(b"data")
            if close:
                with self.assertRaises(api.WantReadError):
                    server.shutdown()
            client.process_incoming(server.process_outgoing(1 << 20))
            client.process_incoming_eof()
            self.assertEqual(client.read(100), b"data")
            for _ in range(2):
                if close:
                    self.assertEqual(client.read(100), b"")
                else:
                    with self.assertRaises(api.RaggedEOF):
                        client.read(100)

    def test_queries_before_the_handshake(self):
        client, _ = pair(client_config(), server_config())
        self.assertIsNone(client.cipher())
        self.assertIsNone(client.negotiated_protocol())
        self.assertIsNone(client.negotiated_tls_version)
        self.assertIsNone(client.getpeercert())

    def test_insecure_no_verify(self):
        insecure = stdlib.INSECURE_IMPLEMENTATION
        with self.assertWarns(api.SecurityWarning):
            ic = api.InsecureConfiguration(disable_verification=True)
        with self.assertWarns(api.SecurityWarning):
            ctx = insecure.insecure_client_context(api.TLSClientConfiguration(), ic)
        client = ctx.create_buffer("server.tlsh.test")
        server = stdlib.IMPLEMENTATION.server_context(server_config()).create_buffer()
        self.assertEqual(handshake(client, server), [None, None])


if __name__ == "__main__":
    unittest.main()
