#!/usr/bin/env bash
# OCI distribution tests (mk/oci.mk).
#
#   tests/oci/run.sh BUILD [TEST...]     (TEST: a test_* name without test_)
#
# Every test uses a fresh store (WBPF_STORE) under one temporary
# directory; registries are Debian's docker-registry, started here on
# 127.0.0.1 and always stopped (also on failure), as are the proxies.
set -u

[ $# -ge 1 ] || { echo "usage: $0 BUILD" >&2; exit 2; }
BUILD=$(realpath "$1")
WBPF=${WBPF:-$BUILD/wbpf}
SRC=$(cd "$(dirname "$0")" && pwd)
HELLO=$BUILD/examples/hello.wasm
EXECSNOOP=$BUILD/examples/execsnoop.wasm
BPF_OBJ=$BUILD/examples/execsnoop.bpf.o
L7_DNS=$BUILD/examples/l7_dns.wasm
GEN_PCAP=$BUILD/l7/gen_pcap
TMP=$(mktemp -d /tmp/wbpf-oci.XXXXXX)
PIDS=()

cleanup() {
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

. "$SRC/../lib.sh"

# fresh NAME: a new empty store for one test, exported as WBPF_STORE.
fresh() {
	export WBPF_STORE=$TMP/store-$1
	rm -rf "$WBPF_STORE"
}

# wb ARGS...: runs wbpf, output in $TMP/out (stdout) and $TMP/err.
wb() {
	rc=0
	timeout 120 "$WBPF" "$@" >"$TMP/out" 2>"$TMP/err" || rc=$?
}

# expect_fail TEST REGEX ARGS...: wbpf must fail with one line matching.
expect_fail() {
	local name=$1 re=$2
	shift 2
	wb "$@"
	if [ "$rc" = 0 ]; then
		bad "$name" "succeeded: wbpf $*"
	elif ! grep -Eq "$re" "$TMP/err"; then
		bad "$name" "want /$re/, got: $(head -3 "$TMP/err")"
	elif [ "$(wc -l <"$TMP/err")" -gt 2 ]; then
		bad "$name" "more than one error line: $(head -3 "$TMP/err")"
	else
		return 0
	fi
	return 1
}

blob_count() { ls "$WBPF_STORE/blobs/sha256" | wc -l; }

# app DIR FILES...: a plugin directory holding copies of FILES.
app() {
	local dir=$1
	shift
	rm -rf "$dir"
	mkdir -p "$dir"
	cp "$@" "$dir/"
}


# ------------------------------------------------------------- registries

# start_registry NAME [tls]: a docker-registry on 127.0.0.1 (TLS from the
# test CA and htpasswd auth with "tls"); REG is its address.
start_registry() {
	local name=$1 mode=${2:-plain} dir=$TMP/reg-$1 port scheme=http tries=100
	port=$(free_port)
	mkdir -p "$dir/data"
	{
		printf 'version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n'
		printf 'storage:\n  filesystem:\n    rootdirectory: %s\n' "$dir/data"
		printf '  delete:\n    enabled: true\n'
		printf 'http:\n  addr: 127.0.0.1:%s\n' "$port"
		if [ "$mode" = tls ]; then
			printf '  tls:\n    certificate: %s\n    key: %s\n' "$TMP/ca/server.crt" \
				"$TMP/ca/server.key"
			printf 'auth:\n  htpasswd:\n    realm: wbpf-test\n    path: %s\n' \
				"$TMP/ca/htpasswd"
			scheme=https
		fi
	} >"$dir/config.yml"
	docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 &
	PIDS+=($!)
	until curl -s -o /dev/null --cacert "$TMP/ca/ca.crt" "$scheme://127.0.0.1:$port/v2/"; do
		tries=$((tries - 1))
		[ $tries -gt 0 ] || { echo "registry $name did not start: $(cat "$dir/log")"; return 1; }
		sleep 0.1
	done
	REG=127.0.0.1:$port
}

# start_proxy MODE UPSTREAM: tests/oci/proxy.py in front of UPSTREAM
# (host:port); PROXY is its address.
start_proxy() {
	local pf=$TMP/proxy-$1.port tries=100
	rm -f "$pf"
	python3 "$SRC/proxy.py" "$1" "${2#*:}" "$pf" &
	PIDS+=($!)
	until [ -s "$pf" ]; do
		tries=$((tries - 1))
		[ $tries -gt 0 ] || { echo "proxy $1 did not start"; return 1; }
		sleep 0.1
	done
	PROXY=127.0.0.1:$(cat "$pf")
}

# The test CA, a server certificate for 127.0.0.1, and htpasswd user:secret.
make_ca() {
	local d=$TMP/ca
	mkdir -p "$d"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-subj /CN=wbpf-test-ca -keyout "$d/ca.key" -out "$d/ca.crt" 2>/dev/null &&
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=127.0.0.1 \
		-keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null &&
	printf 'subjectAltName=IP:127.0.0.1\n' >"$d/ext" &&
	openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" \
		-CAcreateserial -days 2 -extfile "$d/ext" -out "$d/server.crt" 2>/dev/null &&
	htpasswd -Bbn user secret >"$d/htpasswd"
}

# no_trace TEST COUNT: after a failed pull, the store has COUNT blobs, no
# temporary files and no new image.
no_trace() {
	local left
	left=$(ls -A "$WBPF_STORE/tmp" 2>/dev/null)
	[ "$(blob_count)" = "$2" ] && [ -z "$left" ] ||
		{ bad "$1" "store changed: $(blob_count) blobs (want $2), tmp: '$left'"; return 1; }
}


# ----------------------------------------------------------- plain registry

test_roundtrip() {
	fresh roundtrip
	app "$TMP/hello" "$HELLO"
	wb build -t "$REG/apps/hello:v1" "$TMP/hello" &&
	wb push "$REG/apps/hello:v1" && [ "$rc" = 0 ] &&
	wb rm "$REG/apps/hello:v1" && [ "$(blob_count)" = 0 ] &&
	wb pull "$REG/apps/hello:v1" && [ "$rc" = 0 ] &&
	wb run "$REG/apps/hello:v1" Pulled
	grep -q '^Hello, Pulled!' "$TMP/out" ||
		{ bad roundtrip "rc $rc: $(cat "$TMP/err")"; return; }
	# run pulls what is missing.
	wb rm "$REG/apps/hello:v1"
	wb run "$REG/apps/hello:v1" Again
	grep -q '^Hello, Again!' "$TMP/out" || { bad run-pulls "$(cat "$TMP/err")"; return; }
	ok "build -> push -> rm -> pull -> run (WASI module); run pulls when missing"

	# Chunked upload, then a cross-repository mount.
	fresh chunked
	wb build -t "$REG/apps/chunked:v1" "$TMP/hello"
	wb push --chunk-size 64k "$REG/apps/chunked:v1"
	[ "$rc" = 0 ] || { bad chunked "$(cat "$TMP/err")"; return; }
	wb tag "$REG/apps/chunked:v1" "$REG/apps/mounted:v1"
	wb push "$REG/apps/mounted:v1"
	fresh chunked2
	wb run "$REG/apps/mounted:v1" Mounted
	grep -q '^Hello, Mounted!' "$TMP/out" || { bad mount "$(cat "$TMP/err")"; return; }
	ok "chunked upload; cross-repository mount"
}

test_bpf_roundtrip() {
	[ "$(id -u)" = 0 ] || { skipped "eBPF app by reference" "needs root"; return; }
	[ -r /sys/kernel/btf/vmlinux ] || { skipped "eBPF app by reference" "no kernel BTF"; return; }
	mountpoint -q /sys/kernel/tracing || mount -t tracefs tracefs /sys/kernel/tracing
	fresh bpf
	app "$TMP/execsnoop" "$EXECSNOOP"
	wb build -t "$REG/apps/execsnoop:v1" "$TMP/execsnoop" &&
	wb push "$REG/apps/execsnoop:v1" && wb rm "$REG/apps/execsnoop:v1"
	wb run "$REG/apps/execsnoop:v1" -d 2
	[ "$rc" = 0 ] && grep -q '^PID' "$TMP/out" &&
		grep -Eq '^execsnoop: [0-9]+ execs seen' "$TMP/out" ||
		{ bad bpf-run "rc $rc: $(head -5 "$TMP/out" "$TMP/err")"; return; }
	ok "build -> push -> rm -> run by reference (eBPF app, execsnoop)"
}

# ------------------------------------------------------------------ skopeo

test_skopeo() {
	local sk=(skopeo --insecure-policy)
	fresh skopeo
	app "$TMP/hello" "$HELLO"
	wb build -t "$REG/apps/sk:v1" "$TMP/hello"
	wb push "$REG/apps/sk:v1"
	"${sk[@]}" copy -q --src-tls-verify=false "docker://$REG/apps/sk:v1" "oci:$TMP/sk-layout:sk" &&
	"${sk[@]}" copy -q --dest-tls-verify=false "oci:$TMP/sk-layout:sk" \
		"docker://$REG/apps/sk-back:v1" >"$TMP/sk.log" 2>&1 ||
		{ bad skopeo-copy "$(cat "$TMP/sk.log")"; return; }
	fresh skopeo2
	wb run "$REG/apps/sk-back:v1" Skopeo
	grep -q '^Hello, Skopeo!' "$TMP/out" || { bad skopeo-back "$(cat "$TMP/err")"; return; }
	ok "skopeo copies wbpf's image to an oci: layout and back; wbpf runs it"

	# The store itself is an OCI layout skopeo reads.
	"${sk[@]}" copy -q --dest-tls-verify=false "oci:$WBPF_STORE:$REG/apps/sk-back:v1" \
		"docker://$REG/apps/from-store:v1" >"$TMP/sk.log" 2>&1 ||
		{ bad skopeo-store "$(cat "$TMP/sk.log")"; return; }
	ok "skopeo reads the store as an oci: layout"
}

# layout DIR TAG CONFIG_MT CONFIG_FILE LAYER_MT LAYER_FILE [ARTIFACT_TYPE]:
# a one-manifest OCI layout written by hand, as other tools lay it out.
layout() {
	local dir=$1 tag=$2 cmt=$3 cfile=$4 lmt=$5 lfile=$6 at=${7:-} cd ld md msz
	mkdir -p "$dir/blobs/sha256"
	cd=$(sha256sum "$cfile" | cut -d' ' -f1)
	ld=$(sha256sum "$lfile" | cut -d' ' -f1)
	cp "$cfile" "$dir/blobs/sha256/$cd"
	cp "$lfile" "$dir/blobs/sha256/$ld"
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",%s"config":{"mediaType":"%s","digest":"sha256:%s","size":%d},"layers":[{"mediaType":"%s","digest":"sha256:%s","size":%d,"annotations":{"org.opencontainers.image.title":"module.wasm"}}]}' \
		"${at:+\"artifactType\":\"$at\",}" "$cmt" "$cd" "$(stat -c %s "$cfile")" \
		"$lmt" "$ld" "$(stat -c %s "$lfile")" >"$TMP/manifest.json"
	md=$(sha256sum "$TMP/manifest.json" | cut -d' ' -f1)
	msz=$(stat -c %s "$TMP/manifest.json")
	cp "$TMP/manifest.json" "$dir/blobs/sha256/$md"
	printf '{"imageLayoutVersion":"1.0.0"}' >"$dir/oci-layout"
	printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%d,"annotations":{"org.opencontainers.image.ref.name":"%s"}}]}' \
		"$md" "$msz" "$tag" >"$dir/index.json"
}

