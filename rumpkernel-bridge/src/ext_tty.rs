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
