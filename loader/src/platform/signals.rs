//! Host signal handling. rumplx owns every host disposition: SIGSYS carries the guest's syscalls,
//! faults in guest code become guest signals, and every other signal (from outside, from the host
//! kernel, or sent between guest threads) becomes the same Linux signal for the guest.

use std::sync::atomic::Ordering;
use std::sync::OnceLock;

use abi_linux::sys::sigframe::{Sigcontext, Siginfo};

use super::sud::{self, ThreadBlock};

/// The personality every guest thread dispatches into, set once before the guest starts.
pub static PERSONALITY: OnceLock<abi_linux::dispatch::Personality> = OnceLock::new();

/// The personality of the guest process running on this host thread: a CLONE_VM child running in
/// this memory has its own (see [`super::vmchild`]).
pub fn personality() -> Option<&'static abi_linux::dispatch::Personality> {
    match super::vmchild::current() {
        Some(vm) => Some(vm.personality()),
        None => PERSONALITY.get(),
    }
}

std::thread_local! {
    /// The block of the guest thread running on this host thread.
    pub static CURRENT_BLOCK: std::cell::Cell<*mut ThreadBlock> = const { std::cell::Cell::new(std::ptr::null_mut()) };
}

const SA_SIGINFO: u64 = 4;
const SA_ONSTACK: u64 = 0x0800_0000;
const SA_RESTORER: u64 = 0x0400_0000;
/// `si_code` of a SIGSYS raised by Syscall User Dispatch.
const SYS_USER_DISPATCH: i32 = 2;

/// The kernel's `struct sigaction` for rt_sigaction (libc's differs).
#[repr(C)]
struct KernelSigaction {
    handler: u64,
    flags: u64,
    restorer: u64,
    mask: u64,
}

/// Signals raised by the instruction that just ran.
const FAULTS: [i32; 5] = [libc::SIGSEGV, libc::SIGBUS, libc::SIGFPE, libc::SIGILL, libc::SIGTRAP];

fn is_fault(sig: i32) -> bool {
    FAULTS.contains(&sig)
}

/// Every signal rumplx takes over: all but SIGKILL and SIGSTOP, which nobody can catch.
fn caught() -> impl Iterator<Item = i32> {
    (1..=64).filter(|s| *s != libc::SIGKILL && *s != libc::SIGSTOP)
}

/// Installs the entry for every catchable signal, all signals blocked while it runs (SA_RESTART
/// deliberately absent: a host call blocked inside rumplx must return EINTR so the guest sees its
/// signal). Raw rt_sigaction: libc's would put its own restorer, outside the allowed range.
pub fn install() -> std::io::Result<()> {
    caught().try_for_each(install_one)
}

