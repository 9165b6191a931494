// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "wasm/module.h"

static int errno_of(enum wbpf_error_kind kind)
{
	switch (kind) {
	case WBPF_ERR_MALFORMED: return -EBADMSG;
	case WBPF_ERR_INVALID: return -EINVAL;
	case WBPF_ERR_LINK: return -ENOENT;
	case WBPF_ERR_TRAP: return -EFAULT;
	case WBPF_ERR_EXIT: return -ECANCELED;
	case WBPF_ERR_NOMEM: return -ENOMEM;
	case WBPF_ERR_ARG:
	case WBPF_OK: break;
	}
	return -EINVAL;
}

const char *wbpf_valtype__str(enum wbpf_valtype type)
{
	switch (type) {
	case WBPF_I32: return "i32";
	case WBPF_I64: return "i64";
	case WBPF_F32: return "f32";
	case WBPF_F64: return "f64";
	case WBPF_V128: return "v128";
	case WBPF_FUNCREF: return "funcref";
	case WBPF_EXTERNREF: return "externref";
	}
	return "unknown";
}

int wasm_fail(struct wbpf_error *err, enum wbpf_error_kind kind, const char *fmt, ...)
{
	if (err) {
		va_list ap;

		err->kind = kind;
		err->trap = WBPF_TRAP_NONE;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return errno_of(kind);
}

int wasm_load_interrupted_slow(struct wbpf_error *err, const char *fmt, ...)
{
	char where[256];
	va_list ap;
	int ret;

	va_start(ap, fmt);
	vsnprintf(where, sizeof(where), fmt, ap);
	va_end(ap);
	ret = wasm_fail(err, WBPF_ERR_TRAP, "interrupted while loading (%s)", where);
	if (err)
		err->trap = WBPF_TRAP_INTERRUPTED;
	return ret;
}
