/*
 * botan.cpp - tlsharness adapter for Botan 2.19 (libbotan-2), a C++ shim
 * behind the C descriptor of tlsh.h.
 *
 * Every buffer is one Botan::TLS::Client or Botan::TLS::Server driven through
 * Botan's custom-I/O interface: process_incoming only stores bytes; the
 * operations (do_handshake, read, write, shutdown) hand whole records to
 * Channel::received_data, one record at a time, and the Callbacks subclass
 * collects what Botan produces (tls_emit_data -> the outgoing buffer,
 * tls_record_received -> the plaintext queue, tls_alert -> the alerts seen).
 * Nothing here does I/O.
 *
 * Botan has no notion of a transport EOF; the adapter keeps its own record:
 * close_notify arrives through tls_alert; after process_incoming_eof, read
 * returns the queued plaintext and then CLOSED (close_notify seen) or
 * RAGGED_EOF (not seen; also for a record cut short), and a handshake that
 * has not completed fails with TLS_ERROR. Feeding stops at the peer's
 * close_notify: Botan 2.19 throws on any record after it (RFC 8446 section
 * 6.1 says it MUST be ignored), so the adapter drops those bytes itself.
 *
 * Botan 2.19 implements TLS 1.2 only (no TLS 1.3): the policy allows TLS 1.2
 * alone, and a configuration whose lowest version is TLS 1.3 cannot be
 * honoured (CONFIGURATION_ERROR).
 *
 * Certificate verification is the adapter's (tls_verify_cert_chain):
 * Botan::x509_path_validate against the context's trust store without a
 * hostname, then the RFC 9525 identity check of tlsh_adapter.h against the
 * subjectAltName only (dNSName, or iPAddress for an IP literal). Botan's own
 * hostname check (X509_Certificate::matches_dns_name) falls back to the
 * subject CN when there is no DNS SAN, which RFC 9525 section 6.3 forbids;
 * it is never used. Failures carry the alert RFC 8446 section 6.2 names
 * (unknown_ca, certificate_expired, bad_certificate ...). A server verifies
 * the client's chain when the client's Certificate message arrives
 * (tls_inspect_handshake_msg), because Botan's server turns any exception from
 * tls_verify_cert_chain into bad_certificate.
 *
 * No C++ exception ever leaves this file: every descriptor function catches
 * everything and maps it to a status.
 */
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include <botan/asn1_obj.h>
#include <botan/auto_rng.h>
#include <botan/ber_dec.h>
#include <botan/certstor.h>
#include <botan/certstor_system.h>
#include <botan/credentials_manager.h>
#include <botan/data_src.h>
#include <botan/exceptn.h>
#include <botan/pem.h>
#include <botan/pkcs8.h>
#include <botan/tls_alert.h>
#include <botan/tls_callbacks.h>
#include <botan/tls_channel.h>
#include <botan/tls_ciphersuite.h>
#include <botan/tls_client.h>
#include <botan/tls_exceptn.h>
#include <botan/tls_messages.h>
#include <botan/tls_policy.h>
#include <botan/tls_server.h>
#include <botan/tls_session_manager.h>
#include <botan/version.h>
#include <botan/x509cert.h>
#include <botan/x509path.h>

#define TLSH_ADAPTER_IMPLEMENTATION
#include "tlsh_adapter.h"

/** process_incoming refuses (WANT_READ) to grow the unprocessed input beyond
 * this; a single delivery into an empty buffer is always accepted. */
#define BOTAN_INCOMING_CAP (((size_t)1 << 20) + ((size_t)1 << 16))
/** Largest certificate, key or trust file read from a path. */
#define BOTAN_MAX_FILE ((size_t)16 << 20)
/** Largest TLS 1.2 record body (RFC 5246 section 6.2.3: 2^14 + 2048). */
#define BOTAN_MAX_RECORD (16384 + 2048)

namespace
{

using Alert = Botan::TLS::Alert;
using TLS_Exception = Botan::TLS::TLS_Exception;

/* ------------------------------------------------------------------------ */
/* Types                                                                    */
/* ------------------------------------------------------------------------ */

/** A certificate chain (leaf first) with the leaf's private key. */
struct botan_chain {
	std::vector<Botan::X509_Certificate> certs;
	std::unique_ptr<Botan::Private_Key> key;
	/** "RSA" or "ECDSA": what Botan's cert_chain requests name. */
	std::string key_type;
};

/** A checked configuration: the generic plan plus the usable cipher
 * suites. */
struct botan_plan {
	struct tlsh_plan p;
	/** Configured ids Botan can use in TLS 1.2, in the caller's order. */
	std::vector<uint16_t> suites;
	/** config.ciphers was given (suites then replaces the default). */
	bool restrict_suites;
};

class botan_policy;
class botan_creds;

} // namespace

struct tlsh_context {
	enum tlsh_role role;
	/** Client: verify the server's chain (verify_peer) and its name
	 * (check_name). */
	bool verify_peer, check_name;
	/** Server: client certificates are requested, required and verified. */
	bool client_auth;
	std::vector<botan_chain> chains;
	/** Client: the CAs to verify the server with; server: those to verify
	 * clients with (client_auth only). */
	std::unique_ptr<Botan::Certificate_Store> trust;
	std::vector<std::string> alpn;
	std::unique_ptr<botan_policy> policy;
	std::unique_ptr<botan_creds> creds;
};

namespace
{

class botan_callbacks;

} // namespace

struct tlsh_buffer {
	explicit tlsh_buffer(tlsh_context *c) : tc(c)
	{
		tlsh_state_init(&st);
	}
	~tlsh_buffer()
	{
		chan.reset(); /* may still emit into the queues */
		tlsh_queue_free(&in);
		tlsh_queue_free(&out);
		tlsh_queue_free(&plain);
	}
	tlsh_buffer(const tlsh_buffer &) = delete;
	tlsh_buffer &operator=(const tlsh_buffer &) = delete;
	tlsh_context *tc;
	/** The name given to buffer_new ("" for none), and the name sent as
	 * SNI ("" for none: an IP literal; no trailing dot; tlsh_client_name). */
	std::string host, sni;
	/** What the server's leaf must name (RFC 9525); kind NONE when nothing
	 * is checked. */
	struct tlsh_identity id = {};

