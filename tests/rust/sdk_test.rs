//! The Rust SDK against the real host and kernel, and hostile use of it:
//! every call the SDK wraps, checked by what the BPF side then sees
//! (tests/examples/guests/sdk_test.bpf.c), and bad handles, bad sizes and
//! denied attaches coming back as `Err` with the host's errno. Prints one
//! "ok"/"FAIL" line per check, then a summary.
//!
//! usage: sdk_test [panic]   (root; the runner passes no --allow-* flags)
//! With `panic`, a ring buffer closure panics: the instance must end with
//! a trap, and the host with it in order, not crash.

mod types {
    include!(env!("WBPF_TYPES"));
}

use std::cell::Cell;
use std::time::{Duration, Instant};

use types::{Bss, Data, Rodata};
use wbpf::wasm_bpf::binding;
use wbpf::{Error, Map, Object, PerfBuffer, Pod, Record, RingBuffer, Uprobe};

const MAGIC: u32 = 0x5eed;
const POLL: Duration = Duration::from_millis(50);

struct Checks {
    passed: u32,
    failed: u32,
}

impl Checks {
    fn check(&mut self, name: &str, ok: bool, detail: impl std::fmt::Debug) {
        if ok {
            self.passed += 1;
            println!("ok {}", name);
        } else {
            self.failed += 1;
            println!("FAIL {}: {:?}", name, detail);
        }
    }

    fn err_is<T: std::fmt::Debug>(&mut self, name: &str, r: wbpf::Result<T>, want: Error) {
        let ok = matches!(&r, Err(e) if *e == want);
        self.check(name, ok, r);
    }
}

/// Polls `poll` until `done` or 3 s.
fn until(mut poll: impl FnMut() -> wbpf::Result<usize>, done: impl Fn() -> bool) -> bool {
    let end = Instant::now() + Duration::from_secs(3);
    while !done() && Instant::now() < end {
        if poll().is_err() {
            return false;
        }
    }
    done()
}

fn before_load(c: &mut Checks, obj: &Object) -> wbpf::Result<()> {
    let names: Vec<String> = obj.programs().map(|p| p.name().unwrap_or_default()).collect();
    c.check("programs", names.contains(&"sdk_switch".to_string()) && names.len() == 5, &names);
    let sec = obj.program("sdk_raw")?.section()?;
    c.check("program-section", sec == "raw_tp/sched_switch", &sec);
    c.check("maps", obj.maps().count() >= 7, obj.maps().count());
    c.err_is("find-missing-program", obj.program("nope"), Error::ENOENT);
    c.err_is("name-with-nul", obj.map("sdk\0hash"), Error::EINVAL);
    obj.program("sdk_unused")?.set_autoload(false)?;
    let mut ro: Rodata = obj.global_data(".rodata")?;
    ro.magic = MAGIC;
    obj.set_global_data(".rodata", &ro)?;
    c.err_is("typed-before-load-sizes", obj.map("sdk_hash")?.typed::<u64, u64>(), Error::EINVAL);
    Ok(())
}

fn buffers(c: &mut Checks, obj: &Object) -> wbpf::Result<()> {
    let (ring1, ring2, perf) = (Cell::new(0u32), Cell::new(0u32), Cell::new(0u32));
    let magic_seen = Cell::new(0u32);
    let r1 = obj.map("sdk_ring")?;
    let r2 = obj.map("sdk_ring2")?;
    let mut rb = RingBuffer::new(&r1, |d: &[u8]| {
        ring1.set(ring1.get() + 1);
        magic_seen.set(u32::from_bytes(&d[8..]).unwrap_or(0));
    })?;
    rb.add(&r2, |_: &[u8]| ring2.set(ring2.get() + 1))?;
    let ok = until(|| rb.poll(Some(POLL)), || ring1.get() > 0 && ring2.get() > 0);
    c.check("ringbuf-two-rings", ok, (ring1.get(), ring2.get()));
    c.check("ringbuf-record", magic_seen.get() == MAGIC, magic_seen.get());
    let mut stop = RingBuffer::new(&r1, |_: &[u8]| Err(Error::ETIMEDOUT))?;
    let r = loop {
        match stop.poll(Some(POLL)) {
            Ok(0) => continue,
            r => break r,
        }
    };
    c.err_is("ringbuf-callback-stops", r, Error::ETIMEDOUT);
    let mut pb = PerfBuffer::new(&obj.map("sdk_perf")?, 8, |_cpu, d: &[u8]| {
        if u64::from_bytes(d).map_or(false, |hits| hits > 0) {
            perf.set(perf.get() + 1);
        }
    })?;
    c.check("perfbuf", until(|| pb.poll(Some(POLL)), || perf.get() > 0), perf.get());
    c.err_is("perfbuf-bad-pages", PerfBuffer::new(&obj.map("sdk_perf")?, 3, |_, _: &[u8]| {}),
             Error::EINVAL);
    c.err_is("ringbuf-on-hash", RingBuffer::new(&obj.map("sdk_hash")?, |_: &[u8]| {}).map(|_| ()),
             Error::EINVAL);
    Ok(())
}

