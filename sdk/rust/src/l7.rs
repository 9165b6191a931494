//! L7 parser plugins for `wbpf l7` on wbpf's `wbpf_l7` ABI (docs/abi-l7.md).
//!
//! A plugin is a WASI reactor (`--crate-type cdylib`, linked with
//! `crt1-reactor.o`) whose hooks are plain functions registered with
//! [`l7_plugin!`](crate::l7_plugin):
//!
//! ```ignore
//! fn check(c: &wbpf::l7::Ctx) -> Option<wbpf::l7::Claim> { ... }
//! fn parse(c: &wbpf::l7::Ctx) -> wbpf::l7::Parse { ... }
//! wbpf::l7_plugin! { init => init, check => check, parse => parse }
//! ```
//!
//! Before each hook the host writes the context, the HTTP strings and the
//! payload into a region the SDK owns; [`Ctx`] reads them in place.

use std::cell::RefCell;

use crate::error::{check, check0, Error, Result};

mod imports {
    #[link(wasm_import_module = "wbpf_l7")]
    extern "C" {
        pub fn log(level: i32, msg: *const u8, len: u32);
        pub fn config(key: *const u8, key_len: u32, buf: *mut u8, cap: u32) -> i32;
        pub fn config_key(i: u32, buf: *mut u8, cap: u32) -> i32;
        pub fn set_name(name: *const u8, len: u32) -> i32;
        pub fn record(kind: i32) -> i32;
        pub fn set_str(field: i32, s: *const u8, len: u32) -> i32;
        pub fn set_int(field: i32, v: i64) -> i32;
        pub fn add_attr(key: *const u8, key_len: u32, val: *const u8, val_len: u32) -> i32;
    }
}

/// Bytes of the fixed context the host writes first.
pub const CTX_SIZE: usize = 144;

thread_local! {
    /// The region the host writes each hook's context into (8-aligned).
    static REGION: RefCell<Vec<u64>> = RefCell::new(Vec::new());
}

/// The `wbpf_l7_buffer` export (through [`l7_plugin!`](crate::l7_plugin)):
/// a region of at least `size` bytes, or 0.
pub fn buffer(size: u32) -> u32 {
    REGION.with(|r| {
        let mut r = r.borrow_mut();
        let words = (size as usize + 7) / 8;
        if r.len() < words {
            r.resize(words, 0);
        }
        r.as_mut_ptr() as u32
    })
}

/// Which hook runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hook {
    Check,
    Parse,
    HttpRequest,
    HttpResponse,
    Other(u8),
}

/// The HTTP strings of the HTTP hooks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HttpStr {
    Path = 0,
    Host = 1,
    UserAgent = 2,
    Referer = 3,
    /// Response hook.
    Endpoint = 4,
}

/// The context of one hook call, read in place.
pub struct Ctx<'a> {
    b: &'a [u8],
}

