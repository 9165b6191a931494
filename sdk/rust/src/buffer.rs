//! Ring buffers and perf buffers, with closures as callbacks.
//!
//! The host calls a guest function by its table index with a context
//! pointer (docs/abi-wbpf.md). Each closure is boxed, its address is the
//! context, and a trampoline monomorphised for the closure's type is the
//! function: no `unsafe` and no globals in user code.

use std::marker::PhantomData;
use std::slice;
use std::time::Duration;

use crate::error::{check, check0, Result};
use crate::map::Map;
use crate::sys;

/// What a callback returns: `()` to go on, or a value saying whether to
/// stop the poll (which then returns the error).
pub trait CallbackResult {
    /// 0 or more: go on; negative: stop with that `-errno`.
    fn code(self) -> i32;
}

impl CallbackResult for () {
    fn code(self) -> i32 {
        0
    }
}

impl CallbackResult for i32 {
    fn code(self) -> i32 {
        self
    }
}

impl CallbackResult for Result<()> {
    fn code(self) -> i32 {
        self.map_or_else(|e| -e.errno(), |_| 0)
    }
}

/// A poll timeout in the ABI's milliseconds (`None`: wait forever).
fn timeout_ms(t: Option<Duration>) -> i32 {
    t.map_or(-1, |d| d.as_millis().min(i32::MAX as u128) as i32)
}

extern "C" fn ring_sample<F: FnMut(&[u8]) -> i32>(ctx: *mut u8, data: *const u8, size: usize)
    -> i32 {
    // SAFETY: ctx is the Box<F> this buffer owns, alive until ringbuf_free;
    // data spans size bytes of the scratch buffer for this call.
    let (f, rec) = unsafe { (&mut *(ctx as *mut F), slice::from_raw_parts(data, size)) };
    f(rec)
}

/// Records of one or more `BPF_MAP_TYPE_RINGBUF` maps, each delivered to
/// its closure during [`poll`](Self::poll) or [`consume`](Self::consume).
pub struct RingBuffer<'a> {
    handle: i32,
    /// Owned for the host: the closures (their addresses are contexts)
    /// and the scratch buffer records are copied into.
    _callbacks: Vec<Box<dyn FnMut(&[u8]) -> i32 + 'a>>,
    _scratch: Vec<u64>,
    _maps: PhantomData<Map<'a>>,
}

/// Boxes a closure; returns the box and its address as a context.
fn boxed_ctx<'a, F: FnMut(&[u8]) -> i32 + 'a>(f: F) -> (Box<dyn FnMut(&[u8]) -> i32 + 'a>, *mut u8) {
    let mut b = Box::new(f);
    let ctx = &mut *b as *mut F as *mut u8;
    (b, ctx)
}

impl<'a> RingBuffer<'a> {
    /// A ring buffer on `map` whose records go to `cb` (as `&[u8]`; turn
    /// them into a generated struct with `Pod::from_bytes`). Records may be
    /// as large as the ring.
    pub fn new<R, F>(map: &Map<'a>, cb: F) -> Result<Self>
    where
        R: CallbackResult,
        F: FnMut(&[u8]) -> R + 'a,
    {
        let size = map.info()?.max_entries.clamp(64, 1 << 20) as usize;
        Self::with_scratch(map, size, cb)
    }

    /// As [`new`](Self::new), with a scratch buffer of `size` bytes:
    /// records larger than that are counted in [`lost`](Self::lost).
    pub fn with_scratch<R, F>(map: &Map<'a>, size: usize, mut cb: F) -> Result<Self>
    where
        R: CallbackResult,
        F: FnMut(&[u8]) -> R + 'a,
    {
        let mut scratch = vec![0u64; (size + 7) / 8];
        let f = move |rec: &[u8]| cb(rec).code();
        let sample = ring_sample_of(&f) as usize as i32;
        let (b, ctx) = boxed_ctx(f);
        // SAFETY: ctx and scratch stay owned by the returned value until
        // ringbuf_free in drop.
        let h = check(unsafe {
            sys::ringbuf_new(map.handle(), sample, ctx, scratch.as_mut_ptr() as *mut u8,
                             (scratch.len() * 8) as u32)
        })?;
        Ok(RingBuffer { handle: h as i32, _callbacks: vec![b], _scratch: scratch, _maps: PhantomData })
    }

    /// Another ring, its records to `cb`.
    pub fn add<R, F>(&mut self, map: &Map<'a>, mut cb: F) -> Result<()>
    where
        R: CallbackResult,
        F: FnMut(&[u8]) -> R + 'a,
    {
        let f = move |rec: &[u8]| cb(rec).code();
        let sample = ring_sample_of(&f) as usize as i32;
        let (b, ctx) = boxed_ctx(f);
        // SAFETY: ctx is kept in self._callbacks until drop.
        check0(unsafe { sys::ringbuf_add(self.handle, map.handle(), sample, ctx) })?;
        self._callbacks.push(b);
        Ok(())
    }

    /// Waits up to `timeout` (`None`: forever) and delivers every ready
    /// record; returns how many. A callback's error stops the poll and is
    /// returned; `EINTR` when the runner is stopping the instance.
    pub fn poll(&mut self, timeout: Option<Duration>) -> Result<usize> {
        // SAFETY: plain integers; the host calls back into closures we own.
        check(unsafe { sys::ringbuf_poll(self.handle, timeout_ms(timeout)) }).map(|n| n as usize)
    }

    /// Delivers what is ready without waiting.
    pub fn consume(&mut self) -> Result<usize> {
        // SAFETY: as above.
        check(unsafe { sys::ringbuf_consume(self.handle) }).map(|n| n as usize)
    }

    /// Records not delivered (larger than the scratch buffer).
    pub fn lost(&self) -> u64 {
        // SAFETY: plain integer.
        unsafe { sys::ringbuf_lost(self.handle) }
    }

    /// The host's handle.
    pub fn handle(&self) -> i32 {
        self.handle
    }
}

/// The trampoline for a closure's type (named through a reference so
/// the type is inferred).
fn ring_sample_of<F: FnMut(&[u8]) -> i32>(_: &F) -> extern "C" fn(*mut u8, *const u8, usize) -> i32 {
    ring_sample::<F>
}

impl std::fmt::Debug for RingBuffer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RingBuffer({})", self.handle)
    }
}

impl Drop for RingBuffer<'_> {
    fn drop(&mut self) {
        // SAFETY: plain integer; after this the host holds no pointer into
        // the closures or the scratch buffer, which drop next.
        unsafe { sys::ringbuf_free(self.handle) };
    }
}

