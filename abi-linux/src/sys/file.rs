//! Files and directories: open/read/write/stat/getdents/… translated onto NetBSD's calls.
//!
//! Where the ABIs agree the entry says `SameAs` and costs one line. Everything else has a handler
//! here; the value translations live in `xlat::*`. Paths are copied out of the guest (checked,
//! NUL-terminated) and NetBSD is handed the copy, so a path cannot change under the kernel and
//! `/proc` can be served by [`super::procfs`] before NetBSD sees it.
//!
//! NetBSD calls are made with the argument lists of `syscalls.master`, `PAD` words included
//! (lseek, pread, truncate, … take an `int PAD` before their off_t).

use alloc::{collections::BTreeMap, vec::Vec};

use abi_netbsd::{consts as nbc, nr as nb, structs as nbs};
use syscalls::Sysno;

use super::procfs;
use crate::consts::{at_flags as lat, open_flags as lo, seek_whence as lseek_};
use crate::dispatch::Ctx;
use crate::errno::{EEXIST, EFAULT, EINVAL, ENOENT, ENXIO, EOPNOTSUPP, ESPIPE};
use crate::platform::Access;
use crate::structs::{Iovec, Stat, Timespec, Timeval};
use crate::table::{entry, Arg, Entry, Family::Files, Ret, Route, Support};
use crate::xlat::{self, at, dirent, fcntl::Cmd, open::Special, termios::Req};
use crate::{Errno, LxResult};

const F: crate::table::Family = Files;
use Arg::*;

/// Shorthand for a translated route.
macro_rules! tr {
    ($h:expr, $($n:ident),*) => { Route::Translated($h, &[$(nb::$n),*]) };
}

#[cfg(test)]
#[path = "file_tests.rs"]
mod tests;

