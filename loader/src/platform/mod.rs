//! The host side of the layer: catching syscalls (SUD), host signals, and the [`Platform`]
//! implementation the personality uses for mappings and thread state.

pub mod fastpath;
pub mod fatal_watch;
pub mod lifeline;
pub mod signals;
pub mod sud;
pub mod threads;
pub mod vmchild;

use abi_linux::mm::AddressSpace;
use abi_linux::platform::{ExecHandoff, ForkSide, ImageError, MemoryLock, NewImage, Placement, Platform, ThreadStart, VmChild};
use rumpkernel_bridge::sysproxy;
use std::os::fd::AsRawFd;
use std::sync::Arc;
use abi_linux::sys::sigframe::Siginfo;
use abi_linux::Errno;

/// The host (Linux) platform rumplx runs on.
pub struct HostPlatform;

fn last_errno() -> Errno {
    // The host is Linux: its errno values are the guest's.
    Errno(std::io::Error::last_os_error().raw_os_error().unwrap_or(libc::EINVAL))
}

fn mmap(addr: u64, len: u64, prot: u32, placement: Placement, flags: i32, fd: i32, off: u64) -> Result<u64, Errno> {
    let place = match placement {
        Placement::Hint => 0,
        Placement::Fixed => libc::MAP_FIXED,
        Placement::FixedNoReplace => libc::MAP_FIXED_NOREPLACE,
    };
    // SAFETY: the personality only asks for guest ranges (Fixed is used on guest-owned ranges).
    let p = unsafe { libc::mmap(addr as *mut _, len as usize, prot as i32, flags | place, fd, off as i64) };
    if p == libc::MAP_FAILED {
        let e = last_errno();
        return Err(if e.0 == libc::EEXIST { Errno(libc::ENOMEM) } else { e });
    }
    if placement == Placement::FixedNoReplace && p as u64 != addr {
        // SAFETY: undoing our own mapping.
        unsafe { libc::munmap(p, len as usize) };
        return Err(Errno(libc::ENOMEM));
    }
    Ok(p as u64)
}

fn check(r: i32) -> Result<(), Errno> {
    if r != 0 {
        Err(last_errno())
    } else {
        Ok(())
    }
}

impl Platform for HostPlatform {
    fn map_anonymous(&self, addr: u64, len: u64, prot: u32, placement: Placement, shared: bool) -> Result<u64, Errno> {
        let kind = if shared { libc::MAP_SHARED } else { libc::MAP_PRIVATE };
        mmap(addr, len, prot, placement, kind | libc::MAP_ANONYMOUS, -1, 0)
    }

    fn map_host_file(&self, addr: u64, len: u64, prot: u32, placement: Placement, host_fd: i32, offset: u64, shared: bool) -> Result<u64, Errno> {
        let kind = if shared { libc::MAP_SHARED } else { libc::MAP_PRIVATE };
        mmap(addr, len, prot, placement, kind, host_fd, offset)
    }

    fn unmap(&self, addr: u64, len: u64) -> Result<(), Errno> {
        // SAFETY: guest range.
        check(unsafe { libc::munmap(addr as *mut _, len as usize) })
    }

    fn protect(&self, addr: u64, len: u64, prot: u32) -> Result<(), Errno> {
        // SAFETY: guest range.
        check(unsafe { libc::mprotect(addr as *mut _, len as usize, prot as i32) })
    }

    fn remap(&self, old: u64, old_len: u64, new_len: u64, flags: u32, new_addr: u64) -> Result<u64, Errno> {
        // SAFETY: guest range; MREMAP_FIXED targets were checked by the personality.
        let p = unsafe { libc::mremap(old as *mut _, old_len as usize, new_len as usize, flags as i32, new_addr as *mut libc::c_void) };
        if p == libc::MAP_FAILED {
            return Err(last_errno());
        }
        Ok(p as u64)
    }

    fn sync(&self, addr: u64, len: u64, flags: u32) -> Result<(), Errno> {
        // SAFETY: guest range.
        check(unsafe { libc::msync(addr as *mut _, len as usize, flags as i32) })
    }

