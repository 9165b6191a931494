# L7 plugin host (issue 9, plugin half): DeepFlow's `deepflow` ABI, wbpf's
# `wbpf_l7` ABI and its SDK, bounds on every hook call.
#   make l7plug-test    the host's unit tests (tests/l7/plugins_test.c)
#                       against test guests, release and ASan/UBSan
#   make fuzz-l7-result DeepFlow's result decoders under libFuzzer

L7P_OUT := $(BUILD)/l7plug
L7P_GUEST_DIR := tests/l7/plugins
L7P_GUESTS := $(basename $(notdir $(wildcard $(L7P_GUEST_DIR)/*.c)))
L7P_WASMS := $(L7P_GUESTS:%=$(L7P_OUT)/%.wasm)
L7P_CPPFLAGS := $(CPPFLAGS) -Itests/unit -DPLUGINS_WASM_DIR='"$(abspath $(L7P_OUT))"'
L7P_SDK := $(BUILD)/sdk/libwbpf-sdk.a

# Guests: `wbpf_l7` plugins are reactors; `deepflow` ones are commands,
# as TinyGo builds them. Linked without -O (see mk/examples.mk).
l7p_model = $(if $(filter df_%,$(1)),,-mexec-model=reactor)

$(L7P_OUT)/%.o: $(L7P_GUEST_DIR)/%.c sdk/c/include/wbpf/l7_plugin.h sdk/c/include/wbpf/deepflow.h \
		| $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_CFLAGS) -c $< -o $@

$(L7P_OUT)/%.wasm: $(L7P_OUT)/%.o $(L7P_SDK)
	$(GUEST_CC) $(call l7p_model,$*) -Wl,--strip-debug -o $@ $^

$(L7P_OUT)/plugins_test: tests/l7/plugins_test.c $(BUILD)/unit/obj/check.o $(BUILD)/libwbpf.a
	@mkdir -p $(dir $@)
	$(CC) $(L7P_CPPFLAGS) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(L7P_OUT)/san/plugins_test: tests/l7/plugins_test.c $(BUILD)/unit/san/obj/check.o \
		$(SAN_BUILD)/libwbpf.a
	@mkdir -p $(dir $@)
	$(CC) $(L7P_CPPFLAGS) $(SAN_CFLAGS) -o $@ $^ $(LDLIBS)

.PHONY: l7plug-test
l7plug-test: $(L7P_OUT)/plugins_test $(L7P_OUT)/san/plugins_test $(L7P_WASMS)
	$(L7P_OUT)/plugins_test
	$(L7P_OUT)/san/plugins_test

TEST_TARGETS += l7plug-test
