//! NetBSD syscalls of the embedded kernel, dispatched by number.
//!
//! Arguments follow `syscalls.master` including PAD slots. Pointers are addresses in this address
//! space that the caller has validated; a null pointer where one is required is EFAULT.
#![allow(non_upper_case_globals)]

use super::file::{FdEntry, HostType, MemRef, Object, OpenFile, SETFL_MASK};
use super::hypercall::{self, LockCmd, TcsetWhen, TtyOp};
use super::vfs::{self, Opened, Resolved};
use super::ctty::{self, Access};
use super::{lock, name, time, Current, EmbeddedKernel};
use crate::ext;
use abi_netbsd::consts::{
    access_mode as am, at_flags as at, fcntl_cmd as fc, ioctl as io, limits, open_flags as of,
    rlimit as rl, seek_whence as sw, stat_mode as m,
};
use abi_netbsd::errno as ne;
use abi_netbsd::nr::*;
use abi_netbsd::structs::{
    Flock, Iovec, Rlimit, Stat, Statvfs, Termios, Timespec, Timeval, Winsize,
};
use abi_netbsd::{Errno, SysResult};
use std::sync::Arc;

pub(super) type R<T> = Result<T, Errno>;

pub(super) fn ok(v: u64) -> SysResult {
    Ok([v, 0])
}

// ---------------------------------------------------------------------------------------------
// Guest memory (this address space).

/// A NUL-terminated path of at most PATH_MAX bytes.
pub(super) fn path_arg(addr: u64) -> R<String> {
    if addr == 0 {
        return Err(ne::EFAULT);
    }
    let max = limits::PATH_MAX as usize;
    if let Some(pid) = crate::uaccess::client() {
        // Read the client's string a page at a time, up to its NUL.
        let mut v = Vec::new();
        let mut at = addr;
        while v.len() < max {
            let chunk = (4096 - (at % 4096) as usize).min(max - v.len());
            let mut page = vec![0u8; chunk];
            crate::uaccess::read_remote(pid, at, &mut page)?;
            if let Some(end) = page.iter().position(|b| *b == 0) {
                v.extend_from_slice(&page[..end]);
                return Ok(name::decode(&v));
            }
            v.extend_from_slice(&page);
            at += chunk as u64;
        }
        return Err(ne::ENAMETOOLONG);
    }
    let mut v = Vec::new();
    for i in 0..max {
        // SAFETY: the caller validated the string; we stop at its NUL.
        let b = unsafe { *((addr as usize + i) as *const u8) };
        if b == 0 {
            return Ok(name::decode(&v));
        }
        v.push(b);
    }
    Err(ne::ENAMETOOLONG)
}

pub(super) fn get<T: Copy>(addr: u64) -> R<T> {
    if addr == 0 {
        return Err(ne::EFAULT);
    }
    if let Some(pid) = crate::uaccess::client() {
        let mut v = std::mem::MaybeUninit::<T>::uninit();
        // SAFETY: T is plain data (Copy); read_remote fills every byte or fails.
        let bytes = unsafe { std::slice::from_raw_parts_mut(v.as_mut_ptr() as *mut u8, std::mem::size_of::<T>()) };
        crate::uaccess::read_remote(pid, addr, bytes)?;
        // SAFETY: fully written above.
        return Ok(unsafe { v.assume_init() });
    }
    // SAFETY: the caller validated the struct's memory.
    Ok(unsafe { std::ptr::read_unaligned(addr as *const T) })
}

pub(super) fn put<T: Copy>(addr: u64, v: T) -> R<()> {
    if addr == 0 {
        return Err(ne::EFAULT);
    }
    if let Some(pid) = crate::uaccess::client() {
        // SAFETY: viewing a plain-data value as its bytes.
        let bytes = unsafe { std::slice::from_raw_parts(&v as *const T as *const u8, std::mem::size_of::<T>()) };
        return crate::uaccess::write_remote(pid, addr, bytes);
    }
    // SAFETY: the caller validated the struct's memory.
    unsafe { std::ptr::write_unaligned(addr as *mut T, v) };
    Ok(())
}

pub(super) fn buf_mut<'a>(addr: u64, len: u64) -> R<&'a mut [u8]> {
    user_buf(addr, len, true)
}

pub(super) fn buf<'a>(addr: u64, len: u64) -> R<&'a [u8]> {
    user_buf(addr, len, false).map(|b| &*b)
}

/// The caller's `len` bytes at `addr`: in place for a local caller, a bounce buffer for a remote
/// one (copied back when the request ends if `writable`).
fn user_buf<'a>(addr: u64, len: u64, writable: bool) -> R<&'a mut [u8]> {
    if len > isize::MAX as u64 {
        return Err(ne::EINVAL);
    }
    if len == 0 {
        return Ok(&mut []);
    }
    if addr == 0 {
        return Err(ne::EFAULT);
    }
    if let Some(pid) = crate::uaccess::client() {
        return crate::uaccess::bounce(pid, addr, len as usize, writable);
    }
    // SAFETY: the caller validated buf[..len].
    Ok(unsafe { std::slice::from_raw_parts_mut(addr as *mut u8, len as usize) })
}

pub(super) fn iovecs(addr: u64, cnt: u64) -> R<Vec<Iovec>> {
    let cnt = cnt as i32;
    if cnt < 0 || cnt as u32 > limits::IOV_MAX {
        return Err(ne::EINVAL);
    }
    let v: Vec<Iovec> = (0..cnt as u64)
        .map(|i| get::<Iovec>(addr + i * 16))
        .collect::<R<_>>()?;
    let mut total: u64 = 0;
    for i in &v {
        total = total.checked_add(i.iov_len).ok_or(ne::EINVAL)?;
        if i.iov_len > 0 && i.iov_base == 0 {
            return Err(ne::EFAULT);
        }
    }
    if total > isize::MAX as u64 {
        return Err(ne::EINVAL);
    }
    if let Some(pid) = crate::uaccess::client() {
        // Point each iovec at a bounce buffer: the host calls and file code then read and write
        // ordinary memory, and what lands there goes back to the client.
        return v
            .into_iter()
            .map(|i| {
                let b = crate::uaccess::bounce(pid, i.iov_base, i.iov_len as usize, true)?;
                Ok(Iovec { iov_base: b.as_mut_ptr() as u64, iov_len: i.iov_len })
            })
            .collect();
    }
    Ok(v)
}

fn int(a: u64) -> i32 {
    a as i32
}

// ---------------------------------------------------------------------------------------------
// Helpers shared by the calls.

impl EmbeddedKernel {
    pub(super) fn file(&self, c: &Current, fd: u64) -> R<Arc<OpenFile>> {
        c.fds.lock().unwrap().get(int(fd))
    }

    /// The directory relative paths start from: cwd, or `dirfd`'s directory.
    fn base(&self, c: &Current, dirfd: u64, path: &str) -> R<String> {
        if path.starts_with('/') || int(dirfd) == at::AT_FDCWD as i32 {
            return Ok(c.cwd.to_string());
        }
        let f = self.file(c, dirfd)?;
        if !f.is_dir() {
            return Err(ne::ENOTDIR);
        }
        Ok(f.path.clone())
    }

    fn lookup(&self, c: &Current, dirfd: u64, path: &str, follow: bool) -> R<Resolved> {
        let base = self.base(c, dirfd, path)?;
        self.vfs.resolve(path, &base, follow, &c.ctx())
    }

    /// A path ending in `/` must name a directory.
    fn check_trailing_slash(&self, c: &Current, r: &Resolved, path: &str) -> R<()> {
        if path.ends_with('/') && path.len() > 1 {
            let st = r.mount.fs.stat(&r.rel, true, &c.ctx())?;
            if st.st_mode & m::S_IFMT != m::S_IFDIR {
                return Err(ne::ENOTDIR);
            }
        }
        Ok(())
    }

    fn install(&self, c: &Current, f: Arc<OpenFile>, cloexec: bool) -> R<i32> {
        c.fds
            .lock()
            .unwrap()
            .alloc(0, FdEntry { file: f, cloexec }, c.nofile)
    }

    fn dup_to(&self, c: &Current, from: i32, min: i32, cloexec: bool) -> R<i32> {
        let mut t = c.fds.lock().unwrap();
        let f = t.get(from)?;
        t.alloc(min, FdEntry { file: f, cloexec }, c.nofile)
    }

    fn stat_path(&self, c: &Current, dirfd: u64, path: &str, follow: bool) -> R<Stat> {
        let r = self.lookup(c, dirfd, path, follow)?;
        self.check_trailing_slash(c, &r, path)?;
        r.mount.fs.stat(&r.rel, follow, &c.ctx())
    }
}

fn same_fs(a: &Resolved, b: &Resolved) -> bool {
    Arc::as_ptr(&a.mount.fs) as *const () == Arc::as_ptr(&b.mount.fs) as *const ()
}

// ---------------------------------------------------------------------------------------------
// Dispatch.

