/*
 * pep748.c - tlsharness bridge to Python PEP 748 implementations.
 *
 * This adapter embeds CPython and wraps any object implementing PEP 748's
 * TLSImplementation: `tlsharness run --impl pep748:MODULE:ATTRIBUTE` loads
 * MODULE, takes ATTRIBUTE (dotted names allowed; a callable is called once,
 * as the PEP allows "created by a callable") and serves the descriptor from
 * it. Plain `pep748` is `pep748:tlsh_pep748.stdlib:IMPLEMENTATION`, the
 * implementation over Python's ssl module shipped in python/.
 *
 * Mapping (descriptor -> PEP 748):
 *  - tlsh_config -> TLSClientConfiguration / TLSServerConfiguration built
 *    from the implementation's API classes (`tlsh_api`, default
 *    tlsh_pep748.api): chains -> SigningChain((Certificate, PrivateKey),
 *    [Certificate]), sources -> from_buffer / from_file / from_id /
 *    TrustStore.system(), ciphers -> CipherSuite or int, inner_protocols ->
 *    NextProtocol or bytes, versions -> TLSVersion (NONE -> None), insecure
 *    flags -> InsecureConfiguration and the implementation's insecure
 *    variant (`tlsh_insecure`).
 *  - validate_config / context_new / buffer_new -> validate_config(config),
 *    client_context(config) / server_context(config), create_buffer(host) /
 *    create_buffer(); any TLSError (ConfigurationError included) ->
 *    CONFIGURATION_ERROR.
 *  - Buffer calls -> the TLSBuffer methods of the same name; read(cap) is
 *    read(cap, None) and b'' -> CLOSED; negotiated_tls_version is a
 *    property; exceptions: WantReadError -> WANT_READ, WantWriteError ->
 *    WANT_WRITE, RaggedEOF -> RAGGED_EOF (from read; TLS_ERROR elsewhere),
 *    ConfigurationError and any other TLSError -> TLS_ERROR.
 *  - process_incoming_eof -> the buffer's optional process_incoming_eof()
 *    (beyond PEP 748). Declared (TLSH_CAP_TRANSPORT_EOF) only when the
 *    implementation says so or, without a capability list, when its buffers
 *    have the method.
 *  - last_error: the exception's type and text; alert_sent / alert_received
 *    from optional int attributes of the same names on the exception.
 *  - Capabilities: the optional `tlsh_capabilities` attribute (names of
 *    enum tlsh_capability without TLSH_CAP_, e.g. {"TLS13", "ALPN"}), else
 *    conservatively what every PEP 748 implementation must offer.
 *
 * Python failures. A Python exception that is not one of the PEP's errors
 * (a bug in the implementation or a broken contract, e.g. read returning
 * more than asked) is never turned into a TLS outcome: the bridge prints the
 * traceback to stderr (which the harness keeps with the result) and returns
 * PEP_PYTHON_ERROR, a value outside enum tlsh_status, so that the harness's
 * guards report HARNESS-ERROR naming the call. Calls that return no status
 * (cipher, *_bytes_buffered) mark the buffer broken instead: the next call
 * that returns a status returns PEP_PYTHON_ERROR. Nothing here crashes on a
 * Python error.
 *
 * The interpreter: Debian's libpython (pkg-config python3-embed), started
 * isolated (no PYTHON* variables, no user site) with its home fixed at build
 * time, so that a pyenv or virtualenv python on PATH cannot take over. The
 * module search path starts with $TLSH_PEP748_PATH (colon-separated), then
 * this folder's python/. Overrides: TLSH_PEP748_PYTHONHOME,
 * TLSH_PEP748_PYCACHE (bytecode cache; default in the build tree, so the
 * source tree stays clean).
 *
 * Threads: every entry point takes the GIL (PyGILState_Ensure), so distinct
 * buffers may be used from distinct threads as tlsh.h allows.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define TLSH_ADAPTER_IMPLEMENTATION
#include "tlsh_adapter.h"

#ifndef PEP748_PYTHON_HOME
#define PEP748_PYTHON_HOME "/usr"
#endif
#ifndef PEP748_SOURCE_PATH
#define PEP748_SOURCE_PATH "impls/pep748/python"
#endif
#ifndef PEP748_PYCACHE
#define PEP748_PYCACHE ""
#endif

/** The implementation `pep748` alone names. */
#define PEP_DEFAULT_TARGET "tlsh_pep748.stdlib:IMPLEMENTATION"
/** The PEP classes used when the implementation names no `tlsh_api`. */
#define PEP_DEFAULT_API "tlsh_pep748.api"
/** Returned instead of a tlsh_status after a Python error that is not a
 * PEP 748 error: outside the enum, so the guards flag it (HARNESS-ERROR). */
#define PEP_PYTHON_ERROR (-748)
/** Returned by negotiated_tls_version after a Python error (not a valid
 * version, so the guards flag it). */
#define PEP_BAD_VERSION ((enum tlsh_version)0x748)
/** How many distinct `pep748:...` names one process can load. */
#define PEP_MAX_IMPLS 8

/* ------------------------------------------------------------------------ */
/* Types                                                                    */
/* ------------------------------------------------------------------------ */

/** The PEP 748 classes of the implementation's API module. */
struct pep_api {
	PyObject *client_config, *server_config, *signing_chain, *certificate, *private_key,
	        *trust_store, *cipher_suite, *next_protocol, *tls_version, *insecure_config;
	PyObject *tls_error, *want_read, *want_write, *ragged_eof, *configuration_error;
	/** TLSVersion members: MINIMUM_SUPPORTED, TLSv1_2, TLSv1_3,
	 * MAXIMUM_SUPPORTED. */
	PyObject *version[4];
};

/** One loaded implementation. `desc` comes first: the harness passes it
 * back as `self`. */
struct pep_impl {
	struct tlsh_implementation desc;
	char *target;
	char name[64];
	char library_version[256];
	PyObject *impl;
	/** The insecure variant (InsecureTLSImplementation) or NULL. */
	PyObject *insecure;
	struct pep_api api;
};

struct tlsh_context {
	struct pep_impl *pi;
	enum tlsh_role role;
	PyObject *ctx;
};

struct tlsh_buffer {
	struct tlsh_context *tc;
	PyObject *buf;
	/** Keep alive what negotiated_protocol / getpeercert point into. */
	PyObject *proto;
	PyObject *peer;
	/** A Python error in a call without status: the next status says so. */
	int broken;
	char broken_call[40];
	struct tlsh_error last;
};

/* ------------------------------------------------------------------------ */
/* The interpreter                                                          */
/* ------------------------------------------------------------------------ */

static pthread_once_t pep_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t pep_lock = PTHREAD_MUTEX_INITIALIZER;
static int pep_python_ok;
static struct pep_impl *pep_impls[PEP_MAX_IMPLS];
static size_t pep_nimpls;
static PyObject *pep_format_exception; /* traceback.format_exception */
static PyObject *pep_path_class;       /* pathlib.Path */
/* Interned method and attribute names. */
static PyObject *s_read, *s_write, *s_do_handshake, *s_shutdown, *s_process_incoming,
        *s_process_incoming_eof, *s_process_outgoing, *s_incoming_bytes_buffered,
        *s_outgoing_bytes_buffered, *s_cipher, *s_negotiated_protocol, *s_negotiated_tls_version,
        *s_getpeercert, *s_create_buffer, *s_value;

static const char *pep_env(const char *name, const char *fallback)
{
	const char *v = getenv(name);
	return v != NULL && v[0] != '\0' ? v : fallback;
}

/** Prepends one folder to sys.path. */
static int pep_path_prepend(PyObject *path, const char *dir, size_t len)
{
	PyObject *s = PyUnicode_DecodeFSDefaultAndSize(dir, (Py_ssize_t)len);
	if (s == NULL)
		return -1;
	int r = PyList_Insert(path, 0, s);
	Py_DECREF(s);
	return r;
}

static int pep_intern(PyObject **slot, const char *name)
{
	*slot = PyUnicode_InternFromString(name);
	return *slot != NULL ? 0 : -1;
}

/** The harness loads adapters with RTLD_LOCAL, which keeps libpython's
 * symbols from the extension modules Python loads later (Debian's
 * lib-dynload extension modules do not link libpython: "undefined symbol
 * PyExc_ValueError"). Promotes libpython to RTLD_GLOBAL. */
static int pep_promote_libpython(void)
{
	Dl_info info;
	void *fn;
	void (*init)(void) = Py_Initialize;
	memcpy(&fn, &init, sizeof fn);
	if (dladdr(fn, &info) == 0 || info.dli_fname == NULL) {
		fprintf(stderr, "tlsh-pep748: cannot locate libpython\n");
		return -1;
	}
	if (dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_GLOBAL) == NULL) {
		fprintf(stderr, "tlsh-pep748: cannot make %s global: %s\n", info.dli_fname,
		        dlerror());
		return -1;
	}
	return 0;
}

