//! Redis (RESP) as a `wbpf_l7` plugin in Rust: the port of examples/l7_redis
//! (same protocol number, records and fields). A record per command and per
//! reply, pipelined messages included; the command name is the request
//! type, the command line the resource; an error reply is a server error.
//!
//!     wbpf l7 ... --plugin l7_redis.wasm [--plugin-arg port=6379]

use std::sync::atomic::{AtomicU32, Ordering};

use wbpf::l7::{Claim, Ctx, IntField, Parse, Record, RecordKind, StrField};

const PROTO_REDIS: u16 = 80;
const MAX_DEPTH: u32 = 8;
const LINE_MAX: usize = 255;
const CMD_MAX: usize = 31;

/// Where a flow counts as Redis without looking at it.
static PORT: AtomicU32 = AtomicU32::new(6379);

/// Why a message could not be read.
enum Stop {
    /// A prefix: wait for more bytes.
    More,
    /// Not RESP.
    Bad,
}

#[derive(Default)]
struct Msg {
    len: usize,
    kind: u8,
    cmd: Vec<u8>,
    line: Vec<u8>,
    text: Vec<u8>,
}

/// Up to the first NUL: the C plugin keeps these as C strings, and the
/// port gives the same records for binary arguments too.
fn c_str(v: &[u8]) -> &[u8] {
    &v[..v.iter().position(|&b| b == 0).unwrap_or(v.len())]
}

/// Appends a word, space-separated, cut at LINE_MAX bytes.
fn append(dst: &mut Vec<u8>, s: &[u8]) {
    dst.truncate(c_str(dst).len());
    if !dst.is_empty() && dst.len() < LINE_MAX {
        dst.push(b' ');
    }
    let room = LINE_MAX.saturating_sub(dst.len());
    dst.extend_from_slice(&s[..s.len().min(room)]);
}

fn number(s: &[u8]) -> Result<i64, Stop> {
    let (neg, digits) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, s),
    };
    if digits.is_empty() || s.len() > 18 || !digits.iter().all(u8::is_ascii_digit) {
        return Err(Stop::Bad);
    }
    let v = digits.iter().fold(0i64, |v, d| v * 10 + i64::from(d - b'0'));
    Ok(if neg { -v } else { v })
}

struct Reader<'a> {
    p: &'a [u8],
    at: usize,
    msg: Msg,
}

impl Reader<'_> {
    /// A line up to CRLF.
    fn line(&mut self) -> Result<(usize, usize), Stop> {
        let rest = &self.p[self.at..];
        match rest.windows(2).position(|w| w == b"\r\n") {
            Some(n) => {
                let start = self.at;
                self.at += n + 2;
                Ok((start, n))
            }
            None if rest.len() > 64 * 1024 => Err(Stop::Bad),
            None => Err(Stop::More),
        }
    }

    /// A bulk string: $len CRLF bytes CRLF; in a top-level command a word.
    fn bulk(&mut self, len: i64, word: bool) -> Result<(), Stop> {
        if len < 0 {
            return Ok(());
        }
        let len = len as usize;
        let rest = &self.p[self.at..];
        if rest.len() < len + 2 {
            return Err(if len > 512 * 1024 * 1024 { Stop::Bad } else { Stop::More });
        }
        if &rest[len..len + 2] != b"\r\n" {
            return Err(Stop::Bad);
        }
        if word {
            append(&mut self.msg.line, &rest[..len]);
        }
        self.at += len + 2;
        Ok(())
    }

    /// Arrays, sets, pushes (n elements); maps, attributes (2n).
    fn aggregate(&mut self, count: i64, depth: u32, top: bool) -> Result<(), Stop> {
        if count < 0 {
            return Ok(()); // a null array
        }
        if count > 1024 * 1024 || depth >= MAX_DEPTH {
            return Err(Stop::Bad);
        }
        (0..count).try_for_each(|_| self.element(depth + 1, top))
    }

    fn element(&mut self, depth: u32, top: bool) -> Result<(), Stop> {
        let t = *self.p.get(self.at).ok_or(Stop::More)?;
        self.at += 1;
        let (start, n) = self.line()?;
        let s = &self.p[start..start + n];
        match t {
            b'+' | b'-' | b':' | b',' | b'#' | b'_' | b'(' => {
                if depth == 0 {
                    append(&mut self.msg.text, s);
                }
                Ok(())
            }
            b'$' | b'!' | b'=' => {
                let v = number(s)?;
                self.bulk(v, top && depth == 1)
            }
            b'*' | b'~' | b'>' => {
                let v = number(s)?;
                self.aggregate(v, depth, top && depth == 0)
            }
            b'%' | b'|' => match number(s)? {
                v if v <= 512 * 1024 => self.aggregate(2 * v, depth, false),
                _ => Err(Stop::Bad),
            },
            _ => Err(Stop::Bad),
        }
    }
}

