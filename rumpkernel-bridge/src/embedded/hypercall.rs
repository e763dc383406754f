//! Hypercalls: the embedded kernel's only door to the host (what librumpuser is to a rump kernel).
//!
//! Everything above this module speaks NetBSD: flags, structs and errno values come in and go out
//! in NetBSD terms. This is the one place in the crate that names host (Linux) numbers; each
//! conversion is done by name, never by assuming equal values.
#![allow(clippy::unnecessary_cast)]

use abi_netbsd::consts::{
    access_mode as nb_acc, msg_flags as nb_msg, open_flags as nb, poll_events as nb_poll,
    seek_whence as nb_seek, termios_cc_index as nb_cc, termios_cflag as nb_cf,
    termios_iflag as nb_if, termios_lflag as nb_lf, termios_oflag as nb_of,
};
use abi_netbsd::errno as ne;
use abi_netbsd::structs::{
    Flock, Iovec, Rusage, Stat, Statvfs, Termios, Timespec, Timeval, Winsize,
};
use abi_netbsd::Errno;
use std::ffi::CString;

pub type HResult<T> = Result<T, Errno>;

/// Host errno → NetBSD errno, by name. Host errors with no NetBSD twin become EIO.
pub fn errno_from_host(e: i32) -> Errno {
    use libc::*;
    match e {
        EPERM => ne::EPERM,
        ENOENT => ne::ENOENT,
        ESRCH => ne::ESRCH,
        EINTR => ne::EINTR,
        EIO => ne::EIO,
        ENXIO => ne::ENXIO,
        E2BIG => ne::E2BIG,
        ENOEXEC => ne::ENOEXEC,
        EBADF => ne::EBADF,
        ECHILD => ne::ECHILD,
        EAGAIN => ne::EAGAIN,
        ENOMEM => ne::ENOMEM,
        EACCES => ne::EACCES,
        EFAULT => ne::EFAULT,
        ENOTBLK => ne::ENOTBLK,
        EBUSY => ne::EBUSY,
        EEXIST => ne::EEXIST,
        EXDEV => ne::EXDEV,
        ENODEV => ne::ENODEV,
        ENOTDIR => ne::ENOTDIR,
        EISDIR => ne::EISDIR,
        EINVAL => ne::EINVAL,
        ENFILE => ne::ENFILE,
        EMFILE => ne::EMFILE,
        ENOTTY => ne::ENOTTY,
        ETXTBSY => ne::ETXTBSY,
        EFBIG => ne::EFBIG,
        ENOSPC => ne::ENOSPC,
        ESPIPE => ne::ESPIPE,
        EROFS => ne::EROFS,
        EMLINK => ne::EMLINK,
        EPIPE => ne::EPIPE,
        EDOM => ne::EDOM,
        ERANGE => ne::ERANGE,
        EDEADLK => ne::EDEADLK,
        ENAMETOOLONG => ne::ENAMETOOLONG,
        ENOLCK => ne::ENOLCK,
        ENOSYS => ne::ENOSYS,
        ENOTEMPTY => ne::ENOTEMPTY,
        ELOOP => ne::ELOOP,
        ENOMSG => ne::ENOMSG,
        EIDRM => ne::EIDRM,
        ENOSTR => ne::ENOSTR,
        ENODATA => ne::ENODATA,
        ETIME => ne::ETIME,
        ENOSR => ne::ENOSR,
        EREMOTE => ne::EREMOTE,
        ENOLINK => ne::ENOLINK,
        EPROTO => ne::EPROTO,
        EMULTIHOP => ne::EMULTIHOP,
        EBADMSG => ne::EBADMSG,
        EOVERFLOW => ne::EOVERFLOW,
        EILSEQ => ne::EILSEQ,
        EUSERS => ne::EUSERS,
        ENOTSOCK => ne::ENOTSOCK,
        EDESTADDRREQ => ne::EDESTADDRREQ,
        EMSGSIZE => ne::EMSGSIZE,
        EPROTOTYPE => ne::EPROTOTYPE,
        ENOPROTOOPT => ne::ENOPROTOOPT,
        EPROTONOSUPPORT => ne::EPROTONOSUPPORT,
        ESOCKTNOSUPPORT => ne::ESOCKTNOSUPPORT,
        EOPNOTSUPP => ne::EOPNOTSUPP,
        EPFNOSUPPORT => ne::EPFNOSUPPORT,
        EAFNOSUPPORT => ne::EAFNOSUPPORT,
        EADDRINUSE => ne::EADDRINUSE,
        EADDRNOTAVAIL => ne::EADDRNOTAVAIL,
        ENETDOWN => ne::ENETDOWN,
        ENETUNREACH => ne::ENETUNREACH,
        ENETRESET => ne::ENETRESET,
        ECONNABORTED => ne::ECONNABORTED,
        ECONNRESET => ne::ECONNRESET,
        ENOBUFS => ne::ENOBUFS,
        EISCONN => ne::EISCONN,
        ENOTCONN => ne::ENOTCONN,
        ESHUTDOWN => ne::ESHUTDOWN,
        ETOOMANYREFS => ne::ETOOMANYREFS,
        ETIMEDOUT => ne::ETIMEDOUT,
        ECONNREFUSED => ne::ECONNREFUSED,
        EHOSTDOWN => ne::EHOSTDOWN,
        EHOSTUNREACH => ne::EHOSTUNREACH,
        EALREADY => ne::EALREADY,
        EINPROGRESS => ne::EINPROGRESS,
        ESTALE => ne::ESTALE,
        EDQUOT => ne::EDQUOT,
        ECANCELED => ne::ECANCELED,
        // Linux-only refinements of errors NetBSD reports more coarsely (ENOTSUP is EOPNOTSUPP
        // on the host).
        ENOMEDIUM | EMEDIUMTYPE => ne::ENODEV,
        ENOKEY | EKEYEXPIRED | EKEYREVOKED | EKEYREJECTED => ne::EACCES,
        EOWNERDEAD | ENOTRECOVERABLE => ne::EIO,
        _ => ne::EIO,
    }
}

/// The host's errno of the call that just failed, as a NetBSD errno.
pub(crate) fn last() -> Errno {
    errno_from_host(
        std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO),
    )
}

fn cvt<T: Copy + PartialOrd + Default>(r: T) -> HResult<T> {
    if r < T::default() {
        Err(last())
    } else {
        Ok(r)
    }
}

/// Retries a host call interrupted by a host signal, unless the interrupted thread now has a
/// signal to take (then EINTR, as a NetBSD kernel fails a sleep the signal interrupts).
fn retry<T: Copy + PartialOrd + Default>(mut f: impl FnMut() -> T) -> HResult<T> {
    loop {
        match cvt(f()) {
            Err(e) if e == ne::EINTR && !crate::signal_pending() => continue,
            r => return r,
        }
    }
}

fn cstr(s: &str) -> HResult<CString> {
    CString::new(super::name::encode(s).into_owned()).map_err(|_| ne::EINVAL)
}

/// An owned host file descriptor (closed on drop).
#[derive(Debug)]
pub struct HostFd(i32);

impl HostFd {
    pub fn raw(&self) -> i32 {
        self.0
    }
}

impl Drop for HostFd {
    fn drop(&mut self) {
        // SAFETY: we own the descriptor.
        unsafe { libc::close(self.0) };
    }
}

/// Duplicates a host descriptor (close-on-exec on the host side: guest exec is not host exec).
pub fn dup_host(fd: i32) -> HResult<HostFd> {
    // SAFETY: plain fcntl.
    cvt(unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 3) }).map(HostFd)
}

/// Takes ownership of a descriptor a host call just made (or of its failure, -1 and errno): moved
/// to 3 or above, close-on-exec, closed on drop.
pub fn own_new(raw: i32) -> HResult<HostFd> {
    if raw < 0 {
        return Err(last());
    }
    let h = dup_host(raw);
    // SAFETY: the caller hands us raw, which nothing else uses.
    unsafe { libc::close(raw) };
    h
}

// ---------------------------------------------------------------------------------------------
// Opening.

/// NetBSD open flags → host open flags (always close-on-exec on the host; the guest's own
/// close-on-exec lives in its fd table).
fn host_open_flags(f: u32) -> i32 {
    let mut h = match f & nb::O_ACCMODE {
        nb::O_WRONLY => libc::O_WRONLY,
        nb::O_RDWR => libc::O_RDWR,
        _ => libc::O_RDONLY,
    };
    let pairs = [
        (nb::O_NONBLOCK, libc::O_NONBLOCK),
        (nb::O_APPEND, libc::O_APPEND),
        (nb::O_CREAT, libc::O_CREAT),
        (nb::O_TRUNC, libc::O_TRUNC),
        (nb::O_EXCL, libc::O_EXCL),
        (nb::O_NOFOLLOW, libc::O_NOFOLLOW),
        (nb::O_DIRECTORY, libc::O_DIRECTORY),
        (nb::O_SYNC, libc::O_SYNC),
        (nb::O_DSYNC, libc::O_DSYNC),
        (nb::O_NOCTTY, libc::O_NOCTTY),
        (nb::O_DIRECT, libc::O_DIRECT),
    ];
    for (n, l) in pairs {
        if f & n != 0 {
            h |= l;
        }
    }
    h | libc::O_CLOEXEC
}

/// Opens a host path directly (the root of a registration, or a registered single file).
pub fn open_host_path(path: &str, nb_flags: u32, mode: u32) -> HResult<HostFd> {
    let p = cstr(path)?;
    // SAFETY: valid C string.
    retry(|| unsafe { libc::open(p.as_ptr(), host_open_flags(nb_flags), mode as libc::c_uint) })
        .map(HostFd)
}

/// A path-only handle on a host path (following symlinks: the registrant named it).
pub fn open_path(path: &str) -> HResult<HostFd> {
    let p = cstr(path)?;
    // SAFETY: valid C string.
    cvt(unsafe { libc::open(p.as_ptr(), libc::O_PATH | libc::O_CLOEXEC) }).map(HostFd)
}

/// Opens the root directory of a host directory registration (a path-only handle).
pub fn open_root(path: &str) -> HResult<HostFd> {
    let p = cstr(path)?;
    // SAFETY: valid C string.
    cvt(unsafe {
        libc::open(
            p.as_ptr(),
            libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC,
        )
    })
    .map(HostFd)
}

fn openat2_raw(dirfd: i32, rel: &str, flags: i32, mode: u32) -> HResult<HostFd> {
    let rel = if rel.is_empty() { "." } else { rel };
    let p = cstr(rel)?;
    // struct open_how { u64 flags, mode, resolve } (libc's is non-exhaustive).
    let how: [u64; 3] = [
        flags as u64,
        if flags & (libc::O_CREAT | libc::O_TMPFILE) != 0 {
            mode as u64 & 0o7777
        } else {
            0
        },
        libc::RESOLVE_IN_ROOT | libc::RESOLVE_NO_MAGICLINKS,
    ];
    // SAFETY: valid pointers for the duration of the call.
    retry(|| unsafe {
        libc::syscall(
            libc::SYS_openat2,
            dirfd,
            p.as_ptr(),
            how.as_ptr(),
            std::mem::size_of_val(&how),
        )
    })
    .map(|fd| HostFd(fd as i32))
}

/// Opens `rel` inside the tree rooted at `root`, confined: `..` and absolute symlinks resolve
/// against `root`, magic links (/proc/self/fd/…) are refused.
pub fn open_in_root(root: &HostFd, rel: &str, nb_flags: u32, mode: u32) -> HResult<HostFd> {
    openat2_raw(root.raw(), rel, host_open_flags(nb_flags), mode)
}

/// A path-only handle on `rel` inside `root` (following a final symlink or not).
pub fn path_in_root(root: &HostFd, rel: &str, follow: bool) -> HResult<HostFd> {
    let mut f = libc::O_PATH | libc::O_CLOEXEC;
    if !follow {
        f |= libc::O_NOFOLLOW;
    }
    openat2_raw(root.raw(), rel, f, 0)
}

/// A path-only handle on directory `rel` inside `root`, for *at calls on a final component.
pub fn dir_in_root(root: &HostFd, rel: &str) -> HResult<HostFd> {
    openat2_raw(
        root.raw(),
        rel,
        libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC,
        0,
    )
}

/// The host path of an open descriptor (its /proc/self/fd link), for canonical names.
pub fn fd_path(fd: i32) -> HResult<String> {
    let p = std::fs::read_link(format!("/proc/self/fd/{fd}")).map_err(|_| ne::ENOENT)?;
    use std::os::unix::ffi::OsStrExt;
    Ok(super::name::decode(p.as_os_str().as_bytes()))
}

/// A host FIFO with no name: made in the temp directory, held by a path handle, unlinked at
/// once. Opening the handle's /proc link opens the FIFO with all its blocking semantics.
pub fn anon_fifo() -> HResult<HostFd> {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("rumplx-fifo-{}-{n}", std::process::id()));
    use std::os::unix::ffi::OsStrExt;
    let p = CString::new(path.as_os_str().as_bytes()).map_err(|_| ne::EINVAL)?;
    // SAFETY: valid C string.
    cvt(unsafe { libc::mkfifo(p.as_ptr(), 0o600) })?;
    // SAFETY: as above.
    let fd = cvt(unsafe { libc::open(p.as_ptr(), libc::O_PATH | libc::O_CLOEXEC) });
    // SAFETY: as above.
    unsafe { libc::unlink(p.as_ptr()) };
    fd.map(HostFd)
}

