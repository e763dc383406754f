//! Signals that end the guest by default, on a kernel whose sleeps no signal interrupts.
//!
//! NetBSD's rump kernel waits in `cv_wait_sig` until it is woken: a host signal cannot make a
//! guest thread's sleeping call return (the embedded backend's waits can be interrupted). On
//! Linux a signal whose default action ends the process ends it at once, whatever its threads
//! are waiting for; so on such a kernel the handler, which may only do async-signal-safe things,
//! writes the number of such a signal to a pipe, and this module's thread ends the run as the
//! guest would end (its last output drained, status 128 + N).

use std::sync::atomic::{AtomicI32, Ordering};

/// The pipe's write end while the watcher runs in this process, else -1.
static WRITE_END: AtomicI32 = AtomicI32::new(-1);

/// Starts the watcher (in the process that holds the kernel, and in each process forked from it).
pub fn start() {
    let mut fds = [0i32; 2];
    // SAFETY: a pipe into our own array.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return;
    }
    let read_end = fds[0];
    // The thread takes no signal: it starts with every one blocked.
    let mask = super::signals::set_host_mask(super::signals::ALL_BLOCKED);
    let spawned = std::thread::Builder::new().name("rumplx-fatal".into()).spawn(move || loop {
        let mut sig = 0u8;
        // SAFETY: reads one byte into a local.
        let n = unsafe { libc::read(read_end, (&mut sig as *mut u8).cast(), 1) };
        if n == 1 {
            super::die_of_signal(sig as u32);
        }
        if n == 0 {
            return;
        }
    });
    super::signals::set_host_mask(mask);
    if spawned.is_ok() {
        WRITE_END.store(fds[1], Ordering::Release);
    }
}

/// Whether the watcher runs in this process.
pub fn armed() -> bool {
    WRITE_END.load(Ordering::Acquire) >= 0
}

/// From a signal handler: `sig` ends the guest now.
pub fn notify(sig: i32) {
    let fd = WRITE_END.load(Ordering::Acquire);
    if fd >= 0 {
        let b = sig as u8;
        // SAFETY: write(2) is async-signal-safe; one byte from a local.
        unsafe { libc::write(fd, (&b as *const u8).cast(), 1) };
    }
}

/// In a forked child: the watcher thread stayed in the parent; the child, whose calls sleep in
/// the same kernel through its server threads, gets a watcher of its own. Dying of the signal
/// closes its channels, and the kernel's process then ends the calls its server threads sleep in
/// (see rumpkernel_bridge::sysproxy).
pub fn forked() {
    let was_armed = armed();
    WRITE_END.store(-1, Ordering::Release);
    if was_armed {
        start();
    }
}
