//! Threads: clone/clone3 with the flags musl and glibc use for pthreads, and thread exit with its
//! CLEARTID wake-up and robust-futex cleanup. Each guest thread is a host thread that rumplx starts
//! itself, bound to its own rump lwp (the bridge's lwproc calls).

use syscalls::Sysno;

use super::sigframe::Sigcontext;
use crate::dispatch::{Ctx, Thread, ThreadEntry};
use crate::errno::EINVAL;
use crate::platform::{Access, ThreadStart};
use crate::table::{entry, Arg, Entry, Family::Processes, Ret, Route, Support};
use crate::LxResult;

pub const CLONE_VM: u64 = 0x100;
pub const CLONE_FS: u64 = 0x200;
pub const CLONE_FILES: u64 = 0x400;
pub const CLONE_SIGHAND: u64 = 0x800;
pub const CLONE_PIDFD: u64 = 0x1000;
pub const CLONE_PTRACE: u64 = 0x2000;
pub const CLONE_VFORK: u64 = 0x4000;
pub const CLONE_PARENT: u64 = 0x8000;
pub const CLONE_THREAD: u64 = 0x10000;
pub const CLONE_SYSVSEM: u64 = 0x40000;
pub const CLONE_SETTLS: u64 = 0x80000;
pub const CLONE_PARENT_SETTID: u64 = 0x100000;
pub const CLONE_CHILD_CLEARTID: u64 = 0x200000;
pub const CLONE_DETACHED: u64 = 0x400000;
pub const CLONE_CHILD_SETTID: u64 = 0x1000000;

/// What a thread needs shared with its creator.
const THREAD_CORE: u64 = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD;
/// Flags rumplx honours on top of those.
const THREAD_EXTRA: u64 = CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID | CLONE_DETACHED | CLONE_CHILD_SETTID;

const THREADS_ONLY: &str = "threads (CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD with SETTLS, PARENT_SETTID, CHILD_SETTID, CHILD_CLEARTID) and new processes (a CLONE_VM child shares its parent's memory and cannot itself make threads or CLONE_VM children before it execs; namespaces are refused)";

pub const ENTRIES: &[Entry] = &[
    entry(Sysno::clone as u32, "clone", Processes, &[Arg::Hex, Arg::Ptr, Arg::Ptr, Arg::Ptr, Arg::Hex], Ret::Int, Route::Layer(clone), Support::Partial(THREADS_ONLY)),
    entry(Sysno::clone3 as u32, "clone3", Processes, &[Arg::Ptr, Arg::Len], Ret::Int, Route::Layer(clone3), Support::Partial(THREADS_ONLY)),
    entry(Sysno::exit as u32, "exit", Processes, &[Arg::Int], Ret::None, Route::Layer(exit), Support::Full),
];

/// The arguments of a thread-creating clone, whichever call carried them.
struct CloneArgs {
    flags: u64,
    stack: u64,
    parent_tid: u64,
    child_tid: u64,
    tls: u64,
}

fn clone(ctx: &mut Ctx) -> LxResult {
    let [flags, stack, parent_tid, child_tid, tls, _] = ctx.args;
    // The low byte is the exit signal of a new process; threads have none.
    spawn(ctx, CloneArgs { flags: flags & !0xff, stack, parent_tid, child_tid, tls }, flags & 0xff)
}

/// `struct clone_args` of clone3 (the part before `set_tid`, all that threads use).
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CloneArgsV0 {
    flags: u64,
    pidfd: u64,
    child_tid: u64,
    parent_tid: u64,
    exit_signal: u64,
    stack: u64,
    stack_size: u64,
    tls: u64,
}

fn clone3(ctx: &mut Ctx) -> LxResult {
    let size = ctx.args[1] as usize;
    if size < core::mem::size_of::<CloneArgsV0>() || size > 4096 {
        return Err(EINVAL);
    }
    // Fields past those we know must be zero, as Linux demands of newer extensions.
    let bytes = ctx.guest_bytes(ctx.args[0], size)?;
    let known = 11 * 8;
    if bytes.len() > known && bytes[known..].iter().any(|b| *b != 0) {
        return Err(crate::errno::E2BIG);
    }
    let a: CloneArgsV0 = ctx.read_struct(ctx.args[0])?;
    if size >= 10 * 8 {
        let set_tid_size: u64 = ctx.read_struct(ctx.args[0] + 9 * 8)?;
        if set_tid_size != 0 {
            return Err(EINVAL);
        }
    }
    let stack = if a.stack != 0 { a.stack + a.stack_size } else { 0 };
    spawn(ctx, CloneArgs { flags: a.flags, stack, parent_tid: a.parent_tid, child_tid: a.child_tid, tls: a.tls }, a.exit_signal)
}

