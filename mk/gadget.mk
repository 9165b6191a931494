# Gadgets (src/gadget, issue 10): gadget directories with an eBPF object,
# gadget.yaml and a Wasm operator; IG's operator ABI.
#   make gadgets        build/examples/<gadget>/ directories
#   make gadget-test    end-to-end and ABI tests (root; in `make test`)

LDLIBS += -lyaml

GADGET_GEN := $(BUILD)/gen
GADGET_SYSCALLS := $(GADGET_GEN)/gadget_syscalls.h
UNISTD_H := /usr/include/x86_64-linux-gnu/asm/unistd_64.h

# The syscall table from the installed kernel headers: one
# `[nr] = "name",` line per syscall.
$(GADGET_SYSCALLS): | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	awk '$$1 == "#define" && $$2 ~ /^__NR_/ && $$3 ~ /^[0-9]+$$/ \
		{ printf "[%s] = \"%s\",\n", $$3, substr($$2, 6) }' $(UNISTD_H) > $@.tmp
	@mv $@.tmp $@

# Every build flavour of it: release, sanitizer, position-independent.
GADGET_SYSCALL_OBJS := $(foreach b,$(BUILD) $(SAN_BUILD) $(PIC_BUILD),$(b)/obj/src/gadget/syscall.o)
$(GADGET_SYSCALL_OBJS): $(GADGET_SYSCALLS)
$(GADGET_SYSCALL_OBJS): CPPFLAGS += -I$(GADGET_GEN)

# --- gadget directories: DIR/program.bpf.o, DIR/gadget.yaml, DIR/program.wasm
GADGET_BPF_CFLAGS := $(EX_BPF_CFLAGS)
GADGETS := trace_exec trace_open snapshot_process trace_dns
GADGET_OUT := $(EX_BUILD)

# Operators: wasm32-wasi reactors, as IG's are; malloc exported for the
# `env` generation.
IG_API_H := sdk/c/include/gadget/ig_api.h sdk/c/include/gadget/wbpf_op.h
OP_CFLAGS := $(GUEST_CFLAGS)
OP_LDFLAGS := -mexec-model=reactor -Wl,--export=malloc -Wl,--export=free -Wl,--strip-debug

# $(1): name. The operator (examples/NAME/operator.c) is optional.
define gadget_rules
$(GADGET_OUT)/$(1)/program.bpf.o: examples/$(1)/program.bpf.c $(wildcard examples/$(1)/*.h) \
		$(wildcard sdk/c/include/gadget/*.h) $(VMLINUX_H)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(GADGET_BPF_CFLAGS) -Iexamples/$(1) -c $$< -o $$@

$(GADGET_OUT)/$(1)/gadget.yaml: examples/$(1)/gadget.yaml
	@mkdir -p $$(dir $$@)
	cp $$< $$@

GADGET_DIRS += $(GADGET_OUT)/$(1)/program.bpf.o $(GADGET_OUT)/$(1)/gadget.yaml
ifneq ($(wildcard examples/$(1)/operator.c),)
$(GADGET_OUT)/$(1)/program.wasm: examples/$(1)/operator.c $(IG_API_H)
	@mkdir -p $$(dir $$@)
	@mkdir -p $(BUILD)/obj/examples/$(1)
	$$(GUEST_CC) $$(OP_CFLAGS) -c $$< -o $(BUILD)/obj/examples/$(1)/operator.wasm.o
	$$(GUEST_CC) $$(OP_LDFLAGS) -o $$@ $(BUILD)/obj/examples/$(1)/operator.wasm.o

GADGET_DIRS += $(GADGET_OUT)/$(1)/program.wasm
endif
endef
$(foreach g,$(GADGETS),$(eval $(call gadget_rules,$(g))))

.PHONY: gadgets gadget-test gadget-test-san
gadgets: $(GADGET_DIRS) $(BUILD)/wbpf

# Test operators: tests/gadget/guests/NAME.c, each built for both IG ABI
# generations (NAME-env.wasm with -DIG_ABI_ENV, NAME-ig.wasm).
GADGET_GUEST_OUT := $(BUILD)/tests/gadget
GADGET_GUEST_SRCS := $(wildcard tests/gadget/guests/*.c)
GADGET_GUESTS := $(foreach g,$(basename $(notdir $(GADGET_GUEST_SRCS))),\
	$(GADGET_GUEST_OUT)/$(g)-env.wasm $(GADGET_GUEST_OUT)/$(g)-ig.wasm)

$(GADGET_GUEST_OUT)/%-env.wasm: tests/gadget/guests/%.c $(IG_API_H) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(OP_CFLAGS) -DIG_ABI_ENV -c $< -o $@.o
	$(GUEST_CC) $(OP_LDFLAGS) -o $@ $@.o

$(GADGET_GUEST_OUT)/%-ig.wasm: tests/gadget/guests/%.c $(IG_API_H) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(OP_CFLAGS) -c $< -o $@.o
	$(GUEST_CC) $(OP_LDFLAGS) -o $@ $@.o

# Operators on wbpf's own ABI: tests/gadget/wbpf/NAME.c -> wbpf-NAME.wasm.
GADGET_GUESTS += $(patsubst tests/gadget/wbpf/%.c,$(GADGET_GUEST_OUT)/wbpf-%.wasm,\
	$(wildcard tests/gadget/wbpf/*.c))
$(GADGET_GUEST_OUT)/wbpf-%.wasm: tests/gadget/wbpf/%.c $(IG_API_H) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(OP_CFLAGS) -c $< -o $@.o
	$(GUEST_CC) $(OP_LDFLAGS) -o $@ $@.o

gadget-test: $(BUILD)/wbpf $(GADGET_DIRS) $(GADGET_GUESTS)
	@bash tests/gadget/run.sh $(BUILD)

gadget-test-san: $(SAN_BUILD)/wbpf $(GADGET_DIRS) $(GADGET_GUESTS)
	@WBPF=$(SAN_BUILD)/wbpf bash tests/gadget/run.sh $(BUILD)

TEST_TARGETS += gadget-test gadget-test-san

# gadget.yaml parsing under libFuzzer (fuzz/fuzz_gadget_yaml.c), seeded
# with the tests' and examples' gadget.yaml files. Built by mk/fuzz.mk's
# instrumented rule.
#   make fuzz-gadget FUZZ_SECONDS=600
#   make fuzz-gadget-ci            what `make test` runs: 20 s
FUZZ_GADGET_BIN := $(FUZZ_OUT)/fuzz_gadget_yaml
FUZZ_GADGET_SEEDS := $(FUZZ_OUT)/gadget-seeds

$(FUZZ_GADGET_BIN): $(FUZZ_OUT)/obj/src/gadget/meta.o $(FUZZ_OUT)/obj/fuzz/fuzz_gadget_yaml.o
	$(CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

$(FUZZ_GADGET_SEEDS)/.stamp: $(wildcard tests/gadget/yaml/*.yaml examples/*/gadget.yaml)
	@mkdir -p $(dir $@)
	@for f in $^; do cp $$f $(dir $@)/$$(echo $$f | tr / _); done
	@touch $@

