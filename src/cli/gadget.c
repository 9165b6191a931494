// SPDX-License-Identifier: MIT
/*
 * `wbpf gadget run DIR` and `wbpf gadget inspect DIR`: a gadget
 * directory's datasources shown as columns or JSON, and what the
 * directory declares.
 */
#include <errno.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/sinks.h"
#include "wbpf/gadget.h"
#include "wbpf/oci.h"

static const char gadget_help[] =
"usage: wbpf gadget run [OPTIONS] DIR|REF [--PARAM VALUE]...\n"
"       wbpf gadget inspect DIR|REF\n"
"\n"
"A gadget is a directory holding gadget.yaml (Inspektor Gadget's metadata),\n"
"program.bpf.o (its eBPF side; GADGET_TRACER markers in its BTF name the\n"
"buffers to read and their record structs) and optionally program.wasm (an\n"
"operator that reshapes the records). 'run' loads it (root) and prints every\n"
"record; 'inspect' shows its datasources, fields, params and programs.\n"
"REF names an image instead (wbpf build/push; Inspektor Gadget's format\n"
"too), pulled when missing, as 'wbpf run REF' does (docs/oci.md).\n"
"\n"
"Options of 'run':\n"
"  --param KEY=VALUE     set a param; declared params are also flags:\n"
"                        --KEY VALUE or --KEY=VALUE.\n"
"  -o, --output SPEC     columns (default) or json (one object a line), the\n"
"                        gadget's own renderers; or a sink: table,\n"
"                        json=FILE, clickhouse=URL[,table=T,...]\n"
"                        (docs/sinks.md; default table: the gadget's name).\n"
"  --metrics ADDR:PORT   serve Prometheus metrics at http://ADDR:PORT/metrics.\n"
"  --fields LIST         a,b,c: these fields in this order; -a,+b: the\n"
"                        default fields without a, with b.\n"
"  --filter EXPR         FIELD=VALUE, FIELD!=VALUE, FIELD~REGEX, FIELD<N or\n"
"                        FIELD>N on the shown text of a field. Repeatable.\n"
"  --timeout DURATION    stop after DURATION (e.g. 10s); default: at Ctrl-C.\n"
"  --interval DURATION   how often map iterators are read (default 1s).\n"
"  --iface LIST          socket filters: on these interfaces (lo,eth0);\n"
"                        default: every interface.\n"
"  --sort LIST           a,-b: snapshot rows by a (up), then b (down).\n"
"  --max-rows N          snapshots: the first N rows (after sorting).\n"
"  --max-memory SIZE     the operator's memory cap (default 256MiB).\n"
"  --fuel N              the operator's budget per call (default 1e9).\n"
"  --no-operator         do not run DIR/program.wasm.\n"
"  --deterministic       the operator's clocks and random bytes are\n"
"                        Inspektor Gadget's fakes (the same every run).\n"
"  --operator FILE.wasm  run this operator instead.\n"
"  -h, --help            show this help.\n"
"\n"
"At the end a summary goes to stderr: events read, lost, dropped by\n"
"operators, and operator errors. Exit status: 0, or 1 when the gadget\n"
"cannot start (with one line saying why), 2 for a bad command line.\n";

struct gadget_args {
	const char *dir;
	const char **params; /* "KEY=VALUE" or KEY, VALUE pairs flattened */
	size_t nparams;
	const char **filters;
	size_t nfilters;
	struct wbpf_gadget_output_opts out;
	struct wbpf_gadget_opts opts;
	const char *sink_spec; /* --output naming a sink */
	const char *metrics;
	uint64_t timeout_ns;
	bool help;
};

static volatile sig_atomic_t got_signal;
static struct wbpf_gadget *running;

static void on_signal(int sig)
{
	got_signal = sig;
	if (running)
		wbpf_gadget__interrupt(running);
}

static int push(const char ***arr, size_t *n, const char *s)
{
	const char **p = realloc(*arr, (*n + 1) * sizeof(*p));

	if (!p)
		return -ENOMEM;
	p[(*n)++] = s;
	*arr = p;
	return 0;
}

