// SPDX-License-Identifier: MIT
/*
 * The distribution commands (`wbpf build`, `push`, `pull`, `images`,
 * `tag`, `rm`, `inspect`, `export`, `import`, `login`, `logout`, `sign`,
 * `verify`): one table, one option parser, each a thin call into
 * include/wbpf/oci.h.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "wbpf/oci.h"

struct oci_cli {
	const char *store_dir;
	const char *tag, *key, *user, *password, *output;
	bool password_stdin, help;
	struct wbpf_oci_build_opts build;
	struct wbpf_oci_remote_opts remote;
	struct wbpf_oci_store *store;
	struct wbpf_oci_error err;
	char **args;
	int nargs;
};

struct oci_cmd {
	const char *name;
	int min_args, max_args;	/* -1: any number */
	const char *usage;
	int (*fn)(struct oci_cli *c);
};

static const char common_help[] =
"\nOptions:\n"
"  --store DIR        the local store (default: $WBPF_STORE, /var/lib/wbpf as\n"
"                     root, else $XDG_DATA_HOME/wbpf)\n"
"  --insecure         registries: skip TLS verification, allow plain HTTP\n"
"  --ca-file FILE     registries: also trust the CAs in FILE ($WBPF_CA_FILE)\n"
"  --auth-file FILE   credentials saved by 'wbpf login' ($WBPF_AUTH_FILE)\n"
"  -h, --help         show this help\n"
"\nReferences are [REGISTRY/]REPOSITORY[:TAG][@sha256:DIGEST]; see docs/oci.md.\n";

enum {
	OPT_STORE = 256, OPT_INSECURE, OPT_CA_FILE, OPT_AUTH_FILE, OPT_FORMAT, OPT_KEY,
	OPT_PASSWORD_STDIN, OPT_CHUNK,
};

static const struct option oci_options[] = {
	{"store", required_argument, NULL, OPT_STORE},
	{"insecure", no_argument, NULL, OPT_INSECURE},
	{"ca-file", required_argument, NULL, OPT_CA_FILE},
	{"auth-file", required_argument, NULL, OPT_AUTH_FILE},
	{"tag", required_argument, NULL, 't'},
	{"format", required_argument, NULL, OPT_FORMAT},
	{"key", required_argument, NULL, OPT_KEY},
	{"username", required_argument, NULL, 'u'},
	{"password", required_argument, NULL, 'p'},
	{"password-stdin", no_argument, NULL, OPT_PASSWORD_STDIN},
	{"output", required_argument, NULL, 'o'},
	{"chunk-size", required_argument, NULL, OPT_CHUNK},
	{"help", no_argument, NULL, 'h'},
	{0},
};

static int parse_opt(struct oci_cli *c, int opt, const char *cmd)
{
	uint64_t v;

	switch (opt) {
	case OPT_STORE: c->store_dir = optarg; return 0;
	case OPT_INSECURE: c->remote.insecure = true; return 0;
	case OPT_CA_FILE: c->remote.ca_file = optarg; return 0;
	case OPT_AUTH_FILE: c->remote.auth_file = optarg; return 0;
	case 't': c->tag = optarg; return 0;
	case OPT_KEY: c->key = optarg; return 0;
	case 'u': c->user = optarg; return 0;
	case 'p': c->password = optarg; return 0;
	case OPT_PASSWORD_STDIN: c->password_stdin = true; return 0;
	case 'o': c->output = optarg; return 0;
	case 'h': c->help = true; return 0;
	case OPT_FORMAT:
		if (!strcmp(optarg, "wbpf") || !strcmp(optarg, "gadget")) {
			c->build.format = *optarg == 'g' ? WBPF_OCI_BUILD_GADGET : WBPF_OCI_BUILD_WBPF;
			return 0;
		}
		fprintf(stderr, "wbpf %s: --format is wbpf or gadget, not '%s'\n", cmd, optarg);
		return -EINVAL;
	case OPT_CHUNK:
		if (!cli_parse_size(optarg, &v) && v >= 1024) {
			c->remote.chunk_size = (size_t)v;
			return 0;
		}
		fprintf(stderr, "wbpf %s: bad --chunk-size '%s'\n", cmd, optarg);
		return -EINVAL;
	case ':':
		fprintf(stderr, "wbpf %s: %s needs a value\n", cmd, c->args[optind - 1]);
		return -EINVAL;
	}
	fprintf(stderr, "wbpf %s: unknown option '%s' (see 'wbpf %s --help')\n", cmd,
		c->args[optind - 1], cmd);
	return -EINVAL;
}