	/* Declared before chan: the channel refers to them and is destroyed
	 * first. */
	std::unique_ptr<botan_callbacks> cb;
	Botan::TLS::Session_Manager_Noop sessions;
	std::unique_ptr<Botan::AutoSeeded_RNG> rng;
	std::unique_ptr<Botan::TLS::Channel> chan;

	/** Unprocessed input, pending output and plaintext not yet read. */
	struct tlsh_queue in = {}, out = {}, plain = {};

	/** The handshake completed at some point (sticky). */
	bool hs_done = false;
	/** The peer's close_notify was processed. */
	bool close_received = false;
	/** shutdown queued our close_notify. */
	bool close_sent = false;
	/** End of stream (read reported CLOSED / RAGGED_EOF), failure, alerts,
	 * last error; fail_msg is what a failed buffer reports again. */
	struct tlsh_state st;
	std::string fail_msg;
	/** Server: its ServerHelloDone went out, so the next Certificate
	 * message is the client's. */
	bool hello_done_sent = false;
	/** Server: the client's chain was verified on arrival. */
	bool client_chain_checked = false;

	/** Records emitted so far, and the content type of the last one
	 * (Botan emits one record per tls_emit_data call). */
	uint64_t emitted = 0;
	uint8_t last_emitted_type = 0;

	/** What the session established: cipher suite, wire version, peer
	 * leaf (DER) and ALPN protocol. */
	uint16_t suite = 0;
	uint16_t version = 0;
	bool have_peer = false;
	std::vector<uint8_t> peer_der;
	bool have_alpn = false;
	std::string alpn;
};

namespace
{

/* ------------------------------------------------------------------------ */
/* Errors                                                                   */
/* ------------------------------------------------------------------------ */

int botan_cfg_fail(struct tlsh_error *err, const std::string &msg)
{
	return tlsh_config_fail(err, "%s", msg.c_str());
}

/** Records a failing call on b: its status, the alerts seen on this buffer
 * and `msg`. Returns status. */
int botan_buf_fail(tlsh_buffer *b, int status, const std::string &msg)
{
	return tlsh_state_fail(&b->st, status, "%s", msg.c_str());
}

/** Marks b failed fatally and reports it. */
int botan_buf_kill(tlsh_buffer *b, const std::string &msg)
{
	if (!b->st.failed) {
		b->st.failed = 1;
		b->fail_msg = msg;
	}
	return botan_buf_fail(b, TLSH_TLS_ERROR, b->fail_msg);
}

/** A call on a buffer that already failed fatally: the same error again. */
int botan_buf_dead(tlsh_buffer *b)
{
	return botan_buf_fail(b, TLSH_TLS_ERROR, b->fail_msg);
}

/* ------------------------------------------------------------------------ */
/* Names and addresses                                                      */
/* ------------------------------------------------------------------------ */

/** The dNSName and iPAddress entries of a certificate's subjectAltName,
 * read from the raw extension (Botan's AlternativeName keeps IPv4 only). */
void botan_san(const Botan::X509_Certificate &cert, std::vector<std::string> *dns,
               std::vector<std::vector<uint8_t>> *ips)
{
	try {
		const auto raw = cert.v3_extensions().extensions_raw();
		const auto it = raw.find(Botan::OID("2.5.29.17"));
		if (it == raw.end())
			return;
		Botan::BER_Decoder dec(it->second.first);
		Botan::BER_Decoder seq = dec.start_cons(Botan::SEQUENCE);
		while (seq.more_items()) {
			const Botan::BER_Object o = seq.get_next_object();
			if (o.is_a(2, Botan::CONTEXT_SPECIFIC))
				dns->emplace_back(reinterpret_cast<const char *>(o.bits()),
				                  o.length());
			else if (o.is_a(7, Botan::CONTEXT_SPECIFIC))
				ips->emplace_back(o.bits(), o.bits() + o.length());
		}
	} catch (const std::exception &) {
		/* A malformed SAN names nothing. */
	}
}

/** Does the leaf name `id` (RFC 9525: SAN only, no CN fallback)? */
bool botan_leaf_matches(const Botan::X509_Certificate &leaf, const struct tlsh_identity &id)
{
	std::vector<std::string> dns;
	std::vector<std::vector<uint8_t>> ips;
	botan_san(leaf, &dns, &ips);
	for (const std::string &d : dns)
		if (tlsh_identity_match(&id, TLSH_SAN_DNS, d.data(), d.size()))
			return true;
	for (const std::vector<uint8_t> &ip : ips)
		if (tlsh_identity_match(&id, TLSH_SAN_IP, ip.data(), ip.size()))
			return true;
	return false;
}

/* ------------------------------------------------------------------------ */
/* Policy                                                                   */
/* ------------------------------------------------------------------------ */

void botan_add_unique(std::vector<std::string> *v, const std::string &s)
{
	if (!s.empty() && std::find(v->begin(), v->end(), s) == v->end())
		v->push_back(s);
}

/** TLS 1.2 only; the configured cipher suites (in the caller's order) when
 * there are any; client certificates requested and required when the
 * server has a trust store. */
class botan_policy final : public Botan::TLS::Policy
{
      public:
	botan_policy(bool client_auth, const std::vector<uint16_t> &suites, bool restrict_suites)
	    : m_client_auth(client_auth), m_restrict(restrict_suites), m_suites(suites),
	      m_ciphers(Policy::allowed_ciphers()), m_macs(Policy::allowed_macs()),
	      m_kex(Policy::allowed_key_exchange_methods()),
	      m_sigs(Policy::allowed_signature_methods())
	{
		/* Botan 2.19 enables its experimental CECPQ1 key exchange by
		 * default, whose suites (0x16B7..0x16BA) have no IANA
		 * assignment; the default list keeps to registered suites. A
		 * configured list may still name them. */
		m_kex.erase(std::remove(m_kex.begin(), m_kex.end(), "CECPQ1"), m_kex.end());
		/* The configured suites decide: their algorithms must not be
		 * refused by the defaults Botan checks them against. */
		for (uint16_t id : m_suites) {
			const Botan::TLS::Ciphersuite cs = Botan::TLS::Ciphersuite::by_id(id);
			botan_add_unique(&m_ciphers, cs.cipher_algo());
			botan_add_unique(&m_macs, cs.mac_algo());
			botan_add_unique(&m_kex, cs.kex_algo());
			const std::string sig = cs.sig_algo();
			if (sig != "IMPLICIT" && sig != "ANONYMOUS")
				botan_add_unique(&m_sigs, sig);
		}
	}