pub(super) fn dispatch(k: &EmbeddedKernel, nr: u32, a: [u64; 6]) -> SysResult {
    let c = k.current();
    match nr {
        SYS_read => {
            let f = k.file(&c, a[0])?;
            tty_check(k, &f, TtyUse::Read)?;
            let b = buf_mut(a[1], a[2])?;
            if k.creds.active() {
                let iov = [Iovec { iov_base: b.as_mut_ptr() as u64, iov_len: a[2] }];
                if let Some(r) = super::socket::creds_read(k, &f, &iov) {
                    return ok(r? as u64);
                }
            }
            ok(f.read(b)? as u64)
        }
        SYS_write => {
            let f = k.file(&c, a[0])?;
            tty_check(k, &f, TtyUse::Write)?;
            let b = buf(a[1], a[2])?;
            if k.creds.active() {
                let iov = [Iovec { iov_base: b.as_ptr() as u64, iov_len: a[2] }];
                if let Some(r) = super::socket::creds_write(k, &c, &f, &iov) {
                    return ok(r? as u64);
                }
            }
            let n = f.write(b)?;
            Ok([n as u64, master_write_signals(k, &f, b[..n].iter().copied())])
        }
        SYS_readv => {
            let (f, iov) = (k.file(&c, a[0])?, iovecs(a[1], a[2])?);
            tty_check(k, &f, TtyUse::Read)?;
            if k.creds.active() {
                if let Some(r) = super::socket::creds_read(k, &f, &iov) {
                    return ok(r? as u64);
                }
            }
            ok(f.readv(&iov, None)? as u64)
        }
        SYS_writev => {
            let (f, iov) = (k.file(&c, a[0])?, iovecs(a[1], a[2])?);
            tty_check(k, &f, TtyUse::Write)?;
            if k.creds.active() {
                if let Some(r) = super::socket::creds_write(k, &c, &f, &iov) {
                    return ok(r? as u64);
                }
            }
            let n = f.writev(&iov, None)?;
            let written = iov.iter().flat_map(|v| buf(v.iov_base, v.iov_len).unwrap_or(&[]).iter().copied()).take(n);
            Ok([n as u64, master_write_signals(k, &f, written)])
        }
        SYS_pread => ok(k.file(&c, a[0])?.pread(buf_mut(a[1], a[2])?, a[4] as i64)? as u64),
        SYS_pwrite => ok(k.file(&c, a[0])?.pwrite(buf(a[1], a[2])?, a[4] as i64)? as u64),
        SYS_preadv => ok(k
            .file(&c, a[0])?
            .readv(&iovecs(a[1], a[2])?, Some(a[4] as i64))? as u64),
        SYS_pwritev => ok(k
            .file(&c, a[0])?
            .writev(&iovecs(a[1], a[2])?, Some(a[4] as i64))? as u64),
        SYS_open => sys_open(k, &c, at::AT_FDCWD as u64, a[0], a[1] as u32, a[2] as u32),
        SYS_openat => sys_open(k, &c, a[0], a[1], a[2] as u32, a[3] as u32),
        SYS_close => {
            let e = c.fds.lock().unwrap().remove(int(a[0]))?;
            e.file.closed_by(c.pid);
            drop(e); // the host close happens here, outside the table lock
            ok(0)
        }
        SYS_lseek => ok(k.file(&c, a[0])?.lseek(a[2] as i64, a[3] as u32)? as u64),
        SYS___stat50 => {
            let st = k.stat_path(&c, at::AT_FDCWD as u64, &path_arg(a[0])?, true)?;
            put(a[1], st).and(ok(0))
        }
        SYS___lstat50 => {
            let st = k.stat_path(&c, at::AT_FDCWD as u64, &path_arg(a[0])?, false)?;
            put(a[1], st).and(ok(0))
        }
        SYS___fstat50 => {
            let st = k.file(&c, a[0])?.fstat()?;
            put(a[1], st).and(ok(0))
        }
        SYS_fstatat => {
            let fl = a[3] as u32;
            if fl & !at::AT_SYMLINK_NOFOLLOW != 0 {
                return Err(ne::EINVAL);
            }
            let st = k.stat_path(
                &c,
                a[0],
                &path_arg(a[1])?,
                fl & at::AT_SYMLINK_NOFOLLOW == 0,
            )?;
            put(a[2], st).and(ok(0))
        }
        SYS_access => sys_access(k, &c, at::AT_FDCWD as u64, a[0], a[1] as u32, 0),
        SYS_faccessat => sys_access(k, &c, a[0], a[1], a[2] as u32, a[3] as u32),
        SYS___getdents30 => {
            let f = k.file(&c, a[0])?;
            ok(f.getdents(buf_mut(a[1], a[2])?)? as u64)
        }
        SYS_mkdir => sys_mkdir(k, &c, at::AT_FDCWD as u64, a[0], a[1] as u32),
        SYS_mkdirat => sys_mkdir(k, &c, a[0], a[1], a[2] as u32),
        SYS_mkfifo => sys_mkfifo(k, &c, at::AT_FDCWD as u64, a[0], a[1] as u32),
        SYS_mkfifoat => sys_mkfifo(k, &c, a[0], a[1], a[2] as u32),
        SYS_rmdir => sys_unlink(k, &c, at::AT_FDCWD as u64, a[0], true),
        SYS_unlink => sys_unlink(k, &c, at::AT_FDCWD as u64, a[0], false),
        SYS_unlinkat => {
            let fl = a[2] as u32;
            if fl & !at::AT_REMOVEDIR != 0 {
                return Err(ne::EINVAL);
            }
            sys_unlink(k, &c, a[0], a[1], fl & at::AT_REMOVEDIR != 0)
        }
        SYS_rename => sys_rename(k, &c, at::AT_FDCWD as u64, a[0], at::AT_FDCWD as u64, a[1]),
        SYS_renameat => sys_rename(k, &c, a[0], a[1], a[2], a[3]),
        SYS_link => sys_link(
            k,
            &c,
            at::AT_FDCWD as u64,
            a[0],
            at::AT_FDCWD as u64,
            a[1],
            true,
        ),
        SYS_linkat => {
            let fl = a[4] as u32;
            if fl & !at::AT_SYMLINK_FOLLOW != 0 {
                return Err(ne::EINVAL);
            }
            sys_link(
                k,
                &c,
                a[0],
                a[1],
                a[2],
                a[3],
                fl & at::AT_SYMLINK_FOLLOW != 0,
            )
        }
        SYS_symlink => sys_symlink(k, &c, a[0], at::AT_FDCWD as u64, a[1]),
        SYS_symlinkat => sys_symlink(k, &c, a[0], a[1], a[2]),
        SYS_readlink => sys_readlink(k, &c, at::AT_FDCWD as u64, a[0], a[1], a[2]),
        SYS_readlinkat => sys_readlink(k, &c, a[0], a[1], a[2], a[3]),
        SYS_chmod => sys_chmod(k, &c, at::AT_FDCWD as u64, a[0], a[1] as u32, true),
        SYS_fchmodat => sys_chmod(
            k,
            &c,
            a[0],
            a[1],
            a[2] as u32,
            a[3] as u32 & at::AT_SYMLINK_NOFOLLOW == 0,
        ),
        SYS_fchmod => {
            let f = k.file(&c, a[0])?;
            fd_meta(&f, &c, Meta::Mode(a[1] as u32)).and(ok(0))
        }
        SYS_chown => sys_chown(
            k,
            &c,
            at::AT_FDCWD as u64,
            a[0],
            a[1] as u32,
            a[2] as u32,
            true,
        ),
        SYS_lchown => sys_chown(
            k,
            &c,
            at::AT_FDCWD as u64,
            a[0],
            a[1] as u32,
            a[2] as u32,
            false,
        ),
        SYS_fchownat => {
            let follow = a[4] as u32 & at::AT_SYMLINK_NOFOLLOW == 0;
            sys_chown(k, &c, a[0], a[1], a[2] as u32, a[3] as u32, follow)
        }
        SYS_fchown => {
            let f = k.file(&c, a[0])?;
            fd_meta(&f, &c, Meta::Owner(a[1] as u32, a[2] as u32)).and(ok(0))
        }
        SYS_truncate => {
            let p = path_arg(a[0])?;
            let r = k.lookup(&c, at::AT_FDCWD as u64, &p, true)?;
            r.mount
                .fs
                .truncate(&r.rel, a[2] as i64, &c.ctx())
                .and(ok(0))
        }
        SYS_ftruncate => k.file(&c, a[0])?.ftruncate(a[2] as i64).and(ok(0)),
        SYS_fsync => k.file(&c, a[0])?.fsync(false).and(ok(0)),
        SYS_fdatasync => k.file(&c, a[0])?.fsync(true).and(ok(0)),
        SYS_utimensat => {
            let times = if a[2] == 0 {
                None
            } else {
                Some(get::<[Timespec; 2]>(a[2])?)
            };
            let p = path_arg(a[1])?;
            let follow = a[3] as u32 & at::AT_SYMLINK_NOFOLLOW == 0;
            let r = k.lookup(&c, a[0], &p, follow)?;
            r.mount
                .fs
                .utimens(&r.rel, times, follow, &c.ctx())
                .and(ok(0))
        }
        SYS_futimens => {
            let times = if a[1] == 0 {
                None
            } else {
                Some(get::<[Timespec; 2]>(a[1])?)
            };
            let f = k.file(&c, a[0])?;
            fd_meta(&f, &c, Meta::Times(times)).and(ok(0))
        }
        SYS___getcwd => {
            let len = a[1] as usize;
            if len < 2 {
                return Err(ne::ERANGE);
            }
            // A removed working directory has no name any more.
            let here = k.vfs.resolve(&c.cwd, "/", true, &c.ctx())?;
            let st = here
                .mount
                .fs
                .stat(&here.rel, true, &c.ctx())
                .map_err(|_| ne::ENOENT)?;
            if st.st_mode & m::S_IFMT != m::S_IFDIR {
                return Err(ne::ENOENT);
            }
            let cwd = name::encode(&c.cwd);
            let need = cwd.len() + 1;
            if need > len {
                return Err(ne::ERANGE);
            }
            let b = buf_mut(a[0], need as u64)?;
            b[..need - 1].copy_from_slice(&cwd);
            b[need - 1] = 0;
            ok(need as u64)
        }
        SYS_chdir => {
            let p = path_arg(a[0])?;
            let r = k.lookup(&c, at::AT_FDCWD as u64, &p, true)?;
            chdir_to(k, &c, &r)
        }
        SYS_fchdir => {
            let f = k.file(&c, a[0])?;
            if !f.is_dir() {
                return Err(ne::ENOTDIR);
            }
            let r = k.vfs.resolve(&f.path, "/", true, &c.ctx())?;
            chdir_to(k, &c, &r)
        }
        SYS_umask => {
            let new = a[0] as u32 & 0o777;
            ok(k.proc_mut(|p| std::mem::replace(&mut p.umask, new)) as u64)
        }
        SYS_dup => ok(k.dup_to(&c, int(a[0]), 0, false)? as u64),
        SYS_dup2 => sys_dup3(&c, int(a[0]), int(a[1]), false),
        SYS_dup3 => {
            let fl = a[2] as u32;
            if fl & !(of::O_CLOEXEC | of::O_NOSIGPIPE) != 0 {
                return Err(ne::EINVAL);
            }
            sys_dup3(&c, int(a[0]), int(a[1]), fl & of::O_CLOEXEC != 0)
        }
        SYS_fcntl => sys_fcntl(k, &c, int(a[0]), a[1] as u32, a[2]),
        SYS_flock => {
            let f = k.file(&c, a[0])?;
            match &f.obj {
                Object::Host {
                    fd,
                    ty: HostType::File | HostType::Dir,
                    ..
                } => hypercall::flock(fd.raw(), a[1] as u32).and(ok(0)),
                Object::MemFile(r) | Object::MemDir(r) => {
                    let how = a[1] as u32;
                    let kind = match how & !fc::LOCK_NB {
                        fc::LOCK_SH => lock::Kind::Read,
                        fc::LOCK_EX => lock::Kind::Write,
                        fc::LOCK_UN => lock::Kind::Unlock,
                        _ => return Err(ne::EINVAL),
                    };
                    let wait = how & fc::LOCK_NB == 0;
                    r.fs.locks
                        .set(r.ino, r.flock_owner(), 0, u64::MAX, kind, wait)
                        .and(ok(0))
                }
                _ => Err(ne::EOPNOTSUPP),
            }
        }
        SYS_pipe2 => sys_pipe2(&c, a[0], a[1] as u32),
        SYS_ioctl => sys_ioctl(k, &c, int(a[0]), a[1] as u32, a[2]),
        SYS_statvfs1 => {
            let p = path_arg(a[0])?;
            let r = k.lookup(&c, at::AT_FDCWD as u64, &p, true)?;
            // Make sure it exists before describing its file system.
            r.mount.fs.stat(&r.rel, true, &c.ctx())?;
            put(a[1], statvfs_of(&r.mount)?).and(ok(0))
        }
        SYS_fstatvfs1 => {
            let f = k.file(&c, a[0])?;
            if !f.path.starts_with('/') {
                return Err(ne::EINVAL);
            }
            let (mt, _) = k.vfs.find(&f.path);
            put(a[1], statvfs_of(&mt)?).and(ok(0))
        }
        SYS_posix_fallocate => {
            ok(sys_fallocate(k, &c, a[0], a[2] as i64, a[3] as i64, false).0 as u64)
        }
        SYS___posix_fadvise50 => {
            ok(sys_fadvise(k, &c, a[0], a[2] as i64, a[3] as i64, a[4] as u32).0 as u64)
        }
        SYS_getpid => {
            // The snapshot taken at the call's start, as the table would answer now.
            Ok([c.pid as u64, c.ppid as u64])
        }
        SYS_getppid => ok(c.ppid as u64),
        SYS_getuid => Ok([c.cred.ruid as u64, c.cred.euid as u64]),
        SYS_geteuid => ok(c.cred.euid as u64),
        SYS_getgid => Ok([c.cred.rgid as u64, c.cred.egid as u64]),
        SYS_getegid => ok(c.cred.egid as u64),
        SYS_getgroups => {
            let n = int(a[0]);
            let g = &c.cred.groups;
            if n == 0 {
                return ok(g.len() as u64);
            }
            if n < 0 || (n as usize) < g.len() {
                return Err(ne::EINVAL);
            }
            for (i, gid) in g.iter().enumerate() {
                put(a[1] + 4 * i as u64, *gid)?;
            }
            ok(g.len() as u64)
        }
        SYS_setuid => k.proc_mut(|p| Arc::make_mut(&mut p.cred).setuid(a[0] as u32)).and(ok(0)),
        SYS_seteuid => k.proc_mut(|p| Arc::make_mut(&mut p.cred).seteuid(a[0] as u32)).and(ok(0)),
        SYS_setgid => k.proc_mut(|p| Arc::make_mut(&mut p.cred).setgid(a[0] as u32)).and(ok(0)),
        SYS_setegid => k.proc_mut(|p| Arc::make_mut(&mut p.cred).setegid(a[0] as u32)).and(ok(0)),
        SYS_setreuid => k
            .proc_mut(|p| Arc::make_mut(&mut p.cred).setreuid(a[0] as u32, a[1] as u32))
            .and(ok(0)),
        SYS_setregid => k
            .proc_mut(|p| Arc::make_mut(&mut p.cred).setregid(a[0] as u32, a[1] as u32))
            .and(ok(0)),
        SYS_getpgrp => ok(k.proc_mut(|p| p.pgid) as u64),
        SYS_getpgid | SYS_getsid => {
            let want = int(a[0]);
            let sid = nr == SYS_getsid;
            k.with_proc(|p, pt| {
                if want == 0 || want == p.pid {
                    return ok(if sid { p.sid } else { p.pgid } as u64);
                }
                let q = pt.procs.get(&want).filter(|_| want != 0).ok_or(ne::ESRCH)?;
                ok(if sid { q.sid } else { q.pgid } as u64)
            })
        }
        SYS_setsid => k.with_proc(|p, pt| {
            let leader = p.pgid == p.pid || pt.procs.values().any(|q| q.pgid == p.pid);
            if leader {
                return Err(ne::EPERM);
            }
            p.sid = p.pid;
            p.pgid = p.pid;
            p.ctty = None; // a new session starts without a terminal
            ok(p.pid as u64)
        }),
        SYS_setpgid => sys_setpgid(k, int(a[0]), int(a[1])),
        crate::ext_events::SYS_EXT_reap => k.reap(int(a[0])),
        crate::ext_events::SYS_EXT_stop_signal => {
            k.proc_mut(|p| p.stop_signal = a[0] as u32);
            ok(0)
        }
        crate::ext_events::SYS_EXT_stop_signal_of => {
            let pid = int(a[0]);
            k.with_proc(|p, pt| match pid {
                _ if pid == 0 || pid == p.pid => Ok(p.stop_signal),
                _ => pt.procs.get(&pid).map(|q| q.stop_signal).ok_or(ne::ESRCH),
            })
            .map(|s| [s as u64, 0])
        }
        crate::ext_tty::SYS_EXT_tty_pass => {
            ctty::pass_next();
            ok(0)
        }
        crate::ext_tty::SYS_EXT_tty_leader_exit => k.with_proc(|p, pt| {
            let fg = if p.sid == p.pid { ctty::leader_exited(pt, p.pid) } else { None };
            p.ctty = None;
            ok(fg.unwrap_or(0) as u64)
        }),
        crate::ext_tty::SYS_EXT_tty_foreground => ok(k.with_proc(|p, pt| pt.terminals.host_foreground(p)) as u64),
        crate::ext_events::SYS_EXT_nocldwait => {
            k.proc_mut(|p| p.nocldwait = a[0] != 0);
            ok(0)
        }
        SYS_getrlimit => {
            let w = a[0] as u32;
            if w >= rl::RLIM_NLIMITS {
                return Err(ne::EINVAL);
            }
            put(a[1], k.proc_mut(|p| p.limits[w as usize])).and(ok(0))
        }
        SYS_setrlimit => {
            let w = a[0] as u32;
            if w >= rl::RLIM_NLIMITS {
                return Err(ne::EINVAL);
            }
            let new: Rlimit = get(a[1])?;
            k.proc_mut(|p| {
                let old = p.limits[w as usize];
                if new.rlim_cur > new.rlim_max {
                    return Err(ne::EINVAL);
                }
                if new.rlim_max > old.rlim_max && !p.cred.is_root() {
                    return Err(ne::EPERM);
                }
                p.limits[w as usize] = new;
                ok(0)
            })
        }
        SYS___getrusage50 => {
            let children = match a[0] as i64 {
                0 => false,
                -1 => true,
                _ => return Err(ne::EINVAL),
            };
            put(a[1], hypercall::getrusage(children)).and(ok(0))
        }
        SYS___clock_gettime50 => {
            put(a[1], hypercall::clock_gettime(time::clock(a[0] as u32)?)).and(ok(0))
        }
        SYS___clock_getres50 => {
            let r = hypercall::clock_getres(time::clock(a[0] as u32)?);
            if a[1] != 0 {
                put(a[1], r)?;
            }
            ok(0)
        }
        SYS___nanosleep50 => {
            let t: Timespec = get(a[0])?;
            match time::sleep(hypercall::HostClock::Monotonic, false, &t) {
                Ok(()) => ok(0),
                Err((e, rem)) => {
                    if e == ne::EINTR && a[1] != 0 {
                        put(a[1], rem)?;
                    }
                    Err(e)
                }
            }
        }
        // NOERR: the error is the return value.
        SYS_clock_nanosleep => {
            let clk = match a[0] as u32 {
                abi_netbsd::consts::clock_id::CLOCK_REALTIME
                | abi_netbsd::consts::clock_id::CLOCK_MONOTONIC => time::clock(a[0] as u32)?,
                _ => return ok(ne::EINVAL.0 as u64),
            };
            let abs = a[1] as u32 & abi_netbsd::consts::timer_flags::TIMER_ABSTIME != 0;
            let t: Timespec = match get(a[2]) {
                Ok(t) => t,
                Err(e) => return ok(e.0 as u64),
            };
            match time::sleep(clk, abs, &t) {
                Ok(()) => ok(0),
                Err((e, rem)) => {
                    if e == ne::EINTR && !abs && a[3] != 0 {
                        let _ = put(a[3], rem);
                    }
                    ok(e.0 as u64)
                }
            }
        }
        SYS___gettimeofday50 => {
            if a[0] != 0 {
                let t = hypercall::clock_gettime(hypercall::HostClock::Realtime);
                put(
                    a[0],
                    Timeval {
                        tv_sec: t.tv_sec,
                        tv_usec: (t.tv_nsec / 1000) as i32,
                        _pad: 0,
                    },
                )?;
            }
            if a[1] != 0 {
                // struct timezone: always zero (UTC, no DST), as NetBSD reports it.
                put(a[1], [0i32; 2])?;
            }
            ok(0)
        }
        SYS___sysctl => sys_sysctl(k, &c, a),
        SYS_sync => {
            hypercall::sync();
            ok(0)
        }
        SYS_sched_yield => {
            hypercall::sched_yield();
            ok(0)
        }
        SYS_poll => {
            let ms = int(a[2]);
            let t = (ms >= 0).then(|| Timespec {
                tv_sec: ms as i64 / 1000,
                tv_nsec: (ms as i64 % 1000) * 1_000_000,
            });
            sys_poll(k, &c, a[0], a[1], t)
        }
        SYS___pollts50 => {
            if a[3] != 0 {
                // The signal mask is the personality's (this kernel delivers no signals).
                return Err(ne::ENOSYS);
            }
            let t = if a[2] == 0 {
                None
            } else {
                Some(get::<Timespec>(a[2])?)
            };
            if t.is_some_and(|t| !time::valid(&t)) {
                return Err(ne::EINVAL);
            }
            sys_poll(k, &c, a[0], a[1], t)
        }
        _ => super::socket::dispatch(k, &c, nr, a)
            .or_else(|| super::kqueue::dispatch(k, &c, nr, a))
            .or_else(|| super::evfd::dispatch(k, &c, nr, a))
            .or_else(|| super::sigfd::dispatch(k, &c, nr, a))
            .or_else(|| super::procinfo::dispatch(k, &c, nr, a))
            .unwrap_or(Err(ne::ENOSYS)),
    }
}

