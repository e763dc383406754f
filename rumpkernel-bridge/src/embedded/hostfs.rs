//! Host files and directories registered under guest paths (`rump_pub_etfs_register` style).
//!
//! A directory registration is confined: every lookup starts at a handle on the registered root
//! and goes through the host's `openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)`, so `..`,
//! absolute symlinks and /proc magic links cannot leave it. Operations on a last component open
//! its parent that way and use the host's *at call on the bare name. The host enforces its own
//! permissions (for rumplx's credentials); `read_only` answers EROFS to every change.

use super::file::{HostType, Object};
use super::hypercall::{self, HostFd};
use super::vfs::{split_last, Ctx, FileSystem, FsResult, Opened, Walk};
use abi_netbsd::consts::{access_mode as am, open_flags as of, stat_mode as m};
use abi_netbsd::errno as ne;
use abi_netbsd::structs::{Stat, Statvfs, Timespec};
use std::sync::Arc;

/// Classifies a freshly opened host descriptor.
fn classify(fd: HostFd, ro: bool) -> FsResult<Object> {
    let ty = match hypercall::file_type(fd.raw())? {
        m::S_IFDIR => HostType::Dir,
        m::S_IFREG => HostType::File,
        _ => HostType::Stream,
    };
    Ok(Object::Host { fd, ty, ro })
}

fn writes(flags: u32) -> bool {
    let acc = flags & of::O_ACCMODE;
    acc == of::O_WRONLY || acc == of::O_RDWR || flags & of::O_TRUNC != 0
}

/// NetBSD says EFTYPE when O_NOFOLLOW meets a symlink; the host says ELOOP.
fn nofollow_errno(flags: u32, e: abi_netbsd::Errno) -> abi_netbsd::Errno {
    if e == ne::ELOOP && flags & of::O_NOFOLLOW != 0 {
        ne::EFTYPE
    } else {
        e
    }
}

fn fill_statvfs(mut v: Statvfs, ro: bool, what: &str) -> Statvfs {
    if ro {
        v.f_flag |= 0x1; // MNT_RDONLY
    }
    v.f_fstypename[..6].copy_from_slice(b"hostfs");
    let n = what.len().min(v.f_mntfromname.len() - 1);
    v.f_mntfromname[..n].copy_from_slice(&what.as_bytes()[..n]);
    v
}

/// A host directory tree.
pub struct HostDir {
    root: HostFd,
    host_path: String,
    ro: bool,
}

impl HostDir {
    pub fn new(host_path: &str, ro: bool) -> FsResult<Arc<HostDir>> {
        let root = hypercall::open_root(host_path)?;
        Ok(Arc::new(HostDir {
            root,
            host_path: host_path.to_string(),
            ro,
        }))
    }

    fn rw(&self) -> FsResult<()> {
        if self.ro {
            Err(ne::EROFS)
        } else {
            Ok(())
        }
    }

    /// The parent directory of `rel` and its last component (EBUSY for the root itself, which
    /// is a mount point).
    fn parent<'a>(&self, rel: &'a str) -> FsResult<(HostFd, &'a str)> {
        if rel.is_empty() {
            return Err(ne::EBUSY);
        }
        let (p, name) = split_last(rel);
        Ok((hypercall::dir_in_root(&self.root, p)?, name))
    }

    /// A socket name inside the tree as the host reaches it: through a confined handle on its
    /// directory (`/proc/self/fd/N/name`), so no symlink can send it elsewhere.
    fn unix_path_of(&self, rel: &str) -> FsResult<(HostFd, Vec<u8>)> {
        let (dir, name) =
            self.parent(rel)
                .map_err(|e| if e == ne::EBUSY { ne::EADDRINUSE } else { e })?;
        let mut p = format!("/proc/self/fd/{}/", dir.raw()).into_bytes();
        p.extend_from_slice(&super::name::encode(name));
        Ok((dir, p))
    }

    /// What a metadata change applies to: the object itself as a handle with an empty name
    /// (following), or its parent directory and the bare name (not following).
    fn target<'a>(&self, rel: &'a str, follow: bool) -> FsResult<(HostFd, &'a str)> {
        if rel.is_empty() || follow {
            return Ok((hypercall::path_in_root(&self.root, rel, true)?, ""));
        }
        self.parent(rel)
    }

    /// open(2), where a file we create gets exactly `mode` (the guest's umask is applied
    /// already; the host's must not mask it again, and the host umask is rumplx's to keep).
    fn create_or_open(&self, rel: &str, flags: u32, mode: u32) -> FsResult<HostFd> {
        if flags & of::O_CREAT == 0 {
            return hypercall::open_in_root(&self.root, rel, flags, 0);
        }
        let created = |fd: HostFd| -> FsResult<HostFd> {
            hypercall::fchmodat(fd.raw(), "", mode, false)?;
            Ok(fd)
        };
        match hypercall::open_in_root(&self.root, rel, flags | of::O_EXCL, mode) {
            Ok(fd) => return created(fd),
            Err(e) if e == ne::EEXIST && flags & of::O_EXCL == 0 => {}
            Err(e) => return Err(e),
        }
        // It exists, or is a symlink (which O_EXCL never follows): open what is there.
        match hypercall::open_in_root(&self.root, rel, flags & !of::O_CREAT, 0) {
            // A dangling symlink: creating goes through it, to its target.
            Err(e) if e == ne::ENOENT => {
                created(hypercall::open_in_root(&self.root, rel, flags, mode)?)
            }
            r => r,
        }
    }

    fn exists(&self, rel: &str, follow: bool) -> bool {
        hypercall::path_in_root(&self.root, rel, follow).is_ok()
    }
}