/// Anything: the perf buffer only keeps its callbacks alive.
trait Owned {}
impl<T> Owned for T {}

struct PerfCallbacks<S, L> {
    sample: S,
    lost: L,
}

extern "C" fn perf_sample<S: FnMut(i32, &[u8]), L>(ctx: *mut u8, cpu: i32, data: *const u8,
                                                   size: u32) {
    // SAFETY: ctx is the Box<PerfCallbacks> the buffer owns; data spans
    // size bytes of its scratch buffer for this call.
    let (c, rec) = unsafe {
        (&mut *(ctx as *mut PerfCallbacks<S, L>), slice::from_raw_parts(data, size as usize))
    };
    (c.sample)(cpu, rec)
}

extern "C" fn perf_lost<S, L: FnMut(i32, u64)>(ctx: *mut u8, cpu: i32, count: u64) {
    // SAFETY: as above.
    let c = unsafe { &mut *(ctx as *mut PerfCallbacks<S, L>) };
    (c.lost)(cpu, count)
}

/// Records of a `BPF_MAP_TYPE_PERF_EVENT_ARRAY`, per CPU.
pub struct PerfBuffer<'a> {
    handle: i32,
    _callbacks: Box<dyn Owned + 'a>,
    _scratch: Vec<u64>,
    _map: PhantomData<Map<'a>>,
}

/// A default scratch size for perf records (the kernel caps a perf
/// sample at 64 KiB).
const PERF_SCRATCH: usize = 64 * 1024;

impl<'a> PerfBuffer<'a> {
    /// A perf buffer of `pages` pages per CPU (a power of two, at most
    /// 256) whose records go to `sample(cpu, record)`.
    pub fn new<S: FnMut(i32, &[u8]) + 'a>(map: &Map<'a>, pages: u32, sample: S) -> Result<Self> {
        Self::build(map, pages, PerfCallbacks { sample, lost: |_: i32, _: u64| {} }, false)
    }

    /// As [`new`](Self::new), with `lost(cpu, count)` told of records the
    /// kernel dropped.
    pub fn with_lost<S, L>(map: &Map<'a>, pages: u32, sample: S, lost: L) -> Result<Self>
    where
        S: FnMut(i32, &[u8]) + 'a,
        L: FnMut(i32, u64) + 'a,
    {
        Self::build(map, pages, PerfCallbacks { sample, lost }, true)
    }

    fn build<S, L>(map: &Map<'a>, pages: u32, cbs: PerfCallbacks<S, L>, with_lost: bool)
        -> Result<Self>
    where
        S: FnMut(i32, &[u8]) + 'a,
        L: FnMut(i32, u64) + 'a,
    {
        let mut scratch = vec![0u64; PERF_SCRATCH / 8];
        let sample = perf_sample::<S, L> as extern "C" fn(*mut u8, i32, *const u8, u32) as usize;
        let lost = if with_lost {
            perf_lost::<S, L> as extern "C" fn(*mut u8, i32, u64) as usize
        } else {
            0
        };
        let mut b = Box::new(cbs);
        let ctx = &mut *b as *mut PerfCallbacks<S, L> as *mut u8;
        // SAFETY: ctx and scratch stay owned by the returned value until
        // perfbuf_free in drop.
        let h = check(unsafe {
            sys::perfbuf_new(map.handle(), pages, sample as i32, lost as i32, ctx,
                             scratch.as_mut_ptr() as *mut u8, PERF_SCRATCH as u32)
        })?;
        Ok(PerfBuffer { handle: h as i32, _callbacks: b, _scratch: scratch, _map: PhantomData })
    }

    /// Waits up to `timeout` (`None`: forever); returns records delivered.
    pub fn poll(&mut self, timeout: Option<Duration>) -> Result<usize> {
        // SAFETY: plain integers.
        check(unsafe { sys::perfbuf_poll(self.handle, timeout_ms(timeout)) }).map(|n| n as usize)
    }

    /// Delivers what is ready without waiting.
    pub fn consume(&mut self) -> Result<usize> {
        // SAFETY: plain integer.
        check(unsafe { sys::perfbuf_consume(self.handle) }).map(|n| n as usize)
    }

    /// Records the kernel dropped plus records too large for the scratch
    /// buffer.
    pub fn lost(&self) -> u64 {
        // SAFETY: plain integer.
        unsafe { sys::perfbuf_lost(self.handle) }
    }

    /// The host's handle.
    pub fn handle(&self) -> i32 {
        self.handle
    }
}

impl std::fmt::Debug for PerfBuffer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PerfBuffer({})", self.handle)
    }
}

impl Drop for PerfBuffer<'_> {
    fn drop(&mut self) {
        // SAFETY: plain integer; the closures and scratch drop after.
        unsafe { sys::perfbuf_free(self.handle) };
    }
}
