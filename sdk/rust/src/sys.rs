//! The raw imports of module `wbpf` (docs/abi-wbpf.md), as the host defines
//! them. Every function returns `>= 0` or a negative Linux errno; the safe
//! API in the rest of the crate is built on these.
#![allow(missing_docs)]

use std::os::raw::c_char;

/// Written by `map_info`; 32 bytes, fixed by the ABI.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MapInfo {
    /// `enum bpf_map_type`.
    pub map_type: u32,
    pub key_size: u32,
    /// One CPU's value.
    pub value_size: u32,
    pub max_entries: u32,
    pub map_flags: u32,
    /// Bytes one lookup or update value takes (per-CPU maps: every CPU's).
    pub value_stride: u32,
    /// Possible CPUs of the host.
    pub ncpus: u32,
    pub reserved: u32,
}

const _: () = assert!(std::mem::size_of::<MapInfo>() == 32);

#[link(wasm_import_module = "wbpf")]
extern "C" {
    pub fn object_open(buf: *const u8, size: u32, name: *const c_char) -> i32;
    pub fn object_load(obj: i32) -> i32;
    pub fn object_close(obj: i32) -> i32;
    pub fn object_find_program(obj: i32, name: *const c_char) -> i32;
    pub fn object_find_map(obj: i32, name: *const c_char) -> i32;
    pub fn object_program(obj: i32, index: u32) -> i32;
    pub fn object_map(obj: i32, index: u32) -> i32;

    pub fn program_name(prog: i32, buf: *mut u8, size: u32) -> i32;
    pub fn program_section(prog: i32, buf: *mut u8, size: u32) -> i32;
    pub fn program_set_autoload(prog: i32, on: i32) -> i32;
    pub fn program_attach(prog: i32) -> i32;
    pub fn program_attach_tracepoint(prog: i32, category: *const c_char, name: *const c_char)
        -> i32;
    pub fn program_attach_raw_tracepoint(prog: i32, name: *const c_char) -> i32;
    pub fn program_attach_trace(prog: i32) -> i32;
    pub fn program_attach_uprobe(
        prog: i32,
        retprobe: i32,
        pid: i32,
        binary: *const c_char,
        func: *const c_char,
        offset: u64,
    ) -> i32;
    pub fn program_attach_socket(prog: i32, ifname: *const c_char) -> i32;
    pub fn program_attach_cgroup(prog: i32, path: *const c_char) -> i32;
    pub fn program_attach_xdp(prog: i32, ifname: *const c_char) -> i32;
    pub fn link_destroy(link: i32) -> i32;

    pub fn map_info(map: i32, info: *mut MapInfo) -> i32;
    pub fn map_name(map: i32, buf: *mut u8, size: u32) -> i32;
    pub fn map_set_max_entries(map: i32, n: u32) -> i32;
    pub fn map_lookup(
        map: i32,
        key: *const u8,
        key_size: u32,
        value: *mut u8,
        value_size: u32,
        flags: u64,
    ) -> i32;
    pub fn map_update(
        map: i32,
        key: *const u8,
        key_size: u32,
        value: *const u8,
        value_size: u32,
        flags: u64,
    ) -> i32;
    pub fn map_delete(map: i32, key: *const u8, key_size: u32, flags: u64) -> i32;
    pub fn map_next_key(map: i32, key: *const u8, next_key: *mut u8, key_size: u32) -> i32;
    pub fn map_lookup_and_delete(
        map: i32,
        key: *const u8,
        key_size: u32,
        value: *mut u8,
        value_size: u32,
        flags: u64,
    ) -> i32;
    pub fn map_lookup_batch(
        map: i32,
        in_batch: *const u8,
        out_batch: *mut u8,
        keys: *mut u8,
        values: *mut u8,
        count: *mut u32,
        elem_flags: u64,
    ) -> i32;
    pub fn map_lookup_and_delete_batch(
        map: i32,
        in_batch: *const u8,
        out_batch: *mut u8,
        keys: *mut u8,
        values: *mut u8,
        count: *mut u32,
        elem_flags: u64,
    ) -> i32;
    pub fn map_update_batch(
        map: i32,
        keys: *const u8,
        values: *const u8,
        count: *mut u32,
        elem_flags: u64,
    ) -> i32;
    pub fn map_delete_batch(map: i32, keys: *const u8, count: *mut u32, elem_flags: u64) -> i32;
    pub fn map_data_read(map: i32, offset: u32, buf: *mut u8, len: u32) -> i32;
    pub fn map_data_write(map: i32, offset: u32, buf: *const u8, len: u32) -> i32;

    pub fn ringbuf_new(map: i32, sample: i32, ctx: *mut u8, buf: *mut u8, buf_size: u32) -> i32;
    pub fn ringbuf_add(rb: i32, map: i32, sample: i32, ctx: *mut u8) -> i32;
    pub fn ringbuf_poll(rb: i32, timeout_ms: i32) -> i32;
    pub fn ringbuf_consume(rb: i32) -> i32;
    pub fn ringbuf_read(rb: i32, buf: *mut u8, size: u32, timeout_ms: i32) -> i32;
    pub fn ringbuf_lost(rb: i32) -> u64;
    pub fn ringbuf_free(rb: i32) -> i32;

    pub fn perfbuf_new(
        map: i32,
        page_cnt: u32,
        sample: i32,
        lost: i32,
        ctx: *mut u8,
        buf: *mut u8,
        buf_size: u32,
    ) -> i32;
    pub fn perfbuf_poll(pb: i32, timeout_ms: i32) -> i32;
    pub fn perfbuf_consume(pb: i32) -> i32;
    pub fn perfbuf_lost(pb: i32) -> u64;
    pub fn perfbuf_free(pb: i32) -> i32;

    pub fn record_emit_json(json: *const u8, len: u32) -> i32;
}
