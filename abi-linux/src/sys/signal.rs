//! Signals: the guest's dispositions, masks, pending sets and alternate stacks are virtual (rumplx
//! owns every host disposition). A signal reaches a guest thread as a Linux `rt_sigframe` built on
//! its stack ([`deliver_pending`]), on the way back from a syscall or when a host signal interrupts
//! guest code; the guest's restorer calls rt_sigreturn, which traps like any syscall and puts the
//! saved registers back.
//!
//! Host signals are the transport between threads: a signal for another guest thread is sent to its
//! host thread with the same number, and that thread's handler posts it (DESIGN.md §2).

use syscalls::Sysno;

use super::sigframe::{self, RtSigframe, Sigcontext, Siginfo, StackT, Ucontext};
use crate::dispatch::{Ctx, Thread};
use crate::errno::{EAGAIN, EFAULT, EINTR, EINVAL, ENOMEM, EPERM, ESRCH};
use crate::platform::Access;
use crate::table::{entry, Arg, Entry, Family::Signals, Ret, Route, Support};
use crate::LxResult;

/// Number of Linux signals (1..=64).
pub const NSIG: usize = 64;
pub const SIG_DFL: u64 = 0;
pub const SIG_IGN: u64 = 1;
pub const SIGHUP: u32 = 1;
pub const SIGKILL: u32 = 9;
pub const SIGSEGV: u32 = 11;
pub const SIGSTOP: u32 = 19;
const UNBLOCKABLE: u64 = (1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1));

pub const SIGCHLD: u32 = 17;
pub const SIGCONT: u32 = 18;
pub const SA_NOCLDWAIT: u64 = 2;
pub const SA_SIGINFO: u64 = 4;
pub const SA_ONSTACK: u64 = 0x0800_0000;
pub const SA_RESTART: u64 = 0x1000_0000;
pub const SA_NODEFER: u64 = 0x4000_0000;
pub const SA_RESETHAND: u64 = 0x8000_0000;
pub const SA_RESTORER: u64 = 0x0400_0000;

pub const SS_ONSTACK: i32 = 1;
pub const SS_DISABLE: i32 = 2;
pub const SS_AUTODISARM: i32 = 1 << 31;
const MINSIGSTKSZ: u64 = 2048;

/// The kernel's `struct sigaction` for rt_sigaction.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SigAction {
    pub handler: u64,
    pub flags: u64,
    pub restorer: u64,
    pub mask: u64,
}
const _: () = assert!(core::mem::size_of::<SigAction>() == 32);

/// Signals waiting to be delivered, with their siginfo. Standard signals (1..=31) coalesce into
/// one instance; real-time signals (32..=64) queue, each with its own siginfo, in order.
#[derive(Clone, Debug)]
pub struct PendingSet {
    pub bits: u64,
    info: [Siginfo; 31],
    queue: alloc::vec::Vec<Siginfo>,
}

impl Default for PendingSet {
    fn default() -> Self {
        PendingSet { bits: 0, info: [Siginfo::default(); 31], queue: alloc::vec::Vec::new() }
    }
}

impl PendingSet {
    /// Adds a signal (its number is `info.signo`).
    pub fn post(&mut self, info: Siginfo) {
        let sig = info.signo as u32;
        if !valid(sig) {
            return;
        }
        if sig >= 32 {
            self.queue.push(info);
        } else if self.bits & bit(sig) == 0 {
            self.info[sig as usize - 1] = info;
        }
        self.bits |= bit(sig);
    }

    /// Takes the lowest-numbered pending signal in `set`, with its siginfo.
    pub fn take(&mut self, set: u64) -> Option<(u32, Siginfo)> {
        let ready = self.bits & set;
        if ready == 0 {
            return None;
        }
        let sig = ready.trailing_zeros() + 1;
        let info = if sig >= 32 {
            let at = self.queue.iter().position(|i| i.signo as u32 == sig)?;
            let info = self.queue.remove(at);
            if !self.queue.iter().any(|i| i.signo as u32 == sig) {
                self.bits &= !bit(sig);
            }
            info
        } else {
            self.bits &= !bit(sig);
            self.info[sig as usize - 1]
        };
        Some((sig, info))
    }