/// Makes rumplx's entry the handler of host signal `sig`.
pub fn install_one(sig: i32) -> std::io::Result<()> {
    let (entry, restorer) = sud::entry_points();
    let act = KernelSigaction { handler: entry, flags: SA_SIGINFO | SA_ONSTACK | SA_RESTORER, restorer, mask: !0 };
    // SAFETY: a valid kernel sigaction; the handler is our assembly entry.
    let r = unsafe { libc::syscall(libc::SYS_rt_sigaction, sig, &act as *const KernelSigaction, 0usize, 8usize) };
    if r != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// Host SIGCHLD: ignored (the host reaps exited children at once) while the guest ignores it, else
/// caught like every other signal.
pub fn set_auto_reap(on: bool) {
    let (entry, restorer) = sud::entry_points();
    let act = if on {
        KernelSigaction { handler: libc::SIG_IGN as u64, flags: SA_RESTORER, restorer, mask: 0 }
    } else {
        KernelSigaction { handler: entry, flags: SA_SIGINFO | SA_ONSTACK | SA_RESTORER, restorer, mask: !0 }
    };
    // SAFETY: a valid kernel sigaction for SIGCHLD.
    unsafe { libc::syscall(libc::SYS_rt_sigaction, libc::SIGCHLD, &act as *const KernelSigaction, 0usize, 8usize) };
}

/// Sets this thread's host signal mask (the kernel's 8-byte set); answers the previous one.
pub fn set_host_mask(mask: u64) -> u64 {
    rumpkernel_bridge::hostmask::set(mask)
}

/// While rumplx serves a syscall, any signal may interrupt it except SIGSYS (ours).
const SERVING_MASK: u64 = 1 << (libc::SIGSYS - 1);
pub const ALL_BLOCKED: u64 = !0;

/// Called by the assembly entry with rumplx's FS base in place and the selector at ALLOW.
/// `from_guest` is non-zero when the signal interrupted guest code.
pub extern "C" fn on_signal(signo: i32, info: *mut libc::siginfo_t, uc: *mut libc::ucontext_t, block: *mut ThreadBlock, from_guest: u64) {
    // SAFETY: the kernel hands us valid siginfo and ucontext pointers for this frame; the block is
    // this thread's.
    let (info, uc, block) = unsafe { (&*info, &mut *uc, &mut *block) };
    let raw: Siginfo = unsafe { std::ptr::read_unaligned(info as *const libc::siginfo_t as *const Siginfo) };
    if from_guest == 0 {
        if is_fault(signo) && raw.code > 0 {
            internal_fault(signo, uc);
        }
        // Inside rumplx (a blocking call, most likely): note it for the way out; only atomics here.
        let i = signo as usize - 1;
        // SAFETY: only this thread writes its slots, and it is not reading them now.
        unsafe { *block.host_info[i].get() = std::mem::transmute::<Siginfo, [u8; 128]>(raw) };
        block.host_pending.fetch_or(1 << i, Ordering::Release);
        // On its way into a host call that may sleep: that call must not start (it would sleep
        // with the signal already noted).
        if let Some(rip) = rumpkernel_bridge::sleep::resume_at(uc.uc_mcontext.gregs[libc::REG_RIP as usize] as u64) {
            uc.uc_mcontext.gregs[libc::REG_RIP as usize] = rip as i64;
        }
        // A kernel whose sleeps signals cannot interrupt would hold a dying guest (see
        // fatal_watch); a CLONE_VM child shares this memory but not the watcher's process.
        // Server threads (tid 0) serve other processes: their signals are interrupts.
        if super::fatal_watch::armed() && super::vmchild::current().is_none() && block.thread.tid != 0 {
            if let Some(p) = personality() {
                if p.kills_by_default(signo as u32, block.thread.sigmask) {
                    super::fatal_watch::notify(signo);
                }
            }
        }
        return;
    }
    CURRENT_BLOCK.with(|b| b.set(block));
    let p = personality().expect("personality is set before the guest starts");
    // SAFETY: the host's mcontext is a Linux x86_64 sigcontext (same layout, 256 bytes).
    let regs = unsafe { &mut *(&mut uc.uc_mcontext as *mut libc::mcontext_t as *mut Sigcontext) };
    if super::sud::in_fast_window(regs.rip) {
        // The fast path was on its way back to the guest (selector already at BLOCK): the guest's
        // registers are those saved in the block, its extended state already back in the CPU.
        let host = *regs;
        *regs = Sigcontext { cs: host.cs, gs: host.gs, fs: host.fs, ss: host.ss, fpstate: host.fpstate, ..block.fast_regs };
    }
    if signo == libc::SIGSYS && raw.code == SYS_USER_DISPATCH {
        super::fastpath::maybe_patch(p, block, regs);
        serve_syscall(p, &mut block.thread, regs, false);
        return;
    }
    // From here on the guest is interrupted by a signal: a fault of its own, or an asynchronous one.
    // Only faults the CPU raised (si_code > 0) are synchronous; the same numbers sent by kill are not.
    let fault = is_fault(signo) && raw.code > 0;
    p.host_signal(&mut block.thread, regs, raw, fault);
}

/// Serves the syscall `regs` describe for the guest thread `thread`, trapped (`fast` false: the
/// SIGSYS handler runs with every host signal blocked) or through a rewritten site (`fast`: host
/// signals stay deliverable throughout and are noted in the block, as while rumplx waits).
fn serve_syscall(p: &abi_linux::dispatch::Personality, thread: &mut abi_linux::dispatch::Thread, regs: &mut Sigcontext, fast: bool) {
    // Calls that may wait run with signals deliverable, so a signal can interrupt them.
    let interruptible = p.may_block(regs.rax);
    if interruptible {
        if !fast {
            set_host_mask(SERVING_MASK);
        }
        if host_signals_pending() {
            // A signal came in before the call started: it is taken first, and the call runs
            // when the guest comes back to its `syscall` instruction, as if the signal had
            // arrived just before it (no EINTR: nothing was interrupted). Through a rewritten
            // site that instruction is intact (only the `mov` before it was rewritten), and RAX
            // still holds the number: it traps and runs the call then.
            regs.rip -= 2;
            p.deliver_pending(thread, regs);
            if !fast {
                set_host_mask(ALL_BLOCKED);
            }
            return;
        }
    }
    p.syscall(thread, regs);
    if interruptible && !fast {
        set_host_mask(ALL_BLOCKED);
    }
}

/// Called by the fast path's entry (sud.rs) on this thread's signal stack, with rumplx's FS base in
/// place, the selector at ALLOW, the guest's registers in `block.fast_regs` and its extended state
/// in `block.fp`. `mode` 0 serves the call; 1 only delivers signals noted on the way out. Answers 0
/// to leave through the fast way out, or the address of a signal frame to leave by rt_sigreturn.
pub extern "C" fn fast_dispatch(block: *mut ThreadBlock, mode: u64) -> u64 {
    // SAFETY: the entry passes this thread's block.
    let block = unsafe { &mut *block };
    CURRENT_BLOCK.with(|b| b.set(block));
    let p = personality().expect("personality is set before the guest starts");
    let fpstate = block.fp.0.as_ptr() as u64;
    let regs = &mut block.fast_regs;
    // What the kernel's SIGSYS frame would hold besides the registers.
    regs.cs = 0x33;
    regs.ss = 0x2b;
    regs.fs = 0;
    regs.gs = 0;
    regs.err = 0;
    regs.trapno = 0;
    regs.oldmask = 0;
    regs.cr2 = 0;
    regs.fpstate = fpstate;
    if mode == 0 {
        if p.stats.is_some() {
            // Only --stats reports it: no locked add per call otherwise.
            super::fastpath::CALLS.fetch_add(1, Ordering::Relaxed);
        }
        serve_syscall(p, &mut block.thread, &mut block.fast_regs, true);
    } else {
        p.deliver_pending(&mut block.thread, &mut block.fast_regs);
    }
    if block.fp_partial == 0 {
        // The area may hold what a guest's signal frame put there: xrstor restores it.
        super::fastpath::sanitize_fp(block);
    }
    const TF: u64 = 0x100;
    if block.fast_regs.eflags & TF != 0 {
        return super::fastpath::exit_frame(block);
    }
    0
}

/// A fault inside rumplx itself: say where, and leave with rumplx's own error status.
fn internal_fault(signo: i32, uc: &libc::ucontext_t) -> ! {
    let rip = uc.uc_mcontext.gregs[libc::REG_RIP as usize];
    let msg = format!("rumplx: internal error: signal {} ({}) at {rip:#x}\n", signo, super::signal_name(signo as u32).0);
    // SAFETY: write(2) on stderr; _exit ends the process without running anything else.
    unsafe {
        libc::write(2, msg.as_ptr() as *const _, msg.len());
        libc::_exit(125)
    }
}

/// The calling thread's block (null before its first entry into rumplx).
pub fn current_block() -> *mut ThreadBlock {
    CURRENT_BLOCK.with(|b| b.get())
}

/// Stops the process as stop signal `sig`'s default action does, so the parent's wait reports
/// `sig`: the host's default action for it, taken on this thread, then rumplx's entry again. The
/// host ignores SIGTSTP, SIGTTIN and SIGTTOU in a process group it deems orphaned (rumplx as a
/// session leader, say) where the guest's group need not be: no SIGCONT came back then, and the
/// answer is false (the caller stops with SIGSTOP instead).
pub fn stop_with(sig: i32) -> bool {
    use rumpkernel_bridge::hostmask::bit;
    let cont = bit(libc::SIGCONT);
    let block = CURRENT_BLOCK.with(|b| b.get());
    // SAFETY: the current thread's block, if any.
    let noted_cont = || !block.is_null() && unsafe { (*block).host_pending.load(Ordering::Acquire) } & cont != 0;
    if sig != libc::SIGSTOP && !noted_cont() {
        let dfl = KernelSigaction { handler: libc::SIG_DFL as u64, flags: 0, restorer: 0, mask: 0 };
        // SAFETY: a valid kernel sigaction.
        unsafe { libc::syscall(libc::SYS_rt_sigaction, sig, &dfl as *const KernelSigaction, 0usize, 8usize) };
        let mask = set_host_mask(!(bit(sig) | cont));
        // SAFETY: signals this very thread; the stop happens before tgkill returns, and the
        // SIGCONT that ends it is noted by our entry before we go on.
        unsafe { libc::syscall(libc::SYS_tgkill, libc::getpid(), libc::gettid(), sig) };
        set_host_mask(mask);
        let _ = install_one(sig);
        return noted_cont();
    }
    if sig != libc::SIGSTOP {
        return false;
    }
    // SAFETY: signals our own process; SIGSTOP is the one signal rumplx does not catch.
    unsafe { libc::kill(libc::getpid(), libc::SIGSTOP) };
    true
}

/// Hands over the host signals the current thread noted while inside rumplx.
pub fn take_host_signals(sink: &mut dyn FnMut(Siginfo)) {
    let block = CURRENT_BLOCK.with(|b| b.get());
    if block.is_null() {
        return;
    }
    // SAFETY: the current thread's block.
    let block = unsafe { &*block };
    let mut bits = block.host_pending.swap(0, Ordering::Acquire);
    while bits != 0 {
        let i = bits.trailing_zeros() as usize;
        bits &= bits - 1;
        // SAFETY: written before its bit was set (Release/Acquire above).
        let info: Siginfo = unsafe { std::mem::transmute::<[u8; 128], Siginfo>(*block.host_info[i].get()) };
        sink(info);
    }
}

/// This thread's word of host signals noted inside rumplx (null before its first entry), for
/// the kernel's `signal_pending` checks and its sleeps.
pub fn host_pending_word() -> *const std::sync::atomic::AtomicU64 {
    let block = CURRENT_BLOCK.with(|b| b.get());
    // SAFETY: the current thread's block, if any; only the field's address is taken.
    if block.is_null() { std::ptr::null() } else { unsafe { &raw const (*block).host_pending } }
}

/// Whether host signals are waiting for this thread.
pub fn host_signals_pending() -> bool {
    let block = CURRENT_BLOCK.with(|b| b.get());
    // SAFETY: the current thread's block, if any.
    !block.is_null() && unsafe { (*block).host_pending.load(Ordering::Acquire) } != 0
}
