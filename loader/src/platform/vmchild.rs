//! Children made with CLONE_VM and without CLONE_THREAD (glibc's and musl's posix_spawn, vfork):
//! a guest process of its own (rump process, pid, descriptor table, signal actions) that runs in
//! its parent's memory until it execs or ends.
//!
//! The child is a host process made with clone(CLONE_VM) by a helper thread of the parent's
//! rumplx, on a host stack of its own. It runs rumplx's code on the helper's thread-local storage
//! (the helper only waits meanwhile, as a vfork parent does), with its own thread block, signal
//! stack and Syscall User Dispatch, and its own [`Personality`] whose kernel is a sysproxy client
//! over a channel of its own (its lwp's server runs in the kernel's process, as for a fork child).
//! Host signals sent to it are its own (it has its own host handler table and pid).
//!
//! Its execve cannot replace the image in place (the memory is the parent's): the host process
//! execs rumplx itself (`rumplx resume FD`) with the new program and what execve keeps in a
//! memfd, and carries on as a sysproxy client over the same channel. The helper learns that the
//! child exec'd or ended when the child's copy of a close-on-exec pipe end closes; then the
//! parent's CLONE_VFORK wait ends and the child's stacks and state are freed.

use std::cell::Cell;
use std::convert::Infallible;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicI32, AtomicPtr, Ordering};
use std::sync::Arc;

use abi_linux::dispatch::{Personality, ProcessInfo, Thread, ThreadEntry};
use abi_linux::platform::{ExecHandoff, ThreadStart, VmChild};
use abi_linux::sys::sigframe::{Sigcontext, Siginfo};
use abi_linux::sys::signal::{self, SigAction, SIG_IGN};
use abi_linux::Errno;
use rumpkernel_bridge::sysproxy::{self, KernelSlot, RemoteKernel};
use rumpkernel_bridge::{LwpId, RumpKernel};

use super::sud::{self, ThreadBlock};
use super::{signals, HostPlatform};
use crate::Failure;

/// Host stack the child starts on (only its start-up code runs there).
const CHILD_STACK: usize = 256 << 10;

/// Everything a CLONE_VM child uses of its own, in the shared memory; freed by the helper once
/// the child has exec'd or ended.
pub struct VmState {
    personality: Personality,
    kernel: Arc<KernelSlot>,
    lwp: LwpId,
    regs: Sigcontext,
    fs_base: u64,
    /// Taken by the child into its thread block.
    thread: Cell<Option<Thread>>,
    /// The child's end of its kernel channel (owned by `kernel`).
    channel_fd: RawFd,
    /// The write end of the release pipe (close-on-exec; the child holds the only copy).
    release_fd: AtomicI32,
    /// The child's thread block (and signal stack), for the helper to unmap.
    block: AtomicPtr<ThreadBlock>,
}

// SAFETY: the cell is touched only by the child, which the helper does not run alongside.
unsafe impl Sync for VmState {}

impl VmState {
    pub fn personality(&self) -> &Personality {
        &self.personality
    }

    pub fn kernel(&self) -> &Arc<KernelSlot> {
        &self.kernel
    }
}

std::thread_local! {
    /// Set in a CLONE_VM child (in its helper's thread-local storage, which it runs on).
    static VM_CHILD: Cell<*const VmState> = const { Cell::new(std::ptr::null()) };
}

/// The state of the CLONE_VM child running on this host thread, if it is one.
pub fn current() -> Option<&'static VmState> {
    let p = VM_CHILD.with(|c| c.get());
    // SAFETY: set by the child to its state, which lives until the child has exec'd or ended.
    (!p.is_null()).then(|| unsafe { &*p })
}

fn last_errno() -> Errno {
    Errno(std::io::Error::last_os_error().raw_os_error().unwrap_or(libc::EINVAL))
}

