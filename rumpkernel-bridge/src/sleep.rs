//! Host calls that may sleep until a signal comes, without a lost wakeup.
//!
//! A host signal that arrives while rumplx serves a call is only noted (an atomic bit in the
//! thread's word, see [`crate::set_signal_word`]); a host call that sleeps is then interrupted
//! (EINTR) and the backend looks at the word. A signal that lands after the look but before the
//! host call has started sleeping would be noted and forgotten: the call would sleep for good
//! (musl's pthread_cancel sends SIGCANCEL once). musl closes the same window for its cancellation
//! points, and so does [`syscall`]: one assembly stub reads the word and, when it is clear, makes
//! the call; the host signal handler, finding the thread between the stub's first instruction and
//! its `syscall` (both included), moves it to the stub's exit that answers [`NOT_STARTED`]
//! ([`resume_at`]). A signal noted before the stub is seen by its read of the word; one after its
//! `syscall` has started interrupts the host sleep. Cost: a function call and a load more than the
//! plain host call; no mask switch.

use std::sync::atomic::AtomicU64;

std::arch::global_asm!(
    ".text",
    ".globl rumpkernel_bridge_sleep",
    ".hidden rumpkernel_bridge_sleep",
    ".type rumpkernel_bridge_sleep,@function",
    // rdi = the signal word, rsi = [nr, a0..a5]; answers rax.
    "rumpkernel_bridge_sleep:",
    "    mov rax, [rdi]",
    "    test rax, rax",
    "    jnz rumpkernel_bridge_sleep_not_started",
    "    mov rax, [rsi]",
    "    mov rdi, [rsi+8]",
    "    mov rdx, [rsi+24]",
    "    mov r10, [rsi+32]",
    "    mov r8, [rsi+40]",
    "    mov r9, [rsi+48]",
    "    mov rsi, [rsi+16]",
    ".globl rumpkernel_bridge_sleep_syscall",
    ".hidden rumpkernel_bridge_sleep_syscall",
    "rumpkernel_bridge_sleep_syscall:",
    "    syscall",
    "    ret",
    ".globl rumpkernel_bridge_sleep_not_started",
    ".hidden rumpkernel_bridge_sleep_not_started",
    "rumpkernel_bridge_sleep_not_started:",
    "    mov rax, {not_started}",
    "    ret",
    ".size rumpkernel_bridge_sleep, . - rumpkernel_bridge_sleep",
    not_started = const NOT_STARTED,
);

extern "C" {
    fn rumpkernel_bridge_sleep(word: *const AtomicU64, call: *const u64) -> i64;
    static rumpkernel_bridge_sleep_syscall: u8;
    static rumpkernel_bridge_sleep_not_started: u8;
}

/// What [`syscall`] answers when a signal was noted before the host call started (no host
/// errno is this value: those are -1..=-4095).
pub const NOT_STARTED: i64 = -4096;

/// A word that never says a signal is noted (threads without one of their own).
static NO_SIGNALS: AtomicU64 = AtomicU64::new(0);

/// Makes host syscall `nr` with `args` unless a signal is noted for the calling thread, at any
/// moment until the call starts: then answers [`NOT_STARTED`]. Otherwise the raw result (a
/// negative host errno on failure; EINTR when a host signal interrupted it).
///
/// # Safety
/// As the host call itself: every pointer in `args` must be valid for it.
pub unsafe fn syscall(nr: libc::c_long, args: [u64; 6]) -> i64 {
    let word = crate::signal_word();
    let word = if word.is_null() { &NO_SIGNALS as *const AtomicU64 } else { word };
    let call = [nr as u64, args[0], args[1], args[2], args[3], args[4], args[5]];
    // SAFETY: the stub reads the word and the seven words of `call`; the caller vouches for the rest.
    unsafe { rumpkernel_bridge_sleep(word, call.as_ptr()) }
}

/// For the host signal handler, when the signal interrupted rumplx's own code at `rip`: where
/// that code must resume instead, if it was on its way into a [`syscall`] (the signal is noted,
/// the host call must not start sleeping now).
pub fn resume_at(rip: u64) -> Option<u64> {
    // SAFETY: taking the addresses of labels, not reading them.
    let (start, call, not_started) = unsafe {
        (
            rumpkernel_bridge_sleep as *const () as u64,
            &rumpkernel_bridge_sleep_syscall as *const u8 as u64,
            &rumpkernel_bridge_sleep_not_started as *const u8 as u64,
        )
    };
    (start..=call).contains(&rip).then_some(not_started)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn makes_the_call() {
        let mut fds = [0i32; 2];
        // SAFETY: pipe fills two descriptors.
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        let b = [7u8; 3];
        // SAFETY: b is valid for 3 bytes.
        let n = unsafe { syscall(libc::SYS_write, [fds[1] as u64, b.as_ptr() as u64, 3, 0, 0, 0]) };
        assert_eq!(n, 3);
        let mut r = [0u8; 8];
        // SAFETY: r is valid for 8 bytes.
        let n = unsafe { syscall(libc::SYS_read, [fds[0] as u64, r.as_mut_ptr() as u64, 8, 0, 0, 0]) };
        assert_eq!((n, &r[..3]), (3, &b[..]));
        // SAFETY: closing our descriptors; then a read of a closed descriptor fails EBADF.
        unsafe { libc::close(fds[0]) };
        unsafe { libc::close(fds[1]) };
        let n = unsafe { syscall(libc::SYS_read, [fds[0] as u64, r.as_mut_ptr() as u64, 8, 0, 0, 0]) };
        assert_eq!(n, -(libc::EBADF as i64));
    }

    thread_local! {
        static WORD: AtomicU64 = const { AtomicU64::new(0) };
    }

    #[test]
    fn a_noted_signal_stops_the_call() {
        // Each test thread has a word of its own, clear unless the test sets it.
        crate::set_signal_word(|| WORD.with(|w| w as *const AtomicU64));
        let mut fds = [0i32; 2];
        // SAFETY: pipe fills two descriptors.
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        WORD.with(|w| w.store(1 << 9, std::sync::atomic::Ordering::Relaxed));
        assert!(crate::signal_pending());
        let mut r = [0u8; 1];
        // SAFETY: r is valid for 1 byte. The read of an empty pipe would sleep for good.
        let n = unsafe { syscall(libc::SYS_read, [fds[0] as u64, r.as_mut_ptr() as u64, 1, 0, 0, 0]) };
        assert_eq!(n, NOT_STARTED);
        WORD.with(|w| w.store(0, std::sync::atomic::Ordering::Relaxed));
        // SAFETY: closing our descriptors.
        unsafe { libc::close(fds[0]) };
        unsafe { libc::close(fds[1]) };
    }

    #[test]
    fn the_window_ends_at_the_syscall() {
        // SAFETY: addresses of labels only.
        let (start, call) = unsafe {
            (rumpkernel_bridge_sleep as *const () as u64, &rumpkernel_bridge_sleep_syscall as *const u8 as u64)
        };
        assert!(resume_at(start).is_some());
        assert!(resume_at(call).is_some());
        assert_eq!(resume_at(call + 2), None);
        assert_eq!(resume_at(start - 1), None);
    }
}
