//! Linux x86_64 structs as the kernel ABI lays them out, with compile-time layout asserts (offsets
//! from `../shared/netbsd-abi/structs.tsv`, Linux columns; statx from `include/uapi/linux/stat.h`).
#![allow(non_camel_case_types)]

use core::mem::{offset_of, size_of};

/// `struct timespec`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timespec {
    pub tv_sec: i64,
    pub tv_nsec: i64,
}
const _: () = assert!(size_of::<Timespec>() == 16);

/// `struct timeval` (suseconds_t is 64-bit on Linux x86_64).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timeval {
    pub tv_sec: i64,
    pub tv_usec: i64,
}
const _: () = assert!(size_of::<Timeval>() == 16);

/// `struct stat` (x86_64 `newstat`, what stat/fstat/lstat/newfstatat fill).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stat {
    pub st_dev: u64,
    pub st_ino: u64,
    pub st_nlink: u64,
    pub st_mode: u32,
    pub st_uid: u32,
    pub st_gid: u32,
    pub _pad0: u32,
    pub st_rdev: u64,
    pub st_size: i64,
    pub st_blksize: i64,
    pub st_blocks: i64,
    pub st_atim: Timespec,
    pub st_mtim: Timespec,
    pub st_ctim: Timespec,
    pub _reserved: [i64; 3],
}
const _: () = {
    assert!(size_of::<Stat>() == 144);
    assert!(offset_of!(Stat, st_ino) == 8);
    assert!(offset_of!(Stat, st_nlink) == 16);
    assert!(offset_of!(Stat, st_mode) == 24);
    assert!(offset_of!(Stat, st_uid) == 28);
    assert!(offset_of!(Stat, st_gid) == 32);
    assert!(offset_of!(Stat, st_rdev) == 40);
    assert!(offset_of!(Stat, st_size) == 48);
    assert!(offset_of!(Stat, st_blksize) == 56);
    assert!(offset_of!(Stat, st_blocks) == 64);
    assert!(offset_of!(Stat, st_atim) == 72);
    assert!(offset_of!(Stat, st_mtim) == 88);
    assert!(offset_of!(Stat, st_ctim) == 104);
    assert!(offset_of!(Stat, _reserved) == 120);
};

/// `struct statx_timestamp`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StatxTimestamp {
    pub tv_sec: i64,
    pub tv_nsec: u32,
    pub _reserved: i32,
}
const _: () = assert!(size_of::<StatxTimestamp>() == 16);

/// `struct statx`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Statx {
    pub stx_mask: u32,
    pub stx_blksize: u32,
    pub stx_attributes: u64,
    pub stx_nlink: u32,
    pub stx_uid: u32,
    pub stx_gid: u32,
    pub stx_mode: u16,
    pub _spare0: u16,
    pub stx_ino: u64,
    pub stx_size: u64,
    pub stx_blocks: u64,
    pub stx_attributes_mask: u64,
    pub stx_atime: StatxTimestamp,
    pub stx_btime: StatxTimestamp,
    pub stx_ctime: StatxTimestamp,
    pub stx_mtime: StatxTimestamp,
    pub stx_rdev_major: u32,
    pub stx_rdev_minor: u32,
    pub stx_dev_major: u32,
    pub stx_dev_minor: u32,
    pub stx_mnt_id: u64,
    pub stx_dio_mem_align: u32,
    pub stx_dio_offset_align: u32,
    pub _spare3: [u64; 12],
}
const _: () = {
    assert!(size_of::<Statx>() == 256);
    assert!(offset_of!(Statx, stx_nlink) == 16);
    assert!(offset_of!(Statx, stx_mode) == 28);
    assert!(offset_of!(Statx, stx_ino) == 32);
    assert!(offset_of!(Statx, stx_size) == 40);
    assert!(offset_of!(Statx, stx_blocks) == 48);
    assert!(offset_of!(Statx, stx_atime) == 64);
    assert!(offset_of!(Statx, stx_btime) == 80);
    assert!(offset_of!(Statx, stx_ctime) == 96);
    assert!(offset_of!(Statx, stx_mtime) == 112);
    assert!(offset_of!(Statx, stx_rdev_major) == 128);
    assert!(offset_of!(Statx, stx_dev_major) == 136);
    assert!(offset_of!(Statx, stx_mnt_id) == 144);
    assert!(offset_of!(Statx, _spare3) == 160);
};