/* One option at argv[*i]; its value may be the next word. */
static int parse_one(struct gadget_args *a, int argc, char **argv, int *i)
{
	const char *opt = argv[*i], *eq = strchr(opt, '=');
	size_t n = eq ? (size_t)(eq - opt) : strlen(opt);
	const char *val = eq ? eq + 1 : *i + 1 < argc ? argv[*i + 1] : NULL;
	uint64_t u;

#define IS(s) (n == strlen(s) && !strncmp(opt, s, n))
	if (IS("-h") || IS("--help")) {
		a->help = true;
		return 0;
	}
	if (IS("--no-operator")) {
		a->opts.no_operator = true;
		return 0;
	}
	if (IS("--deterministic")) {
		a->opts.deterministic = true;
		return 0;
	}
	if (!val)
		return cli_usage("gadget", "%s needs a value", opt);
	if (IS("--param")) {
		if (!strchr(val, '=') || *val == '=')
			return cli_usage("gadget", "--param needs KEY=VALUE, got '%s'", val);
		push(&a->params, &a->nparams, val);
	} else if (IS("-o") || IS("--output")) {
		a->sink_spec = NULL;
		if (!strcmp(val, "json"))
			a->out.format = WBPF_OUTPUT_JSON;
		else if (!strcmp(val, "columns"))
			a->out.format = WBPF_OUTPUT_COLUMNS;
		else
			a->sink_spec = val, a->out.format = WBPF_OUTPUT_SINK;
	} else if (IS("--metrics")) {
		a->metrics = val;
	} else if (IS("--fields")) {
		a->out.fields = val;
	} else if (IS("--filter")) {
		push(&a->filters, &a->nfilters, val);
	} else if (IS("--timeout")) {
		if (cli_parse_duration(val, &a->timeout_ns) || !a->timeout_ns)
			return cli_usage("gadget", "--timeout: bad duration '%s'", val);
	} else if (IS("--interval")) {
		if (cli_parse_duration(val, &a->opts.interval_ns) || a->opts.interval_ns < 1000000)
			return cli_usage("gadget", "--interval: bad duration '%s' (1ms at least)", val);
	} else if (IS("--iface")) {
		a->opts.ifaces = val;
	} else if (IS("--sort")) {
		a->out.sort = val;
	} else if (IS("--max-rows")) {
		if (cli_parse_u64(val, &u) || !u || u > UINT32_MAX)
			return cli_usage("gadget", "--max-rows: bad count '%s'", val);
		a->out.max_rows = (uint32_t)u;
	} else if (IS("--max-memory")) {
		if (cli_parse_size(val, &a->opts.max_memory) || a->opts.max_memory < 65536)
			return cli_usage("gadget", "--max-memory: bad size '%s'", val);
	} else if (IS("--fuel")) {
		if (cli_parse_u64(val, &u) || !u)
			return cli_usage("gadget", "--fuel: bad count '%s'", val);
		a->opts.callback_fuel = u;
	} else if (IS("--operator")) {
		a->opts.operator_path = val;
	} else if (!strncmp(opt, "--", 2) && opt[2]) {
		/* A gadget param: checked against the gadget once it is open. */
		push(&a->params, &a->nparams, opt + 2);
		push(&a->params, &a->nparams, val);
		if (!eq)
			(*i)++;
		return 0;
	} else {
		return cli_usage("gadget", "unknown option '%s'", opt);
	}
#undef IS
	if (!eq)
		(*i)++;
	return 0;
}

static int parse(struct gadget_args *a, int argc, char **argv)
{
	int err;

	for (int i = 0; i < argc; i++) {
		if (argv[i][0] != '-' || !argv[i][1]) {
			if (a->dir)
				return cli_usage("gadget", "one DIR only, got '%s' too", argv[i]);
			a->dir = argv[i];
			continue;
		}
		if ((err = parse_one(a, argc, argv, &i)))
			return err;
	}
	if (!a->dir && !a->help)
		return cli_usage("gadget", "%s", "missing DIR");
	return 0;
}

