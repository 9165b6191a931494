# The user side of the L7 socket source measured without the kernel
# (bench/l7/sockfeed.c: socket records made in-process, fed to the
# pipeline, JSON lines out).
#   make l7-feed-test    its records' request logs checked (in make test)
#   make bench-l7-feed   CPU per socket record for bench-l7-sock's exchange
#                        (ab's request, nginx's response), median of 5 runs
L7_SOCKFEED := $(BUILD)/bench/l7/sockfeed

$(L7_SOCKFEED): bench/l7/sockfeed.c $(BUILD)/libwbpf.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $^ $(LDLIBS)

.PHONY: bench-l7-feed
bench-l7-feed: $(L7_SOCKFEED)
	@for i in 1 2 3 4 5; do $(L7_SOCKFEED) 100000 2>&1 >/dev/null; done | \
		awk '{ print $$(NF - 5) }' | sort -n | \
		awk '{ v[NR] = $$1 } END { print "sockfeed: median", v[int((NR + 1) / 2)], "ns of CPU per socket record" }'

# sockfeed's records through the pipeline: request logs on both sides with
# their fields, --mix's output stable and JSON (tests/l7/feed.sh)
.PHONY: l7-feed-test
l7-feed-test: $(L7_SOCKFEED)
	@bash tests/l7/feed.sh $(L7_SOCKFEED)

TEST_TARGETS += l7-feed-test