/// Binds a host unix socket under a throwaway name and keeps only a path handle on it: the
/// socket is then reached as /proc/self/fd/N (connect works through it) and has no host name.
pub fn bind_anon_unix<E>(bind: impl FnOnce(&[u8]) -> Result<(), E>) -> Result<HostFd, E>
where
    E: From<Errno>,
{
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("rumplx-sock-{}-{n}", std::process::id()));
    use std::os::unix::ffi::OsStrExt;
    let bytes = path.as_os_str().as_bytes();
    let p = CString::new(bytes).map_err(|_| E::from(ne::EINVAL))?;
    bind(bytes)?;
    // SAFETY: valid C string.
    let fd = cvt(unsafe { libc::open(p.as_ptr(), libc::O_PATH | libc::O_CLOEXEC) });
    // SAFETY: as above.
    unsafe { libc::unlink(p.as_ptr()) };
    fd.map(HostFd).map_err(E::from)
}

/// Is `p` a host name the kernel made for its own use (a throwaway socket name, a directory
/// handle's /proc path)? Those mean nothing to the guest.
pub fn is_private_name(p: &[u8]) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let tmp = std::env::temp_dir().join(format!("rumplx-sock-{}-", std::process::id()));
    p.starts_with(b"/proc/self/fd/") || p.starts_with(tmp.as_os_str().as_bytes())
}

/// The /proc path that reaches the object behind a path handle.
pub fn handle_path(h: &HostFd) -> Vec<u8> {
    format!("/proc/self/fd/{}", h.raw()).into_bytes()
}

/// Opens the object behind a path handle (what opening its path would do).
pub fn open_handle(h: &HostFd, nb_flags: u32) -> HResult<HostFd> {
    let flags = nb_flags & !(nb::O_CREAT | nb::O_EXCL | nb::O_TRUNC | nb::O_NOFOLLOW);
    open_host_path(&format!("/proc/self/fd/{}", h.raw()), flags, 0)
}

pub fn mkfifoat(dirfd: i32, name: &str, mode: u32) -> HResult<()> {
    let p = cstr(name)?;
    // SAFETY: valid C string.
    cvt(unsafe { libc::mkfifoat(dirfd, p.as_ptr(), mode as libc::mode_t) }).map(|_| ())
}

// ---------------------------------------------------------------------------------------------
// I/O.

/// A host call that may sleep until a signal comes, as a NetBSD kernel sleeps: it fails with
/// EINTR when the thread has a signal to take, whether the signal interrupted the host sleep or
/// came at any moment before it started ([`crate::sleep`] closes the window between the look and
/// the host call, which would otherwise sleep for good with the signal noted: musl's
/// pthread_cancel sends its signal once). A host signal the thread has no use for restarts it.
/// When the signal came before the call started, `not_started` says what happens instead.
///
/// # Safety
/// As the host call: every pointer in `args` must be valid for it.
unsafe fn sleeping(nr: libc::c_long, args: [u64; 6], not_started: impl FnOnce() -> HResult<i64>) -> HResult<i64> {
    loop {
        // SAFETY: the caller vouches for the arguments.
        match unsafe { crate::sleep::syscall(nr, args) } {
            crate::sleep::NOT_STARTED => return not_started(),
            r if r >= 0 => return Ok(r),
            r => match errno_from_host(-r as i32) {
                e if e == ne::EINTR && !crate::signal_pending() => continue,
                e => return Err(e),
            },
        }
    }
}

/// The host call `nr` with `args`, plainly (-1 and errno on failure).
///
/// # Safety
/// As the host call.
unsafe fn plain(nr: libc::c_long, a: [u64; 6]) -> HResult<i64> {
    // SAFETY: the caller vouches for the arguments.
    cvt(unsafe { libc::syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]) })
}

/// Whether a call on host descriptor `fd` waiting for `events` would go ahead now: the
/// descriptor has them (or an error or hangup to report: regular files always), or it does not
/// wait (O_NONBLOCK; `dont_wait` for MSG_DONTWAIT).
fn would_not_sleep(fd: i32, events: i16, dont_wait: bool) -> bool {
    let mut p = libc::pollfd { fd, events, revents: 0 };
    // SAFETY: one pollfd of ours, no waiting; F_GETFL has no argument.
    dont_wait
        || unsafe { libc::poll(&mut p, 1, 0) } != 0
        || unsafe { libc::fcntl(fd, libc::F_GETFL) } & libc::O_NONBLOCK != 0
}

/// [`sleeping`] for a call on host descriptor `fd` that sleeps until it has `events`. A signal
/// that came before the call started makes it fail with EINTR only if it would sleep: a ready
/// descriptor, a regular file (always ready) or a non-blocking one goes ahead, as on NetBSD,
/// where a signal interrupts a sleep, not a call that needs none.
///
/// # Safety
/// As the host call.
unsafe fn sleeping_io(fd: i32, events: i16, dont_wait: bool, nr: libc::c_long, args: [u64; 6]) -> HResult<i64> {
    // SAFETY: the caller vouches for the arguments.
    unsafe {
        sleeping(nr, args, || match would_not_sleep(fd, events, dont_wait) {
            true => plain(nr, args),
            false => Err(ne::EINTR),
        })
    }
}

pub fn read(fd: i32, buf: *mut u8, len: usize) -> HResult<usize> {
    // SAFETY: the caller vouches for buf[..len].
    unsafe { sleeping_io(fd, libc::POLLIN, false, libc::SYS_read, [fd as u64, buf as u64, len as u64, 0, 0, 0]) }
        .map(|n| n as usize)
}

pub fn write(fd: i32, buf: *const u8, len: usize) -> HResult<usize> {
    // SAFETY: the caller vouches for buf[..len].
    unsafe { sleeping_io(fd, libc::POLLOUT, false, libc::SYS_write, [fd as u64, buf as u64, len as u64, 0, 0, 0]) }
        .map(|n| n as usize)
}

pub fn pread(fd: i32, buf: *mut u8, len: usize, off: i64) -> HResult<usize> {
    // SAFETY: the caller vouches for buf[..len].
    retry(|| unsafe { libc::pread(fd, buf.cast(), len, off) }).map(|n| n as usize)
}

pub fn pwrite(fd: i32, buf: *const u8, len: usize, off: i64) -> HResult<usize> {
    // SAFETY: the caller vouches for buf[..len].
    retry(|| unsafe { libc::pwrite(fd, buf.cast(), len, off) }).map(|n| n as usize)
}

const _: () = assert!(std::mem::size_of::<Iovec>() == std::mem::size_of::<libc::iovec>());

/// readv/writev/preadv/pwritev: the NetBSD iovec has the host's layout (checked above).
/// (preadv/pwritev take the offset as two words, low and high; on x86_64 the low one holds all of
/// it.)
pub fn readv(fd: i32, iov: &[Iovec], off: Option<i64>) -> HResult<usize> {
    let (p, n) = (iov.as_ptr() as u64, iov.len() as u64);
    let (nr, args) = match off {
        Some(o) => (libc::SYS_preadv, [fd as u64, p, n, o as u64, 0, 0]),
        None => (libc::SYS_readv, [fd as u64, p, n, 0, 0, 0]),
    };
    // SAFETY: the caller vouches for every iovec buffer.
    unsafe { sleeping_io(fd, libc::POLLIN, false, nr, args) }.map(|n| n as usize)
}

pub fn writev(fd: i32, iov: &[Iovec], off: Option<i64>) -> HResult<usize> {
    let (p, n) = (iov.as_ptr() as u64, iov.len() as u64);
    let (nr, args) = match off {
        Some(o) => (libc::SYS_pwritev, [fd as u64, p, n, o as u64, 0, 0]),
        None => (libc::SYS_writev, [fd as u64, p, n, 0, 0, 0]),
    };
    // SAFETY: the caller vouches for every iovec buffer.
    unsafe { sleeping_io(fd, libc::POLLOUT, false, nr, args) }.map(|n| n as usize)
}

pub fn lseek(fd: i32, off: i64, nb_whence: u32) -> HResult<i64> {
    let w = match nb_whence {
        nb_seek::SEEK_SET => libc::SEEK_SET,
        nb_seek::SEEK_CUR => libc::SEEK_CUR,
        nb_seek::SEEK_END => libc::SEEK_END,
        _ => return Err(ne::EINVAL),
    };
    // SAFETY: plain syscall.
    cvt(unsafe { libc::lseek(fd, off, w) })
}

pub fn fsync(fd: i32, data_only: bool) -> HResult<()> {
    // SAFETY: plain syscalls.
    cvt(unsafe {
        if data_only {
            libc::fdatasync(fd)
        } else {
            libc::fsync(fd)
        }
    })
    .map(|_| ())
}

pub fn ftruncate(fd: i32, len: i64) -> HResult<()> {
    // SAFETY: plain syscall.
    retry(|| unsafe { libc::ftruncate(fd, len) }).map(|_| ())
}

/// posix_fallocate: returns the error rather than setting errno, like NetBSD's.
/// posix_fallocate; `keep_size`: the host's fallocate(FALLOC_FL_KEEP_SIZE), blocks reserved
/// past the end without changing the size.
pub fn fallocate(fd: i32, off: i64, len: i64, keep_size: bool) -> Errno {
    if keep_size {
        // SAFETY: plain call.
        return match retry(|| unsafe { libc::fallocate(fd, libc::FALLOC_FL_KEEP_SIZE, off, len) }) {
            Ok(_) => Errno(0),
            Err(e) => e,
        };
    }
    // SAFETY: plain call.
    let r = unsafe { libc::posix_fallocate(fd, off, len) };
    if r == 0 {
        Errno(0)
    } else {
        errno_from_host(r)
    }
}

/// Advice values are the same POSIX names on both sides; NetBSD's numbering is passed as the
/// POSIX_FADV_* ordinal (NORMAL, RANDOM, SEQUENTIAL, WILLNEED, DONTNEED, NOREUSE).
pub fn fadvise(fd: i32, off: i64, len: i64, nb_advice: u32) -> Errno {
    let a = match nb_advice {
        0 => libc::POSIX_FADV_NORMAL,
        1 => libc::POSIX_FADV_RANDOM,
        2 => libc::POSIX_FADV_SEQUENTIAL,
        3 => libc::POSIX_FADV_WILLNEED,
        4 => libc::POSIX_FADV_DONTNEED,
        5 => libc::POSIX_FADV_NOREUSE,
        _ => return ne::EINVAL,
    };
    // SAFETY: plain call.
    let r = unsafe { libc::posix_fadvise(fd, off, len, a) };
    if r == 0 {
        Errno(0)
    } else {
        errno_from_host(r)
    }
}

/// A host descriptor's access mode and status flags, as NetBSD O_* bits.
pub fn status_flags(fd: i32) -> HResult<u32> {
    // SAFETY: plain fcntl.
    let h = cvt(unsafe { libc::fcntl(fd, libc::F_GETFL) })?;
    let mut f = match h & libc::O_ACCMODE {
        libc::O_WRONLY => nb::O_WRONLY,
        libc::O_RDWR => nb::O_RDWR,
        _ => nb::O_RDONLY,
    };
    if h & libc::O_APPEND != 0 {
        f |= nb::O_APPEND;
    }
    if h & libc::O_NONBLOCK != 0 {
        f |= nb::O_NONBLOCK;
    }
    Ok(f)
}

/// Sets or clears non-blocking mode / append mode on a host descriptor.
pub fn set_status_flags(fd: i32, nonblock: bool, append: bool) -> HResult<()> {
    // SAFETY: plain fcntl.
    let cur = cvt(unsafe { libc::fcntl(fd, libc::F_GETFL) })?;
    let mut new = cur & !(libc::O_NONBLOCK | libc::O_APPEND);
    if nonblock {
        new |= libc::O_NONBLOCK;
    }
    if append {
        new |= libc::O_APPEND;
    }
    // SAFETY: plain fcntl.
    cvt(unsafe { libc::fcntl(fd, libc::F_SETFL, new) }).map(|_| ())
}

/// A host pipe (both ends close-on-exec on the host).
pub fn pipe() -> HResult<(HostFd, HostFd)> {
    let mut fds = [0i32; 2];
    // SAFETY: fds is a valid 2-int array.
    cvt(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) })?;
    Ok((HostFd(fds[0]), HostFd(fds[1])))
}

pub fn getrandom(buf: *mut u8, len: usize) -> HResult<usize> {
    // SAFETY: the caller vouches for buf[..len].
    retry(|| unsafe { libc::getrandom(buf.cast(), len, 0) }).map(|n| n as usize)
}

pub fn sync() {
    // SAFETY: no arguments.
    unsafe { libc::sync() };
}

pub fn sched_yield() {
    // SAFETY: no arguments.
    unsafe { libc::sched_yield() };
}

const POLL_BITS: &[(u32, i16)] = &[
    (nb_poll::POLLIN, libc::POLLIN),
    (nb_poll::POLLPRI, libc::POLLPRI),
    (nb_poll::POLLOUT, libc::POLLOUT),
    (nb_poll::POLLERR, libc::POLLERR),
    (nb_poll::POLLHUP, libc::POLLHUP),
    (nb_poll::POLLNVAL, libc::POLLNVAL),
    (nb_poll::POLLRDNORM, libc::POLLRDNORM),
    (nb_poll::POLLRDBAND, libc::POLLRDBAND),
    (nb_poll::POLLWRBAND, libc::POLLWRBAND),
    (crate::ext::POLLRDHUP, libc::POLLRDHUP),
];

/// One descriptor for [`poll`]: host fd, NetBSD events asked, NetBSD events seen.
pub struct PollFd {
    pub fd: i32,
    pub events: u32,
    pub revents: u32,
}

