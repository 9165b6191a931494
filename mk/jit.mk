# The compiling tier's load, code cache, start-up and event figures
# (bench/jit/run.sh, bench/README.md). The start-up and event parts need
# root; the script says when it skips them.
.PHONY: bench-jit
bench-jit: $(BENCH_DIR)/loadspeed $(BENCH_STARTUP_MODS) $(BUILD)/wbpf \
		$(BENCH_BPF)/flood $(BENCH_BPF)/flood_guest.wasm $(BPF_BUILD)/bench/bpf/flood.bpf.o \
		$(BENCH_BPF)/startup $(BENCH_BPF)/attach_native \
		$(BENCH_EXECSNOOP).wasm $(BENCH_EXECSNOOP).bpf.o
	bash bench/jit/run.sh $(BUILD)

bench: bench-jit
