//! Records for the run's sink (`wbpf run --output`): one flat JSON object
//! per record, built field by field.

use crate::error::{check0, Result};
use crate::sys;

/// A record under construction. The first record emitted fixes the
/// fields (names, kinds, order); later ones must match.
#[derive(Clone, Debug, Default)]
pub struct Record {
    json: String,
}

impl Record {
    /// An empty record.
    pub fn new() -> Self {
        Record { json: String::from("{") }
    }

    fn key(&mut self, name: &str) {
        if self.json.len() > 1 {
            self.json.push(',');
        }
        push_json_str(&mut self.json, name);
        self.json.push(':');
    }

    /// A string field.
    pub fn str(mut self, name: &str, v: &str) -> Self {
        self.key(name);
        push_json_str(&mut self.json, v);
        self
    }

    /// An integer field.
    pub fn int(mut self, name: &str, v: i64) -> Self {
        self.key(name);
        self.json.push_str(&v.to_string());
        self
    }

    /// A real field (non-finite values become null: JSON has no NaN).
    pub fn real(mut self, name: &str, v: f64) -> Self {
        self.key(name);
        if v.is_finite() {
            self.json.push_str(&format!("{:?}", v));
        } else {
            self.json.push_str("null");
        }
        self
    }

    /// A boolean field.
    pub fn bool(mut self, name: &str, v: bool) -> Self {
        self.key(name);
        self.json.push_str(if v { "true" } else { "false" });
        self
    }

    /// The JSON text so far, closed.
    pub fn to_json(&self) -> String {
        format!("{}}}", self.json)
    }

    /// Hands the record to the sink.
    pub fn emit(&self) -> Result<()> {
        emit_json(&self.to_json())
    }
}

/// Hands one flat JSON object to the sink as it is.
pub fn emit_json(json: &str) -> Result<()> {
    // SAFETY: json spans its length.
    check0(unsafe { sys::record_emit_json(json.as_ptr(), json.len() as u32) })
}

fn push_json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}
