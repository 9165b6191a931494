/* SPDX-License-Identifier: MIT */
/*
 * OCI distribution: wbpf plugins as OCI artifacts in a local image-layout
 * store, moved through any registry (distribution spec v2), signed and
 * verified, and resolved by reference for running (docs/oci.md).
 *
 * Images read: wbpf's own, wasm-bpf/ecli and wasm-to-oci (one raw Wasm
 * layer), the CNCF Wasm artifact (application/wasm) and Inspektor Gadget
 * images. Images written: wbpf's own and IG's.
 *
 * Functions return 0 or a negative errno and, on failure, leave one line
 * saying what was wrong in err->msg.
 */
#ifndef WBPF_OCI_H
#define WBPF_OCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Manifests and indexes. */
#define WBPF_OCI_MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define WBPF_OCI_MT_INDEX "application/vnd.oci.image.index.v1+json"
#define WBPF_OCI_MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define WBPF_OCI_MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define WBPF_OCI_MT_EMPTY "application/vnd.oci.empty.v1+json"

/* wbpf's own artifact. */
#define WBPF_OCI_ARTIFACT "application/vnd.wbpf.plugin.v1"
#define WBPF_OCI_MT_CONFIG "application/vnd.wbpf.config.v1+json"
#define WBPF_OCI_MT_MODULE "application/vnd.wbpf.module.v1+wasm"
#define WBPF_OCI_MT_BPF "application/vnd.wbpf.bpf.v1+elf"
#define WBPF_OCI_MT_GADGET_YAML "application/vnd.wbpf.gadget.v1+yaml"
#define WBPF_OCI_MT_PLUGIN_CONFIG "application/vnd.wbpf.plugin-config.v1+json"

/* wasm-bpf/ecli and wasm-to-oci. */
#define WBPF_OCI_MT_WASM_CONFIG_V1 "application/vnd.wasm.config.v1+json"
#define WBPF_OCI_MT_WASM_LAYER_V1 "application/vnd.wasm.content.layer.v1+wasm"
/* CNCF Wasm OCI artifact. */
#define WBPF_OCI_MT_WASM_CONFIG_V0 "application/vnd.wasm.config.v0+json"
#define WBPF_OCI_MT_WASM "application/wasm"
/* Inspektor Gadget. */
#define WBPF_OCI_IG_ARTIFACT "application/vnd.gadget.v1+binary"
#define WBPF_OCI_MT_IG_CONFIG "application/vnd.gadget.config.v1+yaml"
#define WBPF_OCI_MT_IG_EBPF "application/vnd.gadget.ebpf.program.v1+binary"
#define WBPF_OCI_MT_IG_WASM "application/vnd.gadget.wasm.program.v1+binary"
#define WBPF_OCI_MT_IG_BTFGEN "application/vnd.gadget.btfgen.v1+binary"

struct wbpf_oci_error {
	char msg[512];
};

/* ------------------------------------------------------------- store */

struct wbpf_oci_store;

/* root NULL: $WBPF_STORE, else /var/lib/wbpf as root, else
 * $XDG_DATA_HOME/wbpf (~/.local/share/wbpf). Created when missing. */
int wbpf_oci_store__open(const char *root, struct wbpf_oci_store **out,
			 struct wbpf_oci_error *err);
void wbpf_oci_store__free(struct wbpf_oci_store *s);
const char *wbpf_oci_store__root(const struct wbpf_oci_store *s);

struct wbpf_oci_image_info {
	char *ref;		/* canonical: host/repo:tag or host/repo@digest */
	char digest[80];	/* of the top manifest or index */
	char *media_type;
	uint64_t size;		/* manifest and every blob it references */
};

/* Every image in the store, sorted by reference. */
int wbpf_oci_store__list(struct wbpf_oci_store *s, struct wbpf_oci_image_info **out, size_t *n,
			 struct wbpf_oci_error *err);
void wbpf_oci_image_info__free(struct wbpf_oci_image_info *v, size_t n);
/* A second name for the image `src`. */
int wbpf_oci_store__tag(struct wbpf_oci_store *s, const char *src, const char *dst,
			struct wbpf_oci_error *err);
/* Forgets `ref` and removes the blobs no image references any more. */
int wbpf_oci_store__remove(struct wbpf_oci_store *s, const char *ref, struct wbpf_oci_error *err);
/* Removes unreferenced blobs and stale temporary files; *freed: bytes. */
int wbpf_oci_store__gc(struct wbpf_oci_store *s, uint64_t *freed, struct wbpf_oci_error *err);
/* Prints the manifest (and index), config and layers of `ref`. */
int wbpf_oci_store__inspect(struct wbpf_oci_store *s, const char *ref, FILE *out,
			    struct wbpf_oci_error *err);

/* ------------------------------------------------------------- build */

enum wbpf_oci_build_format {
	WBPF_OCI_BUILD_WBPF = 0,	/* wbpf's own artifact */
	WBPF_OCI_BUILD_GADGET,	/* Inspektor Gadget's image format */
};

struct wbpf_oci_build_opts {
	size_t sz;		/* sizeof(struct wbpf_oci_build_opts) */
	enum wbpf_oci_build_format format;
};

/* Builds an image from DIR (docs/oci.md: *.wasm, *.bpf.o or
 * *.bpf.<arch>.o, gadget.yaml, plugin.json) and stores it under `ref`. */