    /// Drops every pending instance of `sig`.
    pub fn discard(&mut self, sig: u32) {
        self.bits &= !bit(sig);
        self.queue.retain(|i| i.signo as u32 != sig);
    }

    pub fn clear(&mut self) {
        *self = PendingSet::default();
    }
}

/// Process-wide signal state: dispositions and signals sent to the process as a whole.
#[derive(Debug)]
pub struct SignalState {
    pub actions: [SigAction; NSIG],
    pub pending: PendingSet,
}

impl Default for SignalState {
    fn default() -> Self {
        SignalState { actions: [SigAction::default(); NSIG], pending: PendingSet::default() }
    }
}

pub fn bit(sig: u32) -> u64 {
    1u64 << (sig - 1)
}

fn valid(sig: u32) -> bool {
    (1..=NSIG as u32).contains(&sig)
}

/// Signals whose default action is to do nothing: SIGCHLD, SIGCONT, SIGURG, SIGWINCH.
fn ignored_by_default(sig: u32) -> bool {
    matches!(sig, 17 | 18 | 23 | 28)
}

/// Signals whose default action stops the process: SIGTSTP, SIGTTIN, SIGTTOU.
fn stops_by_default(sig: u32) -> bool {
    (20..=22).contains(&sig)
}

pub const ENTRIES: &[Entry] = &[
    entry(Sysno::rt_sigaction as u32, "rt_sigaction", Signals, &[Arg::Signal, Arg::Ptr, Arg::Ptr, Arg::Len], Ret::Int, Route::Layer(rt_sigaction), Support::Full),
    entry(Sysno::rt_sigprocmask as u32, "rt_sigprocmask", Signals, &[Arg::Int, Arg::Ptr, Arg::Ptr, Arg::Len], Ret::Int, Route::Layer(rt_sigprocmask), Support::Full),
    entry(Sysno::rt_sigreturn as u32, "rt_sigreturn", Signals, &[], Ret::Int, Route::Layer(rt_sigreturn), Support::Full),
    entry(Sysno::rt_sigpending as u32, "rt_sigpending", Signals, &[Arg::Ptr, Arg::Len], Ret::Int, Route::Layer(rt_sigpending), Support::Full),
    entry(Sysno::rt_sigsuspend as u32, "rt_sigsuspend", Signals, &[Arg::Ptr, Arg::Len], Ret::Int, Route::Layer(rt_sigsuspend), Support::Full),
    entry(Sysno::pause as u32, "pause", Signals, &[], Ret::Int, Route::Layer(pause), Support::Full),
    entry(Sysno::rt_sigtimedwait as u32, "rt_sigtimedwait", Signals, &[Arg::Ptr, Arg::Ptr, Arg::Ptr, Arg::Len], Ret::Int, Route::Layer(rt_sigtimedwait), Support::Full),
    entry(Sysno::rt_sigqueueinfo as u32, "rt_sigqueueinfo", Signals, &[Arg::Int, Arg::Signal, Arg::Ptr], Ret::Int, Route::Layer(rt_sigqueueinfo), Support::Full),
    entry(Sysno::rt_tgsigqueueinfo as u32, "rt_tgsigqueueinfo", Signals, &[Arg::Int, Arg::Int, Arg::Signal, Arg::Ptr], Ret::Int, Route::Layer(rt_tgsigqueueinfo), Support::Partial("to threads of the process itself only")),
    entry(Sysno::sigaltstack as u32, "sigaltstack", Signals, &[Arg::Ptr, Arg::Ptr], Ret::Int, Route::Layer(sigaltstack), Support::Full),
    entry(Sysno::kill as u32, "kill", Signals, &[Arg::Int, Arg::Signal], Ret::Int, Route::Layer(kill), Support::Full),
    entry(Sysno::tgkill as u32, "tgkill", Signals, &[Arg::Int, Arg::Int, Arg::Signal], Ret::Int, Route::Layer(tgkill), Support::Partial("to threads of the process itself only")),
    entry(Sysno::tkill as u32, "tkill", Signals, &[Arg::Int, Arg::Signal], Ret::Int, Route::Layer(tkill), Support::Partial("to threads of the process itself only")),
];