/// `struct statfs` (x86_64: every field a long).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Statfs {
    pub f_type: i64,
    pub f_bsize: i64,
    pub f_blocks: u64,
    pub f_bfree: u64,
    pub f_bavail: u64,
    pub f_files: u64,
    pub f_ffree: u64,
    pub f_fsid: [i32; 2],
    pub f_namelen: i64,
    pub f_frsize: i64,
    pub f_flags: i64,
    pub f_spare: [i64; 4],
}
const _: () = {
    assert!(size_of::<Statfs>() == 120);
    assert!(offset_of!(Statfs, f_bsize) == 8);
    assert!(offset_of!(Statfs, f_blocks) == 16);
    assert!(offset_of!(Statfs, f_bfree) == 24);
    assert!(offset_of!(Statfs, f_bavail) == 32);
    assert!(offset_of!(Statfs, f_files) == 40);
    assert!(offset_of!(Statfs, f_ffree) == 48);
    assert!(offset_of!(Statfs, f_fsid) == 56);
    assert!(offset_of!(Statfs, f_namelen) == 64);
    assert!(offset_of!(Statfs, f_frsize) == 72);
    assert!(offset_of!(Statfs, f_flags) == 80);
    assert!(offset_of!(Statfs, f_spare) == 88);
};

/// Header of `struct linux_dirent64`: `d_reclen` bytes each, the name NUL-terminated at
/// [`DIRENT64_NAME_OFFSET`], records 8-byte aligned.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Dirent64Header {
    pub d_ino: u64,
    pub d_off: i64,
    pub d_reclen: u16,
    pub d_type: u8,
}
/// Offset of `d_name` within a linux_dirent64 record.
pub const DIRENT64_NAME_OFFSET: usize = 19;
const _: () = {
    assert!(offset_of!(Dirent64Header, d_off) == 8);
    assert!(offset_of!(Dirent64Header, d_reclen) == 16);
    assert!(offset_of!(Dirent64Header, d_type) == 18);
};

/// Length of a linux_dirent64 record holding a name of `namlen` bytes.
pub const fn dirent64_reclen(namlen: usize) -> usize {
    (DIRENT64_NAME_OFFSET + namlen + 1 + 7) & !7
}

/// `struct flock` (x86_64: off_t is 64-bit, so flock and flock64 are the same).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flock {
    pub l_type: i16,
    pub l_whence: i16,
    pub _pad0: u32,
    pub l_start: i64,
    pub l_len: i64,
    pub l_pid: i32,
    pub _pad1: u32,
}
const _: () = {
    assert!(size_of::<Flock>() == 32);
    assert!(offset_of!(Flock, l_whence) == 2);
    assert!(offset_of!(Flock, l_start) == 8);
    assert!(offset_of!(Flock, l_len) == 16);
    assert!(offset_of!(Flock, l_pid) == 24);
};

/// Number of control characters in the kernel's termios (TCGETS).
pub const NCCS: usize = 19;

/// The kernel `struct termios` of TCGETS/TCSETS (36 bytes; glibc's userland one is larger).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Termios {
    pub c_iflag: u32,
    pub c_oflag: u32,
    pub c_cflag: u32,
    pub c_lflag: u32,
    pub c_line: u8,
    pub c_cc: [u8; NCCS],
}
const _: () = {
    assert!(size_of::<Termios>() == 36);
    assert!(offset_of!(Termios, c_line) == 16);
    assert!(offset_of!(Termios, c_cc) == 17);
};

/// `struct winsize` (same layout as NetBSD's).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Winsize {
    pub ws_row: u16,
    pub ws_col: u16,
    pub ws_xpixel: u16,
    pub ws_ypixel: u16,
}
const _: () = assert!(size_of::<Winsize>() == 8);

/// `struct iovec`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Iovec {
    pub iov_base: u64,
    pub iov_len: u64,
}
const _: () = assert!(size_of::<Iovec>() == 16);
