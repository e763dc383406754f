//! Job control on a terminal (issue 8): an interactive bash-static (and busybox sh) on a fresh
//! pseudo-terminal that is its controlling terminal (see rumplx_tests::pty), driven by typing,
//! ^Z and ^C, natively and under `rumplx run`; the normalised transcripts (everything the terminal
//! showed, echo of the typed text included) and the exit statuses must match.
//!
//! Every step waits for a text the programs print (the prompt `@@ `, a `READY` line, a job report);
//! the 60 s timeouts are failure guards only. Commands are busybox applets through `bb/` in the run
//! directory (rumplx refuses Debian's dynamic coreutils), as in processes.rs.
//!
//! Normalisation (see [`normalise`]), only for what is not the guest's doing:
//! - `\r` removed: the terminal's ONLCR turns every `\n` into `\r\n` on both sides;
//! - the echo of a signal character (`^C`, `^Z`, `^\`) removed: the terminal echoes it in the same
//!   moment it signals the foreground group, so the echo and the output of whoever reacts to the
//!   signal (bash's "Stopped" report, say) may come in either order;
//! - the pid in bash's `[1] 12345` report of a background job, and the number of `/dev/pts/N`;
//! - rumplx's own line "rumplx: program killed by signal N (...)", which it prints when the program
//!   it runs (not a process forked inside the run) dies of a signal (`die_of_signal` in the loader):
//!   natively nobody reports it; the exit status (128+N both ways) is compared instead.
//!
//! `RUMPLX_BIN=$PWD/tests/fake-rumplx.sh` plays both sides natively (every case must pass: the
//! steps are deterministic); `JOB_CONTROL_SHOW=1 ... -- --nocapture` prints each native transcript.
//! Only the embedded kernel is tested here (RUMPLX_TEST_BACKEND is not looked at).

use rumplx_tests::pty::{show_transcript, PtyError, PtySession};
use rumplx_tests::*;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Failure guard for each step (scaled by RUMPLX_TEST_TIMEOUT_SCALE).
const GUARD: Duration = Duration::from_secs(60);

/// The interactive shells' prompt (PS1).
const PROMPT: &str = "@@ ";

