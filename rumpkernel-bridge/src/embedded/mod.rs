//! The embedded backend: a kernel-only stack in Rust that behaves like a NetBSD rump kernel.
//!
//! [`EmbeddedKernel`] takes NetBSD syscall numbers with their arguments laid out as in
//! `syscalls.master` (PAD slots included: `lseek(fd, PAD, offset, whence)`), reads and writes
//! NetBSD structs at the caller's pointers, and answers NetBSD errno values. The host is reached
//! only through [`hypercall`].
//!
//! Module map: `vfs` (mounts, path resolution), `memfs` (rumpfs root and tmpfs), `hostfs`
//! (registered host files/directories), `devfs` (/dev), `file` (open file descriptions and fd
//! tables), `proc` (processes, lwps, credentials), `ctty` (controlling terminals, job control), `procinfo` (other processes, for /proc/<pid>), `time` (clocks), `syscalls` (one function per
//! NetBSD syscall, dispatched by number), `socket` (sockin: host sockets behind NetBSD's socket
//! calls), `unix` (Linux's abstract local names and LOCAL_PEEREID's ids, which host sockets do
//! not keep for the kernel), `lock` (advisory locks on in-memory files), `name` (file names as
//! bytes).
//!
//! Known gaps, so nobody mistakes them for NetBSD behaviour:
//! - Host directories resolve their own symlinks inside the registered tree (openat2
//!   RESOLVE_IN_ROOT), so an absolute link there never leads to another guest mount. The host
//!   checks permissions on them with rumplx's own credentials, whatever the guest's are.
//! - Paths are normalised lexically before lookup (`a/link/..` is `a`).
//! - Sockets carry SCM_RIGHTS control messages only for host objects; SCM_CREDENTIALS (a bridge
//!   extension) only on local sockets, kept by the kernel beside the host sockets (`passcred`).
//! - No mknod, kqueue, or signal delivery (a write to a pipe without readers
//!   raises the host's SIGPIPE on the calling thread, which is where the guest expects it).
//! - sysctl serves only kern.ostype, kern.osrelease, kern.hostname and kern.domainname.

pub mod hypercall;

mod ctty;
mod devfs;
mod evfd;
mod file;
mod hostfs;
mod kqueue;
mod lock;
mod memfs;
mod name;
mod passcred;
mod proc;
mod procinfo;
mod sigfd;
mod socket;
mod syscalls;
mod time;
mod unix;
mod vfs;

use crate::{Errno, HostKind, LwpId, Pid, RumpKernel, SysResult};
use abi_netbsd::errno as ne;
use file::{FdEntry, FdTable, HostType, Object, OpenFile};
use proc::{Cred, Proc, ProcTable};
use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use vfs::{Ctx, Vfs};

static NEXT_KERNEL: AtomicU64 = AtomicU64::new(1);

/// The parent of processes rforked from no process (there is no init process to ask).
const INIT_PID: Pid = 1;

thread_local! {
    /// The lwp each kernel instance has this host thread bound to: (kernel id, lwp) pairs, almost
    /// always one, looked up on every call (a scan, no hashing).
    static CURLWP: RefCell<Vec<(u64, LwpId)>> = const { RefCell::new(Vec::new()) };
}

/// The embedded NetBSD-semantics kernel.
pub struct EmbeddedKernel {
    id: u64,
    vfs: Vfs,
    procs: Mutex<ProcTable>,
    /// kern.hostname and kern.domainname.
    names: Mutex<(Vec<u8>, Vec<u8>)>,
    /// Abstract local socket names and recorded peer ids.
    unix: unix::Unix,
    /// SO_PASSCRED and the sender credentials queued at local sockets.
    creds: passcred::Creds,
}

