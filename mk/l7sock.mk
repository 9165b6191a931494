# The L7 socket source (issue 12): src/l7/bpf/socktrace.bpf.c, built for
# the running kernel's BTF (CO-RE) and embedded in wbpf; its host side is
# src/l7/sock*.c.
#   make l7-sock-test   nginx/curl, dnsmasq/dig, HTTPS nginx/curl,
#                       redis-server/redis-cli --pipe (DeepFlow's Redis
#                       plugin) on 127.0.0.1, traced by `wbpf l7 --source
#                       socket` beside a packet capture of the same traffic;
#                       DeepFlow's VmCtxBase through tests/l7/plugins/df_probe;
#                       loss accounting with a tiny ring; payload sizes up to
#                       64 KiB and truncated records (root and BTF, else
#                       skipped with the reason); first the ring reader's
#                       own tests (tests/l7/rings_test.c)
#   make l7-sock-test-san  the same but Redis and the filters, with the
#                       ASan/UBSan wbpf
#   make bench-l7-sock  overhead on a loopback HTTP server (bench/l7/)

L7_SOCK_BPF := $(BPF_BUILD)/src/l7/bpf/socktrace.bpf.o
L7_SOCK_GEN := $(BUILD)/gen/l7sock
L7_SOCK_OBJ_H := $(L7_SOCK_GEN)/l7_socktrace_obj.h
# back-to-back traced calls: a benchmark, and l7-sock-test's load for the
# doorbell
L7_SOCKCALL := $(BUILD)/bench/l7/sockcall

$(L7_SOCK_BPF): src/l7/bpf/socktrace.h src/l7/bpf/sock_ring.bpf.h
# the rings' compare-and-swap is an instruction of BPF's v3 set (Linux 5.12)
$(L7_SOCK_BPF): BPF_CFLAGS += -mcpu=v3

# The programs' stack is checked here, whatever kernel builds: the
# verifier of some kernels passes what others refuse (scripts/bpf_stack.sh).
$(L7_SOCK_OBJ_H): $(L7_SOCK_BPF) scripts/bpf_stack.sh
	bash scripts/bpf_stack.sh $(L7_SOCK_BPF)
	@mkdir -p $(dir $@)
	{ echo 'static const unsigned char l7_socktrace_obj[] = {'; xxd -i <$(L7_SOCK_BPF); echo '};'; } >$@.tmp
	@mv $@.tmp $@

# Every build flavour of the loader embeds the object.
L7_SOCK_OBJS := $(foreach b,$(BUILD) $(SAN_BUILD) $(PIC_BUILD),$(b)/obj/src/l7/sock.o)
$(L7_SOCK_OBJS): $(L7_SOCK_OBJ_H)
$(L7_SOCK_OBJS): CPPFLAGS += -I$(L7_SOCK_GEN)

# A DNS client whose queries and answers go through sendmmsg/recvmmsg.
L7_MMSG_DNS := $(BUILD)/tests/l7/mmsg_dns

$(L7_MMSG_DNS): tests/l7/mmsg_dns.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -D_GNU_SOURCE -o $@ $<

# The ring reader alone (src/l7/sock_rings.c), on rings written by the test
L7_RINGS_TEST := $(BUILD)/tests/l7/rings_test

$(L7_RINGS_TEST): tests/l7/rings_test.c $(BUILD)/unit/obj/check.o $(BUILD)/libwbpf.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests/unit $(CFLAGS) -o $@ $^ $(LDLIBS)

$(L7_RINGS_TEST)-san: tests/l7/rings_test.c $(BUILD)/unit/san/obj/check.o $(SAN_BUILD)/libwbpf.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests/unit $(SAN_CFLAGS) -o $@ $^ $(LDLIBS)

.PHONY: l7-sock-test
l7-sock-test: $(BUILD)/wbpf $(L7_EX)/l7_redis.wasm $(L7P_OUT)/df_probe.wasm $(L7_MMSG_DNS) \
		$(L7_RINGS_TEST) $(L7_SOCKCALL)
	$(L7_RINGS_TEST)
	@MMSG_DNS=$(L7_MMSG_DNS) SOCKCALL=$(L7_SOCKCALL) bash tests/l7/socket.sh $(BUILD)/wbpf $(L7_EX)/l7_redis.wasm \
		$(L7P_OUT)/df_probe.wasm