# Images of the other tools, laid out as they document them, pushed by
# skopeo, pulled and run by wbpf.
test_foreign() {
	local sk=(skopeo --insecure-policy) name
	printf '{}' >"$TMP/empty.json"
	printf '{"architecture":"wasm","os":"wasip1","layerDigests":["sha256:%s"]}' \
		"$(sha256sum "$HELLO" | cut -d' ' -f1)" >"$TMP/cncf.json"
	printf 'name: hello\ndescription: a gadget\n' >"$TMP/gadget.yaml"
	layout "$TMP/ecli" ecli application/vnd.wasm.config.v1+json "$TMP/empty.json" \
		application/vnd.wasm.content.layer.v1+wasm "$HELLO"
	layout "$TMP/cncf" cncf application/vnd.wasm.config.v0+json "$TMP/cncf.json" \
		application/wasm "$HELLO"
	layout "$TMP/ig" ig application/vnd.gadget.config.v1+yaml "$TMP/gadget.yaml" \
		application/vnd.gadget.wasm.program.v1+binary "$HELLO" application/vnd.gadget.v1+binary
	for name in ecli cncf ig; do
		fresh "foreign-$name"
		"${sk[@]}" copy -q --dest-tls-verify=false "oci:$TMP/$name:$name" \
			"docker://$REG/foreign/$name:v1" >"$TMP/sk.log" 2>&1 ||
			{ bad "foreign-$name" "skopeo: $(cat "$TMP/sk.log")"; continue; }
		wb run "$REG/foreign/$name:v1" "$name"
		grep -q "^Hello, $name!" "$TMP/out" ||
			{ bad "foreign-$name" "$(cat "$TMP/err")"; continue; }
		ok "$name-format image (pushed by skopeo) pulled and run"
	done
	wb inspect "$REG/foreign/ig:v1"
	grep -q '^Format: gadget' "$TMP/out" && grep -q '^name: hello' "$TMP/out" ||
		bad foreign-ig-inspect "$(cat "$TMP/out")"
}

