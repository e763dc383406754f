//! Link settings for the `rumplx` binary.

fn main() {
    // A SysV hash table beside the GNU one: NetBSD's rumpuser counts each loaded object's dynamic
    // symbols from DT_HASH, and without one it reports the executable as unreadable on stderr at
    // every `--backend librump` boot ("could not find strtab, symtab or their sizes").
    println!("cargo:rustc-link-arg-bins=-Wl,--hash-style=both");
}
