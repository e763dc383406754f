//! Signals: the guest's dispositions, masks and alternate stack are virtual (rumplx owns every
//! host disposition). Sending a signal to the process itself applies the default action when the
//! guest has no handler; running guest handlers (building Linux signal frames) comes with the
//! threads-and-signals issue and answers ENOSYS until then, never a silent success.

use syscalls::Sysno;

use crate::dispatch::Ctx;
use crate::errno::{EINVAL, ENOSYS, EPERM, ESRCH};
use crate::table::{entry, Arg, Entry, Family::Signals, Ret, Route, Support};
use crate::LxResult;

/// Number of Linux signals (1..=64).
pub const NSIG: usize = 64;
const SIG_DFL: u64 = 0;
const SIG_IGN: u64 = 1;
const SIGKILL: u32 = 9;
const SIGSTOP: u32 = 19;

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

/// The guest's signal dispositions (Linux numbering), shared by all its threads.
#[derive(Debug)]
pub struct SignalState {
    pub actions: [SigAction; NSIG],
    /// Signals sent to the process and not yet acted on (blocked when sent).
    pub pending: u64,
}

impl Default for SignalState {
    fn default() -> Self {
        SignalState { actions: [SigAction::default(); NSIG], pending: 0 }
    }
}

const RESTORER_NOTE: &str = "dispositions and masks are recorded; running guest handlers comes with signal delivery (threads-and-signals issue): sending a caught signal answers ENOSYS";

pub const ENTRIES: &[Entry] = &[
    entry(Sysno::rt_sigaction as u32, "rt_sigaction", Signals, &[Arg::Signal, Arg::Ptr, Arg::Ptr, Arg::Len], Ret::Int, Route::Layer(rt_sigaction), Support::Partial(RESTORER_NOTE)),
    entry(Sysno::rt_sigprocmask as u32, "rt_sigprocmask", Signals, &[Arg::Int, Arg::Ptr, Arg::Ptr, Arg::Len], Ret::Int, Route::Layer(rt_sigprocmask), Support::Full),
    entry(Sysno::rt_sigpending as u32, "rt_sigpending", Signals, &[Arg::Ptr, Arg::Len], Ret::Int, Route::Layer(rt_sigpending), Support::Full),
    entry(Sysno::sigaltstack as u32, "sigaltstack", Signals, &[Arg::Ptr, Arg::Ptr], Ret::Int, Route::Layer(sigaltstack), Support::Partial("recorded; used once signal delivery exists")),
    entry(Sysno::kill as u32, "kill", Signals, &[Arg::Int, Arg::Signal], Ret::Int, Route::Layer(kill), Support::Partial("to the process itself only; default actions and ignored signals only")),
    entry(Sysno::tgkill as u32, "tgkill", Signals, &[Arg::Int, Arg::Int, Arg::Signal], Ret::Int, Route::Layer(tgkill), Support::Partial("to the calling thread only; default actions and ignored signals only")),
    entry(Sysno::tkill as u32, "tkill", Signals, &[Arg::Int, Arg::Signal], Ret::Int, Route::Layer(tkill), Support::Partial("to the calling thread only; default actions and ignored signals only")),
];

fn bit(sig: u32) -> u64 {
    1u64 << (sig - 1)
}

fn valid(sig: u32) -> bool {
    (1..=NSIG as u32).contains(&sig)
}

/// Signals whose default action is to do nothing.
fn ignored_by_default(sig: u32) -> bool {
    // SIGCHLD, SIGCONT, SIGURG, SIGWINCH; the stop signals stop nothing without a job-control parent.
    matches!(sig, 17 | 18 | 23 | 28 | 20 | 21 | 22)
}

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
            n.mask &= !(bit(SIGKILL) | bit(SIGSTOP));
            st.actions[sig as usize - 1] = n;
        }
        old
    };
    if old_at != 0 {
        ctx.write_struct(old_at, &old)?;
    }
    Ok(0)
}

const SIG_BLOCK: u64 = 0;
const SIG_UNBLOCK: u64 = 1;
const SIG_SETMASK: u64 = 2;

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
        ctx.thread.sigmask = mask & !(bit(SIGKILL) | bit(SIGSTOP));
    }
    if old_at != 0 {
        ctx.write_struct(old_at, &old)?;
    }
    act_on_pending(ctx)?;
    Ok(0)
}

