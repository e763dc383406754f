//! The personality's state and the dispatcher: one Linux syscall in, one Linux answer out.

use alloc::{string::String, sync::Arc, vec::Vec};
use core::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};

use rumpkernel_bridge::RumpKernel;

use crate::{
    mm::AddressSpace,
    platform::{Access, Platform},
    sys::sigframe::{Sigcontext, Siginfo},
    sys::signal::{self, Disposition, NSIG},
    table::{Arg, Entry, Route, Table},
    trace::TraceLog,
    xlat, Errno, LxResult,
};

/// Facts about the guest process that the kernel does not own.
#[derive(Clone, Debug, Default)]
pub struct ProcessInfo {
    /// The program's path as given to `execve` (AT_EXECFN, /proc/self/exe).
    pub exe_path: String,
    /// argv, for /proc/self/cmdline.
    pub argv: Vec<String>,
}

/// Per guest thread state the layer keeps.
#[derive(Debug)]
pub struct Thread {
    /// Linux thread id as the guest sees it.
    pub tid: i32,
    /// Signals sent to this thread and not yet delivered, with their siginfo.
    pub pending: signal::PendingSet,
    /// The mask to restore after a sigsuspend-style wait (goes into the signal frame).
    pub saved_sigmask: Option<u64>,
    /// `set_tid_address` pointer.
    pub clear_child_tid: u64,
    /// Blocked signals (Linux numbering, bit N-1 for signal N).
    pub sigmask: u64,
    /// `sigaltstack` as the guest set it: (ss_sp, ss_flags, ss_size).
    pub altstack: (u64, i32, u64),
    /// `set_robust_list` head.
    pub robust_list: u64,
    /// PR_SET_NAME name (15 bytes and a NUL).
    pub comm: [u8; 16],
    /// PR_SET_PDEATHSIG signal.
    pub pdeathsig: i32,
    /// sched_setaffinity mask (CPUs 0..63; 0: never set).
    pub affinity: u64,
}

impl Thread {
    pub fn new(tid: i32) -> Thread {
        Thread {
            tid,
            pending: signal::PendingSet::default(),
            saved_sigmask: None,
            clear_child_tid: 0,
            sigmask: 0,
            altstack: (0, signal::SS_DISABLE, 0),
            robust_list: 0,
            comm: [0; 16],
            pdeathsig: 0,
            affinity: 0,
        }
    }
}

/// What other threads need to know about a thread: where to send it signals, what it blocks.
#[derive(Clone, Copy, Debug)]
pub struct ThreadEntry {
    pub tid: i32,
    /// The host thread running it (signals travel as host signals).
    pub host_tid: i32,
    pub sigmask: u64,
}

/// Process-wide prctl settings.
#[derive(Debug)]
pub struct PrctlState {
    pub dumpable: bool,
    pub no_new_privs: bool,
}

/// The Linux personality of one guest process.
pub struct Personality {
    pub kernel: Arc<dyn RumpKernel>,
    pub platform: Arc<dyn Platform>,
    pub table: Table,
    /// The memory map (shared with a CLONE_VM child, whose memory is this process's).
    pub mm: Arc<spin::Mutex<AddressSpace>>,
    pub signals: spin::Mutex<crate::sys::signal::SignalState>,
    pub prctl: spin::Mutex<PrctlState>,
    pub info: spin::Mutex<ProcessInfo>,
    /// This process's children: (guest pid, host pid).
    pub children: spin::Mutex<Vec<(i32, i32)>>,
    /// Every live guest thread of the process.
    pub threads: spin::Mutex<Vec<ThreadEntry>>,
    /// Next Linux thread id to hand out.
    pub next_tid: AtomicI32,
    /// `--trace`: print each call strace-style with the NetBSD calls it became.
    pub trace: bool,
    /// `--stats`: how often each call ran and how it ended.
    pub stats: Option<spin::Mutex<crate::stats::Stats>>,
    /// Whether the process made a signalfd (only then is the kernel told of pending signals).
    pub signalfds: AtomicBool,
    /// The pending signals the kernel last heard of, for signalfd readiness.
    pub signalfd_pending: AtomicU64,
    /// A child made with CLONE_VM (posix_spawn, vfork) that has not exec'd yet: it runs in its
    /// parent's memory, so its execve starts a fresh host image instead of replacing this one.
    pub vm_child: bool,
}

