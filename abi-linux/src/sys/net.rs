//! Sockets: socket/bind/connect/accept/send*/recv*/sockopt translated onto NetBSD's socket calls
//! (compat_linux's linux_socket.c).
//!
//! Every sockaddr crosses through a buffer of the layer ([`xlat::sockaddr`]), so the kernel never
//! sees a Linux layout and the guest never sees `sa_len`. msghdrs are rebuilt in NetBSD's layout
//! with checked iovecs and translated control messages ([`xlat::msg`]); options go through
//! [`xlat::sockopt`]. sendmmsg/recvmmsg are loops over sendmsg/recvmsg, as NetBSD's own are.

use alloc::vec::Vec;

use abi_netbsd::{consts::socket_type as nst, nr as nb, structs as nbs};
use syscalls::Sysno;

use crate::consts::{msg_flags as lmsg, socket_type as lst, sockopt_socket as lso};
use crate::dispatch::Ctx;
use crate::errno::{EFAULT, EINVAL, EMSGSIZE, ENOBUFS, ENOPROTOOPT, EOPNOTSUPP, ESOCKTNOSUPPORT};
use crate::platform::Access;
use crate::structs::Iovec;
use super::time::{from_nanos, nanos};
use crate::table::{entry, Arg, Entry, Family::Network, Ret, Route, Support};
use crate::xlat::{msg, sockaddr, sockaddr::Sockaddr, sockopt};
use crate::{Errno, LxResult};

const N: crate::table::Family = Network;
use Arg::*;

macro_rules! tr {
    ($h:expr, $($n:ident),*) => { Route::Translated($h, &[$(nb::$n),*]) };
}

const UNIX_NOTE: &str = "AF_INET, AF_INET6 and AF_UNIX (path names, longer than NetBSD's 103 bytes ENAMETOOLONG; Linux's abstract names and bind's autobind through a bridge extension: the kernel keeps them, not as files, shared by the run's processes, gone with the socket); other families give EAFNOSUPPORT";
const MSG_NOTE: &str = "MSG_MORE/CONFIRM/BATCH are dropped hints; MSG_ERRQUEUE, MSG_FASTOPEN and MSG_ZEROCOPY give EOPNOTSUPP; of the control messages SCM_RIGHTS travels; SCM_CREDENTIALS on local sockets through a backend extension: a receiver with SO_PASSCRED gets the sender's (guest pid, real uid and gid) with every message and a stream read stops where the sender changes; explicit ones checked as Linux does (EPERM, EINVAL, ESRCH); credentials on data sent before a socket's queue concerned credentials (before any socket of the run had SO_PASSCRED, or queued datagrams) read as none";