impl FileSystem for HostDir {
    fn walk(&self, _rel: &str, _follow_last: bool, _cx: &Ctx) -> FsResult<Walk> {
        // The host resolves symlinks itself, inside the confinement.
        Ok(Walk::Done)
    }

    fn stat(&self, rel: &str, follow: bool, _cx: &Ctx) -> FsResult<Stat> {
        if rel.is_empty() {
            return hypercall::fstat(self.root.raw());
        }
        if follow {
            return hypercall::fstat(hypercall::path_in_root(&self.root, rel, true)?.raw());
        }
        let (p, name) = self.parent(rel)?;
        hypercall::fstatat_nofollow(p.raw(), name)
    }

    fn open(self: Arc<Self>, rel: &str, flags: u32, mode: u32, cx: &Ctx) -> FsResult<Opened> {
        if self.ro && (writes(flags) || (flags & of::O_CREAT != 0 && !self.exists(rel, true))) {
            return Err(ne::EROFS);
        }
        let fd = self
            .create_or_open(rel, flags, mode & 0o7777 & !cx.umask)
            .map_err(|e| nofollow_errno(flags, e))?;
        Ok(Opened::Object(classify(fd, self.ro)?))
    }

    fn mkdir(&self, rel: &str, mode: u32, cx: &Ctx) -> FsResult<()> {
        if rel.is_empty() {
            return Err(ne::EEXIST);
        }
        self.rw()?;
        let (p, name) = self.parent(rel)?;
        let mode = mode & 0o7777 & !cx.umask;
        hypercall::mkdirat(p.raw(), name, mode)?;
        // The host umask applied once more; set what the guest asked for.
        hypercall::fchmodat(p.raw(), name, mode, true)
    }

    fn mkfifo(&self, rel: &str, mode: u32, cx: &Ctx) -> FsResult<()> {
        if rel.is_empty() {
            return Err(ne::EEXIST);
        }
        self.rw()?;
        let (p, name) = self.parent(rel)?;
        let mode = mode & 0o7777 & !cx.umask;
        hypercall::mkfifoat(p.raw(), name, mode)?;
        hypercall::fchmodat(p.raw(), name, mode, true)
    }

    fn rmdir(&self, rel: &str, _cx: &Ctx) -> FsResult<()> {
        let (p, name) = self.parent(rel)?;
        self.rw()?;
        hypercall::unlinkat(p.raw(), name, true)
    }

    fn unlink(&self, rel: &str, _cx: &Ctx) -> FsResult<()> {
        let (p, name) = self.parent(rel)?;
        self.rw()?;
        // The host says EISDIR for directories; NetBSD says EPERM.
        hypercall::unlinkat(p.raw(), name, false).map_err(|e| {
            if e == ne::EISDIR {
                ne::EPERM
            } else {
                e
            }
        })
    }

    fn rename(&self, from: &str, to: &str, _cx: &Ctx) -> FsResult<()> {
        let (fp, fname) = self.parent(from)?;
        let (tp, tname) = self.parent(to)?;
        self.rw()?;
        hypercall::renameat(fp.raw(), fname, tp.raw(), tname).map_err(|e| {
            if e == ne::EEXIST {
                ne::ENOTEMPTY
            } else {
                e
            }
        })
    }

