//! struct stat: NetBSD `__stat50` → Linux `stat` and a synthesized `statx`.
//!
//! Mode bits and 512-byte block counts mean the same on both sides. Device numbers are re-encoded:
//! both split a dev_t into major/minor, with different bit layouts; major and minor are kept.

use abi_netbsd::structs as nbs;

use crate::structs::{Stat, Statx, StatxTimestamp, Timespec};

/// NetBSD dev_t → (major, minor) (`major()`/`minor()` of sys/types.h).
pub const fn netbsd_dev_split(d: u64) -> (u32, u32) {
    let major = ((d & 0x000f_ff00) >> 8) as u32;
    let minor = (((d & 0xfff0_0000) >> 12) | (d & 0xff)) as u32;
    (major, minor)
}

/// (major, minor) → NetBSD dev_t (`makedev()`), for tests and for callers that build one.
pub const fn netbsd_dev(major: u32, minor: u32) -> u64 {
    let (ma, mi) = (major as u64, minor as u64);
    ((ma << 8) & 0x000f_ff00) | ((mi << 12) & 0xfff0_0000) | (mi & 0xff)
}

/// (major, minor) → Linux dev_t (glibc's `makedev`, the kernel's new_encode_dev for 64 bits).
pub const fn linux_dev(major: u32, minor: u32) -> u64 {
    let (ma, mi) = (major as u64, minor as u64);
    ((ma & 0xffff_f000) << 32) | ((ma & 0xfff) << 8) | ((mi & 0xffff_ff00) << 12) | (mi & 0xff)
}

/// (major, minor) → the kernel's 32-bit `new_encode_dev`, as /proc/<pid>/stat's tty_nr and
/// TIOCGDEV show a device (major up to 12 bits, minor up to 20).
pub const fn linux_dev32(major: u32, minor: u32) -> u32 {
    (minor & 0xff) | (major << 8) | ((minor & !0xff) << 12)
}

/// Linux dev_t → (major, minor).
pub const fn linux_dev_split(d: u64) -> (u32, u32) {
    let major = (((d >> 32) & 0xffff_f000) | ((d >> 8) & 0xfff)) as u32;
    let minor = (((d >> 12) & 0xffff_ff00) | (d & 0xff)) as u32;
    (major, minor)
}

/// NetBSD dev_t → Linux dev_t.
pub const fn dev(d: u64) -> u64 {
    let (ma, mi) = netbsd_dev_split(d);
    linux_dev(ma, mi)
}

fn ts(t: nbs::Timespec) -> Timespec {
    Timespec { tv_sec: t.tv_sec, tv_nsec: t.tv_nsec }
}

fn sts(t: nbs::Timespec) -> StatxTimestamp {
    StatxTimestamp { tv_sec: t.tv_sec, tv_nsec: t.tv_nsec as u32, _reserved: 0 }
}

/// NetBSD stat → Linux stat.
pub fn to_linux(s: &nbs::Stat) -> Stat {
    Stat {
        st_dev: dev(s.st_dev),
        st_ino: s.st_ino,
        st_nlink: s.st_nlink as u64,
        st_mode: s.st_mode,
        st_uid: s.st_uid,
        st_gid: s.st_gid,
        _pad0: 0,
        st_rdev: dev(s.st_rdev),
        st_size: s.st_size,
        st_blksize: s.st_blksize as i64,
        st_blocks: s.st_blocks,
        st_atim: ts(s.st_atim),
        st_mtim: ts(s.st_mtim),
        st_ctim: ts(s.st_ctim),
        _reserved: [0; 3],
    }
}

/// `STATX_*` mask bits.
pub mod mask {
    pub const TYPE: u32 = 0x1;
    pub const MODE: u32 = 0x2;
    pub const NLINK: u32 = 0x4;
    pub const UID: u32 = 0x8;
    pub const GID: u32 = 0x10;
    pub const ATIME: u32 = 0x20;
    pub const MTIME: u32 = 0x40;
    pub const CTIME: u32 = 0x80;
    pub const INO: u32 = 0x100;
    pub const SIZE: u32 = 0x200;
    pub const BLOCKS: u32 = 0x400;
    pub const BASIC_STATS: u32 = 0x7ff;
    pub const BTIME: u32 = 0x800;
    /// Reserved for future struct statx expansion: Linux answers EINVAL.
    pub const RESERVED: u32 = 0x8000_0000;
}

