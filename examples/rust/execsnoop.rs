//! execsnoop in Rust: one line per exec() system-wide, the same BPF object
//! and the same output as examples/execsnoop (.rodata uid filter set
//! before load, ring buffer, .bss counters read at the end).
//!
//! usage: execsnoop [-d SECONDS] [-u UID]

#[path = "common.rs"]
mod common;
mod types {
    include!(env!("WBPF_TYPES"));
}

use common::{parse_duration, parse_opts, parse_u32, poll_status, Deadline, POLL};
use types::{Bss, ExecEvent, Rodata};
use wbpf::{cstr, Object, Pod, RingBuffer};

const ARGS_LEN: usize = 256;

struct Options {
    deadline: Deadline,
    uid: u32,
}

/// argv arrives NUL-separated; print it space-separated.
fn join_args(e: &ExecEvent) -> String {
    let n = (e.args_len as usize).min(ARGS_LEN);
    let args = &e.args[..n];
    let end = args.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    let spaced: Vec<u8> = args[..end].iter().map(|&b| if b == 0 { b' ' } else { b }).collect();
    String::from_utf8_lossy(&spaced).into_owned()
}

fn on_exec(data: &[u8]) {
    let e = match ExecEvent::from_bytes(data) {
        Some(e) => e,
        None => return,
    };
    println!("{:<7} {:<7} {:<6} {:<16} {} {}", e.pid, e.ppid, e.uid, cstr(&e.comm),
             cstr(&e.filename), join_args(&e));
}

fn parse_args() -> Option<Options> {
    let mut opt = Options { deadline: Deadline::after(None), uid: u32::MAX };
    let ok = parse_opts("du", |flag, v| match flag {
        'd' => parse_duration(v).map(|d| opt.deadline = Deadline::after(Some(d))).is_some(),
        _ => parse_u32(v).map(|u| opt.uid = u).is_some(),
    });
    if !ok {
        eprintln!("usage: execsnoop [-d SECONDS] [-u UID]");
        return None;
    }
    Some(opt)
}

fn trace(obj: &Object, opt: &Options) -> wbpf::Result<()> {
    let events = obj.map("events")?;
    let mut rb = RingBuffer::new(&events, on_exec).map_err(|e| {
        eprintln!("ring buffer: {}", e);
        e
    })?;
    println!("{:<7} {:<7} {:<6} {:<16} {} {}", "PID", "PPID", "UID", "COMM", "FILENAME", "ARGS");
    let mut r = Ok(0);
    while !opt.deadline.expired() && r.is_ok() {
        r = rb.poll(Some(POLL));
    }
    drop(rb);
    // .bss read live: the kernel's counts.
    let bss: Bss = obj.global_data(".bss")?;
    println!("execsnoop: {} execs seen, {} dropped", bss.events_seen, bss.events_dropped);
    poll_status(r)
}

fn main() {
    common::run("execsnoop", include_bytes!(env!("WBPF_BPF_OBJ")), parse_args(),
                |ro: &mut Rodata, o: &Options| ro.filter_uid = o.uid, trace);
}