pub const ENTRIES: &[Entry] = &[
    entry(Sysno::socket as u32, "socket", N, &[Int, Hex, Int], Ret::Fd, tr!(socket, SYS___socket30), Support::Partial(UNIX_NOTE)),
    entry(Sysno::socketpair as u32, "socketpair", N, &[Int, Hex, Int, Ptr], Ret::Int, tr!(socketpair, SYS_socketpair), Support::Partial(UNIX_NOTE)),
    entry(Sysno::bind as u32, "bind", N, &[Fd, Ptr, Len], Ret::Int, tr!(bind, SYS_bind), Support::Partial(UNIX_NOTE)),
    entry(Sysno::connect as u32, "connect", N, &[Fd, Ptr, Len], Ret::Int, tr!(connect, SYS_connect), Support::Partial(UNIX_NOTE)),
    // backlog and how have the same values.
    entry(Sysno::listen as u32, "listen", N, &[Fd, Int], Ret::Int, Route::SameAs(nb::SYS_listen), Support::Full),
    entry(Sysno::shutdown as u32, "shutdown", N, &[Fd, Int], Ret::Int, Route::SameAs(nb::SYS_shutdown), Support::Full),
    // Linux's accept never inherits O_NONBLOCK (BSD's does): both become paccept.
    entry(Sysno::accept as u32, "accept", N, &[Fd, Ptr, Ptr], Ret::Fd, tr!(accept, SYS_paccept), Support::Full),
    entry(Sysno::accept4 as u32, "accept4", N, &[Fd, Ptr, Ptr, Hex], Ret::Fd, tr!(accept4, SYS_paccept), Support::Full),
    entry(Sysno::getsockname as u32, "getsockname", N, &[Fd, Ptr, Ptr], Ret::Int, tr!(getsockname, SYS_getsockname), Support::Partial("unix names as Linux reports them (the path a socket was bound with, abstract names); a socket bound in a host directory reads as unnamed after it has closed (for accepted sockets, once the listener is gone)")),
    entry(Sysno::getpeername as u32, "getpeername", N, &[Fd, Ptr, Ptr], Ret::Int, tr!(getpeername, SYS_getpeername), Support::Partial("unix names as Linux reports them (the path the peer was bound with, abstract names); a peer bound in a host directory reads as unnamed once its socket has closed")),
    entry(Sysno::sendto as u32, "sendto", N, &[Fd, BufIn(2), Len, Hex, Ptr, Len], Ret::Int, tr!(sendto, SYS_sendto), Support::Partial(MSG_NOTE)),
    entry(Sysno::recvfrom as u32, "recvfrom", N, &[Fd, BufOut(2), Len, Hex, Ptr, Ptr], Ret::Int, tr!(recvfrom, SYS_recvfrom), Support::Partial(MSG_NOTE)),
    entry(Sysno::sendmsg as u32, "sendmsg", N, &[Fd, Ptr, Hex], Ret::Int, tr!(sendmsg, SYS_sendmsg), Support::Partial(MSG_NOTE)),
    entry(Sysno::recvmsg as u32, "recvmsg", N, &[Fd, Ptr, Hex], Ret::Int, tr!(recvmsg, SYS_recvmsg), Support::Partial(MSG_NOTE)),
    entry(Sysno::sendmmsg as u32, "sendmmsg", N, &[Fd, Ptr, Int, Hex], Ret::Int, tr!(sendmmsg, SYS_sendmsg), Support::Partial(MSG_NOTE)),
    entry(Sysno::recvmmsg as u32, "recvmmsg", N, &[Fd, Ptr, Int, Hex, Ptr], Ret::Int, tr!(recvmmsg, SYS_recvmsg), Support::Full),
    entry(Sysno::setsockopt as u32, "setsockopt", N, &[Fd, Int, Int, Ptr, Len], Ret::Int, tr!(setsockopt, SYS_setsockopt), Support::Partial(sockopt::NOTE)),
    entry(Sysno::getsockopt as u32, "getsockopt", N, &[Fd, Int, Int, Ptr, Ptr], Ret::Int, tr!(getsockopt, SYS_getsockopt), Support::Partial(sockopt::NOTE)),
];

fn fd(ctx: &Ctx) -> u64 {
    ctx.int(0) as i64 as u64
}

fn ptr<T>(v: &T) -> u64 {
    v as *const T as u64
}

fn mut_ptr<T>(v: &mut T) -> u64 {
    v as *mut T as u64
}

/// A Linux socket type word (type | SOCK_NONBLOCK | SOCK_CLOEXEC) in NetBSD's bits.
pub fn sock_type(t: u32) -> Result<u32, Errno> {
    const FLAGS: u32 = lst::SOCK_NONBLOCK | lst::SOCK_CLOEXEC;
    let (base, flags) = (t & !FLAGS, t & FLAGS);
    // Linux: any other bit, or a type past SOCK_PACKET, is EINVAL.
    if base == 0 || base > lst::SOCK_PACKET {
        return Err(EINVAL);
    }
    // The types both kernels know have the same numbers.
    if !matches!(base, lst::SOCK_STREAM | lst::SOCK_DGRAM | lst::SOCK_RAW | lst::SOCK_RDM | lst::SOCK_SEQPACKET) {
        return Err(ESOCKTNOSUPPORT);
    }
    Ok(base | accept_flags(flags)?)
}

