# eBPF host (src/bpf, src/abi): libbpf and its libraries, the kernel's
# vmlinux.h for BPF objects, and the native host tests (`make bpf-test`,
# also in `make test`). Other fragments compile BPF objects with
#   $(BPF_BUILD)/%.bpf.o from %.bpf.c   (BPF_CFLAGS, VMLINUX_H)

LDLIBS += -lbpf -lelf -lz

BPF_BUILD := $(BUILD)/bpf
VMLINUX_H := $(BPF_BUILD)/vmlinux.h
BPF_CFLAGS := -target bpf -g -O2 -D__TARGET_ARCH_x86 -Wall -Werror -I$(BPF_BUILD)

# Generated from the running kernel: CO-RE relocates against it at load.
$(VMLINUX_H): | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	bpftool btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp
	@mv $@.tmp $@

$(BPF_BUILD)/%.bpf.o: %.bpf.c $(VMLINUX_H)
	@mkdir -p $(dir $@)
	$(CC) $(BPF_CFLAGS) -c $< -o $@

# test_bpf links src/bpf alone (it must not wait for the other layers);
# test_abi runs a guest on the engine. $(1): build directory, $(2): CFLAGS.
BPF_HOST_SRCS := $(sort $(wildcard src/bpf/*.c))
BPF_TEST_OBJ := $(BPF_BUILD)/tests/bpf/probe.bpf.o
# Built by mk/examples.mk's guest rules (tests/examples/guests/policy.bpf.c).
BPF_POLICY_OBJ := $(BUILD)/tests/examples/policy.bpf.o
ABI_GUEST := $(BPF_BUILD)/tests/bpf/abi_guest.wasm

define bpf_test_rules
$(1)/tests/bpf/test_bpf: $(1)/obj/tests/bpf/test_bpf.o $(1)/obj/tests/bpf/util.o \
		$(patsubst %.c,$(1)/obj/%.o,$(BPF_HOST_SRCS))
	@mkdir -p $$(dir $$@)
	$$(CC) $(2) -o $$@ $$^ $$(LDLIBS)

$(1)/tests/bpf/test_abi: $(1)/obj/tests/bpf/test_abi.o $(1)/obj/tests/bpf/util.o $(1)/libwbpf.a
	@mkdir -p $$(dir $$@)
	$$(CC) $(2) -o $$@ $$^ $$(LDLIBS)

$(1)/tests/bpf/test_leaks: $(1)/obj/tests/bpf/test_leaks.o $(1)/obj/tests/bpf/util.o $(1)/libwbpf.a
	@mkdir -p $$(dir $$@)
	$$(CC) $(2) -Wl,--wrap=bpf_link__destroy -Wl,--wrap=bpf_object__close -o $$@ $$^ $$(LDLIBS)
endef
$(eval $(call bpf_test_rules,$(BUILD),$(CFLAGS)))
$(eval $(call bpf_test_rules,$(SAN_BUILD),$(SAN_CFLAGS)))

# Bare wasm32 guests: no libc, no WASI, only the eBPF imports.
BARE_GUEST_CC := $(CC) --target=wasm32 -nostdlib -std=c11 $(WARN) -O2 -Wl,--no-entry \
	-Wl,--export-table

$(ABI_GUEST): tests/bpf/abi_guest.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(BARE_GUEST_CC) -o $@ $<

# Exit 77 = skipped (not root): reported, not a failure.
define bpf_run_tests
	@$(1)/tests/bpf/test_bpf $(BPF_TEST_OBJ) $(BPF_POLICY_OBJ); rc=$$?; [ $$rc -eq 0 ] || [ $$rc -eq 77 ]
	@$(1)/tests/bpf/test_abi $(BPF_TEST_OBJ) $(ABI_GUEST); rc=$$?; [ $$rc -eq 0 ] || [ $$rc -eq 77 ]
endef

.PHONY: bpf-test bpf-test-san
bpf-test: $(BUILD)/tests/bpf/test_bpf $(BUILD)/tests/bpf/test_abi $(BPF_TEST_OBJ) $(ABI_GUEST) \
		$(BPF_POLICY_OBJ)
	$(call bpf_run_tests,$(BUILD))

bpf-test-san: $(SAN_BUILD)/tests/bpf/test_bpf $(SAN_BUILD)/tests/bpf/test_abi $(BPF_TEST_OBJ) \
		$(ABI_GUEST) $(BPF_POLICY_OBJ)
	$(call bpf_run_tests,$(SAN_BUILD))

TEST_TARGETS += bpf-test bpf-test-san

# No leaks under abuse (tests/bpf/test_leaks.c): the hostile guests and the
# examples in one process; after each, no extra fd and none of its BPF
# programs, maps or links left in the kernel. `make test-long` runs them in
# a loop for SOAK_SECONDS (600) under load and checks RSS and fds stay flat.
# The guests' rules are in mk/examples.mk.
LEAK_GUESTS := $(patsubst %,$(BUILD)/examples/%.wasm,execsnoop opensnoop syslat sigsnoop \
	getenvsnoop) $(BUILD)/tests/examples/hostile.wasm $(BUILD)/tests/examples/policy.wasm
SOAK_SECONDS ?= 600

.PHONY: leaks-test test-long
leaks-test: $(BUILD)/tests/bpf/test_leaks $(LEAK_GUESTS)
	@$(BUILD)/tests/bpf/test_leaks $(BUILD); rc=$$?; [ $$rc -eq 0 ] || [ $$rc -eq 77 ]

TEST_TARGETS += leaks-test

# Double-colon: other components may add their own soak runs.
test-long:: $(BUILD)/tests/bpf/test_leaks $(LEAK_GUESTS)
	@bash tests/bpf/soak.sh $(BUILD) $(SOAK_SECONDS)

# Per-event cost of ring-buffer delivery, native libbpf vs wasm guests on
# each engine (bench/bpf/flood.c; needs root). "With production" adds the
# BPF program writing the records (a tracepoint on this process's
# getppid, 64 records a call): the figure the event-throughput goal is
# about. Part of `make bench`.
BENCH_BPF := $(BUILD)/bench/bpf
BENCH_BPF_EVENTS ?= 2000000

$(BENCH_BPF)/flood: $(BUILD)/obj/bench/bpf/flood.o $(BUILD)/libwbpf.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

# Start-to-attached: bench/bpf/startup.c times any command until the kernel
# shows a new BPF link; attach_native is the libbpf baseline.
$(BENCH_BPF)/startup $(BENCH_BPF)/attach_native: $(BENCH_BPF)/%: $(BUILD)/obj/bench/bpf/%.o
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BENCH_BPF)/flood_guest.wasm: bench/bpf/flood_guest.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(BARE_GUEST_CC) -o $@ $<

# execsnoop (mk/examples.mk) under wbpf against the same BPF object
# loaded by plain libbpf.
BENCH_EXECSNOOP := $(BUILD)/examples/execsnoop

.PHONY: bench-bpf
bench-bpf: $(BENCH_BPF)/flood $(BENCH_BPF)/flood_guest.wasm $(BPF_BUILD)/bench/bpf/flood.bpf.o \
		$(BENCH_BPF)/startup $(BENCH_BPF)/attach_native $(BUILD)/wbpf \
		$(BENCH_EXECSNOOP).wasm $(BENCH_EXECSNOOP).bpf.o
	@echo "Ring-buffer events ($(BENCH_BPF_EVENTS) a path), CPU time per event:"
	@$(BENCH_BPF)/flood $(BPF_BUILD)/bench/bpf/flood.bpf.o $(BENCH_BPF)/flood_guest.wasm \
		$(BENCH_BPF_EVENTS)
	@echo "Start to attached (execsnoop):"
	@$(BENCH_BPF)/startup -n 15 $(BENCH_BPF)/attach_native $(BENCH_EXECSNOOP).bpf.o events
	@$(BENCH_BPF)/startup -n 15 $(BUILD)/wbpf run $(BENCH_EXECSNOOP).wasm

bench: bench-bpf
