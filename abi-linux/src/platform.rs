//! What the personality needs from the machine it runs on, implemented by the loader.

/// How a guest range is going to be accessed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
}

/// Where a new mapping may go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// Anywhere; the address is a hint.
    Hint,
    /// Exactly there, replacing the guest's own mappings in the range (never rumplx's).
    Fixed,
    /// Exactly there, only if nothing is mapped there.
    FixedNoReplace,
}

/// A memory-locking request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemoryLock {
    Lock(u64, u64),
    Unlock(u64, u64),
    LockAll(u32),
    UnlockAll,
}

/// What a new guest thread starts from.
pub struct ThreadStart {
    /// Its registers: the creator's at the clone, with RAX 0 and the new stack.
    pub regs: crate::sys::sigframe::Sigcontext,
    pub fs_base: u64,
    pub thread: crate::dispatch::Thread,
    pub lwp: rumpkernel_bridge::LwpId,
}

/// Why a file cannot be run as a program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageError {
    /// What execve answers.
    pub errno: crate::Errno,
    /// A dynamically linked program's interpreter (rumplx runs static programs only).
    pub interpreter: Option<alloc::string::String>,
    /// The reason in words, for --trace.
    pub reason: alloc::string::String,
}

/// Which side of a fork the caller is on.
pub enum ForkSide {
    Parent { host_pid: i32 },
    Child { host_tid: i32 },
}

/// A child started by `spawn_vm_child`.
pub struct VmChild {
    pub host_pid: i32,
    /// Waits until the child has exec'd or ended and no longer runs in this memory (CLONE_VFORK).
    pub released: alloc::boxed::Box<dyn FnOnce() + Send>,
}

/// What a CLONE_VM child's execve carries into the fresh host image that runs the new program.
pub struct ExecHandoff<'a> {
    pub bytes: &'a [u8],
    pub exe_path: &'a str,
    pub execfn: &'a [u8],
    pub argv: &'a [alloc::vec::Vec<u8>],
    pub envp: &'a [alloc::vec::Vec<u8>],
    /// uid, euid, gid, egid (for the auxiliary vector).
    pub ids: [u32; 4],
    /// The thread's signal mask, kept across execve.
    pub sigmask: u64,
    /// Signals whose action is SIG_IGN (they stay ignored).
    pub ignored: u64,
    /// Pending signals of the thread and of the process, kept across execve.
    pub thread_pending: alloc::vec::Vec<crate::sys::sigframe::Siginfo>,
    pub process_pending: alloc::vec::Vec<crate::sys::sigframe::Siginfo>,
    pub no_new_privs: bool,
}

/// A program image just mapped by `replace_image`.
pub struct NewImage {
    pub entry: u64,
    pub sp: u64,
    pub mm: crate::mm::AddressSpace,
}

/// The host side of the layer: raw mappings and the thread's CPU state. Everything here acts on the
/// calling guest thread; the personality keeps the bookkeeping (address-space map, signal state).
pub trait Platform: Send + Sync {
    /// Maps `len` bytes of anonymous zeroed memory with Linux `prot` bits at `addr` as `placement`
    /// says; `shared` memory stays shared with processes forked later. Returns the address or a
    /// Linux errno (ENOMEM when a fixed range is not free).
    fn map_anonymous(&self, addr: u64, len: u64, prot: u32, placement: Placement, shared: bool) -> Result<u64, crate::Errno>;
    /// Maps `len` bytes of host file `host_fd` at `offset`, shared (writes reach the file) or
    /// private (copy-on-write; pages not yet written still show later changes to the file).
    #[allow(clippy::too_many_arguments)]
    fn map_host_file(
        &self,
        addr: u64,
        len: u64,
        prot: u32,
        placement: Placement,
        host_fd: i32,
        offset: u64,
        shared: bool,
    ) -> Result<u64, crate::Errno>;
    /// Unmaps a range previously mapped for the guest.
    fn unmap(&self, addr: u64, len: u64) -> Result<(), crate::Errno>;
    /// Changes protection of a guest range (Linux `prot` bits).
    fn protect(&self, addr: u64, len: u64, prot: u32) -> Result<(), crate::Errno>;
    /// Moves/resizes a mapping (Linux mremap semantics and flags).
    fn remap(&self, old: u64, old_len: u64, new_len: u64, flags: u32, new_addr: u64) -> Result<u64, crate::Errno>;
    /// Flushes a shared mapping to its file (Linux msync flags).
    fn sync(&self, addr: u64, len: u64, flags: u32) -> Result<(), crate::Errno>;
    /// Passes advice that the host kernel understands (Linux madvise numbers).
    fn advise(&self, addr: u64, len: u64, advice: u32) -> Result<(), crate::Errno>;

    /// mlock/munlock (`lock` false) a guest range, or mlockall (flags)/munlockall, on the host.
    fn memory_lock(&self, op: MemoryLock) -> Result<(), crate::Errno>;

    /// Performs a futex operation on guest memory (Linux `futex(2)` arguments, already checked:
    /// `uaddr`/`uaddr2` are guest words, `timeout` a guest timespec or 0). Returns the kernel's
    /// answer.
    fn futex(&self, uaddr: u64, op: u32, val: u32, timeout: u64, uaddr2: u64, val3: u32) -> Result<u64, crate::Errno>;

