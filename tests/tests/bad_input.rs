//! What rumplx says about programs it cannot run, and about programs that die by a signal.
//! Contract: 127 program not found; 126 cannot execute (not ELF, dynamically linked — naming the
//! interpreter —, not x86_64, 32-bit, truncated or malformed headers); 125 other rumplx errors.
//! Each with exactly one stderr line starting with "rumplx: ", never a panic or a backtrace.
//! A program killed by signal N exits 128+N with one stderr line naming the signal.

use rumplx_tests::*;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn run(dir: &Path, args: &[&str]) -> Output {
    let mut full = vec!["run"];
    full.extend_from_slice(args);
    run_rumplx_raw(&full, dir, Duration::from_secs(60))
}

/// Exit status `code`, nothing on stdout, exactly one stderr line starting with "rumplx: " and
/// containing every word of `mentions` (case-insensitive), and no panic text.
fn expect_error(label: &str, o: &Output, code: i32, mentions: &[&str]) -> Result<(), String> {
    let mut problems = vec![];
    if o.status != Status::Exited(code) {
        problems.push(format!("exit status {:?}, expected Exited({code})", o.status));
    }
    let lines = o.stderr_lines();
    if lines.len() != 1 {
        problems.push(format!("expected exactly one stderr line, got {}", lines.len()));
    }
    if let Some(first) = lines.first() {
        if !first.starts_with("rumplx: ") {
            problems.push("stderr line does not start with \"rumplx: \"".into());
        }
        for m in mentions {
            if !first.to_lowercase().contains(&m.to_lowercase()) {
                problems.push(format!("stderr line does not mention {m:?}"));
            }
        }
    }
    let err = o.stderr_str();
    if err.contains("panicked") || err.contains("RUST_BACKTRACE") || err.contains("stack backtrace") {
        problems.push("stderr shows a Rust panic".into());
    }
    if !o.stdout.is_empty() {
        problems.push(format!("unexpected stdout: {:?}", o.stdout_str()));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("{label}: {}\n  stderr was: {:?}", problems.join("; "), err))
    }
}

fn assert_error(label: &str, o: &Output, code: i32, mentions: &[&str]) {
    if let Err(e) = expect_error(label, o, code, mentions) {
        panic!("{e}");
    }
}

fn write_exec(dir: &Path, name: &str, data: &[u8]) -> PathBuf {
    let p = dir.join(name);
    fs::write(&p, data).unwrap();
    fs::set_permissions(&p, fs::Permissions::from_mode(0o755)).unwrap();
    p
}

fn static_bytes() -> Vec<u8> {
    fs::read(guest("exitcode", Variant::MuslStatic)).unwrap()
}

#[test]
fn not_found_absolute() {
    let d = fresh_dir("bad-notfound");
    let o = run(&d, &["/nonexistent/dir/program"]);
    assert_error("missing absolute path", &o, 127, &[]);
}

#[test]
fn not_found_relative() {
    let d = fresh_dir("bad-notfound-rel");
    let o = run(&d, &["./no-such-program", "arg"]);
    assert_error("missing relative path", &o, 127, &[]);
}

#[test]
fn not_found_in_path() {
    let d = fresh_dir("bad-notfound-path");
    let o = run(&d, &["definitely-not-a-command-rumplx"]);
    assert_error("missing command name", &o, 127, &[]);
}

#[test]
fn text_file() {
    let d = fresh_dir("bad-text");
    write_exec(&d, "notes.txt", b"just some text, not a program\n");
    let o = run(&d, &["./notes.txt"]);
    assert_error("text file", &o, 126, &[]);
}

#[test]
fn empty_file() {
    let d = fresh_dir("bad-empty");
    write_exec(&d, "empty", b"");
    let o = run(&d, &["./empty"]);
    assert_error("empty file", &o, 126, &[]);
}

#[test]
fn directory_as_program() {
    let d = fresh_dir("bad-dir");
    fs::create_dir(d.join("adir")).unwrap();
    let o = run(&d, &["./adir"]);
    assert_error("directory", &o, 126, &[]);
}

#[test]
fn not_executable_permission() {
    let d = fresh_dir("bad-noexec");
    let p = d.join("prog");
    fs::write(&p, static_bytes()).unwrap();
    fs::set_permissions(&p, fs::Permissions::from_mode(0o644)).unwrap();
    let o = run(&d, &["./prog"]);
    assert_error("static binary without execute permission", &o, 126, &[]);
}

/// /bin/true on Debian is dynamically linked: the message names its interpreter.
#[test]
fn dynamically_linked_glibc() {
    let d = fresh_dir("bad-dynamic");
    let info = elf_info(Path::new("/bin/true")).unwrap();
    let interp = info.interp.expect("/bin/true is expected to be dynamically linked");
    let o = run(&d, &["/bin/true"]);
    assert_error("dynamic /bin/true", &o, 126, &[&interp]);
}

