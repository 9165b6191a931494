# The user side of the L7 socket source measured without the kernel
# (bench/l7/sockfeed.c: socket records made in-process, fed to the
# pipeline, JSON lines out).
#   make bench-l7-feed   CPU per socket record for bench-l7-sock's exchange
#                        (ab's request, nginx's response), median of 5 runs
L7_SOCKFEED := $(BUILD)/bench/l7/sockfeed

$(L7_SOCKFEED): bench/l7/sockfeed.c $(BUILD)/libwbpf.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $^ $(LDLIBS)

.PHONY: bench-l7-feed
bench-l7-feed: $(L7_SOCKFEED)
	@for i in 1 2 3 4 5; do $(L7_SOCKFEED) 100000 2>&1 >/dev/null; done | \
		awk '{ v[NR] = $$(NF - 5) } END { n = asort(v); print "sockfeed: median", v[int((n + 1) / 2)], "ns of CPU per socket record" }'
