// SPDX-License-Identifier: MIT
/*
 * `wbpf run`: runs a WASI program (or one function of a library module)
 * with only the capabilities the command line grants and within the
 * limits it sets.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/run.h"
#include "wbpf/wasi.h"
#include "wbpf/wasm.h"

/* Modules bigger than this are surely a mistake (a core file, a disk). */
#define RUN_MAX_MODULE (1u << 30)

static const char run_help[] =
"usage: wbpf run [OPTIONS] MODULE.wasm|IMAGE-REF [ARGS...]\n"
"       wbpf run [OPTIONS] --invoke NAME MODULE.wasm [VALUES...]\n"
"\n"
"Runs a WebAssembly module. A WASI program (e.g. built with\n"
"'clang --target=wasm32-wasi') runs from its _start with ARGS as its\n"
"arguments; MODULE.wasm is its argv[0]. With --invoke, the exported\n"
"function NAME is called with VALUES (after _initialize, if the module\n"
"exports it) and its results are printed, one a line.\n"
"\n"
"The guest gets nothing it is not given: no files, no environment.\n"
"\n"
"Capabilities:\n"
"  --dir HOST[::GUEST]   let the guest use directory HOST, which it sees as\n"
"                        GUEST (default: HOST as written). Paths are resolved\n"
"                        inside it: '..', absolute paths and symlinks cannot\n"
"                        leave it. Repeatable. Without --dir, no file access.\n"
"  --listen-fd N         give the guest the socket wbpf inherited as fd N\n"
"                        (listening or connected), as the fd after the\n"
"                        --dir ones, for sock_accept/recv/send/shutdown.\n"
"                        Repeatable. wbpf makes it non-blocking.\n"
"  --env KEY=VALUE       set an environment variable (KEY alone: take its\n"
"                        value from wbpf's own environment). Repeatable.\n"
"  --inherit-env         give the guest wbpf's whole environment (--env\n"
"                        entries still override).\n"
"\n"
"eBPF (guests importing wbpf or wasm_bpf; loading BPF needs root):\n"
RUN_BPF_HELP
"\n"
"Records and metrics:\n"
RUN_SINK_HELP
"\n"
"Limits (a guest past a limit traps):\n"
"  --fuel N              at most N units of work (instructions, counted at\n"
"                        calls and loop iterations): 'fuel exhausted'.\n"
"  --timeout DURATION    wall-clock limit, e.g. 200ms, 1.5s, 2m: the guest is\n"
"                        interrupted even while it sleeps or waits for input.\n"
"  --max-memory SIZE     cap on each linear memory, e.g. 64MiB; memory.grow\n"
"                        (and so malloc) fails past it.\n"
"  --max-stack SIZE      size of the wasm stack (default 1MiB, some 10000\n"
"                        calls deep); deeper recursion traps with 'call stack\n"
"                        exhausted'. A bigger stack also allows more calls.\n"
"\n"
"  SIZE takes k, M, G suffixes (powers of 1024); DURATION takes ns, us, ms,\n"
"  s (default), m, h.\n"
"\n"
"Other:\n"
"  --engine interp|compile|auto\n"
"                        how guest code runs: the interpreter, machine code\n"
"                        (x86-64; functions the compiler does not support,\n"
"                        such as SIMD ones, are interpreted), or machine code\n"
"                        where available (compiled in the background while\n"
"                        the interpreter starts, or from the code cache).\n"
"                        Default: $WBPF_ENGINE, else auto.\n"
"  --code-cache DIR|off  keep compiled machine code in DIR between runs.\n"
"                        Default: $WBPF_CODE_CACHE, else $XDG_CACHE_HOME/wbpf\n"
"                        when XDG_CACHE_HOME is set, else off.\n"
"  --code-cache-max SIZE the code cache's size: past it, the least recently\n"
"                        used entries are removed. Default:\n"
"                        $WBPF_CODE_CACHE_MAX, else 256MiB.\n"
"  --invoke NAME         call export NAME instead of _start. VALUES are\n"
"                        integers (i32, i64; decimal, negative or 0x hex) or\n"
"                        floats (f32, f64; also nan, inf).\n"
"  -h, --help            show this help.\n"
"\n"
"Exit status: the guest's own (its proc_exit code or exit() from main;\n"
"0 when _start returns). When the guest traps, wbpf prints the trap and a\n"
"backtrace of guest functions and exits like a native program killed by\n"
"the matching signal: 134 (abort: unreachable, host error), 136 (integer\n"
"divide by zero, overflow, bad conversion), 139 (out-of-bounds memory or\n"
"table access, bad indirect call, call stack exhausted), 142 (--timeout),\n"
"152 (--fuel). wbpf's own errors exit 1, a bad command line 2.\n";

