//! Gadget operators on wbpf's own operator ABI, module `wbpf_gadget`
//! (docs/gadget-operator-abi.md): datasources and fields looked up once,
//! each eBPF record read in place from a buffer the host fills before the
//! callback, many field values set in one call.
//!
//! An operator is a WASI reactor (`--crate-type cdylib` with
//! `crt1-reactor.o`, as for L7 plugins) whose hooks
//! [`gadget_operator!`](crate::gadget_operator) exports:
//!
//! ```ignore
//! fn init() -> wbpf::Result<()> { ...; ds.subscribe(0, 0, 1024) }
//! fn event(e: &mut wbpf::gadget::Event<'_>) -> wbpf::gadget::Verdict { ... }
//! wbpf::gadget_operator! { init => init, event => event }
//! ```

use std::cell::RefCell;
use std::collections::HashMap;
use std::marker::PhantomData;

use crate::error::{check, check0, Result};

mod imports {
    #[link(wasm_import_module = "wbpf_gadget")]
    extern "C" {
        pub fn log(level: u32, msg: *const u8, len: u32);
        pub fn last_error(buf: *mut u8, cap: u32) -> i32;
        pub fn param(key: *const u8, klen: u32, buf: *mut u8, cap: u32) -> i32;
        pub fn timer(interval_ns: u64, cookie: u32) -> i32;
        pub fn ds_get(name: *const u8, len: u32) -> i32;
        pub fn ds_new(name: *const u8, len: u32, kind: u32) -> i32;
        pub fn field_get(ds: i32, name: *const u8, len: u32, info: *mut u32) -> i32;
        pub fn field_add(ds: i32, name: *const u8, len: u32, kind: u32) -> i32;
        pub fn field_hide(field: i32, hidden: u32) -> i32;
        pub fn subscribe(ds: i32, prio: i32, buf: *mut u8, cap: u32, cookie: u32) -> i32;
        pub fn set(data: i32, vals: *const super::Val<'_>, n: u32) -> i32;
        pub fn emit(ds: i32, vals: *const super::Val<'_>, n: u32) -> i32;
    }
}

/// Field kinds (Inspektor Gadget's numbers).
pub mod kind {
    pub const BOOL: u32 = 1;
    pub const INT8: u32 = 2;
    pub const INT16: u32 = 3;
    pub const INT32: u32 = 4;
    pub const INT64: u32 = 5;
    pub const UINT8: u32 = 6;
    pub const UINT16: u32 = 7;
    pub const UINT32: u32 = 8;
    pub const UINT64: u32 = 9;
    pub const FLOAT32: u32 = 10;
    pub const FLOAT64: u32 = 11;
    pub const STRING: u32 = 12;
    pub const BYTES: u32 = 14;
    /// Or-ed in: an array (strings NUL-separated, scalars packed).
    pub const ARRAY: u32 = 0x1000_0000;
}

/// Log levels.
#[derive(Clone, Copy, Debug)]
pub enum Level {
    Error = 0,
    Warn = 1,
    Info = 2,
    Debug = 3,
}

/// A line on the host's stderr.
pub fn log(level: Level, msg: &str) {
    // SAFETY: msg spans its length.
    unsafe { imports::log(level as u32, msg.as_ptr(), msg.len() as u32) }
}

/// Why the last call failed, as the host said.
pub fn last_error() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: buf spans its length.
    let n = unsafe { imports::last_error(buf.as_mut_ptr(), buf.len() as u32) };
    String::from_utf8_lossy(&buf[..(n.max(0) as usize).min(buf.len())]).into_owned()
}

/// A param's value (set or default), `None` when there is no such param.
pub fn param(key: &str) -> Option<String> {
    let mut buf = vec![0u8; 256];
    loop {
        // SAFETY: key and buf span their lengths.
        let n = unsafe { imports::param(key.as_ptr(), key.len() as u32, buf.as_mut_ptr(),
                                        buf.len() as u32) };
        if n < 0 {
            return None;
        }
        if n as usize <= buf.len() {
            buf.truncate(n as usize);
            return Some(String::from_utf8_lossy(&buf).into_owned());
        }
        buf.resize(n as usize, 0);
    }
}

/// Calls the `timer` hook with `cookie` every `interval_ns` (>= 1 ms).
pub fn timer(interval_ns: u64, cookie: u32) -> Result<()> {
    // SAFETY: plain integers.
    check0(unsafe { imports::timer(interval_ns, cookie) })
}

/// A datasource.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ds(i32);

/// A field of a datasource; eBPF fields come with their place in the record.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Field {
    h: i32,
    pub kind: u32,
    pub flags: u32,
    pub offs: u32,
    pub size: u32,
}