    fn advise(&self, addr: u64, len: u64, advice: u32) -> Result<(), Errno> {
        // SAFETY: guest range.
        check(unsafe { libc::madvise(addr as *mut _, len as usize, advice as i32) })
    }

    fn memory_lock(&self, op: MemoryLock) -> Result<(), Errno> {
        // SAFETY: guest ranges (checked by the personality) or the whole process.
        check(unsafe {
            match op {
                MemoryLock::Lock(a, l) => libc::mlock(a as *const _, l as usize),
                MemoryLock::Unlock(a, l) => libc::munlock(a as *const _, l as usize),
                MemoryLock::LockAll(flags) => libc::mlockall(flags as i32),
                MemoryLock::UnlockAll => libc::munlockall(),
            }
        })
    }

    fn futex(&self, uaddr: u64, op: u32, val: u32, timeout: u64, uaddr2: u64, val3: u32) -> Result<u64, Errno> {
        // A wait that a signal already interrupted does not start (futex waits may wake early),
        // also when the signal comes just before the host call (rumpkernel_bridge::sleep).
        const WAITS: [u32; 2] = [0, 9];
        if WAITS.contains(&(op & 0x7f)) {
            let args = [uaddr, op as u64, val as u64, timeout, uaddr2, val3 as u64];
            // SAFETY: the personality checked the words (and the timespec) are guest memory.
            return match unsafe { rumpkernel_bridge::sleep::syscall(libc::SYS_futex, args) } {
                rumpkernel_bridge::sleep::NOT_STARTED => Err(Errno(libc::EINTR)),
                r if r < 0 => Err(Errno(-r as i32)),
                r => Ok(r as u64),
            };
        }
        // SAFETY: the personality checked the words (and the timespec) are guest memory.
        let r = unsafe { libc::syscall(libc::SYS_futex, uaddr, op, val, timeout, uaddr2, val3) };
        if r < 0 {
            return Err(last_errno());
        }
        Ok(r as u64)
    }

    fn wait_for_signal(&self, timeout: Option<&mut (i64, i64)>) -> bool {
        // Block everything, look, then wait with the serving mask atomically (ppoll), so a signal
        // arriving in between is not lost.
        let serving = signals::set_host_mask(signals::ALL_BLOCKED);
        if signals::host_signals_pending() {
            signals::set_host_mask(serving);
            return true;
        }
        let wait_mask = serving;
        let start = now_monotonic();
        let ts = timeout.as_ref().map(|t| libc::timespec { tv_sec: t.0, tv_nsec: t.1 });
        // SAFETY: ppoll with no fds, an optional timeout and an 8-byte kernel sigset.
        let r = unsafe {
            libc::syscall(libc::SYS_ppoll, std::ptr::null_mut::<libc::pollfd>(), 0usize,
                ts.as_ref().map_or(std::ptr::null(), |t| t as *const libc::timespec), &wait_mask as *const u64, 8usize)
        };
        signals::set_host_mask(serving);
        match timeout {
            None => true,
            Some(left) => {
                if r == 0 {
                    *left = (0, 0);
                    return false;
                }
                let spent = now_monotonic() - start;
                let total = left.0 as i128 * 1_000_000_000 + left.1 as i128 - spent;
                *left = if total <= 0 { (0, 0) } else { ((total / 1_000_000_000) as i64, (total % 1_000_000_000) as i64) };
                true
            }
        }
    }

    fn take_host_signals(&self, sink: &mut dyn FnMut(Siginfo)) {
        signals::take_host_signals(sink);
    }

    fn fp_area_needed(&self, fpstate: u64) {
        fastpath::complete_current_fp(fpstate);
    }

    fn signal_host_thread(&self, host_tid: i32, info: &Siginfo) -> Result<(), Errno> {
        // SAFETY: sends a signal with our siginfo to a thread of this very process.
        let r = unsafe { libc::syscall(libc::SYS_rt_tgsigqueueinfo, libc::getpid(), host_tid, info.signo, info as *const Siginfo) };
        if r != 0 {
            return Err(last_errno());
        }
        Ok(())
    }