.PHONY: l7-sock-test-san
l7-sock-test-san: $(SAN_BUILD)/wbpf $(L7_MMSG_DNS) $(L7_RINGS_TEST)-san
	$(L7_RINGS_TEST)-san
	@MMSG_DNS=$(L7_MMSG_DNS) bash tests/l7/socket.sh --quick $(SAN_BUILD)/wbpf

TEST_TARGETS += l7-sock-test l7-sock-test-san

# Requests/s and CPU per request of nginx under ab with and without the
# socket source, CPU per traced call (bench/l7/sockcall.c), and records/s
# it delivers (bench/README.md, "L7 socket source"). Root.
$(L7_SOCKCALL): bench/l7/sockcall.c bench/l7/tcp_pair.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -D_GNU_SOURCE -o $@ $<

.PHONY: bench-l7-sock
bench-l7-sock: $(BUILD)/wbpf $(L7_SOCKCALL)
	@SOCKCALL=$(L7_SOCKCALL) bash bench/l7/socket.sh $(BENCH_L7_SOCK_N)

# The socket source's records into the pipeline under libFuzzer
# (fuzz/fuzz_l7_sock.c), seeded with an HTTP exchange with a gap and a
# close, and a DNS query over UDP. Objects share mk/fuzz.mk's rule.
FUZZ_L7S_BIN := $(FUZZ_OUT)/fuzz_l7_sock
FUZZ_L7S_SRCS := $(filter-out fuzz/fuzz_l7.c,$(FUZZ_L7_SRCS)) fuzz/fuzz_l7_sock.c
FUZZ_L7S_SEEDS := $(FUZZ_OUT)/l7sock-seeds

$(FUZZ_L7S_BIN): $(FUZZ_L7S_SRCS:%.c=$(FUZZ_OUT)/obj/%.o)
	$(CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

$(FUZZ_L7S_SEEDS)/.stamp:
	@rm -rf $(FUZZ_L7S_SEEDS)
	@mkdir -p $(FUZZ_L7S_SEEDS)
	@printf '\010\001\120\033\000\000\000\000GET / HTTP/1.1\r\nHost: a\r\n\r\n\000\001\120\050\000\001\000\000HTTP/1.1 200 OK\r\nContent-Length: 258\r\n\r\nok\020\001\120\000\000\000\000\000' >$(FUZZ_L7S_SEEDS)/http
	@printf '\050\001\065\041\000\000\000\000\022\064\001\000\000\001\000\000\000\000\000\000\003www\004test\000\000\001\000\001' >$(FUZZ_L7S_SEEDS)/dns
	@touch $@

.PHONY: fuzz-l7-sock fuzz-l7-sock-ci
fuzz-l7-sock: $(FUZZ_L7S_BIN) $(FUZZ_L7S_SEEDS)/.stamp
	$(call libfuzzer_run,$(FUZZ_L7S_BIN),l7sock,$(FUZZ_L7S_SEEDS),$(FUZZ_SECONDS))

fuzz-l7-sock-ci: $(FUZZ_L7S_BIN) $(FUZZ_L7S_SEEDS)/.stamp
	$(call libfuzzer_run,$(FUZZ_L7S_BIN),l7sock,$(FUZZ_L7S_SEEDS),20)

TEST_TARGETS += fuzz-l7-sock-ci

# What a ring buffer record costs when every CPU writes one ring, against a
# ring per CPU (bench/l7/ringcost.c). Root.
L7_RINGCOST := $(BUILD)/bench/l7/ringcost
L7_RINGCOST_BPF := $(BPF_BUILD)/bench/l7/ringcost.bpf.o

# the socket source's rings are read by its own reader
$(L7_RINGCOST): bench/l7/ringcost.c bench/l7/tcp_pair.h $(BUILD)/obj/src/l7/sock_rings.o
	@mkdir -p $(dir $@)
	$(CC) -Iinclude -Isrc $(CFLAGS) -o $@ $< $(BUILD)/obj/src/l7/sock_rings.o -lbpf -lelf -lz -lpthread
$(L7_RINGCOST_BPF): src/l7/bpf/socktrace.h src/l7/bpf/sock_ring.bpf.h
$(L7_RINGCOST_BPF): BPF_CFLAGS += -mcpu=v3

.PHONY: bench-l7-ring
bench-l7-ring: $(L7_RINGCOST) $(L7_RINGCOST_BPF)
	$(L7_RINGCOST) $(L7_RINGCOST_BPF)