fn rt_sigaction(ctx: &mut Ctx) -> LxResult {
    let (sig, new_at, old_at, size) = (ctx.args[0] as u32, ctx.args[1], ctx.args[2], ctx.args[3]);
    if size != 8 || !valid(sig) {
        return Err(EINVAL);
    }
    let new: Option<SigAction> = if new_at != 0 { Some(ctx.read_struct(new_at)?) } else { None };
    if new.is_some() && (sig == SIGKILL || sig == SIGSTOP) {
        return Err(EINVAL);
    }
    let old = {
        let mut st = ctx.p.signals.lock();
        let old = st.actions[sig as usize - 1];
        if let Some(mut n) = new {
            n.mask &= !UNBLOCKABLE;
            st.actions[sig as usize - 1] = n;
            // Setting a signal to be ignored discards it where it is pending (POSIX).
            if n.handler == SIG_IGN || n.handler == SIG_DFL && ignored_by_default(sig) {
                st.pending.discard(sig);
            }
        }
        old
    };
    if let (Some(n), SIGCHLD) = (new, sig) {
        let auto_reap = |a: &SigAction| a.handler == SIG_IGN || a.flags & SA_NOCLDWAIT != 0;
        if auto_reap(&n) != auto_reap(&old) {
            super::fork::set_auto_reap(ctx, auto_reap(&n));
        }
    }
    if old_at != 0 {
        ctx.write_struct(old_at, &old)?;
    }
    Ok(0)
}

const SIG_BLOCK: u64 = 0;
const SIG_UNBLOCK: u64 = 1;
const SIG_SETMASK: u64 = 2;

/// Sets the calling thread's mask, and tells the thread registry (others route signals by it).
pub fn set_mask(ctx: &Ctx, thread: &mut Thread, mask: u64) {
    thread.sigmask = mask & !UNBLOCKABLE;
    ctx.p.publish_mask(thread.tid, thread.sigmask);
}

fn rt_sigprocmask(ctx: &mut Ctx) -> LxResult {
    let (how, new_at, old_at, size) = (ctx.args[0], ctx.args[1], ctx.args[2], ctx.args[3]);
    if size != 8 {
        return Err(EINVAL);
    }
    let old = ctx.thread.sigmask;
    if new_at != 0 {
        let set: u64 = ctx.read_struct(new_at)?;
        let mask = match how {
            SIG_BLOCK => old | set,
            SIG_UNBLOCK => old & !set,
            SIG_SETMASK => set,
            _ => return Err(EINVAL),
        };
        let p = ctx.p;
        ctx.thread.sigmask = mask & !UNBLOCKABLE;
        p.publish_mask(ctx.thread.tid, ctx.thread.sigmask);
    }
    if old_at != 0 {
        ctx.write_struct(old_at, &old)?;
    }
    Ok(0)
}

fn rt_sigpending(ctx: &mut Ctx) -> LxResult {
    if ctx.args[1] > 8 {
        return Err(EINVAL);
    }
    let pending = (ctx.p.signals.lock().pending.bits | ctx.thread.pending.bits) & ctx.thread.sigmask;
    let bytes = pending.to_le_bytes();
    let out = ctx.guest_bytes_mut(ctx.args[0], ctx.args[1] as usize)?;
    out.copy_from_slice(&bytes[..out.len()]);
    Ok(0)
}