/// accept4's flags (and socket's): SOCK_NONBLOCK/SOCK_CLOEXEC, NetBSD bits; others EINVAL.
fn accept_flags(f: u32) -> Result<u32, Errno> {
    if f & !(lst::SOCK_NONBLOCK | lst::SOCK_CLOEXEC) != 0 {
        return Err(EINVAL);
    }
    let mut out = 0;
    if f & lst::SOCK_NONBLOCK != 0 {
        out |= nst::SOCK_NONBLOCK;
    }
    if f & lst::SOCK_CLOEXEC != 0 {
        out |= nst::SOCK_CLOEXEC;
    }
    Ok(out)
}

fn socket(ctx: &mut Ctx) -> LxResult {
    let ty = sock_type(ctx.args[1] as u32)?;
    let domain = sockaddr::family_to_netbsd(ctx.args[0] as u32)?;
    Ok(ctx.nb(nb::SYS___socket30, [domain as u64, ty as u64, ctx.int(2) as i64 as u64, 0, 0, 0])?[0])
}

fn socketpair(ctx: &mut Ctx) -> LxResult {
    let ty = sock_type(ctx.args[1] as u32)?;
    let domain = sockaddr::family_to_netbsd(ctx.args[0] as u32)?;
    let mut sv = [0i32; 2];
    ctx.check(ctx.args[3], 8, Access::Write)?;
    ctx.nb(nb::SYS_socketpair, [domain as u64, ty as u64, ctx.int(2) as i64 as u64, mut_ptr(&mut sv), 0, 0])?;
    ctx.write_struct(ctx.args[3], &sv)?;
    Ok(0)
}

/// The Linux sockaddr at `addr` (`len` bytes, as the guest passed them) in NetBSD's layout.
fn read_addr(ctx: &Ctx, addr: u64, len: u64) -> Result<Sockaddr, Errno> {
    let len = len as u32 as i32;
    if !(0..=sockaddr::STORAGE as i32).contains(&len) {
        return Err(EINVAL);
    }
    sockaddr::to_netbsd(ctx.guest_bytes(addr, len as usize)?)
}

/// Reads the guest's `*lenp` before a call that fills an address (EINVAL if negative).
fn addr_room(ctx: &Ctx, addr: u64, lenp: u64) -> Result<Option<u32>, Errno> {
    if addr == 0 {
        return Ok(None);
    }
    let len: i32 = ctx.read_struct(lenp)?;
    if len < 0 {
        return Err(EINVAL);
    }
    Ok(Some(len as u32))
}

/// Gives the guest the NetBSD address the kernel wrote (`len` as it reported it), as Linux does:
/// as many bytes as fit, and the full length in `*lenp`.
fn put_addr(ctx: &Ctx, addr: u64, lenp: u64, room: u32, nb_addr: &Sockaddr, len: u32) -> Result<(), Errno> {
    let l = sockaddr::to_linux(&nb_addr.buf[..(len as usize).min(sockaddr::STORAGE)]);
    let n = room.min(l.len) as usize;
    ctx.guest_bytes_mut(addr, n)?.copy_from_slice(&l.buf[..n]);
    ctx.write_struct(lenp, &l.len)
}

fn addr_call(ctx: &mut Ctx, nr: u32) -> LxResult {
    let a = read_addr(ctx, ctx.args[1], ctx.args[2])?;
    Ok(ctx.nb(nr, [fd(ctx), ptr(&a.buf), a.len as u64, 0, 0, 0])?[0])
}

fn bind(ctx: &mut Ctx) -> LxResult {
    addr_call(ctx, nb::SYS_bind)
}

fn connect(ctx: &mut Ctx) -> LxResult {
    addr_call(ctx, nb::SYS_connect)
}

fn accept_with(ctx: &mut Ctx, flags: u32) -> LxResult {
    let (addr, lenp) = (ctx.args[1], ctx.args[2]);
    let room = addr_room(ctx, addr, lenp)?;
    let mut a = Sockaddr::default();
    let mut len = sockaddr::STORAGE as u32;
    let (name, namelen) = if room.is_some() { (mut_ptr(&mut a.buf), mut_ptr(&mut len)) } else { (0, 0) };
    let s = ctx.nb(nb::SYS_paccept, [fd(ctx), name, namelen, 0, flags as u64, 0])?[0];
    if let Some(room) = room {
        if let Err(e) = put_addr(ctx, addr, lenp, room, &a, len) {
            // Linux fails the call and the new connection is gone with it.
            let _ = ctx.nb(nb::SYS_close, [s, 0, 0, 0, 0, 0]);
            return Err(e);
        }
    }
    Ok(s)
}