/// A snapshot of the calling process's state for one syscall (so no table lock is held while
/// the call blocks on the host).
pub(crate) struct Current {
    pub pid: Pid,
    pub fds: Arc<Mutex<FdTable>>,
    pub ppid: Pid,
    /// Shared with the process table (no copy per call); a chdir puts a new one there.
    pub cwd: Arc<str>,
    pub umask: u32,
    pub cred: Arc<Cred>,
    pub nofile: u64,
}

impl Current {
    pub fn ctx(&self) -> Ctx<'_> {
        Ctx {
            cred: &self.cred,
            umask: self.umask,
        }
    }
}

impl Default for EmbeddedKernel {
    fn default() -> Self {
        Self::new()
    }
}

impl EmbeddedKernel {
    /// A kernel with an empty rumpfs at `/` and devfs at `/dev`, and proc0 (pid 0, the context of
    /// threads bound to no lwp) holding the host's credentials.
    pub fn new() -> EmbeddedKernel {
        let cred = Cred::from_host();
        let mut pt = ProcTable::default();
        pt.procs
            .insert(0, Self::fresh_proc(0, 0, Arc::new(cred), FdTable::default()));
        let k = EmbeddedKernel {
            id: NEXT_KERNEL.fetch_add(1, Ordering::Relaxed),
            vfs: Vfs::default(),
            procs: Mutex::new(pt),
            names: Mutex::new(hypercall::host_names()),
            unix: unix::Unix::default(),
            creds: passcred::Creds::default(),
        };
        let root = memfs::MemFs::new("rumpfs", 0o755, 0, 0);
        k.vfs.mount("/", root, true);
        k.vfs.mount("/dev", devfs::DevFs::new(), true);
        k
    }

    /// A process with no parent process: its parent's group and session are `ppid`'s (init's,
    /// or proc0's for proc0 itself), so it leads neither and may call setsid.
    fn fresh_proc(pid: Pid, ppid: Pid, cred: Arc<Cred>, fds: FdTable) -> Proc {
        Proc {
            pid,
            ppid,
            pgid: ppid,
            sid: ppid,
            fds: Arc::new(Mutex::new(fds)),
            cwd: "/".into(),
            umask: 0o022,
            cred,
            limits: proc::initial_limits(),
            lwps: Vec::new(),
            published: None,
            zombie: false,
            nocldwait: false,
            ctty: None,
            stop_signal: 0,
        }
    }

    /// Descriptors 0, 1, 2 on duplicates of the host's stdin, stdout and stderr.
    fn host_stdio() -> FdTable {
        use abi_netbsd::consts::open_flags as of;
        let mut t = FdTable::default();
        for (fd, acc) in [(0, of::O_RDONLY), (1, of::O_WRONLY), (2, of::O_WRONLY)] {
            let Ok(h) = hypercall::dup_host(fd) else {
                continue;
            };
            let ty = match hypercall::file_type(h.raw()) {
                Ok(abi_netbsd::consts::stat_mode::S_IFREG) => HostType::File,
                Ok(abi_netbsd::consts::stat_mode::S_IFDIR) => HostType::Dir,
                _ => HostType::Stream,
            };
            // The mode the host opened it with (a terminal is often O_RDWR, `>>` is O_APPEND).
            let acc = hypercall::status_flags(h.raw()).unwrap_or(acc);
            // What the host calls it (a tty, a file, or "pipe:[…]"), for F_GETPATH.
            let path = hypercall::fd_path(h.raw()).unwrap_or_else(|_| format!("/dev/fd/{fd}"));
            let obj = Object::Host {
                fd: h,
                ty,
                ro: false,
            };
            t.put(
                fd,
                FdEntry {
                    file: OpenFile::new(obj, acc, path),
                    cloexec: false,
                },
            );
        }
        t
    }

    fn curlwp(&self) -> Option<LwpId> {
        CURLWP.with(|c| c.borrow().iter().find(|e| e.0 == self.id).map(|e| e.1))
    }