fn rt_sigreturn(ctx: &mut Ctx) -> LxResult {
    let frame_at = ctx.regs.rsp.wrapping_sub(8);
    let Ok(frame) = ctx.read_struct::<RtSigframe>(frame_at) else {
        // A corrupt frame kills the process with SIGSEGV, as on Linux.
        ctx.p.platform.die_of_signal(SIGSEGV)
    };
    let saved = frame.uc.mcontext;
    let host = *ctx.regs;
    // Everything the guest may change comes back; segment selectors and the FP area pointer stay
    // the host's, and the FP contents are copied into the host's area.
    *ctx.regs = Sigcontext { cs: host.cs, gs: host.gs, fs: host.fs, ss: host.ss, fpstate: host.fpstate, ..saved };
    // User-changeable flags only (CF PF AF ZF SF TF DF OF AC RF).
    const USER_FLAGS: u64 = 0x0005_0dd5;
    ctx.regs.eflags = (host.eflags & !USER_FLAGS) | (saved.eflags & USER_FLAGS);
    if saved.fpstate != 0 && host.fpstate != 0 {
        ctx.p.platform.fp_area_needed(host.fpstate);
        // SAFETY: the host area was written by the host kernel for this frame.
        let size = unsafe { sigframe::fpstate_size(host.fpstate) };
        if let Ok(bytes) = ctx.guest_bytes(saved.fpstate, size) {
            // Keep the kernel's software-reserved description of its own area (bytes 464..512).
            // SAFETY: both areas are `size` bytes long; the host one is ours to write.
            unsafe {
                let dst = host.fpstate as *mut u8;
                core::ptr::copy_nonoverlapping(bytes.as_ptr(), dst, 464);
                if size > 512 {
                    core::ptr::copy_nonoverlapping(bytes.as_ptr().add(512), dst.add(512), size - 512 - 4);
                }
            }
        }
    }
    let p = ctx.p;
    ctx.thread.sigmask = frame.uc.sigmask & !UNBLOCKABLE;
    p.publish_mask(ctx.thread.tid, ctx.thread.sigmask);
    let st = frame.uc.stack;
    if st.flags & SS_DISABLE != 0 {
        ctx.thread.altstack = (0, SS_DISABLE, 0);
    } else if st.size >= MINSIGSTKSZ {
        ctx.thread.altstack = (st.sp, st.flags & SS_AUTODISARM, st.size);
    }
    ctx.regs_replaced = true;
    Ok(ctx.regs.rax)
}

/// Waits until a signal outside `mask` is pending, with `mask` as the thread's mask meanwhile;
/// the mask from before goes into the frame, so the handler's return restores it.
fn suspend_with(ctx: &mut Ctx, mask: u64) -> LxResult {
    let p = ctx.p;
    let old = ctx.thread.sigmask;
    ctx.thread.saved_sigmask = Some(old);
    ctx.thread.sigmask = mask & !UNBLOCKABLE;
    p.publish_mask(ctx.thread.tid, ctx.thread.sigmask);
    loop {
        p.take_host_signals(ctx.thread);
        if p.deliverable(ctx.thread).is_some() {
            return Err(EINTR);
        }
        p.platform.wait_for_signal(None);
    }
}

fn rt_sigsuspend(ctx: &mut Ctx) -> LxResult {
    if ctx.args[1] != 8 {
        return Err(EINVAL);
    }
    let mask: u64 = ctx.read_struct(ctx.args[0])?;
    suspend_with(ctx, mask)
}

fn pause(ctx: &mut Ctx) -> LxResult {
    let mask = ctx.thread.sigmask;
    suspend_with(ctx, mask)
}

fn rt_sigtimedwait(ctx: &mut Ctx) -> LxResult {
    let (set_at, info_at, timeout_at, size) = (ctx.args[0], ctx.args[1], ctx.args[2], ctx.args[3]);
    if size != 8 {
        return Err(EINVAL);
    }
    let set: u64 = ctx.read_struct::<u64>(set_at)? & !UNBLOCKABLE;
    let timeout = super::poll::read_timespec(ctx, timeout_at)?.map(|ts| (ts.tv_sec, ts.tv_nsec));
    let p = ctx.p;
    // The deadline is measured once: wait_for_signal answers whether it passed.
    let mut deadline = timeout;
    loop {
        p.take_host_signals(ctx.thread);
        if let Some((sig, info)) = p.take_pending(ctx.thread, set) {
            if info_at != 0 {
                ctx.write_struct(info_at, &info)?;
            }
            return Ok(sig as u64);
        }
        // Signals the thread does not wait for but may take interrupt the wait.
        if p.deliverable(ctx.thread).is_some() {
            return Err(EINTR);
        }
        if deadline == Some((0, 0)) {
            return Err(EAGAIN);
        }
        if !p.platform.wait_for_signal(deadline.as_mut()) {
            deadline = Some((0, 0));
        }
    }
}

fn own_pid(ctx: &mut Ctx) -> Result<i32, crate::Errno> {
    Ok(ctx.nb(abi_netbsd::nr::SYS_getpid, [0; 6])?[0] as i32)
}