// ---------------------------------------------------------------------------------------------
// Files and directories.

fn sys_open(
    k: &EmbeddedKernel,
    c: &Current,
    dirfd: u64,
    path: u64,
    flags: u32,
    mode: u32,
) -> SysResult {
    let p = path_arg(path)?;
    let creat_excl = flags & of::O_CREAT != 0 && flags & of::O_EXCL != 0;
    let follow = flags & of::O_NOFOLLOW == 0 && !creat_excl;
    let r = k.lookup(c, dirfd, &p, follow)?;
    if p.ends_with('/') && flags & of::O_CREAT != 0 {
        // Creating "name/" would make a file where a directory was asked for.
        if r.mount.fs.stat(&r.rel, true, &c.ctx()).is_err() {
            return Err(ne::EISDIR);
        }
    }
    let opened = if r.abs == "/dev/tty" {
        // The caller's own controlling terminal, whichever it is.
        open_controlling_tty(k, flags)?
    } else {
        r.mount.fs.clone().open(&r.rel, flags, mode, &c.ctx())?
    };
    k.check_trailing_slash(c, &r, &p)?;
    let cloexec = flags & of::O_CLOEXEC != 0;
    match opened {
        Opened::Object(mut obj) => {
            if let Object::DevDir(d) = &mut obj {
                if r.abs == "/dev/fd" {
                    // fdesc lists the opener's own descriptors.
                    *d = super::devfs::fd_dir(&c.fds.lock().unwrap().fds());
                }
            }
            let f = OpenFile::new(obj, flags, r.abs);
            if flags & of::O_NOCTTY == 0 {
                if let Some(t) = f.tty().filter(|t| !t.master) {
                    k.with_proc(|p, pt| ctty::acquire_on_open(pt, p, t.id));
                }
            }
            ok(k.install(c, f, cloexec)? as u64)
        }
        // fdesc: the new descriptor shares the open file of the one named.
        Opened::DupFd(n) => ok(k.dup_to(c, n, 0, cloexec)? as u64),
    }
}

