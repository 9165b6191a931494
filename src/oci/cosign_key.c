// SPDX-License-Identifier: MIT
/*
 * cosign's encrypted private keys, as `cosign generate-key-pair` writes
 * them: a PEM block "ENCRYPTED SIGSTORE PRIVATE KEY" (cosign 1.x: "...
 * COSIGN PRIVATE KEY") whose body is JSON
 *   {"kdf": {"name": "scrypt", "params": {"N": 65536, "r": 8, "p": 1},
 *            "salt": B64},
 *    "cipher": {"name": "nacl/secretbox", "nonce": B64},
 *    "ciphertext": B64}
 * The key is scrypt(password, salt) (32 bytes), the ciphertext NaCl's
 * secretbox (XSalsa20-Poly1305, tag first) of the PKCS#8 DER private key.
 * The password comes from $COSIGN_PASSWORD, as cosign takes it.
 * libsodium does scrypt and secretbox: OpenSSL has no XSalsa20.
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "oci/internal.h"

#define PEM_SIGSTORE "ENCRYPTED SIGSTORE PRIVATE KEY"
#define PEM_COSIGN "ENCRYPTED COSIGN PRIVATE KEY"
#define SALT_LEN 32
/* What cosign writes now (older keys: N 32768); up to 64 MiB of scrypt
 * memory, so a crafted key cannot ask for more. */
#define SCRYPT_N 65536
#define SCRYPT_N_MAX 65536
#define SCRYPT_R 8
#define SCRYPT_P 1

struct envelope {
	unsigned char *salt, *nonce, *box;
	size_t nsalt, nnonce, nbox;
	json_int_t n;
};

static void envelope__free(struct envelope *e)
{
	free(e->salt);
	free(e->nonce);
	free(e->box);
}

static unsigned char *b64_member(json_t *obj, const char *key, size_t *len)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? oci_base64__decode(s, len) : NULL;
}

static int envelope__parse(const unsigned char *body, size_t len, struct envelope *e)
{
	json_t *j = json_loadb((const char *)body, len, 0, NULL);
	json_t *kdf = json_object_get(j, "kdf"), *cipher = json_object_get(j, "cipher");
	json_t *params = json_object_get(kdf, "params");
	const char *kname = json_string_value(json_object_get(kdf, "name"));
	const char *cname = json_string_value(json_object_get(cipher, "name"));
	int ret = 0;

	e->n = json_integer_value(json_object_get(params, "N"));
	if (!kname || strcmp(kname, "scrypt") || !cname || strcmp(cname, "nacl/secretbox"))
		ret = -EPROTONOSUPPORT;
	else if (e->n < 2 || e->n > SCRYPT_N_MAX || (e->n & (e->n - 1)) ||
		 json_integer_value(json_object_get(params, "r")) != SCRYPT_R ||
		 json_integer_value(json_object_get(params, "p")) != SCRYPT_P)
		ret = -ERANGE;
	if (!ret) {
		e->salt = b64_member(kdf, "salt", &e->nsalt);
		e->nonce = b64_member(cipher, "nonce", &e->nnonce);
		e->box = b64_member(j, "ciphertext", &e->nbox);
		if (!e->salt || !e->nonce || e->nnonce != crypto_secretbox_NONCEBYTES || !e->box ||
		    e->nbox < crypto_secretbox_MACBYTES)
			ret = -EBADMSG;
	}
	json_decref(j);
	return ret;
}

static int derive(const char *password, const struct envelope *e,
		  unsigned char key[crypto_secretbox_KEYBYTES])
{
	return crypto_pwhash_scryptsalsa208sha256_ll((const uint8_t *)password, strlen(password),
						     e->salt, e->nsalt, (uint64_t)e->n, SCRYPT_R,
						     SCRYPT_P, key, crypto_secretbox_KEYBYTES);
}

static EVP_PKEY *open_envelope(const char *path, const unsigned char *body, size_t len,
			       struct wbpf_oci_error *err)
{
	const char *password = getenv("COSIGN_PASSWORD");
	unsigned char key[crypto_secretbox_KEYBYTES], *der = NULL;
	const unsigned char *p;
	struct envelope e = {0};
	EVP_PKEY *k = NULL;
	int ret = envelope__parse(body, len, &e);

	if (ret == -EPROTONOSUPPORT)
		oci_err(err, ret, "%s: not scrypt + nacl/secretbox", path);
	else if (ret == -ERANGE)
		oci_err(err, ret, "%s: scrypt parameters out of range (N %lld)", path,
			(long long)e.n);
	else if (ret)
		oci_err(err, ret, "%s: malformed encrypted key", path);
	else if (!password)
		oci_err(err, -EINVAL, "%s: an encrypted cosign key: set COSIGN_PASSWORD", path);
	else if (sodium_init() < 0 || derive(password, &e, key) ||
		 !(der = malloc(e.nbox - crypto_secretbox_MACBYTES + 1)))
		oci_err(err, -ENOMEM, "%s: cannot derive the key (out of memory)", path);
	else if (crypto_secretbox_open_easy(der, e.box, e.nbox, e.nonce, key))
		oci_err(err, -EKEYREJECTED, "%s: wrong COSIGN_PASSWORD, or a corrupted key", path);
	else if (p = der, !(k = d2i_AutoPrivateKey(NULL, &p, (long)(e.nbox -
								    crypto_secretbox_MACBYTES))))
		oci_err(err, -EBADMSG, "%s: the decrypted key is no PKCS#8 private key", path);
	sodium_memzero(key, sizeof(key));
	if (der)
		sodium_memzero(der, e.nbox - crypto_secretbox_MACBYTES);
	free(der);
	envelope__free(&e);
	return k;
}

