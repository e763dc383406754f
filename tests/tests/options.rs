//! The `rumplx run` options: -e/--env, --clear-env, -w/--workdir, --root, -v/--volume, --tmpfs,
//! --trace. Where a native equivalent exists the output is compared with it; otherwise the expected
//! output is spelled out.

use rumplx_tests::*;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

fn bb() -> &'static str {
    "/bin/busybox"
}

fn rx(dir: &Path, args: &[&str]) -> Output {
    let mut full = vec!["run"];
    full.extend_from_slice(args);
    run_rumplx_raw(&full, dir, Duration::from_secs(60))
}

fn native(dir: &Path, prog: &str, args: &[&str], env: &[(&str, &str)], clear: bool) -> (String, i32) {
    let mut c = Command::new(prog);
    c.args(args).current_dir(dir).env_clear();
    if !clear {
        for (k, v) in base_env() {
            c.env(k, v);
        }
    }
    for (k, v) in env {
        c.env(k, v);
    }
    let o = c.output().unwrap();
    (String::from_utf8_lossy(&o.stdout).into_owned(), o.status.code().unwrap_or(-1))
}

fn expect(o: &Output, stdout: &str, code: i32) {
    assert!(
        o.stdout_str() == stdout && o.status == Status::Exited(code),
        "expected stdout {stdout:?} and status {code}, got {:?} and {:?}\nstderr: {}",
        o.stdout_str(),
        o.status,
        o.stderr_str()
    );
}

#[test]
fn env_adds_variables() {
    let d = fresh_dir("opt-env");
    let prog = guest("env_argv", Variant::MuslStatic);
    let p = prog.to_str().unwrap();
    let (want, code) = native(&d, p, &[], &[("ALPHA", "1"), ("BETA", "two words")], false);
    let o = rx(&d, &["-e", "ALPHA=1", "--env", "BETA=two words", p]);
    expect(&o, &want, code);
}

#[test]
fn env_overrides_host_value() {
    let d = fresh_dir("opt-env-override");
    let prog = guest("env_argv", Variant::MuslStaticPie);
    let p = prog.to_str().unwrap();
    let (want, code) = native(&d, p, &[], &[("LANG", "override")], false);
    assert!(want.contains("env LANG=override\n"));
    let o = rx(&d, &["-e", "LANG=override", p]);
    expect(&o, &want, code);
}

#[test]
fn clear_env() {
    let d = fresh_dir("opt-clear-env");
    let prog = guest("env_argv", Variant::GlibcStatic);
    let p = prog.to_str().unwrap();
    let (want, code) = native(&d, p, &["x"], &[("ONLY", "this")], true);
    let o = rx(&d, &["--clear-env", "-e", "ONLY=this", p, "x"]);
    expect(&o, &want, code);
}

#[test]
fn workdir() {
    let d = fresh_dir("opt-workdir");
    fs::create_dir_all(d.join("sub/inner")).unwrap();
    fs::write(d.join("sub/inner/f.txt"), "in workdir\n").unwrap();
    let sub = d.join("sub");
    let o = rx(&d, &["-w", sub.to_str().unwrap(), bb(), "cat", "inner/f.txt"]);
    expect(&o, "in workdir\n", 0);
    let o = rx(&d, &["--workdir", sub.to_str().unwrap(), bb(), "pwd"]);
    expect(&o, &format!("{}\n", sub.display()), 0);
}

