// SPDX-License-Identifier: MIT
/*
 * The host reports Linux errno values; wasi-libc numbers errno its own way
 * (ENOENT is 44 there). Guest code compares against wasi-libc's macros,
 * so every value leaving the SDK is converted here.
 */
#include <errno.h>
#include <stddef.h>

#include "internal.h"

static const unsigned short linux_to_wasi[] = {
	[1] = EPERM, [2] = ENOENT, [3] = ESRCH, [4] = EINTR, [5] = EIO,
	[6] = ENXIO, [7] = E2BIG, [8] = ENOEXEC, [9] = EBADF, [10] = ECHILD,
	[11] = EAGAIN, [12] = ENOMEM, [13] = EACCES, [14] = EFAULT,
	[16] = EBUSY, [17] = EEXIST, [18] = EXDEV, [19] = ENODEV,
	[20] = ENOTDIR, [21] = EISDIR, [22] = EINVAL, [23] = ENFILE,
	[24] = EMFILE, [25] = ENOTTY, [26] = ETXTBSY, [27] = EFBIG,
	[28] = ENOSPC, [29] = ESPIPE, [30] = EROFS, [31] = EMLINK, [32] = EPIPE,
	[33] = EDOM, [34] = ERANGE, [35] = EDEADLK, [36] = ENAMETOOLONG,
	[37] = ENOLCK, [38] = ENOSYS, [39] = ENOTEMPTY, [40] = ELOOP,
	[42] = ENOMSG, [43] = EIDRM, [67] = ENOLINK, [71] = EPROTO,
	[72] = EMULTIHOP, [74] = EBADMSG, [75] = EOVERFLOW, [84] = EILSEQ,
	[88] = ENOTSOCK, [89] = EDESTADDRREQ, [90] = EMSGSIZE,
	[91] = EPROTOTYPE, [92] = ENOPROTOOPT, [93] = EPROTONOSUPPORT,
	[95] = EOPNOTSUPP, [97] = EAFNOSUPPORT, [98] = EADDRINUSE,
	[99] = EADDRNOTAVAIL, [100] = ENETDOWN, [101] = ENETUNREACH,
	[102] = ENETRESET, [103] = ECONNABORTED, [104] = ECONNRESET,
	[105] = ENOBUFS, [106] = EISCONN, [107] = ENOTCONN, [110] = ETIMEDOUT,
	[111] = ECONNREFUSED, [113] = EHOSTUNREACH, [114] = EALREADY,
	[115] = EINPROGRESS, [116] = ESTALE, [122] = EDQUOT, [125] = ECANCELED,
	[130] = EOWNERDEAD, [131] = ENOTRECOVERABLE,
};

/* The kernel's internal ENOTSUPP leaks out of some BPF commands. */
#define LINUX_ENOTSUPP 524

int wbpf_errno(int linux_errno)
{
	size_t n = sizeof(linux_to_wasi) / sizeof(linux_to_wasi[0]);

	if (linux_errno == LINUX_ENOTSUPP)
		return ENOTSUP;
	if (linux_errno > 0 && (size_t)linux_errno < n && linux_to_wasi[linux_errno])
		return linux_to_wasi[linux_errno];
	return EIO;
}

int sdk_fail(int wasi_errno)
{
	errno = wasi_errno;
	return -wasi_errno;
}

void *sdk_fail_null(int wasi_errno)
{
	errno = wasi_errno;
	return NULL;
}

int sdk_ret(int host_ret)
{
	return host_ret < 0 ? sdk_fail(wbpf_errno(-host_ret)) : host_ret;
}

void *sdk_null(int host_ret)
{
	return sdk_fail_null(wbpf_errno(-host_ret));
}
