//! `rumplx check` against what programs really do: each program runs under `rumplx run --stats`, and
//! every syscall it is seen to make must be among those `rumplx check` finds in it statically. A miss
//! is reported with the call's name, the runs that made it, and the sites `check` could not resolve
//! (where the number came from memory, a computation or an indirect jump), which is where it hides.

use rumplx_tests::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Numbers following `"nr": ` in a JSON text (the stats records' calls; `check --format json`'s
/// syscalls).
fn numbers(text: &str) -> BTreeSet<u64> {
    text.match_indices("\"nr\": ")
        .filter_map(|(i, m)| {
            let rest = &text[i + m.len()..];
            let end = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
            rest[..end].parse().ok()
        })
        .collect()
}

/// Names of calls from the stats records, by number.
fn names(text: &str) -> BTreeMap<u64, String> {
    let mut out = BTreeMap::new();
    for (i, _) in text.match_indices("{\"nr\": ") {
        let rec = &text[i..];
        let nr: u64 = match numbers(&rec[..rec.find(',').unwrap_or(rec.len())]).into_iter().next() {
            Some(n) => n,
            None => continue,
        };
        if let Some(p) = rec.find("\"name\": \"") {
            let r = &rec[p + 9..];
            out.insert(nr, r[..r.find('"').unwrap_or(0)].to_string());
        }
    }
    out
}

struct Static {
    found: BTreeSet<u64>,
    json: String,
}

fn check_statically(program: &Path) -> Static {
    let out = Command::new(rumplx_bin()).args(["check", "--format", "json"]).arg(program).output().unwrap();
    let json = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "rumplx check {}: {}", program.display(), String::from_utf8_lossy(&out.stderr));
    let calls = &json[json.find("\"syscalls\": [").expect("syscalls in check's JSON")..];
    let calls = &calls[..calls.find(']').unwrap()];
    Static { found: numbers(calls), json }
}

/// Misses `check` cannot avoid and says so: the syscall's number reaches its `syscall` through
/// memory, at a site `check` reports unresolved in the named function. Each entry is accepted only
/// while `check` still reports that function's site as unresolved, so a regression elsewhere fails.
const KNOWN_UNRESOLVED: &[(&str, &str, &[u64], &str)] = &[(
    "musl",
    "do_setxid",
    &[105, 106, 113, 114, 117, 119],
    "musl's __setxid stores the number in a struct that __synccall hands to do_setxid through a function pointer",
)];

/// Whether a miss of `nr` in `program` is one `check` reported as unresolvable (see KNOWN_UNRESOLVED).
fn reported_unresolvable(program: &Path, st: &Static, nr: u64) -> bool {
    let path = program.to_string_lossy();
    KNOWN_UNRESOLVED.iter().any(|(build, function, calls, _why)| {
        path.contains(build) && calls.contains(&nr) && st.json.contains(&format!("\"function\": \"{function}\""))
    })
}

/// Runs each case under `--stats`, and returns the misses of `program` as lines of a report.
fn misses(program: &Path, cases: Vec<Case>) -> Vec<String> {
    let st = check_statically(program);
    let mut seen: BTreeMap<u64, (String, Vec<String>)> = BTreeMap::new();
    for c in cases {
        let label = c.label.clone();
        // Under RUMPLX_STATS_DIR the harness passes --stats itself (to a file of this case's own).
        let (stats, c) = match c.stats_file() {
            Some(f) => (f, c),
            None => {
                let f = fresh_dir(&format!("{label}-stats")).join("stats.jsonl");
                let c = c.rumplx_opt("--stats").rumplx_opt(f.to_str().unwrap());
                (f, c)
            }
        };
        let out = c.run_rumplx();
        let text = std::fs::read_to_string(&stats).unwrap_or_default();
        assert!(
            !text.is_empty(),
            "{label}: no --stats record (status {:?}, stderr {})",
            out.status,
            out.stderr_str()
        );
        let nm = names(&text);
        for nr in numbers(&text) {
            let e = seen.entry(nr).or_insert_with(|| (nm.get(&nr).cloned().unwrap_or_default(), vec![]));
            e.1.push(label.clone());
        }
    }
    let mut report = vec![];
    for (nr, (name, runs)) in &seen {
        if !st.found.contains(nr) && !reported_unresolvable(program, &st, *nr) {
            report.push(format!("{}: {name} ({nr}) made at run time by {} but not found statically", program.display(), runs.join(", ")));
        }
    }
    if !report.is_empty() {
        let unresolved = &st.json[st.json.find("\"unresolved\": ").unwrap_or(0)..];
        let unresolved = &unresolved[..unresolved.find(']').map(|i| i + 1).unwrap_or(unresolved.len())];
        report.push(format!(
            "  why: check follows a number through registers and direct calls only; each missed call reaches a \
             site it could not resolve (number loaded from memory, computed, or reached through an indirect \
             call): {unresolved}"
        ));
    }
    report
}

/// C test programs that run alone (no other program started), with their arguments.
const GUESTS: &[&str] = &[
    "rw_basic", "pipes", "dir_ops", "dup_fcntl", "mmap_file", "mmap_anon", "clocks", "errno_cases", "ids",
    "sigstate", "stat_fields", "proc_self", "locks", "random", "sched", "rlimits", "statfs", "tls",
    "uname_sysinfo", "links", "rename", "truncate", "utimensat", "open_flags", "lseek", "readdir_big",
];

#[test]
fn c_programs_make_no_syscall_check_did_not_find() {
    let mut report = vec![];
    for name in GUESTS {
        for v in Variant::ALL {
            let p = guest(name, v);
            report.extend(misses(&p, vec![Case::new(format!("check-{name}-{v}"), p.clone())]));
        }
    }
    assert!(report.is_empty(), "syscalls made at run time that `rumplx check` did not find:\n{}", report.join("\n"));
}

fn busybox() -> PathBuf {
    let p = PathBuf::from("/bin/busybox");
    assert!(p.exists(), "/bin/busybox missing: run tests/setup.sh (installs busybox-static)");
    p
}

#[test]
fn busybox_makes_no_syscall_check_did_not_find() {
    let bb = busybox();
    let text: String = (0..200).map(|i| format!("{i} line {}\n", i * 7 % 13)).collect();
    let cmds: &[&[&str]] = &[
        &["ls", "-la", "."],
        &["cat", "t.txt"],
        &["sort", "-n", "t.txt"],
        &["wc", "t.txt"],
        &["md5sum", "t.txt"],
        &["cp", "t.txt", "u.txt"],
        &["mkdir", "-p", "d/e"],
        &["find", "."],
        &["stat", "t.txt"],
        &["date", "-u", "-d", "@0"],
        &["id"],
        &["uname", "-a"],
        &["sh", "-c", "echo hi | tr a-z A-Z; ls | wc -l"],
        &["sleep", "0.1"],
        &["df", "."],
        &["touch", "-d", "2020-01-01", "t.txt"],
        &["rm", "-f", "t.txt"],
    ];
    let cases = cmds
        .iter()
        .map(|a| Case::new(format!("check-busybox-{}", a[0]), bb.clone()).args(a.iter().copied()).file("t.txt", text.clone()))
        .collect();
    let report = misses(&bb, cases);
    assert!(report.is_empty(), "syscalls made at run time that `rumplx check` did not find:\n{}", report.join("\n"));
}