enum {
	OPT_DIR = 256, OPT_ENV, OPT_INHERIT_ENV, OPT_FUEL, OPT_TIMEOUT, OPT_MAX_MEMORY,
	OPT_MAX_STACK, OPT_INVOKE, OPT_ALLOW_UPROBE, OPT_ALLOW_IFACE, OPT_ALLOW_ATTACH,
	OPT_ALLOW_HELPER, OPT_OUTPUT, OPT_METRICS, OPT_ENGINE, OPT_CODE_CACHE, OPT_LISTEN_FD,
	OPT_CODE_CACHE_MAX,
};

static const struct option run_options[] = {
	{"dir", required_argument, NULL, OPT_DIR},
	{"env", required_argument, NULL, OPT_ENV},
	{"inherit-env", no_argument, NULL, OPT_INHERIT_ENV},
	{"fuel", required_argument, NULL, OPT_FUEL},
	{"timeout", required_argument, NULL, OPT_TIMEOUT},
	{"max-memory", required_argument, NULL, OPT_MAX_MEMORY},
	{"max-stack", required_argument, NULL, OPT_MAX_STACK},
	{"invoke", required_argument, NULL, OPT_INVOKE},
	{"allow-uprobe", required_argument, NULL, OPT_ALLOW_UPROBE},
	{"allow-iface", required_argument, NULL, OPT_ALLOW_IFACE},
	{"allow-attach", required_argument, NULL, OPT_ALLOW_ATTACH},
	{"allow-helper", required_argument, NULL, OPT_ALLOW_HELPER},
	{"output", required_argument, NULL, OPT_OUTPUT},
	{"metrics", required_argument, NULL, OPT_METRICS},
	{"engine", required_argument, NULL, OPT_ENGINE},
	{"code-cache", required_argument, NULL, OPT_CODE_CACHE},
	{"code-cache-max", required_argument, NULL, OPT_CODE_CACHE_MAX},
	{"listen-fd", required_argument, NULL, OPT_LISTEN_FD},
	{"help", no_argument, NULL, 'h'},
	{0},
};

/* ---------------------------------------------------------- options */

/* Option parsers answer -EINVAL; the caller turns it into the exit status. */
#define usage_error(...) (cli_usage("run", __VA_ARGS__), -EINVAL)

static int grow(void **arr, size_t *cap, size_t n, size_t elem)
{
	void *p;

	if (n < *cap)
		return 0;
	*cap = *cap ? *cap * 2 : 8;
	p = realloc(*arr, *cap * elem);
	if (!p)
		return -ENOMEM;
	*arr = p;
	return 0;
}

static int add_dir(struct run_opts *o, char *arg)
{
	char *sep = strstr(arg, "::");
	struct wbpf_wasi_preopen p = {.host_path = arg};

	if (sep) {
		*sep = '\0';
		p.guest_path = sep + 2;
	}
	if (!*p.host_path || (p.guest_path && !*p.guest_path))
		return usage_error("--dir needs HOST[::GUEST], got '%s'", arg);
	if (grow((void **)&o->dirs, &o->dirs_cap, o->ndirs, sizeof(p)))
		return -ENOMEM;
	o->dirs[o->ndirs++] = p;
	return 0;
}

static int add_listen_fd(struct run_opts *o, const char *arg)
{
	uint64_t fd;

	if (cli_parse_u64(arg, &fd) || fd > INT32_MAX)
		return usage_error("--listen-fd needs a file descriptor number, got '%s'", arg);
	if (grow((void **)&o->sockets, &o->sockets_cap, o->nsockets, sizeof(int)))
		return -ENOMEM;
	o->sockets[o->nsockets++] = (int)fd;
	return 0;
}

static int add_env(struct run_opts *o, const char *arg)
{
	const char *eq = strchr(arg, '=');
	char *kv;

	if (eq == arg || !*arg)
		return usage_error("--env needs KEY=VALUE, got '%s'", arg);
	if (eq) {
		kv = strdup(arg);
	} else {
		const char *val = getenv(arg);

		if (!val)
			return usage_error("--env %s: not set in wbpf's environment", arg);
		kv = malloc(strlen(arg) + strlen(val) + 2);
		if (kv)
			sprintf(kv, "%s=%s", arg, val);
	}
	if (!kv || grow((void **)&o->env, &o->env_cap, o->nenv, sizeof(char *))) {
		free(kv);
		return -ENOMEM;
	}
	o->env[o->nenv++] = kv;
	return 0;
}

