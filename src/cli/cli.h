/* SPDX-License-Identifier: MIT */
/*
 * The wbpf command: each subcommand is one `int fn(argc, argv)` (argv[0]
 * is its own name) listed in main.c's table; it returns the process exit
 * status. Shared helpers for option values live in parse.c.
 */
#ifndef WBPF_CLI_H
#define WBPF_CLI_H

#include <stdbool.h>
#include <stdint.h>

/* Exit statuses of the command itself (a guest's own status passes
 * through unchanged). */
#define CLI_EXIT_ERROR 1	/* the module could not be read, linked, ... */
#define CLI_EXIT_USAGE 2	/* bad command line */

int cli_run(int argc, char **argv);
/* Distribution (oci.c). */
int cli_build(int argc, char **argv);
int cli_images(int argc, char **argv);
int cli_tag(int argc, char **argv);
int cli_rm(int argc, char **argv);
int cli_inspect(int argc, char **argv);
int cli_pull(int argc, char **argv);
int cli_push(int argc, char **argv);
int cli_export(int argc, char **argv);
int cli_import(int argc, char **argv);
int cli_login(int argc, char **argv);
int cli_logout(int argc, char **argv);
int cli_sign(int argc, char **argv);
int cli_verify(int argc, char **argv);
int cli_generate_key_pair(int argc, char **argv);
/* *path: the Wasm module of the image `arg` names (pulled when missing),
 * or NULL when arg is no image reference. -1 after printing why, as
 * "wbpf CMD: ...". */
int cli_oci_module(const char *cmd, const char *arg, char **path);
/* The image `arg` names, whatever it holds (pulled when missing; the one
 * resolver); NULL (and 0) when arg is no reference. -1 after printing why. */
struct wbpf_oci_artifact;
int cli_oci_resolve(const char *cmd, const char *arg, struct wbpf_oci_artifact **out);
/* `--plugin FILE|REF` with its command-line arguments: an image's module
 * and arguments, plugin.json's first, then cli_args (the last of a key
 * wins); a file and cli_args as they are. -1 after printing why. */
struct cli_oci_plugin {
	const char *path;
	const char **args;
	size_t nargs;
	struct wbpf_oci_artifact *image;	/* NULL for a file */
};
int cli_oci_plugin(const char *cmd, const char *arg, const char *const *cli_args, size_t n,
		   struct cli_oci_plugin *out);
void cli_oci_plugin__free(struct cli_oci_plugin *p);
int cli_gadget(int argc, char **argv); /* gadget.c */
int cli_gen(int argc, char **argv); /* gen.c: guest types from BTF */

/* "64MiB", "512k", "1G", "4096": powers of 1024, optional "B"/"iB". */
int cli_parse_size(const char *s, uint64_t *out);
/* "200ms", "1.5s", "2m", "500us", "10" (seconds) into nanoseconds. */
int cli_parse_duration(const char *s, uint64_t *out_ns);
/* A plain non-negative integer (decimal or 0x hex). */
int cli_parse_u64(const char *s, uint64_t *out);
/* One line on stderr, "wbpf CMD: <message> (see 'wbpf CMD --help')";
 * returns CLI_EXIT_USAGE. */
int cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* WBPF_CLI_H */
