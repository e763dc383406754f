//! A program on a fresh pseudo-terminal that is its controlling terminal, driven like a person at a
//! keyboard: wait for a text the program prints, type, press ^Z or ^C, read the transcript.
//!
//! The child is made a session leader (`setsid`), takes the slave as its controlling terminal
//! (`TIOCSCTTY`) and has it as fds 0, 1 and 2; its window is 24 x 80 and its terminal modes are the
//! kernel's defaults (`openpty` without a termios: ICANON, ECHO, ECHOCTL, ISIG, ^C ^Z ^\ ^D). The
//! environment is exactly what the caller passes. Signals the test runner may have inherited as
//! ignored (SIGINT and SIGQUIT under a non-interactive `&`, for one) are set back to their defaults,
//! so the program's disposition does not depend on how the tests were started.
//!
//! Timeouts are failure guards only: every step waits for something the program prints, never for
//! time to pass. A reader thread drains the master all the time (bytes not read when ISIG flushes
//! the terminal's queues would be lost), so the transcript is everything the terminal showed:
//! the program's output and the terminal's echo of what was typed, `\r\n` line ends included.

use crate::Status;
use std::ffi::OsStr;
use std::fs;
use std::io::{Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Child, Command};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

#[derive(Default)]
struct Shared {
    data: Vec<u8>,
    /// The master read EOF or EIO: no slave descriptor is open any more.
    eof: bool,
}

/// One program running on its own pseudo-terminal.
pub struct PtySession {
    master: fs::File,
    child: Option<Child>,
    shared: Arc<(Mutex<Shared>, Condvar)>,
    reader: Option<JoinHandle<()>>,
    /// Where the next [`PtySession::expect`] starts looking.
    pos: usize,
    label: String,
}

/// A failed step: what was awaited and everything the terminal showed until then.
#[derive(Debug, Clone)]
pub struct PtyError {
    pub what: String,
    pub transcript: String,
}

impl std::fmt::Display for PtyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}\ntranscript so far:\n{}", self.what.trim_end(), show_transcript(&self.transcript))
    }
}

/// The transcript with control characters visible, one terminal line a line.
pub fn show_transcript(t: &str) -> String {
    let mut s = String::new();
    for line in t.split_inclusive('\n') {
        s.push_str("  | ");
        s.push_str(&format!("{line:?}"));
        s.push('\n');
    }
    s
}