static int parse_limit(int opt, const char *arg, struct run_opts *o)
{
	switch (opt) {
	case OPT_FUEL:
		o->has_fuel = true;
		return cli_parse_u64(arg, &o->fuel) ? usage_error("--fuel: bad count '%s'", arg) : 0;
	case OPT_TIMEOUT:
		o->timeout_str = arg;
		if (cli_parse_duration(arg, &o->timeout_ns) || !o->timeout_ns)
			return usage_error("--timeout: bad duration '%s' (e.g. 200ms, 2s)", arg);
		return 0;
	case OPT_MAX_MEMORY:
		if (cli_parse_size(arg, &o->max_memory) || !o->max_memory ||
		    o->max_memory > (4ull << 30))
			return usage_error("--max-memory: bad size '%s' (e.g. 64MiB, at most 4GiB)",
					   arg);
		return 0;
	case OPT_MAX_STACK:
		if (cli_parse_size(arg, &o->max_stack) || o->max_stack < 1024 ||
		    o->max_stack > (1ull << 32))
			return usage_error("--max-stack: bad size '%s' (1KiB to 4GiB)", arg);
		return 0;
	case OPT_CODE_CACHE_MAX:
		if (cli_parse_size(arg, &o->code_cache_max) || !o->code_cache_max)
			return usage_error("--code-cache-max: bad size '%s' (e.g. 512MiB)", arg);
		return 0;
	}
	return -EINVAL;
}

static int parse_opt(int opt, struct run_opts *o, char **argv)
{
	switch (opt) {
	case OPT_DIR: return add_dir(o, optarg);
	case OPT_ENV: return add_env(o, optarg);
	case OPT_LISTEN_FD: return add_listen_fd(o, optarg);
	case OPT_INHERIT_ENV: o->inherit_env = true; return 0;
	case OPT_INVOKE: o->invoke = optarg; return 0;
	case OPT_OUTPUT: o->output = optarg; return 0;
	case OPT_METRICS: o->metrics = optarg; return 0;
	case OPT_CODE_CACHE: o->code_cache = optarg; return 0;
	case OPT_ENGINE:
		return wbpf_engine__parse(optarg, &o->engine) ?
		       usage_error("--engine: expected interp, compile or auto, got '%s'", optarg) : 0;
	case OPT_ALLOW_UPROBE:
	case OPT_ALLOW_IFACE:
	case OPT_ALLOW_ATTACH:
	case OPT_ALLOW_HELPER:
		return run_bpf_opts__add(&o->bpf, (enum run_bpf_flag)(opt - OPT_ALLOW_UPROBE), optarg);
	case 'h': o->help = true; return 0;
	case ':': return usage_error("%s needs a value", argv[optind - 1]);
	case '?': return usage_error("unknown option '%s'", argv[optind - 1]);
	}
	return parse_limit(opt, optarg, o);
}

int run_opts__parse(struct run_opts *o, int argc, char **argv)
{
	int opt, ret;

	/* "+": options end at MODULE; the rest belongs to the guest. */
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "+:h", run_options, NULL)) != -1) {
		ret = parse_opt(opt, o, argv);
		if (ret)
			return ret;
	}
	if (o->help)
		return 0;
	if (optind >= argc)
		return usage_error("%s", "missing MODULE.wasm");
	o->module = argv[optind];
	o->args = argv + optind + 1;
	o->nargs = (size_t)(argc - optind - 1);
	return 0;
}

void run_opts__free(struct run_opts *o)
{
	run_bpf_opts__free(&o->bpf);
	for (size_t i = 0; i < o->nenv; i++)
		free(o->env[i]);
	free(o->env);
	free(o->dirs);
	free(o->sockets);
}

/* ------------------------------------------------------ environment */

static bool env_has_key(const char *kv, const char *key_eq)
{
	size_t n = strcspn(key_eq, "=") + 1;

	return !strncmp(kv, key_eq, n);
}

