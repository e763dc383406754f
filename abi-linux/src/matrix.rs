//! The compatibility matrix, generated from the syscall table: what `compat-matrix.md` and
//! `rumplx compat` show. Nothing here is written by hand per syscall; the reasons are the table's.

use alloc::{
    collections::{BTreeMap, BTreeSet},
    format,
    string::{String, ToString},
    vec::Vec,
};
use core::fmt::Write;

use crate::table::{Entry, Family, Route, Support, Table};

/// The short name of a support level.
pub fn level(s: &Support) -> &'static str {
    match s {
        Support::Full => "full",
        Support::Partial(_) => "partial",
        Support::Unsupported(_) => "unsupported",
    }
}

fn reason(s: &Support) -> &'static str {
    match s {
        Support::Full => "",
        Support::Partial(r) | Support::Unsupported(r) => r,
    }
}

/// What a call becomes below the personality, in words.
pub fn becomes(e: &Entry) -> String {
    let names = |nrs: &[u32]| -> String {
        nrs.iter()
            .map(|n| abi_netbsd::syscall_info(*n).map(|i| i.name).unwrap_or("?"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match &e.route {
        Route::SameAs(n) => format!("{} (same arguments)", names(core::slice::from_ref(n))),
        Route::Translated(_, []) => String::from("translated by the layer"),
        Route::Translated(_, nrs) => names(nrs),
        Route::Layer(_) => String::from("served by the layer"),
        Route::Enosys => String::from("ENOSYS"),
    }
}

const FAMILIES: [(Family, &str); 9] = [
    (Family::Files, "files"),
    (Family::Memory, "memory"),
    (Family::Processes, "processes"),
    (Family::Signals, "signals"),
    (Family::Time, "time"),
    (Family::Network, "network"),
    (Family::Events, "events"),
    (Family::Ipc, "ipc"),
    (Family::Other, "other"),
];

pub fn family_name(f: Family) -> &'static str {
    FAMILIES.iter().find(|(x, _)| *x == f).map(|(_, n)| *n).unwrap_or("other")
}

/// The whole matrix as Markdown.
pub fn markdown(table: &Table) -> String {
    markdown_with(table, None)
}

/// What the test suite was seen to do with one syscall.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Seen {
    pub ok: u64,
    pub failed: u64,
    /// Failures by errno name.
    pub errors: BTreeMap<String, u64>,
    /// The tests that made the call.
    pub tests: BTreeSet<String>,
}

/// One real-program test case: its command and how it ended natively and under rumplx.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseResult {
    pub case: String,
    pub command: String,
    pub native: String,
    pub rumplx: String,
    pub same: bool,
}

/// Evidence gathered from `--stats` records (and the test harness's case records beside them).
#[derive(Clone, Debug, Default)]
pub struct Evidence {
    pub calls: BTreeMap<u64, Seen>,
    /// Real programs' cases (the harness marks them `"real": true`), by case name.
    pub cases: BTreeMap<String, CaseResult>,
    /// Every test that left a record.
    pub tests: BTreeSet<String>,
}

impl Evidence {
    /// Adds the lines of one stats file. A line's `"test"` names its test; without one, `test`
    /// (the file's name) does. Lines with `"calls"` are process records from `rumplx run --stats`;
    /// lines with `"case"` are the harness's results. Other lines are an error.
    pub fn add_jsonl(&mut self, test: &str, text: &str) -> Result<(), String> {
        for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            let v = json::parse(line).map_err(|e| format!("line {}: {e}", n + 1))?;
            let test = v.get("test").and_then(|t| t.as_str()).unwrap_or(test).to_string();
            self.tests.insert(test.clone());
            if let Some(calls) = v.get("calls").and_then(|c| c.as_array()) {
                for c in calls {
                    let nr = c.get("nr").and_then(|x| x.as_u64()).ok_or_else(|| format!("line {}: a call without nr", n + 1))?;
                    let seen = self.calls.entry(nr).or_default();
                    let ok = c.get("ok").and_then(|x| x.as_u64()).unwrap_or(0);
                    seen.ok += ok;
                    if let Some(json::Value::Object(errs)) = c.get("errors") {
                        for (name, count) in errs {
                            let count = count.as_u64().unwrap_or(0);
                            seen.failed += count;
                            *seen.errors.entry(name.clone()).or_default() += count;
                        }
                    }
                    seen.tests.insert(test.clone());
                }
            } else if let Some(case) = v.get("case").and_then(|c| c.as_str()) {
                if v.get("real").and_then(|r| r.as_bool()) == Some(true) {
                    let text = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string();
                    self.cases.insert(
                        case.to_string(),
                        CaseResult {
                            case: case.to_string(),
                            command: text("command"),
                            native: text("native"),
                            rumplx: text("rumplx"),
                            same: v.get("same").and_then(|x| x.as_bool()) == Some(true),
                        },
                    );
                }
            } else {
                return Err(format!("line {}: neither a stats record nor a case record", n + 1));
            }
        }
        Ok(())
    }
}