fn accept(ctx: &mut Ctx) -> LxResult {
    accept_with(ctx, 0)
}

fn accept4(ctx: &mut Ctx) -> LxResult {
    let f = accept_flags(ctx.args[3] as u32)?;
    accept_with(ctx, f)
}

fn name_call(ctx: &mut Ctx, nr: u32) -> LxResult {
    let (addr, lenp) = (ctx.args[1], ctx.args[2]);
    let room = addr_room(ctx, addr, lenp)?.ok_or(EFAULT)?;
    let mut a = Sockaddr::default();
    let mut len = sockaddr::STORAGE as u32;
    ctx.nb(nr, [fd(ctx), mut_ptr(&mut a.buf), mut_ptr(&mut len), 0, 0, 0])?;
    put_addr(ctx, addr, lenp, room, &a, len)?;
    Ok(0)
}

fn getsockname(ctx: &mut Ctx) -> LxResult {
    name_call(ctx, nb::SYS_getsockname)
}

fn getpeername(ctx: &mut Ctx) -> LxResult {
    name_call(ctx, nb::SYS_getpeername)
}

/// Linux's cap on one transfer (MAX_RW_COUNT).
const MAX_RW_COUNT: u64 = 0x7fff_f000;

fn sendto(ctx: &mut Ctx) -> LxResult {
    let (buf, len) = (ctx.args[1], ctx.args[2].min(MAX_RW_COUNT));
    let flags = msg::to_netbsd(ctx.args[3] as u32)?;
    ctx.check(buf, len, Access::Read)?;
    let to = if ctx.args[4] == 0 { None } else { Some(read_addr(ctx, ctx.args[4], ctx.args[5])?) };
    let (tp, tl) = to.as_ref().map_or((0, 0), |a| (ptr(&a.buf), a.len as u64));
    Ok(ctx.nb(nb::SYS_sendto, [fd(ctx), buf, len, flags as u64, tp, tl])?[0])
}

fn recvfrom(ctx: &mut Ctx) -> LxResult {
    let (buf, len, addr, lenp) = (ctx.args[1], ctx.args[2].min(MAX_RW_COUNT), ctx.args[4], ctx.args[5]);
    let flags = msg::to_netbsd(ctx.args[3] as u32)?;
    ctx.check(buf, len, Access::Write)?;
    let room = if lenp == 0 { None } else { addr_room(ctx, addr, lenp)? };
    let mut a = Sockaddr::default();
    let mut alen = sockaddr::STORAGE as u32;
    let (name, namelen) = if room.is_some() { (mut_ptr(&mut a.buf), mut_ptr(&mut alen)) } else { (0, 0) };
    let n = ctx.nb(nb::SYS_recvfrom, [fd(ctx), buf, len, flags as u64, name, namelen])?[0];
    if let Some(room) = room {
        put_addr(ctx, addr, lenp, room, &a, alen)?;
    }
    Ok(n)
}

/// Linux `struct msghdr` (x86_64).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
struct Msghdr {
    name: u64,
    namelen: u32,
    _pad0: u32,
    iov: u64,
    iovlen: u64,
    control: u64,
    controllen: u64,
    flags: i32,
    _pad1: u32,
}
const _: () = assert!(core::mem::size_of::<Msghdr>() == 56);
const _: () = assert!(core::mem::offset_of!(Msghdr, flags) == 48);

/// NetBSD `struct msghdr`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
struct NbMsghdr {
    name: u64,
    namelen: u32,
    _pad0: u32,
    iov: u64,
    iovlen: i32,
    _pad1: u32,
    control: u64,
    controllen: u32,
    flags: i32,
}
const _: () = assert!(core::mem::size_of::<NbMsghdr>() == 48);
const _: () = assert!(core::mem::offset_of!(NbMsghdr, controllen) == 40);

/// Linux UIO_MAXIOV.
const UIO_MAXIOV: u64 = 1024;