thread_local! {
    /// Record buffers by subscription cookie: the host writes each record
    /// into its buffer before calling the event hook.
    static BUFFERS: RefCell<HashMap<u32, Vec<u8>>> = RefCell::new(HashMap::new());
}

impl Ds {
    /// The datasource called `name`.
    pub fn get(name: &str) -> Result<Ds> {
        // SAFETY: name spans its length.
        check(unsafe { imports::ds_get(name.as_ptr(), name.len() as u32) }).map(|h| Ds(h as i32))
    }

    /// A new datasource: `array` for one of arrays.
    pub fn new(name: &str, array: bool) -> Result<Ds> {
        // SAFETY: name spans its length.
        check(unsafe { imports::ds_new(name.as_ptr(), name.len() as u32, 1 + array as u32) })
            .map(|h| Ds(h as i32))
    }

    /// A field by (dotted) name.
    pub fn field(&self, name: &str) -> Result<Field> {
        let mut info = [0u32; 4];
        // SAFETY: name spans its length, info 16 bytes.
        let h = check(unsafe {
            imports::field_get(self.0, name.as_ptr(), name.len() as u32, info.as_mut_ptr())
        })?;
        Ok(Field { h: h as i32, kind: info[0], flags: info[1], offs: info[2], size: info[3] })
    }

    /// A new field of `kind` (before start).
    pub fn add_field(&self, name: &str, kind: u32) -> Result<Field> {
        // SAFETY: name spans its length.
        let h = check(unsafe { imports::field_add(self.0, name.as_ptr(), name.len() as u32, kind) })?;
        Ok(Field { h: h as i32, kind, ..Field::default() })
    }

    /// Calls the `event` hook for each record with `cookie`; records are
    /// copied into a buffer of `cap` bytes the SDK keeps (0: no copy).
    pub fn subscribe(&self, prio: i32, cookie: u32, cap: usize) -> Result<()> {
        BUFFERS.with(|b| {
            let mut b = b.borrow_mut();
            let buf = b.entry(cookie).or_default();
            buf.resize(cap, 0);
            let ptr = if cap > 0 { buf.as_mut_ptr() } else { std::ptr::null_mut() };
            // SAFETY: the buffer stays in the map (never shrunk) for the
            // instance's life; the host writes at most cap bytes there.
            check0(unsafe { imports::subscribe(self.0, prio, ptr, cap as u32, cookie) })
        })
    }

    /// Emits one record with these values through the datasource.
    pub fn emit(&self, vals: &[Val<'_>]) -> Result<()> {
        // SAFETY: vals and what they point to are live for the call.
        check0(unsafe { imports::emit(self.0, vals.as_ptr(), vals.len() as u32) })
    }
}

impl Field {
    fn at(&self, rec: &[u8], n: usize) -> u64 {
        let offs = self.offs as usize;
        let b = rec.get(offs..offs + n).unwrap_or(&[]);
        b.iter().rev().fold(0u64, |v, &x| v << 8 | u64::from(x))
    }

    /// An unsigned eBPF field of the record (its size: 1, 2, 4 or 8 bytes).
    pub fn uint(&self, rec: &[u8]) -> u64 {
        self.at(rec, (self.size as usize).min(8))
    }

    /// The field's bytes in the record (empty if it lies outside).
    pub fn bytes<'r>(&self, rec: &'r [u8]) -> &'r [u8] {
        let offs = self.offs as usize;
        rec.get(offs..offs + self.size as usize).unwrap_or(&[])
    }

    /// A char[] field up to its NUL.
    pub fn str<'r>(&self, rec: &'r [u8]) -> &'r [u8] {
        let b = self.bytes(rec);
        &b[..b.iter().position(|&c| c == 0).unwrap_or(b.len())]
    }

    /// Hides or shows the field in the default output.
    pub fn hide(&self, hidden: bool) -> Result<()> {
        // SAFETY: plain integers.
        check0(unsafe { imports::field_hide(self.h, hidden as u32) })
    }
}

/// One field value for `set`/`emit`: 16 bytes, as the ABI lays it out.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Val<'a> {
    field: u32,
    len: u32,
    v: u64,
    _data: PhantomData<&'a [u8]>,
}

