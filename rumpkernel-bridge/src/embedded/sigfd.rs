//! signalfd descriptors (the extension calls of [`crate::ext_events`]). The signals are the
//! personality's; the kernel keeps the descriptor with its mask and a readiness the personality
//! sets. Readiness is per process, as Linux evaluates a signalfd against the signals of the
//! process looking at it: each process that uses the descriptor gets a host pipe holding one byte
//! while a signal of the mask is pending for it, and poll and kqueue wait on the caller's pipe like
//! on any host descriptor (read ends only: never writable, as Linux's signalfd). A kqueue
//! registration keeps the pipe of the process that made it, which is Linux's behaviour too (an
//! epoll registration of a signalfd reports for the registering process). Reads answer ELAYER for
//! the personality to serve.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::file::{FdEntry, KResult, Object, OpenFile};
use super::hypercall::{self, HostFd};
use super::syscalls::{ok, R};
use super::{Current, EmbeddedKernel};
use crate::ext_events::*;
use crate::Pid;
use abi_netbsd::consts::open_flags as of;
use abi_netbsd::errno as ne;
use abi_netbsd::structs::Stat;
use abi_netbsd::SysResult;

/// SIGKILL and SIGSTOP never reach a signalfd (Linux drops them from the mask).
const UNBLOCKABLE: u64 = (1 << (9 - 1)) | (1 << (19 - 1));

/// One process's readiness of a signalfd: a non-blocking host pipe, its byte in while ready.
struct Carrier {
    rd: HostFd,
    wr: HostFd,
    /// The signals the process last said it has pending.
    pending: u64,
    ready: bool,
}

impl Carrier {
    fn new() -> R<Carrier> {
        let (rd, wr) = hypercall::pipe()?;
        hypercall::set_status_flags(rd.raw(), true, false)?;
        hypercall::set_status_flags(wr.raw(), true, false)?;
        Ok(Carrier { rd, wr, pending: 0, ready: false })
    }

    fn set(&mut self, want: bool) {
        if self.ready == want {
            return;
        }
        let mut b = [0u8; 1];
        let moved = if want { hypercall::write(self.wr.raw(), b.as_ptr(), 1) } else { hypercall::read(self.rd.raw(), b.as_mut_ptr(), 1) };
        if moved == Ok(1) {
            self.ready = want;
        }
    }
}

pub struct SignalFd {
    mask: AtomicU64,
    /// Readiness by kernel process id (made when a process first polls or reports signals).
    carriers: Mutex<BTreeMap<Pid, Carrier>>,
}

impl SignalFd {
    pub fn mask(&self) -> u64 {
        self.mask.load(Ordering::Relaxed)
    }

    /// Runs `f` on process `pid`'s carrier, made first if needed.
    fn with<T>(&self, pid: Pid, f: impl FnOnce(&mut Carrier) -> T) -> R<T> {
        let mut m = self.carriers.lock().unwrap();
        let c = match m.entry(pid) {
            std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::btree_map::Entry::Vacant(e) => e.insert(Carrier::new()?),
        };
        Ok(f(c))
    }

    /// The host descriptor whose readability is this descriptor's for process `pid`.
    pub fn poll_fd(&self, pid: Pid) -> R<i32> {
        self.with(pid, |c| c.rd.raw())
    }

    /// Process `pid` has `pending`: readable for it exactly while one of the mask is there.
    fn report(&self, pid: Pid, pending: u64) -> R<()> {
        let mask = self.mask();
        self.with(pid, |c| {
            c.pending = pending;
            c.set(pending & mask != 0)
        })
    }

    /// A new mask: every process's readiness follows.
    fn set_mask(&self, mask: u64) {
        self.mask.store(mask & !UNBLOCKABLE, Ordering::Relaxed);
        let mask = self.mask();
        for c in self.carriers.lock().unwrap().values_mut() {
            c.set(c.pending & mask != 0);
        }
    }

    /// As Linux's anonymous inodes: no file type, mode 0600, root's, one link.
    pub fn fstat(&self) -> KResult<Stat> {
        Ok(Stat { st_mode: 0o600, st_nlink: 1, st_blksize: 4096, ..Default::default() })
    }
}

/// Serves `nr` if it is a signalfd call.
#[allow(non_upper_case_globals)]
pub(super) fn dispatch(k: &EmbeddedKernel, c: &Current, nr: u32, a: [u64; 6]) -> Option<SysResult> {
    Some(match nr {
        SYS_EXT_signalfd => create(c, a[0], a[1] as u32, a[2]),
        SYS_EXT_signalfd_setmask => of_fd(k, c, a[0]).and_then(|s| {
            s.set_mask(a[1]);
            s.report(c.pid, a[2])?;
            ok(0)
        }),
        SYS_EXT_signalfd_getmask => of_fd(k, c, a[0]).map(|s| [s.mask(), 0]),
        SYS_EXT_signalfd_pending => pending(c, a[0]),
        _ => return None,
    })
}

fn create(c: &Current, mask: u64, flags: u32, pending: u64) -> SysResult {
    if flags & !(of::O_CLOEXEC | of::O_NONBLOCK) != 0 {
        return Err(ne::EINVAL);
    }
    let s = SignalFd { mask: AtomicU64::new(mask & !UNBLOCKABLE), carriers: Mutex::new(BTreeMap::new()) };
    s.report(c.pid, pending)?;
    let file = OpenFile::new(Object::Signal(Arc::new(s)), of::O_RDWR | (flags & of::O_NONBLOCK), "anon_inode:[signalfd]".into());
    let n = c.fds.lock().unwrap().alloc(0, FdEntry { file, cloexec: flags & of::O_CLOEXEC != 0 }, c.nofile)?;
    ok(n as u64)
}

/// The signalfd behind `fd` (EINVAL for other objects, as Linux's signalfd4 answers).
fn of_fd(k: &EmbeddedKernel, c: &Current, fd: u64) -> R<Arc<SignalFd>> {
    match &k.file(c, fd)?.obj {
        Object::Signal(s) => Ok(s.clone()),
        _ => Err(ne::EINVAL),
    }
}

/// The calling process has `pending`: its readiness of every signalfd in its table follows.
fn pending(c: &Current, pending: u64) -> SysResult {
    let files: Vec<Arc<SignalFd>> = {
        let t = c.fds.lock().unwrap();
        t.fds().into_iter().filter_map(|fd| t.get(fd).ok()).filter_map(|f| match &f.obj {
            Object::Signal(s) => Some(s.clone()),
            _ => None,
        }).collect()
    };
    for s in files {
        s.report(c.pid, pending)?;
    }
    ok(0)
}
