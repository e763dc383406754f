//! fcntl(2): commands and `struct flock`, both ways.
//!
//! Lock commands and lock types are renumbered; Linux flock has l_type first and is 32 bytes.
//! Status flags (F_GETFL/F_SETFL) go through [`super::open`]. Linux-only commands (leases, notify,
//! pipe sizes, seals, signals) have no NetBSD twin: EINVAL, as Linux answers for a command it
//! does not know. OFD locks go to the bridge's extension commands (`rumpkernel_bridge::ext`); a
//! backend without them answers EINVAL.

use abi_netbsd::{consts::fcntl_cmd as nb, structs as nbs};
use rumpkernel_bridge::ext;
use crate::{consts::fcntl_cmd as lx, errno::EINVAL, structs::Flock, Errno};

/// What a Linux command becomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmd {
    /// The NetBSD command takes the same argument (an int, or nothing).
    Same(u32),
    /// F_GETFL/F_SETFL: the flags are translated.
    GetFl,
    SetFl,
    /// A lock command with a `struct flock *`: NetBSD command, and whether the result is read back.
    Lock(u32, bool),
}

/// Linux command → what it becomes; EINVAL for commands NetBSD cannot serve.
pub fn cmd(c: u32) -> Result<Cmd, Errno> {
    Ok(match c {
        lx::F_DUPFD => Cmd::Same(nb::F_DUPFD),
        lx::F_DUPFD_CLOEXEC => Cmd::Same(nb::F_DUPFD_CLOEXEC),
        lx::F_GETFD => Cmd::Same(nb::F_GETFD),
        lx::F_SETFD => Cmd::Same(nb::F_SETFD),
        lx::F_GETFL => Cmd::GetFl,
        lx::F_SETFL => Cmd::SetFl,
        lx::F_GETOWN => Cmd::Same(nb::F_GETOWN),
        lx::F_SETOWN => Cmd::Same(nb::F_SETOWN),
        lx::F_GETLK => Cmd::Lock(nb::F_GETLK, true),
        lx::F_SETLK => Cmd::Lock(nb::F_SETLK, false),
        lx::F_SETLKW => Cmd::Lock(nb::F_SETLKW, false),
        lx::F_OFD_GETLK => Cmd::Lock(ext::F_OFD_GETLK, true),
        lx::F_OFD_SETLK => Cmd::Lock(ext::F_OFD_SETLK, false),
        lx::F_OFD_SETLKW => Cmd::Lock(ext::F_OFD_SETLKW, false),
        _ => return Err(EINVAL),
    })
}

/// Is this (translated) lock command an OFD one? Linux wants `l_pid` 0 in their argument.
pub fn is_ofd(c: u32) -> bool {
    matches!(c, ext::F_OFD_GETLK | ext::F_OFD_SETLK | ext::F_OFD_SETLKW)
}

/// Lock types: (Linux, NetBSD).
const LOCK_TYPES: &[(u32, u32)] = &[(lx::F_RDLCK, nb::F_RDLCK), (lx::F_WRLCK, nb::F_WRLCK), (lx::F_UNLCK, nb::F_UNLCK)];

/// Linux l_type → NetBSD; EINVAL otherwise.
pub fn lock_type_to_netbsd(t: i16) -> Result<i16, Errno> {
    LOCK_TYPES.iter().find(|(l, _)| *l as i16 == t).map(|(_, n)| *n as i16).ok_or(EINVAL)
}

/// NetBSD l_type → Linux (unknown values pass unchanged: the kernel never returns them).
pub fn lock_type_to_linux(t: i16) -> i16 {
    LOCK_TYPES.iter().find(|(_, n)| *n as i16 == t).map(|(l, _)| *l as i16).unwrap_or(t)
}

/// Linux flock → NetBSD. l_whence values (SEEK_*) are the same.
pub fn flock_to_netbsd(f: &Flock) -> Result<nbs::Flock, Errno> {
    Ok(nbs::Flock {
        l_start: f.l_start,
        l_len: f.l_len,
        l_pid: f.l_pid,
        l_type: lock_type_to_netbsd(f.l_type)?,
        l_whence: f.l_whence,
    })
}

/// NetBSD flock → Linux.
pub fn flock_to_linux(f: &nbs::Flock) -> Flock {
    Flock {
        l_type: lock_type_to_linux(f.l_type),
        l_whence: f.l_whence,
        l_start: f.l_start,
        l_len: f.l_len,
        l_pid: f.l_pid,
        ..Flock::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn commands() {
        assert_eq!(cmd(lx::F_GETLK), Ok(Cmd::Lock(7, true)));
        assert_eq!(cmd(lx::F_SETLKW), Ok(Cmd::Lock(9, false)));
        assert_eq!(cmd(lx::F_DUPFD_CLOEXEC), Ok(Cmd::Same(12)));
        assert_eq!(cmd(lx::F_GETOWN), Ok(Cmd::Same(5)));
        assert_eq!(cmd(lx::F_SETOWN), Ok(Cmd::Same(6)));
        assert_eq!(cmd(lx::F_OFD_GETLK), Ok(Cmd::Lock(ext::F_OFD_GETLK, true)));
        assert_eq!(cmd(lx::F_OFD_SETLK), Ok(Cmd::Lock(ext::F_OFD_SETLK, false)));
        assert_eq!(cmd(lx::F_OFD_SETLKW), Ok(Cmd::Lock(ext::F_OFD_SETLKW, false)));
        assert!(is_ofd(ext::F_OFD_SETLKW) && !is_ofd(nb::F_SETLKW));
        // Outside every NetBSD fcntl command.
        assert!(ext::F_OFD_GETLK > nb::F_GETLK + 0x1000);
        for c in [lx::F_SETLEASE, lx::F_NOTIFY, lx::F_SETPIPE_SZ, lx::F_ADD_SEALS, lx::F_SETSIG, 99999] {
            assert_eq!(cmd(c), Err(EINVAL), "{c}");
        }
    }

    #[test]
    fn lock_types() {
        assert_eq!(lock_type_to_netbsd(0), Ok(1));
        assert_eq!(lock_type_to_netbsd(1), Ok(3));
        assert_eq!(lock_type_to_netbsd(2), Ok(2));
        assert_eq!(lock_type_to_netbsd(3), Err(EINVAL));
    }

    proptest! {
        #[test]
        fn flock_round_trip(t in 0i16..3, w in 0i16..3, s in any::<i64>(), l in any::<i64>(), p in any::<i32>()) {
            let f = Flock { l_type: t, l_whence: w, l_start: s, l_len: l, l_pid: p, ..Flock::default() };
            prop_assert_eq!(flock_to_linux(&flock_to_netbsd(&f).unwrap()), f);
        }
    }
}
