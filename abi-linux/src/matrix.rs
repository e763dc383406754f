//! The compatibility matrix, generated from the syscall table: what `compat-matrix.md` and
//! `rumplx compat` show. Nothing here is written by hand per syscall; the reasons are the table's.

use alloc::{format, string::String, vec::Vec};
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
    let mut out = String::new();
    let entries = table.entries();
    let count = |f: &dyn Fn(&Entry) -> bool| entries.iter().filter(|e| f(e)).count();
    out.push_str("# rumplx compatibility matrix\n\n");
    out.push_str("Generated from the syscall table by `rumplx compat --format md`; do not edit by hand.\n\n");
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
    out.push_str("\n## Every syscall\n\n| nr | name | family | level | becomes | what is missing |\n|---:|---|---|---|---|---|\n");
    for e in entries {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            e.nr,
            e.name,
            family_name(e.family),
            level(&e.support),
            becomes(e),
            reason(&e.support).replace('|', "\\|")
        );
    }
    out
}

/// The matrix as JSON (one object per syscall), for `rumplx compat --format json`.
pub fn json(table: &Table) -> String {
    let mut out = String::from("[\n");
    let entries = table.entries();
    for (i, e) in entries.iter().enumerate() {
        let _ = write!(
            out,
            "  {{\"nr\": {}, \"name\": \"{}\", \"family\": \"{}\", \"level\": \"{}\", \"becomes\": \"{}\", \"reason\": \"{}\"}}",
            e.nr,
            e.name,
            family_name(e.family),
            level(&e.support),
            json_escape(&becomes(e)),
            json_escape(reason(&e.support))
        );
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
}
