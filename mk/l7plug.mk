# L7 plugin host (issue 9, plugin half): DeepFlow's `deepflow` ABI, wbpf's
# `wbpf_l7` ABI and its SDK, bounds on every hook call.
#   make l7-plugins     the example plugins (examples/l7_*) in build/examples/
#   make l7plug-test    the host's unit tests (tests/l7/plugins_test.c)
#                       against test guests, release and ASan/UBSan
#                       and the example plugins on real traffic against tshark
#                       (tests/l7/plugins_e2e.sh: redis, mosquitto, dnsmasq);
#                       DeepFlow's multi-record merge and large batches
#                       through `wbpf l7` (tests/l7/merge.sh); per-plugin
#                       metrics scraped by prometheus (tests/l7/metrics.sh);
#                       NATS and its custom messages to a plugin on a real
#                       nats-server (tests/l7/nats.sh)
#   make fuzz-l7-result DeepFlow's result decoders under libFuzzer (30 s in
#                       `make test`; FUZZ_L7R_SECONDS=600 for longer)

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

# --- example plugins ----------------------------------------------------
# $(1) output, $(2) sources, $(3) extra flags, $(4) link flags. `wbpf_l7`
# plugins are reactors; `deepflow` ones commands, as TinyGo builds them.
L7_EX := $(BUILD)/examples
L7_SDK_HDRS := sdk/c/include/wbpf/l7_plugin.h sdk/c/include/wbpf/deepflow.h
define l7_plugin
$(1): $(2) $(wildcard $(dir $(firstword $(2)))*.h) $(L7_SDK_HDRS) $(L7P_SDK)
	@mkdir -p $$(dir $$@)
	$$(GUEST_CC) $$(GUEST_CFLAGS) $(3) $(4) -Wl,--strip-debug -o $$@ $(2) $(L7P_SDK)
endef

L7_REACTOR := -mexec-model=reactor
RESP_SRCS := examples/l7_redis/resp.c
$(eval $(call l7_plugin,$(L7_EX)/l7_dns.wasm,examples/l7_dns/dns.c,,$(L7_REACTOR)))
$(eval $(call l7_plugin,$(L7_EX)/l7_mqtt.wasm,examples/l7_mqtt/mqtt.c examples/l7_mqtt/props.c,,$(L7_REACTOR)))
$(eval $(call l7_plugin,$(L7_EX)/l7_http_trace.wasm,examples/l7_http_trace/http_trace.c,,$(L7_REACTOR)))
$(eval $(call l7_plugin,$(L7_EX)/l7_redis.wasm,examples/l7_redis/redis.c $(RESP_SRCS),,$(L7_REACTOR)))
$(eval $(call l7_plugin,$(L7_EX)/l7_redis_deepflow_pb.wasm,examples/l7_redis/redis_deepflow.c $(RESP_SRCS)))
$(eval $(call l7_plugin,$(L7_EX)/l7_redis_deepflow_legacy.wasm,examples/l7_redis/redis_deepflow.c $(RESP_SRCS),-DRESULT_LEGACY))
L7_PLUGINS := $(addprefix $(L7_EX)/,l7_dns.wasm l7_redis.wasm l7_mqtt.wasm l7_http_trace.wasm \
	l7_redis_deepflow_pb.wasm l7_redis_deepflow_legacy.wasm)

.PHONY: l7-plugins
l7-plugins: $(L7_PLUGINS)

$(L7P_OUT)/plugins_test: tests/l7/plugins_test.c $(BUILD)/unit/obj/check.o $(BUILD)/libwbpf.a
	@mkdir -p $(dir $@)
	$(CC) $(L7P_CPPFLAGS) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(L7P_OUT)/san/plugins_test: tests/l7/plugins_test.c $(BUILD)/unit/san/obj/check.o \
		$(SAN_BUILD)/libwbpf.a
	@mkdir -p $(dir $@)
	$(CC) $(L7P_CPPFLAGS) $(SAN_CFLAGS) -o $@ $^ $(LDLIBS)

