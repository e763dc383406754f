//! compat-matrix.md is generated: the syscall table joined with the test suite's evidence
//! (compat-evidence.jsonl, collected by tools/compat-matrix.sh). It must be exactly what this build
//! prints from them, so a change to the table without regenerating the matrix fails here (and so CI).
//! The JSON form without evidence is pinned by an insta snapshot, so changes in support show in review.

use std::process::Command;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

fn compat(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_rumplx")).arg("compat").args(args).current_dir(ROOT).output().unwrap();
    assert!(out.status.success(), "rumplx compat {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn compat_matrix_md_is_current() {
    let printed = compat(&["--format", "md", "--evidence", "compat-evidence.jsonl"]);
    let committed = std::fs::read_to_string(format!("{ROOT}/compat-matrix.md")).unwrap_or_default();
    if committed != printed {
        panic!(
            "compat-matrix.md is stale: regenerate it with `tools/compat-matrix.sh --no-tests` (table changes) \
             or `tools/compat-matrix.sh` (collects fresh evidence from the test suite)"
        );
    }
}

#[test]
fn compat_md_without_evidence_is_deterministic() {
    let a = compat(&["--format", "md"]);
    assert_eq!(a, compat(&["--format", "md"]));
    assert!(!a.contains("never exercised"));
}

#[test]
fn compat_json() {
    insta::assert_snapshot!(compat(&["--format", "json"]));
}