/// Waits for events on host descriptors (`None`: no time limit). Returns how many have events.
pub fn poll(fds: &mut [PollFd], timeout: Option<Timespec>) -> HResult<usize> {
    let mut h: Vec<libc::pollfd> = fds
        .iter()
        .map(|p| libc::pollfd {
            fd: p.fd,
            events: POLL_BITS
                .iter()
                .filter(|(n, _)| p.events & n != 0)
                .fold(0, |a, (_, l)| a | l),
            revents: 0,
        })
        .collect();
    let ts = timeout.map(|t| libc::timespec {
        tv_sec: t.tv_sec,
        tv_nsec: t.tv_nsec,
    });
    let tp = ts
        .as_ref()
        .map_or(std::ptr::null(), |t| t as *const libc::timespec);
    // SAFETY: h and ts outlive the call. Not retried: EINTR is the guest's to see. A signal
    // that came before the wait started ends it with EINTR unless something is ready now.
    let n = match unsafe { crate::sleep::syscall(libc::SYS_ppoll, [h.as_mut_ptr() as u64, h.len() as u64, tp as u64, 0, 8, 0]) } {
        crate::sleep::NOT_STARTED => {
            let now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
            // SAFETY: as above, without waiting.
            match cvt(unsafe { libc::ppoll(h.as_mut_ptr(), h.len() as libc::nfds_t, &now, std::ptr::null()) })? {
                0 => return Err(ne::EINTR),
                n => n as i64,
            }
        }
        r if r < 0 => return Err(errno_from_host(-r as i32)),
        r => r,
    };
    for (p, hp) in fds.iter_mut().zip(&h) {
        let mut r = POLL_BITS
            .iter()
            .filter(|(_, l)| hp.revents & l != 0)
            .fold(0, |a, (n, _)| a | n);
        if hp.revents & libc::POLLWRNORM != 0 {
            r |= nb_poll::POLLOUT;
        }
        p.revents = r;
    }
    Ok(n as usize)
}

// ---------------------------------------------------------------------------------------------
// Metadata.

/// Host file type bits → NetBSD S_IF*.
fn nb_type(host_mode: u32) -> u32 {
    use abi_netbsd::consts::stat_mode as m;
    match host_mode & libc::S_IFMT {
        libc::S_IFREG => m::S_IFREG,
        libc::S_IFDIR => m::S_IFDIR,
        libc::S_IFLNK => m::S_IFLNK,
        libc::S_IFCHR => m::S_IFCHR,
        libc::S_IFBLK => m::S_IFBLK,
        libc::S_IFIFO => m::S_IFIFO,
        libc::S_IFSOCK => m::S_IFSOCK,
        _ => 0,
    }
}

/// Host dev_t → NetBSD dev_t (major/minor re-encoded with NetBSD's makedev).
pub fn nb_dev(d: u64) -> u64 {
    let (ma, mi) = (libc::major(d) as u64, libc::minor(d) as u64);
    ((ma << 8) & 0x000f_ff00) | ((mi << 12) & 0xfff0_0000) | (mi & 0xff)
}

fn stat_to_nb(s: &libc::stat) -> Stat {
    let ts = |sec: i64, nsec: i64| Timespec {
        tv_sec: sec,
        tv_nsec: nsec,
    };
    Stat {
        st_dev: nb_dev(s.st_dev),
        st_mode: nb_type(s.st_mode) | (s.st_mode & 0o7777),
        st_ino: s.st_ino,
        st_nlink: s.st_nlink as u32,
        st_uid: s.st_uid,
        st_gid: s.st_gid,
        st_rdev: nb_dev(s.st_rdev),
        st_atim: ts(s.st_atime, s.st_atime_nsec),
        st_mtim: ts(s.st_mtime, s.st_mtime_nsec),
        st_ctim: ts(s.st_ctime, s.st_ctime_nsec),
        // Linux's stat has no birth time; NetBSD file systems without one report ctime... we
        // report mtime's epoch of creation unknown as ctime, which is what NetBSD ffs v1 does.
        st_birthtim: ts(s.st_ctime, s.st_ctime_nsec),
        st_size: s.st_size,
        st_blocks: s.st_blocks,
        st_blksize: s.st_blksize as u32,
        ..Default::default()
    }
}

pub fn fstat(fd: i32) -> HResult<Stat> {
    // SAFETY: st is a valid out buffer; AT_EMPTY_PATH works on O_PATH handles too.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    cvt(unsafe { libc::fstatat(fd, c"".as_ptr(), &mut st, libc::AT_EMPTY_PATH) })?;
    Ok(stat_to_nb(&st))
}

/// The host's pseudo-terminal `/dev/pts/<n>`, for /dev/pts in the kernel's devfs: its stat
/// (the same the host gives for a descriptor of it, so fstat and stat agree). Only character
/// devices are shown.
pub fn host_pts_stat(n: u32) -> HResult<Stat> {
    host_char_stat(&format!("/dev/pts/{n}"))
}

/// The host's stat of character device `path` (ENOENT if it is something else).
pub fn host_char_stat(path: &str) -> HResult<Stat> {
    let p = CString::new(path).map_err(|_| ne::EINVAL)?;
    // SAFETY: valid pointers.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    cvt(unsafe { libc::stat(p.as_ptr(), &mut st) })?;
    if st.st_mode & libc::S_IFMT != libc::S_IFCHR {
        return Err(ne::ENOENT);
    }
    Ok(stat_to_nb(&st))
}

/// Opens the host's `/dev/pts/<n>` (never as a controlling terminal).
pub fn open_host_pts(n: u32, nb_flags: u32) -> HResult<HostFd> {
    host_pts_stat(n)?;
    open_host_path(&format!("/dev/pts/{n}"), nb_flags | nb::O_NOCTTY, 0)
}