int wbpf_oci_store__build(struct wbpf_oci_store *s, const char *dir, const char *ref,
			  const struct wbpf_oci_build_opts *opts, struct wbpf_oci_error *err);

/* ------------------------------------------------------------ remote */

struct wbpf_oci_remote_opts {
	size_t sz;		/* sizeof(struct wbpf_oci_remote_opts) */
	bool insecure;		/* no TLS verification, plain HTTP allowed */
	bool progress;		/* progress lines on stderr (a terminal) */
	const char *ca_file;	/* extra CA bundle; NULL: $WBPF_CA_FILE */
	const char *auth_file;	/* NULL: $WBPF_AUTH_FILE or wbpf's default */
	size_t chunk_size;	/* uploads bigger than this go in chunks; 0: 16 MiB */
	unsigned retries;	/* on 5xx and connection errors; 0: 3 */
};

int wbpf_oci__pull(struct wbpf_oci_store *s, const char *ref,
		   const struct wbpf_oci_remote_opts *opts, struct wbpf_oci_error *err);
int wbpf_oci__push(struct wbpf_oci_store *s, const char *ref,
		   const struct wbpf_oci_remote_opts *opts, struct wbpf_oci_error *err);
/* Checks the credentials against the registry, then saves them. */
int wbpf_oci__login(const char *registry, const char *user, const char *password,
		    const struct wbpf_oci_remote_opts *opts, struct wbpf_oci_error *err);
int wbpf_oci__logout(const char *registry, const struct wbpf_oci_remote_opts *opts,
		     struct wbpf_oci_error *err);

/* ------------------------------------------------- export and import */

/* An OCI image-layout tarball holding the images `refs`. */
int wbpf_oci_store__export(struct wbpf_oci_store *s, const char *const *refs, size_t nrefs,
			   const char *tar_path, struct wbpf_oci_error *err);
/* Every image of an OCI layout tarball; *nimported: how many. */
int wbpf_oci_store__import(struct wbpf_oci_store *s, const char *tar_path, size_t *nimported,
			   struct wbpf_oci_error *err);

/* ------------------------------------------------------------- trust */

/* cosign key-pair signatures: ECDSA P-256 over the simple-signing
 * payload, pushed as tag sha256-<hex>.sig. key: a PEM private key, or
 * cosign's encrypted one (password from $COSIGN_PASSWORD). */
int wbpf_oci__sign(struct wbpf_oci_store *s, const char *ref, const char *key_path,
		   const struct wbpf_oci_remote_opts *opts, struct wbpf_oci_error *err);
/* PREFIX.key (cosign's encrypted format, password $COSIGN_PASSWORD, as
 * `cosign generate-key-pair` writes it; mode 0600) and PREFIX.pub (PEM),
 * an ECDSA P-256 pair; never over existing files. */
int wbpf_oci__generate_key_pair(const char *prefix, struct wbpf_oci_error *err);
/* 0 when a signature of `ref` verifies with the PEM public key. */
int wbpf_oci__verify(struct wbpf_oci_store *s, const char *ref, const char *pub_path,
		     const struct wbpf_oci_remote_opts *opts, struct wbpf_oci_error *err);

/* --------------------------------------------------- run by reference */

enum wbpf_oci_format {
	WBPF_OCI_FORMAT_WBPF = 0,
	WBPF_OCI_FORMAT_WASM_V1,	/* wasm-bpf/ecli, wasm-to-oci */
	WBPF_OCI_FORMAT_CNCF_WASM,
	WBPF_OCI_FORMAT_GADGET,
};

/* "wbpf", "wasm", "cncf-wasm", "gadget". */
const char *wbpf_oci_format__str(enum wbpf_oci_format f);

/* The parts of an image, as files of the store (read them, never write). */
struct wbpf_oci_artifact {
	char *ref;			/* canonical reference */
	char digest[80];		/* the manifest run (the platform's one) */
	enum wbpf_oci_format format;
	char *wasm_path;		/* NULL when the image has no module */
	char **bpf_paths;		/* BPF objects for this architecture */
	size_t nbpf;
	char *gadget_yaml_path;		/* gadget.yaml / IG config, or NULL */
	char *plugin_config_path;	/* an L7 plugin's config, or NULL */
	char **plugin_args;		/* its members as "key=value" */
	size_t nplugin_args;
};

struct wbpf_oci_resolve_opts {
	size_t sz;			/* sizeof(struct wbpf_oci_resolve_opts) */
	const char *store_root;		/* as wbpf_oci_store__open() */
	const char *policy_file;	/* NULL: $WBPF_POLICY or the default */
	bool no_pull;			/* fail instead of pulling a missing image */
	struct wbpf_oci_remote_opts remote;
};

/* Whether `s` names an image rather than a file: it is no existing path
 * and parses as a reference (a name with a tag, a digest or a registry). */
bool wbpf_oci__is_ref(const char *s);

/* The one resolver behind `wbpf run REF`, `wbpf gadget run REF` and
 * `wbpf l7 --plugin REF`: finds REF in the store (pulling it when
 * missing; REF@sha256:... pins the content), enforces the trust policy
 * and returns its parts. */
int wbpf_oci__resolve(const char *ref, const struct wbpf_oci_resolve_opts *opts,
		      struct wbpf_oci_artifact **out, struct wbpf_oci_error *err);
void wbpf_oci_artifact__free(struct wbpf_oci_artifact *a);

#ifdef __cplusplus
}
#endif

#endif /* WBPF_OCI_H */
