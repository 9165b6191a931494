// SPDX-License-Identifier: MIT
/* The wbpf command: dispatches to a subcommand from a small table. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/l7.h"
#include "wbpf/version.h"

struct cli_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct cli_cmd cmds[] = {
	{"run", cli_run, "run a WebAssembly module (a WASI program or a library function)"},
	{"l7", cli_l7, "request logs from traffic (HTTP, DNS, Wasm parser plugins)"},
	{"build", cli_build, "build a plugin directory into an OCI image"},
	{"push", cli_push, "send an image of the local store to a registry"},
	{"pull", cli_pull, "fetch an image from a registry into the local store"},
	{"images", cli_images, "list the images of the local store"},
	{"tag", cli_tag, "give an image another name"},
	{"rm", cli_rm, "remove images (and blobs no image uses)"},
	{"inspect", cli_inspect, "show an image's manifest, config and layers"},
	{"export", cli_export, "write images to an OCI layout tarball"},
	{"import", cli_import, "read the images of an OCI layout tarball"},
	{"login", cli_login, "check and save credentials for a registry"},
	{"logout", cli_logout, "forget the credentials for a registry"},
	{"sign", cli_sign, "sign an image (cosign key-pair format) and push the signature"},
	{"verify", cli_verify, "check an image's signature against a public key"},
	{"generate-key-pair", cli_generate_key_pair, "write a cosign key pair (encrypted private key)"},
	{"gadget", cli_gadget, "run or inspect a gadget (eBPF object, gadget.yaml, Wasm operator)"},
	{"gen", cli_gen, "generate guest types (Rust, C, WIT) from a BPF object's BTF"},
};

#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static void usage(FILE *f)
{
	fprintf(f, "usage: wbpf COMMAND [OPTIONS] [ARGS...]\n"
		   "       wbpf --help | wbpf help COMMAND | wbpf --version\n\n"
		   "commands:\n");
	for (size_t i = 0; i < NCMDS; i++)
		fprintf(f, "  %-10s %s\n", cmds[i].name, cmds[i].summary);
	fprintf(f, "\nRun 'wbpf COMMAND --help' for what a command does and its options.\n");
}

static const struct cli_cmd *find_cmd(const char *name)
{
	for (size_t i = 0; i < NCMDS; i++)
		if (!strcmp(cmds[i].name, name))
			return &cmds[i];
	return NULL;
}

int main(int argc, char **argv)
{
	const struct cli_cmd *cmd;
	const char *name = argc > 1 ? argv[1] : NULL;

	if (!name) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (!strcmp(name, "--help") || !strcmp(name, "-h") ||
	    (!strcmp(name, "help") && argc == 2)) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(name, "--version") || !strcmp(name, "-V")) {
		printf("wbpf %s (commit %s)\nfeatures: %s\n", wbpf_version__string(),
		       wbpf_version__commit(), wbpf_version__features());
		return 0;
	}
	if (!strcmp(name, "help")) {
		char help[] = "--help";
		char *sub[] = {argv[2], help, NULL};

		cmd = find_cmd(argv[2]);
		if (cmd)
			return cmd->fn(2, sub);
		name = argv[2];
	}
	cmd = find_cmd(name);
	if (!cmd) {
		fprintf(stderr, "wbpf: unknown command '%s' (see 'wbpf --help')\n", name);
		return CLI_EXIT_USAGE;
	}
	return cmd->fn(argc - 1, argv + 1);
}
