//! What the Rust examples share with the C ones (examples/common/example.h):
//! option values, the run deadline, and the poll interval. WASI has no
//! signals, so a run ends after `-d SECONDS` or when the runner stops it.
//! Each example uses part of it.
#![allow(dead_code)]

use std::process::exit;
use std::time::{Duration, Instant};

use wbpf::{Link, Object, Pod};

/// Longest wait of one poll, so the deadline is noticed promptly.
pub const POLL: Duration = Duration::from_millis(100);

/// SECONDS (fractions allowed, at least 0.001) as a duration.
pub fn parse_duration(arg: &str) -> Option<Duration> {
    match arg.parse::<f64>() {
        Ok(s) if (0.001..=86400.0 * 365.0).contains(&s) => Some(Duration::from_millis((s * 1000.0) as u64)),
        _ => {
            eprintln!("bad duration '{}': want seconds >= 0.001", arg);
            None
        }
    }
}

/// Digits only, fitting in 32 bits: a pid or a uid.
pub fn parse_u32(arg: &str) -> Option<u32> {
    let v = arg.bytes().all(|b| b.is_ascii_digit()).then(|| arg.parse::<u32>().ok()).flatten();
    if v.is_none() {
        eprintln!("bad number '{}'", arg);
    }
    v
}

/// When `-d` says to stop (`None`: when the runner stops the module).
#[derive(Clone, Copy)]
pub struct Deadline(Option<Instant>);

impl Deadline {
    pub fn after(d: Option<Duration>) -> Self {
        Deadline(d.map(|d| Instant::now() + d))
    }

    pub fn expired(&self) -> bool {
        self.0.map_or(false, |t| Instant::now() >= t)
    }
}

/// getopt-style options: `-x VALUE` or `-xVALUE`, each flag in `flags`
/// taking a value. Calls `set(flag, value)`; false on anything else.
pub fn parse_opts(flags: &str, mut set: impl FnMut(char, &str) -> bool) -> bool {
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut chars = a.chars();
        let flag = match (chars.next(), chars.next()) {
            (Some('-'), Some(f)) if flags.contains(f) => f,
            _ => return false,
        };
        let rest = chars.as_str();
        let value = if rest.is_empty() { args.next() } else { Some(rest.to_string()) };
        match value {
            Some(v) if set(flag, &v) => {}
            _ => return false,
        }
    }
    true
}

/// The outcome of a poll loop: EINTR (the runner is stopping the module)
/// is a normal end.
pub fn poll_status(r: wbpf::Result<usize>) -> wbpf::Result<()> {
    match r {
        Err(e) if e != wbpf::Error::EINTR => Err(e),
        _ => Ok(()),
    }
}

fn start<'o, R: Pod, O>(obj: &'o Object, opt: &O, set_rodata: fn(&mut R, &O))
    -> wbpf::Result<Vec<Link<'o>>> {
    let mut ro: R = obj.global_data(".rodata")?;
    set_rodata(&mut ro, opt);
    obj.set_global_data(".rodata", &ro)?;
    obj.load()?;
    obj.attach_all()
}

/// An example's life, as the C examples' main(): open the embedded object
/// as `name`, set its `.rodata` image before load, load, attach every
/// program, trace, detach. Exits 2 on bad options, 1 on a failure.
pub fn run<R: Pod, O>(name: &str, elf: &[u8], opt: Option<O>, set_rodata: fn(&mut R, &O),
                      trace: fn(&Object, &O) -> wbpf::Result<()>) {
    let opt = opt.unwrap_or_else(|| exit(2));
    let obj = Object::open_named(elf, name).unwrap_or_else(|e| {
        eprintln!("open: {}", e);
        exit(1)
    });
    let links = start(&obj, &opt, set_rodata).unwrap_or_else(|e| {
        eprintln!("load/attach: {}", e);
        exit(1)
    });
    let r = trace(&obj, &opt);
    drop(links);
    if r.is_err() {
        exit(1);
    }
}