static int parse(struct oci_cli *c, const struct oci_cmd *cmd, int argc, char **argv)
{
	int opt;

	c->args = argv;
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":ht:u:p:o:", oci_options, NULL)) != -1)
		if (parse_opt(c, opt, cmd->name))
			return -EINVAL;
	c->args = argv + optind;
	c->nargs = argc - optind;
	if (c->help)
		return 0;
	if (c->nargs < cmd->min_args || (cmd->max_args >= 0 && c->nargs > cmd->max_args)) {
		fprintf(stderr, "usage: wbpf %s\n", cmd->usage);
		return -EINVAL;
	}
	c->remote.sz = sizeof(c->remote);
	c->remote.progress = isatty(STDERR_FILENO);
	c->build.sz = sizeof(c->build);
	return 0;
}

static int fail(struct oci_cli *c, const char *cmd)
{
	fprintf(stderr, "wbpf %s: %s\n", cmd, c->err.msg);
	return CLI_EXIT_ERROR;
}

/* ----------------------------------------------------------- commands */

static int do_build(struct oci_cli *c)
{
	if (!c->tag) {
		fprintf(stderr, "wbpf build: name the image with -t REF\n");
		return CLI_EXIT_USAGE;
	}
	if (wbpf_oci_store__build(c->store, c->args[0], c->tag, &c->build, &c->err))
		return fail(c, "build");
	printf("built %s\n", c->tag);
	return 0;
}

static int do_images(struct oci_cli *c)
{
	struct wbpf_oci_image_info *v;
	size_t n;

	if (wbpf_oci_store__list(c->store, &v, &n, &c->err))
		return fail(c, "images");
	printf("%-60s %-19s %10s\n", "REFERENCE", "DIGEST", "SIZE");
	for (size_t i = 0; i < n; i++)
		printf("%-60s %.19s %10llu\n", v[i].ref, v[i].digest,
		       (unsigned long long)v[i].size);
	wbpf_oci_image_info__free(v, n);
	return 0;
}

static int do_tag(struct oci_cli *c)
{
	return wbpf_oci_store__tag(c->store, c->args[0], c->args[1], &c->err) ? fail(c, "tag") : 0;
}

static int do_rm(struct oci_cli *c)
{
	int ret = 0;

	for (int i = 0; i < c->nargs; i++)
		if (wbpf_oci_store__remove(c->store, c->args[i], &c->err))
			ret = fail(c, "rm");
	return ret;
}

static int do_inspect(struct oci_cli *c)
{
	return wbpf_oci_store__inspect(c->store, c->args[0], stdout, &c->err) ?
		fail(c, "inspect") : 0;
}

static int do_pull(struct oci_cli *c)
{
	return wbpf_oci__pull(c->store, c->args[0], &c->remote, &c->err) ? fail(c, "pull") : 0;
}

static int do_push(struct oci_cli *c)
{
	return wbpf_oci__push(c->store, c->args[0], &c->remote, &c->err) ? fail(c, "push") : 0;
}

static int do_export(struct oci_cli *c)
{
	if (!c->output) {
		fprintf(stderr, "wbpf export: name the tarball with -o FILE\n");
		return CLI_EXIT_USAGE;
	}
	return wbpf_oci_store__export(c->store, (const char *const *)c->args, (size_t)c->nargs,
				      c->output, &c->err) ? fail(c, "export") : 0;
}

static int do_import(struct oci_cli *c)
{
	size_t n;

	if (wbpf_oci_store__import(c->store, c->args[0], &n, &c->err))
		return fail(c, "import");
	printf("imported %zu image%s\n", n, n == 1 ? "" : "s");
	return 0;
}

/* The password: -p, or the first line of stdin (kept out of ps and
 * shell history). */
static int read_password(struct oci_cli *c, char *buf, size_t n)
{
	if (c->password && !c->password_stdin) {
		snprintf(buf, n, "%s", c->password);
		return 0;
	}
	if (!c->password_stdin || !fgets(buf, (int)n, stdin)) {
		fprintf(stderr, "wbpf login: give the password with --password-stdin (or -p)\n");
		return -EINVAL;
	}
	buf[strcspn(buf, "\r\n")] = '\0';
	return 0;
}

static int do_login(struct oci_cli *c)
{
	char pass[1024];
	int ret;

	if (!c->user) {
		fprintf(stderr, "wbpf login: give the user name with -u USER\n");
		return CLI_EXIT_USAGE;
	}
	if (read_password(c, pass, sizeof(pass)))
		return CLI_EXIT_USAGE;
	ret = wbpf_oci__login(c->args[0], c->user, pass, &c->remote, &c->err);
	memset(pass, 0, sizeof(pass));
	if (ret)
		return fail(c, "login");
	printf("logged in to %s\n", c->args[0]);
	return 0;
}

