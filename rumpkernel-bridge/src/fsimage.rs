//! File-system images: the formats a backend may mount from a host file, and telling them apart
//! by their on-disk signatures (for `--image FILE:DIR` without a type).

use std::io::Read;
use std::path::Path;

/// A file-system format, named as NetBSD's `MOUNT_*` names it (the `type` of `mount(2)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FsType {
    /// The Berkeley fast file system (UFS1 and UFS2).
    Ffs,
    /// Linux's second extended file system (and ext3/ext4 images using only what ext2 knows).
    Ext2fs,
    /// FAT12/16/32, with long names.
    Msdos,
    /// ISO 9660 (with Rock Ridge and Joliet): a read-only medium.
    Cd9660,
}

impl FsType {
    pub const ALL: [FsType; 4] = [FsType::Ffs, FsType::Ext2fs, FsType::Msdos, FsType::Cd9660];

    /// NetBSD's name of the file system (`MOUNT_FFS`, `MOUNT_EXT2FS`, `MOUNT_MSDOS`, `MOUNT_CD9660`).
    pub fn name(self) -> &'static str {
        match self {
            FsType::Ffs => "ffs",
            FsType::Ext2fs => "ext2fs",
            FsType::Msdos => "msdos",
            FsType::Cd9660 => "cd9660",
        }
    }

    pub fn from_name(name: &str) -> Option<FsType> {
        FsType::ALL.into_iter().find(|t| t.name() == name)
    }

    /// The format cannot be written at all (NetBSD's cd9660 refuses a read-write mount).
    pub fn read_only_medium(self) -> bool {
        self == FsType::Cd9660
    }

    /// The format whose signature the start of an image (`head`, its first [`DETECT_LEN`] bytes or
    /// all of a shorter image) carries, if any.
    pub fn detect(head: &[u8]) -> Option<FsType> {
        let at = |off: usize, sig: &[u8]| head.get(off..off + sig.len()) == Some(sig);
        // ISO 9660: the primary volume descriptor's "CD001" in sector 16 (2048-byte sectors).
        if at(ISO_VD_ID, b"CD001") {
            return Some(FsType::Cd9660);
        }
        // ext2/3/4: s_magic (0xEF53, little-endian) of the superblock at byte 1024.
        if at(EXT2_MAGIC_AT, &EXT2_MAGIC.to_le_bytes()) {
            return Some(FsType::Ext2fs);
        }
        // FFS: fs_magic of a superblock at one of the places NetBSD searches (SBLOCKSEARCH), in
        // either byte order.
        for sb in FFS_SBLOCKS {
            for magic in FFS_MAGICS {
                if at(sb + FFS_MAGIC_AT, &magic.to_le_bytes()) {
                    return Some(FsType::Ffs);
                }
            }
        }
        // FAT: a boot sector ending in 55 AA whose file-system type field says FAT (at 54 for
        // FAT12/16, at 82 for FAT32).
        if at(510, &[0x55, 0xaa]) && (at(54, b"FAT") || at(82, b"FAT")) {
            return Some(FsType::Msdos);
        }
        None
    }

    /// Reads the start of the host file `path` and tells its format (`None`: no signature known).
    pub fn detect_file(path: &Path) -> std::io::Result<Option<FsType>> {
        let mut head = Vec::with_capacity(DETECT_LEN);
        std::fs::File::open(path)?.take(DETECT_LEN as u64).read_to_end(&mut head)?;
        Ok(FsType::detect(&head))
    }
}

impl std::fmt::Display for FsType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Byte 1 of sector 16: the standard identifier of the first volume descriptor.
const ISO_VD_ID: usize = 16 * 2048 + 1;
const EXT2_MAGIC_AT: usize = 1024 + 56;
const EXT2_MAGIC: u16 = 0xef53;
/// `SBLOCK_UFS2`, `SBLOCK_UFS1`, `SBLOCK_FLOPPY`, `SBLOCK_PIGGY` (ufs/ffs/fs.h).
const FFS_SBLOCKS: [usize; 4] = [65536, 8192, 0, 262144];
/// Offset of `fs_magic` in `struct fs`.
const FFS_MAGIC_AT: usize = 1372;
/// `FS_UFS1_MAGIC`, `FS_UFS2_MAGIC` and their byte-swapped forms.
const FFS_MAGICS: [u32; 4] = [0x0001_1954, 0x1954_0119, 0x5419_0100, 0x1901_5419];
/// How much of an image detection reads: up to the end of the last FFS superblock place.
pub const DETECT_LEN: usize = 262144 + 8192;

#[cfg(test)]
mod tests {
    use super::*;

    fn blank() -> Vec<u8> {
        vec![0; DETECT_LEN]
    }

    #[test]
    fn names_round_trip() {
        for t in FsType::ALL {
            assert_eq!(FsType::from_name(t.name()), Some(t));
        }
        assert_eq!(FsType::from_name("ext4"), None);
        assert!(FsType::Cd9660.read_only_medium() && !FsType::Ext2fs.read_only_medium());
    }

    #[test]
    fn each_signature_is_recognised() {
        let mut b = blank();
        assert_eq!(FsType::detect(&b), None);
        b[1080] = 0x53;
        b[1081] = 0xef;
        assert_eq!(FsType::detect(&b), Some(FsType::Ext2fs));

        let mut b = blank();
        b[32769..32774].copy_from_slice(b"CD001");
        assert_eq!(FsType::detect(&b), Some(FsType::Cd9660));

        for (sb, magic) in [(65536usize, 0x1954_0119u32), (8192, 0x0001_1954), (262144, 0x5419_0100)] {
            let mut b = blank();
            b[sb + 1372..sb + 1376].copy_from_slice(&magic.to_le_bytes());
            assert_eq!(FsType::detect(&b), Some(FsType::Ffs), "superblock at {sb}");
        }

        let mut b = blank();
        b[510] = 0x55;
        b[511] = 0xaa;
        assert_eq!(FsType::detect(&b), None, "55 AA alone is any boot sector");
        b[82..87].copy_from_slice(b"FAT32");
        assert_eq!(FsType::detect(&b), Some(FsType::Msdos));
    }

    #[test]
    fn short_images_are_not_read_past_their_end() {
        assert_eq!(FsType::detect(&[]), None);
        assert_eq!(FsType::detect(&[0u8; 1081]), None);
        let mut b = vec![0u8; 1082];
        b[1080] = 0x53;
        b[1081] = 0xef;
        assert_eq!(FsType::detect(&b), Some(FsType::Ext2fs));
    }
}
