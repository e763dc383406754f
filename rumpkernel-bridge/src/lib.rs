//! The rump kernel interface, and the backends that serve it.
//!
//! Everything above this crate talks to "a NetBSD kernel" through [`RumpKernel`]: NetBSD syscall
//! numbers, NetBSD structs in this address space, NetBSD errno values, and the `rump_pub_lwproc_*` /
//! `rump_pub_etfs_*` style calls for processes and host resources. Nothing here names a Linux number,
//! struct or errno: the host is reached only through the embedded backend's hypercall layer (as
//! librumpuser does for a real rump kernel).
//!
//! Backends:
//! - [`embedded`]: a kernel-only stack in Rust with NetBSD semantics (the default).
//! - [`librump`]: NetBSD's own rump kernel, its libraries loaded at run time.

pub mod embedded;
pub mod ext;
pub mod ext_events;
pub mod ext_proc;
pub mod ext_tty;
pub mod fsimage;
pub mod hostmask;
pub mod librump;
pub mod sleep;
pub mod sysproxy;
pub mod uaccess;

pub use abi_netbsd::{Errno, SysResult};

/// How a backend learns that the calling thread has a signal to take, like rumpuser's signal
/// model: a host wait interrupted by a host signal fails with EINTR when this says so, and is
/// simply waited again otherwise. The layer above installs it once: a function answering the
/// calling thread's word of noted host signals (non-zero: a signal to take; null: the thread has
/// none), which its host signal handler sets. [`sleep::syscall`] reads it too, and the handler
/// must call [`sleep::resume_at`] so no signal is lost before a host sleep starts.
static SIGNAL_WORD: std::sync::OnceLock<fn() -> *const std::sync::atomic::AtomicU64> = std::sync::OnceLock::new();

/// Installs the word's finder (first caller wins).
pub fn set_signal_word(word: fn() -> *const std::sync::atomic::AtomicU64) {
    let _ = SIGNAL_WORD.set(word);
}

/// The calling thread's word of noted host signals (null when it has none, or nobody installed it).
pub(crate) fn signal_word() -> *const std::sync::atomic::AtomicU64 {
    SIGNAL_WORD.get().map_or(std::ptr::null(), |word| word())
}

/// Whether the calling thread has a signal to take (false when nobody installed a check).
pub fn signal_pending() -> bool {
    let word = signal_word();
    // SAFETY: a non-null word is the calling thread's, alive while it runs.
    !word.is_null() && unsafe { (*word).load(std::sync::atomic::Ordering::Acquire) } != 0
}

/// Process id inside the rump kernel.
pub type Pid = i32;
/// Light-weight process (thread) id inside the rump kernel.
pub type LwpId = i32;

/// What a host resource registered under a guest path is (`rump_pub_etfs_register`'s `RUMP_ETFS_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostKind {
    /// A single host file (or device node) appears at the guest path.
    File,
    /// A host directory tree appears at the guest path, confined to it.
    Dir,
}

/// The interface of a rump kernel as seen by the Linux personality.
///
/// `syscall` has the semantics of `rump_sys_*` in local mode: arguments are NetBSD syscall arguments,
/// pointers are addresses in this address space (already checked by the caller), structs are NetBSD's.
/// The calling host thread acts as the rump lwp it is currently bound to (see `lwproc_switch`).
pub trait RumpKernel: Send + Sync {
    /// Short name of the backend, for messages ("embedded", "librump").
    fn name(&self) -> &'static str;

    /// Performs NetBSD syscall `nr`. A backend that does not serve `nr` answers `ENOSYS`.
    fn syscall(&self, nr: u32, args: [u64; 6]) -> SysResult;

    /// `rump_pub_lwproc_rfork`: creates a new process (copying the current one's fd table, cwd,
    /// umask and credentials when `share_files` is false, sharing the fd table when true) and binds
    /// the calling thread to its first lwp.
    fn lwproc_rfork(&self, share_files: bool) -> Result<Pid, Errno>;
    /// `rump_pub_lwproc_newlwp`: creates a new lwp in process `pid` and binds the calling thread to it.
    fn lwproc_newlwp(&self, pid: Pid) -> Result<LwpId, Errno>;
    /// `rump_pub_lwproc_switch`: binds the calling thread to `lwp`.
    fn lwproc_switch(&self, lwp: LwpId) -> Result<(), Errno>;
    /// `rump_pub_lwproc_releaselwp`: releases the calling thread's lwp (the process goes away with
    /// its last lwp).
    fn lwproc_releaselwp(&self);
    /// `rump_pub_lwproc_curlwp`: the lwp the calling thread is bound to, if any.
    fn lwproc_curlwp(&self) -> Option<LwpId>;
    /// The host process of remote process `pid` is gone while lwps of it may sleep in the kernel
    /// (their server threads wait there for calls nobody will take the answer of): wake them, so
    /// that their calls end (EINTR) and every sleep of theirs from now on ends at once, as the
    /// sysproxy component's `hyp_lwpexit` does for a client that went away. The calling thread
    /// is bound to no lwp, before and after. Answers an lwp of the process, made for this and
    /// bound to no thread, that the caller releases (switch to it, then `lwproc_releaselwp`) once
    /// the process's other lwps are gone, so the process's last files are closed by an lwp that
    /// was not told to exit. ENOSYS when the kernel has no such way (the server threads are then
    /// interrupted instead, see `sysproxy::set_interrupts`).
    fn lwproc_end_remote(&self, pid: Pid) -> Result<LwpId, Errno> {
        let _ = pid;
        Err(abi_netbsd::errno::ENOSYS)
    }

    /// Registers a host file or directory under `guest_path` (`rump_pub_etfs_register` style).
    /// Directories are confined: no `..`, symlink or magic link may lead outside `host_path`.
    fn register_host(
        &self,
        guest_path: &str,
        host_path: &str,
        kind: HostKind,
        read_only: bool,
    ) -> Result<(), Errno>;

    /// Mounts an empty in-memory file system (tmpfs) at `guest_path`, creating the directory.
    fn mount_tmpfs(&self, guest_path: &str) -> Result<(), Errno>;

    /// Mounts the file system of the host file (or block device) `image`, of format `fs`, at
    /// `guest_dir`, creating the directory; read-only when `read_only` (always for a read-only
    /// medium). A backend that cannot mount images answers `EOPNOTSUPP`.
    fn mount_image(&self, image: &str, guest_dir: &str, fs: fsimage::FsType, read_only: bool) -> Result<(), Errno> {
        let _ = (image, guest_dir, fs, read_only);
        Err(abi_netbsd::errno::EOPNOTSUPP)
    }

    /// This kernel as a sysproxy client, when its calls go to a server in another process.
    fn as_remote(&self) -> Option<&sysproxy::RemoteKernel> {
        None
    }

    /// The host file descriptor behind rump fd `fd`, when it is a host file registered through
    /// `register_host` (for shared file mappings, which only the host kernel can make).
    fn host_fd(&self, fd: i32) -> Option<i32>;

    /// The run is about to end (the host process exits next): the backend finishes what it does
    /// for the guest on the host's side (librump copies the guest's last output to the host, and
    /// unmounts the images mounted read-write so that what only the kernel holds reaches them).
    fn end_run(&self) {}
}
