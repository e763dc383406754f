//! Remote clients of the kernel, as rump's sysproxy serves them: a guest process in another host
//! process (after fork) reaches the one kernel of the run through a channel to a server thread in
//! the kernel's process. The server thread acts as the client's lwp and reaches the client's
//! memory through [`crate::uaccess`] (copyin/copyout with process_vm_readv/writev).
//!
//! The wire: one SOCK_SEQPACKET datagram per request and per answer, fixed-size, native endian (both
//! ends are the same build on the same machine); a new channel's descriptor rides SCM_RIGHTS.
//!
//! A call that sleeps in the kernel (a pipe read, a wait) must end when a signal comes for the
//! client, as a local call does. A client whose wait for the answer is interrupted by a signal it
//! has to take sends the server thread the interrupt signal (see [`set_interrupts`]); the server
//! thread's sleep then fails with EINTR like a local thread's, and the answer comes back. An
//! interrupt may also reach the server thread after it answered (the call ended by itself
//! meanwhile): the client then marks its next request, and the server drops the stale interrupt,
//! which has certainly arrived by the time that request does, before serving it. An interrupt that
//! arrives before the call it is meant for has begun is kept: the call fails at once.
//!
//! A client that dies (killed, or ended by exit_group while another of its threads waits for an
//! answer) cannot ask for anything: a server thread asleep in the kernel for it would sleep on,
//! holding the process, its lwps and its files (a pipe's write end, so the reader never sees its
//! end). A watcher thread ([`Watcher`]) sees each channel hang up; when its server thread is
//! inside a call then, the process is ended as NetBSD's sysproxy ends a client that went away:
//! the kernel wakes every lwp of the process and makes their sleeps fail from then on
//! ([`RumpKernel::lwproc_end_remote`], `hyp_lwpexit`), with an lwp made for that released last;
//! a kernel without that way gets the server thread interrupted, as for a signal.

use std::collections::HashMap;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering::SeqCst};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use abi_netbsd::{errno as ne, Errno, SysResult};

use crate::{HostKind, LwpId, Pid, RumpKernel};

#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Syscall = 1,
    Rfork = 2,
    NewLwp = 3,
    ReleaseLwp = 4,
    Attach = 5,
    HostPidOf = 6,
    Processes = 7,
    /// The server thread's host (pid, tid), for interrupting it; ENOSYS when it cannot be.
    ServerThread = 8,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
struct Request {
    kind: u32,
    nr: u32,
    args: [u64; 6],
    /// REQ_* bits.
    flags: u32,
    _pad: u32,
}

/// The client interrupted the previous call: drop the interrupt noted for it.
const REQ_DROP_INTERRUPT: u32 = 1;

#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
struct Answer {
    errno: i32,
    _pad: u32,
    rv: [u64; 2],
}

fn as_bytes<T: Copy>(v: &T) -> &[u8] {
    // SAFETY: plain-data wire structs.
    unsafe { std::slice::from_raw_parts(v as *const T as *const u8, std::mem::size_of::<T>()) }
}

/// Sends one datagram, with a descriptor when given.
fn send(fd: RawFd, bytes: &[u8], pass: Option<RawFd>) -> Result<(), Errno> {
    let mut iov = libc::iovec { iov_base: bytes.as_ptr() as *mut _, iov_len: bytes.len() };
    let mut cbuf = [0u64; 4];
    // SAFETY: msghdr over our own buffers; CMSG macros stay within cbuf.
    unsafe {
        let mut msg: libc::msghdr = std::mem::zeroed();
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        if let Some(p) = pass {
            msg.msg_control = cbuf.as_mut_ptr() as *mut _;
            msg.msg_controllen = libc::CMSG_SPACE(4) as usize;
            let c = libc::CMSG_FIRSTHDR(&msg);
            (*c).cmsg_level = libc::SOL_SOCKET;
            (*c).cmsg_type = libc::SCM_RIGHTS;
            (*c).cmsg_len = libc::CMSG_LEN(4) as usize;
            std::ptr::write_unaligned(libc::CMSG_DATA(c) as *mut i32, p);
        }
        loop {
            let n = libc::sendmsg(fd, &msg, libc::MSG_NOSIGNAL);
            if n >= 0 {
                return Ok(());
            }
            if *libc::__errno_location() != libc::EINTR {
                return Err(ne::EIO);
            }
        }
    }
}

