//! Threads and signals (issue 4): tests/guest/thr_*.c and sig_*.c, each built three ways (musl static,
//! musl static-pie, glibc static), run natively and under rumplx; stdout, exit status, stderr and the
//! files left must match. Deaths by signal compare as a shell reports them (128+N, `Status::code`);
//! rumplx adds one stderr line naming the signal, so stderr is not compared for those runs.
//! `external_*`: the test itself sends a signal to a running rumplx (and to the native program).

use rumplx_tests::*;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

macro_rules! simple_guests {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                check_guest(stringify!($name), |c| c.timeout_secs(120));
            }
        )*
    };
}

simple_guests!(
    thr_mutex,
    thr_condvar,
    thr_rwlock,
    thr_barrier,
    thr_sem,
    thr_tls,
    thr_join,
    thr_cancel,
    thr_cancel_race,
    thr_many,
    thr_sched,
    sig_basic,
    sig_mask,
    sig_timedwait,
    sig_alarm,
    sig_segv,
    sig_fpe,
    sig_thread,
    fastpath,
);

/// A side thread's exit(23) ends the process while main blocks in a futex wait.
#[test]
fn thr_exit_futex() {
    check_guest("thr_exit_futex", |c| c.timeout_secs(120));
}

/// Default-action deaths: 139 (SIGSEGV, also when blocked, also in a thread, also sent with kill),
/// 136 (SIGFPE), 134 (SIGABRT), 143 (SIGTERM), 138 (SIGUSR1); SIG_IGN then SIG_DFL.
#[test]
fn sig_death() {
    let mut cases = vec![];
    for v in Variant::ALL {
        let p = guest("sig_death", v);
        for mode in
            ["segv", "segv-blocked", "segv-thread", "fpe", "abort", "term", "term-raise", "usr1", "kill-segv", "resethand"]
        {
            cases.push(Case::new(format!("sig_death-{mode}-{v}"), &p).args([mode]).compare_stderr(false));
        }
    }
    check_all(cases);
}

/// What one externally signalled run gave: stdout, the shell-style status, and whether "ready" came.
#[derive(Debug, PartialEq)]
struct ExtRun {
    ready: bool,
    stdout: String,
    code: Option<i32>,
}

/// Start `cmd`, wait (up to 60 s) for the line "ready" on its stdout, send `sig` to the started
/// process, and collect the rest. Nothing depends on timing: the program blocks until the signal.
fn run_and_signal(mut cmd: Command, dir: &std::path::Path, sig: i32) -> ExtRun {
    cmd.current_dir(dir).env_clear().stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    for (k, v) in base_env() {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn");
    let out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        let mut r = BufReader::new(out);
        let mut all = String::new();
        let mut line = String::new();
        while r.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
            all.push_str(&line);
            let _ = tx.send(line.clone());
            line.clear();
        }
        all
    });
    let errt = std::thread::spawn(move || {
        let mut v = vec![];
        let _ = err.read_to_end(&mut v);
        v
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut ready = false;
    while Instant::now() < deadline {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(l) if l == "ready\n" => {
                ready = true;
                break;
            }
            Ok(_) => {}
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    if ready {
        unsafe { libc::kill(child.id() as i32, sig) };
    }
    let mut code = None;
    while Instant::now() < deadline {
        if let Ok(Some(st)) = child.try_wait() {
            code = st.code().or(st.signal().map(|s| 128 + s));
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    if code.is_none() {
        let _ = child.kill();
        let _ = child.wait();
    }
    let stdout = reader.join().unwrap();
    let _ = errt.join();
    ExtRun { ready, stdout, code }
}

fn external(mode: &str, sigs: &[(i32, &str)]) {
    let mut failures = vec![];
    for v in Variant::ALL {
        let prog = guest("sig_external", v);
        for &(sig, name) in sigs {
            let dir = fresh_dir(&format!("sig_external-{mode}-{name}-{v}"));
            let mut n = Command::new(&prog);
            n.arg(mode);
            let native = run_and_signal(n, &dir, sig);
            let mut r = Command::new(rumplx_bin());
            r.arg("run").arg("--").arg(&prog).arg(mode);
            let rx = run_and_signal(r, &dir, sig);
            let _ = std::fs::remove_dir_all(&dir);
            if !native.ready || native.code.is_none() {
                failures.push(format!("{v} {mode} {name}: the NATIVE run misbehaved: {native:?}"));
            } else if native != rx {
                failures.push(format!("{v} {mode} {name}: native {native:?}\n    rumplx {rx:?}"));
            }
        }
    }
    assert!(failures.is_empty(), "external signals differ:\n{}", failures.join("\n"));
}

/// `kill -TERM <rumplx pid>` (and INT, HUP, USR1) reaches the guest's handler as the same signal.
#[test]
fn external_signal_handled() {
    external("handle", &[(libc::SIGTERM, "TERM"), (libc::SIGINT, "INT"), (libc::SIGHUP, "HUP"), (libc::SIGUSR1, "USR1")]);
}

/// Without a handler the guest dies of the external signal: 143 for SIGTERM, 130 for SIGINT.
#[test]
fn external_signal_default_action() {
    external("default", &[(libc::SIGTERM, "TERM"), (libc::SIGINT, "INT")]);
}

/// "sig_external" is run by the two tests above.
const _USES: &[&str] = &["sig_external"];
