// SPDX-License-Identifier: MIT
/*
 * An L7 plugin image's plugin.json: a JSON object whose members are the
 * plugin's arguments, as `--plugin-arg key=value` gives them, e.g.
 *   {"port": 5353, "trace_header": "x-trace-id"}
 * Values are strings, numbers or booleans; anything else is refused, so
 * that an image never runs with part of its configuration dropped.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "oci/internal.h"

/* "key=value" for one member; NULL when the value has no scalar form. */
static char *member_arg(const char *key, json_t *v)
{
	char *out = NULL, *num = NULL;
	int n = -1;

	if (json_is_string(v))
		n = asprintf(&out, "%s=%s", key, json_string_value(v));
	else if (json_is_boolean(v))
		n = asprintf(&out, "%s=%s", key, json_is_true(v) ? "true" : "false");
	else if (json_is_number(v) && (num = json_dumps(v, JSON_ENCODE_ANY)))
		n = asprintf(&out, "%s=%s", key, num);
	free(num);
	return n < 0 ? NULL : out;
}

int oci_plugin_args__load(const char *path, char ***args, size_t *nargs,
			  struct wbpf_oci_error *err)
{
	json_error_t jerr;
	json_t *cfg = json_load_file(path, 0, &jerr), *v;
	const char *key;
	int ret = 0;

	*args = NULL;
	*nargs = 0;
	if (!json_is_object(cfg)) {
		json_decref(cfg);
		return oci_err(err, -EINVAL, "plugin.json: want a JSON object of arguments: %s",
			       cfg ? "not an object" : jerr.text);
	}
	*args = calloc(json_object_size(cfg) + 1, sizeof(char *));
	if (!*args)
		ret = oci_err(err, -ENOMEM, "out of memory");
	json_object_foreach(cfg, key, v) {
		if (ret)
			break;
		if (!((*args)[*nargs] = member_arg(key, v)))
			ret = oci_err(err, -EINVAL, "plugin.json: \"%s\" wants a string, number "
				      "or boolean", key);
		else
			(*nargs)++;
	}
	json_decref(cfg);
	while (ret && *nargs)
		free((*args)[--*nargs]);
	if (ret) {
		free(*args);
		*args = NULL;
	}
	return ret;
}
