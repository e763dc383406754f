//! Linux's SO_PASSCRED and SCM_CREDENTIALS on local sockets (bridge extensions `SO_EXT_PASSCRED`
//! and `SCM_EXT_CREDS`, see [`crate::ext`]).
//!
//! Host sockets all live in the kernel's host process, so the host's own SCM_CREDENTIALS cannot
//! tell guest processes apart. But every guest send passes through this kernel, which knows the
//! sending process: each receiving socket has a queue of sender credentials, pushed under the
//! socket's lock together with the host send (a non-blocking one: a blocked sender waits
//! outside the lock), so the queue's order is the host queue's. A datagram or seqpacket socket
//! has one entry per message; a stream has runs of (credentials, bytes). A receive takes its
//! message's entry or consumes its bytes (MSG_PEEK takes nothing); with SO_PASSCRED a stream
//! read stops where the credentials change, as Linux's unix_stream_read_generic does.
//!
//! As on Linux, credentials travel when the sender or the receiver has SO_PASSCRED at send
//! time, with everything sent to a connection not yet accepted, or when the sender gives its
//! own SCM_CREDENTIALS; otherwise the receiver reads Linux's "none" (pid 0, uid and gid 65534).
//! Nothing is tracked until some socket of the run first sets SO_PASSCRED or sends
//! credentials, and a socket's queue only from the first time credentials concern it: what
//! waited in it then is counted as carrying none (a stream's bytes exactly; a datagram
//! socket's messages cannot be counted, so until its queue has once been seen empty its
//! messages read as carrying none).
//!
//! Sockets are known by their host inode. Receivers are found as sends go: a connected socket's
//! peer through the host's sock_diag, a named one through the file it is bound to.

use super::file::OpenFile;
use super::hypercall;
use super::syscalls::R;
use abi_netbsd::errno as ne;
use abi_netbsd::structs::Iovec;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

/// Linux's `struct ucred`, the pid in the guest's numbering.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Ucred {
    pub pid: i32,
    pub uid: u32,
    pub gid: u32,
}

impl Ucred {
    pub fn bytes(&self) -> [u8; 12] {
        let mut b = [0u8; 12];
        b[0..4].copy_from_slice(&self.pid.to_ne_bytes());
        b[4..8].copy_from_slice(&self.uid.to_ne_bytes());
        b[8..12].copy_from_slice(&self.gid.to_ne_bytes());
        b
    }

    pub fn from_bytes(b: &[u8]) -> Ucred {
        let w = |i: usize| u32::from_ne_bytes(b[i..i + 4].try_into().unwrap());
        Ucred {
            pid: w(0) as i32,
            uid: w(4),
            gid: w(8),
        }
    }
}

/// What Linux reports of a message that carried no credentials: pid 0, the overflow ids.
pub const NONE: Ucred = Ucred {
    pid: 0,
    uid: 65534,
    gid: 65534,
};

/// What a stream read at end of file reports (Linux's zeroed scm_cookie).
pub const EOF: Ucred = Ucred {
    pid: 0,
    uid: 0,
    gid: 0,
};

/// A host receive into the given iovecs; `true`: only a probe that waits as the caller's
/// receive would (MSG_PEEK, no control data). Returns the bytes received and the whole result.
pub type HostRecv<'a, T> = dyn FnMut(&[Iovec], bool) -> R<(usize, T)> + 'a;

/// A host send of the given iovecs; `true`: add MSG_DONTWAIT.
pub type HostSend<'a> = dyn FnMut(&[Iovec], bool) -> R<usize> + 'a;

#[derive(Default)]
struct Queue {
    /// Credentials concern this socket: every send to it pushes an entry.
    tracking: bool,
    /// Streams: runs of (credentials, bytes); message sockets: (credentials, 1) per message.
    runs: VecDeque<(Option<Ucred>, u64)>,
    /// Messages of unknown count waited when tracking began (message sockets).
    resync: bool,
    /// Connected but not yet accepted: Linux attaches credentials to all sent to it.
    embryo: bool,
}

/// Key bit of the queue kept for a client's connection before it is accepted.
const EMBRYO: u64 = 1 << 63;

pub(super) struct Sock {
    /// Host inode (or a client's inode | EMBRYO until its connection is accepted).
    ino: AtomicU64,
    stream: bool,
    passcred: AtomicBool,
    /// An open file of the socket, once known (to sweep the entry when the socket is gone).
    file: Mutex<Weak<OpenFile>>,
    known: AtomicBool,
    /// Inode of the socket sends without an address reach (0: not asked yet).
    peer: AtomicU64,
    q: Mutex<Queue>,
}

