//! `--stats`: syscall accounting. Each guest process counts, per Linux syscall, how often it was
//! made and how it ended; at exit the loader appends one JSON line per process to the stats file.
//! The compatibility matrix joins these records with the table as evidence of what was exercised.

use alloc::{collections::BTreeMap, format, string::String, vec::Vec};
use core::fmt::Write;

use crate::{table::Table, LxResult};

/// Counts for one syscall.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CallCount {
    pub ok: u64,
    /// Failures by Linux errno value.
    pub errors: BTreeMap<i32, u64>,
}

/// Counts for every syscall a process made, by number.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    calls: BTreeMap<u64, CallCount>,
}

impl Stats {
    pub fn record(&mut self, nr: u64, result: &LxResult) {
        let c = self.calls.entry(nr).or_default();
        match result {
            Ok(_) => c.ok += 1,
            Err(e) => *c.errors.entry(e.0).or_default() += 1,
        }
    }

    pub fn calls(&self) -> impl Iterator<Item = (u64, &CallCount)> {
        self.calls.iter().map(|(n, c)| (*n, c))
    }

    /// One JSON line: `{"program": …, "calls": [{"nr": 0, "name": "read", "ok": 3, "errors": {"EBADF": 1}}, …]}`.
    pub fn json_line(&self, table: &Table, program: &str) -> String {
        let mut out = format!("{{\"program\": \"{}\", \"calls\": [", escape(program));
        for (i, (nr, c)) in self.calls.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            let name = table.get(*nr).map(|e| e.name).unwrap_or("unknown");
            let _ = write!(out, "{{\"nr\": {nr}, \"name\": \"{name}\", \"ok\": {}, \"errors\": {{", c.ok);
            let errs: Vec<String> = c
                .errors
                .iter()
                .map(|(e, n)| format!("\"{}\": {n}", crate::Errno(*e).name().unwrap_or("E?")))
                .collect();
            out.push_str(&errs.join(", "));
            out.push_str("}}");
        }
        out.push_str("]}\n");
        out
    }
}

fn escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_join_names_and_errno_names() {
        let mut s = Stats::default();
        s.record(0, &Ok(3));
        s.record(0, &Err(crate::errno::EBADF));
        s.record(2, &Err(crate::errno::ENOENT));
        let line = s.json_line(&Table::new(), "/bin/x");
        assert_eq!(
            line,
            "{\"program\": \"/bin/x\", \"calls\": [{\"nr\": 0, \"name\": \"read\", \"ok\": 1, \"errors\": {\"EBADF\": 1}}, {\"nr\": 2, \"name\": \"open\", \"ok\": 0, \"errors\": {\"ENOENT\": 1}}]}\n"
        );
    }
}
