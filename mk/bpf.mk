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

# The tests link src/bpf alone: they must not wait for the other layers.
BPF_HOST_SRCS := $(sort $(wildcard src/bpf/*.c))
BPF_TEST_OBJ := $(BPF_BUILD)/tests/bpf/probe.bpf.o

$(BUILD)/tests/bpf/test_bpf: $(BUILD)/obj/tests/bpf/test_bpf.o \
		$(patsubst %.c,$(BUILD)/obj/%.o,$(BPF_HOST_SRCS))
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(SAN_BUILD)/tests/bpf/test_bpf: $(SAN_BUILD)/obj/tests/bpf/test_bpf.o \
		$(patsubst %.c,$(SAN_BUILD)/obj/%.o,$(BPF_HOST_SRCS))
	@mkdir -p $(dir $@)
	$(CC) $(SAN_CFLAGS) -o $@ $^ $(LDLIBS)

# Exit 77 = skipped (not root): reported, not a failure.
define bpf_run_test
	@$(1) $(BPF_TEST_OBJ); rc=$$?; [ $$rc -eq 0 ] || [ $$rc -eq 77 ]
endef

.PHONY: bpf-test bpf-test-san
bpf-test: $(BUILD)/tests/bpf/test_bpf $(BPF_TEST_OBJ)
	$(call bpf_run_test,$<)

bpf-test-san: $(SAN_BUILD)/tests/bpf/test_bpf $(BPF_TEST_OBJ)
	$(call bpf_run_test,$<)

TEST_TARGETS += bpf-test bpf-test-san
