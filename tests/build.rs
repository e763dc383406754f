//! `cfg(librump)` when RUMPLX_LIBRUMP_DIR names a directory holding NetBSD's rump kernel libraries
//! (itself or its `lib/`): the tests that need them are built as ignored otherwise, so that a
//! machine without a rump kernel reports them as ignored, never as passed.

fn main() {
    println!("cargo:rustc-check-cfg=cfg(librump)");
    println!("cargo:rerun-if-env-changed=RUMPLX_LIBRUMP_DIR");
    let Some(dir) = std::env::var_os("RUMPLX_LIBRUMP_DIR").filter(|v| !v.is_empty()) else { return };
    let dir = std::path::PathBuf::from(dir);
    if ["librumpuser.so", "librump.so"].iter().all(|l| dir.join(l).exists() || dir.join("lib").join(l).exists()) {
        println!("cargo:rustc-cfg=librump");
    }
}