impl<'a> Val<'a> {
    /// A scalar field.
    pub fn scalar(f: &Field, v: u64) -> Val<'static> {
        Val { field: f.h as u32, len: 0, v, _data: PhantomData }
    }

    /// A string, bytes or array field (strings of an array NUL-separated).
    pub fn bytes(f: &Field, data: &'a [u8]) -> Val<'a> {
        Val { field: f.h as u32, len: data.len() as u32, v: data.as_ptr() as u64,
              _data: PhantomData }
    }
}

/// What happens to a record after the event hook.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Keep = 0,
    /// The record (or this array element) goes no further.
    Drop = 1,
    /// Kept, with the record's bytes (eBPF fields edited in place) taken back.
    Modified = 2,
}

/// One record during the event hook.
pub struct Event<'a> {
    pub cookie: u32,
    data: i32,
    rec: &'a mut [u8],
}

impl Event<'_> {
    /// The eBPF record's bytes (as `subscribe`'s buffer holds them).
    pub fn record(&self) -> &[u8] {
        self.rec
    }

    /// The record's bytes, to edit eBPF fields (answer `Verdict::Modified`).
    pub fn record_mut(&mut self) -> &mut [u8] {
        self.rec
    }

    /// Sets fields of this record in one call.
    pub fn set(&self, vals: &[Val<'_>]) -> Result<()> {
        // SAFETY: vals and what they point to are live for the call.
        check0(unsafe { imports::set(self.data, vals.as_ptr(), vals.len() as u32) })
    }
}

/// Runs the event hook on the buffer of `cookie` (glue for
/// `gadget_operator!`).
pub fn dispatch(cookie: u32, data: i32, len: u32, f: fn(&mut Event<'_>) -> Verdict) -> i32 {
    BUFFERS.with(|b| {
        let mut b = b.borrow_mut();
        let mut empty = Vec::new();
        let buf = b.get_mut(&cookie).unwrap_or(&mut empty);
        let n = (len as usize).min(buf.len());
        f(&mut Event { cookie, data, rec: &mut buf[..n] }) as i32
    })
}

/// The result of a lifecycle hook: 0, or 1 after logging why.
pub fn lifecycle(name: &str, r: Result<()>) -> i32 {
    match r {
        Ok(()) => 0,
        Err(e) => {
            log(Level::Error, &format!("{}: {} ({})", name, e, last_error()));
            1
        }
    }
}

/// Exports an operator's hooks, each optional:
///
/// ```ignore
/// wbpf::gadget_operator! {
///     init => init,          // fn() -> wbpf::Result<()> (gadgetInit); also
///     start => start,        // pre_start, start, stop, post_stop
///     event => event,        // fn(&mut Event) -> Verdict (wbpf_gadget_event)
///     timer => tick,         // fn(u32 cookie) (wbpf_gadget_timer)
/// }
/// ```
#[macro_export]
macro_rules! gadget_operator {
    ($($hook:ident => $f:path),* $(,)?) => {
        $($crate::__gadget_hook!($hook, $f);)*
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __gadget_hook {
    (init, $f:path) => { $crate::__gadget_life!(gadgetInit, $f); };
    (pre_start, $f:path) => { $crate::__gadget_life!(gadgetPreStart, $f); };
    (start, $f:path) => { $crate::__gadget_life!(gadgetStart, $f); };
    (stop, $f:path) => { $crate::__gadget_life!(gadgetStop, $f); };
    (post_stop, $f:path) => { $crate::__gadget_life!(gadgetPostStop, $f); };
    (event, $f:path) => {
        #[no_mangle]
        pub extern "C" fn wbpf_gadget_event(cookie: u32, data: i32, len: u32) -> i32 {
            $crate::gadget::dispatch(cookie, data, len, $f)
        }
    };
    (timer, $f:path) => {
        #[no_mangle]
        pub extern "C" fn wbpf_gadget_timer(cookie: u32) {
            let f: fn(u32) = $f;
            f(cookie)
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __gadget_life {
    ($export:ident, $f:path) => {
        #[no_mangle]
        #[allow(non_snake_case)]
        pub extern "C" fn $export() -> i32 {
            let f: fn() -> $crate::Result<()> = $f;
            $crate::gadget::lifecycle(stringify!($export), f())
        }
    };
}
