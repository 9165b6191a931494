//! # wbpf: eBPF from WebAssembly, for Rust guests
//!
//! Safe bindings to wbpf's `wbpf` host ABI (docs/abi-wbpf.md) for
//! `wasm32-wasi` guests: open an embedded BPF object, set its `.rodata`,
//! load it, attach its programs, read ring and perf buffers through
//! closures, and operate maps with typed keys and values. Every host
//! error comes back as [`Error`] holding the host's Linux errno.
//!
//! ```no_run
//! use wbpf::{Object, RingBuffer, Pod};
//! # #[derive(Clone, Copy)] #[repr(C)] struct Event { pid: u32 }
//! # unsafe impl Pod for Event {}
//! fn main() -> wbpf::Result<()> {
//!     let obj = Object::open(include_bytes!("prog.bpf.o"))?;
//!     obj.load()?;
//!     let _links = obj.attach_all()?;
//!     let events = obj.map("events")?;
//!     let mut rb = RingBuffer::new(&events, |data: &[u8]| {
//!         if let Some(e) = Event::from_bytes(data) {
//!             println!("{}", e.pid);
//!         }
//!     })?;
//!     loop {
//!         rb.poll(Some(std::time::Duration::from_millis(100)))?;
//!     }
//! }
//! ```
//!
//! Structs shared with the BPF side come from `wbpf gen types OBJ --lang
//! rust` (docs/rust.md): `#[repr(C)]`, explicit padding, and the layout
//! checked at compile time against the object's BTF.
//!
//! The crate uses only `std`. [`wasm_bpf`] offers wasm-bpf's own binding
//! for code written against it; [`l7`] is for `wbpf l7` parser plugins
//! (`wbpf_l7` ABI) and [`gadget`] for gadget operators (`wbpf_gadget` ABI).

pub mod buffer;
pub mod error;
pub mod gadget;
pub mod l7;
pub mod map;
pub mod object;
pub mod pod;
pub mod record;
pub mod sys;
pub mod wasm_bpf;

pub use buffer::{CallbackResult, PerfBuffer, RingBuffer};
pub use error::{Error, Result};
pub use map::{BatchCursor, Map, PerCpuMap, TypedMap};
pub use object::{Link, Object, Program, Uprobe};
pub use pod::{cstr, Pod};
pub use record::Record;
pub use sys::MapInfo;