.PHONY: fuzz-gadget fuzz-gadget-ci
fuzz-gadget: $(FUZZ_GADGET_BIN) $(FUZZ_GADGET_SEEDS)/.stamp
	$(call libfuzzer_run,$(FUZZ_GADGET_BIN),gadget,$(FUZZ_GADGET_SEEDS),$(FUZZ_SECONDS))

fuzz-gadget-ci: $(FUZZ_GADGET_BIN) $(FUZZ_GADGET_SEEDS)/.stamp
	$(call libfuzzer_run,$(FUZZ_GADGET_BIN),gadget,$(FUZZ_GADGET_SEEDS),20)

TEST_TARGETS += fuzz-gadget-ci

# bench/gadget: a flood tracer consumed natively, by a gadget, and by a
# gadget with an operator on each ABI, in one run (root).
#   make bench-gadget [GADGET_BENCH_RECORDS=500000]  (the 64 MiB ring holds 1M)
GADGET_BENCH_OUT := $(BUILD)/bench/gadget
GADGET_BENCH_RECORDS ?= 500000

$(GADGET_BENCH_OUT)/flood/program.bpf.o: bench/gadget/flood/program.bpf.c \
		$(wildcard sdk/c/include/gadget/*.h) $(VMLINUX_H)
	@mkdir -p $(dir $@)
	$(CC) $(GADGET_BPF_CFLAGS) -c $< -o $@
	cp bench/gadget/flood/gadget.yaml $(dir $@)

$(GADGET_BENCH_OUT)/op_%.wasm: bench/gadget/op_%.c $(IG_API_H) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(OP_CFLAGS) -c $< -o $@.o
	$(GUEST_CC) $(OP_LDFLAGS) -o $@ $@.o

$(GADGET_BENCH_OUT)/gadget_bench: bench/gadget/bench.c $(BUILD)/libwbpf.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $^ $(LDLIBS)

.PHONY: bench-gadget
bench-gadget: $(GADGET_BENCH_OUT)/gadget_bench $(GADGET_BENCH_OUT)/flood/program.bpf.o \
		$(GADGET_BENCH_OUT)/op_ig.wasm $(GADGET_BENCH_OUT)/op_wbpf.wasm
	$< $(GADGET_BENCH_OUT)/flood $(GADGET_BENCH_OUT)/op_ig.wasm \
		$(GADGET_BENCH_OUT)/op_wbpf.wasm $(GADGET_BENCH_RECORDS)