/// /dev/tty: the caller's controlling terminal (ENXIO without one), the host's own or one of its
/// pseudo-terminals.
fn open_controlling_tty(k: &EmbeddedKernel, flags: u32) -> R<Opened> {
    let (ctty, host) = k.with_proc(|p, pt| (p.ctty, pt.terminals.host));
    let fd = match ctty {
        None => return Err(ne::ENXIO),
        Some(t) if Some(t) == host => hypercall::open_tty(flags).map_err(|_| ne::ENXIO)?,
        Some(t) => hypercall::open_host_pts(hypercall::pts_number(t).ok_or(ne::ENXIO)?, flags)?,
    };
    Ok(Opened::Object(Object::Host { fd, ty: HostType::Stream, ro: false }))
}

fn sys_access(
    k: &EmbeddedKernel,
    c: &Current,
    dirfd: u64,
    path: u64,
    mode: u32,
    flags: u32,
) -> SysResult {
    if mode & !(am::R_OK | am::W_OK | am::X_OK) != 0 {
        return Err(ne::EINVAL);
    }
    if flags & !(at::AT_EACCESS | at::AT_SYMLINK_NOFOLLOW) != 0 {
        return Err(ne::EINVAL);
    }
    let p = path_arg(path)?;
    let follow = flags & at::AT_SYMLINK_NOFOLLOW == 0;
    let r = k.lookup(c, dirfd, &p, follow)?;
    let cred = if flags & at::AT_EACCESS != 0 {
        (*c.cred).clone()
    } else {
        c.cred.real()
    };
    let cx = vfs::Ctx {
        cred: &cred,
        umask: c.umask,
    };
    r.mount.fs.access(&r.rel, mode, follow, &cx).and(ok(0))
}

fn sys_mkdir(k: &EmbeddedKernel, c: &Current, dirfd: u64, path: u64, mode: u32) -> SysResult {
    let p = path_arg(path)?;
    let r = k.lookup(c, dirfd, &p, false)?;
    if k.vfs.is_mountpoint(&r.abs) {
        return Err(ne::EEXIST);
    }
    r.mount.fs.mkdir(&r.rel, mode, &c.ctx()).and(ok(0))
}

fn sys_mkfifo(k: &EmbeddedKernel, c: &Current, dirfd: u64, path: u64, mode: u32) -> SysResult {
    let p = path_arg(path)?;
    let r = k.lookup(c, dirfd, &p, false)?;
    if r.rel.is_empty() || k.vfs.is_mountpoint(&r.abs) {
        return Err(ne::EEXIST);
    }
    r.mount.fs.mkfifo(&r.rel, mode, &c.ctx()).and(ok(0))
}