/// NetBSD stat → Linux statx. `stx_mask` says what is really known: the basic stats always, the
/// birth time when the file system keeps one (NetBSD reports zero otherwise); no attributes, no
/// mount id.
pub fn to_statx(s: &nbs::Stat) -> Statx {
    let (rma, rmi) = netbsd_dev_split(s.st_rdev);
    let (dma, dmi) = netbsd_dev_split(s.st_dev);
    let has_btime = s.st_birthtim != nbs::Timespec::default();
    Statx {
        stx_mask: mask::BASIC_STATS | if has_btime { mask::BTIME } else { 0 },
        stx_blksize: s.st_blksize,
        stx_nlink: s.st_nlink,
        stx_uid: s.st_uid,
        stx_gid: s.st_gid,
        stx_mode: s.st_mode as u16,
        stx_ino: s.st_ino,
        stx_size: s.st_size as u64,
        stx_blocks: s.st_blocks as u64,
        stx_atime: sts(s.st_atim),
        stx_btime: if has_btime { sts(s.st_birthtim) } else { StatxTimestamp::default() },
        stx_ctime: sts(s.st_ctim),
        stx_mtime: sts(s.st_mtim),
        stx_rdev_major: rma,
        stx_rdev_minor: rmi,
        stx_dev_major: dma,
        stx_dev_minor: dmi,
        ..Statx::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn dev32_is_new_encode_dev() {
        // /dev/pts/3 and /dev/pts/300 (major 137, minor 44 on Linux), a large minor.
        assert_eq!(linux_dev32(136, 3), 0x8803);
        assert_eq!(linux_dev32(137, 44), 0x892c);
        assert_eq!(linux_dev32(4, 0x12345), 0x1230_0445);
    }

    #[test]
    fn devices_keep_major_and_minor() {
        // /dev/null on NetBSD amd64 is 2,2.
        assert_eq!(dev(netbsd_dev(2, 2)), linux_dev(2, 2));
        assert_eq!(linux_dev(8, 1), 0x801);
        assert_eq!(linux_dev(259, 0x12345), 0x1231_0345);
    }

    #[test]
    fn example_stat() {
        let n = nbs::Stat {
            st_mode: 0o100644,
            st_ino: 42,
            st_nlink: 1,
            st_size: 5,
            st_blocks: 8,
            st_blksize: 4096,
            st_mtim: nbs::Timespec { tv_sec: 7, tv_nsec: 9 },
            ..Default::default()
        };
        let l = to_linux(&n);
        assert_eq!((l.st_mode, l.st_ino, l.st_nlink, l.st_size, l.st_blocks, l.st_blksize), (0o100644, 42, 1, 5, 8, 4096));
        assert_eq!(l.st_mtim, Timespec { tv_sec: 7, tv_nsec: 9 });
        let x = to_statx(&n);
        assert_eq!(x.stx_mask, mask::BASIC_STATS);
        assert_eq!(x.stx_mode, 0o100644);
    }

    proptest! {
        #[test]
        fn netbsd_dev_round_trip(ma in 0u32..0x1000, mi in 0u32..0x10_0000) {
            prop_assert_eq!(netbsd_dev_split(netbsd_dev(ma, mi)), (ma, mi));
            prop_assert_eq!(linux_dev_split(linux_dev(ma, mi)), (ma, mi));
        }

        #[test]
        fn stat_fields_survive(ino in any::<u64>(), mode in any::<u16>(), nlink in any::<u32>(), uid in any::<u32>(),
                               size in any::<i64>(), blocks in any::<i64>(), sec in any::<i64>(), nsec in 0i64..1_000_000_000,
                               bsec in any::<i64>()) {
            let n = nbs::Stat {
                st_ino: ino, st_mode: mode as u32, st_nlink: nlink, st_uid: uid, st_gid: uid ^ 1,
                st_size: size, st_blocks: blocks, st_atim: nbs::Timespec { tv_sec: sec, tv_nsec: nsec },
                st_birthtim: nbs::Timespec { tv_sec: bsec, tv_nsec: 0 },
                ..Default::default()
            };
            let l = to_linux(&n);
            prop_assert_eq!((l.st_ino, l.st_mode, l.st_nlink as u32, l.st_uid, l.st_gid, l.st_size, l.st_blocks),
                            (ino, mode as u32, nlink, uid, uid ^ 1, size, blocks));
            prop_assert_eq!(l.st_atim, Timespec { tv_sec: sec, tv_nsec: nsec });
            let x = to_statx(&n);
            prop_assert_eq!((x.stx_ino, x.stx_mode, x.stx_size as i64, x.stx_atime.tv_sec, x.stx_atime.tv_nsec as i64),
                            (ino, mode, size, sec, nsec));
            prop_assert_eq!(x.stx_mask & mask::BTIME != 0, bsec != 0);
        }
    }
}
