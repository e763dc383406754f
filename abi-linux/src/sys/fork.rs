//! New processes: fork, vfork and clone without CLONE_THREAD. A guest process is a host process;
//! the new one is a host fork of this one that reaches the run's one kernel as a remote client
//! (rumpkernel-bridge's sysproxy), bound to the rump process `lwproc_rfork` made for it. Waiting
//! is the host's: guest children are host children, so exit statuses, WNOHANG, stops and zombies
//! are exactly Linux's; pids are translated at the boundary. The kernel keeps an ended child as a
//! zombie until the reaper tells it (`SYS_EXT_reap`), so its group is known to group waits, which
//! wait on the members' host pids. A CLONE_VM child (posix_spawn, vfork) is a host process of its
//! own too, but runs in its parent's memory until it execs.

use abi_netbsd::nr as nb;
use rumpkernel_bridge::ext_events as ext;
use syscalls::Sysno;

use super::sigframe::{Sigcontext, Siginfo};
use crate::dispatch::{Ctx, Thread, ThreadEntry};
use crate::errno::{EAGAIN, ECHILD, EINTR, EINVAL, ESRCH};
use crate::platform::{Access, ForkSide, ThreadStart};
use crate::table::{entry, Arg, Entry, Family::Processes, Ret, Route, Support};
use crate::LxResult;

const P: crate::table::Family = Processes;

