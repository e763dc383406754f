//! `--trace`: one strace-style line per Linux syscall, followed by the NetBSD calls it became.
//!
//! `openat(AT_FDCWD, "/etc/hosts", O_RDONLY|O_CLOEXEC) = 3   [netbsd: openat(-100, "/etc/hosts", 0x400000) = 3]`
//!
//! Arguments are decoded from the table's argument kinds, so every call is traced the same way.

use alloc::{string::String, vec::Vec};
use core::fmt::Write;

use crate::consts::{mmap_flags as mf, open_flags as of};
use crate::dispatch::Personality;
use crate::platform::Access;
use crate::table::{Arg, Entry, Ret};
use crate::LxResult;

/// How many bytes of a buffer or string the tracer shows (strace's default).
const SHOW: usize = 32;

/// The NetBSD calls made while serving one Linux call, already formatted (their buffers may be
/// gone by the time the Linux call's line is printed).
#[derive(Debug, Default)]
pub struct TraceLog {
    calls: Vec<String>,
}

impl TraceLog {
    pub fn record(&mut self, nr: u32, args: &[u64; 6], r: &abi_netbsd::SysResult) {
        let mut s = String::new();
        match abi_netbsd::syscall_info(nr) {
            Some(info) => {
                s.push_str(info.name);
                s.push('(');
                for (i, kind) in info.args.iter().enumerate().take(6) {
                    if i > 0 {
                        s.push_str(", ");
                    }
                    match kind {
                        // SAFETY: the kernel just read this string; it is NUL-terminated.
                        abi_netbsd::nr::NbArg::Str if args[i] != 0 => unsafe { quote_cstr(&mut s, args[i] as *const u8) },
                        abi_netbsd::nr::NbArg::Int if (args[i] as i64).unsigned_abs() < 4096 => {
                            let _ = write!(s, "{}", args[i] as i64);
                        }
                        _ => {
                            let _ = write!(s, "{:#x}", args[i]);
                        }
                    }
                }
                s.push(')');
            }
            None => {
                let _ = write!(s, "syscall_{nr}(...)");
            }
        }
        match r {
            Ok([v, _]) => {
                let _ = write!(s, " = {}", *v as i64);
            }
            Err(e) => {
                let _ = write!(s, " = -1 {}", e.name().unwrap_or("E?"));
            }
        }
        self.calls.push(s);
    }
}

/// Appends a NUL-terminated string, quoted and cut.
///
/// # Safety
/// `p` must point to a readable NUL-terminated string.
unsafe fn quote_cstr(out: &mut String, p: *const u8) {
    let mut bytes = Vec::new();
    let mut i = 0;
    // SAFETY: caller's contract; stop at the NUL or one byte past what is shown.
    while i <= SHOW {
        let b = unsafe { *p.add(i) };
        if b == 0 {
            break;
        }
        bytes.push(b);
        i += 1;
    }
    quote(out, &bytes, bytes.len() > SHOW);
}

/// Appends `bytes` as a C string literal, `...` after it when `more` follows.
fn quote(out: &mut String, bytes: &[u8], more: bool) {
    out.push('"');
    for &b in bytes.iter().take(SHOW) {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\t' => out.push_str("\\t"),
            b'\r' => out.push_str("\\r"),
            0x20..=0x7e => out.push(b as char),
            _ => {
                let _ = write!(out, "\\{:o}", b);
            }
        }
    }
    out.push('"');
    if more || bytes.len() > SHOW {
        out.push_str("...");
    }
}

/// Reads guest memory for display only: nothing if it is not readable.
fn peek(p: &Personality, addr: u64, len: usize) -> Option<Vec<u8>> {
    if addr == 0 || !p.mm.lock().contains(addr, len as u64, Access::Read) {
        return None;
    }
    // SAFETY: checked readable just above.
    Some(unsafe { core::slice::from_raw_parts(addr as *const u8, len) }.to_vec())
}

fn guest_string(p: &Personality, out: &mut String, addr: u64) {
    let mut bytes = Vec::new();
    for i in 0..=SHOW as u64 {
        match peek(p, addr + i, 1) {
            Some(b) if b[0] != 0 => bytes.push(b[0]),
            Some(_) => return quote(out, &bytes, false),
            None => {
                let _ = write!(out, "{addr:#x}");
                return;
            }
        }
    }
    quote(out, &bytes, true);
}

/// Appends `names` of the bits set in `v`, then any remainder in hex.
fn flag_names(out: &mut String, v: u64, names: &[(u64, &str)], zero: Option<&str>) {
    let mut rest = v;
    let mut first = true;
    if let Some(z) = zero {
        out.push_str(z);
        first = false;
    }
    for &(bit, name) in names {
        if bit != 0 && rest & bit == bit {
            if !first {
                out.push('|');
            }
            out.push_str(name);
            first = false;
            rest &= !bit;
        }
    }
    if rest != 0 || first {
        if !first {
            out.push('|');
        }
        let _ = write!(out, "{rest:#x}");
    }
}