fn sys_unlink(k: &EmbeddedKernel, c: &Current, dirfd: u64, path: u64, dir: bool) -> SysResult {
    let p = path_arg(path)?;
    if dir {
        match vfs::raw_last(&p) {
            "." => return Err(ne::EINVAL),
            ".." => return Err(ne::ENOTEMPTY),
            _ => {}
        }
    }
    let r = k.lookup(c, dirfd, &p, false)?;
    if r.rel.is_empty() || k.vfs.is_mountpoint(&r.abs) {
        return Err(ne::EBUSY);
    }
    if dir {
        r.mount.fs.rmdir(&r.rel, &c.ctx()).and(ok(0))
    } else {
        r.mount.fs.unlink(&r.rel, &c.ctx()).and(ok(0))
    }
}

fn sys_rename(k: &EmbeddedKernel, c: &Current, fd1: u64, p1: u64, fd2: u64, p2: u64) -> SysResult {
    let (from, to) = (path_arg(p1)?, path_arg(p2)?);
    for p in [&from, &to] {
        if matches!(vfs::raw_last(p), "." | "..") {
            return Err(ne::EINVAL);
        }
    }
    let a = k.lookup(c, fd1, &from, false)?;
    let b = k.lookup(c, fd2, &to, false)?;
    if a.rel.is_empty() || b.rel.is_empty() {
        return Err(ne::EBUSY);
    }
    if !same_fs(&a, &b) {
        // Does the source exist at all? ENOENT beats EXDEV.
        a.mount.fs.stat(&a.rel, false, &c.ctx())?;
        return Err(ne::EXDEV);
    }
    a.mount.fs.rename(&a.rel, &b.rel, &c.ctx()).and(ok(0))
}

fn sys_link(
    k: &EmbeddedKernel,
    c: &Current,
    fd1: u64,
    p1: u64,
    fd2: u64,
    p2: u64,
    follow: bool,
) -> SysResult {
    let (from, to) = (path_arg(p1)?, path_arg(p2)?);
    let a = k.lookup(c, fd1, &from, follow)?;
    let b = k.lookup(c, fd2, &to, false)?;
    let st = a.mount.fs.stat(&a.rel, follow, &c.ctx())?;
    if st.st_mode & m::S_IFMT == m::S_IFDIR {
        return Err(ne::EPERM);
    }
    if !same_fs(&a, &b) {
        if b.mount.fs.stat(&b.rel, false, &c.ctx()).is_ok() {
            return Err(ne::EEXIST);
        }
        return Err(ne::EXDEV);
    }
    a.mount.fs.link(&a.rel, &b.rel, follow, &c.ctx()).and(ok(0))
}

fn sys_symlink(k: &EmbeddedKernel, c: &Current, target: u64, dirfd: u64, path: u64) -> SysResult {
    let (t, p) = (path_arg(target)?, path_arg(path)?);
    let r = k.lookup(c, dirfd, &p, false)?;
    if r.rel.is_empty() {
        return Err(ne::EEXIST);
    }
    r.mount.fs.symlink(&t, &r.rel, &c.ctx()).and(ok(0))
}

fn sys_readlink(
    k: &EmbeddedKernel,
    c: &Current,
    dirfd: u64,
    path: u64,
    bufp: u64,
    len: u64,
) -> SysResult {
    let p = path_arg(path)?;
    let r = k.lookup(c, dirfd, &p, false)?;
    let t = r.mount.fs.readlink(&r.rel, &c.ctx())?;
    let n = t.len().min(len as usize);
    buf_mut(bufp, n as u64)?.copy_from_slice(&t[..n]);
    ok(n as u64)
}

fn sys_chmod(
    k: &EmbeddedKernel,
    c: &Current,
    dirfd: u64,
    path: u64,
    mode: u32,
    follow: bool,
) -> SysResult {
    let p = path_arg(path)?;
    let r = k.lookup(c, dirfd, &p, follow)?;
    r.mount.fs.chmod(&r.rel, mode, follow, &c.ctx()).and(ok(0))
}

fn sys_chown(
    k: &EmbeddedKernel,
    c: &Current,
    dirfd: u64,
    path: u64,
    uid: u32,
    gid: u32,
    follow: bool,
) -> SysResult {
    let p = path_arg(path)?;
    let r = k.lookup(c, dirfd, &p, follow)?;
    r.mount
        .fs
        .chown(&r.rel, uid, gid, follow, &c.ctx())
        .and(ok(0))
}

fn chdir_to(k: &EmbeddedKernel, c: &Current, r: &Resolved) -> SysResult {
    let st = r.mount.fs.stat(&r.rel, true, &c.ctx())?;
    if st.st_mode & m::S_IFMT != m::S_IFDIR {
        return Err(ne::ENOTDIR);
    }
    r.mount.fs.access(&r.rel, am::X_OK, true, &c.ctx())?;
    let canon = r.mount.fs.canonical(&r.rel)?;
    let abs = vfs::normalize(&format!("{}/{}", r.mount.path, canon));
    k.proc_mut(|p| p.cwd = abs.into());
    ok(0)
}

/// Metadata changes through a descriptor.
enum Meta {
    Mode(u32),
    Owner(u32, u32),
    Times(Option<[Timespec; 2]>),
}

fn fd_meta(f: &OpenFile, c: &Current, what: Meta) -> R<()> {
    let cx = c.ctx();
    match &f.obj {
        Object::MemFile(r) | Object::MemDir(r) => match what {
            Meta::Mode(mo) => r.fs.fchmod(r.ino, mo, &cx),
            Meta::Owner(u, g) => r.fs.fchown(r.ino, u, g, &cx),
            Meta::Times(t) => r.fs.futimens(r.ino, t, &cx),
        },
        Object::Host { ro: true, .. } => Err(ne::EROFS),
        Object::Host { fd, .. } => match what {
            Meta::Mode(mo) => hypercall::fchmodat(fd.raw(), "", mo, false),
            Meta::Owner(u, g) => hypercall::fchownat(fd.raw(), "", u, g, false),
            Meta::Times(t) => {
                // Through the descriptor's /proc link (the host has no futimens on every kind).
                hypercall::utimensat(fd.raw(), "", t, false)
            }
        },
        Object::Dev(_) | Object::DevDir(_) => Err(ne::EROFS),
        // Linux's anonymous inodes take no metadata changes a process could see.
        Object::Signal(_) => Err(ne::EINVAL),
    }
}

fn sys_dup3(c: &Current, from: i32, to: i32, cloexec: bool) -> SysResult {
    let mut t = c.fds.lock().unwrap();
    let f = t.get(from)?;
    if to < 0 || to as u64 >= c.nofile {
        return Err(ne::EBADF);
    }
    if from == to {
        return ok(to as u64);
    }
    let old = t.put(to, FdEntry { file: f, cloexec });
    drop(t);
    if let Some(o) = old {
        o.file.closed_by(c.pid);
    } // and the previous file of `to` is closed here, outside the lock
    ok(to as u64)
}

/// F_GETPATH, from newer NetBSD (10) than the 2016 tables in abi-netbsd.
const F_GETPATH: u32 = 15;

/// F_GETPATH: the path `f` was opened by, NUL-terminated, into the MAXPATHLEN buffer at `arg`.
pub(super) fn get_path(f: &OpenFile, arg: u64) -> SysResult {
    if !f.path.starts_with('/') {
        return Err(ne::EOPNOTSUPP);
    }
    let p = name::encode(&f.path);
    if p.len() >= limits::MAXPATHLEN as usize {
        return Err(ne::ENAMETOOLONG);
    }
    let b = buf_mut(arg, p.len() as u64 + 1)?;
    b[..p.len()].copy_from_slice(&p);
    b[p.len()] = 0;
    ok(0)
}

