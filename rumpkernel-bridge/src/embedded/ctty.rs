//! Controlling terminals and job control: which session a host terminal controls, its foreground
//! process group, and the check Linux's tty layer makes before a read, a write or a change of
//! the terminal by a process of the background (`__tty_check_change`).
//!
//! Terminals are the host's (the one rumplx runs on, and the pseudo-terminals the guest opens);
//! a terminal is known by the host's device number of its slave side. The kernel only decides who
//! is in the background: what follows (a SIGTTIN/SIGTTOU to the caller's group, or EIO when the
//! caller ignores or blocks it) depends on signal dispositions the kernel does not hold, so a
//! background access fails with an extension errno ([`crate::ext_tty`]) and the personality acts.
//!
//! Keyboard signals (^C, ^Z, ^\, a window change) are the host's: its terminal driver sends them
//! to every rumplx process in the host's foreground group, and each process's layer asks
//! [`Terminals::host_foreground`] whether its own guest group is the terminal's foreground one.

use super::proc::{Proc, ProcTable};
use crate::ext_tty;
use crate::Pid;
use abi_netbsd::errno as ne;
use abi_netbsd::Errno;
use hashbrown::HashMap;

/// A terminal: the host's `st_rdev` of its slave side.
pub type TtyId = u64;

/// What an open file description of a terminal reaches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TtyRef {
    pub id: TtyId,
    /// The master side of a pseudo-terminal: never subject to job control, and its TIOCGPGRP
    /// answers for the slave whoever asks (as Linux's `tty == real_tty` test).
    pub master: bool,
}

/// The session a terminal controls and that session's foreground group (Linux keeps both on
/// the tty: `tty->session`, `tty->pgrp`).
#[derive(Clone, Copy, Debug)]
pub struct Control {
    pub sid: Pid,
    pub pgrp: Pid,
}

#[derive(Default)]
pub struct Terminals {
    owned: HashMap<TtyId, Control>,
    /// The host's controlling terminal of rumplx itself: the terminal of the first session.
    pub host: Option<TtyId>,
}

std::thread_local! {
    /// Set by `SYS_EXT_tty_pass`: the next check of this host thread's lwp lets it through.
    static PASS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// `SYS_EXT_tty_pass`: the caller ignores or blocks SIGTTOU, so its next change goes ahead.
pub fn pass_next() {
    PASS.with(|p| p.set(true));
}

/// What a process is about to do with a terminal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// read(2): SIGTTIN for a background group.
    Read,
    /// write(2) with TOSTOP set, or a change of the terminal's settings (termios, flush, flow,
    /// foreground group): SIGTTOU for a background group.
    Change,
}

impl Terminals {
    pub fn control(&self, tty: TtyId) -> Option<Control> {
        self.owned.get(&tty).copied()
    }

    /// The first process's session is the one rumplx was started in: the host's terminal is
    /// its controlling terminal, and its group is in the foreground, as a shell leaves it.
    pub fn adopt_host(&mut self, host: Option<TtyId>, first: &mut Proc) {
        self.host = host;
        if let Some(t) = host {
            self.give(t, first);
        }
    }

    /// Whether a keyboard signal from the host's terminal is for a process of group `pgid`:
    /// when its session controls that terminal, only if it is the foreground group (and no one
    /// when the terminal controls no session, as Linux's tty with no group signals nobody).
    pub fn host_foreground(&self, p: &Proc) -> bool {
        let Some(host) = self.host else {
            return true;
        };
        self.owned.get(&host).is_some_and(|c| c.pgrp == p.pgid && c.sid == p.sid)
    }

    /// `tty` becomes the controlling terminal of `p` and of its session, `p`'s group in the
    /// foreground.
    fn give(&mut self, tty: TtyId, p: &mut Proc) {
        self.owned.insert(tty, Control { sid: p.sid, pgrp: p.pgid });
        p.ctty = Some(tty);
    }

    /// TIOCGPGRP / TIOCGSID: the terminal's control (None: it controls no session), for its
    /// session's members (or through the master side, for anyone).
    pub fn query(&self, p: &Proc, t: TtyRef) -> Result<Option<Control>, Errno> {
        if !t.master && p.ctty != Some(t.id) {
            return Err(ne::ENOTTY);
        }
        Ok(self.owned.get(&t.id).copied())
    }

    /// Linux's `__tty_check_change`, up to where signal dispositions matter: Ok when `p` may go
    /// ahead (not its controlling terminal, the master side, or its group is the foreground
    /// one), else the extension errno telling the personality what to do.
    pub fn check(&self, pt: &ProcTable, p: &Proc, t: TtyRef, access: Access) -> Result<(), Errno> {
        // A pass is for the very next check only.
        let pass = PASS.with(|p| p.replace(false));
        if t.master || p.ctty != Some(t.id) || (pass && access == Access::Change) {
            return Ok(());
        }
        match self.owned.get(&t.id) {
            Some(c) if c.pgrp != p.pgid => {}
            _ => return Ok(()),
        }
        let orphaned = orphaned(pt, p, p.pgid);
        Err(match (access, orphaned) {
            // SIGTTIN to an orphaned group would stop it for good: EIO whatever its disposition.
            (Access::Read, true) => ne::EIO,
            (Access::Read, false) => ext_tty::EBGREAD,
            (Access::Change, false) => ext_tty::EBGCHANGE,
            (Access::Change, true) => ext_tty::EBGCHANGE_ORPHANED,
        })
    }
}

