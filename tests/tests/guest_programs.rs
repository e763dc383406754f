//! Every tests/guest/*.c program, built three ways (musl static, musl static-pie, glibc static), run
//! natively and under rumplx in fresh directories; stdout, exit status and the files left must match.
//! One #[test] per program; each reports all of its failing builds at once.

use rumplx_tests::*;
use std::process::Command;

/// Programs that need nothing but to be run.
macro_rules! simple_guests {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                check_guest(stringify!($name), |c| c);
            }
        )*
        const SIMPLE: &[&str] = &[$(stringify!($name)),*];
    };
}

simple_guests!(
    access,
    chmod_umask,
    clocks,
    copy_ranges,
    cwd,
    devices,
    dir_ops,
    dup_fcntl,
    errno_cases,
    ids,
    ioctl,
    links,
    locks,
    lseek,
    mmap_anon,
    mmap_file,
    open_flags,
    pipes,
    prctl,
    proc_self,
    procfs_stat,
    random,
    readdir_big,
    registers,
    rename,
    rlimits,
    rusage_times,
    rw_basic,
    sched,
    sigstate,
    stat_fields,
    statfs,
    telldir,
    tls,
    truncate,
    uname_sysinfo,
    utimensat,
);

/// Programs with their own test below.
const CUSTOM: &[&str] =
    &["abort", "aslr", "bigfile", "env_argv", "exitcode", "malloc_big", "stdin_read", "stdio_kinds", "stdio_lines", "tty"];

/// Every tests/guest/*.c is run by some test: listed here, or named as `"<name>"` in another
/// tests/tests/*.rs file (programs for later issues may live in their own test files).
#[test]
fn every_guest_program_has_a_test() {
    let here: Vec<&str> = SIMPLE.iter().chain(CUSTOM).copied().collect();
    let mut others = String::new();
    for e in std::fs::read_dir(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().map(|x| x == "rs").unwrap_or(false) && !p.ends_with("guest_programs.rs") {
            others.push_str(&std::fs::read_to_string(&p).unwrap());
        }
    }
    let on_disk = all_guest_names();
    let untested: Vec<&String> =
        on_disk.iter().filter(|n| !here.contains(&n.as_str()) && !others.contains(&format!("\"{n}\""))).collect();
    assert!(untested.is_empty(), "tests/guest programs no test runs: {untested:?}");
    let missing: Vec<&&str> = here.iter().filter(|n| !on_disk.iter().any(|d| d == *n)).collect();
    assert!(missing.is_empty(), "tests name guest programs that do not exist: {missing:?}");
    assert!(on_disk.len() >= 30, "the issue asks for at least 30 guest programs");
}

#[test]
fn bigfile() {
    check_guest("bigfile", |c| c.timeout_secs(300));
}

#[test]
fn malloc_big() {
    check_guest("malloc_big", |c| c.timeout_secs(300));
}

#[test]
fn stdio_lines() {
    // stderr carries one fixed line, compared like all stderr.
    check_guest("stdio_lines", |c| c);
}

#[test]
fn stdin_read() {
    let mut input = Vec::new();
    for i in 0..20000u32 {
        input.extend_from_slice(format!("line {i} {}\n", "x".repeat((i % 37) as usize)).as_bytes());
    }
    check_guest("stdin_read", |c| c.stdin(input.clone()));
}

/// stdin redirected from a regular file (fstat says regular, reads hit EOF at its size).
#[test]
fn stdin_read_from_file() {
    let mut input = Vec::new();
    for i in 0..5000u32 {
        input.extend_from_slice(format!("record {i}\n").as_bytes());
    }
    check_guest("stdin_read", |c| c.file("in.txt", input.clone()).stdin_file("in.txt"));
}

#[test]
fn stdin_read_empty_pipe() {
    check_guest("stdin_read", |c| c.stdin(Vec::new()));
}

#[test]
fn stdin_read_dev_null() {
    check_guest("stdin_read", |c| c);
}

#[test]
fn env_argv() {
    check_guest("env_argv", |c| {
        c.args(["one", "two words", "", "ünïcödé", "--flag=value", "-x", "*", "$HOME"])
            .env("RUMPLX_TEST_VAR", "with spaces and = signs")
            .env("EMPTY", "")
    });
}

/// A big initial process image: thousands of arguments and hundreds of environment variables.
#[test]
fn env_argv_many_args() {
    let args: Vec<String> = (0..3000).map(|i| format!("arg{i}-{}", "x".repeat(i % 50))).collect();
    check_guest("env_argv", |mut c| {
        for i in 0..300 {
            c = c.env(&format!("VAR_{i:03}"), &"v".repeat(i % 40));
        }
        c.args(args.clone())
    });
}

#[test]
fn env_argv_no_args() {
    check_guest("env_argv", |c| c);
}

/// `rumplx run ./prog` acts like `./prog`: relative program path, cwd inherited.
#[test]
fn env_argv_relative_program_path() {
    check_guest("env_argv", |c| c.program_in_dir(true).args(["rel"]));
}

#[test]
fn rw_basic_relative_program_path() {
    check_guest("rw_basic", |c| c.program_in_dir(true));
}

#[test]
fn exitcode() {
    let mut cases = vec![];
    for v in Variant::ALL {
        let p = guest("exitcode", v);
        for (how, code) in [
            ("return", "0"),
            ("return", "42"),
            ("exit", "3"),
            ("exit", "255"),
            ("exit", "256"),
            ("_exit", "7"),
            ("exit_group", "300"),
            ("exit_syscall", "5"),
            ("unflushed_exit", "1"),
            ("unflushed__exit", "2"),
        ] {
            cases.push(Case::new(format!("exitcode-{how}-{code}-{v}"), &p).args([how, code]));
        }
    }
    check_all(cases);
}

