//! `AT_*`: the directory fd and the flags of the *at calls.
//!
//! AT_FDCWD is -100 on both sides. The flag bits differ and one Linux value means two things
//! (0x200 is AT_REMOVEDIR for unlinkat and AT_EACCESS for faccessat), so each call says which flags
//! it accepts. AT_EMPTY_PATH has no NetBSD twin: handlers serve it with the fd-based call.

use abi_netbsd::consts::at_flags as nb;
use crate::{consts::at_flags as lx, errno::EINVAL, Errno};

use super::BitTable;

/// The flags of a path lookup that may stop at a symlink (fstatat, fchownat, utimensat, …).
pub const NOFOLLOW: BitTable = BitTable(&[(lx::AT_SYMLINK_NOFOLLOW, nb::AT_SYMLINK_NOFOLLOW)]);
/// unlinkat.
pub const UNLINK: BitTable = BitTable(&[(lx::AT_REMOVEDIR, nb::AT_REMOVEDIR)]);
/// linkat.
pub const LINK: BitTable = BitTable(&[(lx::AT_SYMLINK_FOLLOW, nb::AT_SYMLINK_FOLLOW)]);
/// faccessat2.
pub const ACCESS: BitTable = BitTable(&[
    (lx::AT_EACCESS, nb::AT_EACCESS),
    (lx::AT_SYMLINK_NOFOLLOW, nb::AT_SYMLINK_NOFOLLOW),
]);

/// Linux AT_FDCWD, as the int the kernel reads.
pub const AT_FDCWD: i32 = lx::AT_FDCWD as i32;

/// A Linux dirfd (an int: the upper half of the register is not part of it) as NetBSD's argument.
pub fn dirfd(arg: u64) -> u64 {
    let fd = arg as u32 as i32;
    if fd == AT_FDCWD {
        nb::AT_FDCWD as u64
    } else {
        fd as i64 as u64
    }
}

/// Translates `flags` with `table` after removing the `extra` bits the handler serves itself;
/// any other bit is EINVAL, as Linux answers for flags a call does not take.
pub fn flags(table: &BitTable, flags: u32, extra: u32) -> Result<u32, Errno> {
    let (out, left) = table.to_netbsd(flags & !extra);
    if left != 0 {
        return Err(EINVAL);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables() {
        assert_eq!(flags(&NOFOLLOW, lx::AT_SYMLINK_NOFOLLOW, 0), Ok(nb::AT_SYMLINK_NOFOLLOW));
        assert_eq!(flags(&UNLINK, lx::AT_REMOVEDIR, 0), Ok(nb::AT_REMOVEDIR));
        assert_eq!(flags(&LINK, lx::AT_SYMLINK_FOLLOW, 0), Ok(nb::AT_SYMLINK_FOLLOW));
        assert_eq!(flags(&ACCESS, lx::AT_EACCESS | lx::AT_SYMLINK_NOFOLLOW, 0), Ok(nb::AT_EACCESS | nb::AT_SYMLINK_NOFOLLOW));
        assert_eq!(flags(&NOFOLLOW, lx::AT_REMOVEDIR, 0), Err(EINVAL));
        assert_eq!(flags(&NOFOLLOW, lx::AT_EMPTY_PATH, lx::AT_EMPTY_PATH), Ok(0));
        assert_eq!(flags(&UNLINK, 0, 0), Ok(0));
    }

    #[test]
    fn dirfd_reads_an_int() {
        assert_eq!(dirfd(0xffff_ff9c), (-100i64) as u64);
        assert_eq!(dirfd((-100i64) as u64), (-100i64) as u64);
        assert_eq!(dirfd(0xdead_0000_0000_0003), 3);
    }

    proptest::proptest! {
        #[test]
        fn round_trip(f in 0u32..0x10000) {
            for t in [&NOFOLLOW, &UNLINK, &LINK, &ACCESS] {
                if let Ok(n) = flags(t, f, 0) {
                    proptest::prop_assert_eq!(t.to_linux(n).0, f);
                }
            }
        }
    }
}