/// What one handler invocation sees.
pub struct Ctx<'a> {
    pub args: [u64; 6],
    pub p: &'a Personality,
    pub thread: &'a mut Thread,
    /// The calling thread's registers as the syscall left them.
    pub regs: &'a mut Sigcontext,
    /// Set by handlers that replace every register (rt_sigreturn): RAX is then not the result.
    pub regs_replaced: bool,
    pub trace: Option<TraceLog>,
}

impl Personality {
    pub fn new(kernel: Arc<dyn RumpKernel>, platform: Arc<dyn Platform>, mm: AddressSpace, info: ProcessInfo) -> Self {
        Personality {
            kernel,
            platform,
            table: Table::new(),
            mm: Arc::new(spin::Mutex::new(mm)),
            signals: spin::Mutex::new(Default::default()),
            prctl: spin::Mutex::new(PrctlState { dumpable: true, no_new_privs: false }),
            info: spin::Mutex::new(info),
            threads: spin::Mutex::new(Vec::new()),
            children: spin::Mutex::new(Vec::new()),
            next_tid: AtomicI32::new(0),
            trace: false,
            stats: None,
            signalfds: AtomicBool::new(false),
            signalfd_pending: AtomicU64::new(0),
            vm_child: false,
        }
    }

    /// The personality of a child made with CLONE_VM and without CLONE_THREAD: the same memory
    /// (and memory map) as this process, a copy of the signal actions (no CLONE_SIGHAND), and its
    /// own kernel client, threads and children. The caller registers its thread.
    pub fn for_vm_child(&self, kernel: Arc<dyn RumpKernel>) -> Personality {
        let actions = self.signals.lock().actions;
        let (dumpable, no_new_privs) = {
            let pr = self.prctl.lock();
            (pr.dumpable, pr.no_new_privs)
        };
        Personality {
            kernel,
            platform: self.platform.clone(),
            table: Table::new(),
            mm: self.mm.clone(),
            signals: spin::Mutex::new(crate::sys::signal::SignalState { actions, pending: Default::default() }),
            prctl: spin::Mutex::new(PrctlState { dumpable, no_new_privs }),
            info: spin::Mutex::new(self.info.lock().clone()),
            threads: spin::Mutex::new(Vec::new()),
            children: spin::Mutex::new(Vec::new()),
            next_tid: AtomicI32::new(0),
            trace: self.trace,
            stats: self.stats.as_ref().map(|_| Default::default()),
            // The child's descriptor table is a copy of this one: it may hold signalfds too.
            signalfds: AtomicBool::new(self.signalfds.load(Ordering::Relaxed)),
            signalfd_pending: AtomicU64::new(0),
            vm_child: true,
        }
    }

    /// Serves Linux syscall `nr` with `args` and returns the value for RAX (a result or
    /// -errno); for callers without guest registers (tests).
    pub fn dispatch(&self, thread: &mut Thread, nr: u64, args: [u64; 6]) -> u64 {
        let mut regs = Sigcontext { rax: nr, rdi: args[0], rsi: args[1], rdx: args[2], r10: args[3], r8: args[4], r9: args[5], ..Default::default() };
        self.run_syscall(thread, &mut regs);
        regs.rax
    }

    /// Serves the syscall the thread's registers describe (number in RAX), writes the answer in
    /// RAX (or restarts the call), then delivers the signals that are due.
    pub fn syscall(&self, thread: &mut Thread, regs: &mut Sigcontext) {
        self.run_syscall(thread, regs);
        self.deliver_pending(thread, regs);
        if let Some(mask) = thread.saved_sigmask.take() {
            // A sigsuspend-style wait ended without a handler frame: its mask ends with it.
            thread.sigmask = mask;
            self.publish_mask(thread.tid, mask);
        }
        self.sync_signalfds(thread);
    }

    /// Signals pending for this thread: its own and the process's.
    pub fn visible_pending(&self, thread: &Thread) -> u64 {
        thread.pending.bits | self.signals.lock().pending.bits
    }

