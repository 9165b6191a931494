# Sinks and metrics (src/sink/): ClickHouse over HTTP (libcurl, zlib),
# /metrics (libmicrohttpd), records from guests (jansson).
LDLIBS += -lcurl -lmicrohttpd -ljansson -ldeflate

#   make sink-test   tests/sink/run.sh: json/table outputs, ClickHouse
#                    (delivery, a stop and restart mid-run, a full spool)
#                    and a Prometheus scrape, against the real servers.
SINK_OUT := $(BUILD)/sink-tests
SINK_EMITTER := $(SINK_OUT)/emitter.wasm

$(SINK_EMITTER): tests/sink/emitter.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) --target=wasm32-wasi -std=c11 $(WARN) -O2 -c $< -o $(SINK_OUT)/emitter.o
	$(CC) --target=wasm32-wasi $(SINK_OUT)/emitter.o -o $@

.PHONY: sink-test
sink-test: $(BUILD)/wbpf $(SAN_BUILD)/wbpf $(SINK_EMITTER) $(BUILD)/l7/gen_pcap \
		$(EX_BUILD)/execsnoop.wasm $(EX_BUILD)/opensnoop.wasm
	@EXECSNOOP=$(EX_BUILD)/execsnoop.wasm OPENSNOOP=$(EX_BUILD)/opensnoop.wasm \
		bash tests/sink/run.sh $(BUILD)/wbpf $(SINK_EMITTER) $(BUILD)/l7/gen_pcap $(SAN_BUILD)/wbpf

TEST_TARGETS += sink-test

# Throughput of `wbpf l7` into ClickHouse against its JSON output
# (bench/sink/clickhouse.sh; figures in bench/README.md).
.PHONY: bench-sink
bench-sink: $(BUILD)/wbpf $(BUILD)/l7/gen_pcap
	@bash bench/sink/clickhouse.sh