/// Receives one datagram into `out`, and the descriptor passed with it. Ok(false) at end of file.
fn recv(fd: RawFd, out: &mut [u8]) -> Result<(bool, Option<OwnedFd>), Errno> {
    let mut iov = libc::iovec { iov_base: out.as_mut_ptr() as *mut _, iov_len: out.len() };
    let mut cbuf = [0u64; 4];
    // SAFETY: msghdr over our own buffers.
    unsafe {
        let mut msg: libc::msghdr = std::mem::zeroed();
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = cbuf.as_mut_ptr() as *mut _;
        msg.msg_controllen = std::mem::size_of_val(&cbuf);
        let n = loop {
            let n = libc::recvmsg(fd, &mut msg, libc::MSG_CMSG_CLOEXEC);
            if n >= 0 || *libc::__errno_location() != libc::EINTR {
                break n;
            }
        };
        if n <= 0 {
            return Ok((false, None));
        }
        let c = libc::CMSG_FIRSTHDR(&msg);
        let passed = if !c.is_null() && (*c).cmsg_type == libc::SCM_RIGHTS {
            Some(OwnedFd::from_raw_fd(std::ptr::read_unaligned(libc::CMSG_DATA(c) as *const i32)))
        } else {
            None
        };
        Ok((n as usize == out.len(), passed))
    }
}

/// How server threads are made interruptible (installed by the host side, which owns signals).
struct Interrupts {
    /// The host signal a client sends its server thread.
    signo: i32,
    /// Prepares the calling server thread to take `signo` (its signal stack and whatever the
    /// signal check needs); false when it cannot.
    init_thread: fn() -> bool,
    /// Drops the signals the calling server thread has noted.
    clear: fn(),
    /// Undoes `init_thread` when the server thread ends (with every signal blocked).
    fini_thread: fn(),
}
static INTERRUPTS: std::sync::OnceLock<Interrupts> = std::sync::OnceLock::new();

/// Lets clients interrupt their server threads with host signal `signo` (first caller wins). The
/// server thread's sleeps then end as [`crate::signal_pending`] decides for that thread.
pub fn set_interrupts(signo: i32, init_thread: fn() -> bool, clear: fn(), fini_thread: fn()) {
    let _ = INTERRUPTS.set(Interrupts { signo, init_thread, clear, fini_thread });
}