/// Starts the child; answers its host pid and the wait for its release.
pub fn spawn(parent: &Personality, start: ThreadStart) -> Result<VmChild, Errno> {
    super::lifeline::ensure();
    let slot = super::kernel_slot().expect("the kernel is set before the guest starts");
    let (server_end, client_end) = sysproxy::channel_pair().map_err(|_| Errno(libc::EMFILE))?;
    let ThreadStart { regs, fs_base, thread, lwp } = start;
    let channel_fd = client_end.as_raw_fd();
    let kernel = Arc::new(KernelSlot::new(Arc::new(RemoteKernel::for_lwp(client_end, lwp))));
    let personality = parent.for_vm_child(kernel.clone());
    let tid = thread.tid;
    personality.next_tid.store(tid + 1, Ordering::Relaxed);
    personality.register_thread(ThreadEntry { tid, host_tid: 0, sigmask: thread.sigmask });
    let state = Box::new(VmState {
        personality,
        kernel,
        lwp,
        regs,
        fs_base,
        thread: Cell::new(Some(thread)),
        channel_fd,
        release_fd: AtomicI32::new(-1),
        block: AtomicPtr::new(std::ptr::null_mut()),
    });
    let (pid_tx, pid_rx) = std::sync::mpsc::sync_channel::<Result<i32, Errno>>(1);
    let (done_tx, done_rx) = std::sync::mpsc::sync_channel::<()>(1);
    // The helper (and so the child) starts with every host signal blocked.
    let old = signals::set_host_mask(signals::ALL_BLOCKED);
    let spawned = std::thread::Builder::new().stack_size(64 << 10).spawn(move || helper(state, pid_tx, done_tx));
    // As for guest threads: the host's libc takes signals 32 and 33 at its first thread.
    for sig in [32, 33] {
        signals::install_one(sig).ok();
    }
    signals::set_host_mask(old);
    spawned.map_err(|_| Errno(libc::EAGAIN))?;
    let host_pid = pid_rx.recv().unwrap_or(Err(Errno(libc::EAGAIN)))?;
    if sysproxy::attach_child(slot, lwp, server_end, host_pid).is_err() {
        // SAFETY: ends and reaps the child we just made; the guest never learns of it.
        unsafe {
            libc::kill(host_pid, libc::SIGKILL);
            libc::waitpid(host_pid, std::ptr::null_mut(), libc::__WALL);
        }
        let _ = done_rx.recv();
        return Err(Errno(libc::EAGAIN));
    }
    Ok(VmChild { host_pid, released: Box::new(move || { let _ = done_rx.recv(); }) })
}

/// The helper thread: makes the child, waits until it exec'd or ended, then frees its state.
fn helper(state: Box<VmState>, pid_tx: std::sync::mpsc::SyncSender<Result<i32, Errno>>, done_tx: std::sync::mpsc::SyncSender<()>) {
    let mut pipe = [0i32; 2];
    // SAFETY: pipe2 fills two descriptors.
    if unsafe { libc::pipe2(pipe.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        let _ = pid_tx.send(Err(last_errno()));
        let _ = done_tx.send(());
        return;
    }
    state.release_fd.store(pipe[1], Ordering::Relaxed);
    // SAFETY: a fresh private mapping for the child's start-up stack.
    let stack = unsafe {
        libc::mmap(std::ptr::null_mut(), CHILD_STACK, libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_STACK, -1, 0)
    };
    if stack == libc::MAP_FAILED {
        let _ = pid_tx.send(Err(Errno(libc::ENOMEM)));
        // SAFETY: our own descriptors.
        unsafe {
            libc::close(pipe[0]);
            libc::close(pipe[1]);
        }
        let _ = done_tx.send(());
        return;
    }
    let arg = &*state as *const VmState as *mut libc::c_void;
    // SAFETY: the child runs `child_main` on its own stack in this memory; the state it uses
    // lives until the child is done with it (below).
    let pid = unsafe {
        libc::clone(child_main, (stack as usize + CHILD_STACK) as *mut libc::c_void, libc::CLONE_VM | libc::SIGCHLD, arg)
    };
    let clone_errno = last_errno();
    // SAFETY: our copy of the write end: the child holds the other.
    unsafe { libc::close(pipe[1]) };
    if pid < 0 {
        let _ = pid_tx.send(Err(clone_errno));
    } else {
        let _ = pid_tx.send(Ok(pid));
        // The child's copy of the write end closes when it execs (close-on-exec) or ends.
        let mut b = 0u8;
        loop {
            // SAFETY: reads one byte into our buffer.
            let n = unsafe { libc::read(pipe[0], &mut b as *mut u8 as *mut libc::c_void, 1) };
            if n < 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) {
                continue;
            }
            break;
        }
    }
    // Nothing of the child runs in this memory any more.
    // SAFETY: our descriptor, the child's stack and its thread block's mapping.
    unsafe {
        libc::close(pipe[0]);
        libc::munmap(stack, CHILD_STACK);
        let block = state.block.load(Ordering::Acquire);
        if !block.is_null() {
            libc::munmap(block as *mut libc::c_void, sud::ALT_SIZE as usize);
        }
    }
    drop(state);
    let _ = done_tx.send(());
}