#[derive(Default)]
struct Inner {
    socks: HashMap<u64, Arc<Sock>>,
    /// (device, inode) of the file a socket is bound to → that socket.
    files: HashMap<(u64, u64), Weak<OpenFile>>,
    swept: usize,
}

#[derive(Default)]
pub(super) struct Creds {
    /// Some socket has had SO_PASSCRED or sent credentials: sends and receives look here.
    on: AtomicBool,
    inner: Mutex<Inner>,
}

/// The host descriptor behind a socket's open file.
fn host_fd(f: &OpenFile) -> Option<i32> {
    match &f.obj {
        super::file::Object::Host { fd, .. } => Some(fd.raw()),
        _ => None,
    }
}

impl Creds {
    pub fn active(&self) -> bool {
        self.on.load(Ordering::Relaxed)
    }

    pub fn switch_on(&self) {
        self.on.store(true, Ordering::Relaxed);
    }

    fn sweep(g: &mut Inner) {
        let n = g.socks.len() + g.files.len();
        if n <= 2 * g.swept + 64 {
            return;
        }
        // A socket known by its file stays while that lives; one seen only as a peer (or a
        // connection not yet accepted) while a live socket sends to it.
        g.socks.retain(|_, s| {
            !s.known.load(Ordering::Relaxed) || s.file.lock().unwrap().strong_count() > 0
        });
        let peers: std::collections::HashSet<u64> = g
            .socks
            .values()
            .map(|s| s.peer.load(Ordering::Relaxed))
            .collect();
        g.socks.retain(|ino, s| {
            s.known.load(Ordering::Relaxed) || peers.contains(ino) || s.q.lock().unwrap().embryo
        });
        g.files.retain(|_, f| f.strong_count() > 0);
        g.swept = g.socks.len() + g.files.len();
    }

    /// The entry of socket `ino`, made if needed; `file` (when known) is remembered.
    pub fn sock(&self, ino: u64, stream: bool, file: Option<&Arc<OpenFile>>) -> Arc<Sock> {
        let mut g = self.inner.lock().unwrap();
        Self::sweep(&mut g);
        let s = g
            .socks
            .entry(ino)
            .or_insert_with(|| {
                Arc::new(Sock {
                    ino: AtomicU64::new(ino),
                    stream,
                    passcred: AtomicBool::new(false),
                    file: Mutex::new(Weak::new()),
                    known: AtomicBool::new(false),
                    peer: AtomicU64::new(0),
                    q: Mutex::new(Queue::default()),
                })
            })
            .clone();
        drop(g);
        if let Some(f) = file {
            let mut w = s.file.lock().unwrap();
            if w.strong_count() == 0 || !std::ptr::eq(w.as_ptr(), Arc::as_ptr(f)) {
                *w = Arc::downgrade(f);
            }
            s.known.store(true, Ordering::Relaxed);
        }
        s
    }

    pub fn get(&self, ino: u64) -> Option<Arc<Sock>> {
        self.inner.lock().unwrap().socks.get(&ino).cloned()
    }

    /// A socket was bound to the file (device, inode) `id`.
    pub fn bound(&self, id: (u64, u64), file: &Arc<OpenFile>) {
        let mut g = self.inner.lock().unwrap();
        Self::sweep(&mut g);
        g.files.insert(id, Arc::downgrade(file));
    }

    /// The socket bound to file `id`, while it lives.
    pub fn bound_to(&self, id: (u64, u64)) -> Option<Arc<OpenFile>> {
        self.inner.lock().unwrap().files.get(&id)?.upgrade()
    }

    /// SO_PASSCRED of socket `fd` (`file`): from now on its queue is kept.
    pub fn set_passcred(&self, file: &Arc<OpenFile>, fd: i32, stream: bool, on: bool) -> R<()> {
        let ino = hypercall::sock_ino(fd)?;
        self.switch_on();
        let s = self.sock(ino, stream, Some(file));
        let mut q = s.q.lock().unwrap();
        if on && !q.tracking {
            Self::start(&s, &mut q);
        }
        s.passcred.store(on, Ordering::Relaxed);
        Ok(())
    }

