# Engine unit tests (tests/unit/): one program per area, each built twice,
# against the release library (unit) and the ASan/UBSan one (unit-san).
# Test modules are WAT text, converted at build time into build/unit/wasm/.
#   make unit                       every program
#   make unit UNIT_ONLY="traps"     some of them (names without test_)
#   make unit UNIT_ARGS="memory_rw" only the named tests inside them

UNIT_OUT := $(BUILD)/unit
UNIT_WASM_DIR := $(abspath $(UNIT_OUT)/wasm)
UNIT_ONLY ?=
UNIT_ARGS ?=

UNIT_WATS := $(wildcard tests/unit/wat/*.wat)
UNIT_WASMS := $(patsubst tests/unit/wat/%.wat,$(UNIT_OUT)/wasm/%.wasm,$(UNIT_WATS))
UNIT_NAMES := $(or $(UNIT_ONLY),$(patsubst tests/unit/test_%.c,%,$(wildcard tests/unit/test_*.c)))
UNIT_COMMON := check helpers genload
UNIT_CPPFLAGS := $(CPPFLAGS) -Itests/unit -DUNIT_WASM_DIR='"$(UNIT_WASM_DIR)"'

# --debug-names keeps function names for trap messages; invalid_* modules
# break validation on purpose, so wat2wasm must not check them.
$(UNIT_OUT)/wasm/%.wasm: tests/unit/wat/%.wat | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	wat2wasm --debug-names $(if $(filter invalid_%,$*),--no-check) $< -o $@

$(UNIT_OUT)/obj/%.o: tests/unit/%.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(UNIT_OUT)/san/obj/%.o: tests/unit/%.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CPPFLAGS) $(SAN_CFLAGS) -MMD -MP -c $< -o $@

$(UNIT_OUT)/test_%: $(UNIT_OUT)/obj/test_%.o $(UNIT_COMMON:%=$(UNIT_OUT)/obj/%.o) \
		$(BUILD)/libwbpf.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(UNIT_OUT)/san/test_%: $(UNIT_OUT)/san/obj/test_%.o \
		$(UNIT_COMMON:%=$(UNIT_OUT)/san/obj/%.o) $(SAN_BUILD)/libwbpf.a
	$(CC) $(SAN_CFLAGS) -o $@ $^ $(LDLIBS)

# Kept between runs (make would delete them as intermediates otherwise).
.SECONDARY: $(patsubst tests/unit/%.c,$(UNIT_OUT)/obj/%.o,$(wildcard tests/unit/*.c)) \
	$(patsubst tests/unit/%.c,$(UNIT_OUT)/san/obj/%.o,$(wildcard tests/unit/*.c))

# Every program runs even after one fails, so one report shows them all.
define unit_run
	@failed=0; for t in $(1); do $(3) $$t $(UNIT_ARGS) || failed=1; done; \
	test $$failed = 0 || { echo "$(2): FAILED" >&2; exit 1; }
endef

# Memory accesses are checked by guard regions unless WBPF_BOUNDS_CHECKS=1
# is set when a module is compiled: the trap tests run both ways.
.PHONY: unit unit-san
# test_load also runs the command (wbpf run --timeout).
# Each program runs on the interpreter, on the compiling tier, then on the
# default engine (auto: interpreted until the background compile
# switches calls to machine code).
unit: $(UNIT_NAMES:%=$(UNIT_OUT)/test_%) $(UNIT_WASMS) $(BUILD)/wbpf
	@echo "unit: on the interpreter (WBPF_ENGINE=interp)"
	$(call unit_run,$(UNIT_NAMES:%=$(UNIT_OUT)/test_%),unit,WBPF_ENGINE=interp)
	$(if $(filter traps,$(UNIT_NAMES)),WBPF_ENGINE=interp WBPF_BOUNDS_CHECKS=1 $(UNIT_OUT)/test_traps $(UNIT_ARGS))
	@echo "unit: again on the compiling tier (WBPF_ENGINE=compile)"
	$(call unit_run,$(UNIT_NAMES:%=$(UNIT_OUT)/test_%),unit-compile,WBPF_ENGINE=compile)
	@echo "unit: again on the default engine (auto)"
	$(call unit_run,$(UNIT_NAMES:%=$(UNIT_OUT)/test_%),unit-auto)

unit-san: $(UNIT_NAMES:%=$(UNIT_OUT)/san/test_%) $(UNIT_WASMS) $(BUILD)/wbpf
	$(call unit_run,$(UNIT_NAMES:%=$(UNIT_OUT)/san/test_%),unit-san)
TEST_TARGETS += unit unit-san
