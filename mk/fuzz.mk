# Fuzzing the engine with libFuzzer (fuzz/fuzz_module.c): load, validate,
# instantiate and a bounded run of exports, under ASan+UBSan and leak
# checks. The engine's sources are compiled here with coverage
# instrumentation; the seed corpus is every module of the spec testsuite
# (when SPEC_DIR has it), of the unit tests and of fuzz/module-seeds/
# (modules written for the fuzzer: deep traps for the tiers' backtraces).
#   make fuzz                     run for FUZZ_SECONDS (60)
#   make fuzz FUZZ_SECONDS=600
#   make fuzz-ci                  what `make test` runs: 60 s, no finding
# A crash, leak, timeout or sanitizer report fails the run and leaves its
# input in build/fuzz/artifacts/ (replay: build/fuzz/fuzz_module FILE).

FUZZ_SECONDS ?= 60
FUZZ_OUT := $(BUILD)/fuzz
FUZZ_BIN := $(FUZZ_OUT)/fuzz_module
FUZZ_CFLAGS := -std=c11 $(WARN) -g -O1 -fno-omit-frame-pointer -fno-strict-aliasing \
	-fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_SRCS := $(sort $(wildcard src/wasm/*.c)) src/file.c fuzz/fuzz_module.c
# Every script, SIMD ones included.
FUZZ_WASTS := $(wildcard $(SPEC_DIR)/*.wast)
FUZZ_SEEDS := $(FUZZ_OUT)/seeds

# As for the sanitizer build (see the Makefile).
$(FUZZ_OUT)/obj/src/wasm/interp.o: FUZZ_CFLAGS += $(SAN_INTERP_FLAGS)

$(FUZZ_OUT)/obj/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(FUZZ_BIN): $(FUZZ_SRCS:%.c=$(FUZZ_OUT)/obj/%.o)
	$(CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

# The binary modules wast2json extracts and the unit tests' modules; a
# script it can't convert only means fewer seeds.
FUZZ_OWN_SEEDS := $(wildcard fuzz/module-seeds/*.wat)

$(FUZZ_SEEDS)/.stamp: $(FUZZ_WASTS) $(wildcard tests/unit/wat/*.wat) $(FUZZ_OWN_SEEDS) | $(DEPS_STAMP)
	@rm -rf $(FUZZ_SEEDS) $(FUZZ_OUT)/wast
	@mkdir -p $(FUZZ_SEEDS)
	@for w in $(FUZZ_WASTS); do \
		n=$$(basename $$w .wast); mkdir -p $(FUZZ_OUT)/wast/$$n; \
		wast2json $$w -o $(FUZZ_OUT)/wast/$$n/$$n.json 2>/dev/null || \
			echo "fuzz: no seeds from $$w" >&2; \
		cp $(FUZZ_OUT)/wast/$$n/*.wasm $(FUZZ_SEEDS)/ 2>/dev/null || true; \
	done
	@for w in tests/unit/wat/*.wat; do \
		wat2wasm --no-check $$w -o $(FUZZ_SEEDS)/unit_$$(basename $$w .wat).wasm 2>/dev/null || \
			echo "fuzz: no seed from $$w" >&2; \
	done
	@for w in $(FUZZ_OWN_SEEDS); do \
		wat2wasm $$w -o $(FUZZ_SEEDS)/own_$$(basename $$w .wat).wasm || exit 1; \
	done
	@echo "fuzz: $$(ls $(FUZZ_SEEDS) | wc -l) seed modules"
	@touch $@

# One libFuzzer run, for every target but the object fuzzer (whose
# vetting children need their own limits):
#   $(call libfuzzer_run,BINARY,NAME,SEEDS,SECONDS)
# New inputs go to NAME-corpus/ (kept between runs), findings to
# artifacts/NAME-*.
define libfuzzer_run
	@mkdir -p $(FUZZ_OUT)/$(2)-corpus $(FUZZ_OUT)/artifacts
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 $(1) \
		-max_total_time=$(4) -rss_limit_mb=2048 -malloc_limit_mb=2048 -timeout=10 \
		-detect_leaks=1 -print_final_stats=1 \
		-artifact_prefix=$(abspath $(FUZZ_OUT)/artifacts)/$(2)- \
		$(FUZZ_OUT)/$(2)-corpus $(3)
endef

.PHONY: fuzz fuzz-ci
fuzz: $(FUZZ_BIN) $(FUZZ_SEEDS)/.stamp
	$(call libfuzzer_run,$(FUZZ_BIN),module,$(FUZZ_SEEDS),$(FUZZ_SECONDS))

fuzz-ci: $(FUZZ_BIN) $(FUZZ_SEEDS)/.stamp
	$(call libfuzzer_run,$(FUZZ_BIN),module,$(FUZZ_SEEDS),60)

TEST_TARGETS += fuzz-ci

# --- BPF objects (fuzz/fuzz_object.c) --------------------------------------
# Mutated BPF objects through the eBPF host's object_open (libbpf's parse
# in a confined child first) and the helper policy's code scan. Seeds: the
# examples' and the tests' BPF objects. A finding is a crash of the host
# process itself; libbpf crashing in the child is a refusal (counted in
# the "fuzz_object:" line at the end). fuzz/object-regressions/ keeps the
# inputs that found host crashes before.
#   make fuzz-object FUZZ_SECONDS=600
#   make fuzz-object-ci           what `make test` runs: 30 s
#   make fuzz-object-long         FUZZ_OBJECT_RUNS (100000) mutants in a build
#                                 with UBSan only (behind `make test-long`)
# allocator_may_return_null: an absurd size libbpf asks for in the child
# fails there as in a release build instead of ending in a report.
FUZZ_OBJ_BIN := $(FUZZ_OUT)/fuzz_object
FUZZ_OBJ_SEEDS := $(FUZZ_OUT)/object-seeds
FUZZ_OBJ_SEED_FILES := $(patsubst %,$(BUILD)/examples/%.bpf.o,$(EXAMPLES)) \
	$(patsubst %,$(BUILD)/tests/examples/%.bpf.o,$(EXT_BPF)) $(BPF_TEST_OBJ) \
	$(wildcard fuzz/object-regressions/*)

$(FUZZ_OBJ_BIN): $(patsubst %.c,$(FUZZ_OUT)/obj/%.o,$(BPF_HOST_SRCS) fuzz/fuzz_object.c)
	$(CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

$(FUZZ_OBJ_SEEDS)/.stamp: $(FUZZ_OBJ_SEED_FILES)
	@rm -rf $(FUZZ_OBJ_SEEDS)
	@mkdir -p $(FUZZ_OBJ_SEEDS)
	@for f in $^; do cp $$f $(FUZZ_OBJ_SEEDS)/$$(echo $$f | tr / _); done
	@touch $@

# $(1): the fuzzer binary; $(2): how long, and flags that override the defaults.
define fuzz_object_run
	@mkdir -p $(FUZZ_OUT)/object-corpus $(FUZZ_OUT)/artifacts
	ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1 \
		$(1) -rss_limit_mb=2048 -timeout=30 -detect_leaks=1 -print_final_stats=1 $(2) \
		-artifact_prefix=$(abspath $(FUZZ_OUT)/artifacts)/object- \
		$(FUZZ_OUT)/object-corpus $(FUZZ_OBJ_SEEDS)
endef

.PHONY: fuzz-object fuzz-object-ci fuzz-object-long
fuzz-object: $(FUZZ_OBJ_BIN) $(FUZZ_OBJ_SEEDS)/.stamp
	$(call fuzz_object_run,$(FUZZ_OBJ_BIN),-max_total_time=$(FUZZ_SECONDS))

fuzz-object-ci: $(FUZZ_OBJ_BIN) $(FUZZ_OBJ_SEEDS)/.stamp
	$(call fuzz_object_run,$(FUZZ_OBJ_BIN),-max_total_time=30)

# The long run: ASan costs ~36 ms a mutant here (its shadow memory set up
# for every vetting child), so this build has UBSan only. It still ends
# on any host crash or UB report, but misses silent memory errors, which
# fuzz-object-ci's ASan build covers.
FUZZ_OBJECT_RUNS ?= 100000
FUZZ_UB_OUT := $(BUILD)/fuzz-ub
FUZZ_UB_CFLAGS := $(filter-out -fsanitize=address%,$(FUZZ_CFLAGS)) -fsanitize=undefined
FUZZ_OBJ_UB_BIN := $(FUZZ_UB_OUT)/fuzz_object

$(FUZZ_UB_OUT)/obj/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(FUZZ_UB_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(FUZZ_OBJ_UB_BIN): $(patsubst %.c,$(FUZZ_UB_OUT)/obj/%.o,$(BPF_HOST_SRCS) fuzz/fuzz_object.c)
	$(CC) $(FUZZ_UB_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

fuzz-object-long: $(FUZZ_OBJ_UB_BIN) $(FUZZ_OBJ_SEEDS)/.stamp
	$(call fuzz_object_run,$(FUZZ_OBJ_UB_BIN),-runs=$(FUZZ_OBJECT_RUNS) -detect_leaks=0)

test-long:: fuzz-object-long

TEST_TARGETS += fuzz-object-ci
