/* Unit tests of the one list of names (tlsh.h's TLSH_STATUS_LIST,
 * TLSH_CAPABILITY_LIST, TLSH_ALERT_LIST) as the harness spells them: the
 * name functions of endpoint.c, and the report schema's list of capability
 * names (argv[1], reports/schema/report-v1.json), which JSON cannot take
 * from tlsh.h and so must say the same. */
#include <jansson.h>

#include "endpoint.h"
#include "t.h"

int main(int argc, char **argv)
{
	OK(strcmp(status_name(TLSH_OK), "OK") == 0 &&
	           strcmp(status_name(TLSH_WANT_READ), "WANT_READ") == 0 &&
	           strcmp(status_name(TLSH_CONFIGURATION_ERROR), "CONFIGURATION_ERROR") == 0,
	   "status names");
	OK(strcmp(status_name(7), "INVALID") == 0 && strcmp(status_name(-1), "INVALID") == 0,
	   "a value that is not a status is INVALID");
	OK(strcmp(alert_name(120), "no_application_protocol(120)") == 0 &&
	           strcmp(alert_name(0), "close_notify(0)") == 0 &&
	           strcmp(alert_name(21), "decryption_failed(21)") == 0,
	   "alert names carry the code");
	OK(strcmp(alert_name(TLSH_NO_ALERT), "none") == 0 &&
	           strcmp(alert_name(200), "alert(200)") == 0,
	   "no alert, and a code the list does not name");
	OK(strcmp(capability_name(0), "TLS12") == 0 &&
	           strcmp(capability_name(14), "SHUTDOWN") == 0 &&
	           strcmp(capability_name(15), "EXPORT_SECRETS") == 0 &&
	           capability_name(16) == NULL && capability_name(-1) == NULL,
	   "capability names by bit");
	char buf[64];
	OK(strcmp(capability_list(TLSH_CAP_TLS12 | TLSH_CAP_ALPN | (1ull << 40), buf, sizeof buf),
	          "TLS12,ALPN") == 0,
	   "capability_list joins the defined bits set");
	OK(strcmp(capability_list(0, buf, sizeof buf), "") == 0, "no capability: empty list");
	char small[8];
	capability_list(TLSH_CAP_CLIENT_AUTH | TLSH_CAP_CIPHERS_TLS12, small, sizeof small);
	OK(strlen(small) < sizeof small, "capability_list cuts to fit");

	/* The schema's capability enum is the list, in bit order. */
	json_error_t je;
	json_t *schema = argc > 1 ? json_load_file(argv[1], 0, &je) : NULL;
	OK(schema != NULL, "the report schema loads (%s)", argc > 1 ? argv[1] : "no path given");
	json_t *items = schema;
	static const char *const path[] = {"properties", "backends",     "items",
	                                   "properties", "capabilities", "items"};
	for (size_t i = 0; i < sizeof path / sizeof path[0]; i++)
		items = json_object_get(items, path[i]);
	json_t *list = json_object_get(items, "enum");
	int same = json_is_array(list) && json_array_size(list) == TLSH_CAP_COUNT;
	for (size_t i = 0; same && i < json_array_size(list); i++)
		same = json_is_string(json_array_get(list, i)) &&
		       strcmp(json_string_value(json_array_get(list, i)),
		              capability_name((int)i)) == 0;
	OK(same,
	   "reports/schema/report-v1.json lists the %d capability names of tlsh.h, in bit "
	   "order",
	   TLSH_CAP_COUNT);
	json_decref(schema);
	return t_done();
}
