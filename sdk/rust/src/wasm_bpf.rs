//! Compatibility with wasm-bpf's Rust binding (`wasm-bpf-binding`'s
//! `binding` module): the same function names and Rust signatures, on
//! the `wasm_bpf` module wbpf implements (docs/abi-wasm-bpf.md). Code
//! written against wasm-bpf ports by changing its `use` line to
//! `use wbpf::wasm_bpf::binding;`.
//!
//! These calls take guest addresses as integers, as wasm-bpf's do; the
//! host checks every range and handle (a bad one is `-EFAULT`/`-EBADF`,
//! never a crash), but what it writes through a wrong address lands in
//! the guest's own memory. New code should use the crate's safe API.

/// `wasm_bpf_map_operate` commands (the kernel's numbers).
pub const BPF_MAP_LOOKUP_ELEM: i32 = 1;
pub const BPF_MAP_UPDATE_ELEM: i32 = 2;
pub const BPF_MAP_DELETE_ELEM: i32 = 3;
pub const BPF_MAP_GET_NEXT_KEY: i32 = 4;

mod imports {
    #[link(wasm_import_module = "wasm_bpf")]
    extern "C" {
        pub fn wasm_load_bpf_object(buf: u32, size: i32) -> u64;
        pub fn wasm_close_bpf_object(obj: u64) -> i32;
        pub fn wasm_attach_bpf_program(obj: u64, name: u32, target: u32) -> i32;
        pub fn wasm_bpf_buffer_poll(obj: u64, fd: i32, sample: i32, ctx: u32, data: u32,
                                    max_size: i32, timeout_ms: i32) -> i32;
        pub fn wasm_bpf_map_fd_by_name(obj: u64, name: u32) -> i32;
        pub fn wasm_bpf_map_operate(fd: i32, cmd: i32, key: u32, value: u32, next_key: u32,
                                    flags: u64) -> i32;
    }
}

/// wasm-bpf's `binding` module.
pub mod binding {
    use super::imports;

    pub type BpfObjectSkel = u64;

    /// Opens and loads the object at `[obj_buf, obj_buf + obj_buf_sz)`;
    /// 0 on failure.
    pub fn wasm_load_bpf_object(obj_buf: u32, obj_buf_sz: i32) -> BpfObjectSkel {
        // SAFETY: the host bounds-checks the range and copies it.
        unsafe { imports::wasm_load_bpf_object(obj_buf, obj_buf_sz) }
    }

    /// Detaches everything and closes.
    pub fn wasm_close_bpf_object(obj: BpfObjectSkel) -> i32 {
        // SAFETY: the host checks the handle.
        unsafe { imports::wasm_close_bpf_object(obj) }
    }

    /// Attaches the program whose C function is the string at `name`;
    /// `attach_target` (an interface or cgroup, or 0/"") as in the ABI.
    pub fn wasm_attach_bpf_program(obj: BpfObjectSkel, name: u32, attach_target: u32) -> i32 {
        // SAFETY: the host checks the handle and both strings.
        unsafe { imports::wasm_attach_bpf_program(obj, name, attach_target) }
    }

    /// Polls the ring or perf buffer of map `fd`, calling table 0's
    /// `sample_func(ctx, data, size)` per record copied to `data`.
    pub fn wasm_bpf_buffer_poll(program: BpfObjectSkel, fd: i32, sample_func: i32, ctx: u32,
                                data: u32, max_size: i32, timeout_ms: i32) -> i32 {
        // SAFETY: the host checks the handles, the range and the
        // function's type.
        unsafe {
            imports::wasm_bpf_buffer_poll(program, fd, sample_func, ctx, data, max_size,
                                          timeout_ms)
        }
    }

    /// The map handle ("fd") of the map named by the string at `name`.
    pub fn wasm_bpf_map_fd_by_name(obj: BpfObjectSkel, name: u32) -> i32 {
        // SAFETY: the host checks the handle and the string.
        unsafe { imports::wasm_bpf_map_fd_by_name(obj, name) }
    }

    /// Lookup, update, delete or get-next-key on map `fd`; sizes come
    /// from the map. wasm-bpf's binding passes the addresses as u64.
    pub fn wasm_bpf_map_operate(fd: i32, cmd: i32, key: u64, value: u64, next_key: u64,
                                flags: u64) -> i32 {
        let addr = |a: u64| u32::try_from(a).unwrap_or(u32::MAX);
        // SAFETY: the host checks the handle and every range (an address
        // past 4 GiB is sent as one that is always out of bounds).
        unsafe {
            imports::wasm_bpf_map_operate(fd, cmd, addr(key), addr(value), addr(next_key), flags)
        }
    }
}