EVP_PKEY *oci_cosign_key__read(const char *path, struct wbpf_oci_error *err)
{
	char *name = NULL, *header = NULL;
	unsigned char *body = NULL;
	long len = 0;
	EVP_PKEY *k = NULL;
	FILE *f = fopen(path, "re");

	if (!f) {
		oci_err(err, -errno, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (!PEM_read(f, &name, &header, &body, &len))
		oci_err(err, -EINVAL, "%s: not a PEM file", path);
	else if (!strcmp(name, PEM_SIGSTORE) || !strcmp(name, PEM_COSIGN))
		k = open_envelope(path, body, (size_t)len, err);
	else if (rewind(f), !(k = PEM_read_PrivateKey(f, NULL, NULL, NULL)))
		oci_err(err, -EINVAL, "%s: neither a PEM private key nor cosign's encrypted one "
			"(%s)", path, name);
	fclose(f);
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_clear_free(body, (size_t)len);
	return k;
}

/* ------------------------------------------------------------ writing */

static char *seal(EVP_PKEY *k, const char *password)
{
	unsigned char salt[SALT_LEN], nonce[crypto_secretbox_NONCEBYTES];
	unsigned char key[crypto_secretbox_KEYBYTES], *der = NULL, *box = NULL;
	struct envelope e = {.salt = salt, .nsalt = sizeof(salt), .n = SCRYPT_N};
	char *b64[3] = {0}, *out = NULL;
	PKCS8_PRIV_KEY_INFO *p8 = EVP_PKEY2PKCS8(k);
	int dlen = p8 ? i2d_PKCS8_PRIV_KEY_INFO(p8, &der) : -1;
	PKCS8_PRIV_KEY_INFO_free(p8);
	randombytes_buf(salt, sizeof(salt));
	randombytes_buf(nonce, sizeof(nonce));
	if (dlen > 0 && !derive(password, &e, key) &&
	    (box = malloc((size_t)dlen + crypto_secretbox_MACBYTES)) &&
	    !crypto_secretbox_easy(box, der, (unsigned long long)dlen, nonce, key)) {
		b64[0] = oci_base64__encode(salt, sizeof(salt));
		b64[1] = oci_base64__encode(nonce, sizeof(nonce));
		b64[2] = oci_base64__encode(box, (size_t)dlen + crypto_secretbox_MACBYTES);
	}
	if (b64[0] && b64[1] && b64[2] &&
	    asprintf(&out, "{\"kdf\":{\"name\":\"scrypt\",\"params\":{\"N\":%d,\"r\":%d,\"p\":%d},"
		     "\"salt\":\"%s\"},\"cipher\":{\"name\":\"nacl/secretbox\",\"nonce\":\"%s\"},"
		     "\"ciphertext\":\"%s\"}", SCRYPT_N, SCRYPT_R, SCRYPT_P, b64[0], b64[1],
		     b64[2]) < 0)
		out = NULL;
	sodium_memzero(key, sizeof(key));
	if (der)
		OPENSSL_clear_free(der, (size_t)dlen);
	free(box);
	for (int i = 0; i < 3; i++)
		free(b64[i]);
	return out;
}

/* A new file, never over an existing one (a key is not to be lost). */
static FILE *create(const char *path, mode_t mode, struct wbpf_oci_error *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;

	if (!f) {
		oci_err(err, -errno, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	return f;
}

static int write_pair(EVP_PKEY *k, const char *sealed, const char *key_path,
		      const char *pub_path, struct wbpf_oci_error *err)
{
	FILE *f = create(key_path, 0600, err);
	bool ok = f && PEM_write(f, PEM_SIGSTORE, "", (const unsigned char *)sealed,
				 (long)strlen(sealed)) > 0;

	if (f && (fclose(f) || !ok))
		return oci_err(err, -EIO, "%s: cannot write", key_path);
	if (!f)
		return -EEXIST;
	f = create(pub_path, 0644, err);
	ok = f && PEM_write_PUBKEY(f, k) == 1;
	if (f && (fclose(f) || !ok))
		return oci_err(err, -EIO, "%s: cannot write", pub_path);
	return f ? 0 : -EEXIST;
}

int wbpf_oci__generate_key_pair(const char *prefix, struct wbpf_oci_error *err)
{
	const char *password = getenv("COSIGN_PASSWORD");
	char *key_path = NULL, *pub_path = NULL, *sealed = NULL;
	EVP_PKEY *k = NULL;
	int ret = 0;

	if (!password)
		return oci_err(err, -EINVAL, "set COSIGN_PASSWORD (it encrypts the private key)");
	if (asprintf(&key_path, "%s.key", prefix) < 0 || asprintf(&pub_path, "%s.pub", prefix) < 0)
		ret = oci_err(err, -ENOMEM, "out of memory");
	if (!ret && (!access(key_path, F_OK) || !access(pub_path, F_OK)))
		ret = oci_err(err, -EEXIST, "%s: File exists", access(key_path, F_OK) ? pub_path :
			      key_path);
	if (!ret && sodium_init() < 0)
		ret = oci_err(err, -EIO, "libsodium does not start");
	if (!ret && !(k = EVP_EC_gen("P-256")))
		ret = oci_err(err, -EIO, "cannot make an ECDSA P-256 key");
	if (!ret && !(sealed = seal(k, password)))
		ret = oci_err(err, -ENOMEM, "cannot encrypt the key (out of memory)");
	if (!ret)
		ret = write_pair(k, sealed, key_path, pub_path, err);
	free(sealed);
	free(key_path);
	free(pub_path);
	EVP_PKEY_free(k);
	return ret;
}