    /// Waits (with every host signal deliverable) until a host signal arrives for this thread, or
    /// until `timeout` (seconds, nanoseconds; updated to what is left) runs out. Answers false
    /// when it ran out.
    fn wait_for_signal(&self, timeout: Option<&mut (i64, i64)>) -> bool;
    /// Hands over, one by one, the host signals this thread received while inside rumplx.
    fn take_host_signals(&self, sink: &mut dyn FnMut(crate::sys::sigframe::Siginfo));
    /// Called before the dispatcher reads or writes the extended-state area at `fpstate` (to build
    /// a signal frame, in rt_sigreturn): a platform that fills that area lazily completes it here.
    fn fp_area_needed(&self, _fpstate: u64) {}
    /// Sends a Linux signal with `info` to a host thread of this process.
    fn signal_host_thread(&self, host_tid: i32, info: &crate::sys::sigframe::Siginfo) -> Result<(), crate::Errno>;
    /// The host thread id of the calling thread.
    fn host_tid(&self) -> i32;

    /// Starts a host thread that runs the guest from `start` (bound to rump lwp `start.lwp`);
    /// answers its host thread id once it exists.
    fn spawn_thread(&self, start: ThreadStart) -> Result<i32, crate::Errno>;
    /// Ends the calling thread (its guest thread has been taken off every list). Does not return.
    fn exit_thread(&self) -> !;

    /// Performs one of the host's timer calls (alarm, setitimer, getitimer, timer_create,
    /// timer_settime, timer_gettime, timer_getoverrun, timer_delete; Linux numbers and arguments,
    /// pointers checked, thread ids already the host's). Others answer ENOSYS.
    fn host_timer(&self, nr: u32, args: [u64; 6]) -> Result<u64, crate::Errno>;

    /// The calling thread's guest FS base (its TLS pointer).
    fn fs_base(&self) -> u64;
    /// Sets the calling thread's guest FS base; it takes effect when the thread returns to the guest.
    fn set_fs_base(&self, value: u64);

    /// Ends the whole guest process with exit status `code` (0..=255). Does not return.
    fn exit_group(&self, code: i32) -> !;
    /// Ends the whole guest process as killed by Linux signal `signo`: one line on stderr naming
    /// it, exit status 128 + signo. Does not return.
    fn die_of_signal(&self, signo: u32) -> !;

    /// Stops the whole process until something sends it SIGCONT (stop signal `signo`'s default
    /// action), so its parent's wait reports `signo`. False when the host would not stop it
    /// with `signo` (its job-control stops do nothing in a host process group it deems
    /// orphaned); SIGSTOP always stops.
    fn stop_process(&self, signo: u32) -> bool;

    /// Checks that `bytes` is a program the platform can run, changing nothing.
    fn check_image(&self, bytes: &[u8]) -> Result<(), ImageError>;
    /// Replaces the calling process's program (execve past its point of no return): unmaps every
    /// mapping of `old`, maps `bytes` and a new stack with `argv`, `envp` and the auxiliary vector.
    #[allow(clippy::too_many_arguments)]
    fn replace_image(
        &self,
        old: &crate::mm::AddressSpace,
        bytes: &[u8],
        exe_path: &str,
        execfn: &[u8],
        argv: &[alloc::vec::Vec<u8>],
        envp: &[alloc::vec::Vec<u8>],
        ids: [u32; 4],
    ) -> Result<NewImage, crate::Errno>;

    /// Forks the host process for a new guest process whose first lwp is `child_lwp` (already made
    /// by lwproc_rfork): the child reaches the kernel as a remote client from then on.
    fn fork(&self, child_lwp: rumpkernel_bridge::LwpId) -> Result<ForkSide, crate::Errno>;
    /// Starts a new guest process that shares this one's memory (clone with CLONE_VM and without
    /// CLONE_THREAD: posix_spawn, vfork) at `start`, as a host process of its own reaching the
    /// kernel as a remote client bound to `start.lwp` (made by lwproc_rfork), with a personality
    /// from [`crate::dispatch::Personality::for_vm_child`].
    fn spawn_vm_child(&self, _parent: &crate::dispatch::Personality, _start: ThreadStart) -> Result<VmChild, crate::Errno> {
        Err(crate::errno::ENOSYS)
    }
    /// execve in a CLONE_VM child: the new program runs in a fresh host image (the memory it
    /// leaves is its parent's). Returns only when that cannot be done.
    fn exec_in_new_image(&self, _handoff: &ExecHandoff) -> crate::Errno {
        crate::errno::ENOSYS
    }
    /// Host wait4 for host pid `pid` (-1: any child); fills the status and the rusage (Linux's).
    fn host_wait4(&self, pid: i32, status: &mut i32, options: u32, rusage: &mut [u8; 144]) -> Result<i32, crate::Errno>;
    /// Host waitid.
    fn host_waitid(&self, idtype: u32, id: i32, info: &mut crate::sys::sigframe::Siginfo, options: u32, rusage: &mut [u8; 144]) -> Result<(), crate::Errno>;
    /// Sleeps until one of the host children `host_pids` ends (or already has), or a host signal
    /// comes for this thread (Err(EINTR); one noted before the sleep counts too). A child the host
    /// no longer has ends the sleep at once.
    fn wait_children(&self, host_pids: &[i32]) -> Result<(), crate::Errno>;
    /// Whether exited children are reaped by the host at once (the guest set SIGCHLD to SIG_IGN or
    /// asked SA_NOCLDWAIT: Linux then leaves no zombies and wait reports ECHILD).
    fn auto_reap_children(&self, on: bool);
    /// The host pid of another guest process of this run.
    fn host_pid_of(&self, pid: i32) -> Option<i32>;
    /// Every guest process of the run: (guest pid, host pid).
    fn run_processes(&self) -> alloc::vec::Vec<(i32, i32)>;
    /// Sends a signal with `info` to another process of the run.
    fn signal_host_process(&self, host_pid: i32, info: &crate::sys::sigframe::Siginfo) -> Result<(), crate::Errno>;

    /// Writes a diagnostic line (tracer output, warnings) to rumplx's stderr.
    fn log(&self, line: &str);
}