/// The numbers of the host's pseudo-terminals (the names in /dev/pts that are numbers).
pub fn host_pts_list() -> Vec<u32> {
    let mut v: Vec<u32> = std::fs::read_dir("/dev/pts")
        .map(|d| {
            d.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    v.sort_unstable();
    v
}

/// The host file type of a descriptor, as NetBSD S_IF* bits.
pub fn file_type(fd: i32) -> HResult<u32> {
    Ok(fstat(fd)?.st_mode & abi_netbsd::consts::stat_mode::S_IFMT)
}

pub fn fstatat_nofollow(dirfd: i32, name: &str) -> HResult<Stat> {
    let p = cstr(name)?;
    // SAFETY: valid pointers.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    cvt(unsafe { libc::fstatat(dirfd, p.as_ptr(), &mut st, libc::AT_SYMLINK_NOFOLLOW) })?;
    Ok(stat_to_nb(&st))
}

/// Access check against the host's idea of the caller (rumplx's own credentials).
pub fn faccess(fd: i32, nb_mode: u32) -> HResult<()> {
    let mut m = libc::F_OK;
    if nb_mode & nb_acc::R_OK != 0 {
        m |= libc::R_OK;
    }
    if nb_mode & nb_acc::W_OK != 0 {
        m |= libc::W_OK;
    }
    if nb_mode & nb_acc::X_OK != 0 {
        m |= libc::X_OK;
    }
    // SAFETY: plain call on a path handle.
    cvt(unsafe { libc::faccessat(fd, c"".as_ptr(), m, libc::AT_EMPTY_PATH | libc::AT_EACCESS) })
        .map(|_| ())
}

pub fn mkdirat(dirfd: i32, name: &str, mode: u32) -> HResult<()> {
    let p = cstr(name)?;
    // SAFETY: valid C string.
    cvt(unsafe { libc::mkdirat(dirfd, p.as_ptr(), mode as libc::mode_t) }).map(|_| ())
}

pub fn unlinkat(dirfd: i32, name: &str, dir: bool) -> HResult<()> {
    let p = cstr(name)?;
    let f = if dir { libc::AT_REMOVEDIR } else { 0 };
    // SAFETY: valid C string.
    cvt(unsafe { libc::unlinkat(dirfd, p.as_ptr(), f) }).map(|_| ())
}

pub fn renameat(fd1: i32, n1: &str, fd2: i32, n2: &str) -> HResult<()> {
    let (a, b) = (cstr(n1)?, cstr(n2)?);
    // SAFETY: valid C strings.
    cvt(unsafe { libc::renameat(fd1, a.as_ptr(), fd2, b.as_ptr()) }).map(|_| ())
}

/// Hard link of the object behind a path handle (`AT_EMPTY_PATH`), so the source never gets
/// resolved again outside the confinement.
pub fn link_fd(src: &HostFd, dirfd: i32, name: &str) -> HResult<()> {
    let b = cstr(name)?;
    // SAFETY: valid C strings.
    let r = unsafe {
        libc::linkat(
            src.raw(),
            c"".as_ptr(),
            dirfd,
            b.as_ptr(),
            libc::AT_EMPTY_PATH,
        )
    };
    if r == 0 {
        return Ok(());
    }
    // AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; /proc/self/fd/N with AT_SYMLINK_FOLLOW does not.
    let p = cstr(&format!("/proc/self/fd/{}", src.raw()))?;
    // SAFETY: valid C strings.
    cvt(unsafe {
        libc::linkat(
            libc::AT_FDCWD,
            p.as_ptr(),
            dirfd,
            b.as_ptr(),
            libc::AT_SYMLINK_FOLLOW,
        )
    })
    .map(|_| ())
}

pub fn symlinkat(target: &str, dirfd: i32, name: &str) -> HResult<()> {
    let (a, b) = (cstr(target)?, cstr(name)?);
    // SAFETY: valid C strings.
    cvt(unsafe { libc::symlinkat(a.as_ptr(), dirfd, b.as_ptr()) }).map(|_| ())
}

pub fn readlinkat(dirfd: i32, name: &str) -> HResult<Vec<u8>> {
    let p = cstr(name)?;
    let mut buf = vec![0u8; 4096];
    // SAFETY: buf is writable for its length.
    let n =
        cvt(unsafe { libc::readlinkat(dirfd, p.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) })?;
    buf.truncate(n as usize);
    Ok(buf)
}

/// chmod of the object behind a path handle, or of `name` in `dirfd` without following.
pub fn fchmodat(dirfd: i32, name: &str, mode: u32, nofollow: bool) -> HResult<()> {
    let p = cstr(name)?;
    let mut fl = if nofollow {
        libc::AT_SYMLINK_NOFOLLOW
    } else {
        0
    };
    if name.is_empty() {
        fl |= libc::AT_EMPTY_PATH;
    }
    // SAFETY: valid C string; fchmodat2 (host ≥ 6.6) takes flags.
    cvt(unsafe { libc::syscall(libc::SYS_fchmodat2, dirfd, p.as_ptr(), mode & 0o7777, fl) })
        .map(|_| ())
}

pub fn fchownat(dirfd: i32, name: &str, uid: u32, gid: u32, nofollow: bool) -> HResult<()> {
    let p = cstr(name)?;
    let mut fl = if nofollow {
        libc::AT_SYMLINK_NOFOLLOW
    } else {
        0
    };
    if name.is_empty() {
        fl |= libc::AT_EMPTY_PATH;
    }
    // SAFETY: valid C string.
    cvt(unsafe { libc::fchownat(dirfd, p.as_ptr(), uid, gid, fl) }).map(|_| ())
}

/// utimensat with NetBSD UTIME_NOW/UTIME_OMIT markers translated; `None` means "now" for both.
pub fn utimensat(
    dirfd: i32,
    name: &str,
    times: Option<[Timespec; 2]>,
    nofollow: bool,
) -> HResult<()> {
    use abi_netbsd::consts::utimens as u;
    let conv = |t: Timespec| libc::timespec {
        tv_sec: t.tv_sec,
        tv_nsec: match t.tv_nsec {
            n if n == u::UTIME_NOW as i64 => libc::UTIME_NOW,
            n if n == u::UTIME_OMIT as i64 => libc::UTIME_OMIT,
            n => n,
        },
    };
    let ts = times.map(|t| [conv(t[0]), conv(t[1])]);
    let tp = ts.as_ref().map_or(std::ptr::null(), |t| t.as_ptr());
    if name.is_empty() {
        // A path handle: go through its /proc link (utimensat has no AT_EMPTY_PATH).
        let p = cstr(&format!("/proc/self/fd/{dirfd}"))?;
        // SAFETY: valid pointers.
        return cvt(unsafe { libc::utimensat(libc::AT_FDCWD, p.as_ptr(), tp, 0) }).map(|_| ());
    }
    let p = cstr(name)?;
    let fl = if nofollow {
        libc::AT_SYMLINK_NOFOLLOW
    } else {
        0
    };
    // SAFETY: valid pointers.
    cvt(unsafe { libc::utimensat(dirfd, p.as_ptr(), tp, fl) }).map(|_| ())
}

/// One host directory entry, in NetBSD terms.
pub struct HostDirent {
    pub ino: u64,
    pub dtype: u8,
    pub name: Vec<u8>,
    /// Host cookie of the position after this entry.
    pub next: i64,
}

/// Reads a batch of entries of a host directory opened for reading (at most ~`budget` bytes).
pub fn getdents(fd: i32, budget: usize) -> HResult<Vec<HostDirent>> {
    use abi_netbsd::consts::dirent_type as dt;
    let mut buf = vec![0u8; budget.clamp(512, 65536)];
    // SAFETY: buf is writable for its length.
    let n = cvt(unsafe { libc::syscall(libc::SYS_getdents64, fd, buf.as_mut_ptr(), buf.len()) })?
        as usize;
    let mut out = Vec::new();
    let mut p = 0;
    while p + 19 <= n {
        let ino = u64::from_ne_bytes(buf[p..p + 8].try_into().unwrap());
        let off = i64::from_ne_bytes(buf[p + 8..p + 16].try_into().unwrap());
        let reclen = u16::from_ne_bytes(buf[p + 16..p + 18].try_into().unwrap()) as usize;
        let ty = buf[p + 18];
        let name_end = buf[p + 19..p + reclen]
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(reclen - 19);
        let name = buf[p + 19..p + 19 + name_end].to_vec();
        let dtype = match ty {
            libc::DT_REG => dt::DT_REG,
            libc::DT_DIR => dt::DT_DIR,
            libc::DT_LNK => dt::DT_LNK,
            libc::DT_CHR => dt::DT_CHR,
            libc::DT_BLK => dt::DT_BLK,
            libc::DT_FIFO => dt::DT_FIFO,
            libc::DT_SOCK => dt::DT_SOCK,
            _ => dt::DT_UNKNOWN,
        } as u8;
        out.push(HostDirent {
            ino,
            dtype,
            name,
            next: off,
        });
        p += reclen;
    }
    Ok(out)
}

pub fn fstatvfs(fd: i32) -> HResult<Statvfs> {
    // SAFETY: valid out buffer.
    let mut s: libc::statvfs = unsafe { std::mem::zeroed() };
    cvt(unsafe { libc::fstatvfs(fd, &mut s) })?;
    let mut v = Statvfs {
        f_bsize: s.f_bsize,
        f_frsize: s.f_frsize,
        f_iosize: s.f_bsize,
        f_blocks: s.f_blocks,
        f_bfree: s.f_bfree,
        f_bavail: s.f_bavail,
        f_bresvd: s.f_bfree.saturating_sub(s.f_bavail),
        f_files: s.f_files,
        f_ffree: s.f_ffree,
        f_favail: s.f_favail,
        f_fsid: s.f_fsid,
        f_namemax: s.f_namemax,
        ..Default::default()
    };
    // ST_RDONLY/ST_NOSUID are 1/2 on the host, MNT_RDONLY/MNT_NOSUID 1/8 on NetBSD.
    if s.f_flag & libc::ST_RDONLY != 0 {
        v.f_flag |= 0x1;
    }
    if s.f_flag & libc::ST_NOSUID != 0 {
        v.f_flag |= 0x8;
    }
    Ok(v)
}

// ---------------------------------------------------------------------------------------------
// Locks.

/// Record locks on host files: NetBSD struct flock (l_type F_RDLCK 1/F_UNLCK 2/F_WRLCK 3).
/// fcntl record locks on a host file; `ofd`: the host's open-file-description locks (Linux's
/// F_OFD_*), owned by the host description this descriptor holds.
pub fn fcntl_lock(fd: i32, cmd: LockCmd, ofd: bool, fl: &mut Flock) -> HResult<()> {
    use abi_netbsd::consts::fcntl_cmd as c;
    let ty = match fl.l_type as u32 {
        c::F_RDLCK => libc::F_RDLCK,
        c::F_WRLCK => libc::F_WRLCK,
        c::F_UNLCK => libc::F_UNLCK,
        _ => return Err(ne::EINVAL),
    };
    let wh = match fl.l_whence as u32 {
        nb_seek::SEEK_SET => libc::SEEK_SET,
        nb_seek::SEEK_CUR => libc::SEEK_CUR,
        nb_seek::SEEK_END => libc::SEEK_END,
        _ => return Err(ne::EINVAL),
    };
    // SAFETY: zeroed flock is valid.
    let mut h: libc::flock = unsafe { std::mem::zeroed() };
    h.l_type = ty as i16;
    h.l_whence = wh as i16;
    h.l_start = fl.l_start;
    h.l_len = fl.l_len;
    let hc = match (cmd, ofd) {
        (LockCmd::Get, false) => libc::F_GETLK,
        (LockCmd::Set, false) => libc::F_SETLK,
        (LockCmd::SetWait, false) => libc::F_SETLKW,
        (LockCmd::Get, true) => libc::F_OFD_GETLK,
        (LockCmd::Set, true) => libc::F_OFD_SETLK,
        (LockCmd::SetWait, true) => libc::F_OFD_SETLKW,
    };
    // SAFETY: valid flock. A signal that came before a wait started makes it fail with EINTR
    // only if the lock cannot be had at once.
    let r = match hc {
        libc::F_SETLKW | libc::F_OFD_SETLKW => unsafe {
            let now = if hc == libc::F_SETLKW { libc::F_SETLK } else { libc::F_OFD_SETLK };
            let hp = &mut h as *mut libc::flock;
            sleeping(libc::SYS_fcntl, [fd as u64, hc as u64, hp as u64, 0, 0, 0], || match retry(|| libc::fcntl(fd, now, hp)) {
                Err(e) if e == ne::EAGAIN || e == ne::EACCES => Err(ne::EINTR),
                r => r.map(|_| 0),
            })
            .map(|_| 0)
        },
        _ => retry(|| unsafe { libc::fcntl(fd, hc, &mut h) }),
    };
    match r {
        // POSIX lets a refused F_SETLK be EACCES; NetBSD says EAGAIN.
        Err(e) if e == ne::EACCES => return Err(ne::EAGAIN),
        Err(e) => return Err(e),
        Ok(_) => {}
    }
    if cmd == LockCmd::Get {
        fl.l_type = match h.l_type as i32 {
            libc::F_RDLCK => c::F_RDLCK,
            libc::F_WRLCK => c::F_WRLCK,
            _ => c::F_UNLCK,
        } as i16;
        fl.l_whence = nb_seek::SEEK_SET as i16;
        fl.l_start = h.l_start;
        fl.l_len = h.l_len;
        fl.l_pid = h.l_pid;
    }
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum LockCmd {
    Get,
    Set,
    SetWait,
}

/// flock(2) with NetBSD LOCK_* bits (LOCK_SH 1, LOCK_EX 2, LOCK_NB 4, LOCK_UN 8).
pub fn flock(fd: i32, how: u32) -> HResult<()> {
    use abi_netbsd::consts::fcntl_cmd as c;
    let mut h = match how & !c::LOCK_NB {
        c::LOCK_SH => libc::LOCK_SH,
        c::LOCK_EX => libc::LOCK_EX,
        c::LOCK_UN => libc::LOCK_UN,
        _ => return Err(ne::EINVAL),
    };
    if how & c::LOCK_NB != 0 {
        h |= libc::LOCK_NB;
    }
    // SAFETY: plain calls. A signal that came before the wait started makes it fail with EINTR
    // only if the lock cannot be had at once.
    unsafe {
        sleeping(libc::SYS_flock, [fd as u64, h as u64, 0, 0, 0, 0], || {
            match retry(|| libc::flock(fd, h | libc::LOCK_NB)) {
                Err(e) if e == ne::EWOULDBLOCK && h & libc::LOCK_NB == 0 => Err(ne::EINTR),
                r => r.map(|_| 0),
            }
        })
    }
    .map(|_| ())
}

// ---------------------------------------------------------------------------------------------
// Terminals.

pub fn isatty(fd: i32) -> bool {
    // SAFETY: plain call.
    unsafe { libc::isatty(fd) == 1 }
}

/// Opens the host's controlling terminal.
pub fn open_tty(nb_flags: u32) -> HResult<HostFd> {
    open_host_path("/dev/tty", nb_flags | nb::O_NOCTTY, 0)
}

/// The host's device number of rumplx's own controlling terminal, if it has one.
pub fn host_ctty() -> Option<u64> {
    let fd = open_tty(nb::O_RDONLY | nb::O_NONBLOCK).ok()?;
    tty_identity(fd.raw()).map(|(id, _)| id)
}

/// The host's ptmx (`/dev/ptmx` and `/dev/pts/ptmx` alike): major 5, minor 2.
const PTMX_RDEV: u64 = (5 << 8) | 2;

/// The N of pseudo-terminal slave `/dev/pts/N` whose host device number is `rdev` (major 136 +
/// N / 256, minor N % 256; the inverse of [`tty_identity`]'s naming of a master's slave).
pub fn pts_number(rdev: u64) -> Option<u32> {
    let (major, minor) = (libc::major(rdev), libc::minor(rdev));
    (136..=143).contains(&major).then(|| (major - 136) * 256 + minor)
}

/// The terminal host descriptor `fd` reaches: the device number of the terminal (of the slave,
/// for a pseudo-terminal master) and whether `fd` is a master. None when it is no terminal.
pub fn tty_identity(fd: i32) -> Option<(u64, bool)> {
    if !isatty(fd) {
        return None;
    }
    // SAFETY: valid out buffer.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    if unsafe { libc::fstat(fd, &mut st) } != 0 {
        return None;
    }
    if st.st_rdev == PTMX_RDEV {
        let n = pty_number(fd).ok()?;
        return Some((libc::makedev(136 + n / 256, n % 256), true));
    }
    // /dev/tty and /dev/console have device numbers of their own: TIOCGDEV names the terminal
    // behind them (in the kernel's new_encode_dev form).
    let mut dev: libc::c_uint = 0;
    // SAFETY: TIOCGDEV writes one unsigned int.
    if unsafe { libc::ioctl(fd, libc::TIOCGDEV, &mut dev) } == 0 {
        let (major, minor) = ((dev & 0xfff00) >> 8, (dev & 0xff) | ((dev >> 12) & 0xfff00));
        return Some((libc::makedev(major, minor), false));
    }
    Some((st.st_rdev, false))
}

/// The number N of the slave `/dev/pts/N` of pseudo-terminal master `fd` (TIOCGPTN).
pub fn pty_number(fd: i32) -> HResult<u32> {
    let mut n: libc::c_uint = 0;
    // SAFETY: TIOCGPTN writes one unsigned int.
    cvt(unsafe { libc::ioctl(fd, libc::TIOCGPTN, &mut n) })?;
    Ok(n)
}

/// Opens a new host pseudo-terminal master, its slave unlocked at once (NetBSD's ptm hands out
/// usable pairs: grantpt and unlockpt only check the master there).
pub fn open_ptmx(nb_flags: u32) -> HResult<HostFd> {
    let fd = open_host_path("/dev/ptmx", nb_flags | nb::O_NOCTTY, 0)?;
    let unlock: libc::c_int = 0;
    // SAFETY: TIOCSPTLCK reads one int.
    cvt(unsafe { libc::ioctl(fd.raw(), libc::TIOCSPTLCK, &unlock) })?;
    Ok(fd)
}

/// Makes the host's line discipline take in what was written to pseudo-terminal master `fd`
/// now (it does so later, from a work queue): a poll of the slave that finds no input runs that
/// work (Linux's n_tty_poll). Terminal signals sent for the written keys then come after their
/// effect on the slave's input, as the line discipline's own would.
pub fn settle_pty_input(master: i32) {
    let flags = libc::O_RDONLY | libc::O_NOCTTY | libc::O_NONBLOCK | libc::O_CLOEXEC;
    // SAFETY: TIOCGPTPEER opens the slave and answers its descriptor.
    let slave = unsafe { libc::ioctl(master, libc::TIOCGPTPEER, flags) };
    if slave < 0 {
        return;
    }
    let mut p = libc::pollfd { fd: slave, events: libc::POLLIN, revents: 0 };
    // SAFETY: one pollfd of ours, no waiting; then our own descriptor closed.
    unsafe {
        libc::poll(&mut p, 1, 0);
        libc::close(slave);
    }
}

/// Whether terminal `fd` stops background writers (TOSTOP).
pub fn tostop(fd: i32) -> bool {
    // SAFETY: valid out buffer.
    let mut t: libc::termios = unsafe { std::mem::zeroed() };
    unsafe { libc::tcgetattr(fd, &mut t) == 0 && t.c_lflag & libc::TOSTOP != 0 }
}

const IFLAGS: &[(u32, libc::tcflag_t)] = &[
    (nb_if::IGNBRK, libc::IGNBRK),
    (nb_if::BRKINT, libc::BRKINT),
    (nb_if::IGNPAR, libc::IGNPAR),
    (nb_if::PARMRK, libc::PARMRK),
    (nb_if::INPCK, libc::INPCK),
    (nb_if::ISTRIP, libc::ISTRIP),
    (nb_if::INLCR, libc::INLCR),
    (nb_if::IGNCR, libc::IGNCR),
    (nb_if::ICRNL, libc::ICRNL),
    (nb_if::IXON, libc::IXON),
    (nb_if::IXOFF, libc::IXOFF),
    (nb_if::IXANY, libc::IXANY),
    (nb_if::IMAXBEL, libc::IMAXBEL),
];
const OFLAGS: &[(u32, libc::tcflag_t)] = &[
    (nb_of::OPOST, libc::OPOST),
    (nb_of::ONLCR, libc::ONLCR),
    (nb_of::OCRNL, libc::OCRNL),
    (nb_of::ONOCR, libc::ONOCR),
    (nb_of::ONLRET, libc::ONLRET),
];
const CFLAGS: &[(u32, libc::tcflag_t)] = &[
    (nb_cf::CSTOPB, libc::CSTOPB),
    (nb_cf::CREAD, libc::CREAD),
    (nb_cf::PARENB, libc::PARENB),
    (nb_cf::PARODD, libc::PARODD),
    (nb_cf::HUPCL, libc::HUPCL),
    (nb_cf::CLOCAL, libc::CLOCAL),
    (nb_cf::CRTSCTS, libc::CRTSCTS),
];
const LFLAGS: &[(u32, libc::tcflag_t)] = &[
    (nb_lf::ECHOKE, libc::ECHOKE),
    (nb_lf::ECHOE, libc::ECHOE),
    (nb_lf::ECHOK, libc::ECHOK),
    (nb_lf::ECHO, libc::ECHO),
    (nb_lf::ECHONL, libc::ECHONL),
    (nb_lf::ECHOPRT, libc::ECHOPRT),
    (nb_lf::ECHOCTL, libc::ECHOCTL),
    (nb_lf::ISIG, libc::ISIG),
    (nb_lf::ICANON, libc::ICANON),
    (nb_lf::IEXTEN, libc::IEXTEN),
    (nb_lf::TOSTOP, libc::TOSTOP),
    (nb_lf::FLUSHO, libc::FLUSHO),
    (nb_lf::PENDIN, libc::PENDIN),
    (nb_lf::NOFLSH, libc::NOFLSH),
];
const CCS: &[(u32, usize)] = &[
    (nb_cc::VEOF, libc::VEOF),
    (nb_cc::VEOL, libc::VEOL),
    (nb_cc::VEOL2, libc::VEOL2),
    (nb_cc::VERASE, libc::VERASE),
    (nb_cc::VWERASE, libc::VWERASE),
    (nb_cc::VKILL, libc::VKILL),
    (nb_cc::VREPRINT, libc::VREPRINT),
    (nb_cc::VINTR, libc::VINTR),
    (nb_cc::VQUIT, libc::VQUIT),
    (nb_cc::VSUSP, libc::VSUSP),
    (nb_cc::VSTART, libc::VSTART),
    (nb_cc::VSTOP, libc::VSTOP),
    (nb_cc::VLNEXT, libc::VLNEXT),
    (nb_cc::VDISCARD, libc::VDISCARD),
    (nb_cc::VMIN, libc::VMIN),
    (nb_cc::VTIME, libc::VTIME),
];
/// Host Bxxx codes ↔ NetBSD's numeric baud rates.
const SPEEDS: &[(u32, libc::speed_t)] = &[
    (0, libc::B0),
    (50, libc::B50),
    (75, libc::B75),
    (110, libc::B110),
    (134, libc::B134),
    (150, libc::B150),
    (200, libc::B200),
    (300, libc::B300),
    (600, libc::B600),
    (1200, libc::B1200),
    (1800, libc::B1800),
    (2400, libc::B2400),
    (4800, libc::B4800),
    (9600, libc::B9600),
    (19200, libc::B19200),
    (38400, libc::B38400),
    (57600, libc::B57600),
    (115200, libc::B115200),
    (230400, libc::B230400),
    (460800, libc::B460800),
    (921600, libc::B921600),
];

fn to_nb_bits(h: libc::tcflag_t, t: &[(u32, libc::tcflag_t)]) -> u32 {
    t.iter()
        .filter(|(_, l)| h & *l != 0)
        .fold(0, |a, (n, _)| a | n)
}

fn to_host_bits(n: u32, t: &[(u32, libc::tcflag_t)]) -> libc::tcflag_t {
    t.iter()
        .filter(|(b, _)| n & *b != 0)
        .fold(0, |a, (_, l)| a | l)
}

/// Host termios → NetBSD termios.
pub fn termios_to_nb(h: &libc::termios) -> Termios {
    let mut t = Termios {
        c_iflag: to_nb_bits(h.c_iflag, IFLAGS),
        c_oflag: to_nb_bits(h.c_oflag, OFLAGS),
        c_cflag: to_nb_bits(h.c_cflag, CFLAGS),
        c_lflag: to_nb_bits(h.c_lflag, LFLAGS),
        ..Default::default()
    };
    if h.c_oflag & libc::TABDLY == libc::XTABS {
        t.c_oflag |= nb_of::OXTABS;
    }
    t.c_cflag |= match h.c_cflag & libc::CSIZE {
        libc::CS5 => nb_cf::CS5,
        libc::CS6 => nb_cf::CS6,
        libc::CS7 => nb_cf::CS7,
        _ => nb_cf::CS8,
    };
    // NetBSD's "disabled" control character is 0xff (_POSIX_VDISABLE), Linux's is 0.
    t.c_cc = [0xff; abi_netbsd::structs::NCCS];
    for &(n, l) in CCS {
        let v = h.c_cc[l];
        let disabled = v == 0 && n != nb_cc::VMIN && n != nb_cc::VTIME;
        t.c_cc[n as usize] = if disabled { 0xff } else { v };
    }
    // SAFETY: reading fields of a valid termios.
    let (is, os) = unsafe { (libc::cfgetispeed(h), libc::cfgetospeed(h)) };
    let sp = |s: libc::speed_t| {
        SPEEDS
            .iter()
            .find(|(_, l)| *l == s)
            .map_or(38400, |(n, _)| *n)
    };
    t.c_ispeed = sp(is) as i32;
    t.c_ospeed = sp(os) as i32;
    t
}

/// NetBSD termios → host termios, on top of the host's current settings (keeps host-only bits).
pub fn termios_from_nb(t: &Termios, base: &libc::termios) -> libc::termios {
    let mut h = *base;
    let all = |tab: &[(u32, libc::tcflag_t)]| tab.iter().fold(0, |a, (_, l)| a | l);
    h.c_iflag = (h.c_iflag & !all(IFLAGS)) | to_host_bits(t.c_iflag, IFLAGS);
    h.c_oflag = (h.c_oflag & !(all(OFLAGS) | libc::TABDLY)) | to_host_bits(t.c_oflag, OFLAGS);
    if t.c_oflag & nb_of::OXTABS != 0 {
        h.c_oflag |= libc::XTABS;
    }
    h.c_cflag = (h.c_cflag & !(all(CFLAGS) | libc::CSIZE)) | to_host_bits(t.c_cflag, CFLAGS);
    h.c_cflag |= match t.c_cflag & nb_cf::CSIZE {
        nb_cf::CS5 => libc::CS5,
        nb_cf::CS6 => libc::CS6,
        nb_cf::CS7 => libc::CS7,
        _ => libc::CS8,
    };
    h.c_lflag = (h.c_lflag & !all(LFLAGS)) | to_host_bits(t.c_lflag, LFLAGS);
    for &(n, l) in CCS {
        let v = t.c_cc[n as usize];
        let disabled = v == 0xff && n != nb_cc::VMIN && n != nb_cc::VTIME;
        h.c_cc[l] = if disabled { 0 } else { v };
    }
    let sp = |s: i32| SPEEDS.iter().find(|(n, _)| *n as i32 == s).map(|(_, l)| *l);
    // SAFETY: writing fields of a valid termios.
    unsafe {
        if let Some(s) = sp(t.c_ispeed) {
            libc::cfsetispeed(&mut h, s);
        }
        if let Some(s) = sp(t.c_ospeed) {
            libc::cfsetospeed(&mut h, s);
        }
    }
    h
}

pub fn tcgetattr(fd: i32) -> HResult<Termios> {
    // SAFETY: valid out buffer.
    let mut h: libc::termios = unsafe { std::mem::zeroed() };
    cvt(unsafe { libc::tcgetattr(fd, &mut h) })?;
    Ok(termios_to_nb(&h))
}

/// When a TIOCSETA* takes effect.
#[derive(Clone, Copy, Debug)]
pub enum TcsetWhen {
    Now,
    Drain,
    Flush,
}

pub fn tcsetattr(fd: i32, when: TcsetWhen, t: &Termios) -> HResult<()> {
    // SAFETY: valid buffers.
    let mut base: libc::termios = unsafe { std::mem::zeroed() };
    cvt(unsafe { libc::tcgetattr(fd, &mut base) })?;
    let h = termios_from_nb(t, &base);
    let w = match when {
        TcsetWhen::Now => libc::TCSANOW,
        TcsetWhen::Drain => libc::TCSADRAIN,
        TcsetWhen::Flush => libc::TCSAFLUSH,
    };
    // SAFETY: valid termios.
    retry(|| unsafe { libc::tcsetattr(fd, w, &h) }).map(|_| ())
}

/// Terminal queue and line operations NetBSD spells as ioctls (TIOCFLUSH, TIOCDRAIN,
/// TIOCSTOP/TIOCSTART, TIOCOUTQ, TIOCEXCL/TIOCNXCL), on a host terminal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TtyOp {
    /// Discard queued input and/or output (NetBSD FREAD 1 / FWRITE 2 bits; 0 means both).
    Flush(u32),
    Drain,
    Stop,
    Start,
    Excl(bool),
}

pub fn tty_op(fd: i32, op: TtyOp) -> HResult<()> {
    // SAFETY: plain calls on a descriptor.
    let r = match op {
        TtyOp::Flush(bits) => {
            let q = match bits & 3 {
                1 => libc::TCIFLUSH,
                2 => libc::TCOFLUSH,
                _ => libc::TCIOFLUSH,
            };
            cvt(unsafe { libc::tcflush(fd, q) })
        }
        TtyOp::Drain => retry(|| unsafe { libc::tcdrain(fd) }),
        TtyOp::Stop => cvt(unsafe { libc::tcflow(fd, libc::TCOOFF) }),
        TtyOp::Start => cvt(unsafe { libc::tcflow(fd, libc::TCOON) }),
        TtyOp::Excl(on) => {
            let req = if on { libc::TIOCEXCL } else { libc::TIOCNXCL };
            cvt(unsafe { libc::ioctl(fd, req) })
        }
    };
    r.map(|_| ())
}

/// Bytes waiting in a host terminal's output queue (TIOCOUTQ).
pub fn tty_outq(fd: i32) -> HResult<i32> {
    let mut n: libc::c_int = 0;
    // SAFETY: valid out buffer.
    cvt(unsafe { libc::ioctl(fd, libc::TIOCOUTQ, &mut n) })?;
    Ok(n)
}

/// The winsize struct has the same four u16 fields on both sides.
pub fn get_winsize(fd: i32) -> HResult<Winsize> {
    // SAFETY: valid out buffer.
    let mut w: libc::winsize = unsafe { std::mem::zeroed() };
    cvt(unsafe { libc::ioctl(fd, libc::TIOCGWINSZ, &mut w) })?;
    Ok(Winsize {
        ws_row: w.ws_row,
        ws_col: w.ws_col,
        ws_xpixel: w.ws_xpixel,
        ws_ypixel: w.ws_ypixel,
    })
}

pub fn set_winsize(fd: i32, w: &Winsize) -> HResult<()> {
    let h = libc::winsize {
        ws_row: w.ws_row,
        ws_col: w.ws_col,
        ws_xpixel: w.ws_xpixel,
        ws_ypixel: w.ws_ypixel,
    };
    // SAFETY: valid buffer.
    cvt(unsafe { libc::ioctl(fd, libc::TIOCSWINSZ, &h) }).map(|_| ())
}

/// Bytes ready to read on a host descriptor (pipes, terminals, sockets).
pub fn fionread(fd: i32) -> HResult<i32> {
    let mut n: libc::c_int = 0;
    // SAFETY: valid out int.
    cvt(unsafe { libc::ioctl(fd, libc::FIONREAD, &mut n) })?;
    Ok(n)
}

// ---------------------------------------------------------------------------------------------
// Time.

/// The clocks the kernel reads from the host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostClock {
    Realtime,
    Monotonic,
    ProcessCpu,
    ThreadCpu,
}

