//! Clocks and sleeping.

use abi_netbsd::{consts::clock_id as nclk, nr as nb, structs as nbs};
use syscalls::Sysno;

use crate::consts::clock_id as lclk;
use crate::dispatch::Ctx;
use crate::errno::EINVAL;
use crate::table::{entry, Arg, Entry, Family::Time, Ret, Route, Support};
use crate::LxResult;

pub const ENTRIES: &[Entry] = &[
    entry(Sysno::clock_gettime as u32, "clock_gettime", Time, &[Arg::Clock, Arg::Ptr], Ret::Int, Route::Translated(clock_gettime, &[nb::SYS___clock_gettime50]), Support::Partial(BOOTTIME_NOTE)),
    entry(Sysno::clock_getres as u32, "clock_getres", Time, &[Arg::Clock, Arg::Ptr], Ret::Int, Route::Translated(clock_getres, &[nb::SYS___clock_getres50]), Support::Partial(BOOTTIME_NOTE)),
    entry(Sysno::clock_nanosleep as u32, "clock_nanosleep", Time, &[Arg::Clock, Arg::Hex, Arg::Ptr, Arg::Ptr], Ret::Int, Route::Translated(clock_nanosleep, &[nb::SYS_clock_nanosleep]), Support::Partial(BOOTTIME_NOTE)),
    entry(Sysno::nanosleep as u32, "nanosleep", Time, &[Arg::Ptr, Arg::Ptr], Ret::Int, Route::Translated(nanosleep, &[nb::SYS___nanosleep50]), Support::Full),
    entry(Sysno::gettimeofday as u32, "gettimeofday", Time, &[Arg::Ptr, Arg::Ptr], Ret::Int, Route::Translated(gettimeofday, &[nb::SYS___gettimeofday50]), Support::Full),
    entry(Sysno::time as u32, "time", Time, &[Arg::Ptr], Ret::Int, Route::Translated(time, &[nb::SYS___clock_gettime50]), Support::Full),
];

const BOOTTIME_NOTE: &str = "CLOCK_BOOTTIME and the coarse/raw clocks read NetBSD's monotonic or realtime clock; the *_ALARM clocks and CLOCK_TAI are refused";

/// Linux clock id → NetBSD's.
pub fn clock_to_netbsd(id: i32) -> Result<u32, crate::Errno> {
    if id < 0 {
        // Per-process/thread CPU clocks of other processes (CPUCLOCK encodings) are not offered.
        return Err(EINVAL);
    }
    Ok(match id as u32 {
        lclk::CLOCK_REALTIME | lclk::CLOCK_REALTIME_COARSE => nclk::CLOCK_REALTIME,
        lclk::CLOCK_MONOTONIC | lclk::CLOCK_MONOTONIC_RAW | lclk::CLOCK_MONOTONIC_COARSE | lclk::CLOCK_BOOTTIME => nclk::CLOCK_MONOTONIC,
        lclk::CLOCK_PROCESS_CPUTIME_ID => nclk::CLOCK_PROCESS_CPUTIME_ID,
        lclk::CLOCK_THREAD_CPUTIME_ID => nclk::CLOCK_THREAD_CPUTIME_ID,
        _ => return Err(EINVAL),
    })
}

fn clock_call(ctx: &mut Ctx, nr: u32) -> LxResult {
    let clk = clock_to_netbsd(ctx.int(0))?;
    let mut ts = nbs::Timespec::default();
    ctx.nb(nr, [clk as u64, &mut ts as *mut _ as u64, 0, 0, 0, 0])?;
    if ctx.args[1] != 0 {
        // Linux's timespec has the NetBSD layout.
        ctx.write_struct(ctx.args[1], &ts)?;
    }
    Ok(0)
}

fn clock_gettime(ctx: &mut Ctx) -> LxResult {
    clock_call(ctx, nb::SYS___clock_gettime50)
}

fn clock_getres(ctx: &mut Ctx) -> LxResult {
    clock_call(ctx, nb::SYS___clock_getres50)
}

/// CLOCK_MONOTONIC, from the kernel.
pub(crate) fn monotonic(ctx: &mut Ctx) -> Result<nbs::Timespec, crate::Errno> {
    let mut ts = nbs::Timespec::default();
    ctx.nb(nb::SYS___clock_gettime50, [nclk::CLOCK_MONOTONIC as u64, &mut ts as *mut _ as u64, 0, 0, 0, 0])?;
    Ok(ts)
}

