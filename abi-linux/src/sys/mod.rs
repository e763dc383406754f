//! Syscall handlers and their table entries, one module per family (like compat_linux's
//! linux_file.c, linux_misc.c, …).

pub mod epoll;
pub mod eventfd;
pub mod exec;
pub mod file;
pub mod fork;
pub mod futex;
pub mod jobctl;
pub mod mem;
pub mod net;
pub mod poll;
pub mod procfs;
pub mod process;
pub mod sigframe;
pub mod signal;
pub mod signalfd;
pub mod thread;
pub mod time;
pub mod timer;

use crate::table::Entry;

/// Every family's entries; [`crate::table::Table::new`] gathers them.
pub const FAMILIES: &[&[Entry]] = &[file::ENTRIES, signal::ENTRIES, mem::ENTRIES, process::ENTRIES, time::ENTRIES, futex::ENTRIES, thread::ENTRIES, timer::ENTRIES, exec::ENTRIES, fork::ENTRIES, net::ENTRIES, poll::ENTRIES, epoll::ENTRIES, eventfd::ENTRIES, signalfd::ENTRIES];