fn maps(c: &mut Checks, obj: &Object) -> wbpf::Result<()> {
    let hash = obj.map("sdk_hash")?.typed::<u32, u64>()?;
    let cpus: Vec<(u32, u64)> = hash.iter().collect::<wbpf::Result<_>>()?;
    c.check("hash-iter", !cpus.is_empty() && cpus.iter().all(|&(_, n)| n > 0), &cpus);
    hash.set(&1000, &7)?;
    c.check("hash-set-get", hash.get(&1000)? == Some(7), hash.get(&1000));
    c.err_is("hash-noexist", hash.insert(&1000, &8, wbpf::map::NOEXIST), Error::from_errno(17));
    c.check("hash-take", hash.take(&1000)? == Some(7) && hash.get(&1000)?.is_none(), ());
    c.check("hash-delete-missing", !hash.delete(&1000)?, ());
    let keys = [2000u32, 2001, 2002];
    let n = hash.update_batch(&keys, &[1, 2, 3], wbpf::map::ANY)?;
    let all = hash.get_all(4)?;
    let found = keys.iter().filter(|k| all.iter().any(|(ak, _)| ak == *k)).count();
    c.check("hash-batch", n == 3 && found == 3, (n, found, all.len()));
    c.check("hash-delete-batch", hash.delete_batch(&keys)? == 3 && hash.get(&2001)?.is_none(), ());
    let pcpu = obj.map("sdk_pcpu")?.per_cpu::<u32, u64>()?;
    let per = pcpu.get(&0)?.unwrap_or_default();
    c.check("percpu", per.len() == pcpu.ncpus() && per.iter().sum::<u64>() > 0, &per);
    Ok(())
}

fn global_data(c: &mut Checks, obj: &Object) -> wbpf::Result<()> {
    obj.set_global_data(".data", &Data { input: 4242 })?;
    let seen = || obj.global_data::<Bss>(".bss").map(|b| b.seen_input == 4242);
    let end = Instant::now() + Duration::from_secs(3);
    while !seen()? && Instant::now() < end {
        std::thread::sleep(POLL);
    }
    let bss: Bss = obj.global_data(".bss")?;
    c.check("data-write-live", bss.seen_input == 4242 && bss.seen_magic == MAGIC, &bss);
    c.check("bss-hits", bss.hits > 0 && bss.raw_hits > 0 && bss.explicit_hits > 0, &bss);
    c.err_is("rodata-frozen", obj.set_global_data(".rodata", &Rodata { magic: 1 }), Error::EPERM);
    Ok(())
}

/// Bad handles, sizes and targets: errors, never a crash of the host.
fn hostile(c: &mut Checks, obj: &Object, elf: &[u8]) -> wbpf::Result<()> {
    c.err_is("open-garbage", Object::open(b"not an ELF object"), Error::EINVAL);
    c.err_is("forged-map", Map::from_handle(0x7fff_0001).info(), Error::EBADF);
    c.err_is("forged-map-typed", Map::from_handle(-3).typed::<u32, u64>(), Error::EBADF);
    let other = Object::open(elf)?;
    let h = other.map("sdk_hash")?.handle();
    other.close()?;
    c.err_is("stale-map", Map::from_handle(h).info(), Error::EBADF);
    c.err_is("load-twice", obj.load(), Error::EBUSY);
    c.err_is("autoload-after-load", obj.program("sdk_raw")?.set_autoload(true), Error::EBUSY);
    let other = Object::open(elf)?;
    c.err_is("attach-before-load", other.program("sdk_raw")?.attach(), Error::EINVAL);
    c.err_is("attach-wrong-kind", obj.program("sdk_raw")?.attach_xdp("lo"), Error::EINVAL);
    attach_denied(c)?;
    let m = obj.map("sdk_hash")?;
    c.err_is("lookup-bad-size", m.lookup_bytes(&[0; 3], &mut [0; 8], 0), Error::EINVAL);
    c.err_is("data-past-end", obj.map(".data")?.write_data_bytes(2, &[0; 4]), Error::EINVAL);
    // wasm-bpf's binding: raw addresses and "fds", all checked by the host.
    c.check("wasm_bpf-forged-fd", binding::wasm_bpf_map_operate(9999, 1, 0, 0, 0, 0) == -9, ());
    c.check("wasm_bpf-close-forged", binding::wasm_close_bpf_object(77) == -9, ());
    c.check("wasm_bpf-load-oob", binding::wasm_load_bpf_object(0xffff_fff0, 64) == 0, ());
    let wobj = binding::wasm_load_bpf_object(elf.as_ptr() as u32, elf.len() as i32);
    let fd = binding::wasm_bpf_map_fd_by_name(wobj, b"sdk_hash\0".as_ptr() as u32);
    let (key, mut value) = (5000u32, 0u64);
    let oob = binding::wasm_bpf_map_operate(fd, 1, 1 << 40, &mut value as *mut u64 as u64, 0, 0);
    let missing = binding::wasm_bpf_map_operate(fd, 1, &key as *const u32 as u64,
                                                &mut value as *mut u64 as u64, 0, 0);
    c.check("wasm_bpf-map", wobj != 0 && fd > 0 && oob == -14 && missing == -2, (wobj, fd, oob, missing));
    c.check("wasm_bpf-close", binding::wasm_close_bpf_object(wobj) == 0, ());
    Ok(())
}

