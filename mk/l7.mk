# The L7 pipeline (src/l7/, include/wbpf/l7.h) and `wbpf l7` (issue 9).
#   make l7-test      captures made by tests/l7/gen_pcap (reordering,
#                     retransmission, overlap, gaps, truncation, a message
#                     over many segments, flow-table overflow) and real
#                     traffic between nginx/curl and dnsmasq/dig on
#                     127.0.0.0/8, captured by the test and checked field by
#                     field against tshark; the same live on lo (root).
#   make fuzz-l7      libFuzzer on the packet path for FUZZ_SECONDS; fuzz-l7-ci
#                     (in make test) for 30 s

LDLIBS += -lpcap

L7_OUT := $(BUILD)/l7
L7_GEN := $(L7_OUT)/gen_pcap

$(L7_GEN): tests/l7/gen_pcap.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE $(WARN) -O2 -o $@ $<

.PHONY: l7-test
l7-test: $(BUILD)/wbpf $(SAN_BUILD)/wbpf $(L7_GEN)
	@bash tests/l7/run.sh $(BUILD)/wbpf $(L7_GEN)
	@bash tests/l7/run.sh --quick $(SAN_BUILD)/wbpf $(L7_GEN)

TEST_TARGETS += l7-test

# The packet path under libFuzzer (fuzz/fuzz_l7.c), seeded with the
# hand-made test captures and a few bare HTTP/DNS payloads. Objects share
# mk/fuzz.mk's instrumented build rule.
FUZZ_L7_BIN := $(FUZZ_OUT)/fuzz_l7
FUZZ_L7_SRCS := $(filter-out src/l7/source.c src/l7/plugin% src/l7/sock.c src/l7/sock_tls.c src/l7/sock_rings.c,\
	$(wildcard src/l7/*.c)) src/sink/buf.c fuzz/fuzz_l7.c
FUZZ_L7_SEEDS := $(FUZZ_OUT)/l7-seeds
L7_SCENARIOS := basic reorder retrans overlap overlap_ooo gap split pipeline overflow dns dns6 \
	frag vlan sll sll2 raw null ipv6 snap

$(FUZZ_L7_BIN): $(FUZZ_L7_SRCS:%.c=$(FUZZ_OUT)/obj/%.o)
	$(CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

$(FUZZ_L7_SEEDS)/.stamp: $(L7_GEN)
	@rm -rf $(FUZZ_L7_SEEDS)
	@mkdir -p $(FUZZ_L7_SEEDS)
	@for s in $(L7_SCENARIOS); do $(L7_GEN) $$s $(FUZZ_L7_SEEDS)/$$s.pcap; done
	@printf 'HGET /a?b=c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n' >$(FUZZ_L7_SEEDS)/http-req
	@printf 'HHTTP/1.1 200 OK\r\nContent-Length: 2\r\ntraceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\r\n\r\nok' >$(FUZZ_L7_SEEDS)/http-resp
	@printf 'D\x12\x34\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00\x03www\x04test\x00\x00\x01\x00\x01\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\xc0\x00\x02\x01' >$(FUZZ_L7_SEEDS)/dns-resp
	@printf 'H' >$(FUZZ_L7_SEEDS)/http-empty # a parser handed no payload
	@printf 'NPUB wbpf.a reply.b 5\r\nhello\r\nHPUB x 12 14\r\nNATS/1.0\r\n\r\nhi\r\nMSG s 1 2\r\nok\r\nPING\r\n' >$(FUZZ_L7_SEEDS)/nats
	@touch $@

.PHONY: fuzz-l7 fuzz-l7-ci
fuzz-l7: $(FUZZ_L7_BIN) $(FUZZ_L7_SEEDS)/.stamp
	$(call libfuzzer_run,$(FUZZ_L7_BIN),l7,$(FUZZ_L7_SEEDS),$(FUZZ_SECONDS))

fuzz-l7-ci: $(FUZZ_L7_BIN) $(FUZZ_L7_SEEDS)/.stamp
	$(call libfuzzer_run,$(FUZZ_L7_BIN),l7,$(FUZZ_L7_SEEDS),30)

TEST_TARGETS += fuzz-l7-ci

# Records/s against tshark and ndpiReader, and memory for 1M flows
# (bench/README.md, "L7 pipeline"). Not part of make test.
.PHONY: bench-l7
bench-l7: $(BUILD)/wbpf $(L7_GEN) $(BUILD)/examples/l7_dns.wasm
	@bash bench/l7/pipeline.sh $(BENCH_L7_N)
