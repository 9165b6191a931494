// SPDX-License-Identifier: MIT
/* `wbpf login` / `wbpf logout`: credentials checked against the registry
 * before they are saved. */
#include <errno.h>
#include <string.h>

#include "oci/http.h"

/* "https://host/" or "host/..." as users paste them: the host. */
static int registry_host(const char *in, char *out, size_t n, struct wbpf_oci_error *err)
{
	const char *p = strstr(in, "://") ? strstr(in, "://") + 3 : in;
	size_t len = strcspn(p, "/");

	if (!len || len >= n)
		return oci_err(err, -EINVAL, "'%s' is not a registry name", in);
	memcpy(out, p, len);
	out[len] = '\0';
	return 0;
}

int wbpf_oci__login(const char *registry, const char *user, const char *password,
		    const struct wbpf_oci_remote_opts *opts, struct wbpf_oci_error *err)
{
	struct oci_http h;
	char host[256];
	int ret = registry_host(registry, host, sizeof(host), err);

	if (ret)
		return ret;
	ret = oci_http__open_as(&h, host, NULL, "pull", user, password, opts, err);
	if (ret == -EACCES)
		return oci_err(err, ret, "login to %s failed: user or password refused", host);
	if (ret)
		return ret;
	oci_http__close(&h);
	return oci_auth__save(opts, host, user, password, err);
}

int wbpf_oci__logout(const char *registry, const struct wbpf_oci_remote_opts *opts,
		     struct wbpf_oci_error *err)
{
	char host[256];
	int ret = registry_host(registry, host, sizeof(host), err);

	return ret ? ret : oci_auth__forget(opts, host, err);
}