# wbpf's IG-format image, read back by skopeo as IG lays it out.
test_write_ig() {
	local sk=(skopeo --insecure-policy)
	fresh write-ig
	app "$TMP/gadget" "$HELLO"
	printf 'name: hello\n' >"$TMP/gadget/gadget.yaml"
	wb build --format gadget -t "$REG/gadgets/hello:v1" "$TMP/gadget" &&
	wb push "$REG/gadgets/hello:v1"
	[ "$rc" = 0 ] || { bad write-ig "$(cat "$TMP/err")"; return; }
	"${sk[@]}" inspect --raw --tls-verify=false "docker://$REG/gadgets/hello:v1" >"$TMP/idx.json" &&
	"${sk[@]}" inspect --raw --tls-verify=false \
		"docker://$REG/gadgets/hello@$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"])' "$TMP/idx.json")" \
		>"$TMP/man.json" || { bad write-ig "skopeo inspect failed"; return; }
	python3 - "$TMP/idx.json" "$TMP/man.json" <<'PY' || { bad write-ig "$(cat "$TMP/man.json")"; return; }
import json, sys
idx, man = (json.load(open(p)) for p in sys.argv[1:])
assert idx["mediaType"] == "application/vnd.oci.image.index.v1+json"
assert idx["manifests"][0]["platform"]["os"] == "linux"
assert man["artifactType"] == "application/vnd.gadget.v1+binary"
assert man["config"]["mediaType"] == "application/vnd.gadget.config.v1+yaml"
assert [l["mediaType"] for l in man["layers"]] == ["application/vnd.gadget.wasm.program.v1+binary"]
PY
	fresh write-ig2
	wb run "$REG/gadgets/hello:v1" Gadget
	grep -q '^Hello, Gadget!' "$TMP/out" || { bad write-ig-run "$(cat "$TMP/err")"; return; }
	ok "IG-format image written by wbpf: index -> manifest, gadget media types (skopeo)"
}

# ------------------------------------------------------------------ faults

# fault MODE REF REGEX: a pull through the proxy in MODE fails with REGEX
# and leaves the store untouched.
fault() {
	local mode=$1 ref=$2 re=$3 before
	start_proxy "$mode" "$REG" || { bad "fault-$mode" "no proxy"; return; }
	fresh "fault-$mode"
	wb images
	before=$(blob_count)
	expect_fail "fault-$mode" "$re" pull "$PROXY/$ref" || return
	no_trace "fault-$mode" "$before" || return
	ok "$mode: refused ($(head -1 "$TMP/err" | cut -c1-70)...), store untouched"
}

