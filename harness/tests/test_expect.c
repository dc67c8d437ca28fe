/* Unit tests of the expectations parser: valid files, every kind of broken
 * file (each refused with a message naming the problem), and matching. */
#include "expect.h"
#include "t.h"

static int bad(const char *text, const char *needle)
{
	struct expectations e;
	char err[400] = "";
	int r = expect_parse(text, strlen(text), "x.json", &e, err, sizeof err);
	printf("#   %s\n", err);
	return r != 0 && strstr(err, needle) != NULL;
}

int main(void)
{
	const char *good =
	        "{\"schema\": 1, \"backend\": \"openssl\", \"expectations\": ["
	        "{\"id\": \"alpn/*\", \"role\": \"server\", \"verdict\": \"XFAIL\","
	        " \"reason\": \"library continues without ALPN\"},"
	        "{\"id\": \"ragged-eof/x\", \"peer\": \"boring*\", \"verdict\": \"XFAIL\","
	        " \"reason\": \"only against boringssl\"}]}";
	struct expectations e;
	char err[400];
	OK(expect_parse(good, strlen(good), "good.json", &e, err, sizeof err) == 0 && e.n == 2,
	   "valid file parsed");
	OK(expect_match(&e, "alpn/no-overlap/tls13", TLSH_ROLE_SERVER, "x") != NULL,
	   "glob matches in the right role");
	OK(expect_match(&e, "alpn/no-overlap/tls13", TLSH_ROLE_CLIENT, "x") == NULL,
	   "role restricts the match");
	OK(expect_match(&e, "ragged-eof/x", TLSH_ROLE_CLIENT, "boringssl") != NULL &&
	           expect_match(&e, "ragged-eof/x", TLSH_ROLE_CLIENT, "openssl") == NULL,
	   "peer glob restricts the match");
	OK(expect_match(&e, "handshake/default", TLSH_ROLE_CLIENT, "x") == NULL, "no false match");
	expect_free(&e);

	OK(bad("{\"schema\": 1, \"backend\": \"x\", \"expectations\": [", "not valid JSON"),
	   "truncated JSON");
	OK(bad("", "not valid JSON"), "empty file");
	OK(bad("[]", "schema"), "not an object");
	OK(bad("{\"schema\": 2, \"backend\": \"x\", \"expectations\": []}", "schema 2"),
	   "unknown schema version");
	OK(bad("{\"schema\": 1, \"expectations\": []}", "backend"), "missing backend");
	OK(bad("{\"schema\": 1, \"backend\": \"x\"}", "expectations"), "missing list");
	OK(bad("{\"schema\": 1, \"backend\": \"x\", \"expectations\": [{\"id\": \"a\", "
	       "\"verdict\": \"XFAIL\"}]}",
	       "reason"),
	   "entry without a reason");
	OK(bad("{\"schema\": 1, \"backend\": \"x\", \"expectations\": [{\"id\": \"a\", "
	       "\"verdict\": \"PASS\", \"reason\": \"because I said so\"}]}",
	       "verdict"),
	   "entry with another verdict");
	OK(bad("{\"schema\": 1, \"backend\": \"x\", \"expectations\": [{\"verdict\": \"XFAIL\", "
	       "\"reason\": \"because I said so\"}]}",
	       "id"),
	   "entry without id");
	OK(bad("{\"schema\": 1, \"backend\": \"x\", \"expectations\": [{\"id\": \"a\", \"role\": "
	       "\"both\", \"verdict\": \"XFAIL\", \"reason\": \"because I said so\"}]}",
	       "role"),
	   "entry with a bad role");
	OK(bad("{\"schema\": 1, \"backend\": \"x\", \"expectations\": [42]}", "not an object"),
	   "entry that is not an object");
	OK(expect_load("/nonexistent/e.json", &e, err, sizeof err) != 0 &&
	           strstr(err, "cannot read"),
	   "missing file: %s", err);
	return t_done();
}
