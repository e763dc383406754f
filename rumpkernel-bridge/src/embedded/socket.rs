//! Sockets, rump's "sockin" way: the host's network stack behind NetBSD's socket calls.
//!
//! NetBSD sockaddrs (with `sa_len`, AF_INET6 = 24) are decoded here and re-encoded by the
//! hypercalls for the host. AF_UNIX paths are guest paths: in a registered host directory the
//! host socket gets that name (reached through a confined handle on its directory); in an
//! in-memory file system the name is a node holding a nameless host socket. Linux's abstract
//! names (a bridge extension) are kept by the kernel ([`super::unix`]), as are the peer ids
//! LOCAL_PEEREID reports. Of the control messages SCM_RIGHTS travels only for descriptors on
//! host objects (sockets, pipes, host files); Linux's SCM_CREDENTIALS and SO_PASSCRED (bridge
//! extensions) only on local sockets, through the kernel's queues of [`super::passcred`].

use super::file::{FdEntry, HostType, Object, OpenFile};
use super::hypercall::{self, HostFd, SockAddr};
use super::passcred::{HostRecv, HostSend, Ucred};
use super::syscalls::{buf, buf_mut, get, iovecs, ok, put, R};
use super::{Current, EmbeddedKernel};
use abi_netbsd::consts::{address_family as af, open_flags as of, socket_type as st};
use abi_netbsd::errno as ne;
use abi_netbsd::nr::*;
use abi_netbsd::structs::{self as nbs, Iovec, Unpcbid};
use abi_netbsd::SysResult;
use std::sync::Arc;

const SOCKADDR_IN_LEN: usize = 16;
const SOCKADDR_IN6_LEN: usize = 28;
/// `sun_path` is 104 bytes on NetBSD.
const SUN_PATH_MAX: usize = 104;

