// SPDX-License-Identifier: MIT
/*
 * Signatures in cosign's key-pair format: an ECDSA P-256 signature (DER,
 * base64 in the layer annotation dev.cosignproject.cosign/signature) over
 * the simple-signing payload, which names the image's manifest digest;
 * stored as an OCI image under the tag sha256-<hex>.sig of the same
 * repository.
 */
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oci/http.h"

#define COSIGN_LAYER "application/vnd.dev.cosign.simplesigning.v1+json"
#define COSIGN_ANNOTATION "dev.cosignproject.cosign/signature"
#define COSIGN_TYPE "cosign container image signature"
#define OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define SIG_MAX (64u << 10)

static char *payload_for(const struct oci_ref *r, const char *digest, size_t *len)
{
	json_t *p = json_pack("{s:{s:{s:s++}, s:{s:s}, s:s}, s:n}", "critical", "identity",
			      "docker-reference", r->registry, "/", r->repo, "image",
			      "docker-manifest-digest", digest, "type", COSIGN_TYPE, "optional");
	char *s = p ? oci_json__dump(p, len) : NULL;

	json_decref(p);
	return s;
}

static EVP_PKEY *load_key(const char *path, bool private, struct wbpf_oci_error *err)
{
	FILE *f;
	EVP_PKEY *k;

	if (private)
		return oci_cosign_key__read(path, err);
	f = fopen(path, "re");
	if (!f) {
		oci_err(err, -errno, "%s: %s", path, strerror(errno));
		return NULL;
	}
	k = PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	if (!k)
		oci_err(err, -EINVAL, "%s: not a PEM public key", path);
	return k;
}

static char *sign_bytes(EVP_PKEY *k, const char *payload, size_t len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char sig[256];
	size_t slen = sizeof(sig);
	char *out = NULL;

	if (ctx && EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, k) == 1 &&
	    EVP_DigestSign(ctx, sig, &slen, (const unsigned char *)payload, len) == 1)
		out = oci_base64__encode(sig, slen);
	EVP_MD_CTX_free(ctx);
	return out;
}

/* The signature image: payload layer, a minimal config, the manifest. */
static int store_signature(struct wbpf_oci_store *s, const char *sig_ref, const char *payload,
			   size_t plen, const char *sig, struct wbpf_oci_error *err)
{
	struct oci_desc layer = {.media_type = COSIGN_LAYER, .size = plen};
	struct oci_desc config = {.media_type = OCI_CONFIG};
	struct oci_desc top = {.media_type = WBPF_OCI_MT_MANIFEST};
	char cfg[256], *text = NULL;
	json_t *m = NULL, *l;
	size_t len = 0;
	int ret = oci_store__put_blob(s, payload, plen, layer.digest, err);

	snprintf(cfg, sizeof(cfg), "{\"architecture\":\"\",\"os\":\"\",\"config\":{},"
		 "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"%s\"]}}", layer.digest);
	config.size = strlen(cfg);
	if (!ret)
		ret = oci_store__put_blob(s, cfg, config.size, config.digest, err);
	l = ret ? NULL : oci_desc__json(&layer);
	if (l)
		json_object_set_new(l, "annotations", json_pack("{s:s}", COSIGN_ANNOTATION, sig));
	if (l)
		m = json_pack("{s:i, s:s, s:o, s:[o]}", "schemaVersion", 2, "mediaType",
			      WBPF_OCI_MT_MANIFEST, "config", oci_desc__json(&config), "layers", l);
	if (!ret && !(text = m ? oci_json__dump(m, &len) : NULL))
		ret = oci_err(err, -ENOMEM, "out of memory");
	if (!ret)
		ret = oci_store__put_blob(s, text, len, top.digest, err);
	top.size = len;
	if (!ret)
		ret = oci_store__set_ref(s, sig_ref, &top, err);
	json_decref(m);
	free(text);
	return ret;
}