#[derive(Clone, Copy, Debug)]
enum Step {
    /// Wait until the terminal shows this text.
    Expect(&'static str),
    /// Type this text.
    Type(&'static str),
    /// Press Ctrl and this letter.
    Ctrl(char),
}
use Step::*;

const APPLETS: &[&str] = &["sh", "cat", "echo", "grep", "kill", "sleep", "true", "false", "tty", "stty", "env"];

fn bash() -> PathBuf {
    let p = PathBuf::from("/bin/bash-static");
    assert!(p.exists(), "/bin/bash-static missing: run tests/setup.sh (installs bash-static)");
    p
}

fn busybox() -> PathBuf {
    let p = PathBuf::from("/bin/busybox");
    assert!(p.exists(), "/bin/busybox missing: run tests/setup.sh (installs busybox-static)");
    p
}

/// `bash --norc --noprofile -i`: no startup files, so the environment below is all it gets.
fn interactive_bash() -> (PathBuf, Vec<String>) {
    (bash(), vec!["--norc".into(), "--noprofile".into(), "-i".into()])
}

/// The fixed environment: the prompt, a dumb terminal, no history file, busybox applets on PATH.
fn environment(dir: &Path) -> Vec<(String, String)> {
    vec![
        ("PATH".into(), format!("{}/bb", dir.display())),
        ("HOME".into(), dir.display().to_string()),
        ("TERM".into(), "dumb".into()),
        ("PS1".into(), PROMPT.into()),
        ("HISTFILE".into(), String::new()),
        ("LANG".into(), "C".into()),
        ("LC_ALL".into(), "C".into()),
        ("TZ".into(), "UTC".into()),
    ]
}

fn prepare(dir: &Path) {
    std::fs::create_dir_all(dir.join("bb")).unwrap();
    for a in APPLETS {
        std::os::unix::fs::symlink("/bin/busybox", dir.join("bb").join(a)).unwrap();
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Side {
    Native,
    Rumplx,
}

/// Run `program ARGS` on a new terminal in `dir`, play `steps`, wait for the end.
fn play(side: Side, dir: &Path, program: &Path, args: &[String], steps: &[Step]) -> Result<(String, Status), PtyError> {
    let env = environment(dir);
    let mut s = match side {
        Side::Native => PtySession::spawn(program, args, &env, dir),
        Side::Rumplx => {
            let mut a: Vec<String> = vec!["run".into()];
            if no_fast_path() {
                a.push("--no-fast-path".into());
            }
            a.push("--".into());
            a.push(program.display().to_string());
            a.extend(args.iter().cloned());
            PtySession::spawn(rumplx_bin(), &a, &env, dir)
        }
    };
    for st in steps {
        match *st {
            Expect(t) => {
                s.try_expect(t, GUARD)?;
            }
            Type(t) => s.send(t.as_bytes()),
            Ctrl(c) => s.send_ctrl(c),
        }
    }
    s.try_finish(GUARD)
}

/// What is compared of a transcript (see the module comment for each rule).
fn normalise(t: &str) -> String {
    let t = t.replace('\r', "").replace("^C", "").replace("^Z", "").replace("^\\", "");
    let mut out = String::new();
    for line in t.split_inclusive('\n') {
        let body = line.trim_end_matches('\n');
        if body.starts_with("rumplx: program killed by signal ") {
            continue;
        }
        let nl = &line[body.len()..];
        out.push_str(&normalise_line(body));
        out.push_str(nl);
    }
    out
}

fn normalise_line(l: &str) -> String {
    // "[1] 12345": bash's report of a job started in the background.
    if let Some(rest) = l.strip_prefix('[') {
        if let Some((n, pid)) = rest.split_once("] ") {
            if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) && !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()) {
                return format!("[{n}] PID");
            }
        }
    }
    let mut s = l.to_string();
    if let Some(i) = s.find("/dev/pts/") {
        let start = i + "/dev/pts/".len();
        let end = start + s[start..].bytes().take_while(u8::is_ascii_digit).count();
        if end > start {
            s.replace_range(start..end, "N");
        }
    }
    s
}

/// Play the steps natively, then under rumplx (in the same directory path, as Case::check does),
/// and compare.
fn check(label: &str, program: &Path, args: &[String], steps: &[Step]) {
    if let Err(e) = try_check(label, program, args, steps) {
        panic!("{e}");
    }
}

fn try_check(label: &str, program: &Path, args: &[String], steps: &[Step]) -> Result<(), String> {
    let dir = fresh_dir(&format!("jc-{label}"));
    prepare(&dir);
    let native = play(Side::Native, &dir, program, args, steps)
        .map_err(|e| format!("=== {label}: the NATIVE run failed (test or environment problem) ===\n{e}"))?;
    let native_dir = PathBuf::from(format!("{}.native", dir.display()));
    let _ = std::fs::remove_dir_all(&native_dir);
    std::fs::rename(&dir, &native_dir).unwrap();
    std::fs::create_dir(&dir).unwrap();
    prepare(&dir);
    let res = match play(Side::Rumplx, &dir, program, args, steps) {
        Err(e) => Err(format!(
            "=== {label}: rumplx differs from native ===\n* rumplx: {e}\nnative transcript:\n{}",
            show_transcript(&native.0)
        )),
        Ok(rx) => {
            let (a, b) = (normalise(&native.0), normalise(&rx.0));
            let mut problems = vec![];
            if native.1.code() != rx.1.code() {
                problems.push(format!("exit status: native {:?}, rumplx {:?}", native.1, rx.1));
            }
            if a != b {
                problems.push(format!("transcripts differ (normalised):\n{}", line_diff(&a, &b)));
            }
            if problems.is_empty() {
                Ok(())
            } else {
                Err(format!(
                    "=== {label}: rumplx differs from native ===\n* {}\nnative transcript:\n{}rumplx transcript:\n{}",
                    problems.join("\n* "),
                    show_transcript(&native.0),
                    show_transcript(&rx.0)
                ))
            }
        }
    };
    if std::env::var_os("JOB_CONTROL_SHOW").is_some() {
        println!("--- {label} native transcript:\n{}", show_transcript(&native.0));
    }
    if res.is_ok() && std::env::var_os("RUMPLX_TEST_KEEP").is_none() {
        let _ = std::fs::remove_dir_all(&native_dir);
        let _ = std::fs::remove_dir_all(&dir);
    }
    res
}

fn check_bash(label: &str, steps: &[Step]) {
    let (p, a) = interactive_bash();
    check(&format!("bash-{label}"), &p, &a, steps);
}

// ---------------------------------------------------------------------------------------------------
// Cases
// ---------------------------------------------------------------------------------------------------

/// An interactive bash on a terminal turns job control on (no "no job control in this shell"),
/// and `tty` and `[ -t 0 ]` see the terminal.
#[test]
fn startup() {
    check_bash(
        "startup",
        &[
            Expect(PROMPT),
            Type("set -o | grep monitor\n"),
            Expect(PROMPT),
            Type("tty; [ -t 0 ] && echo stdin-is-a-tty\n"),
            Expect(PROMPT),
            Type("exit\n"),
        ],
    );
}

/// ^Z stops the foreground job, bash reports it and takes the terminal back; `fg` gives it back
/// and continues it; the job reads the next typed line.
#[test]
fn ctrl_z_stop_and_fg() {
    check_bash(
        "ctrl_z",
        &[
            Expect(PROMPT),
            Type("sh -c 'echo READY; exec cat'\n"),
            Expect("READY\r\n"),
            Ctrl('Z'),
            Expect(PROMPT),
            Type("jobs\n"),
            Expect(PROMPT),
            Type("fg\n"),
            // bash prints the job's command line before it hands the terminal back and continues it.
            Expect("exec cat'\r\n"),
            Type("typed after fg\n"),
            Expect("typed after fg\r\ntyped after fg\r\n"),
            Ctrl('D'),
            Expect(PROMPT),
            Type("echo status $?\n"),
            Expect(PROMPT),
            Type("exit\n"),
        ],
    );
}

/// ^C kills the foreground job (status 130); the shell survives it.
#[test]
fn ctrl_c_foreground_job() {
    check_bash(
        "ctrl_c",
        &[
            Expect(PROMPT),
            Type("sh -c 'echo READY; exec cat'\n"),
            Expect("READY\r\n"),
            Ctrl('C'),
            Expect(PROMPT),
            Type("echo status $?\n"),
            Expect(PROMPT),
            Type("exit\n"),
        ],
    );
}

/// A background job that reads the terminal is stopped by SIGTTIN: bash's `wait` returns when it
/// stops (status 128+SIGTTIN = 149) and bash reports it Stopped; `fg` gives it the terminal and
/// continues it, it reads the typed line, ^C ends it.
///
/// (Not `kill %1`: bash sends SIGTERM and SIGCONT and returns, and whether the job's end is reported
/// before the next prompt or the one after depends on when SIGCHLD arrives.)
#[test]
fn background_read_sigttin() {
    check_bash(
        "bg_read",
        &[
            Expect(PROMPT),
            // One line, so the stop cannot be reported before a prompt: bash reports it when
            // `wait` returns. `wait` warns "job 1 is stopped" on stderr when the job stopped
            // before `wait` started (it returns 149 either way): only that warning is hidden.
            Type("cat & wait %1 2>/dev/null; echo wait status $?\n"),
            Expect("wait status"),
            Expect(PROMPT),
            Type("jobs\n"),
            Expect(PROMPT),
            Type("fg %1\n"),
            Expect("cat\r\n"),
            Type("read in the foreground\n"),
            Expect("read in the foreground\r\nread in the foreground\r\n"),
            Ctrl('C'),
            Expect(PROMPT),
            Type("echo status $?\n"),
            Expect(PROMPT),
            Type("exit\n"),
        ],
    );
}

/// A pipeline is one job: bash gives the terminal to its process group, ^C reaches every stage.
///
/// The stage reading the terminal is a shell loop, not busybox cat: cat copies with sendfile, and
/// Linux's sendfile from a terminal into a pipe holds the pipe's lock while it waits for the next
/// line, so the next stage cannot read the line before it (natively, now and then).
#[test]
fn ctrl_c_pipeline() {
    check_bash(
        "pipeline",
        &[
            Expect(PROMPT),
            Type("sh -c 'echo READY >&2; while read -r l; do echo \"$l\"; done' | cat\n"),
            Expect("READY\r\n"),
            Type("through the pipe\n"),
            Expect("through the pipe\r\nthrough the pipe\r\n"),
            Ctrl('C'),
            Expect(PROMPT),
            Type("echo statuses ${PIPESTATUS[@]}\n"),
            Expect(PROMPT),
            Type("exit\n"),
        ],
    );
}

/// `rumplx run` of a plain program (busybox cat, no shell) on a terminal: it echoes a line and ^C
/// ends it with SIGINT (status 130).
#[test]
fn plain_program_ctrl_c() {
    check(
        "busybox-cat",
        &busybox(),
        &["cat".to_string()],
        &[Type("a line\n"), Expect("a line\r\na line\r\n"), Ctrl('C')],
    );
}

/// busybox sh (ash) with job control: ^Z, `jobs`, `fg`.
#[test]
fn busybox_sh_ctrl_z() {
    check(
        "busybox-sh-ctrl_z",
        &busybox(),
        &["sh".to_string(), "-i".to_string()],
        &[
            Expect(PROMPT),
            Type("sh -c 'echo READY; exec cat'\n"),
            Expect("READY\r\n"),
            Ctrl('Z'),
            Expect(PROMPT),
            Type("jobs\n"),
            Expect(PROMPT),
            Type("fg\n"),
            // ash shows the command line with double quotes.
            Expect("exec cat\"\r\n"),
            Type("typed after fg\n"),
            Expect("typed after fg\r\ntyped after fg\r\n"),
            Ctrl('D'),
            Expect(PROMPT),
            Type("echo status $?\n"),
            Expect(PROMPT),
            Type("exit\n"),
        ],
    );
}

/// The normalisation does what the module comment says, and nothing more.
#[test]
fn normalisation_rules() {
    let raw = "@@ cat &\r\n[1] 4242\r\n[1]+  Stopped   cat\r\n/dev/pts/17\r\n^Z^C^\\\r\n\
               a^Cline\r\nrumplx: program killed by signal 2 (SIGINT: Interrupt)\r\n[2] x1\r\n";
    assert_eq!(normalise(raw), "@@ cat &\n[1] PID\n[1]+  Stopped   cat\n/dev/pts/N\n\naline\n[2] x1\n");
}
