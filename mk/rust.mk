# Rust guests (issue 17): the wbpf Rust SDK (sdk/rust), guest types from
# BTF (`wbpf gen types`), and examples in Rust built from the same BPF
# objects as the C ones.
#   make rust-examples   build/examples/rust/*.wasm (also part of `make examples`)
#   make rust-test-san   the generator and the SDK test with the ASan+UBSan wbpf
#   make rust-test       gen-types-test (the type generator), rust-sdk-test (the
#                        SDK on the kernel, hostile use), rust-l7-test (the Redis
#                        plugin in Rust against the C one), rust-gadget-test (the
#                        Rust operator through the gadget tests), then the Rust
#                        examples through the C examples' end-to-end tests
#
# Debian's rustc (with libstd-rust-dev-wasm32), named by path: a rustup
# toolchain earlier in PATH (~/.cargo/bin) may lack the wasm32-wasi std.
# No crates: the SDK uses std only, so rustc alone builds it, offline.

RUSTC := /usr/bin/rustc
RUST_FLAGS := --edition 2021 --target wasm32-wasi -C opt-level=2 -C strip=debuginfo -D warnings
RUST_BUILD := $(BUILD)/rust
RUST_SDK := $(RUST_BUILD)/libwbpf.rlib
RUST_EX_BUILD := $(EX_BUILD)/rust

