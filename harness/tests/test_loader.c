/* Unit tests of descriptor validation and loading: broken descriptors are
 * refused with a message naming the problem; broken shared objects too. */
#include <stddef.h>

#include "engine.h"
#include "fake.h"
#include "loader.h"
#include "t.h"

static int refused(const struct tlsh_implementation *d, const char *needle)
{
	char err[400] = "";
	int r = impl_validate(d, err, sizeof err);
	int named = strstr(err, needle) != NULL;
	printf("#   %s\n", err);
	return r != 0 && named;
}

int main(int argc, char **argv)
{
	char err[700];
	struct tlsh_implementation d = fake_impl;
	OK(impl_validate(&d, err, sizeof err) == 0, "a complete descriptor is accepted");
	OK(refused(NULL, "NULL"), "NULL descriptor refused");
	d.abi_version = 2;
	OK(refused(&d, "abi_version"), "wrong abi_version refused, naming it");
	d = fake_impl;
	d.struct_size = 8;
	OK(refused(&d, "struct_size"), "struct_size below the header refused");
	d = fake_impl;
	d.struct_size = (uint32_t)offsetof(struct tlsh_implementation, read);
	OK(refused(&d, "read"), "struct_size cutting off a mandatory function names it");
	d = fake_impl;
	d.name = NULL;
	OK(refused(&d, "name"), "NULL name refused");
	d = fake_impl;
	d.library_version = NULL;
	OK(refused(&d, "library_version"), "NULL library_version refused");
	const char *mandatory[] = {"validate_config", "context_new",      "buffer_new",
	                           "do_handshake",    "process_incoming", "process_outgoing",
	                           "last_error"};
	size_t offs[] = {offsetof(struct tlsh_implementation, validate_config),
	                 offsetof(struct tlsh_implementation, context_new),
	                 offsetof(struct tlsh_implementation, buffer_new),
	                 offsetof(struct tlsh_implementation, do_handshake),
	                 offsetof(struct tlsh_implementation, process_incoming),
	                 offsetof(struct tlsh_implementation, process_outgoing),
	                 offsetof(struct tlsh_implementation, last_error)};
	for (size_t i = 0; i < sizeof offs / sizeof offs[0]; i++) {
		d = fake_impl;
		memset((char *)&d + offs[i], 0, sizeof(void *));
		OK(refused(&d, mandatory[i]), "NULL %s refused, naming it", mandatory[i]);
	}
	d = fake_impl;
	d.process_incoming_eof = NULL;
	OK(refused(&d, "TRANSPORT_EOF"), "TRANSPORT_EOF without process_incoming_eof refused");
	d = fake_impl;
	d.capabilities |= TLSH_CAP_PEERCERT;
	OK(refused(&d, "getpeercert"), "PEERCERT without getpeercert refused");
	d = fake_impl;
	d.process_incoming_eof = NULL;
	d.capabilities = 0;
	OK(impl_validate(&d, err, sizeof err) == 0,
	   "optional functions may be NULL when not declared");

	struct impl_handle h;
	OK(impl_load("/nonexistent/x.so", &h, err, sizeof err) != 0 && strstr(err, "no such file"),
	   "missing file: %s", err);
	OK(impl_load("no-such-backend", &h, err, sizeof err) != 0 && strstr(err, "unknown backend"),
	   "unknown name: %s", err);
	OK(impl_load("Bad Name!", &h, err, sizeof err) != 0 && strstr(err, "invalid characters"),
	   "bad characters: %s", err);
	if (argc >= 6) {
		OK(impl_load(argv[1], &h, err, sizeof err) != 0 && strstr(err, "abi_version"),
		   "wrong ABI .so refused: %s", err);
		OK(impl_load(argv[2], &h, err, sizeof err) != 0 && strstr(err, "NULL"),
		   "NULL descriptor .so refused: %s", err);
		struct backend b;
		OK(backend_probe(argv[3], &b, err, sizeof err) != 0 &&
		           (strstr(err, "crashed") || strstr(err, "ended the process")),
		   "crashing entry point contained by the probe: %s", err);
		OK(impl_load(argv[4], &h, err, sizeof err) != 0 &&
		           strstr(err, "mandatory function validate_config is NULL"),
		   "missing mandatory function .so refused: %s", err);
		OK(impl_load(argv[5], &h, err, sizeof err) != 0 && strstr(err, "does not export"),
		   "no entry point refused: %s", err);
	}
	return t_done();
}