fn sys_fcntl(k: &EmbeddedKernel, c: &Current, fd: i32, cmd: u32, arg: u64) -> SysResult {
    match cmd {
        fc::F_DUPFD | fc::F_DUPFD_CLOEXEC => {
            let min = arg as i32;
            if min < 0 || min as u64 >= c.nofile {
                return Err(ne::EINVAL);
            }
            ok(k.dup_to(c, fd, min, cmd == fc::F_DUPFD_CLOEXEC)? as u64)
        }
        fc::F_GETFD => ok(c.fds.lock().unwrap().entry(fd)?.cloexec as u64),
        fc::F_SETFD => {
            c.fds.lock().unwrap().entry_mut(fd)?.cloexec = arg & fc::FD_CLOEXEC as u64 != 0;
            ok(0)
        }
        fc::F_GETFL => ok(k.file(c, fd as u64)?.status() as u64),
        fc::F_SETFL => k
            .file(c, fd as u64)?
            .set_status(arg as u32 & SETFL_MASK)
            .and(ok(0)),
        fc::F_GETLK
        | fc::F_SETLK
        | fc::F_SETLKW
        | ext::F_OFD_GETLK
        | ext::F_OFD_SETLK
        | ext::F_OFD_SETLKW => {
            let f = k.file(c, fd as u64)?;
            let mut fl: Flock = get(arg)?;
            let ofd = matches!(cmd, ext::F_OFD_GETLK | ext::F_OFD_SETLK | ext::F_OFD_SETLKW);
            let cmd = match cmd {
                fc::F_GETLK | ext::F_OFD_GETLK => LockCmd::Get,
                fc::F_SETLK | ext::F_OFD_SETLK => LockCmd::Set,
                _ => LockCmd::SetWait,
            };
            // A read lock needs a readable, a write lock a writable descriptor.
            let acc = f.status() & of::O_ACCMODE;
            if cmd != LockCmd::Get {
                let bad = match fl.l_type as u32 {
                    fc::F_RDLCK => acc == of::O_WRONLY,
                    fc::F_WRLCK => acc == of::O_RDONLY,
                    _ => false,
                };
                if bad {
                    return Err(ne::EBADF);
                }
            }
            match &f.obj {
                Object::Host {
                    fd,
                    ty: HostType::File | HostType::Dir,
                    ..
                } => {
                    hypercall::fcntl_lock(fd.raw(), cmd, ofd, &mut fl)?;
                    if cmd == LockCmd::Get {
                        put(arg, fl)?;
                    }
                    ok(0)
                }
                Object::MemFile(r) => {
                    let owner = if ofd {
                        r.ofd_owner()
                    } else {
                        lock::Owner::Proc(c.pid)
                    };
                    mem_record_lock(&f, r, owner, cmd, &mut fl)?;
                    if cmd == LockCmd::Get {
                        put(arg, fl)?;
                    }
                    ok(0)
                }
                _ => Err(ne::EINVAL),
            }
        }
        ext::F_ALLOCATE_KEEPSIZE => {
            let [off, len]: [i64; 2] = get(arg)?;
            match sys_fallocate(k, c, fd as u64, off, len, true) {
                Errno(0) => ok(0),
                e => Err(e),
            }
        }
        fc::F_CLOSEM => {
            let mut t = c.fds.lock().unwrap();
            let gone: Vec<_> = t
                .fds()
                .into_iter()
                .filter(|&x| x >= fd)
                .filter_map(|x| t.remove(x).ok())
                .collect();
            drop(t);
            for e in gone {
                e.file.closed_by(c.pid);
            }
            ok(0)
        }
        F_GETPATH => get_path(&*k.file(c, fd as u64)?, arg),
        fc::F_MAXFD => {
            let t = c.fds.lock().unwrap();
            Ok([t.fds().last().map_or(-1i64, |&x| x as i64) as u64, 0])
        }
        _ => {
            k.file(c, fd as u64)?;
            Err(ne::EINVAL)
        }
    }
}

/// fcntl record locks on an in-memory file, NetBSD struct flock in and (F_GETLK) out.
fn mem_record_lock(
    f: &OpenFile,
    r: &MemRef,
    owner: lock::Owner,
    cmd: LockCmd,
    fl: &mut Flock,
) -> R<()> {
    let base = match fl.l_whence as u32 {
        sw::SEEK_SET => 0,
        sw::SEEK_CUR => *f.offset.lock().unwrap() as i64,
        sw::SEEK_END => r.fs.size_of(r.ino) as i64,
        _ => return Err(ne::EINVAL),
    };
    let mut start = base.checked_add(fl.l_start).ok_or(ne::EOVERFLOW)?;
    let mut end = if fl.l_len == 0 {
        u64::MAX
    } else {
        start.checked_add(fl.l_len).ok_or(ne::EOVERFLOW)? as u64
    };
    if fl.l_len < 0 {
        (start, end) = (start + fl.l_len, start as u64);
    }
    if start < 0 {
        return Err(ne::EINVAL);
    }
    let start = start as u64;
    let kind = match fl.l_type as u32 {
        fc::F_RDLCK => lock::Kind::Read,
        fc::F_WRLCK => lock::Kind::Write,
        fc::F_UNLCK => lock::Kind::Unlock,
        _ => return Err(ne::EINVAL),
    };
    match cmd {
        LockCmd::Get => {
            if kind == lock::Kind::Unlock {
                return Err(ne::EINVAL);
            }
            match r
                .fs
                .locks
                .conflict(r.ino, owner, start, end, kind == lock::Kind::Write)
            {
                None => fl.l_type = fc::F_UNLCK as i16,
                Some(l) => {
                    fl.l_type = if l.write { fc::F_WRLCK } else { fc::F_RDLCK } as i16;
                    fl.l_whence = sw::SEEK_SET as i16;
                    fl.l_start = l.start as i64;
                    fl.l_len = if l.end == u64::MAX {
                        0
                    } else {
                        (l.end - l.start) as i64
                    };
                    fl.l_pid = match l.owner {
                        lock::Owner::Proc(p) => p,
                        lock::Owner::File(_) | lock::Owner::Ofd(_) => -1,
                    };
                }
            }
            Ok(())
        }
        LockCmd::Set | LockCmd::SetWait => {
            r.fs.locks
                .set(r.ino, owner, start, end, kind, cmd == LockCmd::SetWait)
        }
    }
}

fn sys_pipe2(c: &Current, fildes: u64, flags: u32) -> SysResult {
    if flags & !(of::O_CLOEXEC | of::O_NONBLOCK | of::O_NOSIGPIPE) != 0 {
        return Err(ne::EINVAL);
    }
    if fildes == 0 {
        return Err(ne::EFAULT);
    }
    let (r, w) = hypercall::pipe()?;
    let nb = flags & of::O_NONBLOCK;
    if nb != 0 {
        hypercall::set_status_flags(r.raw(), true, false)?;
        hypercall::set_status_flags(w.raw(), true, false)?;
    }
    let rf = OpenFile::new(
        Object::Host {
            fd: r,
            ty: HostType::Stream,
            ro: false,
        },
        of::O_RDONLY | nb,
        "pipe:".into(),
    );
    let wf = OpenFile::new(
        Object::Host {
            fd: w,
            ty: HostType::Stream,
            ro: false,
        },
        of::O_WRONLY | nb,
        "pipe:".into(),
    );
    let cloexec = flags & of::O_CLOEXEC != 0;
    let mut t = c.fds.lock().unwrap();
    let a = t.alloc(0, FdEntry { file: rf, cloexec }, c.nofile)?;
    let b = match t.alloc(0, FdEntry { file: wf, cloexec }, c.nofile) {
        Ok(b) => b,
        Err(e) => {
            let _ = t.remove(a);
            return Err(e);
        }
    };
    drop(t);
    put(fildes, [a, b])?;
    ok(0)
}

/// What a call does with a descriptor that may be a terminal, for job control.
#[derive(Clone, Copy, PartialEq, Eq)]
enum TtyUse {
    Read,
    Write,
    Change,
}

/// Linux's job-control check before a process touches a terminal (see [`ctty`]): a background
/// process may not read its controlling terminal, nor change it, nor write it under TOSTOP.
fn tty_check(k: &EmbeddedKernel, f: &OpenFile, how: TtyUse) -> R<()> {
    let Some(t) = f.tty() else {
        return Ok(());
    };
    let access = if how == TtyUse::Read { Access::Read } else { Access::Change };
    let r = {
        let pt = k.procs.lock().unwrap();
        let p = pt.get(k.curpid(&pt)).expect("current process exists");
        pt.terminals.check(&pt, p, t, access)
    };
    match (r, &f.obj) {
        // Writes wait only under TOSTOP (asked of the host only for a background writer).
        (Err(_), Object::Host { fd, .. }) if how == TtyUse::Write && !hypercall::tostop(fd.raw()) => Ok(()),
        (r, _) => r,
    }
}