    fn link(&self, from: &str, to: &str, follow: bool, _cx: &Ctx) -> FsResult<()> {
        let src = hypercall::path_in_root(&self.root, from, follow)?;
        let (tp, tname) = self
            .parent(to)
            .map_err(|e| if e == ne::EBUSY { ne::EEXIST } else { e })?;
        self.rw()?;
        if hypercall::file_type(src.raw())? == m::S_IFDIR {
            return Err(ne::EPERM);
        }
        hypercall::link_fd(&src, tp.raw(), tname)
    }

    fn symlink(&self, target: &str, rel: &str, _cx: &Ctx) -> FsResult<()> {
        let (p, name) = self
            .parent(rel)
            .map_err(|e| if e == ne::EBUSY { ne::EEXIST } else { e })?;
        self.rw()?;
        hypercall::symlinkat(target, p.raw(), name)
    }

    fn readlink(&self, rel: &str, _cx: &Ctx) -> FsResult<Vec<u8>> {
        let (p, name) = self.parent(rel).map_err(|_| ne::EINVAL)?;
        hypercall::readlinkat(p.raw(), name)
    }

    fn chmod(&self, rel: &str, mode: u32, follow: bool, _cx: &Ctx) -> FsResult<()> {
        self.rw()?;
        let (d, name) = self.target(rel, follow)?;
        hypercall::fchmodat(d.raw(), name, mode, !name.is_empty())
    }

    fn chown(&self, rel: &str, uid: u32, gid: u32, follow: bool, _cx: &Ctx) -> FsResult<()> {
        self.rw()?;
        let (d, name) = self.target(rel, follow)?;
        hypercall::fchownat(d.raw(), name, uid, gid, !name.is_empty())
    }

    fn utimens(
        &self,
        rel: &str,
        times: Option<[Timespec; 2]>,
        follow: bool,
        _cx: &Ctx,
    ) -> FsResult<()> {
        self.rw()?;
        let (d, name) = self.target(rel, follow)?;
        hypercall::utimensat(d.raw(), name, times, !name.is_empty())
    }

    fn truncate(&self, rel: &str, len: i64, _cx: &Ctx) -> FsResult<()> {
        self.rw()?;
        let fd = hypercall::open_in_root(&self.root, rel, of::O_WRONLY, 0)?;
        hypercall::ftruncate(fd.raw(), len)
    }

    fn access(&self, rel: &str, mode: u32, follow: bool, _cx: &Ctx) -> FsResult<()> {
        let fd = hypercall::path_in_root(&self.root, rel, follow)?;
        if mode & am::W_OK != 0 && self.ro {
            return Err(ne::EROFS);
        }
        hypercall::faccess(fd.raw(), mode)
    }

    fn statvfs(&self) -> FsResult<Statvfs> {
        Ok(fill_statvfs(
            hypercall::fstatvfs(self.root.raw())?,
            self.ro,
            &self.host_path,
        ))
    }

    fn unix_bind(
        &self,
        rel: &str,
        _cx: &Ctx,
        bind: &dyn Fn(&[u8]) -> FsResult<()>,
    ) -> FsResult<()> {
        self.rw()?;
        let (dir, path) = self.unix_path_of(rel)?;
        let r = bind(&path);
        drop(dir);
        r
    }

    fn unix_path(&self, rel: &str, _cx: &Ctx) -> FsResult<(Arc<HostFd>, Vec<u8>)> {
        let (dir, path) = self.unix_path_of(rel)?;
        Ok((Arc::new(dir), path))
    }

    fn canonical(&self, rel: &str) -> FsResult<String> {
        // Where the host says the object is, relative to where it says the root is. Confined
        // resolution guarantees the one lies under the other.
        let root = hypercall::fd_path(self.root.raw())?;
        let obj = hypercall::fd_path(hypercall::path_in_root(&self.root, rel, true)?.raw())?;
        let below = if root == "/" {
            Some(obj.as_str())
        } else {
            obj.strip_prefix(root.as_str())
        };
        match below {
            Some(r) if r.is_empty() || r.starts_with('/') => {
                Ok(r.trim_start_matches('/').to_string())
            }
            _ => Ok(rel.to_string()),
        }
    }
}

/// A single host file at a guest path.
pub struct HostFile {
    host_path: String,
    ro: bool,
}

impl HostFile {
    pub fn new(host_path: &str, ro: bool) -> FsResult<Arc<HostFile>> {
        // It must exist now; what it is may change later (it is the host's).
        hypercall::open_path(host_path)?;
        Ok(Arc::new(HostFile {
            host_path: host_path.to_string(),
            ro,
        }))
    }