/// The child's first code, on its start-up stack, every host signal blocked.
extern "C" fn child_main(arg: *mut libc::c_void) -> libc::c_int {
    // SAFETY: the helper passes its state, alive until this child has exec'd or ended.
    let vm: &'static VmState = unsafe { &*(arg as *const VmState) };
    super::close_inherited_fds(&[vm.channel_fd, vm.release_fd.load(Ordering::Relaxed)]);
    super::lifeline::arm();
    VM_CHILD.with(|c| c.set(vm));
    // The child acts as its own lwp, over its own channel.
    vm.kernel.lwproc_switch(vm.lwp).ok();
    let Some(thread) = vm.thread.take() else { return 125 };
    let tid = thread.tid;
    let block = match sud::new_thread_block(thread, vm.fs_base) {
        Ok(b) => b,
        Err(_) => return 125,
    };
    vm.block.store(block, Ordering::Release);
    signals::CURRENT_BLOCK.with(|b| b.set(block));
    if sud::enable(block).is_err() {
        return 125;
    }
    // SAFETY: gettid has no preconditions.
    vm.personality.set_host_tid(tid, unsafe { libc::gettid() });
    signals::set_host_mask(0);
    // SAFETY: the block is this thread's with SUD on; the registers are the guest's clone state.
    unsafe { sud::enter_guest_regs(&vm.regs, block) }
}

/// The handoff's wire form: little helpers over a byte vector.
struct Writer(Vec<u8>);

impl Writer {
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_ne_bytes());
    }
    fn bytes(&mut self, b: &[u8]) {
        self.u64(b.len() as u64);
        self.0.extend_from_slice(b);
    }
    fn list(&mut self, l: &[Vec<u8>]) {
        self.u64(l.len() as u64);
        for b in l {
            self.bytes(b);
        }
    }
    fn infos(&mut self, l: &[Siginfo]) {
        self.u64(l.len() as u64);
        for i in l {
            // SAFETY: Siginfo is plain data of 128 bytes.
            self.0.extend_from_slice(unsafe { &std::mem::transmute::<Siginfo, [u8; 128]>(*i) });
        }
    }
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], Failure> {
        if self.0.len() < n {
            return Err(Failure::Other("resume: truncated state".into()));
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Ok(a)
    }
    fn u64(&mut self) -> Result<u64, Failure> {
        Ok(u64::from_ne_bytes(self.take(8)?.try_into().unwrap()))
    }
    fn bytes(&mut self) -> Result<Vec<u8>, Failure> {
        let n = self.u64()? as usize;
        Ok(self.take(n)?.to_vec())
    }
    fn list(&mut self) -> Result<Vec<Vec<u8>>, Failure> {
        let n = self.u64()? as usize;
        (0..n).map(|_| self.bytes()).collect()
    }
    fn infos(&mut self) -> Result<Vec<Siginfo>, Failure> {
        let n = self.u64()? as usize;
        (0..n)
            .map(|_| {
                let b: [u8; 128] = self.take(128)?.try_into().unwrap();
                // SAFETY: any 128 bytes are a Siginfo.
                Ok(unsafe { std::mem::transmute::<[u8; 128], Siginfo>(b) })
            })
            .collect()
    }
}

const MAGIC: u64 = 0x7275_6d70_6c78_0001;

fn clear_cloexec(fd: RawFd) {
    // SAFETY: fcntl on a descriptor of ours.
    unsafe { libc::fcntl(fd, libc::F_SETFD, 0) };
}

