// SPDX-License-Identifier: MIT
/*
 * `wbpf l7`: request logs from a capture file or a live interface, through
 * the L7 pipeline (include/wbpf/l7.h). Records go to stdout (JSON lines or
 * a table), the summary to stderr.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/l7.h"
#include "cli/l7_output.h"
#include "wbpf/l7.h"

static const char l7_help[] =
"usage: wbpf l7 (--pcap FILE | --iface IF | --source socket) [OPTIONS]\n"
"\n"
"Watches application traffic and writes one request log per request and\n"
"response pair: HTTP/1.x and DNS (UDP and TCP) built in, more protocols and\n"
"HTTP hooks from Wasm plugins. TCP is reassembled, so a message split over\n"
"many segments is parsed whole (up to --max-msg).\n"
"\n"
"Source (one of):\n"
"  --pcap FILE           read a pcap or pcapng capture file.\n"
"  --iface IF            capture live on interface IF (needs root; 'lo' works).\n"
"  --filter EXPR         BPF capture filter, as tcpdump takes it.\n"
"  --duration DURATION   stop a live capture after DURATION (else Ctrl-C).\n"
"  --source socket       trace processes' socket calls with eBPF instead (needs\n"
"                        root and BTF): every message with its process, on any\n"
"                        interface, and OpenSSL's plaintext through uprobes.\n"
"    --pid PID, --comm NAME, --port PORT, --cgroup DIR   only these (wbpf\n"
"                        itself is never traced).\n"
"    --payload-size SIZE bytes kept of each call (default 4KiB, at most 64KiB and\n"
"                        --max-msg); a call's bytes past them are a gap.\n"
"    --ring-size SIZE    each CPU's kernel-to-wbpf ring (default 1MiB, at most\n"
"                        2MiB); records that do not fit are counted as lost.\n"
"    --tls-lib PATH      probe this libssl (repeatable; default: those mapped by\n"
"                        running processes and the system's). --no-tls: none.\n"
"    --hooks socket|per-call|raw  socket (default on Linux 6.3+): the kernel's\n"
"                        socket I/O tracepoints, no system call hooked;\n"
"                        per-call: the traced calls' exit tracepoints; raw: one\n"
"                        program that every system call of the machine runs\n"
"                        (docs/l7.md, \"Attach modes\").\n"
"\n"
"Plugins:\n"
"  --plugin P.wasm       load a Wasm L7 plugin (DeepFlow's or wbpf's ABI);\n"
"                        plugins are asked before the built-in parsers, in\n"
"                        the order given. Repeatable.\n"
"  --plugin-arg K=V      configuration for the --plugin before it. Repeatable.\n"
"  --hook-timeout DURATION  bound on each plugin call (default 5ms).\n"
"  --max-records N       records one plugin call may give (default 64, at most\n"
"                        4096); more are dropped and counted in the summary.\n"
"\n"
"Output and limits:\n"
"  --json                JSON lines with DeepFlow's l7_flow_log field names\n"
"                        (default: a table).\n"
"  --output SPEC         records to a sink instead: table, json[=FILE] or\n"
"                        clickhouse=URL[,table=T,...] (see docs/sinks.md).\n"
"  --metrics ADDR:PORT   serve Prometheus metrics at http://ADDR:PORT/metrics.\n"
"  --workers N           N worker threads, flows sharded by hash (default 1).\n"
"  --max-flows N         flow table bound; the oldest flows are evicted past\n"
"                        it (default 1048576).\n"
"  --max-msg SIZE        largest message parsed whole (default 64KiB).\n"
"  --session-timeout DURATION  unanswered requests are logged as timeouts\n"
"                        after this much capture time (default 30s).\n"
"  -q, --quiet           no summary on stderr.\n"
"  -h, --help            show this help.\n"
"\n"
"Exit status: 0; 1 when the source could not be read (a truncated file still\n"
"gives the records before the damage); 2 for a bad command line.\n";

enum {
	OPT_PCAP = 256, OPT_IFACE, OPT_FILTER, OPT_DURATION, OPT_PLUGIN, OPT_PLUGIN_ARG,
	OPT_HOOK_TIMEOUT, OPT_JSON, OPT_WORKERS, OPT_MAX_FLOWS, OPT_MAX_MSG, OPT_SESSION_TIMEOUT,
	OPT_OUTPUT, OPT_METRICS, OPT_SOURCE, OPT_PID, OPT_COMM, OPT_PORT, OPT_CGROUP,
	OPT_PAYLOAD, OPT_RING, OPT_TLS_LIB, OPT_NO_TLS, OPT_MAX_RECORDS, OPT_HOOKS,
};

static const struct option l7_options[] = {
	{"pcap", required_argument, NULL, OPT_PCAP},
	{"iface", required_argument, NULL, OPT_IFACE},
	{"filter", required_argument, NULL, OPT_FILTER},
	{"duration", required_argument, NULL, OPT_DURATION},
	{"plugin", required_argument, NULL, OPT_PLUGIN},
	{"plugin-arg", required_argument, NULL, OPT_PLUGIN_ARG},
	{"hook-timeout", required_argument, NULL, OPT_HOOK_TIMEOUT},
	{"json", no_argument, NULL, OPT_JSON},
	{"output", required_argument, NULL, OPT_OUTPUT},
	{"metrics", required_argument, NULL, OPT_METRICS},
	{"workers", required_argument, NULL, OPT_WORKERS},
	{"max-flows", required_argument, NULL, OPT_MAX_FLOWS},
	{"max-msg", required_argument, NULL, OPT_MAX_MSG},
	{"session-timeout", required_argument, NULL, OPT_SESSION_TIMEOUT},
	{"source", required_argument, NULL, OPT_SOURCE},
	{"pid", required_argument, NULL, OPT_PID},
	{"comm", required_argument, NULL, OPT_COMM},
	{"port", required_argument, NULL, OPT_PORT},
	{"cgroup", required_argument, NULL, OPT_CGROUP},
	{"payload-size", required_argument, NULL, OPT_PAYLOAD},
	{"ring-size", required_argument, NULL, OPT_RING},
	{"tls-lib", required_argument, NULL, OPT_TLS_LIB},
	{"no-tls", no_argument, NULL, OPT_NO_TLS},
	{"hooks", required_argument, NULL, OPT_HOOKS},
	{"max-records", required_argument, NULL, OPT_MAX_RECORDS},
	{"quiet", no_argument, NULL, 'q'},
	{"help", no_argument, NULL, 'h'},
	{0},
};

#define OUT_BUF (256u << 10)
#define MAX_WORKERS 64
#define MAX_TLS_LIBS 16

/* Each worker formats into its own buffer; full buffers go to stdout
 * under one lock, so a flow's records (one worker's) keep their order. */
