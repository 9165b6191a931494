//! Maps: raw byte operations, typed views, batches, global data.

use std::marker::PhantomData;
use std::mem::size_of;
use std::ptr;

use crate::error::{check, check0, Error, Result};
use crate::object::{host_string, Object};
use crate::pod::{slice_as_bytes, slice_as_bytes_mut, Pod};
use crate::sys::{self, MapInfo};

/// `BPF_ANY`: create or replace.
pub const ANY: u64 = 0;
/// `BPF_NOEXIST`: create only.
pub const NOEXIST: u64 = 1;
/// `BPF_EXIST`: replace only.
pub const EXIST: u64 = 2;
/// `BPF_F_LOCK`: take the value's spin lock.
pub const F_LOCK: u64 = 4;

/// `enum bpf_map_type` values the SDK itself looks at.
pub mod types {
    pub const HASH: u32 = 1;
    pub const ARRAY: u32 = 2;
    pub const PERF_EVENT_ARRAY: u32 = 4;
    pub const PERCPU_HASH: u32 = 5;
    pub const PERCPU_ARRAY: u32 = 6;
    pub const LRU_PERCPU_HASH: u32 = 10;
    pub const RINGBUF: u32 = 27;
}

/// One map of an [`Object`] (a handle: copying it is free).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Map<'o> {
    handle: i32,
    _obj: PhantomData<&'o Object>,
}

/// `Some(v)` on success, `None` on `ENOENT`.
fn found<T>(ret: i32, v: T) -> Result<Option<T>> {
    match check(ret) {
        Ok(_) => Ok(Some(v)),
        Err(Error::ENOENT) => Ok(None),
        Err(e) => Err(e),
    }
}

fn ptr_or_null(b: Option<&[u8]>) -> *const u8 {
    b.map_or(ptr::null(), |b| b.as_ptr())
}

impl<'o> Map<'o> {
    pub(crate) fn new(handle: i32) -> Self {
        Map { handle, _obj: PhantomData }
    }

