//! BPF objects, their programs, and links (attached programs).

use std::cell::RefCell;
use std::ffi::CString;
use std::marker::PhantomData;
use std::ptr;

use crate::error::{check, check0, Error, Result};
use crate::map::Map;
use crate::pod::Pod;
use crate::sys;

/// A NUL-terminated copy of `s`; a string holding a NUL is `EINVAL`.
pub(crate) fn c_string(s: &str) -> Result<CString> {
    CString::new(s).map_err(|_| Error::EINVAL)
}

/// A name the host copies `snprintf`-style: asks for the length first.
pub(crate) fn host_string(get: impl Fn(*mut u8, u32) -> i32) -> Result<String> {
    let len = check(get(ptr::null_mut(), 0))? as usize;
    let mut buf = vec![0u8; len + 1];
    check(get(buf.as_mut_ptr(), buf.len() as u32))?;
    buf.truncate(len);
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

/// A BPF object (an ELF file's programs and maps) opened on the host.
/// Closed when dropped: its links, buffers, program and map handles go
/// with it, which the borrows of [`Program`], [`Map`] and [`Link`] enforce.
#[derive(Debug)]
pub struct Object {
    handle: i32,
    /// Programs turned off with `set_autoload(false)`: `attach_all` skips
    /// them, as libbpf's skeletons do.
    no_autoload: RefCell<Vec<i32>>,
}

impl Object {
    /// Opens an object from its ELF bytes (typically `include_bytes!`).
    /// The host copies them.
    pub fn open(elf: &[u8]) -> Result<Object> {
        Self::open_raw(elf, None)
    }

    /// As [`open`](Self::open), naming the object (libbpf's `object_name`:
    /// prefixes the names of its global-data maps).
    pub fn open_named(elf: &[u8], name: &str) -> Result<Object> {
        Self::open_raw(elf, Some(&c_string(name)?))
    }

    fn open_raw(elf: &[u8], name: Option<&CString>) -> Result<Object> {
        let name = name.map_or(ptr::null(), |n| n.as_ptr());
        // SAFETY: elf and name are live for the call; the host copies them.
        let h = check(unsafe { sys::object_open(elf.as_ptr(), elf.len() as u32, name) })?;
        Ok(Object { handle: h as i32, no_autoload: RefCell::new(Vec::new()) })
    }

    /// Verifies and loads the programs into the kernel (CO-RE relocated).
    pub fn load(&self) -> Result<()> {
        // SAFETY: handles are plain integers the host checks.
        check0(unsafe { sys::object_load(self.handle) })
    }

    /// The program whose C function is `name`.
    pub fn program(&self, name: &str) -> Result<Program<'_>> {
        let name = c_string(name)?;
        // SAFETY: name is NUL-terminated and live.
        let h = check(unsafe { sys::object_find_program(self.handle, name.as_ptr()) })?;
        Ok(Program { obj: self, handle: h as i32 })
    }

    /// The map called `name`, or a global-data section (`.rodata`, `.bss`,
    /// `.data`).
    pub fn map(&self, name: &str) -> Result<Map<'_>> {
        let name = c_string(name)?;
        // SAFETY: name is NUL-terminated and live.
        let h = check(unsafe { sys::object_find_map(self.handle, name.as_ptr()) })?;
        Ok(Map::new(h as i32))
    }

    /// Every program, in ELF order.
    pub fn programs(&self) -> impl Iterator<Item = Program<'_>> {
        // SAFETY: plain integers.
        indexed(move |i| unsafe { sys::object_program(self.handle, i) })
            .map(move |h| Program { obj: self, handle: h })
    }

    /// Every map, global-data maps included.
    pub fn maps(&self) -> impl Iterator<Item = Map<'_>> {
        // SAFETY: plain integers.
        indexed(move |i| unsafe { sys::object_map(self.handle, i) }).map(Map::new)
    }

    /// Attaches every loaded program by its section, as a libbpf skeleton's
    /// `attach` does: programs whose section needs a target the guest must
    /// name (`EOPNOTSUPP`: uprobes without a binary, xdp, ...) and programs
    /// not autoloaded are left for the caller.
    pub fn attach_all(&self) -> Result<Vec<Link<'_>>> {
        let mut links = Vec::new();
        for p in self.programs() {
            if self.no_autoload.borrow().contains(&p.handle) {
                continue;
            }
            match p.attach() {
                Ok(l) => links.push(l),
                Err(Error::EOPNOTSUPP) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(links)
    }

    /// A global-data section as the struct `wbpf gen types` wrote for it:
    /// before load the initial image, after load the live values.
    pub fn global_data<T: Pod>(&self, section: &str) -> Result<T> {
        self.map(section)?.read_data()
    }

    /// Writes a global-data section: before load `.rodata` constants (the
    /// verifier sees them), after load live `.data` and `.bss`.
    pub fn set_global_data<T: Pod>(&self, section: &str, value: &T) -> Result<()> {
        self.map(section)?.write_data(value)
    }

    /// Closes the object now, reporting the host's answer (dropping it
    /// closes it too, ignoring errors).
    pub fn close(self) -> Result<()> {
        let h = self.handle;
        std::mem::forget(self);
        // SAFETY: plain integer.
        check0(unsafe { sys::object_close(h) })
    }

    /// The host's handle, for code that calls [`crate::sys`] itself.
    pub fn handle(&self) -> i32 {
        self.handle
    }
}

