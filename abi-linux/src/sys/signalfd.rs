//! signalfd and signalfd4. The signals are the personality's (pending sets in `dispatch.rs`), the
//! descriptor is the kernel's: the backend's signalfd extension ([`rumpkernel_bridge::ext_events`])
//! keeps it in the descriptor table with its mask, so dup, fork, exec, close and fcntl treat it as
//! any other, and makes it readable for poll and kqueue (epoll) while the personality says a
//! signal of the mask is pending ([`crate::dispatch::Personality::sync_signalfds`]). A read of it
//! comes back from the kernel as "served above" ([`LAYER`]) and is served here: pending signals
//! in the mask are taken as sigtimedwait takes them and written out as `signalfd_siginfo`s.

use alloc::vec::Vec;

use rumpkernel_bridge::ext_events as ext;
use syscalls::Sysno;

use abi_netbsd::{consts as nbc, nr as nb, structs as nbs};
use crate::consts::open_flags as lo;
use crate::dispatch::Ctx;
use crate::errno::{EAGAIN, EFAULT, EINTR, EINVAL};
use crate::platform::Access;
use crate::sys::sigframe::Siginfo;
use crate::table::{entry, Arg, Entry, Family::Events, Ret, Route, Support};
use crate::{Errno, LxResult};

const E: crate::table::Family = Events;
use Arg::*;

const NOTE: &str = "on the backend's signalfd extension (no NetBSD has signalfd; NetBSD's rump kernel answers ENOSYS); read serves the caller's pending signals as on Linux, but poll/epoll readiness counts the signals directed at the thread of the process that made a syscall last, not at the polling thread; it cannot be passed with SCM_RIGHTS (EOPNOTSUPP)";

pub const ENTRIES: &[Entry] = &[
    entry(Sysno::signalfd as u32, "signalfd", E, &[Fd, Ptr, Len], Ret::Fd, Route::Translated(signalfd, &[]), Support::Partial(NOTE)),
    entry(Sysno::signalfd4 as u32, "signalfd4", E, &[Fd, Ptr, Len, Hex], Ret::Fd, Route::Translated(signalfd4, &[]), Support::Partial(NOTE)),
];

/// The kernel's "served above" ([`ext::ELAYER`]) as [`Ctx::nb`] hands it on: never shown to the
/// guest ([`serve`] takes it).
pub const LAYER: Errno = Errno(-0x5258);

const SIGKILL_STOP: u64 = (1 << (9 - 1)) | (1 << (19 - 1));

/// `struct signalfd_siginfo`.
const SSI_SIZE: usize = 128;

fn signalfd(ctx: &mut Ctx) -> LxResult {
    make(ctx, 0)
}

fn signalfd4(ctx: &mut Ctx) -> LxResult {
    make(ctx, ctx.args[3] as u32)
}

/// Linux's do_signalfd4: fd -1 makes one, another fd gets a new mask.
fn make(ctx: &mut Ctx, flags: u32) -> LxResult {
    let fd = ctx.int(0);
    if flags & !(lo::O_CLOEXEC | lo::O_NONBLOCK) != 0 || ctx.args[2] != 8 {
        return Err(EINVAL);
    }
    let mask = ctx.read_struct::<u64>(ctx.args[1])? & !SIGKILL_STOP;
    let p = ctx.p;
    let pending = p.visible_pending(ctx.thread);
    let r = if fd == -1 {
        p.signalfds.store(true, core::sync::atomic::Ordering::Relaxed);
        ctx.nb(ext::SYS_EXT_signalfd, [mask, super::eventfd::fd_flags(flags) as u64, pending, 0, 0, 0])?[0]
    } else {
        ctx.nb(ext::SYS_EXT_signalfd_setmask, [fd as i64 as u64, mask, pending, 0, 0, 0])?;
        fd as u64
    };
    p.sync_signalfds(ctx.thread);
    Ok(r)
}