    /// SO_PASSCRED of socket `fd`.
    pub fn passcred(&self, fd: i32) -> bool {
        self.active()
            && hypercall::sock_ino(fd)
                .ok()
                .and_then(|i| self.get(i))
                .is_some_and(|s| s.passcred.load(Ordering::Relaxed))
    }

    /// An accepted socket: it takes over the queue of what was sent to the connection before
    /// (see [`Creds::peer_of`]) and the listener's SO_PASSCRED (Linux's
    /// unix_sock_inherit_flags).
    pub fn accepted(&self, listener: i32, file: &Arc<OpenFile>, fd: i32, stream: bool) {
        let Ok(ino) = hypercall::sock_ino(fd) else {
            return;
        };
        if let Ok((client, _)) = hypercall::unix_diag(ino) {
            if client != 0 {
                self.adopt(client, ino);
            }
        }
        let pass = self.passcred(listener);
        if !pass && self.get(ino).is_none() {
            return;
        }
        let s = self.sock(ino, stream, Some(file));
        let mut q = s.q.lock().unwrap();
        q.embryo = false;
        if pass {
            if !q.tracking {
                Self::start(&s, &mut q);
            }
            s.passcred.store(true, Ordering::Relaxed);
        }
    }

    /// The connection of client `client` was accepted as socket `ino`: the queue kept for it
    /// under the client's embryo key becomes that socket's (both keys name it from now on).
    /// Whichever comes first, the accept or the client's next send, does it.
    fn adopt(&self, client: u64, ino: u64) {
        let mut g = self.inner.lock().unwrap();
        let Some(e) = g.socks.get(&(client | EMBRYO)).cloned() else {
            return;
        };
        if e.ino.load(Ordering::Relaxed) == ino {
            return;
        }
        if let Some(old) = g.socks.get(&ino).cloned() {
            // Made for the accepted socket before this (as a sender): keep what it knows.
            if old.passcred() {
                e.passcred.store(true, Ordering::Relaxed);
            }
            let p = old.peer.load(Ordering::Relaxed);
            if p != 0 {
                e.peer.store(p, Ordering::Relaxed);
            }
            if old.known.load(Ordering::Relaxed) {
                *e.file.lock().unwrap() = old.file.lock().unwrap().clone();
                e.known.store(true, Ordering::Relaxed);
            }
        }
        e.ino.store(ino, Ordering::Relaxed);
        g.socks.insert(ino, e);
    }

    /// After a connect of datagram socket `fd` succeeded: its sends without an address go to
    /// its new peer.
    pub fn connected(&self, fd: i32, stream: bool) {
        let Ok(ino) = hypercall::sock_ino(fd) else {
            return;
        };
        let peer = hypercall::unix_diag(ino).map(|d| d.0).unwrap_or(0);
        self.sock(ino, stream, None).peer.store(peer, Ordering::Relaxed);
    }

    /// The socket that sends of socket `ino` (`file`) without an address reach. A connection
    /// not yet accepted has no host inode (sock_diag reports none): what is sent to it queues
    /// under the client's embryo key until the accepted socket adopts it.
    pub fn peer_of(
        &self,
        ino: u64,
        stream: bool,
        stream_like: bool,
        file: &Arc<OpenFile>,
    ) -> Option<Arc<Sock>> {
        let s = self.sock(ino, stream, Some(file));
        let mut p = s.peer.load(Ordering::Relaxed);
        if p == 0 {
            p = hypercall::unix_diag(ino).ok()?.0;
            if p == 0 {
                if !stream_like {
                    return None;
                }
                let e = self.sock(ino | EMBRYO, stream, None);
                let mut q = e.q.lock().unwrap();
                if !q.tracking {
                    q.tracking = true;
                    q.embryo = true;
                }
                drop(q);
                return Some(e);
            }
            if stream_like {
                self.adopt(ino, p);
            }
            s.peer.store(p, Ordering::Relaxed);
        }
        Some(self.sock(p, stream, None))
    }

    /// Tracking begins: what waits in the socket's queue carried no credentials.
    fn start(s: &Sock, q: &mut Queue) {
        q.tracking = true;
        let fd = s.file.lock().unwrap().upgrade();
        let fd = fd.as_deref().and_then(host_fd);
        if s.stream {
            let n = match fd {
                Some(fd) => hypercall::fionread(fd).map(|n| n as u32).unwrap_or(0),
                None => hypercall::unix_diag(s.ino()).map(|d| d.1).unwrap_or(0),
            };
            if n > 0 {
                q.runs.push_back((None, n as u64));
            }
        } else {
            q.resync = match fd {
                Some(fd) => hypercall::readable_now(fd),
                None => hypercall::unix_diag(s.ino()).is_ok_and(|d| d.1 > 0),
            };
        }
    }