    fn host_tid(&self) -> i32 {
        // SAFETY: gettid has no preconditions.
        unsafe { libc::gettid() }
    }

    fn spawn_thread(&self, start: ThreadStart) -> Result<i32, Errno> {
        threads::spawn(start)
    }

    fn exit_thread(&self) -> ! {
        threads::exit_current()
    }

    fn host_timer(&self, nr: u32, args: [u64; 6]) -> Result<u64, Errno> {
        const TIMER_CALLS: [i64; 8] = [
            libc::SYS_alarm, libc::SYS_setitimer, libc::SYS_getitimer, libc::SYS_timer_create,
            libc::SYS_timer_settime, libc::SYS_timer_gettime, libc::SYS_timer_getoverrun, libc::SYS_timer_delete,
        ];
        if !TIMER_CALLS.contains(&(nr as i64)) {
            return Err(Errno(libc::ENOSYS));
        }
        // SAFETY: one of the timer calls above, with pointers the personality checked.
        let r = unsafe { libc::syscall(nr as i64, args[0], args[1], args[2], args[3], args[4], args[5]) };
        if r < 0 {
            return Err(last_errno());
        }
        Ok(r as u64)
    }

    fn fs_base(&self) -> u64 {
        // SAFETY: set by the signal entry for the running thread.
        signals::CURRENT_BLOCK.with(|b| unsafe { (*b.get()).guest_fs })
    }

    fn set_fs_base(&self, value: u64) {
        // SAFETY: as above; the entry code loads it on the way back to the guest.
        signals::CURRENT_BLOCK.with(|b| unsafe { (*b.get()).guest_fs = value });
    }

    fn exit_group(&self, code: i32) -> ! {
        end_run();
        // SAFETY: ends the process; nothing of rumplx's needs flushing (output is unbuffered).
        unsafe { libc::_exit(code & 0xff) }
    }

    fn die_of_signal(&self, signo: u32) -> ! {
        die_of_signal(signo)
    }

    fn stop_process(&self, signo: u32) -> bool {
        signals::stop_with(signo as i32)
    }

    fn fork(&self, child_lwp: rumpkernel_bridge::LwpId) -> Result<ForkSide, Errno> {
        let slot = kernel_slot().expect("the kernel is set before the guest starts");
        let (server_end, client_end) = sysproxy::channel_pair().map_err(|_| Errno(libc::EMFILE))?;
        lifeline::ensure();
        // The child must not take a signal before it is a client of the kernel.
        let mask = signals::set_host_mask(signals::ALL_BLOCKED);
        // SAFETY: fork in the signal handler of the only thread that matters to the child; the
        // child touches only its own copy of memory until it is set up.
        let pid = unsafe { libc::fork() };
        if pid < 0 {
            signals::set_host_mask(mask);
            return Err(last_errno());
        }
        if pid == 0 {
            drop(server_end);
            close_inherited_fds(&[client_end.as_raw_fd()]);
            lifeline::arm();
            fastpath::forked();
            fatal_watch::forked();
            let stale = slot.replace(Arc::new(sysproxy::RemoteKernel::new(client_end, child_lwp)));
            // The copy of the kernel is never used here, and its descriptors are already closed:
            // dropping it would close them again.
            std::mem::forget(stale);
            // Syscall User Dispatch is not inherited across fork.
            let block = signals::CURRENT_BLOCK.with(|b| b.get());
            if sud::enable(block).is_err() {
                // SAFETY: the child cannot run guest code without it.
                unsafe { libc::_exit(125) };
            }
            signals::set_host_mask(mask);
            // SAFETY: gettid has no preconditions.
            return Ok(ForkSide::Child { host_tid: unsafe { libc::gettid() } });
        }
        drop(client_end);
        let attached = sysproxy::attach_child(slot, child_lwp, server_end, pid);
        signals::set_host_mask(mask);
        attached.map_err(|_| Errno(libc::EAGAIN))?;
        Ok(ForkSide::Parent { host_pid: pid })
    }