fn host_clock(c: HostClock) -> libc::clockid_t {
    match c {
        HostClock::Realtime => libc::CLOCK_REALTIME,
        HostClock::Monotonic => libc::CLOCK_MONOTONIC,
        HostClock::ProcessCpu => libc::CLOCK_PROCESS_CPUTIME_ID,
        HostClock::ThreadCpu => libc::CLOCK_THREAD_CPUTIME_ID,
    }
}

pub fn clock_gettime(c: HostClock) -> Timespec {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: valid out buffer; these clocks always exist.
    unsafe { libc::clock_gettime(host_clock(c), &mut ts) };
    Timespec {
        tv_sec: ts.tv_sec,
        tv_nsec: ts.tv_nsec,
    }
}

pub fn clock_getres(c: HostClock) -> Timespec {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: valid out buffer.
    unsafe { libc::clock_getres(host_clock(c), &mut ts) };
    Timespec {
        tv_sec: ts.tv_sec,
        tv_nsec: ts.tv_nsec,
    }
}

/// Sleeps; on interruption returns EINTR with the time left (relative sleeps).
pub fn clock_nanosleep(c: HostClock, abs: bool, t: &Timespec) -> Result<(), (Errno, Timespec)> {
    let req = libc::timespec {
        tv_sec: t.tv_sec,
        tv_nsec: t.tv_nsec,
    };
    let mut rem = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    let fl = if abs { libc::TIMER_ABSTIME } else { 0 };
    if c == HostClock::ThreadCpu {
        // As the host's C library answers (the host kernel has no such sleep).
        return Err((ne::EINVAL, *t));
    }
    let args = [host_clock(c) as u64, fl as u64, &req as *const _ as u64, &mut rem as *mut _ as u64, 0, 0];
    // SAFETY: valid buffers.
    let r = unsafe { crate::sleep::syscall(libc::SYS_clock_nanosleep, args) };
    if r == crate::sleep::NOT_STARTED {
        // The signal came before the sleep: it is interrupted before any time passed.
        return Err((ne::EINTR, *t));
    }
    if r == 0 {
        Ok(())
    } else {
        Err((
            errno_from_host(-r as i32),
            Timespec {
                tv_sec: rem.tv_sec,
                tv_nsec: rem.tv_nsec,
            },
        ))
    }
}

pub fn getrusage(children: bool) -> Rusage {
    // SAFETY: valid out buffer.
    let mut r: libc::rusage = unsafe { std::mem::zeroed() };
    let who = if children {
        libc::RUSAGE_CHILDREN
    } else {
        libc::RUSAGE_SELF
    };
    unsafe { libc::getrusage(who, &mut r) };
    let tv = |t: libc::timeval| Timeval {
        tv_sec: t.tv_sec,
        tv_usec: t.tv_usec as i32,
        _pad: 0,
    };
    Rusage {
        ru_utime: tv(r.ru_utime),
        ru_stime: tv(r.ru_stime),
        ru_counters: [
            r.ru_maxrss,
            r.ru_ixrss,
            r.ru_idrss,
            r.ru_isrss,
            r.ru_minflt,
            r.ru_majflt,
            r.ru_nswap,
            r.ru_inblock,
            r.ru_oublock,
            r.ru_msgsnd,
            r.ru_msgrcv,
            r.ru_nsignals,
            r.ru_nvcsw,
            r.ru_nivcsw,
        ],
    }
}