    /// Sends `iov` to receiver `rx` through `send` (the host send, told whether to add
    /// MSG_DONTWAIT) as sender `own` (with SO_PASSCRED: `s_pass`; explicit credentials
    /// `explicit`). A blocking sender waits for room outside the queue's lock, on host
    /// descriptor `fd` (`deadline_ms`: its SO_SNDTIMEO, read when first needed).
    #[allow(clippy::too_many_arguments)]
    pub fn send(
        &self,
        rx: Option<Arc<Sock>>,
        own: Ucred,
        s_pass: bool,
        explicit: Option<Ucred>,
        fd: i32,
        nonblock: bool,
        iov: &[Iovec],
        send: &mut HostSend<'_>,
    ) -> R<usize> {
        let Some(rx) = rx else {
            return send(iov, false);
        };
        let total: u64 = iov.iter().map(|v| v.iov_len).sum();
        let mut done = 0u64;
        let mut waited_ms = 0i64;
        let mut limit_ms: Option<i64> = None;
        loop {
            let part = advance(iov, done);
            let r = {
                let mut q = rx.q.lock().unwrap();
                let attach = explicit
                    .or((s_pass || rx.passcred.load(Ordering::Relaxed) || q.embryo).then_some(own));
                if !q.tracking {
                    if attach.is_none() {
                        drop(q);
                        return send(iov, false);
                    }
                    Self::start(&rx, &mut q);
                }
                let r = send(&part, true);
                if let Ok(n) = r {
                    if rx.stream {
                        if n > 0 {
                            match q.runs.back_mut() {
                                Some(last) if last.0 == attach => last.1 += n as u64,
                                _ => q.runs.push_back((attach, n as u64)),
                            }
                        }
                    } else {
                        q.runs.push_back((attach, 1));
                    }
                }
                r
            };
            match r {
                Ok(n) => {
                    done += n as u64;
                    if !rx.stream || done >= total || nonblock {
                        return Ok(done as usize);
                    }
                }
                Err(e) if e == ne::EAGAIN && !nonblock => {}
                Err(e) => return if done > 0 { Ok(done as usize) } else { Err(e) },
            }
            // Wait for room (a datagram sent to a full socket by name is not reported by poll:
            // the wait is then a pause of 10 ms).
            let limit = *limit_ms.get_or_insert_with(|| send_timeout_ms(fd));
            let step = if limit > 0 {
                (limit - waited_ms).clamp(0, 10)
            } else {
                10
            };
            if limit > 0 && step == 0 {
                return if done > 0 {
                    Ok(done as usize)
                } else {
                    Err(ne::EAGAIN)
                };
            }
            let t0 = std::time::Instant::now();
            match hypercall::wait_writable(fd, step as i32) {
                Ok(ready) => {
                    if ready && t0.elapsed().as_millis() == 0 && !rx.stream {
                        std::thread::sleep(std::time::Duration::from_millis(1));
                    }
                }
                Err(e) => return if done > 0 { Ok(done as usize) } else { Err(e) },
            }
            waited_ms += t0.elapsed().as_millis().max(1) as i64;
        }
    }

