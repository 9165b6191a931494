# OCI distribution (src/oci/, include/wbpf/oci.h, docs/oci.md): the store,
# the registry client, signatures and the `wbpf build/push/pull/...`
# commands.
#   make oci-test   against a docker-registry the test starts on 127.0.0.1
#                   (plain, then TLS + htpasswd), skopeo interop, hostile
#                   registries and blobs, signatures; in `make test`

LDLIBS += -lcurl -lcrypto -ljansson -larchive -lsodium

# (wasi.mk, read after this file, builds hello.wasm.)
OCI_TEST_DEPS := $(BUILD)/wbpf $(SAN_BUILD)/wbpf $(BUILD)/examples/hello.wasm \
	$(EX_BUILD)/execsnoop.wasm $(EX_BUILD)/execsnoop.bpf.o $(L7_EX)/l7_dns.wasm $(L7_GEN)

.PHONY: oci-test oci-test-san
oci-test: $(OCI_TEST_DEPS)
	@bash tests/oci/run.sh $(BUILD)

# The same tests with the ASan+UBSan build of wbpf.
oci-test-san: $(OCI_TEST_DEPS)
	@WBPF=$(SAN_BUILD)/wbpf bash tests/oci/run.sh $(BUILD)

TEST_TARGETS += oci-test oci-test-san

# The manifest/index parser under libFuzzer (fuzz/fuzz_oci_manifest.c),
# seeded with fuzz/oci-seeds/ (one of each format wbpf reads; the first
# byte picks the registry's Content-Type). Built by mk/fuzz.mk's
# instrumented rule.
#   make fuzz-oci FUZZ_SECONDS=600
#   make fuzz-oci-ci               what `make test` runs: 20 s
FUZZ_OCI_BIN := $(FUZZ_OUT)/fuzz_oci_manifest
FUZZ_OCI_SRCS := src/oci/manifest.c src/oci/format.c src/oci/digest.c src/oci/error.c \
	fuzz/fuzz_oci_manifest.c

$(FUZZ_OCI_BIN): $(patsubst %.c,$(FUZZ_OUT)/obj/%.o,$(FUZZ_OCI_SRCS))
	$(CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

.PHONY: fuzz-oci fuzz-oci-ci
fuzz-oci: $(FUZZ_OCI_BIN)
	$(call libfuzzer_run,$(FUZZ_OCI_BIN),oci,fuzz/oci-seeds,$(FUZZ_SECONDS))

fuzz-oci-ci: $(FUZZ_OCI_BIN)
	$(call libfuzzer_run,$(FUZZ_OCI_BIN),oci,fuzz/oci-seeds,20)

TEST_TARGETS += fuzz-oci-ci

# Push and pull of a 50 MiB image, wbpf vs skopeo (bench/oci/push_pull.sh);
# part of `make bench`.
.PHONY: bench-oci
bench-oci: $(BUILD)/wbpf
	@bash bench/oci/push_pull.sh $(BUILD)/wbpf

bench: bench-oci