    fn spawn_vm_child(&self, parent: &abi_linux::dispatch::Personality, start: ThreadStart) -> Result<VmChild, Errno> {
        vmchild::spawn(parent, start)
    }

    fn exec_in_new_image(&self, handoff: &ExecHandoff) -> Errno {
        match vmchild::current() {
            Some(vm) => vmchild::exec(vm, handoff),
            None => Errno(libc::ENOSYS),
        }
    }

    fn host_wait4(&self, pid: i32, status: &mut i32, options: u32, rusage: &mut [u8; 144]) -> Result<i32, Errno> {
        // SAFETY: wait4 fills our status and rusage buffers (struct rusage is 144 bytes).
        let r = unsafe { libc::wait4(pid, status, options as i32, rusage.as_mut_ptr() as *mut libc::rusage) };
        if r < 0 {
            return Err(last_errno());
        }
        Ok(r)
    }

    fn host_waitid(&self, idtype: u32, id: i32, info: &mut Siginfo, options: u32, rusage: &mut [u8; 144]) -> Result<(), Errno> {
        // SAFETY: the raw waitid fills a siginfo (128 bytes) and a rusage.
        let r = unsafe { libc::syscall(libc::SYS_waitid, idtype, id, info as *mut Siginfo, options, rusage.as_mut_ptr()) };
        if r < 0 {
            return Err(last_errno());
        }
        Ok(())
    }

    fn wait_children(&self, host_pids: &[i32]) -> Result<(), Errno> {
        // A pidfd is readable once its process has ended: sleep on those, with every host signal
        // deliverable (ppoll switches masks atomically, so one that came before is not missed).
        let mut fds: Vec<libc::pollfd> = Vec::with_capacity(host_pids.len());
        let close = |fds: &[libc::pollfd]| {
            for p in fds {
                // SAFETY: closes a pidfd opened here.
                unsafe { libc::close(p.fd) };
            }
        };
        for &h in host_pids {
            // SAFETY: pidfd_open of a host child of ours; the descriptor is closed below.
            let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, h, 0u32) } as i32;
            if fd >= 0 {
                fds.push(libc::pollfd { fd, events: libc::POLLIN, revents: 0 });
            } else if last_errno().0 == libc::ESRCH {
                // Gone already (reaped by the host): the caller looks again.
                close(&fds);
                return Ok(());
            }
            // Otherwise (out of descriptors) the child's SIGCHLD still ends the sleep.
        }
        let serving = signals::set_host_mask(signals::ALL_BLOCKED);
        let r = if signals::host_signals_pending() {
            Err(Errno(libc::EINTR))
        } else {
            // SAFETY: ppoll over our pollfds, no timeout, with an 8-byte kernel sigset.
            let r = unsafe {
                libc::syscall(libc::SYS_ppoll, fds.as_mut_ptr(), fds.len(), std::ptr::null::<libc::timespec>(), &serving as *const u64, 8usize)
            };
            if r < 0 && last_errno().0 == libc::EINTR { Err(Errno(libc::EINTR)) } else { Ok(()) }
        };
        signals::set_host_mask(serving);
        close(&fds);
        r
    }

    fn auto_reap_children(&self, on: bool) {
        signals::set_auto_reap(on);
    }

    fn run_processes(&self) -> Vec<(i32, i32)> {
        kernel_slot().map(|k| sysproxy::processes(k)).unwrap_or_default()
    }

    fn host_pid_of(&self, pid: i32) -> Option<i32> {
        sysproxy::host_pid_of(kernel_slot()?, pid)
    }

    fn signal_host_process(&self, host_pid: i32, info: &Siginfo) -> Result<(), Errno> {
        // SAFETY: queues a signal with our siginfo to another process of the run.
        let r = unsafe { libc::syscall(libc::SYS_rt_sigqueueinfo, host_pid, info.signo, info as *const Siginfo) };
        if r != 0 {
            return Err(last_errno());
        }
        Ok(())
    }

    fn check_image(&self, bytes: &[u8]) -> Result<(), ImageError> {
        crate::elf::check(bytes).map(|_| ()).map_err(|r| ImageError {
            errno: Errno(libc::ENOEXEC),
            interpreter: match &r {
                crate::elf::RefuseReason::Dynamic(interp) => Some(interp.clone()),
                _ => None,
            },
            reason: r.to_string(),
        })
    }

    fn replace_image(&self, old: &AddressSpace, bytes: &[u8], exe_path: &str, execfn: &[u8], argv: &[Vec<u8>], envp: &[Vec<u8>], ids: [u32; 4]) -> Result<NewImage, Errno> {
        crate::image::unmap(old);
        fastpath::forget_image();
        let [uid, euid, gid, egid] = ids;
        let img = crate::image::build(bytes, exe_path, execfn, argv, envp, crate::image::Ids { uid, euid, gid, egid })
            .map_err(|_| Errno(libc::ENOMEM))?;
        Ok(NewImage { entry: img.entry, sp: img.sp, mm: img.mm })
    }

    fn log(&self, line: &str) {
        let mut s = String::with_capacity(line.len() + 1);
        s.push_str(line);
        s.push('\n');
        write_stderr(&s);
    }
}

