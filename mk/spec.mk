# Spec suite: wast2json turns each testsuite script into build/spec/NAME/
# (a JSON command list plus its .wasm files); the runner executes them.
#   make spec                     every script
#   make spec SPEC_ONLY="i32 br"  some of them
#   make spec SPEC_FLAGS=-v       every command's outcome

SPEC_DIR ?= ../shared/wasm-testsuite
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

.PHONY: spec spec-san spec-explicit
spec: $(BUILD)/spec-runner $(SPEC_STAMPS)
	$(BUILD)/spec-runner $(SPEC_FLAGS) $(SPEC_JSONS)

spec-san: $(SAN_BUILD)/spec-runner $(SPEC_STAMPS)
	$(SAN_BUILD)/spec-runner $(SPEC_FLAGS) $(SPEC_JSONS)

# The same suite with explicit bounds checks instead of guard regions.
spec-explicit: $(BUILD)/spec-runner $(SPEC_STAMPS)
	WBPF_BOUNDS_CHECKS=1 $(BUILD)/spec-runner $(SPEC_FLAGS) $(SPEC_JSONS)

TEST_TARGETS += spec spec-explicit spec-san