impl<'a> Ctx<'a> {
    fn u8(&self, at: usize) -> u8 {
        self.b.get(at).copied().unwrap_or(0)
    }
    fn u16(&self, at: usize) -> u16 {
        u16::from_le_bytes([self.u8(at), self.u8(at + 1)])
    }
    fn u32(&self, at: usize) -> u32 {
        u32::from(self.u16(at)) | u32::from(self.u16(at + 2)) << 16
    }
    fn u64(&self, at: usize) -> u64 {
        u64::from(self.u32(at)) | u64::from(self.u32(at + 4)) << 32
    }
    /// A {u32 off, len} span of the region; empty if it points outside.
    fn span(&self, at: usize) -> &'a [u8] {
        let (off, len) = (self.u32(at) as usize, self.u32(at + 4) as usize);
        off.checked_add(len).and_then(|end| self.b.get(off..end)).unwrap_or(&[])
    }

    pub fn hook(&self) -> Hook {
        match self.u8(4) {
            1 => Hook::Check,
            2 => Hook::Parse,
            3 => Hook::HttpRequest,
            4 => Hook::HttpResponse,
            h => Hook::Other(h),
        }
    }
    /// The sender is the server.
    pub fn server_to_client(&self) -> bool {
        self.u8(5) == 1
    }
    /// 4 or 6.
    pub fn family(&self) -> u8 {
        self.u8(6)
    }
    /// 6 TCP, 17 UDP.
    pub fn l4(&self) -> u8 {
        self.u8(7)
    }
    /// The sender's port.
    pub fn sport(&self) -> u16 {
        self.u16(8)
    }
    /// The receiver's port.
    pub fn dport(&self) -> u16 {
        self.u16(10)
    }
    /// 0 in check; else the flow's protocol.
    pub fn protocol(&self) -> u16 {
        self.u16(12)
    }
    /// DeepFlow's ebpf_type numbering; 255: packet capture.
    pub fn source(&self) -> u8 {
        self.u8(14)
    }
    /// HTTP response hook: 0 ok, 2 timeout, 3 server error, 4 client error.
    pub fn http_status(&self) -> u8 {
        self.u8(15)
    }
    /// Sender's address (IPv4: the first 4 bytes).
    pub fn src(&self) -> &'a [u8] {
        self.b.get(16..32).unwrap_or(&[])
    }
    /// Receiver's address.
    pub fn dst(&self) -> &'a [u8] {
        self.b.get(32..48).unwrap_or(&[])
    }
    pub fn flow_id(&self) -> u64 {
        self.u64(48)
    }
    /// Wall clock of the message's first byte.
    pub fn time_us(&self) -> u64 {
        self.u64(56)
    }
    /// 0 when unknown.
    pub fn pid(&self) -> u32 {
        self.u32(64)
    }
    pub fn tid(&self) -> u32 {
        self.u32(68)
    }
    /// "" when unknown.
    pub fn proc_name(&self) -> std::borrow::Cow<'a, str> {
        crate::pod::cstr(self.b.get(72..88).unwrap_or(&[]))
    }
    /// The configured largest message.
    pub fn buf_size(&self) -> u32 {
        self.u32(88)
    }
    /// HTTP response hook.
    pub fn http_code(&self) -> u16 {
        self.u16(92)
    }
    /// No more bytes will come for this message: parse what is there.
    pub fn truncated(&self) -> bool {
        self.u8(94) != 0
    }
    /// The whole L7 message.
    pub fn payload(&self) -> &'a [u8] {
        self.span(96)
    }
    /// An HTTP string of the HTTP hooks (not NUL-terminated).
    pub fn http(&self, which: HttpStr) -> &'a [u8] {
        self.span(104 + 8 * which as usize)
    }
}

/// Runs `f` on the context the host wrote (hook glue for `l7_plugin!`).
pub fn with_ctx<R>(f: impl FnOnce(&Ctx<'_>) -> R) -> R {
    REGION.with(|r| {
        let r = r.borrow();
        let all = crate::pod::slice_as_bytes(&r[..]);
        let size = u32::from_le_bytes([
            *all.first().unwrap_or(&0), *all.get(1).unwrap_or(&0), *all.get(2).unwrap_or(&0),
            *all.get(3).unwrap_or(&0),
        ]) as usize;
        f(&Ctx { b: &all[..size.min(all.len())] })
    })
}

/// A check's answer: the flow is this plugin's protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Claim {
    /// 1..65535.
    pub protocol: u16,
    /// The payload says it travels server to client (a response).
    pub server_to_client: bool,
}

impl Claim {
    /// The ABI's return value.
    pub fn code(claim: Option<Claim>) -> i32 {
        claim.map_or(0, |c| i32::from(c.protocol) | if c.server_to_client { 1 << 16 } else { 0 })
    }
}

/// A parse's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Parse {
    /// Records made (possibly none).
    Done,
    /// Not understood.
    NotMine,
    /// Incomplete: call again with more bytes.
    Again,
}

impl Parse {
    /// The ABI's return value.
    pub fn code(self) -> i32 {
        match self {
            Parse::Done => 1,
            Parse::NotMine => 0,
            Parse::Again => -11,
        }
    }
}