/// abort(): status 134 and the output written before it. rumplx adds one stderr line naming the
/// signal (checked in bad_input.rs), so stderr is not compared here (everywhere else it is).
#[test]
fn abort() {
    let mut cases = vec![];
    for v in Variant::ALL {
        let p = guest("abort", v);
        for mode in ["plain", "raise", "blocked"] {
            cases.push(Case::new(format!("abort-{mode}-{v}"), &p).args([mode]).compare_stderr(false));
        }
    }
    check_all(cases);
}

/// kill(getpid(), SIGTERM) and tgkill(SIGKILL) to itself: default actions, 143 and 137.
#[test]
fn kill_self_default_action() {
    let mut cases = vec![];
    for v in Variant::ALL {
        let p = guest("abort", v);
        for mode in ["kill", "tgkill"] {
            cases.push(Case::new(format!("killself-{mode}-{v}"), &p).args([mode]).compare_stderr(false));
        }
    }
    check_all(cases);
}

/// The three builds are what they claim to be (`file` agrees with our own ELF check).
#[test]
fn build_variants_are_what_they_claim() {
    let Some(file) = which("file") else {
        panic!("`file` is not installed (tests/setup.sh installs it)");
    };
    let mut problems = vec![];
    for v in Variant::ALL {
        let p = guest("rw_basic", v);
        let out = Command::new(&file).arg("-b").arg(&p).output().unwrap();
        let desc = String::from_utf8_lossy(&out.stdout).to_string();
        let want = match v {
            Variant::MuslStatic | Variant::GlibcStatic => "statically linked",
            Variant::MuslStaticPie => "static-pie linked",
        };
        if !desc.contains(want) || desc.contains("interpreter") || !desc.contains("x86-64") {
            problems.push(format!("{v}: `file` says {desc:?}, expected {want:?}"));
        }
        let info = elf_info(&p).unwrap();
        if info.interp.is_some() {
            problems.push(format!("{v}: has PT_INTERP {:?}", info.interp));
        }
        // And it runs natively.
        let c = Case::new(format!("native-{v}"), &p);
        let o = c.run_native();
        if o.status != Status::Exited(0) {
            problems.push(format!("{v}: native run ended {:?}: {}", o.status, o.stderr_str()));
        }
        let _ = std::fs::remove_dir_all(&o.dir);
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

fn field(out: &str, name: &str) -> String {
    out.lines().find_map(|l| l.strip_prefix(&format!("{name} "))).unwrap_or("").to_string()
}

/// static-pie is relocated at a random base on every run; ET_EXEC sits at its link address.
#[test]
fn aslr() {
    let mut problems = vec![];
    for v in Variant::ALL {
        let c = Case::new(format!("aslr-{v}"), guest("aslr", v));
        let native = c.run_native();
        let a = c.run_rumplx();
        let b = c.run_rumplx();
        for o in [&native, &a, &b] {
            let _ = std::fs::remove_dir_all(&o.dir);
        }
        if a.status != Status::Exited(0) || b.status != Status::Exited(0) {
            problems.push(format!("{v}: rumplx runs ended {:?} / {:?}: {}", a.status, b.status, a.stderr_str()));
            continue;
        }
        let (na, ra, rb) = (field(&native.stdout_str(), "main"), field(&a.stdout_str(), "main"), field(&b.stdout_str(), "main"));
        match v {
            Variant::MuslStaticPie => {
                if ra == rb {
                    problems.push(format!("{v}: main at {ra} in two runs: static-pie is not loaded at a random base"));
                }
            }
            _ => {
                if ra != na {
                    problems.push(format!("{v}: main at {ra} under rumplx, {na} natively: ET_EXEC must sit at its link address"));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// --trace only adds lines on stderr: stdout, status and files are unchanged, even for programs
/// that pass bad pointers and huge lengths (the tracer must not dereference them blindly).
#[test]
fn traced_runs_behave_the_same() {
    let mut cases = vec![];
    for name in ["errno_cases", "rw_basic", "readdir_big", "mmap_anon", "env_argv", "pipes", "exitcode"] {
        for v in Variant::ALL {
            cases.push(
                Case::new(format!("traced-{name}-{v}"), guest(name, v))
                    .args(if name == "exitcode" { vec!["exit", "7"] } else { vec![] })
                    .rumplx_opt("--trace")
                    .compare_stderr(false),
            );
        }
    }
    check_all(cases);
}

/// Terminal ioctls reach the real terminal the program was given (a fresh pty as stdin).
#[test]
fn tty() {
    check_guest("tty", |c| c.stdin_pty(true));
}

/// The standard descriptors behave alike whatever they are connected to.
#[test]
fn stdio_kinds() {
    let mut cases = vec![];
    for v in Variant::ALL {
        let p = guest("stdio_kinds", v);
        cases.push(Case::new(format!("stdio-pipes-{v}"), &p).stdin("piped input\n"));
        cases.push(Case::new(format!("stdio-null-{v}"), &p));
        cases.push(Case::new(format!("stdio-files-{v}"), &p).file("in.txt", "file input\n").stdin_file("in.txt").stdout_file("out.txt").args(["rewind"]));
        cases.push(Case::new(format!("stdio-tty-{v}"), &p).stdin_pty(true));
    }
    check_all(cases);
}
