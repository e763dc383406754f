//! The guest's stdin, stdout and stderr on NetBSD's rump kernel: three rump pipes whose other ends
//! belong to a pump process, copied to and from the host's fds 0-2 by host threads.
//!
//! The rump kernel has no hypercall for console input and rumpcons writes everything (stdout and
//! stderr alike) through `rumpuser_putchar` to the host's stdout. Pipes keep the guest's three
//! streams apart, give it a real stdin, and keep NetBSD's semantics on the guest's side: EOF when
//! the host's stdin ends, EPIPE (and SIGPIPE) once the host's stdout is gone.
//!
//! The pump ends live in a process of their own, the guest's parent, so that nothing the guest
//! forks or dups holds them, and so that the guest's `wait` never sees the pump as its child.
//! Output pumps wait with `poll` and read without blocking under a lock, so that the end of the run
//! can take the lock and drain what the guest wrote last, in order, before the host process exits.

use std::sync::{Arc, Mutex};

use abi_netbsd::consts::{fcntl_cmd::*, open_flags::O_NONBLOCK, poll_events::POLLIN};
use abi_netbsd::errno as ne;
use abi_netbsd::nr;

use super::LibrumpKernel;
use crate::{Errno, Pid, RumpKernel};

/// Where the pump process keeps its ends (above anything a fresh process has open).
const PUMP_FD_BASE: u64 = 10;

/// The pump process and the locks of its two output pumps.
pub(super) struct Stdio {
    pump_pid: Pid,
    /// (pump fd, host fd, lock held while reading and copying).
    outputs: [(i32, i32, Arc<Mutex<()>>); 2],
}

impl Stdio {
    /// Makes the pump process (the calling thread's lwp ends up in it) with the guest's three
    /// ends at 0, 1 and 2, ready to be forked into the guest process. Returns the pump ends'
    /// numbers: stdin's write end, stdout's and stderr's read ends.
    pub(super) fn prepare(k: &LibrumpKernel) -> Result<[i32; 3], Errno> {
        let mut ends = [[0i32; 2]; 3];
        for pair in ends.iter_mut() {
            k.syscall(nr::SYS_pipe2, [pair.as_mut_ptr() as u64, 0, 0, 0, 0, 0])?;
        }
        // Move all six above the standard numbers (a fresh process's pipes took 0-5).
        let mut high = [[0i32; 2]; 3];
        for (h, e) in high.iter_mut().zip(ends) {
            for i in 0..2 {
                h[i] = k.syscall(nr::SYS_fcntl, [e[i] as u64, F_DUPFD as u64, PUMP_FD_BASE, 0, 0, 0])?[0] as i32;
                k.syscall(nr::SYS_close, [e[i] as u64, 0, 0, 0, 0, 0])?;
            }
        }
        let guest = [high[0][0], high[1][1], high[2][1]];
        for (fd, end) in guest.into_iter().enumerate() {
            k.syscall(nr::SYS_dup2, [end as u64, fd as u64, 0, 0, 0, 0])?;
            k.syscall(nr::SYS_close, [end as u64, 0, 0, 0, 0, 0])?;
        }
        Ok([high[0][1], high[1][0], high[2][0]])
    }

    /// Called in the pump process once the guest was forked from it: drops the guest's ends and
    /// starts the pumps (host threads with lwps of their own in the pump process).
    pub(super) fn start(k: &Arc<LibrumpKernel>, pump_pid: Pid, pump_ends: [i32; 3]) -> Result<Stdio, Errno> {
        for fd in 0..3u64 {
            k.syscall(nr::SYS_close, [fd, 0, 0, 0, 0, 0])?;
        }
        for fd in &pump_ends[1..] {
            k.syscall(nr::SYS_fcntl, [*fd as u64, F_SETFL as u64, O_NONBLOCK as u64, 0, 0, 0])?;
        }
        let outputs = [(pump_ends[1], 1, Arc::new(Mutex::new(()))), (pump_ends[2], 2, Arc::new(Mutex::new(())))];
        spawn(k, pump_pid, "rumplx-stdin", {
            let fd = pump_ends[0];
            move |k| pump_stdin(k, fd)
        });
        for (fd, host, lock) in outputs.iter().cloned() {
            spawn(k, pump_pid, "rumplx-stdout", move |k| pump_output(k, fd, host, &lock));
        }
        Ok(Stdio { pump_pid, outputs })
    }