/// Serves a call the kernel answered with [`LAYER`]: read and readv of a signalfd.
pub fn serve(ctx: &mut Ctx, nr: u32) -> LxResult {
    // The arguments as the guest passed them (the pass-through may have cut the length).
    let orig = ctx.regs.syscall_args();
    let fd = ctx.int(0) as i64 as u64;
    if nr == Sysno::read as u32 {
        if orig[2] < SSI_SIZE as u64 {
            return Err(EINVAL);
        }
        // What the guest can take: the writable part of its buffer, in whole records.
        let room = ctx.args[2] as usize / SSI_SIZE;
        if room == 0 {
            return Err(EFAULT);
        }
        let out = take(ctx, fd, room)?;
        let buf = ctx.guest_bytes_mut(ctx.args[1], out.len())?;
        buf.copy_from_slice(&out);
        return Ok(out.len() as u64);
    }
    if nr == Sysno::readv as u32 {
        let iov = super::file::iovecs(ctx, ctx.args[1], ctx.int(2), Access::Write)?;
        let total: u64 = iov.iter().map(|v| v.iov_len).sum();
        if total < SSI_SIZE as u64 {
            return Err(EINVAL);
        }
        let out = take(ctx, fd, total as usize / SSI_SIZE)?;
        scatter(ctx, &iov, &out)?;
        return Ok(out.len() as u64);
    }
    Err(EINVAL)
}

fn scatter(ctx: &Ctx, iov: &[nbs::Iovec], mut data: &[u8]) -> Result<(), Errno> {
    for v in iov {
        if data.is_empty() {
            break;
        }
        let n = (v.iov_len as usize).min(data.len());
        ctx.guest_bytes_mut(v.iov_base, n)?.copy_from_slice(&data[..n]);
        data = &data[n..];
    }
    Ok(())
}

/// Takes up to `room` pending signals of the descriptor's mask (at least one: waits for it unless
/// the descriptor is non-blocking), as `signalfd_siginfo` records.
fn take(ctx: &mut Ctx, fd: u64, room: usize) -> Result<Vec<u8>, Errno> {
    let mask = ctx.nb(ext::SYS_EXT_signalfd_getmask, [fd, 0, 0, 0, 0, 0])?[0];
    let fl = ctx.nb(nb::SYS_fcntl, [fd, nbc::fcntl_cmd::F_GETFL as u64, 0, 0, 0, 0])?[0] as u32;
    let nonblock = fl & nbc::open_flags::O_NONBLOCK != 0;
    let p = ctx.p;
    loop {
        p.take_host_signals(ctx.thread);
        let mut out = Vec::new();
        while out.len() < room * SSI_SIZE {
            let Some((_, info)) = p.take_pending(ctx.thread, mask) else { break };
            out.extend_from_slice(&ssi_of(&info));
        }
        if !out.is_empty() {
            return Ok(out);
        }
        if nonblock {
            return Err(EAGAIN);
        }
        // A signal the thread takes ends the wait (restarted after it with SA_RESTART).
        if p.deliverable(ctx.thread).is_some() {
            return Err(EINTR);
        }
        p.platform.wait_for_signal(None);
    }
}

/// Which union member a siginfo carries (Linux's siginfo_layout, x86_64).
#[derive(Debug, PartialEq, Eq)]
enum Layout {
    Kill,
    Timer,
    Poll,
    Fault,
    Chld,
    Rt,
    Sys,
}

fn layout(sig: i32, code: i32) -> Layout {
    const SI_USER: i32 = 0;
    const SI_KERNEL: i32 = 0x80;
    const SI_TIMER: i32 = -2;
    const SI_SIGIO: i32 = -5;
    if code > SI_USER && code < SI_KERNEL {
        // (signal, highest code of its own, layout): SIGILL, SIGTRAP, SIGBUS, SIGFPE, SIGSEGV,
        // SIGCHLD, SIGPOLL, SIGSYS.
        const SPECIFIC: &[(i32, i32, Layout)] = &[
            (4, 11, Layout::Fault),
            (5, 6, Layout::Fault),
            (7, 5, Layout::Fault),
            (8, 15, Layout::Fault),
            (11, 10, Layout::Fault),
            (17, 6, Layout::Chld),
            (29, 6, Layout::Poll),
            (31, 2, Layout::Sys),
        ];
        match SPECIFIC.iter().find(|(s, limit, _)| *s == sig && code <= *limit) {
            Some((_, _, Layout::Fault)) => Layout::Fault,
            Some((_, _, Layout::Chld)) => Layout::Chld,
            Some((_, _, Layout::Sys)) => Layout::Sys,
            Some(_) => Layout::Poll,
            None if code <= 6 => Layout::Poll,
            None => Layout::Kill,
        }
    } else if code == SI_TIMER {
        Layout::Timer
    } else if code == SI_SIGIO {
        Layout::Poll
    } else if code < 0 {
        Layout::Rt
    } else {
        Layout::Kill
    }
}