	bool allow_tls10() const override
	{
		return false;
	}
	bool allow_tls11() const override
	{
		return false;
	}
	bool allow_tls12() const override
	{
		return true;
	}
	bool allow_dtls10() const override
	{
		return false;
	}
	bool allow_dtls12() const override
	{
		return false;
	}
	bool require_client_certificate_authentication() const override
	{
		return m_client_auth;
	}
	bool request_client_certificate_authentication() const override
	{
		return m_client_auth;
	}
	/** Botan's default (true) fails every chain without CRL or OCSP data;
	 * the other backends do not check revocation unless asked to. */
	bool require_cert_revocation_info() const override
	{
		return false;
	}
	std::vector<std::string> allowed_ciphers() const override
	{
		return m_ciphers;
	}
	std::vector<std::string> allowed_macs() const override
	{
		return m_macs;
	}
	std::vector<std::string> allowed_key_exchange_methods() const override
	{
		return m_kex;
	}
	std::vector<std::string> allowed_signature_methods() const override
	{
		return m_sigs;
	}
	std::vector<uint16_t> ciphersuite_list(Botan::TLS::Protocol_Version version,
	                                       bool have_srp) const override
	{
		if (!m_restrict)
			return Policy::ciphersuite_list(version, have_srp);
		return m_suites;
	}
	bool acceptable_ciphersuite(const Botan::TLS::Ciphersuite &suite) const override
	{
		if (!m_restrict)
			return Policy::acceptable_ciphersuite(suite);
		return std::find(m_suites.begin(), m_suites.end(), suite.ciphersuite_code()) !=
		       m_suites.end();
	}

      private:
	bool m_client_auth;
	bool m_restrict;
	std::vector<uint16_t> m_suites;
	std::vector<std::string> m_ciphers, m_macs, m_kex, m_sigs;
};

/* ------------------------------------------------------------------------ */
/* Credentials                                                              */
/* ------------------------------------------------------------------------ */

/** Serves the context's chains and trust store. Read-only, so buffers may
 * share it across threads. */
class botan_creds final : public Botan::Credentials_Manager
{
      public:
	explicit botan_creds(const tlsh_context &tc) : m_tc(tc) {}

	std::vector<Botan::Certificate_Store *>
	trusted_certificate_authorities(const std::string &type,
	                                const std::string &context) override
	{
		(void)context;
		const bool mine = (type == "tls-client" && m_tc.role == TLSH_ROLE_CLIENT) ||
		                  (type == "tls-server" && m_tc.client_auth);
		if (!mine || !m_tc.trust)
			return {};
		return {m_tc.trust.get()};
	}

	/** Server: the chain whose leaf names the SNI `context`, else the
	 * first one; client: its chain. Only if its key type was asked for. */
	std::vector<Botan::X509_Certificate>
	find_cert_chain(const std::vector<std::string> &key_types,
	                const std::vector<Botan::X509_DN> &acceptable_cas, const std::string &type,
	                const std::string &context) override
	{
		(void)acceptable_cas;
		const bool mine = (type == "tls-server" && m_tc.role == TLSH_ROLE_SERVER) ||
		                  (type == "tls-client" && m_tc.role == TLSH_ROLE_CLIENT);
		if (!mine || m_tc.chains.empty())
			return {};
		const botan_chain *pick = &m_tc.chains[0];
		if (m_tc.role == TLSH_ROLE_SERVER && !context.empty()) {
			struct tlsh_identity id;
			tlsh_identity_set(&id, context.c_str());
			for (const botan_chain &ch : m_tc.chains) {
				if (botan_leaf_matches(ch.certs[0], id)) {
					pick = &ch;
					break;
				}
			}
		}
		if (!key_types.empty() && std::find(key_types.begin(), key_types.end(),
		                                    pick->key_type) == key_types.end())
			return {};
		return pick->certs;
	}

	std::vector<Botan::X509_Certificate> cert_chain(const std::vector<std::string> &key_types,
	                                                const std::string &type,
	                                                const std::string &context) override
	{
		return find_cert_chain(key_types, {}, type, context);
	}

	Botan::Private_Key *private_key_for(const Botan::X509_Certificate &cert,
	                                    const std::string &type,
	                                    const std::string &context) override
	{
		(void)type;
		(void)context;
		for (const botan_chain &ch : m_tc.chains)
			if (ch.certs[0] == cert)
				return ch.key.get();
		return nullptr;
	}

      private:
	const tlsh_context &m_tc;
};

/* ------------------------------------------------------------------------ */
/* Verification                                                             */
/* ------------------------------------------------------------------------ */

/** The alert RFC 8446 section 6.2 names for a path validation result. */
Alert::Type botan_status_alert(Botan::Certificate_Status_Code c)
{
	using C = Botan::Certificate_Status_Code;
	switch (c) {
	case C::CERT_NOT_YET_VALID:
	case C::CERT_HAS_EXPIRED:
		return Alert::CERTIFICATE_EXPIRED;
	case C::CERT_ISSUER_NOT_FOUND:
	case C::CANNOT_ESTABLISH_TRUST:
	case C::CERT_CHAIN_LOOP:
	case C::CHAIN_LACKS_TRUST_ROOT:
		return Alert::UNKNOWN_CA;
	case C::CERT_IS_REVOKED:
		return Alert::CERTIFICATE_REVOKED;
	case C::INVALID_USAGE:
		return Alert::UNSUPPORTED_CERTIFICATE;
	default:
		return Alert::BAD_CERTIFICATE;
	}
}

/** Verifies a peer chain: the path to a trusted root (always), then the
 * leaf's identity against `id` (`host` is its text) unless that is NONE.
 * Throws TLS_Exception with the alert to send. */
void botan_verify_chain(const std::vector<Botan::X509_Certificate> &chain,
                        const std::vector<Botan::Certificate_Store *> &roots,
                        Botan::Usage_Type usage, const struct tlsh_identity &id,
                        const std::string &host, const Botan::TLS::Policy &policy)
{
	if (chain.empty())
		throw TLS_Exception(Alert::BAD_CERTIFICATE, "the peer sent no certificate");
	if (roots.empty())
		throw TLS_Exception(Alert::UNKNOWN_CA, "no trust store to verify the peer with");
	const Botan::Path_Validation_Restrictions restrictions(
	        policy.require_cert_revocation_info(), policy.minimum_signature_strength());
	/* No hostname here: Botan's check falls back to the subject CN. */
	const Botan::Path_Validation_Result res = Botan::x509_path_validate(
	        chain, restrictions, roots, "", usage, std::chrono::system_clock::now(),
	        std::chrono::milliseconds(0), {});
	if (!res.successful_validation())
		throw TLS_Exception(botan_status_alert(res.result()),
		                    "certificate verification failed: " + res.result_string());
	if (id.kind != TLSH_IDENTITY_NONE && !botan_leaf_matches(chain[0], id))
		throw TLS_Exception(Alert::BAD_CERTIFICATE,
		                    "certificate verification failed: the leaf does not name " +
		                            host + " in its subjectAltName");
}

/* ------------------------------------------------------------------------ */
/* Callbacks                                                                */
/* ------------------------------------------------------------------------ */

class botan_callbacks final : public Botan::TLS::Callbacks
{
      public:
	explicit botan_callbacks(tlsh_buffer &b) : m_b(b) {}

