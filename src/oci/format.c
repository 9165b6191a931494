// SPDX-License-Identifier: MIT
/* Which of the image formats wbpf runs a manifest is, and its parts. */
#include <errno.h>
#include <string.h>
#include <sys/utsname.h>

#include "oci/internal.h"

const char *wbpf_oci_format__str(enum wbpf_oci_format f)
{
	switch (f) {
	case WBPF_OCI_FORMAT_WBPF: return "wbpf";
	case WBPF_OCI_FORMAT_WASM_V1: return "wasm";
	case WBPF_OCI_FORMAT_CNCF_WASM: return "cncf-wasm";
	case WBPF_OCI_FORMAT_GADGET: return "gadget";
	}
	return "unknown";
}

static bool is(const char *a, const char *b)
{
	return a && !strcmp(a, b);
}

static int add_bpf(struct oci_parts *p, const struct oci_desc *d, struct wbpf_oci_error *err)
{
	if (p->nbpf == sizeof(p->bpf) / sizeof(p->bpf[0]))
		return oci_err(err, -E2BIG, "image has more than %zu BPF objects",
			       sizeof(p->bpf) / sizeof(p->bpf[0]));
	p->bpf[p->nbpf++] = d;
	return 0;
}

static int set_wasm(struct oci_parts *p, const struct oci_desc *d, struct wbpf_oci_error *err)
{
	if (p->wasm)
		return oci_err(err, -EBADMSG, "image has more than one Wasm module layer");
	p->wasm = d;
	return 0;
}

/* One layer of a wbpf or gadget image; unknown layers are refused, since
 * they would carry something the plugin expects and wbpf would drop. */
static int add_layer(struct oci_parts *p, const struct oci_desc *d, struct wbpf_oci_error *err)
{
	const char *mt = d->media_type;

	if (is(mt, WBPF_OCI_MT_MODULE) || is(mt, WBPF_OCI_MT_IG_WASM))
		return set_wasm(p, d, err);
	if (is(mt, WBPF_OCI_MT_BPF) || is(mt, WBPF_OCI_MT_IG_EBPF))
		return add_bpf(p, d, err);
	if (is(mt, WBPF_OCI_MT_GADGET_YAML)) {
		p->yaml = d;
		return 0;
	}
	if (is(mt, WBPF_OCI_MT_PLUGIN_CONFIG)) {
		p->plugin_config = d;
		return 0;
	}
	if (is(mt, WBPF_OCI_MT_IG_BTFGEN))
		return 0;	/* BTF for kernels without it; this one has BTF */
	return oci_err(err, -EPROTONOSUPPORT, "unknown layer media type '%.200s'", mt);
}

static enum wbpf_oci_format detect(const struct oci_manifest *m)
{
	if (is(m->artifact_type, WBPF_OCI_ARTIFACT) || is(m->config.media_type, WBPF_OCI_MT_CONFIG))
		return WBPF_OCI_FORMAT_WBPF;
	if (is(m->artifact_type, WBPF_OCI_IG_ARTIFACT) ||
	    is(m->config.media_type, WBPF_OCI_MT_IG_CONFIG))
		return WBPF_OCI_FORMAT_GADGET;
	for (size_t i = 0; i < m->ndescs; i++) {
		if (!strncmp(m->descs[i].media_type, "application/vnd.gadget.", 23))
			return WBPF_OCI_FORMAT_GADGET;
		if (is(m->descs[i].media_type, WBPF_OCI_MT_WASM_LAYER_V1))
			return WBPF_OCI_FORMAT_WASM_V1;
		if (is(m->descs[i].media_type, WBPF_OCI_MT_WASM))
			return WBPF_OCI_FORMAT_CNCF_WASM;
	}
	return (enum wbpf_oci_format)-1;
}

/* ecli, wasm-to-oci and CNCF images: one raw Wasm layer is what runs. */
static int find_single_wasm(const struct oci_manifest *m, const char *mt, struct oci_parts *p,
			    struct wbpf_oci_error *err)
{
	for (size_t i = 0; i < m->ndescs; i++) {
		if (is(m->descs[i].media_type, mt) && set_wasm(p, &m->descs[i], err))
			return -EBADMSG;
	}
	return 0;
}

int oci_parts__find(const struct oci_manifest *m, struct oci_parts *p,
		    struct wbpf_oci_error *err)
{
	int ret = 0;

	memset(p, 0, sizeof(*p));
	if (m->is_index)
		return oci_err(err, -EINVAL, "an index, not an image manifest");
	p->format = detect(m);
	switch (p->format) {
	case WBPF_OCI_FORMAT_WBPF:
	case WBPF_OCI_FORMAT_GADGET:
		for (size_t i = 0; i < m->ndescs && !ret; i++)
			ret = add_layer(p, &m->descs[i], err);
		if (!ret && p->format == WBPF_OCI_FORMAT_GADGET &&
		    is(m->config.media_type, WBPF_OCI_MT_IG_CONFIG))
			p->yaml = &m->config;
		break;
	case WBPF_OCI_FORMAT_WASM_V1:
		ret = find_single_wasm(m, WBPF_OCI_MT_WASM_LAYER_V1, p, err);
		break;
	case WBPF_OCI_FORMAT_CNCF_WASM:
		ret = find_single_wasm(m, WBPF_OCI_MT_WASM, p, err);
		break;
	default:
		return oci_err(err, -EPROTONOSUPPORT, "not a Wasm plugin image (config '%.100s', "
			       "first layer '%.100s')", m->config.media_type,
			       m->ndescs ? m->descs[0].media_type : "none");
	}
	if (!ret && !p->wasm && !p->nbpf)
		ret = oci_err(err, -ENOENT, "%s image without a Wasm module or BPF object",
			      wbpf_oci_format__str(p->format));
	return ret;
}

const char *oci_host_arch(void)
{
	static const struct { const char *uname, *oci; } map[] = {
		{"x86_64", "amd64"}, {"aarch64", "arm64"}, {"armv7l", "arm"},
		{"i686", "386"}, {"ppc64le", "ppc64le"}, {"s390x", "s390x"},
		{"riscv64", "riscv64"},
	};
	struct utsname u;

	if (uname(&u))
		return "amd64";
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(u.machine, map[i].uname))
			return map[i].oci;
	return "unknown";
}

const struct oci_desc *oci_index__pick(const struct oci_manifest *idx)
{
	const char *arch = oci_host_arch();
	const struct oci_desc *any = NULL;

	for (size_t i = 0; i < idx->ndescs; i++) {
		const struct oci_desc *d = &idx->descs[i];

		if (!oci_media_type__is_manifest(d->media_type))
			continue;
		if (!d->arch)
			any = any ? any : d;
		else if (is(d->arch, arch) && (!d->os || is(d->os, "linux")))
			return d;
	}
	return any;
}
