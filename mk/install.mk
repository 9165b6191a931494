# Installing wbpf: the command, libwbpf (shared, exporting only the public
# headers' functions, and static), headers, pkg-config file, guest SDK, man
# pages and bash completion; and the Debian package.
#   make install [PREFIX=/usr/local] [DESTDIR=] [BINDIR=] [LIBDIR=]
#                [INCLUDEDIR=] [MANDIR=] [DATADIR=] [SDK_INCLUDEDIR=] [SDK_LIBDIR=]
#   make shared       build/libwbpf.so.$(WBPF_VERSION)
#   make man          build/man/*.1, generated from the --help texts
#   make install-test install into a temporary root and build an embedder
#                     against it with pkg-config (in `make test`)
#   make deb          the .deb packages, checked with lintian, installed, run
#   make image        the container image (podman or buildah)

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(DATADIR)/man
# The guest SDK (wasm32-wasi headers and library) where wasi-libc's are,
# so that under PREFIX=/usr `clang --target=wasm32-wasi ... -lwbpf-sdk`
# finds it without flags.
SDK_INCLUDEDIR ?= $(INCLUDEDIR)/wasm32-wasi
SDK_LIBDIR ?= $(PREFIX)/lib/wasm32-wasi

SO_NAME := libwbpf.so.$(WBPF_SOVERSION)
SO_FILE := $(BUILD)/libwbpf.so.$(WBPF_VERSION)
SO_VERSION_SCRIPT := $(BUILD)/gen/libwbpf.map
PC_FILE := $(BUILD)/gen/wbpf.pc
MAN_DIR := $(BUILD)/man
COMPLETION := scripts/wbpf.bash-completion

$(PIC_BUILD)/obj/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -fPIC -MMD -MP -c $< -o $@
$(PIC_BUILD)/obj/src/wasm/interp.o: CC := gcc
$(PIC_BUILD)/obj/src/version.o: $(VERSION_STAMP)

# Only the functions of include/wbpf/*.h leave the library.
$(SO_VERSION_SCRIPT): $(wildcard include/wbpf/*.h) scripts/public-symbols.sh
	@mkdir -p $(dir $@)
	@{ echo 'WBPF_$(WBPF_SOVERSION) {'; echo 'global:'; \
		bash scripts/public-symbols.sh | sed 's/.*/\t&;/'; \
		echo 'local: *;'; echo '};'; } > $@

$(SO_FILE): $(call lib_objs,$(PIC_BUILD)) $(SO_VERSION_SCRIPT)
	$(CC) -shared -Wl,-soname,$(SO_NAME) -Wl,--version-script,$(SO_VERSION_SCRIPT) \
		-Wl,--no-undefined -o $@ $(call lib_objs,$(PIC_BUILD)) $(LDLIBS)

# Libs.private: what the library links, the same list the command uses.
$(PC_FILE): $(MAKEFILE_LIST)
	@mkdir -p $(dir $@)
	@printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$(LIBDIR)' 'includedir=$(INCLUDEDIR)' '' \
		'Name: wbpf' \
		'Description: WebAssembly plugins on eBPF observability (engine, WASI, eBPF host, sinks)' \
		'Version: $(WBPF_VERSION)' \
		'Libs: -L$${libdir} -lwbpf' \
		'Libs.private: $(LDLIBS)' \
		'Cflags: -I$${includedir}' > $@

# One page per command, made from its --help: the text cannot drift.
$(MAN_DIR)/.stamp: $(BUILD)/wbpf scripts/help2man.sh
	@rm -rf $(MAN_DIR)
	@mkdir -p $(MAN_DIR)
	bash scripts/help2man.sh $(BUILD)/wbpf $(WBPF_VERSION) $(MAN_DIR)
	@touch $@

.PHONY: shared man sdk install install-test deb image
shared: $(SO_FILE)
man: $(MAN_DIR)/.stamp
sdk: $(SDK_LIB)