pub const ENTRIES: &[Entry] = &[
    // Plain descriptors: same on both sides.
    entry(Sysno::read as u32, "read", F, &[Fd, BufOut(2), Len], Ret::Int, Route::SameAs(nb::SYS_read), Support::Full),
    entry(Sysno::write as u32, "write", F, &[Fd, BufIn(2), Len], Ret::Int, Route::SameAs(nb::SYS_write), Support::Full),
    entry(Sysno::close as u32, "close", F, &[Fd], Ret::Int, Route::SameAs(nb::SYS_close), Support::Full),
    entry(Sysno::fsync as u32, "fsync", F, &[Fd], Ret::Int, Route::SameAs(nb::SYS_fsync), Support::Full),
    entry(Sysno::fdatasync as u32, "fdatasync", F, &[Fd], Ret::Int, Route::SameAs(nb::SYS_fdatasync), Support::Full),
    entry(Sysno::fchdir as u32, "fchdir", F, &[Fd], Ret::Int, Route::SameAs(nb::SYS_fchdir), Support::Full),
    entry(Sysno::dup as u32, "dup", F, &[Fd], Ret::Fd, Route::SameAs(nb::SYS_dup), Support::Full),
    entry(Sysno::dup2 as u32, "dup2", F, &[Fd, Fd], Ret::Fd, Route::SameAs(nb::SYS_dup2), Support::Full),
    entry(Sysno::fchmod as u32, "fchmod", F, &[Fd, Mode], Ret::Int, Route::SameAs(nb::SYS_fchmod), Support::Full),
    entry(Sysno::fchown as u32, "fchown", F, &[Fd, Int, Int], Ret::Int, Route::SameAs(nb::SYS_fchown), Support::Full),
    // LOCK_SH/EX/NB/UN have the same values.
    entry(Sysno::flock as u32, "flock", F, &[Fd, Hex], Ret::Int, Route::SameAs(nb::SYS_flock), Support::Full),
    entry(Sysno::getcwd as u32, "getcwd", F, &[BufOut(1), Len], Ret::Int, tr!(getcwd, SYS___getcwd), Support::Full),
    entry(Sysno::sync as u32, "sync", F, &[], Ret::Int, Route::SameAs(nb::SYS_sync), Support::Full),
    entry(Sysno::syncfs as u32, "syncfs", F, &[Fd], Ret::Int, tr!(syncfs, SYS_fcntl, SYS_sync), Support::Partial("syncs every file system, not only the one holding the descriptor")),
    entry(Sysno::sync_file_range as u32, "sync_file_range", F, &[Fd, Int, Len, Hex], Ret::Int, tr!(sync_file_range, SYS_fdatasync), Support::Partial("flushes the whole file's data (fdatasync), a superset of the range")),
    entry(Sysno::close_range as u32, "close_range", F, &[Fd, Fd, Hex], Ret::Int, tr!(close_range, SYS_fcntl, SYS_close), Support::Partial("CLOSE_RANGE_UNSHARE is refused with EINVAL")),
    // Vectors: the iovecs are checked and copied.
    entry(Sysno::readv as u32, "readv", F, &[Fd, Iovec(2), Int], Ret::Int, tr!(readv, SYS_readv), Support::Full),
    entry(Sysno::writev as u32, "writev", F, &[Fd, Iovec(2), Int], Ret::Int, tr!(writev, SYS_writev), Support::Full),
    // Positioned I/O: NetBSD puts a PAD word before the offset.
    entry(Sysno::pread64 as u32, "pread64", F, &[Fd, BufOut(2), Len, Int], Ret::Int, tr!(pread64, SYS_pread), Support::Full),
    entry(Sysno::pwrite64 as u32, "pwrite64", F, &[Fd, BufIn(2), Len, Int], Ret::Int, tr!(pwrite64, SYS_pwrite), Support::Full),
    entry(Sysno::preadv as u32, "preadv", F, &[Fd, Iovec(2), Int, Int, Int], Ret::Int, tr!(preadv, SYS_preadv), Support::Full),
    entry(Sysno::pwritev as u32, "pwritev", F, &[Fd, Iovec(2), Int, Int, Int], Ret::Int, tr!(pwritev, SYS_pwritev), Support::Full),
    entry(Sysno::lseek as u32, "lseek", F, &[Fd, Int, Whence], Ret::Int, tr!(lseek, SYS_lseek, SYS___fstat50, SYS___getdents30, SYS_ioctl), Support::Partial("SEEK_DATA/SEEK_HOLE see no holes (data up to the end of file), as Linux on file systems without hole tracking; character devices answer as Linux's memory devices (0) or terminals (ESPIPE)")),
    entry(Sysno::truncate as u32, "truncate", F, &[Path, Int], Ret::Int, tr!(truncate, SYS_truncate), Support::Full),
    entry(Sysno::ftruncate as u32, "ftruncate", F, &[Fd, Int], Ret::Int, tr!(ftruncate, SYS_ftruncate), Support::Full),
    // Opening.
    entry(Sysno::open as u32, "open", F, &[Path, OpenFlags, Mode], Ret::Fd, tr!(open, SYS_openat), Support::Partial(OPEN_NOTE)),
    entry(Sysno::openat as u32, "openat", F, &[DirFd, Path, OpenFlags, Mode], Ret::Fd, tr!(openat, SYS_openat), Support::Partial(OPEN_NOTE)),
    entry(Sysno::creat as u32, "creat", F, &[Path, Mode], Ret::Fd, tr!(creat, SYS_openat), Support::Full),
    entry(Sysno::dup3 as u32, "dup3", F, &[Fd, Fd, OpenFlags], Ret::Fd, tr!(dup3, SYS_dup3), Support::Full),
    entry(Sysno::pipe as u32, "pipe", F, &[Ptr], Ret::Int, tr!(pipe, SYS_pipe2), Support::Full),
    entry(Sysno::pipe2 as u32, "pipe2", F, &[Ptr, OpenFlags], Ret::Int, tr!(pipe2, SYS_pipe2), Support::Partial("O_DIRECT (packet mode) is refused with EINVAL")),
    entry(Sysno::fcntl as u32, "fcntl", F, &[Fd, FcntlCmd, Hex], Ret::Int, tr!(fcntl, SYS_fcntl, SYS___fstat50), Support::Partial("F_DUPFD(_CLOEXEC), F_GETFD/SETFD, F_GETFL/SETFL, F_GETOWN/SETOWN, F_GETLK/SETLK/SETLKW, F_OFD_GETLK/SETLK/SETLKW (a bridge extension; OFD and flock locks conflict, as BSD's flock and fcntl locks do); leases, notify, pipe sizes, seals and F_SETSIG give EINVAL")),
    entry(Sysno::ioctl as u32, "ioctl", F, &[Fd, IoctlReq, Hex], Ret::Int, tr!(ioctl, SYS_ioctl, SYS_fcntl), Support::Partial("TCGETS, TCSETS/W/F, TIOCGWINSZ, TIOCSWINSZ, FIONREAD, FIONBIO, FIOCLEX, FIONCLEX, TIOCOUTQ, TIOCEXCL/NXCL, TCFLSH, TCSBRK (drain only), TCXONC (output only) on host terminals; job control as Linux's: TIOCGPGRP/SPGRP, TIOCGSID, TIOCSCTTY, TIOCNOTTY, SIGTTIN/SIGTTOU for background readers and (under TOSTOP) writers and changers; TIOCGPTN and TIOCSPTLCK on /dev/ptmx masters (unlocking only: a pair cannot be locked again, EINVAL); others give ENOTTY. IUTF8, IUCLC, OLCUC, XCASE and output delays are not kept: NetBSD's tty has no twin")),
    // Metadata.
    entry(Sysno::stat as u32, "stat", F, &[Path, Ptr], Ret::Int, tr!(stat, SYS_fstatat), Support::Full),
    entry(Sysno::lstat as u32, "lstat", F, &[Path, Ptr], Ret::Int, tr!(lstat, SYS_fstatat), Support::Full),
    entry(Sysno::fstat as u32, "fstat", F, &[Fd, Ptr], Ret::Int, tr!(fstat, SYS___fstat50), Support::Full),
    entry(Sysno::newfstatat as u32, "newfstatat", F, &[DirFd, Path, Ptr, AtFlags], Ret::Int, tr!(newfstatat, SYS_fstatat, SYS___fstat50), Support::Full),
    entry(Sysno::statx as u32, "statx", F, &[DirFd, Path, AtFlags, Hex, Ptr], Ret::Int, tr!(statx, SYS_fstatat, SYS___fstat50), Support::Partial("reports the basic stats and the birth time when the file system has one; no attributes, no mount id")),
    entry(Sysno::access as u32, "access", F, &[Path, Int], Ret::Int, tr!(access, SYS_faccessat), Support::Full),
    entry(Sysno::faccessat as u32, "faccessat", F, &[DirFd, Path, Int], Ret::Int, tr!(faccessat, SYS_faccessat), Support::Full),
    entry(Sysno::faccessat2 as u32, "faccessat2", F, &[DirFd, Path, Int, AtFlags], Ret::Int, tr!(faccessat2, SYS_faccessat), Support::Partial("AT_EMPTY_PATH is refused with EINVAL")),
    entry(Sysno::statfs as u32, "statfs", F, &[Path, Ptr], Ret::Int, tr!(statfs, SYS_statvfs1), Support::Full),
    entry(Sysno::fstatfs as u32, "fstatfs", F, &[Fd, Ptr], Ret::Int, tr!(fstatfs, SYS_fstatvfs1), Support::Full),
    entry(Sysno::getdents64 as u32, "getdents64", F, &[Fd, Ptr, Len], Ret::Int, tr!(getdents64, SYS___getdents30, SYS_lseek), Support::Full),
    entry(Sysno::getdents as u32, "getdents", F, &[Fd, Ptr, Len], Ret::Int, tr!(getdents, SYS___getdents30, SYS_lseek), Support::Full),
    // Names.
    entry(Sysno::mkdir as u32, "mkdir", F, &[Path, Mode], Ret::Int, tr!(mkdir, SYS_mkdir), Support::Full),
    entry(Sysno::mkdirat as u32, "mkdirat", F, &[DirFd, Path, Mode], Ret::Int, tr!(mkdirat, SYS_mkdirat), Support::Full),
    entry(Sysno::rmdir as u32, "rmdir", F, &[Path], Ret::Int, tr!(rmdir, SYS_rmdir), Support::Full),
    entry(Sysno::unlink as u32, "unlink", F, &[Path], Ret::Int, tr!(unlink, SYS_unlink), Support::Full),
    entry(Sysno::unlinkat as u32, "unlinkat", F, &[DirFd, Path, AtFlags], Ret::Int, tr!(unlinkat, SYS_unlinkat), Support::Full),
    entry(Sysno::rename as u32, "rename", F, &[Path, Path], Ret::Int, tr!(rename, SYS_rename), Support::Full),
    entry(Sysno::renameat as u32, "renameat", F, &[DirFd, Path, DirFd, Path], Ret::Int, tr!(renameat, SYS_renameat), Support::Full),
    entry(Sysno::renameat2 as u32, "renameat2", F, &[DirFd, Path, DirFd, Path, Hex], Ret::Int, tr!(renameat2, SYS_renameat, SYS_fstatat), Support::Partial("RENAME_NOREPLACE is a check then a rename (not atomic against a concurrent creator); RENAME_EXCHANGE and RENAME_WHITEOUT give EINVAL")),
    entry(Sysno::link as u32, "link", F, &[Path, Path], Ret::Int, tr!(link, SYS_linkat), Support::Full),
    entry(Sysno::linkat as u32, "linkat", F, &[DirFd, Path, DirFd, Path, AtFlags], Ret::Int, tr!(linkat, SYS_linkat), Support::Partial("AT_EMPTY_PATH is refused with EINVAL")),
    entry(Sysno::symlink as u32, "symlink", F, &[Path, Path], Ret::Int, tr!(symlink, SYS_symlink), Support::Full),
    entry(Sysno::symlinkat as u32, "symlinkat", F, &[Path, DirFd, Path], Ret::Int, tr!(symlinkat, SYS_symlinkat), Support::Full),
    entry(Sysno::readlink as u32, "readlink", F, &[Path, BufOut(2), Len], Ret::Int, tr!(readlink, SYS_readlinkat), Support::Full),
    entry(Sysno::readlinkat as u32, "readlinkat", F, &[DirFd, Path, BufOut(3), Len], Ret::Int, tr!(readlinkat, SYS_readlinkat), Support::Full),
    entry(Sysno::chdir as u32, "chdir", F, &[Path], Ret::Int, tr!(chdir, SYS_chdir), Support::Full),
    entry(Sysno::mknod as u32, "mknod", F, &[Path, Mode, Hex], Ret::Int, tr!(mknod, SYS_mkfifoat, SYS_mknodat, SYS_openat), Support::Full),
    entry(Sysno::mknodat as u32, "mknodat", F, &[DirFd, Path, Mode, Hex], Ret::Int, tr!(mknodat, SYS_mkfifoat, SYS_mknodat, SYS_openat), Support::Full),
    // Permissions and owners.
    entry(Sysno::chmod as u32, "chmod", F, &[Path, Mode], Ret::Int, tr!(chmod, SYS_chmod), Support::Full),
    entry(Sysno::fchmodat as u32, "fchmodat", F, &[DirFd, Path, Mode], Ret::Int, tr!(fchmodat, SYS_fchmodat), Support::Full),
    entry(Sysno::fchmodat2 as u32, "fchmodat2", F, &[DirFd, Path, Mode, AtFlags], Ret::Int, tr!(fchmodat2, SYS_fchmodat, SYS_fchmod), Support::Full),
    entry(Sysno::chown as u32, "chown", F, &[Path, Int, Int], Ret::Int, tr!(chown, SYS_chown), Support::Full),
    entry(Sysno::lchown as u32, "lchown", F, &[Path, Int, Int], Ret::Int, tr!(lchown, SYS_lchown), Support::Full),
    entry(Sysno::fchownat as u32, "fchownat", F, &[DirFd, Path, Int, Int, AtFlags], Ret::Int, tr!(fchownat, SYS_fchownat, SYS_fchown), Support::Full),
    entry(Sysno::umask as u32, "umask", F, &[Mode], Ret::Int, tr!(umask, SYS_umask), Support::Full),
    // Times.
    entry(Sysno::utimensat as u32, "utimensat", F, &[DirFd, Path, Ptr, AtFlags], Ret::Int, tr!(utimensat, SYS_utimensat, SYS_futimens), Support::Full),
    entry(Sysno::futimesat as u32, "futimesat", F, &[DirFd, Path, Ptr], Ret::Int, tr!(futimesat, SYS_utimensat), Support::Full),
    entry(Sysno::utimes as u32, "utimes", F, &[Path, Ptr], Ret::Int, tr!(utimes, SYS_utimensat), Support::Full),
    entry(Sysno::utime as u32, "utime", F, &[Path, Ptr], Ret::Int, tr!(utime, SYS_utimensat), Support::Full),
    // Copies and hints.
    entry(Sysno::sendfile as u32, "sendfile", F, &[Fd, Fd, Ptr, Len], Ret::Int, tr!(sendfile, SYS_read, SYS_pread, SYS_write, SYS_lseek), Support::Partial("a read/write loop through a 64 KiB buffer: no zero-copy; as Linux, a pipe is not read (EINVAL), and a short read ends the call (a terminal's line)")),
    entry(Sysno::copy_file_range as u32, "copy_file_range", F, &[Fd, Ptr, Fd, Ptr, Len, Hex], Ret::Int, tr!(copy_file_range, SYS_read, SYS_pread, SYS_write, SYS_pwrite, SYS_lseek, SYS___fstat50), Support::Partial("a read/write loop through a 64 KiB buffer: no reflinks")),
    entry(Sysno::readahead as u32, "readahead", F, &[Fd, Int, Len], Ret::Int, tr!(readahead, SYS___posix_fadvise50), Support::Full),
    entry(Sysno::fadvise64 as u32, "fadvise64", F, &[Fd, Int, Len, Int], Ret::Int, tr!(fadvise64, SYS___posix_fadvise50), Support::Full),
    entry(Sysno::fallocate as u32, "fallocate", F, &[Fd, Hex, Int, Len], Ret::Int, tr!(fallocate, SYS_posix_fallocate, SYS_fcntl), Support::Partial("mode 0 through posix_fallocate; FALLOC_FL_KEEP_SIZE through a bridge extension (host files: the host's; in-memory files have no blocks to reserve); punching holes, zeroing and collapsing give EOPNOTSUPP")),
];

const OPEN_NOTE: &str = "O_TMPFILE gives EOPNOTSUPP (as on a file system without it); O_PATH opens for reading, so it needs read permission; O_NOATIME is ignored; /proc is served for absolute paths and paths relative to an open /proc directory";

// ---------------------------------------------------------------------------------------------
// Helpers

/// A NUL-terminated path copied from the guest.
pub(crate) fn path(ctx: &Ctx, i: usize) -> Result<Vec<u8>, Errno> {
    ctx.guest_cstr(ctx.args[i])
}

fn ptr<T>(v: &T) -> u64 {
    v as *const T as u64
}

fn mut_ptr<T>(v: &mut T) -> u64 {
    v as *mut T as u64
}

