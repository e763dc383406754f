//! Open file descriptions and descriptor tables.
//!
//! As on NetBSD, a descriptor points at a shared open file description (`struct file`): dup'd
//! descriptors share its offset and status flags; close-on-exec belongs to the descriptor.

use super::devfs::{DevDir, DevNode};
use super::hypercall::{self, HostFd};
use super::lock::Owner;
use super::memfs::MemFs;
use abi_netbsd::consts::{open_flags as of, seek_whence as sw};
use abi_netbsd::errno as ne;
use abi_netbsd::structs::{dirent_reclen, DirentHeader, Iovec, Stat, DIRENT_NAME_OFFSET};
use abi_netbsd::Errno;
use std::sync::{Arc, Mutex};

pub type KResult<T> = Result<T, Errno>;

/// An open in-memory node; keeps an unlinked node alive until closed.
pub struct MemRef {
    pub fs: Arc<MemFs>,
    pub ino: u64,
}

impl MemRef {
    /// The flock owner: one per open file description (each holds its own MemRef).
    pub fn flock_owner(&self) -> Owner {
        Owner::File(self as *const MemRef as usize)
    }

    /// The owner of OFD record locks (extension): the same description, kept apart from flock.
    pub fn ofd_owner(&self) -> Owner {
        Owner::Ofd(self as *const MemRef as usize)
    }

    /// Releases the fcntl locks of process `pid` on this file (any close by it does, per POSIX).
    pub fn release_proc_locks(&self, pid: i32) {
        self.fs.locks.release(self.ino, Owner::Proc(pid));
    }
}

impl Drop for MemRef {
    fn drop(&mut self) {
        self.fs.locks.release(self.ino, self.flock_owner());
        self.fs.locks.release(self.ino, self.ofd_owner());
        self.fs.release(self.ino);
    }
}

/// What a host descriptor is, for the operations that differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostType {
    File,
    Dir,
    /// Pipes, FIFOs, terminals, other character devices: no offset.
    Stream,
}

/// The object behind an open file description.
pub enum Object {
    /// `ro`: opened from a read-only registration (metadata changes through it are refused).
    Host {
        fd: HostFd,
        ty: HostType,
        ro: bool,
    },
    MemFile(MemRef),
    MemDir(MemRef),
    Dev(DevNode),
    DevDir(DevDir),
    /// A signalfd (extension): reads are the personality's, readiness per-process host pipes.
    Signal(Arc<super::sigfd::SignalFd>),
}

/// An open file description (NetBSD `struct file`).
pub struct OpenFile {
    pub obj: Object,
    /// Access mode and status flags (NetBSD O_* values).
    pub flags: Mutex<u32>,
    /// Offset (or directory cookie) of objects the host does not track.
    pub offset: Mutex<u64>,
    /// Normalised guest path it was opened by (for *at calls relative to it and fchdir).
    pub path: String,
    /// The terminal it reaches, if any: asked of the host once, on first need.
    tty: std::sync::OnceLock<Option<super::ctty::TtyRef>>,
}

/// Status flags F_SETFL may change.
pub const SETFL_MASK: u32 =
    of::O_APPEND | of::O_NONBLOCK | of::O_ASYNC | of::O_FSYNC | of::O_DSYNC | of::O_RSYNC;

impl OpenFile {
    pub fn new(obj: Object, flags: u32, path: String) -> Arc<OpenFile> {
        let keep = of::O_ACCMODE | SETFL_MASK | of::O_DIRECT;
        Arc::new(OpenFile {
            obj,
            flags: Mutex::new(flags & keep),
            offset: Mutex::new(0),
            path,
            tty: std::sync::OnceLock::new(),
        })
    }

    /// The terminal this description reaches (host character devices only).
    pub fn tty(&self) -> Option<super::ctty::TtyRef> {
        match &self.obj {
            Object::Host { fd, ty: HostType::Stream, .. } => *self.tty.get_or_init(|| {
                hypercall::tty_identity(fd.raw()).map(|(id, master)| super::ctty::TtyRef { id, master })
            }),
            _ => None,
        }
    }

    pub fn status(&self) -> u32 {
        *self.flags.lock().unwrap()
    }

    pub fn readable(&self) -> KResult<()> {
        match self.status() & of::O_ACCMODE {
            of::O_RDONLY | of::O_RDWR => Ok(()),
            _ => Err(ne::EBADF),
        }
    }

    pub fn writable(&self) -> KResult<()> {
        match self.status() & of::O_ACCMODE {
            of::O_WRONLY | of::O_RDWR => Ok(()),
            _ => Err(ne::EBADF),
        }
    }

