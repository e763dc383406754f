//! Job control on terminals, the personality's half: the kernel says when a background process
//! touches its controlling terminal (`rumpkernel_bridge::ext_tty`), and this module does what
//! Linux's `__tty_check_change` does next, since only the process knows its signal dispositions.
//! Also the filter that keeps keyboard signals from the host's terminal for the guest's
//! foreground process group.

use crate::dispatch::Ctx;
use crate::sys::signal::{self, Disposition};
use rumpkernel_bridge::ext_tty as et;

const SIGTTIN: u32 = 21;
const SIGTTOU: u32 = 22;

/// What to do after the kernel refused a terminal access with errno `e`: `Some(Ok(()))` to make
/// the same call again (allowed through), `Some(Err(errno))` to fail it (EINTR restarts it once
/// the job-control signal is taken, as Linux's -ERESTARTSYS), `None` when `e` is no job-control
/// answer.
pub fn after_refusal(ctx: &mut Ctx, e: abi_netbsd::Errno) -> Option<Result<(), abi_netbsd::Errno>> {
    use abi_netbsd::errno as ne;
    let (sig, orphaned) = match e {
        et::EBGREAD => (SIGTTIN, false),
        et::EBGCHANGE => (SIGTTOU, false),
        et::EBGCHANGE_ORPHANED => (SIGTTOU, true),
        _ => return None,
    };
    if ignored_or_blocked(ctx, sig) {
        // A reader that will not stop gets EIO; a writer that will not stop goes ahead.
        if sig == SIGTTIN {
            return Some(Err(ne::EIO));
        }
        return Some(ctx.nb_raw(et::SYS_EXT_tty_pass, [0; 6]).map(|_| ()));
    }
    if orphaned {
        return Some(Err(ne::EIO));
    }
    let _ = signal::kill_own_group(ctx, sig);
    Some(Err(ne::EINTR))
}

/// A session leader is ending (exit_group, or killed by a signal): its terminal's foreground
/// group gets SIGHUP, as Linux's disassociate_ctty sends at a leader's exit.
pub fn leader_exit(ctx: &mut Ctx) {
    if let Ok([fg, _]) = ctx.nb_raw(et::SYS_EXT_tty_leader_exit, [0; 6]) {
        if fg != 0 {
            let _ = signal::kernel_kill_group(ctx, fg as i32, signal::SIGHUP);
        }
    }
}

/// Linux's `is_ignored`: the thread blocks the signal or its action is SIG_IGN.
fn ignored_or_blocked(ctx: &mut Ctx, sig: u32) -> bool {
    let action = ctx.p.signals.lock().actions[sig as usize - 1];
    ctx.thread.sigmask & signal::bit(sig) != 0 || matches!(signal::disposition(&action, sig), Disposition::Ignore)
}

/// Keyboard signals a terminal sends to its foreground group (Linux: si_code SI_KERNEL).
pub fn is_keyboard_signal(sig: u32, code: i32) -> bool {
    code == crate::sys::sigframe::SI_KERNEL && et::TERMINAL_SIGNALS.contains(&sig)
}
