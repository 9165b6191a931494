# Benchmarks (bench/README.md). `make bench` builds the kernels natively and
# for wasm32-wasi, the start-up modules and timer, and prints the tables;
# BENCH_ARGS passes options to bench/run.sh (e.g. BENCH_ARGS=--quick).
# Not part of `make test`, except `bench-check`. Another suite adds itself with
# `bench: bench-NAME` in its own fragment.

BENCH_DIR := $(BUILD)/bench
BENCH_KERNELS := $(basename $(notdir $(wildcard bench/kernels/*.c)))
BENCH_CFLAGS := -std=c11 $(WARN) -O2
BENCH_WASM_CC := $(CC) --target=wasm32-wasi
# Debian's wasi-libc carries DWARF; dropping it keeps the modules at the size
# of their code. The name section stays, for backtraces and profiles.
BENCH_WASM_LDFLAGS := -Wl,--strip-debug
# Start-up modules: generated function count -> about 4 KiB, 100 KiB, 1 MiB.
BENCH_STARTUP_SIZES := small:10 100k:300 1m:3200
BENCH_STARTUP_MODS := $(foreach s,$(BENCH_STARTUP_SIZES),$(BENCH_DIR)/startup-$(word 1,$(subst :, ,$(s))).wasm)

.PHONY: bench bench-build bench-kernels bench-engine
bench: bench-build
	bash bench/run.sh $(BENCH_ARGS)

bench-build: bench-kernels $(BENCH_STARTUP_MODS) bench-engine

bench-kernels: $(foreach k,$(BENCH_KERNELS),$(BENCH_DIR)/$(k) $(BENCH_DIR)/$(k).wasm)

$(BENCH_DIR)/%: bench/kernels/%.c bench/kernels/bench.h | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) -o $@ $< -lm

# Compiled and linked in two steps: clang-14 runs wasm-opt after linking
# whenever -O is given at link time and one is on the PATH.
$(BENCH_DIR)/%.wasm.o: bench/kernels/%.c bench/kernels/bench.h | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(BENCH_WASM_CC) $(BENCH_CFLAGS) -c -o $@ $<

$(BENCH_DIR)/%.wasm: $(BENCH_DIR)/%.wasm.o
	$(BENCH_WASM_CC) $(BENCH_WASM_LDFLAGS) -o $@ $< -lm

# SIMD (bench/README.md): kernels that clang vectorises, also built with
# -msimd128, against their scalar wasm build and native in one run.
BENCH_SIMD_KERNELS := matmul nbody strsearch

$(BENCH_DIR)/%.simd.wasm.o: bench/kernels/%.c bench/kernels/bench.h | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(BENCH_WASM_CC) $(BENCH_CFLAGS) -msimd128 -c -o $@ $<

$(BENCH_DIR)/%.simd.wasm: $(BENCH_DIR)/%.simd.wasm.o
	$(BENCH_WASM_CC) $(BENCH_WASM_LDFLAGS) -o $@ $< -lm

.PHONY: bench-simd
bench-simd: bench-engine $(foreach k,$(BENCH_SIMD_KERNELS),$(BENCH_DIR)/$(k) $(BENCH_DIR)/$(k).wasm \
		$(BENCH_DIR)/$(k).simd.wasm)
	bash bench/run.sh --no-startup --kernels $(shell echo $(BENCH_SIMD_KERNELS) | tr " " ,) \
		--runners native,wbpf,wbpf-simd,node,node-simd $(BENCH_ARGS)

$(BENCH_DIR)/genmod: bench/genmod.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) -o $@ $<

$(BENCH_DIR)/startup-%.c: $(BENCH_DIR)/genmod mk/bench.mk
	$< $(word 2,$(subst :, ,$(filter $*:%,$(BENCH_STARTUP_SIZES)))) > $@

$(BENCH_DIR)/startup-%.o: $(BENCH_DIR)/startup-%.c
	$(CC) --target=wasm32 -std=c11 -O2 -c -o $@ $<

$(BENCH_DIR)/startup-%.wasm: $(BENCH_DIR)/startup-%.o
	$(CC) --target=wasm32 -nostdlib -Wl,--no-entry -Wl,--export-all -o $@ $<

$(BENCH_DIR)/startup: bench/startup.c $(BUILD)/libwbpf.a
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $^ $(LDLIBS)

# The wbpf command and the start-up timer. While the engine does not build,
# the tables show "-" for wbpf instead of stopping: a failure here is
# reported and ignored.
bench-engine:
	-@$(MAKE) --no-print-directory $(BUILD)/wbpf
	-@$(MAKE) --no-print-directory $(BENCH_DIR)/startup

# Load speed (bench/loadspeed.c): generated modules, ordinary and
# pathological (tests/unit/genload.c), and two real ones for reference.
$(BENCH_DIR)/loadspeed: bench/loadspeed.c tests/unit/genload.c tests/unit/genload.h \
		$(BUILD)/libwbpf.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests/unit $(CFLAGS) -o $@ bench/loadspeed.c tests/unit/genload.c \
		$(BUILD)/libwbpf.a $(LDLIBS)

.PHONY: bench-load
bench: bench-load
bench-load: $(BENCH_DIR)/loadspeed $(BENCH_DIR)/crc32.wasm $(BENCH_DIR)/startup-1m.wasm
	$(BENCH_DIR)/loadspeed $(LOADSPEED_ARGS) -f $(BENCH_DIR)/crc32.wasm \
		-f $(BENCH_DIR)/startup-1m.wasm

# The kernels as a correctness test (bench/check.sh, part of `make test`):
# one repetition of each, natively and on both engine tiers, same checksum;
# again on the ASan/UBSan build of the engine.
.PHONY: bench-check
bench-check: $(BUILD)/wbpf $(SAN_BUILD)/wbpf \
		$(foreach k,$(BENCH_KERNELS),$(BENCH_DIR)/$(k) $(BENCH_DIR)/$(k).wasm)
	@bash bench/check.sh $(BUILD)/wbpf $(BENCH_DIR) $(BENCH_KERNELS)
	@bash bench/check.sh $(SAN_BUILD)/wbpf $(BENCH_DIR) $(BENCH_KERNELS)

TEST_TARGETS += bench-check