test_faults() {
	local digest layer
	fresh faults
	app "$TMP/hello" "$HELLO"
	wb build -t "$REG/apps/victim:v1" "$TMP/hello"
	wb push "$REG/apps/victim:v1"
	digest=$(sed -n 's/^Digest: //p' <("$WBPF" inspect "$REG/apps/victim:v1"))
	fault drop apps/victim:v1 "connection to .* dropped|partial"
	fault corrupt apps/victim:v1 "digest mismatch"
	fault truncate apps/victim:v1 "digest mismatch|malformed manifest"
	fault rewrite "apps/victim@$digest" "manifest $digest: digest mismatch"
	fault unknown apps/victim:v1 "unknown manifest type"

	start_proxy drop-once "$REG"
	fresh drop-once
	wb run "$PROXY/apps/victim:v1" Retried
	grep -q '^Hello, Retried!' "$TMP/out" && ok "a dropped connection is retried" ||
		bad drop-once "$(cat "$TMP/err")"

	fresh unreachable
	expect_fail unreachable "registry 127.0.0.1:1 unreachable" pull 127.0.0.1:1/apps/x:v1 &&
		ok "unreachable registry: one line"
	expect_fail notfound "apps/none:v1: not found|v1: not found" pull "$REG/apps/none:v1" &&
		ok "404: one line"

	# The registry's own copy of a layer corrupted on disk (a layer of
	# its own: the other tests share the module's blob).
	fresh corrupt-disk
	app "$TMP/corrupt" "$HELLO"
	printf '{"unique":"%s"}' "$RANDOM$RANDOM" >"$TMP/corrupt/plugin.json"
	wb build -t "$REG/apps/corrupt:v1" "$TMP/corrupt"
	wb push "$REG/apps/corrupt:v1"
	layer=$("$WBPF" inspect "$REG/apps/corrupt:v1" | awk '/plugin-config/ {print $3; exit}')
	layer=${layer#sha256:}
	printf 'x' >>"$TMP/reg-plain/data/docker/registry/v2/blobs/sha256/${layer:0:2}/$layer/data"
	fresh corrupt-disk2
	expect_fail corrupt-disk "sent more than|digest mismatch" pull "$REG/apps/corrupt:v1" &&
		no_trace corrupt-disk 0 && ok "a blob corrupted in the registry is refused"
}

test_bearer() {
	start_proxy bearer "$REG" || return
	fresh bearer
	app "$TMP/hello" "$HELLO"
	wb build -t "$PROXY/apps/bearer:v1" "$TMP/hello"
	expect_fail bearer-anon "401|authentication|bad credentials" push "$PROXY/apps/bearer:v1" ||
		return
	printf '{"auths":{"%s":{"auth":"%s"}}}' "$PROXY" "$(printf user:secret | base64)" \
		>"$TMP/docker-config.json"
	mkdir -p "$TMP/dockercfg" && cp "$TMP/docker-config.json" "$TMP/dockercfg/config.json"
	DOCKER_CONFIG=$TMP/dockercfg wb push "$PROXY/apps/bearer:v1"
	[ "$rc" = 0 ] || { bad bearer-push "$(cat "$TMP/err")"; return; }
	fresh bearer2
	wb run "$PROXY/apps/bearer:v1" Token
	grep -q '^Hello, Token!' "$TMP/out" || { bad bearer-pull "$(cat "$TMP/err")"; return; }
	ok "Bearer token flow: push with docker config.json credentials, anonymous pull"
}


# ------------------------------------------------------- export and import

test_archive() {
	local sk=(skopeo --insecure-policy)
	fresh export
	app "$TMP/hello" "$HELLO"
	wb build -t example.org/tar/hello:v1 "$TMP/hello"
	wb export -o "$TMP/images.tar" example.org/tar/hello:v1
	[ "$rc" = 0 ] || { bad export "$(cat "$TMP/err")"; return; }
	fresh import
	wb import "$TMP/images.tar"
	wb run example.org/tar/hello:v1 Imported
	grep -q '^Hello, Imported!' "$TMP/out" || { bad import "$(cat "$TMP/err")"; return; }
	"${sk[@]}" copy -q "oci-archive:$TMP/images.tar:example.org/tar/hello:v1" \
		"oci:$TMP/from-tar:x" >"$TMP/sk.log" 2>&1 ||
		{ bad export-skopeo "$(cat "$TMP/sk.log")"; return; }
	ok "export -> import -> run; skopeo reads the tarball (oci-archive:)"

	# A tarball whose blob does not match its name: nothing lands.
	mkdir -p "$TMP/evil" && tar -C "$TMP/evil" -xf "$TMP/images.tar"
	local victim
	victim=$(ls "$TMP/evil/blobs/sha256" | head -1)
	printf 'x' >>"$TMP/evil/blobs/sha256/$victim"
	tar -C "$TMP/evil" -cf "$TMP/evil.tar" oci-layout index.json blobs
	fresh import-evil
	wb images
	expect_fail import-evil "digest mismatch" import "$TMP/evil.tar" &&
		no_trace import-evil 0 && ok "import of a tampered tarball refused, store untouched"
}

# ------------------------------------------------------ TLS, htpasswd, login

test_tls() {
	make_ca || { bad tls "cannot make the test CA"; return; }
	start_registry tls tls || { bad tls "registry did not start"; return; }
	local reg=$REG auth=$TMP/auth.json
	export WBPF_AUTH_FILE=$auth
	fresh tls
	app "$TMP/hello" "$HELLO"
	wb build -t "$reg/apps/tls:v1" "$TMP/hello"
	expect_fail tls-untrusted "not trusted" push "$reg/apps/tls:v1" &&
		ok "TLS: an unknown CA is refused"
	expect_fail tls-noauth "authentication required.*wbpf login" \
		push --ca-file "$TMP/ca/ca.crt" "$reg/apps/tls:v1" && ok "401: one line with the login hint"
	expect_fail tls-badlogin "login to .* failed" \
		login --ca-file "$TMP/ca/ca.crt" -u user -p wrong "$reg" && ok "login with a wrong password"
	wb login --ca-file "$TMP/ca/ca.crt" -u user --password-stdin "$reg" <<<secret
	[ "$rc" = 0 ] && [ "$(stat -c %a "$auth")" = 600 ] || { bad tls-login "$(cat "$TMP/err")"; return; }
	wb push --ca-file "$TMP/ca/ca.crt" "$reg/apps/tls:v1" &&
	wb rm "$reg/apps/tls:v1"
	WBPF_CA_FILE=$TMP/ca/ca.crt wb run "$reg/apps/tls:v1" Secure
	grep -q '^Hello, Secure!' "$TMP/out" || { bad tls-run "$(cat "$TMP/err")"; return; }
	fresh tls2
	wb pull --insecure "$reg/apps/tls:v1"
	[ "$rc" = 0 ] || { bad tls-insecure "$(cat "$TMP/err")"; return; }
	ok "login, push, pull, run over TLS with htpasswd auth; --insecure"
	wb logout "$reg"
	fresh tls3
	expect_fail tls-logout "authentication required" pull --ca-file "$TMP/ca/ca.crt" \
		"$reg/apps/tls:v1" && ok "logout forgets the credentials"
	unset WBPF_AUTH_FILE
}

# -------------------------------------------------------------- signatures

test_signatures() {
	local k=$TMP/keys
	mkdir -p "$k"
	openssl ecparam -name prime256v1 -genkey -noout -out "$k/cosign.key" 2>/dev/null &&
	openssl ec -in "$k/cosign.key" -pubout -out "$k/cosign.pub" 2>/dev/null &&
	openssl ecparam -name prime256v1 -genkey -noout -out "$k/other.key" 2>/dev/null &&
	openssl ec -in "$k/other.key" -pubout -out "$k/other.pub" 2>/dev/null ||
		{ bad sign "cannot make keys"; return; }
	fresh sign
	app "$TMP/hello" "$HELLO"
	printf '{"signed":"%s"}' "$RANDOM$RANDOM" >"$TMP/hello/plugin.json"
	wb build -t "$REG/signed/app:v1" "$TMP/hello"
	wb push "$REG/signed/app:v1"
	expect_fail sig-missing "no signature" verify --key "$k/cosign.pub" "$REG/signed/app:v1" &&
		ok "verify: a missing signature"
	wb sign --key "$k/cosign.key" "$REG/signed/app:v1"
	[ "$rc" = 0 ] || { bad sign "$(cat "$TMP/err")"; return; }
	fresh verify
	wb pull "$REG/signed/app:v1"
	wb verify --key "$k/cosign.pub" "$REG/signed/app:v1"
	[ "$rc" = 0 ] || { bad verify-good "$(cat "$TMP/err")"; return; }
	ok "sign -> push; verify in a fresh store (good signature)"
	expect_fail sig-wrongkey "does not verify with this key" \
		verify --key "$k/other.pub" "$REG/signed/app:v1" && ok "verify: wrong key"

	# Policy on run: signed by cosign.pub required under signed/.
	printf '{"rules":[{"match":"%s/signed/*","keys":["%s"]}]}' "$REG" "$k/cosign.pub" \
		>"$TMP/policy.json"
	export WBPF_POLICY=$TMP/policy.json
	wb run "$REG/signed/app:v1" Trusted
	grep -q '^Hello, Trusted!' "$TMP/out" || { bad policy-good "$(cat "$TMP/err")"; return; }
	wb build -t "$REG/signed/unsigned:v1" "$TMP/hello"
	expect_fail policy-unsigned "refused by the trust policy" run "$REG/signed/unsigned:v1" &&
		ok "policy: signed image runs, unsigned one is refused"

	# A tampered payload: the signature no longer matches it.
	printf '{"rules":[{"match":"%s/signed/*","keys":["%s"]}]}' "$REG" "$k/other.pub" \
		>"$TMP/policy.json"
	expect_fail policy-wrongkey "refused by the trust policy" run "$REG/signed/app:v1" &&
		ok "policy: wrong key refused on run"
	unset WBPF_POLICY

	# The payload's docker-reference names signed/app: the same image and
	# signature under signed/copy are refused, unless the policy says
	# which repository signed it.
	local digest sigref
	digest=$(sed -n 's/^Digest: //p' <("$WBPF" inspect "$REG/signed/app:v1"))
	sigref=$REG/signed/app:sha256-${digest#sha256:}.sig
	wb pull "$sigref"
	wb tag "$REG/signed/app:v1" "$REG/signed/copy:v1" && wb push "$REG/signed/copy:v1" &&
	wb tag "$sigref" "$REG/signed/copy:sha256-${digest#sha256:}.sig" &&
	wb push "$REG/signed/copy:sha256-${digest#sha256:}.sig"
	[ "$rc" = 0 ] || { bad sig-identity "$(cat "$TMP/err")"; return; }
	expect_fail sig-identity "signed for another image \(its docker-reference is not $REG/signed/copy\)" \
		verify --key "$k/cosign.pub" "$REG/signed/copy:v1" || return
	printf '{"rules":[{"match":"%s/signed/copy:*","keys":["%s"]}]}' "$REG" "$k/cosign.pub" \
		>"$TMP/policy.json"
	WBPF_POLICY=$TMP/policy.json expect_fail policy-identity \
		"refused by the trust policy: .* signed for another image" run "$REG/signed/copy:v1" ||
		return
	printf '{"rules":[{"match":"%s/signed/copy:*","keys":["%s"],"signedIdentity":"%s/signed/app"}]}' \
		"$REG" "$k/cosign.pub" "$REG" >"$TMP/policy.json"
	WBPF_POLICY=$TMP/policy.json wb run "$REG/signed/copy:v1" Mirrored
	grep -q '^Hello, Mirrored!' "$TMP/out" || { bad policy-signed-identity "$(cat "$TMP/err")"; return; }
	ok "docker-reference: a signature copied to another repository is refused; policy signedIdentity accepts it"

	# A tampered payload re-pushed with the original signature (what an
	# attacker with push rights could do): verification must fail.
	python3 - "$WBPF_STORE" "$(sed -n 's/^Digest: //p' <("$WBPF" inspect "$sigref"))" \
		"$TMP/tampered" <<'PY' || { bad sig-tampered "cannot build the tampered image"; return; }
import hashlib, json, os, sys
store, digest, out = sys.argv[1:]
blob = lambda d: open(os.path.join(store, "blobs/sha256", d[7:]), "rb").read()
man = json.loads(blob(digest))
payload = json.loads(blob(man["layers"][0]["digest"]))
payload["optional"] = {"tampered": "yes"}
data = json.dumps(payload).encode()
os.makedirs(out + "/blobs/sha256")
def put(b):
    d = hashlib.sha256(b).hexdigest()
    open(out + "/blobs/sha256/" + d, "wb").write(b)
    return "sha256:" + d, len(b)
man["layers"][0]["digest"], man["layers"][0]["size"] = put(data)
put(blob(man["config"]["digest"]))
md, ms = put(json.dumps(man).encode())
open(out + "/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
open(out + "/index.json", "w").write(json.dumps({"schemaVersion": 2, "manifests": [
    {"mediaType": man["mediaType"], "digest": md, "size": ms,
     "annotations": {"org.opencontainers.image.ref.name": "sig"}}]}))
PY
	skopeo --insecure-policy copy -q --dest-tls-verify=false "oci:$TMP/tampered:sig" \
		"docker://$sigref" >"$TMP/sk.log" 2>&1 || { bad sig-tampered "$(cat "$TMP/sk.log")"; return; }
	fresh tampered
	wb pull "$REG/signed/app:v1"
	expect_fail sig-tampered "does not verify with this key" \
		verify --key "$k/cosign.pub" "$REG/signed/app:v1" && ok "verify: tampered payload"
}


# cosign's encrypted private keys: a public vector (cosign 1.x, empty
# password) and pairs wbpf generates (cosign 2.x's PEM type), each signing
# an image whose signature its public key verifies.
test_cosign_keys() {
	local k=$TMP/cosign-keys vec=$SRC/vectors/cosign-v1-empty-password
	rm -rf "$k" && mkdir -p "$k"
	fresh cosign-keys
	app "$TMP/hello" "$HELLO"
	printf '{"cosign":"%s"}' "$RANDOM$RANDOM" >"$TMP/hello/plugin.json"
	wb build -t "$REG/cosign/app:v1" "$TMP/hello" && wb push "$REG/cosign/app:v1"
	COSIGN_PASSWORD= wb sign --key "$vec.key" "$REG/cosign/app:v1" &&
		wb verify --key "$vec.pub" "$REG/cosign/app:v1"
	[ "$rc" = 0 ] || { bad cosign-vector "$(cat "$TMP/err")"; return; }
	ok "cosign's encrypted key (public vector, empty password): sign, verify with its .pub"

	COSIGN_PASSWORD='pa ss' wb generate-key-pair "$k/wbpf"
	[ "$rc" = 0 ] && [ "$(stat -c %a "$k/wbpf.key")" = 600 ] &&
		head -1 "$k/wbpf.key" | grep -q '^-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----$' ||
		{ bad cosign-generate "rc $rc: $(cat "$TMP/err")"; return; }
	python3 - "$k/wbpf.key" <<'PY' || { bad cosign-envelope "$(cat "$k/wbpf.key")"; return; }
import base64, json, sys
body = "".join(l for l in open(sys.argv[1]).read().splitlines() if not l.startswith("-----"))
e = json.loads(base64.b64decode(body))
assert e["kdf"]["name"] == "scrypt" and e["kdf"]["params"] == {"N": 65536, "r": 8, "p": 1}
assert len(base64.b64decode(e["kdf"]["salt"])) == 32
assert e["cipher"]["name"] == "nacl/secretbox" and len(base64.b64decode(e["cipher"]["nonce"])) == 24
assert len(base64.b64decode(e["ciphertext"])) > 16 + 100
PY
	COSIGN_PASSWORD=x expect_fail cosign-exists "wbpf.key: File exists" generate-key-pair "$k/wbpf" ||
		return
	COSIGN_PASSWORD='pa ss' wb sign --key "$k/wbpf.key" "$REG/cosign/app:v1" &&
		wb verify --key "$k/wbpf.pub" "$REG/cosign/app:v1"
	[ "$rc" = 0 ] || { bad cosign-roundtrip "$(cat "$TMP/err")"; return; }
	ok "generate-key-pair: cosign's envelope (scrypt N=65536, secretbox), mode 0600; sign -> verify"

	COSIGN_PASSWORD=wrong expect_fail cosign-wrong "wrong COSIGN_PASSWORD" \
		sign --key "$k/wbpf.key" "$REG/cosign/app:v1" || return
	(unset COSIGN_PASSWORD; expect_fail cosign-unset "set COSIGN_PASSWORD" \
		sign --key "$k/wbpf.key" "$REG/cosign/app:v1") || return
	# One flipped byte of the sealed key: the box does not open.
	python3 - "$k/wbpf.key" "$k/flipped.key" <<'PY'
import base64, json, sys
lines = open(sys.argv[1]).read().splitlines()
e = json.loads(base64.b64decode("".join(lines[1:-1])))
box = bytearray(base64.b64decode(e["ciphertext"]))
box[40] ^= 1
e["ciphertext"] = base64.b64encode(bytes(box)).decode()
b = base64.b64encode(json.dumps(e).encode()).decode()
open(sys.argv[2], "w").write("\n".join([lines[0]] + [b[i:i + 64] for i in range(0, len(b), 64)] + [lines[-1]]) + "\n")
PY
	COSIGN_PASSWORD='pa ss' expect_fail cosign-flipped "wrong COSIGN_PASSWORD, or a corrupted key" \
		sign --key "$k/flipped.key" "$REG/cosign/app:v1" &&
		ok "cosign keys: wrong or missing COSIGN_PASSWORD, a tampered envelope: one line each"
}

# ------------------------------------------------- L7 plugin by reference

test_l7_plugin() {
	[ -x "$GEN_PCAP" ] && [ -f "$L7_DNS" ] || { skipped "l7 --plugin REF" "no l7_dns.wasm"; return; }
	local l7=("$WBPF" l7 --pcap "$TMP/dns.pcap" --json)
	fresh l7
	"$GEN_PCAP" dns "$TMP/dns.pcap" || { bad l7-plugin "gen_pcap failed"; return; }
	app "$TMP/l7" "$L7_DNS"
	printf '{"port":"53"}' >"$TMP/l7/plugin.json"
	wb build -t "$REG/l7/dns:v1" "$TMP/l7" && wb push "$REG/l7/dns:v1" && wb rm "$REG/l7/dns:v1"
	"${l7[@]}" --plugin "$L7_DNS" >"$TMP/l7-file.out" 2>/dev/null
	wb l7 --pcap "$TMP/dns.pcap" --plugin "$REG/l7/dns:v1" --json
	[ "$rc" = 0 ] && [ -s "$TMP/out" ] && cmp -s "$TMP/out" "$TMP/l7-file.out" &&
		grep -Eq '^  plugin [0-9a-f]{40,}: [1-9][0-9]* calls, 0 failures' "$TMP/err" ||
		{ bad l7-plugin "rc $rc: $(head -3 "$TMP/err")"; return; }
	wb inspect "$REG/l7/dns:v1"
	grep -q '"kind":"l7"' "$TMP/out" || { bad l7-plugin-kind "$(head -12 "$TMP/out")"; return; }
	ok "L7 plugin image: build -> push -> rm -> wbpf l7 --plugin REF (same records as the file)"

	# plugin.json's arguments apply (port 5353: the plugin leaves this
	# capture's DNS to the built-in parser); the command line's win.
	fresh l7-args
	printf '{"port":5353}' >"$TMP/l7/plugin.json"
	wb build -t "$REG/l7/dns:other-port" "$TMP/l7" && wb push "$REG/l7/dns:other-port" &&
		wb rm "$REG/l7/dns:other-port"
	"${l7[@]}" --plugin "$L7_DNS" --plugin-arg port=5353 >"$TMP/l7-5353.out" 2>/dev/null
	wb l7 --pcap "$TMP/dns.pcap" --plugin "$REG/l7/dns:other-port" --json
	[ "$rc" = 0 ] && [ -s "$TMP/out" ] && cmp -s "$TMP/out" "$TMP/l7-5353.out" &&
		! cmp -s "$TMP/out" "$TMP/l7-file.out" ||
		{ bad l7-plugin-args "rc $rc: $(head -3 "$TMP/err")"; return; }
	wb l7 --pcap "$TMP/dns.pcap" --plugin "$REG/l7/dns:other-port" --plugin-arg port=53 --json
	cmp -s "$TMP/out" "$TMP/l7-file.out" || { bad l7-plugin-override "$(head -3 "$TMP/err")"; return; }
	printf '{"port":{"udp":53}}' >"$TMP/l7/plugin.json"
	wb build -t "$REG/l7/dns:bad" "$TMP/l7"
	expect_fail l7-plugin-bad 'plugin.json: "port" wants a string, number or boolean' \
		l7 --pcap "$TMP/dns.pcap" --plugin "$REG/l7/dns:bad" --json &&
		ok "L7 plugin image: plugin.json's arguments applied, --plugin-arg overrides, bad one refused"
}

# An index of per-architecture BPF objects pulled and pushed to another
# registry: every manifest byte for byte, so every digest, as skopeo sees.
test_multiarch() {
	local sk=(skopeo --insecure-policy) reg1=$REG reg2 d
	fresh multiarch
	app "$TMP/multi" "$HELLO"
	cp "$BPF_OBJ" "$TMP/multi/probe.bpf.amd64.o"
	{ cat "$BPF_OBJ"; printf 'arm64'; } >"$TMP/multi/probe.bpf.arm64.o"
	wb build -t "$reg1/multi/app:v1" "$TMP/multi" && wb push "$reg1/multi/app:v1"
	[ "$rc" = 0 ] || { bad multiarch "$(cat "$TMP/err")"; return; }
	start_registry multi || { bad multiarch "second registry did not start"; return; }
	reg2=$REG
	REG=$reg1
	fresh multiarch2
	wb pull "$reg1/multi/app:v1" && wb tag "$reg1/multi/app:v1" "$reg2/multi/app:v1" &&
		wb push "$reg2/multi/app:v1"
	[ "$rc" = 0 ] || { bad multiarch-repush "$(cat "$TMP/err")"; return; }
	for r in "$reg1" "$reg2"; do
		"${sk[@]}" inspect --raw --tls-verify=false "docker://$r/multi/app:v1" >"$TMP/idx-${r##*:}" ||
			{ bad multiarch "skopeo inspect $r failed"; return; }
	done
	cmp -s "$TMP/idx-${reg1##*:}" "$TMP/idx-${reg2##*:}" ||
		{ bad multiarch "the index changed: $(cat "$TMP/idx-${reg2##*:}")"; return; }
	for d in $(python3 -c 'import json,sys; [print(m["platform"]["architecture"], m["digest"]) for m in json.load(open(sys.argv[1]))["manifests"]]' "$TMP/idx-${reg2##*:}" | sort | cut -d' ' -f2); do
		"${sk[@]}" inspect --raw --tls-verify=false "docker://$reg2/multi/app@$d" >"$TMP/child" &&
		[ "sha256:$(sha256sum <"$TMP/child" | cut -d' ' -f1)" = "$d" ] ||
			{ bad multiarch "child $d missing or altered"; return; }
	done
	"${sk[@]}" copy -q --all --src-tls-verify=false "docker://$reg2/multi/app:v1" \
		"oci:$TMP/multi-layout:x" >"$TMP/sk.log" 2>&1 ||
		{ bad multiarch "skopeo copy --all: $(cat "$TMP/sk.log")"; return; }
	[ "$(grep -o '"digest"' "$TMP/idx-${reg2##*:}" | wc -l)" = 2 ] ||
		{ bad multiarch "want 2 platforms: $(cat "$TMP/idx-${reg2##*:}")"; return; }
	fresh multiarch3
	wb run "$reg2/multi/app:v1" Multi
	grep -q '^Hello, Multi!' "$TMP/out" || { bad multiarch-run "$(cat "$TMP/err")"; return; }
	ok "multi-arch index pulled, pushed to another registry intact (skopeo inspect --raw, copy --all)"
}

# ------------------------------------------------------------ local store

test_local() {
	fresh local
	app "$TMP/hello" "$HELLO"
	wb build -t example.org/hello:v1 "$TMP/hello"
	[ "$rc" = 0 ] || { bad local-build "$(cat "$TMP/err")"; return; }
	wb run example.org/hello:v1 Ada
	[ "$rc" = 0 ] && grep -q '^Hello, Ada!' "$TMP/out" ||
		{ bad local-run "rc $rc: $(cat "$TMP/out" "$TMP/err")"; return; }
	ok "build + run by reference (WASI module)"

	# Content addressing: a second name and a second image with the same
	# module share its blob.
	local before
	before=$(blob_count)
	wb tag example.org/hello:v1 example.org/other:v2
	cp "$HELLO" "$TMP/hello/other.txt"
	wb build -t example.org/hello:v3 "$TMP/hello"
	[ "$(blob_count)" = "$before" ] || bad local-share "blobs $before -> $(blob_count)"
	wb images
	[ "$(grep -c '^example.org/' "$TMP/out")" = 3 ] || bad local-images "$(cat "$TMP/out")"
	wb rm example.org/hello:v1 example.org/hello:v3
	[ "$(blob_count)" = "$before" ] || bad local-gc "rm freed a blob still used"
	wb run example.org/other:v2
	grep -q '^Hello, world!' "$TMP/out" || bad local-tag "$(cat "$TMP/err")"
	wb rm example.org/other:v2
	[ "$(blob_count)" = 0 ] || bad local-gc "$(blob_count) blobs left after the last rm"
	ok "tag, images, rm: blobs shared and collected"

	# Pinning: by digest, and a digest the store does not hold.
	wb build -t example.org/hello:v1 "$TMP/hello"
	local digest
	digest=$(sed -n 's/^Digest: //p' <("$WBPF" inspect example.org/hello:v1))
	wb run "example.org/hello@$digest" pinned
	grep -q '^Hello, pinned!' "$TMP/out" || bad local-pin "$(cat "$TMP/err")"
	expect_fail local-pin-missing "not in the store" \
		inspect "example.org/hello@sha256:$(printf '0%.0s' {1..64})" &&
		ok "run REF@sha256: pinning"
}

test_local_corrupt() {
	fresh corrupt
	app "$TMP/hello" "$HELLO"
	wb build -t example.org/hello:v1 "$TMP/hello"
	local layer
	layer=$("$WBPF" inspect example.org/hello:v1 | awk '/module.v1\+wasm/ {print $3; exit}')
	printf 'x' >>"$WBPF_STORE/blobs/sha256/${layer#sha256:}"
	expect_fail local-corrupt "blob $layer is corrupted in the store" \
		run example.org/hello:v1 && ok "a corrupted blob in the store is refused"
}

test_inspect() {
	fresh inspect
	app "$TMP/gadget" "$HELLO"
	printf 'name: hello\ndescription: a test gadget\n' >"$TMP/gadget/gadget.yaml"
	wb build -t example.org/gadget:v1 "$TMP/gadget"
	wb inspect example.org/gadget:v1
	grep -q 'artifactType application/vnd.wbpf.plugin.v1' "$TMP/out" &&
		grep -q '"kind":"gadget"' "$TMP/out" &&
		grep -q 'application/vnd.wbpf.gadget.v1+yaml' "$TMP/out" ||
		{ bad inspect "$(cat "$TMP/out" "$TMP/err")"; return; }
	ok "inspect: artifactType, config, layers"
	expect_fail inspect-missing "example.org/none:latest: not in the store" \
		inspect example.org/none && ok "inspect of a missing image: one line"
}

# Tests named on the command line, or all of them.
selected() { [ -z "$ONLY" ] || [[ " $ONLY " == *" $1 "* ]]; }
ONLY=${*:2}
for t in local local_corrupt inspect; do
	selected "$t" && "test_$t"
done

if ! command -v docker-registry >/dev/null || ! command -v skopeo >/dev/null; then
	skipped registry "docker-registry or skopeo missing (scripts/deps.sh installs them)"
elif start_registry plain; then
	for t in roundtrip bpf_roundtrip l7_plugin multiarch skopeo foreign write_ig faults bearer \
		archive signatures cosign_keys tls; do
		selected "$t" && "test_$t"
	done
else
	bad registry "could not start docker-registry"
fi

tally oci