/// The "tested" cell of a row: what the tests did with the call, or the flag for a full row no
/// test exercised.
fn tested(e: &Entry, ev: &Evidence) -> String {
    match ev.calls.get(&(e.nr as u64)) {
        None if matches!(e.support, Support::Full) => String::from("**full but never exercised**"),
        None => String::from("not exercised"),
        Some(s) => {
            let mut out = format!("{} ok, {} failed", s.ok, s.failed);
            if !s.errors.is_empty() {
                let errs: Vec<String> = s.errors.iter().map(|(n, c)| format!("{n} {c}")).collect();
                let _ = write!(out, " ({})", errs.join(", "));
            }
            let _ = write!(out, "; {} test{}", s.tests.len(), if s.tests.len() == 1 { "" } else { "s" });
            out
        }
    }
}

/// The matrix as Markdown, with the "tested" column and the real-programs section when evidence is
/// given.
pub fn markdown_with(table: &Table, evidence: Option<&Evidence>) -> String {
    markdown_only(table, evidence, None)
}

/// The matrix as Markdown, its rows limited to one support level ("full", "partial",
/// "unsupported") when `only` says; the summary counts stay whole.
pub fn markdown_only(table: &Table, evidence: Option<&Evidence>, only: Option<&str>) -> String {
    let mut out = String::new();
    let entries = table.entries();
    let count = |f: &dyn Fn(&Entry) -> bool| entries.iter().filter(|e| f(e)).count();
    out.push_str("# rumplx compatibility matrix\n\n");
    out.push_str(if evidence.is_some() {
        "Generated from the syscall table and the test suite's evidence by `tools/compat-matrix.sh` (the tests \
         run with `RUMPLX_STATS_DIR`, then `rumplx compat --format md --evidence compat-evidence.jsonl`); do not edit by hand.\n\n"
    } else {
        "Generated from the syscall table by `rumplx compat --format md`; do not edit by hand.\n\n"
    });
    let _ = writeln!(
        out,
        "{} Linux x86_64 syscalls: {} full, {} partial, {} unsupported.\n",
        entries.len(),
        count(&|e| matches!(e.support, Support::Full)),
        count(&|e| matches!(e.support, Support::Partial(_))),
        count(&|e| matches!(e.support, Support::Unsupported(_)))
    );
    out.push_str("| family | full | partial | unsupported |\n|---|---:|---:|---:|\n");
    for (fam, name) in FAMILIES {
        let of = |lvl: &str| count(&|e| e.family == fam && level(&e.support) == lvl);
        let _ = writeln!(out, "| {name} | {} | {} | {} |", of("full"), of("partial"), of("unsupported"));
    }
    if let Some(ev) = evidence {
        let unexercised = count(&|e| matches!(e.support, Support::Full) && !ev.calls.contains_key(&(e.nr as u64)));
        let _ = writeln!(
            out,
            "\nEvidence: {} test cases of the test suite, run under `rumplx run --stats`, made {} different syscalls; \
             {unexercised} calls marked full were never exercised by a test (flagged below).",
            ev.tests.len(),
            ev.calls.len()
        );
        real_programs(&mut out, ev);
    }
    out.push_str("\n## Every syscall\n\n| nr | name | family | level | becomes | what is missing |");
    out.push_str(if evidence.is_some() { " tested |\n|---:|---|---|---|---|---|---|\n" } else { "\n|---:|---|---|---|---|---|\n" });
    for e in entries.iter().filter(|e| only.is_none_or(|l| level(&e.support) == l)) {
        let _ = write!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            e.nr,
            e.name,
            family_name(e.family),
            level(&e.support),
            becomes(e),
            reason(&e.support).replace('|', "\\|")
        );
        if let Some(ev) = evidence {
            let _ = write!(out, " {} |", tested(e, ev));
        }
        out.push('\n');
    }
    out
}