struct l7_out {
	pthread_mutex_t lock;
	bool json;
	struct l7_output sink; /* --output, --metrics */
	struct {
		char *buf;
		size_t len;
	} w[MAX_WORKERS];
};

struct l7_args {
	const char *pcap, *iface, *filter;
	uint64_t duration_ns;
	struct l7_plugin_opts plugins;
	const char *output, *metrics;
	bool json, quiet, socket;
	struct wbpf_l7_sock_opts sock;
	const char *tls_libs[MAX_TLS_LIBS];
	struct wbpf_l7_config cfg;
};

/* For the signal handler: the one thing a handler may touch. */
static struct wbpf_l7_source *volatile running_source;

static void on_signal(int sig)
{
	(void)sig;
	if (running_source)
		wbpf_l7_source__stop(running_source);
}

static void flush_worker(struct l7_out *o, unsigned i)
{
	pthread_mutex_lock(&o->lock);
	fwrite(o->w[i].buf, 1, o->w[i].len, stdout);
	pthread_mutex_unlock(&o->lock);
	o->w[i].len = 0;
}

static void on_record(void *ctx, const struct wbpf_l7_record *r)
{
	struct l7_out *o = ctx;
	unsigned i = r->worker % MAX_WORKERS;
	size_t n;

	if (o->sink.sink) {
		l7_output__record(&o->sink, r); /* a refusal is counted by the sink */
		return;
	}
	for (int tries = 0; tries < 2; tries++) {
		size_t room = OUT_BUF - o->w[i].len;

		n = o->json ? wbpf_l7_record__format_json(r, o->w[i].buf + o->w[i].len, room)
			    : wbpf_l7_record__format_row(r, o->w[i].buf + o->w[i].len, room);
		if (n < room) {
			o->w[i].len += n;
			return;
		}
		flush_worker(o, i);
	}
}

