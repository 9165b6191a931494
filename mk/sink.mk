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

# What the ClickHouse sink reads back before sending a batch (a table's
# DESCRIBE answer, a spooled payload) under libFuzzer
# (fuzz/fuzz_sink_batch.c), seeded with fuzz/sink-seeds/.
#   make fuzz-sink FUZZ_SECONDS=600
#   make fuzz-sink-ci              what `make test` runs: 20 s
FUZZ_SINK_BIN := $(FUZZ_OUT)/fuzz_sink_batch
FUZZ_SINK_SRCS := src/sink/retype.c src/sink/rowbinary.c src/sink/buf.c fuzz/fuzz_sink_batch.c

$(FUZZ_SINK_BIN): $(patsubst %.c,$(FUZZ_OUT)/obj/%.o,$(FUZZ_SINK_SRCS))
	$(CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

.PHONY: fuzz-sink fuzz-sink-ci
fuzz-sink: $(FUZZ_SINK_BIN)
	$(call libfuzzer_run,$(FUZZ_SINK_BIN),sink,fuzz/sink-seeds,$(FUZZ_SECONDS))

fuzz-sink-ci: $(FUZZ_SINK_BIN)
	$(call libfuzzer_run,$(FUZZ_SINK_BIN),sink,fuzz/sink-seeds,20)

TEST_TARGETS += fuzz-sink-ci