/// An int argument as NetBSD reads it (sign-extended, upper register half ignored).
fn int(ctx: &Ctx, i: usize) -> u64 {
    ctx.int(i) as i64 as u64
}

fn ok(r: [u64; 2]) -> LxResult {
    Ok(r[0])
}

/// A call whose arguments pass unchanged except the paths in `paths`, copied out of the guest.
fn with_paths(ctx: &mut Ctx, nr: u32, paths: &[usize]) -> LxResult {
    let mut args = ctx.args;
    let mut copies = Vec::with_capacity(paths.len());
    for &i in paths {
        let p = path(ctx, i)?;
        args[i] = p.as_ptr() as u64;
        copies.push(p);
    }
    let r = ctx.nb(nr, args);
    drop(copies);
    ok(r?)
}

/// NetBSD stat of `fd`.
pub(crate) fn nb_fstat(ctx: &mut Ctx, fd: u64) -> Result<nbs::Stat, Errno> {
    let mut st = nbs::Stat::default();
    ctx.nb(nb::SYS___fstat50, [fd, mut_ptr(&mut st), 0, 0, 0, 0])?;
    Ok(st)
}

/// NetBSD fstatat of a path copy, with NetBSD AT_* flags.
pub(crate) fn nb_fstatat(ctx: &mut Ctx, dirfd: u64, path: &[u8], nb_flags: u32) -> Result<nbs::Stat, Errno> {
    let mut st = nbs::Stat::default();
    ctx.nb(nb::SYS_fstatat, [dirfd, path.as_ptr() as u64, mut_ptr(&mut st), nb_flags as u64, 0, 0])?;
    Ok(st)
}

fn nb_lseek(ctx: &mut Ctx, fd: u64, off: i64, whence: u32) -> Result<u64, Errno> {
    Ok(ctx.nb(nb::SYS_lseek, [fd, 0, off as u64, whence as u64, 0, 0])?[0])
}

fn is_empty(p: &[u8]) -> bool {
    p.first() == Some(&0)
}

/// Linux's cap on the bytes one read/write moves (INT_MAX rounded down to a page).
const MAX_RW_COUNT: u64 = 0x7fff_f000;

/// Copies the guest's iovec array and checks the buffers for `access`. As Linux transfers up to
/// the first buffer it cannot access (and reports the bytes moved), the list is cut there; a
/// first buffer that is already bad is EFAULT.
pub(crate) fn iovecs(ctx: &Ctx, addr: u64, count: i32, access: Access) -> Result<Vec<nbs::Iovec>, Errno> {
    // Linux UIO_MAXIOV.
    if !(0..=1024).contains(&count) {
        return Err(EINVAL);
    }
    let mut out = Vec::with_capacity(count as usize);
    let mut total: u64 = 0;
    for i in 0..count as u64 {
        let v: Iovec = ctx.read_struct(addr + i * 16)?;
        if (v.iov_len as i64) < 0 {
            return Err(EINVAL);
        }
        // Linux moves at most MAX_RW_COUNT bytes per call and cuts the vector there.
        let len = v.iov_len.min(MAX_RW_COUNT - total);
        total += len;
        out.push(nbs::Iovec { iov_base: v.iov_base, iov_len: len });
    }
    match out.iter().position(|v| ctx.check(v.iov_base, v.iov_len, access).is_err()) {
        Some(0) => Err(EFAULT),
        Some(bad) => {
            out.truncate(bad);
            Ok(out)
        }
        None => Ok(out),
    }
}

// ---------------------------------------------------------------------------------------------
// Reading and writing

fn vec_io(ctx: &mut Ctx, nr: u32, access: Access, offset: Option<u64>) -> LxResult {
    let v = iovecs(ctx, ctx.args[1], ctx.int(2), access)?;
    let (fd, p, n) = (int(ctx, 0), v.as_ptr() as u64, v.len() as u64);
    let args = match offset {
        None => [fd, p, n, 0, 0, 0],
        Some(off) => [fd, p, n, 0, off, 0],
    };
    ok(ctx.nb(nr, args)?)
}

fn readv(ctx: &mut Ctx) -> LxResult {
    vec_io(ctx, nb::SYS_readv, Access::Write, None)
}

fn writev(ctx: &mut Ctx) -> LxResult {
    vec_io(ctx, nb::SYS_writev, Access::Read, None)
}

fn preadv(ctx: &mut Ctx) -> LxResult {
    // x86_64 passes the whole offset in pos_l (argument 3); pos_h is for 32-bit ABIs.
    vec_io(ctx, nb::SYS_preadv, Access::Write, Some(ctx.args[3]))
}

fn pwritev(ctx: &mut Ctx) -> LxResult {
    vec_io(ctx, nb::SYS_pwritev, Access::Read, Some(ctx.args[3]))
}

fn positioned(ctx: &mut Ctx, nr: u32, access: Access) -> LxResult {
    ctx.check(ctx.args[1], ctx.args[2], access)?;
    ok(ctx.nb(nr, [int(ctx, 0), ctx.args[1], ctx.args[2], 0, ctx.args[3], 0])?)
}

fn pread64(ctx: &mut Ctx) -> LxResult {
    positioned(ctx, nb::SYS_pread, Access::Write)
}

fn pwrite64(ctx: &mut Ctx) -> LxResult {
    positioned(ctx, nb::SYS_pwrite, Access::Read)
}

fn lseek(ctx: &mut Ctx) -> LxResult {
    let fd = int(ctx, 0);
    let off = ctx.args[1] as i64;
    let whence = ctx.args[2] as u32;
    match whence {
        lseek_::SEEK_SET | lseek_::SEEK_CUR | lseek_::SEEK_END => {}
        lseek_::SEEK_DATA | lseek_::SEEK_HOLE => return seek_data_hole(ctx, fd, off, whence),
        _ => return Err(EINVAL),
    }
    let st = nb_fstat(ctx, fd)?;
    match st.st_mode & nbc::stat_mode::S_IFMT {
        nbc::stat_mode::S_IFDIR if whence == lseek_::SEEK_SET => {
            if let Some((batch, n)) = dirent::decode(off) {
                let start = batch_start(ctx, fd, batch)?;
                seek_dir_cookie(ctx, fd, start, n)?;
                return Ok(off as u64);
            }
        }
        // Linux's character devices do not keep a position: terminals refuse to seek, the memory
        // devices (null, zero, full, random) accept any seek and stay at 0. NetBSD keeps one.
        nbc::stat_mode::S_IFCHR => {
            let mut t = nbs::Termios::default();
            let tty = ctx.nb(nb::SYS_ioctl, [fd, nbc::ioctl::TIOCGETA as u64, mut_ptr(&mut t), 0, 0, 0]).is_ok();
            return if tty { Err(ESPIPE) } else { Ok(0) };
        }
        _ => {}
    }
    nb_lseek(ctx, fd, off, whence)
}

/// SEEK_DATA/SEEK_HOLE as Linux answers them on a file system that does not track holes: the
/// whole file is data, followed by the implicit hole at its end.
fn seek_data_hole(ctx: &mut Ctx, fd: u64, off: i64, whence: u32) -> LxResult {
    let st = nb_fstat(ctx, fd)?;
    let kind = st.st_mode & nbc::stat_mode::S_IFMT;
    if kind == nbc::stat_mode::S_IFIFO || kind == nbc::stat_mode::S_IFSOCK {
        return Err(ESPIPE);
    }
    if off < 0 {
        return Err(EINVAL);
    }
    if off >= st.st_size {
        return Err(ENXIO);
    }
    let to = if whence == lseek_::SEEK_DATA { off } else { st.st_size };
    nb_lseek(ctx, fd, to, lseek_::SEEK_SET)
}

/// Positions a directory right after `n` records of the batch that started at `start` (see
/// `xlat::dirent`): measure those records, then consume exactly them.
fn seek_dir_cookie(ctx: &mut Ctx, fd: u64, start: u64, n: usize) -> Result<(), Errno> {
    let mut buf = alloc::vec![0u8; dirent::MAX_BATCH_BYTES];
    nb_lseek(ctx, fd, start as i64, lseek_::SEEK_SET)?;
    let got = ctx.nb(nb::SYS___getdents30, [fd, buf.as_mut_ptr() as u64, buf.len() as u64, 0, 0, 0])?[0] as usize;
    let sizes = dirent::records(&buf[..got]).take(n).map(|r| r.map(|r| r.reclen)).collect::<Result<Vec<_>, _>>();
    consume_records(ctx, fd, start, &sizes.map_err(|_| crate::errno::EIO)?)
}

/// Leaves the directory offset right after the records of `sizes` (NetBSD record lengths) read
/// from `start`: getdents with buffers of exactly their size. A file system may return fewer
/// records than fit (a host directory whose own records are larger), so this reads until all
/// have been consumed.
fn consume_records(ctx: &mut Ctx, fd: u64, start: u64, sizes: &[usize]) -> Result<(), Errno> {
    nb_lseek(ctx, fd, start as i64, lseek_::SEEK_SET)?;
    let mut buf = alloc::vec![0u8; sizes.iter().sum::<usize>()];
    let mut done = 0;
    while done < sizes.len() {
        let len: usize = sizes[done..].iter().sum();
        let got = ctx.nb(nb::SYS___getdents30, [fd, buf.as_mut_ptr() as u64, len as u64, 0, 0, 0])?[0] as usize;
        let k = dirent::records(&buf[..got]).count();
        if k == 0 {
            return Err(crate::errno::EIO);
        }
        done += k;
    }
    Ok(())
}

