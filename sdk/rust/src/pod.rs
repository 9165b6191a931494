//! Plain data: types whose every byte pattern is a valid value and which
//! have no padding bytes, so they can be copied to and from the bytes the
//! kernel and the host exchange without `unsafe` in user code.

use std::mem::{size_of, MaybeUninit};

/// Plain old data.
///
/// # Safety
/// Implement only for types with no padding (every byte belongs to a
/// field), no pointers or references, and no invalid bit patterns (no
/// `bool`, `char`, enums or niches). `wbpf gen types` writes structs with
/// explicit padding fields and a compile-time check of this, and
/// implements the trait for them.
pub unsafe trait Pod: Copy + 'static {
    /// All bytes zero.
    fn zeroed() -> Self {
        // SAFETY: every bit pattern, zero included, is a valid Self.
        unsafe { MaybeUninit::zeroed().assume_init() }
    }

    /// A copy of the first `size_of::<Self>()` bytes of `bytes` (any
    /// alignment), or `None` if there are fewer.
    fn from_bytes(bytes: &[u8]) -> Option<Self> {
        if bytes.len() < size_of::<Self>() {
            return None;
        }
        // SAFETY: in bounds (checked), any bit pattern is valid, and the
        // read does not assume alignment.
        Some(unsafe { std::ptr::read_unaligned(bytes.as_ptr() as *const Self) })
    }

    /// The value's bytes.
    fn as_bytes(&self) -> &[u8] {
        // SAFETY: no padding, so every byte is initialised.
        unsafe { std::slice::from_raw_parts(self as *const Self as *const u8, size_of::<Self>()) }
    }

    /// The value's bytes, writable: any bytes written are a valid Self.
    fn as_bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: as above, and any bytes written form a valid Self.
        unsafe { std::slice::from_raw_parts_mut(self as *mut Self as *mut u8, size_of::<Self>()) }
    }
}

macro_rules! pod {
    ($($t:ty)*) => { $(unsafe impl Pod for $t {})* };
}
pod!(u8 u16 u32 u64 u128 usize i8 i16 i32 i64 i128 isize f32 f64);

// SAFETY: an array of plain data has no padding between elements.
unsafe impl<T: Pod, const N: usize> Pod for [T; N] {}

/// The bytes of a slice of plain data.
pub fn slice_as_bytes<T: Pod>(s: &[T]) -> &[u8] {
    // SAFETY: T has no padding; the length is the slice's in bytes.
    unsafe { std::slice::from_raw_parts(s.as_ptr() as *const u8, std::mem::size_of_val(s)) }
}

/// The bytes of a slice of plain data, writable.
pub fn slice_as_bytes_mut<T: Pod>(s: &mut [T]) -> &mut [u8] {
    // SAFETY: as above; any bytes written form valid Ts.
    unsafe { std::slice::from_raw_parts_mut(s.as_mut_ptr() as *mut u8, std::mem::size_of_val(s)) }
}

/// A C string field (`char comm[16]`) up to its first NUL, with invalid
/// UTF-8 replaced.
pub fn cstr(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end])
}

/// Bits `[bit, bit + bits)` of little-endian storage (a bitfield), as
/// generated accessors read them.
pub fn get_bits(storage: &[u8], bit: u32, bits: u32) -> u64 {
    (0..bits.min(64)).fold(0u64, |v, i| {
        let p = (bit + i) as usize;
        v | (u64::from(storage[p / 8] >> (p % 8) & 1) << i)
    })
}

/// [`get_bits`], sign-extended from the bitfield's top bit.
pub fn get_bits_signed(storage: &[u8], bit: u32, bits: u32) -> i64 {
    let v = get_bits(storage, bit, bits);
    let shift = 64 - bits.clamp(1, 64);
    ((v << shift) as i64) >> shift
}

/// Stores the low `bits` bits of `v` at `[bit, bit + bits)`.
pub fn set_bits(storage: &mut [u8], bit: u32, bits: u32, v: u64) {
    for i in 0..bits.min(64) {
        let p = (bit + i) as usize;
        let mask = 1u8 << (p % 8);
        if v >> i & 1 == 1 {
            storage[p / 8] |= mask;
        } else {
            storage[p / 8] &= !mask;
        }
    }
}

/// A `T` from the start of `bytes` (a union member), zero-filled when
/// `bytes` is shorter.
pub fn read_prefix<T: Pod>(bytes: &[u8]) -> T {
    let mut v = T::zeroed();
    let n = bytes.len().min(size_of::<T>());
    v.as_bytes_mut()[..n].copy_from_slice(&bytes[..n]);
    v
}

/// Writes `v` at the start of `bytes` (as far as it fits).
pub fn write_prefix<T: Pod>(bytes: &mut [u8], v: &T) {
    let n = bytes.len().min(size_of::<T>());
    bytes[..n].copy_from_slice(&v.as_bytes()[..n]);
}