/** Starts the interpreter once per process; leaves the GIL released. */
static void pep_start_python(void)
{
	if (pep_promote_libpython() != 0)
		return;
	const char *home = pep_env("TLSH_PEP748_PYTHONHOME", PEP748_PYTHON_HOME);
	const char *cache = pep_env("TLSH_PEP748_PYCACHE", PEP748_PYCACHE);
	PyPreConfig pre;
	PyPreConfig_InitIsolatedConfig(&pre);
	pre.utf8_mode = 1;
	PyStatus st = Py_PreInitialize(&pre);
	if (PyStatus_Exception(st))
		goto fail;
	PyConfig config;
	PyConfig_InitIsolatedConfig(&config);
	config.install_signal_handlers = 0;
	config.site_import = 1;
	config.parse_argv = 0;
	st = PyConfig_SetBytesString(&config, &config.home, home);
	if (!PyStatus_Exception(st))
		st = PyConfig_SetBytesString(&config, &config.program_name, "tlsharness-pep748");
	if (!PyStatus_Exception(st) && cache[0] != '\0')
		st = PyConfig_SetBytesString(&config, &config.pycache_prefix, cache);
	if (!PyStatus_Exception(st))
		st = Py_InitializeFromConfig(&config);
	PyConfig_Clear(&config);
	if (PyStatus_Exception(st))
		goto fail;

	/* sys.path: $TLSH_PEP748_PATH entries first (in order), then ours. */
	PyObject *path = PySys_GetObject("path"); /* borrowed */
	int ok = path != NULL && PyList_Check(path) &&
	         pep_path_prepend(path, PEP748_SOURCE_PATH, strlen(PEP748_SOURCE_PATH)) == 0;
	const char *extra = getenv("TLSH_PEP748_PATH");
	if (ok && extra != NULL && extra[0] != '\0') {
		size_t n = strlen(extra), end = n;
		while (ok && end > 0) {
			size_t start = end;
			while (start > 0 && extra[start - 1] != ':')
				start--;
			if (end > start)
				ok = pep_path_prepend(path, extra + start, end - start) == 0;
			end = start > 0 ? start - 1 : 0;
		}
	}
	PyObject *tb = ok ? PyImport_ImportModule("traceback") : NULL;
	PyObject *pl = tb != NULL ? PyImport_ImportModule("pathlib") : NULL;
	if (tb != NULL)
		pep_format_exception = PyObject_GetAttrString(tb, "format_exception");
	if (pl != NULL)
		pep_path_class = PyObject_GetAttrString(pl, "Path");
	Py_XDECREF(tb);
	Py_XDECREF(pl);
	ok = pep_format_exception != NULL && pep_path_class != NULL &&
	     pep_intern(&s_read, "read") == 0 && pep_intern(&s_write, "write") == 0 &&
	     pep_intern(&s_do_handshake, "do_handshake") == 0 &&
	     pep_intern(&s_shutdown, "shutdown") == 0 &&
	     pep_intern(&s_process_incoming, "process_incoming") == 0 &&
	     pep_intern(&s_process_incoming_eof, "process_incoming_eof") == 0 &&
	     pep_intern(&s_process_outgoing, "process_outgoing") == 0 &&
	     pep_intern(&s_incoming_bytes_buffered, "incoming_bytes_buffered") == 0 &&
	     pep_intern(&s_outgoing_bytes_buffered, "outgoing_bytes_buffered") == 0 &&
	     pep_intern(&s_cipher, "cipher") == 0 &&
	     pep_intern(&s_negotiated_protocol, "negotiated_protocol") == 0 &&
	     pep_intern(&s_negotiated_tls_version, "negotiated_tls_version") == 0 &&
	     pep_intern(&s_getpeercert, "getpeercert") == 0 &&
	     pep_intern(&s_create_buffer, "create_buffer") == 0 &&
	     pep_intern(&s_value, "value") == 0;
	if (!ok) {
		fprintf(stderr, "tlsh-pep748: cannot prepare the interpreter:\n");
		PyErr_Print();
	}
	pep_python_ok = ok;
	PyEval_SaveThread(); /* release the GIL for PyGILState_Ensure */
	return;
fail:
	fprintf(stderr, "tlsh-pep748: cannot start Python (home %s): %s%s%s\n", home,
	        st.func != NULL ? st.func : "", st.func != NULL ? ": " : "",
	        st.err_msg != NULL ? st.err_msg : "unknown error");
}

/* ------------------------------------------------------------------------ */
/* Errors                                                                   */
/* ------------------------------------------------------------------------ */

/** "Type: text" of an exception value, into dst. */
static void pep_describe(PyObject *value, char *dst, size_t cap)
{
	const char *tname = value != NULL ? Py_TYPE(value)->tp_name : "?";
	const char *dot = strrchr(tname, '.');
	PyObject *text = value != NULL ? PyObject_Str(value) : NULL;
	const char *t = text != NULL ? PyUnicode_AsUTF8(text) : NULL;
	if (t == NULL)
		PyErr_Clear();
	snprintf(dst, cap, "%s%s%s", dot != NULL ? dot + 1 : tname, t != NULL && t[0] ? ": " : "",
	         t != NULL ? t : "");
	Py_XDECREF(text);
}

/** Prints the traceback of (type, value, tb) to stderr, headed by `what`.
 * Clears any error it raises itself. */
static void pep_print_traceback(const char *what, PyObject *type, PyObject *value, PyObject *tb)
{
	fprintf(stderr, "tlsh-pep748: %s\n", what);
	PyObject *lines = type != NULL
	                          ? PyObject_CallFunctionObjArgs(pep_format_exception, type,
	                                                         value != NULL ? value : Py_None,
	                                                         tb != NULL ? tb : Py_None, NULL)
	                          : NULL;
	PyObject *sep = lines != NULL ? PyUnicode_FromString("") : NULL;
	PyObject *text = sep != NULL ? PyUnicode_Join(sep, lines) : NULL;
	const char *t = text != NULL ? PyUnicode_AsUTF8(text) : NULL;
	if (t != NULL) {
		fputs(t, stderr);
	} else {
		char d[300];
		PyErr_Clear();
		pep_describe(value, d, sizeof d);
		fprintf(stderr, "  %s (no traceback)\n", d);
	}
	fflush(stderr);
	Py_XDECREF(lines);
	Py_XDECREF(sep);
	Py_XDECREF(text);
}

/** Fetches the pending exception (normalized). */
static void pep_fetch(PyObject **type, PyObject **value, PyObject **tb)
{
	PyErr_Fetch(type, value, tb);
	PyErr_NormalizeException(type, value, tb);
	if (*tb != NULL && *value != NULL)
		PyException_SetTraceback(*value, *tb);
}

static void pep_release(PyObject *type, PyObject *value, PyObject *tb)
{
	Py_XDECREF(type);
	Py_XDECREF(value);
	Py_XDECREF(tb);
}

/** Is `value` an instance of `cls` (NULL: no)? */
static int pep_isinstance(PyObject *value, PyObject *cls)
{
	if (value == NULL || cls == NULL)
		return 0;
	int r = PyObject_IsInstance(value, cls);
	if (r < 0) {
		PyErr_Clear();
		return 0;
	}
	return r;
}

/** An optional int attribute of an exception (an alert code), or
 * TLSH_NO_ALERT. Values outside int are clamped; the guards judge the
 * range. */
static int pep_alert_attr(PyObject *value, const char *attr)
{
	PyObject *a = PyObject_GetAttrString(value, attr);
	int code = TLSH_NO_ALERT;
	if (a == NULL) {
		PyErr_Clear();
		return code;
	}
	if (PyLong_Check(a)) {
		long v = PyLong_AsLong(a);
		if (v == -1 && PyErr_Occurred()) {
			PyErr_Clear();
			v = 1000;
		}
		code = v > 1000 ? 1000 : v < -1000 ? -1000 : (int)v;
	}
	Py_DECREF(a);
	return code;
}

/** What a call may turn a PEP error into. */
enum pep_site {
	/** validate_config, context_new, buffer_new: TLSError ->
	 * CONFIGURATION_ERROR. */
	SITE_SETUP,
	/** read: RaggedEOF -> RAGGED_EOF. */
	SITE_READ,
	/** every other buffer call: RaggedEOF -> TLS_ERROR. */
	SITE_BUFFER,
};

/**
 * Maps the pending Python exception of `call` to a status and fills `err`.
 * PEP 748 errors become statuses; anything else is a Python failure: the
 * traceback goes to stderr and the result is PEP_PYTHON_ERROR.
 */