/// The guest's iovecs, each buffer checked for `access` (a bad one is EFAULT, as Linux's
/// import_iovec answers for messages), the total cut to MAX_RW_COUNT.
fn iovecs(ctx: &Ctx, addr: u64, count: u64, access: Access) -> Result<Vec<nbs::Iovec>, Errno> {
    if count > UIO_MAXIOV {
        return Err(EMSGSIZE);
    }
    let mut out = Vec::with_capacity(count as usize);
    let mut total = 0u64;
    for i in 0..count {
        let v: Iovec = ctx.read_struct(addr + i * 16)?;
        if (v.iov_len as i64) < 0 {
            return Err(EINVAL);
        }
        let len = v.iov_len.min(MAX_RW_COUNT - total);
        total += len;
        ctx.check(v.iov_base, len, access)?;
        out.push(nbs::Iovec { iov_base: v.iov_base, iov_len: len });
    }
    Ok(out)
}

/// sendmsg of the Linux msghdr at `at`: the bytes sent.
fn send_one(ctx: &mut Ctx, s: u64, at: u64, flags: u32) -> LxResult {
    let m: Msghdr = ctx.read_struct(at)?;
    let iov = iovecs(ctx, m.iov, m.iovlen, Access::Read)?;
    let to = if m.name == 0 { None } else { Some(read_addr(ctx, m.name, m.namelen as u64)?) };
    if m.controllen > i32::MAX as u64 {
        return Err(ENOBUFS);
    }
    let control = if m.controllen == 0 { Vec::new() } else { msg::control_to_netbsd(ctx.guest_bytes(m.control, m.controllen as usize)?)? };
    let h = NbMsghdr {
        name: to.as_ref().map_or(0, |a| ptr(&a.buf)),
        namelen: to.as_ref().map_or(0, |a| a.len),
        iov: iov.as_ptr() as u64,
        iovlen: iov.len() as i32,
        control: if control.is_empty() { 0 } else { control.as_ptr() as u64 },
        controllen: control.len() as u32,
        ..Default::default()
    };
    Ok(ctx.nb(nb::SYS_sendmsg, [s, ptr(&h), flags as u64, 0, 0, 0])?[0])
}

/// recvmsg into the Linux msghdr at `at`: the bytes received; name, control and flags are
/// written back in Linux's layout.
fn recv_one(ctx: &mut Ctx, s: u64, at: u64, flags: u32) -> LxResult {
    let m: Msghdr = ctx.read_struct(at)?;
    ctx.check(at, core::mem::size_of::<Msghdr>() as u64, Access::Write)?;
    let iov = iovecs(ctx, m.iov, m.iovlen, Access::Write)?;
    if (m.namelen as i32) < 0 {
        return Err(EINVAL);
    }
    let mut a = Sockaddr::default();
    // NetBSD's cmsgs are as long as Linux's: the same room holds the same descriptors.
    let room = (m.controllen as usize).min(64 * 1024);
    let mut control = alloc::vec![0u8; if m.control == 0 { 0 } else { room }];
    let mut h = NbMsghdr {
        name: if m.name == 0 { 0 } else { mut_ptr(&mut a.buf) },
        namelen: sockaddr::STORAGE as u32,
        iov: iov.as_ptr() as u64,
        iovlen: iov.len() as i32,
        control: if control.is_empty() { 0 } else { control.as_mut_ptr() as u64 },
        controllen: control.len() as u32,
        ..Default::default()
    };
    let n = ctx.nb(nb::SYS_recvmsg, [s, mut_ptr(&mut h), flags as u64, 0, 0, 0])?[0];
    let mut out = m;
    out.flags = msg::to_linux(h.flags as u32) as i32;
    if m.name != 0 {
        let l = sockaddr::to_linux(&a.buf[..(h.namelen as usize).min(sockaddr::STORAGE)]);
        let k = m.namelen.min(l.len) as usize;
        ctx.guest_bytes_mut(m.name, k)?.copy_from_slice(&l.buf[..k]);
        out.namelen = l.len;
    } else {
        out.namelen = 0;
    }
    let got = &control[..(h.controllen as usize).min(control.len())];
    let lc = msg::control_to_linux(got);
    let fit = lc.len().min(m.controllen as usize);
    if fit < lc.len() {
        out.flags |= lmsg::MSG_CTRUNC as i32;
    }
    if fit > 0 {
        ctx.guest_bytes_mut(m.control, fit)?.copy_from_slice(&lc[..fit]);
    }
    out.controllen = fit as u64;
    ctx.write_struct(at, &out)?;
    Ok(n)
}