    fn set_curlwp(&self, l: Option<LwpId>) {
        CURLWP.with(|c| {
            let mut c = c.borrow_mut();
            let at = c.iter().position(|e| e.0 == self.id);
            match (l, at) {
                (Some(l), Some(i)) => c[i].1 = l,
                (Some(l), None) => c.push((self.id, l)),
                (None, Some(i)) => {
                    c.swap_remove(i);
                }
                (None, None) => {}
            }
        });
    }

    /// The pid the calling thread acts for (proc0 when bound to no lwp).
    fn curpid(&self, pt: &ProcTable) -> Pid {
        self.curlwp()
            .and_then(|l| pt.lwps.get(&l).copied())
            .unwrap_or(0)
    }

    pub(crate) fn current(&self) -> Current {
        let pt = self.procs.lock().unwrap();
        let pid = self.curpid(&pt);
        let p = pt.get(pid).expect("current process exists");
        Current {
            pid,
            ppid: p.ppid,
            fds: p.fds.clone(),
            cwd: p.cwd.clone(),
            umask: p.umask,
            cred: p.cred.clone(),
            nofile: p.limits[abi_netbsd::consts::rlimit::RLIMIT_NOFILE as usize].rlim_cur,
        }
    }

    /// Runs `f` on the calling process's entry in the process table (in place, for calls that
    /// need no other process).
    /// Whether a process numbered `pid` exists (zombies included).
    pub(crate) fn pid_exists(&self, pid: Pid) -> bool {
        self.procs.lock().unwrap().procs.contains_key(&pid)
    }

    pub(crate) fn proc_mut<T>(&self, f: impl FnOnce(&mut Proc) -> T) -> T {
        let mut pt = self.procs.lock().unwrap();
        let pid = self.curpid(&pt);
        f(pt.get_mut(pid).expect("current process exists"))
    }

    /// [`crate::ext_events::SYS_EXT_reap`]: the calling process reaps its child `pid`.
    pub(crate) fn reap(&self, pid: Pid) -> SysResult {
        let fds = {
            let mut pt = self.procs.lock().unwrap();
            let me = self.curpid(&pt);
            pt.reap(me, pid)?
        };
        // Closing the descriptors may block on the host: outside the table lock.
        drop(fds);
        Ok([0, 0])
    }

    /// Runs `f` on the calling process's entry in the process table, with the rest of the table.
    pub(crate) fn with_proc<T>(&self, f: impl FnOnce(&mut Proc, &mut ProcTable) -> T) -> T {
        let mut pt = self.procs.lock().unwrap();
        let pid = self.curpid(&pt);
        // A reaped process whose lwp is still bound sees the table without itself, as before.
        let (mut p, defunct) = match pt.procs.remove(&pid) {
            Some(p) => (p, false),
            None => (pt.defunct.remove(&pid).expect("current process exists"), true),
        };
        let r = f(&mut p, &mut pt);
        if defunct {
            pt.defunct.insert(pid, p);
        } else {
            pt.procs.insert(pid, p);
        }
        r
    }
}

