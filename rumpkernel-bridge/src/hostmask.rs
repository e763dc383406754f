//! The calling host thread's signal mask, as the kernel's own 8-byte sets through the raw
//! rt_sigprocmask: glibc's sigfillset and pthread_sigmask leave out its internal signals 32 and
//! 33, and 33 is musl's SIGCANCEL, which rumplx must hold back like any other.

/// Every signal (the host ignores the bits of SIGKILL and SIGSTOP).
pub const ALL: u64 = !0;

/// The mask's bit for signal `signo`.
pub fn bit(signo: i32) -> u64 {
    1 << (signo - 1)
}

fn change(how: i32, set: u64) -> u64 {
    let mut old: u64 = 0;
    // SAFETY: rt_sigprocmask on this thread with 8-byte sets of ours.
    unsafe { libc::syscall(libc::SYS_rt_sigprocmask, how, &set as *const u64, &mut old as *mut u64, 8usize) };
    old
}

/// Sets the mask; answers the previous one.
pub fn set(mask: u64) -> u64 {
    change(libc::SIG_SETMASK, mask)
}

/// Lets signal `signo` in; answers the previous mask.
pub fn unblock(signo: i32) -> u64 {
    change(libc::SIG_UNBLOCK, bit(signo))
}

/// Runs `f` with every host signal blocked on this thread (threads it creates inherit the mask),
/// then puts the old mask back.
pub fn with_all_blocked<R>(f: impl FnOnce() -> R) -> R {
    let old = set(ALL);
    let r = f();
    set(old);
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_glibcs_own_signals_too() {
        with_all_blocked(|| {
            let now = set(ALL);
            assert_eq!(now & (bit(32) | bit(33)), bit(32) | bit(33));
        });
    }
}
