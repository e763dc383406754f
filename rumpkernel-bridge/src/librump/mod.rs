//! The librump backend: NetBSD's own rump kernel, loaded at run time from its shared libraries.
//!
//! The libraries are the ones the rump kernel project's tools build (librumpuser, librump,
//! librumpvfs, librumpfs_tmpfs, and the device and network components when present). They are
//! opened with `dlopen(RTLD_GLOBAL)` in dependency order, so that each component's constructor
//! registers it before `rump_init` boots the kernel. rumplx builds and runs without them: only
//! [`LibrumpKernel::open`] needs them, and it names the first library or symbol that is missing.
//!
//! Calls go through the kernel's own entry points:
//! - `rump_syscall(int num, void *data, size_t dlen, register_t *retval)`, exported by librump
//!   (not in the installed headers; declared here). `data` is the `syscalls.master` argument
//!   struct: on LP64 every argument (PADs included) occupies one 8-byte register slot, value in the
//!   low bytes, exactly the `[u64; 6]` of [`RumpKernel::syscall`] (see rump_syscalls.c's SPARG).
//! - `rump_pub_lwproc_{rfork,newlwp,switch,releaselwp,curlwp}` for processes and threads; the
//!   kernel binds an lwp to the calling host thread (rumpuser keeps it in thread-local storage).
//! - `rump_pub_etfs_register` for host files and directories, `__mount50("tmpfs")` for tmpfs.
//! - File-system images: the host file registered as a block device
//!   (`rump_pub_etfs_register_withsize(RUMP_ETFS_BLK)` at `/dev/rumplx-imgN`), then
//!   `__mount50(type, dir, flags, &args, sizeof args)` with that file system's argument struct;
//!   unmounted when the run ends (`end_run`) so that everything written reaches the host file.
//!
//! Living with rumplx's Syscall User Dispatch: rumpuser creates host threads (pthread_create) for
//! the kernel's own threads and clock, and makes host syscalls from the calling thread. rumplx
//! runs the personality with the SUD selector at ALLOW, so those syscalls reach the host; threads
//! the rump kernel creates do not inherit SUD (Linux clears it in clone). They do inherit the
//! creating thread's signal mask: `rump_init` runs with every signal blocked so that the kernel's
//! threads never take a host signal meant for a guest thread; threads the kernel creates later
//! from a guest thread's call inherit that thread's mask.

use std::collections::HashMap;
use std::ffi::{c_char, c_int, c_void, CString};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use abi_netbsd::errno as ne;
use abi_netbsd::nr;
use libloading::os::unix::{Library, RTLD_GLOBAL, RTLD_NOW};

mod remote;
mod stdio;

use crate::fsimage::FsType;
use crate::{Errno, HostKind, LwpId, Pid, RumpKernel, SysResult};

/// Libraries that must be present, in load order.
pub const REQUIRED: &[&str] = &["librumpuser.so", "librump.so", "librumpvfs.so", "librumpfs_tmpfs.so"];

/// Components loaded when present (after the required ones, in this order): sysproxy (processes
/// in other host processes: fork), devices, the
/// networking base, local-domain sockets, sockin (AF_INET/AF_INET6 sockets are the host's, so
/// servers are reachable from the host; NetBSD's own TCP/IP stack, librumpnet_netinet, would
/// register the same domains and is not loaded), /dev/random and /dev/urandom, disks,
/// fifos, and file systems for images.
pub const OPTIONAL: &[&str] = &[
    "librumpkern_sysproxy.so",
    "librumpdev.so",
    "librumpnet.so",
    "librumpnet_net.so",
    "librumpnet_local.so",
    "librumpnet_sockin.so",
    "librumpdev_rnd.so",
    "librumpdev_disk.so",
    "librumpvfs_fifofs.so",
    "librumpfs_fdesc.so",
    "librumpfs_ffs.so",
    "librumpfs_ext2fs.so",
    "librumpfs_msdos.so",
    "librumpfs_cd9660.so",
];

/// Where the guest's AF_INET/AF_INET6 sockets go on this backend.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum NetStack {
    /// sockin: the host's sockets under NetBSD's socket layer, so servers are reachable from the
    /// host and the guest reaches host services.
    #[default]
    Sockin,
    /// NetBSD's own TCP/IP stack (librumpnet_netinet, librumpnet_netinet6): a network of the
    /// kernel's own with only its loopback interface (127.0.0.1 and ::1), apart from the host's.
    Netinet,
}

