//! epoll on the kernel's kqueue (NetBSD has no epoll; compat_linux builds it the same way).
//!
//! An epoll instance is a kqueue. A watched descriptor is two knotes, EVFILT_READ and
//! EVFILT_WRITE, both always present (the one not asked for disabled) and carrying the guest's
//! epoll_data as udata: EPOLLET is EV_CLEAR, EPOLLONESHOT is EV_DISPATCH (disabled after it fires,
//! re-armed by EPOLL_CTL_MOD). EPOLL_CTL_ADD's EEXIST and MOD/DEL's ENOENT come from probing the
//! READ knote with a change that does nothing. epoll_wait merges the READ and WRITE kevents of a
//! descriptor into one epoll_event.

use alloc::vec::Vec;

use abi_netbsd::{consts as nbc, nr as nb};
use syscalls::Sysno;

use crate::consts::open_flags as lo;
use crate::dispatch::Ctx;
use crate::errno::{EEXIST, EINVAL, ENOENT, EPERM};
use crate::table::{entry, Arg, Entry, Family::Events, Ret, Route, Support};
use crate::LxResult;

const E: crate::table::Family = Events;
use Arg::*;

macro_rules! tr {
    ($h:expr, $($n:ident),*) => { Route::Translated($h, &[$(nb::$n),*]) };
}

const NOTE: &str = "level- and edge-triggered and EPOLLONESHOT; EPOLLRDHUP is reported with every read-side end of file, asked for or not, and EPOLLIN with every hang-up (Linux leaves it out when nothing is left to read); EPOLLERR only reaches registrations that ask for EPOLLOUT; EPOLLEXCLUSIVE is accepted and wakes every waiter; regular files and directories give EPERM as on Linux";

pub const ENTRIES: &[Entry] = &[
    entry(Sysno::epoll_create as u32, "epoll_create", E, &[Int], Ret::Fd, tr!(epoll_create, SYS_kqueue1), Support::Full),
    entry(Sysno::epoll_create1 as u32, "epoll_create1", E, &[Hex], Ret::Fd, tr!(epoll_create1, SYS_kqueue1), Support::Full),
    entry(Sysno::epoll_ctl as u32, "epoll_ctl", E, &[Fd, Int, Fd, Ptr], Ret::Int, tr!(epoll_ctl, SYS___kevent50, SYS___fstat50), Support::Partial(NOTE)),
    entry(Sysno::epoll_wait as u32, "epoll_wait", E, &[Fd, Ptr, Int, Int], Ret::Int, tr!(epoll_wait, SYS___kevent50), Support::Partial(NOTE)),
    entry(Sysno::epoll_pwait as u32, "epoll_pwait", E, &[Fd, Ptr, Int, Int, Ptr, Len], Ret::Int, tr!(epoll_pwait, SYS___kevent50), Support::Partial(NOTE)),
    entry(Sysno::epoll_pwait2 as u32, "epoll_pwait2", E, &[Fd, Ptr, Int, Ptr, Ptr, Len], Ret::Int, tr!(epoll_pwait2, SYS___kevent50), Support::Partial(NOTE)),
];

// Linux <sys/epoll.h>.
const EPOLLIN: u32 = 0x1;
const EPOLLPRI: u32 = 0x2;
const EPOLLOUT: u32 = 0x4;
const EPOLLERR: u32 = 0x8;
const EPOLLHUP: u32 = 0x10;
const EPOLLRDNORM: u32 = 0x40;
const EPOLLRDBAND: u32 = 0x80;
const EPOLLWRNORM: u32 = 0x100;
const EPOLLWRBAND: u32 = 0x200;
const EPOLLRDHUP: u32 = 0x2000;
const EPOLLEXCLUSIVE: u32 = 1 << 28;
const EPOLLONESHOT: u32 = 1 << 30;
const EPOLLET: u32 = 1 << 31;
const EPOLL_CLOEXEC: u32 = lo::O_CLOEXEC;
const EPOLL_CTL_ADD: i32 = 1;
const EPOLL_CTL_DEL: i32 = 2;
const EPOLL_CTL_MOD: i32 = 3;

/// Linux `struct epoll_event`: packed on x86_64.
#[repr(C, packed)]
#[derive(Clone, Copy, Default)]
struct EpollEvent {
    events: u32,
    data: u64,
}
const _: () = assert!(core::mem::size_of::<EpollEvent>() == 12);

/// NetBSD `struct kevent`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
struct Kevent {
    ident: u64,
    filter: u32,
    flags: u32,
    fflags: u32,
    _pad: u32,
    data: i64,
    udata: u64,
}
const _: () = assert!(core::mem::size_of::<Kevent>() == 40);