/// Serves `nr` if it is a socket call.
pub(super) fn dispatch(k: &EmbeddedKernel, c: &Current, nr: u32, a: [u64; 6]) -> Option<SysResult> {
    #[allow(non_upper_case_globals)]
    Some(match nr {
        SYS___socket30 => sys_socket(c, a[0] as u32, a[1] as u32, a[2] as i32),
        SYS_socketpair => sys_socketpair(k, c, a[0] as u32, a[1] as u32, a[2] as i32, a[3]),
        SYS_bind => (|| {
            let (file, f) = sock(k, c, a[0])?;
            match decode_sockaddr(a[1], a[2])? {
                Decoded::Abstract(name) => k.unix.bind(&file, f, Some(&name))?,
                Decoded::Autobind => k.unix.bind(&file, f, None)?,
                Decoded::Unix(path) => {
                    // The name is made by the file system that holds it.
                    let r = k.vfs.resolve(&path, &c.cwd, false, &c.ctx())?;
                    let bind = |hp: &[u8]| hypercall::bind(f, &SockAddr::Unix(hp.to_vec()));
                    r.mount.fs.unix_bind(&r.rel, &c.ctx(), &bind)?;
                    k.unix.bound_path(f, &file, &super::name::encode(&path));
                    // Senders find it by the file they reach (for SCM_CREDENTIALS).
                    if let Ok((_via, host)) = r.mount.fs.unix_path(&r.rel, &c.ctx()) {
                        if let Ok(id) = hypercall::file_id(&host) {
                            k.creds.bound(id, &file);
                        }
                    }
                }
                Decoded::Net(addr) => hypercall::bind(f, &addr)?,
            }
            ok(0)
        })(),
        SYS_connect => (|| {
            let (file, f) = sock(k, c, a[0])?;
            let (addr, _via) = read_sockaddr(k, c, f, a[1], a[2])?;
            let local = matches!(addr, SockAddr::Unix(_));
            if local {
                k.unix.connecting(f, &file, ids(c))?;
                // Linux binds a socket with SO_PASSCRED to a name of its own when it connects.
                if k.creds.passcred(f) {
                    k.unix.bind(&file, f, None)?;
                }
            }
            hypercall::connect(f, &addr)?;
            if local {
                k.unix.connected(f);
                if k.creds.active() {
                    if let Ok((st::SOCK_DGRAM, _)) = hypercall::sock_kind(f) {
                        k.creds.connected(f, false);
                    }
                }
            }
            ok(0)
        })(),
        SYS_listen => sock(k, c, a[0])
            .and_then(|(file, f)| {
                k.unix.listening(f, &file, ids(c));
                hypercall::listen(f, a[1] as i32)
            })
            .and(ok(0)),
        SYS_accept => {
            // BSD: the new socket inherits the listener's non-blocking mode.
            let nb = k.file(c, a[0]).map(|f| f.status() & of::O_NONBLOCK);
            nb.and_then(|nb| sys_accept(k, c, a[0], a[1], a[2], nb | of::O_RDWR, false))
        }
        SYS_paccept => {
            if a[3] != 0 {
                // The signal mask is the personality's (this kernel delivers no signals).
                return Some(Err(ne::ENOSYS));
            }
            let fl = a[4] as u32;
            if fl & !(st::SOCK_CLOEXEC | st::SOCK_NONBLOCK | st::SOCK_NOSIGPIPE) != 0 {
                return Some(Err(ne::EINVAL));
            }
            let nb = if fl & st::SOCK_NONBLOCK != 0 {
                of::O_NONBLOCK
            } else {
                0
            };
            sys_accept(
                k,
                c,
                a[0],
                a[1],
                a[2],
                nb | of::O_RDWR,
                fl & st::SOCK_CLOEXEC != 0,
            )
        }
        SYS_getsockname | SYS_getpeername => (|| {
            let (_file, f) = sock(k, c, a[0])?;
            let addr = hypercall::sockname(f, nr == SYS_getpeername)?;
            write_sockaddr(k, a[1], a[2], &addr)?;
            ok(0)
        })(),
        SYS_sendto => (|| {
            let (file, f) = sock(k, c, a[0])?;
            // The caller's bytes as this process sees them (a bounce buffer for remote callers).
            let b = buf(a[1], a[2])?;
            let iov = [Iovec {
                iov_base: b.as_ptr() as u64,
                iov_len: a[2],
            }];
            let to = if a[4] == 0 {
                None
            } else {
                Some(read_sockaddr(k, c, f, a[4], a[5])?)
            };
            let dest = (a[4] != 0).then_some((a[4], a[5]));
            let flags = a[3] as u32;
            let mut send = |iov: &[Iovec], dontwait: bool| {
                hypercall::sendmsg(f, iov, to.as_ref().map(|t| &t.0), &[], flags | dontwait_flag(dontwait))
            };
            ok(tracked_send(k, c, &file, f, &iov, dest, None, flags, &mut send)? as u64)
        })(),
        SYS_recvfrom => (|| {
            let (file, f) = sock(k, c, a[0])?;
            let b = buf_mut(a[1], a[2])?;
            let iov = [Iovec {
                iov_base: b.as_mut_ptr() as u64,
                iov_len: a[2],
            }];
            let flags = a[3] as u32;
            let mut recv = |iov: &[Iovec], probe: bool| {
                let fl = if probe { flags | abi_netbsd::consts::msg_flags::MSG_PEEK } else { flags };
                hypercall::recvmsg(f, iov, fl, 0).map(|g| (g.len, g))
            };
            let (got, _creds) = tracked_recv(k, &file, f, &iov, flags, &mut recv)?;
            if a[4] != 0 && a[5] != 0 {
                write_sockaddr(k, a[4], a[5], &got.from.unwrap_or(SockAddr::Unspec))?;
            }
            let n = got.len;
            ok(n as u64)
        })(),
        SYS_sendmsg => sys_sendmsg(k, c, a[0], a[1], a[2] as u32),
        SYS_recvmsg => sys_recvmsg(k, c, a[0], a[1], a[2] as u32),
        SYS_shutdown => sock(k, c, a[0])
            .and_then(|(_file, f)| hypercall::shutdown(f, a[1] as u32))
            .and(ok(0)),
        SYS_setsockopt => (|| {
            let (file, f) = sock(k, c, a[0])?;
            let v = buf(a[3], a[4])?;
            if is_passcred(a[1], a[2]) {
                if let Some(ty) = unix_type(f) {
                    if v.len() < 4 {
                        return Err(ne::EINVAL);
                    }
                    let on = i32::from_ne_bytes(v[..4].try_into().unwrap()) != 0;
                    k.creds.set_passcred(&file, f, ty == st::SOCK_STREAM, on)?;
                    return ok(0);
                }
            }
            hypercall::setsockopt(f, a[1] as u32, a[2] as u32, v)?;
            ok(0)
        })(),
        SYS_getsockopt => (|| {
            let (_file, f) = sock(k, c, a[0])?;
            let len: u32 = get(a[4])?;
            if is_passcred(a[1], a[2]) && unix_type(f).is_some() {
                let v = (k.creds.passcred(f) as i32).to_ne_bytes();
                let n = v.len().min(len as usize);
                buf_mut(a[3], n as u64)?.copy_from_slice(&v[..n]);
                put(a[4], n as u32)?;
                return ok(0);
            }
            // SOL_LOCAL is 0, IPPROTO_IP's level too: the socket's domain tells them apart.
            if (a[1] as u32, a[2] as u32) == (nbs::SOL_LOCAL, nbs::LOCAL_PEEREID)
                && matches!(hypercall::sock_kind(f), Ok((_, af::AF_UNIX)))
            {
                let id = k.unix.peer_ids(f)?;
                let v = [
                    id.unp_pid.to_ne_bytes(),
                    id.unp_euid.to_ne_bytes(),
                    id.unp_egid.to_ne_bytes(),
                ]
                .concat();
                let n = v.len().min(len as usize);
                buf_mut(a[3], n as u64)?.copy_from_slice(&v[..n]);
                put(a[4], n as u32)?;
                return ok(0);
            }
            let out = buf_mut(a[3], len as u64)?;
            let n = hypercall::getsockopt(f, a[1] as u32, a[2] as u32, out)?;
            put(a[4], n as u32)?;
            ok(0)
        })(),
        _ => return None,
    })
}

