/* SPDX-License-Identifier: MIT */
/*
 * Inspektor Gadget's operator ABI (API version 1) for C guests, both
 * generations: by default mainline's module `ig`; define IG_ABI_ENV
 * before including for the 2025-02 module `env` (strings come back
 * through the guest's exported malloc, which the guest frees).
 *
 * Build as a reactor: clang --target=wasm32-wasi -mexec-model=reactor,
 * export gadgetAPIVersion (returning 1), the lifecycle functions you use
 * and dataSourceCallback; `env` guests also export malloc
 * (-Wl,--export=malloc). docs/abi-inspektor-gadget.md describes every
 * call; these are the raw imports, as IG's Go wasmapi calls them.
 */
#ifndef GADGET_IG_API_H
#define GADGET_IG_API_H

#include <stdint.h>
#include <string.h>

#ifdef IG_ABI_ENV
#define IG_MODULE "env"
#else
#define IG_MODULE "ig"
#endif
#define IG_IMPORT(name) __attribute__((import_module(IG_MODULE), import_name(#name)))

/* A "buf": length in the high half, pointer in the low half. */
static inline uint64_t ig_buf(const void *p, uint32_t len)
{
	return (uint64_t)len << 32 | (uint32_t)(uintptr_t)p;
}

static inline uint64_t ig_cstr(const char *s)
{
	return ig_buf(s, (uint32_t)strlen(s));
}

static inline void *ig_buf_ptr(uint64_t buf)
{
	return (void *)(uintptr_t)(uint32_t)buf;
}

static inline uint32_t ig_buf_len(uint64_t buf)
{
	return (uint32_t)(buf >> 32);
}

enum ig_kind {
	IG_KIND_INVALID, IG_KIND_BOOL, IG_KIND_INT8, IG_KIND_INT16, IG_KIND_INT32,
	IG_KIND_INT64, IG_KIND_UINT8, IG_KIND_UINT16, IG_KIND_UINT32, IG_KIND_UINT64,
	IG_KIND_FLOAT32, IG_KIND_FLOAT64, IG_KIND_STRING, IG_KIND_CSTRING, IG_KIND_BYTES,
};
#define IG_KIND_ARRAY 0x10000000u

enum { IG_DS_SINGLE = 1, IG_DS_ARRAY = 2 };
enum { IG_SUB_DATA = 1, IG_SUB_ARRAY = 2, IG_SUB_PACKET = 3 };
enum { IG_LOG_ERROR, IG_LOG_WARN, IG_LOG_INFO, IG_LOG_DEBUG, IG_LOG_TRACE };

IG_IMPORT(gadgetLog) void ig_gadgetLog(uint32_t level, uint64_t msg);
IG_IMPORT(newDataSource) uint32_t ig_newDataSource(uint64_t name, uint32_t type);
IG_IMPORT(getDataSource) uint32_t ig_getDataSource(uint64_t name);
IG_IMPORT(dataSourceSubscribe) uint32_t ig_dataSourceSubscribe(uint32_t ds, uint32_t type,
								int32_t prio, uint64_t cb);
IG_IMPORT(dataSourceGetField) uint32_t ig_dataSourceGetField(uint32_t ds, uint64_t name);
IG_IMPORT(dataSourceAddField) uint32_t ig_dataSourceAddField(uint32_t ds, uint64_t name,
							      uint32_t kind);
IG_IMPORT(dataSourceNewPacketSingle) uint32_t ig_dataSourceNewPacketSingle(uint32_t ds);
IG_IMPORT(dataSourceNewPacketArray) uint32_t ig_dataSourceNewPacketArray(uint32_t ds);
IG_IMPORT(dataSourceEmitAndRelease) uint32_t ig_dataSourceEmitAndRelease(uint32_t ds,
									  uint32_t pkt);
IG_IMPORT(dataSourceRelease) uint32_t ig_dataSourceRelease(uint32_t ds, uint32_t pkt);
IG_IMPORT(dataSourceUnreference) uint32_t ig_dataSourceUnreference(uint32_t ds);
IG_IMPORT(dataSourceIsReferenced) uint32_t ig_dataSourceIsReferenced(uint32_t ds);
IG_IMPORT(dataArrayNew) uint32_t ig_dataArrayNew(uint32_t arr);
IG_IMPORT(dataArrayAppend) uint32_t ig_dataArrayAppend(uint32_t arr, uint32_t data);
IG_IMPORT(dataArrayRelease) uint32_t ig_dataArrayRelease(uint32_t arr, uint32_t data);
IG_IMPORT(dataArrayLen) uint32_t ig_dataArrayLen(uint32_t arr);
IG_IMPORT(dataArrayGet) uint32_t ig_dataArrayGet(uint32_t arr, uint32_t idx);
IG_IMPORT(fieldSet) uint32_t ig_fieldSet(uint32_t field, uint32_t data, uint32_t kind,
					 uint64_t value);
