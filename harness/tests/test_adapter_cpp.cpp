// Part of the unit suite where a C++ compiler is found: tlsh_adapter.h with
// its implementation compiles as C++ (the Botan adapter is C++) and works
// there. The C test (test_adapter.c) covers the behaviour in full; this one
// runs one case of each part through the C++ build.
#define TLSH_ADAPTER_IMPLEMENTATION
#include "tlsh_adapter.h"

#include <cstring>

#include "t.h"

int main()
{
	static const uint8_t leaf[] = "-----BEGIN CERTIFICATE-----\n";
	struct tlsh_source src = {TLSH_SOURCE_BUFFER, leaf, sizeof leaf - 1, nullptr};
	struct tlsh_signing_chain chain = {src, src, nullptr, 0};
	struct tlsh_config c;
	std::memset(&c, 0, sizeof c);
	c.struct_size = sizeof c;
	c.certificate_chains = &chain;
	c.certificate_chains_len = 1;
	c.lowest_supported_version = TLSH_TLS_1_3;
	const struct tlsh_plan_rules r12 = {0, TLSH_KINDS_CHAIN, TLSH_KINDS_TRUST, 0, 0, "c++lib"};
	struct tlsh_plan p;
	struct tlsh_error err;
	OK(tlsh_plan_config(&r12, TLSH_ROLE_SERVER, &c, &p, &err) == TLSH_CONFIGURATION_ERROR &&
	           std::strstr(err.message, "c++lib") != nullptr,
	   "C++: plan refuses lowest TLS 1.3 without TLS 1.3");
	c.lowest_supported_version = TLSH_VERSION_NONE;
	OK(tlsh_plan_config(&r12, TLSH_ROLE_SERVER, &c, &p, &err) == TLSH_OK &&
	           p.highest == TLSH_TLS_1_2,
	   "C++: plan resolves MAXIMUM to TLS 1.2");
	OK(tlsh_is_pem(leaf, sizeof leaf - 1) && !tlsh_is_pem("\x30\x82", 2), "C++: PEM or DER");
	OK(tlsh_dns_match("*.tlsh.test", 11, "a.tlsh.test") &&
	           !tlsh_dns_match("*.tlsh.test", 11, "a.b.tlsh.test"),
	   "C++: wildcard matching");
	struct tlsh_queue q = {};
	OK(tlsh_queue_append(&q, "abc", 3) && tlsh_queue_length(&q) == 3, "C++: byte queue");
	tlsh_queue_free(&q);
	struct tlsh_state s;
	tlsh_state_init(&s);
	size_t n = 1;
	OK(tlsh_state_closed(&s) == TLSH_CLOSED && tlsh_state_read(&s, &n) == TLSH_CLOSED && n == 0,
	   "C++: CLOSED is sticky");
	OK(tlsh_error_set(&err, TLSH_TLS_ERROR, 40, -1, "x%d", 1) == TLSH_TLS_ERROR &&
	           std::strcmp(err.message, "x1") == 0,
	   "C++: error setter");
	return t_done();
}