/// A socket descriptor's open file and the host descriptor behind it (ENOTSOCK for in-kernel
/// objects). Keep the file while using the number: a close by another thread must not let the
/// host reuse it under a blocked call.
fn sock(k: &EmbeddedKernel, c: &Current, fd: u64) -> R<(Arc<OpenFile>, i32)> {
    let f = k.file(c, fd)?;
    let raw = match &f.obj {
        Object::Host {
            fd,
            ty: HostType::Stream,
            ..
        } => fd.raw(),
        _ => return Err(ne::ENOTSOCK),
    };
    Ok((f, raw))
}

fn install(c: &Current, fd: HostFd, status: u32, cloexec: bool) -> R<i32> {
    if status & of::O_NONBLOCK != 0 {
        hypercall::set_status_flags(fd.raw(), true, false)?;
    }
    let f = OpenFile::new(
        Object::Host {
            fd,
            ty: HostType::Stream,
            ro: false,
        },
        status,
        "socket:".into(),
    );
    c.fds
        .lock()
        .unwrap()
        .alloc(0, FdEntry { file: f, cloexec }, c.nofile)
}

fn split_type(ty: u32) -> R<(u32, u32, bool)> {
    let flags = ty & st::SOCK_FLAGS_MASK;
    if flags & !(st::SOCK_CLOEXEC | st::SOCK_NONBLOCK | st::SOCK_NOSIGPIPE) != 0 {
        return Err(ne::EINVAL);
    }
    let nb = if flags & st::SOCK_NONBLOCK != 0 {
        of::O_NONBLOCK
    } else {
        0
    };
    Ok((
        ty & !st::SOCK_FLAGS_MASK,
        of::O_RDWR | nb,
        flags & st::SOCK_CLOEXEC != 0,
    ))
}

fn sys_socket(c: &Current, domain: u32, ty: u32, proto: i32) -> SysResult {
    let (t, status, cloexec) = split_type(ty)?;
    let fd = hypercall::socket(domain, t, proto)?;
    ok(install(c, fd, status, cloexec)? as u64)
}

/// The ids LOCAL_PEEREID reports of the calling process.
fn ids(c: &Current) -> Unpcbid {
    Unpcbid {
        unp_pid: c.pid,
        unp_euid: c.cred.euid,
        unp_egid: c.cred.egid,
    }
}

fn sys_socketpair(
    k: &EmbeddedKernel,
    c: &Current,
    domain: u32,
    ty: u32,
    proto: i32,
    sv: u64,
) -> SysResult {
    let (t, status, cloexec) = split_type(ty)?;
    if sv == 0 {
        return Err(ne::EFAULT);
    }
    let (x, y) = hypercall::socketpair(domain, t, proto)?;
    let (xr, yr) = (x.raw(), y.raw());
    let a = install(c, x, status, cloexec)?;
    let b = match install(c, y, status, cloexec) {
        Ok(b) => b,
        Err(e) => {
            let _ = c.fds.lock().unwrap().remove(a);
            return Err(e);
        }
    };
    // Both ends see their creator.
    for (n, raw) in [(a, xr), (b, yr)] {
        if let Ok(f) = k.file(c, n as u64) {
            k.unix.paired(raw, &f, ids(c))?;
        }
    }
    put(sv, [a, b])?;
    ok(0)
}

