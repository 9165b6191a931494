//! trace_exec's operator in Rust (the port of examples/trace_exec/operator.c,
//! on wbpf's own operator ABI): the NUL-separated argv bytes the BPF side
//! copies become an "argv" array of strings and an "args" string (arguments
//! joined by spaces); the raw buffer is hidden. The record is read in
//! place: one host call per event.

use std::cell::Cell;

use wbpf::gadget::{kind, Ds, Event, Field, Val, Verdict};

const ARGS_LEN: usize = 256;
const REC_MAX: usize = 1024;

thread_local! {
    /// args_buf, args_size, argv, args: looked up once at init.
    static FIELDS: Cell<[Field; 4]> = Cell::new([Field::default(); 4]);
}

fn init() -> wbpf::Result<()> {
    let ds = Ds::get("exec")?;
    let fields = [
        ds.field("args_buf")?,
        ds.field("args_size")?,
        ds.add_field("argv", kind::STRING | kind::ARRAY)?,
        ds.add_field("args", kind::STRING)?,
    ];
    fields[0].hide(true)?;
    FIELDS.with(|f| f.set(fields));
    ds.subscribe(0, 0, REC_MAX)
}

fn event(e: &mut Event<'_>) -> Verdict {
    let [args_buf, args_size, argv, args] = FIELDS.with(Cell::get);
    let raw = args_buf.bytes(e.record());
    let mut n = (args_size.uint(e.record()) as usize).min(ARGS_LEN).min(raw.len());
    while n > 0 && raw[n - 1] == 0 {
        n -= 1; // the last argument's NUL
    }
    let joined: Vec<u8> = raw[..n].iter().map(|&b| if b == 0 { b' ' } else { b }).collect();
    let _ = e.set(&[Val::bytes(&argv, &raw[..n]), Val::bytes(&args, &joined)]);
    Verdict::Keep
}

wbpf::gadget_operator! {
    init => init,
    event => event,
}
