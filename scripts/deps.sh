#!/usr/bin/env bash
# Installs every Debian package the build, tests and benchmarks need.
# Idempotent and silent when everything is already present.
#   scripts/deps.sh [PACKAGE...]
set -euo pipefail

packages=(
  make clang lld llvm gcc
  libclang-rt-14-dev            # ASan/UBSan/libFuzzer runtimes
  valgrind                      # memcheck where the sanitizers are blind (uninitialised reads)
  wabt                          # wast2json for the spec suite
  libjansson-dev                # JSON for the spec runner and manifests
  wasi-libc libclang-rt-14-dev-wasm32   # wasm32-wasi guests
  libbpf-dev libelf-dev zlib1g-dev bpftool linux-libc-dev
  xxd                           # embeds BPF objects in the example guests
  nodejs                        # V8 peer in the benchmarks
  libcurl4-openssl-dev libmicrohttpd-dev libdeflate-dev   # sinks: ClickHouse client and its gzip, /metrics server
  clickhouse-server prometheus  # sink tests: the real store and scraper
  libpcap-dev                   # wbpf l7: capture files and live capture
  tshark tcpdump jq             # l7 tests: capture, reference dissection, JSON
  nginx-light dnsmasq-base bind9-dnsutils curl   # l7 tests: real servers and clients
  libndpi-bin                   # l7 bench: ndpiReader as a peer
  redis-server redis-tools mosquitto mosquitto-clients   # l7 plugin tests: real servers and clients
  nats-server   # l7: the NATS parser, a source of DeepFlow custom messages
  libssl-dev libarchive-dev libsodium-dev   # OCI: signatures and digests, tarballs, cosign key envelopes
  docker-registry skopeo apache2-utils openssl     # OCI tests: registry, interop, htpasswd, test CA
  python3                       # OCI tests: the fault-injecting proxy (tests/oci/proxy.py)
  libyaml-dev                   # gadget.yaml
  rustc cargo libstd-rust-dev-wasm32   # Rust guests (sdk/rust, examples/rust): Debian's offline toolchain
)

# With arguments, those packages instead (optional tools, e.g. for make deb).
[ $# -eq 0 ] || packages=("$@")

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}" >&2
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq >/dev/null
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
