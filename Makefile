# wbpf build. `make` builds the library and the command; `make test` runs
# every test (spec suite, unit tests, sanitizer build). Components add
# their own targets in mk/*.mk.

# `make` alone builds `all`, whatever rule comes first below.
.DEFAULT_GOAL := all

CC := clang
BUILD := build
SAN_BUILD := build/san
# Position-independent objects, for libwbpf.so.
PIC_BUILD := build/pic

WARN := -Wall -Wextra -Werror
CPPFLAGS := -Iinclude -Isrc -D_GNU_SOURCE
CFLAGS := -std=c11 $(WARN) -gdwarf-4 -O2 -fno-strict-aliasing -fno-math-errno
SAN_CFLAGS := -std=c11 $(WARN) -gdwarf-4 -O1 -fno-omit-frame-pointer -fno-strict-aliasing \
	-fsanitize=address,undefined -fno-sanitize-recover=all
LDLIBS := -lm -lpthread

# The release; the shared library's soname carries its major number.
WBPF_VERSION := 0.2.0
WBPF_SOVERSION := $(firstword $(subst ., ,$(WBPF_VERSION)))
# The commit: from .commit where a copy of the tree was made for a build
# (make deb), else from git.
GIT_COMMIT := $(or $(shell cat .commit 2>/dev/null),$(shell git rev-parse --short=12 HEAD 2>/dev/null),unknown)
# Every layer directory under src/ but the command.
FEATURES := $(filter-out cli,$(patsubst src/%/,%,$(sort $(wildcard src/*/))))
VERSION_ID := $(WBPF_VERSION) $(GIT_COMMIT) $(FEATURES)
CPPFLAGS += -DWBPF_VERSION_STR='"$(WBPF_VERSION)"' -DWBPF_COMMIT_STR='"$(GIT_COMMIT)"' \
	-DWBPF_FEATURES_STR='"$(FEATURES)"'

LIB_SRCS := $(shell find src -name '*.c' -not -path 'src/cli/*' -not -name '*.bpf.c' | sort)
CLI_SRCS := $(wildcard src/cli/*.c)

lib_objs = $(patsubst %.c,$(1)/obj/%.o,$(LIB_SRCS))

DEPS_STAMP := $(BUILD)/.deps-ok

# SPEC_DIR is the directory of the official testsuite's .wast files. By
# default it is this workplace's copy beside the repository, else the one
# scripts/fetch-testsuite.sh puts in testsuite/ (git clone of the public
# WebAssembly/testsuite at the commit the engine is checked against).
# Without one the suite is reported skipped, never failed.

SPEC_FETCH_DIR := testsuite
SPEC_DIR ?= $(firstword $(foreach d,../shared/wasm-testsuite $(SPEC_FETCH_DIR),$(if $(wildcard $(d)/*.wast),$(d))) ../shared/wasm-testsuite)
SPEC_MISSING := $(if $(wildcard $(SPEC_DIR)/*.wast),,1)
SPEC_SKIP_LINE := no .wast files in SPEC_DIR=$(SPEC_DIR); get them with scripts/fetch-testsuite.sh (or set SPEC_DIR)

# version.o is rebuilt when the identity changes (a new commit), and only it.
VERSION_STAMP := $(BUILD)/gen/version-id
$(VERSION_STAMP): FORCE
	@mkdir -p $(dir $@)
	@echo '$(VERSION_ID)' | cmp -s - $@ || echo '$(VERSION_ID)' > $@
$(BUILD)/obj/src/version.o $(SAN_BUILD)/obj/src/version.o: $(VERSION_STAMP)

.PHONY: all deps test clean FORCE
all: $(BUILD)/wbpf

deps: $(DEPS_STAMP)
# NO_DEPS=1: the packages are someone else's business (a Debian build).
$(DEPS_STAMP): scripts/deps.sh
	@mkdir -p $(BUILD)
	@[ -n "$(NO_DEPS)" ] || bash scripts/deps.sh
	@touch $@

# Release objects.
$(BUILD)/obj/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

# The interpreter is built with gcc: its threaded handlers keep the frame
# pointer, the code pointer and the accumulators in registers, where clang
# 14 spills the frame pointer and reloads it in every handler (measured in
# bench/README.md). The sanitizer build keeps clang for its runtime.
$(BUILD)/obj/src/wasm/interp.o: CC := gcc

# UBSan's pointer-overflow checks on every slot access in the interpreter's
# hundreds of handlers take clang minutes to optimise (slot indices come
# from the validated compiler; everything else stays checked).
SAN_INTERP_FLAGS := -fno-sanitize=pointer-overflow
$(SAN_BUILD)/obj/src/wasm/interp.o: SAN_CFLAGS += $(SAN_INTERP_FLAGS)

# Sanitizer objects.
$(SAN_BUILD)/obj/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(SAN_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libwbpf.a: $(call lib_objs,$(BUILD))
	@rm -f $@
	ar rcs $@ $^

$(SAN_BUILD)/libwbpf.a: $(call lib_objs,$(SAN_BUILD))
	@mkdir -p $(dir $@)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/wbpf: $(patsubst %.c,$(BUILD)/obj/%.o,$(CLI_SRCS)) $(BUILD)/libwbpf.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

TEST_TARGETS :=
include $(sort $(wildcard mk/*.mk))

# One stage at a time, each timed, so CI logs say where the time goes.
test:
	@for t in $(TEST_TARGETS); do \
		start=$$(date +%s); \
		$(MAKE) --no-print-directory $$t || { echo "test: $$t failed"; exit 1; }; \
		echo "test: $$t done in $$(( $$(date +%s) - start )) s"; \
	done
	@echo "test: all passed"

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