/// A server thread's interruptibility, undone when the thread ends.
struct Interruptible(&'static Interrupts);

impl Interruptible {
    fn start() -> Option<Interruptible> {
        let i = INTERRUPTS.get().filter(|i| (i.init_thread)())?;
        crate::hostmask::unblock(i.signo);
        Some(Interruptible(i))
    }
}

impl Drop for Interruptible {
    fn drop(&mut self) {
        // Every signal blocked before the thread's signal stack goes.
        crate::hostmask::set(crate::hostmask::ALL);
        (self.0.fini_thread)();
    }
}

/// Waits until `fd` has something to read, calling `on_signal` whenever a host signal may have
/// come: first with every signal blocked (one that came before the wait is seen there), then after
/// each one that interrupts the wait. The wait lets in what the thread's mask lets in, switching
/// masks atomically (ppoll), so no signal slips in between the look and the sleep (masks as
/// [`crate::hostmask`]'s 8-byte sets).
fn wait_readable(fd: RawFd, on_signal: &mut dyn FnMut()) {
    let old = crate::hostmask::set(crate::hostmask::ALL);
    // SAFETY: ppoll over one pollfd of ours, with an 8-byte mask.
    unsafe {
        loop {
            on_signal();
            let mut p = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
            let r = libc::syscall(libc::SYS_ppoll, &mut p as *mut libc::pollfd, 1usize, std::ptr::null::<libc::timespec>(), &old as *const u64, 8usize);
            if r != -1 || *libc::__errno_location() != libc::EINTR {
                break;
            }
        }
    }
    crate::hostmask::set(old);
}

/// Guest pid → host pid of every remote client attached in this run (kept by the server).
static HOST_PIDS: Mutex<Option<HashMap<Pid, i32>>> = Mutex::new(None);

/// Records the host pid of the process of `lwp`; answers its guest pid.
fn record_host_pid(kernel: &dyn RumpKernel, lwp: LwpId, host_pid: i32) -> Option<Pid> {
    // The guest pid is whatever getpid answers for that lwp.
    let own = kernel.lwproc_curlwp();
    let mut guest = None;
    if kernel.lwproc_switch(lwp).is_ok() {
        if let Ok([pid, _]) = kernel.syscall(abi_netbsd::nr::SYS_getpid, [0; 6]) {
            HOST_PIDS.lock().unwrap().get_or_insert_with(HashMap::new).insert(pid as Pid, host_pid);
            guest = Some(pid as Pid);
        }
    }
    if let Some(l) = own {
        kernel.lwproc_switch(l).ok();
    }
    guest
}

/// A server thread, as the watcher sees it.
struct Served {
    kernel: Arc<dyn RumpKernel>,
    /// The client's guest pid (None when it could not be learnt: then its process is not ended
    /// by the watcher).
    pid: Option<Pid>,
    /// The server thread is inside a kernel call for the client.
    in_call: AtomicBool,
    /// The client's end of the channel is closed: nobody will take an answer.
    gone: AtomicBool,
    /// The server thread's host tid once it can be interrupted, else 0.
    tid: AtomicI32,
}

/// A remote process: how many of its lwps have a server thread, and the lwp made to end it
/// (released with the last of those).
#[derive(Default)]
struct Life {
    servers: usize,
    ending: bool,
    parked: Option<LwpId>,
}

/// Guest pid → [`Life`] of every remote process served here. A process is in it while one of its
/// lwps has a server thread that has not released it, so the process (and its pid) exists then.
static LIVES: Mutex<Option<HashMap<Pid, Life>>> = Mutex::new(None);

/// Sees channels hang up (epoll, EPOLLRDHUP with EPOLLONESHOT: requests do not wake it, and each
/// channel reports once; keys, not descriptors, name them, as a closed descriptor's number may be
/// reused before the report is read).
struct Watcher {
    epoll: RawFd,
    next: AtomicU64,
    watched: Mutex<HashMap<u64, Arc<Served>>>,
}

static WATCHER: OnceLock<Option<Watcher>> = OnceLock::new();

impl Watcher {
    /// The watcher of this (the kernel's) process, started at the first call.
    fn get() -> Option<&'static Watcher> {
        WATCHER
            .get_or_init(|| {
                // SAFETY: a new epoll instance of ours.
                let epoll = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
                if epoll < 0 {
                    return None;
                }
                // Started with every signal blocked, so it takes none.
                let spawned = crate::hostmask::with_all_blocked(|| std::thread::Builder::new().name("rumplx-hangups".into()).spawn(watch_loop));
                spawned.ok().map(|_| Watcher { epoll, next: AtomicU64::new(1), watched: Mutex::default() })
            })
            .as_ref()
    }

    fn watch(&self, fd: RawFd, served: Arc<Served>) -> Option<u64> {
        let key = self.next.fetch_add(1, SeqCst);
        self.watched.lock().unwrap().insert(key, served);
        let mut ev = libc::epoll_event { events: (libc::EPOLLRDHUP | libc::EPOLLONESHOT) as u32, u64: key };
        // SAFETY: adds our descriptor to our epoll instance.
        if unsafe { libc::epoll_ctl(self.epoll, libc::EPOLL_CTL_ADD, fd, &mut ev) } != 0 {
            self.watched.lock().unwrap().remove(&key);
            return None;
        }
        Some(key)
    }

    /// Before the channel closes (the epoll entry goes with the descriptor).
    fn unwatch(&self, key: u64) {
        self.watched.lock().unwrap().remove(&key);
    }
}

fn watch_loop() {
    let w = loop {
        // The OnceLock is being filled by the thread that started this one.
        if let Some(w) = WATCHER.get() {
            break w.as_ref();
        }
        std::thread::yield_now();
    };
    let Some(w) = w else { return };
    let mut events = [libc::epoll_event { events: 0, u64: 0 }; 16];
    loop {
        // SAFETY: fills our array.
        let n = unsafe { libc::epoll_wait(w.epoll, events.as_mut_ptr(), events.len() as i32, -1) };
        for ev in events.iter().take(n.max(0) as usize) {
            let key = ev.u64;
            let Some(served) = w.watched.lock().unwrap().remove(&key) else { continue };
            // Ordered with the server thread's in_call/gone (both SeqCst): either it sees `gone`
            // before it enters the kernel, or this sees `in_call`.
            served.gone.store(true, SeqCst);
            if served.in_call.load(SeqCst) {
                end_client(&served);
            }
        }
    }
}

