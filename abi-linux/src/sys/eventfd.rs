//! eventfd, eventfd2 and timerfd_create/settime/gettime on the backend's NetBSD 10-style
//! eventfd/timerfd extension calls ([`rumpkernel_bridge::ext_events`]): the descriptors they make
//! are read, written and polled (poll, select, epoll) like any other. Flags are translated to
//! NetBSD 10's values; a backend without the calls answers ENOSYS.

use rumpkernel_bridge::ext_events as ext;
use syscalls::Sysno;

use abi_netbsd::consts::{clock_id as nclk, open_flags as nof};
use crate::consts::open_flags as lo;
use crate::dispatch::Ctx;
use crate::errno::{EINVAL, EPERM};
use crate::structs::Timespec;
use crate::table::{entry, Arg, Entry, Family::Events, Ret, Route, Support};
use crate::LxResult;

const E: crate::table::Family = Events;
use Arg::*;

// The backend's extension calls are not in NetBSD's 2016 table, so the routes list no NetBSD
// call; the notes say where the descriptors come from.
const EFD_NOTE: &str = "on the backend's eventfd extension (NetBSD 10's eventfd(2)); NetBSD's 2016 rump kernel lacks it and answers ENOSYS";
const TIMER_NOTE: &str = "on the backend's timerfd extension (NetBSD 10's timerfd(2)), which NetBSD's 2016 rump kernel lacks (ENOSYS); CLOCK_REALTIME, CLOCK_MONOTONIC and CLOCK_BOOTTIME (as CLOCK_MONOTONIC: nothing suspends); the *_ALARM clocks give EPERM as to an unprivileged process";

pub const ENTRIES: &[Entry] = &[
    entry(Sysno::eventfd as u32, "eventfd", E, &[Int], Ret::Fd, Route::Translated(eventfd, &[]), Support::Partial(EFD_NOTE)),
    entry(Sysno::eventfd2 as u32, "eventfd2", E, &[Int, Hex], Ret::Fd, Route::Translated(eventfd2, &[]), Support::Partial(EFD_NOTE)),
    entry(Sysno::timerfd_create as u32, "timerfd_create", E, &[Clock, Hex], Ret::Fd, Route::Translated(timerfd_create, &[]), Support::Partial(TIMER_NOTE)),
    entry(Sysno::timerfd_settime as u32, "timerfd_settime", E, &[Fd, Hex, Ptr, Ptr], Ret::Int, Route::Translated(timerfd_settime, &[]), Support::Partial(TIMER_NOTE)),
    entry(Sysno::timerfd_gettime as u32, "timerfd_gettime", E, &[Fd, Ptr], Ret::Int, Route::Translated(timerfd_gettime, &[]), Support::Partial(TIMER_NOTE)),
];

// Linux <sys/eventfd.h>, <sys/timerfd.h>, clock ids.
const EFD_SEMAPHORE: u32 = 1;
const TFD_TIMER_ABSTIME: u32 = 1;
const TFD_TIMER_CANCEL_ON_SET: u32 = 2;
const CLOCK_REALTIME: u32 = 0;
const CLOCK_MONOTONIC: u32 = 1;
const CLOCK_BOOTTIME: u32 = 7;
const CLOCK_REALTIME_ALARM: u32 = 8;
const CLOCK_BOOTTIME_ALARM: u32 = 9;

/// O_CLOEXEC/O_NONBLOCK (the EFD_/TFD_ flags share their values) in NetBSD's bits.
pub(crate) fn fd_flags(f: u32) -> u32 {
    let mut out = 0;
    if f & lo::O_CLOEXEC != 0 {
        out |= nof::O_CLOEXEC;
    }
    if f & lo::O_NONBLOCK != 0 {
        out |= nof::O_NONBLOCK;
    }
    out
}

fn make_eventfd(ctx: &mut Ctx, val: u32, flags: u32) -> LxResult {
    if flags & !(lo::O_CLOEXEC | lo::O_NONBLOCK | EFD_SEMAPHORE) != 0 {
        return Err(EINVAL);
    }
    let mut f = fd_flags(flags);
    if flags & EFD_SEMAPHORE != 0 {
        f |= ext::EFD_SEMAPHORE;
    }
    Ok(ctx.nb(ext::SYS_EXT_eventfd, [val as u64, f as u64, 0, 0, 0, 0])?[0])
}

fn eventfd(ctx: &mut Ctx) -> LxResult {
    make_eventfd(ctx, ctx.args[0] as u32, 0)
}

fn eventfd2(ctx: &mut Ctx) -> LxResult {
    make_eventfd(ctx, ctx.args[0] as u32, ctx.args[1] as u32)
}

fn timerfd_create(ctx: &mut Ctx) -> LxResult {
    let clock = match ctx.args[0] as u32 {
        CLOCK_REALTIME => nclk::CLOCK_REALTIME,
        CLOCK_MONOTONIC | CLOCK_BOOTTIME => nclk::CLOCK_MONOTONIC,
        CLOCK_REALTIME_ALARM | CLOCK_BOOTTIME_ALARM => return Err(EPERM),
        _ => return Err(EINVAL),
    };
    let flags = ctx.args[1] as u32;
    if flags & !(lo::O_CLOEXEC | lo::O_NONBLOCK) != 0 {
        return Err(EINVAL);
    }
    Ok(ctx.nb(ext::SYS_EXT_timerfd_create, [clock as u64, fd_flags(flags) as u64, 0, 0, 0, 0])?[0])
}

/// `struct itimerspec`: the same on both sides.
type Itimerspec = [Timespec; 2];

fn valid(t: &Timespec) -> bool {
    t.tv_sec >= 0 && (0..1_000_000_000).contains(&t.tv_nsec)
}

fn timerfd_settime(ctx: &mut Ctx) -> LxResult {
    let flags = ctx.args[1] as u32;
    if flags & !(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET) != 0 {
        return Err(EINVAL);
    }
    let new: Itimerspec = ctx.read_struct(ctx.args[2])?;
    if !new.iter().all(valid) {
        return Err(EINVAL);
    }
    let mut nf = 0;
    if flags & TFD_TIMER_ABSTIME != 0 {
        nf |= ext::TFD_TIMER_ABSTIME;
    }
    if flags & TFD_TIMER_CANCEL_ON_SET != 0 {
        nf |= ext::TFD_TIMER_CANCEL_ON_SET;
    }
    let mut old: Itimerspec = Default::default();
    let fd = ctx.int(0) as i64 as u64;
    ctx.nb(ext::SYS_EXT_timerfd_settime, [fd, nf as u64, &new as *const _ as u64, &mut old as *mut _ as u64, 0, 0])?;
    if ctx.args[3] != 0 {
        ctx.write_struct(ctx.args[3], &old)?;
    }
    Ok(0)
}

fn timerfd_gettime(ctx: &mut Ctx) -> LxResult {
    let mut cur: Itimerspec = Default::default();
    let fd = ctx.int(0) as i64 as u64;
    ctx.check(ctx.args[1], 32, crate::platform::Access::Write)?;
    ctx.nb(ext::SYS_EXT_timerfd_gettime, [fd, &mut cur as *mut _ as u64, 0, 0, 0, 0])?;
    ctx.write_struct(ctx.args[1], &cur)?;
    Ok(0)
}