fn spawn(ctx: &mut Ctx, a: CloneArgs, exit_signal: u64) -> LxResult {
    if a.flags & CLONE_THREAD == 0 {
        // fork, vfork and posix_spawn's CLONE_VM|CLONE_VFORK: new processes.
        super::fork::check_exit_signal(exit_signal)?;
        return super::fork::new_process(ctx, a.flags, a.stack, a.parent_tid, a.child_tid, a.tls);
    }
    // Linux's own consistency rules.
    if a.flags & CLONE_SIGHAND == 0 || a.flags & CLONE_VM == 0 || exit_signal != 0 {
        return Err(EINVAL);
    }
    if a.flags & THREAD_CORE != THREAD_CORE || a.flags & !(THREAD_CORE | THREAD_EXTRA) != 0 {
        return Err(EINVAL);
    }
    if ctx.p.vm_child {
        // A CLONE_VM child runs on its parent's rumplx until it execs: no threads of its own.
        return Err(crate::errno::EAGAIN);
    }
    if a.flags & CLONE_PARENT_SETTID != 0 {
        ctx.check(a.parent_tid, 4, Access::Write)?;
    }
    if a.flags & (CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID) != 0 {
        ctx.check(a.child_tid, 4, Access::Write)?;
    }
    let p = ctx.p;
    let pid = ctx.nb(abi_netbsd::nr::SYS_getpid, [0; 6])?[0] as i32;
    // The new lwp is made from here (rump's newlwp binds the caller), then we switch back.
    let own_lwp = p.kernel.lwproc_curlwp();
    let lwp = p.kernel.lwproc_newlwp(pid).map_err(crate::xlat::errno::from_netbsd)?;
    if let Some(l) = own_lwp {
        p.kernel.lwproc_switch(l).ok();
    }
    let tid = p.alloc_tid();
    let mut thread = Thread::new(tid);
    thread.sigmask = ctx.thread.sigmask;
    if a.flags & CLONE_CHILD_CLEARTID != 0 {
        thread.clear_child_tid = a.child_tid;
    }
    if a.flags & CLONE_PARENT_SETTID != 0 {
        ctx.write_struct(a.parent_tid, &tid)?;
    }
    if a.flags & CLONE_CHILD_SETTID != 0 {
        ctx.write_struct(a.child_tid, &tid)?;
    }
    let regs = Sigcontext {
        rax: 0,
        rsp: if a.stack != 0 { a.stack } else { ctx.regs.rsp },
        fpstate: 0,
        ..*ctx.regs
    };
    let fs_base = if a.flags & CLONE_SETTLS != 0 { a.tls } else { p.platform.fs_base() };
    let mask = thread.sigmask;
    // Registered before it runs, so a signal sent right after clone returns finds it.
    p.register_thread(ThreadEntry { tid, host_tid: 0, sigmask: mask });
    let started = p.platform.spawn_thread(ThreadStart { regs, fs_base, thread, lwp });
    if let Ok(host_tid) = started {
        p.set_host_tid(tid, host_tid);
    }
    if let Err(e) = started {
        p.unregister_thread(tid);
        p.kernel.lwproc_switch(lwp).ok();
        p.kernel.lwproc_releaselwp();
        if let Some(l) = own_lwp {
            p.kernel.lwproc_switch(l).ok();
        }
        return Err(e);
    }
    Ok(tid as u64)
}

/// `struct robust_list_head`: the list, the offset of the futex word in each entry, and the entry
/// being locked right now.
#[repr(C)]
#[derive(Clone, Copy)]
struct RobustListHead {
    next: u64,
    futex_offset: i64,
    pending: u64,
}

const FUTEX_WAKE: u32 = 1;
const FUTEX_OWNER_DIED: u32 = 0x4000_0000;
const FUTEX_WAITERS: u32 = 0x8000_0000;
const FUTEX_TID_MASK: u32 = 0x3fff_ffff;
/// Linux stops walking a robust list after this many entries (ROBUST_LIST_LIMIT).
const ROBUST_LIST_LIMIT: usize = 2048;

/// Marks the futexes a dying thread still holds as OWNER_DIED and wakes one waiter of each.
pub(crate) fn release_robust_futexes(ctx: &mut Ctx) {
    let head_at = ctx.thread.robust_list;
    if head_at == 0 {
        return;
    }
    let Ok(head) = ctx.read_struct::<RobustListHead>(head_at) else { return };
    let tid = ctx.thread.tid as u32;
    let release = |ctx: &mut Ctx, entry: u64| {
        let word_at = entry.wrapping_add(head.futex_offset as u64);
        let Ok(word) = ctx.read_struct::<u32>(word_at) else { return };
        if word & FUTEX_TID_MASK == tid && ctx.check(word_at, 4, Access::Write).is_ok() {
            ctx.write_struct(word_at, &((word & FUTEX_WAITERS) | FUTEX_OWNER_DIED)).ok();
            if word & FUTEX_WAITERS != 0 {
                ctx.p.platform.futex(word_at, FUTEX_WAKE, 1, 0, 0, 0).ok();
            }
        }
    };
    let mut entry = head.next;
    let mut seen = 0;
    while entry != head_at && entry != 0 && seen < ROBUST_LIST_LIMIT {
        let Ok(next) = ctx.read_struct::<u64>(entry) else { break };
        // The low bit marks PI futexes; the entry itself is the address without it.
        if entry & !1 != head.pending {
            release(ctx, entry & !1);
        }
        entry = next;
        seen += 1;
    }
    if head.pending != 0 {
        release(ctx, head.pending & !1);
    }
}

fn exit(ctx: &mut Ctx) -> LxResult {
    let code = ctx.int(0) & 0xff;
    let p = ctx.p;
    if p.unregister_thread(ctx.thread.tid) == 0 {
        // The last thread: the process ends with it.
        p.platform.exit_group(code);
    }
    release_robust_futexes(ctx);
    let ctid = ctx.thread.clear_child_tid;
    if ctid != 0 && ctx.write_struct(ctid, &0u32).is_ok() {
        // pthread_join waits on this word.
        p.platform.futex(ctid, FUTEX_WAKE, 1, 0, 0, 0).ok();
    }
    p.kernel.lwproc_releaselwp();
    p.platform.exit_thread()
}
