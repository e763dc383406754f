//! Host signal handling: SIGSYS carries the guest's syscalls; faults in guest code end the guest as
//! the same signal would end a native program.

use std::sync::OnceLock;

use super::sud::{self, ThreadBlock};

/// The personality every guest thread dispatches into, set once before the guest starts.
pub static PERSONALITY: OnceLock<abi_linux::dispatch::Personality> = OnceLock::new();

std::thread_local! {
    /// The block of the guest thread running on this host thread (valid inside handlers).
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

/// Signals raised by guest code itself.
const FAULTS: [i32; 5] = [libc::SIGSEGV, libc::SIGBUS, libc::SIGFPE, libc::SIGILL, libc::SIGTRAP];

/// Installs the entry for SIGSYS and the fault signals, with every signal blocked while it runs.
/// Raw rt_sigaction: libc's sigaction would put its own restorer, outside the allowed range.
pub fn install() -> std::io::Result<()> {
    let (entry, restorer) = sud::entry_points();
    for sig in std::iter::once(libc::SIGSYS).chain(FAULTS) {
        let act = KernelSigaction { handler: entry, flags: SA_SIGINFO | SA_ONSTACK | SA_RESTORER, restorer, mask: !0 };
        // SAFETY: a valid kernel sigaction; the handler is our assembly entry.
        let r = unsafe { libc::syscall(libc::SYS_rt_sigaction, sig, &act as *const KernelSigaction, 0usize, 8usize) };
        if r != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Called by the assembly entry with rumplx's FS base in place and the selector at ALLOW.
/// `from_guest` is non-zero when the signal interrupted guest code.
pub extern "C" fn on_signal(signo: i32, info: *mut libc::siginfo_t, uc: *mut libc::ucontext_t, block: *mut ThreadBlock, from_guest: u64) {
    // SAFETY: the kernel hands us valid siginfo and ucontext pointers for this frame.
    let (info, uc) = unsafe { (&*info, &mut *uc) };
    if from_guest == 0 {
        internal_fault(signo, uc);
    }
    if signo == libc::SIGSYS && info.si_code == SYS_USER_DISPATCH {
        CURRENT_BLOCK.with(|b| b.set(block));
        let g = &mut uc.uc_mcontext.gregs;
        let nr = g[libc::REG_RAX as usize] as u64;
        let args = [libc::REG_RDI, libc::REG_RSI, libc::REG_RDX, libc::REG_R10, libc::REG_R8, libc::REG_R9]
            .map(|r| g[r as usize] as u64);
        let p = PERSONALITY.get().expect("personality is set before the guest starts");
        // SAFETY: the block belongs to this thread and nothing else touches its `thread` now.
        let thread = unsafe { &mut (*block).thread };
        g[libc::REG_RAX as usize] = p.dispatch(thread, nr, args) as i64;
        return;
    }
    // A fault in guest code: guest signal handlers come with signal delivery (issue 4); until then
    // the program dies of it as a native one would with no handler.
    super::die_of_signal(signo as u32);
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
