//! The run's lifeline: every process of the run but the first ends with the first, even when
//! that one is killed outright (SIGKILL, the OOM killer) and cannot end them itself, so none is
//! left running on the host (a guest's orphan is still reparented within the run as long as the
//! run lives).
//!
//! The first process holds the only write end of a pipe. Every other process holds a read end
//! of its own: its own open file description of the pipe (the host signals the owner of each
//! description), set to raise SIGKILL when the pipe's last writer goes (O_ASYNC with F_SETOWN
//! and F_SETSIG). Nothing is ever written, so the signal comes only at that end.

use std::sync::atomic::{AtomicI32, Ordering};

/// fcntl F_SETSIG (Linux): the signal O_ASYNC raises (the libc crate does not name it).
const F_SETSIG: i32 = 10;

/// This process's read end, or -1 before the first fork.
static READ_FD: AtomicI32 = AtomicI32::new(-1);

/// In the first process, before its first fork: makes the pipe. Its write end stays open until
/// this process ends; children inherit and keep only the read end.
pub fn ensure() {
    if READ_FD.load(Ordering::Acquire) >= 0 {
        return;
    }
    let mut fds = [0i32; 2];
    // SAFETY: pipe2 fills two descriptors. The write end is close-on-exec (only this process
    // may hold it); the read end is not (a CLONE_VM child execs rumplx and must keep it).
    if unsafe { libc::pipe2(fds.as_mut_ptr(), 0) } != 0 {
        return;
    }
    // SAFETY: our own new descriptor.
    unsafe { libc::fcntl(fds[1], libc::F_SETFD, libc::FD_CLOEXEC) };
    READ_FD.store(fds[0], Ordering::Release);
}

/// The read end, to keep when a new process closes what it inherited.
pub fn read_end() -> Option<i32> {
    let fd = READ_FD.load(Ordering::Acquire);
    (fd >= 0).then_some(fd)
}

/// After `rumplx resume` (a CLONE_VM child's execve): the read end it kept, already armed.
pub fn adopt(fd: i32) {
    if fd >= 0 {
        READ_FD.store(fd, Ordering::Release);
    }
}

/// In a new process of the run (a fork or CLONE_VM child), once it closed what it inherited:
/// its read end becomes a description of its own that kills it when the first process ends.
pub fn arm() {
    let Some(fd) = read_end() else { return };
    let path = format!("/proc/self/fd/{fd}\0");
    // SAFETY: plain calls on descriptors of this process; the path is NUL-terminated.
    unsafe {
        let own = libc::open(path.as_ptr().cast(), libc::O_RDONLY | libc::O_NONBLOCK);
        if own < 0 {
            return;
        }
        libc::fcntl(own, libc::F_SETOWN, libc::getpid());
        libc::fcntl(own, F_SETSIG, libc::SIGKILL);
        libc::fcntl(own, libc::F_SETFL, libc::O_ASYNC | libc::O_NONBLOCK);
        libc::dup3(own, fd, 0);
        libc::close(own);
        // The first process may have ended before the description was armed.
        let mut p = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
        if libc::poll(&mut p, 1, 0) == 1 && p.revents & libc::POLLHUP != 0 {
            libc::kill(libc::getpid(), libc::SIGKILL);
        }
    }
}