/* The guest's environment: maybe ours, then --env entries overriding. */
static const char **build_env(const struct run_opts *o, char **host_env, size_t *n)
{
	size_t nhost = 0, cnt = 0;
	const char **env;

	while (o->inherit_env && host_env && host_env[nhost])
		nhost++;
	env = calloc(nhost + o->nenv + 1, sizeof(*env));
	if (!env)
		return NULL;
	for (size_t i = 0; i < nhost; i++)
		env[cnt++] = host_env[i];
	for (size_t i = 0; i < o->nenv; i++) {
		size_t j = 0;

		while (j < cnt && !env_has_key(env[j], o->env[i]))
			j++;
		env[j] = o->env[i];
		cnt += j == cnt;
	}
	*n = cnt;
	return env;
}

/* ------------------------------------------------------------ module */

/* How often a wait for module bytes (a FIFO, a terminal) looks at the
 * deadline. */
#define READ_POLL_MS 10

/* Whether `fd` has bytes or an end to read; -1 with errno ETIMEDOUT once
 * the deadline has passed. A FIFO nobody has opened yet shows neither
 * (Linux reports a hang-up only after a writer came and went), so it is
 * waited for as open(2) would. */
static int wait_readable(int fd, bool stream, const struct run_deadline *d)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	while (stream && poll(&p, 1, READ_POLL_MS) <= 0) {
		if (run_deadline__fired(d)) {
			errno = ETIMEDOUT;
			return -1;
		}
	}
	return 0;
}

/* Regular files are read as they are; anything else (a FIFO, /dev/stdin,
 * a terminal) is opened without blocking and waited on a little at a
 * time, so that --timeout covers a module that never comes. */
static void *read_file(const char *path, const struct run_deadline *d, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	size_t cap = 1 << 16, n = 0;
	uint8_t *buf = NULL, *p;
	ssize_t got = 1;
	struct stat st;
	bool stream;

	if (fd < 0)
		return NULL;
	stream = fstat(fd, &st) || !S_ISREG(st.st_mode);
	while (got > 0 && n <= RUN_MAX_MODULE) {
		if (n == cap || !buf) {
			cap = buf ? cap * 2 : cap;
			p = realloc(buf, cap);
			if (!p)
				break;
			buf = p;
		}
		if (wait_readable(fd, stream, d))
			break;
		got = read(fd, buf + n, cap - n);
		if (got > 0)
			n += (size_t)got;
		else if (got < 0 && (errno == EINTR || errno == EAGAIN))
			got = 1;
	}
	if (got != 0) {
		int e = n > RUN_MAX_MODULE ? EFBIG : errno;

		free(buf);
		buf = NULL;
		errno = e;
	}
	close(fd);
	*len = n;
	return buf;
}

/* Loading is interrupted with the store, so the deadline covers it. */
static struct wbpf_module *load_module(const char *path, const struct run_ctx *r,
				       struct wbpf_error *err)
{
	struct wbpf_module *mod;
	struct stat st;
	size_t len;
	void *bytes;

	if (!stat(path, &st) && S_ISDIR(st.st_mode)) {
		fprintf(stderr, "wbpf run: %s: is a directory, not a module\n", path);
		return NULL;
	}
	bytes = read_file(path, r->deadline, &len);
	if (!bytes && errno == ETIMEDOUT) {
		*err = (struct wbpf_error){ .kind = WBPF_ERR_TRAP, .trap = WBPF_TRAP_INTERRUPTED };
		snprintf(err->msg, sizeof(err->msg), "interrupted while reading %s", path);
		return NULL;
	}
	if (!bytes) {
		fprintf(stderr, "wbpf run: cannot read %s: %s\n", path, strerror(errno));
		return NULL;
	}
	mod = wbpf_module__new_opts(bytes, len, &(struct wbpf_module_opts){
		.sz = sizeof(struct wbpf_module_opts), .interrupt_from = r->store,
		.engine = r->opts->engine, .code_cache = r->opts->code_cache,
		.code_cache_max = r->opts->code_cache_max,
	}, err);
	free(bytes);
	if (!mod && err->kind != WBPF_ERR_TRAP)
		fprintf(stderr, "wbpf run: %s: invalid module: %s\n", path, err->msg);
	return mod;
}

/* ----------------------------------------------------------- running */

static struct wbpf_wasi *make_wasi(const struct run_opts *o, char **host_env)
{
	struct wbpf_error err = {0};
	struct wbpf_wasi *wasi;
	const char **argv, **env;
	size_t nenv = 0;

