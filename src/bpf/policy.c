// SPDX-License-Identifier: MIT
/*
 * The helper policy: before an object is loaded, every call instruction
 * in its code is checked against the helpers the runner allows. Helpers
 * that act on other processes or write memory are refused unless granted
 * by name or by class; the classes and the reasons are in docs/security.md.
 *
 * The raw ELF is scanned, not libbpf's per-program view, because libbpf
 * does not expose the subprograms (.text) it appends to each program at
 * load, and a helper called from one would be missed.
 */
#include <errno.h>
#include <gelf.h>
#include <linux/bpf.h>
#include <string.h>

#include <bpf/btf.h>

#include "bpf/internal.h"

enum helper_class {
	CLASS_NONE, /* allowed */
	CLASS_SIGNAL,
	CLASS_USER_WRITE,
	CLASS_OVERRIDE,
	CLASS_SYSCALL,
	CLASS__MAX,
};

static const char *const class_names[CLASS__MAX] = {
	[CLASS_SIGNAL] = "signal",
	[CLASS_USER_WRITE] = "user-write",
	[CLASS_OVERRIDE] = "override",
	[CLASS_SYSCALL] = "syscall",
};

#define KFUNC_CLASS "kfunc"

#define HELPER_NAME(x) [BPF_FUNC_##x] = "bpf_" #x
static const char *const helper_names[__BPF_FUNC_MAX_ID] = { __BPF_FUNC_MAPPER(HELPER_NAME) };
#undef HELPER_NAME

static const uint8_t helper_class[__BPF_FUNC_MAX_ID] = {
	/* signals to whatever task is current, i.e. any process */
	[BPF_FUNC_send_signal] = CLASS_SIGNAL,
	[BPF_FUNC_send_signal_thread] = CLASS_SIGNAL,
	/* writes into the memory of the current process */
	[BPF_FUNC_probe_write_user] = CLASS_USER_WRITE,
	/* change what another process's call returns or does */
	[BPF_FUNC_override_return] = CLASS_OVERRIDE,
	[BPF_FUNC_set_retval] = CLASS_OVERRIDE,
	[BPF_FUNC_sysctl_set_new_value] = CLASS_OVERRIDE,
	[BPF_FUNC_bprm_opts_set] = CLASS_OVERRIDE,
	/* bpf() and close() with the loader's privileges, kernel addresses */
	[BPF_FUNC_sys_bpf] = CLASS_SYSCALL,
	[BPF_FUNC_sys_close] = CLASS_SYSCALL,
	[BPF_FUNC_kallsyms_lookup_name] = CLASS_SYSCALL,
};

static int class_parse(const char *name)
{
	for (int c = CLASS_NONE + 1; c < CLASS__MAX; c++)
		if (strcmp(name, class_names[c]) == 0)
			return c;
	return -EINVAL;
}

static int helper_parse(const char *name)
{
	for (int id = 1; id < __BPF_FUNC_MAX_ID; id++)
		if (helper_names[id] && strcmp(name, helper_names[id]) == 0)
			return id;
	return -EINVAL;
}

bool wbpf_bpf_helper__grantable(const char *name)
{
	return name && (!strcmp(name, KFUNC_CLASS) || class_parse(name) > 0 ||
			helper_parse(name) > 0);
}

int wbpf_bpf_host__allow_helper(struct wbpf_bpf_host *host, const char *name)
{
	int id, c;

	if (!name)
		return -EINVAL;
	if (!strcmp(name, KFUNC_CLASS)) {
		host->kfunc_granted = true;
		return 0;
	}
	if ((c = class_parse(name)) > 0) {
		for (id = 0; id < __BPF_FUNC_MAX_ID; id++)
			if (helper_class[id] == c)
				host->helper_granted[id] = true;
		return 0;
	}
	if ((id = helper_parse(name)) < 0)
		return id;
	host->helper_granted[id] = true;
	return 0;
}

/* Where a call was found, for the refusal message. */
struct call_site {
	Elf *elf;
	size_t shndx, off;
	const char *section;
};

/* The function the instruction at `s` belongs to, or NULL; *start gets
 * that function's first byte. */
static const char *site_function(const struct call_site *s, size_t *start)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	GElf_Sym sym;
	Elf_Data *d;

	while ((scn = elf_nextscn(s->elf, scn))) {
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || !(d = elf_getdata(scn, NULL)))
			continue;
		for (int i = 0; gelf_getsym(d, i, &sym); i++) {
			if (GELF_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_shndx != s->shndx ||
			    s->off < sym.st_value || s->off - sym.st_value >= sym.st_size)
				continue;
			*start = sym.st_value;
			return elf_strptr(s->elf, sh.sh_link, sym.st_name);
		}
	}
	return NULL;
}

