//! kqueue1 and kevent with NetBSD's semantics for EVFILT_READ and EVFILT_WRITE.
//!
//! Like sockin, the waiting is the host's: a kqueue is a host epoll instance (so a kqueue is
//! itself pollable, and can sit in another kqueue), and each watched descriptor's knotes become
//! one host registration whose mask is their union. NetBSD keeps knotes per (ident, filter)
//! while the host keeps one per descriptor, so EV_CLEAR/EV_ONESHOT/EV_DISPATCH on one filter of
//! a descriptor apply to its other filter too (callers that set both alike see no difference).
//! In-kernel objects (in-memory files, devices) are always ready, as NetBSD's filt_seltrue.
//! Knotes die with their descriptor: a registration whose open file is gone is stale and
//! dropped when next met. Other filters (AIO, VNODE, PROC, SIGNAL, TIMER) answer EINVAL.
//!
//! Not kept: `data` (bytes available) is 0. `fflags` says what the host saw beside EV_EOF: on
//! READ 1 when both directions are gone (hang-up), on WRITE 1 when an error is pending.

use super::file::{FdEntry, HostType, Object, OpenFile};
use super::hypercall::{self, HostFd};
use super::syscalls::{get, ok, put, R};
use super::{Current, EmbeddedKernel};
use abi_netbsd::consts::{kqueue_filter as kf, kqueue_flags as ev, open_flags as of};
use abi_netbsd::errno as ne;
use abi_netbsd::nr::*;
use abi_netbsd::structs::Timespec;
use abi_netbsd::SysResult;
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, Weak};

/// NetBSD `struct kevent`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Kevent {
    pub ident: u64,
    pub filter: u32,
    pub flags: u32,
    pub fflags: u32,
    pub _pad: u32,
    pub data: i64,
    pub udata: u64,
}
const _: () = assert!(std::mem::size_of::<Kevent>() == 40);

/// Serves `nr` if it is a kqueue call.
#[allow(non_upper_case_globals)]
pub(super) fn dispatch(k: &EmbeddedKernel, c: &Current, nr: u32, a: [u64; 6]) -> Option<SysResult> {
    Some(match nr {
        SYS_kqueue => sys_kqueue1(c, 0),
        SYS_kqueue1 => sys_kqueue1(c, a[0] as u32),
        SYS___kevent50 => sys_kevent(k, c, a),
        _ => return None,
    })
}

/// One knote: the flags that shape its delivery, the caller's cookie, and its state.
#[derive(Clone, Copy)]
struct Knote {
    flags: u32,
    udata: u64,
    enabled: bool,
    /// An EV_CLEAR knote on an always-ready object has fired and waits to be re-enabled.
    fired: bool,
}

/// One watched descriptor.
struct Watch {
    /// The host descriptor, or -1 for in-kernel objects (always ready).
    host: i32,
    /// The open file watched: when it is gone, so are the knotes.
    file: Weak<OpenFile>,
    read: Option<Knote>,
    write: Option<Knote>,
}

impl Watch {
    fn knote(&mut self, filter: u32) -> &mut Option<Knote> {
        if filter == kf::EVFILT_READ {
            &mut self.read
        } else {
            &mut self.write
        }
    }

    /// The host epoll mask for the knotes.
    fn mask(&self) -> u32 {
        let mut m = 0;
        let mut flags = 0;
        if let Some(n) = self.read.filter(|n| n.enabled) {
            m |= (libc::EPOLLIN | libc::EPOLLRDHUP) as u32;
            flags |= n.flags;
        }
        if let Some(n) = self.write.filter(|n| n.enabled) {
            m |= libc::EPOLLOUT as u32;
            flags |= n.flags;
        }
        if flags & ev::EV_CLEAR != 0 {
            m |= libc::EPOLLET as u32;
        }
        if flags & (ev::EV_ONESHOT | ev::EV_DISPATCH) != 0 {
            m |= libc::EPOLLONESHOT as u32;
        }
        m
    }
}

#[derive(Default)]
struct Kq {
    watches: BTreeMap<u64, Watch>,
    /// Events found but not yet handed out (no room in the last eventlist).
    pending: VecDeque<Kevent>,
}