fn truncate(ctx: &mut Ctx) -> LxResult {
    let p = path(ctx, 0)?;
    ok(ctx.nb(nb::SYS_truncate, [p.as_ptr() as u64, 0, ctx.args[1], 0, 0, 0])?)
}

fn ftruncate(ctx: &mut Ctx) -> LxResult {
    ok(ctx.nb(nb::SYS_ftruncate, [int(ctx, 0), 0, ctx.args[1], 0, 0, 0])?)
}

// ---------------------------------------------------------------------------------------------
// Opening

/// openat with Linux arguments: the one place every open goes through.
pub(crate) fn do_open(ctx: &mut Ctx, dirfd: u64, p: &[u8], flags: u32, mode: u32) -> LxResult {
    let rebased = procfs::rebase(ctx, dirfd, p);
    let p = rebased.as_deref().unwrap_or(p);
    if procfs::owns(p) {
        return procfs::open(ctx, p, flags);
    }
    let nb_flags = match xlat::open::special(flags) {
        Special::Tmpfile => return Err(EOPNOTSUPP),
        // Only these three count with O_PATH; the fd is opened for reading.
        Special::Path => xlat::open::to_netbsd(flags & (lo::O_DIRECTORY | lo::O_NOFOLLOW | lo::O_CLOEXEC)),
        Special::None => xlat::open::to_netbsd(flags),
    };
    match ctx.nb_raw(nb::SYS_openat, [dirfd, p.as_ptr() as u64, nb_flags as u64, (mode & 0o7777) as u64, 0, 0]) {
        Ok(r) => Ok(r[0]),
        // NetBSD's answer for O_NOFOLLOW on a symlink; Linux's is ELOOP.
        Err(abi_netbsd::errno::EFTYPE) => Err(crate::errno::ELOOP),
        Err(e) => Err(xlat::errno::from_netbsd(e)),
    }
}

fn open(ctx: &mut Ctx) -> LxResult {
    let p = path(ctx, 0)?;
    do_open(ctx, at::dirfd(at::AT_FDCWD as u64), &p, ctx.args[1] as u32, ctx.args[2] as u32)
}

fn openat(ctx: &mut Ctx) -> LxResult {
    let p = path(ctx, 1)?;
    do_open(ctx, at::dirfd(ctx.args[0]), &p, ctx.args[2] as u32, ctx.args[3] as u32)
}

fn creat(ctx: &mut Ctx) -> LxResult {
    let p = path(ctx, 0)?;
    do_open(ctx, at::dirfd(at::AT_FDCWD as u64), &p, lo::O_CREAT | lo::O_WRONLY | lo::O_TRUNC, ctx.args[1] as u32)
}

fn dup3(ctx: &mut Ctx) -> LxResult {
    let flags = ctx.args[2] as u32;
    if flags & !lo::O_CLOEXEC != 0 || ctx.int(0) == ctx.int(1) {
        return Err(EINVAL);
    }
    ok(ctx.nb(nb::SYS_dup3, [int(ctx, 0), int(ctx, 1), xlat::open::to_netbsd(flags) as u64, 0, 0, 0])?)
}

fn make_pipe(ctx: &mut Ctx, flags: u32) -> LxResult {
    if flags & !(lo::O_CLOEXEC | lo::O_NONBLOCK) != 0 {
        // O_DIRECT (packet mode), O_NOTIFICATION_PIPE and unknown bits.
        return Err(EINVAL);
    }
    ctx.check(ctx.args[0], 8, Access::Write)?;
    let mut fds = [0i32; 2];
    ctx.nb(nb::SYS_pipe2, [mut_ptr(&mut fds), xlat::open::to_netbsd(flags) as u64, 0, 0, 0, 0])?;
    ctx.write_struct(ctx.args[0], &fds)?;
    Ok(0)
}

fn pipe(ctx: &mut Ctx) -> LxResult {
    make_pipe(ctx, 0)
}

fn pipe2(ctx: &mut Ctx) -> LxResult {
    make_pipe(ctx, ctx.args[1] as u32)
}

fn fcntl(ctx: &mut Ctx) -> LxResult {
    let fd = int(ctx, 0);
    let arg = ctx.args[2];
    match xlat::fcntl::cmd(ctx.args[1] as u32)? {
        Cmd::Same(c) => ok(ctx.nb(nb::SYS_fcntl, [fd, c as u64, int(ctx, 2), 0, 0, 0])?),
        Cmd::GetFl => {
            let f = ctx.nb(nb::SYS_fcntl, [fd, nbc::fcntl_cmd::F_GETFL as u64, 0, 0, 0, 0])?[0];
            let mut f = xlat::open::to_linux(f as u32);
            // What Linux x86_64 keeps in f_flags besides: O_LARGEFILE, which open() forces on
            // 64-bit (pipes and sockets are not opened by open()), and O_DIRECTORY.
            use nbc::stat_mode::*;
            match nb_fstat(ctx, fd)?.st_mode & S_IFMT {
                S_IFIFO | S_IFSOCK => {}
                S_IFDIR => f |= lo::O_LARGEFILE | lo::O_DIRECTORY,
                _ => f |= lo::O_LARGEFILE,
            }
            Ok(f as u64)
        }
        Cmd::SetFl => {
            let f = xlat::open::to_netbsd(arg as u32 & xlat::open::SETFL_MASK);
            ok(ctx.nb(nb::SYS_fcntl, [fd, nbc::fcntl_cmd::F_SETFL as u64, f as u64, 0, 0, 0])?)
        }
        Cmd::Lock(c, read_back) => {
            let l: crate::structs::Flock = ctx.read_struct(arg)?;
            if xlat::fcntl::is_ofd(c) && l.l_pid != 0 {
                return Err(EINVAL);
            }
            let mut n = xlat::fcntl::flock_to_netbsd(&l)?;
            ctx.nb(nb::SYS_fcntl, [fd, c as u64, mut_ptr(&mut n), 0, 0, 0])?;
            if read_back {
                ctx.write_struct(arg, &xlat::fcntl::flock_to_linux(&n))?;
            }
            Ok(0)
        }
    }
}

fn ioctl(ctx: &mut Ctx) -> LxResult {
    use crate::consts::ioctl as li;
    let fd = int(ctx, 0);
    let req = ctx.args[1] as u32;
    let arg = ctx.args[2];
    // Close-on-exec by ioctl is fcntl F_SETFD by another name.
    if req == li::FIOCLEX || req == li::FIONCLEX {
        let v = (req == li::FIOCLEX) as u64;
        return ok(ctx.nb(nb::SYS_fcntl, [fd, nbc::fcntl_cmd::F_SETFD as u64, v, 0, 0, 0])?);
    }
    if req == li::TIOCNOTTY {
        return give_up_terminal(ctx, fd);
    }
    match xlat::termios::req(req).ok_or(crate::errno::ENOTTY)? {
        Req::GetAttr => {
            let mut t = nbs::Termios::default();
            ctx.nb(nb::SYS_ioctl, [fd, nbc::ioctl::TIOCGETA as u64, mut_ptr(&mut t), 0, 0, 0])?;
            ctx.write_struct(arg, &xlat::termios::to_linux(&t))?;
            Ok(0)
        }
        Req::SetAttr(set) => {
            let l: crate::structs::Termios = ctx.read_struct(arg)?;
            let mut cur = nbs::Termios::default();
            ctx.nb(nb::SYS_ioctl, [fd, nbc::ioctl::TIOCGETA as u64, mut_ptr(&mut cur), 0, 0, 0])?;
            let t = xlat::termios::overlay_netbsd(&l, &cur)?;
            ok(ctx.nb(nb::SYS_ioctl, [fd, set as u64, ptr(&t), 0, 0, 0])?)
        }
        Req::Flush => {
            let bits = xlat::termios::flush_bits(arg as u32).ok_or(EINVAL)?;
            ok(ctx.nb(nb::SYS_ioctl, [fd, nbc::ioctl::TIOCFLUSH as u64, ptr(&bits), 0, 0, 0])?)
        }
        // tcdrain(); a zero argument asks for a break, which NetBSD times differently.
        Req::Break if arg as u32 != 0 => ok(ctx.nb(nb::SYS_ioctl, [fd, nbc::ioctl::TIOCDRAIN as u64, 0, 0, 0, 0])?),
        Req::Break => Err(EOPNOTSUPP),
        Req::Flow => {
            use crate::consts::termios_action as ta;
            let r = match arg as u32 {
                ta::TCOOFF => nbc::ioctl::TIOCSTOP,
                ta::TCOON => nbc::ioctl::TIOCSTART,
                // TCIOFF/TCION send STOP/START characters: not offered.
                ta::TCIOFF | ta::TCION => return Err(EOPNOTSUPP),
                _ => return Err(EINVAL),
            };
            ok(ctx.nb(nb::SYS_ioctl, [fd, r as u64, 0, 0, 0, 0])?)
        }
        r @ (Req::PtyNumber | Req::PtyLock) => {
            let lock = if r == Req::PtyLock { Some(ctx.read_struct::<i32>(arg)?) } else { None };
            // NetBSD's struct ptmget: cfd, sfd, cn[1024], sn[1024].
            let mut names = alloc::vec![0u8; 8 + 2 * 1024];
            ctx.nb(nb::SYS_ioctl, [fd, nbc::ioctl::TIOCPTSNAME as u64, names.as_mut_ptr() as u64, 0, 0, 0])
                .map_err(|e| if e == EINVAL { crate::errno::ENOTTY } else { e })?;
            match lock {
                Some(0) => Ok(0),
                // A pair cannot be locked again on NetBSD: refused rather than pretended.
                Some(_) => Err(EINVAL),
                None => {
                    let sn = &names[8 + 1024..];
                    let sn = &sn[..sn.iter().position(|b| *b == 0).unwrap_or(sn.len())];
                    let n = core::str::from_utf8(sn).ok().and_then(|s| s.strip_prefix("/dev/pts/")).and_then(|s| s.parse::<u32>().ok());
                    ctx.write_struct(arg, &n.ok_or(crate::errno::ENOTTY)?)?;
                    Ok(0)
                }
            }
        }
        // No argument: the value itself travels (TIOCSCTTY's "steal" flag).
        Req::Same(n) if n & 0xe000_0000 == 0x2000_0000 => ok(ctx.nb(nb::SYS_ioctl, [fd, n as u64, arg, 0, 0, 0])?),
        Req::Same(n) => {
            // The argument is a struct winsize (8 bytes), an int or nothing; NetBSD's request encodes
            // which. Results are copied out after the call: a non-terminal answers ENOTTY first.
            let len = ((n >> 16) & 0x1fff) as usize;
            let mut buf = [0u8; 8];
            if n & 0x8000_0000 != 0 {
                buf[..len].copy_from_slice(ctx.guest_bytes(arg, len)?);
            }
            ctx.nb(nb::SYS_ioctl, [fd, n as u64, buf.as_mut_ptr() as u64, 0, 0, 0])?;
            if n & 0x4000_0000 != 0 {
                ctx.guest_bytes_mut(arg, len)?.copy_from_slice(&buf[..len]);
            }
            Ok(0)
        }
    }
}