const OPEN_FLAGS: &[(u64, &str)] = &[
    (of::O_CREAT as u64, "O_CREAT"), (of::O_EXCL as u64, "O_EXCL"), (of::O_NOCTTY as u64, "O_NOCTTY"),
    (of::O_TRUNC as u64, "O_TRUNC"), (of::O_APPEND as u64, "O_APPEND"), (of::O_NONBLOCK as u64, "O_NONBLOCK"),
    (of::O_SYNC as u64, "O_SYNC"), (of::O_DSYNC as u64, "O_DSYNC"), (of::O_DIRECT as u64, "O_DIRECT"),
    (of::O_LARGEFILE as u64, "O_LARGEFILE"), (of::O_DIRECTORY as u64, "O_DIRECTORY"),
    (of::O_NOFOLLOW as u64, "O_NOFOLLOW"), (of::O_NOATIME as u64, "O_NOATIME"), (of::O_CLOEXEC as u64, "O_CLOEXEC"),
    (of::O_PATH as u64, "O_PATH"), (of::O_ASYNC as u64, "O_ASYNC"),
];
const AT_FLAGS: &[(u64, &str)] = &[
    (0x100, "AT_SYMLINK_NOFOLLOW"), (0x200, "AT_REMOVEDIR"), (0x400, "AT_SYMLINK_FOLLOW"),
    (0x800, "AT_NO_AUTOMOUNT"), (0x1000, "AT_EMPTY_PATH"),
];
const PROT: &[(u64, &str)] = &[(1, "PROT_READ"), (2, "PROT_WRITE"), (4, "PROT_EXEC")];
const MMAP_FLAGS: &[(u64, &str)] = &[
    (mf::MAP_SHARED_VALIDATE as u64, "MAP_SHARED_VALIDATE"), (mf::MAP_SHARED as u64, "MAP_SHARED"),
    (mf::MAP_PRIVATE as u64, "MAP_PRIVATE"), (mf::MAP_FIXED as u64, "MAP_FIXED"),
    (mf::MAP_ANONYMOUS as u64, "MAP_ANONYMOUS"), (mf::MAP_GROWSDOWN as u64, "MAP_GROWSDOWN"),
    (mf::MAP_DENYWRITE as u64, "MAP_DENYWRITE"), (mf::MAP_NORESERVE as u64, "MAP_NORESERVE"),
    (mf::MAP_POPULATE as u64, "MAP_POPULATE"), (mf::MAP_STACK as u64, "MAP_STACK"),
    (mf::MAP_FIXED_NOREPLACE as u64, "MAP_FIXED_NOREPLACE"),
];
const SIGNALS: [&str; 32] = [
    "0", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL",
    "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT",
    "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF",
    "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS",
];
const CLOCKS: [&str; 12] = [
    "CLOCK_REALTIME", "CLOCK_MONOTONIC", "CLOCK_PROCESS_CPUTIME_ID", "CLOCK_THREAD_CPUTIME_ID",
    "CLOCK_MONOTONIC_RAW", "CLOCK_REALTIME_COARSE", "CLOCK_MONOTONIC_COARSE", "CLOCK_BOOTTIME",
    "CLOCK_REALTIME_ALARM", "CLOCK_BOOTTIME_ALARM", "CLOCK_SGI_CYCLE", "CLOCK_TAI",
];
const FCNTL: &[(u64, &str)] = &[
    (0, "F_DUPFD"), (1, "F_GETFD"), (2, "F_SETFD"), (3, "F_GETFL"), (4, "F_SETFL"), (5, "F_GETLK"),
    (6, "F_SETLK"), (7, "F_SETLKW"), (1030, "F_DUPFD_CLOEXEC"), (36, "F_OFD_GETLK"), (37, "F_OFD_SETLK"),
    (38, "F_OFD_SETLKW"), (1024, "F_SETLEASE"), (1025, "F_GETLEASE"), (1031, "F_SETPIPE_SZ"), (1032, "F_GETPIPE_SZ"),
];
const IOCTLS: &[(u64, &str)] = &[
    (0x5401, "TCGETS"), (0x5402, "TCSETS"), (0x5403, "TCSETSW"), (0x5404, "TCSETSF"), (0x540f, "TIOCGPGRP"),
    (0x5410, "TIOCSPGRP"), (0x5413, "TIOCGWINSZ"), (0x5414, "TIOCSWINSZ"), (0x541b, "FIONREAD"), (0x5421, "FIONBIO"),
    (0x5450, "FIONCLEX"), (0x5451, "FIOCLEX"),
];

fn named(out: &mut String, v: u64, names: &[(u64, &str)]) {
    match names.iter().find(|(n, _)| *n == v) {
        Some((_, name)) => out.push_str(name),
        None => {
            let _ = write!(out, "{v:#x}");
        }
    }
}