static int parse_num(const char *opt, const char *s, uint64_t max, uint64_t *out)
{
	if (cli_parse_u64(s, out) || *out > max)
		return cli_usage("l7", "bad value for %s", opt);
	return 0;
}

static int parse_duration_us(const char *opt, const char *s, uint64_t *out_us)
{
	uint64_t ns;

	if (cli_parse_duration(s, &ns))
		return cli_usage("l7", "bad duration for %s", opt);
	*out_us = ns / 1000;
	return 0;
}

static int parse_sock_option(struct l7_args *a, int c, const char *arg);

static int parse_option(struct l7_args *a, int c, const char *arg)
{
	uint64_t v;

	switch (c) {
	case OPT_PCAP: a->pcap = arg; return 0;
	case OPT_IFACE: a->iface = arg; return 0;
	case OPT_FILTER: a->filter = arg; return 0;
	case OPT_JSON: a->json = true; return 0;
	case OPT_OUTPUT: a->output = arg; return 0;
	case OPT_METRICS: a->metrics = arg; return 0;
	case 'q': a->quiet = true; return 0;
	case OPT_DURATION:
		return cli_parse_duration(arg, &a->duration_ns) ? cli_usage("l7", "bad duration '%s'", arg) : 0;
	case OPT_PLUGIN:
	case OPT_PLUGIN_ARG:
	case OPT_HOOK_TIMEOUT:
		return l7_plugin_opts__add(&a->plugins, c == OPT_PLUGIN ? "plugin" : c == OPT_PLUGIN_ARG ? "plugin-arg" : "hook-timeout", arg);
	case OPT_WORKERS:
		if (parse_num("--workers", arg, MAX_WORKERS, &v) || !v)
			return cli_usage("l7", "--workers takes 1 to 64, not '%s'", arg);
		a->cfg.workers = (unsigned)v;
		return 0;
	case OPT_MAX_FLOWS:
		if (parse_num("--max-flows", arg, 1u << 26, &v) || !v)
			return cli_usage("l7", "bad value for --max-flows: '%s'", arg);
		a->cfg.max_flows = (uint32_t)v;
		return 0;
	case OPT_MAX_MSG:
		if (cli_parse_size(arg, &v) || v < 64 || v > (64u << 20))
			return cli_usage("l7", "--max-msg takes 64 bytes to 64MiB, not '%s'", arg);
		a->cfg.max_msg = (uint32_t)v;
		return 0;
	case OPT_MAX_RECORDS:
		if (parse_num("--max-records", arg, 4096, &v) || !v)
			return cli_usage("l7", "--max-records takes 1 to 4096, not '%s'", arg);
		a->cfg.max_records = a->plugins.max_records = (unsigned)v;
		return 0;
	case OPT_SESSION_TIMEOUT:
		return parse_duration_us("--session-timeout", arg, &a->cfg.session_timeout_us);
	}
	return parse_sock_option(a, c, arg);
}