	void tls_emit_data(const uint8_t data[], size_t size) override
	{
		if (!tlsh_queue_append(&m_b.out, data, size))
			throw std::bad_alloc();
		m_b.emitted++;
		m_b.last_emitted_type = size > 0 ? data[0] : 0;
	}

	void tls_record_received(uint64_t seq_no, const uint8_t data[], size_t size) override
	{
		(void)seq_no;
		if (!tlsh_queue_append(&m_b.plain, data, size))
			throw std::bad_alloc();
	}

	void tls_alert(Alert alert) override
	{
		if (alert.type() == Alert::CLOSE_NOTIFY) {
			m_b.close_received = true;
			return;
		}
		tlsh_state_alert(&m_b.st, 0, (int)alert.type(), alert.is_fatal());
		if (alert.is_fatal() && !m_b.st.failed) {
			m_b.st.failed = 1;
			m_b.fail_msg = "received fatal alert " + alert.type_string();
		}
	}

	bool tls_session_established(const Botan::TLS::Session &session) override
	{
		m_b.suite = session.ciphersuite_code();
		m_b.version = (uint16_t)(session.version().major_version() << 8 |
		                         session.version().minor_version());
		const auto &peer = session.peer_certs();
		m_b.have_peer = !peer.empty();
		if (m_b.have_peer)
			m_b.peer_der = peer[0].BER_encode();
		return false; /* nothing is cached */
	}

	void tls_session_activated() override
	{
		m_b.hs_done = true;
	}

	void tls_verify_cert_chain(
	        const std::vector<Botan::X509_Certificate> &cert_chain,
	        const std::vector<std::shared_ptr<const Botan::OCSP::Response>> &ocsp_responses,
	        const std::vector<Botan::Certificate_Store *> &trusted_roots,
	        Botan::Usage_Type usage, const std::string &hostname,
	        const Botan::TLS::Policy &policy) override
	{
		(void)ocsp_responses;
		(void)hostname; /* empty for an IP literal: the buffer keeps it */
		if (m_b.tc->role == TLSH_ROLE_SERVER) {
			if (!m_b.client_chain_checked)
				botan_verify_chain(cert_chain, trusted_roots, usage, m_b.id, "",
				                   policy);
			return;
		}
		if (!m_b.tc->verify_peer)
			return;
		botan_verify_chain(cert_chain, trusted_roots, usage, m_b.id, m_b.host, policy);
	}

	/** Server: verifies the client's chain as its Certificate message
	 * arrives, so that the alert is the one the failure calls for (Botan
	 * reports a failure of tls_verify_cert_chain as bad_certificate). */
	void tls_inspect_handshake_msg(const Botan::TLS::Handshake_Message &msg) override
	{
		if (m_b.tc->role != TLSH_ROLE_SERVER)
			return;
		if (msg.type() == Botan::TLS::SERVER_HELLO_DONE) {
			m_b.hello_done_sent = true;
			return;
		}
		if (msg.type() != Botan::TLS::CERTIFICATE || !m_b.hello_done_sent)
			return;
		const auto *cert = dynamic_cast<const Botan::TLS::Certificate *>(&msg);
		if (cert == nullptr || cert->empty())
			return; /* Botan fails an empty one when it is required */
		std::vector<Botan::Certificate_Store *> roots;
		if (m_b.tc->trust)
			roots.push_back(m_b.tc->trust.get());
		botan_verify_chain(cert->cert_chain(), roots, Botan::Usage_Type::TLS_CLIENT_AUTH,
		                   m_b.id, "", *m_b.tc->policy);
		m_b.client_chain_checked = true;
	}

	/** Server ALPN: the first of the server's protocols (its order) that
	 * the client offered; none is fatal (RFC 7301 section 3.2). */
	std::string tls_server_choose_app_protocol(const std::vector<std::string> &offered) override
	{
		const std::vector<std::string> &mine = m_b.tc->alpn;
		if (mine.empty())
			return "";
		for (const std::string &p : mine)
			if (std::find(offered.begin(), offered.end(), p) != offered.end())
				return p;
		throw TLS_Exception(Alert::NO_APPLICATION_PROTOCOL,
		                    "no offered ALPN protocol is configured on the server");
	}

      private:
	tlsh_buffer &m_b;
};

/* ------------------------------------------------------------------------ */
/* Configuration checks                                                     */
/* ------------------------------------------------------------------------ */

/** What Botan 2.19 takes (tlsh_plan_config). */
const struct tlsh_plan_rules botan_rules = {
        0,                /* tls13 */
        TLSH_KINDS_CHAIN, /* chain_kinds */
        TLSH_KINDS_TRUST, /* trust_kinds */
        0,                /* max_buffer: no limit */
        0,                /* max_alpn_wire: 65535 */
        "Botan 2.19",
};

/** Checks `config` for `role` and computes what context_new configures. */
int botan_plan_config(enum tlsh_role role, const struct tlsh_config *config, botan_plan *p,
                      struct tlsh_error *err)
{
	p->suites.clear();
	p->restrict_suites = false;
	if (tlsh_plan_config(&botan_rules, role, config, &p->p, err) != TLSH_OK)
		return TLSH_CONFIGURATION_ERROR;
	const struct tlsh_config &c = p->p.c;

