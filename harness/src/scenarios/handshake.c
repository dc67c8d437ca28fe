/* handshake family (placeholder: default only). */
#include <stdio.h>

#include "scenario.h"

static void run_default(struct scen *s)
{
	struct cfgb c, v;
	cfg_std_client(&c, "rsa");
	cfg_std_server(&v, "rsa");
	scen_expect(s, "handshake completes; both sides agree on version, cipher; wire matches");
	if (scen_open_ok(s, &c, &v, TEST_HOST))
		return;
	enum hs_result r = scen_handshake(s);
	EXPECT(s, r == HS_OK, "handshake: %s", hs_result_name(r));
	if (scen_check_established(s, &c, &v, TEST_HOST))
		return;
	if (scen_transfer(s, C2S, 100, 100) || scen_transfer(s, S2C, 100, 100))
		return;
	scen_observe(s, "TLS %s, cipher 0x%04x", vname(ep_version(&s->client)), ep_cipher(&s->client));
}

void family_handshake(void)
{
	struct scen_def d = {.family = "handshake",
	                     .spec = "RFC 8446 section 4; descriptor: do_handshake",
	                     .title = "default configuration completes a handshake",
	                     .need_client = TLSH_CAP_RSA,
	                     .need_server = TLSH_CAP_RSA,
	                     .run = run_default};
	snprintf(d.id, sizeof d.id, "handshake/default");
	scen_add(&d);
}