.PHONY: l7plug-test
l7plug-test: $(L7P_OUT)/plugins_test $(L7P_OUT)/san/plugins_test $(L7P_WASMS) $(L7_PLUGINS) \
		$(L7P_OUT)/plugin_feed $(BUILD)/wbpf $(L7_GEN)
	$(L7P_OUT)/plugins_test
	$(L7P_OUT)/san/plugins_test
	@bash tests/l7/merge.sh $(BUILD)/wbpf $(L7_GEN) $(L7P_OUT)/df_merge.wasm
	@bash tests/l7/metrics.sh $(BUILD)/wbpf $(L7P_OUT)/df_merge.wasm
	@bash tests/l7/nats.sh $(BUILD)/wbpf $(L7P_OUT)/df_nats.wasm
	@bash tests/l7/plugins_e2e.sh $(BUILD)

TEST_TARGETS += l7plug-test

# Captured payloads through the plugin host (tests/l7/plugins_e2e.sh).
$(L7P_OUT)/plugin_feed: tests/l7/plugin_feed.c $(BUILD)/libwbpf.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $^ $(LDLIBS)

# --- fuzzing DeepFlow's result decoders ---------------------------------
# Seeds: the records of tests/l7/plugins_test.c (both formats).
FUZZ_L7R := $(FUZZ_OUT)/fuzz_l7_result
FUZZ_L7R_SRCS := fuzz/fuzz_l7_result.c src/abi/l7_df_result.c src/l7/message.c
FUZZ_L7R_SEEDS := $(FUZZ_OUT)/l7_result_seeds
FUZZ_L7R_SECONDS ?= 30

$(FUZZ_L7R): $(FUZZ_L7R_SRCS:%.c=$(FUZZ_OUT)/obj/%.o)
	$(CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

$(FUZZ_L7R_SEEDS)/.stamp:
	@mkdir -p $(FUZZ_L7R_SEEDS)
	printf '\000\040PB\030\200\001\132\010\010\004\020\376\377\377\377\017\152\000\250\001\000\372\001\006\012\001a\022\001b\370\077\001' >$(FUZZ_L7R_SEEDS)/pb
	printf '\000\066\200\000\000\012\000\000\000\005\001\000\000\001\000\003\001\377\377\377\376\000\002ok\000\000\000\003red\201\001\000\001T\000\001S\000\000\001\000\001k\000\001v\000\002k2\000\000\007' >$(FUZZ_L7R_SEEDS)/legacy
	@touch $@

.PHONY: fuzz-l7-result
fuzz-l7-result: $(FUZZ_L7R) $(FUZZ_L7R_SEEDS)/.stamp
	@mkdir -p $(FUZZ_OUT)/l7_result_corpus $(FUZZ_OUT)/artifacts
	ASAN_OPTIONS=detect_leaks=1 $(FUZZ_L7R) -max_total_time=$(FUZZ_L7R_SECONDS) -timeout=10 \
		-print_final_stats=1 -artifact_prefix=$(abspath $(FUZZ_OUT)/artifacts)/ \
		$(FUZZ_OUT)/l7_result_corpus $(FUZZ_L7R_SEEDS)

TEST_TARGETS += fuzz-l7-result

# --- bench: one hook call ------------------------------------------------
L7B_OUT := $(BUILD)/bench/l7
$(eval $(call l7_plugin,$(L7B_OUT)/bench_df.wasm,bench/l7/bench_df.c))
$(eval $(call l7_plugin,$(L7B_OUT)/bench_l7.wasm,bench/l7/bench_l7.c,,$(L7_REACTOR)))

$(L7B_OUT)/hook_bench: bench/l7/hook_bench.c $(BUILD)/libwbpf.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $^ $(LDLIBS)

.PHONY: bench-l7-hook
bench-l7-hook: $(L7B_OUT)/hook_bench $(L7B_OUT)/bench_df.wasm $(L7B_OUT)/bench_l7.wasm
	$(L7B_OUT)/hook_bench $(L7B_OUT)/bench_df.wasm $(L7B_OUT)/bench_l7.wasm