	/* Ciphers: ids Botan does not know (TLS 1.3 suites included) are
	 * ignored; TLS 1.2, the only version, needs one that is left. */
	if (c.ciphers != nullptr) {
		p->restrict_suites = true;
		for (size_t i = 0; i < c.ciphers_len; i++) {
			const Botan::TLS::Ciphersuite cs =
			        Botan::TLS::Ciphersuite::by_id(c.ciphers[i]);
			if (!cs.valid() ||
			    !cs.usable_in_version(Botan::TLS::Protocol_Version::TLS_V12))
				continue;
			if (std::find(p->suites.begin(), p->suites.end(), c.ciphers[i]) ==
			    p->suites.end())
				p->suites.push_back(c.ciphers[i]);
		}
		return tlsh_plan_ciphers(&p->p, !p->suites.empty(), 0, err);
	}
	return TLSH_OK;
}

int botan_validate_config(const struct tlsh_implementation *self, enum tlsh_role role,
                          const struct tlsh_config *config, struct tlsh_error *err) noexcept
{
	(void)self;
	try {
		botan_plan p;
		if (botan_plan_config(role, config, &p, err) != TLSH_OK)
			return TLSH_CONFIGURATION_ERROR;
		tlsh_error_ok(err);
		return TLSH_OK;
	} catch (const std::exception &e) {
		return botan_cfg_fail(err, std::string("validate_config: ") + e.what());
	} catch (...) {
		return botan_cfg_fail(err, "validate_config: unknown exception");
	}
}

/* ------------------------------------------------------------------------ */
/* Loading certificates and keys                                            */
/* ------------------------------------------------------------------------ */

/** The bytes of a BUFFER or PATH source. Throws on a read failure. */
std::vector<uint8_t> botan_source_bytes(const struct tlsh_source &s)
{
	const uint8_t *data;
	uint8_t *owned;
	size_t len;
	const int e = tlsh_source_bytes(&s, BOTAN_MAX_FILE, &data, &len, &owned);
	if (e != 0)
		throw std::runtime_error(
		        std::string("cannot read ") +
		        (s.kind == TLSH_SOURCE_PATH && s.path ? s.path : "the source") + ": " +
		        std::strerror(e));
	std::vector<uint8_t> out(data, data + len);
	std::free(owned);
	return out;
}

/** Every certificate of a source: all CERTIFICATE blocks of PEM text (other
 * blocks are skipped), or one DER certificate. Throws if there is none or
 * one is malformed. */
std::vector<Botan::X509_Certificate> botan_load_certs(const struct tlsh_source &s)
{
	const std::vector<uint8_t> bytes = botan_source_bytes(s);
	std::vector<Botan::X509_Certificate> out;
	if (!tlsh_is_pem(bytes.data(), bytes.size())) {
		out.emplace_back(bytes);
		return out;
	}
	const std::string text(bytes.begin(), bytes.end());
	static const std::string begin = "-----BEGIN ";
	size_t pos = 0;
	while ((pos = text.find(begin, pos)) != std::string::npos) {
		const size_t lab = pos + begin.size();
		const size_t lab_end = text.find("-----", lab);
		if (lab_end == std::string::npos)
			throw Botan::Decoding_Error("PEM: malformed BEGIN line");
		const std::string label = text.substr(lab, lab_end - lab);
		const std::string end_line = "-----END " + label + "-----";
		size_t end = text.find(end_line, lab_end);
		if (end == std::string::npos)
			throw Botan::Decoding_Error("PEM: no END line for " + label);
		end += end_line.size();
		if (label == "CERTIFICATE" || label == "X509 CERTIFICATE") {
			std::string got;
			const Botan::secure_vector<uint8_t> der =
			        Botan::PEM_Code::decode(text.substr(pos, end - pos), got);
			out.emplace_back(std::vector<uint8_t>(der.begin(), der.end()));
		}
		pos = end;
	}
	if (out.empty())
		throw Botan::Decoding_Error("no certificate found");
	return out;
}

/** Loads one chain (leaf, key, intermediates) and checks that the key is
 * the leaf's. */
int botan_load_chain(const struct tlsh_signing_chain &ch, size_t idx, botan_chain *out,
                     struct tlsh_error *err)
{
	const std::string n = "chain " + std::to_string(idx);
	try {
		out->certs = botan_load_certs(ch.leaf);
	} catch (const std::exception &e) {
		return botan_cfg_fail(err, n + ": cannot load the leaf certificate: " + e.what());
	}
	for (size_t j = 0; j < ch.chain_len; j++) {
		try {
			const auto more = botan_load_certs(ch.chain[j]);
			out->certs.insert(out->certs.end(), more.begin(), more.end());
		} catch (const std::exception &e) {
			return botan_cfg_fail(err, n + ": cannot load intermediate " +
			                                   std::to_string(j) + ": " + e.what());
		}
	}
	try {
		const std::vector<uint8_t> kb = botan_source_bytes(ch.key);
		Botan::DataSource_Memory src(kb);
		out->key = Botan::PKCS8::load_key(src);
	} catch (const std::exception &e) {
		return botan_cfg_fail(err,
		                      n +
		                              ": cannot load the private key (unencrypted PKCS#8 "
		                              "only): " +
		                              e.what());
	}
	if (!out->key)
		return botan_cfg_fail(err, n + ": cannot load the private key");
	out->key_type = out->key->algo_name();
	if (out->key_type != "RSA" && out->key_type != "ECDSA")
		return botan_cfg_fail(err, n + ": key type " + out->key_type +
		                                   " cannot sign TLS 1.2 handshakes in Botan");
	try {
		const std::unique_ptr<Botan::Public_Key> pub(
		        out->certs[0].load_subject_public_key());
		if (pub->algo_name() != out->key_type ||
		    pub->public_key_bits() != out->key->public_key_bits())
			return botan_cfg_fail(err, n + ": the private key does not match the leaf");
	} catch (const std::exception &e) {
		return botan_cfg_fail(err, n + ": cannot read the leaf's public key: " + e.what());
	}
	return TLSH_OK;
}

/** Builds the trust store for `c` (nullptr when none is used). */
int botan_load_trust(enum tlsh_role role, const struct tlsh_config &c,
                     std::unique_ptr<Botan::Certificate_Store> *out, struct tlsh_error *err)
{
	const struct tlsh_source *ts = c.trust_store;
	const enum tlsh_source_kind kind = ts != nullptr ? ts->kind : TLSH_SOURCE_NONE;
	try {
		if (kind == TLSH_SOURCE_NONE && role == TLSH_ROLE_SERVER)
			return TLSH_OK;
		if (kind == TLSH_SOURCE_NONE || kind == TLSH_SOURCE_SYSTEM) {
			out->reset(new Botan::System_Certificate_Store());
			return TLSH_OK;
		}
		struct stat sb;
		if (kind == TLSH_SOURCE_PATH && stat(ts->path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
			out->reset(new Botan::Certificate_Store_In_Memory(std::string(ts->path)));
			return TLSH_OK;
		}
		std::unique_ptr<Botan::Certificate_Store_In_Memory> mem(
		        new Botan::Certificate_Store_In_Memory());
		for (const auto &cert : botan_load_certs(*ts))
			mem->add_certificate(cert);
		*out = std::move(mem);
		return TLSH_OK;
	} catch (const std::exception &e) {
		return botan_cfg_fail(err, std::string("cannot load the trust store: ") + e.what());
	}
}

/* ------------------------------------------------------------------------ */
/* Contexts                                                                 */
/* ------------------------------------------------------------------------ */

void botan_context_free(tlsh_context *tc) noexcept
{
	delete tc;
}

int botan_context_build(enum tlsh_role role, const struct tlsh_config *config, tlsh_context **out,
                        struct tlsh_error *err)
{
	botan_plan p;
	if (botan_plan_config(role, config, &p, err) != TLSH_OK)
		return TLSH_CONFIGURATION_ERROR;
	const struct tlsh_config &c = p.p.c;
	std::unique_ptr<tlsh_context> tc(new tlsh_context());
	tc->role = role;
	tc->verify_peer = role == TLSH_ROLE_CLIENT && p.p.verify_peer;
	tc->check_name = p.p.check_name;
	tc->client_auth = role == TLSH_ROLE_SERVER && p.p.verify_peer;
	for (size_t i = 0; i < c.inner_protocols_len; i++)
		tc->alpn.emplace_back(reinterpret_cast<const char *>(c.inner_protocols[i].data),
		                      c.inner_protocols[i].len);
	if (botan_load_trust(role, c, &tc->trust, err) != TLSH_OK)
		return TLSH_CONFIGURATION_ERROR;
	tc->chains.resize(c.certificate_chains_len);
	for (size_t i = 0; i < c.certificate_chains_len; i++)
		if (botan_load_chain(c.certificate_chains[i], i, &tc->chains[i], err) != TLSH_OK)
			return TLSH_CONFIGURATION_ERROR;
	tc->policy.reset(new botan_policy(tc->client_auth, p.suites, p.restrict_suites));
	tc->creds.reset(new botan_creds(*tc));
	*out = tc.release();
	tlsh_error_ok(err);
	return TLSH_OK;
}

int botan_context_new(const struct tlsh_implementation *self, enum tlsh_role role,
                      const struct tlsh_config *config, tlsh_context **out,
                      struct tlsh_error *err) noexcept
{
	(void)self;
	if (out == nullptr)
		return botan_cfg_fail(err, "no place to store the context");
	*out = nullptr;
	try {
		return botan_context_build(role, config, out, err);
	} catch (const std::exception &e) {
		return botan_cfg_fail(err, std::string("context_new: ") + e.what());
	} catch (...) {
		return botan_cfg_fail(err, "context_new: unknown exception");
	}
}

/* ------------------------------------------------------------------------ */
/* Buffers                                                                  */
/* ------------------------------------------------------------------------ */

void botan_buffer_free(tlsh_buffer *b) noexcept
{
	try {
		delete b;
	} catch (...) {
		/* destructors do not throw; nothing to report */
	}
}

int botan_buffer_new(tlsh_context *tc, const char *server_hostname, tlsh_buffer **out,
                     struct tlsh_error *err) noexcept
{
	if (out == nullptr)
		return botan_cfg_fail(err, "no place to store the buffer");
	*out = nullptr;
	if (tc == nullptr)
		return botan_cfg_fail(err, "no context");
	try {
		std::unique_ptr<tlsh_buffer> b(new tlsh_buffer(tc));
		b->cb.reset(new botan_callbacks(*b));
		b->rng.reset(new Botan::AutoSeeded_RNG());
		if (tc->role == TLSH_ROLE_CLIENT) {
			char sni[256];
			int st =
			        tlsh_client_name(server_hostname, tc->check_name, &b->id, sni, err);
			if (st != TLSH_OK)
				return st;
			b->host = server_hostname != nullptr ? server_hostname : "";
			b->sni = sni;
		}
		/* A server waits for the ClientHello; a client is built by its
		 * first call, which sends the ClientHello. */
		if (tc->role == TLSH_ROLE_SERVER)
			b->chan.reset(new Botan::TLS::Server(*b->cb, b->sessions, *tc->creds,
			                                     *tc->policy, *b->rng, false));
		*out = b.release();
		tlsh_error_ok(err);
		return TLSH_OK;
	} catch (const std::exception &e) {
		return botan_cfg_fail(err, std::string("buffer_new: ") + e.what());
	} catch (...) {
		return botan_cfg_fail(err, "buffer_new: unknown exception");
	}
}

/** Runs `fn` (a Botan call) on b; an exception marks b failed and records
 * the alert Botan sent for it: Channel::received_data sends exactly this
 * mapping, but only when it can (not once the channel is closed, nor before
 * any handshake state exists), so it counts only if the last record Botan
 * emitted during the call is an alert. Returns false on failure. */
template <typename F> bool botan_call(tlsh_buffer *b, F fn)
{
	const uint64_t emitted = b->emitted;
	int alert = TLSH_NO_ALERT;
	std::string msg;
	try {
		fn();
		return true;
	} catch (const TLS_Exception &e) {
		alert = (int)e.type();
		msg = e.what();
	} catch (const Botan::Invalid_Authentication_Tag &e) {
		alert = Alert::BAD_RECORD_MAC;
		msg = e.what();
	} catch (const Botan::Decoding_Error &e) {
		alert = Alert::DECODE_ERROR;
		msg = e.what();
	} catch (const std::exception &e) {
		alert = Alert::INTERNAL_ERROR;
		msg = e.what();
	} catch (...) {
		alert = Alert::INTERNAL_ERROR;
		msg = "unknown exception";
	}
	if (b->emitted != emitted && b->last_emitted_type == 21)
		tlsh_state_alert(&b->st, 1, alert, 1);
	if (!b->st.failed) {
		b->st.failed = 1;
		b->fail_msg = msg;
	}
	return false;
}

/** A client's first call builds its Botan::TLS::Client, which sends the
 * ClientHello. */
bool botan_ensure_channel(tlsh_buffer *b)
{
	if (b->chan)
		return true;
	tlsh_context *tc = b->tc;
	const Botan::TLS::Server_Information info(b->sni);
	const bool ok = botan_call(b, [&] {
		b->chan.reset(new Botan::TLS::Client(
		        *b->cb, b->sessions, *tc->creds, *tc->policy, *b->rng, info,
		        Botan::TLS::Protocol_Version::TLS_V12, tc->alpn));
	});
	if (ok)
		return true;
	b->chan.reset();
	return false;
}

/** Remembers the negotiated ALPN protocol once the handshake is done. */
void botan_note_done(tlsh_buffer *b)
{
	if (!b->hs_done || b->have_alpn || !b->chan)
		return;
	try {
		b->alpn = b->chan->application_protocol();
		b->have_alpn = true;
	} catch (const std::exception &) {
		b->alpn.clear();
	}
}

/** Hands whole records from the input to Botan, one at a time, until none
 * is complete, the peer's close_notify was processed (what follows it is
 * dropped, RFC 8446 section 6.1) or the connection failed. After our own
 * close_notify only alerts are processed: Botan refuses anything else then,
 * and our side no longer reads. */
void botan_feed(tlsh_buffer *b)
{
	while (b->chan && !b->st.failed && !b->close_received) {
		const size_t avail = tlsh_queue_length(&b->in);
		if (avail < 5)
			break;
		const uint8_t *p = tlsh_queue_peek(&b->in);
		const size_t body = (size_t)p[3] << 8 | p[4];
		/* An oversized length goes to Botan at once, which fails it
		 * (record_overflow) instead of waiting for bytes that may never
		 * come. */
		const bool oversize = body > BOTAN_MAX_RECORD;
		const size_t take = oversize ? avail : 5 + body;
		if (take > avail)
			break;
		/* p stays valid: nothing is appended to the input meanwhile. */
		tlsh_queue_consume(&b->in, take);
		if (!oversize && b->close_sent && p[0] != 21)
			continue;
		botan_call(b, [&] { b->chan->received_data(p, take); });
		botan_note_done(b);
	}
	if (b->close_received || b->st.failed)
		tlsh_queue_consume(&b->in, tlsh_queue_length(&b->in));
}

/** Drives the handshake: OK once complete, WANT_READ or TLS_ERROR. */
int botan_handshake_step(tlsh_buffer *b)
{
	if (b->hs_done)
		return TLSH_OK;
	if (b->st.failed)
		return botan_buf_dead(b);
	if (!botan_ensure_channel(b))
		return botan_buf_dead(b);
	botan_feed(b);
	if (b->hs_done)
		return TLSH_OK;
	if (b->st.failed)
		return botan_buf_dead(b);
	if (b->close_received)
		return botan_buf_kill(b, "close_notify before the handshake completed");
	if (b->st.eof)
		return botan_buf_kill(b, "transport EOF during the handshake");
	return TLSH_WANT_READ;
}

int botan_do_handshake(tlsh_buffer *b) noexcept
{
	try {
		return botan_handshake_step(b);
	} catch (...) {
		return botan_buf_kill(b, "do_handshake: unexpected exception");
	}
}

int botan_read_impl(tlsh_buffer *b, uint8_t *dst, size_t cap, size_t *n)
{
	/* Not tlsh_state_read: plaintext received before a failure is still
	 * returned first (below). */
	if (b->st.closed)
		return TLSH_CLOSED;
	if (b->st.ragged)
		return TLSH_RAGGED_EOF;
	if (!b->hs_done) {
		const int st = botan_handshake_step(b);
		if (st != TLSH_OK)
			return st;
	}
	botan_feed(b);
	if (tlsh_queue_length(&b->plain) > 0) {
		*n = tlsh_queue_take(&b->plain, dst, cap);
		return TLSH_OK;
	}
	if (b->st.failed)
		return botan_buf_dead(b);
	if (b->close_received)
		return tlsh_state_closed(&b->st);
	if (b->st.eof)
		return tlsh_state_ragged(&b->st, "transport EOF%s without close_notify",
		                         tlsh_queue_length(&b->in) > 0 ? " inside a record," : "");
	return TLSH_WANT_READ;
}

int botan_read(tlsh_buffer *b, uint8_t *dst, size_t cap, size_t *n) noexcept
{
	*n = 0;
	try {
		return botan_read_impl(b, dst, cap, n);
	} catch (...) {
		*n = 0;
		return botan_buf_kill(b, "read: unexpected exception");
	}
}

int botan_write_impl(tlsh_buffer *b, const uint8_t *src, size_t len, size_t *n)
{
	if (b->st.failed)
		return botan_buf_dead(b);
	if (b->close_sent)
		return botan_buf_fail(b, TLSH_TLS_ERROR,
		                      "write after shutdown (close_notify sent)");
	if (!b->hs_done) {
		const int st = botan_handshake_step(b);
		if (st != TLSH_OK)
			return st;
	}
	if (b->close_received || b->chan->is_closed())
		return botan_buf_fail(b, TLSH_TLS_ERROR,
		                      "write after the peer's close_notify: Botan closed the "
		                      "connection");
	if (len == 0)
		return TLSH_OK;
	if (!botan_call(b, [&] { b->chan->send(src, len); }))
		return botan_buf_dead(b);
	*n = len;
	return TLSH_OK;
}

int botan_write(tlsh_buffer *b, const uint8_t *src, size_t len, size_t *n) noexcept
{
	*n = 0;
	try {
		return botan_write_impl(b, src, len, n);
	} catch (...) {
		*n = 0;
		return botan_buf_kill(b, "write: unexpected exception");
	}
}

int botan_shutdown_impl(tlsh_buffer *b)
{
	if (b->st.failed)
		return botan_buf_dead(b);
	if (!b->hs_done)
		return botan_buf_fail(b, TLSH_TLS_ERROR, "shutdown before the handshake completed");
	if (!b->close_sent) {
		b->close_sent = true;
		/* After the peer's close_notify, Botan already answered with
		 * ours (and refuses to send another). */
		if (!b->close_received && !botan_call(b, [&] { b->chan->close(); }))
			return botan_buf_dead(b);
	}
	botan_feed(b);
	if (b->st.failed)
		return botan_buf_dead(b);
	if (b->close_received) {
		b->st.closed = 1;
		return TLSH_OK;
	}
	if (b->st.eof) {
		b->st.ragged = 1;
		return botan_buf_fail(b, TLSH_TLS_ERROR,
		                      "transport EOF before the peer's close_notify");
	}
	return TLSH_WANT_READ;
}

int botan_shutdown(tlsh_buffer *b) noexcept
{
	try {
		return botan_shutdown_impl(b);
	} catch (...) {
		return botan_buf_kill(b, "shutdown: unexpected exception");
	}
}

int botan_process_incoming(tlsh_buffer *b, const uint8_t *data, size_t len) noexcept
{
	return tlsh_state_store(&b->st, &b->in, b->close_received, data, len, BOTAN_INCOMING_CAP);
}

int botan_process_incoming_eof(tlsh_buffer *b) noexcept
{
	b->st.eof = 1;
	return TLSH_OK;
}

int botan_process_outgoing(tlsh_buffer *b, uint8_t *dst, size_t cap, size_t *n) noexcept
{
	*n = tlsh_queue_take(&b->out, dst, cap);
	return TLSH_OK;
}

size_t botan_incoming_bytes_buffered(tlsh_buffer *b) noexcept
{
	return tlsh_queue_length(&b->in);
}

size_t botan_outgoing_bytes_buffered(tlsh_buffer *b) noexcept
{
	return tlsh_queue_length(&b->out);
}

uint16_t botan_cipher(tlsh_buffer *b) noexcept
{
	return b->hs_done ? b->suite : 0;
}

int botan_negotiated_protocol(tlsh_buffer *b, const uint8_t **proto, size_t *len) noexcept
{
	if (!b->hs_done || !b->have_alpn || b->alpn.empty()) {
		*proto = nullptr;
		*len = 0;
		return 0;
	}
	*proto = reinterpret_cast<const uint8_t *>(b->alpn.data());
	*len = b->alpn.size();
	return 1;
}

enum tlsh_version botan_negotiated_tls_version(tlsh_buffer *b) noexcept
{
	if (!b->hs_done)
		return TLSH_VERSION_NONE;
	return b->version == 0x0303 ? TLSH_TLS_1_2 : TLSH_VERSION_NONE;
}

int botan_getpeercert(tlsh_buffer *b, const uint8_t **der, size_t *len) noexcept
{
	if (!b->hs_done || !b->have_peer || b->peer_der.empty()) {
		*der = nullptr;
		*len = 0;
		return 0;
	}
	*der = b->peer_der.data();
	*len = b->peer_der.size();
	return 1;
}

void botan_last_error(tlsh_buffer *b, struct tlsh_error *err) noexcept
{
	*err = b->st.last;
}

/* ------------------------------------------------------------------------ */
/* The descriptor                                                           */
/* ------------------------------------------------------------------------ */

const struct tlsh_implementation *botan_descriptor()
{
	static const struct tlsh_implementation impl = {
	        .abi_version = TLSH_ABI_VERSION,
	        .struct_size = sizeof(struct tlsh_implementation),
	        .name = "botan",
	        .library_version = Botan::version_cstr(),
	        /* No TLSH_CAP_TLS13 / TLSH_CAP_CIPHERS_TLS13: Botan 2 has no
	         * TLS 1.3. No TLSH_CAP_EXPORT_SECRETS: Botan 2.19's Callbacks
	         * have no key-log hook (tls_ssl_key_log_data came with Botan
	         * 3); the master secret is only reachable through the Session
	         * given to tls_session_established, which a client sees after
	         * its own Finished, protected by it, has left. */
	        .capabilities = TLSH_CAP_TLS12 | TLSH_CAP_CLIENT_AUTH | TLSH_CAP_CIPHERS_TLS12 |
	                        TLSH_CAP_ALPN | TLSH_CAP_SNI_CHAINS | TLSH_CAP_PEERCERT |
	                        TLSH_CAP_TRANSPORT_EOF | TLSH_CAP_SOURCE_PATH |
	                        TLSH_CAP_SOURCE_BUFFER | TLSH_CAP_INSECURE | TLSH_CAP_RSA |
	                        TLSH_CAP_ECDSA | TLSH_CAP_SHUTDOWN,
	        .validate_config = botan_validate_config,
	        .context_new = botan_context_new,
	        .context_free = botan_context_free,
	        .buffer_new = botan_buffer_new,
	        .buffer_free = botan_buffer_free,
	        .do_handshake = botan_do_handshake,
	        .read = botan_read,
	        .write = botan_write,
	        .shutdown = botan_shutdown,
	        .process_incoming = botan_process_incoming,
	        .process_incoming_eof = botan_process_incoming_eof,
	        .process_outgoing = botan_process_outgoing,
	        .incoming_bytes_buffered = botan_incoming_bytes_buffered,
	        .outgoing_bytes_buffered = botan_outgoing_bytes_buffered,
	        .cipher = botan_cipher,
	        .negotiated_protocol = botan_negotiated_protocol,
	        .negotiated_tls_version = botan_negotiated_tls_version,
	        .getpeercert = botan_getpeercert,
	        .last_error = botan_last_error,
	        .set_secret_callback = nullptr, // EXPORT_SECRETS not declared (yet)
	};
	return &impl;
}

} // namespace

extern "C" __attribute__((visibility("default"))) const struct tlsh_implementation *
tlsh_implementation(const char *arg)
{
	(void)arg;
	try {
		return botan_descriptor();
	} catch (const std::exception &e) {
		std::fprintf(stderr, "tlsh-botan: cannot initialise: %s\n", e.what());
	} catch (...) {
		std::fprintf(stderr, "tlsh-botan: cannot initialise\n");
	}
	return nullptr;
}