    /// Tells the kernel the signals this thread sees pending when they changed since it last
    /// heard, so its signalfds are readable exactly while one of their mask is (nothing to do
    /// until the process makes a signalfd).
    pub fn sync_signalfds(&self, thread: &Thread) {
        if !self.signalfds.load(Ordering::Relaxed) {
            return;
        }
        let bits = self.visible_pending(thread);
        if self.signalfd_pending.swap(bits, Ordering::Relaxed) != bits {
            let _ = self.kernel.syscall(rumpkernel_bridge::ext_events::SYS_EXT_signalfd_pending, [bits, 0, 0, 0, 0, 0]);
        }
    }

    fn run_syscall(&self, thread: &mut Thread, regs: &mut Sigcontext) {
        // Signals may have come in guest code since the last call: poll and epoll must see them.
        self.sync_signalfds(thread);
        let nr = regs.rax;
        let args = regs.syscall_args();
        let entry = self.table.get(nr);
        if let (Some(e), true) = (entry, self.trace) {
            if e.ret == crate::table::Ret::None {
                // Calls that do not return are traced before they run, as strace shows them.
                let line = crate::trace::format_call(self, nr, entry, &args, &Ok(0), &TraceLog::default());
                self.platform.log(&line);
            }
        }
        let mut ctx = Ctx { args, p: self, thread, regs, regs_replaced: false, trace: self.trace.then(TraceLog::default) };
        let result = match entry {
            None => Err(crate::errno::ENOSYS),
            Some(e) => ctx.run(e),
        };
        if let Some(log) = ctx.trace.take() {
            let line = crate::trace::format_call(self, nr, entry, &args, &result, &log);
            self.platform.log(&line);
        }
        if let Some(stats) = &self.stats {
            stats.lock().record(nr, &result);
        }
        if result == Err(crate::errno::EPIPE) && raises_sigpipe(nr, &args) {
            // The kernel that wrote says EPIPE; the signal is the writer's, as on Linux (and NetBSD).
            let pid = ctx.p.kernel.syscall(abi_netbsd::nr::SYS_getpid, [0; 6]).map(|r| r[0] as i32).unwrap_or(0);
            let info = Siginfo::from_process(13, crate::sys::sigframe::SI_USER, pid, 0);
            ctx.thread.pending.post(info);
        }
        if ctx.regs_replaced {
            return;
        }
        let (thread, regs) = (ctx.thread, ctx.regs);
        if result == Err(crate::errno::EINTR) && restartable(entry) && self.should_restart(thread) {
            // Run the same syscall again once the handler (if any) returns, as Linux does for
            // calls interrupted by a signal whose action has SA_RESTART or that was ignored.
            regs.rax = nr;
            regs.rip -= 2;
            return;
        }
        regs.rax = match result {
            Ok(v) => v,
            Err(e) => (-(e.0 as i64)) as u64,
        };
    }

    /// Whether an interrupted call should run again: the signal that interrupted it is ignored,
    /// or its handler asked for SA_RESTART.
    fn should_restart(&self, thread: &mut Thread) -> bool {
        self.take_host_signals(thread);
        match self.deliverable(thread) {
            None => true,
            Some(sig) => {
                let action = self.signals.lock().actions[sig as usize - 1];
                match signal::disposition(&action, sig) {
                    Disposition::Ignore | Disposition::Stop => true,
                    Disposition::Terminate => false,
                    Disposition::Handle(a) => a.flags & signal::SA_RESTART != 0,
                }
            }
        }
    }

    /// Whether serving `nr` may wait (so a signal must be able to interrupt it). Calls that never
    /// wait are served with host signals held back, which spares two host calls per syscall.
    pub fn may_block(&self, nr: u64) -> bool {
        use syscalls::Sysno::*;
        const NEVER_WAIT: &[syscalls::Sysno] = &[
            getpid, getppid, gettid, getuid, geteuid, getgid, getegid, getpgrp, getsid, getpgid,
            clock_gettime, clock_getres, gettimeofday, time, brk, mmap, munmap, mprotect, madvise,
            mremap, rt_sigprocmask, rt_sigaction, sigaltstack, rt_sigreturn, arch_prctl, set_tid_address,
            set_robust_list, rseq, uname, getcwd, lseek, fstat, newfstatat, statx, stat, lstat, access,
            faccessat, faccessat2, close, dup, dup2, dup3, getrlimit, prlimit64, umask, sched_yield,
            sched_getaffinity, getrandom, prctl, getdents64, readlink, readlinkat, getrusage, times,
        ];
        !NEVER_WAIT.iter().any(|s| *s as u64 == nr)
    }