/// A timespec in nanoseconds.
pub(crate) fn nanos(t: &nbs::Timespec) -> i128 {
    t.tv_sec as i128 * 1_000_000_000 + t.tv_nsec as i128
}

/// Nanoseconds (not negative) as a timespec.
pub(crate) fn from_nanos(n: i128) -> nbs::Timespec {
    let n = n.max(0);
    nbs::Timespec { tv_sec: (n / 1_000_000_000) as i64, tv_nsec: (n % 1_000_000_000) as i64 }
}

fn read_timespec(ctx: &Ctx, at: u64) -> Result<nbs::Timespec, crate::Errno> {
    let ts: nbs::Timespec = ctx.read_struct(at)?;
    if ts.tv_sec < 0 || !(0..1_000_000_000).contains(&ts.tv_nsec) {
        return Err(EINVAL);
    }
    Ok(ts)
}

/// Sleeps with NetBSD call `nr`, whose arguments are `prefix` then the request and remainder.
fn sleep(ctx: &mut Ctx, nr: u32, prefix: &[u64], req_at: u64, rem_at: u64) -> LxResult {
    let req = read_timespec(ctx, req_at)?;
    let mut rem = nbs::Timespec::default();
    let mut args = [0u64; 6];
    let n = prefix.len();
    args[..n].copy_from_slice(prefix);
    args[n] = &req as *const _ as u64;
    args[n + 1] = &mut rem as *mut _ as u64;
    let r = match ctx.nb(nr, args) {
        // NetBSD's clock_nanosleep reports its error as the return value (NOERR in syscalls.master).
        Ok([e, _]) if nr == nb::SYS_clock_nanosleep && e != 0 => Err(crate::xlat::errno::from_netbsd(abi_netbsd::Errno(e as i32))),
        r => r,
    };
    if r == Err(crate::errno::EINTR) && rem_at != 0 {
        ctx.write_struct(rem_at, &rem)?;
    }
    r.map(|_| 0)
}

fn nanosleep(ctx: &mut Ctx) -> LxResult {
    let (req, rem) = (ctx.args[0], ctx.args[1]);
    sleep(ctx, nb::SYS___nanosleep50, &[], req, rem)
}

fn clock_nanosleep(ctx: &mut Ctx) -> LxResult {
    let clk = clock_to_netbsd(ctx.int(0))?;
    let flags = ctx.args[1] as u32;
    if flags & !crate::consts::timer_flags::TIMER_ABSTIME != 0 {
        return Err(EINVAL);
    }
    let nflags = if flags != 0 { abi_netbsd::consts::timer_flags::TIMER_ABSTIME } else { 0 };
    let (req, rem) = (ctx.args[2], ctx.args[3]);
    sleep(ctx, nb::SYS_clock_nanosleep, &[clk as u64, nflags as u64], req, rem)
}

fn gettimeofday(ctx: &mut Ctx) -> LxResult {
    let mut tv = nbs::Timeval::default();
    let mut tz = [0i32; 2];
    ctx.nb(nb::SYS___gettimeofday50, [&mut tv as *mut _ as u64, &mut tz as *mut _ as u64, 0, 0, 0, 0])?;
    if ctx.args[0] != 0 {
        // Linux's timeval has a 64-bit tv_usec.
        ctx.write_struct(ctx.args[0], &[tv.tv_sec, tv.tv_usec as i64])?;
    }
    if ctx.args[1] != 0 {
        ctx.write_struct(ctx.args[1], &tz)?;
    }
    Ok(0)
}

fn time(ctx: &mut Ctx) -> LxResult {
    let mut ts = nbs::Timespec::default();
    ctx.nb(nb::SYS___clock_gettime50, [nclk::CLOCK_REALTIME as u64, &mut ts as *mut _ as u64, 0, 0, 0, 0])?;
    if ctx.args[0] != 0 {
        ctx.write_struct(ctx.args[0], &ts.tv_sec)?;
    }
    Ok(ts.tv_sec as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_linux_clock_maps_or_is_refused() {
        for id in 0..16 {
            match clock_to_netbsd(id) {
                Ok(n) => assert!([0, 3, 0x4000_0000, 0x8000_0000].contains(&n), "clock {id} -> {n}"),
                Err(e) => assert_eq!(e, EINVAL),
            }
        }
        assert_eq!(clock_to_netbsd(1), Ok(3));
    }
}