    /// A close by process `pid` drops its record locks on the file.
    pub fn closed_by(&self, pid: i32) {
        if let Object::MemFile(r) | Object::MemDir(r) = &self.obj {
            r.release_proc_locks(pid);
        }
    }

    pub fn is_dir(&self) -> bool {
        matches!(
            self.obj,
            Object::MemDir(_)
                | Object::DevDir(_)
                | Object::Host {
                    ty: HostType::Dir,
                    ..
                }
        )
    }

    /// F_SETFL: the host must see non-blocking and append mode to honour them.
    pub fn set_status(&self, new: u32) -> KResult<()> {
        let mut f = self.flags.lock().unwrap();
        let nf = (*f & !SETFL_MASK) | (new & SETFL_MASK);
        if let Object::Host { fd, .. } = &self.obj {
            hypercall::set_status_flags(
                fd.raw(),
                nf & of::O_NONBLOCK != 0,
                nf & of::O_APPEND != 0,
            )?;
        }
        *f = nf;
        Ok(())
    }

    pub fn read(&self, buf: &mut [u8]) -> KResult<usize> {
        self.readable()?;
        match &self.obj {
            Object::Host {
                ty: HostType::Dir, ..
            }
            | Object::MemDir(_)
            | Object::DevDir(_) => Err(ne::EISDIR),
            Object::Host { fd, .. } => hypercall::read(fd.raw(), buf.as_mut_ptr(), buf.len()),
            Object::MemFile(r) => {
                let mut off = self.offset.lock().unwrap();
                let n = r.fs.read_at(r.ino, *off, buf)?;
                *off += n as u64;
                Ok(n)
            }
            Object::Dev(d) => d.read(buf),
            Object::Signal(_) => Err(crate::ext_events::ELAYER),
        }
    }

    pub fn write(&self, buf: &[u8]) -> KResult<usize> {
        self.writable()?;
        match &self.obj {
            Object::Host {
                ty: HostType::Dir, ..
            }
            | Object::MemDir(_)
            | Object::DevDir(_) => Err(ne::EISDIR),
            Object::Host { fd, .. } => hypercall::write(fd.raw(), buf.as_ptr(), buf.len()),
            Object::MemFile(r) => {
                let mut off = self.offset.lock().unwrap();
                if self.status() & of::O_APPEND != 0 {
                    *off = r.fs.size_of(r.ino);
                }
                let n = r.fs.write_at(r.ino, *off, buf)?;
                *off += n as u64;
                Ok(n)
            }
            Object::Dev(d) => d.write(buf),
            Object::Signal(_) => Err(ne::EINVAL),
        }
    }

    pub fn pread(&self, buf: &mut [u8], off: i64) -> KResult<usize> {
        self.readable()?;
        if off < 0 {
            return Err(ne::EINVAL);
        }
        match &self.obj {
            Object::Host {
                ty: HostType::Stream,
                ..
            }
            | Object::Signal(_) => Err(ne::ESPIPE),
            Object::Host {
                ty: HostType::Dir, ..
            }
            | Object::MemDir(_)
            | Object::DevDir(_) => Err(ne::EISDIR),
            Object::Host { fd, .. } => hypercall::pread(fd.raw(), buf.as_mut_ptr(), buf.len(), off),
            Object::MemFile(r) => r.fs.read_at(r.ino, off as u64, buf),
            Object::Dev(d) => d.read(buf),
        }
    }

    pub fn pwrite(&self, buf: &[u8], off: i64) -> KResult<usize> {
        self.writable()?;
        if off < 0 {
            return Err(ne::EINVAL);
        }
        match &self.obj {
            Object::Host {
                ty: HostType::Stream,
                ..
            }
            | Object::Signal(_) => Err(ne::ESPIPE),
            Object::Host {
                ty: HostType::Dir, ..
            }
            | Object::MemDir(_)
            | Object::DevDir(_) => Err(ne::EISDIR),
            Object::Host { fd, .. } => hypercall::pwrite(fd.raw(), buf.as_ptr(), buf.len(), off),
            // NetBSD's pwrite ignores O_APPEND.
            Object::MemFile(r) => r.fs.write_at(r.ino, off as u64, buf),
            Object::Dev(d) => d.write(buf),
        }
    }