    /// Records the thread's mask where other threads look it up.
    pub fn publish_mask(&self, tid: i32, mask: u64) {
        if let Some(t) = self.threads.lock().iter_mut().find(|t| t.tid == tid) {
            t.sigmask = mask;
        }
    }

    /// Adds a thread to the registry.
    pub fn register_thread(&self, entry: ThreadEntry) {
        self.threads.lock().push(entry);
    }

    /// Removes a thread; answers how many remain.
    pub fn unregister_thread(&self, tid: i32) -> usize {
        let mut t = self.threads.lock();
        t.retain(|e| e.tid != tid);
        t.len()
    }

    pub fn thread_exists(&self, tid: i32) -> bool {
        self.threads.lock().iter().any(|t| t.tid == tid)
    }

    /// Hands out a Linux thread id for a new thread.
    pub fn alloc_tid(&self) -> i32 {
        self.next_tid.fetch_add(1, Ordering::Relaxed)
    }

    /// Moves signals the host delivered to this thread (while it was inside rumplx) into its
    /// pending sets.
    pub fn take_host_signals(&self, thread: &mut Thread) {
        self.platform.take_host_signals(&mut |info| self.post_host_signal(thread, info));
    }

    /// A host signal for this thread. Signals between our own threads travel as host signals
    /// marked in `si_errno`: a guest signal for this very thread, or a wake-up to look at the
    /// process's pending set. Anything else came from outside and is for the process.
    pub fn post_host_signal(&self, thread: &mut Thread, mut info: Siginfo) {
        let sig = info.signo as u32;
        if !(1..=NSIG as u32).contains(&sig) {
            return;
        }
        match info.errno {
            TRANSPORT_WAKE => {}
            TRANSPORT_EXIT => {
                // Another thread is replacing the program (execve): this one ends here.
                self.unregister_thread(thread.tid);
                self.kernel.lwproc_releaselwp();
                self.platform.exit_thread();
            }
            TRANSPORT_PROCESS => {
                info.errno = 0;
                info.code = info.fields[TRANSPORT_CODE_SLOT] as i32;
                info.fields[TRANSPORT_CODE_SLOT] = 0;
                self.signals.lock().pending.post(info);
            }
            TRANSPORT_SIGNAL => {
                info.errno = 0;
                info.code = info.fields[TRANSPORT_CODE_SLOT] as i32;
                info.fields[TRANSPORT_CODE_SLOT] = 0;
                thread.pending.post(info);
            }
            _ if crate::sys::jobctl::is_keyboard_signal(sig, info.code) && !self.in_host_foreground() => {
                // The host's terminal signals every process of the run; the guest's foreground
                // group alone is meant.
            }
            _ => {
                if sig == 17 {
                    // SIGCHLD from the host names a host child: show the guest its own pid.
                    let guest = crate::sys::fork::guest_of(self, info.pid());
                    crate::sys::fork::fix_stop_info(self, guest, &mut info);
                    info.set_pid(guest);
                }
                self.signals.lock().pending.post(info);
            }
        }
    }

    /// Whether keyboard signals from the host's terminal are for this process (its group is
    /// the guest's foreground group of that terminal; yes when the kernel cannot tell).
    fn in_host_foreground(&self) -> bool {
        match self.kernel.syscall(rumpkernel_bridge::ext_tty::SYS_EXT_tty_foreground, [0; 6]) {
            Ok(r) => r[0] != 0,
            Err(_) => true,
        }
    }

    /// Records the host thread running guest thread `tid`.
    pub fn set_host_tid(&self, tid: i32, host_tid: i32) {
        if let Some(t) = self.threads.lock().iter_mut().find(|t| t.tid == tid) {
            t.host_tid = host_tid;
        }
    }

    /// The lowest-numbered signal pending for this thread that it does not block.
    pub fn deliverable(&self, thread: &Thread) -> Option<u32> {
        let ready = (thread.pending.bits | self.signals.lock().pending.bits) & !thread.sigmask;
        (ready != 0).then(|| ready.trailing_zeros() + 1)
    }