/// The client of a server thread that is in a call died: its sleeps in the kernel end.
fn end_client(served: &Served) {
    if let Some(pid) = served.pid {
        let mut lives = LIVES.lock().unwrap();
        match lives.as_mut().and_then(|m| m.get_mut(&pid)) {
            // Its last server thread is leaving: nothing sleeps any more.
            None => return,
            Some(life) if life.ending => return,
            Some(life) => match served.kernel.lwproc_end_remote(pid) {
                Ok(lwp) => {
                    life.ending = true;
                    life.parked = Some(lwp);
                    return;
                }
                Err(ne::ENOSYS) => {}
                Err(_) => {
                    life.ending = true;
                    return;
                }
            },
        }
    }
    // A kernel whose sleeps the server thread's interrupt ends.
    let tid = served.tid.load(SeqCst);
    if let (Some(i), true) = (INTERRUPTS.get(), tid > 0) {
        // SAFETY: tgkill to a thread of ours (gone since, it fails harmlessly).
        unsafe { libc::syscall(libc::SYS_tgkill, libc::getpid(), tid, i.signo) };
    }
}


/// A server thread is done with its lwp: it releases it, and, the last of its process's server
/// threads, the lwp the watcher made to end the process.
fn leave(kernel: &dyn RumpKernel, lwp: LwpId, served: &Served, key: Option<u64>) {
    if let (Some(w), Some(k)) = (WATCHER.get().and_then(Option::as_ref), key) {
        w.unwatch(k);
    }
    let parked = served.pid.and_then(|pid| {
        let mut lives = LIVES.lock().unwrap();
        let map = lives.as_mut()?;
        let life = map.get_mut(&pid)?;
        life.servers -= 1;
        if life.servers > 0 {
            return None;
        }
        map.remove(&pid)?.parked
    });
    kernel.lwproc_switch(lwp).ok();
    kernel.lwproc_releaselwp();
    if let Some(l) = parked {
        if kernel.lwproc_switch(l).is_ok() {
            kernel.lwproc_releaselwp();
        }
    }
}

/// Starts a server thread for a remote client's lwp on `channel` (in the kernel's process).
pub fn serve_client(kernel: Arc<dyn RumpKernel>, channel: OwnedFd, lwp: LwpId, host_pid: i32) {
    let pid = record_host_pid(kernel.as_ref(), lwp, host_pid);
    if let Some(pid) = pid {
        LIVES.lock().unwrap().get_or_insert_with(HashMap::new).entry(pid).or_default().servers += 1;
    }
    let served = Arc::new(Served { kernel: kernel.clone(), pid, in_call: AtomicBool::new(false), gone: AtomicBool::new(false), tid: AtomicI32::new(0) });
    std::thread::spawn(move || server_loop(kernel, channel, lwp, host_pid, served));
}