/// A guest root holding a copy of busybox and bash-static and some files.
fn make_root(label: &str) -> PathBuf {
    let d = fresh_dir(label);
    let r = d.join("root");
    fs::create_dir_all(r.join("bin")).unwrap();
    fs::create_dir_all(r.join("etc")).unwrap();
    fs::create_dir_all(r.join("data")).unwrap();
    fs::create_dir_all(r.join("scratch")).unwrap();
    fs::copy("/bin/busybox", r.join("bin/busybox")).unwrap();
    if Path::new("/bin/bash-static").exists() {
        fs::copy("/bin/bash-static", r.join("bin/bash")).unwrap();
    }
    fs::write(r.join("hello.txt"), "hello from the guest root\n").unwrap();
    fs::write(r.join("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n").unwrap();
    r
}

#[test]
fn root_confines_the_guest() {
    let r = make_root("opt-root");
    let rs = r.to_str().unwrap();
    let o = rx(&r, &["--root", rs, "/bin/busybox", "cat", "/hello.txt"]);
    expect(&o, "hello from the guest root\n", 0);
    let o = rx(&r, &["--root", rs, "-w", "/", "/bin/busybox", "ls", "-1", "/"]);
    expect(&o, "bin\ndata\netc\nhello.txt\nscratch\n", 0);
    // .. at the root stays at the root
    let o = rx(&r, &["--root", rs, "-w", "/", "/bin/busybox", "cat", "/../../../hello.txt"]);
    expect(&o, "hello from the guest root\n", 0);
    // host files outside the root are invisible
    let o = rx(&r, &["--root", rs, "-w", "/", "/bin/busybox", "test", "-e", "/usr/bin"]);
    expect(&o, "", 1);
    // a symlink pointing outside resolves inside the root
    std::os::unix::fs::symlink("/hello.txt", r.join("escape")).unwrap();
    let o = rx(&r, &["--root", rs, "-w", "/", "/bin/busybox", "cat", "/escape"]);
    expect(&o, "hello from the guest root\n", 0);
}

#[test]
fn volume_read_write_and_read_only() {
    let r = make_root("opt-volume");
    let rs = r.to_str().unwrap();
    let host = r.parent().unwrap().join("hostdir");
    fs::create_dir_all(&host).unwrap();
    fs::write(host.join("shared.txt"), "shared content\n").unwrap();
    let vol = format!("{}:/data", host.display());
    let o = rx(&r, &["--root", rs, "-v", &vol, "-w", "/", "/bin/busybox", "cat", "/data/shared.txt"]);
    expect(&o, "shared content\n", 0);
    let o = rx(&r, &["--root", rs, "--volume", &vol, "-w", "/", "/bin/busybox", "cp", "/hello.txt", "/data/copied.txt"]);
    expect(&o, "", 0);
    assert_eq!(fs::read_to_string(host.join("copied.txt")).unwrap_or_default(), "hello from the guest root\n");
    let ro = format!("{}:/data:ro", host.display());
    let o = rx(&r, &["--root", rs, "-v", &ro, "-w", "/", "/bin/busybox", "touch", "/data/not-allowed"]);
    assert_eq!(o.status, Status::Exited(1), "touch on a :ro volume must fail; stderr {}", o.stderr_str());
    assert!(!host.join("not-allowed").exists(), "a :ro volume was written to");
    let o = rx(&r, &["--root", rs, "-v", &ro, "-w", "/", "/bin/busybox", "cat", "/data/shared.txt"]);
    expect(&o, "shared content\n", 0);
}

#[test]
fn tmpfs_is_in_memory() {
    let r = make_root("opt-tmpfs");
    if !r.join("bin/bash").exists() {
        panic!("bash-static missing: run tests/setup.sh");
    }
    let rs = r.to_str().unwrap();
    let o = rx(
        &r,
        &["--root", rs, "--tmpfs", "/scratch", "-w", "/", "/bin/bash", "-c", "echo in-memory > /scratch/f; read -r x < /scratch/f; echo \"$x\""],
    );
    expect(&o, "in-memory\n", 0);
    assert!(!r.join("scratch/f").exists(), "--tmpfs wrote through to the host directory");
}

#[test]
fn trace_prints_strace_style_lines() {
    let d = fresh_dir("opt-trace");
    fs::write(d.join("f.txt"), "traced\n").unwrap();
    let o = rx(&d, &["--trace", bb(), "cat", "f.txt"]);
    expect(&o, "traced\n", 0);
    let err = o.stderr_str();
    let has = |pat: &str| err.lines().any(|l| l.contains(pat));
    let mut missing = vec![];
    for pat in ["openat(AT_FDCWD, \"f.txt\", O_RDONLY", ") = 3", "exit_group(0)", "[netbsd: "] {
        if !has(pat) {
            missing.push(pat);
        }
    }
    assert!(missing.is_empty(), "--trace output lacks {missing:?}; it was:\n{err}");
    // errors are shown by name
    let o = rx(&d, &["--trace", bb(), "cat", "missing.txt"]);
    assert!(
        o.stderr_str().lines().any(|l| l.contains("\"missing.txt\"") && l.contains("= -1 ENOENT")),
        "--trace should show the failing open as `= -1 ENOENT`:\n{}",
        o.stderr_str()
    );
}

#[test]
fn double_dash_and_program_options() {
    let d = fresh_dir("opt-dashdash");
    // Options after PROGRAM belong to the program, with or without `--`.
    let o = rx(&d, &[bb(), "echo", "-n", "--trace", "-e"]);
    expect(&o, "--trace -e", 0);
    let o = rx(&d, &["--", bb(), "echo", "--root", "x"]);
    expect(&o, "--root x\n", 0);
}

/// The program itself is looked up inside --root; all three builds load from there.
#[test]
fn root_runs_guest_programs() {
    let r = make_root("opt-root-guests");
    let rs = r.to_str().unwrap();
    let mut problems = vec![];
    for v in Variant::ALL {
        let name = format!("exitcode-{v}");
        fs::copy(guest("exitcode", v), r.join("bin").join(&name)).unwrap();
        let o = rx(&r, &["--root", rs, "-w", "/", &format!("/bin/{name}"), "exit", "3"]);
        if o.stdout_str() != "exiting via exit with 3\natexit 2\natexit 1\n" || o.status != Status::Exited(3) {
            problems.push(format!("{v}: {:?} {:?} stderr {}", o.status, o.stdout_str(), o.stderr_str()));
        }
    }
    // A program path outside the root does not exist for the guest.
    let o = rx(&r, &["--root", rs, "/usr/bin/env"]);
    if o.status != Status::Exited(127) {
        problems.push(format!("/usr/bin/env outside the root: {:?}, expected 127", o.status));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
