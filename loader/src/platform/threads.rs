//! Guest threads on host threads: each one gets its own signal stack and thread block, Syscall User
//! Dispatch turned on, and its rump lwp, then jumps to the registers clone gave it.

use abi_linux::platform::ThreadStart;
use abi_linux::Errno;

use super::{signals, sud};

/// Host stack of a guest thread's host thread: only rumplx's start-up code runs on it (guest code
/// runs on the guest's stack, rumplx's handlers on the signal stack).
const HOST_STACK: usize = 256 << 10;

/// Starts the host thread and waits until it exists; answers its host thread id.
pub fn spawn(start: ThreadStart) -> Result<i32, Errno> {
    let (tx, rx) = std::sync::mpsc::sync_channel::<Result<i32, Errno>>(1);
    // The new thread must not take a signal before its signal stack exists: it inherits this mask.
    let old = signals::set_host_mask(signals::ALL_BLOCKED);
    let spawned = std::thread::Builder::new().stack_size(HOST_STACK).spawn(move || run(start, tx));
    // The host's libc takes over signals 32 and 33 (its SIGCANCEL and SIGSETXID) when it creates
    // its first thread; they are the guest's (musl cancels threads with 33): take them back.
    for sig in [32, 33] {
        signals::install_one(sig).ok();
    }
    signals::set_host_mask(old);
    match spawned {
        Ok(_) => rx.recv().unwrap_or(Err(Errno(libc::EAGAIN))),
        Err(_) => Err(Errno(libc::EAGAIN)),
    }
}

fn run(start: ThreadStart, started: std::sync::mpsc::SyncSender<Result<i32, Errno>>) {
    let p = signals::personality().expect("threads start after the personality");
    let ThreadStart { regs, fs_base, thread, lwp } = start;
    let block = match sud::new_thread_block(thread, fs_base) {
        Ok(b) => b,
        Err(e) => {
            let _ = started.send(Err(Errno(e.raw_os_error().unwrap_or(libc::ENOMEM))));
            return;
        }
    };
    if let Err(e) = sud::enable(block) {
        let _ = started.send(Err(Errno(e.raw_os_error().unwrap_or(libc::ENOSYS))));
        return;
    }
    p.kernel.lwproc_switch(lwp).ok();
    signals::CURRENT_BLOCK.with(|b| b.set(block));
    // SAFETY: gettid has no preconditions.
    let _ = started.send(Ok(unsafe { libc::gettid() }));
    signals::set_host_mask(0);
    // SAFETY: the block is this thread's with SUD on; the registers are the guest's clone state.
    unsafe { sud::enter_guest_regs(&regs, block) }
}

/// Ends the calling host thread at once. Its host stack and signal stack are not reclaimed (the
/// thread is running on the latter); see the threads issue notes.
pub fn exit_current() -> ! {
    // SAFETY: SYS_exit ends only this thread; nothing of rumplx's is held by it at this point.
    unsafe {
        libc::syscall(libc::SYS_exit, 0);
    }
    unreachable!("SYS_exit returned")
}