/// TIOCNOTTY: as Linux's disassociate_ctty, a session leader giving up its controlling
/// terminal sends SIGHUP and SIGCONT to the terminal's foreground group (the kernel only
/// records who controls what; signals are the personality's to send).
fn give_up_terminal(ctx: &mut Ctx, fd: u64) -> LxResult {
    let mut fg = 0i32;
    let had_fg = ctx.nb(nb::SYS_ioctl, [fd, nbc::ioctl::TIOCGPGRP as u64, mut_ptr(&mut fg), 0, 0, 0]).is_ok();
    let pid = ctx.nb(nb::SYS_getpid, [0; 6])?[0];
    let leader = ctx.nb(nb::SYS_getsid, [0; 6])?[0] == pid;
    ctx.nb(nb::SYS_ioctl, [fd, nbc::ioctl::TIOCNOTTY as u64, 0, 0, 0, 0])?;
    if leader && had_fg && fg > 0 {
        for sig in [crate::sys::signal::SIGHUP, crate::sys::signal::SIGCONT] {
            let _ = crate::sys::signal::kernel_kill_group(ctx, fg, sig);
        }
    }
    Ok(0)
}

// ---------------------------------------------------------------------------------------------
// Metadata

/// Stats `p` relative to `dirfd` with Linux AT_* `flags` (AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW,
/// AT_NO_AUTOMOUNT), serving /proc and AT_EMPTY_PATH.
fn stat_at(ctx: &mut Ctx, dirfd: u64, p: &[u8], flags: u32) -> Result<nbs::Stat, Errno> {
    let nbf = at::flags(&at::NOFOLLOW, flags, lat::AT_EMPTY_PATH | lat::AT_NO_AUTOMOUNT)?;
    if is_empty(p) && flags & lat::AT_EMPTY_PATH != 0 {
        return if dirfd as i64 == nbc::at_flags::AT_FDCWD {
            nb_fstatat(ctx, dirfd, b".\0", 0)
        } else {
            nb_fstat(ctx, dirfd)
        };
    }
    let rebased = procfs::rebase(ctx, dirfd, p);
    let p = rebased.as_deref().unwrap_or(p);
    if procfs::owns(p) {
        return procfs::stat(ctx, p, flags & lat::AT_SYMLINK_NOFOLLOW == 0);
    }
    nb_fstatat(ctx, dirfd, p, nbf)
}

fn put_stat(ctx: &Ctx, addr: u64, st: &nbs::Stat) -> LxResult {
    ctx.write_struct::<Stat>(addr, &xlat::stat::to_linux(st))?;
    Ok(0)
}

fn stat(ctx: &mut Ctx) -> LxResult {
    let p = path(ctx, 0)?;
    let st = stat_at(ctx, at::dirfd(at::AT_FDCWD as u64), &p, 0)?;
    put_stat(ctx, ctx.args[1], &st)
}

fn lstat(ctx: &mut Ctx) -> LxResult {
    let p = path(ctx, 0)?;
    let st = stat_at(ctx, at::dirfd(at::AT_FDCWD as u64), &p, lat::AT_SYMLINK_NOFOLLOW)?;
    put_stat(ctx, ctx.args[1], &st)
}

fn fstat(ctx: &mut Ctx) -> LxResult {
    let st = nb_fstat(ctx, int(ctx, 0))?;
    put_stat(ctx, ctx.args[1], &st)
}

fn newfstatat(ctx: &mut Ctx) -> LxResult {
    let p = path(ctx, 1)?;
    let st = stat_at(ctx, at::dirfd(ctx.args[0]), &p, ctx.args[3] as u32)?;
    put_stat(ctx, ctx.args[2], &st)
}

fn statx(ctx: &mut Ctx) -> LxResult {
    let flags = ctx.args[2] as u32;
    let mask = ctx.args[3] as u32;
    if mask & xlat::stat::mask::RESERVED != 0 || flags & lat::AT_STATX_SYNC_TYPE == lat::AT_STATX_SYNC_TYPE {
        return Err(EINVAL);
    }
    let p = path(ctx, 1)?;
    // The sync flags ask a network file system to refetch or not: local file systems ignore them.
    let st = stat_at(ctx, at::dirfd(ctx.args[0]), &p, flags & !lat::AT_STATX_SYNC_TYPE)?;
    ctx.write_struct(ctx.args[4], &xlat::stat::to_statx(&st))?;
    Ok(0)
}

fn access_at(ctx: &mut Ctx, dirfd: u64, pi: usize, mode: u32, flags: u32) -> LxResult {
    if mode & !7 != 0 {
        return Err(EINVAL);
    }
    let nbf = at::flags(&at::ACCESS, flags, 0)?;
    let p = path(ctx, pi)?;
    let p = procfs::rebase(ctx, dirfd, &p).unwrap_or(p);
    if procfs::owns(&p) {
        return procfs::access(ctx, &p, mode);
    }
    ok(ctx.nb(nb::SYS_faccessat, [dirfd, p.as_ptr() as u64, mode as u64, nbf as u64, 0, 0])?)
}

fn access(ctx: &mut Ctx) -> LxResult {
    access_at(ctx, at::dirfd(at::AT_FDCWD as u64), 0, ctx.args[1] as u32, 0)
}

fn faccessat(ctx: &mut Ctx) -> LxResult {
    access_at(ctx, at::dirfd(ctx.args[0]), 1, ctx.args[2] as u32, 0)
}

fn faccessat2(ctx: &mut Ctx) -> LxResult {
    access_at(ctx, at::dirfd(ctx.args[0]), 1, ctx.args[2] as u32, ctx.args[3] as u32)
}

/// NetBSD statvfs1 flag: wait for fresh figures (ST_WAIT).
const ST_WAIT: u64 = 1;

fn put_statfs(ctx: &Ctx, addr: u64, s: &nbs::Statvfs) -> LxResult {
    ctx.write_struct(addr, &xlat::statfs::to_linux(s))?;
    Ok(0)
}

fn statfs(ctx: &mut Ctx) -> LxResult {
    let p = path(ctx, 0)?;
    if procfs::owns(&p) {
        let s = procfs::statfs(ctx, &p)?;
        ctx.write_struct(ctx.args[1], &s)?;
        return Ok(0);
    }
    let mut s = alloc::boxed::Box::new(nbs::Statvfs::default());
    ctx.nb(nb::SYS_statvfs1, [p.as_ptr() as u64, mut_ptr(&mut *s), ST_WAIT, 0, 0, 0])?;
    put_statfs(ctx, ctx.args[1], &s)
}

fn fstatfs(ctx: &mut Ctx) -> LxResult {
    let mut s = alloc::boxed::Box::new(nbs::Statvfs::default());
    ctx.nb(nb::SYS_fstatvfs1, [int(ctx, 0), mut_ptr(&mut *s), ST_WAIT, 0, 0, 0])?;
    put_statfs(ctx, ctx.args[1], &s)
}

// ---------------------------------------------------------------------------------------------
// Directories

/// Directory offsets too large to sit in a cookie, per (personality, fd): cookies name them by
/// their index here (see `xlat::dirent`). An entry lives as long as the process; a cookie used on
/// another descriptor than the one that produced it is EINVAL.
static LARGE_BATCHES: spin::Mutex<BTreeMap<(usize, i32), LargeBatches>> = spin::Mutex::new(BTreeMap::new());

#[derive(Default)]
struct LargeBatches {
    offsets: Vec<u64>,
    index: hashbrown::HashMap<u64, u64>,
}

fn dir_key(ctx: &Ctx, fd: u64) -> (usize, i32) {
    (ctx.p as *const _ as usize, fd as i32)
}

/// How cookies name a batch read from NetBSD directory offset `start`.
fn batch_of(ctx: &Ctx, fd: u64, start: u64) -> dirent::Batch {
    let b = dirent::Batch::Offset(start);
    if b.base().is_some() {
        return b;
    }
    let mut t = LARGE_BATCHES.lock();
    let e = t.entry(dir_key(ctx, fd)).or_default();
    let next = e.offsets.len() as u64;
    let i = *e.index.entry(start).or_insert(next);
    if i == next {
        e.offsets.push(start);
    }
    dirent::Batch::Table(i)
}