/// Decodes one argument of value `v`; `args` gives the lengths that buffer kinds refer to.
fn arg(p: &Personality, out: &mut String, kind: Arg, v: u64, args: &[u64; 6], r: &LxResult) {
    match kind {
        Arg::Int => {
            let _ = write!(out, "{}", v as i64);
        }
        Arg::Fd => {
            let _ = write!(out, "{}", v as u32 as i32);
        }
        Arg::DirFd if v as u32 as i32 == -100 => out.push_str("AT_FDCWD"),
        Arg::DirFd => {
            let _ = write!(out, "{}", v as u32 as i32);
        }
        Arg::Len => {
            let _ = write!(out, "{v}");
        }
        Arg::Hex | Arg::Ptr | Arg::Iovec(_) if v == 0 => out.push_str("NULL"),
        Arg::Hex | Arg::Ptr | Arg::Iovec(_) => {
            let _ = write!(out, "{v:#x}");
        }
        Arg::Path => guest_string(p, out, v),
        Arg::BufIn(len) => {
            let n = (args[len as usize] as usize).min(SHOW + 1);
            match peek(p, v, n.min(args[len as usize] as usize)) {
                Some(b) => quote(out, &b, args[len as usize] as usize > SHOW),
                None => {
                    let _ = write!(out, "{v:#x}");
                }
            }
        }
        Arg::BufOut(_) => match r {
            Ok(n) => match peek(p, v, (*n as usize).min(SHOW)) {
                Some(b) => quote(out, &b, *n as usize > SHOW),
                None => {
                    let _ = write!(out, "{v:#x}");
                }
            },
            Err(_) => {
                let _ = write!(out, "{v:#x}");
            }
        },
        Arg::OpenFlags => {
            let acc = ["O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"][(v & 3) as usize];
            flag_names(out, v & !3, OPEN_FLAGS, Some(acc));
        }
        Arg::AtFlags => flag_names(out, v, AT_FLAGS, None),
        Arg::Mode if v as u32 == 0 => out.push('0'),
        Arg::Mode => {
            let _ = write!(out, "0{:o}", v as u32);
        }
        Arg::Whence => named(out, v, &[(0, "SEEK_SET"), (1, "SEEK_CUR"), (2, "SEEK_END"), (3, "SEEK_DATA"), (4, "SEEK_HOLE")]),
        Arg::Signal => match SIGNALS.get(v as usize) {
            Some(name) => out.push_str(name),
            None => {
                let _ = write!(out, "SIGRT_{}", v as i64 - 32);
            }
        },
        Arg::Clock => match CLOCKS.get(v as usize) {
            Some(name) => out.push_str(name),
            None => {
                let _ = write!(out, "{}", v as i64);
            }
        },
        Arg::FcntlCmd => named(out, v, FCNTL),
        Arg::IoctlReq => named(out, v, IOCTLS),
        Arg::Prot if v == 0 => out.push_str("PROT_NONE"),
        Arg::Prot => flag_names(out, v, PROT, None),
        Arg::MmapFlags => {
            let ty = v & mf::MAP_TYPE as u64;
            let mut names = Vec::new();
            names.extend(MMAP_FLAGS.iter().copied().filter(|(b, _)| {
                let is_type = *b & !(mf::MAP_TYPE as u64) == 0;
                !is_type || *b == ty
            }));
            flag_names(out, v, &names, None);
        }
    }
}

/// One trace line for a finished call.
pub fn format_call(p: &Personality, nr: u64, entry: Option<&Entry>, args: &[u64; 6], r: &LxResult, log: &TraceLog) -> String {
    let mut out = String::new();
    match entry {
        Some(e) => {
            out.push_str(e.name);
            out.push('(');
            for (i, kind) in e.args.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                arg(p, &mut out, *kind, args[i], args, r);
            }
            out.push(')');
        }
        None => {
            let _ = write!(out, "syscall_{nr}({:#x}, {:#x}, {:#x})", args[0], args[1], args[2]);
        }
    }
    match r {
        Ok(_) if entry.is_some_and(|e| e.ret == Ret::None) => {
            out.push_str(" = ?");
            return out;
        }
        Ok(v) => match entry.map(|e| e.ret) {
            Some(Ret::Hex) => {
                let _ = write!(out, " = {v:#x}");
            }
            _ => {
                let _ = write!(out, " = {}", *v as i64);
            }
        },
        Err(e) => {
            let _ = write!(out, " = -1 {} ({})", e.name().unwrap_or("E?"), crate::xlat::errno::message(*e));
        }
    }
    if log.calls.is_empty() {
        out.push_str("   [layer]");
    } else {
        out.push_str("   [netbsd: ");
        out.push_str(&log.calls.join("; "));
        out.push(']');
    }
    out
}