fn sys_accept(
    k: &EmbeddedKernel,
    c: &Current,
    s: u64,
    name: u64,
    lenp: u64,
    status: u32,
    cloexec: bool,
) -> SysResult {
    // Hold the listening file while blocked in the host's accept.
    let lf: Arc<OpenFile> = k.file(c, s)?;
    let Object::Host {
        fd: lfd,
        ty: HostType::Stream,
        ..
    } = &lf.obj
    else {
        return Err(ne::ENOTSOCK);
    };
    let (nfd, peer) = hypercall::accept(lfd.raw())?;
    let raw = nfd.raw();
    let n = install(c, nfd, status, cloexec)?;
    if k.creds.active() {
        if let (Some(ty), Ok(f)) = (unix_type(raw), k.file(c, n as u64)) {
            k.creds.accepted(lfd.raw(), &f, raw, ty == st::SOCK_STREAM);
        }
    }
    if name != 0 && lenp != 0 {
        write_sockaddr(k, name, lenp, &peer)?;
    }
    ok(n as u64)
}

/// NetBSD `struct msghdr`: name@0, namelen@8, iov@16, iovlen@24, control@32, controllen@40,
/// flags@44.
fn sys_sendmsg(k: &EmbeddedKernel, c: &Current, s: u64, msg: u64, flags: u32) -> SysResult {
    let (file, f) = sock(k, c, s)?;
    let (name, namelen): (u64, u32) = (get(msg)?, get(msg + 8)?);
    let (iov, iovlen): (u64, i32) = (get(msg + 16)?, get(msg + 24)?);
    let (control, controllen): (u64, u32) = (get(msg + 32)?, get(msg + 40)?);
    let iov = iovecs(iov, iovlen as u64)?;
    let to = if name == 0 {
        None
    } else {
        Some(read_sockaddr(k, c, f, name, namelen as u64)?)
    };
    // The files behind passed descriptors stay ours until the host has taken its references.
    let (_passed, rights, creds) = read_rights(k, c, control, controllen)?;
    // Linux takes SCM_CREDENTIALS only on local sockets (others ignore it).
    let explicit = creds.filter(|_| unix_type(f).is_some());
    if let Some(u) = explicit {
        check_creds(k, c, u)?;
    }
    let dest = (name != 0).then_some((name, namelen as u64));
    // Descriptors travel with the first bytes only.
    let mut first = true;
    let mut send = |iov: &[Iovec], dontwait: bool| {
        let r: &[i32] = if first { &rights } else { &[] };
        let n = hypercall::sendmsg(f, iov, to.as_ref().map(|t| &t.0), r, flags | dontwait_flag(dontwait))?;
        first = false;
        Ok(n)
    };
    ok(tracked_send(k, c, &file, f, &iov, dest, explicit, flags, &mut send)? as u64)
}

fn dontwait_flag(on: bool) -> u32 {
    if on {
        abi_netbsd::consts::msg_flags::MSG_DONTWAIT
    } else {
        0
    }
}

/// Is (level, name) SO_PASSCRED (a bridge extension at SOL_SOCKET)?
fn is_passcred(level: u64, name: u64) -> bool {
    (level as u32, name as u32)
        == (abi_netbsd::consts::sockopt_socket::SOL_SOCKET, crate::ext::SO_EXT_PASSCRED)
}

/// The type of host socket `f` if it is a local one.
fn unix_type(f: i32) -> Option<u32> {
    match hypercall::sock_kind(f) {
        Ok((ty, af::AF_UNIX)) => Some(ty),
        _ => None,
    }
}

/// The credentials Linux attaches to what the calling process sends: its pid, real uid and gid.
fn own_creds(c: &Current) -> Ucred {
    Ucred {
        pid: c.pid,
        uid: c.cred.ruid,
        gid: c.cred.rgid,
    }
}

/// Linux's scm_check_creds and the pid lookup of __scm_send: uid or gid -1 is EINVAL; another
/// pid, or ids not among the caller's real, effective and saved ones, need root (EPERM); a pid
/// no process has is ESRCH.
fn check_creds(k: &EmbeddedKernel, c: &Current, u: Ucred) -> R<()> {
    if u.uid == u32::MAX || u.gid == u32::MAX {
        return Err(ne::EINVAL);
    }
    let cr = &c.cred;
    let root = cr.is_root();
    let pid_ok = u.pid == c.pid || root;
    let uid_ok = [cr.ruid, cr.euid, cr.svuid].contains(&u.uid) || root;
    let gid_ok = [cr.rgid, cr.egid, cr.svgid].contains(&u.gid) || root;
    if !(pid_ok && uid_ok && gid_ok) {
        return Err(ne::EPERM);
    }
    if u.pid != c.pid && (u.pid <= 0 || !k.pid_exists(u.pid)) {
        return Err(ne::ESRCH);
    }
    Ok(())
}