/// Log levels.
#[derive(Clone, Copy, Debug)]
pub enum Level {
    Info = 0,
    Warn = 1,
    Error = 2,
}

/// A line on the host's stderr (100 per instance at most).
pub fn log(level: Level, msg: &str) {
    // SAFETY: msg spans its length.
    unsafe { imports::log(level as i32, msg.as_ptr(), msg.len() as u32) }
}

fn host_bytes(get: impl Fn(*mut u8, u32) -> i32) -> Option<String> {
    let mut buf = vec![0u8; 256];
    let n = get(buf.as_mut_ptr(), buf.len() as u32);
    if n < 0 {
        return None;
    }
    if n as usize > buf.len() {
        buf.resize(n as usize, 0);
        get(buf.as_mut_ptr(), buf.len() as u32);
    }
    buf.truncate(n as usize);
    Some(String::from_utf8_lossy(&buf).into_owned())
}

/// The value of `--plugin-arg key=value`, if given.
pub fn config(key: &str) -> Option<String> {
    // SAFETY: key and buf span the lengths given.
    host_bytes(|buf, cap| unsafe { imports::config(key.as_ptr(), key.len() as u32, buf, cap) })
}

/// Every key given with `--plugin-arg` (to refuse unknown ones).
pub fn config_keys() -> Vec<String> {
    // SAFETY: buf spans cap bytes.
    (0u32..).map_while(|i| host_bytes(|buf, cap| unsafe { imports::config_key(i, buf, cap) }))
        .collect()
}

/// A number from `--plugin-arg key=N`: `Ok(None)` when not given, `EINVAL`
/// unless 1..=max.
pub fn config_uint(key: &str, max: u64) -> Result<Option<u64>> {
    match config(key) {
        None => Ok(None),
        Some(v) => match v.parse::<u64>() {
            Ok(n) if n >= 1 && n <= max && v.bytes().all(|b| b.is_ascii_digit()) => Ok(Some(n)),
            _ => Err(Error::EINVAL),
        },
    }
}

/// The protocol name records get when they set none.
pub fn set_name(name: &str) -> Result<()> {
    // SAFETY: name spans its length.
    check0(unsafe { imports::set_name(name.as_ptr(), name.len() as u32) })
}

/// What a record holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordKind {
    Request = 0,
    Response = 1,
    /// Both halves in one.
    Session = 2,
}

/// A string field of a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StrField(i32);
/// An integer field of a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IntField(i32);

impl StrField {
    pub const VERSION: StrField = StrField(1);
    pub const REQUEST_TYPE: StrField = StrField(2);
    pub const REQUEST_DOMAIN: StrField = StrField(3);
    pub const REQUEST_RESOURCE: StrField = StrField(4);
    pub const ENDPOINT: StrField = StrField(5);
    pub const RESPONSE_RESULT: StrField = StrField(6);
    pub const RESPONSE_EXCEPTION: StrField = StrField(7);
    pub const TRACE_ID: StrField = StrField(8);
    pub const SPAN_ID: StrField = StrField(9);
    pub const PARENT_SPAN_ID: StrField = StrField(10);
    pub const X_REQUEST_ID: StrField = StrField(11);
    pub const HTTP_PROXY_CLIENT: StrField = StrField(12);
    pub const PROTOCOL_STR: StrField = StrField(13);
    pub const BIZ_CODE: StrField = StrField(14);
    pub const BIZ_SCENARIO: StrField = StrField(15);
    pub const BIZ_RESPONSE_CODE: StrField = StrField(16);
}

impl IntField {
    pub const REQUEST_ID: IntField = IntField(32);
    pub const RESPONSE_CODE: IntField = IntField(33);
    /// 0 ok, 2 timeout, 3 server error, 4 client error, 5 unknown.
    pub const RESPONSE_STATUS: IntField = IntField(34);
    pub const REQ_LEN: IntField = IntField(35);
    pub const RESP_LEN: IntField = IntField(36);
    pub const BIZ_TYPE: IntField = IntField(37);
    pub const FLAGS: IntField = IntField(38);
    /// Where this record's message ends in the payload.
    pub const MSG_END: IntField = IntField(39);
}