/* The image's digest and the name of its signature tag. */
static int sig_name(struct wbpf_oci_store *s, const char *ref, struct oci_ref *r, char *digest,
		    char **sig_ref, struct wbpf_oci_error *err)
{
	struct oci_desc d;
	char tag[OCI_DIGEST_MAX + 8];
	int ret = oci_store__lookup(s, ref, &d, NULL, err);

	if (ret)
		return ret;
	strcpy(digest, d.digest);
	free(d.media_type);
	ret = oci_ref__parse(ref, r, err);
	if (ret)
		return ret;
	snprintf(tag, sizeof(tag), "sha256-%s.sig", digest + 7);
	*sig_ref = oci_ref__with_tag(r, tag);
	if (!*sig_ref) {
		oci_ref__free(r);
		return oci_err(err, -ENOMEM, "out of memory");
	}
	return 0;
}

int wbpf_oci__sign(struct wbpf_oci_store *s, const char *ref, const char *key_path,
		   const struct wbpf_oci_remote_opts *opts, struct wbpf_oci_error *err)
{
	char digest[OCI_DIGEST_MAX], *sig_ref = NULL, *payload = NULL, *sig = NULL;
	EVP_PKEY *k = load_key(key_path, true, err);
	struct oci_ref r;
	size_t plen;
	int ret = k ? sig_name(s, ref, &r, digest, &sig_ref, err) : -EINVAL;

	if (ret) {
		EVP_PKEY_free(k);
		return ret;
	}
	payload = payload_for(&r, digest, &plen);
	sig = payload ? sign_bytes(k, payload, plen) : NULL;
	ret = sig ? store_signature(s, sig_ref, payload, plen, sig, err) :
		oci_err(err, -EINVAL, "%s: signing failed (an ECDSA P-256 key?)", key_path);
	if (!ret)
		ret = wbpf_oci__push(s, sig_ref, opts, err);
	free(sig);
	free(payload);
	free(sig_ref);
	oci_ref__free(&r);
	EVP_PKEY_free(k);
	return ret;
}

/* ------------------------------------------------------------ verify */

static bool sig_ok(EVP_PKEY *k, const char *payload, size_t len, const char *sig_b64)
{
	size_t dlen;
	unsigned char *der = oci_base64__decode(sig_b64, &dlen);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bool ok = false;

	if (der && dlen && ctx && EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, k) == 1)
		ok = EVP_DigestVerify(ctx, der, dlen, (const unsigned char *)payload, len) == 1;
	EVP_MD_CTX_free(ctx);
	free(der);
	return ok;
}

/* Docker Hub answers to two names; cosign writes the longer one. */
static const char *hub_alias(const char *name)
{
	return strncmp(name, "index.docker.io/", 16) ? name : name + 6;
}

/* Whether docker-reference names the repository `want` (registry/repo);
 * a tag or digest after the repository, as some signers add, is ignored. */
static bool identity_ok(const char *ref, const char *want)
{
	const char *a = hub_alias(ref), *b = hub_alias(want);
	const char *slash = strrchr(a, '/'), *at = strchr(a, '@');
	const char *colon = slash ? strchr(slash, ':') : NULL;
	size_t n = at ? (size_t)(at - a) : strlen(a);

	if (colon && (size_t)(colon - a) < n)
		n = (size_t)(colon - a);
	return n == strlen(b) && !strncmp(a, b, n);
}

/* The payload must vouch for this very manifest, under this name. */
static int payload_ok(const char *payload, size_t len, const char *digest, const char *identity)
{
	json_t *j = json_loadb(payload, len, 0, NULL), *c = json_object_get(j, "critical");
	const char *d = json_string_value(json_object_get(json_object_get(c, "image"),
							  "docker-manifest-digest"));
	const char *t = json_string_value(json_object_get(c, "type"));
	const char *who = json_string_value(json_object_get(json_object_get(c, "identity"),
							    "docker-reference"));
	int ret = !d || !t || strcmp(d, digest) || strcmp(t, COSIGN_TYPE) ? -EBADMSG :
		!who || !identity_ok(who, identity) ? -EXDEV : 0;

	json_decref(j);
	return ret;
}