/// The open file of the local socket a send to the NetBSD sockaddr at `addr` reaches, if it is
/// one of this kernel's.
fn receiver_by_name(k: &EmbeddedKernel, c: &Current, s: i32, addr: u64, len: u64) -> Option<Arc<OpenFile>> {
    match decode_sockaddr(addr, len).ok()? {
        Decoded::Abstract(name) => {
            let (ty, _) = hypercall::sock_kind(s).ok()?;
            k.unix.bound_file(ty, &name)
        }
        Decoded::Unix(p) => {
            let r = k.vfs.resolve(&p, &c.cwd, true, &c.ctx()).ok()?;
            let (_via, host) = r.mount.fs.unix_path(&r.rel, &c.ctx()).ok()?;
            k.creds.bound_to(hypercall::file_id(&host).ok()?)
        }
        _ => None,
    }
}

/// A send on socket `f` (`file`) through `send` (the host send, told whether to add
/// MSG_DONTWAIT), to the sockaddr at `dest` or the connected peer: through the receiver's
/// credentials queue once credentials concern local sockets (see [`super::passcred`]).
#[allow(clippy::too_many_arguments)]
pub(super) fn tracked_send(
    k: &EmbeddedKernel,
    c: &Current,
    file: &Arc<OpenFile>,
    f: i32,
    iov: &[Iovec],
    dest: Option<(u64, u64)>,
    explicit: Option<Ucred>,
    flags: u32,
    send: &mut HostSend<'_>,
) -> R<usize> {
    if !k.creds.active() && explicit.is_none() {
        return send(iov, false);
    }
    let Some(ty) = unix_type(f) else {
        return send(iov, false);
    };
    k.creds.switch_on();
    let stream = ty == st::SOCK_STREAM;
    let Ok(ino) = hypercall::sock_ino(f) else {
        return send(iov, false);
    };
    let me = k.creds.sock(ino, stream, Some(file));
    let s_pass = me.passcred();
    if s_pass && ty != st::SOCK_STREAM {
        // Linux autobinds a datagram sender with SO_PASSCRED.
        k.unix.bind(file, f, None)?;
    }
    let rx = match dest {
        Some((a, l)) => receiver_by_name(k, c, f, a, l).and_then(|rf| {
            let Object::Host { fd, .. } = &rf.obj else { return None };
            let i = hypercall::sock_ino(fd.raw()).ok()?;
            Some(k.creds.sock(i, stream, Some(&rf)))
        }),
        None => k.creds.peer_of(ino, stream, ty != st::SOCK_DGRAM, file),
    };
    let nonblock = flags & abi_netbsd::consts::msg_flags::MSG_DONTWAIT != 0
        || file.status() & of::O_NONBLOCK != 0;
    k.creds.send(rx, own_creds(c), s_pass, explicit, f, nonblock, iov, send)
}

/// A receive on socket `f` (`file`) through `recv` (see [`super::passcred::Creds::recv`]): its result
/// and, with SO_PASSCRED, the sender's credentials.
pub(super) fn tracked_recv<T>(
    k: &EmbeddedKernel,
    file: &Arc<OpenFile>,
    f: i32,
    iov: &[Iovec],
    flags: u32,
    recv: &mut HostRecv<'_, T>,
) -> R<(T, Option<Ucred>)> {
    let plain = |recv: &mut HostRecv<'_, T>| recv(iov, false).map(|(_, t)| (t, None));
    if !k.creds.active() {
        return plain(recv);
    }
    let Some(me) = hypercall::sock_ino(f).ok().filter(|_| unix_type(f).is_some()).and_then(|i| {
        k.creds.get(i)?;
        Some(k.creds.sock(i, false, Some(file)))
    }) else {
        return plain(recv);
    };
    let peek = flags & abi_netbsd::consts::msg_flags::MSG_PEEK != 0;
    k.creds.recv(&me, peek, iov, recv)
}

/// read/readv of a local socket once credentials concern local sockets (None: not one, or
/// nothing to do; the caller reads as usual).
pub(super) fn creds_read(k: &EmbeddedKernel, file: &Arc<OpenFile>, iov: &[Iovec]) -> Option<R<usize>> {
    let Object::Host { fd, ty: HostType::Stream, .. } = &file.obj else {
        return None;
    };
    let f = fd.raw();
    unix_type(f)?;
    file.readable().ok()?;
    let mut recv = |iov: &[Iovec], probe: bool| {
        let fl = if probe { abi_netbsd::consts::msg_flags::MSG_PEEK } else { 0 };
        hypercall::recvmsg(f, iov, fl, 0).map(|g| (g.len, g.len))
    };
    Some(tracked_recv(k, file, f, iov, 0, &mut recv).map(|(n, _)| n))
}

