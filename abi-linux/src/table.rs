//! The syscall table: every Linux x86_64 syscall, by number, with its name, argument kinds (for the
//! tracer and for checking guest pointers), family, support level and route.
//!
//! Entries are written next to their handlers, one module per family (`sys::file`, `sys::mem`, …);
//! [`Table::new`] gathers them and fills every other number with an `Unsupported` entry named after
//! the `syscalls` crate's list, so no Linux number is missing.

use alloc::vec::Vec;

use crate::{dispatch::Ctx, LxResult};

/// How the tracer decodes an argument, and how the dispatcher checks it when it is a pointer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arg {
    /// Signed integer.
    Int,
    /// Unsigned integer shown in hex.
    Hex,
    /// File descriptor.
    Fd,
    /// Directory fd for *at calls (`AT_FDCWD` by name).
    DirFd,
    /// NUL-terminated path read from the guest.
    Path,
    /// Buffer the kernel reads; its length is argument N.
    BufIn(u8),
    /// Buffer the kernel writes; its length is argument N; the tracer shows what came back.
    BufOut(u8),
    /// A size or count.
    Len,
    /// Any other pointer (checked by the handler).
    Ptr,
    /// `struct iovec *` with the count in argument N.
    Iovec(u8),
    /// Linux open flags.
    OpenFlags,
    /// Linux `AT_*` flags.
    AtFlags,
    /// File mode (octal).
    Mode,
    /// lseek whence.
    Whence,
    /// Linux signal number.
    Signal,
    /// Clock id.
    Clock,
    /// fcntl command.
    FcntlCmd,
    /// ioctl request.
    IoctlReq,
    /// mmap protection bits.
    Prot,
    /// mmap flags.
    MmapFlags,
}

/// What a syscall returns, for the tracer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ret {
    Int,
    Hex,
    Fd,
    /// Never returns on success (exit, exit_group).
    None,
}

/// The syscall families of the compatibility matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Family {
    Files,
    Memory,
    Processes,
    Signals,
    Time,
    Network,
    Events,
    Ipc,
    Other,
}