    /// The run ends: copies what the guest wrote and the pumps did not take yet. The calling
    /// thread leaves its lwp for one in the pump process (it is about to exit).
    pub(super) fn drain(&self, k: &LibrumpKernel) {
        // Binds a new lwp to this thread.
        if k.newlwp(self.pump_pid) != 0 {
            return;
        }
        for (fd, host, lock) in &self.outputs {
            let _held = lock.lock().unwrap_or_else(|e| e.into_inner());
            copy_available(k, *fd, *host);
        }
    }
}

/// Starts a host thread bound to a new lwp of the pump process, with every host signal blocked
/// (signals are the guest threads'; a SIGPIPE the kernel raises for a pump stays pending).
fn spawn(k: &Arc<LibrumpKernel>, pump_pid: Pid, name: &str, body: impl FnOnce(&LibrumpKernel) + Send + 'static) {
    let k = k.clone();
    // Spawned with every signal blocked, so the new thread starts that way.
    let spawned = crate::hostmask::with_all_blocked(|| {
        std::thread::Builder::new().name(name.into()).spawn(move || {
            // Binds a new lwp to this thread.
            if k.newlwp(pump_pid) == 0 {
                body(&k);
            }
        })
    });
    drop(spawned);
}

/// Host stdin into the guest's stdin pipe until either side ends.
fn pump_stdin(k: &LibrumpKernel, fd: i32) {
    let mut buf = vec![0u8; 64 * 1024];
    'outer: loop {
        // SAFETY: reads into a buffer we own.
        let n = unsafe { libc::read(0, buf.as_mut_ptr().cast(), buf.len()) };
        if n < 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) {
            continue;
        }
        if n <= 0 {
            break;
        }
        let mut done = 0usize;
        while done < n as usize {
            let rest = &buf[done..n as usize];
            match k.syscall(nr::SYS_write, [fd as u64, rest.as_ptr() as u64, rest.len() as u64, 0, 0, 0]) {
                Ok(r) => done += r[0] as usize,
                Err(ne::EINTR) => {}
                // The guest closed its stdin (EPIPE): nobody reads any more.
                Err(_) => break 'outer,
            }
        }
    }
    k.syscall(nr::SYS_close, [fd as u64, 0, 0, 0, 0, 0]).ok();
}

/// The guest's stdout or stderr pipe onto the host's fd until every writer closed it.
fn pump_output(k: &LibrumpKernel, fd: i32, host: i32, lock: &Mutex<()>) {
    loop {
        let mut pfd = [fd, POLLIN as i32]; // struct pollfd { int fd; short events, revents; }
        match k.syscall(nr::SYS_poll, [pfd.as_mut_ptr() as u64, 1, u64::MAX, 0, 0, 0]) {
            Ok(_) | Err(ne::EINTR) => {}
            Err(_) => return,
        }
        let _held = lock.lock().unwrap_or_else(|e| e.into_inner());
        if !copy_available(k, fd, host) {
            // EOF, or the host side is gone: closing our end gives the guest EPIPE from now on.
            k.syscall(nr::SYS_close, [fd as u64, 0, 0, 0, 0, 0]).ok();
            return;
        }
    }
}

/// Copies what the pipe holds now onto the host fd. False once the pipe reached EOF or the host
/// fd refuses the data.
fn copy_available(k: &LibrumpKernel, fd: i32, host: i32) -> bool {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match k.syscall(nr::SYS_read, [fd as u64, buf.as_mut_ptr() as u64, buf.len() as u64, 0, 0, 0]) {
            Ok([0, _]) => return false,
            Ok([n, _]) => {
                if !write_all(host, &buf[..n as usize]) {
                    return false;
                }
            }
            Err(ne::EAGAIN) => return true,
            Err(ne::EINTR) => {}
            Err(_) => return false,
        }
    }
}

fn write_all(host: i32, mut data: &[u8]) -> bool {
    while !data.is_empty() {
        // SAFETY: writes from a buffer we own.
        let n = unsafe { libc::write(host, data.as_ptr().cast(), data.len()) };
        if n < 0 {
            if std::io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) {
                continue;
            }
            return false;
        }
        data = &data[n as usize..];
    }
    true
}