/// The real programs section: each real-program test case's command and result.
fn real_programs(out: &mut String, ev: &Evidence) {
    if ev.cases.is_empty() {
        return;
    }
    let same = ev.cases.values().filter(|c| c.same).count();
    let _ = writeln!(
        out,
        "\n## Real programs\n\n{} of {} real-program test runs behave under rumplx as natively (same output, \
         exit status and files left).\n\n| test | command | native | rumplx | result |\n|---|---|---|---|---|",
        same,
        ev.cases.len()
    );
    for c in ev.cases.values() {
        let cmd = c.command.replace('|', "\\|").replace('`', "'").replace('\n', " ");
        let _ = writeln!(
            out,
            "| {} | `{}` | {} | {} | {} |",
            c.case,
            cmd,
            c.native,
            c.rumplx,
            if c.same { "same" } else { "**differs**" }
        );
    }
}

/// The matrix as JSON (one object per syscall), for `rumplx compat --format json`.
pub fn json(table: &Table) -> String {
    json_with(table, None)
}

/// The matrix as JSON; with evidence each object gains `"tested": {"ok", "failed", "tests"}`.
pub fn json_with(table: &Table, evidence: Option<&Evidence>) -> String {
    json_only(table, evidence, None)
}

/// The matrix as JSON, limited to one support level when `only` says.
pub fn json_only(table: &Table, evidence: Option<&Evidence>, only: Option<&str>) -> String {
    let mut out = String::from("[\n");
    let entries: Vec<&Entry> = table.entries().iter().filter(|e| only.is_none_or(|l| level(&e.support) == l)).collect();
    for (i, e) in entries.iter().enumerate() {
        let _ = write!(
            out,
            "  {{\"nr\": {}, \"name\": \"{}\", \"family\": \"{}\", \"level\": \"{}\", \"becomes\": \"{}\", \"reason\": \"{}\"",
            e.nr,
            e.name,
            family_name(e.family),
            level(&e.support),
            json_escape(&becomes(e)),
            json_escape(reason(&e.support))
        );
        if let Some(ev) = evidence {
            let s = ev.calls.get(&(e.nr as u64)).cloned().unwrap_or_default();
            let _ = write!(out, ", \"tested\": {{\"ok\": {}, \"failed\": {}, \"tests\": {}}}", s.ok, s.failed, s.tests.len());
        }
        out.push('}');
        out.push_str(if i + 1 < entries.len() { ",\n" } else { "\n" });
    }
    out.push_str("]\n");
    out
}

fn json_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// Just enough JSON to read stats records: objects, arrays, strings, numbers, booleans, null.
pub mod json {
    use alloc::{string::String, vec::Vec};

    #[derive(Clone, Debug, PartialEq)]
    pub enum Value {
        Null,
        Bool(bool),
        Number(f64),
        String(String),
        Array(Vec<Value>),
        /// Keys in the order written.
        Object(Vec<(String, Value)>),
    }

    impl Value {
        pub fn get(&self, key: &str) -> Option<&Value> {
            match self {
                Value::Object(kv) => kv.iter().find(|(k, _)| k == key).map(|(_, v)| v),
                _ => None,
            }
        }
        pub fn as_str(&self) -> Option<&str> {
            if let Value::String(s) = self { Some(s) } else { None }
        }
        pub fn as_u64(&self) -> Option<u64> {
            if let Value::Number(n) = self { (*n >= 0.0 && *n == (*n as u64) as f64).then_some(*n as u64) } else { None }
        }
        pub fn as_bool(&self) -> Option<bool> {
            if let Value::Bool(b) = self { Some(*b) } else { None }
        }
        pub fn as_array(&self) -> Option<&[Value]> {
            if let Value::Array(a) = self { Some(a) } else { None }
        }
    }