// ---------------------------------------------------------------------------------------------
// Sockets (sockin: the host's network stack behind NetBSD's socket calls).

/// A socket address, decoded from (or to be encoded as) a NetBSD sockaddr by the kernel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SockAddr {
    Unspec,
    Inet {
        port: u16,
        addr: [u8; 4],
    },
    Inet6 {
        port: u16,
        flowinfo: u32,
        addr: [u8; 16],
        scope_id: u32,
    },
    /// A path as the host must see it (the kernel translated the guest's).
    Unix(Vec<u8>),
}

fn host_domain(nb_af: u32) -> HResult<i32> {
    use abi_netbsd::consts::address_family as af;
    match nb_af {
        af::AF_UNIX => Ok(libc::AF_UNIX),
        af::AF_INET => Ok(libc::AF_INET),
        af::AF_INET6 => Ok(libc::AF_INET6),
        _ => Err(ne::EAFNOSUPPORT),
    }
}

fn host_socktype(nb_type: u32) -> HResult<i32> {
    use abi_netbsd::consts::socket_type as st;
    match nb_type {
        st::SOCK_STREAM => Ok(libc::SOCK_STREAM),
        st::SOCK_DGRAM => Ok(libc::SOCK_DGRAM),
        st::SOCK_RAW => Ok(libc::SOCK_RAW),
        st::SOCK_SEQPACKET => Ok(libc::SOCK_SEQPACKET),
        _ => Err(ne::EPROTONOSUPPORT),
    }
}

fn nb_socktype(h: i32) -> u32 {
    use abi_netbsd::consts::socket_type as st;
    match h {
        libc::SOCK_STREAM => st::SOCK_STREAM,
        libc::SOCK_DGRAM => st::SOCK_DGRAM,
        libc::SOCK_RAW => st::SOCK_RAW,
        libc::SOCK_SEQPACKET => st::SOCK_SEQPACKET,
        _ => 0,
    }
}

/// A host socket of NetBSD `domain`/`type` (type without the SOCK_* flag bits).
pub fn socket(domain: u32, ty: u32, proto: i32) -> HResult<HostFd> {
    let (d, t) = (host_domain(domain)?, host_socktype(ty)?);
    // SAFETY: plain call.
    cvt(unsafe { libc::socket(d, t | libc::SOCK_CLOEXEC, proto) }).map(HostFd)
}

pub fn socketpair(domain: u32, ty: u32, proto: i32) -> HResult<(HostFd, HostFd)> {
    let (d, t) = (host_domain(domain)?, host_socktype(ty)?);
    let mut fds = [0i32; 2];
    // SAFETY: fds is a valid 2-int array.
    cvt(unsafe { libc::socketpair(d, t | libc::SOCK_CLOEXEC, proto, fds.as_mut_ptr()) })?;
    Ok((HostFd(fds[0]), HostFd(fds[1])))
}

fn to_host_addr(a: &SockAddr) -> HResult<(libc::sockaddr_storage, libc::socklen_t)> {
    // SAFETY: all-zero is a valid sockaddr_storage.
    let mut ss: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let len = match a {
        SockAddr::Unspec => {
            ss.ss_family = libc::AF_UNSPEC as libc::sa_family_t;
            std::mem::size_of::<libc::sa_family_t>()
        }
        SockAddr::Inet { port, addr } => {
            // SAFETY: sockaddr_storage is large and aligned enough for sockaddr_in.
            let sin = unsafe { &mut *(&mut ss as *mut _ as *mut libc::sockaddr_in) };
            sin.sin_family = libc::AF_INET as libc::sa_family_t;
            sin.sin_port = port.to_be();
            sin.sin_addr.s_addr = u32::from_ne_bytes(*addr);
            std::mem::size_of::<libc::sockaddr_in>()
        }
        SockAddr::Inet6 {
            port,
            flowinfo,
            addr,
            scope_id,
        } => {
            // SAFETY: as above, for sockaddr_in6.
            let sin6 = unsafe { &mut *(&mut ss as *mut _ as *mut libc::sockaddr_in6) };
            sin6.sin6_family = libc::AF_INET6 as libc::sa_family_t;
            sin6.sin6_port = port.to_be();
            sin6.sin6_flowinfo = *flowinfo;
            sin6.sin6_addr.s6_addr = *addr;
            sin6.sin6_scope_id = *scope_id;
            std::mem::size_of::<libc::sockaddr_in6>()
        }
        SockAddr::Unix(p) => {
            // SAFETY: as above, for sockaddr_un.
            let sun = unsafe { &mut *(&mut ss as *mut _ as *mut libc::sockaddr_un) };
            sun.sun_family = libc::AF_UNIX as libc::sa_family_t;
            if p.len() >= sun.sun_path.len() {
                return Err(ne::ENAMETOOLONG);
            }
            for (d, s) in sun.sun_path.iter_mut().zip(p) {
                *d = *s as libc::c_char;
            }
            std::mem::size_of::<libc::sa_family_t>() + p.len() + 1
        }
    };
    Ok((ss, len as libc::socklen_t))
}

fn from_host_addr(ss: &libc::sockaddr_storage, len: libc::socklen_t) -> SockAddr {
    match ss.ss_family as i32 {
        libc::AF_INET => {
            // SAFETY: the host said it is a sockaddr_in.
            let sin = unsafe { &*(ss as *const _ as *const libc::sockaddr_in) };
            SockAddr::Inet {
                port: u16::from_be(sin.sin_port),
                addr: sin.sin_addr.s_addr.to_ne_bytes(),
            }
        }
        libc::AF_INET6 => {
            // SAFETY: the host said it is a sockaddr_in6.
            let s6 = unsafe { &*(ss as *const _ as *const libc::sockaddr_in6) };
            SockAddr::Inet6 {
                port: u16::from_be(s6.sin6_port),
                flowinfo: s6.sin6_flowinfo,
                addr: s6.sin6_addr.s6_addr,
                scope_id: s6.sin6_scope_id,
            }
        }
        libc::AF_UNIX => {
            // SAFETY: the host said it is a sockaddr_un.
            let sun = unsafe { &*(ss as *const _ as *const libc::sockaddr_un) };
            let n = (len as usize)
                .saturating_sub(std::mem::size_of::<libc::sa_family_t>())
                .min(sun.sun_path.len());
            let p: Vec<u8> = sun.sun_path[..n]
                .iter()
                .take_while(|&&c| c != 0)
                .map(|&c| c as u8)
                .collect();
            SockAddr::Unix(p)
        }
        _ => SockAddr::Unspec,
    }
}

pub fn bind(fd: i32, a: &SockAddr) -> HResult<()> {
    let (ss, len) = to_host_addr(a)?;
    // SAFETY: ss is a valid address of len bytes.
    cvt(unsafe { libc::bind(fd, &ss as *const _ as *const libc::sockaddr, len) }).map(|_| ())
}

pub fn connect(fd: i32, a: &SockAddr) -> HResult<()> {
    let (ss, len) = to_host_addr(a)?;
    // SAFETY: as above. Not retried on EINTR: the connection goes on in the background.
    cvt(unsafe { libc::connect(fd, &ss as *const _ as *const libc::sockaddr, len) }).map(|_| ())
}

pub fn listen(fd: i32, backlog: i32) -> HResult<()> {
    // SAFETY: plain call.
    cvt(unsafe { libc::listen(fd, backlog) }).map(|_| ())
}

pub fn accept(fd: i32) -> HResult<(HostFd, SockAddr)> {
    // SAFETY: valid out buffers.
    let mut ss: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of_val(&ss) as libc::socklen_t;
    let args = [fd as u64, &mut ss as *mut _ as u64, &mut len as *mut _ as u64, libc::SOCK_CLOEXEC as u64, 0, 0];
    // SAFETY: as above.
    let nfd = unsafe { sleeping_io(fd, libc::POLLIN, false, libc::SYS_accept4, args) }? as i32;
    Ok((HostFd(nfd), from_host_addr(&ss, len)))
}

pub fn sockname(fd: i32, peer: bool) -> HResult<SockAddr> {
    // SAFETY: valid out buffers.
    let mut ss: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of_val(&ss) as libc::socklen_t;
    let p = &mut ss as *mut _ as *mut libc::sockaddr;
    cvt(unsafe {
        if peer {
            libc::getpeername(fd, p, &mut len)
        } else {
            libc::getsockname(fd, p, &mut len)
        }
    })?;
    Ok(from_host_addr(&ss, len))
}

const MSG_BITS: &[(u32, i32)] = &[
    (nb_msg::MSG_OOB, libc::MSG_OOB),
    (nb_msg::MSG_PEEK, libc::MSG_PEEK),
    (nb_msg::MSG_DONTROUTE, libc::MSG_DONTROUTE),
    (nb_msg::MSG_EOR, libc::MSG_EOR),
    (nb_msg::MSG_TRUNC, libc::MSG_TRUNC),
    (nb_msg::MSG_CTRUNC, libc::MSG_CTRUNC),
    (nb_msg::MSG_WAITALL, libc::MSG_WAITALL),
    (nb_msg::MSG_DONTWAIT, libc::MSG_DONTWAIT),
    (nb_msg::MSG_NOSIGNAL, libc::MSG_NOSIGNAL),
];

fn host_msg_flags(nb: u32) -> i32 {
    MSG_BITS
        .iter()
        .filter(|(n, _)| nb & n != 0)
        .fold(0, |a, (_, h)| a | h)
}

fn nb_msg_flags(h: i32) -> u32 {
    MSG_BITS
        .iter()
        .filter(|(_, l)| h & l != 0)
        .fold(0, |a, (n, _)| a | n)
}

/// sendmsg: the iovecs (host layout, checked above), an address, and host descriptors to pass
/// (SCM_RIGHTS).
pub fn sendmsg(
    fd: i32,
    iov: &[Iovec],
    to: Option<&SockAddr>,
    rights: &[i32],
    nb_flags: u32,
) -> HResult<usize> {
    let addr = to.map(to_host_addr).transpose()?;
    // SAFETY: zeroed msghdr is valid; every pointer outlives the call.
    let mut m: libc::msghdr = unsafe { std::mem::zeroed() };
    if let Some((ss, len)) = &addr {
        m.msg_name = ss as *const _ as *mut libc::c_void;
        m.msg_namelen = *len;
    }
    m.msg_iov = iov.as_ptr() as *mut libc::iovec;
    m.msg_iovlen = iov.len();
    let data_len = std::mem::size_of_val(rights) as u32;
    // u64 words keep the control buffer aligned for cmsghdr.
    // SAFETY: CMSG_SPACE is arithmetic.
    let mut control = vec![0u64; (unsafe { libc::CMSG_SPACE(data_len) } as usize).div_ceil(8)];
    if !rights.is_empty() {
        m.msg_control = control.as_mut_ptr().cast();
        m.msg_controllen = control.len() * 8;
        // SAFETY: the buffer holds one cmsghdr with `rights`.
        unsafe {
            let c = libc::CMSG_FIRSTHDR(&m);
            (*c).cmsg_level = libc::SOL_SOCKET;
            (*c).cmsg_type = libc::SCM_RIGHTS;
            (*c).cmsg_len = libc::CMSG_LEN(data_len) as usize;
            std::ptr::copy_nonoverlapping(
                rights.as_ptr(),
                libc::CMSG_DATA(c) as *mut i32,
                rights.len(),
            );
        }
    }
    let fl = host_msg_flags(nb_flags);
    let dont_wait = fl & libc::MSG_DONTWAIT != 0;
    // SAFETY: m and everything it points to are valid.
    unsafe { sleeping_io(fd, libc::POLLOUT, dont_wait, libc::SYS_sendmsg, [fd as u64, &m as *const _ as u64, fl as u64, 0, 0, 0]) }
        .map(|n| n as usize)
}

/// What recvmsg brought besides data.
pub struct Received {
    pub len: usize,
    pub from: Option<SockAddr>,
    /// NetBSD msg_flags.
    pub flags: u32,
    /// Descriptors passed with SCM_RIGHTS (now ours).
    pub rights: Vec<HostFd>,
}

/// recvmsg, accepting up to `max_rights` passed descriptors (more set MSG_CTRUNC).
pub fn recvmsg(fd: i32, iov: &[Iovec], nb_flags: u32, max_rights: usize) -> HResult<Received> {
    // SAFETY: as in sendmsg.
    let mut ss: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let mut m: libc::msghdr = unsafe { std::mem::zeroed() };
    m.msg_name = &mut ss as *mut _ as *mut libc::c_void;
    m.msg_namelen = std::mem::size_of_val(&ss) as libc::socklen_t;
    m.msg_iov = iov.as_ptr() as *mut libc::iovec;
    m.msg_iovlen = iov.len();
    let want = (max_rights * 4) as u32;
    // SAFETY: CMSG_SPACE is arithmetic.
    let mut control = vec![0u64; (unsafe { libc::CMSG_SPACE(want) } as usize).div_ceil(8)];
    if max_rights > 0 {
        m.msg_control = control.as_mut_ptr().cast();
        m.msg_controllen = control.len() * 8;
    }
    let fl = host_msg_flags(nb_flags) | libc::MSG_CMSG_CLOEXEC;
    let dont_wait = fl & libc::MSG_DONTWAIT != 0;
    let args = [fd as u64, &mut m as *mut _ as u64, fl as u64, 0, 0, 0];
    // SAFETY: m and everything it points to are valid.
    let n = unsafe { sleeping_io(fd, libc::POLLIN, dont_wait, libc::SYS_recvmsg, args) }? as usize;
    let mut rights = Vec::new();
    if max_rights > 0 {
        // SAFETY: walking the control data the host wrote.
        unsafe {
            let mut c = libc::CMSG_FIRSTHDR(&m);
            while !c.is_null() {
                if (*c).cmsg_level == libc::SOL_SOCKET && (*c).cmsg_type == libc::SCM_RIGHTS {
                    let k = ((*c).cmsg_len - libc::CMSG_LEN(0) as usize) / 4;
                    let p = libc::CMSG_DATA(c) as *const i32;
                    rights.extend((0..k).map(|i| HostFd(std::ptr::read_unaligned(p.add(i)))));
                }
                c = libc::CMSG_NXTHDR(&m, c);
            }
        }
    }
    let from = (m.msg_namelen > 0).then(|| from_host_addr(&ss, m.msg_namelen));
    Ok(Received {
        len: n,
        from,
        flags: nb_msg_flags(m.msg_flags),
        rights,
    })
}

