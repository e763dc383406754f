//! Interval timers and POSIX timers: served by the layer on the host's timers. The guest process is
//! the host process, so the host kernel raises the timer's signal in it, and rumplx turns that host
//! signal into the guest's (as it does for every host signal).

use syscalls::Sysno;

use crate::dispatch::Ctx;
use crate::errno::EINVAL;
use crate::platform::Access;
use crate::table::{entry, Arg, Entry, Family::Time, Ret, Route, Support};
use crate::LxResult;

pub const ENTRIES: &[Entry] = &[
    entry(Sysno::alarm as u32, "alarm", Time, &[Arg::Int], Ret::Int, Route::Layer(alarm), Support::Full),
    entry(Sysno::setitimer as u32, "setitimer", Time, &[Arg::Int, Arg::Ptr, Arg::Ptr], Ret::Int, Route::Layer(setitimer), Support::Partial("ITIMER_VIRTUAL and ITIMER_PROF count rumplx's own CPU time along with the guest's")),
    entry(Sysno::getitimer as u32, "getitimer", Time, &[Arg::Int, Arg::Ptr], Ret::Int, Route::Layer(getitimer), Support::Full),
    entry(Sysno::timer_create as u32, "timer_create", Time, &[Arg::Clock, Arg::Ptr, Arg::Ptr], Ret::Int, Route::Layer(timer_create), Support::Partial("SIGEV_SIGNAL, SIGEV_NONE and SIGEV_THREAD_ID (the libc's SIGEV_THREAD builds on it); a SIGEV_THREAD_ID signal is delivered like a process signal")),
    entry(Sysno::timer_settime as u32, "timer_settime", Time, &[Arg::Int, Arg::Hex, Arg::Ptr, Arg::Ptr], Ret::Int, Route::Layer(timer_settime), Support::Full),
    entry(Sysno::timer_gettime as u32, "timer_gettime", Time, &[Arg::Int, Arg::Ptr], Ret::Int, Route::Layer(timer_gettime), Support::Full),
    entry(Sysno::timer_getoverrun as u32, "timer_getoverrun", Time, &[Arg::Int], Ret::Int, Route::Layer(timer_getoverrun), Support::Full),
    entry(Sysno::timer_delete as u32, "timer_delete", Time, &[Arg::Int], Ret::Int, Route::Layer(timer_delete), Support::Full),
];

/// `struct itimerval` and `struct itimerspec` are both 32 bytes.
const TIMER_VALUE: u64 = 32;

fn alarm(ctx: &mut Ctx) -> LxResult {
    let args = ctx.args;
    ctx.p.platform.host_timer(Sysno::alarm as u32, args)
}

/// Calls the host with the guest's pointers once they are checked (the structs are the host's).
fn with_checked(ctx: &mut Ctx, call: Sysno, reads: &[(usize, u64)], writes: &[(usize, u64)]) -> LxResult {
    for &(i, len) in reads {
        if ctx.args[i] != 0 {
            ctx.check(ctx.args[i], len, Access::Read)?;
        }
    }
    for &(i, len) in writes {
        if ctx.args[i] != 0 {
            ctx.check(ctx.args[i], len, Access::Write)?;
        }
    }
    let args = ctx.args;
    ctx.p.platform.host_timer(call as u32, args)
}

fn setitimer(ctx: &mut Ctx) -> LxResult {
    if ctx.args[1] == 0 {
        return Err(crate::errno::EFAULT);
    }
    with_checked(ctx, Sysno::setitimer, &[(1, TIMER_VALUE)], &[(2, TIMER_VALUE)])
}

fn getitimer(ctx: &mut Ctx) -> LxResult {
    with_checked(ctx, Sysno::getitimer, &[], &[(1, TIMER_VALUE)])
}

fn timer_settime(ctx: &mut Ctx) -> LxResult {
    with_checked(ctx, Sysno::timer_settime, &[(2, TIMER_VALUE)], &[(3, TIMER_VALUE)])
}

fn timer_gettime(ctx: &mut Ctx) -> LxResult {
    with_checked(ctx, Sysno::timer_gettime, &[], &[(1, TIMER_VALUE)])
}

fn timer_getoverrun(ctx: &mut Ctx) -> LxResult {
    with_checked(ctx, Sysno::timer_getoverrun, &[], &[])
}

fn timer_delete(ctx: &mut Ctx) -> LxResult {
    with_checked(ctx, Sysno::timer_delete, &[], &[])
}

/// `struct sigevent` (64 bytes): value, signal, how to notify, then the thread id for
/// SIGEV_THREAD_ID.
#[repr(C)]
#[derive(Clone, Copy)]
struct Sigevent {
    value: u64,
    signo: i32,
    notify: i32,
    tid: i32,
    _rest: [u8; 44],
}
const _: () = assert!(core::mem::size_of::<Sigevent>() == 64);

const SIGEV_SIGNAL: i32 = 0;
const SIGEV_NONE: i32 = 1;
const SIGEV_THREAD_ID: i32 = 4;

fn timer_create(ctx: &mut Ctx) -> LxResult {
    let (clock, sev_at, id_at) = (ctx.args[0], ctx.args[1], ctx.args[2]);
    ctx.check(id_at, 4, Access::Write)?;
    let mut sev: Option<Sigevent> = if sev_at != 0 { Some(ctx.read_struct(sev_at)?) } else { None };
    if let Some(ev) = sev.as_mut() {
        match ev.notify {
            SIGEV_SIGNAL | SIGEV_NONE => {}
            SIGEV_THREAD_ID => {
                // The guest names its thread; the host needs the host thread running it.
                let target = ctx.p.threads.lock().iter().find(|t| t.tid == ev.tid).copied();
                ev.tid = target.ok_or(EINVAL)?.host_tid;
            }
            _ => return Err(EINVAL),
        }
    }
    let mut id: i32 = 0;
    let sev_ptr = sev.as_ref().map_or(0, |e| e as *const Sigevent as u64);
    ctx.p.platform.host_timer(Sysno::timer_create as u32, [clock, sev_ptr, &mut id as *mut i32 as u64, 0, 0, 0])?;
    ctx.write_struct(id_at, &id)?;
    Ok(0)
}