/// The libraries the NetBSD TCP/IP stack needs beyond the networking base, in load order.
const NETINET: &[&str] = &["librumpnet_netinet.so", "librumpnet_netinet6.so"];

/// The environment variable naming the library directory.
pub const DIR_ENV: &str = "RUMPLX_LIBRUMP_DIR";

/// `rump.h`: rfork flags.
const RUMP_RFFDG: c_int = 0x01;
const RUMP_RFCFDG: c_int = 0x02;
/// `enum rump_sigmodel`: RUMP_SIGMODEL_IGNORE.
const RUMP_SIGMODEL_IGNORE: c_int = 1;
const RUMP_RFFD_SHARE: c_int = 0x00;
/// `enum rump_etfs_type`.
const RUMP_ETFS_REG: c_int = 0;
const RUMP_ETFS_BLK: c_int = 1;
const RUMP_ETFS_DIR_SUBDIRS: c_int = 4;
/// `SYS_NSYSENT` of this snapshot: numbers past it would index outside the syscall table.
const NSYSENT: u32 = 512;
/// `TMPFS_ARGS_VERSION`.
const TMPFS_ARGS_VERSION: c_int = 1;
/// `RUMP_ETFS_SIZE_ENDOFF`: up to the end of the host file.
const RUMP_ETFS_SIZE_ENDOFF: u64 = u64::MAX;
/// `MNT_RDONLY`, `MNT_FORCE` (sys/fstypes.h).
const MNT_RDONLY: u64 = 0x0000_0001;
const MNT_FORCE: u64 = 0x0008_0000;
/// `MSDOSFSMNT_LONGNAME`, `MSDOSFSMNT_VERSIONED`, `MSDOSFSMNT_VERSION` (fs/msdosfs/msdosfsmount.h).
const MSDOSFSMNT_LONGNAME: c_int = 2;
const MSDOSFSMNT_VERSIONED: c_int = 16;
const MSDOSFSMNT_VERSION: c_int = 3;

/// `struct tmpfs_args` (fs/tmpfs/tmpfs_args.h), LP64.
#[repr(C)]
struct TmpfsArgs {
    ta_version: c_int,
    ta_nodes_max: u64,
    ta_size_max: i64,
    ta_root_uid: u32,
    ta_root_gid: u32,
    ta_root_mode: u32,
}

/// `struct ufs_args` (ufs/ufs/ufsmount.h): ffs and ext2fs.
#[repr(C)]
struct UfsArgs {
    fspec: *const c_char,
}

/// `struct export_args30` (sys/mount.h), LP64: an unused compatibility member of the msdosfs and
/// cd9660 arguments (`struct uucred` with NGROUPS_MAX 16 groups, then pointers and lengths).
#[repr(C)]
struct ExportArgs30 {
    ex_flags: c_int,
    ex_root: u32,
    ex_anon: [u32; 20],
    ex_addr: *const c_void,
    ex_addrlen: c_int,
    ex_mask: *const c_void,
    ex_masklen: c_int,
    ex_indexfile: *const c_char,
}

/// `struct msdosfs_args` (fs/msdosfs/msdosfsmount.h), LP64, version 3.
#[repr(C)]
struct MsdosfsArgs {
    fspec: *const c_char,
    _pad1: ExportArgs30,
    uid: u32,
    gid: u32,
    mask: u32,
    flags: c_int,
    version: c_int,
    dirmask: u32,
    gmtoff: c_int,
}

/// `struct iso_args` (fs/cd9660/cd9660_mount.h), LP64.
#[repr(C)]
struct IsoArgs {
    fspec: *const c_char,
    _pad1: ExportArgs30,
    flags: c_int,
}

const _: () = {
    assert!(std::mem::size_of::<ExportArgs30>() == 128);
    assert!(std::mem::size_of::<MsdosfsArgs>() == 168);
    assert!(std::mem::offset_of!(MsdosfsArgs, uid) == 136);
    assert!(std::mem::offset_of!(MsdosfsArgs, gmtoff) == 160);
    assert!(std::mem::size_of::<IsoArgs>() == 144);
    assert!(std::mem::offset_of!(IsoArgs, flags) == 136);
    assert!(std::mem::size_of::<TmpfsArgs>() == 40);
};

