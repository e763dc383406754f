//! What the rump kernel speaks: NetBSD amd64 syscall numbers, struct layouts, flags and errno values.
//!
//! This crate is data only. It knows nothing of Linux and does no translation (that is abi-linux's
//! job) and no I/O. Numbers and constants are generated from the machine-extracted tables in `data/`
//! by `tools/gen-abi.py`; structs are written here with their layout pinned by compile-time asserts
//! against the same tables.
#![no_std]

pub mod consts;
pub mod nr;
pub mod structs;
pub mod sysctl;
#[path = "errno_values.rs"]
pub mod errno;

/// A NetBSD errno value (positive).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Errno(pub i32);

impl Errno {
    /// The symbolic name (`"ENOENT"`), if the value is known.
    pub fn name(self) -> Option<&'static str> {
        errno::NAMES.iter().find(|(v, _)| *v == self.0).map(|(_, n)| *n)
    }
}

/// The result of a NetBSD syscall: the two return registers, or an errno.
pub type SysResult = Result<[u64; 2], Errno>;

/// Looks up a syscall's name and argument kinds by number.
pub fn syscall_info(nr: u32) -> Option<&'static nr::NbSyscall> {
    nr::SYSCALLS.iter().find(|s| s.nr == nr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errno_names_round_trip() {
        assert_eq!(errno::ENOENT.name(), Some("ENOENT"));
        assert_eq!(errno::EAGAIN, Errno(35));
        assert_eq!(errno::ENOSYS, Errno(78));
    }

    #[test]
    fn syscall_numbers_match_syscalls_master() {
        assert_eq!(nr::SYS_read, 3);
        assert_eq!(nr::SYS___stat50, 439);
        assert_eq!(syscall_info(5).unwrap().name, "open");
        assert_eq!(syscall_info(5).unwrap().args[0], nr::NbArg::Str);
    }
}
