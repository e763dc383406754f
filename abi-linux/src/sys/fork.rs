//! New processes: fork, vfork and clone without CLONE_THREAD. A guest process is a host process;
//! the new one is a host fork of this one that reaches the run's one kernel as a remote client
//! (rumpkernel-bridge's sysproxy), bound to the rump process `lwproc_rfork` made for it. Waiting
//! is the host's: guest children are host children, so exit statuses, WNOHANG, stops and zombies
//! are exactly Linux's; pids are translated at the boundary. A CLONE_VM child (posix_spawn, vfork)
//! is a host process of its own too, but runs in its parent's memory until it execs.

use abi_netbsd::nr as nb;
use syscalls::Sysno;

use super::sigframe::{Sigcontext, Siginfo};
use crate::dispatch::{Ctx, Thread, ThreadEntry};
use crate::errno::{EAGAIN, ECHILD, EINVAL};
use crate::platform::{Access, ForkSide, ThreadStart};
use crate::table::{entry, Arg, Entry, Family::Processes, Ret, Route, Support};
use crate::LxResult;

const P: crate::table::Family = Processes;

pub const ENTRIES: &[Entry] = &[
    entry(Sysno::fork as u32, "fork", P, &[], Ret::Int, Route::Layer(fork), Support::Full),
    entry(Sysno::vfork as u32, "vfork", P, &[], Ret::Int, Route::Layer(vfork), Support::Full),
    entry(Sysno::wait4 as u32, "wait4", P, &[Arg::Int, Arg::Ptr, Arg::Hex, Arg::Ptr], Ret::Int, Route::Layer(wait4), Support::Partial("process-group waits (0 and -pgid) wait for any child")),
    entry(Sysno::waitid as u32, "waitid", P, &[Arg::Int, Arg::Int, Arg::Ptr, Arg::Hex, Arg::Ptr], Ret::Int, Route::Layer(waitid), Support::Partial("P_PGID waits for any child")),
];

/// Flags a new process may be made with.
pub const CLONE_VM: u64 = 0x100;
pub const CLONE_FILES: u64 = 0x400;
pub const CLONE_VFORK: u64 = 0x4000;
pub const CLONE_SETTLS: u64 = 0x80000;
pub const CLONE_PARENT_SETTID: u64 = 0x100000;
pub const CLONE_CHILD_CLEARTID: u64 = 0x200000;
pub const CLONE_CHILD_SETTID: u64 = 0x1000000;
const PROCESS_FLAGS: u64 = CLONE_VM | CLONE_FILES | CLONE_VFORK | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID;
const SIGCHLD: u64 = 17;

fn fork(ctx: &mut Ctx) -> LxResult {
    new_process(ctx, 0, 0, 0, 0, 0)
}

fn vfork(ctx: &mut Ctx) -> LxResult {
    new_process(ctx, CLONE_VM | CLONE_VFORK, 0, 0, 0, 0)
}

/// A new process from clone/clone3 (no CLONE_THREAD). With CLONE_VM the child runs in this
/// process's memory (see [`new_vm_process`]); otherwise it is a host fork.
pub fn new_process(ctx: &mut Ctx, flags: u64, stack: u64, parent_tid: u64, child_tid: u64, tls: u64) -> LxResult {
    if flags & !PROCESS_FLAGS != 0 {
        return Err(EINVAL);
    }
    if flags & CLONE_PARENT_SETTID != 0 {
        ctx.check(parent_tid, 4, Access::Write)?;
    }
    if flags & (CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID) != 0 {
        ctx.check(child_tid, 4, Access::Write)?;
    }
    if flags & CLONE_VM != 0 {
        return new_vm_process(ctx, flags, stack, parent_tid, child_tid, tls);
    }
    let p = ctx.p;
    let own_lwp = p.kernel.lwproc_curlwp();
    let child_pid = p.kernel.lwproc_rfork(flags & CLONE_FILES != 0).map_err(crate::xlat::errno::from_netbsd)?;
    let child_lwp = p.kernel.lwproc_curlwp().unwrap_or(0);
    if let Some(l) = own_lwp {
        p.kernel.lwproc_switch(l).ok();
    }
    match p.platform.fork(child_lwp) {
        Err(e) => {
            p.kernel.lwproc_switch(child_lwp).ok();
            p.kernel.lwproc_releaselwp();
            if let Some(l) = own_lwp {
                p.kernel.lwproc_switch(l).ok();
            }
            Err(e)
        }
        Ok(ForkSide::Parent { host_pid }) => {
            p.children.lock().push((child_pid, host_pid));
            if flags & CLONE_PARENT_SETTID != 0 {
                ctx.write_struct(parent_tid, &child_pid)?;
            }
            Ok(child_pid as u64)
        }
        Ok(ForkSide::Child { host_tid }) => {
            // Only the forking thread lives on; the child starts with no children of its own.
            p.children.lock().clear();
            {
                let mut threads = p.threads.lock();
                threads.clear();
                threads.push(ThreadEntry { tid: child_pid, host_tid, sigmask: ctx.thread.sigmask });
            }
            p.next_tid.store(child_pid + 1, core::sync::atomic::Ordering::Relaxed);
            ctx.thread.tid = child_pid;
            ctx.thread.pending.clear();
            p.signals.lock().pending.clear();
            ctx.thread.clear_child_tid = if flags & CLONE_CHILD_CLEARTID != 0 { child_tid } else { 0 };
            if flags & CLONE_CHILD_SETTID != 0 {
                ctx.write_struct(child_tid, &child_pid).ok();
            }
            if stack != 0 {
                ctx.regs.rsp = stack;
            }
            if flags & CLONE_SETTLS != 0 {
                p.platform.set_fs_base(tls);
            }
            Ok(0)
        }
    }
}