    /// Receives on socket `rx` through `recv` (the host receive into the given iovecs; when
    /// told to probe, one that only waits as the caller's would: MSG_PEEK added, no control
    /// data): its result and the credentials to report (when the socket has SO_PASSCRED).
    /// `peek`: the caller's MSG_PEEK (nothing is taken from the queue).
    pub fn recv<T>(
        &self,
        rx: &Arc<Sock>,
        peek: bool,
        iov: &[Iovec],
        recv: &mut HostRecv<'_, T>,
    ) -> R<(T, Option<Ucred>)> {
        let pass = rx.passcred.load(Ordering::Relaxed);
        let want: u64 = iov.iter().map(|v| v.iov_len).sum();
        if !rx.stream {
            let (_, t) = recv(iov, false)?;
            let mut q = rx.q.lock().unwrap();
            let front = if q.resync {
                None
            } else if peek {
                q.runs.front().map(|r| r.0)
            } else {
                q.runs.pop_front().map(|r| r.0)
            };
            if q.resync && !peek {
                // Once the queue has been seen empty, the entries left are of messages read.
                let fd = rx.file.lock().unwrap().upgrade();
                if fd
                    .as_deref()
                    .and_then(host_fd)
                    .is_some_and(|fd| !hypercall::readable_now(fd))
                {
                    q.resync = false;
                    q.runs.clear();
                }
            }
            return Ok((t, pass.then(|| front.flatten().unwrap_or(NONE))));
        }
        let mut waited = false;
        loop {
            let (limit, head) = {
                let q = rx.q.lock().unwrap();
                match q.runs.front() {
                    Some(r) => (pass.then_some(r.1), r.0),
                    None => (None, None),
                }
            };
            if pass && limit.is_none() && want > 0 && !waited {
                // Nothing counted yet: wait for bytes (as the caller would), then look again.
                let mut b = [0u8; 1];
                let one = [Iovec {
                    iov_base: b.as_mut_ptr() as u64,
                    iov_len: 1,
                }];
                let (n, _) = recv(&one, true)?;
                waited = true;
                if n > 0 {
                    continue;
                }
            }
            let part = match limit {
                Some(l) => truncate(iov, l),
                None => iov.to_vec(),
            };
            let (n, t) = recv(&part, false)?;
            if !peek {
                let mut q = rx.q.lock().unwrap();
                let mut left = n as u64;
                while left > 0 {
                    let Some(r) = q.runs.front_mut() else { break };
                    let k = left.min(r.1);
                    r.1 -= k;
                    left -= k;
                    if r.1 == 0 {
                        q.runs.pop_front();
                    }
                }
            }
            let c = if n == 0 && want > 0 {
                EOF
            } else {
                head.unwrap_or(NONE)
            };
            return Ok((t, pass.then_some(c)));
        }
    }
}

/// What the socket code asks of an entry.
impl Sock {
    fn ino(&self) -> u64 {
        self.ino.load(Ordering::Relaxed) & !EMBRYO
    }

    pub fn passcred(&self) -> bool {
        self.passcred.load(Ordering::Relaxed)
    }
}

/// The host SO_SNDTIMEO of `fd` in milliseconds (0: none).
fn send_timeout_ms(fd: i32) -> i64 {
    use abi_netbsd::consts::sockopt_socket as so;
    let mut b = [0u8; 16];
    match hypercall::getsockopt(fd, so::SOL_SOCKET, so::SO_SNDTIMEO, &mut b) {
        Ok(n) if n >= 12 => {
            let sec = i64::from_ne_bytes(b[0..8].try_into().unwrap());
            let usec = i32::from_ne_bytes(b[8..12].try_into().unwrap()) as i64;
            let ms = sec.saturating_mul(1000).saturating_add((usec + 999) / 1000);
            ms.max(0)
        }
        _ => 0,
    }
}

/// `iov` without its first `skip` bytes.
fn advance(iov: &[Iovec], mut skip: u64) -> Vec<Iovec> {
    let mut out = Vec::with_capacity(iov.len());
    for v in iov {
        if skip >= v.iov_len {
            skip -= v.iov_len;
            continue;
        }
        out.push(Iovec {
            iov_base: v.iov_base + skip,
            iov_len: v.iov_len - skip,
        });
        skip = 0;
    }
    out
}

/// The first `max` bytes of `iov`.
fn truncate(iov: &[Iovec], mut max: u64) -> Vec<Iovec> {
    let mut out = Vec::with_capacity(iov.len());
    for v in iov {
        if max == 0 {
            break;
        }
        let k = v.iov_len.min(max);
        out.push(Iovec {
            iov_base: v.iov_base,
            iov_len: k,
        });
        max -= k;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iovec_cuts() {
        let iov = [
            Iovec {
                iov_base: 100,
                iov_len: 4,
            },
            Iovec {
                iov_base: 200,
                iov_len: 6,
            },
        ];
        let a = advance(&iov, 5);
        assert_eq!(a.len(), 1);
        assert_eq!((a[0].iov_base, a[0].iov_len), (201, 5));
        assert!(advance(&iov, 10).is_empty());
        let t = truncate(&iov, 5);
        assert_eq!(t.len(), 2);
        assert_eq!((t[1].iov_base, t[1].iov_len), (200, 1));
        assert_eq!(truncate(&iov, 4).len(), 1);
    }

    #[test]
    fn ucred_bytes() {
        let u = Ucred {
            pid: 7,
            uid: 1000,
            gid: 100,
        };
        assert_eq!(Ucred::from_bytes(&u.bytes()), u);
    }
}
