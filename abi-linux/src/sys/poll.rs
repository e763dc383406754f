//! Readiness: poll, ppoll, select, pselect6, all on NetBSD's pollts.
//!
//! pollfds are copied and their events translated ([`xlat::poll`]); select's fd_sets become a
//! pollfd list and back with Linux's POLLIN_SET/POLLOUT_SET/POLLEX_SET rules. ppoll and pselect6
//! swap the thread's signal mask for the wait the way sigsuspend does (restored on the way out
//! unless a handler frame carries it), and every call with a timeout writes back the time left,
//! as Linux's do.

use alloc::vec::Vec;

use abi_netbsd::{nr as nb, structs as nbs};
use syscalls::Sysno;

use crate::consts::poll_events as lp;
use crate::dispatch::Ctx;
use crate::errno::{EBADF, EINTR, EINVAL};
use crate::structs::{Timespec, Timeval};
use crate::sys::signal::{SIGKILL, SIGSTOP};
use crate::table::{entry, Arg, Entry, Family::Events, Ret, Route, Support};
use crate::xlat;
use super::time::{from_nanos, nanos};
use crate::{Errno, LxResult};

const E: crate::table::Family = Events;
use Arg::*;

macro_rules! tr {
    ($h:expr, $($n:ident),*) => { Route::Translated($h, &[$(nb::$n),*]) };
}

const POLL_NOTE: &str = "POLLMSG is never reported (NetBSD has no twin); POLLRDHUP travels as a backend extension bit (NetBSD's rump kernel never reports it); regular files and in-memory objects are always ready";

pub const ENTRIES: &[Entry] = &[
    entry(Sysno::poll as u32, "poll", E, &[Ptr, Int, Int], Ret::Int, tr!(poll, SYS___pollts50), Support::Partial(POLL_NOTE)),
    entry(Sysno::ppoll as u32, "ppoll", E, &[Ptr, Int, Ptr, Ptr, Len], Ret::Int, tr!(ppoll, SYS___pollts50, SYS___clock_gettime50), Support::Partial(POLL_NOTE)),
    entry(Sysno::select as u32, "select", E, &[Int, Ptr, Ptr, Ptr, Ptr], Ret::Int, tr!(select, SYS___pollts50, SYS___clock_gettime50), Support::Full),
    entry(Sysno::pselect6 as u32, "pselect6", E, &[Int, Ptr, Ptr, Ptr, Ptr, Ptr], Ret::Int, tr!(pselect6, SYS___pollts50, SYS___clock_gettime50), Support::Full),
];

/// `struct pollfd`, the same on both sides.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
struct Pollfd {
    fd: i32,
    events: u16,
    revents: u16,
}
const _: () = assert!(core::mem::size_of::<Pollfd>() == 8);

/// More pollfds than any descriptor table holds (Linux answers EINVAL past RLIMIT_NOFILE).
const NFDS_MAX: u64 = 1 << 20;

/// Polls `fds` (Linux events in, Linux revents out) for up to `timeout` (None: forever).
/// Answers how many have revents.
fn poll_fds(ctx: &mut Ctx, fds: &mut [Pollfd], timeout: Option<nbs::Timespec>) -> Result<u64, Errno> {
    let mut nfds: Vec<Pollfd> =
        fds.iter().map(|p| Pollfd { fd: p.fd, events: xlat::poll::events_to_netbsd(p.events), revents: 0 }).collect();
    let n = waiting(ctx, timeout, |ctx, tp| ctx.nb_raw(nb::SYS___pollts50, [nfds.as_mut_ptr() as u64, nfds.len() as u64, tp, 0, 0, 0]))
        .map_err(xlat::errno::from_netbsd)?[0];
    for (p, q) in fds.iter_mut().zip(&nfds) {
        p.revents = xlat::poll::revents_to_linux(q.revents, p.events);
    }
    Ok(n)
}

/// Runs a kernel wait `f` with a NetBSD timespec pointer (0: forever) for `timeout`. An EINTR
/// that no guest signal explains (a signal the thread blocks, a wake-up between threads, one for
/// a signalfd) does not end the wait: it goes on with the time left, as on Linux.
pub(crate) fn waiting<T>(
    ctx: &mut Ctx,
    timeout: Option<nbs::Timespec>,
    mut f: impl FnMut(&mut Ctx, u64) -> Result<T, abi_netbsd::Errno>,
) -> Result<T, abi_netbsd::Errno> {
    // A wait with a time limit measures from its start (not needed for a zero one).
    let start = timeout.filter(|t| t.tv_sec != 0 || t.tv_nsec != 0).map(|_| now(ctx));
    let mut ts = timeout.unwrap_or_default();
    loop {
        let tp = if timeout.is_some() { &ts as *const _ as u64 } else { 0 };
        match f(ctx, tp) {
            Err(e) if e == abi_netbsd::errno::EINTR && ctx.spurious_eintr() => {
                if let (Some(s), Some(t)) = (start, timeout) {
                    ts = left(ctx, &s, &t);
                }
            }
            r => return r,
        }
    }
}