fn server_loop(kernel: Arc<dyn RumpKernel>, channel: OwnedFd, lwp: LwpId, host_pid: i32, served: Arc<Served>) {
    // A server thread takes no signals: they are the guests', delivered in their own threads.
    crate::hostmask::set(crate::hostmask::ALL);
    // ... but the interrupt signal, once this thread can take it.
    let interruptible = Interruptible::start();
    let interrupts = interruptible.as_ref().map(|i| i.0);
    if interrupts.is_some() {
        // SAFETY: gettid has no preconditions.
        served.tid.store(unsafe { libc::gettid() }, SeqCst);
    }
    kernel.lwproc_switch(lwp).ok();
    let fd = channel.as_raw_fd();
    let key = Watcher::get().and_then(|w| w.watch(fd, served.clone()));
    loop {
        let mut req = Request::default();
        // SAFETY: plain-data wire struct.
        let buf = unsafe { std::slice::from_raw_parts_mut(&mut req as *mut Request as *mut u8, std::mem::size_of::<Request>()) };
        let (whole, passed) = recv(fd, buf).unwrap_or_default();
        if !whole {
            // The client is gone (exited or killed): its lwp goes with it.
            leave(kernel.as_ref(), lwp, &served, key);
            forget_gone(kernel.as_ref());
            return;
        }
        kernel.lwproc_switch(lwp).ok();
        if let (Some(i), true) = (interrupts, req.flags & REQ_DROP_INTERRUPT != 0) {
            (i.clear)();
        }
        let answer: SysResult = match req.kind {
            k if k == Kind::Syscall as u32 => {
                served.in_call.store(true, SeqCst);
                let r = if served.gone.load(SeqCst) {
                    // The client died after sending it: nobody takes the answer.
                    Err(ne::EINTR)
                } else {
                    crate::uaccess::serve(host_pid, || kernel.syscall(req.nr, req.args))
                };
                served.in_call.store(false, SeqCst);
                note_reaped(req.nr, req.args, &r);
                r
            }
            // SAFETY: getpid and gettid have no preconditions.
            k if k == Kind::ServerThread as u32 => match interrupts {
                Some(_) => Ok(unsafe { [libc::getpid() as u64, libc::gettid() as u64] }),
                None => Err(ne::ENOSYS),
            },
            k if k == Kind::Rfork as u32 => kernel.lwproc_rfork(req.args[0] != 0).map(|pid| {
                let child = kernel.lwproc_curlwp().unwrap_or(0);
                kernel.lwproc_switch(lwp).ok();
                [pid as u64, child as u64]
            }),
            k if k == Kind::NewLwp as u32 => kernel.lwproc_newlwp(req.args[0] as Pid).map(|l| {
                kernel.lwproc_switch(lwp).ok();
                [l as u64, 0]
            }),
            k if k == Kind::ReleaseLwp as u32 => {
                leave(kernel.as_ref(), lwp, &served, key);
                let _ = send(fd, as_bytes(&Answer::default()), None);
                return;
            }
            k if k == Kind::Attach as u32 => match passed {
                Some(ch) => {
                    serve_client(kernel.clone(), ch, req.args[0] as LwpId, req.args[1] as i32);
                    Ok([0, 0])
                }
                None => Err(ne::EINVAL),
            },
            k if k == Kind::HostPidOf as u32 => host_pid_of_local(req.args[0] as Pid).map(|h| [h as u64, 0]).ok_or(ne::ESRCH),
            k if k == Kind::Processes as u32 => {
                // (guest pid, host pid) pairs as i32s into the client's buffer of `max` pairs.
                let list = processes_local();
                let n = list.len().min(req.args[1] as usize);
                let bytes: Vec<u8> = list[..n].iter().flat_map(|(g, h)| g.to_ne_bytes().into_iter().chain(h.to_ne_bytes())).collect();
                crate::uaccess::write_remote(host_pid, req.args[0], &bytes).map(|_| [list.len() as u64, 0])
            }
            _ => Err(ne::ENOSYS),
        };
        let a = match answer {
            Ok(rv) => Answer { errno: 0, _pad: 0, rv },
            Err(e) => Answer { errno: e.0, _pad: 0, rv: [0, 0] },
        };
        if send(fd, as_bytes(&a), None).is_err() {
            leave(kernel.as_ref(), lwp, &served, key);
            forget_gone(kernel.as_ref());
            return;
        }
    }
}

/// Drops the host pids of processes the kernel no longer has, so a pid, free for the host to
/// reuse once reaped, is never signalled for them: the client's own (its last lwp went and
/// nobody will wait for it), and its zombie children's, which went with it (reaped as init would).
fn forget_gone(kernel: &dyn RumpKernel) {
    let mut pids = HOST_PIDS.lock().unwrap();
    let Some(map) = pids.as_mut() else { return };
    map.retain(|pid, _| kernel.syscall(abi_netbsd::nr::SYS_getpgid, [*pid as u32 as u64, 0, 0, 0, 0, 0]).is_ok());
}

/// A reaped process is gone (the kernel kept it, a zombie, until then): its host pid, free for
/// the host to reuse, is never signalled for it.
fn note_reaped(nr: u32, args: [u64; 6], r: &SysResult) {
    if nr == crate::ext_events::SYS_EXT_reap && r.is_ok() {
        if let Some(map) = HOST_PIDS.lock().unwrap().as_mut() {
            map.remove(&(args[0] as i32));
        }
    }
}

/// Records the process holding the kernel (the run's first), so it is found like the others.
pub fn record_kernel_process(pid: Pid, host_pid: i32) {
    HOST_PIDS.lock().unwrap().get_or_insert_with(HashMap::new).insert(pid, host_pid);
}

fn processes_local() -> Vec<(Pid, i32)> {
    let mut v: Vec<(Pid, i32)> = HOST_PIDS.lock().unwrap().as_ref().map(|m| m.iter().map(|(g, h)| (*g, *h)).collect()).unwrap_or_default();
    v.sort_unstable();
    v
}