type SyscallFn = unsafe extern "C" fn(c_int, *mut c_void, usize, *mut i64) -> c_int;
type InitFn = unsafe extern "C" fn() -> c_int;
type RforkFn = unsafe extern "C" fn(c_int) -> c_int;
type NewlwpFn = unsafe extern "C" fn(c_int) -> c_int;
type SwitchFn = unsafe extern "C" fn(*mut c_void);
type ReleaseFn = unsafe extern "C" fn();
type CurlwpFn = unsafe extern "C" fn() -> *mut c_void;
type HypRforkFn = unsafe extern "C" fn(*mut c_void, c_int, *const c_char) -> c_int;
type EtfsFn = unsafe extern "C" fn(*const c_char, *const c_char, c_int) -> c_int;
type EtfsSizeFn = unsafe extern "C" fn(*const c_char, *const c_char, c_int, u64, u64) -> c_int;

struct Entry {
    syscall: SyscallFn,
    rfork: RforkFn,
    newlwp: NewlwpFn,
    switch: SwitchFn,
    releaselwp: ReleaseFn,
    curlwp: CurlwpFn,
    etfs_register: EtfsFn,
    /// Take and give back a virtual CPU: the hypervisor-side calls (`hyp_*`) expect their caller
    /// to hold one, as rumpuser's own sysproxy server does around them.
    schedule: unsafe extern "C" fn(),
    unschedule: unsafe extern "C" fn(),
    etfs_register_withsize: EtfsSizeFn,
}

