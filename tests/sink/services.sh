# Shell helpers shared by tests/sink/run.sh and bench/sink/clickhouse.sh:
# waiting for HTTP, a throwaway ClickHouse server and a throwaway
# Prometheus (prom_start; free_port comes from tests/lib.sh, which the
# caller sources first).
#   source tests/sink/services.sh; CH_DIR=...; ch_start; ch_query SQL; ch_stop
# ch_start appends the server's pid to the PIDS array (the caller's
# cleanup kills what it holds).

wait_http() { # URL SECONDS
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		curl -sf -o /dev/null "$1" && return 0
		sleep 0.1
	done
	return 1
}

# A throwaway Prometheus scraping TARGET every second, its API on
# 127.0.0.1:PORT, its files in DIR (the caller's); its pid joins PIDS.
prom_start() { # DIR PORT TARGET
	cat >"$1/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: wbpf
    static_configs:
      - targets: ['$3']
EOF
	prometheus --config.file="$1/prometheus.yml" --storage.tsdb.path="$1/tsdb" \
		--web.listen-address="127.0.0.1:$2" >"$1/prometheus.log" 2>&1 &
	PIDS+=("$!")
}

# prom_query PORT EXPR: EXPR's value (its first series') at the Prometheus
# at PORT, empty if none
prom_query() {
	promtool query instant "http://127.0.0.1:$1" "$2" 2>/dev/null |
		sed -n 's/.*=> \([0-9.e+]*\) @.*/\1/p' | head -1
}

# prom_scraped PORT SECONDS: waits until the Prometheus at PORT has scraped
# its target (its `up` series is 1); false if not within SECONDS. A fresh
# Prometheus took over 6 s to start and scrape once.
prom_scraped() {
	local i
	for ((i = 0; i < $2 * 4; i++)); do
		[ "$(prom_query "$1" up)" = 1 ] && return 0
		sleep 0.25
	done
	return 1
}

# A server for this run: its directory (CH_DIR, the caller's) and address.
CH_PORT=$(free_port)
CH_URL=http://127.0.0.1:$CH_PORT/

ch_start() {
	mkdir -p "$CH_DIR"
	cat >"$CH_DIR/config.xml" <<EOF
<yandex>
  <logger><level>warning</level><console>1</console></logger>
  <http_port>$CH_PORT</http_port>
  <tcp_port>$(free_port)</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <path>$CH_DIR/data/</path>
  <tmp_path>$CH_DIR/tmp/</tmp_path>
  <user_files_path>$CH_DIR/user_files/</user_files_path>
  <format_schema_path>$CH_DIR/format_schemas/</format_schema_path>
  <users_config>users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>5368709</mark_cache_size>
</yandex>
EOF
	cat >"$CH_DIR/users.xml" <<EOF
<yandex>
  <profiles><default></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip></networks>
    <profile>default</profile><quota>default</quota></default></users>
  <quotas><default></default></quotas>
</yandex>
EOF
	clickhouse-server --config-file="$CH_DIR/config.xml" >>"$CH_DIR/log" 2>&1 &
	CH_PID=$!
	PIDS+=("$CH_PID")
	wait_http "${CH_URL}?query=SELECT+1" 60
}

# SIGKILL: a graceful stop of this server waits for its clients to hang
# up, and wbpf keeps its connection open; a killed store is the harder case.
ch_stop() {
	kill -9 "$CH_PID" 2>/dev/null
	wait "$CH_PID" 2>/dev/null
}

ch_query() {
	curl -s --data-binary "$1" "$CH_URL"
}