/// A siginfo as Linux's signalfd_copyinfo writes it.
fn ssi_of(info: &Siginfo) -> [u8; SSI_SIZE] {
    let mut s = [0u8; SSI_SIZE];
    let mut put = |off: usize, bytes: &[u8]| s[off..off + bytes.len()].copy_from_slice(bytes);
    // The union, as bytes from siginfo offset 16.
    let f = |i: usize| info.fields[i];
    let lo32 = |v: u64| (v as u32).to_ne_bytes();
    let hi32 = |v: u64| ((v >> 32) as u32).to_ne_bytes();
    put(0, &info.signo.to_ne_bytes());
    put(4, &info.errno.to_ne_bytes());
    put(8, &info.code.to_ne_bytes());
    match layout(info.signo, info.code) {
        Layout::Kill => {
            put(12, &lo32(f(0))); // ssi_pid
            put(16, &hi32(f(0))); // ssi_uid
        }
        Layout::Timer => {
            put(24, &lo32(f(0))); // ssi_tid
            put(32, &hi32(f(0))); // ssi_overrun
            put(48, &f(1).to_ne_bytes()); // ssi_ptr
            put(44, &lo32(f(1))); // ssi_int
        }
        Layout::Poll => {
            put(28, &lo32(f(0))); // ssi_band
            put(20, &lo32(f(1))); // ssi_fd
        }
        Layout::Fault => put(72, &f(0).to_ne_bytes()), // ssi_addr
        Layout::Chld => {
            put(12, &lo32(f(0)));
            put(16, &hi32(f(0)));
            put(40, &lo32(f(1))); // ssi_status
            put(56, &f(2).to_ne_bytes()); // ssi_utime
            put(64, &f(3).to_ne_bytes()); // ssi_stime
        }
        Layout::Rt => {
            put(12, &lo32(f(0)));
            put(16, &hi32(f(0)));
            put(48, &f(1).to_ne_bytes());
            put(44, &lo32(f(1)));
        }
        Layout::Sys => {
            put(88, &f(0).to_ne_bytes()); // ssi_call_addr
            put(84, &lo32(f(1))); // ssi_syscall
            put(96, &hi32(f(1))); // ssi_arch
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u32_at(s: &[u8], off: usize) -> u32 {
        u32::from_ne_bytes(s[off..off + 4].try_into().unwrap())
    }

    #[test]
    fn layouts_follow_linux() {
        assert_eq!(layout(10, 0), Layout::Kill);
        assert_eq!(layout(10, -6), Layout::Rt); // SI_TKILL
        assert_eq!(layout(10, -1), Layout::Rt); // SI_QUEUE
        assert_eq!(layout(14, -2), Layout::Timer);
        assert_eq!(layout(17, 1), Layout::Chld);
        assert_eq!(layout(11, 1), Layout::Fault);
        assert_eq!(layout(10, 0x80), Layout::Kill);
        assert_eq!(layout(29, 1), Layout::Poll);
        assert_eq!(layout(31, 1), Layout::Sys);
    }

    #[test]
    fn sigqueue_value_and_sender() {
        let mut i = Siginfo::from_process(10, -1, 1234, 1000);
        i.fields[1] = 0xdead_beef_0000_002a;
        let s = ssi_of(&i);
        assert_eq!(u32_at(&s, 0), 10);
        assert_eq!(u32_at(&s, 8) as i32, -1);
        assert_eq!(u32_at(&s, 12), 1234);
        assert_eq!(u32_at(&s, 16), 1000);
        assert_eq!(u32_at(&s, 44), 42);
        assert_eq!(u64::from_ne_bytes(s[48..56].try_into().unwrap()), 0xdead_beef_0000_002a);
    }
}
