//! open(2) flags, both ways. Access mode (the low two bits) is the same on both sides.
//!
//! Linux-only flags: O_LARGEFILE is meaningless on a 64-bit NetBSD (always large) and dropped;
//! O_NOATIME is an optimisation hint NetBSD has no twin for, dropped (atime is then updated, which
//! is what Linux does too for files the caller does not own); O_PATH and O_TMPFILE are decided by
//! the open handler ([`Special`]), never passed on.

use abi_netbsd::consts::open_flags as nb;
use crate::consts::open_flags as lx;

use super::BitTable;

/// Flags that translate bit for bit. Linux O_SYNC is O_DSYNC plus `__O_SYNC` (0x100000); it must come
/// before O_DSYNC so that a file opened O_SYNC reads back as O_SYNC.
pub const FLAGS: BitTable = BitTable(&[
    (lx::O_SYNC, nb::O_SYNC),
    (lx::O_DSYNC, nb::O_DSYNC),
    (lx::O_CREAT, nb::O_CREAT),
    (lx::O_EXCL, nb::O_EXCL),
    (lx::O_NOCTTY, nb::O_NOCTTY),
    (lx::O_TRUNC, nb::O_TRUNC),
    (lx::O_APPEND, nb::O_APPEND),
    (lx::O_NONBLOCK, nb::O_NONBLOCK),
    (lx::O_ASYNC, nb::O_ASYNC),
    (lx::O_DIRECT, nb::O_DIRECT),
    (lx::O_DIRECTORY, nb::O_DIRECTORY),
    (lx::O_NOFOLLOW, nb::O_NOFOLLOW),
    (lx::O_CLOEXEC, nb::O_CLOEXEC),
]);

/// Linux flags dropped on purpose (see the module comment).
pub const IGNORED: u32 = lx::O_LARGEFILE | lx::O_NOATIME;

/// Linux `__O_TMPFILE` (O_TMPFILE without its O_DIRECTORY bit).
pub const O_TMPFILE_BIT: u32 = lx::O_TMPFILE & !lx::O_DIRECTORY;

/// Open modes the handler must decide itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Special {
    None,
    /// O_PATH: only O_CLOEXEC, O_DIRECTORY and O_NOFOLLOW count; the fd is for fstat/fchdir/*at.
    Path,
    /// O_TMPFILE: an unnamed file in a directory.
    Tmpfile,
}

/// Which special mode `flags` asks for.
pub fn special(flags: u32) -> Special {
    if flags & O_TMPFILE_BIT != 0 {
        Special::Tmpfile
    } else if flags & lx::O_PATH != 0 {
        Special::Path
    } else {
        Special::None
    }
}

/// Linux open flags → NetBSD. Bits Linux itself does not know are ignored, as Linux's open(2) does.
pub fn to_netbsd(flags: u32) -> u32 {
    // Linux's kernel reads a lone __O_SYNC as O_SYNC (build_open_flags).
    let flags = if flags & (lx::O_SYNC & !lx::O_DSYNC) != 0 { flags | lx::O_DSYNC } else { flags };
    let (bits, _) = FLAGS.to_netbsd(flags & !lx::O_ACCMODE);
    (flags & lx::O_ACCMODE) | bits
}

/// NetBSD open/status flags (F_GETFL) → Linux. NetBSD-only bits (O_NOSIGPIPE, O_ALT_IO, locks…)
/// have no Linux meaning and are left out.
pub fn to_linux(flags: u32) -> u32 {
    let (bits, _) = FLAGS.to_linux(flags & !nb::O_ACCMODE);
    (flags & nb::O_ACCMODE) | bits
}

/// The status flags F_SETFL may change on Linux (others are ignored there too).
pub const SETFL_MASK: u32 = lx::O_APPEND | lx::O_NONBLOCK | lx::O_ASYNC | lx::O_DIRECT | lx::O_NOATIME;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pair_translates_both_ways() {
        for &(l, n) in FLAGS.0 {
            assert_eq!(to_netbsd(l) & n, n, "linux {l:#x}");
            assert_eq!(to_linux(to_netbsd(l)), l, "linux {l:#x}");
            assert_eq!(to_linux(n), l, "netbsd {n:#x}");
        }
    }

    #[test]
    fn examples() {
        assert_eq!(to_netbsd(lx::O_WRONLY | lx::O_CREAT | lx::O_TRUNC), nb::O_WRONLY | nb::O_CREAT | nb::O_TRUNC);
        assert_eq!(to_netbsd(lx::O_RDONLY | lx::O_LARGEFILE | lx::O_CLOEXEC), nb::O_CLOEXEC);
        assert_eq!(to_netbsd(lx::O_DSYNC), nb::O_DSYNC);
        assert_eq!(to_netbsd(lx::O_SYNC), nb::O_SYNC | nb::O_DSYNC);
        assert_eq!(to_linux(nb::O_SYNC), lx::O_SYNC);
        assert_eq!(to_linux(nb::O_RDWR | nb::O_NONBLOCK | nb::O_APPEND), lx::O_RDWR | lx::O_NONBLOCK | lx::O_APPEND);
        assert_eq!(special(lx::O_TMPFILE | lx::O_RDWR), Special::Tmpfile);
        assert_eq!(special(lx::O_PATH | lx::O_DIRECTORY), Special::Path);
        assert_eq!(special(lx::O_DIRECTORY), Special::None);
    }

    const O_SYNC_BIT: u32 = lx::O_SYNC & !lx::O_DSYNC;

    fn known_linux() -> u32 {
        FLAGS.0.iter().fold(lx::O_ACCMODE, |a, (l, _)| a | l)
    }

    proptest::proptest! {
        #[test]
        fn round_trip(f in proptest::prelude::any::<u32>()) {
            let f = f & known_linux();
            let want = if f & O_SYNC_BIT != 0 { f | lx::O_SYNC } else { f };
            proptest::prop_assert_eq!(to_linux(to_netbsd(f)), want);
        }
    }
}