    /// Takes one pending signal from `set` (thread-directed first), with its siginfo.
    pub fn take_pending(&self, thread: &mut Thread, set: u64) -> Option<(u32, Siginfo)> {
        if let Some(taken) = thread.pending.take(set) {
            return Some(taken);
        }
        self.signals.lock().pending.take(set)
    }

    /// Sends a signal to the process: the calling thread takes it unless it blocks it, then any
    /// thread that does not block it is woken to take it; else every other thread is woken, so one
    /// waiting for it in sigwaitinfo looks again (the signal stays pending for an unmask).
    pub fn send_process(&self, thread: &mut Thread, info: Siginfo) {
        let sig = info.signo as u32;
        self.signals.lock().pending.post(info);
        if thread.sigmask & signal::bit(sig) == 0 {
            return;
        }
        let others: Vec<ThreadEntry> = self.threads.lock().iter().filter(|t| t.tid != thread.tid).copied().collect();
        let unblocked: Vec<&ThreadEntry> = others.iter().filter(|t| t.sigmask & signal::bit(sig) == 0).collect();
        // Wake them: the host signal interrupts whatever they do, and they find the pending one.
        let kick = Siginfo { signo: sig as i32, errno: TRANSPORT_WAKE, code: crate::sys::sigframe::SI_QUEUE, ..Default::default() };
        let targets: Vec<&ThreadEntry> = if unblocked.is_empty() { others.iter().collect() } else { unblocked.into_iter().take(1).collect() };
        for t in targets {
            self.platform.signal_host_thread(t.host_tid, &kick).ok();
        }
    }

    /// Sends a signal to another process of the run, running as host process `host_pid`.
    pub fn send_other_process(&self, host_pid: i32, info: Siginfo) -> Result<(), Errno> {
        let mut wire = Siginfo { errno: TRANSPORT_PROCESS, code: crate::sys::sigframe::SI_QUEUE, ..info };
        wire.fields[TRANSPORT_CODE_SLOT] = info.code as u32 as u64;
        self.platform.signal_host_process(host_pid, &wire)
    }

    /// Sends a signal to one thread of the process.
    pub fn send_thread(&self, thread: &mut Thread, tid: i32, info: Siginfo) -> Result<(), Errno> {
        if tid == thread.tid {
            thread.pending.post(info);
            return Ok(());
        }
        let target = self.threads.lock().iter().find(|t| t.tid == tid).copied().ok_or(crate::errno::ESRCH)?;
        // The host accepts only SI_QUEUE between threads: the guest's own code travels beside it.
        let mut wire = Siginfo { errno: TRANSPORT_SIGNAL, code: crate::sys::sigframe::SI_QUEUE, ..info };
        wire.fields[TRANSPORT_CODE_SLOT] = info.code as u32 as u64;
        self.platform.signal_host_thread(target.host_tid, &wire)
    }

    /// Whether `sig`, arriving for a thread whose mask is `mask`, ends the process by its default
    /// action. Safe in a host signal handler: it never waits for the signal state's lock (false
    /// when the lock is held; the signal is then taken the usual way, when the call returns).
    pub fn kills_by_default(&self, sig: u32, mask: u64) -> bool {
        if sig == 0 || sig as usize > signal::NSIG || mask & signal::bit(sig) != 0 {
            return false;
        }
        let Some(st) = self.signals.try_lock() else { return false };
        matches!(signal::disposition(&st.actions[sig as usize - 1], sig), Disposition::Terminate)
    }

    /// Delivers every signal that is due to this thread: ignored ones vanish, default actions end
    /// the process, handlers get frames (each new frame on top of the last, as on Linux).
    pub fn deliver_pending(&self, thread: &mut Thread, regs: &mut Sigcontext) {
        self.take_host_signals(thread);
        while let Some(sig) = self.deliverable(thread) {
            let (_, info) = self.take_pending(thread, signal::bit(sig)).expect("deliverable signals are pending");
            let action = self.signals.lock().actions[sig as usize - 1];
            match signal::disposition(&action, sig) {
                Disposition::Ignore => {}
                Disposition::Stop => self.stop(sig),
                Disposition::Terminate => self.die(thread, regs, sig),
                Disposition::Handle(a) => {
                    if signal::push_frame(self, thread, regs, sig, &a, &info).is_err() {
                        self.die(thread, regs, signal::SIGSEGV);
                    }
                }
            }
        }
    }