    /// A map from a raw handle the guest got some other way. Safe: the
    /// host checks every handle, so a wrong one only yields `EBADF`.
    pub fn from_handle(handle: i32) -> Map<'static> {
        Map::new(handle)
    }

    /// The host's handle.
    pub fn handle(&self) -> i32 {
        self.handle
    }

    /// Type, sizes, flags and the host's CPU count.
    pub fn info(&self) -> Result<MapInfo> {
        let mut info = MapInfo::default();
        // SAFETY: info is 32 writable bytes, the ABI's struct.
        check0(unsafe { sys::map_info(self.handle, &mut info) })?;
        Ok(info)
    }

    /// The map's name.
    pub fn name(&self) -> Result<String> {
        // SAFETY: buf spans size bytes (or is NULL with size 0).
        host_string(|buf, size| unsafe { sys::map_name(self.handle, buf, size) })
    }

    /// Before load: the number of entries (the byte size of a ring buffer).
    pub fn set_max_entries(&self, n: u32) -> Result<()> {
        // SAFETY: plain integers.
        check0(unsafe { sys::map_set_max_entries(self.handle, n) })
    }

    /// Looks `key` up into `value` (sized `value_stride`); `Ok(false)` when
    /// absent.
    pub fn lookup_bytes(&self, key: &[u8], value: &mut [u8], flags: u64) -> Result<bool> {
        // SAFETY: both slices are live and their lengths are stated.
        let r = unsafe {
            sys::map_lookup(self.handle, key.as_ptr(), key.len() as u32, value.as_mut_ptr(),
                            value.len() as u32, flags)
        };
        found(r, ()).map(|o| o.is_some())
    }

    /// Creates or replaces an element (`flags`: [`ANY`], [`NOEXIST`], ...).
    pub fn update_bytes(&self, key: &[u8], value: &[u8], flags: u64) -> Result<()> {
        // SAFETY: as above.
        check0(unsafe {
            sys::map_update(self.handle, key.as_ptr(), key.len() as u32, value.as_ptr(),
                            value.len() as u32, flags)
        })
    }

    /// Deletes an element; `Ok(false)` when absent.
    pub fn delete_bytes(&self, key: &[u8]) -> Result<bool> {
        // SAFETY: as above.
        let r = unsafe { sys::map_delete(self.handle, key.as_ptr(), key.len() as u32, 0) };
        found(r, ()).map(|o| o.is_some())
    }

    /// Looks up and deletes (queues and stacks: pops, with an empty key).
    pub fn lookup_and_delete_bytes(&self, key: &[u8], value: &mut [u8]) -> Result<bool> {
        // SAFETY: as above.
        let r = unsafe {
            sys::map_lookup_and_delete(self.handle, key.as_ptr(), key.len() as u32,
                                       value.as_mut_ptr(), value.len() as u32, 0)
        };
        found(r, ()).map(|o| o.is_some())
    }

    /// The key after `key` (`None`: the first) into `next`; `Ok(false)`
    /// after the last.
    pub fn next_key_bytes(&self, key: Option<&[u8]>, next: &mut [u8]) -> Result<bool> {
        if key.map_or(false, |k| k.len() != next.len()) {
            return Err(Error::EINVAL);
        }
        // SAFETY: key (when given) and next both span next.len() bytes.
        let r = unsafe {
            sys::map_next_key(self.handle, ptr_or_null(key), next.as_mut_ptr(), next.len() as u32)
        };
        found(r, ()).map(|o| o.is_some())
    }

    /// A typed view; fails with `EINVAL` unless `K` is the map's key size
    /// and `V` its value size (per-CPU maps: use [`Map::per_cpu`]).
    pub fn typed<K: Pod, V: Pod>(&self) -> Result<TypedMap<'o, K, V>> {
        let info = self.info()?;
        if info.key_size as usize != size_of::<K>() || info.value_stride as usize != size_of::<V>()
        {
            return Err(Error::EINVAL);
        }
        Ok(TypedMap { map: *self, _kv: PhantomData })
    }

    /// A typed view of a per-CPU map: values come as one `V` per CPU.
    pub fn per_cpu<K: Pod, V: Pod>(&self) -> Result<PerCpuMap<'o, K, V>> {
        let info = self.info()?;
        if info.key_size as usize != size_of::<K>() || info.value_size as usize != size_of::<V>()
        {
            return Err(Error::EINVAL);
        }
        let slot = (size_of::<V>() + 7) & !7;
        Ok(PerCpuMap { map: *self, ncpus: info.ncpus as usize, slot, _kv: PhantomData })
    }

    /// Reads bytes of a global-data section at `offset`.
    pub fn read_data_bytes(&self, offset: u32, buf: &mut [u8]) -> Result<()> {
        // SAFETY: buf spans its length.
        check0(unsafe { sys::map_data_read(self.handle, offset, buf.as_mut_ptr(), buf.len() as u32) })
    }

    /// Writes bytes of a global-data section at `offset`.
    pub fn write_data_bytes(&self, offset: u32, buf: &[u8]) -> Result<()> {
        // SAFETY: buf spans its length.
        check0(unsafe { sys::map_data_write(self.handle, offset, buf.as_ptr(), buf.len() as u32) })
    }

    /// The section's start as a `T` (the struct `wbpf gen types` writes
    /// for `.rodata`, `.bss`, `.data`).
    pub fn read_data<T: Pod>(&self) -> Result<T> {
        let mut v = T::zeroed();
        self.read_data_bytes(0, v.as_bytes_mut())?;
        Ok(v)
    }

    /// Writes a `T` at the section's start.
    pub fn write_data<T: Pod>(&self, v: &T) -> Result<()> {
        self.write_data_bytes(0, v.as_bytes())
    }
}

/// A map whose keys are `K` and values `V`.
#[derive(Clone, Copy, Debug)]
pub struct TypedMap<'o, K, V> {
    map: Map<'o>,
    _kv: PhantomData<(K, V)>,
}

/// An opaque position in a batch walk (`max(key size, 4)` bytes).
#[derive(Clone, Debug, Default)]
pub struct BatchCursor {
    token: Option<Vec<u8>>,
    done: bool,
}

impl BatchCursor {
    /// At the beginning.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether the last batch reached the end.
    pub fn done(&self) -> bool {
        self.done
    }
}

type BatchFn = unsafe extern "C" fn(i32, *const u8, *mut u8, *mut u8, *mut u8, *mut u32, u64) -> i32;

