# The L7 pipeline (src/l7/, include/wbpf/l7.h) and `wbpf l7` (issue 9).
#   make l7-test      captures made by tests/l7/gen_pcap (reordering,
#                     retransmission, overlap, gaps, truncation, a message
#                     over many segments, flow-table overflow) and real
#                     traffic between nginx/curl and dnsmasq/dig on
#                     127.0.0.0/8, captured by the test and checked field by
#                     field against tshark; the same live on lo (root).
#   make fuzz-l7      libFuzzer on the packet path (FUZZ_SECONDS)

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