fn sendmsg(ctx: &mut Ctx) -> LxResult {
    let flags = msg::to_netbsd(ctx.args[2] as u32)?;
    send_one(ctx, fd(ctx), ctx.args[1], flags)
}

fn recvmsg(ctx: &mut Ctx) -> LxResult {
    let flags = msg::to_netbsd(ctx.args[2] as u32)?;
    recv_one(ctx, fd(ctx), ctx.args[1], flags)
}

/// Linux `struct mmsghdr`: a msghdr and the byte count, 64 bytes.
const MMSGHDR: u64 = 64;
const MSG_LEN_AT: u64 = 56;

/// sendmmsg/recvmmsg: one call per message; an error after the first message ends the batch
/// with the count so far (Linux keeps the error for the next call; it is lost here).
/// A receive batch with a `deadline` (CLOCK_MONOTONIC ns) ends after the datagram that passes it.
fn batch(ctx: &mut Ctx, one: fn(&mut Ctx, u64, u64, u32) -> LxResult, recv: bool, deadline: Option<i128>) -> LxResult {
    let (s, vec, vlen) = (fd(ctx), ctx.args[1], (ctx.args[2] as u32 as u64).min(UIO_MAXIOV));
    let mut flags = msg::to_netbsd(ctx.args[3] as u32)?;
    let mut done = 0u64;
    while done < vlen {
        let at = vec + done * MMSGHDR;
        match one(ctx, s, at, flags) {
            Ok(n) => ctx.write_struct(at + MSG_LEN_AT, &(n as u32))?,
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        }
        done += 1;
        if let Some(end) = deadline {
            if monotonic_ns(ctx)? >= end {
                break;
            }
        }
        if recv && flags & abi_netbsd::consts::msg_flags::MSG_WAITFORONE != 0 {
            flags |= abi_netbsd::consts::msg_flags::MSG_DONTWAIT;
        }
    }
    Ok(done)
}

fn sendmmsg(ctx: &mut Ctx) -> LxResult {
    batch(ctx, send_one, false, None)
}

/// recvmmsg's timeout is Linux's: looked at only after each datagram (a receive that blocks is not
/// cut short by it); when it has passed the batch ends, and the time left is written back.
fn recvmmsg(ctx: &mut Ctx) -> LxResult {
    let timeout_at = ctx.args[4];
    let deadline = match super::poll::read_timespec(ctx, timeout_at)? {
        Some(t) => Some(monotonic_ns(ctx)? + nanos(&t)),
        None => None,
    };
    let done = batch(ctx, |ctx, s, at, f| recv_one(ctx, s, at, f & !abi_netbsd::consts::msg_flags::MSG_WAITFORONE), true, deadline)?;
    if let Some(end) = deadline {
        let left = from_nanos(end - monotonic_ns(ctx)?);
        ctx.write_struct(timeout_at, &left)?;
    }
    Ok(done)
}

fn monotonic_ns(ctx: &mut Ctx) -> Result<i128, Errno> {
    Ok(nanos(&super::time::monotonic(ctx)?))
}

fn setsockopt(ctx: &mut Ctx) -> LxResult {
    let len = ctx.int(4);
    if len < 0 {
        return Err(EINVAL);
    }
    let o = sockopt::lookup(ctx.args[1] as u32, ctx.args[2] as u32)?;
    if o.4 == sockopt::Val::Errno {
        // SO_ERROR is read only.
        return Err(ENOPROTOOPT);
    }
    let v = sockopt::value_to_netbsd(o.4, ctx.guest_bytes(ctx.args[3], len as usize)?)?;
    Ok(ctx.nb(nb::SYS_setsockopt, [fd(ctx), o.2 as u64, o.3 as u64, v.as_ptr() as u64, v.len() as u64, 0])?[0])
}