/// write/writev of a local socket once credentials concern local sockets (None: not one).
pub(super) fn creds_write(k: &EmbeddedKernel, c: &Current, file: &Arc<OpenFile>, iov: &[Iovec]) -> Option<R<usize>> {
    let Object::Host { fd, ty: HostType::Stream, .. } = &file.obj else {
        return None;
    };
    let f = fd.raw();
    unix_type(f)?;
    file.writable().ok()?;
    let mut send = |iov: &[Iovec], dontwait: bool| hypercall::sendmsg(f, iov, None, &[], dontwait_flag(dontwait));
    Some(tracked_send(k, c, file, f, iov, None, None, 0, &mut send))
}

/// NetBSD cmsghdr: cmsg_len u32, cmsg_level i32, cmsg_type i32, data at CMSG_ALIGN(12) = 16;
/// headers 8-byte aligned.
const CMSG_HDR: usize = 16;
const SCM_RIGHTS: i32 = 1;

fn cmsg_align(n: usize) -> usize {
    (n + 7) & !7
}

/// The host descriptors behind the SCM_RIGHTS of a NetBSD control buffer, and the credentials
/// of its SCM_EXT_CREDS (the last one). Only host objects can travel; other control messages
/// are not carried (EOPNOTSUPP).
#[allow(clippy::type_complexity)]
fn read_rights(
    k: &EmbeddedKernel,
    c: &Current,
    control: u64,
    len: u32,
) -> R<(Vec<Arc<OpenFile>>, Vec<i32>, Option<Ucred>)> {
    let (mut files, mut fds, mut creds) = (Vec::new(), Vec::new(), None);
    if len == 0 {
        return Ok((files, fds, creds));
    }
    let b = buf(control, len as u64)?;
    let mut off = 0;
    while off + CMSG_HDR <= b.len() {
        let clen = u32::from_ne_bytes(b[off..off + 4].try_into().unwrap()) as usize;
        let level = i32::from_ne_bytes(b[off + 4..off + 8].try_into().unwrap());
        let ty = i32::from_ne_bytes(b[off + 8..off + 12].try_into().unwrap());
        if clen < CMSG_HDR || off + clen > b.len() {
            return Err(ne::EINVAL);
        }
        if level != abi_netbsd::consts::sockopt_socket::SOL_SOCKET as i32 {
            return Err(ne::EOPNOTSUPP);
        }
        if ty == crate::ext::SCM_EXT_CREDS as i32 {
            // Linux: exactly CMSG_LEN(sizeof(struct ucred)).
            if clen != CMSG_HDR + 12 {
                return Err(ne::EINVAL);
            }
            creds = Some(Ucred::from_bytes(&b[off + CMSG_HDR..off + clen]));
            off += cmsg_align(clen);
            continue;
        }
        if ty != SCM_RIGHTS {
            return Err(ne::EOPNOTSUPP);
        }
        for chunk in b[off + CMSG_HDR..off + clen].chunks_exact(4) {
            let gfd = i32::from_ne_bytes(chunk.try_into().unwrap());
            let f = k.file(c, gfd as u64)?;
            let Object::Host { fd, .. } = &f.obj else {
                return Err(ne::EOPNOTSUPP);
            };
            fds.push(fd.raw());
            files.push(f);
        }
        off += cmsg_align(clen);
    }
    Ok((files, fds, creds))
}

