/* SPDX-License-Identifier: MIT */
/* Internals of the OCI layer (src/oci/): one job per file. */
#ifndef WBPF_OCI_INTERNAL_H
#define WBPF_OCI_INTERNAL_H

#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wbpf/oci.h"

/* Manifests and indexes bigger than this are refused (the spec's 4 MiB). */
#define OCI_MAX_MANIFEST (4u << 20)
#define OCI_DIGEST_MAX 80
#define OCI_REF_ANNOTATION "org.opencontainers.image.ref.name"
#define OCI_TITLE_ANNOTATION "org.opencontainers.image.title"

/* error.c: formats err->msg; returns `ret` (a negative errno). */
int oci_err(struct wbpf_oci_error *err, int ret, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---------------------------------------------------------- digest.c */

struct oci_hash;
struct oci_hash *oci_hash__new(void);
void oci_hash__update(struct oci_hash *h, const void *p, size_t n);
/* "sha256:<hex>" into out (OCI_DIGEST_MAX); frees h. */
void oci_hash__final(struct oci_hash *h, char *out);
void oci_hash__free(struct oci_hash *h);
void oci_digest(const void *p, size_t n, char *out);
/* "sha256:" and 64 lowercase hex digits (the only algorithm accepted). */
bool oci_digest__valid(const char *d);

/* ---------------------------------------------------------- base64.c */

/* NUL-terminated; malloc'd. */
char *oci_base64__encode(const void *p, size_t n);
/* The bytes (NUL-terminated too) and their count; NULL when malformed. */
unsigned char *oci_base64__decode(const char *s, size_t *len);

/* ------------------------------------------------------------- ref.c */

struct oci_ref {
	char *registry;		/* "docker.io", "127.0.0.1:5000" */
	char *repo;		/* "library/hello", "team/app" */
	char *tag;		/* NULL when only a digest is given */
	char *digest;		/* NULL unless pinned */
};

int oci_ref__parse(const char *s, struct oci_ref *r, struct wbpf_oci_error *err);
void oci_ref__free(struct oci_ref *r);
/* registry/repo:tag, or registry/repo@digest when pinned; malloc'd. */
char *oci_ref__str(const struct oci_ref *r);
/* The same reference with another tag (e.g. a signature's). */
char *oci_ref__with_tag(const struct oci_ref *r, const char *tag);

/* -------------------------------------------------------- manifest.c */

struct oci_desc {
	char *media_type;
	char *artifact_type;
	char digest[OCI_DIGEST_MAX];
	uint64_t size;
	char *title;		/* org.opencontainers.image.title */
	char *arch, *os;	/* platform, in an index */
};

struct oci_manifest {
	char *media_type;
	char *artifact_type;
	bool is_index;
	struct oci_desc config;		/* manifests */
	struct oci_desc *descs;		/* layers, or an index's manifests */
	size_t ndescs;
	json_t *annotations;		/* borrowed from json */
	json_t *json;
};

/* Parses and checks a manifest or an index (schemaVersion 2, digests,
 * sizes, media types). content_type: the registry's, or NULL. */
int oci_manifest__parse(const void *buf, size_t len, const char *content_type,
			struct oci_manifest *m, struct wbpf_oci_error *err);
void oci_manifest__free(struct oci_manifest *m);
bool oci_media_type__is_manifest(const char *mt);
bool oci_media_type__is_index(const char *mt);
/* A descriptor as JSON (media type, digest, size, title annotation). */
json_t *oci_desc__json(const struct oci_desc *d);
/* Serialized the way it is stored and hashed; malloc'd, *len set. */
char *oci_json__dump(const json_t *j, size_t *len);

/* ---------------------------------------------------------- format.c */

/* What an image manifest holds and where, once its kind is known. */
struct oci_parts {
	enum wbpf_oci_format format;
	const struct oci_desc *wasm;
	const struct oci_desc *bpf[16];
	size_t nbpf;
	const struct oci_desc *yaml;		/* gadget.yaml */
	const struct oci_desc *plugin_config;
};

int oci_parts__find(const struct oci_manifest *m, struct oci_parts *p,
		    struct wbpf_oci_error *err);
/* The index entry for this machine (linux, its architecture), or NULL. */
const struct oci_desc *oci_index__pick(const struct oci_manifest *idx);
/* "amd64", "arm64", ... as OCI names the running architecture. */
const char *oci_host_arch(void);

/* ----------------------------------------------------------- store.c */

struct wbpf_oci_store {
	char *root;
	int lock_fd;		/* root/index.lock: index.json read-modify-write */
	int gc_fd;		/* root/gc.lock: shared by writers, exclusive for gc */
};

/* root/blobs/sha256/<hex>; malloc'd. */
char *oci_store__blob_path(const struct wbpf_oci_store *s, const char *digest);
bool oci_store__has_blob(const struct wbpf_oci_store *s, const char *digest);
/* Reads a whole blob (at most max bytes), checking its digest. */
int oci_store__read_blob(const struct wbpf_oci_store *s, const char *digest, size_t max,
			 char **buf, size_t *len, struct wbpf_oci_error *err);
/* Re-hashes a blob file: -EBADMSG unless its digest and size match. */
int oci_store__verify_blob(const struct wbpf_oci_store *s, const char *digest, uint64_t size,
			   struct wbpf_oci_error *err);
/* Writes bytes as a blob (temp + rename); digest out may be NULL. */
int oci_store__put_blob(struct wbpf_oci_store *s, const void *p, size_t n, char *digest,
			struct wbpf_oci_error *err);
/* A temporary directory in the store (same file system as blobs/). */
char *oci_store__tmpdir(struct wbpf_oci_store *s, struct wbpf_oci_error *err);
/* Moves verified files tmpdir/<hex> into blobs/ (rename), removes tmpdir. */
int oci_store__commit_dir(struct wbpf_oci_store *s, const char *tmpdir,
			  struct wbpf_oci_error *err);
void oci_rmtree(const char *dir);
/* The org.opencontainers.image.ref.name of an index.json entry, or NULL. */
const char *oci_index__entry_ref(json_t *e);
/* Removes the index.json entries named `name` or, when digest is set,
 * every entry with that digest; returns how many. */
size_t oci_index__drop(json_t *manifests, const char *name, const char *digest);
/* Points `ref` (canonical) at the manifest desc (index.json). */
int oci_store__set_ref(struct wbpf_oci_store *s, const char *ref, const struct oci_desc *d,
		       struct wbpf_oci_error *err);
/* The manifest `ref` names: looked up by canonical name or, for a pinned
 * reference, by digest. -ENOENT when missing (err says so). */
int oci_store__lookup(struct wbpf_oci_store *s, const char *ref, struct oci_desc *d,
		      char **canonical, struct wbpf_oci_error *err);
/* Reads and parses the manifest behind desc d. */
int oci_store__manifest(const struct wbpf_oci_store *s, const char *digest,
			struct oci_manifest *m, struct wbpf_oci_error *err);
/* index.json, parsed; the caller holds the index lock when writing. */
json_t *oci_store__index(const struct wbpf_oci_store *s, struct wbpf_oci_error *err);
int oci_store__write_index(struct wbpf_oci_store *s, json_t *index, struct wbpf_oci_error *err);
int oci_store__lock(struct wbpf_oci_store *s);
void oci_store__unlock(struct wbpf_oci_store *s);
/* Shared while writing blobs, so a concurrent gc leaves them alone. */
int oci_store__writer_begin(struct wbpf_oci_store *s);
void oci_store__writer_end(struct wbpf_oci_store *s);
/* Every blob digest reachable from manifest `digest` (itself included)
 * that is present in the store; calls fn for each. */
int oci_store__walk(const struct wbpf_oci_store *s, const char *digest,
		    int (*fn)(const char *digest, uint64_t size, void *ctx), void *ctx);

/* ------------------------------------------------------ cosign_key.c */

/* A PEM private key, or cosign's encrypted one ($COSIGN_PASSWORD). */
struct evp_pkey_st;
struct evp_pkey_st *oci_cosign_key__read(const char *path, struct wbpf_oci_error *err);

/* ------------------------------------------------------------ sign.c */

/* wbpf_oci__verify() with the repository the signature must name
 * (registry/repo; NULL: ref's own), as the payload's docker-reference. */
int oci_sign__verify(struct wbpf_oci_store *s, const char *ref, const char *pub_path,
		     const char *identity, const struct wbpf_oci_remote_opts *opts,
		     struct wbpf_oci_error *err);

/* ----------------------------------------------------- plugin_args.c */

/* plugin.json's members as "key=value" strings (malloc'd, as the array). */
int oci_plugin_args__load(const char *path, char ***args, size_t *nargs,
			  struct wbpf_oci_error *err);

/* ---------------------------------------------------------- policy.c */

/* 0 when the trust policy lets `ref` (canonical) run. */
int oci_policy__check(struct wbpf_oci_store *s, const char *ref,
		      const struct wbpf_oci_resolve_opts *opts, struct wbpf_oci_error *err);

/* ------------------------------------------------------------ file.c */

int oci_file__read(const char *path, size_t max, char **buf, size_t *len);
/* Writes path.tmp, fsyncs, renames over path. */
int oci_file__write_atomic(const char *path, const void *p, size_t n);
int oci_mkdirs(const char *path, unsigned mode);

#endif /* WBPF_OCI_INTERNAL_H */