fn now(ctx: &mut Ctx) -> nbs::Timespec {
    super::time::monotonic(ctx).unwrap_or_default()
}

/// What is left of `timeout` after the wait that began at `start`.
fn left(ctx: &mut Ctx, start: &nbs::Timespec, timeout: &nbs::Timespec) -> nbs::Timespec {
    let end = now(ctx);
    from_nanos(nanos(timeout) - (nanos(&end) - nanos(start)))
}

/// Sets the signal mask for the wait (ppoll, pselect6), as sigsuspend does; EINTR at once if a
/// signal it lets through is pending.
pub(crate) fn wait_mask(ctx: &mut Ctx, mask_at: u64, size: u64) -> Result<(), Errno> {
    if mask_at == 0 {
        return Ok(());
    }
    if size != 8 {
        return Err(EINVAL);
    }
    let mask: u64 = ctx.read_struct(mask_at)?;
    let unblockable = (1u64 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1));
    let p = ctx.p;
    ctx.thread.saved_sigmask = Some(ctx.thread.sigmask);
    ctx.thread.sigmask = mask & !unblockable;
    p.publish_mask(ctx.thread.tid, ctx.thread.sigmask);
    p.take_host_signals(ctx.thread);
    if p.deliverable(ctx.thread).is_some() {
        return Err(EINTR);
    }
    Ok(())
}

fn read_pollfds(ctx: &Ctx, at: u64, n: u64) -> Result<Vec<Pollfd>, Errno> {
    if n > NFDS_MAX {
        return Err(EINVAL);
    }
    (0..n).map(|i| ctx.read_struct::<Pollfd>(at + 8 * i)).collect()
}

fn write_revents(ctx: &Ctx, at: u64, fds: &[Pollfd]) -> Result<(), Errno> {
    for (i, p) in fds.iter().enumerate() {
        ctx.write_struct(at + 8 * i as u64 + 6, &p.revents)?;
    }
    Ok(())
}

fn poll(ctx: &mut Ctx) -> LxResult {
    let (at, n, ms) = (ctx.args[0], ctx.args[1] as u32 as u64, ctx.int(2));
    let mut fds = read_pollfds(ctx, at, n)?;
    let timeout = (ms >= 0).then(|| nbs::Timespec { tv_sec: ms as i64 / 1000, tv_nsec: (ms as i64 % 1000) * 1_000_000 });
    let r = poll_fds(ctx, &mut fds, timeout)?;
    write_revents(ctx, at, &fds)?;
    Ok(r)
}

/// A Linux timespec timeout (None: NULL, wait forever); EINVAL when out of range.
pub(crate) fn read_timespec(ctx: &Ctx, at: u64) -> Result<Option<nbs::Timespec>, Errno> {
    if at == 0 {
        return Ok(None);
    }
    let t: Timespec = ctx.read_struct(at)?;
    if t.tv_sec < 0 || !(0..1_000_000_000).contains(&t.tv_nsec) {
        return Err(EINVAL);
    }
    Ok(Some(nbs::Timespec { tv_sec: t.tv_sec, tv_nsec: t.tv_nsec }))
}

fn ppoll(ctx: &mut Ctx) -> LxResult {
    let (at, n, ts_at) = (ctx.args[0], ctx.args[1] as u32 as u64, ctx.args[2]);
    let mut fds = read_pollfds(ctx, at, n)?;
    let timeout = read_timespec(ctx, ts_at)?;
    wait_mask(ctx, ctx.args[3], ctx.args[4])?;
    let start = now(ctx);
    let r = poll_fds(ctx, &mut fds, timeout);
    if let Some(t) = timeout {
        let rest = left(ctx, &start, &t);
        ctx.write_struct(ts_at, &Timespec { tv_sec: rest.tv_sec, tv_nsec: rest.tv_nsec })?;
    }
    let r = r?;
    write_revents(ctx, at, &fds)?;
    Ok(r)
}