fn getsockopt(ctx: &mut Ctx) -> LxResult {
    let (val, lenp) = (ctx.args[3], ctx.args[4]);
    let room: i32 = ctx.read_struct(lenp)?;
    if room < 0 {
        return Err(EINVAL);
    }
    if (ctx.args[1] as u32, ctx.args[2] as u32) == (lso::SOL_SOCKET, lso::SO_PEERCRED) {
        return peercred(ctx, val, lenp, room as u32);
    }
    // Linux's IP and unix sockets answer a level they do not know with EOPNOTSUPP here.
    let o = sockopt::lookup(ctx.args[1] as u32, ctx.args[2] as u32).map_err(|e| if sockopt::known_level(ctx.args[1] as u32) { e } else { EOPNOTSUPP })?;
    let mut buf = [0u8; 64];
    let mut len = buf.len() as u32;
    ctx.nb(nb::SYS_getsockopt, [fd(ctx), o.2 as u64, o.3 as u64, mut_ptr(&mut buf), mut_ptr(&mut len), 0])?;
    let v = sockopt::value_to_linux(o.4, &buf[..(len as usize).min(buf.len())]);
    // Linux copies what fits and reports that length.
    let n = (room as usize).min(v.len());
    ctx.guest_bytes_mut(val, n)?.copy_from_slice(&v[..n]);
    ctx.write_struct(lenp, &(n as u32))?;
    Ok(0)
}

/// SO_PEERCRED: NetBSD's LOCAL_PEEREID of a local socket. Sockets without peer ids (not
/// connected, datagram sockets, other families) report pid 0, uid and gid -1, as on Linux.
fn peercred(ctx: &mut Ctx, val: u64, lenp: u64, room: u32) -> LxResult {
    let mut a = Sockaddr::default();
    let mut alen = sockaddr::STORAGE as u32;
    ctx.nb(nb::SYS_getsockname, [fd(ctx), mut_ptr(&mut a.buf), mut_ptr(&mut alen), 0, 0, 0])?;
    let mut v = sockopt::NO_PEERCRED;
    if a.buf[1] as u32 == abi_netbsd::consts::address_family::AF_UNIX {
        let mut id = [0u8; 12];
        let mut len = id.len() as u32;
        let (level, name) = sockopt::PEERCRED_NETBSD;
        match ctx.nb_raw(nb::SYS_getsockopt, [fd(ctx), level as u64, name as u64, mut_ptr(&mut id), mut_ptr(&mut len), 0]) {
            Ok(_) => v = sockopt::peercred_to_linux(&id[..(len as usize).min(id.len())]),
            Err(e) if e == abi_netbsd::errno::ENOTCONN => {}
            Err(e) => return Err(crate::xlat::errno::from_netbsd(e)),
        }
    }
    let n = (room as usize).min(v.len());
    ctx.guest_bytes_mut(val, n)?.copy_from_slice(&v[..n]);
    ctx.write_struct(lenp, &(n as u32))?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_types() {
        assert_eq!(sock_type(lst::SOCK_STREAM), Ok(nst::SOCK_STREAM));
        assert_eq!(sock_type(lst::SOCK_DGRAM | lst::SOCK_NONBLOCK), Ok(nst::SOCK_DGRAM | nst::SOCK_NONBLOCK));
        assert_eq!(sock_type(lst::SOCK_SEQPACKET | lst::SOCK_CLOEXEC), Ok(nst::SOCK_SEQPACKET | nst::SOCK_CLOEXEC));
        assert_eq!(sock_type(lst::SOCK_STREAM | 0x1000), Err(EINVAL));
        assert_eq!(sock_type(0), Err(EINVAL));
        assert_eq!(sock_type(11), Err(EINVAL));
        assert_eq!(sock_type(lst::SOCK_PACKET), Err(ESOCKTNOSUPPORT));
        assert_eq!(accept_flags(lst::SOCK_NONBLOCK | lst::SOCK_CLOEXEC), Ok(nst::SOCK_NONBLOCK | nst::SOCK_CLOEXEC));
        assert_eq!(accept_flags(1), Err(EINVAL));
    }
}