fn own_uid(ctx: &mut Ctx) -> u32 {
    ctx.nb(abi_netbsd::nr::SYS_getuid, [0; 6]).map(|r| r[0] as u32).unwrap_or(0)
}

fn kill(ctx: &mut Ctx) -> LxResult {
    let (pid, sig) = (ctx.int(0), ctx.args[1] as u32);
    if sig != 0 && !valid(sig) {
        return Err(EINVAL);
    }
    let own = own_pid(ctx)?;
    let info = Siginfo::from_process(sig, sigframe::SI_USER, own, own_uid(ctx));
    if pid > 0 {
        return kill_one(ctx, own, pid, info);
    }
    // 0: our process group; -1: every other process of the run but init; -pgrp: that group.
    let group = match pid {
        0 => Some(pgid_of(ctx, 0)?),
        -1 => None,
        _ => Some(pid.checked_neg().ok_or(ESRCH)?),
    };
    kill_many(ctx, own, group, info)
}

/// A signal from the kernel (si_code SI_KERNEL, as Linux's kill_pgrp with priv) to the caller's
/// own process group: job control's SIGTTIN/SIGTTOU.
pub fn kill_own_group(ctx: &mut Ctx, sig: u32) -> LxResult {
    let group = pgid_of(ctx, 0)?;
    kernel_kill_group(ctx, group, sig)
}

/// A signal from the kernel (si_code SI_KERNEL) to process group `pgrp`.
pub fn kernel_kill_group(ctx: &mut Ctx, pgrp: i32, sig: u32) -> LxResult {
    let own = own_pid(ctx)?;
    let info = Siginfo::from_process(sig, sigframe::SI_KERNEL, 0, 0);
    kill_many(ctx, own, Some(pgrp), info)
}

/// kill(2) to a group (`Some(pgrp)`) or to every process but init and the caller (`None`).
fn kill_many(ctx: &mut Ctx, own: i32, group: Option<i32>, info: Siginfo) -> LxResult {
    let mut sent = 0;
    for (guest, _) in ctx.p.platform.run_processes() {
        let member = match group {
            Some(g) => pgid_of(ctx, guest).is_ok_and(|p| p == g),
            // Linux's kill(-1) spares init and the caller itself.
            None => guest != 1 && guest != own,
        };
        if member && kill_one(ctx, own, guest, info).is_ok() {
            sent += 1;
        }
    }
    if let (0, Some(g)) = (sent, group) {
        // A lone process (no fork yet) is its own group's only member.
        if g == pgid_of(ctx, 0)? {
            return kill_one(ctx, own, own, info);
        }
        return Err(ESRCH);
    }
    Ok(0)
}

fn pgid_of(ctx: &mut Ctx, pid: i32) -> Result<i32, crate::Errno> {
    Ok(ctx.nb(abi_netbsd::nr::SYS_getpgid, [pid as u32 as u64, 0, 0, 0, 0, 0])?[0] as i32)
}

/// Sends to one process of the run: this one, a child, or any other the kernel's process knows.
fn kill_one(ctx: &mut Ctx, own: i32, pid: i32, info: Siginfo) -> LxResult {
    if pid == own {
        if info.signo != 0 {
            ctx.p.send_process(ctx.thread, info);
        }
        return Ok(0);
    }
    let child = ctx.p.children.lock().iter().find(|(g, _)| *g == pid).map(|(_, h)| *h);
    // A process the kernel no longer has is gone (its host pid may be someone else's by now);
    // while the kernel has it, its host process is alive or a zombie, so the pid is still its.
    pgid_of(ctx, pid).map_err(|_| ESRCH)?;
    let host = child.or_else(|| ctx.p.platform.host_pid_of(pid)).ok_or(ESRCH)?;
    if info.signo != 0 {
        ctx.p.send_other_process(host, info)?;
    }
    Ok(0)
}

fn send_to_thread(ctx: &mut Ctx, tgid: i32, tid: i32, info: Siginfo) -> LxResult {
    if tgid != -1 && tgid != own_pid(ctx)? {
        return Err(ESRCH);
    }
    if info.signo == 0 {
        return if ctx.p.thread_exists(tid) { Ok(0) } else { Err(ESRCH) };
    }
    ctx.p.send_thread(ctx.thread, tid, info)?;
    Ok(0)
}