    /// Parses one JSON text; anything after it but white space is an error.
    pub fn parse(text: &str) -> Result<Value, &'static str> {
        let mut p = Parser { b: text.as_bytes(), i: 0 };
        let v = p.value(0)?;
        p.ws();
        if p.i != p.b.len() {
            return Err("text after the JSON value");
        }
        Ok(v)
    }

    struct Parser<'a> {
        b: &'a [u8],
        i: usize,
    }

    impl Parser<'_> {
        fn ws(&mut self) {
            while self.i < self.b.len() && matches!(self.b[self.i], b' ' | b'\t' | b'\n' | b'\r') {
                self.i += 1;
            }
        }
        fn eat(&mut self, c: u8) -> bool {
            self.ws();
            if self.b.get(self.i) == Some(&c) {
                self.i += 1;
                true
            } else {
                false
            }
        }
        fn value(&mut self, depth: u32) -> Result<Value, &'static str> {
            if depth > 64 {
                return Err("nested too deep");
            }
            self.ws();
            match self.b.get(self.i).copied() {
                Some(b'{') => {
                    self.i += 1;
                    let mut kv = Vec::new();
                    if self.eat(b'}') {
                        return Ok(Value::Object(kv));
                    }
                    loop {
                        self.ws();
                        let k = self.string()?;
                        if !self.eat(b':') {
                            return Err("expected ':'");
                        }
                        kv.push((k, self.value(depth + 1)?));
                        if self.eat(b'}') {
                            return Ok(Value::Object(kv));
                        }
                        if !self.eat(b',') {
                            return Err("expected ',' or '}'");
                        }
                    }
                }
                Some(b'[') => {
                    self.i += 1;
                    let mut a = Vec::new();
                    if self.eat(b']') {
                        return Ok(Value::Array(a));
                    }
                    loop {
                        a.push(self.value(depth + 1)?);
                        if self.eat(b']') {
                            return Ok(Value::Array(a));
                        }
                        if !self.eat(b',') {
                            return Err("expected ',' or ']'");
                        }
                    }
                }
                Some(b'"') => Ok(Value::String(self.string()?)),
                Some(b't') if self.b[self.i..].starts_with(b"true") => {
                    self.i += 4;
                    Ok(Value::Bool(true))
                }
                Some(b'f') if self.b[self.i..].starts_with(b"false") => {
                    self.i += 5;
                    Ok(Value::Bool(false))
                }
                Some(b'n') if self.b[self.i..].starts_with(b"null") => {
                    self.i += 4;
                    Ok(Value::Null)
                }
                Some(c) if c == b'-' || c.is_ascii_digit() => {
                    let start = self.i;
                    while self.i < self.b.len() && matches!(self.b[self.i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9') {
                        self.i += 1;
                    }
                    let t = core::str::from_utf8(&self.b[start..self.i]).map_err(|_| "bad number")?;
                    t.parse::<f64>().map(Value::Number).map_err(|_| "bad number")
                }
                _ => Err("expected a JSON value"),
            }
        }
        fn string(&mut self) -> Result<String, &'static str> {
            if self.b.get(self.i) != Some(&b'"') {
                return Err("expected a string");
            }
            self.i += 1;
            let mut out: Vec<u8> = Vec::new();
            loop {
                match self.b.get(self.i).copied() {
                    None => return Err("unterminated string"),
                    Some(b'"') => {
                        self.i += 1;
                        return String::from_utf8(out).map_err(|_| "string is not UTF-8");
                    }
                    Some(b'\\') => {
                        let c = self.b.get(self.i + 1).copied().ok_or("unterminated string")?;
                        self.i += 2;
                        let ch = match c {
                            b'"' => '"',
                            b'\\' => '\\',
                            b'/' => '/',
                            b'n' => '\n',
                            b't' => '\t',
                            b'r' => '\r',
                            b'b' => '\u{8}',
                            b'f' => '\u{c}',
                            b'u' => {
                                let h = self.b.get(self.i..self.i + 4).ok_or("short \\u escape")?;
                                let h = core::str::from_utf8(h).map_err(|_| "bad \\u escape")?;
                                self.i += 4;
                                u32::from_str_radix(h, 16).ok().and_then(char::from_u32).unwrap_or('\u{fffd}')
                            }
                            _ => return Err("bad escape"),
                        };
                        let mut buf = [0u8; 4];
                        out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                    }
                    Some(c) => {
                        out.push(c);
                        self.i += 1;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::{entry, Arg, Ret};

    fn fake(_: &mut crate::dispatch::Ctx) -> crate::LxResult {
        Ok(0)
    }

    #[test]
    fn a_fake_entry_shows_with_its_reason_and_route() {
        const FAKE: &[Entry] = &[entry(0, "read", Family::Files, &[Arg::Fd], Ret::Int,
            Route::Translated(fake, &[abi_netbsd::nr::SYS_read]), Support::Partial("only on Tuesdays"))];
        let t = Table::from_families(&[FAKE]);
        let md = markdown(&t);
        assert!(md.contains("| 0 | read | files | partial | read | only on Tuesdays |"), "{md}");
        assert!(md.contains("| 1 | write | files | unsupported | ENOSYS | not implemented yet |"));
        assert!(json(&t).contains("\"reason\": \"only on Tuesdays\""));
    }

    #[test]
    fn evidence_joins_with_the_table() {
        const FAKE: &[Entry] = &[
            entry(0, "read", Family::Files, &[Arg::Fd], Ret::Int, Route::SameAs(abi_netbsd::nr::SYS_read), Support::Full),
            entry(1, "write", Family::Files, &[Arg::Fd], Ret::Int, Route::SameAs(abi_netbsd::nr::SYS_write), Support::Full),
            entry(3, "close", Family::Files, &[Arg::Fd], Ret::Int, Route::SameAs(abi_netbsd::nr::SYS_close), Support::Full),
        ];
        let t = Table::from_families(&[FAKE]);
        let mut ev = Evidence::default();
        ev.add_jsonl("cat-a", "{\"program\": \"/bin/cat\", \"calls\": [{\"nr\": 0, \"name\": \"read\", \"ok\": 3, \"errors\": {\"EBADF\": 1}}, {\"nr\": 2, \"name\": \"open\", \"ok\": 0, \"errors\": {\"ENOENT\": 2}}]}\n\
            {\"case\": \"cat-a\", \"command\": \"cat a|b\", \"real\": true, \"native\": \"exit 0\", \"rumplx\": \"exit 1\", \"same\": false}\n").unwrap();
        ev.add_jsonl("ignored", "{\"test\": \"cat-b\", \"program\": \"/bin/cat\", \"calls\": [{\"nr\": 0, \"name\": \"read\", \"ok\": 2, \"errors\": {}}, {\"nr\": 1, \"name\": \"write\", \"ok\": 1, \"errors\": {}}]}\n\
            {\"case\": \"guest\", \"command\": \"pipes\", \"real\": false, \"native\": \"exit 0\", \"rumplx\": \"exit 0\", \"same\": true}").unwrap();
        let md = markdown_with(&t, Some(&ev));
        assert!(md.contains("| 0 | read | files | full | read (same arguments) |  | 5 ok, 1 failed (EBADF 1); 2 tests |"), "{md}");
        assert!(md.contains("| 1 | write | files | full | write (same arguments) |  | 1 ok, 0 failed; 1 test |"), "{md}");
        assert!(md.contains("| 2 | open | files | unsupported | ENOSYS | not implemented yet | 0 ok, 2 failed (ENOENT 2); 1 test |"), "{md}");
        assert!(md.contains("| 3 | close | files | full | close (same arguments) |  | **full but never exercised** |"), "{md}");
        assert!(md.contains("| 4 | stat | files | unsupported | ENOSYS | not implemented yet | not exercised |"), "{md}");
        assert!(md.contains("| cat-a | `cat a\\|b` | exit 0 | exit 1 | **differs** |"), "{md}");
        assert!(!md.contains("| guest |"), "guest programs are not real programs: {md}");
        assert!(md.contains("3 test cases"), "{md}");
        assert!(md.contains("1 calls marked full were never exercised"), "{md}");
        assert!(json_with(&t, Some(&ev)).contains("\"name\": \"read\", \"family\": \"files\", \"level\": \"full\", \"becomes\": \"read (same arguments)\", \"reason\": \"\", \"tested\": {\"ok\": 5, \"failed\": 1, \"tests\": 2}}"));
        let partial = markdown_only(&t, None, Some("unsupported"));
        assert!(partial.contains("| 2 | open |") && !partial.contains("| 0 | read |"), "{partial}");
        assert!(!json_only(&t, None, Some("full")).contains("\"open\""));
        // Without evidence the matrix has no tested column.
        assert!(!markdown(&t).contains("tested"));
    }

    #[test]
    fn bad_evidence_is_refused_with_its_line() {
        let mut ev = Evidence::default();
        assert_eq!(ev.add_jsonl("t", "{\"calls\": []}\n{\"calls\": [").unwrap_err(), "line 2: expected a JSON value");
        assert!(ev.add_jsonl("t", "{\"x\": 1}").unwrap_err().contains("neither"));
        assert_eq!(json::parse("{\"a\": \"\\u00e9\\n\"}").unwrap().get("a").unwrap().as_str(), Some("\u{e9}\n"));
    }
}