impl<'o, K: Pod, V: Pod> TypedMap<'o, K, V> {
    /// The untyped map.
    pub fn map(&self) -> Map<'o> {
        self.map
    }

    /// The value at `key`, `None` when absent.
    pub fn get(&self, key: &K) -> Result<Option<V>> {
        let mut v = V::zeroed();
        let hit = self.map.lookup_bytes(key.as_bytes(), v.as_bytes_mut(), 0)?;
        Ok(if hit { Some(v) } else { None })
    }

    /// Creates or replaces.
    pub fn set(&self, key: &K, value: &V) -> Result<()> {
        self.insert(key, value, ANY)
    }

    /// [`set`](Self::set) with flags ([`NOEXIST`], [`EXIST`], [`F_LOCK`]).
    pub fn insert(&self, key: &K, value: &V, flags: u64) -> Result<()> {
        self.map.update_bytes(key.as_bytes(), value.as_bytes(), flags)
    }

    /// Deletes; `Ok(false)` when absent.
    pub fn delete(&self, key: &K) -> Result<bool> {
        self.map.delete_bytes(key.as_bytes())
    }

    /// Looks up and deletes in one step.
    pub fn take(&self, key: &K) -> Result<Option<V>> {
        let mut v = V::zeroed();
        let hit = self.map.lookup_and_delete_bytes(key.as_bytes(), v.as_bytes_mut())?;
        Ok(if hit { Some(v) } else { None })
    }

    /// The key after `key` (`None`: the first), `None` after the last.
    pub fn next_key(&self, key: Option<&K>) -> Result<Option<K>> {
        let mut next = K::zeroed();
        let hit = self.map.next_key_bytes(key.map(Pod::as_bytes), next.as_bytes_mut())?;
        Ok(if hit { Some(next) } else { None })
    }

    /// Every key, by `get_next_key`. Deleting while walking a hash map
    /// may restart the walk: collect first, then delete.
    pub fn keys(&self) -> Keys<'o, K> {
        Keys { map: self.map, prev: None, done: false, _k: PhantomData }
    }

    /// Every (key, value) pair; keys deleted meanwhile are skipped.
    pub fn iter(&self) -> impl Iterator<Item = Result<(K, V)>> + 'o {
        let this = *self;
        self.keys().filter_map(move |k| match k {
            Err(e) => Some(Err(e)),
            Ok(k) => this.get(&k).transpose().map(|v| v.map(|v| (k, v))),
        })
    }

    fn batch(&self, op: BatchFn, cur: &mut BatchCursor, keys: &mut [K], values: &mut [V])
        -> Result<usize> {
        if keys.len() != values.len() {
            return Err(Error::EINVAL);
        }
        if cur.done {
            return Ok(0);
        }
        let mut out = vec![0u8; size_of::<K>().max(4)];
        let mut count = keys.len() as u32;
        let in_batch = cur.token.as_deref();
        // SAFETY: keys/values span count elements of the map's sizes; the
        // cursors span max(key size, 4) bytes; count is a live u32.
        let r = unsafe {
            op(self.map.handle, ptr_or_null(in_batch), out.as_mut_ptr(),
               slice_as_bytes_mut(keys).as_mut_ptr(), slice_as_bytes_mut(values).as_mut_ptr(),
               &mut count, 0)
        };
        match check(r) {
            Ok(_) => {}
            Err(Error::ENOENT) => cur.done = true,
            Err(e) => return Err(e),
        }
        cur.token = Some(out);
        Ok(count as usize)
    }

    /// One batch of up to `keys.len()` elements from `cur` on; returns how
    /// many were filled. `cur.done()` once the map is exhausted.
    pub fn lookup_batch(&self, cur: &mut BatchCursor, keys: &mut [K], values: &mut [V])
        -> Result<usize> {
        self.batch(sys::map_lookup_batch, cur, keys, values)
    }

    /// [`lookup_batch`](Self::lookup_batch), deleting what it returns.
    pub fn lookup_and_delete_batch(&self, cur: &mut BatchCursor, keys: &mut [K],
                                   values: &mut [V]) -> Result<usize> {
        self.batch(sys::map_lookup_and_delete_batch, cur, keys, values)
    }

    fn drain_with(&self, take: bool, chunk: usize) -> Result<Vec<(K, V)>> {
        let mut all = Vec::new();
        let mut cur = BatchCursor::new();
        let (mut keys, mut values) = (vec![K::zeroed(); chunk], vec![V::zeroed(); chunk]);
        while !cur.done() {
            let n = if take {
                self.lookup_and_delete_batch(&mut cur, &mut keys, &mut values)?
            } else {
                self.lookup_batch(&mut cur, &mut keys, &mut values)?
            };
            all.extend(keys[..n].iter().copied().zip(values[..n].iter().copied()));
        }
        Ok(all)
    }

    /// Every element, read in batches of `chunk` (one call per batch
    /// instead of two per element).
    pub fn get_all(&self, chunk: usize) -> Result<Vec<(K, V)>> {
        self.drain_with(false, chunk.max(1))
    }

    /// Every element, read and deleted in batches of `chunk`.
    pub fn take_all(&self, chunk: usize) -> Result<Vec<(K, V)>> {
        self.drain_with(true, chunk.max(1))
    }

    /// Creates or replaces `keys[i]` with `values[i]`; returns how many
    /// were written.
    pub fn update_batch(&self, keys: &[K], values: &[V], flags: u64) -> Result<usize> {
        if keys.len() != values.len() {
            return Err(Error::EINVAL);
        }
        let mut count = keys.len() as u32;
        // SAFETY: both slices span count elements of the map's sizes.
        check(unsafe {
            sys::map_update_batch(self.map.handle, slice_as_bytes(keys).as_ptr(),
                                  slice_as_bytes(values).as_ptr(), &mut count, flags)
        })?;
        Ok(count as usize)
    }

    /// Deletes `keys`; returns how many were deleted.
    pub fn delete_batch(&self, keys: &[K]) -> Result<usize> {
        let mut count = keys.len() as u32;
        // SAFETY: keys spans count keys.
        check(unsafe {
            sys::map_delete_batch(self.map.handle, slice_as_bytes(keys).as_ptr(), &mut count, 0)
        })?;
        Ok(count as usize)
    }
}

