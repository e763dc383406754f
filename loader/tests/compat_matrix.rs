//! compat-matrix.md is generated from the syscall table: it must match what this build prints.

use std::process::Command;

#[test]
fn compat_matrix_md_is_current() {
    let out = Command::new(env!("CARGO_BIN_EXE_rumplx")).args(["compat", "--format", "md"]).output().unwrap();
    assert!(out.status.success());
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../compat-matrix.md");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    if committed != String::from_utf8_lossy(&out.stdout) {
        panic!("compat-matrix.md is stale: regenerate it with `cargo run -p rumplx -- compat --format md > compat-matrix.md`");
    }
}