fn tgkill(ctx: &mut Ctx) -> LxResult {
    let (tgid, tid, sig) = (ctx.int(0), ctx.int(1), ctx.args[2] as u32);
    if tgid <= 0 || tid <= 0 || sig != 0 && !valid(sig) {
        return Err(EINVAL);
    }
    let own = own_pid(ctx)?;
    let info = Siginfo::from_process(sig, sigframe::SI_TKILL, own, own_uid(ctx));
    send_to_thread(ctx, tgid, tid, info)
}

fn tkill(ctx: &mut Ctx) -> LxResult {
    let (tid, sig) = (ctx.int(0), ctx.args[1] as u32);
    if tid <= 0 || sig != 0 && !valid(sig) {
        return Err(EINVAL);
    }
    let own = own_pid(ctx)?;
    let info = Siginfo::from_process(sig, sigframe::SI_TKILL, own, own_uid(ctx));
    send_to_thread(ctx, -1, tid, info)
}

/// The caller's siginfo for rt_(tg)sigqueueinfo: a process may not pretend to be the kernel.
fn queued_info(ctx: &Ctx, sig: u32, at: u64) -> Result<Siginfo, crate::Errno> {
    if !valid(sig) {
        return Err(EINVAL);
    }
    let mut info: Siginfo = ctx.read_struct(at)?;
    if info.code >= 0 || info.code == sigframe::SI_TKILL {
        return Err(EPERM);
    }
    info.signo = sig as i32;
    Ok(info)
}

fn rt_sigqueueinfo(ctx: &mut Ctx) -> LxResult {
    let (pid, sig) = (ctx.int(0), ctx.args[1] as u32);
    let info = queued_info(ctx, sig, ctx.args[2])?;
    if pid <= 0 {
        // Linux looks the pid up as given: no process has 0 or a negative one.
        return Err(ESRCH);
    }
    let own = own_pid(ctx)?;
    kill_one(ctx, own, pid, info)
}

fn rt_tgsigqueueinfo(ctx: &mut Ctx) -> LxResult {
    let (tgid, tid, sig) = (ctx.int(0), ctx.int(1), ctx.args[2] as u32);
    let info = queued_info(ctx, sig, ctx.args[3])?;
    send_to_thread(ctx, tgid, tid, info)
}

fn sigaltstack(ctx: &mut Ctx) -> LxResult {
    let (new_at, old_at) = (ctx.args[0], ctx.args[1]);
    let (sp, flags, size) = ctx.thread.altstack;
    let on = size != 0 && ctx.regs.rsp > sp && ctx.regs.rsp <= sp + size;
    let old = StackT {
        sp,
        flags: if on { SS_ONSTACK } else if size == 0 { SS_DISABLE } else { flags },
        _pad: 0,
        size,
    };
    if new_at != 0 {
        let new: StackT = ctx.read_struct(new_at)?;
        if on {
            return Err(EPERM);
        }
        let mode = new.flags & !SS_AUTODISARM;
        if mode != 0 && mode != SS_DISABLE && mode != SS_ONSTACK {
            return Err(EINVAL);
        }
        if mode == SS_DISABLE {
            ctx.thread.altstack = (0, SS_DISABLE, 0);
        } else {
            if new.size < MINSIGSTKSZ {
                return Err(ENOMEM);
            }
            ctx.thread.altstack = (new.sp, new.flags & SS_AUTODISARM, new.size);
        }
    }
    if old_at != 0 {
        ctx.write_struct(old_at, &old)?;
    }
    Ok(0)
}

/// What happens to a signal that is due.
pub enum Disposition {
    Ignore,
    Terminate,
    /// Stop until SIGCONT (the whole process, as a shell's job).
    Stop,
    Handle(SigAction),
}

pub fn disposition(action: &SigAction, sig: u32) -> Disposition {
    match action.handler {
        SIG_IGN => Disposition::Ignore,
        SIG_DFL if ignored_by_default(sig) => Disposition::Ignore,
        SIG_DFL if stops_by_default(sig) => Disposition::Stop,
        SIG_DFL => Disposition::Terminate,
        _ => Disposition::Handle(*action),
    }
}