/// Nanoseconds on the host's monotonic clock.
fn now_monotonic() -> i128 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime fills our timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as i128 * 1_000_000_000 + ts.tv_nsec as i128
}

fn write_stderr(s: &str) {
    let mut b = s.as_bytes();
    while !b.is_empty() {
        // SAFETY: writing our own buffer to fd 2.
        let n = unsafe { libc::write(2, b.as_ptr() as *const _, b.len()) };
        if n <= 0 {
            break;
        }
        b = &b[n as usize..];
    }
}

/// Linux signal names and the descriptions shells print.
pub fn signal_name(signo: u32) -> (&'static str, &'static str) {
    const NAMES: [(&str, &str); 32] = [
        ("SIG0", "Signal 0"), ("SIGHUP", "Hangup"), ("SIGINT", "Interrupt"), ("SIGQUIT", "Quit"),
        ("SIGILL", "Illegal instruction"), ("SIGTRAP", "Trace/breakpoint trap"), ("SIGABRT", "Aborted"),
        ("SIGBUS", "Bus error"), ("SIGFPE", "Floating point exception"), ("SIGKILL", "Killed"),
        ("SIGUSR1", "User defined signal 1"), ("SIGSEGV", "Segmentation fault"),
        ("SIGUSR2", "User defined signal 2"), ("SIGPIPE", "Broken pipe"), ("SIGALRM", "Alarm clock"),
        ("SIGTERM", "Terminated"), ("SIGSTKFLT", "Stack fault"), ("SIGCHLD", "Child exited"),
        ("SIGCONT", "Continued"), ("SIGSTOP", "Stopped (signal)"), ("SIGTSTP", "Stopped"),
        ("SIGTTIN", "Stopped (tty input)"), ("SIGTTOU", "Stopped (tty output)"),
        ("SIGURG", "Urgent I/O condition"), ("SIGXCPU", "CPU time limit exceeded"),
        ("SIGXFSZ", "File size limit exceeded"), ("SIGVTALRM", "Virtual timer expired"),
        ("SIGPROF", "Profiling timer expired"), ("SIGWINCH", "Window changed"),
        ("SIGIO", "I/O possible"), ("SIGPWR", "Power failure"), ("SIGSYS", "Bad system call"),
    ];
    NAMES.get(signo as usize).copied().unwrap_or(("SIGRT", "Real-time signal"))
}

/// The kernel this process talks to (swapped for a remote one in a fork child).
pub static KERNEL: std::sync::OnceLock<Arc<sysproxy::KernelSlot>> = std::sync::OnceLock::new();

/// The kernel the calling guest process talks to: a CLONE_VM child running in this memory has
/// its own (see [`vmchild`]).
pub fn kernel_slot() -> Option<&'static Arc<sysproxy::KernelSlot>> {
    match vmchild::current() {
        Some(vm) => Some(vm.kernel()),
        None => KERNEL.get(),
    }
}