impl Drop for Object {
    fn drop(&mut self) {
        // SAFETY: plain integer; an error (EBUSY inside a callback) cannot
        // be reported from drop, and the instance's end releases it anyway.
        unsafe { sys::object_close(self.handle) };
    }
}

/// Handles at index 0, 1, ... until the host says `ENOENT`.
fn indexed(at: impl Fn(u32) -> i32) -> impl Iterator<Item = i32> {
    (0u32..).map(at).take_while(|&h| h > 0)
}

/// One program of an [`Object`].
#[derive(Clone, Copy, Debug)]
pub struct Program<'o> {
    obj: &'o Object,
    handle: i32,
}

/// Where a uprobe goes: `binary` (a path, or a library name such as
/// `libc.so.6`) and either a symbol plus offset or, without a symbol, a
/// file offset. The runner must allow the binary (`--allow-uprobe`).
#[derive(Clone, Copy, Debug)]
pub struct Uprobe<'a> {
    pub binary: &'a str,
    pub symbol: Option<&'a str>,
    pub offset: u64,
    /// `None`: every process.
    pub pid: Option<i32>,
    /// A uretprobe: runs when the function returns.
    pub retprobe: bool,
}

impl<'a> Uprobe<'a> {
    /// An entry probe on `symbol` in `binary`, every process.
    pub fn new(binary: &'a str, symbol: &'a str) -> Self {
        Uprobe { binary, symbol: Some(symbol), offset: 0, pid: None, retprobe: false }
    }

    /// The same place, on return.
    pub fn ret(self) -> Self {
        Uprobe { retprobe: true, ..self }
    }
}

impl<'o> Program<'o> {
    /// The C function name.
    pub fn name(&self) -> Result<String> {
        // SAFETY: buf spans size bytes (or is NULL with size 0).
        host_string(|buf, size| unsafe { sys::program_name(self.handle, buf, size) })
    }

    /// The ELF section (`tracepoint/syscalls/sys_enter_openat`).
    pub fn section(&self) -> Result<String> {
        // SAFETY: as above.
        host_string(|buf, size| unsafe { sys::program_section(self.handle, buf, size) })
    }

    /// Whether the next `load` loads this program (before load only).
    pub fn set_autoload(&self, on: bool) -> Result<()> {
        // SAFETY: plain integers.
        check0(unsafe { sys::program_set_autoload(self.handle, on as i32) })?;
        let mut off = self.obj.no_autoload.borrow_mut();
        off.retain(|&h| h != self.handle);
        if !on {
            off.push(self.handle);
        }
        Ok(())
    }