/// Every process of the run as (guest pid, host pid), asked of the server when we are a client.
pub fn processes(slot: &KernelSlot) -> Vec<(Pid, i32)> {
    let k = slot.get();
    let Some(remote) = k.as_remote() else { return processes_local() };
    let mut buf = vec![0i32; 2 * 4096];
    let Ok([n, _]) = remote.call(Kind::Processes, 0, [buf.as_mut_ptr() as u64, 4096, 0, 0, 0, 0], None) else {
        return Vec::new();
    };
    buf.chunks(2).take((n as usize).min(4096)).map(|c| (c[0], c[1])).collect()
}

/// Host pids of every remote client attached in this (the kernel's) process.
pub fn client_host_pids() -> Vec<i32> {
    // SAFETY: getpid has no preconditions.
    let own = unsafe { libc::getpid() };
    processes_local().into_iter().map(|(_, h)| h).filter(|h| *h != own).collect()
}

pub(crate) fn host_pid_of_local(pid: Pid) -> Option<i32> {
    HOST_PIDS.lock().unwrap().as_ref().and_then(|m| m.get(&pid).copied())
}

/// The kernel as seen from a forked guest process: every call goes to the server.
pub struct RemoteKernel {
    /// One channel per lwp of this process.
    channels: Mutex<HashMap<LwpId, Arc<OwnedFd>>>,
    /// Per lwp, what is known of its server thread.
    servers: Mutex<HashMap<LwpId, ServerThread>>,
}

/// What a client knows of the server thread serving one of its lwps.
#[derive(Clone, Copy, Default)]
struct ServerThread {
    /// Its host (pid, tid); None when it cannot be interrupted.
    host: Option<(i32, i32)>,
    /// An interrupt was sent to it during the last call (it may have come after the answer).
    interrupt_sent: bool,
}

std::thread_local! {
    static CURRENT_LWP: std::cell::Cell<Option<LwpId>> = const { std::cell::Cell::new(None) };
}

impl RemoteKernel {
    /// A client whose calling thread acts as `lwp` over `channel`.
    pub fn new(channel: OwnedFd, lwp: LwpId) -> RemoteKernel {
        CURRENT_LWP.with(|c| c.set(Some(lwp)));
        RemoteKernel { channels: Mutex::new(HashMap::from([(lwp, Arc::new(channel))])), servers: Mutex::default() }
    }

    /// A client for `lwp` over `channel` for another host thread or process (a CLONE_VM child),
    /// which switches to `lwp` itself; the calling thread's own lwp is left alone.
    pub fn for_lwp(channel: OwnedFd, lwp: LwpId) -> RemoteKernel {
        RemoteKernel { channels: Mutex::new(HashMap::from([(lwp, Arc::new(channel))])), servers: Mutex::default() }
    }

    fn channel(&self) -> Result<Arc<OwnedFd>, Errno> {
        let lwp = CURRENT_LWP.with(|c| c.get()).ok_or(ne::EINVAL)?;
        self.channels.lock().unwrap().get(&lwp).cloned().ok_or(ne::EINVAL)
    }

    /// The server thread of the calling thread's lwp (asked once per lwp); its `interrupt_sent`
    /// is taken, so the next call reports it once.
    fn server_thread(&self) -> ServerThread {
        let Some(lwp) = CURRENT_LWP.with(|c| c.get()) else { return ServerThread::default() };
        if let Some(s) = self.servers.lock().unwrap().get_mut(&lwp) {
            let seen = *s;
            s.interrupt_sent = false;
            return seen;
        }
        let host = self.call(Kind::ServerThread, 0, [0; 6], None).ok().map(|[pid, tid]| (pid as i32, tid as i32));
        let s = ServerThread { host, interrupt_sent: false };
        self.servers.lock().unwrap().insert(lwp, s);
        s
    }