$(RUST_SDK): $(wildcard sdk/rust/src/*.rs) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(RUSTC) $(RUST_FLAGS) --crate-type rlib --crate-name wbpf sdk/rust/src/lib.rs -o $@

# Types for an example: its object's sections, globals' pointees, map types.
$(RUST_EX_BUILD)/%.types.rs: $(EX_BUILD)/%.bpf.o $(BUILD)/wbpf
	@mkdir -p $(dir $@)
	$(BUILD)/wbpf gen types $< --lang rust -o $@

# The BPF object is embedded (include_bytes!) and the types included
# (include!) by absolute path, passed in the environment.
$(RUST_EX_BUILD)/%.wasm: examples/rust/%.rs examples/rust/common.rs $(RUST_EX_BUILD)/%.types.rs \
		$(EX_BUILD)/%.bpf.o $(RUST_SDK)
	WBPF_BPF_OBJ=$(abspath $(EX_BUILD)/$*.bpf.o) WBPF_TYPES=$(abspath $(RUST_EX_BUILD)/$*.types.rs) \
		$(RUSTC) $(RUST_FLAGS) --extern wbpf=$(RUST_SDK) $< -o $@

RUST_EXAMPLES := execsnoop syslat
RUST_EXAMPLE_WASMS := $(patsubst %,$(RUST_EX_BUILD)/%.wasm,$(RUST_EXAMPLES))
# Kept: readers look at what the generator wrote.
.SECONDARY: $(patsubst %,$(RUST_EX_BUILD)/%.types.rs,$(RUST_EXAMPLES))

.PHONY: rust-examples rust-test
rust-examples: $(RUST_EXAMPLE_WASMS)
# With the C ones (not in `all`: the BPF objects need the kernel's BTF,
# and Debian's package build runs `all` without rustc).
examples: rust-examples

# --- tests ----------------------------------------------------------------
RUST_T := $(RUST_BUILD)/tests

# Awkward layouts: a freestanding BPF object (no vmlinux.h), the native
# program that writes their bytes, and guests decoding them with the
# generated types.
$(RUST_T)/awkward.bpf.o: tests/rust/awkward.bpf.c tests/rust/awkward.h | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) -target bpf -g -O2 $(WARN) -c $< -o $@

$(RUST_T)/awkward_native: tests/rust/awkward_native.c tests/rust/awkward.h | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $<

$(RUST_T)/awkward.types.rs: $(RUST_T)/awkward.bpf.o $(BUILD)/wbpf
	$(BUILD)/wbpf gen types $< --lang rust --all -o $@

$(RUST_T)/awkward.gen.h: $(RUST_T)/awkward.bpf.o $(BUILD)/wbpf
	$(BUILD)/wbpf gen types $< --lang c --all -o $@

$(RUST_T)/gen_check_rust.wasm: tests/rust/gen_check.rs $(RUST_T)/awkward.types.rs $(RUST_SDK)
	WBPF_TYPES=$(abspath $(RUST_T)/awkward.types.rs) \
		$(RUSTC) $(RUST_FLAGS) --extern wbpf=$(RUST_SDK) $< -o $@

$(RUST_T)/gen_check_c.wasm: tests/rust/gen_check.c $(RUST_T)/awkward.gen.h
	$(GUEST_CC) $(GUEST_CFLAGS) -I$(RUST_T) -o $@ $<

GEN_TEST_DEPS := $(BUILD)/wbpf $(RUST_SDK) $(RUST_T)/awkward.bpf.o $(RUST_T)/awkward_native \
	$(RUST_T)/gen_check_rust.wasm $(RUST_T)/gen_check_c.wasm $(EXAMPLE_WASMS)

.PHONY: gen-types-test gen-types-test-san
gen-types-test: $(GEN_TEST_DEPS)
	@RUSTC=$(RUSTC) RUST_SDK=$(RUST_SDK) bash tests/rust/gen_types.sh $(BUILD)

gen-types-test-san: $(SAN_BUILD)/wbpf $(BUILD)/wbpf $(RUST_T)/awkward.bpf.o $(EXAMPLE_WASMS)
	@bash tests/rust/gen_types.sh $(BUILD) $(SAN_BUILD)/wbpf

# The SDK against the host and kernel, hostile use included: it embeds the
# C SDK test's BPF object and the hostile guests' (tests/examples/guests).
$(RUST_T)/sdk_test.types.rs: $(EXT_BUILD)/sdk_test.bpf.o $(BUILD)/wbpf
	@mkdir -p $(dir $@)
	$(BUILD)/wbpf gen types $< --lang rust -o $@

$(RUST_T)/sdk_test.wasm: tests/rust/sdk_test.rs $(RUST_T)/sdk_test.types.rs $(RUST_SDK) \
		$(EXT_BUILD)/sdk_test.bpf.o $(EXT_BUILD)/hostile.bpf.o
	WBPF_TYPES=$(abspath $(RUST_T)/sdk_test.types.rs) \
	WBPF_BPF_OBJ=$(abspath $(EXT_BUILD)/sdk_test.bpf.o) \
	WBPF_HOSTILE_OBJ=$(abspath $(EXT_BUILD)/hostile.bpf.o) \
		$(RUSTC) $(RUST_FLAGS) --extern wbpf=$(RUST_SDK) $< -o $@

.PHONY: rust-sdk-test
rust-sdk-test: $(BUILD)/wbpf $(RUST_T)/sdk_test.wasm
	@bash tests/rust/sdk.sh $(BUILD)

# The C examples' own end-to-end tests, run on the Rust builds.
rust-test: $(BUILD)/wbpf $(RUST_EXAMPLE_WASMS) gen-types-test rust-sdk-test
	@EX=$(RUST_EX_BUILD) bash tests/examples/run.sh $(BUILD) execsnoop execsnoop_filter syslat

# The generator and the SDK's host side under ASan+UBSan (the build
# examples-test-san makes anyway).
.PHONY: rust-sdk-test-san rust-test-san
rust-sdk-test-san: $(SAN_BUILD)/wbpf $(RUST_T)/sdk_test.wasm
	@WBPF=$(SAN_BUILD)/wbpf bash tests/rust/sdk.sh $(BUILD)

rust-test-san: gen-types-test-san rust-sdk-test-san

TEST_TARGETS += rust-test rust-test-san

# --- L7 plugins in Rust: reactors (cdylib + WASI's reactor start file) -------
# Recursive: the sysroot is asked when a recipe runs, after deps.sh.
RUST_REACTOR = --crate-type cdylib \
	-C link-arg=$(shell $(RUSTC) --print sysroot)/lib/rustlib/wasm32-wasi/lib/self-contained/crt1-reactor.o

$(RUST_EX_BUILD)/l7_redis.wasm: examples/rust/l7_redis.rs $(RUST_SDK)
	@mkdir -p $(dir $@)
	$(RUSTC) $(RUST_FLAGS) $(RUST_REACTOR) --extern wbpf=$(RUST_SDK) $< -o $@

rust-examples: $(RUST_EX_BUILD)/l7_redis.wasm

.PHONY: rust-l7-test
rust-l7-test: $(L7P_OUT)/plugin_feed $(L7_EX)/l7_redis.wasm $(RUST_EX_BUILD)/l7_redis.wasm
	@bash tests/rust/l7_redis.sh $(BUILD)

rust-test: rust-l7-test

# --- gadget operators in Rust: the C gadget's directory, the Rust operator
RUST_GADGET := $(RUST_EX_BUILD)/trace_exec
$(RUST_GADGET)/program.wasm: examples/rust/trace_exec_op.rs $(RUST_SDK)
	@mkdir -p $(dir $@)
	$(RUSTC) $(RUST_FLAGS) $(RUST_REACTOR) --extern wbpf=$(RUST_SDK) $< -o $@

$(RUST_GADGET)/%: $(GADGET_OUT)/trace_exec/%
	@mkdir -p $(dir $@)
	cp $< $@

RUST_GADGET_FILES := $(addprefix $(RUST_GADGET)/,program.wasm program.bpf.o gadget.yaml)
rust-examples: $(RUST_GADGET_FILES)

# The C gadget's own tests, on the gadget with the Rust operator.
.PHONY: rust-gadget-test
rust-gadget-test: $(BUILD)/wbpf $(RUST_GADGET_FILES)
	@EX=$(RUST_EX_BUILD) bash tests/gadget/run.sh $(BUILD) trace_exec trace_exec_json

rust-test: rust-gadget-test