/// TIOCSCTTY: session leader `p` (out of the table), without a controlling terminal, takes `tty`
/// unless another session has it (`steal`, root only, takes it anyway, as Linux's `arg == 1`).
pub fn acquire(pt: &mut ProcTable, p: &mut Proc, tty: TtyId, steal: bool) -> Result<(), Errno> {
    if p.sid == p.pid && p.ctty == Some(tty) {
        return Ok(());
    }
    if p.sid != p.pid || p.ctty.is_some() {
        return Err(ne::EPERM);
    }
    if let Some(c) = pt.terminals.control(tty) {
        if c.sid != p.sid {
            if !(steal && p.cred.is_root()) {
                return Err(ne::EPERM);
            }
            release(pt, tty);
        }
    }
    pt.terminals.give(tty, p);
    Ok(())
}

/// Linux's open of a terminal without O_NOCTTY: a session leader with no controlling terminal
/// gets this one if no session has it; nothing happens otherwise.
pub fn acquire_on_open(pt: &mut ProcTable, p: &mut Proc, tty: TtyId) {
    if p.sid == p.pid && p.ctty.is_none() && pt.terminals.control(tty).is_none() {
        pt.terminals.give(tty, p);
    }
}

/// TIOCNOTTY on the caller's (`p`, out of the table) controlling terminal: a session leader
/// gives it up for the whole session; anyone else only stops having it.
pub fn detach(pt: &mut ProcTable, p: &mut Proc, tty: TtyId) -> Result<(), Errno> {
    if p.ctty != Some(tty) {
        return Err(ne::ENOTTY);
    }
    p.ctty = None;
    if p.sid == p.pid {
        release(pt, tty);
    }
    Ok(())
}

/// `tty` controls no session any more; no process of the table has it as controlling terminal.
fn release(pt: &mut ProcTable, tty: TtyId) {
    if let Some(c) = pt.terminals.owned.remove(&tty) {
        for q in pt.procs.values_mut().filter(|q| q.sid == c.sid && q.ctty == Some(tty)) {
            q.ctty = None;
        }
    }
}

/// Session leader `leader` ended: its terminal is free (Linux's disassociate_ctty); answers the
/// terminal's foreground group, which the leader's layer sends SIGHUP when it ends by exit (this
/// kernel sends no signals).
pub fn leader_exited(pt: &mut ProcTable, leader: Pid) -> Option<Pid> {
    let mine: Vec<(TtyId, Pid)> = pt.terminals.owned.iter().filter(|(_, c)| c.sid == leader).map(|(t, c)| (*t, c.pgrp)).collect();
    for (t, _) in &mine {
        release(pt, *t);
    }
    mine.first().map(|(_, fg)| *fg)
}

/// TIOCSPGRP by `p` (out of the table): its terminal's foreground group becomes `pgrp`, a group
/// of its session.
pub fn set_foreground(pt: &mut ProcTable, p: &Proc, tty: TtyId, pgrp: Pid) -> Result<(), Errno> {
    match pt.terminals.control(tty) {
        Some(c) if p.ctty == Some(tty) && c.sid == p.sid => {}
        _ => return Err(ne::ENOTTY),
    }
    if pgrp < 0 {
        return Err(ne::EINVAL);
    }
    let in_group = |q: &Proc| q.pgid == pgrp && !q.zombie;
    let sid = if in_group(p) { Some(p.sid) } else { pt.procs.values().find(|q| in_group(q)).map(|q| q.sid) };
    match sid {
        None => Err(ne::ESRCH),
        Some(s) if s != p.sid => Err(ne::EPERM),
        Some(_) => {
            pt.terminals.owned.insert(tty, Control { sid: p.sid, pgrp });
            Ok(())
        }
    }
}

/// POSIX's orphaned process group: no member has a parent in another group of the same session.
/// The notional init (the parent of the run's first process) stands for the shell rumplx was
/// started from, which is in the first session but not in its group, as a shell's job is.
fn orphaned(pt: &ProcTable, caller: &Proc, pgrp: Pid) -> bool {
    let members = std::iter::once(caller).chain(pt.procs.values()).filter(|q| q.pgid == pgrp && !q.zombie);
    !members.into_iter().any(|m| {
        if m.ppid == super::INIT_PID {
            return m.sid == super::INIT_PID;
        }
        let parent = if m.ppid == caller.pid { Some(caller) } else { pt.procs.get(&m.ppid) };
        parent.is_some_and(|pp| pp.pgid != pgrp && pp.sid == m.sid)
    })
}
