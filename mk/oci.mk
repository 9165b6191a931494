# OCI distribution (src/oci/, include/wbpf/oci.h, docs/oci.md): the store,
# the registry client, signatures and the `wbpf build/push/pull/...`
# commands.
#   make oci-test   against a docker-registry the test starts on 127.0.0.1
#                   (plain, then TLS + htpasswd), skopeo interop, hostile
#                   registries and blobs, signatures; in `make test`

LDLIBS += -lcurl -lcrypto -ljansson -larchive

# (wasi.mk, read after this file, builds hello.wasm.)
OCI_TEST_DEPS := $(BUILD)/wbpf $(SAN_BUILD)/wbpf $(BUILD)/examples/hello.wasm \
	$(EX_BUILD)/execsnoop.wasm

.PHONY: oci-test oci-test-san
oci-test: $(OCI_TEST_DEPS)
	@bash tests/oci/run.sh $(BUILD)

# The same tests with the ASan+UBSan build of wbpf.
oci-test-san: $(OCI_TEST_DEPS)
	@WBPF=$(SAN_BUILD)/wbpf bash tests/oci/run.sh $(BUILD)

TEST_TARGETS += oci-test oci-test-san
