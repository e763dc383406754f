//! Backend extension calls: what another process of the run looks like, for Linux's
//! /proc/<pid>. Numbered with the other extension calls (`ext_events::SYS_EXT_BASE`, "RX"), from
//! +0x20. NetBSD's rump kernel answers ENOSYS for them; the personality then has no /proc/<pid>
//! for processes other than the caller (ENOENT), and nothing is faked.
//!
//! The kernel knows each process's ids, credentials, descriptor table, cwd and lwps. What only a
//! process's own layer knows (its name, argv, program path) the layer publishes into the kernel,
//! which keeps it with the process: at start, after execve, and when the main thread's name
//! changes (prctl PR_SET_NAME). A process made by `lwproc_rfork` starts with its parent's record,
//! as a Linux fork child has its parent's name and command line until it execs.
//!
//! - `SYS_EXT_proc_publish(const struct ProcPublish *)`: the caller's record.
//! - `SYS_EXT_proc_info(pid_t, struct ProcInfo *, int flags)`: what the kernel knows of `pid`;
//!   ESRCH if the run has no such process. With `PROC_INFO_NO_HOST` the host's accounting (state,
//!   nice, times, faults: a read of the host's /proc) is left out, 0: for a caller asking about
//!   itself, which has getrusage.
//! - `SYS_EXT_proc_text(pid_t, int what, char *buf, size_t len)`: `PROC_TEXT_EXE` (the program's
//!   path), `PROC_TEXT_ARGS` (argv, each NUL-terminated) or `PROC_TEXT_CWD`; answers the full
//!   length and copies at most `len` bytes of it (no NUL added). EACCES for EXE and CWD of a
//!   process the caller may not inspect.
//! - `SYS_EXT_proc_fds(pid_t, int *buf, size_t n)`: the open descriptors, ascending; answers how
//!   many there are and stores at most `n`.
//! - `SYS_EXT_proc_fdstat(pid_t, int fd, struct stat *)`: fstat of the process's descriptor.
//! - `SYS_EXT_proc_fdpath(pid_t, int fd, char *buf)`: F_GETPATH of the process's descriptor
//!   (into a MAXPATHLEN buffer).
//! - `SYS_EXT_proc_list(pid_t *buf, size_t n)`: the pids of the run, ascending; answers how many
//!   there are and stores at most `n`.
//!
//! A zombie (ended, not yet reaped: see `ext_events`) is still listed, with its ids and one lwp,
//! as on Linux; it has no argv (empty), no program or cwd (ENOENT) and no descriptors.
//!
//! Descriptors, cwd and program path of another process need the right to inspect it, Linux's
//! rule for /proc/<pid>/fd, cwd and exe: the caller is root, or its effective ids equal all three
//! of the target's user ids and all three of its group ids; EACCES otherwise.
#![allow(non_upper_case_globals)]

use crate::ext_events::SYS_EXT_BASE;
use abi_netbsd::structs::Timeval;

pub const SYS_EXT_proc_publish: u32 = SYS_EXT_BASE + 0x20;
pub const SYS_EXT_proc_info: u32 = SYS_EXT_BASE + 0x21;
pub const SYS_EXT_proc_text: u32 = SYS_EXT_BASE + 0x22;
pub const SYS_EXT_proc_fds: u32 = SYS_EXT_BASE + 0x23;
pub const SYS_EXT_proc_fdstat: u32 = SYS_EXT_BASE + 0x24;
pub const SYS_EXT_proc_fdpath: u32 = SYS_EXT_BASE + 0x25;
pub const SYS_EXT_proc_list: u32 = SYS_EXT_BASE + 0x26;

/// `SYS_EXT_proc_info` flag: leave out the host's accounting.
pub const PROC_INFO_NO_HOST: u64 = 1;

pub const PROC_TEXT_EXE: u32 = 0;
pub const PROC_TEXT_ARGS: u32 = 1;
pub const PROC_TEXT_CWD: u32 = 2;

/// Longest argv record the kernel keeps (Linux's ARG_MAX for a default 8 MiB stack).
pub const PROC_ARGS_MAX: u64 = 2 << 20;

/// A process's own facts, published into the kernel.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct ProcPublish {
    /// The main thread's name, NUL-padded (at most 15 bytes).
    pub comm: [u8; 16],
    /// The program's path (no NUL) and its length, at most MAXPATHLEN.
    pub exe: u64,
    pub exe_len: u64,
    /// argv, each argument NUL-terminated, and the length, at most [`PROC_ARGS_MAX`].
    pub args: u64,
    pub args_len: u64,
}
const _: () = assert!(core::mem::size_of::<ProcPublish>() == 48);

/// What the kernel knows of a process.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct ProcInfo {
    pub pid: i32,
    pub ppid: i32,
    pub pgid: i32,
    pub sid: i32,
    pub ruid: u32,
    pub euid: u32,
    pub svuid: u32,
    pub rgid: u32,
    pub egid: u32,
    pub svgid: u32,
    /// Its lwps (threads).
    pub nlwp: u32,
    /// The host's letter for the state of the host process running it (R running, S sleeping,
    /// D disk wait, T stopped, Z zombie, ...), 0 when the backend does not know.
    pub state: u8,
    pub _pad: [u8; 3],
    /// The published name, NUL-padded (all NUL if nothing was published).
    pub comm: [u8; 16],
    /// Nice value (the host's, 0 when not known).
    pub nice: i32,
    /// The foreground process group of its controlling terminal; -1 without a controlling
    /// terminal (or when that terminal controls no session any more).
    pub tpgid: i32,
    /// RLIMIT_RSS's current value (NetBSD's RLIM_INFINITY when unlimited).
    pub rsslim: u64,
    /// Page faults and times of the process and of its reaped children, as the host counts them
    /// for the host process running it (0 when not known).
    pub minflt: u64,
    pub majflt: u64,
    pub cminflt: u64,
    pub cmajflt: u64,
    pub utime: Timeval,
    pub stime: Timeval,
    pub cutime: Timeval,
    pub cstime: Timeval,
    /// Its controlling terminal: the device number of the terminal (NetBSD's `makedev` of the
    /// host's major and minor, as `st_rdev` of the terminal's stat), 0 without one.
    pub tty: u64,
}
const _: () = assert!(core::mem::size_of::<ProcInfo>() == 184);