/// Support level, with the reason a user reads when it is not full.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Support {
    Full,
    Partial(&'static str),
    Unsupported(&'static str),
}

/// A handler: decodes the Linux arguments in `ctx.args`, performs NetBSD calls through `ctx`, and
/// answers in Linux terms.
pub type Handler = fn(&mut Ctx) -> LxResult;

/// Where a call goes.
#[derive(Clone, Copy)]
pub enum Route {
    /// The NetBSD call with this number takes the same arguments: they pass unchanged, pointer
    /// arguments are checked from the argument kinds, and only errno is translated (compat_linux's
    /// `NOARGS`).
    SameAs(u32),
    /// Translated by a handler that becomes these NetBSD calls (listed for the matrix).
    Translated(Handler, &'static [u32]),
    /// Served by the layer itself (memory, threads, signals, identity): no kernel owns it.
    Layer(Handler),
    /// Answers ENOSYS.
    Enosys,
}

/// One syscall.
#[derive(Clone, Copy)]
pub struct Entry {
    pub nr: u32,
    pub name: &'static str,
    pub family: Family,
    pub args: &'static [Arg],
    pub ret: Ret,
    pub route: Route,
    pub support: Support,
}

impl Entry {
    /// The entry for a call rumplx does not serve.
    pub const fn unsupported(nr: u32, name: &'static str, family: Family, reason: &'static str) -> Entry {
        Entry { nr, name, family, args: &[], ret: Ret::Int, route: Route::Enosys, support: Support::Unsupported(reason) }
    }
}

/// Shorthand for table entries: `entry(nr, "name", Family, &[args], Ret, route, support)`.
pub const fn entry(
    nr: u32,
    name: &'static str,
    family: Family,
    args: &'static [Arg],
    ret: Ret,
    route: Route,
    support: Support,
) -> Entry {
    Entry { nr, name, family, args, ret, route, support }
}

/// Highest Linux x86_64 syscall number plus one that the table covers.
pub const TABLE_SIZE: usize = 512;

/// The whole table, indexed by Linux syscall number.
pub struct Table {
    entries: Vec<Entry>,
    /// Syscall number → position in `entries` (NO_ENTRY where Linux has no such call): one load
    /// per call instead of a binary search.
    index: Vec<u16>,
}

const NO_ENTRY: u16 = u16::MAX;

impl Table {
    /// Gathers every family's entries, then fills the remaining numbers as unsupported.
    pub fn new() -> Table {
        Table::from_families(crate::sys::FAMILIES)
    }

    /// Builds a table from explicit entry lists (the generator's tests use fake ones).
    pub fn from_families(families: &[&[Entry]]) -> Table {
        let mut slots: Vec<Option<Entry>> = (0..TABLE_SIZE).map(|_| None).collect();
        for family in families {
            for e in family.iter() {
                let slot = &mut slots[e.nr as usize];
                assert!(slot.is_none(), "syscall {} ({}) has two table entries", e.nr, e.name);
                *slot = Some(*e);
            }
        }
        let entries = slots
            .into_iter()
            .enumerate()
            .filter_map(|(nr, e)| {
                e.or_else(|| {
                    let sysno = syscalls::Sysno::new(nr)?;
                    Some(Entry::unsupported(nr as u32, sysno.name(), family_of(sysno.name()), "not implemented yet"))
                })
            })
            .collect::<Vec<Entry>>();
        let mut index = alloc::vec![NO_ENTRY; TABLE_SIZE];
        for (i, e) in entries.iter().enumerate() {
            index[e.nr as usize] = i as u16;
        }
        Table { entries, index }
    }

    /// The entry for Linux syscall `nr`, if `nr` is a Linux x86_64 syscall.
    pub fn get(&self, nr: u64) -> Option<&Entry> {
        match *self.index.get(usize::try_from(nr).ok()?)? {
            NO_ENTRY => None,
            i => Some(&self.entries[i as usize]),
        }
    }

    /// Every entry, by number.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }
}

impl Default for Table {
    fn default() -> Self {
        Table::new()
    }
}

/// A family for calls that have no entry of their own, from their name.
fn family_of(name: &str) -> Family {
    const RULES: &[(&[&str], Family)] = &[
        (&["sock", "bind", "listen", "accept", "connect", "send", "recv", "shutdown", "getpeer"], Family::Network),
        (&["epoll", "poll", "select", "eventfd", "timerfd", "signalfd", "inotify", "fanotify", "io_uring", "io_"], Family::Events),
        (&["sig", "kill", "pause", "alarm"], Family::Signals),
        (&["clock", "time", "nanosleep", "adjtimex", "itimer"], Family::Time),
        (&["mmap", "munmap", "mprotect", "brk", "mremap", "madvise", "mlock", "munlock", "mbind", "mincore", "pkey", "memfd", "migrate", "move_pages", "membarrier", "mempolicy", "mseal", "process_madvise", "map_shadow_stack"], Family::Memory),
        (&["msg", "sem", "shm", "mq_", "futex", "pipe"], Family::Ipc),
        (&["fork", "clone", "exec", "exit", "wait", "pid", "uid", "gid", "sched", "prctl", "ptrace", "rlimit", "rusage", "setns", "unshare", "capget", "capset", "process", "personality", "tkill", "set_tid", "robust", "rseq", "pidfd", "kcmp", "groups", "getcpu", "ioprio", "times", "sid", "pgrp", "pgid"], Family::Processes),
        (&["open", "close", "read", "write", "stat", "dir", "link", "unlink", "rename", "chmod", "chown", "trunc", "sync", "seek", "dup", "fcntl", "flock", "ioctl", "access", "xattr", "mount", "mknod", "utime", "cwd", "umask", "fallocate", "fadvise", "sendfile", "splice", "tee", "copy_file", "quotactl", "name_to_handle", "swap", "chroot", "fs", "cachestat"], Family::Files),
    ];
    RULES
        .iter()
        .find(|(words, _)| words.iter().any(|w| name.contains(w)))
        .map(|(_, f)| *f)
        .unwrap_or(Family::Other)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_linux_syscall_has_an_entry() {
        let t = Table::new();
        // `Sysno::iter` stops short of the newest numbers; `Sysno::new` knows them all.
        let linux: alloc::vec::Vec<_> = (0..TABLE_SIZE).filter_map(syscalls::Sysno::new).collect();
        for sysno in &linux {
            let e = t.get(sysno.id() as u64).unwrap_or_else(|| panic!("{} missing", sysno.name()));
            assert_eq!(e.name, sysno.name(), "entry {} is named after another call", e.nr);
        }
        assert_eq!(t.entries().len(), linux.len());
    }

    #[test]
    fn routes_name_real_netbsd_calls() {
        for e in Table::new().entries() {
            let nb: &[u32] = match &e.route {
                Route::SameAs(n) => core::slice::from_ref(n),
                Route::Translated(_, calls) => calls,
                _ => &[],
            };
            for n in nb {
                assert!(abi_netbsd::syscall_info(*n).is_some(), "{} routes to unknown NetBSD call {n}", e.name);
            }
            if matches!(e.route, Route::Enosys) {
                assert!(matches!(e.support, Support::Unsupported(_)), "{} answers ENOSYS but claims support", e.name);
            }
        }
    }

    #[test]
    fn pointer_kinds_name_existing_length_args() {
        for e in Table::new().entries() {
            for k in e.args {
                if let Arg::BufIn(i) | Arg::BufOut(i) | Arg::Iovec(i) = k {
                    assert!((*i as usize) < e.args.len(), "{}: length arg {i} out of range", e.name);
                }
            }
        }
    }

    #[test]
    fn families_are_guessed_for_unlisted_calls() {
        assert_eq!(family_of("inotify_init1"), Family::Events);
        assert_eq!(family_of("socket"), Family::Network);
        assert_eq!(family_of("shmget"), Family::Ipc);
    }
}