static int pep_map_exception(struct pep_impl *pi, const char *call, enum pep_site site,
                             struct tlsh_error *err)
{
	PyObject *type, *value, *tb;
	pep_fetch(&type, &value, &tb);
	const struct pep_api *a = &pi->api;
	int st;
	if (pep_isinstance(value, a->want_read))
		st = TLSH_WANT_READ;
	else if (pep_isinstance(value, a->want_write))
		st = TLSH_WANT_WRITE;
	else if (pep_isinstance(value, a->tls_error))
		st = site == SITE_SETUP ? TLSH_CONFIGURATION_ERROR
		     : site == SITE_READ && pep_isinstance(value, a->ragged_eof) ? TLSH_RAGGED_EOF
		                                                                 : TLSH_TLS_ERROR;
	else
		st = PEP_PYTHON_ERROR;
	if (err != NULL) {
		char d[sizeof err->message];
		pep_describe(value, d, sizeof d);
		err->status = st;
		err->alert_sent = TLSH_NO_ALERT;
		err->alert_received = TLSH_NO_ALERT;
		if (st == PEP_PYTHON_ERROR) {
			snprintf(err->message, sizeof err->message,
			         "Python exception (not a PEP 748 error) in %.40s: %.160s", call,
			         d);
		} else {
			snprintf(err->message, sizeof err->message, "%s", d);
			if (st == TLSH_TLS_ERROR || st == TLSH_RAGGED_EOF) {
				err->alert_sent = pep_alert_attr(value, "alert_sent");
				err->alert_received = pep_alert_attr(value, "alert_received");
			}
		}
	}
	if (st == PEP_PYTHON_ERROR) {
		char what[200];
		snprintf(what, sizeof what,
		         "%s (%s) raised an exception that is not a PEP 748 error:", call,
		         pi->target);
		pep_print_traceback(what, type, value, tb);
	}
	pep_release(type, value, tb);
	return st;
}

/** A Python-level contract violation found by the bridge (no exception
 * pending): reported like a Python failure. */
static int pep_contract(struct pep_impl *pi, struct tlsh_error *err, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static int pep_contract(struct pep_impl *pi, struct tlsh_error *err, const char *fmt, ...)
{
	char msg[240];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fprintf(stderr, "tlsh-pep748: %s broke the PEP 748 contract: %s\n", pi->target, msg);
	fflush(stderr);
	tlsh_error_set(err, PEP_PYTHON_ERROR, TLSH_NO_ALERT, TLSH_NO_ALERT,
	               "PEP 748 contract broken: %s", msg);
	return PEP_PYTHON_ERROR;
}

/* ------------------------------------------------------------------------ */
/* Loading an implementation                                                */
/* ------------------------------------------------------------------------ */

/** getattr along a dotted path; new reference or NULL (error set). */
static PyObject *pep_getattr_path(PyObject *obj, const char *dotted)
{
	Py_INCREF(obj);
	const char *p = dotted;
	while (obj != NULL && *p != '\0') {
		const char *dot = strchr(p, '.');
		size_t n = dot != NULL ? (size_t)(dot - p) : strlen(p);
		PyObject *name = PyUnicode_FromStringAndSize(p, (Py_ssize_t)n);
		PyObject *next = name != NULL ? PyObject_GetAttr(obj, name) : NULL;
		Py_XDECREF(name);
		Py_DECREF(obj);
		obj = next;
		p += n + (dot != NULL);
	}
	return obj;
}

/** Imports "module:attribute" (attribute dotted; default IMPLEMENTATION). */
static PyObject *pep_import_target(const char *target)
{
	const char *colon = strchr(target, ':');
	char *module = strndup(target, colon != NULL ? (size_t)(colon - target) : strlen(target));
	if (module == NULL)
		return PyErr_NoMemory();
	PyObject *m = PyImport_ImportModule(module);
	free(module);
	if (m == NULL)
		return NULL;
	PyObject *o = pep_getattr_path(m, colon != NULL ? colon + 1 : "IMPLEMENTATION");
	Py_DECREF(m);
	return o;
}

/** An optional attribute: new reference, NULL when absent (no error). */
static PyObject *pep_optional(PyObject *obj, const char *name)
{
	PyObject *v = PyObject_GetAttrString(obj, name);
	if (v == NULL)
		PyErr_Clear();
	if (v == Py_None) {
		Py_DECREF(v);
		v = NULL;
	}
	return v;
}

static int pep_load_api(struct pep_api *a, PyObject *mod)
{
	static const char *names[] = {"TLSClientConfiguration",
	                              "TLSServerConfiguration",
	                              "SigningChain",
	                              "Certificate",
	                              "PrivateKey",
	                              "TrustStore",
	                              "CipherSuite",
	                              "NextProtocol",
	                              "TLSVersion",
	                              "TLSError",
	                              "WantReadError",
	                              "WantWriteError",
	                              "RaggedEOF",
	                              "ConfigurationError"};
	PyObject **slots[] = {&a->client_config, &a->server_config,      &a->signing_chain,
	                      &a->certificate,   &a->private_key,        &a->trust_store,
	                      &a->cipher_suite,  &a->next_protocol,      &a->tls_version,
	                      &a->tls_error,     &a->want_read,          &a->want_write,
	                      &a->ragged_eof,    &a->configuration_error};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		*slots[i] = PyObject_GetAttrString(mod, names[i]);
		if (*slots[i] == NULL)
			return -1;
	}
	/* Optional: only needed for the insecure flags. */
	a->insecure_config = pep_optional(mod, "InsecureConfiguration");
	static const char *versions[] = {"MINIMUM_SUPPORTED", "TLSv1_2", "TLSv1_3",
	                                 "MAXIMUM_SUPPORTED"};
	for (size_t i = 0; i < 4; i++) {
		a->version[i] = PyObject_GetAttrString(a->tls_version, versions[i]);
		if (a->version[i] == NULL)
			return -1;
	}
	return 0;
}

/** The capability names tlsh.h defines (TLSH_CAPABILITY_LIST). */
static const struct {
	const char *name;
	uint64_t bit;
} pep_caps[] = {
#define PEP_CAP_(name, bit, text) {text, 1ull << (bit)},
        TLSH_CAPABILITY_LIST(PEP_CAP_)
#undef PEP_CAP_
};

/** Capability bits from an iterable of names; -1 on an unknown name or a
 * Python error (message printed). */
static int pep_parse_caps(PyObject *names, uint64_t *out)
{
	PyObject *it = PyObject_GetIter(names);
	if (it == NULL)
		return -1;
	PyObject *item;
	*out = 0;
	while ((item = PyIter_Next(it)) != NULL) {
		const char *s = PyUnicode_Check(item) ? PyUnicode_AsUTF8(item) : NULL;
		size_t i = 0;
		while (s != NULL && i < sizeof pep_caps / sizeof pep_caps[0] &&
		       strcmp(pep_caps[i].name, s) != 0)
			i++;
		if (s == NULL || i == sizeof pep_caps / sizeof pep_caps[0]) {
			PyErr_Clear();
			PyObject *r = PyObject_Repr(item);
			const char *rs = r != NULL ? PyUnicode_AsUTF8(r) : "?";
			fprintf(stderr,
			        "tlsh-pep748: tlsh_capabilities: unknown capability %s (known:",
			        rs != NULL ? rs : "?");
			for (size_t k = 0; k < sizeof pep_caps / sizeof pep_caps[0]; k++)
				fprintf(stderr, "%s %s", k ? "," : "", pep_caps[k].name);
			fprintf(stderr, ")\n");
			Py_XDECREF(r);
			Py_DECREF(item);
			Py_DECREF(it);
			return -1;
		}
		*out |= pep_caps[i].bit;
		Py_DECREF(item);
	}
	Py_DECREF(it);
	return PyErr_Occurred() ? -1 : 0;
}

/** Without a capability list: do this implementation's buffers take
 * process_incoming_eof()? Probed on a client buffer of a default
 * configuration; any failure means no. */
static int pep_probe_eof(struct pep_impl *pi)
{
	PyObject *cfg = PyObject_CallNoArgs(pi->api.client_config);
	PyObject *cc = cfg != NULL ? PyObject_GetAttrString(pi->impl, "client_context") : NULL;
	PyObject *ctx = cc != NULL ? PyObject_CallOneArg(cc, cfg) : NULL;
	PyObject *host = ctx != NULL ? PyUnicode_FromString("localhost") : NULL;
	PyObject *buf = host != NULL ? PyObject_CallMethodOneArg(ctx, s_create_buffer, host) : NULL;
	int has = buf != NULL && PyObject_HasAttr(buf, s_process_incoming_eof);
	PyErr_Clear();
	Py_XDECREF(cfg);
	Py_XDECREF(cc);
	Py_XDECREF(ctx);
	Py_XDECREF(host);
	Py_XDECREF(buf);
	return has;
}