impl PtySession {
    /// Start `program ARGS` in `cwd` with exactly `env` on a new terminal.
    pub fn spawn<S: AsRef<OsStr>>(program: &Path, args: &[S], env: &[(String, String)], cwd: &Path) -> PtySession {
        let (master, slave) = crate::open_pty(24, 80);
        let mut cmd = Command::new(program);
        cmd.args(args).current_dir(cwd).env_clear().envs(env.iter().map(|(k, v)| (k, v)));
        cmd.stdin(slave.try_clone().unwrap()).stdout(slave.try_clone().unwrap()).stderr(slave);
        unsafe {
            cmd.pre_exec(|| {
                // Runs after std has put the slave on 0, 1 and 2.
                if libc::setsid() < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                if libc::ioctl(0, libc::TIOCSCTTY as _, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                for sig in [libc::SIGINT, libc::SIGQUIT, libc::SIGTSTP, libc::SIGTTIN, libc::SIGTTOU, libc::SIGHUP, libc::SIGCHLD] {
                    libc::signal(sig, libc::SIG_DFL);
                }
                // Descriptors of the test runner (cargo's jobserver pipe) stay out, as in lib.rs.
                if libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, 0u32) != 0 {
                    for fd in 3..1024 {
                        libc::close(fd);
                    }
                }
                Ok(())
            });
        }
        // A rumplx binary being replaced by a parallel build, or ETXTBSY: retry briefly (as lib.rs).
        let mut attempts = 0;
        let child = loop {
            match cmd.spawn() {
                Ok(c) => break c,
                Err(e)
                    if attempts < 20
                        && (e.raw_os_error() == Some(libc::ETXTBSY) || e.kind() == std::io::ErrorKind::NotFound) =>
                {
                    attempts += 1;
                    std::thread::sleep(Duration::from_millis(500));
                }
                Err(e) => panic!("spawning {cmd:?} on a pty: {e}"),
            }
        };
        // The parent's copies of the slave go away with `cmd`: EOF on the master then means the
        // program and everything it started have closed the terminal.
        drop(cmd);
        let shared = Arc::new((Mutex::new(Shared::default()), Condvar::new()));
        let mut rd = master.try_clone().unwrap();
        let sh = shared.clone();
        let reader = std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            loop {
                let r = rd.read(&mut buf);
                let (lock, cv) = &*sh;
                let mut g = lock.lock().unwrap();
                match r {
                    Ok(0) => g.eof = true,
                    Ok(n) => g.data.extend_from_slice(&buf[..n]),
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    // EIO: the last slave descriptor was closed.
                    Err(_) => g.eof = true,
                }
                let done = g.eof;
                cv.notify_all();
                if done {
                    return;
                }
            }
        });
        let label = program.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        PtySession { master, child: Some(child), shared, reader: Some(reader), pos: 0, label }
    }

    /// The host pid of the program (its session and process group id too).
    pub fn pid(&self) -> i32 {
        self.child.as_ref().map(|c| c.id() as i32).unwrap_or(-1)
    }

    /// Everything the terminal showed so far.
    pub fn transcript(&self) -> String {
        String::from_utf8_lossy(&self.shared.0.lock().unwrap().data).into_owned()
    }

    /// Read until `text` appears (after the previous match); return what was read up to and
    /// including it. Err after `timeout` or when the terminal closed without it.
    pub fn try_expect(&mut self, text: &str, timeout: Duration) -> Result<String, PtyError> {
        let deadline = Instant::now() + timeout.mul_f64(crate::timeout_scale());
        let (lock, cv) = &*self.shared;
        let mut g = lock.lock().unwrap();
        loop {
            if let Some(i) = find(&g.data[self.pos..], text.as_bytes()) {
                let end = self.pos + i + text.len();
                let got = String::from_utf8_lossy(&g.data[self.pos..end]).into_owned();
                self.pos = end;
                return Ok(got);
            }
            let now = Instant::now();
            if g.eof || now >= deadline {
                let why = if g.eof { "the terminal closed" } else { "timed out" };
                return Err(PtyError {
                    what: format!("{}: {why} waiting for {text:?}\n{}", self.label, session_processes(self.pid())),
                    transcript: String::from_utf8_lossy(&g.data).into_owned(),
                });
            }
            g = cv.wait_timeout(g, deadline - now).unwrap().0;
        }
    }

    /// [`PtySession::try_expect`] that panics with the transcript.
    pub fn expect(&mut self, text: &str, timeout: Duration) -> String {
        match self.try_expect(text, timeout) {
            Ok(s) => s,
            Err(e) => {
                self.kill_session();
                panic!("{e}")
            }
        }
    }

    /// Type `bytes` (written to the master as they are).
    pub fn send(&mut self, bytes: &[u8]) {
        self.master.write_all(bytes).expect("writing to the pty master");
    }

    /// Press Ctrl and a letter (or one of `@[\]^_`): `send_ctrl('Z')` sends 0x1a.
    pub fn send_ctrl(&mut self, c: char) {
        let c = c.to_ascii_uppercase() as u8;
        assert!((b'@'..=b'_').contains(&c), "no control character for {c:?}");
        self.send(&[c & 0x1f]);
    }

    /// Wait for the program to exit and for the terminal to close (every process that had it open
    /// is gone); return the whole transcript and the exit status. Err after `timeout`.
    pub fn try_finish(&mut self, timeout: Duration) -> Result<(String, Status), PtyError> {
        let deadline = Instant::now() + timeout.mul_f64(crate::timeout_scale());
        let mut child = self.child.take().expect("finish called twice");
        let status = loop {
            match child.try_wait() {
                Ok(Some(st)) => break st,
                Ok(None) => {}
                Err(e) => panic!("waiting for the pty child: {e}"),
            }
            if Instant::now() >= deadline {
                let what = format!(
                    "{}: timed out waiting for the program to exit\n{}",
                    self.label,
                    session_processes(child.id() as i32)
                );
                self.child = Some(child);
                self.kill_session();
                return Err(PtyError { what, transcript: self.transcript() });
            }
            // Failure guard only: the child's exit is what ends this loop.
            std::thread::sleep(Duration::from_millis(5));
        };
        let status = match (status.code(), status.signal()) {
            (Some(c), _) => Status::Exited(c),
            (None, Some(s)) => Status::Signaled(s),
            _ => Status::Exited(-1),
        };
        let (lock, cv) = &*self.shared;
        let mut g = lock.lock().unwrap();
        while !g.eof {
            let now = Instant::now();
            if now >= deadline {
                let transcript = String::from_utf8_lossy(&g.data).into_owned();
                drop(g);
                let what = format!(
                    "{}: exited ({status:?}) but something still holds the terminal open\n{}",
                    self.label,
                    session_processes(child.id() as i32)
                );
                self.kill_session_of(child.id() as i32);
                return Err(PtyError { what, transcript });
            }
            g = cv.wait_timeout(g, deadline - now).unwrap().0;
        }
        let t = String::from_utf8_lossy(&g.data).into_owned();
        drop(g);
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
        Ok((t, status))
    }

    /// [`PtySession::try_finish`] that panics with the transcript.
    pub fn finish(&mut self, timeout: Duration) -> (String, Status) {
        match self.try_finish(timeout) {
            Ok(r) => r,
            Err(e) => panic!("{e}"),
        }
    }

    /// SIGKILL every process of the program's session (found in /proc by session id: the ones this
    /// session started, and only those) and reap the program.
    pub fn kill_session(&mut self) {
        if let Some(mut c) = self.child.take() {
            let sid = c.id() as i32;
            self.kill_session_of(sid);
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    fn kill_session_of(&self, sid: i32) {
        if sid <= 0 {
            return;
        }
        let Ok(rd) = fs::read_dir("/proc") else { return };
        for e in rd.flatten() {
            let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else { continue };
            let Ok(stat) = fs::read_to_string(e.path().join("stat")) else { continue };
            // Fields after the command name (which may hold spaces) in parentheses:
            // state ppid pgrp session ...
            let Some(rest) = stat.rfind(')').map(|i| &stat[i + 1..]) else { continue };
            let f: Vec<&str> = rest.split_whitespace().collect();
            if f.get(3).and_then(|s| s.parse::<i32>().ok()) == Some(sid) {
                unsafe {
                    libc::kill(pid, libc::SIGKILL);
                }
            }
        }
    }
}

/// The host processes of session `sid` as /proc shows them (for failure reports): pid, state,
/// process group and the terminal's foreground process group.
pub fn session_processes(sid: i32) -> String {
    let mut s = String::from("processes of the session (pid state ppid pgrp tpgid comm):\n");
    let Ok(rd) = fs::read_dir("/proc") else { return s };
    let mut rows = vec![];
    for e in rd.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else { continue };
        let Ok(stat) = fs::read_to_string(e.path().join("stat")) else { continue };
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else { continue };
        let comm = &stat[open + 1..close];
        // state ppid pgrp session tty_nr tpgid ...
        let f: Vec<&str> = stat[close + 1..].split_whitespace().collect();
        if f.len() > 5 && f[3].parse::<i32>().ok() == Some(sid) {
            rows.push((pid, format!("  {pid} {} {} {} {} {comm}\n", f[0], f[1], f[2], f[5])));
        }
    }
    rows.sort();
    for (_, r) in rows {
        s.push_str(&r);
    }
    s
}

impl Drop for PtySession {
    fn drop(&mut self) {
        self.kill_session();
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    hay.windows(needle.len()).position(|w| w == needle)
}
