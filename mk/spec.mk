# Spec suite: wast2json turns each testsuite script into build/spec/NAME/
# (a JSON command list plus its .wasm files); the runner executes them.
#   make spec                     every script, on the interpreter then on the
#                                 compiling tier (a summary line each)
#   make spec-interp              the interpreter only
#   make spec SPEC_ONLY="i32 br"  some of them
#   make spec SPEC_FLAGS=-v       every command's outcome
#   make spec-compile             every script on the compiling tier
#   make spec-auto                every script on the default engine (auto)
#   make spec-all                 every mode at once, as `make test` does
#
# SPEC_DIR (set in the Makefile) is where the testsuite's .wast files are.

SPEC_ONLY ?=
SPEC_FLAGS ?=
SPEC_OUT := $(BUILD)/spec

SPEC_NAMES := $(or $(SPEC_ONLY),$(patsubst $(SPEC_DIR)/%.wast,%,$(sort $(wildcard $(SPEC_DIR)/*.wast))))
SPEC_STAMPS := $(foreach n,$(SPEC_NAMES),$(SPEC_OUT)/$(n)/.stamp)
SPEC_JSONS := $(foreach n,$(SPEC_NAMES),$(SPEC_OUT)/$(n)/$(n).json)

# A script wast2json can't convert doesn't stop the others: its missing
# JSON fails in the runner, and the reason is kept in wast2json.err.
$(SPEC_OUT)/%/.stamp: $(SPEC_DIR)/%.wast | $(DEPS_STAMP)
	@rm -rf $(dir $@)
	@mkdir -p $(dir $@)
	@wast2json $< -o $(dir $@)$*.json 2>$(dir $@)wast2json.err || \
		echo "spec: wast2json failed on $< (see $(dir $@)wast2json.err)" >&2
	@touch $@

$(BUILD)/spec-runner: $(BUILD)/obj/tests/spec/runner.o $(BUILD)/libwbpf.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS) -ljansson

$(SAN_BUILD)/spec-runner: $(SAN_BUILD)/obj/tests/spec/runner.o $(SAN_BUILD)/libwbpf.a
	$(CC) $(SAN_CFLAGS) -o $@ $^ $(LDLIBS) -ljansson

.PHONY: spec spec-interp spec-san spec-explicit spec-compile spec-compile-explicit spec-auto \
	spec-all
ifeq ($(SPEC_MISSING),)
# Both tiers, one after the other: a summary line each.
spec: $(BUILD)/spec-runner $(SPEC_STAMPS)
	@echo "== the interpreter (WBPF_ENGINE=interp)"
	WBPF_ENGINE=interp $(BUILD)/spec-runner $(SPEC_FLAGS) $(SPEC_JSONS)
	@echo "== the compiling tier (WBPF_ENGINE=compile)"
	WBPF_ENGINE=compile $(BUILD)/spec-runner $(SPEC_FLAGS) $(SPEC_JSONS)

spec-interp: $(BUILD)/spec-runner $(SPEC_STAMPS)
	WBPF_ENGINE=interp $(BUILD)/spec-runner $(SPEC_FLAGS) $(SPEC_JSONS)

spec-san: $(SAN_BUILD)/spec-runner $(SPEC_STAMPS)
	WBPF_ENGINE=interp $(SAN_BUILD)/spec-runner $(SPEC_FLAGS) $(SPEC_JSONS)

# The same suite with explicit bounds checks instead of guard regions.
spec-explicit: $(BUILD)/spec-runner $(SPEC_STAMPS)
	WBPF_ENGINE=interp WBPF_BOUNDS_CHECKS=1 $(BUILD)/spec-runner $(SPEC_FLAGS) $(SPEC_JSONS)

# The compiling tier (docs/engine.md), with guard regions and with
# explicit checks: functions it does not support run interpreted.
spec-compile: $(BUILD)/spec-runner $(SPEC_STAMPS)
	WBPF_ENGINE=compile $(BUILD)/spec-runner $(SPEC_FLAGS) $(SPEC_JSONS)

# The default engine (auto): each module starts interpreted and switches
# to machine code once its background compile is done.
spec-auto: $(BUILD)/spec-runner $(SPEC_STAMPS)
	WBPF_ENGINE=auto $(BUILD)/spec-runner $(SPEC_FLAGS) $(SPEC_JSONS)

spec-compile-explicit: $(BUILD)/spec-runner $(SPEC_STAMPS)
	WBPF_ENGINE=compile WBPF_BOUNDS_CHECKS=1 $(BUILD)/spec-runner $(SPEC_FLAGS) $(SPEC_JSONS)

# The modes run side by side (the sanitizer one alone takes as long as
# the others), each into its log; the summaries and any failure are
# printed once all are done.
SPEC_MODES := spec-interp spec-explicit spec-compile spec-compile-explicit spec-auto spec-san
spec-all: $(BUILD)/spec-runner $(SAN_BUILD)/spec-runner $(SPEC_STAMPS)
	@pids=; for m in $(SPEC_MODES); do \
		$(MAKE) --no-print-directory $$m >$(SPEC_OUT)/$$m.log 2>&1 & pids="$$pids $$!"; \
	done; \
	fail=0; for p in $$pids; do wait $$p || fail=1; done; \
	for m in $(SPEC_MODES); do \
		echo "$$m: $$(sed -n 's/^spec: //p' $(SPEC_OUT)/$$m.log | grep . || echo 'no summary')"; \
		[ $$fail = 0 ] || grep -E 'FAIL|rror' $(SPEC_OUT)/$$m.log | head -n 40; \
	done; \
	[ $$fail = 0 ] || { echo "spec: failed (logs in $(SPEC_OUT)/)"; exit 1; }
else
spec spec-interp spec-san spec-explicit spec-compile spec-compile-explicit spec-auto spec-all:
	@echo "spec: skipped, and the fuzzer's spec seeds with it: $(SPEC_SKIP_LINE)"
endif

TEST_TARGETS += spec-all