/// A new process in this process's memory (CLONE_VM without CLONE_THREAD: posix_spawn, vfork):
/// its own rump process (pid, descriptor table, credentials) and host process, running on the
/// stack it was given in the same address space. With CLONE_VFORK the caller waits until the child
/// has exec'd (into a fresh host image) or ended, as on Linux.
fn new_vm_process(ctx: &mut Ctx, flags: u64, stack: u64, parent_tid: u64, child_tid: u64, tls: u64) -> LxResult {
    let p = ctx.p;
    if p.vm_child {
        // A child still running in its parent's memory cannot make another such child.
        return Err(EAGAIN);
    }
    let own_lwp = p.kernel.lwproc_curlwp();
    let child_pid = p.kernel.lwproc_rfork(flags & CLONE_FILES != 0).map_err(crate::xlat::errno::from_netbsd)?;
    let child_lwp = p.kernel.lwproc_curlwp().unwrap_or(0);
    if let Some(l) = own_lwp {
        p.kernel.lwproc_switch(l).ok();
    }
    let release_lwp = || {
        p.kernel.lwproc_switch(child_lwp).ok();
        p.kernel.lwproc_releaselwp();
        if let Some(l) = own_lwp {
            p.kernel.lwproc_switch(l).ok();
        }
    };
    let mut thread = Thread::new(child_pid);
    thread.sigmask = ctx.thread.sigmask;
    thread.comm = ctx.thread.comm;
    thread.affinity = ctx.thread.affinity;
    if flags & CLONE_VFORK != 0 {
        // Linux keeps the alternate signal stack only for CLONE_VFORK children of CLONE_VM.
        thread.altstack = ctx.thread.altstack;
    }
    thread.clear_child_tid = if flags & CLONE_CHILD_CLEARTID != 0 { child_tid } else { 0 };
    // The memory is shared: the parent writes both ids before the child runs, as Linux does.
    let ids = (|| {
        if flags & CLONE_PARENT_SETTID != 0 {
            ctx.write_struct(parent_tid, &child_pid)?;
        }
        if flags & CLONE_CHILD_SETTID != 0 {
            ctx.write_struct(child_tid, &child_pid)?;
        }
        Ok(())
    })();
    if let Err(e) = ids {
        release_lwp();
        return Err(e);
    }
    let regs = Sigcontext { rax: 0, rsp: if stack != 0 { stack } else { ctx.regs.rsp }, fpstate: 0, ..*ctx.regs };
    let fs_base = if flags & CLONE_SETTLS != 0 { tls } else { p.platform.fs_base() };
    match p.platform.spawn_vm_child(p, ThreadStart { regs, fs_base, thread, lwp: child_lwp }) {
        Err(e) => {
            release_lwp();
            Err(e)
        }
        Ok(child) => {
            p.children.lock().push((child_pid, child.host_pid));
            if flags & CLONE_VFORK != 0 {
                (child.released)();
            }
            Ok(child_pid as u64)
        }
    }
}

/// The exit signal a clone asks for: SIGCHLD (or none) is what rumplx gives.
pub fn check_exit_signal(sig: u64) -> Result<(), crate::Errno> {
    if sig == SIGCHLD || sig == 0 {
        Ok(())
    } else {
        Err(EINVAL)
    }
}

/// Host pid of a guest child, or the guest pid of a host child.
fn host_of(ctx: &Ctx, pid: i32) -> Option<i32> {
    ctx.p.children.lock().iter().find(|(g, _)| *g == pid).map(|(_, h)| *h)
}

pub fn guest_of(p: &crate::dispatch::Personality, host: i32) -> i32 {
    p.children.lock().iter().find(|(_, h)| *h == host).map(|(g, _)| *g).unwrap_or(host)
}

