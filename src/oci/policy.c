// SPDX-License-Identifier: MIT
/*
 * The trust policy enforced on run: a JSON file of rules, the first whose
 * pattern (fnmatch) matches the reference wins:
 *   {"rules": [{"match": "registry.example/team*", "keys": ["/etc/wbpf/team.pub"]},
 *              {"match": "*", "keys": []}]}
 * A rule with keys requires a signature that verifies with one of them;
 * one with no keys lets the image run unsigned. No rule: unsigned is fine.
 * The signature must name the reference's own repository (its payload's
 * docker-reference), as containers/image enforces; a mirror of an image
 * signed elsewhere names the original in "signedIdentity":
 *   {"match": "mirror.local/team/app:*", "keys": [...],
 *    "signedIdentity": "registry.example/team/app"}
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "oci/internal.h"

static char *policy_path(const struct wbpf_oci_resolve_opts *o)
{
	const char *env = getenv("WBPF_POLICY"), *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	char *p = NULL;

	if (o->policy_file)
		return strdup(o->policy_file);
	if (env && *env)
		return strdup(env);
	if (geteuid() == 0)
		return strdup("/etc/wbpf/policy.json");
	if (xdg && *xdg && asprintf(&p, "%s/wbpf/policy.json", xdg) >= 0)
		return p;
	if (asprintf(&p, "%s/.config/wbpf/policy.json", home ? home : ".") >= 0)
		return p;
	return NULL;
}

static json_t *rule_for(json_t *policy, const char *ref)
{
	size_t i;
	json_t *rule;

	json_array_foreach(json_object_get(policy, "rules"), i, rule) {
		const char *pat = json_string_value(json_object_get(rule, "match"));

		if (pat && !fnmatch(pat, ref, 0))
			return rule;
	}
	return NULL;
}

static int check_keys(struct wbpf_oci_store *s, const char *ref, json_t *rule,
		      const struct wbpf_oci_resolve_opts *opts, struct wbpf_oci_error *err)
{
	const char *identity = json_string_value(json_object_get(rule, "signedIdentity"));
	json_t *k, *keys = json_object_get(rule, "keys");
	struct wbpf_oci_error last = {"no key"};
	size_t i;

	json_array_foreach(keys, i, k) {
		const char *path = json_string_value(k);

		if (path && !oci_sign__verify(s, ref, path, identity, &opts->remote, &last))
			return 0;
	}
	return oci_err(err, -EKEYREJECTED, "refused by the trust policy: %s", last.msg);
}

int oci_policy__check(struct wbpf_oci_store *s, const char *ref,
		      const struct wbpf_oci_resolve_opts *opts, struct wbpf_oci_error *err)
{
	char *path = policy_path(opts);
	json_error_t jerr;
	json_t *policy = NULL, *rule;
	int ret = 0;

	if (path && !access(path, F_OK)) {
		policy = json_load_file(path, 0, &jerr);
		if (!json_is_array(json_object_get(policy, "rules")))
			ret = oci_err(err, -EINVAL, "policy %s: want {\"rules\": [...]}: %s", path,
				      policy ? "no rules array" : jerr.text);
	}
	rule = ret ? NULL : rule_for(policy, ref);
	if (json_array_size(json_object_get(rule, "keys")))
		ret = check_keys(s, ref, rule, opts, err);
	json_decref(policy);
	free(path);
	return ret;
}
