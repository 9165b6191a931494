# eBPF examples as wasm32 guests, the C guest SDK they use, and their
# end-to-end tests (issue 5, part B).
#   make examples        build/examples/*.wasm and build/sdk/libwbpf-sdk.a
#   make run-execsnoop   run execsnoop under build/wbpf (needs root)
#   make examples-test   end-to-end tests on the real kernel (root; in `make test`)
#
# vmlinux.h: part A's rule in mk/bpf.mk ($(VMLINUX_H)) is the one rule that
# generates it; these BPF objects build against it.

EX_BUILD := $(BUILD)/examples
SDK_BUILD := $(BUILD)/sdk
EXT_BUILD := $(BUILD)/tests/examples

# Guests: compiled and linked in two steps (clang-14 runs wasm-opt after
# linking when -O is given at link time and one is on the PATH).
# --export-table: callbacks are table-0 indices the host calls.
GUEST_CC := $(CC) --target=wasm32-wasi
GUEST_CFLAGS := -std=c11 $(WARN) -O2 -D_GNU_SOURCE -Isdk/c/include
GUEST_LDFLAGS := -Wl,--export-table -Wl,--strip-debug

# BPF side: DWARF is dropped before embedding (BTF stays: CO-RE needs it).
EX_BPF_CFLAGS := -target bpf -g -O2 -D__TARGET_ARCH_x86 $(WARN) -Wno-unused-parameter \
	-I$(dir $(VMLINUX_H)) -Isdk/c/include -Iexamples/common

# --- the SDK: a static library for wasm32-wasi ---------------------------
SDK_SRCS := $(sort $(wildcard sdk/c/src/*.c))
SDK_OBJS := $(patsubst sdk/c/src/%.c,$(SDK_BUILD)/obj/%.o,$(SDK_SRCS))
SDK_LIB := $(SDK_BUILD)/libwbpf-sdk.a

$(SDK_BUILD)/obj/%.o: sdk/c/src/%.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_CFLAGS) -MMD -MP -c $< -o $@

$(SDK_LIB): $(SDK_OBJS)
	@rm -f $@
	llvm-ar rcs $@ $^

# --- BPF objects, skeletons and embedded images ---------------------------
# Every BPF object gets both a skeleton (X.skel.h) and a plain byte array
# (X.bpf.h, array X_bpf_o) for guests that open it from memory.
# $(1): output directory.
define ex_pattern_rules
$(1)/%.skel.h: $(1)/%.bpf.o
	bpftool gen skeleton $$< name $$* > $$@.tmp
	@mv $$@.tmp $$@

$(1)/%.bpf.h: $(1)/%.bpf.o
	xxd -i -n $$(subst -,_,$$*)_bpf_o $$< > $$@.tmp
	@mv $$@.tmp $$@

$(1)/%.wasm: $(1)/%.wasm.o $(SDK_LIB)
	$$(GUEST_CC) $$(GUEST_LDFLAGS) -o $$@ $$^
endef

# $(1): source directory, $(2): name, $(3): output directory.
define ex_guest_rules
$(3)/$(2).bpf.o: $(1)/$(2).bpf.c $(wildcard $(1)/*.h) $(VMLINUX_H) \
		$(wildcard examples/common/*.bpf.h) sdk/c/include/wbpf/shared.h
	@mkdir -p $$(dir $$@)
	$$(CC) $$(EX_BPF_CFLAGS) -I$(1) -c $$< -o $$@.dbg.o
	llvm-strip -g $$@.dbg.o -o $$@
	@rm -f $$@.dbg.o

$(3)/$(2).wasm.o: $(1)/$(2).c $(3)/$(2).skel.h $(3)/$(2).bpf.h
	$$(GUEST_CC) $$(GUEST_CFLAGS) -Iexamples/common -I$(1) -I$(3) -MMD -MP -c $$< -o $$@
endef

# A guest without a BPF object of its own.
define ex_plain_guest_rules
$(3)/$(2).wasm.o: $(1)/$(2).c | $(DEPS_STAMP)
	@mkdir -p $$(dir $$@)
	$$(GUEST_CC) $$(GUEST_CFLAGS) -I$(1) -MMD -MP -c $$< -o $$@
endef

$(eval $(call ex_pattern_rules,$(EX_BUILD)))
$(eval $(call ex_pattern_rules,$(EXT_BUILD)))

EXAMPLES := execsnoop opensnoop syslat getenvsnoop sigsnoop
$(foreach e,$(EXAMPLES),$(eval $(call ex_guest_rules,examples/$(e),$(e),$(EX_BUILD))))
EXAMPLE_WASMS := $(patsubst %,$(EX_BUILD)/%.wasm,$(EXAMPLES))

.PHONY: examples run-execsnoop examples-test examples-test-san
examples: $(EXAMPLE_WASMS) $(SDK_LIB)

# README's main command. Runs until Ctrl-C, or for DURATION seconds.
run-execsnoop: $(BUILD)/wbpf $(EX_BUILD)/execsnoop.wasm
	@[ "$$(id -u)" -eq 0 ] || { echo "run-execsnoop: needs root (eBPF)" >&2; exit 1; }
	@mountpoint -q /sys/kernel/tracing || mount -t tracefs tracefs /sys/kernel/tracing
	$(BUILD)/wbpf run $(EX_BUILD)/execsnoop.wasm $(if $(DURATION),-d $(DURATION))

# --- end-to-end tests -----------------------------------------------------
# Hostile and SDK test guests: tests/examples/guests/NAME.c, with an
# optional NAME.bpf.c beside it (embedded as NAME.bpf.h / NAME.skel.h).
EXT_DIR := tests/examples/guests
EXT_GUESTS := $(filter-out %.bpf,$(basename $(notdir $(wildcard $(EXT_DIR)/*.c))))
EXT_BPF := $(basename $(basename $(notdir $(wildcard $(EXT_DIR)/*.bpf.c))))
$(foreach g,$(EXT_BPF),$(eval $(call ex_guest_rules,$(EXT_DIR),$(g),$(EXT_BUILD))))
$(foreach g,$(filter-out $(EXT_BPF),$(EXT_GUESTS)),\
	$(eval $(call ex_plain_guest_rules,$(EXT_DIR),$(g),$(EXT_BUILD))))
EXT_WASMS := $(patsubst %,$(EXT_BUILD)/%.wasm,$(EXT_GUESTS))

# A native program the uprobe test runs: calls libc's getenv().
$(EXT_BUILD)/getenv-caller: tests/examples/getenv-caller.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $<

EXAMPLES_TEST_DEPS := $(EXAMPLE_WASMS) $(EXT_WASMS) $(EXT_BUILD)/getenv-caller

examples-test: $(BUILD)/wbpf $(EXAMPLES_TEST_DEPS)
	@bash tests/examples/run.sh $(BUILD)

# The same guests under the ASan+UBSan build of wbpf.
examples-test-san: $(SAN_BUILD)/wbpf $(EXAMPLES_TEST_DEPS)
	@WBPF=$(SAN_BUILD)/wbpf bash tests/examples/run.sh $(BUILD)

TEST_TARGETS += examples-test examples-test-san
