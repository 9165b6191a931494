# The L7 socket source (issue 12): src/l7/bpf/socktrace.bpf.c, built for
# the running kernel's BTF (CO-RE) and embedded in wbpf; its host side is
# src/l7/sock*.c.
#   make l7-sock-test   nginx/curl, dnsmasq/dig, HTTPS nginx/curl,
#                       redis-server/redis-cli --pipe (DeepFlow's Redis
#                       plugin) on 127.0.0.1, traced by `wbpf l7 --source
#                       socket` beside a packet capture of the same traffic;
#                       DeepFlow's VmCtxBase through tests/l7/plugins/df_probe;
#                       loss accounting with a tiny ring (root and BTF, else
#                       skipped with the reason)
#   make bench-l7-sock  overhead on a loopback HTTP server (bench/l7/)

L7_SOCK_BPF := $(BPF_BUILD)/src/l7/bpf/socktrace.bpf.o
L7_SOCK_GEN := $(BUILD)/gen/l7sock
L7_SOCK_OBJ_H := $(L7_SOCK_GEN)/l7_socktrace_obj.h

$(L7_SOCK_BPF): src/l7/bpf/socktrace.h

$(L7_SOCK_OBJ_H): $(L7_SOCK_BPF)
	@mkdir -p $(dir $@)
	{ echo 'static const unsigned char l7_socktrace_obj[] = {'; xxd -i <$<; echo '};'; } >$@.tmp
	@mv $@.tmp $@

# Every build flavour of the loader embeds the object.
L7_SOCK_OBJS := $(foreach b,$(BUILD) $(SAN_BUILD) $(PIC_BUILD),$(b)/obj/src/l7/sock.o)
$(L7_SOCK_OBJS): $(L7_SOCK_OBJ_H)
$(L7_SOCK_OBJS): CPPFLAGS += -I$(L7_SOCK_GEN)

.PHONY: l7-sock-test
l7-sock-test: $(BUILD)/wbpf $(L7_EX)/l7_redis.wasm $(L7P_OUT)/df_probe.wasm
	@bash tests/l7/socket.sh $(BUILD)/wbpf $(L7_EX)/l7_redis.wasm $(L7P_OUT)/df_probe.wasm

TEST_TARGETS += l7-sock-test

# Requests/s of nginx under ab with and without the socket source, and
# records/s it delivers (bench/README.md, "L7 socket source"). Root.
.PHONY: bench-l7-sock
bench-l7-sock: $(BUILD)/wbpf
	@bash bench/l7/socket.sh $(BENCH_L7_SOCK_N)
