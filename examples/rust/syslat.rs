//! syslat in Rust: syscall latency as a log2 histogram, printed and
//! cleared every interval; the same BPF object and output as
//! examples/syslat. The histogram is a hash map walked with typed keys and
//! drained with lookup-and-delete.
//!
//! usage: syslat [-d SECONDS] [-i INTERVAL] [-p PID] [-c COMM] [-s SYSCALL_NR]

#[path = "common.rs"]
mod common;
mod types {
    include!(env!("WBPF_TYPES"));
}

use std::time::{Duration, Instant};

use common::{parse_duration, parse_opts, parse_u32, Deadline, POLL};
use types::{Bss, HistKey, Rodata};
use wbpf::{Object, TypedMap};

const SLOTS: usize = 32;
const COMM_LEN: usize = 16;
const BAR_WIDTH: usize = 40;

struct Options {
    deadline: Deadline,
    interval: Duration,
    pid: u32,
    nr: Option<u32>,
    comm: Option<String>,
}

/// Moves the map's counts into a histogram and empties the map. Keys are
/// collected first: deleting while walking a hash map restarts the walk.
fn drain(hist: &TypedMap<'_, HistKey, u64>) -> wbpf::Result<[u64; SLOTS]> {
    let mut out = [0u64; SLOTS];
    let keys = hist.keys().take(SLOTS).collect::<wbpf::Result<Vec<HistKey>>>()?;
    for k in keys {
        if let Some(count) = hist.take(&k)? {
            if let Some(slot) = out.get_mut(k.slot as usize) {
                *slot += count;
            }
        }
    }
    Ok(out)
}

fn print_hist(hist: &[u64; SLOTS]) {
    let max = hist.iter().copied().max().unwrap_or(0);
    let last = match hist.iter().rposition(|&c| c != 0) {
        Some(l) => l,
        None => {
            println!("{:>20} : no syscalls this interval", "usecs");
            return;
        }
    };
    println!("{:>20} : {:<8} {}", "usecs", "count", "distribution");
    for (i, &count) in hist.iter().enumerate().take(last + 1) {
        let bar = "*".repeat((count * BAR_WIDTH as u64 / max) as usize);
        let low = if i == 0 { 0 } else { 1u64 << i };
        println!("{:>9} -> {:<9} : {:<8} |{:<width$}|", low, (1u64 << (i + 1)) - 1, count, bar,
                 width = BAR_WIDTH);
    }
}

/// Short naps keep the deadline.
fn wait_interval(until: Instant, deadline: Deadline) {
    while !deadline.expired() && Instant::now() < until {
        std::thread::sleep(POLL);
    }
}

fn trace(obj: &Object, opt: &Options) -> wbpf::Result<()> {
    let hist = obj.map("hist")?.typed::<HistKey, u64>()?;
    println!("syslat: tracing syscalls, every {} ms", opt.interval.as_millis());
    while !opt.deadline.expired() {
        wait_interval(Instant::now() + opt.interval, opt.deadline);
        let h = drain(&hist).map_err(|e| {
            eprintln!("reading the histogram: {}", e);
            e
        })?;
        print_hist(&h);
    }
    if let Ok(bss) = obj.global_data::<Bss>(".bss") {
        println!("syslat: {} syscalls", bss.syscalls_seen);
    }
    Ok(())
}

fn parse_args() -> Option<Options> {
    let mut opt = Options {
        deadline: Deadline::after(None),
        interval: Duration::from_secs(1),
        pid: 0,
        nr: None,
        comm: None,
    };
    let ok = parse_opts("dipcs", |flag, v| match flag {
        'd' => parse_duration(v).map(|d| opt.deadline = Deadline::after(Some(d))).is_some(),
        'i' => parse_duration(v).map(|d| opt.interval = d).is_some(),
        'p' => parse_u32(v).map(|p| opt.pid = p).is_some(),
        's' => parse_u32(v).map(|n| opt.nr = Some(n)).is_some(),
        _ => v.len() < COMM_LEN && {
            opt.comm = Some(v.to_string());
            true
        },
    });
    if !ok {
        eprintln!("usage: syslat [-d SECONDS] [-i INTERVAL] [-p PID] [-c COMM] [-s SYSCALL_NR]");
        return None;
    }
    Some(opt)
}

fn set_rodata(ro: &mut Rodata, opt: &Options) {
    ro.target_pid = opt.pid;
    ro.target_nr = opt.nr.map_or(-1, |n| n as i32);
    if let Some(c) = &opt.comm {
        ro.target_comm = [0; COMM_LEN];
        ro.target_comm[..c.len()].copy_from_slice(c.as_bytes());
    }
}

fn main() {
    common::run("syslat", include_bytes!(env!("WBPF_BPF_OBJ")), parse_args(), set_rodata, trace);
}
