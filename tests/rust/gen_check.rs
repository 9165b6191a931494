//! Decodes the bytes tests/rust/awkward_native.c printed with the Rust
//! types `wbpf gen types` wrote for awkward.bpf.o, and prints the values
//! in the native program's format: equal lines mean equal layouts, down
//! to bitfields, unions and packed members.
//!
//! usage: gen_check AWKWARD_HEX BITS_HEX

mod types {
    include!(env!("WBPF_TYPES"));
}

use types::{Awkward, Bits};
use wbpf::{cstr, Pod};

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2).filter_map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()).collect()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: gen_check AWKWARD_HEX BITS_HEX");
        std::process::exit(2);
    }
    let w = Awkward::from_bytes(&unhex(&args[1])).expect("too few bytes for struct awkward");
    let b = Bits::from_bytes(&unhex(&args[2])).expect("too few bytes for struct bits");
    // Copied out of the packed struct: no references to unaligned fields.
    let pk = w.pk;
    let (id, nested) = (pk.id, pk.nested);
    println!(
        "l={} ul={} ptr={} anon_a={} anon_b={} as_u32={} hi={} id={} value={} tail={} y={} \
         grid={} comm={} count={} wide_lo={} wide_hi={}",
        w.l, w.ul, w.ptr, w.anon_a, w.anon_b, w.__anon2.as_u32(), w.val.halves().hi, id,
        nested.value, nested.tail, w.points[2].y, w.grid[1][2], cstr(&w.comm), w.count,
        w.wide[0], w.wide[1]
    );
    println!("a={} b={} c={} d={} flag={} e={} f={}", b.a(), b.b(), b.c(), b.d(), b.flag, b.e(),
             b.f());
}