// select's event sets, as Linux's fs/select.c defines them.
const POLLIN_SET: u16 = (lp::POLLRDNORM | lp::POLLRDBAND | lp::POLLIN | lp::POLLHUP | lp::POLLERR) as u16;
const POLLOUT_SET: u16 = (lp::POLLWRBAND | lp::POLLWRNORM | lp::POLLOUT | lp::POLLERR) as u16;
const POLLEX_SET: u16 = lp::POLLPRI as u16;

/// The descriptors of `nfds` up to which select looks (Linux caps it at the table size).
const SELECT_MAX: i32 = 1 << 20;

/// select and pselect6 on poll: the three fd_sets (bit arrays of u64) in, the ready ones out.
fn select_fds(ctx: &mut Ctx, timeout: Option<nbs::Timespec>) -> LxResult {
    let nfds = ctx.int(0);
    if nfds < 0 {
        return Err(EINVAL);
    }
    let nfds = nfds.min(SELECT_MAX) as usize;
    let words = nfds.div_ceil(64);
    let mut sets: [Vec<u64>; 3] = Default::default();
    for (k, set) in sets.iter_mut().enumerate() {
        let at = ctx.args[1 + k];
        *set = if at == 0 { alloc::vec![0; words] } else { (0..words).map(|i| ctx.read_struct::<u64>(at + 8 * i as u64)).collect::<Result<_, _>>()? };
    }
    let bit = |set: &Vec<u64>, fd: usize| set[fd / 64] >> (fd % 64) & 1 != 0;
    let mut fds = Vec::new();
    for fd in 0..nfds {
        let mut ev = 0;
        if bit(&sets[0], fd) {
            ev |= POLLIN_SET;
        }
        if bit(&sets[1], fd) {
            ev |= POLLOUT_SET;
        }
        if bit(&sets[2], fd) {
            ev |= POLLEX_SET;
        }
        if ev != 0 {
            fds.push(Pollfd { fd: fd as i32, events: ev, revents: 0 });
        }
    }
    poll_fds(ctx, &mut fds, timeout)?;
    let mut out: [Vec<u64>; 3] = [alloc::vec![0; words], alloc::vec![0; words], alloc::vec![0; words]];
    let mut count = 0;
    for p in &fds {
        if p.revents & lp::POLLNVAL as u16 != 0 {
            return Err(EBADF);
        }
        let fd = p.fd as usize;
        for (k, want) in [POLLIN_SET, POLLOUT_SET, POLLEX_SET].into_iter().enumerate() {
            if bit(&sets[k], fd) && p.revents & want != 0 {
                out[k][fd / 64] |= 1 << (fd % 64);
                count += 1;
            }
        }
    }
    for (k, set) in out.iter().enumerate() {
        let at = ctx.args[1 + k];
        if at != 0 {
            for (i, w) in set.iter().enumerate() {
                ctx.write_struct(at + 8 * i as u64, w)?;
            }
        }
    }
    Ok(count)
}

fn select(ctx: &mut Ctx) -> LxResult {
    let tv_at = ctx.args[4];
    let timeout = if tv_at == 0 {
        None
    } else {
        let t: Timeval = ctx.read_struct(tv_at)?;
        if t.tv_sec < 0 || !(0..1_000_000).contains(&t.tv_usec) {
            return Err(EINVAL);
        }
        Some(nbs::Timespec { tv_sec: t.tv_sec, tv_nsec: t.tv_usec * 1000 })
    };
    let start = now(ctx);
    let r = select_fds(ctx, timeout);
    if let Some(t) = timeout {
        let rest = left(ctx, &start, &t);
        ctx.write_struct(tv_at, &Timeval { tv_sec: rest.tv_sec, tv_usec: rest.tv_nsec / 1000 })?;
    }
    r
}

fn pselect6(ctx: &mut Ctx) -> LxResult {
    let ts_at = ctx.args[4];
    let timeout = read_timespec(ctx, ts_at)?;
    // The sixth argument points at { const sigset_t *ss; size_t ss_len; }.
    if ctx.args[5] != 0 {
        let (mask_at, size): (u64, u64) = ctx.read_struct(ctx.args[5])?;
        wait_mask(ctx, mask_at, size)?;
    }
    let start = now(ctx);
    let r = select_fds(ctx, timeout);
    if let Some(t) = timeout {
        let rest = left(ctx, &start, &t);
        ctx.write_struct(ts_at, &Timespec { tv_sec: rest.tv_sec, tv_nsec: rest.tv_nsec })?;
    }
    r
}