static int parse_sock_option(struct l7_args *a, int c, const char *arg)
{
	uint64_t v;

	switch (c) {
	case OPT_SOURCE:
		if (strcmp(arg, "socket"))
			return cli_usage("l7", "unknown source '%s' (--source takes socket)", arg);
		a->socket = true;
		return 0;
	case OPT_PID:
		if (parse_num("--pid", arg, INT32_MAX, &v) || !v)
			return cli_usage("l7", "bad process id '%s'", arg);
		a->sock.pid = (uint32_t)v;
		return 0;
	case OPT_COMM:
		if (!*arg || strlen(arg) > 15)
			return cli_usage("l7", "--comm takes a process name of 1 to 15 bytes, not '%s'", arg);
		a->sock.comm = arg;
		return 0;
	case OPT_PORT:
		if (parse_num("--port", arg, 65535, &v) || !v)
			return cli_usage("l7", "bad port '%s'", arg);
		a->sock.port = (uint16_t)v;
		return 0;
	case OPT_CGROUP: a->sock.cgroup = arg; return 0;
	case OPT_NO_TLS: a->sock.no_tls = true; return 0;
	case OPT_HOOKS:
		if (!strcmp(arg, "raw"))
			a->sock.attach = WBPF_L7_SOCK_ATTACH_RAW;
		else if (!strcmp(arg, "per-call"))
			a->sock.attach = WBPF_L7_SOCK_ATTACH_PER_CALL;
		else if (!strcmp(arg, "socket"))
			a->sock.attach = WBPF_L7_SOCK_ATTACH_SOCKET;
		else
			return cli_usage("l7", "--hooks takes socket, per-call or raw, not '%s'", arg);
		return 0;
	case OPT_PAYLOAD:
		if (cli_parse_size(arg, &v) || !v || v > 65536)
			return cli_usage("l7", "--payload-size takes 1 byte to 64KiB, not '%s'", arg);
		a->sock.payload = (uint32_t)v;
		return 0;
	case OPT_RING:
		if (cli_parse_size(arg, &v) || v < 4096 || v > (2u << 20) || (v & (v - 1)))
			return cli_usage("l7", "--ring-size takes a power of 2 from 4KiB to 2MiB, not '%s'", arg);
		a->sock.ring_size = (uint32_t)v;
		return 0;
	case OPT_TLS_LIB:
		if (a->sock.n_tls_libs == MAX_TLS_LIBS)
			return cli_usage("l7", "%s", "at most 16 --tls-lib");
		a->tls_libs[a->sock.n_tls_libs++] = arg;
		a->sock.tls_libs = a->tls_libs;
		return 0;
	}
	return cli_usage("l7", "%s", "unknown option");
}

static int parse_args(struct l7_args *a, int argc, char **argv)
{
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+qh", l7_options, NULL)) != -1) {
		if (c == 'h') {
			fputs(l7_help, stdout);
			return -1;
		}
		if (c == '?')
			return cli_usage("l7", "unknown or incomplete option '%s'", argv[optind - 1]);
		int err = parse_option(a, c, optarg);

		if (err)
			return err;
	}
	if (optind < argc)
		return cli_usage("l7", "unexpected argument '%s'", argv[optind]);
	if ((a->pcap != NULL) + (a->iface != NULL) + a->socket != 1)
		return cli_usage("l7", "%s", "give one source: --pcap FILE, --iface IF or --source socket");
	if (a->socket && a->filter)
		return cli_usage("l7", "%s", "--filter is for packet sources (use --pid, --comm, --port)");
	if (a->sock.payload > a->cfg.max_msg)
		return cli_usage("l7", "--payload-size %u is over --max-msg %u (the reassembly limit)",
				 a->sock.payload, a->cfg.max_msg);
	return 0;
}