/// The NetBSD offset a cookie's batch was read from.
fn batch_start(ctx: &Ctx, fd: u64, b: dirent::Batch) -> Result<u64, Errno> {
    match b {
        dirent::Batch::Offset(o) => Ok(o),
        dirent::Batch::Table(i) => {
            let t = LARGE_BATCHES.lock();
            t.get(&dir_key(ctx, fd)).and_then(|e| e.offsets.get(i as usize).copied()).ok_or(EINVAL)
        }
    }
}

fn read_dir(ctx: &mut Ctx, fmt: dirent::Format) -> LxResult {
    let fd = int(ctx, 0);
    let (out_addr, out_len) = (ctx.args[1], ctx.args[2] as u32 as usize);
    let out = ctx.guest_bytes_mut(out_addr, out_len)?;
    // A pipe or socket cannot seek; Linux's answer for it is that it is not a directory.
    let start = nb_lseek(ctx, fd, 0, lseek_::SEEK_CUR).map_err(|e| if e == ESPIPE { crate::errno::ENOTDIR } else { e })?;
    let mut want = dirent::netbsd_request(out_len);
    let mut buf = alloc::vec![0u8; want.max(dirent::MAX_BATCH_BYTES.min(out_len))];
    loop {
        let got = match ctx.nb(nb::SYS___getdents30, [fd, buf.as_mut_ptr() as u64, want as u64, 0, 0, 0]) {
            Ok(r) => r[0] as usize,
            // Too small for NetBSD's next record, which might still fit the Linux buffer.
            Err(e) if e == EINVAL && want < out_len.min(buf.len()) => {
                want = out_len.min(buf.len());
                continue;
            }
            Err(e) => return Err(e),
        };
        if got == 0 {
            return Ok(0);
        }
        let end = nb_lseek(ctx, fd, 0, lseek_::SEEK_CUR)?;
        let batch = batch_of(ctx, fd, start);
        let c = dirent::convert(&buf[..got], out, fmt, batch, end).map_err(|_| crate::errno::EIO)?;
        if c.all {
            return Ok(c.linux_len as u64);
        }
        // Give back what did not fit: consume exactly the records converted.
        if c.records == 0 {
            nb_lseek(ctx, fd, start as i64, lseek_::SEEK_SET)?;
            return Err(EINVAL);
        }
        let sizes: Vec<usize> = dirent::records(&buf[..got]).take(c.records).filter_map(|r| r.ok()).map(|r| r.reclen).collect();
        consume_records(ctx, fd, start, &sizes)?;
        return Ok(c.linux_len as u64);
    }
}

fn getdents64(ctx: &mut Ctx) -> LxResult {
    read_dir(ctx, dirent::Format::Dirent64)
}

fn getdents(ctx: &mut Ctx) -> LxResult {
    read_dir(ctx, dirent::Format::Dirent)
}

// ---------------------------------------------------------------------------------------------
// Names

fn mkdir(ctx: &mut Ctx) -> LxResult {
    with_paths(ctx, nb::SYS_mkdir, &[0])
}

fn mkdirat(ctx: &mut Ctx) -> LxResult {
    ctx.args[0] = at::dirfd(ctx.args[0]);
    with_paths(ctx, nb::SYS_mkdirat, &[1])
}

fn rmdir(ctx: &mut Ctx) -> LxResult {
    with_paths(ctx, nb::SYS_rmdir, &[0])
}

fn unlink(ctx: &mut Ctx) -> LxResult {
    let r = with_paths(ctx, nb::SYS_unlink, &[0]);
    dir_is_eisdir(ctx, r, at::dirfd(at::AT_FDCWD as u64), 0)
}

fn unlinkat(ctx: &mut Ctx) -> LxResult {
    ctx.args[0] = at::dirfd(ctx.args[0]);
    ctx.args[2] = at::flags(&at::UNLINK, ctx.args[2] as u32, 0)? as u64;
    let r = with_paths(ctx, nb::SYS_unlinkat, &[1]);
    if ctx.args[2] != 0 {
        return r;
    }
    dir_is_eisdir(ctx, r, ctx.args[0], 1)
}

/// NetBSD refuses to unlink a directory with EPERM (POSIX's answer); Linux says EISDIR.
fn dir_is_eisdir(ctx: &mut Ctx, r: LxResult, dirfd: u64, pi: usize) -> LxResult {
    if r != Err(crate::errno::EPERM) {
        return r;
    }
    let p = path(ctx, pi)?;
    match nb_fstatat(ctx, dirfd, &p, nbc::at_flags::AT_SYMLINK_NOFOLLOW) {
        Ok(st) if s_is_dir(&st) => Err(crate::errno::EISDIR),
        _ => r,
    }
}

fn rename(ctx: &mut Ctx) -> LxResult {
    with_paths(ctx, nb::SYS_rename, &[0, 1])
}

fn renameat(ctx: &mut Ctx) -> LxResult {
    ctx.args[0] = at::dirfd(ctx.args[0]);
    ctx.args[2] = at::dirfd(ctx.args[2]);
    with_paths(ctx, nb::SYS_renameat, &[1, 3])
}

/// Linux RENAME_* flags.
const RENAME_NOREPLACE: u32 = 1;

fn renameat2(ctx: &mut Ctx) -> LxResult {
    match ctx.args[4] as u32 {
        0 => {}
        RENAME_NOREPLACE => {
            // NetBSD has no renameat2: look first, then rename. A file created by someone else
            // between the two is replaced; Linux would have answered EEXIST.
            let p = path(ctx, 3)?;
            match nb_fstatat(ctx, at::dirfd(ctx.args[2]), &p, nbc::at_flags::AT_SYMLINK_NOFOLLOW) {
                Ok(_) => return Err(EEXIST),
                Err(e) if e == ENOENT => {}
                Err(e) => return Err(e),
            }
        }
        _ => return Err(EINVAL),
    }
    renameat(ctx)
}

fn link(ctx: &mut Ctx) -> LxResult {
    // Linux's link(2) does not follow a symlink source: linkat without AT_SYMLINK_FOLLOW.
    let fdcwd = at::dirfd(at::AT_FDCWD as u64);
    ctx.args = [fdcwd, ctx.args[0], fdcwd, ctx.args[1], 0, 0];
    with_paths(ctx, nb::SYS_linkat, &[1, 3])
}

fn linkat(ctx: &mut Ctx) -> LxResult {
    ctx.args[0] = at::dirfd(ctx.args[0]);
    ctx.args[2] = at::dirfd(ctx.args[2]);
    ctx.args[4] = at::flags(&at::LINK, ctx.args[4] as u32, 0)? as u64;
    with_paths(ctx, nb::SYS_linkat, &[1, 3])
}

/// Linux refuses an empty link target (ENOENT); NetBSD's file systems store one.
fn refuse_empty_target(ctx: &Ctx) -> Result<(), Errno> {
    if path(ctx, 0)?.first().is_none_or(|&b| b == 0) {
        return Err(ENOENT);
    }
    Ok(())
}

fn symlink(ctx: &mut Ctx) -> LxResult {
    refuse_empty_target(ctx)?;
    with_paths(ctx, nb::SYS_symlink, &[0, 1])
}

fn symlinkat(ctx: &mut Ctx) -> LxResult {
    refuse_empty_target(ctx)?;
    ctx.args[1] = at::dirfd(ctx.args[1]);
    with_paths(ctx, nb::SYS_symlinkat, &[0, 2])
}

fn readlink_at(ctx: &mut Ctx, dirfd: u64, pi: usize) -> LxResult {
    let (buf, size) = (ctx.args[pi + 1], ctx.int(pi + 2));
    if size <= 0 {
        return Err(EINVAL);
    }
    let p = path(ctx, pi)?;
    let p = procfs::rebase(ctx, dirfd, &p).unwrap_or(p);
    // Into our buffer first: Linux answers EINVAL for a non-link before it looks at `buf`.
    let target = if procfs::owns(&p) {
        procfs::readlink(ctx, &p)?
    } else {
        let mut t = alloc::vec![0u8; (size as usize).min(4096)];
        let n = ctx.nb(nb::SYS_readlinkat, [dirfd, p.as_ptr() as u64, t.as_mut_ptr() as u64, t.len() as u64, 0, 0])?[0];
        t.truncate(n as usize);
        t
    };
    let n = target.len().min(size as usize);
    ctx.guest_bytes_mut(buf, n)?.copy_from_slice(&target[..n]);
    Ok(n as u64)
}

fn readlink(ctx: &mut Ctx) -> LxResult {
    readlink_at(ctx, at::dirfd(at::AT_FDCWD as u64), 0)
}

fn readlinkat(ctx: &mut Ctx) -> LxResult {
    readlink_at(ctx, at::dirfd(ctx.args[0]), 1)
}

fn getcwd(ctx: &mut Ctx) -> LxResult {
    // Into our buffer: Linux writes only the path, however large the size the caller gives.
    // NetBSD's __getcwd, like Linux's getcwd, returns the length with the NUL.
    let (buf, size) = (ctx.args[0], ctx.args[1] as usize);
    let mut path = alloc::vec![0u8; size.min(4096)];
    let n = ctx.nb(nb::SYS___getcwd, [path.as_mut_ptr() as u64, path.len() as u64, 0, 0, 0, 0])?[0] as usize;
    ctx.guest_bytes_mut(buf, n)?.copy_from_slice(&path[..n]);
    Ok(n as u64)
}