install: $(BUILD)/wbpf $(BUILD)/libwbpf.a $(SO_FILE) $(PC_FILE) $(MAN_DIR)/.stamp $(SDK_LIB)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR)/wbpf \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(DATADIR)/bash-completion/completions \
		$(DESTDIR)$(SDK_INCLUDEDIR) $(DESTDIR)$(SDK_LIBDIR)
	install -m 755 $(BUILD)/wbpf $(DESTDIR)$(BINDIR)/wbpf
	install -m 644 $(BUILD)/libwbpf.a $(DESTDIR)$(LIBDIR)/libwbpf.a
	install -m 644 $(SO_FILE) $(DESTDIR)$(LIBDIR)/
	ln -sf $(notdir $(SO_FILE)) $(DESTDIR)$(LIBDIR)/$(SO_NAME)
	ln -sf $(SO_NAME) $(DESTDIR)$(LIBDIR)/libwbpf.so
	install -m 644 $(PC_FILE) $(DESTDIR)$(LIBDIR)/pkgconfig/wbpf.pc
	install -m 644 include/wbpf/*.h $(DESTDIR)$(INCLUDEDIR)/wbpf/
	install -m 644 $(MAN_DIR)/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 644 $(COMPLETION) $(DESTDIR)$(DATADIR)/bash-completion/completions/wbpf
	cp -R sdk/c/include/. $(DESTDIR)$(SDK_INCLUDEDIR)/
	install -m 644 $(SDK_LIB) $(DESTDIR)$(SDK_LIBDIR)/

# The guest it runs is the WASI example (mk/wasi.mk, included later).
install-test: $(BUILD)/wbpf $(BUILD)/examples/hello.wasm
	@bash tests/install/run.sh $(BUILD)/examples/hello.wasm

# Built from a copy of the tree (dpkg-buildpackage writes beside its
# source), with the commit recorded for `wbpf --version`.
DEB_OUT := $(BUILD)/deb
DEB_TOOLS := debhelper dpkg-dev fakeroot lintian
deb: | $(DEPS_STAMP)
	@bash scripts/deps.sh $(DEB_TOOLS)
	@rm -rf $(DEB_OUT)
	@mkdir -p $(DEB_OUT)/wbpf-$(WBPF_VERSION)
	git ls-files -z | xargs -0 cp --parents -t $(DEB_OUT)/wbpf-$(WBPF_VERSION)
	@echo '$(GIT_COMMIT)' > $(DEB_OUT)/wbpf-$(WBPF_VERSION)/.commit
	cd $(DEB_OUT)/wbpf-$(WBPF_VERSION) && dpkg-buildpackage -us -uc -b >../build.log 2>&1 || \
		{ tail -n 30 ../build.log; exit 1; }
	lintian --fail-on error $(DEB_OUT)/*.changes
	@ls $(DEB_OUT)/*.deb
	@if [ "$$(id -u)" = 0 ]; then \
		dpkg -i $(DEB_OUT)/wbpf_*.deb $(DEB_OUT)/libwbpf0_*.deb >/dev/null && \
		/usr/bin/wbpf --version | grep -q '^wbpf $(WBPF_VERSION) (commit $(GIT_COMMIT))' && \
		echo "deb: installed, /usr/bin/wbpf --version answers" ; rc=$$?; \
		dpkg -r wbpf libwbpf0 >/dev/null; exit $$rc; \
	else echo "deb: not root, dpkg -i skipped"; fi

TEST_TARGETS += install-test

# The container image (Containerfile), where podman or buildah runs.
IMAGE ?= localhost/wbpf:$(WBPF_VERSION)
image:
	@if command -v podman >/dev/null; then podman build -t $(IMAGE) -f Containerfile . && \
		podman run --rm $(IMAGE) --version; \
	elif command -v buildah >/dev/null; then buildah bud -t $(IMAGE) -f Containerfile .; \
	else echo "image: skipped: neither podman nor buildah is installed"; fi

# The package build takes minutes (and debhelper and lintian to install):
# a soak-time check, not a per-commit one.
test-long:: deb image