/// kqueues by their host epoll descriptor.
static KQUEUES: Mutex<BTreeMap<i32, Arc<Mutex<Kq>>>> = Mutex::new(BTreeMap::new());

fn sys_kqueue1(c: &Current, flags: u32) -> SysResult {
    if flags & !(of::O_CLOEXEC | of::O_NONBLOCK | of::O_NOSIGPIPE) != 0 {
        return Err(ne::EINVAL);
    }
    let h = host_epoll()?;
    // A new kqueue on a recycled host number replaces what a closed one left.
    KQUEUES.lock().unwrap().insert(h.raw(), Arc::new(Mutex::new(Kq::default())));
    let file = OpenFile::new(Object::Host { fd: h, ty: HostType::Stream, ro: false }, of::O_RDWR | (flags & of::O_NONBLOCK), "kqueue".into());
    let n = c.fds.lock().unwrap().alloc(0, FdEntry { file, cloexec: flags & of::O_CLOEXEC != 0 }, c.nofile)?;
    ok(n as u64)
}

/// The kqueue behind descriptor `fd`, with the file that keeps its host descriptor open.
fn kqueue_of(k: &EmbeddedKernel, c: &Current, fd: u64) -> R<(Arc<OpenFile>, i32, Arc<Mutex<Kq>>)> {
    let f = k.file(c, fd)?;
    let raw = match &f.obj {
        Object::Host { fd, .. } => fd.raw(),
        _ => return Err(ne::EBADF),
    };
    let kq = KQUEUES.lock().unwrap().get(&raw).cloned().ok_or(ne::EBADF)?;
    Ok((f, raw, kq))
}

fn sys_kevent(k: &EmbeddedKernel, c: &Current, a: [u64; 6]) -> SysResult {
    let (changes, nchanges, events, nevents) = (a[1], a[2], a[3], a[4]);
    let timeout = if a[5] == 0 { None } else { Some(get::<Timespec>(a[5])?) };
    if timeout.is_some_and(|t| t.tv_sec < 0 || !(0..1_000_000_000).contains(&t.tv_nsec)) {
        return Err(ne::EINVAL);
    }
    let (_kqfile, epfd, kq) = kqueue_of(k, c, a[0])?;
    let mut out: Vec<Kevent> = Vec::new();
    // Changes first; an error goes to the eventlist when there is room (NetBSD), else fails.
    for i in 0..nchanges {
        let kev: Kevent = get(changes + 40 * i)?;
        let r = apply(k, c, epfd, &mut kq.lock().unwrap(), &kev);
        if r.is_err() || kev.flags & ev::EV_RECEIPT != 0 {
            let e = r.err().map_or(0, |e| e.0);
            if (out.len() as u64) < nevents {
                out.push(Kevent { flags: ev::EV_ERROR, data: e as i64, ..kev });
            } else if e != 0 {
                return Err(abi_netbsd::Errno(e));
            }
        }
    }
    if nevents == 0 || !out.is_empty() {
        return hand_out(events, &out);
    }
    collect_ready(&mut kq.lock().unwrap(), &mut out, nevents as usize);
    // Wait on the host without holding the kqueue: other threads may change it meanwhile.
    let room = nevents as usize - out.len();
    let host = if room == 0 {
        Vec::new()
    } else {
        let t = if out.is_empty() { timeout } else { Some(Timespec::default()) };
        match epoll_wait(epfd, room, t) {
            Ok(v) => v,
            Err(e) if out.is_empty() => return Err(e),
            Err(_) => Vec::new(),
        }
    };
    {
        let mut q = kq.lock().unwrap();
        for (events_seen, ident) in host {
            fire(epfd, &mut q, ident, events_seen);
        }
        while out.len() < nevents as usize {
            match q.pending.pop_front() {
                Some(e) => out.push(e),
                None => break,
            }
        }
    }
    hand_out(events, &out)
}

fn hand_out(at: u64, out: &[Kevent]) -> SysResult {
    for (i, e) in out.iter().enumerate() {
        put(at + 40 * i as u64, *e)?;
    }
    ok(out.len() as u64)
}