static int set_params(struct wbpf_gadget *g, const struct gadget_args *a)
{
	for (size_t i = 0; i < a->nparams; i++) {
		const char *p = a->params[i], *eq = strchr(p, '=');
		char key[256];
		const char *val;

		if (eq) { /* --param KEY=VALUE or --KEY=VALUE */
			snprintf(key, sizeof(key), "%.*s", (int)(eq - p), p);
			val = eq + 1;
		} else {
			snprintf(key, sizeof(key), "%s", p);
			val = a->params[++i];
		}
		if (wbpf_gadget__set_param(g, key, val)) {
			fprintf(stderr, "wbpf gadget: %s\n", wbpf_gadget__error(g));
			return CLI_EXIT_USAGE;
		}
	}
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int poll_loop(struct wbpf_gadget *g, uint64_t timeout_ns)
{
	uint64_t end = timeout_ns ? now_ns() + timeout_ns : 0;
	int n;

	while (!got_signal) {
		int wait = 100;

		if (end) {
			uint64_t t = now_ns();

			if (t >= end)
				break;
			if (end - t < 100000000u)
				wait = (int)((end - t) / 1000000u) + 1;
		}
		n = wbpf_gadget__poll(g, wait);
		if (n == -EINTR)
			break;
		if (n < 0) {
			fprintf(stderr, "wbpf gadget: reading events: %s\n", strerror(-n));
			return CLI_EXIT_ERROR;
		}
	}
	return 0;
}

static void summary(struct wbpf_gadget *g)
{
	struct wbpf_gadget_stats s;

	wbpf_gadget__stats(g, &s);
	fprintf(stderr, "wbpf gadget: %s: %llu events, %llu lost, %llu dropped, %llu operator "
		"errors (%llu traps)", wbpf_gadget__name(g), (unsigned long long)s.events,
		(unsigned long long)s.lost, (unsigned long long)s.dropped,
		(unsigned long long)s.operator_errors, (unsigned long long)s.operator_traps);
	if (s.sink_errors)
		fprintf(stderr, ", %llu refused by the sink", (unsigned long long)s.sink_errors);
	fputc('\n', stderr);
}

/* The gadget's counters as Prometheus series, read at each scrape. */
static void collect(void *ctx, struct wbpf_metrics *m)
{
	static const struct {
		const char *name, *help;
		size_t offset;
	} counters[] = {
#define C(field, help) { "wbpf_gadget_" #field "_total", help, \
			 offsetof(struct wbpf_gadget_stats, field) }
		C(events, "Records read from the kernel."),
		C(lost, "Records lost in the kernel buffers."),
		C(dropped, "Records dropped by operators."),
		C(operator_errors, "Operator calls that failed or trapped."),
		C(sink_errors, "Records the sink refused."),
#undef C
	};
	struct wbpf_gadget *g = ctx;
	struct wbpf_gadget_stats st;
	char labels[300];

	wbpf_gadget__stats(g, &st);
	snprintf(labels, sizeof(labels), "gadget=\"%s\"", wbpf_gadget__name(g));
	for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
		const uint64_t *v = (const uint64_t *)((const char *)&st + counters[i].offset);
		struct wbpf_metric *s = wbpf_metrics__get(m, WBPF_METRIC_COUNTER, counters[i].name,
							  labels, counters[i].help);
		if (s)
			wbpf_metric__set(s, (double)*v);
	}
}

static int run(struct wbpf_gadget *g, struct gadget_args *a)
{
	struct wbpf_gadget_output *out = NULL;
	struct sigaction sa = {.sa_handler = on_signal};
	struct wbpf_metrics *metrics = NULL;
	struct wbpf_sink *sink = NULL;
	int ret, stop;

	if ((ret = set_params(g, a)))
		return ret;
	if (cli_sinks__open("gadget", wbpf_gadget__name(g), a->sink_spec, a->metrics, collect, g,
			    &sink, &metrics))
		return CLI_EXIT_USAGE;
	a->out.sink = sink;
	a->out.sz = sizeof(a->out);
	a->out.filters = a->filters;
	a->out.nfilters = a->nfilters;
	running = g;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* The operator's fields exist after prepare: --fields may name them. */
	if (wbpf_gadget__prepare(g)) {
		fprintf(stderr, "wbpf gadget: %s: %s\n", wbpf_gadget__name(g), wbpf_gadget__error(g));
		ret = CLI_EXIT_ERROR;
	} else if (wbpf_gadget__output(g, &a->out, &out)) {
		fprintf(stderr, "wbpf gadget: %s\n", wbpf_gadget__error(g));
		ret = CLI_EXIT_USAGE;
	} else if (wbpf_gadget__start(g)) {
		fprintf(stderr, "wbpf gadget: %s: %s\n", wbpf_gadget__name(g), wbpf_gadget__error(g));
		ret = CLI_EXIT_ERROR;
	} else {
		wbpf_gadget_output__begin(out);
		ret = poll_loop(g, a->timeout_ns);
	}
	stop = wbpf_gadget__stop(g);
	if (stop)
		fprintf(stderr, "wbpf gadget: %s: stopping: %s\n", wbpf_gadget__name(g),
			wbpf_gadget__error(g));
	running = NULL;
	if (ret != CLI_EXIT_USAGE)
		summary(g);
	wbpf_gadget_output__free(out);
	cli_sinks__close(&sink, &metrics);
	return ret;
}

/* ------------------------------------------------------------- inspect */

