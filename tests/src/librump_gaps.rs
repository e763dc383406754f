//! End-to-end cases that differ from native on `--backend librump` (NetBSD's rump kernel), each
//! with its reason. A listed case still runs: its difference is printed, and a listed case that
//! passes says so (the list may shrink). Everything not listed must pass on librump as on the
//! embedded backend.
//!
//! On librump each case's working directory is an ext2 image mounted by NetBSD's ext2fs driver
//! (see `librump_workdir` in lib.rs), so the file-system answers are NetBSD's ext2fs's.

/// (case name, or its prefix up to a build's `-variant`, reason).
pub const KNOWN_GAPS: &[(&str, &str)] = &[
    ("proc_pgwait", "zombies kept until the reap need the reap bridge extension (ENOSYS on NetBSD's rump kernel): there a zombie is gone from the kernel before the reap, so group waits wait for any child"),
    ("proc_jobctl", "NetBSD's rump kernel has no host pseudo-terminals (/dev/ptmx): the case cannot open one"),
    ("proc_ttysig", "NetBSD's rump kernel has no host pseudo-terminals (/dev/ptmx): the case cannot open one"),
    ("procfs_tty", "NetBSD's rump kernel has no host pseudo-terminals (/dev/ptmx), and /proc/<pid> of other processes needs the process-record bridge extension"),
    ("proc_pidfs", "/proc/<pid> of other processes needs the process-record bridge extension (ENOSYS on NetBSD's rump kernel)"),
    ("proc_popen", "the case gives the guest a read-only volume, which librump refuses (etfs has no read-only registration)"),
    ("proc_shm", "files in the rump kernel have no host descriptor: a MAP_SHARED file mapping is a private copy, not shared with a child (the case then faults)"),
    ("clocks", "NetBSD's rump kernel has no clock_getres for the CPU-time clocks (EINVAL), and an absolute clock_nanosleep in it does not wake at its deadline (the case times out)"),
    ("copy_ranges", "NetBSD's ext2fs has no fallocate (EOPNOTSUPP)"),
    ("devices", "the rump kernel's /dev has no /dev/full"),
    ("errno_cases", "NetBSD's ext2fs lets read(2) read a directory (Linux: EISDIR), and NetBSD's lseek takes offsets past Linux's largest file size (Linux: EINVAL)"),
    ("traced-errno_cases", "as errno_cases"),
    ("ids", "the first guest process is not a session leader in NetBSD's rump kernel, so setpgid(0, 0) succeeds (the embedded backend starts it as one, like the harness's native run)"),
    ("ioctl", "TCGETS on /dev/null: NetBSD's null device answers ENODEV where Linux answers ENOTTY"),
    ("locks", "F_OFD_* locks are a bridge extension that NetBSD's rump kernel lacks (EINVAL)"),
    ("mmap_file", "files in the rump kernel have no host descriptor behind them: file mappings are private copies, so MAP_SHARED writes and later writes to the file are not seen (the case then faults)"),
    ("proc_self", "/proc/self/fd links and /proc/cpuinfo, meminfo need bridge extensions and read-only host registrations that NetBSD's rump kernel lacks"),
    ("procfs_stat", "/proc/self/stat needs the process-statistics bridge extension (ENOSYS on NetBSD's rump kernel)"),
    ("readdir_big", "NetBSD's ext2fs reports every entry's type as DT_UNKNOWN, refuses a getdents buffer smaller than a directory block with EINVAL (Linux: 0 or EINVAL only below one record), and answers EINVAL, not ENOTDIR, for a file"),
    ("traced-readdir_big", "as readdir_big"),
    ("random", "NetBSD's /dev/urandom in the rump kernel returns at most 16 bytes per read of 32"),
    ("rusage_times", "the rump kernel's process times do not count the host CPU time of the guest's threads"),
    ("sched", "sched_yield is not in NetBSD's rump kernel's syscall table (ENOSYS)"),
    ("stdio-null", "stdin is a pipe from the pump process on librump, where the host's is /dev/null"),
    ("stdio-files", "stdin and stdout are pipes on librump: the guest cannot seek them as it can the host's files"),
    ("stdio-tty", "stdin is a pipe on librump: no terminal, and the pump keeps it open while the host's terminal is (the case times out)"),
    ("stdin_read", "stdin is a pipe from the pump process on librump (the rump kernel has no console input), where the host's is /dev/null or a file"),
    ("telldir", "NetBSD's ext2fs returns nothing after a seekdir to a position inside a directory block (its directory offsets are block-relative cookies)"),
    ("tty", "stdin and stdout are pipes on librump: the guest has no terminal"),
    ("uname_sysinfo", "sysinfo's totalram is the rump kernel's own memory, smaller than the host's"),
    ("utimensat", "NetBSD's ext2fs keeps whole seconds"),
];

/// The reason `label` (e.g. `pipes-musl-static`) is a known gap on librump, if it is one.
pub fn known_gap(label: &str) -> Option<&'static str> {
    KNOWN_GAPS
        .iter()
        .find(|(name, _)| label == *name || label.strip_prefix(name).is_some_and(|rest| rest.starts_with('-')))
        .map(|(_, why)| *why)
}
