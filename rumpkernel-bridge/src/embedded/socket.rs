//! Sockets, rump's "sockin" way: the host's network stack behind NetBSD's socket calls.
//!
//! NetBSD sockaddrs (with `sa_len`, AF_INET6 = 24) are decoded here and re-encoded by the
//! hypercalls for the host. AF_UNIX paths are guest paths: in a registered host directory the
//! host socket gets that name (reached through a confined handle on its directory); in an
//! in-memory file system the name is a node holding a nameless host socket. Linux's abstract
//! names (a bridge extension) are kept by the kernel ([`super::unix`]), as are the peer ids
//! LOCAL_PEEREID reports. Of the control messages only SCM_RIGHTS travels, and only for
//! descriptors on host objects (sockets, pipes, host files).

use super::file::{FdEntry, HostType, Object, OpenFile};
use super::hypercall::{self, HostFd, SockAddr};
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
            }
            hypercall::connect(f, &addr)?;
            if local {
                k.unix.connected(f);
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
            let (_file, f) = sock(k, c, a[0])?;
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
            ok(hypercall::sendmsg(f, &iov, to.as_ref().map(|t| &t.0), &[], a[3] as u32)? as u64)
        })(),
        SYS_recvfrom => (|| {
            let (_file, f) = sock(k, c, a[0])?;
            let b = buf_mut(a[1], a[2])?;
            let iov = [Iovec {
                iov_base: b.as_mut_ptr() as u64,
                iov_len: a[2],
            }];
            let got = hypercall::recvmsg(f, &iov, a[3] as u32, 0)?;
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
            let (_file, f) = sock(k, c, a[0])?;
            let v = buf(a[3], a[4])?;
            hypercall::setsockopt(f, a[1] as u32, a[2] as u32, v)?;
            ok(0)
        })(),
        SYS_getsockopt => (|| {
            let (_file, f) = sock(k, c, a[0])?;
            let len: u32 = get(a[4])?;
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
    let n = install(c, nfd, status, cloexec)?;
    if name != 0 && lenp != 0 {
        write_sockaddr(k, name, lenp, &peer)?;
    }
    ok(n as u64)
}

/// NetBSD `struct msghdr`: name@0, namelen@8, iov@16, iovlen@24, control@32, controllen@40,
/// flags@44.
fn sys_sendmsg(k: &EmbeddedKernel, c: &Current, s: u64, msg: u64, flags: u32) -> SysResult {
    let (_file, f) = sock(k, c, s)?;
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
    let (_passed, rights) = read_rights(k, c, control, controllen)?;
    ok(hypercall::sendmsg(f, &iov, to.as_ref().map(|t| &t.0), &rights, flags)? as u64)
}

/// NetBSD cmsghdr: cmsg_len u32, cmsg_level i32, cmsg_type i32, data at CMSG_ALIGN(12) = 16;
/// headers 8-byte aligned.
const CMSG_HDR: usize = 16;
const SCM_RIGHTS: i32 = 1;

fn cmsg_align(n: usize) -> usize {
    (n + 7) & !7
}

/// The host descriptors behind the SCM_RIGHTS of a NetBSD control buffer. Only host objects can
/// travel; other control messages are not carried (EOPNOTSUPP).
fn read_rights(
    k: &EmbeddedKernel,
    c: &Current,
    control: u64,
    len: u32,
) -> R<(Vec<Arc<OpenFile>>, Vec<i32>)> {
    let (mut files, mut fds) = (Vec::new(), Vec::new());
    if len == 0 {
        return Ok((files, fds));
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
        if level != abi_netbsd::consts::sockopt_socket::SOL_SOCKET as i32 || ty != SCM_RIGHTS {
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
    Ok((files, fds))
}

fn sys_recvmsg(k: &EmbeddedKernel, c: &Current, s: u64, msg: u64, flags: u32) -> SysResult {
    use abi_netbsd::consts::msg_flags as mf;
    let (_file, f) = sock(k, c, s)?;
    let name: u64 = get(msg)?;
    let (iov, iovlen): (u64, i32) = (get(msg + 16)?, get(msg + 24)?);
    let (control, controllen): (u64, u32) = (get(msg + 32)?, get(msg + 40)?);
    let iov = iovecs(iov, iovlen as u64)?;
    let room = if control == 0 {
        0
    } else {
        (controllen as usize).saturating_sub(CMSG_HDR) / 4
    };
    let got = hypercall::recvmsg(f, &iov, flags, room)?;
    if name != 0 {
        write_sockaddr(k, name, msg + 8, &got.from.unwrap_or(SockAddr::Unspec))?;
    } else {
        put(msg + 8, 0u32)?;
    }
    let mut oflags = got.flags;
    let mut written = 0u32;
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
        let out = buf_mut(control, clen as u64)?;
        out[..4].copy_from_slice(&(clen as u32).to_ne_bytes());
        out[4..8].copy_from_slice(
            &(abi_netbsd::consts::sockopt_socket::SOL_SOCKET as i32).to_ne_bytes(),
        );
        out[8..12].copy_from_slice(&SCM_RIGHTS.to_ne_bytes());
        out[12..16].fill(0);
        for (i, n) in fds.iter().enumerate() {
            out[CMSG_HDR + 4 * i..CMSG_HDR + 4 * i + 4].copy_from_slice(&n.to_ne_bytes());
        }
        written = cmsg_align(clen).min(controllen as usize) as u32;
    }
    put(msg + 40, written)?;
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
