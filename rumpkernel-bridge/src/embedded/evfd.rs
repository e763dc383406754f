//! eventfd and timerfd descriptors (the extension calls of [`crate::ext_events`]), the sockin way:
//! host eventfd and timerfd objects behind the descriptors, so read, write, poll and kqueue
//! serve them like any host descriptor.

use super::file::{FdEntry, HostType, Object, OpenFile};
use super::hypercall::{self, HostFd};
use super::syscalls::{get, ok, put, R};
use super::{Current, EmbeddedKernel};
use crate::ext_events::*;
use abi_netbsd::consts::{clock_id as nclk, open_flags as of};
use abi_netbsd::errno as ne;
use abi_netbsd::structs::Timespec;
use abi_netbsd::SysResult;

/// Serves `nr` if it is an eventfd/timerfd call.
#[allow(non_upper_case_globals)]
pub(super) fn dispatch(k: &EmbeddedKernel, c: &Current, nr: u32, a: [u64; 6]) -> Option<SysResult> {
    Some(match nr {
        SYS_EXT_eventfd => eventfd(c, a[0] as u32, a[1] as u32),
        SYS_EXT_timerfd_create => timerfd_create(c, a[0] as u32, a[1] as u32),
        SYS_EXT_timerfd_settime => timerfd_settime(k, c, a),
        SYS_EXT_timerfd_gettime => timerfd_gettime(k, c, a),
        _ => return None,
    })
}

/// NetBSD `struct itimerspec`.
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct Itimerspec {
    interval: Timespec,
    value: Timespec,
}

fn install(c: &Current, h: HostFd, flags: u32, what: &str) -> SysResult {
    let file = OpenFile::new(Object::Host { fd: h, ty: HostType::Stream, ro: false }, of::O_RDWR | (flags & of::O_NONBLOCK), what.into());
    let n = c.fds.lock().unwrap().alloc(0, FdEntry { file, cloexec: flags & of::O_CLOEXEC != 0 }, c.nofile)?;
    ok(n as u64)
}


fn eventfd(c: &Current, val: u32, flags: u32) -> SysResult {
    if flags & !(of::O_CLOEXEC | of::O_NONBLOCK | EFD_SEMAPHORE) != 0 {
        return Err(ne::EINVAL);
    }
    let mut hf = libc::EFD_CLOEXEC;
    if flags & of::O_NONBLOCK != 0 {
        hf |= libc::EFD_NONBLOCK;
    }
    if flags & EFD_SEMAPHORE != 0 {
        hf |= libc::EFD_SEMAPHORE;
    }
    // SAFETY: plain call.
    let h = hypercall::own_new(unsafe { libc::eventfd(val, hf) })?;
    install(c, h, flags, "eventfd")
}

fn timerfd_create(c: &Current, clock: u32, flags: u32) -> SysResult {
    let hc = match clock {
        nclk::CLOCK_REALTIME => libc::CLOCK_REALTIME,
        nclk::CLOCK_MONOTONIC => libc::CLOCK_MONOTONIC,
        _ => return Err(ne::EINVAL),
    };
    if flags & !(of::O_CLOEXEC | of::O_NONBLOCK) != 0 {
        return Err(ne::EINVAL);
    }
    let mut hf = libc::TFD_CLOEXEC;
    if flags & of::O_NONBLOCK != 0 {
        hf |= libc::TFD_NONBLOCK;
    }
    // SAFETY: plain call.
    let h = hypercall::own_new(unsafe { libc::timerfd_create(hc, hf) })?;
    install(c, h, flags, "timerfd")
}

/// The host descriptor behind a timer descriptor (EINVAL for other objects, as NetBSD answers).
fn host_of(k: &EmbeddedKernel, c: &Current, fd: u64) -> R<(std::sync::Arc<OpenFile>, i32)> {
    let f = k.file(c, fd)?;
    let raw = match &f.obj {
        Object::Host { fd, .. } => fd.raw(),
        _ => return Err(ne::EINVAL),
    };
    Ok((f, raw))
}

fn to_host(t: &Itimerspec) -> libc::itimerspec {
    let ts = |t: &Timespec| libc::timespec { tv_sec: t.tv_sec, tv_nsec: t.tv_nsec };
    libc::itimerspec { it_interval: ts(&t.interval), it_value: ts(&t.value) }
}

fn from_host(t: &libc::itimerspec) -> Itimerspec {
    let ts = |t: &libc::timespec| Timespec { tv_sec: t.tv_sec, tv_nsec: t.tv_nsec };
    Itimerspec { interval: ts(&t.it_interval), value: ts(&t.it_value) }
}

fn timerfd_settime(k: &EmbeddedKernel, c: &Current, a: [u64; 6]) -> SysResult {
    let flags = a[1] as u32;
    if flags & !(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET) != 0 {
        return Err(ne::EINVAL);
    }
    let (_f, raw) = host_of(k, c, a[0])?;
    let new: Itimerspec = get(a[2])?;
    let mut hf = 0;
    if flags & TFD_TIMER_ABSTIME != 0 {
        hf |= libc::TFD_TIMER_ABSTIME;
    }
    if flags & TFD_TIMER_CANCEL_ON_SET != 0 {
        hf |= libc::TFD_TIMER_CANCEL_ON_SET;
    }
    let mut old: libc::itimerspec = unsafe { std::mem::zeroed() };
    // SAFETY: both structs live across the call.
    if unsafe { libc::timerfd_settime(raw, hf, &to_host(&new), &mut old) } < 0 {
        return Err(hypercall::last());
    }
    if a[3] != 0 {
        put(a[3], from_host(&old))?;
    }
    ok(0)
}

fn timerfd_gettime(k: &EmbeddedKernel, c: &Current, a: [u64; 6]) -> SysResult {
    let (_f, raw) = host_of(k, c, a[0])?;
    let mut cur: libc::itimerspec = unsafe { std::mem::zeroed() };
    // SAFETY: cur lives across the call.
    if unsafe { libc::timerfd_gettime(raw, &mut cur) } < 0 {
        return Err(hypercall::last());
    }
    put(a[1], from_host(&cur))?;
    ok(0)
}