/** A backend name: [a-z0-9_-], at most 48 characters. */
static void pep_sanitize(char *dst, size_t cap, const char *src)
{
	size_t o = 0;
	for (const char *p = src; *p != '\0' && o + 1 < cap && o < 48; p++) {
		char c = *p;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
			c = '-';
		dst[o++] = c;
	}
	dst[o] = '\0';
}

static const struct tlsh_implementation pep_template;

/** Prints the pending Python error of loading `target`. */
static void pep_load_failed(const char *target)
{
	PyObject *type, *value, *tb;
	char what[300];
	pep_fetch(&type, &value, &tb);
	snprintf(what, sizeof what, "cannot load the PEP 748 implementation %s:", target);
	pep_print_traceback(what, type, value, tb);
	pep_release(type, value, tb);
}

/** Loads `target` ("module:attribute"); prints why and returns NULL on
 * failure. Holds the GIL. */
static struct pep_impl *pep_load(const char *target)
{
	struct pep_impl *pi = calloc(1, sizeof *pi);
	if (pi == NULL || (pi->target = strdup(target)) == NULL) {
		free(pi);
		return NULL;
	}
	PyObject *obj = pep_import_target(target);
	if (obj != NULL && !PyObject_HasAttrString(obj, "client_context") &&
	    PyCallable_Check(obj)) {
		/* "The TLSImplementation object can be a global singleton or
		 * can be created by a callable." */
		PyObject *made = PyObject_CallNoArgs(obj);
		Py_DECREF(obj);
		obj = made;
	}
	if (obj == NULL)
		goto python_fail;
	pi->impl = obj;
	static const char *needed[] = {"client_context", "server_context", "validate_config"};
	for (size_t i = 0; i < 3; i++) {
		if (!PyObject_HasAttrString(obj, needed[i])) {
			fprintf(stderr,
			        "tlsh-pep748: %s is not a PEP 748 TLSImplementation (no %s)\n",
			        target, needed[i]);
			return NULL;
		}
	}
	PyObject *api = pep_optional(obj, "tlsh_api");
	if (api == NULL) {
		api = PyImport_ImportModule(PEP_DEFAULT_API);
		if (api == NULL)
			goto python_fail;
	}
	int r = pep_load_api(&pi->api, api);
	Py_DECREF(api);
	if (r != 0)
		goto python_fail;
	pi->insecure = pep_optional(obj, "tlsh_insecure");

	/* Name and library version. */
	PyObject *name = pep_optional(obj, "tlsh_name");
	const char *ns = name != NULL && PyUnicode_Check(name) ? PyUnicode_AsUTF8(name) : NULL;
	if (ns != NULL) {
		pep_sanitize(pi->name, sizeof pi->name, ns);
	} else {
		/* pep748-<last module component>, e.g. pep748-stdlib. */
		char mod[128];
		const char *colon = strchr(target, ':');
		size_t ml = colon != NULL ? (size_t)(colon - target) : strlen(target);
		snprintf(mod, sizeof mod, "%.*s", (int)(ml < sizeof mod ? ml : sizeof mod - 1),
		         target);
		const char *last = strrchr(mod, '.');
		char tmp[80];
		snprintf(tmp, sizeof tmp, "pep748-%.60s", last != NULL ? last + 1 : mod);
		pep_sanitize(pi->name, sizeof pi->name, tmp);
	}
	PyErr_Clear();
	Py_XDECREF(name);
	PyObject *ver = pep_optional(obj, "tlsh_library_version");
	const char *vs = ver != NULL && PyUnicode_Check(ver) ? PyUnicode_AsUTF8(ver) : NULL;
	PyErr_Clear();
	const char *pv = Py_GetVersion();
	if (vs != NULL)
		snprintf(pi->library_version, sizeof pi->library_version, "%s [PEP 748: %s]", vs,
		         target);
	else
		snprintf(pi->library_version, sizeof pi->library_version,
		         "Python %.*s [PEP 748: %s]", (int)strcspn(pv, " "), pv, target);
	Py_XDECREF(ver);

	/* Capabilities. */
	uint64_t caps;
	PyObject *cl = pep_optional(obj, "tlsh_capabilities");
	if (cl != NULL) {
		r = pep_parse_caps(cl, &caps);
		Py_DECREF(cl);
		if (r != 0) {
			if (PyErr_Occurred())
				goto python_fail;
			return NULL;
		}
		if ((caps & TLSH_CAP_INSECURE) && pi->insecure == NULL) {
			fprintf(stderr,
			        "tlsh-pep748: %s declares INSECURE but has no tlsh_insecure\n",
			        target);
			return NULL;
		}
	} else {
		/* What the PEP's API requires of every implementation. */
		caps = TLSH_CAP_TLS12 | TLSH_CAP_TLS13 | TLSH_CAP_ALPN | TLSH_CAP_PEERCERT |
		       TLSH_CAP_SOURCE_BUFFER | TLSH_CAP_RSA | TLSH_CAP_ECDSA;
		if (pi->insecure != NULL && pi->api.insecure_config != NULL)
			caps |= TLSH_CAP_INSECURE;
		if (pep_probe_eof(pi))
			caps |= TLSH_CAP_TRANSPORT_EOF;
	}
	pi->desc = pep_template;
	pi->desc.name = pi->name;
	pi->desc.library_version = pi->library_version;
	pi->desc.capabilities = caps;
	if (!(caps & TLSH_CAP_TRANSPORT_EOF))
		pi->desc.process_incoming_eof = NULL;
	return pi;

python_fail:
	pep_load_failed(target);
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* Configurations                                                           */
/* ------------------------------------------------------------------------ */

/** Builds a Certificate / PrivateKey / TrustStore from a source. *out is a
 * new reference (Py_None for an absent key or trust store). Returns TLSH_OK,
 * CONFIGURATION_ERROR (err filled) or -1 with a Python error pending. */
static int pep_source(struct pep_impl *pi, PyObject *cls, const struct tlsh_source *s,
                      const char *what, int optional, PyObject **out, struct tlsh_error *err)
{
	*out = NULL;
	switch (s->kind) {
	case TLSH_SOURCE_NONE:
		if (!optional)
			break;
		Py_INCREF(Py_None);
		*out = Py_None;
		return TLSH_OK;
	case TLSH_SOURCE_BUFFER:
	case TLSH_SOURCE_ID:
		if (s->data == NULL && s->len > 0)
			break;
		{
			PyObject *b = PyBytes_FromStringAndSize((const char *)s->data,
			                                        (Py_ssize_t)s->len);
			if (b == NULL)
				return -1;
			*out = PyObject_CallMethod(
			        cls, s->kind == TLSH_SOURCE_ID ? "from_id" : "from_buffer", "O", b);
			Py_DECREF(b);
		}
		return *out != NULL ? TLSH_OK : -1;
	case TLSH_SOURCE_PATH:
		if (s->path == NULL)
			break;
		{
			PyObject *p = PyObject_CallFunction(pep_path_class, "s", s->path);
			if (p == NULL)
				return -1;
			*out = PyObject_CallMethod(cls, "from_file", "O", p);
			Py_DECREF(p);
		}
		return *out != NULL ? TLSH_OK : -1;
	case TLSH_SOURCE_SYSTEM:
		if (cls != pi->api.trust_store)
			break;
		*out = PyObject_CallMethod(cls, "system", NULL);
		return *out != NULL ? TLSH_OK : -1;
	}
	tlsh_config_fail(err, "%s: source kind %d cannot be expressed", what, (int)s->kind);
	return TLSH_CONFIGURATION_ERROR;
}

/** SigningChain((leaf, key), [intermediates]). */
static int pep_chain(struct pep_impl *pi, const struct tlsh_signing_chain *ch, size_t i,
                     PyObject **out, struct tlsh_error *err)
{
	char what[64];
	PyObject *leaf = NULL, *key = NULL, *list = NULL, *pair = NULL;
	*out = NULL;
	snprintf(what, sizeof what, "chain %zu leaf", i);
	int st = pep_source(pi, pi->api.certificate, &ch->leaf, what, 0, &leaf, err);
	if (st == TLSH_OK) {
		snprintf(what, sizeof what, "chain %zu key", i);
		st = pep_source(pi, pi->api.private_key, &ch->key, what, 1, &key, err);
	}
	if (st == TLSH_OK && ch->chain_len > 0 && ch->chain == NULL) {
		tlsh_config_fail(err, "chain %zu: intermediates are NULL", i);
		st = TLSH_CONFIGURATION_ERROR;
	}
	if (st == TLSH_OK && (list = PyList_New(0)) == NULL)
		st = -1;
	for (size_t j = 0; st == TLSH_OK && j < ch->chain_len; j++) {
		PyObject *c;
		snprintf(what, sizeof what, "chain %zu certificate %zu", i, j);
		st = pep_source(pi, pi->api.certificate, &ch->chain[j], what, 0, &c, err);
		if (st == TLSH_OK) {
			if (PyList_Append(list, c) != 0)
				st = -1;
			Py_DECREF(c);
		}
	}
	if (st == TLSH_OK && (pair = PyTuple_Pack(2, leaf, key)) == NULL)
		st = -1;
	if (st == TLSH_OK &&
	    (*out = PyObject_CallFunctionObjArgs(pi->api.signing_chain, pair, list, NULL)) == NULL)
		st = -1;
	Py_XDECREF(leaf);
	Py_XDECREF(key);
	Py_XDECREF(list);
	Py_XDECREF(pair);
	return st;
}

/** A TLSVersion member (new reference) or None for NONE; NULL with err
 * filled for a value PEP 748 cannot express. */
static PyObject *pep_version(struct pep_impl *pi, enum tlsh_version v, const char *what,
                             struct tlsh_error *err)
{
	PyObject *o = NULL;
	switch (v) {
	case TLSH_VERSION_NONE:
		o = Py_None;
		break;
	case TLSH_VERSION_MINIMUM_SUPPORTED:
		o = pi->api.version[0];
		break;
	case TLSH_TLS_1_2:
		o = pi->api.version[1];
		break;
	case TLSH_TLS_1_3:
		o = pi->api.version[2];
		break;
	case TLSH_VERSION_MAXIMUM_SUPPORTED:
		o = pi->api.version[3];
		break;
	}
	if (o == NULL) {
		tlsh_config_fail(err, "%s 0x%x is not a version PEP 748 can express", what,
		                 (unsigned)v);
		return NULL;
	}
	Py_INCREF(o);
	return o;
}

/** Enum member `cls(value)` or, when there is none, `value` itself. */
static PyObject *pep_member_or(PyObject *cls, PyObject *value)
{
	PyObject *m = PyObject_CallOneArg(cls, value);
	if (m != NULL)
		return m;
	PyErr_Clear();
	Py_INCREF(value);
	return value;
}

/**
 * Builds the PEP 748 configuration for `role` from `config` (honouring its
 * struct_size) into *out, and the InsecureConfiguration into *insecure (or
 * NULL). Returns TLSH_OK, CONFIGURATION_ERROR (err filled) or
 * PEP_PYTHON_ERROR (err filled, traceback printed).
 */
static int pep_build_config(struct pep_impl *pi, enum tlsh_role role,
                            const struct tlsh_config *config, PyObject **out, PyObject **insecure,
                            struct tlsh_error *err)
{
	struct tlsh_config c;
	PyObject *chains = NULL, *ciphers = Py_None, *protos = Py_None, *lo = NULL, *hi = NULL,
	         *trust = NULL, *kw = NULL;
	int st = TLSH_OK;
	*out = NULL;
	*insecure = NULL;
	Py_INCREF(Py_None);
	Py_INCREF(Py_None);
	if (role != TLSH_ROLE_CLIENT && role != TLSH_ROLE_SERVER) {
		tlsh_config_fail(err, "unknown role %d", (int)role);
		st = TLSH_CONFIGURATION_ERROR;
		goto out;
	}
	if (config == NULL) {
		tlsh_config_fail(err, "no configuration");
		st = TLSH_CONFIGURATION_ERROR;
		goto out;
	}
	tlsh_config_copy(config, &c);