fn sys_ioctl(k: &EmbeddedKernel, c: &Current, fd: i32, cmd: u32, data: u64) -> SysResult {
    match cmd {
        io::FIOCLEX | io::FIONCLEX => {
            c.fds.lock().unwrap().entry_mut(fd)?.cloexec = cmd == io::FIOCLEX;
            return ok(0);
        }
        _ => {}
    }
    let f = k.file(c, fd as u64)?;
    // The host descriptor of a terminal (a master side too, as on the host).
    let tty = match &f.obj {
        Object::Host { fd, .. } if f.tty().is_some() => Some(fd.raw()),
        _ => None,
    };
    if matches!(cmd, io::TIOCSETA | io::TIOCSETAW | io::TIOCSETAF | io::TIOCFLUSH | io::TIOCSTOP | io::TIOCSTART | io::TIOCSPGRP) {
        tty_check(k, &f, TtyUse::Change)?;
    }
    match cmd {
        io::FIONBIO => {
            let on: i32 = get(data)?;
            let st = f.status();
            let new = if on != 0 {
                st | of::O_NONBLOCK
            } else {
                st & !of::O_NONBLOCK
            };
            f.set_status(new & SETFL_MASK).and(ok(0))
        }
        io::FIONREAD => {
            let n: i32 = match &f.obj {
                Object::Host {
                    fd,
                    ty: HostType::Stream,
                    ..
                } => hypercall::fionread(fd.raw())?,
                Object::Host {
                    fd,
                    ty: HostType::File,
                    ..
                } => {
                    let size = hypercall::fstat(fd.raw())?.st_size;
                    let pos =
                        hypercall::lseek(fd.raw(), 0, abi_netbsd::consts::seek_whence::SEEK_CUR)?;
                    (size - pos).clamp(0, i32::MAX as i64) as i32
                }
                Object::MemFile(r) => {
                    let size = r.fs.size_of(r.ino) as i64;
                    (size - *f.offset.lock().unwrap() as i64).clamp(0, i32::MAX as i64) as i32
                }
                Object::Dev(_) => 0,
                _ => return Err(ne::ENOTTY),
            };
            put(data, n).and(ok(0))
        }
        io::TIOCGETA => put(data, hypercall::tcgetattr(tty.ok_or(ne::ENOTTY)?)?).and(ok(0)),
        io::TIOCSETA | io::TIOCSETAW | io::TIOCSETAF => {
            let t: Termios = get(data)?;
            let when = match cmd {
                io::TIOCSETA => TcsetWhen::Now,
                io::TIOCSETAW => TcsetWhen::Drain,
                _ => TcsetWhen::Flush,
            };
            hypercall::tcsetattr(tty.ok_or(ne::ENOTTY)?, when, &t).and(ok(0))
        }
        io::TIOCGWINSZ => put(data, hypercall::get_winsize(tty.ok_or(ne::ENOTTY)?)?).and(ok(0)),
        io::TIOCSWINSZ => {
            let w: Winsize = get(data)?;
            let fd = tty.ok_or(ne::ENOTTY)?;
            let old = hypercall::get_winsize(fd).ok();
            hypercall::set_winsize(fd, &w)?;
            Ok([0, if old != Some(w) { window_change_signal(k, &f) } else { 0 }])
        }
        io::TIOCFLUSH => {
            let bits: i32 = get(data)?;
            hypercall::tty_op(tty.ok_or(ne::ENOTTY)?, TtyOp::Flush(bits as u32)).and(ok(0))
        }
        io::TIOCDRAIN | io::TIOCSTOP | io::TIOCSTART | io::TIOCEXCL | io::TIOCNXCL => {
            let op = match cmd {
                io::TIOCDRAIN => TtyOp::Drain,
                io::TIOCSTOP => TtyOp::Stop,
                io::TIOCSTART => TtyOp::Start,
                _ => TtyOp::Excl(cmd == io::TIOCEXCL),
            };
            hypercall::tty_op(tty.ok_or(ne::ENOTTY)?, op).and(ok(0))
        }
        io::TIOCOUTQ => put(data, hypercall::tty_outq(tty.ok_or(ne::ENOTTY)?)?).and(ok(0)),
        // NetBSD's ptm: the names of a master's pair (`struct ptmget`: cfd, sfd, cn[1024],
        // sn[1024]), which grantpt, unlockpt and ptsname ask for.
        io::TIOCPTSNAME => {
            let master = tty.filter(|_| f.tty().is_some_and(|t| t.master)).ok_or(ne::EINVAL)?;
            let n = hypercall::pty_number(master)?;
            let b = buf_mut(data, 8 + 2 * 1024)?;
            b.fill(0);
            b[..4].copy_from_slice(&(-1i32).to_ne_bytes());
            b[4..8].copy_from_slice(&(-1i32).to_ne_bytes());
            let (cn, sn) = (b"/dev/ptmx".as_slice(), format!("/dev/pts/{n}"));
            b[8..8 + cn.len()].copy_from_slice(cn);
            b[8 + 1024..8 + 1024 + sn.len()].copy_from_slice(sn.as_bytes());
            ok(0)
        }
        io::TIOCGPGRP | io::TIOCGSID | io::TIOCSPGRP | io::TIOCSCTTY | io::TIOCNOTTY => {
            let t = f.tty().ok_or(ne::ENOTTY)?;
            controlling_tty_ioctl(k, &f, t, cmd, data)
        }
        _ => Err(ne::ENOTTY),
    }
}

/// The terminal signals a write of `written` to a pseudo-terminal master raises, for the caller
/// to send (see [`crate::ext_tty`]): the slave's INTR, QUIT and SUSP characters under ISIG,
/// for the foreground group of the session the slave controls (nobody when it controls none).
fn master_write_signals(k: &EmbeddedKernel, f: &OpenFile, written: impl Iterator<Item = u8>) -> u64 {
    use crate::ext_tty::{SIGINT, SIGQUIT, SIGTSTP};
    use abi_netbsd::consts::{termios_cc_index as cc, termios_lflag as lf};
    let (Some(t), Object::Host { fd, .. }) = (f.tty().filter(|t| t.master), &f.obj) else {
        return 0;
    };
    let Some(control) = k.procs.lock().unwrap().terminals.control(t.id) else {
        return 0;
    };
    // A master's TCGETS reads its slave's settings.
    let Ok(tio) = hypercall::tcgetattr(fd.raw()) else {
        return 0;
    };
    if tio.c_lflag & lf::ISIG == 0 {
        return 0;
    }
    let keys = [(cc::VINTR, SIGINT), (cc::VQUIT, SIGQUIT), (cc::VSUSP, SIGTSTP)].map(|(i, s)| (tio.c_cc[i as usize], s));
    let mut signals = Vec::new();
    for b in written {
        for &(key, sig) in &keys {
            // 0xff is NetBSD's _POSIX_VDISABLE.
            if key != 0xff && b == key && !signals.contains(&sig) {
                signals.push(sig);
            }
        }
    }
    if signals.is_empty() {
        return 0;
    }
    hypercall::settle_pty_input(fd.raw());
    crate::ext_tty::tty_signals(&signals, control.pgrp)
}

/// SIGWINCH for the foreground group of a terminal whose size changed, when the host cannot
/// send it (a guest's pseudo-terminal; rumplx's own terminal's goes through the host).
fn window_change_signal(k: &EmbeddedKernel, f: &OpenFile) -> u64 {
    let Some(t) = f.tty() else {
        return 0;
    };
    let pt = k.procs.lock().unwrap();
    match pt.terminals.control(t.id) {
        Some(c) if pt.terminals.host != Some(t.id) => crate::ext_tty::tty_signals(&[crate::ext_tty::SIGWINCH], c.pgrp),
        _ => 0,
    }
}

/// The controlling-terminal ioctls, on terminal `t` (see [`ctty`]).
fn controlling_tty_ioctl(k: &EmbeddedKernel, f: &OpenFile, t: ctty::TtyRef, cmd: u32, data: u64) -> SysResult {
    match cmd {
        io::TIOCGPGRP | io::TIOCGSID => {
            // Linux: a terminal with no foreground group answers 0, one with no session ENOTTY.
            let control = k.with_proc(|p, pt| pt.terminals.query(p, t))?;
            let v = match control {
                Some(c) if cmd == io::TIOCGPGRP => c.pgrp,
                Some(c) => c.sid,
                None if cmd == io::TIOCGPGRP => 0,
                None => return Err(ne::ENOTTY),
            };
            put(data, v).and(ok(0))
        }
        io::TIOCSPGRP => {
            let pgrp: i32 = get(data)?;
            k.with_proc(|p, pt| ctty::set_foreground(pt, p, t.id, pgrp)).and(ok(0))
        }
        // Linux's TIOCSCTTY takes its argument by value: 1 lets root take a terminal another
        // session has; a descriptor not open for reading may not make it controlling.
        io::TIOCSCTTY => k
            .with_proc(|p, pt| {
                if t.master || f.readable().is_err() && !p.cred.is_root() {
                    return Err(ne::EPERM);
                }
                ctty::acquire(pt, p, t.id, data == 1)
            })
            .and(ok(0)),
        io::TIOCNOTTY => k.with_proc(|p, pt| ctty::detach(pt, p, t.id)).and(ok(0)),
        _ => Err(ne::ENOTTY),
    }
}

