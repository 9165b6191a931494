/* SPDX-License-Identifier: MIT */
/*
 * Which wbpf this is: the release, the source commit it was built from and
 * the layers compiled in. `wbpf --version` prints the same three.
 */
#ifndef WBPF_VERSION_H
#define WBPF_VERSION_H

#ifdef __cplusplus
extern "C" {
#endif

/* "MAJOR.MINOR.PATCH"; the shared library's soname carries MAJOR. */
const char *wbpf_version__string(void);
/* The git commit (12 hex digits), or "unknown" outside a checkout. */
const char *wbpf_version__commit(void);
/* Space-separated layers built in, e.g. "abi bpf l7 sink wasi wasm". */
const char *wbpf_version__features(void);

#ifdef __cplusplus
}
#endif

#endif