/// Attach kinds the runner did not allow (no --allow-* flags): EPERM;
/// attach_all leaves the ones that need a target to the caller.
fn attach_denied(c: &mut Checks) -> wbpf::Result<()> {
    let obj = Object::open(include_bytes!(env!("WBPF_HOSTILE_OBJ")))?;
    obj.load()?;
    let links = obj.attach_all()?;
    c.check("attach-all-skips-targeted", links.len() == 1, links.len());
    c.err_is("uprobe-denied", obj.program("e2e_uprobe")?
                 .attach_uprobe(&Uprobe::new("libc.so.6", "getenv")), Error::EPERM);
    c.err_is("uretprobe-denied", obj.program("e2e_uprobe")?
                 .attach_uprobe(&Uprobe::new("/bin/true", "main").ret()), Error::EPERM);
    c.err_is("xdp-denied", obj.program("e2e_xdp")?.attach_xdp("lo"), Error::EPERM);
    c.err_is("socket-denied", obj.program("e2e_socket")?.attach_socket("lo"), Error::EPERM);
    Ok(())
}

fn records(c: &mut Checks) {
    let r = Record::new().str("comm", "sdk\"test").int("pid", 42).bool("ok", true);
    c.check("record-emit", r.emit().is_ok(), r.to_json());
    c.err_is("record-other-fields", Record::new().int("x", 1).emit(), Error::EINVAL);
}

fn run(c: &mut Checks) -> wbpf::Result<()> {
    let elf: &[u8] = include_bytes!(env!("WBPF_BPF_OBJ"));
    let obj = Object::open_named(elf, "sdk_test")?;
    before_load(c, &obj)?;
    obj.load()?;
    let mut links = obj.attach_all()?;
    links.push(obj.program("sdk_explicit")?.attach_tracepoint("sched", "sched_switch")?);
    c.check("attach-all", links.len() == 4, links.len());
    buffers(c, &obj)?;
    maps(c, &obj)?;
    global_data(c, &obj)?;
    hostile(c, &obj, elf)?;
    records(c);
    let link = links.pop().map(|l| l.detach());
    c.check("detach", matches!(link, Some(Ok(()))), link);
    Ok(())
}

fn panic_in_callback() -> wbpf::Result<()> {
    let obj = Object::open(include_bytes!(env!("WBPF_BPF_OBJ")))?;
    obj.program("sdk_unused")?.set_autoload(false)?;
    obj.load()?;
    let _links = obj.attach_all()?;
    let mut rb = RingBuffer::new(&obj.map("sdk_ring")?, |_: &[u8]| {
        panic!("a Rust callback panicked");
    })?;
    loop {
        rb.poll(Some(POLL))?;
    }
}

fn main() {
    if std::env::args().nth(1).as_deref() == Some("panic") {
        println!("panic: {:?}", panic_in_callback());
        std::process::exit(3);
    }
    let mut c = Checks { passed: 0, failed: 0 };
    if let Err(e) = run(&mut c) {
        c.check("setup", false, e);
    }
    println!("rust-sdk: {}/{} checks passed", c.passed, c.passed + c.failed);
    std::process::exit(if c.failed == 0 { 0 } else { 1 });
}