fn read(p: &[u8]) -> Result<Msg, Stop> {
    let first = *p.first().ok_or(Stop::More)?;
    let mut r = Reader { p, at: 0, msg: Msg { kind: first, ..Msg::default() } };
    r.element(0, first == b'*')?;
    let mut m = r.msg;
    m.len = r.at;
    m.cmd = c_str(&m.line).iter().take_while(|&&b| b != b' ').take(CMD_MAX)
        .map(u8::to_ascii_uppercase).collect();
    Ok(m)
}

/// "*<count>\r\n$": an array whose first element is a bulk string.
fn looks_like_command(p: &[u8]) -> bool {
    if p.len() < 4 || p[0] != b'*' {
        return false;
    }
    let i = 1 + p[1..].iter().take_while(|b| b.is_ascii_digit()).count();
    i > 1 && i + 2 < p.len() && &p[i..i + 3] == b"\r\n$"
}

fn init() -> wbpf::Result<()> {
    wbpf::l7::set_name("Redis")?;
    if let Some(p) = wbpf::l7::config_uint("port", 65535)? {
        PORT.store(p as u32, Ordering::Relaxed);
    }
    Ok(())
}

fn check(c: &Ctx<'_>) -> Option<Claim> {
    let port = PORT.load(Ordering::Relaxed);
    if c.l4() != 6 {
        return None;
    }
    if looks_like_command(c.payload()) {
        return Some(Claim { protocol: PROTO_REDIS, server_to_client: false });
    }
    let ours = u32::from(c.dport()) == port || u32::from(c.sport()) == port;
    ours.then(|| Claim { protocol: PROTO_REDIS, server_to_client: c.server_to_client() })
}

/// One record; MSG_END tells the pipeline where the message stopped, so an
/// incomplete one after it comes back whole with the next bytes.
fn emit(m: &Msg, request: bool, end: usize) -> wbpf::Result<()> {
    let kind = if request { RecordKind::Request } else { RecordKind::Response };
    let r = Record::new(kind)?;
    r.int(IntField::MSG_END, end as i64)?;
    if request {
        r.str(StrField::REQUEST_TYPE, &m.cmd)?.str(StrField::REQUEST_RESOURCE, c_str(&m.line))?;
        r.int(IntField::REQ_LEN, m.len as i64)?;
        return Ok(());
    }
    r.int(IntField::RESP_LEN, m.len as i64)?;
    if m.kind == b'-' || m.kind == b'!' {
        r.int(IntField::RESPONSE_STATUS, 3)?.str(StrField::RESPONSE_EXCEPTION, c_str(&m.text))?;
    } else {
        r.int(IntField::RESPONSE_STATUS, 0)?.str(StrField::RESPONSE_RESULT, c_str(&m.text))?;
    }
    Ok(())
}

fn parse(c: &Ctx<'_>) -> Parse {
    let p = c.payload();
    let (mut at, mut made) = (0, 0);
    while at < p.len() && made < 16 {
        match read(&p[at..]) {
            Ok(m) => {
                at += m.len;
                // A record the host refuses (too many) ends nothing: as in C.
                let _ = emit(&m, !c.server_to_client(), at);
                made += 1;
            }
            Err(Stop::More) if made == 0 && !c.truncated() => return Parse::Again,
            Err(_) => break,
        }
    }
    if made > 0 {
        Parse::Done
    } else {
        Parse::NotMine
    }
}

wbpf::l7_plugin! {
    init => init,
    check => check,
    parse => parse,
}
