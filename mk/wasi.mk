# WASI and `wbpf run` (issue: WASI programs with capability-based access
# and bounded execution).
#   make wasi-test     C programs in tests/wasi/ run natively and as
#                      wasm32-wasi with identical stdout, stderr and exit
#                      status; sandbox, limit and command-line checks; the
#                      path resolver's unit test; hostile guests run through
#                      the library leave no fds behind. Against build/wbpf and, for
#                      the quick ones, the ASan/UBSan build/san/wbpf.
#   make run-example   README's main command: build/examples/hello.wasm

WASI_OUT := $(BUILD)/wasi-tests
WASI_CC := $(CC) --target=wasm32-wasi
WASI_EXAMPLE := $(BUILD)/examples/hello.wasm

# The command, sanitized.
$(SAN_BUILD)/wbpf: $(patsubst %.c,$(SAN_BUILD)/obj/%.o,$(CLI_SRCS)) $(SAN_BUILD)/libwbpf.a
	$(CC) $(SAN_CFLAGS) -o $@ $^ $(LDLIBS)

# The path resolver alone, natively: no engine involved.
$(WASI_OUT)/path_test: tests/wasi/path_test.c $(BUILD)/obj/src/wasi/path.o
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $^

$(WASI_OUT)/san/path_test: tests/wasi/path_test.c $(SAN_BUILD)/obj/src/wasi/path.o
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(SAN_CFLAGS) -o $@ $^

# No fds left behind by hostile guests, through the library API.
$(WASI_OUT)/leak_test: tests/wasi/leak_test.c $(BUILD)/libwbpf.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(WASI_OUT)/san/leak_test: tests/wasi/leak_test.c $(SAN_BUILD)/libwbpf.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(SAN_CFLAGS) -o $@ $^ $(LDLIBS)

# Compiled and linked in two steps: clang-14 runs wasm-opt after linking
# when -O is given at link time and one is on the PATH.
$(WASI_EXAMPLE): examples/hello/hello.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(WASI_CC) -std=c11 $(WARN) -O2 -c $< -o $(BUILD)/examples/hello.o
	$(WASI_CC) $(BUILD)/examples/hello.o -o $@

.PHONY: run-example wasi-test
run-example: $(BUILD)/wbpf $(WASI_EXAMPLE)
	$(BUILD)/wbpf run $(WASI_EXAMPLE)

wasi-test: $(BUILD)/wbpf $(SAN_BUILD)/wbpf $(WASI_OUT)/path_test $(WASI_OUT)/san/path_test \
		$(WASI_OUT)/leak_test $(WASI_OUT)/san/leak_test $(WASI_EXAMPLE)
	$(WASI_OUT)/path_test
	$(WASI_OUT)/san/path_test
	@WASI_LEAK=$(WASI_OUT)/leak_test bash tests/wasi/run.sh $(BUILD)/wbpf $(WASI_OUT)
	@WASI_LEAK=$(WASI_OUT)/san/leak_test bash tests/wasi/run.sh --quick $(SAN_BUILD)/wbpf \
		$(WASI_OUT)
	@echo "wasi-test: again on the compiling tier (WBPF_ENGINE=compile, --quick)"
	@WBPF_ENGINE=compile WASI_LEAK=$(WASI_OUT)/leak_test bash tests/wasi/run.sh --quick \
		$(BUILD)/wbpf $(WASI_OUT)
	@echo "wasi-test: again on the interpreter (WBPF_ENGINE=interp, --quick)"
	@WBPF_ENGINE=interp WASI_LEAK=$(WASI_OUT)/leak_test bash tests/wasi/run.sh --quick \
		$(BUILD)/wbpf $(WASI_OUT)

TEST_TARGETS += wasi-test