    /// Ends the process as killed by `sig`. A session leader hangs up its terminal's foreground
    /// group first, as Linux's exit does whatever ends the leader.
    fn die(&self, thread: &mut Thread, regs: &mut Sigcontext, sig: u32) -> ! {
        let mut ctx = Ctx { args: [0; 6], p: self, thread, regs, regs_replaced: false, trace: None };
        crate::sys::jobctl::leader_exit(&mut ctx);
        self.platform.die_of_signal(sig)
    }

    /// Stops the process with stop signal `sig`; where the host will not, with SIGSTOP, telling
    /// the kernel which signal it stands for (for the parent's wait and SIGCHLD).
    fn stop(&self, sig: u32) {
        use rumpkernel_bridge::ext_events::SYS_EXT_stop_signal;
        if !self.platform.stop_process(sig) {
            let _ = self.kernel.syscall(SYS_EXT_stop_signal, [sig as u64, 0, 0, 0, 0, 0]);
            self.platform.stop_process(signal::SIGSTOP);
            let _ = self.kernel.syscall(SYS_EXT_stop_signal, [0; 6]);
        }
    }

    /// A signal the host raised for guest code on this thread: a fault (synchronous: handled now or
    /// fatal) or a signal from outside or from another thread.
    pub fn host_signal(&self, thread: &mut Thread, regs: &mut Sigcontext, info: Siginfo, fault: bool) {
        let sig = info.signo as u32;
        if fault {
            // Like Linux's force_sig: a blocked or ignored fault cannot be survived.
            let action = self.signals.lock().actions[sig as usize - 1];
            let blocked = thread.sigmask & signal::bit(sig) != 0;
            match signal::disposition(&action, sig) {
                Disposition::Handle(a) if !blocked => {
                    if signal::push_frame(self, thread, regs, sig, &a, &info).is_err() {
                        self.die(thread, regs, signal::SIGSEGV);
                    }
                }
                _ => self.die(thread, regs, sig),
            }
            return;
        }
        self.post_host_signal(thread, info);
        self.deliver_pending(thread, regs);
    }
}

/// The top of the user address space (x86_64 TASK_SIZE_MAX).
const TASK_SIZE: u64 = 0x7fff_ffff_f000;

/// The most one read or write transfers on Linux (MAX_RW_COUNT).
const MAX_RW_COUNT: u64 = 0x7fff_f000;

/// `si_errno` marks of signals between our own threads ("RUMP", "WAKE"): no sender outside sets
/// si_errno to these, and the guest never sees them.
const TRANSPORT_SIGNAL: i32 = 0x5255_4d50;
const TRANSPORT_WAKE: i32 = 0x5741_4b45;
/// "PROC": a signal from another guest process of the run, for this process.
const TRANSPORT_PROCESS: i32 = 0x5052_4f43;
/// "EXIT": end this thread now (execve in another thread).
pub const TRANSPORT_EXIT: i32 = 0x4558_4954;
/// A word of the siginfo union that kill/tgkill/sigqueue infos leave unused and the host kernel
/// still copies (it keeps the first 48 bytes).
const TRANSPORT_CODE_SLOT: usize = 3;

/// Whether an EPIPE from call `nr` comes with SIGPIPE: writes, and sends without MSG_NOSIGNAL.
fn raises_sigpipe(nr: u64, args: &[u64; 6]) -> bool {
    use syscalls::Sysno::*;
    const MSG_NOSIGNAL: u64 = 0x4000;
    match syscalls::Sysno::new(nr as usize) {
        Some(write | writev | pwrite64 | pwritev | pwritev2 | sendfile | splice | copy_file_range) => true,
        Some(sendto | sendmsg) => args[if nr == sendto as u64 { 3 } else { 2 }] & MSG_NOSIGNAL == 0,
        Some(sendmmsg) => args[3] & MSG_NOSIGNAL == 0,
        _ => false,
    }
}

/// Calls Linux restarts after a signal (rather than failing with EINTR) when SA_RESTART asks: not
/// the waits and sleeps, which report EINTR whatever the flag says.
fn restartable(entry: Option<&Entry>) -> bool {
    const NEVER: &[&str] = &[
        "pause", "rt_sigsuspend", "rt_sigtimedwait", "nanosleep", "clock_nanosleep", "poll", "ppoll",
        "select", "pselect6", "epoll_wait", "epoll_pwait", "epoll_pwait2", "futex",
    ];
    entry.is_some_and(|e| !NEVER.contains(&e.name))
}