impl RumpKernel for EmbeddedKernel {
    fn name(&self) -> &'static str {
        "embedded"
    }

    fn syscall(&self, nr: u32, args: [u64; 6]) -> SysResult {
        syscalls::dispatch(self, nr, args)
    }

    fn lwproc_rfork(&self, share_files: bool) -> Result<Pid, Errno> {
        let mut pt = self.procs.lock().unwrap();
        let parent = self.curlwp().and_then(|l| pt.lwps.get(&l).copied());
        let pid = pt.alloc_pid();
        let p = match parent.and_then(|pp| pt.procs.get(&pp)) {
            Some(pp) => {
                let fds = if share_files {
                    pp.fds.clone()
                } else {
                    Arc::new(Mutex::new(pp.fds.lock().unwrap().clone()))
                };
                Proc {
                    pid,
                    ppid: pp.pid,
                    pgid: pp.pgid,
                    sid: pp.sid,
                    fds,
                    cwd: pp.cwd.clone(),
                    umask: pp.umask,
                    cred: pp.cred.clone(),
                    limits: pp.limits,
                    lwps: Vec::new(),
                    published: pp.published.clone(),
                    zombie: false,
                    nocldwait: pp.nocldwait,
                    ctty: pp.ctty,
                    stop_signal: 0,
                }
            }
            None => {
                let first = !pt.had_first;
                let fds = if first {
                    Self::host_stdio()
                } else {
                    FdTable::default()
                };
                pt.had_first = true;
                let cred = pt.procs[&0].cred.clone();
                let mut p = Self::fresh_proc(pid, INIT_PID, cred, fds);
                if first {
                    pt.terminals.adopt_host(hypercall::host_ctty(), &mut p);
                }
                p
            }
        };
        pt.procs.insert(pid, p);
        let l = pt.alloc_lwp(pid);
        drop(pt);
        self.set_curlwp(Some(l));
        Ok(pid)
    }

    fn lwproc_newlwp(&self, pid: Pid) -> Result<LwpId, Errno> {
        let mut pt = self.procs.lock().unwrap();
        if pid == 0 || !pt.procs.contains_key(&pid) {
            return Err(ne::ESRCH);
        }
        let l = pt.alloc_lwp(pid);
        drop(pt);
        self.set_curlwp(Some(l));
        Ok(l)
    }

    fn lwproc_switch(&self, lwp: LwpId) -> Result<(), Errno> {
        if !self.procs.lock().unwrap().lwps.contains_key(&lwp) {
            return Err(ne::ESRCH);
        }
        self.set_curlwp(Some(lwp));
        Ok(())
    }

    fn lwproc_releaselwp(&self) {
        let Some(l) = self.curlwp() else { return };
        self.set_curlwp(None);
        let gone = {
            let mut pt = self.procs.lock().unwrap();
            let Some(pid) = pt.lwps.remove(&l) else {
                return;
            };
            let Some(p) = pt.get_mut(pid) else { return };
            p.lwps.retain(|&x| x != l);
            if !p.lwps.is_empty() || pid == 0 {
                None
            } else if pt.defunct.contains_key(&pid) {
                // Reaped already: its end was seen then.
                pt.defunct.remove(&pid).map(|p| p.fds)
            } else {
                // The process ends: a zombie until its parent reaps it.
                pt.exit(pid)
            }
        };
        // Closing the descriptors may block on the host: outside the table lock.
        drop(gone);
    }

    fn lwproc_curlwp(&self) -> Option<LwpId> {
        let l = self.curlwp()?;
        self.procs
            .lock()
            .unwrap()
            .lwps
            .contains_key(&l)
            .then_some(l)
    }

    fn register_host(
        &self,
        guest_path: &str,
        host_path: &str,
        kind: HostKind,
        read_only: bool,
    ) -> Result<(), Errno> {
        if !guest_path.starts_with('/') {
            return Err(ne::EINVAL);
        }
        let fs: Arc<dyn vfs::FileSystem> = match kind {
            HostKind::Dir => hostfs::HostDir::new(host_path, read_only)?,
            HostKind::File => hostfs::HostFile::new(host_path, read_only)?,
        };
        self.vfs.mount(guest_path, fs, kind == HostKind::Dir);
        Ok(())
    }

    fn mount_tmpfs(&self, guest_path: &str) -> Result<(), Errno> {
        if !guest_path.starts_with('/') {
            return Err(ne::EINVAL);
        }
        // tmpfs's root is world-writable and sticky, like a /tmp.
        let fs = memfs::MemFs::new("tmpfs", 0o1777, 0, 0);
        self.vfs.mount(guest_path, fs, true);
        Ok(())
    }

    fn host_fd(&self, fd: i32) -> Option<i32> {
        let cur = self.current();
        let f = cur.fds.lock().unwrap().get(fd).ok()?;
        match &f.obj {
            Object::Host {
                fd,
                ty: HostType::File,
                ..
            } => Some(fd.raw()),
            _ => None,
        }
    }
}