    fn call(&self, kind: Kind, nr: u32, args: [u64; 6], pass: Option<RawFd>) -> SysResult {
        let server = if kind == Kind::Syscall { self.server_thread() } else { ServerThread::default() };
        let ch = self.channel()?;
        let flags = if server.interrupt_sent { REQ_DROP_INTERRUPT } else { 0 };
        let req = Request { kind: kind as u32, nr, args, flags, _pad: 0 };
        send(ch.as_raw_fd(), as_bytes(&req), pass)?;
        let mut a = Answer::default();
        // SAFETY: plain-data wire struct.
        let buf = unsafe { std::slice::from_raw_parts_mut(&mut a as *mut Answer as *mut u8, std::mem::size_of::<Answer>()) };
        let mut interrupted = false;
        let mut on_signal = || {
            if let (Some((pid, tid)), false, Some(i)) = (server.host, interrupted, INTERRUPTS.get()) {
                if crate::signal_pending() {
                    interrupted = true;
                    // SAFETY: tgkill to the server thread; a thread gone since makes it fail, harmlessly.
                    unsafe { libc::syscall(libc::SYS_tgkill, pid, tid, i.signo) };
                }
            }
        };
        if server.host.is_some() {
            wait_readable(ch.as_raw_fd(), &mut on_signal);
        }
        let got = recv(ch.as_raw_fd(), buf)?;
        if interrupted {
            if let Some(lwp) = CURRENT_LWP.with(|c| c.get()) {
                self.servers.lock().unwrap().entry(lwp).or_default().interrupt_sent = true;
            }
        }
        match got {
            (true, _) => {}
            // The kernel's process is gone: nothing can go on.
            _ => return Err(ne::EIO),
        }
        if a.errno != 0 {
            Err(Errno(a.errno))
        } else {
            Ok(a.rv)
        }
    }

    /// Hands the server a channel for `lwp` of the process running as host `host_pid`.
    pub fn attach(&self, lwp: LwpId, channel: OwnedFd, host_pid: i32) -> Result<(), Errno> {
        self.call(Kind::Attach, 0, [lwp as u64, host_pid as u64, 0, 0, 0, 0], Some(channel.as_raw_fd())).map(|_| ())
    }

    pub fn host_pid_of(&self, pid: Pid) -> Option<i32> {
        self.call(Kind::HostPidOf, 0, [pid as u64, 0, 0, 0, 0, 0], None).ok().map(|r| r[0] as i32)
    }
}

/// A SOCK_SEQPACKET pair: (the server's end, the client's end).
pub fn channel_pair() -> Result<(OwnedFd, OwnedFd), Errno> {
    let mut fds = [0i32; 2];
    // SAFETY: socketpair fills two descriptors.
    if unsafe { libc::socketpair(libc::AF_UNIX, libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC, 0, fds.as_mut_ptr()) } != 0 {
        return Err(ne::EMFILE);
    }
    // SAFETY: fresh descriptors we own.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

impl RumpKernel for RemoteKernel {
    fn name(&self) -> &'static str {
        "sysproxy client"
    }

    fn syscall(&self, nr: u32, args: [u64; 6]) -> SysResult {
        self.call(Kind::Syscall, nr, args, None)
    }

    fn lwproc_rfork(&self, share_files: bool) -> Result<Pid, Errno> {
        let [pid, lwp] = self.call(Kind::Rfork, 0, [share_files as u64, 0, 0, 0, 0, 0], None)?;
        // Like rump's rfork, the caller now acts as the new process's lwp (it has no channel until
        // `attach`; switch back before making calls).
        CURRENT_LWP.with(|c| c.set(Some(lwp as LwpId)));
        Ok(pid as Pid)
    }

    fn lwproc_newlwp(&self, pid: Pid) -> Result<LwpId, Errno> {
        let [lwp, _] = self.call(Kind::NewLwp, 0, [pid as u64, 0, 0, 0, 0, 0], None)?;
        let lwp = lwp as LwpId;
        let (server_end, client_end) = channel_pair()?;
        // SAFETY: getpid has no preconditions.
        self.attach(lwp, server_end, unsafe { libc::getpid() })?;
        self.channels.lock().unwrap().insert(lwp, Arc::new(client_end));
        CURRENT_LWP.with(|c| c.set(Some(lwp)));
        Ok(lwp)
    }

    fn lwproc_switch(&self, lwp: LwpId) -> Result<(), Errno> {
        CURRENT_LWP.with(|c| c.set(Some(lwp)));
        Ok(())
    }

    fn lwproc_releaselwp(&self) {
        let Some(lwp) = CURRENT_LWP.with(|c| c.get()) else { return };
        let _ = self.call(Kind::ReleaseLwp, 0, [0; 6], None);
        self.channels.lock().unwrap().remove(&lwp);
        CURRENT_LWP.with(|c| c.set(None));
    }

    fn lwproc_curlwp(&self) -> Option<LwpId> {
        CURRENT_LWP.with(|c| c.get())
    }

    fn register_host(&self, _: &str, _: &str, _: HostKind, _: bool) -> Result<(), Errno> {
        // The namespace is the server's; it is set up before any process forks.
        Err(ne::ENOSYS)
    }

    fn mount_tmpfs(&self, _: &str) -> Result<(), Errno> {
        Err(ne::ENOSYS)
    }

    fn host_fd(&self, _: i32) -> Option<i32> {
        // Host descriptors live in the kernel's process, not here.
        None
    }

    fn as_remote(&self) -> Option<&RemoteKernel> {
        Some(self)
    }
}