impl<'a> Ctx<'a> {
    fn run(&mut self, e: &Entry) -> LxResult {
        let r = match e.route {
            Route::SameAs(nb) => {
                self.check_pointer_args(e.args)?;
                let args = self.args;
                self.nb(nb, args).map(|r| r[0])
            }
            Route::Translated(h, _) | Route::Layer(h) => h(self),
            Route::Enosys => Err(crate::errno::ENOSYS),
        };
        match r {
            // The kernel says the descriptor is served here (a signalfd read).
            Err(crate::sys::signalfd::LAYER) => crate::sys::signalfd::serve(self, e.nr),
            r => r,
        }
    }

    /// Whether an EINTR from a kernel wait came from nothing the guest sees (a signal the thread
    /// blocks or ignores, a wake-up between threads): then the wait goes on, as on Linux, where an
    /// ignored signal is dropped when sent. Takes the host signals and brings signalfd readiness
    /// up to date on the way.
    pub fn spurious_eintr(&mut self) -> bool {
        let p = self.p;
        p.take_host_signals(self.thread);
        let seen = loop {
            let Some(sig) = p.deliverable(self.thread) else { break false };
            let action = p.signals.lock().actions[sig as usize - 1];
            if !matches!(signal::disposition(&action, sig), Disposition::Ignore) {
                break true;
            }
            p.take_pending(self.thread, signal::bit(sig));
        };
        p.sync_signalfds(self.thread);
        !seen
    }

    /// Checks the pointers a pass-through call hands to the kernel, from the entry's argument
    /// kinds. As on Linux, a range reaching past the user address space is EFAULT; otherwise a
    /// buffer longer than the guest memory behind it is cut to what is there (and to
    /// MAX_RW_COUNT), as Linux transfers what it can, and none at all is EFAULT.
    fn check_pointer_args(&mut self, kinds: &[Arg]) -> Result<(), Errno> {
        for (i, kind) in kinds.iter().enumerate() {
            let (len_at, access) = match *kind {
                Arg::BufIn(len) => (len as usize, Access::Read),
                Arg::BufOut(len) => (len as usize, Access::Write),
                Arg::Path => {
                    self.guest_cstr(self.args[i])?;
                    continue;
                }
                _ => continue,
            };
            let asked = self.args[len_at];
            if asked == 0 {
                continue;
            }
            // Linux's access_ok: the whole range must lie in the user address space.
            if self.args[i].checked_add(asked).is_none_or(|end| end > TASK_SIZE) {
                return Err(crate::errno::EFAULT);
            }
            let want = asked.min(MAX_RW_COUNT);
            let have = self.p.mm.lock().extent(self.args[i], want, access);
            if have == 0 {
                return Err(crate::errno::EFAULT);
            }
            self.args[len_at] = have;
        }
        Ok(())
    }

    /// Argument `i` as an int (the low 32 bits, sign-extended), as the kernel reads `int` args.
    pub fn int(&self, i: usize) -> i32 {
        self.args[i] as u32 as i32
    }

    /// Checks that the guest may access `len` bytes at `addr`; EFAULT otherwise.
    pub fn check(&self, addr: u64, len: u64, access: Access) -> Result<(), Errno> {
        if len == 0 {
            return Ok(());
        }
        if self.p.mm.lock().contains(addr, len, access) {
            Ok(())
        } else {
            Err(crate::errno::EFAULT)
        }
    }