static void inspect_field(const struct wbpf_gadget_field *f)
{
	uint32_t kind = wbpf_gadget_field__kind(f), flags = wbpf_gadget_field__flags(f);
	static const char *const kinds[] = {
		"invalid", "bool", "int8", "int16", "int32", "int64", "uint8", "uint16",
		"uint32", "uint64", "float32", "float64", "string", "cstring", "bytes",
	};
	const char *k, *v;

	printf("    %-28s %s%s", wbpf_gadget_field__name(f),
	       kinds[(kind & ~WBPF_KIND_ARRAY) <= WBPF_KIND__MAX ? kind & ~WBPF_KIND_ARRAY : 0],
	       kind & WBPF_KIND_ARRAY ? "[]" : "");
	if (flags & WBPF_FIELD_STATIC)
		printf(" @%u+%u", wbpf_gadget_field__offset(f), wbpf_gadget_field__size(f));
	if (flags & WBPF_FIELD_HIDDEN)
		printf(" hidden");
	for (size_t i = 0; i < wbpf_gadget_field__tag_count(f); i++)
		printf(" %s", wbpf_gadget_field__tag_at(f, i));
	for (size_t i = 0; i < wbpf_gadget_field__annotation_count(f); i++) {
		wbpf_gadget_field__annotation_at(f, i, &k, &v);
		printf(" %s=%s", k, v);
	}
	putchar('\n');
}

static void inspect(struct wbpf_gadget *g)
{
	const char *name, *sec, *map;

	printf("name: %s\ndescription: %s\n", wbpf_gadget__name(g), wbpf_gadget__description(g));
	for (size_t i = 0; i < wbpf_gadget__ds_count(g); i++) {
		struct wbpf_gadget_ds *ds = wbpf_gadget__ds_at(g, i);
		const char *origin = wbpf_gadget_ds__origin(ds, &map);

		printf("datasource %s: %s, %s of map %s\n", wbpf_gadget_ds__name(ds),
		       wbpf_gadget_ds__type(ds) == WBPF_DS_ARRAY ? "array" : "single", origin, map);
		for (size_t j = 0; j < wbpf_gadget_ds__field_count(ds); j++)
			inspect_field(wbpf_gadget_ds__field_at(ds, j));
	}
	for (size_t i = 0; i < wbpf_gadget__param_count(g); i++) {
		const struct wbpf_gadget_param *p = wbpf_gadget__param_at(g, i);

		printf("param --%s (%s%s%s, default '%s'): %s\n", p->key, p->type_hint,
		       p->ebpf ? ", ebpf" : "", p->wasm ? ", wasm" : "", p->default_value,
		       p->description);
	}
	for (size_t i = 0; !wbpf_gadget__program_at(g, i, &name, &sec); i++)
		printf("program %s: SEC(\"%s\")\n", name, sec);
}

/* DIR names an image: its files. 0 (nothing to do for a directory), or
 * -1 after printing why. */
static int from_image(struct gadget_args *a, struct wbpf_oci_artifact **img)
{
	if (cli_oci_resolve("gadget", a->dir, img))
		return -1;
	if (!*img)
		return 0;
	if (!(*img)->gadget_yaml_path || !(*img)->nbpf) {
		fprintf(stderr, "wbpf gadget: %s: a %s image without gadget.yaml and a BPF object\n",
			(*img)->ref, wbpf_oci_format__str((*img)->format));
		return -1;
	}
	a->opts.yaml_path = (*img)->gadget_yaml_path;
	a->opts.bpf_path = (*img)->bpf_paths[0];
	if (!a->opts.operator_path)
		a->opts.operator_path = (*img)->wasm_path;
	return 0;
}

int cli_gadget(int argc, char **argv)
{
	struct wbpf_oci_artifact *img = NULL;
	struct gadget_args a = {0};
	struct wbpf_gadget_err err;
	struct wbpf_gadget *g;
	bool is_run;
	int ret;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(gadget_help, argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_EXIT_USAGE : 0;
	}
	is_run = !strcmp(argv[1], "run");
	if (!is_run && strcmp(argv[1], "inspect"))
		return cli_usage("gadget", "unknown subcommand '%s' (run or inspect)", argv[1]);
	ret = parse(&a, argc - 2, argv + 2);
	if (!ret && a.help)
		fputs(gadget_help, stdout);
	if (ret || a.help)
		goto out;
	a.opts.sz = sizeof(a.opts);
	if (from_image(&a, &img)) {
		ret = CLI_EXIT_ERROR;
		goto out;
	}
	g = wbpf_gadget__open(a.dir, &a.opts, &err);
	if (!g) {
		fprintf(stderr, "wbpf gadget: %s\n", err.msg);
		ret = CLI_EXIT_ERROR;
		goto out;
	}
	if (is_run)
		ret = run(g, &a);
	else
		inspect(g);
	wbpf_gadget__close(g);
out:
	wbpf_oci_artifact__free(img);
	free(a.params);
	free(a.filters);
	return ret;
}