/// The keys of a map, from [`TypedMap::keys`].
pub struct Keys<'o, K> {
    map: Map<'o>,
    prev: Option<K>,
    done: bool,
    _k: PhantomData<K>,
}

impl<K: Pod> Iterator for Keys<'_, K> {
    type Item = Result<K>;

    fn next(&mut self) -> Option<Result<K>> {
        if self.done {
            return None;
        }
        let mut next = K::zeroed();
        match self.map.next_key_bytes(self.prev.as_ref().map(Pod::as_bytes), next.as_bytes_mut()) {
            Ok(true) => {
                self.prev = Some(next);
                Some(Ok(next))
            }
            Ok(false) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

/// A per-CPU map: each value is one `V` per possible CPU.
#[derive(Clone, Copy, Debug)]
pub struct PerCpuMap<'o, K, V> {
    map: Map<'o>,
    ncpus: usize,
    /// Bytes one CPU's value takes: `round_up(size_of::<V>(), 8)`.
    slot: usize,
    _kv: PhantomData<(K, V)>,
}

impl<'o, K: Pod, V: Pod> PerCpuMap<'o, K, V> {
    /// Every CPU's value at `key` (index = CPU), `None` when absent.
    pub fn get(&self, key: &K) -> Result<Option<Vec<V>>> {
        let mut buf = vec![0u8; self.ncpus * self.slot];
        if !self.map.lookup_bytes(key.as_bytes(), &mut buf, 0)? {
            return Ok(None);
        }
        Ok(Some(buf.chunks(self.slot).filter_map(V::from_bytes).collect()))
    }

    /// Sets every CPU's value (`values.len()` must be the CPU count).
    pub fn set(&self, key: &K, values: &[V]) -> Result<()> {
        if values.len() != self.ncpus {
            return Err(Error::EINVAL);
        }
        let mut buf = vec![0u8; self.ncpus * self.slot];
        for (chunk, v) in buf.chunks_mut(self.slot).zip(values) {
            chunk[..size_of::<V>()].copy_from_slice(v.as_bytes());
        }
        self.map.update_bytes(key.as_bytes(), &buf, ANY)
    }

    /// Deletes; `Ok(false)` when absent.
    pub fn delete(&self, key: &K) -> Result<bool> {
        self.map.delete_bytes(key.as_bytes())
    }

    /// The host's possible CPUs.
    pub fn ncpus(&self) -> usize {
        self.ncpus
    }

    /// Every key.
    pub fn keys(&self) -> Keys<'o, K> {
        Keys { map: self.map, prev: None, done: false, _k: PhantomData }
    }
}