fn rt_sigpending(ctx: &mut Ctx) -> LxResult {
    if ctx.args[1] != 8 {
        return Err(EINVAL);
    }
    let pending = ctx.p.signals.lock().pending & ctx.thread.sigmask;
    ctx.write_struct(ctx.args[0], &pending)?;
    Ok(0)
}

/// Linux `stack_t`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
struct StackT {
    sp: u64,
    flags: i32,
    _pad: i32,
    size: u64,
}

const SS_DISABLE: i32 = 2;
const SS_AUTODISARM: i32 = 1 << 31;
const MINSIGSTKSZ: u64 = 2048;

fn sigaltstack(ctx: &mut Ctx) -> LxResult {
    let (new_at, old_at) = (ctx.args[0], ctx.args[1]);
    let (sp, flags, size) = ctx.thread.altstack;
    let old = StackT { sp, flags: if size == 0 { SS_DISABLE } else { flags }, _pad: 0, size };
    if new_at != 0 {
        let new: StackT = ctx.read_struct(new_at)?;
        if new.flags & !(SS_DISABLE | SS_AUTODISARM) != 0 {
            return Err(EINVAL);
        }
        if new.flags & SS_DISABLE != 0 {
            ctx.thread.altstack = (0, SS_DISABLE, 0);
        } else {
            if new.size < MINSIGSTKSZ {
                return Err(crate::errno::ENOMEM);
            }
            ctx.thread.altstack = (new.sp, new.flags, new.size);
        }
    }
    if old_at != 0 {
        ctx.write_struct(old_at, &old)?;
    }
    Ok(0)
}

/// Sends `sig` to this process: ignored, left pending while blocked, or its default action.
fn send_self(ctx: &mut Ctx, sig: u32) -> LxResult {
    if sig == 0 {
        return Ok(0);
    }
    if !valid(sig) {
        return Err(EINVAL);
    }
    let action = ctx.p.signals.lock().actions[sig as usize - 1];
    if action.handler == SIG_IGN || action.handler == SIG_DFL && ignored_by_default(sig) {
        return Ok(0);
    }
    if action.handler != SIG_DFL {
        return Err(ENOSYS);
    }
    ctx.p.signals.lock().pending |= bit(sig);
    act_on_pending(ctx)?;
    Ok(0)
}

/// Acts on pending signals that are not blocked: with the default action, the process dies.
fn act_on_pending(ctx: &mut Ctx) -> Result<(), crate::Errno> {
    let ready = ctx.p.signals.lock().pending & !ctx.thread.sigmask;
    if ready == 0 {
        return Ok(());
    }
    let sig = ready.trailing_zeros() + 1;
    ctx.p.signals.lock().pending &= !bit(sig);
    ctx.p.platform.die_of_signal(sig)
}

fn own_pid(ctx: &mut Ctx) -> Result<i32, crate::Errno> {
    Ok(ctx.nb(abi_netbsd::nr::SYS_getpid, [0; 6])?[0] as i32)
}

fn kill(ctx: &mut Ctx) -> LxResult {
    let (pid, sig) = (ctx.int(0), ctx.args[1] as u32);
    let own = own_pid(ctx)?;
    // 0: our process group; -1: every process we may signal; -pgrp: a group. Only we exist.
    if pid == own || pid == 0 || pid == -1 || pid == -own {
        return send_self(ctx, sig);
    }
    if pid == 1 && own != 1 {
        return Err(EPERM);
    }
    Err(ESRCH)
}

fn tgkill(ctx: &mut Ctx) -> LxResult {
    let (tgid, tid, sig) = (ctx.int(0), ctx.int(1), ctx.args[2] as u32);
    if tgid <= 0 || tid <= 0 {
        return Err(EINVAL);
    }
    if tgid != own_pid(ctx)? || tid != ctx.thread.tid {
        return Err(ESRCH);
    }
    send_self(ctx, sig)
}

fn tkill(ctx: &mut Ctx) -> LxResult {
    let (tid, sig) = (ctx.int(0), ctx.args[1] as u32);
    if tid <= 0 {
        return Err(EINVAL);
    }
    if tid != ctx.thread.tid {
        return Err(ESRCH);
    }
    send_self(ctx, sig)
}
