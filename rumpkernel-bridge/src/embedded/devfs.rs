//! /dev: the handful of device nodes programs expect, with NetBSD's device numbers.
//!
//! null, zero, full and random/urandom are served here; tty opens the host's controlling
//! terminal; stdin/stdout/stderr and fd/N have fdesc semantics (opening one dups the caller's
//! descriptor). pts/N are the host's pseudo-terminals (stat and open reach the host's node, so a
//! terminal's fstat and the stat of its name agree, as ttyname() checks). The table is fixed:
//! creating or removing nodes is refused with EROFS.

use super::file::Object;
use super::hypercall::{self, HostClock};
use super::memfs::new_dev;
use super::vfs::{permits, Ctx, FileSystem, FsResult, Opened, Walk};
use abi_netbsd::consts::{dirent_type as dt, open_flags as of, stat_mode as m};
use abi_netbsd::errno as ne;
use abi_netbsd::structs::{Stat, Statvfs, Timespec};
use std::sync::Arc;

/// NetBSD's `makedev`.
pub const fn makedev(major: u64, minor: u64) -> u64 {
    ((major << 8) & 0x000f_ff00) | ((minor << 12) & 0xfff0_0000) | (minor & 0xff)
}

/// Majors of NetBSD/amd64's cdevsw: mem 2, cons/tty 1, filedesc 22, rnd 46.
const MEM: u64 = 2;
const CTTY: u64 = 1;
const FDESC: u64 = 22;
const RND: u64 = 46;

/// A device served in the kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DevNode {
    Null,
    Zero,
    Full,
    Random,
    Urandom,
}

impl DevNode {
    pub fn read(&self, buf: &mut [u8]) -> Result<usize, abi_netbsd::Errno> {
        match self {
            DevNode::Null => Ok(0),
            DevNode::Zero | DevNode::Full => {
                buf.fill(0);
                Ok(buf.len())
            }
            DevNode::Random | DevNode::Urandom => hypercall::getrandom(buf.as_mut_ptr(), buf.len()),
        }
    }

    pub fn write(&self, buf: &[u8]) -> Result<usize, abi_netbsd::Errno> {
        match self {
            DevNode::Full => Err(ne::ENOSPC),
            // Writes to the random devices add entropy; the host pool needs none from us.
            _ => Ok(buf.len()),
        }
    }

    fn rdev(&self) -> u64 {
        match self {
            DevNode::Null => makedev(MEM, 2),
            DevNode::Zero => makedev(MEM, 12),
            DevNode::Full => makedev(MEM, 11),
            DevNode::Random => makedev(RND, 0),
            DevNode::Urandom => makedev(RND, 1),
        }
    }