    /// The guest bytes at `addr..addr+len`, checked readable.
    pub fn guest_bytes(&self, addr: u64, len: usize) -> Result<&'a [u8], Errno> {
        self.check(addr, len as u64, Access::Read)?;
        if len == 0 {
            return Ok(&[]);
        }
        // SAFETY: the range lies inside a readable guest mapping (checked above).
        Ok(unsafe { core::slice::from_raw_parts(addr as *const u8, len) })
    }

    /// The guest bytes at `addr..addr+len`, checked writable.
    pub fn guest_bytes_mut(&self, addr: u64, len: usize) -> Result<&'a mut [u8], Errno> {
        self.check(addr, len as u64, Access::Write)?;
        if len == 0 {
            return Ok(&mut []);
        }
        // SAFETY: the range lies inside a writable guest mapping (checked above).
        Ok(unsafe { core::slice::from_raw_parts_mut(addr as *mut u8, len) })
    }

    /// Reads a `T` from the guest.
    pub fn read_struct<T: Copy>(&self, addr: u64) -> Result<T, Errno> {
        self.check(addr, core::mem::size_of::<T>() as u64, Access::Read)?;
        // SAFETY: checked readable; unaligned read because guest structs need not be aligned.
        Ok(unsafe { core::ptr::read_unaligned(addr as *const T) })
    }

    /// Writes a `T` to the guest.
    pub fn write_struct<T: Copy>(&self, addr: u64, value: &T) -> Result<(), Errno> {
        self.check(addr, core::mem::size_of::<T>() as u64, Access::Write)?;
        // SAFETY: checked writable.
        unsafe { core::ptr::write_unaligned(addr as *mut T, *value) };
        Ok(())
    }

    /// Reads a NUL-terminated string (a path) from the guest, NUL included. ENAMETOOLONG past
    /// PATH_MAX, EFAULT when it runs off the guest's memory.
    pub fn guest_cstr(&self, addr: u64) -> Result<Vec<u8>, Errno> {
        const PATH_MAX: u64 = 4096;
        self.guest_cstr_max(addr, PATH_MAX)
    }

    /// Reads a NUL-terminated string of at most `max` bytes (NUL included) from the guest.
    pub fn guest_cstr_max(&self, addr: u64, max: u64) -> Result<Vec<u8>, Errno> {

        let mut out = Vec::new();
        let mm = self.p.mm.lock();
        let mut a = addr;
        loop {
            if a - addr >= max {
                return Err(crate::errno::ENAMETOOLONG);
            }
            if !mm.contains(a, 1, Access::Read) {
                return Err(crate::errno::EFAULT);
            }
            // SAFETY: checked readable just above.
            let b = unsafe { *(a as *const u8) };
            out.push(b);
            if b == 0 {
                return Ok(out);
            }
            a += 1;
        }
    }

    /// Performs NetBSD syscall `nr` through the bridge, records it for the tracer, and translates
    /// its errno to Linux.
    pub fn nb(&mut self, nr: u32, args: [u64; 6]) -> Result<[u64; 2], Errno> {
        self.nb_raw(nr, args).map_err(|e| if e == rumpkernel_bridge::ext_events::ELAYER { crate::sys::signalfd::LAYER } else { xlat::errno::from_netbsd(e) })
    }

    /// Terminal signals the kernel asks the caller to send after a write to a pseudo-terminal
    /// master or a window size change (`rumpkernel_bridge::ext_tty`).
    fn send_tty_signals(&mut self, nr: u32, word: u64) {
        use abi_netbsd::nr::{SYS_ioctl, SYS_write, SYS_writev};
        if word == 0 || ![SYS_write, SYS_writev, SYS_ioctl].contains(&nr) {
            return;
        }
        if let Some((signals, pgrp)) = rumpkernel_bridge::ext_tty::decode_tty_signals(word) {
            for sig in signals {
                let _ = crate::sys::signal::kernel_kill_group(self, pgrp, sig);
            }
        }
    }

    /// Like [`Ctx::nb`], but leaves a failure as the NetBSD errno (for handlers that look at it).
    /// A background process's terminal access the kernel refused is settled here first (stop
    /// signal, EIO, or the same call again: [`crate::sys::jobctl`]).
    pub fn nb_raw(&mut self, nr: u32, args: [u64; 6]) -> Result<[u64; 2], abi_netbsd::Errno> {
        loop {
            let r = self.p.kernel.syscall(nr, args);
            if let Some(log) = self.trace.as_mut() {
                log.record(nr, &args, &r);
            }
            let Err(e) = r else {
                if let Ok([_, word]) = r {
                    self.send_tty_signals(nr, word);
                }
                return r;
            };
            match crate::sys::jobctl::after_refusal(self, e) {
                Some(Ok(())) => continue,
                Some(Err(e)) => return Err(e),
                None => return r,
            }
        }
    }
}