    /// readv/preadv: host descriptors take the vector whole (one atomic host call).
    pub fn readv(&self, iov: &[Iovec], off: Option<i64>) -> KResult<usize> {
        if let (Object::Host { fd, ty, .. }, true) = (&self.obj, self.readable().is_ok()) {
            if *ty != HostType::Dir && !(off.is_some() && *ty == HostType::Stream) {
                if off.is_some_and(|o| o < 0) {
                    return Err(ne::EINVAL);
                }
                return hypercall::readv(fd.raw(), iov, off);
            }
        }
        let mut total = 0usize;
        for v in iov {
            // SAFETY: the caller validated every iovec buffer.
            let b = unsafe {
                std::slice::from_raw_parts_mut(v.iov_base as *mut u8, v.iov_len as usize)
            };
            let n = match off {
                Some(o) => self.pread(b, o + total as i64),
                None => self.read(b),
            };
            match n {
                Ok(n) => {
                    total += n;
                    if n < b.len() {
                        break;
                    }
                }
                Err(e) if total == 0 => return Err(e),
                Err(_) => break,
            }
        }
        Ok(total)
    }

    pub fn writev(&self, iov: &[Iovec], off: Option<i64>) -> KResult<usize> {
        if let (Object::Host { fd, ty, .. }, true) = (&self.obj, self.writable().is_ok()) {
            if *ty != HostType::Dir && !(off.is_some() && *ty == HostType::Stream) {
                if off.is_some_and(|o| o < 0) {
                    return Err(ne::EINVAL);
                }
                return hypercall::writev(fd.raw(), iov, off);
            }
        }
        let mut total = 0usize;
        for v in iov {
            // SAFETY: the caller validated every iovec buffer.
            let b =
                unsafe { std::slice::from_raw_parts(v.iov_base as *const u8, v.iov_len as usize) };
            let n = match off {
                Some(o) => self.pwrite(b, o + total as i64),
                None => self.write(b),
            };
            match n {
                Ok(n) => {
                    total += n;
                    if n < b.len() {
                        break;
                    }
                }
                Err(e) if total == 0 => return Err(e),
                Err(_) => break,
            }
        }
        Ok(total)
    }

    pub fn lseek(&self, off: i64, whence: u32) -> KResult<i64> {
        match &self.obj {
            Object::Host { fd, .. } => hypercall::lseek(fd.raw(), off, whence),
            // Linux's noop_llseek: the offset stays 0.
            Object::Signal(_) => Ok(0),
            _ => {
                let mut cur = self.offset.lock().unwrap();
                let base = match whence {
                    sw::SEEK_SET => 0,
                    sw::SEEK_CUR => *cur as i64,
                    sw::SEEK_END => match &self.obj {
                        Object::MemFile(r) => r.fs.size_of(r.ino) as i64,
                        _ => 0,
                    },
                    _ => return Err(ne::EINVAL),
                };
                let new = base.checked_add(off).ok_or(ne::EOVERFLOW)?;
                if new < 0 {
                    return Err(ne::EINVAL);
                }
                *cur = new as u64;
                Ok(new)
            }
        }
    }

    pub fn fstat(&self) -> KResult<Stat> {
        match &self.obj {
            Object::Host { fd, .. } => hypercall::fstat(fd.raw()),
            Object::MemFile(r) | Object::MemDir(r) => Ok(r.fs.fstat(r.ino)),
            Object::Dev(d) => Ok(d.stat()),
            Object::DevDir(d) => Ok(d.stat),
            Object::Signal(s) => s.fstat(),
        }
    }

    pub fn ftruncate(&self, len: i64) -> KResult<()> {
        if len < 0 {
            return Err(ne::EINVAL);
        }
        // NetBSD: EINVAL unless open for writing (not EBADF).
        if self.writable().is_err() {
            return Err(ne::EINVAL);
        }
        match &self.obj {
            Object::Host {
                fd,
                ty: HostType::File,
                ..
            } => hypercall::ftruncate(fd.raw(), len),
            Object::MemFile(r) => r.fs.ftruncate(r.ino, len as u64),
            _ => Err(ne::EINVAL),
        }
    }

    /// getdents: NetBSD dirent records; the offset after the call is the cookie of the next entry.
    pub fn getdents(&self, out: &mut [u8]) -> KResult<usize> {
        let mut w = DirentWriter {
            out,
            len: 0,
            overflowed: false,
        };
        match &self.obj {
            Object::MemDir(r) => {
                let mut off = self.offset.lock().unwrap();
                for (name, ino, ty, next) in r.fs.readdir(r.ino, *off, 4096) {
                    if !w.push(ino, ty, &super::name::encode(&name)) {
                        break;
                    }
                    *off = next;
                }
            }
            Object::DevDir(d) => {
                let mut off = self.offset.lock().unwrap();
                for (i, (name, ino, ty)) in d.entries.iter().enumerate().skip(*off as usize) {
                    if !w.push(*ino, *ty, name.as_bytes()) {
                        break;
                    }
                    *off = i as u64 + 1;
                }
            }
            Object::Host {
                fd,
                ty: HostType::Dir,
                ..
            } => {
                let start = hypercall::lseek(fd.raw(), 0, sw::SEEK_CUR)?;
                let ents = hypercall::getdents(fd.raw(), w.out.len())?;
                let mut resume = None;
                for e in &ents {
                    if !w.push(e.ino, e.dtype, &e.name) {
                        resume = Some(e);
                        break;
                    }
                }
                if let Some(e) = resume {
                    // Put the host back before the entry that did not fit.
                    let idx = ents.iter().position(|x| std::ptr::eq(x, e)).unwrap();
                    let back = if idx == 0 { start } else { ents[idx - 1].next };
                    hypercall::lseek(fd.raw(), back, sw::SEEK_SET)?;
                }
            }
            _ => return Err(ne::ENOTDIR),
        }
        if w.len == 0 && w.overflowed {
            return Err(ne::EINVAL);
        }
        Ok(w.len)
    }