    fn link(&self, ret: i32) -> Result<Link<'o>> {
        Ok(Link { handle: check(ret)? as i32, _obj: PhantomData })
    }

    /// Attaches by the program's section (`SEC("tracepoint/...")`).
    pub fn attach(&self) -> Result<Link<'o>> {
        // SAFETY: plain integer.
        self.link(unsafe { sys::program_attach(self.handle) })
    }

    /// A `tracepoint` program on `category`/`name` (`"syscalls"`,
    /// `"sys_enter_execve"`).
    pub fn attach_tracepoint(&self, category: &str, name: &str) -> Result<Link<'o>> {
        let (c, n) = (c_string(category)?, c_string(name)?);
        // SAFETY: NUL-terminated strings, live for the call.
        self.link(unsafe { sys::program_attach_tracepoint(self.handle, c.as_ptr(), n.as_ptr()) })
    }

    /// A `raw_tp` program on `name` (`"sched_switch"`).
    pub fn attach_raw_tracepoint(&self, name: &str) -> Result<Link<'o>> {
        let n = c_string(name)?;
        // SAFETY: as above.
        self.link(unsafe { sys::program_attach_raw_tracepoint(self.handle, n.as_ptr()) })
    }

    /// `tp_btf` (and fentry/fexit where allowed): the target came from
    /// the section at load.
    pub fn attach_trace(&self) -> Result<Link<'o>> {
        // SAFETY: plain integer.
        self.link(unsafe { sys::program_attach_trace(self.handle) })
    }

    /// A uprobe or uretprobe.
    pub fn attach_uprobe(&self, at: &Uprobe<'_>) -> Result<Link<'o>> {
        let bin = c_string(at.binary)?;
        let sym = at.symbol.map(c_string).transpose()?;
        let sym_ptr = sym.as_ref().map_or(ptr::null(), |s| s.as_ptr());
        // SAFETY: NUL-terminated strings (or NULL), live for the call.
        self.link(unsafe {
            sys::program_attach_uprobe(
                self.handle,
                at.retprobe as i32,
                at.pid.unwrap_or(-1),
                bin.as_ptr(),
                sym_ptr,
                at.offset,
            )
        })
    }

    /// A socket filter on a raw socket the host opens on `ifname`.
    pub fn attach_socket(&self, ifname: &str) -> Result<Link<'o>> {
        let n = c_string(ifname)?;
        // SAFETY: as above.
        self.link(unsafe { sys::program_attach_socket(self.handle, n.as_ptr()) })
    }

    /// A `cgroup/*` or `sockops` program on a cgroup relative to the
    /// runner's cgroup root (`""`: the root).
    pub fn attach_cgroup(&self, path: &str) -> Result<Link<'o>> {
        let p = c_string(path)?;
        // SAFETY: as above.
        self.link(unsafe { sys::program_attach_cgroup(self.handle, p.as_ptr()) })
    }

    /// An `xdp` program on an interface.
    pub fn attach_xdp(&self, ifname: &str) -> Result<Link<'o>> {
        let n = c_string(ifname)?;
        // SAFETY: as above.
        self.link(unsafe { sys::program_attach_xdp(self.handle, n.as_ptr()) })
    }

    /// The host's handle.
    pub fn handle(&self) -> i32 {
        self.handle
    }
}

/// An attached program; detached when dropped (or by [`Link::detach`]).
#[derive(Debug)]
pub struct Link<'o> {
    handle: i32,
    _obj: PhantomData<&'o Object>,
}

impl Link<'_> {
    /// Detaches now, reporting the host's answer.
    pub fn detach(self) -> Result<()> {
        let h = self.handle;
        std::mem::forget(self);
        // SAFETY: plain integer.
        check0(unsafe { sys::link_destroy(h) })
    }

    /// The host's handle.
    pub fn handle(&self) -> i32 {
        self.handle
    }
}

impl Drop for Link<'_> {
    fn drop(&mut self) {
        // SAFETY: plain integer.
        unsafe { sys::link_destroy(self.handle) };
    }
}