use nbc::kqueue_filter::{EVFILT_READ, EVFILT_WRITE};
use nbc::kqueue_flags::{EV_ADD, EV_CLEAR, EV_DELETE, EV_DISABLE, EV_DISPATCH, EV_ENABLE, EV_EOF};

fn create(ctx: &mut Ctx, cloexec: bool) -> LxResult {
    let f = if cloexec { nbc::open_flags::O_CLOEXEC } else { 0 };
    Ok(ctx.nb(nb::SYS_kqueue1, [f as u64, 0, 0, 0, 0, 0])?[0])
}

fn epoll_create(ctx: &mut Ctx) -> LxResult {
    if ctx.int(0) <= 0 {
        return Err(EINVAL);
    }
    create(ctx, false)
}

fn epoll_create1(ctx: &mut Ctx) -> LxResult {
    let f = ctx.args[0] as u32;
    if f & !EPOLL_CLOEXEC != 0 {
        return Err(EINVAL);
    }
    create(ctx, f & EPOLL_CLOEXEC != 0)
}

/// kevent with a change list only.
fn change(ctx: &mut Ctx, epfd: u64, changes: &[Kevent]) -> Result<(), abi_netbsd::Errno> {
    ctx.nb_raw(nb::SYS___kevent50, [epfd, changes.as_ptr() as u64, changes.len() as u64, 0, 0, 0]).map(|_| ())
}

fn epoll_ctl(ctx: &mut Ctx) -> LxResult {
    let (epfd, op, fd, ev_at) = (ctx.int(0), ctx.int(1), ctx.int(2), ctx.args[3]);
    let ev: EpollEvent = if op == EPOLL_CTL_DEL { EpollEvent::default() } else { ctx.read_struct(ev_at)? };
    // Linux: both descriptors must exist, the target must support poll (not a file or a
    // directory), and an instance cannot watch itself.
    let st = super::file::nb_fstat(ctx, fd as i64 as u64)?;
    super::file::nb_fstat(ctx, epfd as i64 as u64)?;
    if epfd == fd {
        return Err(EINVAL);
    }
    use nbc::stat_mode::*;
    if matches!(st.st_mode & S_IFMT, S_IFREG | S_IFDIR) {
        return Err(EPERM);
    }
    let (epfd, ident) = (epfd as i64 as u64, fd as i64 as u64);
    let probe = Kevent { ident, filter: EVFILT_READ, ..Default::default() };
    let exists = match change(ctx, epfd, &[probe]) {
        Ok(()) => true,
        Err(e) if e == abi_netbsd::errno::ENOENT => false,
        // A descriptor that is not an epoll instance.
        Err(e) if e == abi_netbsd::errno::EBADF => return Err(EINVAL),
        Err(e) => return Err(crate::xlat::errno::from_netbsd(e)),
    };
    let knotes = |base: u32| {
        let common = if ev.events & EPOLLET != 0 { EV_CLEAR } else { 0 } | if ev.events & EPOLLONESHOT != 0 { EV_DISPATCH } else { 0 };
        let on = |want: u32| if ev.events & want != 0 { EV_ENABLE } else { EV_DISABLE };
        [
            Kevent { ident, filter: EVFILT_READ, flags: base | common | on(EPOLLIN | EPOLLPRI | EPOLLRDNORM | EPOLLRDBAND | EPOLLRDHUP), udata: ev.data, ..Default::default() },
            Kevent { ident, filter: EVFILT_WRITE, flags: base | common | on(EPOLLOUT | EPOLLWRNORM | EPOLLWRBAND), udata: ev.data, ..Default::default() },
        ]
    };
    let changes = match op {
        EPOLL_CTL_ADD if exists => return Err(EEXIST),
        EPOLL_CTL_ADD => knotes(EV_ADD),
        EPOLL_CTL_MOD if !exists => return Err(ENOENT),
        EPOLL_CTL_MOD if ev.events & EPOLLEXCLUSIVE != 0 => return Err(EINVAL),
        EPOLL_CTL_MOD => knotes(EV_ADD),
        EPOLL_CTL_DEL if !exists => return Err(ENOENT),
        EPOLL_CTL_DEL => [EVFILT_READ, EVFILT_WRITE].map(|filter| Kevent { ident, filter, flags: EV_DELETE, ..Default::default() }),
        _ => return Err(EINVAL),
    };
    change(ctx, epfd, &changes).map_err(crate::xlat::errno::from_netbsd)?;
    Ok(0)
}

