// SPDX-License-Identifier: MIT
/* sha256 content digests (OpenSSL EVP), the store's only algorithm. */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oci/internal.h"

struct oci_hash {
	EVP_MD_CTX *ctx;
};

struct oci_hash *oci_hash__new(void)
{
	struct oci_hash *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->ctx = EVP_MD_CTX_new();
	if (!h->ctx || !EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL)) {
		oci_hash__free(h);
		return NULL;
	}
	return h;
}

void oci_hash__update(struct oci_hash *h, const void *p, size_t n)
{
	EVP_DigestUpdate(h->ctx, p, n);
}

static void format_digest(const unsigned char md[32], char *out)
{
	strcpy(out, "sha256:");
	for (unsigned i = 0; i < 32; i++)
		sprintf(out + 7 + 2 * i, "%02x", md[i]);
}

void oci_hash__final(struct oci_hash *h, char *out)
{
	unsigned char md[32];
	unsigned int len = 0;

	EVP_DigestFinal_ex(h->ctx, md, &len);
	format_digest(md, out);
	oci_hash__free(h);
}

void oci_hash__free(struct oci_hash *h)
{
	if (!h)
		return;
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

void oci_digest(const void *p, size_t n, char *out)
{
	unsigned char md[32];

	EVP_Digest(p, n, md, NULL, EVP_sha256(), NULL);
	format_digest(md, out);
}

bool oci_digest__valid(const char *d)
{
	if (!d || strncmp(d, "sha256:", 7) || strlen(d) != 7 + 64)
		return false;
	return strspn(d + 7, "0123456789abcdef") == 64;
}
