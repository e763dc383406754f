//! NetBSD amd64 structs as the kernel reads and writes them. Offsets and sizes are checked at compile
//! time against `data/structs.tsv`.
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

/// `struct timeval` (suseconds_t is 32-bit on NetBSD).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timeval {
    pub tv_sec: i64,
    pub tv_usec: i32,
    pub _pad: i32,
}
const _: () = assert!(size_of::<Timeval>() == 16);

/// `struct stat` (the `__stat50` layout).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stat {
    pub st_dev: u64,
    pub st_mode: u32,
    pub _pad0: u32,
    pub st_ino: u64,
    pub st_nlink: u32,
    pub st_uid: u32,
    pub st_gid: u32,
    pub _pad1: u32,
    pub st_rdev: u64,
    pub st_atim: Timespec,
    pub st_mtim: Timespec,
    pub st_ctim: Timespec,
    pub st_birthtim: Timespec,
    pub st_size: i64,
    pub st_blocks: i64,
    pub st_blksize: u32,
    pub st_flags: u32,
    pub st_gen: u32,
    pub st_spare: [u32; 2],
    pub _pad2: u32,
}
const _: () = {
    assert!(size_of::<Stat>() == 152);
    assert!(offset_of!(Stat, st_mode) == 8);
    assert!(offset_of!(Stat, st_ino) == 16);
    assert!(offset_of!(Stat, st_nlink) == 24);
    assert!(offset_of!(Stat, st_uid) == 28);
    assert!(offset_of!(Stat, st_gid) == 32);
    assert!(offset_of!(Stat, st_rdev) == 40);
    assert!(offset_of!(Stat, st_atim) == 48);
    assert!(offset_of!(Stat, st_mtim) == 64);
    assert!(offset_of!(Stat, st_ctim) == 80);
    assert!(offset_of!(Stat, st_birthtim) == 96);
    assert!(offset_of!(Stat, st_size) == 112);
    assert!(offset_of!(Stat, st_blocks) == 120);
    assert!(offset_of!(Stat, st_blksize) == 128);
    assert!(offset_of!(Stat, st_flags) == 132);
    assert!(offset_of!(Stat, st_gen) == 136);
    assert!(offset_of!(Stat, st_spare) == 140);
};

/// Header of `struct dirent` as getdents(2) (`__getdents30`) packs them: `d_reclen` bytes each, the
/// name NUL-terminated right after the header, records 8-byte aligned.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DirentHeader {
    pub d_fileno: u64,
    pub d_reclen: u16,
    pub d_namlen: u16,
    pub d_type: u8,
}
/// Offset of `d_name` within a NetBSD dirent record.
pub const DIRENT_NAME_OFFSET: usize = 13;
/// `MAXNAMLEN` + 1: the largest `d_name` buffer.
pub const DIRENT_NAME_MAX: usize = 512;
const _: () = {
    assert!(offset_of!(DirentHeader, d_reclen) == 8);
    assert!(offset_of!(DirentHeader, d_namlen) == 10);
    assert!(offset_of!(DirentHeader, d_type) == 12);
};

/// Length of a dirent record holding a name of `namlen` bytes (`_DIRENT_RECLEN`).
pub const fn dirent_reclen(namlen: usize) -> usize {
    (DIRENT_NAME_OFFSET + namlen + 1 + 7) & !7
}

/// `struct flock`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flock {
    pub l_start: i64,
    pub l_len: i64,
    pub l_pid: i32,
    pub l_type: i16,
    pub l_whence: i16,
}
const _: () = {
    assert!(size_of::<Flock>() == 24);
    assert!(offset_of!(Flock, l_pid) == 16);
    assert!(offset_of!(Flock, l_type) == 20);
    assert!(offset_of!(Flock, l_whence) == 22);
};

/// `struct iovec`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Iovec {
    pub iov_base: u64,
    pub iov_len: u64,
}
const _: () = assert!(size_of::<Iovec>() == 16);

/// Number of control characters in a NetBSD termios.
pub const NCCS: usize = 20;

/// `struct termios`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Termios {
    pub c_iflag: u32,
    pub c_oflag: u32,
    pub c_cflag: u32,
    pub c_lflag: u32,
    pub c_cc: [u8; NCCS],
    pub c_ispeed: i32,
    pub c_ospeed: i32,
}
const _: () = {
    assert!(size_of::<Termios>() == 44);
    assert!(offset_of!(Termios, c_cc) == 16);
    assert!(offset_of!(Termios, c_ispeed) == 36);
};

/// `struct winsize`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Winsize {
    pub ws_row: u16,
    pub ws_col: u16,
    pub ws_xpixel: u16,
    pub ws_ypixel: u16,
}
const _: () = assert!(size_of::<Winsize>() == 8);

/// `struct rlimit`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rlimit {
    pub rlim_cur: u64,
    pub rlim_max: u64,
}
const _: () = assert!(size_of::<Rlimit>() == 16);

/// `struct rusage` (the `__getrusage50` layout).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rusage {
    pub ru_utime: Timeval,
    pub ru_stime: Timeval,
    /// ru_maxrss … ru_nivcsw, 14 longs.
    pub ru_counters: [i64; 14],
}
const _: () = assert!(size_of::<Rusage>() == 144);

/// `struct statvfs` (the `statvfs1` layout of the 2016 snapshot).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Statvfs {
    pub f_flag: u64,
    pub f_bsize: u64,
    pub f_frsize: u64,
    pub f_iosize: u64,
    pub f_blocks: u64,
    pub f_bfree: u64,
    pub f_bavail: u64,
    pub f_bresvd: u64,
    pub f_files: u64,
    pub f_ffree: u64,
    pub f_favail: u64,
    pub f_fresvd: u64,
    pub f_syncreads: u64,
    pub f_syncwrites: u64,
    pub f_asyncreads: u64,
    pub f_asyncwrites: u64,
    pub f_fsidx: [i32; 2],
    pub f_fsid: u64,
    pub f_namemax: u64,
    pub f_owner: u32,
    pub f_spare: [u32; 4],
    pub f_fstypename: [u8; 32],
    pub f_mntonname: [u8; 1024],
    pub f_mntfromname: [u8; 1024],
}
impl Default for Statvfs {
    fn default() -> Self {
        // SAFETY: plain integers and byte arrays; all-zero is a valid value.
        unsafe { core::mem::zeroed() }
    }
}
const _: () = {
    assert!(size_of::<Statvfs>() == 2256);
    assert!(offset_of!(Statvfs, f_fsidx) == 128);
    assert!(offset_of!(Statvfs, f_namemax) == 144);
    assert!(offset_of!(Statvfs, f_owner) == 152);
    assert!(offset_of!(Statvfs, f_fstypename) == 172);
    assert!(offset_of!(Statvfs, f_mntonname) == 204);
    assert!(offset_of!(Statvfs, f_mntfromname) == 1228);
};

/// sys/un.h's option level and option for a local socket's peer ids (not in the extracted
/// tables): `getsockopt(s, SOL_LOCAL, LOCAL_PEEREID, &unpcbid, &len)`.
pub const SOL_LOCAL: u32 = 0;
pub const LOCAL_PEEREID: u32 = 3;

/// `struct unpcbid`: the ids of the process that connected (or listened, for the connecting
/// side), recorded by connect(2), listen(2) and socketpair(2).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Unpcbid {
    pub unp_pid: i32,
    pub unp_euid: u32,
    pub unp_egid: u32,
}
const _: () = assert!(size_of::<Unpcbid>() == 12);