const WNOHANG: u64 = 1;
const WUNTRACED: u64 = 2;
const WCONTINUED: u64 = 8;
const WEXITED: u64 = 4;
const WNOWAIT: u64 = 0x0100_0000;
const WALL: u64 = 0x4000_0000;
const WCLONE: u64 = 0x8000_0000;
const WNOTHREAD: u64 = 0x2000_0000;

fn wait4(ctx: &mut Ctx) -> LxResult {
    let (pid, status_at, options, rusage_at) = (ctx.int(0), ctx.args[1], ctx.args[2], ctx.args[3]);
    if options & !(WNOHANG | WUNTRACED | WCONTINUED | WALL | WCLONE | WNOTHREAD) != 0 {
        return Err(EINVAL);
    }
    let host_pid = if pid > 0 { host_of(ctx, pid).ok_or(ECHILD)? } else { -1 };
    if status_at != 0 {
        ctx.check(status_at, 4, Access::Write)?;
    }
    if rusage_at != 0 {
        ctx.check(rusage_at, 144, Access::Write)?;
    }
    let mut status = 0i32;
    let mut rusage = [0u8; 144];
    let got = ctx.p.platform.host_wait4(host_pid, &mut status, options as u32, &mut rusage)?;
    if got == 0 {
        return Ok(0);
    }
    let guest = guest_of(ctx.p, got);
    let stopped_or_continued = status & 0xff == 0x7f || status == 0xffff;
    if !stopped_or_continued {
        // Exited or killed: the child is gone.
        forget_reaped(ctx, guest, got);
    }
    if status_at != 0 {
        ctx.write_struct(status_at, &status)?;
    }
    if rusage_at != 0 {
        ctx.write_struct(rusage_at, &rusage)?;
    }
    Ok(guest as u64)
}

/// A reaped child is gone for good: off the children list, and (as Linux answers ESRCH for it
/// from then on) out of the kernel, whose server thread lets its process go on seeing the channel
/// close, which happens before the host process is a zombie but may not have been handled yet.
/// Waits a bounded time for that, so the pid is never taken for a live process after the reap.
/// The bound is a time (2 s), not a number of pauses: while the child's SIGCHLD is pending for
/// this thread each pause ends at once (EINTR), and a count of them ran out in a few
/// milliseconds on a loaded machine, before the server thread had let the process go (its pid
/// then still answered getpgid and /proc/<pid> after the wait).
fn forget_reaped(ctx: &mut Ctx, guest: i32, host: i32) {
    ctx.p.children.lock().retain(|(_, h)| *h != host);
    let pause = abi_netbsd::structs::Timespec { tv_sec: 0, tv_nsec: 200_000 };
    let now = |ctx: &mut Ctx| super::time::monotonic(ctx).map_or(i128::MAX, |t| super::time::nanos(&t));
    let deadline = now(ctx).saturating_add(2_000_000_000);
    while ctx.nb(nb::SYS_getpgid, [guest as u32 as u64, 0, 0, 0, 0, 0]).is_ok() && now(ctx) < deadline {
        if ctx.nb(nb::SYS___nanosleep50, [&pause as *const _ as u64, 0, 0, 0, 0, 0]).is_err() {
            // Interrupted at once: let the server thread run instead of spinning.
            let _ = ctx.nb(nb::SYS_sched_yield, [0; 6]);
        }
    }
}

const P_ALL: u64 = 0;
const P_PID: u64 = 1;
const P_PGID: u64 = 2;

fn waitid(ctx: &mut Ctx) -> LxResult {
    let (idtype, id, info_at, options, rusage_at) = (ctx.args[0], ctx.int(1), ctx.args[2], ctx.args[3], ctx.args[4]);
    if options & !(WNOHANG | WUNTRACED | WCONTINUED | WEXITED | WNOWAIT | WALL | WCLONE | WNOTHREAD) != 0
        || options & (WUNTRACED | WCONTINUED | WEXITED) == 0
    {
        return Err(EINVAL);
    }
    let (host_type, host_id) = match idtype {
        P_PID => (P_PID, host_of(ctx, id).ok_or(ECHILD)?),
        P_ALL | P_PGID => (P_ALL, 0),
        _ => return Err(EINVAL),
    };
    let mut info = Siginfo::default();
    let mut rusage = [0u8; 144];
    ctx.p.platform.host_waitid(host_type as u32, host_id, &mut info, options as u32, &mut rusage)?;
    if info.signo != 0 {
        let guest = guest_of(ctx.p, info.pid());
        if options & WNOWAIT == 0 && info.code != 5 && info.code != 6 {
            // Not a stop (CLD_STOPPED 5) or continue (CLD_CONTINUED 6): the child is reaped.
            forget_reaped(ctx, guest, info.pid());
        }
        info.set_pid(guest);
    }
    if info_at != 0 {
        ctx.write_struct(info_at, &info)?;
    }
    if rusage_at != 0 {
        ctx.write_struct(rusage_at, &rusage)?;
    }
    Ok(0)
}