fn chdir(ctx: &mut Ctx) -> LxResult {
    with_paths(ctx, nb::SYS_chdir, &[0])
}

/// mknod by file type: FIFOs through mkfifoat, regular files through an exclusive create (what
/// Linux's mknod makes of S_IFREG), devices and sockets through NetBSD's mknodat.
fn make_node(ctx: &mut Ctx, dirfd: u64, pi: usize, mode: u32, dev: u64) -> LxResult {
    use crate::consts::stat_mode as lm;
    let p = path(ctx, pi)?;
    let pp = p.as_ptr() as u64;
    let perm = (mode & 0o7777) as u64;
    match mode & lm::S_IFMT {
        lm::S_IFIFO => ok(ctx.nb(nb::SYS_mkfifoat, [dirfd, pp, perm, 0, 0, 0])?),
        0 | lm::S_IFREG => {
            let f = nbc::open_flags::O_CREAT | nbc::open_flags::O_EXCL | nbc::open_flags::O_WRONLY;
            let fd = ctx.nb(nb::SYS_openat, [dirfd, pp, f as u64, perm, 0, 0])?[0];
            ctx.nb(nb::SYS_close, [fd, 0, 0, 0, 0, 0])?;
            Ok(0)
        }
        lm::S_IFCHR | lm::S_IFBLK | lm::S_IFSOCK => {
            let (ma, mi) = xlat::stat::linux_dev_split(dev);
            let nb_dev = xlat::stat::netbsd_dev(ma, mi);
            ok(ctx.nb(nb::SYS_mknodat, [dirfd, pp, mode as u64, 0, nb_dev, 0])?)
        }
        // Linux refuses directories here (mkdir makes them) and unknown types.
        lm::S_IFDIR => Err(crate::errno::EPERM),
        _ => Err(EINVAL),
    }
}

fn mknod(ctx: &mut Ctx) -> LxResult {
    make_node(ctx, at::dirfd(at::AT_FDCWD as u64), 0, ctx.args[1] as u32, ctx.args[2] as u32 as u64)
}

fn mknodat(ctx: &mut Ctx) -> LxResult {
    make_node(ctx, at::dirfd(ctx.args[0]), 1, ctx.args[2] as u32, ctx.args[3] as u32 as u64)
}

// ---------------------------------------------------------------------------------------------
// Permissions and owners

fn chmod(ctx: &mut Ctx) -> LxResult {
    with_paths(ctx, nb::SYS_chmod, &[0])
}

fn fchmodat(ctx: &mut Ctx) -> LxResult {
    // Linux's fchmodat has no flags argument; NetBSD's does.
    ctx.args = [at::dirfd(ctx.args[0]), ctx.args[1], ctx.args[2], 0, 0, 0];
    with_paths(ctx, nb::SYS_fchmodat, &[1])
}

fn fchmodat2(ctx: &mut Ctx) -> LxResult {
    let flags = ctx.args[3] as u32;
    let nbf = at::flags(&at::NOFOLLOW, flags, lat::AT_EMPTY_PATH)?;
    let p = path(ctx, 1)?;
    let mode = ctx.args[2] & 0o7777;
    if is_empty(&p) && flags & lat::AT_EMPTY_PATH != 0 {
        return ok(ctx.nb(nb::SYS_fchmod, [int(ctx, 0), mode, 0, 0, 0, 0])?);
    }
    ok(ctx.nb(nb::SYS_fchmodat, [at::dirfd(ctx.args[0]), p.as_ptr() as u64, mode, nbf as u64, 0, 0])?)
}

fn chown(ctx: &mut Ctx) -> LxResult {
    with_paths(ctx, nb::SYS_chown, &[0])
}

fn lchown(ctx: &mut Ctx) -> LxResult {
    with_paths(ctx, nb::SYS_lchown, &[0])
}

fn fchownat(ctx: &mut Ctx) -> LxResult {
    let flags = ctx.args[4] as u32;
    let nbf = at::flags(&at::NOFOLLOW, flags, lat::AT_EMPTY_PATH)?;
    let p = path(ctx, 1)?;
    let (uid, gid) = (int(ctx, 2), int(ctx, 3));
    if is_empty(&p) && flags & lat::AT_EMPTY_PATH != 0 {
        return ok(ctx.nb(nb::SYS_fchown, [int(ctx, 0), uid, gid, 0, 0, 0])?);
    }
    ok(ctx.nb(nb::SYS_fchownat, [at::dirfd(ctx.args[0]), p.as_ptr() as u64, uid, gid, nbf as u64, 0])?)
}

fn umask(ctx: &mut Ctx) -> LxResult {
    // Linux keeps only the permission bits; NetBSD would keep setuid/setgid/sticky too.
    ok(ctx.nb(nb::SYS_umask, [ctx.args[0] & 0o777, 0, 0, 0, 0, 0])?)
}

// ---------------------------------------------------------------------------------------------
// Times

/// utimensat with the times already in NetBSD form (None = now). A null path means `dirfd` itself.
fn set_times(ctx: &mut Ctx, dirfd: u64, path_addr: u64, times: Option<[nbs::Timespec; 2]>, flags: u32) -> LxResult {
    let tp = times.as_ref().map(|t| t.as_ptr() as u64).unwrap_or(0);
    if path_addr == 0 {
        if flags != 0 {
            return Err(EINVAL);
        }
        return ok(ctx.nb(nb::SYS_futimens, [dirfd, tp, 0, 0, 0, 0])?);
    }
    let nbf = at::flags(&at::NOFOLLOW, flags, lat::AT_EMPTY_PATH)?;
    let p = ctx.guest_cstr(path_addr)?;
    if is_empty(&p) && flags & lat::AT_EMPTY_PATH != 0 {
        return ok(ctx.nb(nb::SYS_futimens, [dirfd, tp, 0, 0, 0, 0])?);
    }
    ok(ctx.nb(nb::SYS_utimensat, [dirfd, p.as_ptr() as u64, tp, nbf as u64, 0, 0])?)
}

fn utimensat(ctx: &mut Ctx) -> LxResult {
    // struct timespec and UTIME_NOW/UTIME_OMIT are the same on both sides.
    let times = match ctx.args[2] {
        0 => None,
        a => {
            let t: [Timespec; 2] = ctx.read_struct(a)?;
            Some(t.map(|t| nbs::Timespec { tv_sec: t.tv_sec, tv_nsec: t.tv_nsec }))
        }
    };
    set_times(ctx, at::dirfd(ctx.args[0]), ctx.args[1], times, ctx.args[3] as u32)
}

fn timevals(ctx: &Ctx, addr: u64) -> Result<Option<[nbs::Timespec; 2]>, Errno> {
    if addr == 0 {
        return Ok(None);
    }
    let tv: [Timeval; 2] = ctx.read_struct(addr)?;
    let mut out = [nbs::Timespec::default(); 2];
    for (o, t) in out.iter_mut().zip(tv) {
        if !(0..1_000_000).contains(&t.tv_usec) {
            return Err(EINVAL);
        }
        *o = nbs::Timespec { tv_sec: t.tv_sec, tv_nsec: t.tv_usec * 1000 };
    }
    Ok(Some(out))
}

fn futimesat(ctx: &mut Ctx) -> LxResult {
    let t = timevals(ctx, ctx.args[2])?;
    set_times(ctx, at::dirfd(ctx.args[0]), ctx.args[1], t, 0)
}

fn utimes(ctx: &mut Ctx) -> LxResult {
    if ctx.args[0] == 0 {
        return Err(EFAULT);
    }
    let t = timevals(ctx, ctx.args[1])?;
    set_times(ctx, at::dirfd(at::AT_FDCWD as u64), ctx.args[0], t, 0)
}

fn utime(ctx: &mut Ctx) -> LxResult {
    if ctx.args[0] == 0 {
        return Err(EFAULT);
    }
    // struct utimbuf: actime, modtime (seconds).
    let t = match ctx.args[1] {
        0 => None,
        a => {
            let [at_, mt]: [i64; 2] = ctx.read_struct(a)?;
            Some([nbs::Timespec { tv_sec: at_, tv_nsec: 0 }, nbs::Timespec { tv_sec: mt, tv_nsec: 0 }])
        }
    };
    set_times(ctx, at::dirfd(at::AT_FDCWD as u64), ctx.args[0], t, 0)
}

// ---------------------------------------------------------------------------------------------
// Copies and hints

const COPY_CHUNK: usize = 64 * 1024;

/// Where a copy reads from or writes to: the fd's own offset, or an explicit one (pread/pwrite)
/// that the caller gets back updated.
struct End {
    fd: u64,
    off: Option<i64>,
}

impl End {
    fn read(&mut self, ctx: &mut Ctx, buf: &mut [u8]) -> Result<usize, Errno> {
        let (p, n) = (buf.as_mut_ptr() as u64, buf.len() as u64);
        let r = match self.off {
            None => ctx.nb(nb::SYS_read, [self.fd, p, n, 0, 0, 0])?,
            Some(o) => ctx.nb(nb::SYS_pread, [self.fd, p, n, 0, o as u64, 0])?,
        };
        Ok(r[0] as usize)
    }

    fn write(&mut self, ctx: &mut Ctx, buf: &[u8]) -> Result<usize, Errno> {
        let (p, n) = (buf.as_ptr() as u64, buf.len() as u64);
        let r = match self.off {
            None => ctx.nb(nb::SYS_write, [self.fd, p, n, 0, 0, 0])?,
            Some(o) => ctx.nb(nb::SYS_pwrite, [self.fd, p, n, 0, o as u64, 0])?,
        };
        Ok(r[0] as usize)
    }