/// Applies one change.
fn apply(k: &EmbeddedKernel, c: &Current, epfd: i32, q: &mut Kq, kev: &Kevent) -> R<()> {
    if kev.filter != kf::EVFILT_READ && kev.filter != kf::EVFILT_WRITE {
        return Err(ne::EINVAL);
    }
    let ident = kev.ident;
    // A watch whose file is closed (or replaced under the same number) is gone.
    let current = k.file(c, ident).ok();
    let stale = q.watches.get(&ident).is_some_and(|w| match (w.file.upgrade(), &current) {
        (Some(f), Some(cur)) => !Arc::ptr_eq(&f, cur),
        _ => true,
    });
    if stale {
        if let Some(w) = q.watches.remove(&ident) {
            if w.host >= 0 {
                let _ = epoll_ctl(epfd, libc::EPOLL_CTL_DEL, w.host, 0, 0);
            }
        }
        q.pending.retain(|e| e.ident != ident);
    }
    if kev.flags & ev::EV_ADD != 0 {
        let file = current.ok_or(ne::EBADF)?;
        let host = match &file.obj {
            Object::Host { fd, .. } => fd.raw(),
            Object::Signal(s) => s.poll_fd(c.pid)?,
            _ => -1,
        };
        let w = q.watches.entry(ident).or_insert_with(|| Watch { host, file: Arc::downgrade(&file), read: None, write: None });
        let n = w.knote(kev.filter).get_or_insert(Knote { flags: 0, udata: 0, enabled: true, fired: false });
        n.flags = kev.flags & (ev::EV_CLEAR | ev::EV_ONESHOT | ev::EV_DISPATCH);
        n.udata = kev.udata;
        n.fired = false;
        n.enabled = kev.flags & ev::EV_DISABLE == 0;
    } else {
        let slot = q.watches.get_mut(&ident).ok_or(ne::ENOENT)?.knote(kev.filter);
        let n = slot.as_mut().ok_or(ne::ENOENT)?;
        if kev.flags & ev::EV_DELETE != 0 {
            *slot = None;
        } else if kev.flags & ev::EV_ENABLE != 0 {
            n.enabled = true;
            n.fired = false;
        } else if kev.flags & ev::EV_DISABLE != 0 {
            n.enabled = false;
        }
    }
    q.pending.retain(|e| !(e.ident == ident && e.filter == kev.filter));
    sync(epfd, q, ident)
}

/// Makes the host registration of `ident` match its knotes (re-arming a host one-shot).
fn sync(epfd: i32, q: &mut Kq, ident: u64) -> R<()> {
    let Some(w) = q.watches.get(&ident) else { return Ok(()) };
    if w.read.is_none() && w.write.is_none() {
        let host = w.host;
        q.watches.remove(&ident);
        if host >= 0 {
            let _ = epoll_ctl(epfd, libc::EPOLL_CTL_DEL, host, 0, 0);
        }
        return Ok(());
    }
    if w.host < 0 {
        return Ok(());
    }
    let mask = w.mask();
    match epoll_ctl(epfd, libc::EPOLL_CTL_MOD, w.host, mask, ident) {
        Err(e) if e == ne::ENOENT => epoll_ctl(epfd, libc::EPOLL_CTL_ADD, w.host, mask, ident),
        r => r,
    }
}

/// Events of in-kernel objects: always ready.
fn collect_ready(q: &mut Kq, out: &mut Vec<Kevent>, max: usize) {
    while out.len() < max {
        match q.pending.pop_front() {
            Some(e) => out.push(e),
            None => break,
        }
    }
    let idents: Vec<u64> = q.watches.iter().filter(|(_, w)| w.host < 0).map(|(i, _)| *i).collect();
    for ident in idents {
        for filter in [kf::EVFILT_READ, kf::EVFILT_WRITE] {
            if out.len() >= max {
                return;
            }
            let w = q.watches.get_mut(&ident).unwrap();
            let Some(n) = w.knote(filter).as_mut() else { continue };
            if !n.enabled || n.fired {
                continue;
            }
            out.push(Kevent { ident, filter, flags: n.flags, udata: n.udata, ..Default::default() });
            after_fire(w, filter);
        }
        let w = &q.watches[&ident];
        if w.read.is_none() && w.write.is_none() {
            q.watches.remove(&ident);
        }
    }
}