fn sys_recvmsg(k: &EmbeddedKernel, c: &Current, s: u64, msg: u64, flags: u32) -> SysResult {
    use abi_netbsd::consts::msg_flags as mf;
    let (file, f) = sock(k, c, s)?;
    let name: u64 = get(msg)?;
    let (iov, iovlen): (u64, i32) = (get(msg + 16)?, get(msg + 24)?);
    let (control, controllen): (u64, u32) = (get(msg + 32)?, get(msg + 40)?);
    let iov = iovecs(iov, iovlen as u64)?;
    let controllen = if control == 0 { 0 } else { controllen as usize };
    // Credentials come first (Linux's scm_recv), SCM_RIGHTS in what is left.
    let pass = k.creds.active() && k.creds.passcred(f);
    let creds_space = if pass { cmsg_align(CMSG_HDR + 12) } else { 0 };
    let room = controllen.saturating_sub(creds_space).saturating_sub(CMSG_HDR) / 4;
    let mut recv = |iov: &[Iovec], probe: bool| {
        let r = if probe {
            hypercall::recvmsg(f, iov, flags | mf::MSG_PEEK, 0)
        } else {
            hypercall::recvmsg(f, iov, flags, room)
        };
        r.map(|g| (g.len, g))
    };
    let (got, creds) = tracked_recv(k, &file, f, &iov, flags, &mut recv)?;
    if name != 0 {
        write_sockaddr(k, name, msg + 8, &got.from.unwrap_or(SockAddr::Unspec))?;
    } else {
        put(msg + 8, 0u32)?;
    }
    let mut oflags = got.flags;
    let mut out: Vec<u8> = Vec::new();
    if let Some(u) = creds {
        // As Linux's put_cmsg: no room for a header is MSG_CTRUNC; a short one is cut.
        let full = CMSG_HDR + 12;
        if controllen < CMSG_HDR {
            oflags |= mf::MSG_CTRUNC;
        } else {
            let clen = full.min(controllen);
            if clen < full {
                oflags |= mf::MSG_CTRUNC;
            }
            out.extend_from_slice(&(clen as u32).to_ne_bytes());
            out.extend_from_slice(
                &(abi_netbsd::consts::sockopt_socket::SOL_SOCKET as i32).to_ne_bytes(),
            );
            out.extend_from_slice(&(crate::ext::SCM_EXT_CREDS as i32).to_ne_bytes());
            out.extend_from_slice(&[0; 4]);
            out.extend_from_slice(&u.bytes()[..clen - CMSG_HDR]);
            out.resize(cmsg_align(clen).min(controllen), 0);
        }
    }
    if !got.rights.is_empty() {
        let cloexec = flags & mf::MSG_CMSG_CLOEXEC != 0;
        let mut fds = Vec::new();
        for h in got.rights {
            let ty = match hypercall::file_type(h.raw()) {
                Ok(abi_netbsd::consts::stat_mode::S_IFREG) => HostType::File,
                Ok(abi_netbsd::consts::stat_mode::S_IFDIR) => HostType::Dir,
                _ => HostType::Stream,
            };
            let status = hypercall::status_flags(h.raw()).unwrap_or(of::O_RDWR);
            let path = hypercall::fd_path(h.raw()).unwrap_or_default();
            let file = OpenFile::new(
                Object::Host {
                    fd: h,
                    ty,
                    ro: false,
                },
                status,
                path,
            );
            match c
                .fds
                .lock()
                .unwrap()
                .alloc(0, FdEntry { file, cloexec }, c.nofile)
            {
                Ok(n) => fds.push(n),
                Err(_) => oflags |= mf::MSG_CTRUNC, // no room in the table: the rest are closed
            }
        }
        let clen = CMSG_HDR + 4 * fds.len();
        let start = out.len();
        out.extend_from_slice(&(clen as u32).to_ne_bytes());
        out.extend_from_slice(
            &(abi_netbsd::consts::sockopt_socket::SOL_SOCKET as i32).to_ne_bytes(),
        );
        out.extend_from_slice(&SCM_RIGHTS.to_ne_bytes());
        out.extend_from_slice(&[0; 4]);
        for n in &fds {
            out.extend_from_slice(&n.to_ne_bytes());
        }
        out.resize((start + cmsg_align(clen)).min(controllen.max(start + clen)), 0);
    }
    let written = out.len().min(controllen);
    if written > 0 {
        buf_mut(control, written as u64)?.copy_from_slice(&out[..written]);
    }
    put(msg + 40, written as u32)?;
    put(msg + 44, oflags as i32)?;
    ok(got.len as u64)
}

/// A NetBSD sockaddr, decoded: a network address, a guest path for AF_UNIX, or (bridge
/// extension) an abstract name or the request for one.
enum Decoded {
    Net(SockAddr),
    Unix(String),
    /// sun_path starts with NUL: an abstract name, that NUL included.
    Abstract(Vec<u8>),
    /// The family alone: bind picks an abstract name.
    Autobind,
}

/// Decodes a NetBSD sockaddr for connect/sendto from host socket `s`: AF_UNIX guest paths and
/// abstract names become the host path that reaches the socket, with the handle it goes
/// through (keep it until the call is done).
fn read_sockaddr(
    k: &EmbeddedKernel,
    c: &Current,
    s: i32,
    addr: u64,
    len: u64,
) -> R<(SockAddr, Option<Arc<HostFd>>)> {
    match decode_sockaddr(addr, len)? {
        Decoded::Net(a) => Ok((a, None)),
        Decoded::Autobind => Err(ne::EINVAL),
        Decoded::Abstract(name) => {
            let (ty, _) = hypercall::sock_kind(s)?;
            let h = k.unix.lookup(ty, &name)?;
            Ok((SockAddr::Unix(hypercall::handle_path(&h)), Some(h)))
        }
        Decoded::Unix(p) => {
            let r = k.vfs.resolve(&p, &c.cwd, true, &c.ctx())?;
            let (via, host) = r.mount.fs.unix_path(&r.rel, &c.ctx())?;
            Ok((SockAddr::Unix(host), Some(via)))
        }
    }
}