/// Builds the Linux signal frame for `sig` on the thread's stack (or its alternate stack) and points
/// the registers at the handler. Fails when the frame cannot be written (the caller then kills the
/// process with SIGSEGV, as Linux does).
pub fn push_frame(p: &crate::dispatch::Personality, thread: &mut Thread, regs: &mut Sigcontext, sig: u32, action: &SigAction, info: &Siginfo) -> Result<(), crate::Errno> {
    let (ss_sp, ss_flags, ss_size) = thread.altstack;
    let on_alt = ss_size != 0 && regs.rsp > ss_sp && regs.rsp <= ss_sp + ss_size;
    let use_alt = action.flags & SA_ONSTACK != 0 && ss_size != 0 && !on_alt;
    // Below the interrupted code's red zone, or at the top of the alternate stack.
    let mut sp = if use_alt { ss_sp + ss_size } else { regs.rsp.wrapping_sub(128) };
    let top = sp;
    if regs.fpstate != 0 {
        p.platform.fp_area_needed(regs.fpstate);
    }
    // SAFETY: a non-zero fpstate points at the host kernel's FP area for this frame.
    let fp_size = if regs.fpstate != 0 { unsafe { sigframe::fpstate_size(regs.fpstate) } } else { 0 };
    sp = sp.wrapping_sub(fp_size as u64) & !63;
    let fp_at = sp;
    sp = (sp.wrapping_sub(core::mem::size_of::<RtSigframe>() as u64) & !15).wrapping_sub(8);
    let mm = p.mm.lock();
    if top < sp || !mm.contains(sp, top - sp, Access::Write) {
        return Err(EFAULT);
    }
    drop(mm);
    if fp_size != 0 {
        // SAFETY: the host area is fp_size bytes; the guest range was checked writable.
        unsafe { core::ptr::copy_nonoverlapping(regs.fpstate as *const u8, fp_at as *mut u8, fp_size) };
    }
    let saved_mask = thread.saved_sigmask.take().unwrap_or(thread.sigmask);
    let mut mcontext = Sigcontext { fpstate: if fp_size != 0 { fp_at } else { 0 }, oldmask: saved_mask, ..*regs };
    if matches!(sig, 4 | 7 | 8 | 11) {
        mcontext.cr2 = info.fields[0];
    }
    let frame = RtSigframe {
        pretcode: action.restorer,
        uc: Ucontext {
            // SAFETY: as above.
            flags: UC_FLAGS | if fp_size != 0 && unsafe { sigframe::fpstate_is_xsave(regs.fpstate) } { sigframe::UC_FP_XSTATE } else { 0 },
            link: 0,
            stack: StackT {
                sp: ss_sp,
                flags: if ss_size == 0 { SS_DISABLE } else if on_alt { SS_ONSTACK } else { ss_flags },
                _pad: 0,
                size: ss_size,
            },
            mcontext,
            sigmask: saved_mask,
        },
        info: *info,
    };
    // SAFETY: checked writable above.
    unsafe { core::ptr::write_unaligned(sp as *mut RtSigframe, frame) };
    regs.rsp = sp;
    regs.rip = action.handler;
    regs.rdi = sig as u64;
    regs.rsi = sp + core::mem::offset_of!(RtSigframe, info) as u64;
    regs.rdx = sp + core::mem::offset_of!(RtSigframe, uc) as u64;
    regs.rax = 0;
    // The handler starts with the direction and trap flags clear.
    regs.eflags &= !(0x400 | 0x100);
    if use_alt && ss_flags & SS_AUTODISARM != 0 {
        thread.altstack = (0, SS_DISABLE, 0);
    }
    let mut mask = saved_mask | action.mask;
    if action.flags & SA_NODEFER == 0 {
        mask |= bit(sig);
    }
    thread.sigmask = mask & !UNBLOCKABLE;
    p.publish_mask(thread.tid, thread.sigmask);
    if action.flags & SA_RESETHAND != 0 {
        let mut st = p.signals.lock();
        st.actions[sig as usize - 1] = SigAction { handler: SIG_DFL, flags: action.flags & !SA_SIGINFO, ..*action };
    }
    Ok(())
}

const UC_FLAGS: u64 = sigframe::UC_SIGCONTEXT_SS | sigframe::UC_STRICT_RESTORE_SS;