static int verify_layer(struct wbpf_oci_store *s, EVP_PKEY *k, const struct oci_manifest *m,
			size_t i, const char *digest, const char *identity)
{
	json_t *l = json_array_get(json_object_get(m->json, "layers"), i);
	const char *sig = json_string_value(json_object_get(json_object_get(l, "annotations"),
							    COSIGN_ANNOTATION));
	char *payload;
	size_t len;
	int ret;

	if (!sig || strcmp(m->descs[i].media_type, COSIGN_LAYER))
		return -EBADMSG;
	ret = oci_store__read_blob(s, m->descs[i].digest, SIG_MAX, &payload, &len, NULL);
	if (ret)
		return ret;
	ret = !sig_ok(k, payload, len, sig) ? -EKEYREJECTED :
		payload_ok(payload, len, digest, identity);
	free(payload);
	return ret;
}

static int verify_local(struct wbpf_oci_store *s, const char *sig_ref, const char *digest,
			EVP_PKEY *k, const char *ref, const char *identity,
			struct wbpf_oci_error *err)
{
	struct oci_manifest m;
	struct oci_desc d;
	int ret = oci_store__lookup(s, sig_ref, &d, NULL, NULL), last = -ENOENT;

	if (ret)
		return oci_err(err, -ENOENT, "%s: no signature (%s)", ref, sig_ref);
	ret = oci_store__manifest(s, d.digest, &m, err);
	free(d.media_type);
	if (ret)
		return ret;
	for (size_t i = 0; i < m.ndescs && last; i++)
		last = verify_layer(s, k, &m, i, digest, identity);
	oci_manifest__free(&m);
	if (last == -EKEYREJECTED)
		return oci_err(err, last, "%s: signature does not verify with this key", ref);
	if (last == -EXDEV)
		return oci_err(err, -EKEYREJECTED, "%s: signed for another image (its "
			       "docker-reference is not %s)", ref, identity);
	if (last)
		return oci_err(err, -EBADMSG, "%s: no valid signature for %s", ref, digest);
	return 0;
}

int oci_sign__verify(struct wbpf_oci_store *s, const char *ref, const char *pub_path,
		     const char *identity, const struct wbpf_oci_remote_opts *opts,
		     struct wbpf_oci_error *err)
{
	char digest[OCI_DIGEST_MAX], *sig_ref = NULL, *own = NULL;
	EVP_PKEY *k = load_key(pub_path, false, err);
	struct wbpf_oci_error pull_err;
	struct oci_ref r;
	int pulled, ret = k ? sig_name(s, ref, &r, digest, &sig_ref, err) : -EINVAL;

	if (ret) {
		EVP_PKEY_free(k);
		return ret;
	}
	if (!identity && asprintf(&own, "%s/%s", r.registry, r.repo) < 0)
		own = NULL;
	/* The registry's current signatures; the store's copy when offline. */
	pulled = wbpf_oci__pull(s, sig_ref, opts, &pull_err);
	if (!identity && !own) {
		ret = oci_err(err, -ENOMEM, "out of memory");
	} else if (pulled == -ENOENT) {
		ret = oci_err(err, pulled, "%s: no signature in the registry (%s)", ref, sig_ref);
	} else {
		ret = verify_local(s, sig_ref, digest, k, ref, identity ? identity : own, err);
		if (ret == -ENOENT && pulled)
			ret = oci_err(err, pulled, "%s: cannot fetch its signature: %s", ref,
				      pull_err.msg);
	}
	free(own);
	free(sig_ref);
	oci_ref__free(&r);
	EVP_PKEY_free(k);
	return ret;
}

int wbpf_oci__verify(struct wbpf_oci_store *s, const char *ref, const char *pub_path,
		     const struct wbpf_oci_remote_opts *opts, struct wbpf_oci_error *err)
{
	return oci_sign__verify(s, ref, pub_path, NULL, opts, err);
}