/* Programs the guest turned off are not loaded: their calls do not count. */
static bool site_skipped(const struct bpf_obj *o, const char *func)
{
	struct bpf_program *prog = func ? bpf_object__find_program_by_name(o->bpf, func) : NULL;

	return prog && !bpf_program__autoload(prog);
}

static int refuse_call(const struct wbpf_bpf_host *host, const struct call_site *s, int32_t id)
{
	size_t start = 0;
	const char *func = site_function(s, &start);
	size_t insn = (s->off - start) / sizeof(struct bpf_insn);
	const char *helper = id > 0 && id < __BPF_FUNC_MAX_ID ? helper_names[id] : NULL;
	char where[160];

	if (func)
		snprintf(where, sizeof(where), "program '%s'", func);
	else
		snprintf(where, sizeof(where), "section '%s'", s->section ? s->section : "?");
	if (!helper)
		return host_deny(host, "%s calls unknown helper %d at instruction %zu", where, id, insn);
	return host_deny(host, "%s calls %s (helper %d) at instruction %zu: not allowed (allow with "
			 "--allow-helper %s or --allow-helper %s)", where, helper, id, insn, helper,
			 class_names[helper_class[id]]);
}

static int refuse_kfunc(const struct wbpf_bpf_host *host, const struct call_site *s)
{
	size_t start = 0;
	const char *func = site_function(s, &start);

	return host_deny(host, "program '%s' calls a kernel function (kfunc) at instruction %zu: not "
			 "allowed (allow with --allow-helper " KFUNC_CLASS ")", func ? func : "?",
			 (s->off - start) / sizeof(struct bpf_insn));
}

static bool helper_allowed(const struct wbpf_bpf_host *host, int32_t id)
{
	if (id <= 0 || id >= __BPF_FUNC_MAX_ID || !helper_names[id])
		return false;
	return helper_class[id] == CLASS_NONE || host->helper_granted[id];
}

/* Every call instruction of one code section. */
static int check_section(const struct wbpf_bpf_host *host, const struct bpf_obj *o,
			 struct call_site *s, const Elf_Data *d)
{
	struct bpf_insn insn;

	for (s->off = 0; s->off + sizeof(insn) <= d->d_size; s->off += sizeof(insn)) {
		memcpy(&insn, (const char *)d->d_buf + s->off, sizeof(insn));
		if (insn.code != (BPF_JMP | BPF_CALL))
			continue;
		if (insn.src_reg == 0 && !helper_allowed(host, insn.imm) &&
		    !site_skipped(o, site_function(s, &(size_t){ 0 })))
			return refuse_call(host, s, insn.imm);
		if (insn.src_reg == BPF_PSEUDO_KFUNC_CALL && !host->kfunc_granted)
			return refuse_kfunc(host, s);
	}
	return 0;
}

/* Kernel functions the object declares: libbpf turns calls to them into
 * kfunc calls at load. A FUNC's vlen is its linkage. */
static int check_kfuncs(const struct wbpf_bpf_host *host, const struct bpf_obj *o)
{
	const struct btf *btf = bpf_object__btf(o->bpf);
	const struct btf_type *t;

	for (uint32_t id = 1; btf && !host->kfunc_granted && id < btf__type_cnt(btf); id++) {
		t = btf__type_by_id(btf, id);
		if (t && btf_is_func(t) && btf_vlen(t) == BTF_FUNC_EXTERN)
			return host_deny(host, "the object calls kernel function '%s' (a kfunc): not "
					 "allowed (allow with --allow-helper " KFUNC_CLASS ")",
					 btf__name_by_offset(btf, t->name_off));
	}
	return 0;
}

int object_check_helpers(const struct wbpf_bpf_host *host, const struct bpf_obj *o)
{
	struct call_site s = { 0 };
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	GElf_Shdr sh;
	Elf_Data *d;
	int err = 0;

	if (elf_version(EV_CURRENT) != EV_NONE)
		s.elf = elf_memory(o->elf, o->elf_size);
	if (!s.elf || elf_getshdrstrndx(s.elf, &shstrndx)) {
		err = -EINVAL;
		goto out;
	}
	while (!err && (scn = elf_nextscn(s.elf, scn))) {
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS ||
		    !(sh.sh_flags & SHF_EXECINSTR) || !(d = elf_getdata(scn, NULL)))
			continue;
		s.shndx = elf_ndxscn(scn);
		s.section = elf_strptr(s.elf, shstrndx, sh.sh_name);
		err = check_section(host, o, &s, d);
	}
	if (!err)
		err = check_kfuncs(host, o);
out:
	elf_end(s.elf);
	return err;
}