pub const ENTRIES: &[Entry] = &[
    entry(Sysno::fork as u32, "fork", P, &[], Ret::Int, Route::Layer(fork), Support::Full),
    entry(Sysno::vfork as u32, "vfork", P, &[], Ret::Int, Route::Layer(vfork), Support::Full),
    entry(Sysno::wait4 as u32, "wait4", P, &[Arg::Int, Arg::Ptr, Arg::Hex, Arg::Ptr], Ret::Int, Route::Layer(wait4), Support::Partial("a process-group wait (0, -pgid) for stopped or continued children (WUNTRACED, WCONTINUED) wakes on the host's SIGCHLD: a stop whose SIGCHLD another thread takes, or that comes while SIGCHLD is ignored, is seen at the next child event")),
    entry(Sysno::waitid as u32, "waitid", P, &[Arg::Int, Arg::Int, Arg::Ptr, Arg::Hex, Arg::Ptr], Ret::Int, Route::Layer(waitid), Support::Partial("a P_PGID wait for stopped or continued children (WSTOPPED, WCONTINUED) wakes on the host's SIGCHLD: a stop whose SIGCHLD another thread takes, or that comes while SIGCHLD is ignored, is seen at the next child event; P_PIDFD is EINVAL")),
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
            // The process that never ran ends as a zombie of ours: it goes at once.
            let _ = p.kernel.syscall(ext::SYS_EXT_reap, [child_pid as u32 as u64, 0, 0, 0, 0, 0]);
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
        let _ = p.kernel.syscall(ext::SYS_EXT_reap, [child_pid as u32 as u64, 0, 0, 0, 0, 0]);
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
    if pid == i32::MIN {
        // Linux: -INT_MIN names no group.
        return Err(ESRCH);
    }
    let target = match pid {
        -1 => Target::Any,
        0 => Target::Group(own_group(ctx)?),
        p if p < 0 => Target::Group(-p),
        p => Target::Host(host_of(ctx, p).ok_or(ECHILD)?),
    };
    if status_at != 0 {
        ctx.check(status_at, 4, Access::Write)?;
    }
    if rusage_at != 0 {
        ctx.check(rusage_at, 144, Access::Write)?;
    }
    let mut status = 0i32;
    let mut rusage = [0u8; 144];
    let got = match target {
        Target::Any => ctx.p.platform.host_wait4(-1, &mut status, options as u32, &mut rusage)?,
        Target::Host(h) => ctx.p.platform.host_wait4(h, &mut status, options as u32, &mut rusage)?,
        Target::Group(g) => {
            // wait4 always waits for exits.
            group_wait(ctx, g, options | WEXITED, &mut |ctx, host| {
                let got = ctx.p.platform.host_wait4(host, &mut status, (options | WNOHANG) as u32, &mut rusage)?;
                Ok(got != 0)
            })?
            .unwrap_or(0)
        }
    };
    if got == 0 {
        return Ok(0);
    }
    let guest = guest_of(ctx.p, got);
    if status & 0xff == 0x7f {
        status = (status & !0xff00) | (real_stop_signal(ctx.p, guest, (status >> 8) & 0xff) << 8);
    }
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

/// The signal that stopped child `guest`, which its host reports as `reported`: a child whose
/// host would not stop it with a job-control signal stopped with SIGSTOP in its place and told
/// the kernel (see `Personality::stop`).
pub fn real_stop_signal(p: &crate::dispatch::Personality, guest: i32, reported: i32) -> i32 {
    use rumpkernel_bridge::ext_events::SYS_EXT_stop_signal_of;
    if reported != crate::sys::signal::SIGSTOP as i32 {
        return reported;
    }
    match p.kernel.syscall(SYS_EXT_stop_signal_of, [guest as u32 as u64, 0, 0, 0, 0, 0]) {
        Ok(r) if r[0] != 0 => r[0] as i32,
        _ => reported,
    }
}

/// CLD_STOPPED: si_code of a stop in SIGCHLD and waitid's siginfo.
pub const CLD_STOPPED: i32 = 5;

/// Corrects the stop signal (si_status, the low half of the second word) of a CLD_STOPPED
/// siginfo about child `guest`.
pub fn fix_stop_info(p: &crate::dispatch::Personality, guest: i32, info: &mut Siginfo) {
    if info.code == CLD_STOPPED {
        let reported = info.fields[1] as u32 as i32;
        let real = real_stop_signal(p, guest, reported);
        info.fields[1] = (info.fields[1] & !0xffff_ffff) | real as u32 as u64;
    }
}

/// Which children a wait is for.
enum Target {
    /// Any child: the host's own wait serves it.
    Any,
    /// One child, by its host pid.
    Host(i32),
    /// The children in a process group (see [`group_wait`]).
    Group(i32),
}

/// The caller's process group.
fn own_group(ctx: &mut Ctx) -> Result<i32, crate::Errno> {
    Ok(ctx.nb(nb::SYS_getpgrp, [0; 6])?[0] as i32)
}

/// A wait for the caller's children in process group `pgid`, as Linux's do_wait: look at each
/// member (`try_one` waits for one host child with WNOHANG and answers whether it reported
/// something), then, with none to report, fail with ECHILD if there is no member, answer None
/// for WNOHANG, fail with EINTR if a signal came, or sleep until a child ends or a signal comes
/// and look again. Groups are the kernel's (the host's process groups are rumplx's own): it
/// keeps a child, zombie or not, until it is reaped, so its group is known until then. A child
/// the kernel does not know (a backend without zombies forgets it at its exit) may be a member.
/// The sleep is on the children that have not ended (a stop or continue wakes it by the host's
/// SIGCHLD); Answers the host pid reported.
fn group_wait(ctx: &mut Ctx, pgid: i32, options: u64, try_one: &mut dyn FnMut(&mut Ctx, i32) -> Result<bool, crate::Errno>) -> Result<Option<i32>, crate::Errno> {
    let mut interrupted = false;
    loop {
        let children: alloc::vec::Vec<(i32, i32)> = ctx.p.children.lock().clone();
        let mut members = 0;
        let mut watch = alloc::vec::Vec::new();
        for (guest, host) in children {
            let member = match ctx.nb(nb::SYS_getpgid, [guest as u32 as u64, 0, 0, 0, 0, 0]) {
                Ok([g, _]) => g as i32 == pgid,
                Err(_) => true,
            };
            if member {
                match try_one(ctx, host) {
                    Ok(true) => return Ok(Some(host)),
                    Ok(false) => {}
                    // Reaped by the host already (the guest ignores SIGCHLD): not a child any more.
                    Err(ECHILD) => {
                        forget_reaped(ctx, guest, host);
                        continue;
                    }
                    Err(e) => return Err(e),
                }
                members += 1;
                if options & WEXITED != 0 {
                    // Not ended (it would have been reported): its end wakes the sleep.
                    watch.push(host);
                    continue;
                }
            }
            // A child that has ended stays out of the sleep: its pidfd would wake it at once.
            let mut info = Siginfo::default();
            let mut rusage = [0u8; 144];
            match ctx.p.platform.host_waitid(P_PID as u32, host, &mut info, (WEXITED | WNOHANG | WNOWAIT) as u32, &mut rusage) {
                Ok(()) if info.signo == 0 => watch.push(host),
                Ok(()) => {}
                Err(ECHILD) if !member => forget_reaped(ctx, guest, host),
                Err(_) => {}
            }
        }
        if members == 0 {
            return Err(ECHILD);
        }
        if options & WNOHANG != 0 {
            return Ok(None);
        }
        if interrupted {
            // Restarted after the handler when its SA_RESTART asks, as Linux's -ERESTARTSYS.
            return Err(EINTR);
        }
        if ctx.p.platform.wait_children(&watch) == Err(EINTR) {
            // A signal the guest takes ends the wait once the children were looked at again;
            // others (SIGCHLD of a child that ended, ignored ones) only wake it.
            interrupted = !ctx.spurious_eintr();
        }
    }
}

/// A reaped child is gone for good: off the children list, and out of the kernel, which kept it
/// (a zombie) until now so its group and existence were known: its pid answers ESRCH from here
/// on, as on Linux. A backend without that extension (NetBSD's rump kernel) lets the process go
/// when the server thread sees its channel close, which happens before the host process is a
/// zombie but may not have been handled yet: then this waits a bounded time for that, so the pid
/// is never taken for a live process after the reap. The bound is a time (2 s), not a number of
/// pauses: while the child's SIGCHLD is pending for this thread each pause ends at once (EINTR).
fn forget_reaped(ctx: &mut Ctx, guest: i32, host: i32) {
    ctx.p.children.lock().retain(|(_, h)| *h != host);
    match ctx.nb_raw(ext::SYS_EXT_reap, [guest as u32 as u64, 0, 0, 0, 0, 0]) {
        Err(e) if e == abi_netbsd::errno::ENOSYS => {}
        _ => return,
    }
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

/// Tells the kernel whether the caller's children are reaped at their exit (SIGCHLD ignored or
/// SA_NOCLDWAIT), as the host is told; a backend without the extension has no zombies to drop.
pub fn set_auto_reap(ctx: &mut Ctx, on: bool) {
    ctx.p.platform.auto_reap_children(on);
    let _ = ctx.nb_raw(ext::SYS_EXT_nocldwait, [on as u64, 0, 0, 0, 0, 0]);
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
    let target = match idtype {
        P_ALL => Target::Any,
        P_PID if id > 0 => Target::Host(host_of(ctx, id).ok_or(ECHILD)?),
        // Linux (since 5.4): id 0 is the caller's own group.
        P_PGID if id == 0 => Target::Group(own_group(ctx)?),
        P_PGID if id > 0 => Target::Group(id),
        _ => return Err(EINVAL),
    };
    let mut info = Siginfo::default();
    let mut rusage = [0u8; 144];
    match target {
        Target::Any => ctx.p.platform.host_waitid(P_ALL as u32, 0, &mut info, options as u32, &mut rusage)?,
        Target::Host(h) => ctx.p.platform.host_waitid(P_PID as u32, h, &mut info, options as u32, &mut rusage)?,
        Target::Group(g) => {
            group_wait(ctx, g, options, &mut |ctx, host| {
                ctx.p.platform.host_waitid(P_PID as u32, host, &mut info, (options | WNOHANG) as u32, &mut rusage)?;
                Ok(info.signo != 0)
            })?;
        }
    }
    if info.signo != 0 {
        let guest = guest_of(ctx.p, info.pid());
        if options & WNOWAIT == 0 && info.code != 5 && info.code != 6 {
            // Not a stop (CLD_STOPPED 5) or continue (CLD_CONTINUED 6): the child is reaped.
            forget_reaped(ctx, guest, info.pid());
        }
        fix_stop_info(ctx.p, guest, &mut info);
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