std::thread_local! {
    /// The lwp the kernel has bound to this host thread (rumpuser keeps it in the thread's own
    /// storage), or 0: kept by every call here that changes the binding (rfork, newlwp, switch,
    /// releaselwp), so knowing it costs nothing. Asking the kernel (`rump_pub_lwproc_curlwp`)
    /// takes and gives back a virtual CPU, and the sysproxy server asks before every request.
    static BOUND: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// The lwp bound to the calling thread, or null.
fn bound() -> *mut c_void {
    BOUND.with(|b| b.get()) as *mut c_void
}

fn set_bound(lwp: *mut c_void) {
    BOUND.with(|b| b.set(lwp as usize));
}

/// Ids for the kernel's `struct lwp *` handles (the trait speaks in small integers).
#[derive(Default)]
struct Lwps {
    by_ptr: HashMap<usize, LwpId>,
    by_id: HashMap<LwpId, usize>,
    next: LwpId,
}

/// NetBSD's rump kernel, booted in this process.
pub struct LibrumpKernel {
    f: Entry,
    lwps: Mutex<Lwps>,
    dir: PathBuf,
    loaded: Vec<String>,
    /// The sysproxy component's `hyp_rfork`, when it is loaded: makes processes for other host
    /// processes.
    hyp_rfork: Option<HypRforkFn>,
    /// The component's `hyp_lwpexit`: tells every other lwp of the current process to exit and
    /// wakes those asleep (their sleeps fail with EINTR from then on).
    hyp_lwpexit: Option<unsafe extern "C" fn()>,
    /// The guest's stdin/stdout/stderr pumps, once the first process exists.
    stdio: std::sync::OnceLock<stdio::Stdio>,
    /// Images registered so far (numbers their block devices).
    images: AtomicUsize,
    /// Where images are mounted read-write, in mount order (unmounted at the end of the run).
    rw_mounts: Mutex<Vec<String>>,
    /// Kept open for the life of the process (the kernel cannot be unloaded).
    _libs: Vec<Library>,
}

/// One rump kernel per process: `rump_init` boots it once.
static BOOTED: Mutex<Option<Arc<LibrumpKernel>>> = Mutex::new(None);

/// The directory to load from: the option, else `RUMPLX_LIBRUMP_DIR`.
pub fn library_dir(option: Option<&Path>) -> Option<PathBuf> {
    option
        .map(Path::to_path_buf)
        .or_else(|| std::env::var_os(DIR_ENV).filter(|v| !v.is_empty()).map(PathBuf::from))
}

/// Where the libraries of `dir` are: `dir` itself, or its `lib` subdirectory (an install tree).
pub fn resolve_dir(dir: &Path) -> PathBuf {
    if !dir.join(REQUIRED[0]).exists() && dir.join("lib").join(REQUIRED[0]).exists() {
        dir.join("lib")
    } else {
        dir.to_path_buf()
    }
}

/// The first required library `dir` lacks, if any (no loading).
pub fn missing_library(dir: &Path) -> Option<String> {
    let dir = resolve_dir(dir);
    REQUIRED.iter().find(|l| !dir.join(l).exists()).map(|l| format!("{} not found", dir.join(l).display()))
}

impl LibrumpKernel {
    /// Loads the libraries from `dir` and boots the kernel, or returns the booted one. The error is
    /// one line naming the library or symbol that is missing, or what failed.
    pub fn open(dir: &Path, net: NetStack) -> Result<Arc<LibrumpKernel>, String> {
        let mut booted = BOOTED.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(k) = booted.as_ref() {
            return Ok(k.clone());
        }
        let dir = resolve_dir(dir);
        let mut libs = Vec::new();
        let mut loaded = Vec::new();
        // sockin and netinet register the same domains: one of them.
        let mut wanted: Vec<(&str, bool)> = REQUIRED.iter().map(|n| (*n, true)).collect();
        for name in OPTIONAL {
            match (*name, net) {
                ("librumpnet_sockin.so", NetStack::Netinet) => wanted.extend(NETINET.iter().map(|n| (*n, true))),
                _ => wanted.push((name, false)),
            }
        }
        for (name, required) in wanted {
            let path = dir.join(name);
            if !path.exists() {
                if required {
                    return Err(format!("librump: {} not found (a NetBSD rump kernel library)", path.display()));
                }
                continue;
            }
            // SAFETY: loading runs the library's constructors, which only register rump
            // components; the rump kernel's symbols are all `rump`/`rumpns_`/`rumpuser_` prefixed.
            let lib = unsafe { Library::open(Some(&path), RTLD_NOW | RTLD_GLOBAL) }
                .map_err(|e| format!("librump: cannot load {}: {e}", path.display()))?;
            libs.push(lib);
            loaded.push(name.to_string());
        }
        fn sym<T: Copy>(libs: &[Library], name: &str) -> Result<T, String> {
            for lib in libs {
                // SAFETY: the types above are the prototypes of these rump entry points.
                if let Ok(s) = unsafe { lib.get::<T>(name.as_bytes()) } {
                    return Ok(*s);
                }
            }
            Err(format!("librump: symbol {name} not found in the loaded rump kernel libraries"))
        }
        let init: InitFn = sym(&libs, "rump_init")?;
        // The layer delivers signals by Linux's rules; the kernel's own posting (a SIGPIPE for a
        // broken pipe, which it would raise on the host) would come on top of it.
        if let Ok(set_sigmodel) = sym::<unsafe extern "C" fn(c_int)>(&libs, "rump_boot_setsigmodel") {
            // SAFETY: a boot-time setting, before rump_init.
            unsafe { set_sigmodel(RUMP_SIGMODEL_IGNORE) };
        }
        let f = Entry {
            syscall: sym(&libs, "rump_syscall")?,
            rfork: sym(&libs, "rump_pub_lwproc_rfork")?,
            newlwp: sym(&libs, "rump_pub_lwproc_newlwp")?,
            switch: sym(&libs, "rump_pub_lwproc_switch")?,
            releaselwp: sym(&libs, "rump_pub_lwproc_releaselwp")?,
            curlwp: sym(&libs, "rump_pub_lwproc_curlwp")?,
            etfs_register: sym(&libs, "rump_pub_etfs_register")?,
            schedule: sym(&libs, "rump_schedule")?,
            unschedule: sym(&libs, "rump_unschedule")?,
            etfs_register_withsize: sym(&libs, "rump_pub_etfs_register_withsize")?,
        };
        // The kernel's console (its printf) writes through rumpuser_putchar, i.e. the host libc's
        // putchar: unbuffered, so that nothing is left in a buffer when the run ends with _exit.
        extern "C" {
            static mut stdout: *mut libc::FILE;
        }
        // SAFETY: glibc's stdout stream, before anything in this process wrote to it through stdio.
        unsafe { libc::setvbuf(stdout, std::ptr::null_mut(), libc::_IONBF, 0) };
        // The kernel's threads inherit this mask: none of them may take a host signal. What the
        // boot prints on stderr (rumpuser's loader complaining about a library without a SysV
        // symbol hash, for one) is kept aside: the guest's stderr is its own. It is shown when
        // the boot fails.
        // SAFETY: rump_init has no preconditions; it runs once (under BOOTED's lock).
        let (rv, boot_log) = crate::hostmask::with_all_blocked(|| capturing_stderr(|| unsafe { init() }));
        if rv != 0 {
            let said = boot_log.lines().last().map(|l| format!(" ({l})")).unwrap_or_default();
            return Err(format!("librump: rump_init failed: {}{said}", errno_name(rv)));
        }
        // With the sysproxy component, forked guests get processes with remote vmspaces whose
        // copyin/copyout reach them through rumplx's own transport.
        let (hyp_rfork, hyp_lwpexit) = if loaded.iter().any(|l| l == "librumpkern_sysproxy.so") {
            let ops: *mut remote::SysproxyOps = sym::<*mut c_void>(&libs, "rump_sysproxy_ops").map(|p| p.cast())?;
            // SAFETY: the kernel's hook table, filled by the component during rump_init; no remote
            // process exists yet.
            unsafe {
                remote::install(ops);
                ((*ops).hyp_rfork, (*ops).hyp_lwpexit)
            }
        } else {
            (None, None)
        };
        let k = Arc::new(LibrumpKernel {
            f,
            lwps: Mutex::new(Lwps { next: 1, ..Lwps::default() }),
            dir,
            loaded,
            stdio: Default::default(),
            hyp_rfork,
            hyp_lwpexit,
            images: AtomicUsize::new(0),
            rw_mounts: Mutex::new(Vec::new()),
            _libs: libs,
        });
        if k.loaded.iter().any(|l| l == "librumpfs_fdesc.so") {
            k.mount_fdesc().map_err(|e| format!("librump: cannot mount fdesc on /dev/fd: {}", errno_name(e.0)))?;
        }
        *booted = Some(k.clone());
        Ok(k)
    }

    /// The directory the libraries came from.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The libraries loaded, in order.
    pub fn loaded(&self) -> &[String] {
        &self.loaded
    }

    /// The library of the file-system component that mounts `fs`.
    pub fn component_of(fs: FsType) -> String {
        format!("librumpfs_{}.so", fs.name())
    }

    /// Whether the component that mounts `fs` was loaded.
    pub fn has_component(&self, fs: FsType) -> bool {
        let lib = Self::component_of(fs);
        self.loaded.contains(&lib)
    }

    /// /dev/fd/N, /dev/stdin, /dev/stdout, /dev/stderr as on Linux (bash's process substitution
    /// opens /dev/fd/N): NetBSD's fdescfs, union-mounted on /dev as NetBSD itself does it.
    fn mount_fdesc(&self) -> Result<(), Errno> {
        /// `MNT_UNION` (sys/fstypes.h).
        const MNT_UNION: u64 = 0x20;
        let ty = CString::new("fdesc").unwrap();
        let at = CString::new("/dev").unwrap();
        self.syscall(nr::SYS___mount50, [ty.as_ptr() as u64, at.as_ptr() as u64, MNT_UNION, 0, 0, 0]).map(|_| ())
    }

    /// `mkdir -p`: every component of the absolute `guest_path`.
    fn mkdir_p(&self, guest_path: &str) -> Result<(), Errno> {
        let mut p = String::new();
        for comp in guest_path.split('/').filter(|c| !c.is_empty()) {
            p.push('/');
            p.push_str(comp);
            match self.path_call(nr::SYS_mkdir, &p, [0o755, 0, 0, 0, 0]) {
                Ok(_) | Err(ne::EEXIST) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// `__mount50(type, dir, flags, args, sizeof *args)`.
    fn mount<A>(&self, fstype: &str, dir: &str, flags: u64, args: &A) -> Result<(), Errno> {
        let ty = CString::new(fstype).map_err(|_| ne::EINVAL)?;
        let path = CString::new(dir).map_err(|_| ne::EINVAL)?;
        let data = args as *const A as u64;
        self.syscall(nr::SYS___mount50, [ty.as_ptr() as u64, path.as_ptr() as u64, flags, data, std::mem::size_of::<A>() as u64, 0])
            .map(|_| ())
    }

    fn id_of(&self, ptr: *mut c_void) -> Option<LwpId> {
        if ptr.is_null() {
            return None;
        }
        let mut t = self.lwps.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(id) = t.by_ptr.get(&(ptr as usize)) {
            return Some(*id);
        }
        let id = t.next;
        t.next += 1;
        t.by_ptr.insert(ptr as usize, id);
        t.by_id.insert(id, ptr as usize);
        Some(id)
    }

    /// The run's first process, made from nothing: the child of a pump process that holds the
    /// other ends of its stdin, stdout and stderr pipes (see [`stdio`]).
    fn first_process(&self) -> Result<Pid, Errno> {
        let me = BOOTED.lock().unwrap_or_else(|e| e.into_inner()).clone().ok_or(ne::ENXIO)?;
        // SAFETY: rump entry points with rfork flags; each binds the new process's lwp to this
        // thread. The pump process's first lwp is left unbound, never released (its last lwp
        // leaving would end it).
        let rv = unsafe { self.rfork(RUMP_RFCFDG) };
        if rv != 0 {
            return Err(Errno(rv));
        }
        let pump_pid = self.syscall(nr::SYS_getpid, [0; 6])?[0] as Pid;
        let pump_ends = stdio::Stdio::prepare(self)?;
        let pump_lwp = bound();
        let rv = unsafe { self.rfork(RUMP_RFFDG) };
        if rv != 0 {
            return Err(Errno(rv));
        }
        let guest_lwp = bound();
        for fd in pump_ends {
            self.syscall(nr::SYS_close, [fd as u64, 0, 0, 0, 0, 0])?;
        }
        let pid = self.syscall(nr::SYS_getpid, [0; 6])?[0] as Pid;
        // SAFETY: both lwps were made above and are not bound to any other thread.
        unsafe { self.switch_to(pump_lwp) };
        let started = stdio::Stdio::start(&me, pump_pid, pump_ends);
        unsafe { self.switch_to(guest_lwp) };
        self.stdio.set(started?).ok();
        self.id_of(guest_lwp);
        Ok(pid)
    }

    /// `rump_pub_lwproc_rfork`: binds the new process's lwp to this thread.
    ///
    /// # Safety
    /// The calling thread's lwp, if any, is one of the kernel's.
    unsafe fn rfork(&self, flags: c_int) -> c_int {
        let rv = (self.f.rfork)(flags);
        if rv == 0 {
            set_bound((self.f.curlwp)());
        }
        rv
    }

    /// `rump_pub_lwproc_newlwp`: binds a new lwp of process `pid` to this thread.
    fn newlwp(&self, pid: Pid) -> c_int {
        // SAFETY: rump entry points with a pid and without arguments.
        unsafe {
            let rv = (self.f.newlwp)(pid);
            if rv == 0 {
                set_bound((self.f.curlwp)());
            }
            rv
        }
    }

    /// `rump_pub_lwproc_switch`: binds `lwp` (or nothing, when null) to this thread.
    ///
    /// # Safety
    /// `lwp` is null or an lwp the kernel handed out, not released, bound to no other thread.
    unsafe fn switch_to(&self, lwp: *mut c_void) {
        (self.f.switch)(lwp);
        set_bound(lwp);
    }

    fn path_call(&self, nr: u32, path: &str, rest: [u64; 5]) -> SysResult {
        let c = CString::new(path).map_err(|_| ne::EINVAL)?;
        let [a, b, c2, d, e] = rest;
        self.syscall(nr, [c.as_ptr() as u64, a, b, c2, d, e])
    }
}

/// Runs `f` with fd 2 pointed at a memory file, then puts fd 2 back; returns what `f` wrote
/// there (nothing when the redirection could not be set up, and `f` then writes to fd 2).
fn capturing_stderr<R>(f: impl FnOnce() -> R) -> (R, String) {
    // SAFETY: descriptor calls on our own memfd and a duplicate of fd 2, put back below.
    unsafe {
        let log = libc::memfd_create(c"rump-boot".as_ptr(), libc::MFD_CLOEXEC);
        let saved = if log >= 0 { libc::fcntl(2, libc::F_DUPFD_CLOEXEC, 3) } else { -1 };
        if saved >= 0 {
            libc::dup2(log, 2);
        }
        let r = f();
        if saved >= 0 {
            libc::dup2(saved, 2);
            libc::close(saved);
        }
        let text = if log >= 0 {
            let t = std::fs::read_to_string(format!("/proc/self/fd/{log}")).unwrap_or_default();
            libc::close(log);
            t
        } else {
            String::new()
        };
        (r, text)
    }
}

fn errno_name(e: c_int) -> String {
    Errno(e).name().map(str::to_string).unwrap_or_else(|| format!("errno {e}"))
}

impl RumpKernel for LibrumpKernel {
    fn name(&self) -> &'static str {
        "librump"
    }

    fn syscall(&self, nr: u32, mut args: [u64; 6]) -> SysResult {
        // 0 and 198 are the indirect syscall(2)/__syscall(2); past NSYSENT is outside the table.
        if nr == 0 || nr == nr::SYS___syscall || nr >= NSYSENT {
            return Err(ne::ENOSYS);
        }
        let mut retval = [0i64; 2];
        // SAFETY: `args` is the register-slot argument struct rump_syscall expects; pointers in it
        // were checked by the caller, as for rump_sys_* in local mode.
        let rv = unsafe {
            (self.f.syscall)(nr as c_int, args.as_mut_ptr().cast(), std::mem::size_of_val(&args), retval.as_mut_ptr())
        };
        if rv != 0 {
            return Err(Errno(rv));
        }
        Ok([retval[0] as u64, retval[1] as u64])
    }

    fn lwproc_rfork(&self, share_files: bool) -> Result<Pid, Errno> {
        if bound().is_null() {
            return self.first_process();
        }
        let flags = if share_files { RUMP_RFFD_SHARE } else { RUMP_RFFDG };
        // Every process after the first runs in another host process (a forked guest, or a
        // CLONE_VM child): its vmspace is remote, its user memory reached through `remote`.
        let hyp_rfork = self.hyp_rfork.ok_or(ne::ENOSYS)?;
        // SAFETY: the component's rfork with a non-null private pointer (the hooks ignore it: the
        // serving thread knows its client), rfork flags and no name; binds the new process's lwp
        // to this thread. Like every hyp_* call it runs on a virtual CPU: without one it ran on
        // whatever CPU state was current and, now and then, left a CPU marked busy for good
        // (every later call then waited in rump_schedule).
        let rv = unsafe {
            (self.f.schedule)();
            let rv = hyp_rfork(std::ptr::NonNull::<u8>::dangling().as_ptr().cast(), flags, std::ptr::null());
            (self.f.unschedule)();
            rv
        };
        if rv != 0 {
            return Err(Errno(rv));
        }
        // SAFETY: rump entry point without arguments.
        set_bound(unsafe { (self.f.curlwp)() });
        self.id_of(bound());
        self.syscall(nr::SYS_getpid, [0; 6]).map(|r| r[0] as Pid)
    }

    fn lwproc_newlwp(&self, pid: Pid) -> Result<LwpId, Errno> {
        let rv = self.newlwp(pid);
        if rv != 0 {
            return Err(Errno(rv));
        }
        self.id_of(bound()).ok_or(ne::ESRCH)
    }

    fn lwproc_switch(&self, lwp: LwpId) -> Result<(), Errno> {
        let ptr = *self.lwps.lock().unwrap_or_else(|e| e.into_inner()).by_id.get(&lwp).ok_or(ne::ESRCH)?;
        // Already this thread's: NetBSD panics on a switch to a running lwp ("already running"),
        // where the trait's contract (and the embedded backend) makes it a no-op.
        if bound() as usize == ptr {
            return Ok(());
        }
        // SAFETY: `ptr` is an lwp the kernel handed out and that was not released through us.
        unsafe { self.switch_to(ptr as *mut c_void) };
        Ok(())
    }

    fn lwproc_releaselwp(&self) {
        let cur = bound();
        if cur.is_null() {
            return;
        }
        {
            let mut t = self.lwps.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(id) = t.by_ptr.remove(&(cur as usize)) {
                t.by_id.remove(&id);
            }
        }
        // SAFETY: rump entry point without arguments; the lwp goes when the call ends, and with
        // it the thread's binding.
        unsafe { (self.f.releaselwp)() };
        set_bound(std::ptr::null_mut());
    }

    fn lwproc_curlwp(&self) -> Option<LwpId> {
        self.id_of(bound())
    }

    fn lwproc_end_remote(&self, pid: Pid) -> Result<LwpId, Errno> {
        let lwpexit = self.hyp_lwpexit.ok_or(ne::ENOSYS)?;
        if !bound().is_null() {
            return Err(ne::EBUSY);
        }
        // An lwp of the process for this thread: hyp_lwpexit acts on the caller's process and
        // spares the caller (rumpuser's server keeps a main lwp per client for it). EBUSY when
        // the process was told to exit already.
        let rv = self.newlwp(pid);
        if rv != 0 {
            return Err(Errno(rv));
        }
        let lwp = bound();
        // SAFETY: the component's hyp_lwpexit, on a virtual CPU like every hyp_* call; then the
        // thread lets go of the lwp without releasing it (switch to nothing).
        unsafe {
            (self.f.schedule)();
            lwpexit();
            (self.f.unschedule)();
            self.switch_to(std::ptr::null_mut());
        }
        self.id_of(lwp).ok_or(ne::ESRCH)
    }

    fn register_host(&self, guest_path: &str, host_path: &str, kind: HostKind, read_only: bool) -> Result<(), Errno> {
        // etfs has no read-only registrations, and the root is rumpfs itself.
        if read_only || guest_path == "/" || !guest_path.starts_with('/') {
            return Err(ne::EOPNOTSUPP);
        }
        let g = CString::new(guest_path).map_err(|_| ne::EINVAL)?;
        let h = CString::new(host_path).map_err(|_| ne::EINVAL)?;
        let ty = match kind {
            HostKind::File => RUMP_ETFS_REG,
            HostKind::Dir => RUMP_ETFS_DIR_SUBDIRS,
        };
        // SAFETY: two NUL-terminated strings and an etfs type.
        let rv = unsafe { (self.f.etfs_register)(g.as_ptr(), h.as_ptr(), ty) };
        if rv != 0 {
            return Err(Errno(rv));
        }
        Ok(())
    }

    fn mount_tmpfs(&self, guest_path: &str) -> Result<(), Errno> {
        if !guest_path.starts_with('/') {
            return Err(ne::EINVAL);
        }
        self.mkdir_p(guest_path)?;
        let args = TmpfsArgs {
            ta_version: TMPFS_ARGS_VERSION,
            ta_nodes_max: 0,
            ta_size_max: 0,
            ta_root_uid: 0,
            ta_root_gid: 0,
            // Like a /tmp: world-writable and sticky, as the embedded backend's tmpfs.
            ta_root_mode: 0o1777,
        };
        self.mount("tmpfs", guest_path, 0, &args)
    }

    fn mount_image(&self, image: &str, guest_dir: &str, fs: FsType, read_only: bool) -> Result<(), Errno> {
        if !guest_dir.starts_with('/') {
            return Err(ne::EINVAL);
        }
        if !self.has_component(fs) {
            return Err(ne::ENODEV);
        }
        let host = CString::new(image).map_err(|_| ne::EINVAL)?;
        let n = self.images.fetch_add(1, Ordering::Relaxed);
        let dev = CString::new(format!("/dev/rumplx-img{n}")).unwrap();
        // rumpblk opens the host file read-write, or read-only when it cannot write it.
        // SAFETY: two NUL-terminated strings, an etfs type and a byte range.
        let rv = unsafe { (self.f.etfs_register_withsize)(dev.as_ptr(), host.as_ptr(), RUMP_ETFS_BLK, 0, RUMP_ETFS_SIZE_ENDOFF) };
        if rv != 0 {
            return Err(Errno(rv));
        }
        self.mkdir_p(guest_dir)?;
        let read_only = read_only || fs.read_only_medium();
        let flags = if read_only { MNT_RDONLY } else { 0 };
        let fspec = dev.as_ptr();
        match fs {
            FsType::Ffs | FsType::Ext2fs => self.mount(fs.name(), guest_dir, flags, &UfsArgs { fspec })?,
            FsType::Msdos => {
                // Files belong to the mounting process's user, rwxr-xr-x, with long names: what
                // Linux's vfat gives by default.
                let [_, euid] = self.syscall(nr::SYS_getuid, [0; 6])?;
                let [_, egid] = self.syscall(nr::SYS_getgid, [0; 6])?;
                let args = MsdosfsArgs {
                    fspec,
                    // SAFETY: integers and null pointers: all-zero is a valid value.
                    _pad1: unsafe { std::mem::zeroed() },
                    uid: euid as u32,
                    gid: egid as u32,
                    mask: 0o755,
                    flags: MSDOSFSMNT_VERSIONED | MSDOSFSMNT_LONGNAME,
                    version: MSDOSFSMNT_VERSION,
                    dirmask: 0o755,
                    gmtoff: 0,
                };
                self.mount(fs.name(), guest_dir, flags, &args)?
            }
            FsType::Cd9660 => {
                // Flags 0: Rock Ridge and Joliet names when present, plain ISO names lower-cased.
                // SAFETY: as above.
                let args = IsoArgs { fspec, _pad1: unsafe { std::mem::zeroed() }, flags: 0 };
                self.mount(fs.name(), guest_dir, flags, &args)?
            }
        }
        if !read_only {
            self.rw_mounts.lock().unwrap_or_else(|e| e.into_inner()).push(guest_dir.to_string());
        }
        Ok(())
    }

    fn host_fd(&self, _fd: i32) -> Option<i32> {
        // etfs keeps its host descriptors inside rumpuser.
        None
    }

    fn end_run(&self) {
        if let Some(stdio) = self.stdio.get() {
            stdio.drain(self);
        }
        // Unmounting writes every dirty buffer and the superblock back through rumpblk, and waits
        // for it (sync(2) only starts the writes). The guest may still hold files open there, or
        // have its working directory there: then forcibly.
        let mounts = std::mem::take(&mut *self.rw_mounts.lock().unwrap_or_else(|e| e.into_inner()));
        for dir in mounts.iter().rev() {
            if self.path_call(nr::SYS_unmount, dir, [0; 5]).is_err() {
                let _ = self.path_call(nr::SYS_unmount, dir, [MNT_FORCE, 0, 0, 0, 0]);
            }
        }
    }
}
