//! In-memory file system: the rumpfs root and every tmpfs mount.
//!
//! NetBSD semantics: inode numbers, link counts (a directory has 2 + its subdirectories), new
//! files take the group of their directory, modes honour the umask, the sticky bit restricts
//! deletion, and directory cookies stay valid while entries come and go.

use super::file::{HostType, MemRef, Object};
use super::hypercall::{self, HostClock, HostFd};
use super::lock::LockTable;
use super::vfs::{permits, split_last, Ctx, FileSystem, FsResult, Opened, Walk};
use abi_netbsd::consts::{access_mode as am, dirent_type as dt, open_flags as of, stat_mode as m};
use abi_netbsd::errno as ne;
use abi_netbsd::structs::{Stat, Statvfs, Timespec};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

static NEXT_DEV: AtomicU64 = AtomicU64::new(0x0500);

/// A unique st_dev for a new in-memory or device file system.
pub fn new_dev() -> u64 {
    NEXT_DEV.fetch_add(1, Ordering::Relaxed)
}

const ROOT: u64 = 2;
/// Cap on the bytes one file system holds, reported by statvfs and enforced (ENOSPC).
const CAPACITY: u64 = 1 << 32;
const BSIZE: u64 = 4096;

pub enum Kind {
    Dir(Dir),
    File(Vec<u8>),
    Symlink(String),
    /// A FIFO: a nameless host FIFO behind a path handle (opening it blocks and reaches EOF
    /// exactly as a FIFO does).
    Fifo(Arc<HostFd>),
    /// A bound AF_UNIX socket: a nameless host socket behind a path handle.
    Socket(Arc<HostFd>),
}

#[derive(Default)]
pub struct Dir {
    /// Entries by insertion serial: the serial is the directory cookie, so positions survive
    /// insertions and removals.
    entries: BTreeMap<u64, (String, u64)>,
    names: HashMap<String, u64>,
    next_serial: u64,
    parent: u64,
}

impl Dir {
    fn get(&self, name: &str) -> Option<u64> {
        self.names.get(name).map(|s| self.entries[s].1)
    }
    fn insert(&mut self, name: &str, ino: u64) {
        let s = self.next_serial;
        self.next_serial += 1;
        self.entries.insert(s, (name.to_string(), ino));
        self.names.insert(name.to_string(), s);
    }
    fn remove(&mut self, name: &str) -> Option<u64> {
        let s = self.names.remove(name)?;
        self.entries.remove(&s).map(|(_, i)| i)
    }
}

pub struct Node {
    pub kind: Kind,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub nlink: u32,
    pub atime: Timespec,
    pub mtime: Timespec,
    pub ctime: Timespec,
    pub btime: Timespec,
    /// Open file descriptions on it: an unlinked node lives until the last one closes.
    pub opens: u32,
}

impl Node {
    fn is_dir(&self) -> bool {
        matches!(self.kind, Kind::Dir(_))
    }
    fn dir(&self) -> FsResult<&Dir> {
        match &self.kind {
            Kind::Dir(d) => Ok(d),
            _ => Err(ne::ENOTDIR),
        }
    }
    fn dir_mut(&mut self) -> FsResult<&mut Dir> {
        match &mut self.kind {
            Kind::Dir(d) => Ok(d),
            _ => Err(ne::ENOTDIR),
        }
    }
    fn size(&self) -> u64 {
        match &self.kind {
            Kind::Dir(d) => (d.entries.len() as u64 + 2) * 16,
            Kind::File(v) => v.len() as u64,
            Kind::Symlink(s) => super::name::encode(s).len() as u64,
            Kind::Fifo(_) | Kind::Socket(_) => 0,
        }
    }
    fn may(&self, cx: &Ctx, want: u32) -> bool {
        permits(self.mode, self.uid, self.gid, cx.cred, want)
    }
}

/// Zero-extends file data to `len` bytes; host memory running out is the file system's ENOSPC,
/// not an abort of the whole process.
fn grow_to(data: &mut Vec<u8>, len: u64) -> FsResult<()> {
    let len = usize::try_from(len).map_err(|_| ne::EFBIG)?;
    if data.len() < len {
        data.try_reserve(len - data.len()).map_err(|_| ne::ENOSPC)?;
        data.resize(len, 0);
    }
    Ok(())
}

pub struct Inner {
    nodes: HashMap<u64, Node>,
    next_ino: u64,
    bytes: u64,
}

/// One in-memory file system instance.
pub struct MemFs {
    inner: Mutex<Inner>,
    /// Advisory locks (fcntl and flock) on its files.
    pub locks: LockTable,
    dev: u64,
    name: &'static str,
    name_max: usize,
}