/// One descriptor's epoll events from one kevent.
fn events_of(k: &Kevent) -> u32 {
    if k.filter == EVFILT_READ {
        // The backend marks a hang-up (both directions gone) in fflags.
        EPOLLIN | if k.flags & EV_EOF != 0 { EPOLLRDHUP } else { 0 } | if k.fflags != 0 { EPOLLHUP } else { 0 }
    } else {
        EPOLLOUT | if k.flags & EV_EOF != 0 { EPOLLHUP } else { 0 } | if k.fflags != 0 { EPOLLERR } else { 0 }
    }
}

/// Waits on the kqueue and gives the guest up to `max` epoll_events.
fn wait(ctx: &mut Ctx, timeout: Option<abi_netbsd::structs::Timespec>) -> LxResult {
    let (epfd, at, max) = (ctx.int(0) as i64 as u64, ctx.args[1], ctx.int(2));
    if max <= 0 || max as usize > i32::MAX as usize / 12 {
        return Err(EINVAL);
    }
    // Linux checks the buffer only as it copies events out (a bad one with nothing ready is 0).
    let mut kev = alloc::vec![Kevent::default(); max as usize];
    let n = match super::poll::waiting(ctx, timeout, |ctx, tp| ctx.nb_raw(nb::SYS___kevent50, [epfd, 0, 0, kev.as_mut_ptr() as u64, kev.len() as u64, tp])) {
        Ok(r) => r[0] as usize,
        Err(e) if e == abi_netbsd::errno::EBADF => {
            // Linux: EBADF for no descriptor, EINVAL for one that is not an epoll instance.
            super::file::nb_fstat(ctx, epfd)?;
            return Err(EINVAL);
        }
        Err(e) => return Err(crate::xlat::errno::from_netbsd(e)),
    };
    let mut out: Vec<(u64, EpollEvent)> = Vec::with_capacity(n);
    let mut oneshot = Vec::new();
    for k in &kev[..n] {
        if k.flags & EV_DISPATCH != 0 {
            oneshot.push(k.ident);
        }
        match out.iter_mut().find(|(i, _)| *i == k.ident) {
            Some((_, e)) => e.events |= events_of(k),
            None => out.push((k.ident, EpollEvent { events: events_of(k), data: k.udata })),
        }
    }
    // EPOLLONESHOT disarms the whole registration, not only the side that fired.
    for ident in oneshot {
        let off = [EVFILT_READ, EVFILT_WRITE].map(|filter| Kevent { ident, filter, flags: EV_DISABLE, ..Default::default() });
        let _ = change(ctx, epfd, &off);
    }
    for (i, (_, e)) in out.iter().enumerate() {
        ctx.write_struct(at + 12 * i as u64, e)?;
    }
    Ok(out.len() as u64)
}

fn ms_timeout(ms: i32) -> Option<abi_netbsd::structs::Timespec> {
    (ms >= 0).then(|| abi_netbsd::structs::Timespec { tv_sec: ms as i64 / 1000, tv_nsec: (ms as i64 % 1000) * 1_000_000 })
}

fn epoll_wait(ctx: &mut Ctx) -> LxResult {
    wait(ctx, ms_timeout(ctx.int(3)))
}

fn epoll_pwait(ctx: &mut Ctx) -> LxResult {
    super::poll::wait_mask(ctx, ctx.args[4], ctx.args[5])?;
    wait(ctx, ms_timeout(ctx.int(3)))
}

fn epoll_pwait2(ctx: &mut Ctx) -> LxResult {
    let timeout = super::poll::read_timespec(ctx, ctx.args[3])?;
    super::poll::wait_mask(ctx, ctx.args[4], ctx.args[5])?;
    wait(ctx, timeout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kevents_become_epoll_events() {
        let r = Kevent { filter: EVFILT_READ, ..Default::default() };
        assert_eq!(events_of(&r), EPOLLIN);
        assert_eq!(events_of(&Kevent { flags: EV_EOF, ..r }), EPOLLIN | EPOLLRDHUP);
        assert_eq!(events_of(&Kevent { flags: EV_EOF, fflags: 1, ..r }), EPOLLIN | EPOLLRDHUP | EPOLLHUP);
        let w = Kevent { filter: EVFILT_WRITE, ..Default::default() };
        assert_eq!(events_of(&w), EPOLLOUT);
        assert_eq!(events_of(&Kevent { flags: EV_EOF, fflags: 1, ..w }), EPOLLOUT | EPOLLHUP | EPOLLERR);
    }
}