fn set_cloexec(fd: RawFd) {
    // SAFETY: as above.
    unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
}

/// The child's execve past its point of no return: exec rumplx in this host process with the new
/// program. Answers only on failure.
pub fn exec(vm: &VmState, h: &ExecHandoff) -> Errno {
    // The calls made so far were this image's.
    super::write_stats();
    let stats_fd = super::STATS_FILE.get().map(|f| f.as_raw_fd()).unwrap_or(-1);
    let mut w = Writer(Vec::with_capacity(h.bytes.len() + 4096));
    w.u64(MAGIC);
    w.u64(vm.channel_fd as u64);
    w.u64(vm.lwp as u64);
    w.u64(stats_fd as i64 as u64);
    w.u64(super::lifeline::read_end().unwrap_or(-1) as i64 as u64);
    w.u64(vm.personality.trace as u64);
    for id in h.ids {
        w.u64(id as u64);
    }
    w.u64(h.sigmask);
    w.u64(h.ignored);
    w.u64(h.no_new_privs as u64);
    w.bytes(h.exe_path.as_bytes());
    w.bytes(h.execfn);
    w.list(h.argv);
    w.list(h.envp);
    w.infos(&h.thread_pending);
    w.infos(&h.process_pending);
    w.bytes(h.bytes);
    // SAFETY: a new memfd (inherited by the new image: no close-on-exec).
    let memfd = unsafe { libc::memfd_create(c"rumplx-exec".as_ptr(), 0) };
    if memfd < 0 {
        return last_errno();
    }
    let mut data = &w.0[..];
    while !data.is_empty() {
        // SAFETY: writes our buffer.
        let n = unsafe { libc::write(memfd, data.as_ptr() as *const libc::c_void, data.len()) };
        if n <= 0 {
            let e = last_errno();
            // SAFETY: our descriptor.
            unsafe { libc::close(memfd) };
            return e;
        }
        data = &data[n as usize..];
    }
    clear_cloexec(vm.channel_fd);
    if stats_fd >= 0 {
        clear_cloexec(stats_fd);
    }
    // No host signal may find the new image before its handlers are in place.
    let mask = signals::set_host_mask(signals::ALL_BLOCKED);
    let fd = std::ffi::CString::new(memfd.to_string()).unwrap();
    let argv = [c"rumplx".as_ptr(), c"resume".as_ptr(), fd.as_ptr(), std::ptr::null()];
    // SAFETY: execv with NUL-terminated strings; rumplx's own environment goes along.
    unsafe { libc::execv(c"/proc/self/exe".as_ptr(), argv.as_ptr()) };
    let e = last_errno();
    signals::set_host_mask(mask);
    set_cloexec(vm.channel_fd);
    // SAFETY: our descriptor.
    unsafe { libc::close(memfd) };
    e
}

