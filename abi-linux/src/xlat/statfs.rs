//! statfs(2): NetBSD `statvfs` → Linux `struct statfs`, with `f_type` the Linux magic number of
//! the file system NetBSD names in `f_fstypename`.

use abi_netbsd::structs as nbs;
use crate::structs::Statfs;

/// NetBSD file system names → Linux `f_type` magic numbers (linux/magic.h). A name not listed gets
/// 0: there is no Linux file system it would be.
pub const MAGIC: &[(&str, i64)] = &[
    ("tmpfs", 0x0102_1994),
    // rumpfs is the rump kernel's in-memory root, a ramfs by another name.
    ("rumpfs", 0x8584_58f6),
    ("ffs", 0x0001_1954),
    ("lfs", 0x0001_1954),
    ("ext2fs", 0xef53),
    ("msdos", 0x4d44),
    ("cd9660", 0x9660),
    ("nfs", 0x6969),
    ("procfs", 0x9fa0),
    ("ptyfs", 0x1cd1),
    ("kernfs", 0x6265_6572),
    ("ntfs", 0x5346_544e),
    ("fdesc", 0x1373),
];

/// NetBSD mount flags (sys/fstypes.h `MNT_*` = statvfs `ST_*`) → Linux `ST_*`.
const FLAGS: &[(u64, i64)] = &[
    (0x0000_0001, 0x0001),    // RDONLY
    (0x0000_0008, 0x0002),    // NOSUID
    (0x0000_0010, 0x0004),    // NODEV
    (0x0000_0004, 0x0008),    // NOEXEC
    (0x0000_0002, 0x0010),    // SYNCHRONOUS
    (0x0400_0000, 0x0400),    // NOATIME
    (0x0002_0000, 0x1000),    // RELATIME
];
/// Linux ST_VALID: f_flags is meaningful.
const ST_VALID: i64 = 0x20;

/// The Linux magic number for a NetBSD file system name.
pub fn magic(fstypename: &[u8]) -> i64 {
    let len = fstypename.iter().position(|&b| b == 0).unwrap_or(fstypename.len());
    let name = &fstypename[..len];
    MAGIC.iter().find(|(n, _)| n.as_bytes() == name).map(|(_, m)| *m).unwrap_or(0)
}

/// NetBSD statvfs → Linux statfs. f_blocks/f_bfree/f_bavail count f_frsize units on both sides.
pub fn to_linux(s: &nbs::Statvfs) -> Statfs {
    let flags = FLAGS.iter().filter(|(n, _)| s.f_flag & n != 0).fold(ST_VALID, |a, (_, l)| a | l);
    Statfs {
        f_type: magic(&s.f_fstypename),
        f_bsize: s.f_bsize as i64,
        f_blocks: s.f_blocks,
        f_bfree: s.f_bfree,
        f_bavail: s.f_bavail,
        f_files: s.f_files,
        f_ffree: s.f_ffree,
        f_fsid: s.f_fsidx,
        f_namelen: s.f_namemax as i64,
        f_frsize: s.f_frsize as i64,
        f_flags: flags,
        f_spare: [0; 4],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(name: &str) -> nbs::Statvfs {
        let mut s = nbs::Statvfs::default();
        s.f_fstypename[..name.len()].copy_from_slice(name.as_bytes());
        s
    }

    #[test]
    fn every_name_has_its_magic() {
        for (n, m) in MAGIC {
            assert_eq!(to_linux(&named(n)).f_type, *m, "{n}");
        }
        assert_eq!(to_linux(&named("hostfs-unknown")).f_type, 0);
    }

    #[test]
    fn flags_and_sizes() {
        let mut s = named("tmpfs");
        s.f_flag = 0x1 | 0x8 | 0x0400_0000;
        s.f_bsize = 4096;
        s.f_frsize = 512;
        s.f_blocks = 10;
        s.f_namemax = 255;
        s.f_fsidx = [3, 4];
        let l = to_linux(&s);
        assert_eq!(l.f_flags, 0x20 | 0x1 | 0x2 | 0x400);
        assert_eq!((l.f_bsize, l.f_frsize, l.f_blocks, l.f_namelen, l.f_fsid), (4096, 512, 10, 255, [3, 4]));
    }
}