	/* Certificate chains: a client takes one SigningChain (or None), a
	 * server a list. */
	if (c.certificate_chains_len > 0 && c.certificate_chains == NULL) {
		tlsh_config_fail(err, "certificate_chains is NULL");
		st = TLSH_CONFIGURATION_ERROR;
		goto out;
	}
	if (role == TLSH_ROLE_CLIENT && c.certificate_chains_len > 1) {
		tlsh_config_fail(err,
		                 "PEP 748: a client configuration holds at most one SigningChain");
		st = TLSH_CONFIGURATION_ERROR;
		goto out;
	}
	if (role == TLSH_ROLE_SERVER) {
		if (c.certificate_chains_len > 0 && (chains = PyList_New(0)) == NULL)
			goto python;
	}
	for (size_t i = 0; i < c.certificate_chains_len; i++) {
		PyObject *ch;
		st = pep_chain(pi, &c.certificate_chains[i], i, &ch, err);
		if (st == -1)
			goto python;
		if (st != TLSH_OK)
			goto out;
		if (role == TLSH_ROLE_CLIENT) {
			chains = ch;
		} else {
			int r = PyList_Append(chains, ch);
			Py_DECREF(ch);
			if (r != 0)
				goto python;
		}
	}

	/* Ciphers: CipherSuite members, raw ints for the rest. */
	if (c.ciphers_len > 0 && c.ciphers == NULL) {
		tlsh_config_fail(err, "ciphers is NULL");
		st = TLSH_CONFIGURATION_ERROR;
		goto out;
	}
	if (c.ciphers != NULL) {
		Py_DECREF(ciphers);
		if ((ciphers = PyList_New(0)) == NULL)
			goto python;
		for (size_t i = 0; i < c.ciphers_len; i++) {
			PyObject *n = PyLong_FromUnsignedLong(c.ciphers[i]);
			PyObject *m = n != NULL ? pep_member_or(pi->api.cipher_suite, n) : NULL;
			int r = m != NULL ? PyList_Append(ciphers, m) : -1;
			Py_XDECREF(n);
			Py_XDECREF(m);
			if (r != 0)
				goto python;
		}
	}

	/* ALPN: NextProtocol members, raw bytes for the rest. */
	if (c.inner_protocols_len > 0 && c.inner_protocols == NULL) {
		tlsh_config_fail(err, "inner_protocols is NULL");
		st = TLSH_CONFIGURATION_ERROR;
		goto out;
	}
	if (c.inner_protocols_len > 0) {
		Py_DECREF(protos);
		if ((protos = PyList_New(0)) == NULL)
			goto python;
		for (size_t i = 0; i < c.inner_protocols_len; i++) {
			const struct tlsh_bytes *p = &c.inner_protocols[i];
			if (p->data == NULL && p->len > 0) {
				tlsh_config_fail(err, "inner protocol %zu is NULL", i);
				st = TLSH_CONFIGURATION_ERROR;
				goto out;
			}
			PyObject *b = PyBytes_FromStringAndSize(p->len ? (const char *)p->data : "",
			                                        (Py_ssize_t)p->len);
			PyObject *m = b != NULL ? pep_member_or(pi->api.next_protocol, b) : NULL;
			int r = m != NULL ? PyList_Append(protos, m) : -1;
			Py_XDECREF(b);
			Py_XDECREF(m);
			if (r != 0)
				goto python;
		}
	}

	/* Versions. */
	lo = pep_version(pi, c.lowest_supported_version, "lowest_supported_version", err);
	hi = lo != NULL ? pep_version(pi, c.highest_supported_version, "highest_supported_version",
	                              err)
	                : NULL;
	if (hi == NULL) {
		st = TLSH_CONFIGURATION_ERROR;
		goto out;
	}

	/* Trust store. NULL / NONE: None (client: the implementation's
	 * default, the system store; server: no client authentication). */
	if (c.trust_store == NULL) {
		Py_INCREF(Py_None);
		trust = Py_None;
	} else {
		st = pep_source(pi, pi->api.trust_store, c.trust_store, "trust store", 1, &trust,
		                err);
		if (st == -1)
			goto python;
		if (st != TLSH_OK)
			goto out;
	}

	/* Insecure flags: the PEP's insecure variant. */
	if (c.insecure & ~(uint32_t)(TLSH_INSECURE_NO_VERIFY | TLSH_INSECURE_NO_HOSTNAME_CHECK)) {
		tlsh_config_fail(err, "unknown insecure flags 0x%x", (unsigned)c.insecure);
		st = TLSH_CONFIGURATION_ERROR;
		goto out;
	}
	if (c.insecure != 0) {
		if (pi->insecure == NULL || pi->api.insecure_config == NULL) {
			tlsh_config_fail(
			        err, "insecure flags: the implementation has no insecure variant "
			             "(tlsh_insecure)");
			st = TLSH_CONFIGURATION_ERROR;
			goto out;
		}
		PyObject *ikw = Py_BuildValue(
		        "{s:O,s:O}", "disable_verification",
		        (c.insecure & TLSH_INSECURE_NO_VERIFY) ? Py_True : Py_False,
		        "disable_hostname_check",
		        (c.insecure & TLSH_INSECURE_NO_HOSTNAME_CHECK) ? Py_True : Py_False);
		PyObject *none = ikw != NULL ? PyTuple_New(0) : NULL;
		*insecure = none != NULL ? PyObject_Call(pi->api.insecure_config, none, ikw) : NULL;
		Py_XDECREF(ikw);
		Py_XDECREF(none);
		if (*insecure == NULL)
			goto python;
	}