/// `rumplx resume FD`: the new image of a CLONE_VM child that exec'd. Builds the program from the
/// handoff in memfd FD and starts it as a sysproxy client. Returns only on failure.
pub fn resume(fd: RawFd) -> Result<Infallible, Failure> {
    let mut blob = Vec::new();
    {
        use std::io::Read;
        // SAFETY: the memfd `exec` handed over; read from its start.
        let mut f = unsafe { std::fs::File::from_raw_fd(fd) };
        use std::io::Seek;
        f.seek(std::io::SeekFrom::Start(0)).map_err(|e| Failure::Other(format!("resume: {e}")))?;
        f.read_to_end(&mut blob).map_err(|e| Failure::Other(format!("resume: {e}")))?;
    }
    let mut r = Reader(&blob);
    if r.u64()? != MAGIC {
        return Err(Failure::Other("resume: not a handoff from this rumplx".into()));
    }
    let channel_fd = r.u64()? as RawFd;
    let lwp = r.u64()? as LwpId;
    let stats_fd = r.u64()? as i64 as RawFd;
    let lifeline_fd = r.u64()? as i64 as RawFd;
    let trace = r.u64()? != 0;
    let ids = crate::image::Ids { uid: r.u64()? as u32, euid: r.u64()? as u32, gid: r.u64()? as u32, egid: r.u64()? as u32 };
    let sigmask = r.u64()?;
    let ignored = r.u64()?;
    let no_new_privs = r.u64()? != 0;
    let exe_path = String::from_utf8_lossy(&r.bytes()?).into_owned();
    let execfn = r.bytes()?;
    let argv = r.list()?;
    let envp = r.list()?;
    let thread_pending = r.infos()?;
    let process_pending = r.infos()?;
    let bytes = r.bytes()?;

    set_cloexec(channel_fd);
    // SAFETY: the channel `exec` handed over.
    let channel = unsafe { OwnedFd::from_raw_fd(channel_fd) };
    let slot = Arc::new(KernelSlot::new(Arc::new(RemoteKernel::new(channel, lwp))));
    super::KERNEL.set(slot.clone()).ok();
    // Already armed (its owner and signal are this process's, across exec): only known again.
    super::lifeline::adopt(lifeline_fd);
    if stats_fd >= 0 {
        set_cloexec(stats_fd);
        // SAFETY: the --stats file `exec` handed over.
        super::STATS_FILE.set(unsafe { std::fs::File::from_raw_fd(stats_fd) }).ok();
    }
    let kernel: Arc<dyn RumpKernel> = slot;
    let img = match crate::image::build(&bytes, &exe_path, &execfn, &argv, &envp, ids) {
        Ok(img) => img,
        // The old program is gone: like Linux, the process dies.
        Err(_) => super::die_of_signal(signal::SIGSEGV),
    };
    drop(bytes);
    let pid = kernel.syscall(abi_netbsd::nr::SYS_getpid, [0; 6]).map(|r| r[0] as i32).unwrap_or(1);
    let info = ProcessInfo { exe_path, argv: argv.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect() };
    let mut personality = Personality::new(kernel, Arc::new(HostPlatform), img.mm, info);
    personality.trace = trace;
    if stats_fd >= 0 {
        personality.stats = Some(Default::default());
    }
    personality.next_tid.store(pid + 1, Ordering::Relaxed);
    // SAFETY: gettid has no preconditions.
    personality.register_thread(ThreadEntry { tid: pid, host_tid: unsafe { libc::gettid() }, sigmask });
    {
        let mut st = personality.signals.lock();
        for (i, a) in st.actions.iter_mut().enumerate() {
            if ignored & (1 << i) != 0 {
                *a = SigAction { handler: SIG_IGN, ..Default::default() };
            }
        }
        for info in process_pending {
            st.pending.post(info);
        }
    }
    personality.prctl.lock().no_new_privs = no_new_privs;
    // The new program's name and argv, for the other processes' /proc/<pid>.
    abi_linux::sys::procfs::publish(&personality, &[0; 16]);
    if signals::PERSONALITY.set(personality).is_err() {
        return Err(Failure::Other("resume: the guest was already started".into()));
    }
    rumpkernel_bridge::set_signal_word(signals::host_pending_word);
    signals::set_host_mask(signals::ALL_BLOCKED);
    signals::install().map_err(|e| Failure::Other(format!("cannot install signal handlers: {e}")))?;
    if ignored & signal::bit(signal::SIGCHLD) != 0 {
        signals::set_auto_reap(true);
    }
    let mut thread = Thread::new(pid);
    thread.sigmask = sigmask;
    let name = execfn.rsplit(|b| *b == b'/').next().unwrap_or(&execfn);
    let n = name.len().min(15);
    thread.comm[..n].copy_from_slice(&name[..n]);
    for info in thread_pending {
        thread.pending.post(info);
    }
    let block = sud::new_thread_block(thread, 0).map_err(|e| Failure::Other(format!("cannot set up the signal stack: {e}")))?;
    signals::CURRENT_BLOCK.with(|b| b.set(block));
    sud::enable(block).map_err(|e| Failure::Other(format!("Syscall User Dispatch is not available: {e}")))?;
    signals::set_host_mask(0);
    // SAFETY: the image, stack and thread block are ready, SUD is on for this thread.
    unsafe { sud::enter_guest(img.entry, img.sp, block) }
}