/// In a new host process of the run (a fork child, a CLONE_VM child): closes the host descriptors
/// inherited from the parent but `keep`, rumplx's stdio and the --stats file. The kernel's host
/// objects (files, pipe ends, sockets) belong to the kernel's process: a copy held here would keep
/// a pipe from ever reaching end of file.
fn close_inherited_fds(keep: &[i32]) {
    let mut keep: Vec<u32> = keep.iter().map(|k| *k as u32).collect();
    keep.extend(STATS_FILE.get().map(|f| f.as_raw_fd() as u32));
    keep.extend(lifeline::read_end().map(|fd| fd as u32));
    keep.sort_unstable();
    let mut from = 3u32;
    for k in keep {
        if k > from {
            // SAFETY: closes descriptors of this new process only (its table is its own copy).
            unsafe { libc::syscall(libc::SYS_close_range, from, k - 1, 0u32) };
        }
        from = from.max(k + 1);
    }
    // SAFETY: as above.
    unsafe { libc::syscall(libc::SYS_close_range, from, u32::MAX, 0u32) };
}

/// Where `--stats` records go (each process appends its own line).
pub static STATS_FILE: std::sync::OnceLock<std::fs::File> = std::sync::OnceLock::new();

/// Appends this process's syscall counts to the stats file.
fn write_stats() {
    let (Some(file), Some(p)) = (STATS_FILE.get(), signals::personality()) else { return };
    let Some(stats) = &p.stats else { return };
    let program = p.info.lock().exe_path.clone();
    let mut line = stats.lock().json_line(&p.table, &program);
    if line.ends_with("}\n") {
        // The fast path's share: sites this process rewrote, calls that came through them.
        line.truncate(line.len() - 2);
        let (sites, calls) = (fastpath::SITES.load(std::sync::atomic::Ordering::Relaxed), fastpath::CALLS.load(std::sync::atomic::Ordering::Relaxed));
        line.push_str(&format!(", \"fast_path\": {{\"sites\": {sites}, \"calls\": {calls}}}}}\n"));
    }
    use std::io::Write;
    let _ = (&*file).write_all(line.as_bytes());
}

/// When the process holding the kernel ends, the run ends: its other processes go with it.
fn end_run() {
    // One ending per process: a second thread ending the run (a fatal signal noted by the
    // watcher while the guest exits, say) waits for the first one's _exit. Keyed by host pid: a
    // CLONE_VM child shares this memory and ends on its own.
    static ENDING: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);
    // SAFETY: getpid has no preconditions.
    let me = unsafe { libc::getpid() };
    if ENDING.swap(me, std::sync::atomic::Ordering::AcqRel) == me {
        loop {
            // SAFETY: waits for a signal that, with everything blocked, never comes.
            unsafe { libc::pause() };
        }
    }
    write_stats();
    let Some(slot) = kernel_slot() else { return };
    if slot.get().as_remote().is_some() {
        return;
    }
    for pid in sysproxy::client_host_pids() {
        // SAFETY: kills a process of this run.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
    rumpkernel_bridge::RumpKernel::end_run(slot.as_ref());
}

/// Ends rumplx as the guest would end, killed by `signo`: one line, status 128 + signo.
pub fn die_of_signal(signo: u32) -> ! {
    end_run();
    if kernel_slot().is_some_and(|k| k.get().as_remote().is_some()) {
        // A process forked inside the run dies of the signal itself, so its parent's wait sees
        // WIFSIGNALED as on Linux (a shell prints nothing here: its parent reports it).
        // SAFETY: default disposition, signal ourselves with nothing else blocked, then exit.
        unsafe {
            let core = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
            libc::setrlimit(libc::RLIMIT_CORE, &core);
            libc::signal(signo as i32, libc::SIG_DFL);
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::sigaddset(&mut set, signo as i32);
            libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
            libc::kill(libc::getpid(), signo as i32);
            libc::_exit(128 + signo as i32)
        }
    }
    let (name, what) = signal_name(signo);
    write_stderr(&format!("rumplx: program killed by signal {signo} ({name}: {what})\n"));
    // SAFETY: ends the process.
    unsafe { libc::_exit(128 + signo as i32) }
}