/// poll(2): host descriptors wait in the host's poll; in-memory files and devices are always
/// ready for reading and writing (NetBSD's seltrue).
fn sys_poll(
    k: &EmbeddedKernel,
    c: &Current,
    fds: u64,
    nfds: u64,
    timeout: Option<Timespec>,
) -> SysResult {
    use abi_netbsd::consts::poll_events as pe;
    if nfds > c.nofile.max(limits::OPEN_MAX as u64) {
        return Err(ne::EINVAL);
    }
    // struct pollfd { int fd; short events; short revents; }
    let mut guest: Vec<(i32, u16)> = (0..nfds)
        .map(|i| get::<(i32, u16, u16)>(fds + 8 * i).map(|p| (p.0, p.1)))
        .collect::<R<_>>()?;
    let mut revents = vec![0u32; guest.len()];
    let mut host = Vec::new();
    let mut files = Vec::new(); // keeps the host descriptors open while polling
    for (i, &(fd, ev)) in guest.iter().enumerate() {
        if fd < 0 {
            continue;
        }
        let Ok(f) = k.file(c, fd as u64) else {
            revents[i] = pe::POLLNVAL;
            continue;
        };
        match &f.obj {
            Object::Host { fd: h, .. } => host.push((
                i,
                hypercall::PollFd {
                    fd: h.raw(),
                    events: ev as u32,
                    revents: 0,
                },
            )),
            Object::Signal(s) => host.push((
                i,
                hypercall::PollFd {
                    fd: s.poll_fd(c.pid)?,
                    events: ev as u32,
                    revents: 0,
                },
            )),
            _ => {
                revents[i] =
                    ev as u32 & (pe::POLLIN | pe::POLLRDNORM | pe::POLLOUT | pe::POLLWRNORM)
            }
        }
        files.push(f);
    }
    let ready_now = revents.iter().any(|&r| r != 0);
    if !host.is_empty() || (!ready_now && timeout != Some(Timespec::default())) {
        let mut h: Vec<hypercall::PollFd> = host
            .iter_mut()
            .map(|(_, p)| {
                std::mem::replace(
                    p,
                    hypercall::PollFd {
                        fd: -1,
                        events: 0,
                        revents: 0,
                    },
                )
            })
            .collect();
        let t = if ready_now {
            Some(Timespec::default())
        } else {
            timeout
        };
        hypercall::poll(&mut h, t)?;
        for ((i, _), p) in host.iter().zip(&h) {
            revents[*i] = p.revents;
        }
    }
    drop(files);
    let mut n = 0;
    for (i, r) in revents.iter().enumerate() {
        if *r != 0 {
            n += 1;
        }
        guest[i].1 = *r as u16;
        put(fds + 8 * i as u64 + 6, guest[i].1)?;
    }
    ok(n)
}

fn statvfs_of(mt: &vfs::Mount) -> R<Statvfs> {
    let mut v = mt.fs.statvfs()?;
    let p = name::encode(&mt.path);
    let n = p.len().min(v.f_mntonname.len() - 1);
    v.f_mntonname = [0; 1024];
    v.f_mntonname[..n].copy_from_slice(&p[..n]);
    Ok(v)
}

/// posix_fallocate, or (`keep_size`, the ext::F_ALLOCATE_KEEPSIZE extension) an allocation that
/// leaves the size alone.
fn sys_fallocate(
    k: &EmbeddedKernel,
    c: &Current,
    fd: u64,
    off: i64,
    len: i64,
    keep_size: bool,
) -> Errno {
    let Ok(f) = k.file(c, fd) else {
        return ne::EBADF;
    };
    if off < 0 || len <= 0 {
        return ne::EINVAL;
    }
    if f.status() & of::O_ACCMODE == of::O_RDONLY {
        return ne::EBADF;
    }
    match &f.obj {
        Object::Host {
            fd,
            ty: HostType::File,
            ..
        } => hypercall::fallocate(fd.raw(), off, len, keep_size),
        Object::MemFile(r) => {
            let Some(end) = off.checked_add(len) else {
                return ne::EFBIG;
            };
            // Memory files have no blocks to reserve: keeping the size leaves nothing to do.
            if !keep_size && end as u64 > r.fs.size_of(r.ino) {
                if let Err(e) = r.fs.ftruncate(r.ino, end as u64) {
                    return e;
                }
            }
            Errno(0)
        }
        Object::Host {
            ty: HostType::Stream,
            ..
        } => ne::ESPIPE,
        _ => ne::ENODEV,
    }
}

fn sys_fadvise(k: &EmbeddedKernel, c: &Current, fd: u64, off: i64, len: i64, advice: u32) -> Errno {
    let Ok(f) = k.file(c, fd) else {
        return ne::EBADF;
    };
    if len < 0 || advice > 5 {
        return ne::EINVAL;
    }
    match &f.obj {
        Object::Host {
            ty: HostType::Stream,
            ..
        } => ne::ESPIPE,
        Object::Host { fd, .. } => hypercall::fadvise(fd.raw(), off, len, advice),
        // Advice is only advice: memory needs none.
        _ => Errno(0),
    }
}

fn sys_setpgid(k: &EmbeddedKernel, pid: i32, pgid: i32) -> SysResult {
    if pid < 0 || pgid < 0 {
        return Err(ne::EINVAL);
    }
    k.with_proc(|me, pt| {
        let target = if pid == 0 { me.pid } else { pid };
        let pgid = if pgid == 0 { target } else { pgid };
        let (tsid, tpid) = if target == me.pid {
            (me.sid, me.pid)
        } else {
            let q = pt
                .procs
                .get(&target)
                .filter(|q| q.ppid == me.pid)
                .ok_or(ne::ESRCH)?;
            if q.sid != me.sid {
                return Err(ne::EPERM);
            }
            (q.sid, q.pid)
        };
        if tsid == tpid {
            return Err(ne::EPERM); // a session leader stays in its group
        }
        if pgid != tpid {
            let exists = me.pgid == pgid && me.sid == tsid
                || pt.procs.values().any(|q| q.pgid == pgid && q.sid == tsid);
            if !exists {
                return Err(ne::EPERM);
            }
        }
        if target == me.pid {
            me.pgid = pgid;
        } else {
            pt.procs.get_mut(&target).unwrap().pgid = pgid;
        }
        ok(0)
    })
}

// ---------------------------------------------------------------------------------------------
// sysctl: the few leaves programs ask a kernel for.

const CTL_KERN: i32 = 1;
const CTL_HW: i32 = 6;
const KERN_OSTYPE: i32 = 1;
const KERN_OSRELEASE: i32 = 2;
const KERN_OSREV: i32 = 3;
const KERN_HOSTNAME: i32 = 10;
const KERN_DOMAINNAME: i32 = 22;
const HW_MACHINE: i32 = 1;
const HW_NCPU: i32 = 3;
const HW_BYTEORDER: i32 = 4;
const HW_PAGESIZE: i32 = 7;
const HW_MACHINE_ARCH: i32 = 10;
const HW_PHYSMEM64: i32 = 13;
const HW_NCPUONLINE: i32 = 16;
/// What the 2016 snapshot (7.99.x) calls itself, and its __NetBSD_Version__.
pub const OSRELEASE: &str = "7.99.34";
const OSREV: i32 = 799_003_400;

fn sys_sysctl(k: &EmbeddedKernel, c: &Current, a: [u64; 6]) -> SysResult {
    let namelen = a[1] as u32;
    if namelen != 2 {
        return Err(ne::ENOSYS);
    }
    let name: [i32; 2] = get(a[0])?;
    let (oldp, oldlenp, newp, newlen) = (a[2], a[3], a[4], a[5]);
    let writable = name[0] == CTL_KERN && matches!(name[1], KERN_HOSTNAME | KERN_DOMAINNAME);
    let (ncpu, physmem) = hypercall::host_hw();
    // Strings are returned with their NUL; numbers in their C type.
    let string = |b: &[u8]| {
        let mut v = b.to_vec();
        v.push(0);
        v
    };
    let out: Vec<u8> = match (name[0], name[1]) {
        (CTL_KERN, KERN_OSTYPE) => string(b"NetBSD"),
        (CTL_KERN, KERN_OSRELEASE) => string(OSRELEASE.as_bytes()),
        (CTL_KERN, KERN_OSREV) => OSREV.to_ne_bytes().to_vec(),
        (CTL_KERN, KERN_HOSTNAME) => string(&k.names.lock().unwrap().0),
        (CTL_KERN, KERN_DOMAINNAME) => string(&k.names.lock().unwrap().1),
        (CTL_HW, HW_MACHINE) => string(b"amd64"),
        (CTL_HW, HW_MACHINE_ARCH) => string(b"x86_64"),
        (CTL_HW, HW_NCPU | HW_NCPUONLINE) => (ncpu as i32).to_ne_bytes().to_vec(),
        (CTL_HW, HW_BYTEORDER) => 1234i32.to_ne_bytes().to_vec(),
        (CTL_HW, HW_PAGESIZE) => 4096i32.to_ne_bytes().to_vec(),
        (CTL_HW, HW_PHYSMEM64) => physmem.to_ne_bytes().to_vec(),
        _ => return Err(ne::ENOSYS),
    };
    if newp != 0 && (!writable || !c.cred.is_root()) {
        return Err(ne::EPERM);
    }
    let mut result = Ok([0, 0]);
    if oldlenp != 0 {
        let have: u64 = get(oldlenp)?;
        if oldp != 0 {
            let n = (have as usize).min(out.len());
            buf_mut(oldp, n as u64)?.copy_from_slice(&out[..n]);
            if n < out.len() {
                result = Err(ne::ENOMEM);
            }
        }
        put(oldlenp, out.len() as u64)?;
    }
    if result.is_ok() && newp != 0 {
        if newlen as u32 >= limits::MAXHOSTNAMELEN {
            return Err(ne::EINVAL);
        }
        let v = buf(newp, newlen)?;
        let v = v.split(|&b| b == 0).next().unwrap_or(&[]).to_vec();
        let mut names = k.names.lock().unwrap();
        if name[1] == KERN_HOSTNAME {
            names.0 = v;
        } else {
            names.1 = v;
        }
    }
    result
}