    fn only_root(rel: &str) -> FsResult<()> {
        if rel.is_empty() {
            Ok(())
        } else {
            Err(ne::ENOTDIR)
        }
    }

    fn handle(&self, rel: &str) -> FsResult<HostFd> {
        Self::only_root(rel)?;
        hypercall::open_path(&self.host_path)
    }

    fn rw(&self) -> FsResult<()> {
        if self.ro {
            Err(ne::EROFS)
        } else {
            Ok(())
        }
    }
}

impl FileSystem for HostFile {
    fn walk(&self, rel: &str, _f: bool, _cx: &Ctx) -> FsResult<Walk> {
        Self::only_root(rel).map(|_| Walk::Done)
    }
    fn stat(&self, rel: &str, _f: bool, _cx: &Ctx) -> FsResult<Stat> {
        hypercall::fstat(self.handle(rel)?.raw())
    }
    fn open(self: Arc<Self>, rel: &str, flags: u32, mode: u32, _cx: &Ctx) -> FsResult<Opened> {
        Self::only_root(rel)?;
        if flags & of::O_CREAT != 0 && flags & of::O_EXCL != 0 {
            return Err(ne::EEXIST);
        }
        if self.ro && writes(flags) {
            return Err(ne::EROFS);
        }
        let fd =
            hypercall::open_host_path(&self.host_path, flags & !(of::O_CREAT | of::O_EXCL), mode)?;
        Ok(Opened::Object(classify(fd, self.ro)?))
    }
    fn mkdir(&self, rel: &str, _mode: u32, _cx: &Ctx) -> FsResult<()> {
        Self::only_root(rel).and(Err(ne::EEXIST))
    }
    fn rmdir(&self, rel: &str, _cx: &Ctx) -> FsResult<()> {
        Self::only_root(rel).and(Err(ne::EBUSY))
    }
    fn unlink(&self, rel: &str, _cx: &Ctx) -> FsResult<()> {
        Self::only_root(rel).and(Err(ne::EBUSY))
    }
    fn rename(&self, from: &str, _to: &str, _cx: &Ctx) -> FsResult<()> {
        Self::only_root(from).and(Err(ne::EBUSY))
    }
    fn link(&self, from: &str, _to: &str, _f: bool, _cx: &Ctx) -> FsResult<()> {
        Self::only_root(from).and(Err(ne::EXDEV))
    }
    fn symlink(&self, _t: &str, rel: &str, _cx: &Ctx) -> FsResult<()> {
        Self::only_root(rel).and(Err(ne::EEXIST))
    }
    fn readlink(&self, rel: &str, _cx: &Ctx) -> FsResult<Vec<u8>> {
        Self::only_root(rel).and(Err(ne::EINVAL))
    }
    fn chmod(&self, rel: &str, mode: u32, _f: bool, _cx: &Ctx) -> FsResult<()> {
        let h = self.handle(rel)?;
        self.rw()?;
        hypercall::fchmodat(h.raw(), "", mode, false)
    }
    fn chown(&self, rel: &str, uid: u32, gid: u32, _f: bool, _cx: &Ctx) -> FsResult<()> {
        let h = self.handle(rel)?;
        self.rw()?;
        hypercall::fchownat(h.raw(), "", uid, gid, false)
    }
    fn utimens(
        &self,
        rel: &str,
        times: Option<[Timespec; 2]>,
        _f: bool,
        _cx: &Ctx,
    ) -> FsResult<()> {
        let h = self.handle(rel)?;
        self.rw()?;
        hypercall::utimensat(h.raw(), "", times, false)
    }
    fn truncate(&self, rel: &str, len: i64, _cx: &Ctx) -> FsResult<()> {
        Self::only_root(rel)?;
        self.rw()?;
        let fd = hypercall::open_host_path(&self.host_path, of::O_WRONLY, 0)?;
        hypercall::ftruncate(fd.raw(), len)
    }
    fn access(&self, rel: &str, mode: u32, _f: bool, _cx: &Ctx) -> FsResult<()> {
        let h = self.handle(rel)?;
        if mode & am::W_OK != 0 && self.ro {
            return Err(ne::EROFS);
        }
        hypercall::faccess(h.raw(), mode)
    }
    fn statvfs(&self) -> FsResult<Statvfs> {
        let h = hypercall::open_path(&self.host_path)?;
        Ok(fill_statvfs(
            hypercall::fstatvfs(h.raw())?,
            self.ro,
            &self.host_path,
        ))
    }
}