/// What a delivered knote becomes: deleted (EV_ONESHOT), disabled (EV_DISPATCH), spent until
/// re-enabled (EV_CLEAR on an always-ready object).
fn after_fire(w: &mut Watch, filter: u32) {
    let host = w.host;
    let slot = w.knote(filter);
    let Some(n) = slot.as_mut() else { return };
    if n.flags & ev::EV_ONESHOT != 0 {
        *slot = None;
    } else if n.flags & ev::EV_DISPATCH != 0 {
        n.enabled = false;
    } else if n.flags & ev::EV_CLEAR != 0 && host < 0 {
        n.fired = true;
    }
}

/// Turns one host event into the kevents of the knotes it concerns (into `pending`).
fn fire(epfd: i32, q: &mut Kq, ident: u64, seen: u32) {
    let Some(w) = q.watches.get_mut(&ident) else { return };
    let (hup, err) = (seen & libc::EPOLLHUP as u32 != 0, seen & libc::EPOLLERR as u32 != 0);
    let mut found = Vec::new();
    if let Some(n) = w.read.filter(|n| n.enabled) {
        if seen & (libc::EPOLLIN | libc::EPOLLRDHUP | libc::EPOLLHUP | libc::EPOLLERR) as u32 != 0 {
            let eof = if seen & libc::EPOLLRDHUP as u32 != 0 || hup { ev::EV_EOF } else { 0 };
            found.push(Kevent { ident, filter: kf::EVFILT_READ, flags: n.flags | eof, fflags: hup as u32, udata: n.udata, ..Default::default() });
        }
    }
    if let Some(n) = w.write.filter(|n| n.enabled) {
        if seen & libc::EPOLLOUT as u32 != 0 || hup || err {
            let eof = if hup || err { ev::EV_EOF } else { 0 };
            found.push(Kevent { ident, filter: kf::EVFILT_WRITE, flags: n.flags | eof, fflags: err as u32, udata: n.udata, ..Default::default() });
        }
    }
    let rearm = w.mask() & libc::EPOLLONESHOT as u32 != 0;
    for e in &found {
        after_fire(w, e.filter);
    }
    q.pending.extend(found);
    if rearm {
        // The host disarmed the whole descriptor; knotes still enabled want it back.
        let _ = sync(epfd, q, ident);
    }
}

// ---------------------------------------------------------------------------------------------
// Host side (rumpuser-style hypercalls for the wait primitive).

fn host_epoll() -> R<HostFd> {
    // SAFETY: plain call.
    hypercall::own_new(unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) })
}


fn epoll_ctl(epfd: i32, op: i32, fd: i32, mask: u32, ident: u64) -> R<()> {
    let mut e = libc::epoll_event { events: mask, u64: ident };
    // SAFETY: e lives across the call.
    if unsafe { libc::epoll_ctl(epfd, op, fd, &mut e) } < 0 {
        return Err(hypercall::last());
    }
    Ok(())
}

/// Waits for host events: (events, ident) pairs. EINTR when a signal interrupts the wait.
fn epoll_wait(epfd: i32, max: usize, timeout: Option<Timespec>) -> R<Vec<(u32, u64)>> {
    let mut buf = vec![libc::epoll_event { events: 0, u64: 0 }; max.min(1024)];
    let ts = timeout.map(|t| libc::timespec { tv_sec: t.tv_sec, tv_nsec: t.tv_nsec });
    let tp = ts.as_ref().map_or(std::ptr::null(), |t| t as *const libc::timespec);
    // SAFETY: buf and ts outlive the call; epoll_pwait2 takes a timespec (no rounding to ms).
    let n = unsafe {
        libc::syscall(libc::SYS_epoll_pwait2, epfd, buf.as_mut_ptr(), buf.len() as i32, tp, std::ptr::null::<libc::sigset_t>(), 8usize)
    };
    if n < 0 {
        return Err(hypercall::last());
    }
    Ok(buf[..n as usize].iter().map(|e| (e.events, e.u64)).collect())
}