static int run(struct l7_args *a, struct l7_out *out)
{
	char err[512] = "";
	struct wbpf_l7_source *src;
	struct wbpf_l7_pipeline *p;
	struct wbpf_l7_plugin_counters pst[64];
	struct wbpf_l7_stats st;
	struct wbpf_l7_sock_stats ss;
	int n_pst = 0, rc = 0;

	src = a->socket ? wbpf_l7_source__open_socket(&a->sock, err, sizeof(err))
	      : a->pcap ? wbpf_l7_source__open_file(a->pcap, a->filter, err, sizeof(err))
			: wbpf_l7_source__open_live(a->iface, a->filter, err, sizeof(err));
	if (!src) {
		fprintf(stderr, "wbpf l7: %s\n", err);
		return CLI_EXIT_ERROR;
	}
	a->cfg.on_record = on_record;
	a->cfg.ctx = out;
	p = wbpf_l7_pipeline__new(&a->cfg, err, sizeof(err));
	if (!p) {
		fprintf(stderr, "wbpf l7: %s\n", err);
		wbpf_l7_source__free(src);
		return CLI_EXIT_ERROR;
	}
	if (a->socket && !a->quiet)
		fprintf(stderr, "wbpf l7: socket source attached\n");
	/* Records reach stdout a worker's full buffer at a time: unbuffered,
	 * each is one write(2), where stdio would first top up and flush its
	 * own 4 KiB buffer, a second system call per buffer. Sinks write a
	 * line at a time and keep stdio's buffering. */
	if (!out->sink.sink)
		setvbuf(stdout, NULL, _IONBF, 0);
	if (!out->json && !out->sink.sink)
		wbpf_l7_record__fprint_header(stdout);
	out->sink.pipeline = p;
	out->sink.plugins = &a->plugins;
	out->sink.source = src;
	running_source = src;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (wbpf_l7_source__run(src, p, a->duration_ns / 1000, err, sizeof(err))) {
		fprintf(stderr, "wbpf l7: %s: %s\n", a->socket ? "socket source" : a->pcap ? a->pcap : a->iface, err);
		rc = CLI_EXIT_ERROR;
	}
	running_source = NULL;
	wbpf_l7_pipeline__finish(p);
	l7_output__close(&out->sink);
	for (unsigned i = 0; i < MAX_WORKERS; i++)
		if (out->w[i].len)
			flush_worker(out, i);
	fflush(stdout);
	wbpf_l7_pipeline__stats(p, &st);
	if (a->cfg.plugins && a->cfg.plugins->stats)
		n_pst = a->cfg.plugins->stats(a->cfg.plugins->ctx, pst, 64);
	if (!a->quiet) {
		wbpf_l7_stats__fprint(&st, pst, n_pst > 0 ? (unsigned)n_pst : 0, stderr);
		if (wbpf_l7_source__sock_stats(src, &ss) == 0)
			fprintf(stderr, "  socket source: %llu records sent, %llu seen, %llu lost, "
				"%llu truncated; TLS: %u libraries, %u functions probed, %llu calls "
				"on unknown sockets\n",
				(unsigned long long)ss.sent, (unsigned long long)ss.seen,
				(unsigned long long)ss.lost, (unsigned long long)ss.truncated,
				ss.tls_libs, ss.tls_probes, (unsigned long long)ss.unbound);
		else if (wbpf_l7_source__dropped(src))
			fprintf(stderr, "  capture: %llu packets dropped by the kernel\n",
				(unsigned long long)wbpf_l7_source__dropped(src));
	}
	wbpf_l7_pipeline__free(p);
	wbpf_l7_source__free(src);
	return rc;
}

int cli_l7(int argc, char **argv)
{
	struct l7_args a = {0};
	struct l7_out *out;
	int rc;

	wbpf_l7_config__init(&a.cfg);
	rc = parse_args(&a, argc, argv);
	if (rc)
		return rc < 0 ? 0 : rc;
	rc = l7_plugin_opts__load(&a.plugins, &a.cfg);
	if (rc) {
		l7_plugin_opts__free(&a.plugins);
		return rc;
	}
	out = calloc(1, sizeof(*out));
	if (!out)
		return CLI_EXIT_ERROR;
	pthread_mutex_init(&out->lock, NULL);
	out->json = a.json;
	rc = l7_output__open(&out->sink, a.output, a.metrics);
	for (unsigned i = 0; !rc && i < a.cfg.workers && i < MAX_WORKERS; i++)
		if (!(out->w[i].buf = malloc(OUT_BUF)))
			rc = CLI_EXIT_ERROR;
	if (!rc)
		rc = run(&a, out);
	l7_output__close(&out->sink); /* when run() stopped before it could */
	for (unsigned i = 0; i < MAX_WORKERS; i++)
		free(out->w[i].buf);
	pthread_mutex_destroy(&out->lock);
	free(out);
	l7_plugin_opts__free(&a.plugins);
	return rc;
}