	argv = calloc(o->nargs + 1, sizeof(*argv));
	env = build_env(o, host_env, &nenv);
	if (!argv || !env) {
		free(argv);
		free(env);
		fprintf(stderr, "wbpf run: out of memory\n");
		return NULL;
	}
	argv[0] = o->module;
	for (size_t i = 0; i < o->nargs; i++)
		argv[i + 1] = o->args[i];
	wasi = wbpf_wasi__new(&(struct wbpf_wasi_opts){
		.sz = sizeof(struct wbpf_wasi_opts),
		.argv = argv, .argc = o->invoke ? 1 : o->nargs + 1,
		.env = env, .envc = nenv,
		.preopens = o->dirs, .npreopens = o->ndirs,
		.sockets = o->sockets, .nsockets = o->nsockets,
	}, &err);
	if (!wasi)
		fprintf(stderr, "wbpf run: %s\n", err.msg);
	free(argv);
	free(env);
	return wasi;
}

/* Exit status for a trap: what a native program killed by the analogous
 * signal reports, so scripts read guests and natives alike. */
static int trap_status(enum wbpf_trap trap)
{
	switch (trap) {
	case WBPF_TRAP_INT_OVERFLOW:
	case WBPF_TRAP_DIV_ZERO:
	case WBPF_TRAP_BAD_CONVERSION:
		return 128 + 8; /* SIGFPE */
	case WBPF_TRAP_MEM_OOB:
	case WBPF_TRAP_TABLE_OOB:
	case WBPF_TRAP_INDIRECT_TYPE:
	case WBPF_TRAP_UNINIT_ELEM:
	case WBPF_TRAP_NULL_REF:
	case WBPF_TRAP_STACK_EXHAUSTED:
		return 128 + 11; /* SIGSEGV */
	case WBPF_TRAP_INTERRUPTED:
		return 128 + 14; /* SIGALRM */
	case WBPF_TRAP_FUEL:
		return 128 + 24; /* SIGXCPU */
	default:
		return 128 + 6; /* SIGABRT, as abort() */
	}
}

/* A trap message: its first line, then the backtrace with runs of one
 * frame (deep recursion) folded, and a line cut by the message's size
 * limit dropped. */
static void print_trap(const char *msg)
{
	bool cut = strlen(msg) == sizeof(((struct wbpf_error *)0)->msg) - 1;
	const char *line = msg, *prev = NULL;
	size_t prev_len = 0, repeats = 0;

	while (*line) {
		const char *end = line + strcspn(line, "\n");
		size_t len = (size_t)(end - line);

		if (cut && !*end)
			break;
		if (prev && len == prev_len && !memcmp(line, prev, len)) {
			repeats++;
		} else {
			if (repeats)
				fprintf(stderr, "  ... %zu more of the same\n", repeats);
			fprintf(stderr, "%.*s\n", (int)len, line);
			prev = line;
			prev_len = len;
			repeats = 0;
		}
		line = *end ? end + 1 : end;
	}
	if (repeats)
		fprintf(stderr, "  ... %zu more of the same\n", repeats);
	if (cut)
		fprintf(stderr, "  ... (backtrace cut)\n");
}

int run_outcome(const struct run_ctx *r, int ret, const struct wbpf_error *err)
{
	if (!ret)
		return 0;
	switch (err->kind) {
	case WBPF_ERR_EXIT:
		return err->exit_code;
	case WBPF_ERR_TRAP:
		if (run_deadline__fired(r->deadline)) {
			fprintf(stderr, "wbpf run: %s: timed out after %s\n", r->opts->module,
				r->opts->timeout_str);
			print_trap(err->msg);
			return trap_status(WBPF_TRAP_INTERRUPTED);
		}
		fprintf(stderr, "wbpf run: %s: ", r->opts->module);
		print_trap(err->msg);
		return trap_status(err->trap);
	default:
		fprintf(stderr, "wbpf run: %s: %s\n", r->opts->module, err->msg);
		return CLI_EXIT_ERROR;
	}
}

static int call_start(struct run_ctx *r)
{
	struct wbpf_func *start = wbpf_instance__func(r->inst, "_start");
	struct wbpf_error err = {0};
	struct wbpf_functype ft;

	if (!start) {
		fprintf(stderr, "wbpf run: %s exports no _start: call a function with "
			"--invoke NAME\n", r->opts->module);
		return CLI_EXIT_ERROR;
	}
	wbpf_func__type(start, &ft);
	if (ft.nparams || ft.nresults) {
		fprintf(stderr, "wbpf run: %s: _start must take and return nothing\n",
			r->opts->module);
		return CLI_EXIT_ERROR;
	}
	return run_outcome(r, wbpf_func__call(start, NULL, 0, NULL, 0, &err), &err);
}

