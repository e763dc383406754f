//! Backend extensions for job control on terminals (Linux's rules, which a Linux program relies
//! on and NetBSD's tty layer states its own way): the kernel knows sessions, groups and which
//! session a terminal controls; the caller knows its signal dispositions. So an access by a
//! background process fails with one of these pseudo-errnos (negative, as NetBSD's kernel-internal
//! ERESTART, so no errno value collides), and the caller does what Linux's `__tty_check_change`
//! does with it.
//!
//! - [`EBGREAD`]: a read of its controlling terminal by a process of a background group (not
//!   orphaned: for an orphaned one the kernel answers EIO itself). The caller answers EIO when it
//!   ignores or blocks SIGTTIN; else it sends SIGTTIN to its own process group and restarts the
//!   call once that signal is taken (the stop, or a handler: then EINTR unless SA_RESTART).
//! - [`EBGCHANGE`]: a write with TOSTOP set, or a change of the terminal (its settings, a flush,
//!   flow control, the foreground group), by a background process. The caller goes ahead when it
//!   ignores or blocks SIGTTOU (`SYS_EXT_tty_pass`, then the same call again); else it sends
//!   SIGTTOU to its group and restarts as above.
//! - [`EBGCHANGE_ORPHANED`]: the same from an orphaned group: go ahead if SIGTTOU is ignored or
//!   blocked, else EIO.
//!
//! Calls:
//! - `SYS_EXT_tty_pass(void)`: the calling lwp's next job-control check on a terminal lets it
//!   through (its SIGTTOU is ignored or blocked).
//! - `SYS_EXT_tty_foreground(void)`: 1 when a keyboard signal from the terminal rumplx runs on
//!   (its host sends ^C, ^Z, ^\ and window changes to every process of the run) is for the
//!   caller: its group is that terminal's foreground group in the guest's sessions (1 as well
//!   when rumplx has no terminal; 0 when the terminal controls no guest session any more).
//! - `SYS_EXT_tty_leader_exit(void)`: the caller, a session leader, is ending: its controlling
//!   terminal is freed now and the answer is the terminal's foreground group (0: none, or the
//!   caller leads no session with a terminal), which the caller sends SIGHUP, as Linux's
//!   disassociate_ctty does at a leader's exit.
//!
//! Terminal signals for pseudo-terminals the guest opened. The host's line discipline turns the
//! INTR, QUIT and SUSP characters written to a master (ISIG on) into signals for the host's
//! foreground group of that terminal, and a window size change into SIGWINCH; the guest's
//! sessions are not the host's, so the host has none and signals nobody. The kernel then says
//! whom to signal in the second return value of the call that caused it (write and writev of a
//! master, TIOCSWINSZ on either side of a terminal other than rumplx's own), a word made by
//! [`tty_signals`]: the caller sends those signals (SI_KERNEL) to that group, as the terminal
//! would have. Zero, or any value without the [`TTY_SIGNALS_TAG`], means nothing to send.
//!
//! NetBSD's rump kernel has no host terminals and answers ENOSYS to both calls; it never
//! produces the pseudo-errnos.
#![allow(non_upper_case_globals)]

use crate::ext_events::SYS_EXT_BASE;
use abi_netbsd::Errno;

pub const EBGREAD: Errno = Errno(-0x5259);
pub const EBGCHANGE: Errno = Errno(-0x525a);
pub const EBGCHANGE_ORPHANED: Errno = Errno(-0x525b);

pub const SYS_EXT_tty_pass: u32 = SYS_EXT_BASE + 0x30;
pub const SYS_EXT_tty_foreground: u32 = SYS_EXT_BASE + 0x31;
pub const SYS_EXT_tty_leader_exit: u32 = SYS_EXT_BASE + 0x32;

/// Marks a second return value that names terminal signals ("RT" in the top 16 bits).
pub const TTY_SIGNALS_TAG: u64 = 0x5254 << 48;

/// The signals a terminal sends, Linux's numbers.
pub const SIGINT: u32 = 2;
pub const SIGQUIT: u32 = 3;
pub const SIGTSTP: u32 = 20;
pub const SIGWINCH: u32 = 28;

/// Every signal a terminal sends; bit i of the word's signal set (bits 32..48) stands for the
/// i-th.
pub const TERMINAL_SIGNALS: [u32; 4] = [SIGINT, SIGQUIT, SIGTSTP, SIGWINCH];

/// The second return value asking the caller to send `signals` (from [`TERMINAL_SIGNALS`]) to
/// process group `pgrp`.
pub fn tty_signals(signals: &[u32], pgrp: i32) -> u64 {
    let set = TERMINAL_SIGNALS
        .iter()
        .enumerate()
        .filter(|(_, s)| signals.contains(s))
        .fold(0u64, |acc, (i, _)| acc | 1 << i);
    TTY_SIGNALS_TAG | set << 32 | pgrp as u32 as u64
}

/// Reads a second return value: the signals to send and the group, if it names any.
pub fn decode_tty_signals(word: u64) -> Option<(impl Iterator<Item = u32>, i32)> {
    if word & (0xffff << 48) != TTY_SIGNALS_TAG {
        return None;
    }
    let set = (word >> 32) & 0xffff;
    let sigs = TERMINAL_SIGNALS.into_iter().enumerate().filter(move |(i, _)| set & (1 << i) != 0).map(|(_, s)| s);
    Some((sigs, word as u32 as i32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signal_words_round_trip() {
        let w = tty_signals(&[SIGINT, SIGTSTP], 1234);
        let (sigs, g) = decode_tty_signals(w).unwrap();
        assert_eq!((sigs.collect::<Vec<_>>(), g), (vec![SIGINT, SIGTSTP], 1234));
        assert!(decode_tty_signals(0).is_none());
        assert!(decode_tty_signals(5).is_none());
    }
}