fn decode_sockaddr(addr: u64, len: u64) -> R<Decoded> {
    if !(2..=255).contains(&len) {
        return Err(ne::EINVAL);
    }
    let b = buf(addr, len)?;
    let family = b[1] as u32;
    Ok(Decoded::Net(match family {
        af::AF_UNSPEC => SockAddr::Unspec,
        af::AF_INET => {
            if b.len() < SOCKADDR_IN_LEN {
                return Err(ne::EINVAL);
            }
            let port = u16::from_be_bytes([b[2], b[3]]);
            SockAddr::Inet {
                port,
                addr: [b[4], b[5], b[6], b[7]],
            }
        }
        af::AF_INET6 => {
            if b.len() < SOCKADDR_IN6_LEN {
                return Err(ne::EINVAL);
            }
            let port = u16::from_be_bytes([b[2], b[3]]);
            let flowinfo = u32::from_ne_bytes(b[4..8].try_into().unwrap());
            let addr: [u8; 16] = b[8..24].try_into().unwrap();
            let scope_id = u32::from_ne_bytes(b[24..28].try_into().unwrap());
            SockAddr::Inet6 {
                port,
                flowinfo,
                addr,
                scope_id,
            }
        }
        af::AF_UNIX => {
            let raw = &b[2..];
            if raw.is_empty() {
                return Ok(Decoded::Autobind);
            }
            if raw[0] == 0 {
                if raw.len() > super::unix::ABSTRACT_MAX {
                    return Err(ne::EINVAL);
                }
                return Ok(Decoded::Abstract(raw.to_vec()));
            }
            let end = raw.iter().position(|&x| x == 0).unwrap_or(raw.len());
            if end == 0 {
                return Err(ne::EINVAL);
            }
            if end > SUN_PATH_MAX {
                return Err(ne::ENAMETOOLONG);
            }
            return Ok(Decoded::Unix(super::name::decode(&raw[..end])));
        }
        _ => return Err(ne::EAFNOSUPPORT),
    }))
}

/// Encodes a NetBSD sockaddr into `addr` (at most `*lenp` bytes) and stores its full length.
fn write_sockaddr(k: &EmbeddedKernel, addr: u64, lenp: u64, a: &SockAddr) -> R<()> {
    let mut v = Vec::with_capacity(SOCKADDR_IN6_LEN);
    match a {
        SockAddr::Unspec => v.extend_from_slice(&[2, af::AF_UNSPEC as u8]),
        SockAddr::Inet { port, addr } => {
            v.extend_from_slice(&[SOCKADDR_IN_LEN as u8, af::AF_INET as u8]);
            v.extend_from_slice(&port.to_be_bytes());
            v.extend_from_slice(addr);
            v.extend_from_slice(&[0; 8]);
        }
        SockAddr::Inet6 {
            port,
            flowinfo,
            addr,
            scope_id,
        } => {
            v.extend_from_slice(&[SOCKADDR_IN6_LEN as u8, af::AF_INET6 as u8]);
            v.extend_from_slice(&port.to_be_bytes());
            v.extend_from_slice(&flowinfo.to_ne_bytes());
            v.extend_from_slice(addr);
            v.extend_from_slice(&scope_id.to_ne_bytes());
        }
        SockAddr::Unix(p) if let Some(name) = k.unix.abstract_name(p) => {
            // An abstract name: its bytes, the leading NUL included, and no terminating NUL.
            v.extend_from_slice(&[(2 + name.len()) as u8, af::AF_UNIX as u8]);
            v.extend_from_slice(&name);
        }
        SockAddr::Unix(p) if let Some(path) = k.unix.guest_path(p) => {
            // A path name, as the socket's binder gave it.
            let path = &path[..path.len().min(SUN_PATH_MAX - 1)];
            v.extend_from_slice(&[(2 + path.len() + 1) as u8, af::AF_UNIX as u8]);
            v.extend_from_slice(path);
            v.push(0);
        }
        SockAddr::Unix(p) => {
            // Names the kernel made up for the host mean nothing to the guest.
            let p: &[u8] = if hypercall::is_private_name(p) {
                &[]
            } else {
                p
            };
            let p = &p[..p.len().min(SUN_PATH_MAX - 1)];
            v.extend_from_slice(&[(2 + p.len() + 1) as u8, af::AF_UNIX as u8]);
            v.extend_from_slice(p);
            v.push(0);
        }
    }
    let have: u32 = get(lenp)?;
    let n = (have as usize).min(v.len());
    buf_mut(addr, n as u64)?.copy_from_slice(&v[..n]);
    put(lenp, v.len() as u32)
}