	kw = Py_BuildValue("{s:O,s:O,s:O,s:O,s:O,s:O}", "certificate_chain",
	                   chains != NULL ? chains : Py_None, "ciphers", ciphers, "inner_protocols",
	                   protos, "lowest_supported_version", lo, "highest_supported_version", hi,
	                   "trust_store", trust);
	if (kw == NULL)
		goto python;
	{
		PyObject *none = PyTuple_New(0);
		*out = none != NULL
		               ? PyObject_Call(role == TLSH_ROLE_CLIENT ? pi->api.client_config
		                                                        : pi->api.server_config,
		                               none, kw)
		               : NULL;
		Py_XDECREF(none);
	}
	if (*out == NULL)
		goto python;
	st = TLSH_OK;
	goto out;
python:
	st = pep_map_exception(pi, "building the configuration", SITE_SETUP, err);
	if (st != PEP_PYTHON_ERROR) {
		/* A PEP error from a constructor: the configuration cannot be
		 * expressed for this implementation. */
		st = TLSH_CONFIGURATION_ERROR;
		if (err != NULL)
			err->status = st;
	}
out:
	if (st != TLSH_OK) {
		Py_CLEAR(*out);
		Py_CLEAR(*insecure);
	}
	Py_XDECREF(chains);
	Py_XDECREF(ciphers);
	Py_XDECREF(protos);
	Py_XDECREF(lo);
	Py_XDECREF(hi);
	Py_XDECREF(trust);
	Py_XDECREF(kw);
	return st;
}

/* ------------------------------------------------------------------------ */
/* Descriptor functions: configurations and contexts                        */
/* ------------------------------------------------------------------------ */

static struct pep_impl *pep_self(const struct tlsh_implementation *self)
{
	return (struct pep_impl *)(uintptr_t)self;
}

static int pep_validate_config(const struct tlsh_implementation *self, enum tlsh_role role,
                               const struct tlsh_config *config, struct tlsh_error *err)
{
	struct pep_impl *pi = pep_self(self);
	PyGILState_STATE g = PyGILState_Ensure();
	PyObject *cfg, *insecure;
	int st = pep_build_config(pi, role, config, &cfg, &insecure, err);
	if (st == TLSH_OK) {
		PyObject *target = insecure != NULL ? pi->insecure : pi->impl;
		PyObject *fn = PyObject_GetAttrString(target, "validate_config");
		PyObject *r = fn != NULL ? PyObject_CallOneArg(fn, cfg) : NULL;
		if (r == NULL) {
			st = pep_map_exception(pi, "validate_config", SITE_SETUP, err);
		} else {
			Py_DECREF(r);
			tlsh_error_ok(err);
		}
		Py_XDECREF(fn);
		Py_DECREF(cfg);
		Py_XDECREF(insecure);
	}
	PyGILState_Release(g);
	return st;
}

static void pep_context_free(tlsh_context *tc)
{
	if (tc == NULL)
		return;
	PyGILState_STATE g = PyGILState_Ensure();
	Py_XDECREF(tc->ctx);
	PyGILState_Release(g);
	free(tc);
}

static int pep_context_new(const struct tlsh_implementation *self, enum tlsh_role role,
                           const struct tlsh_config *config, tlsh_context **out,
                           struct tlsh_error *err)
{
	struct pep_impl *pi = pep_self(self);
	if (out == NULL) {
		tlsh_config_fail(err, "no place to store the context");
		return TLSH_CONFIGURATION_ERROR;
	}
	*out = NULL;
	struct tlsh_context *tc = calloc(1, sizeof *tc);
	if (tc == NULL) {
		tlsh_config_fail(err, "out of memory");
		return TLSH_CONFIGURATION_ERROR;
	}
	tc->pi = pi;
	tc->role = role;
	PyGILState_STATE g = PyGILState_Ensure();
	PyObject *cfg, *insecure;
	int st = pep_build_config(pi, role, config, &cfg, &insecure, err);
	if (st == TLSH_OK) {
		const char *attr =
		        insecure != NULL
		                ? (role == TLSH_ROLE_CLIENT ? "insecure_client_context"
		                                            : "insecure_server_context")
		                : (role == TLSH_ROLE_CLIENT ? "client_context" : "server_context");
		PyObject *cls =
		        PyObject_GetAttrString(insecure != NULL ? pi->insecure : pi->impl, attr);
		tc->ctx = cls == NULL ? NULL
		          : insecure != NULL
		                  ? PyObject_CallFunctionObjArgs(cls, cfg, insecure, NULL)
		                  : PyObject_CallOneArg(cls, cfg);
		if (tc->ctx == NULL)
			st = pep_map_exception(pi, attr, SITE_SETUP, err);
		else
			tlsh_error_ok(err);
		Py_XDECREF(cls);
		Py_DECREF(cfg);
		Py_XDECREF(insecure);
	}
	PyGILState_Release(g);
	if (st != TLSH_OK) {
		pep_context_free(tc);
		return st;
	}
	*out = tc;
	return TLSH_OK;
}

/* ------------------------------------------------------------------------ */
/* Descriptor functions: buffers                                            */
/* ------------------------------------------------------------------------ */

static void pep_buffer_free(tlsh_buffer *b)
{
	if (b == NULL)
		return;
	PyGILState_STATE g = PyGILState_Ensure();
	Py_XDECREF(b->buf);
	Py_XDECREF(b->proto);
	Py_XDECREF(b->peer);
	PyGILState_Release(g);
	free(b);
}

static int pep_buffer_new(tlsh_context *tc, const char *server_hostname, tlsh_buffer **out,
                          struct tlsh_error *err)
{
	if (out == NULL || tc == NULL) {
		tlsh_config_fail(err, "no context or no place for the buffer");
		return TLSH_CONFIGURATION_ERROR;
	}
	*out = NULL;
	struct tlsh_buffer *b = calloc(1, sizeof *b);
	if (b == NULL) {
		tlsh_config_fail(err, "out of memory");
		return TLSH_CONFIGURATION_ERROR;
	}
	b->tc = tc;
	tlsh_error_ok(&b->last);
	int st = TLSH_OK;
	PyGILState_STATE g = PyGILState_Ensure();
	if (tc->role == TLSH_ROLE_SERVER) {
		b->buf = PyObject_CallMethodNoArgs(tc->ctx, s_create_buffer);
	} else {
		PyObject *h = Py_None;
		Py_INCREF(h);
		if (server_hostname != NULL) {
			Py_DECREF(h);
			h = PyUnicode_DecodeUTF8(server_hostname,
			                         (Py_ssize_t)strlen(server_hostname), "strict");
		}
		b->buf = h != NULL ? PyObject_CallMethodOneArg(tc->ctx, s_create_buffer, h) : NULL;
		Py_XDECREF(h);
	}
	if (b->buf == NULL)
		st = pep_map_exception(tc->pi, "create_buffer", SITE_SETUP, err);
	else
		tlsh_error_ok(err);
	PyGILState_Release(g);
	if (st != TLSH_OK) {
		pep_buffer_free(b);
		return st;
	}
	*out = b;
	return TLSH_OK;
}

/** A status-returning call on a buffer that broke earlier. */
static int pep_still_broken(struct tlsh_buffer *b, const char *call)
{
	fprintf(stderr,
	        "tlsh-pep748: %s refused: %s raised a Python exception (see its traceback "
	        "above)\n",
	        call, b->broken_call);
	fflush(stderr);
	tlsh_error_set(&b->last, PEP_PYTHON_ERROR, TLSH_NO_ALERT, TLSH_NO_ALERT,
	               "earlier Python exception in %s", b->broken_call);
	return PEP_PYTHON_ERROR;
}

/** A Python failure in a call that returns no status: print it, remember. */
static void pep_break(struct tlsh_buffer *b, const char *call)
{
	if (PyErr_Occurred()) {
		PyObject *type, *value, *tb;
		char what[200];
		pep_fetch(&type, &value, &tb);
		snprintf(what, sizeof what, "%s (%s) raised an exception:", call,
		         b->tc->pi->target);
		pep_print_traceback(what, type, value, tb);
		pep_release(type, value, tb);
	}
	if (!b->broken)
		snprintf(b->broken_call, sizeof b->broken_call, "%s", call);
	b->broken = 1;
}

/** The end of a status-returning call: r is the method's result (NULL after
 * an exception). Maps, records last_error, returns the status. */
static int pep_status(struct tlsh_buffer *b, PyObject *r, const char *call, enum pep_site site)
{
	if (r != NULL) {
		Py_DECREF(r);
		return TLSH_OK;
	}
	struct tlsh_error e;
	int st = pep_map_exception(b->tc->pi, call, site, &e);
	if (st != TLSH_WANT_READ && st != TLSH_WANT_WRITE)
		b->last = e; /* WANT_* is not a failure: last_error keeps the last one */
	return st;
}

static int pep_do_handshake(tlsh_buffer *b)
{
	PyGILState_STATE g = PyGILState_Ensure();
	int st = b->broken ? pep_still_broken(b, "do_handshake")
	                   : pep_status(b, PyObject_CallMethodNoArgs(b->buf, s_do_handshake),
	                                "do_handshake", SITE_BUFFER);
	PyGILState_Release(g);
	return st;
}

static int pep_read(tlsh_buffer *b, uint8_t *dst, size_t cap, size_t *n)
{
	*n = 0;
	PyGILState_STATE g = PyGILState_Ensure();
	int st;
	if (b->broken) {
		st = pep_still_broken(b, "read");
		goto out;
	}
	PyObject *amt = PyLong_FromSize_t(cap);
	PyObject *r =
	        amt != NULL ? PyObject_CallMethodObjArgs(b->buf, s_read, amt, Py_None, NULL) : NULL;
	Py_XDECREF(amt);
	if (r == NULL) {
		st = pep_status(b, NULL, "read", SITE_READ);
		goto out;
	}
	char *data;
	Py_ssize_t len;
	if (!PyBytes_Check(r) || PyBytes_AsStringAndSize(r, &data, &len) != 0) {
		PyErr_Clear();
		st = pep_contract(b->tc->pi, &b->last, "read(%zu, None) returned %s, not bytes",
		                  cap, Py_TYPE(r)->tp_name);
	} else if ((size_t)len > cap) {
		st = pep_contract(b->tc->pi, &b->last, "read(%zu, None) returned %zd bytes", cap,
		                  len);
	} else if (len == 0 && cap > 0) {
		st = TLSH_CLOSED; /* "Once EOF is reached ... b''" */
	} else {
		memcpy(dst, data, (size_t)len);
		*n = (size_t)len;
		st = TLSH_OK;
	}
	Py_DECREF(r);
out:
	PyGILState_Release(g);
	return st;
}

static int pep_write(tlsh_buffer *b, const uint8_t *src, size_t len, size_t *n)
{
	*n = 0;
	PyGILState_STATE g = PyGILState_Ensure();
	int st;
	if (b->broken) {
		st = pep_still_broken(b, "write");
		goto out;
	}
	PyObject *data = PyBytes_FromStringAndSize(len ? (const char *)src : "", (Py_ssize_t)len);
	PyObject *r = data != NULL ? PyObject_CallMethodOneArg(b->buf, s_write, data) : NULL;
	Py_XDECREF(data);
	if (r == NULL) {
		st = pep_status(b, NULL, "write", SITE_BUFFER);
		goto out;
	}
	long long put = PyLong_Check(r) ? PyLong_AsLongLong(r) : -1;
	if (put == -1 && PyErr_Occurred())
		PyErr_Clear();
	if (!PyLong_Check(r) || put < 0 || (unsigned long long)put > len) {
		st = pep_contract(b->tc->pi, &b->last, "write(<%zu bytes>) returned %s%s%lld", len,
		                  Py_TYPE(r)->tp_name, PyLong_Check(r) ? " " : "",
		                  PyLong_Check(r) ? put : 0);
	} else {
		*n = (size_t)put;
		st = TLSH_OK;
	}
	Py_DECREF(r);
out:
	PyGILState_Release(g);
	return st;
}

static int pep_shutdown(tlsh_buffer *b)
{
	PyGILState_STATE g = PyGILState_Ensure();
	int st = b->broken ? pep_still_broken(b, "shutdown")
	                   : pep_status(b, PyObject_CallMethodNoArgs(b->buf, s_shutdown),
	                                "shutdown", SITE_BUFFER);
	PyGILState_Release(g);
	return st;
}

static int pep_process_incoming(tlsh_buffer *b, const uint8_t *data, size_t len)
{
	PyGILState_STATE g = PyGILState_Ensure();
	int st;
	if (b->broken) {
		st = pep_still_broken(b, "process_incoming");
	} else {
		PyObject *d =
		        PyBytes_FromStringAndSize(len ? (const char *)data : "", (Py_ssize_t)len);
		st = pep_status(b,
		                d != NULL ? PyObject_CallMethodOneArg(b->buf, s_process_incoming, d)
		                          : NULL,
		                "process_incoming", SITE_BUFFER);
		Py_XDECREF(d);
	}
	PyGILState_Release(g);
	return st;
}

static int pep_process_incoming_eof(tlsh_buffer *b)
{
	PyGILState_STATE g = PyGILState_Ensure();
	int st;
	if (b->broken) {
		st = pep_still_broken(b, "process_incoming_eof");
	} else if (!PyObject_HasAttr(b->buf, s_process_incoming_eof)) {
		st = tlsh_error_set(
		        &b->last, TLSH_TLS_ERROR, TLSH_NO_ALERT, TLSH_NO_ALERT,
		        "TRANSPORT_EOF declared, but this buffer has no process_incoming_eof()");
	} else {
		st = pep_status(b, PyObject_CallMethodNoArgs(b->buf, s_process_incoming_eof),
		                "process_incoming_eof", SITE_BUFFER);
	}
	PyGILState_Release(g);
	return st;
}

static int pep_process_outgoing(tlsh_buffer *b, uint8_t *dst, size_t cap, size_t *n)
{
	*n = 0;
	PyGILState_STATE g = PyGILState_Ensure();
	int st;
	if (b->broken) {
		st = pep_still_broken(b, "process_outgoing");
		goto out;
	}
	PyObject *amt = PyLong_FromSize_t(cap);
	PyObject *r =
	        amt != NULL ? PyObject_CallMethodOneArg(b->buf, s_process_outgoing, amt) : NULL;
	Py_XDECREF(amt);
	if (r == NULL) {
		st = pep_status(b, NULL, "process_outgoing", SITE_BUFFER);
		goto out;
	}
	char *data;
	Py_ssize_t len;
	if (!PyBytes_Check(r) || PyBytes_AsStringAndSize(r, &data, &len) != 0) {
		PyErr_Clear();
		st = pep_contract(b->tc->pi, &b->last,
		                  "process_outgoing(%zu) returned %s, not bytes", cap,
		                  Py_TYPE(r)->tp_name);
	} else if ((size_t)len > cap) {
		st = pep_contract(b->tc->pi, &b->last, "process_outgoing(%zu) returned %zd bytes",
		                  cap, len);
	} else {
		if (len > 0)
			memcpy(dst, data, (size_t)len);
		*n = (size_t)len;
		st = TLSH_OK;
	}
	Py_DECREF(r);
out:
	PyGILState_Release(g);
	return st;
}

/** A non-negative int result, or -1 after breaking the buffer. */
static long long pep_count(struct tlsh_buffer *b, PyObject *name, const char *call)
{
	PyObject *r = PyObject_CallMethodNoArgs(b->buf, name);
	long long v = r != NULL && PyLong_Check(r) ? PyLong_AsLongLong(r) : -1;
	if (r != NULL && (!PyLong_Check(r) || v < 0) && !PyErr_Occurred())
		fprintf(stderr, "tlsh-pep748: %s() returned %s, not a count\n", call,
		        Py_TYPE(r)->tp_name);
	Py_XDECREF(r);
	if (v < 0)
		pep_break(b, call);
	return v;
}

static size_t pep_incoming_bytes_buffered(tlsh_buffer *b)
{
	PyGILState_STATE g = PyGILState_Ensure();
	long long v =
	        b->broken ? 0 : pep_count(b, s_incoming_bytes_buffered, "incoming_bytes_buffered");
	PyGILState_Release(g);
	return v > 0 ? (size_t)v : 0;
}

static size_t pep_outgoing_bytes_buffered(tlsh_buffer *b)
{
	PyGILState_STATE g = PyGILState_Ensure();
	long long v =
	        b->broken ? 0 : pep_count(b, s_outgoing_bytes_buffered, "outgoing_bytes_buffered");
	PyGILState_Release(g);
	return v > 0 ? (size_t)v : 0;
}

/** cipher() with the GIL held: the id, 0 for None; breaks the buffer on a
 * Python error or a result that is not a 16-bit suite. */
static uint16_t pep_cipher_held(struct tlsh_buffer *b)
{
	/* CipherSuite is an IntEnum: a member is an int. */
	PyObject *r = PyObject_CallMethodNoArgs(b->buf, s_cipher);
	long v = r != NULL && PyLong_Check(r) ? PyLong_AsLong(r) : -1;
	uint16_t id = 0;
	if (r != NULL && r != Py_None && (!PyLong_Check(r) || v < 0 || v > 0xffff)) {
		PyErr_Clear();
		fprintf(stderr, "tlsh-pep748: cipher() returned %s, not a 16-bit suite\n",
		        Py_TYPE(r)->tp_name);
		pep_break(b, "cipher");
	} else if (r == NULL) {
		pep_break(b, "cipher");
	} else if (r != Py_None) {
		id = (uint16_t)v;
	}
	Py_XDECREF(r);
	return id;
}

static uint16_t pep_cipher(tlsh_buffer *b)
{
	PyGILState_STATE g = PyGILState_Ensure();
	uint16_t id = b->broken ? 0 : pep_cipher_held(b);
	PyGILState_Release(g);
	return id;
}

/** bytes of a NextProtocol member or a bytes object (new reference); NULL
 * (no error pending) for anything else. */
static PyObject *pep_protocol_bytes(PyObject *r)
{
	if (PyBytes_Check(r)) {
		Py_INCREF(r);
		return r;
	}
	PyObject *v = PyObject_GetAttr(r, s_value);
	if (v != NULL && PyBytes_Check(v))
		return v;
	PyErr_Clear();
	Py_XDECREF(v);
	return NULL;
}

static int pep_negotiated_protocol(tlsh_buffer *b, const uint8_t **proto, size_t *len)
{
	*proto = NULL;
	*len = 0;
	PyGILState_STATE g = PyGILState_Ensure();
	int ret = 0;
	if (b->broken) {
		ret = 2; /* not 0 or 1: the guards flag it */
		goto out;
	}
	PyObject *r = PyObject_CallMethodNoArgs(b->buf, s_negotiated_protocol);
	if (r == NULL) {
		pep_break(b, "negotiated_protocol");
		ret = 2;
		goto out;
	}
	if (r != Py_None) {
		PyObject *bytes = pep_protocol_bytes(r);
		if (bytes == NULL) {
			fprintf(stderr,
			        "tlsh-pep748: negotiated_protocol() returned %s, not NextProtocol, "
			        "bytes or None\n",
			        Py_TYPE(r)->tp_name);
			pep_break(b, "negotiated_protocol");
			ret = 2;
		} else {
			Py_XSETREF(b->proto, bytes);
			*proto = (const uint8_t *)PyBytes_AS_STRING(bytes);
			*len = (size_t)PyBytes_GET_SIZE(bytes);
			ret = 1;
		}
	}
	Py_DECREF(r);
out:
	PyGILState_Release(g);
	return ret;
}

static enum tlsh_version pep_negotiated_tls_version(tlsh_buffer *b)
{
	PyGILState_STATE g = PyGILState_Ensure();
	enum tlsh_version v = TLSH_VERSION_NONE;
	if (b->broken) {
		v = PEP_BAD_VERSION;
		goto out;
	}
	/* A property in PEP 748, not a method. */
	PyObject *r = PyObject_GetAttr(b->buf, s_negotiated_tls_version);
	if (r == NULL) {
		pep_break(b, "negotiated_tls_version");
		v = PEP_BAD_VERSION;
		goto out;
	}
	if (r != Py_None) {
		PyObject *val = PyObject_GetAttr(r, s_value);
		const char *s = val != NULL && PyUnicode_Check(val) ? PyUnicode_AsUTF8(val) : NULL;
		PyErr_Clear();
		if (s != NULL && strcmp(s, "TLSv1.2") == 0) {
			v = TLSH_TLS_1_2;
		} else if (s != NULL && strcmp(s, "TLSv1.3") == 0) {
			v = TLSH_TLS_1_3;
		} else {
			s = NULL;
			PyObject *rep = PyObject_Repr(r);
			const char *rs = rep != NULL ? PyUnicode_AsUTF8(rep) : NULL;
			PyErr_Clear();
			fprintf(stderr,
			        "tlsh-pep748: negotiated_tls_version is %s, not TLSv1_2, TLSv1_3 "
			        "or "
			        "None\n",
			        rs != NULL ? rs : "?");
			Py_XDECREF(rep);
			pep_break(b, "negotiated_tls_version");
			v = PEP_BAD_VERSION;
		}
		Py_XDECREF(val);
		/* cipher() has no status to carry a Python error, and the
		 * harness asks for the version first: check it ahead, so that
		 * its failure is reported here (HARNESS-ERROR). */
		if (s != NULL) {
			pep_cipher_held(b);
			if (b->broken)
				v = PEP_BAD_VERSION;
		}
	}
	Py_DECREF(r);
out:
	PyGILState_Release(g);
	return v;
}

static int pep_getpeercert(tlsh_buffer *b, const uint8_t **der, size_t *len)
{
	*der = NULL;
	*len = 0;
	PyGILState_STATE g = PyGILState_Ensure();
	int ret = 0;
	if (b->broken) {
		ret = 2;
		goto out;
	}
	PyObject *r = PyObject_CallMethodNoArgs(b->buf, s_getpeercert);
	if (r == NULL || (r != Py_None && !PyBytes_Check(r))) {
		if (r != NULL)
			fprintf(stderr,
			        "tlsh-pep748: getpeercert() returned %s, not bytes or None\n",
			        Py_TYPE(r)->tp_name);
		pep_break(b, "getpeercert");
		ret = 2;
	} else if (r != Py_None) {
		Py_INCREF(r);
		Py_XSETREF(b->peer, r);
		*der = (const uint8_t *)PyBytes_AS_STRING(r);
		*len = (size_t)PyBytes_GET_SIZE(r);
		ret = 1;
	}
	Py_XDECREF(r);
out:
	PyGILState_Release(g);
	return ret;
}

static void pep_last_error(tlsh_buffer *b, struct tlsh_error *err)
{
	*err = b->last;
}

/* ------------------------------------------------------------------------ */
/* The descriptor                                                           */
/* ------------------------------------------------------------------------ */

/** Copied into each loaded implementation, which sets name, version and
 * capabilities (and drops process_incoming_eof without TRANSPORT_EOF).
 * No TLSH_CAP_EXPORT_SECRETS: PEP 748 defines no secret export, and the
 * standard library's only one, SSLContext.keylog_filename, appends to a
 * file per context (shared by every buffer, read back by client random, no
 * call as each secret is derived): not clean enough to declare. */
static const struct tlsh_implementation pep_template = {
        .abi_version = TLSH_ABI_VERSION,
        .struct_size = sizeof(struct tlsh_implementation),
        .name = NULL,
        .library_version = NULL,
        .capabilities = 0,
        .validate_config = pep_validate_config,
        .context_new = pep_context_new,
        .context_free = pep_context_free,
        .buffer_new = pep_buffer_new,
        .buffer_free = pep_buffer_free,
        .do_handshake = pep_do_handshake,
        .read = pep_read,
        .write = pep_write,
        .shutdown = pep_shutdown,
        .process_incoming = pep_process_incoming,
        .process_incoming_eof = pep_process_incoming_eof,
        .process_outgoing = pep_process_outgoing,
        .incoming_bytes_buffered = pep_incoming_bytes_buffered,
        .outgoing_bytes_buffered = pep_outgoing_bytes_buffered,
        .cipher = pep_cipher,
        .negotiated_protocol = pep_negotiated_protocol,
        .negotiated_tls_version = pep_negotiated_tls_version,
        .getpeercert = pep_getpeercert,
        .last_error = pep_last_error,
};

/** `arg` is "module:attribute" (from "pep748:module:attribute"); NULL or
 * empty means the bundled stdlib implementation. */
__attribute__((visibility("default"))) const struct tlsh_implementation *
tlsh_implementation(const char *arg)
{
	const char *target = arg != NULL && arg[0] != '\0' ? arg : PEP_DEFAULT_TARGET;
	pthread_once(&pep_once, pep_start_python);
	if (!pep_python_ok)
		return NULL;
	struct pep_impl *found = NULL;
	pthread_mutex_lock(&pep_lock);
	for (size_t i = 0; i < pep_nimpls && found == NULL; i++)
		if (strcmp(pep_impls[i]->target, target) == 0)
			found = pep_impls[i];
	if (found == NULL && pep_nimpls < PEP_MAX_IMPLS) {
		PyGILState_STATE g = PyGILState_Ensure();
		found = pep_load(target);
		PyGILState_Release(g);
		if (found != NULL)
			pep_impls[pep_nimpls++] = found;
	}
	pthread_mutex_unlock(&pep_lock);
	return found != NULL ? &found->desc : NULL;
}