    fn advance(&mut self, n: usize) {
        if let Some(o) = self.off.as_mut() {
            *o += n as i64;
        }
    }
}

/// Copies up to `len` bytes; stops early at end of input or a short write. An error after some
/// bytes moved ends the copy with that count, as Linux reports partial transfers.
fn copy_loop(ctx: &mut Ctx, src: &mut End, dst: &mut End, len: usize) -> LxResult {
    let mut buf = alloc::vec![0u8; COPY_CHUNK.min(len.max(1))];
    let mut done = 0usize;
    while done < len {
        let want = buf.len().min(len - done);
        let got = match src.read(ctx, &mut buf[..want]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        };
        src.advance(got);
        // A short read is all there is for now (the end of a file, what a socket had).
        let short = got < want;
        let mut put = 0;
        while put < got {
            match dst.write(ctx, &buf[put..got]) {
                Ok(0) => break,
                Ok(n) => {
                    dst.advance(n);
                    put += n;
                }
                Err(e) if done + put == 0 => {
                    src.unread(ctx, got)?;
                    return Err(e);
                }
                Err(_) => break,
            }
        }
        done += put;
        if put < got {
            src.unread(ctx, got - put)?;
            break;
        }
        if short {
            break;
        }
    }
    Ok(done as u64)
}

impl End {
    /// Gives back `n` bytes read but not written, so the input position says what was copied.
    fn unread(&mut self, ctx: &mut Ctx, n: usize) -> Result<(), Errno> {
        match self.off.as_mut() {
            Some(o) => *o -= n as i64,
            None => {
                nb_lseek(ctx, self.fd, -(n as i64), lseek_::SEEK_CUR)?;
            }
        }
        Ok(())
    }
}

fn read_off(ctx: &Ctx, addr: u64) -> Result<Option<i64>, Errno> {
    if addr == 0 {
        return Ok(None);
    }
    let o: i64 = ctx.read_struct(addr)?;
    if o < 0 {
        return Err(EINVAL);
    }
    Ok(Some(o))
}

fn sendfile(ctx: &mut Ctx) -> LxResult {
    let off_addr = ctx.args[2];
    let mut src = End { fd: int(ctx, 1), off: read_off(ctx, off_addr)? };
    let mut dst = End { fd: int(ctx, 0), off: None };
    if off_addr != 0 {
        ctx.check(off_addr, 8, Access::Write)?;
    }
    // Linux reads only what can splice: files, sockets, devices and terminals, not pipes
    // (programs fall back to read and write on EINVAL).
    if nb_fstat(ctx, src.fd)?.st_mode & nbc::stat_mode::S_IFMT == nbc::stat_mode::S_IFIFO {
        return Err(EINVAL);
    }
    let n = copy_loop(ctx, &mut src, &mut dst, ctx.args[3] as usize)?;
    if let Some(o) = src.off {
        ctx.write_struct(off_addr, &o)?;
    }
    Ok(n)
}

fn copy_file_range(ctx: &mut Ctx) -> LxResult {
    if ctx.args[5] != 0 {
        return Err(EINVAL);
    }
    let (in_fd, out_fd) = (int(ctx, 0), int(ctx, 2));
    let (in_addr, out_addr) = (ctx.args[1], ctx.args[3]);
    let len = ctx.args[4] as usize;
    let mut src = End { fd: in_fd, off: read_off(ctx, in_addr)? };
    let mut dst = End { fd: out_fd, off: read_off(ctx, out_addr)? };
    for a in [in_addr, out_addr] {
        if a != 0 {
            ctx.check(a, 8, Access::Write)?;
        }
    }
    let (si, so) = (nb_fstat(ctx, in_fd)?, nb_fstat(ctx, out_fd)?);
    let regular = |s: &nbs::Stat| s.st_mode & nbc::stat_mode::S_IFMT == nbc::stat_mode::S_IFREG;
    if s_is_dir(&si) || s_is_dir(&so) {
        return Err(crate::errno::EISDIR);
    }
    if !regular(&si) || !regular(&so) {
        return Err(EINVAL);
    }
    if si.st_dev == so.st_dev && si.st_ino == so.st_ino {
        // Same file: Linux refuses overlapping ranges.
        let a = match src.off { Some(o) => o, None => nb_lseek(ctx, in_fd, 0, lseek_::SEEK_CUR)? as i64 };
        let b = match dst.off { Some(o) => o, None => nb_lseek(ctx, out_fd, 0, lseek_::SEEK_CUR)? as i64 };
        if a < b.saturating_add(len as i64) && b < a.saturating_add(len as i64) {
            return Err(EINVAL);
        }
    }
    let n = copy_loop(ctx, &mut src, &mut dst, len)?;
    if let Some(o) = src.off {
        ctx.write_struct(in_addr, &o)?;
    }
    if let Some(o) = dst.off {
        ctx.write_struct(out_addr, &o)?;
    }
    Ok(n)
}

fn s_is_dir(s: &nbs::Stat) -> bool {
    s.st_mode & nbc::stat_mode::S_IFMT == nbc::stat_mode::S_IFDIR
}

fn syncfs(ctx: &mut Ctx) -> LxResult {
    // EBADF for a closed descriptor, as Linux checks it.
    ctx.nb(nb::SYS_fcntl, [int(ctx, 0), nbc::fcntl_cmd::F_GETFD as u64, 0, 0, 0, 0])?;
    ok(ctx.nb(nb::SYS_sync, [0; 6])?)
}

/// Linux SYNC_FILE_RANGE_WAIT_BEFORE | WRITE | WAIT_AFTER.
const SYNC_FILE_RANGE_ALL: u32 = 7;

fn sync_file_range(ctx: &mut Ctx) -> LxResult {
    let (off, len) = (ctx.args[1] as i64, ctx.args[2] as i64);
    if ctx.args[3] as u32 & !SYNC_FILE_RANGE_ALL != 0 || off < 0 || len < 0 || off.checked_add(len).is_none() {
        return Err(EINVAL);
    }
    ok(ctx.nb(nb::SYS_fdatasync, [int(ctx, 0), 0, 0, 0, 0, 0])?)
}

/// Linux close_range flags.
const CLOSE_RANGE_UNSHARE: u32 = 2;
const CLOSE_RANGE_CLOEXEC: u32 = 4;

fn close_range(ctx: &mut Ctx) -> LxResult {
    let (first, last, flags) = (ctx.args[0] as u32, ctx.args[1] as u32, ctx.args[2] as u32);
    if flags & !(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC) != 0 || first > last {
        return Err(EINVAL);
    }
    if flags & CLOSE_RANGE_UNSHARE != 0 {
        return Err(EINVAL);
    }
    let max = ctx.nb(nb::SYS_fcntl, [0, nbc::fcntl_cmd::F_MAXFD as u64, 0, 0, 0, 0])?[0] as i64;
    let last = (last as i64).min(max);
    for fd in first as i64..=last {
        // Gaps in the table are not errors.
        let _ = if flags & CLOSE_RANGE_CLOEXEC != 0 {
            ctx.nb(nb::SYS_fcntl, [fd as u64, nbc::fcntl_cmd::F_SETFD as u64, 1, 0, 0, 0])
        } else {
            ctx.nb(nb::SYS_close, [fd as u64, 0, 0, 0, 0, 0])
        };
    }
    Ok(0)
}

fn readahead(ctx: &mut Ctx) -> LxResult {
    // POSIX_FADV_WILLNEED is readahead by another name.
    let r = ctx.nb(nb::SYS___posix_fadvise50, [int(ctx, 0), 0, ctx.args[1], ctx.args[2], 3, 0])?;
    errno_in_result(r)
}

fn fadvise64(ctx: &mut Ctx) -> LxResult {
    // POSIX_FADV_* values 0..=5 are the same on both sides.
    let advice = ctx.int(3);
    if !(0..=5).contains(&advice) {
        return Err(EINVAL);
    }
    let r = ctx.nb(nb::SYS___posix_fadvise50, [int(ctx, 0), 0, ctx.args[1], ctx.args[2], advice as u64, 0])?;
    errno_in_result(r)
}

/// NetBSD's posix_fadvise and posix_fallocate succeed as syscalls and answer the error number as
/// their value, like the libc functions.
fn errno_in_result(r: [u64; 2]) -> LxResult {
    match r[0] as i32 {
        0 => Ok(0),
        e => Err(xlat::errno::from_netbsd(abi_netbsd::Errno(e))),
    }
}

/// Linux FALLOC_FL_KEEP_SIZE.
const FALLOC_FL_KEEP_SIZE: i32 = 1;

fn fallocate(ctx: &mut Ctx) -> LxResult {
    let (fd, mode) = (int(ctx, 0), ctx.int(1));
    let (off, len) = (ctx.args[2] as i64, ctx.args[3] as i64);
    if mode & !FALLOC_FL_KEEP_SIZE != 0 {
        // Punching holes, zeroing, collapsing, inserting, unsharing.
        return Err(EOPNOTSUPP);
    }
    if off < 0 || len <= 0 {
        return Err(EINVAL);
    }
    if mode == FALLOC_FL_KEEP_SIZE {
        // posix_fallocate grows the file: the bridge's extension allocates without doing so.
        let r = [off, len];
        return ok(ctx.nb(nb::SYS_fcntl, [fd, rumpkernel_bridge::ext::F_ALLOCATE_KEEPSIZE as u64, ptr(&r), 0, 0, 0])?);
    }
    let r = ctx.nb(nb::SYS_posix_fallocate, [fd, 0, off as u64, len as u64, 0, 0])?;
    errno_in_result(r)
}