fn now() -> Timespec {
    hypercall::clock_gettime(HostClock::Realtime)
}

impl MemFs {
    /// `name` is the type reported by statvfs ("rumpfs", "tmpfs"); the root directory belongs to
    /// `uid`/`gid` with `mode`.
    pub fn new(name: &'static str, mode: u32, uid: u32, gid: u32) -> Arc<MemFs> {
        let t = now();
        let root = Node {
            kind: Kind::Dir(Dir {
                parent: ROOT,
                ..Default::default()
            }),
            mode: m::S_IFDIR | (mode & 0o7777),
            uid,
            gid,
            nlink: 2,
            atime: t,
            mtime: t,
            ctime: t,
            btime: t,
            opens: 0,
        };
        let mut nodes = HashMap::new();
        nodes.insert(ROOT, root);
        let name_max = if name == "tmpfs" { 255 } else { 511 };
        Arc::new(MemFs {
            inner: Mutex::new(Inner {
                nodes,
                next_ino: ROOT + 1,
                bytes: 0,
            }),
            locks: LockTable::default(),
            dev: new_dev(),
            name,
            name_max,
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap()
    }

    /// Resolves `rel` to an inode without following symlinks (the VFS did so already), checking
    /// search permission on every directory on the way.
    fn lookup(&self, g: &Inner, rel: &str, cx: &Ctx) -> FsResult<u64> {
        let mut ino = ROOT;
        if rel.is_empty() {
            return Ok(ino);
        }
        for comp in rel.split('/') {
            let n = &g.nodes[&ino];
            let d = n.dir()?;
            if !n.may(cx, am::X_OK) {
                return Err(ne::EACCES);
            }
            ino = d.get(comp).ok_or(ne::ENOENT)?;
        }
        Ok(ino)
    }

    /// The directory holding `rel`'s last component, checked for write (and search) access.
    fn parent_for_change(&self, g: &Inner, rel: &str, cx: &Ctx) -> FsResult<(u64, String)> {
        let (p, name) = split_last(rel);
        if super::name::encode(name).len() > self.name_max {
            return Err(ne::ENAMETOOLONG);
        }
        let pino = self.lookup(g, p, cx)?;
        let pn = &g.nodes[&pino];
        pn.dir()?;
        if !pn.may(cx, am::W_OK | am::X_OK) {
            return Err(ne::EACCES);
        }
        Ok((pino, name.to_string()))
    }

    fn alloc(&self, g: &mut Inner, kind: Kind, mode: u32, cx: &Ctx, dir_gid: u32) -> u64 {
        let ino = g.next_ino;
        g.next_ino += 1;
        let t = now();
        let nlink = if matches!(kind, Kind::Dir(_)) { 2 } else { 1 };
        g.nodes.insert(
            ino,
            Node {
                kind,
                mode,
                uid: cx.cred.euid,
                gid: dir_gid,
                nlink,
                atime: t,
                mtime: t,
                ctime: t,
                btime: t,
                opens: 0,
            },
        );
        ino
    }

    fn touch_dir(g: &mut Inner, ino: u64) {
        let t = now();
        let n = g.nodes.get_mut(&ino).unwrap();
        n.mtime = t;
        n.ctime = t;
    }

    /// Sticky directories only let owners (of the file or directory) and root delete.
    fn sticky_denies(g: &Inner, dir: u64, victim: u64, cx: &Ctx) -> bool {
        let d = &g.nodes[&dir];
        let v = &g.nodes[&victim];
        d.mode & m::S_ISVTX != 0
            && !cx.cred.is_root()
            && cx.cred.euid != d.uid
            && cx.cred.euid != v.uid
    }

    /// Drops one link; the node goes when no links and no open descriptions are left.
    fn drop_link(g: &mut Inner, ino: u64) {
        let n = g.nodes.get_mut(&ino).unwrap();
        n.nlink = n.nlink.saturating_sub(if n.is_dir() { 2 } else { 1 });
        n.ctime = now();
        if n.nlink == 0 && n.opens == 0 {
            let n = g.nodes.remove(&ino).unwrap();
            g.bytes -= n.size().min(g.bytes);
        }
    }

    fn stat_node(&self, ino: u64, n: &Node) -> Stat {
        let size = n.size();
        Stat {
            st_dev: self.dev,
            st_mode: n.mode,
            st_ino: ino,
            st_nlink: n.nlink,
            st_uid: n.uid,
            st_gid: n.gid,
            st_atim: n.atime,
            st_mtim: n.mtime,
            st_ctim: n.ctime,
            st_birthtim: n.btime,
            st_size: size as i64,
            st_blocks: (size.div_ceil(BSIZE) * (BSIZE / 512)) as i64,
            st_blksize: BSIZE as u32,
            ..Default::default()
        }
    }

    // --- operations on open nodes (through MemRef) ---

    pub fn open_ref(self: &Arc<Self>, ino: u64) -> MemRef {
        self.lock().nodes.get_mut(&ino).unwrap().opens += 1;
        MemRef {
            fs: self.clone(),
            ino,
        }
    }

    pub fn release(&self, ino: u64) {
        let mut g = self.lock();
        let Some(n) = g.nodes.get_mut(&ino) else {
            return;
        };
        n.opens -= 1;
        if n.opens == 0 && n.nlink == 0 {
            let n = g.nodes.remove(&ino).unwrap();
            g.bytes -= n.size().min(g.bytes);
        }
    }

    pub fn fstat(&self, ino: u64) -> Stat {
        let g = self.lock();
        self.stat_node(ino, &g.nodes[&ino])
    }

    pub fn read_at(&self, ino: u64, off: u64, buf: &mut [u8]) -> FsResult<usize> {
        let mut g = self.lock();
        let n = g.nodes.get_mut(&ino).unwrap();
        let Kind::File(data) = &n.kind else {
            return Err(ne::EISDIR);
        };
        let len = data.len() as u64;
        let k = if off >= len {
            0
        } else {
            buf.len().min((len - off) as usize)
        };
        buf[..k].copy_from_slice(&data[off as usize..off as usize + k]);
        n.atime = now();
        Ok(k)
    }

    pub fn write_at(&self, ino: u64, off: u64, buf: &[u8]) -> FsResult<usize> {
        let mut guard = self.lock();
        let g = &mut *guard;
        let end = off.checked_add(buf.len() as u64).ok_or(ne::EFBIG)?;
        let grow = end.saturating_sub(g.nodes[&ino].size());
        if g.bytes + grow > CAPACITY {
            return Err(ne::ENOSPC);
        }
        let n = g.nodes.get_mut(&ino).unwrap();
        let Kind::File(data) = &mut n.kind else {
            return Err(ne::EISDIR);
        };
        grow_to(data, end)?;
        data[off as usize..end as usize].copy_from_slice(buf);
        let t = now();
        n.mtime = t;
        n.ctime = t;
        g.bytes += grow;
        Ok(buf.len())
    }

    pub fn size_of(&self, ino: u64) -> u64 {
        self.lock().nodes[&ino].size()
    }

    pub fn ftruncate(&self, ino: u64, len: u64) -> FsResult<()> {
        let mut guard = self.lock();
        let g = &mut *guard;
        let cur = g.nodes[&ino].size();
        if len > cur && g.bytes + (len - cur) > CAPACITY {
            return Err(ne::ENOSPC);
        }
        let n = g.nodes.get_mut(&ino).unwrap();
        let Kind::File(data) = &mut n.kind else {
            return Err(ne::EISDIR);
        };
        if len > cur {
            grow_to(data, len)?;
        } else {
            data.truncate(len as usize);
            data.shrink_to_fit();
        }
        g.bytes = g.bytes + len.saturating_sub(cur) - cur.saturating_sub(len);
        let t = now();
        n.mtime = t;
        n.ctime = t;
        Ok(())
    }

    /// Directory entries from cookie `pos`: (name, ino, type, cookie of the next entry).
    /// Cookie 0 is ".", 1 is "..", 2 + serial an entry.
    pub fn readdir(&self, ino: u64, pos: u64, max: usize) -> Vec<(String, u64, u8, u64)> {
        let mut g = self.lock();
        let mut out = Vec::new();
        let Some(n) = g.nodes.get(&ino) else {
            return out;
        };
        let Ok(d) = n.dir() else { return out };
        if pos == 0 {
            out.push((".".to_string(), ino, dt::DT_DIR as u8, 1));
        }
        if pos <= 1 && n.nlink > 0 {
            out.push(("..".to_string(), d.parent, dt::DT_DIR as u8, 2));
        }
        let from = pos.saturating_sub(2);
        for (s, (name, child)) in d.entries.range(from..) {
            if out.len() >= max {
                break;
            }
            let t = match g.nodes.get(child).map(|c| &c.kind) {
                Some(Kind::Dir(_)) => dt::DT_DIR,
                Some(Kind::File(_)) => dt::DT_REG,
                Some(Kind::Symlink(_)) => dt::DT_LNK,
                Some(Kind::Fifo(_)) => dt::DT_FIFO,
                Some(Kind::Socket(_)) => dt::DT_SOCK,
                None => dt::DT_UNKNOWN,
            } as u8;
            out.push((name.clone(), *child, t, s + 3));
        }
        g.nodes.get_mut(&ino).unwrap().atime = now();
        out
    }

    pub fn fchmod(&self, ino: u64, mode: u32, cx: &Ctx) -> FsResult<()> {
        let mut g = self.lock();
        let n = g.nodes.get_mut(&ino).ok_or(ne::ENOENT)?;
        if !cx.cred.is_root() && cx.cred.euid != n.uid {
            return Err(ne::EPERM);
        }
        let mut mode = mode & 0o7777;
        if !cx.cred.is_root() {
            // Only root may set the sticky bit on files (EFTYPE) or set-gid for foreign groups.
            if !n.is_dir() && mode & m::S_ISVTX != 0 {
                return Err(ne::EFTYPE);
            }
            if mode & m::S_ISGID != 0 && !cx.cred.in_group(n.gid) {
                return Err(ne::EPERM);
            }
        }
        mode |= n.mode & m::S_IFMT;
        n.mode = mode;
        n.ctime = now();
        Ok(())
    }

    pub fn fchown(&self, ino: u64, uid: u32, gid: u32, cx: &Ctx) -> FsResult<()> {
        let mut g = self.lock();
        let n = g.nodes.get_mut(&ino).ok_or(ne::ENOENT)?;
        let nuid = if uid == u32::MAX { n.uid } else { uid };
        let ngid = if gid == u32::MAX { n.gid } else { gid };
        if !cx.cred.is_root()
            && (cx.cred.euid != n.uid
                || nuid != n.uid
                || (ngid != n.gid && !cx.cred.in_group(ngid)))
        {
            return Err(ne::EPERM);
        }
        if (nuid != n.uid || ngid != n.gid) && !cx.cred.is_root() {
            n.mode &= !(m::S_ISUID | m::S_ISGID);
        }
        n.uid = nuid;
        n.gid = ngid;
        n.ctime = now();
        Ok(())
    }

    pub fn futimens(&self, ino: u64, times: Option<[Timespec; 2]>, cx: &Ctx) -> FsResult<()> {
        use abi_netbsd::consts::utimens as u;
        let mut g = self.lock();
        let n = g.nodes.get_mut(&ino).ok_or(ne::ENOENT)?;
        let owner = cx.cred.is_root() || cx.cred.euid == n.uid;
        let t = now();
        let ts = times.unwrap_or(
            [Timespec {
                tv_sec: 0,
                tv_nsec: u::UTIME_NOW as i64,
            }; 2],
        );
        let explicit = ts
            .iter()
            .any(|t| t.tv_nsec != u::UTIME_NOW as i64 && t.tv_nsec != u::UTIME_OMIT as i64);
        for t in &ts {
            if t.tv_nsec != u::UTIME_NOW as i64
                && t.tv_nsec != u::UTIME_OMIT as i64
                && !(0..1_000_000_000).contains(&t.tv_nsec)
            {
                return Err(ne::EINVAL);
            }
        }
        if explicit && !owner {
            return Err(ne::EPERM);
        }
        if !owner && !n.may(cx, am::W_OK) {
            return Err(ne::EACCES);
        }
        let pick = |x: Timespec, old: Timespec| match x.tv_nsec {
            v if v == u::UTIME_NOW as i64 => t,
            v if v == u::UTIME_OMIT as i64 => old,
            _ => x,
        };
        n.atime = pick(ts[0], n.atime);
        n.mtime = pick(ts[1], n.mtime);
        n.ctime = t;
        Ok(())
    }

    /// Writes through a name need write permission on the node (open already checked for fds).
    fn check_node(&self, g: &Inner, ino: u64, cx: &Ctx, want: u32) -> FsResult<()> {
        if g.nodes[&ino].may(cx, want) {
            Ok(())
        } else {
            Err(ne::EACCES)
        }
    }

    fn create_file(&self, g: &mut Inner, rel: &str, mode: u32, cx: &Ctx) -> FsResult<u64> {
        let (pino, name) = self.parent_for_change(g, rel, cx)?;
        if g.nodes[&pino].nlink == 0 {
            return Err(ne::ENOENT);
        }
        let gid = g.nodes[&pino].gid;
        let ino = self.alloc(
            g,
            Kind::File(Vec::new()),
            m::S_IFREG | (mode & 0o7777 & !cx.umask),
            cx,
            gid,
        );
        g.nodes
            .get_mut(&pino)
            .unwrap()
            .dir_mut()?
            .insert(&name, ino);
        Self::touch_dir(g, pino);
        Ok(ino)
    }
}

impl FileSystem for MemFs {
    fn walk(&self, rel: &str, follow_last: bool, cx: &Ctx) -> FsResult<Walk> {
        let g = self.lock();
        let mut ino = ROOT;
        if rel.is_empty() {
            return Ok(Walk::Done);
        }
        let comps: Vec<&str> = rel.split('/').collect();
        for (i, comp) in comps.iter().enumerate() {
            let n = &g.nodes[&ino];
            let d = n.dir()?;
            if !n.may(cx, am::X_OK) {
                return Err(ne::EACCES);
            }
            let last = i + 1 == comps.len();
            let Some(child) = d.get(comp) else {
                // A missing last component is for the operation to judge (create, ENOENT…).
                return if last {
                    Ok(Walk::Done)
                } else {
                    Err(ne::ENOENT)
                };
            };
            if let Kind::Symlink(t) = &g.nodes[&child].kind {
                if !last || follow_last {
                    return Ok(Walk::Link {
                        prefix: comps[..i].join("/"),
                        target: t.clone(),
                        rest: comps[i + 1..].join("/"),
                    });
                }
            }
            ino = child;
        }
        Ok(Walk::Done)
    }

    fn stat(&self, rel: &str, _follow: bool, cx: &Ctx) -> FsResult<Stat> {
        let g = self.lock();
        let ino = self.lookup(&g, rel, cx)?;
        Ok(self.stat_node(ino, &g.nodes[&ino]))
    }

    fn open(self: Arc<Self>, rel: &str, flags: u32, mode: u32, cx: &Ctx) -> FsResult<Opened> {
        self.open_arc(rel, flags, mode, cx)
    }

    fn mkdir(&self, rel: &str, mode: u32, cx: &Ctx) -> FsResult<()> {
        let mut g = self.lock();
        if rel.is_empty() {
            return Err(ne::EEXIST);
        }
        let (pino, name) = self.parent_for_change(&g, rel, cx)?;
        if g.nodes[&pino].dir()?.get(&name).is_some() {
            return Err(ne::EEXIST);
        }
        if g.nodes[&pino].nlink == 0 {
            return Err(ne::ENOENT);
        }
        let gid = g.nodes[&pino].gid;
        let kind = Kind::Dir(Dir {
            parent: pino,
            ..Default::default()
        });
        let ino = self.alloc(
            &mut g,
            kind,
            m::S_IFDIR | (mode & 0o7777 & !cx.umask),
            cx,
            gid,
        );
        let p = g.nodes.get_mut(&pino).unwrap();
        p.dir_mut()?.insert(&name, ino);
        p.nlink += 1;
        Self::touch_dir(&mut g, pino);
        Ok(())
    }

    fn mkfifo(&self, rel: &str, mode: u32, cx: &Ctx) -> FsResult<()> {
        if rel.is_empty() {
            return Err(ne::EEXIST);
        }
        let fifo = Arc::new(hypercall::anon_fifo()?);
        let mut g = self.lock();
        let (pino, name) = self.parent_for_change(&g, rel, cx)?;
        if g.nodes[&pino].dir()?.get(&name).is_some() {
            return Err(ne::EEXIST);
        }
        let gid = g.nodes[&pino].gid;
        let mode = m::S_IFIFO | (mode & 0o7777 & !cx.umask);
        let ino = self.alloc(&mut g, Kind::Fifo(fifo), mode, cx, gid);
        g.nodes
            .get_mut(&pino)
            .unwrap()
            .dir_mut()?
            .insert(&name, ino);
        Self::touch_dir(&mut g, pino);
        Ok(())
    }

    fn unix_bind(&self, rel: &str, cx: &Ctx, bind: &dyn Fn(&[u8]) -> FsResult<()>) -> FsResult<()> {
        let mut g = self.lock();
        if rel.is_empty() {
            return Err(ne::EADDRINUSE);
        }
        let (pino, name) = self.parent_for_change(&g, rel, cx)?;
        if g.nodes[&pino].dir()?.get(&name).is_some() {
            return Err(ne::EADDRINUSE);
        }
        let h = hypercall::bind_anon_unix(bind)?;
        let gid = g.nodes[&pino].gid;
        let mode = m::S_IFSOCK | (0o777 & !cx.umask);
        let ino = self.alloc(&mut g, Kind::Socket(Arc::new(h)), mode, cx, gid);
        g.nodes
            .get_mut(&pino)
            .unwrap()
            .dir_mut()?
            .insert(&name, ino);
        Self::touch_dir(&mut g, pino);
        Ok(())
    }

    fn unix_path(&self, rel: &str, cx: &Ctx) -> FsResult<(Arc<HostFd>, Vec<u8>)> {
        let g = self.lock();
        let ino = self.lookup(&g, rel, cx)?;
        let n = &g.nodes[&ino];
        let Kind::Socket(h) = &n.kind else {
            return Err(ne::ENOTSOCK);
        };
        // Connecting needs write permission on the socket, as on NetBSD.
        if !n.may(cx, am::W_OK) {
            return Err(ne::EACCES);
        }
        Ok((h.clone(), hypercall::handle_path(h)))
    }

    fn rmdir(&self, rel: &str, cx: &Ctx) -> FsResult<()> {
        let mut g = self.lock();
        if rel.is_empty() {
            return Err(ne::EBUSY);
        }
        let (pino, name) = self.parent_for_change(&g, rel, cx)?;
        let ino = g.nodes[&pino].dir()?.get(&name).ok_or(ne::ENOENT)?;
        let d = g.nodes[&ino].dir()?;
        if !d.entries.is_empty() {
            return Err(ne::ENOTEMPTY);
        }
        if Self::sticky_denies(&g, pino, ino, cx) {
            return Err(ne::EPERM);
        }
        let p = g.nodes.get_mut(&pino).unwrap();
        p.dir_mut()?.remove(&name);
        p.nlink -= 1;
        Self::touch_dir(&mut g, pino);
        Self::drop_link(&mut g, ino);
        Ok(())
    }

    fn unlink(&self, rel: &str, cx: &Ctx) -> FsResult<()> {
        let mut g = self.lock();
        if rel.is_empty() {
            return Err(ne::EBUSY);
        }
        let (pino, name) = self.parent_for_change(&g, rel, cx)?;
        let ino = g.nodes[&pino].dir()?.get(&name).ok_or(ne::ENOENT)?;
        if g.nodes[&ino].is_dir() {
            return Err(ne::EPERM);
        }
        if Self::sticky_denies(&g, pino, ino, cx) {
            return Err(ne::EPERM);
        }
        g.nodes.get_mut(&pino).unwrap().dir_mut()?.remove(&name);
        Self::touch_dir(&mut g, pino);
        Self::drop_link(&mut g, ino);
        Ok(())
    }

    fn rename(&self, from: &str, to: &str, cx: &Ctx) -> FsResult<()> {
        let mut g = self.lock();
        if from.is_empty() || to.is_empty() {
            return Err(ne::EBUSY);
        }
        let (fp, fname) = self.parent_for_change(&g, from, cx)?;
        let fino = g.nodes[&fp].dir()?.get(&fname).ok_or(ne::ENOENT)?;
        let (tp, tname) = self.parent_for_change(&g, to, cx)?;
        let from_dir = g.nodes[&fino].is_dir();
        if from_dir && (to == from || to.starts_with(&format!("{from}/"))) {
            // Moving a directory below itself.
            return if to == from { Ok(()) } else { Err(ne::EINVAL) };
        }
        if Self::sticky_denies(&g, fp, fino, cx) {
            return Err(ne::EPERM);
        }
        if let Some(tino) = g.nodes[&tp].dir()?.get(&tname) {
            if tino == fino {
                // Two links to one file: POSIX says do nothing.
                return Ok(());
            }
            let to_dir = g.nodes[&tino].is_dir();
            match (from_dir, to_dir) {
                (true, false) => return Err(ne::ENOTDIR),
                (false, true) => return Err(ne::EISDIR),
                (true, true) if !g.nodes[&tino].dir()?.entries.is_empty() => {
                    return Err(ne::ENOTEMPTY)
                }
                _ => {}
            }
            if Self::sticky_denies(&g, tp, tino, cx) {
                return Err(ne::EPERM);
            }
            g.nodes.get_mut(&tp).unwrap().dir_mut()?.remove(&tname);
            if to_dir {
                g.nodes.get_mut(&tp).unwrap().nlink -= 1;
            }
            Self::drop_link(&mut g, tino);
        }
        g.nodes.get_mut(&fp).unwrap().dir_mut()?.remove(&fname);
        g.nodes
            .get_mut(&tp)
            .unwrap()
            .dir_mut()?
            .insert(&tname, fino);
        if from_dir && fp != tp {
            g.nodes.get_mut(&fp).unwrap().nlink -= 1;
            g.nodes.get_mut(&tp).unwrap().nlink += 1;
            if let Kind::Dir(d) = &mut g.nodes.get_mut(&fino).unwrap().kind {
                d.parent = tp;
            }
        }
        Self::touch_dir(&mut g, fp);
        Self::touch_dir(&mut g, tp);
        g.nodes.get_mut(&fino).unwrap().ctime = now();
        Ok(())
    }

    fn link(&self, from: &str, to: &str, _follow: bool, cx: &Ctx) -> FsResult<()> {
        let mut g = self.lock();
        let fino = self.lookup(&g, from, cx)?;
        if g.nodes[&fino].is_dir() {
            return Err(ne::EPERM);
        }
        if to.is_empty() {
            return Err(ne::EEXIST);
        }
        let (tp, tname) = self.parent_for_change(&g, to, cx)?;
        if g.nodes[&tp].dir()?.get(&tname).is_some() {
            return Err(ne::EEXIST);
        }
        if g.nodes[&fino].nlink >= abi_netbsd::consts::limits::LINK_MAX {
            return Err(ne::EMLINK);
        }
        g.nodes
            .get_mut(&tp)
            .unwrap()
            .dir_mut()?
            .insert(&tname, fino);
        let n = g.nodes.get_mut(&fino).unwrap();
        n.nlink += 1;
        n.ctime = now();
        Self::touch_dir(&mut g, tp);
        Ok(())
    }

    fn symlink(&self, target: &str, rel: &str, cx: &Ctx) -> FsResult<()> {
        let mut g = self.lock();
        if rel.is_empty() {
            return Err(ne::EEXIST);
        }
        let (pino, name) = self.parent_for_change(&g, rel, cx)?;
        if g.nodes[&pino].dir()?.get(&name).is_some() {
            return Err(ne::EEXIST);
        }
        let gid = g.nodes[&pino].gid;
        let mode = m::S_IFLNK | (0o777 & !cx.umask);
        let ino = self.alloc(&mut g, Kind::Symlink(target.to_string()), mode, cx, gid);
        g.bytes += target.len() as u64;
        g.nodes
            .get_mut(&pino)
            .unwrap()
            .dir_mut()?
            .insert(&name, ino);
        Self::touch_dir(&mut g, pino);
        Ok(())
    }

    fn readlink(&self, rel: &str, cx: &Ctx) -> FsResult<Vec<u8>> {
        let mut g = self.lock();
        let ino = self.lookup(&g, rel, cx)?;
        let n = g.nodes.get_mut(&ino).unwrap();
        match &n.kind {
            Kind::Symlink(t) => {
                let t = super::name::encode(t).into_owned();
                n.atime = now();
                Ok(t)
            }
            _ => Err(ne::EINVAL),
        }
    }

    fn chmod(&self, rel: &str, mode: u32, _follow: bool, cx: &Ctx) -> FsResult<()> {
        let ino = self.lookup(&self.lock(), rel, cx)?;
        self.fchmod(ino, mode, cx)
    }

    fn chown(&self, rel: &str, uid: u32, gid: u32, _follow: bool, cx: &Ctx) -> FsResult<()> {
        let ino = self.lookup(&self.lock(), rel, cx)?;
        self.fchown(ino, uid, gid, cx)
    }

    fn utimens(
        &self,
        rel: &str,
        times: Option<[Timespec; 2]>,
        _follow: bool,
        cx: &Ctx,
    ) -> FsResult<()> {
        let ino = self.lookup(&self.lock(), rel, cx)?;
        self.futimens(ino, times, cx)
    }

    fn truncate(&self, rel: &str, len: i64, cx: &Ctx) -> FsResult<()> {
        if len < 0 {
            return Err(ne::EINVAL);
        }
        let ino = {
            let g = self.lock();
            let ino = self.lookup(&g, rel, cx)?;
            if g.nodes[&ino].is_dir() {
                return Err(ne::EISDIR);
            }
            self.check_node(&g, ino, cx, am::W_OK)?;
            ino
        };
        self.ftruncate(ino, len as u64)
    }

    fn access(&self, rel: &str, mode: u32, _follow: bool, cx: &Ctx) -> FsResult<()> {
        let g = self.lock();
        let ino = self.lookup(&g, rel, cx)?;
        self.check_node(&g, ino, cx, mode & 7)
    }

    fn statvfs(&self) -> FsResult<Statvfs> {
        let g = self.lock();
        let mut v = Statvfs::default();
        v.f_flag = 0x1000; // MNT_LOCAL
        v.f_bsize = BSIZE;
        v.f_frsize = BSIZE;
        v.f_iosize = BSIZE;
        v.f_blocks = CAPACITY / BSIZE;
        v.f_bfree = (CAPACITY - g.bytes.min(CAPACITY)) / BSIZE;
        v.f_bavail = v.f_bfree;
        v.f_files = 1 << 20;
        v.f_ffree = v.f_files.saturating_sub(g.nodes.len() as u64);
        v.f_favail = v.f_ffree;
        v.f_fsidx = [self.dev as i32, 0];
        v.f_fsid = self.dev;
        v.f_namemax = self.name_max as u64;
        v.f_fstypename[..self.name.len()].copy_from_slice(self.name.as_bytes());
        v.f_mntfromname[..self.name.len()].copy_from_slice(self.name.as_bytes());
        Ok(v)
    }

    fn make_mountpoint(&self, rel: &str, dir: bool) {
        let mut g = self.lock();
        // Created as root would: mount points are the administrator's business.
        let root = super::proc::Cred {
            ruid: 0,
            euid: 0,
            svuid: 0,
            rgid: 0,
            egid: 0,
            svgid: 0,
            groups: vec![],
        };
        let cx = Ctx {
            cred: &root,
            umask: 0o022,
        };
        let mut cur = String::new();
        let comps: Vec<&str> = rel.split('/').collect();
        for (i, c) in comps.iter().enumerate() {
            if !cur.is_empty() {
                cur.push('/');
            }
            cur.push_str(c);
            if self.lookup(&g, &cur, &cx).is_ok() {
                continue;
            }
            drop(g);
            if i + 1 == comps.len() && !dir {
                let mut g2 = self.lock();
                let _ = self.create_file(&mut g2, &cur, 0o644, &cx);
            } else {
                let _ = self.mkdir(&cur, 0o755, &cx);
            }
            g = self.lock();
        }
    }
}

impl MemFs {
    /// open(2) on `rel` (the mount table holds the Arc this needs).
    pub fn open_arc(
        self: &Arc<Self>,
        rel: &str,
        flags: u32,
        mode: u32,
        cx: &Ctx,
    ) -> FsResult<Opened> {
        let acc = flags & of::O_ACCMODE;
        let writing = acc == of::O_WRONLY || acc == of::O_RDWR;
        let ino = {
            let mut g = self.lock();
            let mut created = false;
            let ino = match self.lookup(&g, rel, cx) {
                Ok(ino) => {
                    if flags & of::O_CREAT != 0 && flags & of::O_EXCL != 0 {
                        return Err(ne::EEXIST);
                    }
                    ino
                }
                Err(e) if e == ne::ENOENT && flags & of::O_CREAT != 0 => {
                    if rel.is_empty() {
                        return Err(ne::EISDIR);
                    }
                    created = true;
                    self.create_file(&mut g, rel, mode, cx)?
                }
                Err(e) => return Err(e),
            };
            let n = &g.nodes[&ino];
            match n.kind {
                Kind::Symlink(_) => return Err(ne::EFTYPE), // O_NOFOLLOW on a symlink
                Kind::Fifo(_) if flags & of::O_DIRECTORY != 0 => return Err(ne::ENOTDIR),
                Kind::Socket(_) => return Err(ne::EOPNOTSUPP),
                Kind::Dir(_) if writing || flags & of::O_TRUNC != 0 => return Err(ne::EISDIR),
                Kind::File(_) if flags & of::O_DIRECTORY != 0 => return Err(ne::ENOTDIR),
                _ => {}
            }
            let mut want = 0;
            if acc == of::O_RDONLY || acc == of::O_RDWR {
                want |= am::R_OK;
            }
            if writing || flags & of::O_TRUNC != 0 {
                want |= am::W_OK;
            }
            // A file we just created is ours whatever its mode says.
            if !created && !n.may(cx, want) {
                return Err(ne::EACCES);
            }
            ino
        };
        let fifo = match &self.lock().nodes[&ino].kind {
            Kind::Fifo(h) => Some(h.clone()),
            _ => None,
        };
        if let Some(h) = fifo {
            // Outside the lock: opening a FIFO waits for the other end.
            let fd = hypercall::open_handle(&h, flags)?;
            return Ok(Opened::Object(Object::Host {
                fd,
                ty: HostType::Stream,
                ro: false,
            }));
        }
        let is_dir = matches!(self.lock().nodes[&ino].kind, Kind::Dir(_));
        // As NetBSD's vn_open: O_TRUNC truncates whatever the access mode (write permission
        // was checked above).
        if flags & of::O_TRUNC != 0 && !is_dir {
            self.ftruncate(ino, 0)?;
        }
        let r = self.open_ref(ino);
        Ok(Opened::Object(if is_dir {
            Object::MemDir(r)
        } else {
            Object::MemFile(r)
        }))
    }
}