/// The kernel a process talks to, replaceable once: a forked process swaps the kernel it inherited
/// (a stale copy) for a [`RemoteKernel`] before it makes any call.
pub struct KernelSlot {
    inner: RwLock<Arc<dyn RumpKernel>>,
}

impl KernelSlot {
    pub fn new(kernel: Arc<dyn RumpKernel>) -> KernelSlot {
        KernelSlot { inner: RwLock::new(kernel) }
    }

    pub fn get(&self) -> Arc<dyn RumpKernel> {
        self.inner.read().unwrap().clone()
    }

    /// Puts `kernel` in place (in a fresh fork child, where no other thread exists) and answers
    /// the kernel it replaces.
    pub fn replace(&self, kernel: Arc<dyn RumpKernel>) -> Arc<dyn RumpKernel> {
        std::mem::replace(&mut *self.inner.write().unwrap(), kernel)
    }

}

impl RumpKernel for KernelSlot {
    fn name(&self) -> &'static str {
        self.get().name()
    }
    fn syscall(&self, nr: u32, args: [u64; 6]) -> SysResult {
        let r = self.inner.read().unwrap().syscall(nr, args);
        // In the kernel's process the server's map is this process's (in a client, a stale copy).
        note_reaped(nr, args, &r);
        r
    }
    fn lwproc_rfork(&self, share_files: bool) -> Result<Pid, Errno> {
        self.get().lwproc_rfork(share_files)
    }
    fn lwproc_newlwp(&self, pid: Pid) -> Result<LwpId, Errno> {
        self.get().lwproc_newlwp(pid)
    }
    fn lwproc_switch(&self, lwp: LwpId) -> Result<(), Errno> {
        self.get().lwproc_switch(lwp)
    }
    fn lwproc_releaselwp(&self) {
        self.get().lwproc_releaselwp()
    }
    fn lwproc_curlwp(&self) -> Option<LwpId> {
        self.get().lwproc_curlwp()
    }
    fn lwproc_end_remote(&self, pid: Pid) -> Result<LwpId, Errno> {
        self.get().lwproc_end_remote(pid)
    }
    fn register_host(&self, g: &str, h: &str, k: HostKind, ro: bool) -> Result<(), Errno> {
        self.get().register_host(g, h, k, ro)
    }
    fn mount_tmpfs(&self, p: &str) -> Result<(), Errno> {
        self.get().mount_tmpfs(p)
    }
    fn mount_image(&self, image: &str, dir: &str, fs: crate::fsimage::FsType, ro: bool) -> Result<(), Errno> {
        self.get().mount_image(image, dir, fs, ro)
    }
    fn host_fd(&self, fd: i32) -> Option<i32> {
        self.get().host_fd(fd)
    }
    fn end_run(&self) {
        self.get().end_run()
    }
}

/// Gives a forked process's first lwp its server: a thread here when this process holds the
/// kernel, or the server, through our own channel, when we are a client ourselves.
pub fn attach_child(slot: &KernelSlot, lwp: LwpId, channel: OwnedFd, host_pid: i32) -> Result<(), Errno> {
    let k = slot.get();
    if let Some(remote) = k.as_remote() {
        return remote.attach(lwp, channel, host_pid);
    }
    serve_client(k, channel, lwp, host_pid);
    Ok(())
}

/// The host pid of guest process `pid`, when it is a remote client of this run.
pub fn host_pid_of(slot: &KernelSlot, pid: Pid) -> Option<i32> {
    let k = slot.get();
    if let Some(remote) = k.as_remote() {
        return remote.host_pid_of(pid);
    }
    host_pid_of_local(pid)
}
