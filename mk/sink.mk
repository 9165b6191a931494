# Sinks and metrics (src/sink/): ClickHouse over HTTP (libcurl, zlib),
# /metrics (libmicrohttpd), records from guests (jansson).
LDLIBS += -lcurl -lmicrohttpd -ljansson