IG_IMPORT(fieldAddTag) uint32_t ig_fieldAddTag(uint32_t field, uint64_t tag);
IG_IMPORT(setConfig) uint32_t ig_setConfig(uint64_t key, uint64_t val, uint32_t kind);
IG_IMPORT(newMap) uint32_t ig_newMap(uint64_t name, uint32_t type, uint32_t ksz, uint32_t vsz,
				     uint32_t max);
IG_IMPORT(getMap) uint32_t ig_getMap(uint64_t name);
IG_IMPORT(mapLookup) uint32_t ig_mapLookup(uint32_t map, uint64_t key, uint64_t val);
IG_IMPORT(mapUpdate) uint32_t ig_mapUpdate(uint32_t map, uint64_t key, uint64_t val,
					   uint64_t flags);
IG_IMPORT(mapDelete) uint32_t ig_mapDelete(uint32_t map, uint64_t key);
IG_IMPORT(mapRelease) uint32_t ig_mapRelease(uint32_t map);
IG_IMPORT(releaseHandle) uint32_t ig_releaseHandle(uint32_t h);
IG_IMPORT(getSyscallDeclaration) uint32_t ig_getSyscallDeclaration(uint64_t name, uint64_t dst);
IG_IMPORT(newPerfReader) uint32_t ig_newPerfReader(uint32_t map, uint32_t size, uint32_t ovw);
IG_IMPORT(perfReaderPause) uint32_t ig_perfReaderPause(uint32_t r);
IG_IMPORT(perfReaderResume) uint32_t ig_perfReaderResume(uint32_t r);
IG_IMPORT(perfReaderClose) uint32_t ig_perfReaderClose(uint32_t r);
IG_IMPORT(kallsymsSymbolExists) uint32_t ig_kallsymsSymbolExists(uint64_t sym);

#ifdef IG_ABI_ENV
IG_IMPORT(fieldGet) uint64_t ig_fieldGet(uint32_t field, uint32_t data, uint32_t kind);
IG_IMPORT(fieldGetToBuffer) uint32_t ig_fieldGetToBuffer(uint32_t field, uint32_t data,
							  uint32_t kind, uint64_t dst);
IG_IMPORT(getParamValue) uint64_t ig_getParamValue(uint64_t key);
IG_IMPORT(getSyscallName) uint64_t ig_getSyscallName(uint32_t id);
IG_IMPORT(perfReaderRead) uint32_t ig_perfReaderRead(uint32_t r, uint32_t addr);
#else
IG_IMPORT(fieldGetScalar) uint64_t ig_fieldGetScalar(uint32_t field, uint32_t data,
						      uint32_t kind, uint32_t err_ptr);
IG_IMPORT(fieldGetBuffer) int32_t ig_fieldGetBuffer(uint32_t field, uint32_t data, uint32_t kind,
						     uint64_t dst);
IG_IMPORT(getParamValue) uint32_t ig_getParamValue(uint64_t key, uint64_t dst);
IG_IMPORT(getSyscallName) uint32_t ig_getSyscallName(uint32_t id, uint64_t dst);
IG_IMPORT(perfReaderRead) uint32_t ig_perfReaderRead(uint32_t r, uint64_t dst);
IG_IMPORT(getSyscallID) int32_t ig_getSyscallID(uint64_t name);
IG_IMPORT(gadgetShouldLog) uint32_t ig_gadgetShouldLog(uint32_t level);
IG_IMPORT(shouldDiscardMntnsID) uint32_t ig_shouldDiscardMntnsID(uint64_t id);
#endif

static inline void ig_log(uint32_t level, const char *msg)
{
	ig_gadgetLog(level, ig_cstr(msg));
}

#define IG_EXPORT(name) __attribute__((export_name(#name)))

#endif /* GADGET_IG_API_H */