    pub fn stat(&self) -> Stat {
        let e = ENTRIES
            .iter()
            .position(|(_, k)| *k == Entry::Node(*self))
            .unwrap();
        char_stat(e as u64 + 3, self.rdev(), 0o666)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Entry {
    Node(DevNode),
    Tty,
    /// The host's pseudo-terminal multiplexer: each open is a new master.
    Ptmx,
    Fd(i32),
    FdDir,
    PtsDir,
}

const ENTRIES: &[(&str, Entry)] = &[
    ("null", Entry::Node(DevNode::Null)),
    ("zero", Entry::Node(DevNode::Zero)),
    ("full", Entry::Node(DevNode::Full)),
    ("random", Entry::Node(DevNode::Random)),
    ("urandom", Entry::Node(DevNode::Urandom)),
    ("tty", Entry::Tty),
    ("stdin", Entry::Fd(0)),
    ("stdout", Entry::Fd(1)),
    ("stderr", Entry::Fd(2)),
    ("fd", Entry::FdDir),
    ("pts", Entry::PtsDir),
    ("ptmx", Entry::Ptmx),
];

/// Inode numbers: 2 root, 3.. the table, 1000+N the fd/N nodes.
const FD_INO: u64 = 1000;
/// Inode numbers of pts/N in listings (stat gives the host's).
const PTS_INO: u64 = 100_000;

fn boot_time() -> Timespec {
    static T: std::sync::OnceLock<Timespec> = std::sync::OnceLock::new();
    *T.get_or_init(|| hypercall::clock_gettime(HostClock::Realtime))
}

fn char_stat(ino: u64, rdev: u64, perm: u32) -> Stat {
    let t = boot_time();
    Stat {
        st_dev: devfs_dev(),
        st_mode: m::S_IFCHR | perm,
        st_ino: ino,
        st_nlink: 1,
        st_rdev: rdev,
        st_atim: t,
        st_mtim: t,
        st_ctim: t,
        st_birthtim: t,
        st_blksize: 4096,
        ..Default::default()
    }
}

fn dir_stat(ino: u64, nlink: u32) -> Stat {
    let t = boot_time();
    Stat {
        st_dev: devfs_dev(),
        st_mode: m::S_IFDIR | 0o755,
        st_ino: ino,
        st_nlink: nlink,
        st_atim: t,
        st_mtim: t,
        st_ctim: t,
        st_birthtim: t,
        st_size: 512,
        st_blksize: 4096,
        ..Default::default()
    }
}

fn devfs_dev() -> u64 {
    static D: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *D.get_or_init(new_dev)
}

/// An open devfs directory: a snapshot of its listing.
pub struct DevDir {
    pub entries: Vec<(String, u64, u8)>,
    pub stat: Stat,
}

/// The listing of /dev/fd for a process with descriptors `fds` (the opener fills in its own).
pub fn fd_dir(fds: &[i32]) -> DevDir {
    let ino = ENTRIES
        .iter()
        .position(|(_, e)| *e == Entry::FdDir)
        .unwrap() as u64
        + 3;
    DevDir {
        entries: [(".", ino, dt::DT_DIR), ("..", 2, dt::DT_DIR)]
            .into_iter()
            .map(|(n, i, t)| (n.to_string(), i, t as u8))
            .chain(
                fds.iter()
                    .map(|&n| (n.to_string(), FD_INO + n as u64, dt::DT_CHR as u8)),
            )
            .collect(),
        stat: dir_stat(ino, 2),
    }
}

pub struct DevFs;

enum Found {
    Root,
    Entry(usize, Entry),
    FdNode(i32),
    PtsNode(u32),
}

fn find(rel: &str) -> FsResult<Found> {
    if rel.is_empty() {
        return Ok(Found::Root);
    }
    let mut it = rel.splitn(2, '/');
    let first = it.next().unwrap();
    let (i, e) = ENTRIES
        .iter()
        .enumerate()
        .find(|(_, (n, _))| *n == first)
        .map(|(i, (_, e))| (i, *e))
        .ok_or(ne::ENOENT)?;
    match (e, it.next()) {
        (e, None) => Ok(Found::Entry(i, e)),
        (Entry::FdDir, Some(n)) => {
            let n: i32 = n.parse().map_err(|_| ne::ENOENT)?;
            if n.to_string() != rel[3..] || n < 0 {
                return Err(ne::ENOENT);
            }
            Ok(Found::FdNode(n))
        }
        (Entry::PtsDir, Some(n)) => {
            let n: u32 = n.parse().map_err(|_| ne::ENOENT)?;
            if n.to_string() != rel[4..] {
                return Err(ne::ENOENT);
            }
            hypercall::host_pts_stat(n).map_err(|_| ne::ENOENT)?;
            Ok(Found::PtsNode(n))
        }
        _ => Err(ne::ENOTDIR),
    }
}

fn stat_of(f: &Found) -> Stat {
    match f {
        // find() saw it a moment ago; if it went away since, an empty node of its name.
        Found::PtsNode(n) => hypercall::host_pts_stat(*n)
            .unwrap_or_else(|_| char_stat(PTS_INO + *n as u64, 0, 0o620)),
        Found::Entry(i, Entry::PtsDir) => dir_stat(*i as u64 + 3, 2),
        Found::Root => dir_stat(2, 3),
        Found::Entry(i, Entry::Node(d)) => char_stat(*i as u64 + 3, d.rdev(), 0o666),
        Found::Entry(i, Entry::Tty) => char_stat(*i as u64 + 3, makedev(CTTY, 0), 0o666),
        Found::Entry(i, Entry::Ptmx) => hypercall::host_char_stat("/dev/ptmx").unwrap_or_else(|_| char_stat(*i as u64 + 3, 0, 0o666)),
        Found::Entry(i, Entry::Fd(n)) => char_stat(*i as u64 + 3, makedev(FDESC, *n as u64), 0o666),
        Found::Entry(i, Entry::FdDir) => dir_stat(*i as u64 + 3, 2),
        Found::FdNode(n) => char_stat(FD_INO + *n as u64, makedev(FDESC, *n as u64), 0o666),
    }
}

impl DevFs {
    pub fn new() -> Arc<DevFs> {
        Arc::new(DevFs)
    }
}

impl FileSystem for DevFs {
    fn walk(&self, rel: &str, _follow_last: bool, _cx: &Ctx) -> FsResult<Walk> {
        // No symlinks here; a missing last component is for the op to report.
        match find(rel) {
            Err(e) if e == ne::ENOENT && !rel.contains('/') => Ok(Walk::Done),
            Err(e) if e == ne::ENOENT && rel.starts_with("fd/") && rel[3..].find('/').is_none() => {
                Ok(Walk::Done)
            }
            Err(e) if e == ne::ENOENT && rel.starts_with("pts/") && rel[4..].find('/').is_none() => {
                Ok(Walk::Done)
            }
            Err(e) => Err(e),
            Ok(_) => Ok(Walk::Done),
        }
    }

    fn stat(&self, rel: &str, _f: bool, _cx: &Ctx) -> FsResult<Stat> {
        Ok(stat_of(&find(rel)?))
    }

    fn open(self: Arc<Self>, rel: &str, flags: u32, _mode: u32, _cx: &Ctx) -> FsResult<Opened> {
        let f = match find(rel) {
            Err(e) if e == ne::ENOENT && flags & of::O_CREAT != 0 => return Err(ne::EROFS),
            r => r?,
        };
        if flags & of::O_CREAT != 0 && flags & of::O_EXCL != 0 {
            return Err(ne::EEXIST);
        }
        let acc = flags & of::O_ACCMODE;
        let is_dir = matches!(
            f,
            Found::Root | Found::Entry(_, Entry::FdDir) | Found::Entry(_, Entry::PtsDir)
        );
        if is_dir && acc != of::O_RDONLY {
            return Err(ne::EISDIR);
        }
        if !is_dir && flags & of::O_DIRECTORY != 0 {
            return Err(ne::ENOTDIR);
        }
        Ok(match f {
            Found::Root => Opened::Object(Object::DevDir(DevDir {
                entries: ENTRIES
                    .iter()
                    .enumerate()
                    .map(|(i, (n, e))| {
                        (
                            n.to_string(),
                            i as u64 + 3,
                            if matches!(*e, Entry::FdDir | Entry::PtsDir) {
                                dt::DT_DIR
                            } else {
                                dt::DT_CHR
                            } as u8,
                        )
                    })
                    .chain([
                        (".".into(), 2, dt::DT_DIR as u8),
                        ("..".into(), 2, dt::DT_DIR as u8),
                    ])
                    .collect(),
                stat: stat_of(&Found::Root),
            })),
            Found::Entry(_, Entry::FdDir) => Opened::Object(Object::DevDir(fd_dir(&[0, 1, 2]))),
            Found::Entry(i, Entry::PtsDir) => Opened::Object(Object::DevDir(DevDir {
                entries: [(".".to_string(), i as u64 + 3, dt::DT_DIR as u8), ("..".into(), 2, dt::DT_DIR as u8)]
                    .into_iter()
                    .chain(
                        hypercall::host_pts_list()
                            .into_iter()
                            .map(|n| (n.to_string(), PTS_INO + n as u64, dt::DT_CHR as u8)),
                    )
                    .collect(),
                stat: dir_stat(i as u64 + 3, 2),
            })),
            Found::PtsNode(n) => Opened::Object(Object::Host {
                fd: hypercall::open_host_pts(n, flags)?,
                ty: super::file::HostType::Stream,
                ro: false,
            }),
            Found::Entry(_, Entry::Node(d)) => Opened::Object(Object::Dev(d)),
            Found::Entry(_, Entry::Ptmx) => Opened::Object(Object::Host {
                fd: hypercall::open_ptmx(flags)?,
                ty: super::file::HostType::Stream,
                ro: false,
            }),
            Found::Entry(_, Entry::Tty) => {
                let fd = hypercall::open_tty(flags).map_err(|_| ne::ENXIO)?;
                Opened::Object(Object::Host {
                    fd,
                    ty: super::file::HostType::Stream,
                    ro: false,
                })
            }
            Found::Entry(_, Entry::Fd(n)) | Found::FdNode(n) => Opened::DupFd(n),
        })
    }

    fn mkdir(&self, rel: &str, _mode: u32, _cx: &Ctx) -> FsResult<()> {
        find(rel).map_or(Err(ne::EROFS), |_| Err(ne::EEXIST))
    }
    fn rmdir(&self, rel: &str, _cx: &Ctx) -> FsResult<()> {
        find(rel).and(Err(ne::EROFS))
    }
    fn unlink(&self, rel: &str, _cx: &Ctx) -> FsResult<()> {
        find(rel).and(Err(ne::EROFS))
    }
    fn rename(&self, from: &str, _to: &str, _cx: &Ctx) -> FsResult<()> {
        find(from).and(Err(ne::EROFS))
    }
    fn link(&self, from: &str, _to: &str, _f: bool, _cx: &Ctx) -> FsResult<()> {
        find(from).and(Err(ne::EROFS))
    }
    fn symlink(&self, _t: &str, _rel: &str, _cx: &Ctx) -> FsResult<()> {
        Err(ne::EROFS)
    }
    fn readlink(&self, rel: &str, _cx: &Ctx) -> FsResult<Vec<u8>> {
        find(rel).and(Err(ne::EINVAL))
    }
    fn chmod(&self, rel: &str, _mode: u32, _f: bool, _cx: &Ctx) -> FsResult<()> {
        find(rel).and(Err(ne::EROFS))
    }
    fn chown(&self, rel: &str, _u: u32, _g: u32, _f: bool, _cx: &Ctx) -> FsResult<()> {
        find(rel).and(Err(ne::EROFS))
    }
    fn utimens(&self, rel: &str, _t: Option<[Timespec; 2]>, _f: bool, _cx: &Ctx) -> FsResult<()> {
        find(rel).and(Err(ne::EROFS))
    }
    fn truncate(&self, rel: &str, _len: i64, _cx: &Ctx) -> FsResult<()> {
        // Truncating a character device is a no-op on NetBSD; directories refuse.
        match find(rel)? {
            Found::Root | Found::Entry(_, Entry::FdDir) | Found::Entry(_, Entry::PtsDir) => {
                Err(ne::EISDIR)
            }
            _ => Ok(()),
        }
    }
    fn access(&self, rel: &str, mode: u32, _follow: bool, cx: &Ctx) -> FsResult<()> {
        let s = stat_of(&find(rel)?);
        if permits(s.st_mode, s.st_uid, s.st_gid, cx.cred, mode & 7) {
            Ok(())
        } else {
            Err(ne::EACCES)
        }
    }
    fn statvfs(&self) -> FsResult<Statvfs> {
        let mut v = Statvfs {
            f_bsize: 512,
            f_frsize: 512,
            f_iosize: 512,
            f_namemax: 511,
            f_fsid: devfs_dev(),
            f_fsidx: [devfs_dev() as i32, 0],
            ..Default::default()
        };
        v.f_fstypename[..5].copy_from_slice(b"devfs");
        v.f_mntfromname[..5].copy_from_slice(b"devfs");
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pts_names_are_canonical_numbers() {
        assert!(matches!(find("pts"), Ok(Found::Entry(_, Entry::PtsDir))));
        for bad in ["pts/01", "pts/x", "pts/-1", "pts/1/2", "pts/"] {
            assert!(find(bad).is_err(), "{bad}");
        }
        // A host pty, if the host has one, is stat'ed as the host sees it: a character device.
        if let Some(&n) = hypercall::host_pts_list().first() {
            if let Ok(Found::PtsNode(m)) = find(&format!("pts/{n}")) {
                assert_eq!(m, n);
                assert_eq!(stat_of(&Found::PtsNode(n)).st_mode & m::S_IFMT, m::S_IFCHR);
            }
        }
    }
}