/// What Debian's `musl-gcc -static-pie` really makes: a dynamic PIE asking for the musl loader.
#[test]
fn dynamically_linked_musl_pie() {
    let d = fresh_dir("bad-dynamic-musl");
    let src = guest_src_dir().join("exitcode.c");
    let out = d.join("dynpie");
    let st = std::process::Command::new("musl-gcc")
        .arg("-static-pie")
        .arg(format!("-I{}", guest_src_dir().display()))
        .arg("-o")
        .arg(&out)
        .arg(&src)
        .status()
        .unwrap();
    assert!(st.success());
    let info = elf_info(&out).unwrap();
    let interp = info.interp.expect("musl-gcc -static-pie is expected to produce a PT_INTERP");
    let o = run(&d, &["./dynpie"]);
    assert_error("musl dynamic PIE", &o, 126, &[&interp]);
}

/// A static binary with EI_CLASS patched to ELFCLASS32.
#[test]
fn elf32_patched_class() {
    let d = fresh_dir("bad-elf32");
    let mut b = static_bytes();
    b[4] = 1;
    write_exec(&d, "prog32", &b);
    let o = run(&d, &["./prog32"]);
    assert_error("ELFCLASS32", &o, 126, &[]);
}

/// A small but well-formed 32-bit i386 executable (exit(0) via int 0x80).
#[test]
fn elf32_i386_wellformed() {
    let d = fresh_dir("bad-elf32-i386");
    let mut b = vec![0u8; 0x54 + 12];
    // e_ident
    b[..16].copy_from_slice(&[0x7f, b'E', b'L', b'F', 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    let put16 = |b: &mut Vec<u8>, o: usize, v: u16| b[o..o + 2].copy_from_slice(&v.to_le_bytes());
    let put32 = |b: &mut Vec<u8>, o: usize, v: u32| b[o..o + 4].copy_from_slice(&v.to_le_bytes());
    put16(&mut b, 16, 2); // ET_EXEC
    put16(&mut b, 18, 3); // EM_386
    put32(&mut b, 20, 1);
    put32(&mut b, 24, 0x0804_8054); // entry
    put32(&mut b, 28, 0x34); // phoff
    put16(&mut b, 40, 0x34); // ehsize
    put16(&mut b, 42, 0x20); // phentsize
    put16(&mut b, 44, 1); // phnum
    // PT_LOAD covering the file
    put32(&mut b, 0x34, 1);
    put32(&mut b, 0x38, 0);
    put32(&mut b, 0x3c, 0x0804_8000);
    put32(&mut b, 0x40, 0x0804_8000);
    put32(&mut b, 0x44, (0x54 + 12) as u32);
    put32(&mut b, 0x48, (0x54 + 12) as u32);
    put32(&mut b, 0x4c, 5);
    put32(&mut b, 0x50, 0x1000);
    // mov eax,1; xor ebx,ebx; int 0x80
    b[0x54..0x54 + 9].copy_from_slice(&[0xb8, 1, 0, 0, 0, 0x31, 0xdb, 0xcd, 0x80]);
    write_exec(&d, "i386", &b);
    let o = run(&d, &["./i386"]);
    assert_error("i386 executable", &o, 126, &[]);
}

/// A static binary with e_machine patched to AArch64.
#[test]
fn wrong_machine() {
    let d = fresh_dir("bad-machine");
    let mut b = static_bytes();
    b[18..20].copy_from_slice(&183u16.to_le_bytes());
    write_exec(&d, "arm", &b);
    let o = run(&d, &["./arm"]);
    assert_error("EM_AARCH64", &o, 126, &[]);
}

#[test]
fn big_endian() {
    let d = fresh_dir("bad-endian");
    let mut b = static_bytes();
    b[5] = 2;
    write_exec(&d, "be", &b);
    let o = run(&d, &["./be"]);
    assert_error("ELFDATA2MSB", &o, 126, &[]);
}

/// The first 100 bytes of a static binary: the program headers are cut off.
#[test]
fn truncated_elf() {
    let d = fresh_dir("bad-truncated");
    let b = static_bytes();
    write_exec(&d, "trunc100", &b[..100]);
    write_exec(&d, "trunc4", &b[..4]);
    write_exec(&d, "trunc63", &b[..63]);
    let mut errors = vec![];
    for name in ["./trunc100", "./trunc4", "./trunc63"] {
        let o = run(&d, &[name]);
        if let Err(e) = expect_error(name, &o, 126, &[]) {
            errors.push(e);
        }
    }
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

/// Segments cut off: the file ends in the middle of the first PT_LOAD's data.
#[test]
fn truncated_segments() {
    let d = fresh_dir("bad-truncated-seg");
    let b = static_bytes();
    write_exec(&d, "half", &b[..b.len() / 4]);
    let o = run(&d, &["./half"]);
    assert_error("truncated segments", &o, 126, &[]);
}

#[test]
fn malformed_program_headers() {
    let d = fresh_dir("bad-phdrs");
    let base = static_bytes();
    let mut errors = vec![];
    let mut variants: Vec<(&str, Vec<u8>)> = vec![];
    // e_phoff far beyond the end of the file
    let mut b = base.clone();
    b[32..40].copy_from_slice(&(1u64 << 40).to_le_bytes());
    variants.push(("phoff-beyond-eof", b));
    // e_phnum huge
    let mut b = base.clone();
    b[56..58].copy_from_slice(&0xfff0u16.to_le_bytes());
    variants.push(("phnum-huge", b));
    // e_phentsize wrong
    let mut b = base.clone();
    b[54..56].copy_from_slice(&13u16.to_le_bytes());
    variants.push(("phentsize-13", b));
    // no program headers at all
    let mut b = base.clone();
    b[56..58].copy_from_slice(&0u16.to_le_bytes());
    variants.push(("phnum-0", b));
    // ET_REL (an object file)
    let mut b = base.clone();
    b[16..18].copy_from_slice(&1u16.to_le_bytes());
    variants.push(("et-rel", b));
    // ET_CORE
    let mut b = base;
    b[16..18].copy_from_slice(&4u16.to_le_bytes());
    variants.push(("et-core", b));
    for (name, bytes) in variants {
        write_exec(&d, name, &bytes);
        let o = run(&d, &[&format!("./{name}")]);
        if let Err(e) = expect_error(name, &o, 126, &[]) {
            errors.push(e);
        }
    }
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

/// A PT_LOAD whose file range points past the end of the file.
#[test]
fn segment_offset_beyond_file() {
    let d = fresh_dir("bad-seg-offset");
    let mut b = static_bytes();
    let phoff = u64::from_le_bytes(b[32..40].try_into().unwrap()) as usize;
    let phnum = u16::from_le_bytes([b[56], b[57]]) as usize;
    for i in 0..phnum {
        let o = phoff + i * 56;
        if u32::from_le_bytes(b[o..o + 4].try_into().unwrap()) == 1 {
            b[o + 8..o + 16].copy_from_slice(&(1u64 << 36).to_le_bytes());
            break;
        }
    }
    write_exec(&d, "segoff", &b);
    let o = run(&d, &["./segoff"]);
    assert_error("PT_LOAD offset beyond EOF", &o, 126, &[]);
}

/// abort(): 134 and one stderr line naming SIGABRT; the guest's stdout before it is kept.
#[test]
fn sigabrt_exit_status_and_message() {
    let mut errors = vec![];
    for v in Variant::ALL {
        let d = fresh_dir(&format!("abort-{v}"));
        let prog = guest("abort", v);
        let o = run(&d, &[prog.to_str().unwrap()]);
        let lines = o.stderr_lines();
        let mut p = vec![];
        if o.status.code() != Some(134) {
            p.push(format!("status {:?}, expected 134", o.status));
        }
        if lines.len() != 1 || !lines[0].contains("SIGABRT") {
            p.push(format!("expected one stderr line naming SIGABRT, got {lines:?}"));
        }
        if o.stdout_str() != "before abort\n" {
            p.push(format!("stdout {:?}", o.stdout_str()));
        }
        if !p.is_empty() {
            errors.push(format!("{v}: {}", p.join("; ")));
        }
    }
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

/// Other fatal signals sent to itself: SIGTERM (143) and SIGKILL (137), each named.
#[test]
fn kill_self_message() {
    let mut errors = vec![];
    for (mode, code, name) in [("kill", 143, "SIGTERM"), ("tgkill", 137, "SIGKILL")] {
        let d = fresh_dir(&format!("killself-{mode}"));
        let prog = guest("abort", Variant::MuslStatic);
        let o = run(&d, &[prog.to_str().unwrap(), mode]);
        let lines = o.stderr_lines();
        if o.status.code() != Some(code) || lines.len() != 1 || !lines[0].contains(name) {
            errors.push(format!("{mode}: status {:?} stderr {lines:?}; expected {code} and one line naming {name}", o.status));
        }
    }
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

/// rumplx's own usage errors: 125 with one line.
#[test]
fn root_does_not_exist() {
    let d = fresh_dir("bad-root");
    let o = run(&d, &["--root", "/nonexistent-root-dir", "/bin/busybox", "true"]);
    assert_error("--root missing", &o, 125, &[]);
}

#[test]
fn bad_volume_spec() {
    let d = fresh_dir("bad-volume");
    let o = run(&d, &["-v", "/nonexistent-host-dir:/mnt", "/bin/busybox", "true"]);
    assert_error("-v with a missing host dir", &o, 125, &[]);
}

#[test]
fn workdir_does_not_exist() {
    let d = fresh_dir("bad-workdir");
    let o = run(&d, &["-w", "/nonexistent-workdir", "/bin/busybox", "true"]);
    assert_error("-w missing dir", &o, 125, &[]);
}

/// PT_LOAD segments no process may have: in kernel space, and with p_filesz > p_memsz.
#[test]
fn impossible_segments() {
    let d = fresh_dir("bad-impossible-seg");
    let base = static_bytes();
    let phoff = u64::from_le_bytes(base[32..40].try_into().unwrap()) as usize;
    let phnum = u16::from_le_bytes([base[56], base[57]]) as usize;
    let first_load = (0..phnum)
        .map(|i| phoff + i * 56)
        .find(|&o| u32::from_le_bytes(base[o..o + 4].try_into().unwrap()) == 1)
        .unwrap();
    let mut errors = vec![];
    let mut kernel = base.clone();
    kernel[first_load + 16..first_load + 24].copy_from_slice(&0xffff_8000_0000_0000u64.to_le_bytes());
    kernel[first_load + 24..first_load + 32].copy_from_slice(&0xffff_8000_0000_0000u64.to_le_bytes());
    let mut filesz = base.clone();
    let memsz = u64::from_le_bytes(filesz[first_load + 40..first_load + 48].try_into().unwrap());
    filesz[first_load + 32..first_load + 40].copy_from_slice(&(memsz + 0x10000).to_le_bytes());
    for (name, bytes) in [("vaddr-kernel", kernel), ("filesz-gt-memsz", filesz)] {
        write_exec(&d, name, &bytes);
        let o = run(&d, &[&format!("./{name}")]);
        if let Err(e) = expect_error(name, &o, 126, &[]) {
            errors.push(e);
        }
    }
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

/// Deterministically fuzzed ELF and program headers of a real static binary. Whatever the
/// mutation, rumplx must not crash, panic or hang; when the Linux kernel itself refuses the file
/// (execve fails), rumplx must answer 126 with one "rumplx: " line.
#[test]
fn fuzzed_headers() {
    let d = fresh_dir("bad-fuzz");
    let mut errors = vec![];
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for variant in [Variant::MuslStatic, Variant::MuslStaticPie, Variant::GlibcStatic] {
        let base = fs::read(guest("exitcode", variant)).unwrap();
        let phoff = u64::from_le_bytes(base[32..40].try_into().unwrap()) as usize;
        let phnum = u16::from_le_bytes([base[56], base[57]]) as usize;
        let span = phoff + phnum * 56;
        for i in 0..60 {
            let mut b = base.clone();
            let flips = 1 + next() % 4;
            for _ in 0..flips {
                // Mostly the program headers and the fields that matter, sometimes anywhere in the header.
                let pos = if next() % 3 == 0 { (next() % 64) as usize } else { phoff + (next() as usize % (span - phoff)) };
                b[pos] = next() as u8;
            }
            let name = format!("fuzz-{variant}-{i}");
            let path = write_exec(&d, &name, &b);
            // What does Linux say?
            let mut native = std::process::Command::new(&path);
            native.arg("exit").arg("3").current_dir(&d);
            let native_refused = match native.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()).spawn() {
                Err(_) => true,
                Ok(mut c) => {
                    let start = std::time::Instant::now();
                    while c.try_wait().ok().flatten().is_none() && start.elapsed() < Duration::from_secs(10) {
                        std::thread::sleep(Duration::from_millis(10));
                    }
                    let _ = c.kill();
                    let _ = c.wait();
                    false
                }
            };
            let o = run_rumplx_raw(&["run", path.to_str().unwrap(), "exit", "3"], &d, Duration::from_secs(20));
            let err = o.stderr_str();
            let mut p = vec![];
            if let Status::Signaled(s) = o.status {
                p.push(format!("rumplx itself died by signal {s}"));
            }
            if o.status == Status::TimedOut {
                p.push("rumplx hung (killed after 20 s)".into());
            }
            if err.contains("panicked") || err.contains("stack backtrace") {
                p.push("rumplx panicked".into());
            }
            // (A guest that starts may itself exit 127 with its own message, e.g. glibc's
            // "Fatal glibc error: Cannot allocate TLS block": only refusals are checked for the line.)
            if native_refused {
                if let Err(e) = expect_error("refused by Linux", &o, 126, &[]) {
                    p.push(e);
                }
            }
            if p.is_empty() {
                let _ = fs::remove_file(&path);
            } else {
                errors.push(format!("{name} (kept in {}): {}; stderr: {:?}", d.display(), p.join("; "), err.chars().take(300).collect::<String>()));
            }
        }
    }
    assert!(errors.is_empty(), "{} of 180 fuzzed binaries mishandled:\n{}", errors.len(), errors.join("\n"));
}