static int call_invoke(struct run_ctx *r)
{
	struct wbpf_func *init = wbpf_instance__func(r->inst, "_initialize");
	struct wbpf_error err = {0};
	int ret;

	if (init) {
		ret = run_outcome(r, wbpf_func__call(init, NULL, 0, NULL, 0, &err), &err);
		if (ret)
			return ret;
	}
	return run_invoke(r);
}

/* The engine's default call depth suits its default 1 MiB stack; a
 * bigger --max-stack is for deeper recursion, so the depth grows with it
 * (small frames take some 64 bytes of stack). */
#define RUN_DEFAULT_DEPTH 10000u
#define RUN_BYTES_PER_CALL 64u

static struct wbpf_store *make_store(const struct run_opts *o)
{
	uint64_t depth = o->max_stack / RUN_BYTES_PER_CALL;
	struct wbpf_store_opts so = {
		.sz = sizeof(so),
		.stack_bytes = (size_t)o->max_stack,
		.max_call_depth = depth > RUN_DEFAULT_DEPTH ? (uint32_t)depth : 0,
		.max_memory_bytes = o->max_memory,
	};
	struct wbpf_store *store = wbpf_store__new(&so);

	if (!store) {
		fprintf(stderr, "wbpf run: cannot create a store: %s\n", strerror(errno));
		return NULL;
	}
	if (o->has_fuel)
		wbpf_store__set_fuel(store, o->fuel);
	return store;
}

static int run_instance(struct run_ctx *r, struct wbpf_module *mod)
{
	struct wbpf_error err = {0};
	int ret;

	ret = wbpf_wasi__define(r->wasi, r->store);
	if (ret) {
		fprintf(stderr, "wbpf run: cannot define WASI: %s\n", strerror(-ret));
		return CLI_EXIT_ERROR;
	}
	if (run_bpf__setup(&r->opts->bpf, r->store, mod, &r->bpf) ||
	    run_sink__setup(&r->sink, r->opts->output, r->opts->metrics, r->store, mod) ||
	    run_bpf_metrics__watch(&r->bpf_metrics, r->sink.metrics, r->bpf))
		return CLI_EXIT_ERROR;
	run_deadline__watch_bpf(r);
	r->inst = wbpf_instance__new(r->store, mod, &err);
	if (!r->inst)
		return run_outcome(r, -1, &err);
	return r->opts->invoke ? call_invoke(r) : call_start(r);
}

/* The deadline starts before the module is read: loading counts. */
static int run_module(const struct run_opts *o, char **host_env)
{
	struct run_ctx r = {.opts = o};
	struct wbpf_module *mod = NULL;
	struct wbpf_error err = {0};
	int ret = CLI_EXIT_ERROR;
	char *image_module;

	/* MODULE may name an image (wbpf run REF). */
	if (cli_oci_module("run", o->module, &image_module))
		return CLI_EXIT_ERROR;
	r.store = make_store(o);
	r.wasi = r.store ? make_wasi(o, host_env) : NULL;
	if (r.wasi && (!o->timeout_ns || !run_deadline__start(&r))) {
		mod = load_module(image_module ? image_module : o->module, &r, &err);
		if (mod)
			ret = run_instance(&r, mod);
		else if (err.kind == WBPF_ERR_TRAP)
			ret = run_outcome(&r, -1, &err);
	}
	run_deadline__stop(&r);
	/* Whatever way the guest ended, its BPF objects, links and buffers go,
	 * and the records it emitted are delivered or spooled. */
	run_bpf_metrics__unwatch(&r.bpf_metrics);
	wbpf_bpf_host__free(r.bpf);
	run_sink__close(&r.sink);
	run_bpf_metrics__free(&r.bpf_metrics);
	wbpf_store__free(r.store);
	wbpf_wasi__free(r.wasi);
	wbpf_module__free(mod);
	free(image_module);
	return ret;
}

int cli_run(int argc, char **argv)
{
	struct run_opts o = {0};
	int ret;

	ret = run_opts__parse(&o, argc, argv);
	if (ret == -ENOMEM)
		fprintf(stderr, "wbpf run: out of memory\n");
	if (!ret && o.help)
		fputs(run_help, stdout);
	else if (!ret)
		ret = run_module(&o, environ);
	else
		ret = ret == -ENOMEM ? CLI_EXIT_ERROR : CLI_EXIT_USAGE;
	run_opts__free(&o);
	return ret;
}