pub fn shutdown(fd: i32, nb_how: u32) -> HResult<()> {
    use abi_netbsd::consts::shutdown_how as sh;
    let how = match nb_how {
        sh::SHUT_RD => libc::SHUT_RD,
        sh::SHUT_WR => libc::SHUT_WR,
        sh::SHUT_RDWR => libc::SHUT_RDWR,
        _ => return Err(ne::EINVAL),
    };
    // SAFETY: plain call.
    cvt(unsafe { libc::shutdown(fd, how) }).map(|_| ())
}

/// How a socket option's value differs between the two sides.
#[derive(Clone, Copy, PartialEq, Eq)]
enum OptVal {
    /// Same bytes on both sides (ints, struct linger, ip_mreq…).
    Same,
    /// struct timeval: {i64, i32 + pad} on NetBSD, {i64, i64} on the host.
    Timeval,
    /// An errno value (SO_ERROR).
    Errno,
    /// A socket type (SO_TYPE).
    SockType,
}

fn host_sockopt(level: u32, name: u32) -> HResult<(i32, i32, OptVal)> {
    use abi_netbsd::consts::{
        ipproto as ip, sockopt_ip as o4, sockopt_ipv6 as o6, sockopt_socket as so,
        sockopt_tcp as tcp,
    };
    use OptVal::*;
    let r = match (level, name) {
        (so::SOL_SOCKET, n) => (
            libc::SOL_SOCKET,
            match n {
                so::SO_DEBUG => (libc::SO_DEBUG, Same),
                so::SO_ACCEPTCONN => (libc::SO_ACCEPTCONN, Same),
                so::SO_REUSEADDR => (libc::SO_REUSEADDR, Same),
                so::SO_KEEPALIVE => (libc::SO_KEEPALIVE, Same),
                so::SO_DONTROUTE => (libc::SO_DONTROUTE, Same),
                so::SO_BROADCAST => (libc::SO_BROADCAST, Same),
                so::SO_LINGER => (libc::SO_LINGER, Same),
                so::SO_OOBINLINE => (libc::SO_OOBINLINE, Same),
                so::SO_REUSEPORT => (libc::SO_REUSEPORT, Same),
                so::SO_SNDBUF => (libc::SO_SNDBUF, Same),
                so::SO_RCVBUF => (libc::SO_RCVBUF, Same),
                so::SO_SNDLOWAT => (libc::SO_SNDLOWAT, Same),
                so::SO_RCVLOWAT => (libc::SO_RCVLOWAT, Same),
                so::SO_ERROR => (libc::SO_ERROR, Errno),
                so::SO_TYPE => (libc::SO_TYPE, SockType),
                so::SO_SNDTIMEO => (libc::SO_SNDTIMEO, Timeval),
                so::SO_RCVTIMEO => (libc::SO_RCVTIMEO, Timeval),
                so::SO_TIMESTAMP => (libc::SO_TIMESTAMP, Same),
                // Local sockets keep theirs in the kernel (embedded::passcred).
                crate::ext::SO_EXT_PASSCRED => (libc::SO_PASSCRED, Same),
                _ => return Err(ne::ENOPROTOOPT),
            },
        ),
        (ip::IPPROTO_TCP, n) => (
            libc::IPPROTO_TCP,
            match n {
                tcp::TCP_NODELAY => (libc::TCP_NODELAY, Same),
                tcp::TCP_MAXSEG => (libc::TCP_MAXSEG, Same),
                tcp::TCP_KEEPIDLE => (libc::TCP_KEEPIDLE, Same),
                tcp::TCP_KEEPINTVL => (libc::TCP_KEEPINTVL, Same),
                tcp::TCP_KEEPCNT => (libc::TCP_KEEPCNT, Same),
                _ => return Err(ne::ENOPROTOOPT),
            },
        ),
        (ip::IPPROTO_IP, n) => (
            libc::IPPROTO_IP,
            match n {
                o4::IP_TOS => (libc::IP_TOS, Same),
                o4::IP_TTL => (libc::IP_TTL, Same),
                o4::IP_MULTICAST_IF => (libc::IP_MULTICAST_IF, Same),
                o4::IP_MULTICAST_TTL => (libc::IP_MULTICAST_TTL, Same),
                o4::IP_MULTICAST_LOOP => (libc::IP_MULTICAST_LOOP, Same),
                o4::IP_ADD_MEMBERSHIP => (libc::IP_ADD_MEMBERSHIP, Same),
                o4::IP_DROP_MEMBERSHIP => (libc::IP_DROP_MEMBERSHIP, Same),
                crate::ext::IP_EXT_RECVERR => (libc::IP_RECVERR, Same),
                _ => return Err(ne::ENOPROTOOPT),
            },
        ),
        (ip::IPPROTO_IPV6, n) => (
            libc::IPPROTO_IPV6,
            match n {
                o6::IPV6_V6ONLY => (libc::IPV6_V6ONLY, Same),
                o6::IPV6_UNICAST_HOPS => (libc::IPV6_UNICAST_HOPS, Same),
                o6::IPV6_MULTICAST_IF => (libc::IPV6_MULTICAST_IF, Same),
                o6::IPV6_MULTICAST_HOPS => (libc::IPV6_MULTICAST_HOPS, Same),
                o6::IPV6_MULTICAST_LOOP => (libc::IPV6_MULTICAST_LOOP, Same),
                o6::IPV6_JOIN_GROUP => (libc::IPV6_ADD_MEMBERSHIP, Same),
                o6::IPV6_LEAVE_GROUP => (libc::IPV6_DROP_MEMBERSHIP, Same),
                crate::ext::IPV6_EXT_RECVERR => (libc::IPV6_RECVERR, Same),
                _ => return Err(ne::ENOPROTOOPT),
            },
        ),
        _ => return Err(ne::ENOPROTOOPT),
    };
    Ok((r.0, r.1 .0, r.1 .1))
}

pub fn setsockopt(fd: i32, level: u32, name: u32, val: &[u8]) -> HResult<()> {
    let (l, n, kind) = host_sockopt(level, name)?;
    let mut buf = val.to_vec();
    if kind == OptVal::Timeval {
        let t: Timeval = if val.len() >= 16 {
            // SAFETY: at least 16 bytes, read unaligned.
            unsafe { std::ptr::read_unaligned(val.as_ptr() as *const Timeval) }
        } else {
            return Err(ne::EINVAL);
        };
        let h = libc::timeval {
            tv_sec: t.tv_sec,
            tv_usec: t.tv_usec as libc::suseconds_t,
        };
        // SAFETY: plain struct to bytes.
        buf = unsafe {
            std::slice::from_raw_parts(&h as *const _ as *const u8, std::mem::size_of_val(&h))
        }
        .to_vec();
    }
    // SAFETY: buf is valid for its length.
    cvt(unsafe { libc::setsockopt(fd, l, n, buf.as_ptr().cast(), buf.len() as libc::socklen_t) })
        .map(|_| ())
}

/// getsockopt into `out`; returns the option's NetBSD length.
pub fn getsockopt(fd: i32, level: u32, name: u32, out: &mut [u8]) -> HResult<usize> {
    let (l, n, kind) = host_sockopt(level, name)?;
    let mut buf = [0u8; 256];
    let mut len = buf.len() as libc::socklen_t;
    // SAFETY: buf is valid for len bytes.
    cvt(unsafe { libc::getsockopt(fd, l, n, buf.as_mut_ptr().cast(), &mut len) })?;
    let mut v = buf[..len as usize].to_vec();
    let int_at = |v: &[u8]| i32::from_ne_bytes(v[..4].try_into().unwrap());
    match kind {
        OptVal::Same => {}
        OptVal::Errno if v.len() >= 4 => {
            let e = int_at(&v);
            let nb = if e == 0 { 0 } else { errno_from_host(e).0 };
            v = nb.to_ne_bytes().to_vec();
        }
        OptVal::SockType if v.len() >= 4 => {
            v = (nb_socktype(int_at(&v)) as i32).to_ne_bytes().to_vec()
        }
        OptVal::Timeval if v.len() >= 16 => {
            // SAFETY: the host wrote a timeval.
            let h = unsafe { std::ptr::read_unaligned(v.as_ptr() as *const libc::timeval) };
            let t = Timeval {
                tv_sec: h.tv_sec,
                tv_usec: h.tv_usec as i32,
                _pad: 0,
            };
            // SAFETY: plain struct to bytes.
            v = unsafe { std::slice::from_raw_parts(&t as *const _ as *const u8, 16) }.to_vec();
        }
        _ => return Err(ne::EINVAL),
    }
    let k = v.len().min(out.len());
    out[..k].copy_from_slice(&v[..k]);
    Ok(k)
}

/// A host socket's type and domain in NetBSD's numbers (0 for what NetBSD lacks).
pub fn sock_kind(fd: i32) -> HResult<(u32, u32)> {
    use abi_netbsd::consts::address_family as af;
    let get = |opt: i32| -> HResult<i32> {
        let mut v = 0i32;
        let mut len = std::mem::size_of::<i32>() as libc::socklen_t;
        // SAFETY: v is valid for len bytes.
        cvt(unsafe {
            libc::getsockopt(
                fd,
                libc::SOL_SOCKET,
                opt,
                (&mut v as *mut i32).cast(),
                &mut len,
            )
        })?;
        Ok(v)
    };
    let ty = nb_socktype(get(libc::SO_TYPE)?);
    let domain = match get(libc::SO_DOMAIN)? {
        libc::AF_UNIX => af::AF_UNIX,
        libc::AF_INET => af::AF_INET,
        libc::AF_INET6 => af::AF_INET6,
        _ => 0,
    };
    Ok((ty, domain))
}

/// The host's inode number of socket `fd`, which names the socket while it lives.
pub fn sock_ino(fd: i32) -> HResult<u64> {
    // SAFETY: all-zero is a valid stat; fstat fills it.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: st is valid.
    cvt(unsafe { libc::fstat(fd, &mut st) })?;
    Ok(st.st_ino as u64)
}

/// The inode number of the socket connected to the host unix socket numbered `ino` (0 when it
/// has none), asked of the host's sock_diag: a SOCK_DIAG_BY_FAMILY request for that inode with
/// UDIAG_SHOW_PEER, answered with a `unix_diag_msg` and a UNIX_DIAG_PEER attribute.
pub fn unix_peer_ino(ino: u64) -> HResult<u64> {
    unix_diag(ino).map(|d| d.0)
}

/// Of the host unix socket numbered `ino`: the inode of the socket connected to it (0 when
/// none) and the bytes waiting in its receive queue (for a datagram socket, the first
/// datagram's), asked of the host's sock_diag (UDIAG_SHOW_PEER | UDIAG_SHOW_RQLEN).
pub fn unix_diag(ino: u64) -> HResult<(u64, u32)> {
    const SOCK_DIAG_BY_FAMILY: u16 = 20;
    const UDIAG_SHOW_PEER: u32 = 4;
    const UDIAG_SHOW_RQLEN: u32 = 0x10;
    const UNIX_DIAG_PEER: u16 = 2;
    const UNIX_DIAG_RQLEN: u16 = 4;
    // SAFETY: plain call.
    let s = HostFd(cvt(unsafe {
        libc::socket(
            libc::AF_NETLINK,
            libc::SOCK_DGRAM | libc::SOCK_CLOEXEC,
            libc::NETLINK_SOCK_DIAG,
        )
    })?);
    // nlmsghdr {len, type, flags, seq, pid} and unix_diag_req {family, protocol, pad, states,
    // ino, show, cookie[2] (both INET_DIAG_NOCOOKIE: no cookie to check)}.
    let mut req = [0u8; 40];
    req[0..4].copy_from_slice(&40u32.to_ne_bytes());
    req[4..6].copy_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes());
    req[6..8].copy_from_slice(&(libc::NLM_F_REQUEST as u16).to_ne_bytes());
    req[8..12].copy_from_slice(&1u32.to_ne_bytes());
    req[16] = libc::AF_UNIX as u8;
    req[20..24].copy_from_slice(&u32::MAX.to_ne_bytes());
    req[24..28].copy_from_slice(&(ino as u32).to_ne_bytes());
    req[28..32].copy_from_slice(&(UDIAG_SHOW_PEER | UDIAG_SHOW_RQLEN).to_ne_bytes());
    req[32..40].fill(0xff);
    // SAFETY: req is valid for its length.
    cvt(unsafe { libc::send(s.raw(), req.as_ptr().cast(), req.len(), 0) })?;
    let mut buf = [0u8; 512];
    // SAFETY: buf is valid for its length.
    let n =
        retry(|| unsafe { libc::recv(s.raw(), buf.as_mut_ptr().cast(), buf.len(), 0) })? as usize;
    let b = &buf[..n];
    let u16_at = |o: usize| u16::from_ne_bytes([b[o], b[o + 1]]);
    let u32_at = |o: usize| u32::from_ne_bytes(b[o..o + 4].try_into().unwrap());
    if n < 16 {
        return Err(ne::EIO);
    }
    let len = (u32_at(0) as usize).min(n);
    if u16_at(4) == libc::NLMSG_ERROR as u16 {
        let e = if n >= 20 {
            u32_at(16) as i32
        } else {
            -libc::EIO
        };
        return Err(errno_from_host(-e));
    }
    // Attributes follow the 16-byte unix_diag_msg, each {u16 len, u16 type, data}, 4-aligned.
    let (mut peer, mut rq) = (0, 0);
    let mut at = 32;
    while at + 4 <= len {
        let (alen, aty) = (u16_at(at) as usize, u16_at(at + 2));
        if alen < 4 || at + alen > len {
            break;
        }
        if aty == UNIX_DIAG_PEER && alen >= 8 {
            peer = u32_at(at + 4) as u64;
        }
        if aty == UNIX_DIAG_RQLEN && alen >= 8 {
            rq = u32_at(at + 4);
        }
        at += (alen + 3) & !3;
    }
    Ok((peer, rq))
}