    pub fn fsync(&self, data_only: bool) -> KResult<()> {
        match &self.obj {
            Object::Host {
                fd,
                ty: HostType::File | HostType::Dir,
                ..
            } => hypercall::fsync(fd.raw(), data_only),
            Object::Host { .. } | Object::Signal(_) => Err(ne::EINVAL),
            _ => Ok(()), // in memory: nothing to flush
        }
    }
}

struct DirentWriter<'a> {
    out: &'a mut [u8],
    len: usize,
    overflowed: bool,
}

impl DirentWriter<'_> {
    /// Appends one record; false when it does not fit.
    fn push(&mut self, ino: u64, ty: u8, name: &[u8]) -> bool {
        let rl = dirent_reclen(name.len());
        if self.len + rl > self.out.len() {
            self.overflowed = true;
            return false;
        }
        let h = DirentHeader {
            d_fileno: ino,
            d_reclen: rl as u16,
            d_namlen: name.len() as u16,
            d_type: ty,
        };
        let rec = &mut self.out[self.len..self.len + rl];
        rec.fill(0);
        rec[0..8].copy_from_slice(&h.d_fileno.to_ne_bytes());
        rec[8..10].copy_from_slice(&h.d_reclen.to_ne_bytes());
        rec[10..12].copy_from_slice(&h.d_namlen.to_ne_bytes());
        rec[12] = h.d_type;
        rec[DIRENT_NAME_OFFSET..DIRENT_NAME_OFFSET + name.len()].copy_from_slice(name);
        self.len += rl;
        true
    }
}

/// One descriptor slot.
#[derive(Clone)]
pub struct FdEntry {
    pub file: Arc<OpenFile>,
    pub cloexec: bool,
}

/// A process's descriptor table.
#[derive(Clone, Default)]
pub struct FdTable {
    slots: Vec<Option<FdEntry>>,
}

impl FdTable {
    pub fn get(&self, fd: i32) -> KResult<Arc<OpenFile>> {
        self.entry(fd).map(|e| e.file.clone())
    }

    pub fn entry(&self, fd: i32) -> KResult<&FdEntry> {
        if fd < 0 {
            return Err(ne::EBADF);
        }
        self.slots
            .get(fd as usize)
            .and_then(|s| s.as_ref())
            .ok_or(ne::EBADF)
    }

    pub fn entry_mut(&mut self, fd: i32) -> KResult<&mut FdEntry> {
        if fd < 0 {
            return Err(ne::EBADF);
        }
        self.slots
            .get_mut(fd as usize)
            .and_then(|s| s.as_mut())
            .ok_or(ne::EBADF)
    }

    /// Lowest free descriptor ≥ `min` below `limit` (EMFILE otherwise).
    pub fn alloc(&mut self, min: i32, e: FdEntry, limit: u64) -> KResult<i32> {
        let min = min.max(0) as usize;
        let mut i = min;
        while i < self.slots.len() && self.slots[i].is_some() {
            i += 1;
        }
        if i as u64 >= limit {
            return Err(ne::EMFILE);
        }
        self.put(i as i32, e);
        Ok(i as i32)
    }

    /// Installs `e` at `fd`, returning what was there (closed by the caller dropping it).
    pub fn put(&mut self, fd: i32, e: FdEntry) -> Option<FdEntry> {
        let i = fd as usize;
        if self.slots.len() <= i {
            self.slots.resize(i + 1, None);
        }
        self.slots[i].replace(e)
    }

    pub fn remove(&mut self, fd: i32) -> KResult<FdEntry> {
        if fd < 0 {
            return Err(ne::EBADF);
        }
        self.slots
            .get_mut(fd as usize)
            .and_then(|s| s.take())
            .ok_or(ne::EBADF)
    }

    /// Descriptors in use, ascending.
    pub fn fds(&self) -> Vec<i32> {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.is_some())
            .map(|(i, _)| i as i32)
            .collect()
    }
}