static int do_logout(struct oci_cli *c)
{
	return wbpf_oci__logout(c->args[0], &c->remote, &c->err) ? fail(c, "logout") : 0;
}

static int need_key(struct oci_cli *c, const char *cmd)
{
	if (c->key)
		return 0;
	fprintf(stderr, "wbpf %s: give the key with --key FILE\n", cmd);
	return CLI_EXIT_USAGE;
}

static int do_sign(struct oci_cli *c)
{
	if (need_key(c, "sign"))
		return CLI_EXIT_USAGE;
	if (wbpf_oci__sign(c->store, c->args[0], c->key, &c->remote, &c->err))
		return fail(c, "sign");
	printf("signed %s\n", c->args[0]);
	return 0;
}

static int do_verify(struct oci_cli *c)
{
	if (need_key(c, "verify"))
		return CLI_EXIT_USAGE;
	if (wbpf_oci__verify(c->store, c->args[0], c->key, &c->remote, &c->err))
		return fail(c, "verify");
	printf("verified %s\n", c->args[0]);
	return 0;
}

static int do_generate_key_pair(struct oci_cli *c)
{
	const char *prefix = c->nargs ? c->args[0] : "cosign";

	if (wbpf_oci__generate_key_pair(prefix, &c->err))
		return fail(c, "generate-key-pair");
	printf("private key written to %s.key\npublic key written to %s.pub\n", prefix, prefix);
	return 0;
}

static const struct oci_cmd oci_cmds[] = {
	{"build", 1, 1, "build -t REF [--format wbpf|gadget] DIR", do_build},
	{"images", 0, 0, "images", do_images},
	{"tag", 2, 2, "tag SOURCE TARGET", do_tag},
	{"rm", 1, -1, "rm REF...", do_rm},
	{"inspect", 1, 1, "inspect REF", do_inspect},
	{"pull", 1, 1, "pull REF", do_pull},
	{"push", 1, 1, "push [--chunk-size SIZE] REF", do_push},
	{"export", 1, -1, "export -o FILE.tar REF...", do_export},
	{"import", 1, 1, "import FILE.tar", do_import},
	{"login", 1, 1, "login -u USER (--password-stdin | -p PASSWORD) REGISTRY", do_login},
	{"logout", 1, 1, "logout REGISTRY", do_logout},
	{"sign", 1, 1, "sign --key PRIVATE.pem|cosign.key REF", do_sign},
	{"verify", 1, 1, "verify --key PUBLIC.pem REF", do_verify},
	{"generate-key-pair", 0, 1, "generate-key-pair [PREFIX]   (PREFIX.key, PREFIX.pub; "
	 "password: $COSIGN_PASSWORD)", do_generate_key_pair},
};

static int oci_main(const char *name, int argc, char **argv)
{
	struct oci_cli c = {0};
	const struct oci_cmd *cmd = NULL;
	int ret;

	for (size_t i = 0; i < sizeof(oci_cmds) / sizeof(oci_cmds[0]); i++)
		if (!strcmp(oci_cmds[i].name, name))
			cmd = &oci_cmds[i];
	if (parse(&c, cmd, argc, argv))
		return CLI_EXIT_USAGE;
	if (c.help) {
		printf("usage: wbpf %s\n%s", cmd->usage, common_help);
		return 0;
	}
	/* A key pair is no business of the store's. */
	if (cmd->fn != do_generate_key_pair && wbpf_oci_store__open(c.store_dir, &c.store, &c.err))
		return fail(&c, name);
	ret = cmd->fn(&c);
	wbpf_oci_store__free(c.store);
	return ret;
}

#define OCI_CLI(fn, name) \
	int fn(int argc, char **argv) { return oci_main(name, argc, argv); }
OCI_CLI(cli_build, "build")
OCI_CLI(cli_images, "images")
OCI_CLI(cli_tag, "tag")
OCI_CLI(cli_rm, "rm")
OCI_CLI(cli_inspect, "inspect")
OCI_CLI(cli_pull, "pull")
OCI_CLI(cli_push, "push")
OCI_CLI(cli_export, "export")
OCI_CLI(cli_import, "import")
OCI_CLI(cli_login, "login")
OCI_CLI(cli_logout, "logout")
OCI_CLI(cli_sign, "sign")
OCI_CLI(cli_verify, "verify")
OCI_CLI(cli_generate_key_pair, "generate-key-pair")