/// The (device, inode) of the file at host path `p` (following links, /proc/self/fd ones
/// included): what names a bound unix socket's file whichever path reaches it.
pub fn file_id(p: &[u8]) -> HResult<(u64, u64)> {
    let c = CString::new(p).map_err(|_| ne::EINVAL)?;
    // SAFETY: all-zero is a valid stat; stat fills it.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: valid C string and out struct.
    cvt(unsafe { libc::stat(c.as_ptr(), &mut st) })?;
    Ok((st.st_dev as u64, st.st_ino as u64))
}

/// Waits up to `ms` milliseconds for host descriptor `fd` to be writable (true) or not (false
/// on timeout). A host signal the guest has no use for does not end the wait early with EINTR.
pub fn wait_writable(fd: i32, ms: i32) -> HResult<bool> {
    let mut p = libc::pollfd { fd, events: libc::POLLOUT, revents: 0 };
    // SAFETY: one pollfd of ours.
    retry(|| unsafe { libc::poll(&mut p, 1, ms) }).map(|n| n > 0)
}

/// Whether host descriptor `fd` has something to read now.
pub fn readable_now(fd: i32) -> bool {
    let mut p = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
    // SAFETY: one pollfd of ours, no waiting.
    unsafe { libc::poll(&mut p, 1, 0) > 0 && p.revents & libc::POLLIN != 0 }
}

/// The host's SO_PEERCRED of socket `fd`: (host pid, uid, gid), pid 0 when there is none.
pub fn host_peercred(fd: i32) -> HResult<(i32, u32, u32)> {
    // SAFETY: all-zero is a valid ucred.
    let mut c: libc::ucred = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: c is valid for len bytes.
    cvt(unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            (&mut c as *mut libc::ucred).cast(),
            &mut len,
        )
    })?;
    Ok((c.pid, c.uid, c.gid))
}

/// This host process's pid (the kernel's process: every host socket of a run lives in it).
pub fn host_pid() -> i32 {
    std::process::id() as i32
}

// ---------------------------------------------------------------------------------------------
// Identity of the host, for the kernel's initial state.

/// The host's real credentials: (ruid, euid, rgid, egid, groups).
pub fn host_creds() -> (u32, u32, u32, u32, Vec<u32>) {
    // SAFETY: plain calls; the buffer is sized by the first getgroups.
    unsafe {
        let n = libc::getgroups(0, std::ptr::null_mut()).max(0);
        let mut g = vec![0 as libc::gid_t; n as usize];
        let n = libc::getgroups(n, g.as_mut_ptr()).max(0);
        g.truncate(n as usize);
        (
            libc::getuid(),
            libc::geteuid(),
            libc::getgid(),
            libc::getegid(),
            g,
        )
    }
}

/// The host's (hostname, domainname).
pub fn host_names() -> (Vec<u8>, Vec<u8>) {
    // SAFETY: valid out buffer.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    unsafe { libc::uname(&mut u) };
    let s = |a: &[libc::c_char]| {
        a.iter()
            .take_while(|&&c| c != 0)
            .map(|&c| c as u8)
            .collect()
    };
    let dom: Vec<u8> = s(&u.domainname);
    let dom = if dom == b"(none)" { Vec::new() } else { dom };
    (s(&u.nodename), dom)
}

/// The host's online CPUs and physical memory in bytes (what a rump kernel reports as its own).
pub fn host_hw() -> (u32, u64) {
    // SAFETY: sysconf has no memory effects.
    let (n, pages, psz) = unsafe {
        (
            libc::sysconf(libc::_SC_NPROCESSORS_ONLN),
            libc::sysconf(libc::_SC_PHYS_PAGES),
            libc::sysconf(libc::_SC_PAGESIZE),
        )
    };
    (
        n.max(1) as u32,
        (pages.max(0) as u64).saturating_mul(psz.max(0) as u64),
    )
}

/// The host's resource limit for a NetBSD resource number, in NetBSD terms (RLIM_INFINITY is
/// i64::MAX there). `None` for resources the host lacks.
pub fn host_rlimit(nb_resource: u32) -> Option<(u64, u64)> {
    use abi_netbsd::consts::rlimit as r;
    let res = match nb_resource {
        r::RLIMIT_CPU => libc::RLIMIT_CPU,
        r::RLIMIT_FSIZE => libc::RLIMIT_FSIZE,
        r::RLIMIT_DATA => libc::RLIMIT_DATA,
        r::RLIMIT_STACK => libc::RLIMIT_STACK,
        r::RLIMIT_CORE => libc::RLIMIT_CORE,
        r::RLIMIT_RSS => libc::RLIMIT_RSS,
        r::RLIMIT_MEMLOCK => libc::RLIMIT_MEMLOCK,
        r::RLIMIT_NPROC => libc::RLIMIT_NPROC,
        r::RLIMIT_NOFILE => libc::RLIMIT_NOFILE,
        r::RLIMIT_AS => libc::RLIMIT_AS,
        _ => return None,
    };
    let mut l = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: valid out buffer.
    if unsafe { libc::getrlimit(res, &mut l) } != 0 {
        return None;
    }
    let c = |v: libc::rlim_t| {
        if v == libc::RLIM_INFINITY {
            r::RLIM_INFINITY as u64
        } else {
            v
        }
    };
    Some((c(l.rlim_cur), c(l.rlim_max)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errno_table_by_name() {
        assert_eq!(errno_from_host(libc::ENOENT), ne::ENOENT);
        assert_eq!(errno_from_host(libc::EAGAIN), ne::EAGAIN);
        assert_eq!(errno_from_host(libc::ENOTEMPTY), ne::ENOTEMPTY);
        assert_eq!(errno_from_host(libc::ELOOP), ne::ELOOP);
        assert_eq!(errno_from_host(libc::ENOSYS), ne::ENOSYS);
        assert_eq!(errno_from_host(libc::ETIMEDOUT), ne::ETIMEDOUT);
        assert_eq!(errno_from_host(libc::ECONNREFUSED), ne::ECONNREFUSED);
        assert_eq!(errno_from_host(libc::EADDRINUSE), ne::EADDRINUSE);
        assert_eq!(errno_from_host(libc::EINPROGRESS), ne::EINPROGRESS);
        assert_eq!(errno_from_host(libc::EDQUOT), ne::EDQUOT);
        assert_eq!(errno_from_host(libc::EOPNOTSUPP), ne::EOPNOTSUPP);
        assert_eq!(errno_from_host(libc::ECHRNG), ne::EIO);
    }

    #[test]
    fn errno_table_is_total_and_names_agree() {
        // Every host errno that has a NetBSD name maps to the NetBSD errno of the same name.
        for e in 1..134 {
            let nb = errno_from_host(e);
            assert!(
                nb.name().is_some(),
                "host errno {e} mapped to unknown {nb:?}"
            );
            // SAFETY: strerror-free name lookup is not in libc; compare via a few known pairs.
        }
        let same_name = [
            (libc::EPERM, "EPERM"),
            (libc::ESPIPE, "ESPIPE"),
            (libc::EROFS, "EROFS"),
            (libc::ENAMETOOLONG, "ENAMETOOLONG"),
            (libc::EXDEV, "EXDEV"),
            (libc::EISDIR, "EISDIR"),
            (libc::EOVERFLOW, "EOVERFLOW"),
            (libc::EILSEQ, "EILSEQ"),
            (libc::ENOTSOCK, "ENOTSOCK"),
            (libc::ESTALE, "ESTALE"),
            (libc::ECANCELED, "ECANCELED"),
            (libc::EDEADLK, "EDEADLK"),
        ];
        for (h, n) in same_name {
            assert_eq!(errno_from_host(h).name(), Some(n));
        }
    }

    #[test]
    fn termios_round_trip() {
        // SAFETY: zeroed termios is valid.
        let mut h: libc::termios = unsafe { std::mem::zeroed() };
        h.c_lflag = libc::ICANON | libc::ECHO | libc::ISIG;
        h.c_iflag = libc::ICRNL | libc::IXON;
        h.c_cflag = libc::CS8 | libc::CREAD;
        h.c_cc[libc::VMIN] = 1;
        h.c_cc[libc::VINTR] = 3;
        unsafe { libc::cfsetspeed(&mut h, libc::B9600) };
        let n = termios_to_nb(&h);
        assert_eq!(n.c_lflag, nb_lf::ICANON | nb_lf::ECHO | nb_lf::ISIG);
        assert_eq!(n.c_iflag, nb_if::ICRNL | nb_if::IXON);
        assert_eq!(n.c_cflag, nb_cf::CS8 | nb_cf::CREAD);
        assert_eq!(n.c_cc[nb_cc::VINTR as usize], 3);
        assert_eq!(n.c_cc[nb_cc::VQUIT as usize], 0xff);
        assert_eq!(n.c_ospeed, 9600);
        let back = termios_from_nb(&n, &h);
        assert_eq!(back.c_lflag, h.c_lflag);
        assert_eq!(back.c_iflag, h.c_iflag);
        assert_eq!(back.c_cc[libc::VINTR], 3);
        assert_eq!(back.c_cc[libc::VQUIT], 0);
    }
}

/// What the host's /proc says of one of its processes: its state letter, nice value, faults and
/// times of it and of its reaped children.
#[derive(Clone, Copy, Debug, Default)]
pub struct HostProcStat {
    pub state: u8,
    pub nice: i32,
    /// minflt, cminflt, majflt, cmajflt.
    pub faults: [u64; 4],
    /// utime, stime, cutime, cstime.
    pub times: [Timeval; 4],
}

/// The host's /proc/<host_pid>/stat, `None` if the host has no such process (or no /proc).
pub fn host_proc_stat(host_pid: i32) -> Option<HostProcStat> {
    let text = std::fs::read(format!("/proc/{host_pid}/stat")).ok()?;
    parse_host_proc_stat(&text)
}

/// Fields after the command name (which may hold spaces and parentheses, so the last ')' ends
/// it): state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime
/// cutime cstime priority nice …, times in clock ticks.
fn parse_host_proc_stat(text: &[u8]) -> Option<HostProcStat> {
    let close = text.iter().rposition(|&b| b == b')')?;
    let rest = std::str::from_utf8(&text[close + 1..]).ok()?;
    let f: Vec<&str> = rest.split_ascii_whitespace().collect();
    let num = |i: usize| f.get(i).and_then(|v| v.parse::<i64>().ok());
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1);
    let tv = |ticks: i64| Timeval {
        tv_sec: ticks / hz,
        tv_usec: ((ticks % hz) * (1_000_000 / hz)) as i32,
        _pad: 0,
    };
    Some(HostProcStat {
        state: *f.first()?.as_bytes().first()?,
        nice: num(16)? as i32,
        faults: [num(7)? as u64, num(8)? as u64, num(9)? as u64, num(10)? as u64],
        times: [tv(num(11)?), tv(num(12)?), tv(num(13)?), tv(num(14)?)],
    })
}

#[cfg(test)]
mod host_proc_stat_tests {
    use super::*;

    #[test]
    fn parses_after_the_last_parenthesis() {
        let s = b"42 (a) b (c)) S 1 42 42 0 -1 4194560 10 20 1 2 300 50 7 8 20 5 1 0 99 1000 10 0\n";
        let p = parse_host_proc_stat(s).unwrap();
        assert_eq!(p.state, b'S');
        assert_eq!(p.nice, 5);
        assert_eq!(p.faults, [10, 20, 1, 2]);
        let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
        assert_eq!(p.times[0].tv_sec * hz + p.times[0].tv_usec as i64 * hz / 1_000_000, 300);
        assert!(parse_host_proc_stat(b"1 (x) R 1").is_none());
    }

    #[test]
    fn reads_our_own_process() {
        // The leader's state: the test harness's main thread may be running or waiting.
        let p = host_proc_stat(std::process::id() as i32).unwrap();
        assert!(p.state.is_ascii_uppercase(), "{}", p.state as char);
    }

    #[test]
    fn pts_numbers_from_device_numbers() {
        assert_eq!(pts_number(libc::makedev(136, 3)), Some(3));
        assert_eq!(pts_number(libc::makedev(137, 1)), Some(257));
        assert_eq!(pts_number(libc::makedev(4, 1)), None);
        assert_eq!(pts_number(libc::makedev(5, 0)), None);
    }
}
