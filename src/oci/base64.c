// SPDX-License-Identifier: MIT
/* Standard base64 with padding (RFC 4648), as registries' auth entries,
 * cosign's signatures and its key envelopes use it, over OpenSSL's codec. */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "oci/internal.h"

char *oci_base64__encode(const void *p, size_t n)
{
	char *out = malloc(4 * ((n + 2) / 3) + 1);

	if (out)
		EVP_EncodeBlock((unsigned char *)out, p, (int)n);
	return out;
}

unsigned char *oci_base64__decode(const char *s, size_t *len)
{
	size_t n = strlen(s);
	unsigned char *out = malloc(n + 1);
	int got = out && n % 4 == 0 ? EVP_DecodeBlock(out, (const unsigned char *)s, (int)n) : -1;

	if (got < 0) {
		free(out);
		return NULL;
	}
	/* DecodeBlock counts the padding as zero bytes. */
	while (n && s[n - 1] == '=' && got > 0) {
		n--;
		got--;
	}
	out[got] = '\0';
	*len = (size_t)got;
	return out;
}
