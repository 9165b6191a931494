# The L7 socket source (issue 12): src/l7/bpf/socktrace.bpf.c, built for
# the running kernel's BTF (CO-RE) and embedded in wbpf; its host side is
# src/l7/sock*.c.
#   make l7-sock-test   curl/python http.server, openssl s_server (TLS),
#                       dig/dnsmasq, redis-cli/redis-server on 127.0.0.1,
#                       traced by `wbpf l7 --source socket` beside a packet
#                       capture of the same traffic; loss accounting with
#                       a tiny ring (root and BTF, else skipped)
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
l7-sock-test: $(BUILD)/wbpf
	@bash tests/l7/socket.sh $(BUILD)/wbpf

TEST_TARGETS += l7-sock-test