/// The record being filled (the host's current one).
#[derive(Debug)]
pub struct Record(());

impl Record {
    /// Starts a record (only in parse and HTTP hooks: `EPERM` elsewhere;
    /// `ENOSPC` past 16).
    pub fn new(kind: RecordKind) -> Result<Record> {
        // SAFETY: a plain integer.
        check(unsafe { imports::record(kind as i32) }).map(|_| Record(()))
    }

    /// Sets a string field (cut to the field's size by the host).
    pub fn str(&self, field: StrField, v: impl AsRef<[u8]>) -> Result<&Self> {
        let v = v.as_ref();
        // SAFETY: v spans its length.
        check0(unsafe { imports::set_str(field.0, v.as_ptr(), v.len() as u32) }).map(|_| self)
    }

    /// Sets an integer field.
    pub fn int(&self, field: IntField, v: i64) -> Result<&Self> {
        // SAFETY: plain integers.
        check0(unsafe { imports::set_int(field.0, v) }).map(|_| self)
    }

    /// Adds an attribute (`ENOSPC` past 16).
    pub fn attr(&self, key: &str, v: impl AsRef<[u8]>) -> Result<&Self> {
        let v = v.as_ref();
        // SAFETY: key and v span their lengths.
        check0(unsafe {
            imports::add_attr(key.as_ptr(), key.len() as u32, v.as_ptr(), v.len() as u32)
        })
        .map(|_| self)
    }
}

/// Exports a plugin's hooks and the context region:
///
/// ```ignore
/// wbpf::l7_plugin! {
///     init => init,                 // fn() -> wbpf::Result<()>: Err refuses the load
///     check => check,               // fn(&Ctx) -> Option<Claim>
///     parse => parse,               // fn(&Ctx) -> Parse
///     on_http_req => on_req,        // fn(&Ctx) -> bool: true merges the last record
///     on_http_resp => on_resp,      // fn(&Ctx) -> bool
/// }
/// ```
/// Each hook is optional.
#[macro_export]
macro_rules! l7_plugin {
    ($($hook:ident => $f:path),* $(,)?) => {
        #[no_mangle]
        pub extern "C" fn wbpf_l7_buffer(size: u32) -> u32 {
            $crate::l7::buffer(size)
        }
        $($crate::__l7_hook!($hook, $f);)*
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __l7_hook {
    (init, $f:path) => {
        #[no_mangle]
        pub extern "C" fn wbpf_l7_init() -> i32 {
            let f: fn() -> $crate::Result<()> = $f;
            f().is_err() as i32
        }
    };
    (check, $f:path) => {
        #[no_mangle]
        pub extern "C" fn wbpf_l7_check() -> i32 {
            let f: fn(&$crate::l7::Ctx<'_>) -> Option<$crate::l7::Claim> = $f;
            $crate::l7::Claim::code($crate::l7::with_ctx(f))
        }
    };
    (parse, $f:path) => {
        #[no_mangle]
        pub extern "C" fn wbpf_l7_parse() -> i32 {
            let f: fn(&$crate::l7::Ctx<'_>) -> $crate::l7::Parse = $f;
            $crate::l7::with_ctx(f).code()
        }
    };
    (on_http_req, $f:path) => {
        #[no_mangle]
        pub extern "C" fn wbpf_l7_on_http_req() -> i32 {
            let f: fn(&$crate::l7::Ctx<'_>) -> bool = $f;
            $crate::l7::with_ctx(f) as i32
        }
    };
    (on_http_resp, $f:path) => {
        #[no_mangle]
        pub extern "C" fn wbpf_l7_on_http_resp() -> i32 {
            let f: fn(&$crate::l7::Ctx<'_>) -> bool = $f;
            $crate::l7::with_ctx(f) as i32
        }
    };
}
