//! Backend extension calls: NetBSD 10's eventfd(2) and timerfd(2), which the 2016 syscall table
//! lacks, numbered outside NetBSD's range (0x5258_01xx, "RX") so no NetBSD release collides.
//! Arguments and flags are NetBSD 10's: EFD_/TFD_CLOEXEC = O_CLOEXEC, EFD_/TFD_NONBLOCK =
//! O_NONBLOCK, EFD_SEMAPHORE = O_RDWR, TFD_TIMER_ABSTIME = O_WRONLY, `struct itimerspec` and clock
//! ids as NetBSD's. A backend without them (NetBSD's rump kernel) answers ENOSYS: nothing is faked.
//!
//! - `SYS_EXT_eventfd(u_int val, int flags)`: a counter descriptor; read takes the count (or 1
//!   with EFD_SEMAPHORE) as 8 bytes, write adds, poll/kqueue see it readable while nonzero.
//! - `SYS_EXT_timerfd_create(clockid_t, int flags)`, `SYS_EXT_timerfd_settime(int fd, int flags,
//!   const struct itimerspec *new, struct itimerspec *old)`, `SYS_EXT_timerfd_gettime(int fd,
//!   struct itimerspec *cur)`: a timer descriptor; read takes the expirations as 8 bytes.
//! - `SYS_EXT_signalfd(uint64_t mask, int flags, uint64_t pending)`: a signalfd descriptor (Linux's;
//!   no NetBSD has one). Signals are the caller's, not the kernel's: the kernel keeps the
//!   descriptor (so dup, fork, exec and close treat it as any other) with its mask, and a
//!   readiness the caller sets from the signals it has pending: poll/kqueue see the descriptor
//!   readable while `mask & pending` is not empty. read and readv of it fail with [`ELAYER`]:
//!   the caller serves them. Masks and pending sets are Linux signal sets (bit N-1 for signal N),
//!   which the kernel only intersects.
//! - `SYS_EXT_signalfd_setmask(int fd, uint64_t mask, uint64_t pending)`: a new mask (EINVAL if
//!   `fd` is not a signalfd); `SYS_EXT_signalfd_getmask(int fd)`: the mask (EINVAL likewise).
//! - `SYS_EXT_signalfd_pending(uint64_t pending)`: the caller's pending signals changed: every
//!   signalfd in the calling process's descriptor table is made readable or not by it.
//!
//! Processes. A guest process is a host process, and waiting is the host's; but a process must
//! stay in the kernel until it is reaped (a zombie, as on NetBSD and Linux), so its group,
//! session and existence are known until then. When its last lwp goes, the embedded backend
//! keeps it as a zombie (descriptors closed, pid, parent, group and session kept; live children
//! to init, zombie children reaped as init would), unless nobody will wait for it: its parent is
//! init or ignores SIGCHLD, then it goes at once. The parent, having waited for its host
//! process, reaps it with:
//! - `SYS_EXT_reap(pid_t pid)`: the caller's child `pid` goes for good (getpgid, kill: ESRCH
//!   from now on). Its host process has ended, so one whose last lwp the kernel has not yet seen
//!   go ends now. ECHILD when `pid` is not a child of the caller.
//! - `SYS_EXT_nocldwait(int on)`: the caller's children are reaped at their exit while `on`
//!   (Linux's and NetBSD's SIGCHLD SIG_IGN or SA_NOCLDWAIT; NetBSD's PS_NOCLDWAIT), inherited by
//!   new processes. The caller's host reaps their host processes too.
//!
//! - `SYS_EXT_stop_signal(int sig)`: the caller is stopping with SIGSTOP in place of stop
//!   signal `sig` (its host would not stop it with `sig` itself: the host's job-control stops
//!   do nothing in a host process group the host deems orphaned); 0 once it runs again.
//! - `SYS_EXT_stop_signal_of(pid_t pid)`: what process `pid` recorded that way (0: nothing), so
//!   its parent's wait and SIGCHLD report the signal that stopped it. ESRCH for no process.
//!
//! NetBSD's rump kernel answers ENOSYS for all these: there a process goes with its last lwp (the
//! personality then waits a bounded time for that after a reap, as before).
#![allow(non_upper_case_globals)]

pub const SYS_EXT_BASE: u32 = 0x5258_0100;
pub const SYS_EXT_eventfd: u32 = SYS_EXT_BASE + 1;
pub const SYS_EXT_timerfd_create: u32 = SYS_EXT_BASE + 2;
pub const SYS_EXT_timerfd_settime: u32 = SYS_EXT_BASE + 3;
pub const SYS_EXT_timerfd_gettime: u32 = SYS_EXT_BASE + 4;
pub const SYS_EXT_signalfd: u32 = SYS_EXT_BASE + 5;
pub const SYS_EXT_signalfd_setmask: u32 = SYS_EXT_BASE + 6;
pub const SYS_EXT_signalfd_getmask: u32 = SYS_EXT_BASE + 7;
pub const SYS_EXT_signalfd_pending: u32 = SYS_EXT_BASE + 8;
pub const SYS_EXT_reap: u32 = SYS_EXT_BASE + 9;
pub const SYS_EXT_nocldwait: u32 = SYS_EXT_BASE + 10;
pub const SYS_EXT_stop_signal: u32 = SYS_EXT_BASE + 11;
pub const SYS_EXT_stop_signal_of: u32 = SYS_EXT_BASE + 12;

/// "Served above": a read of a signalfd, which only the caller can serve. Negative like NetBSD's
/// kernel-internal pseudo-errnos (ERESTART, EJUSTRETURN), so no errno value collides.
pub const ELAYER: abi_netbsd::Errno = abi_netbsd::Errno(-0x5258);

use abi_netbsd::consts::open_flags as of;
pub const EFD_SEMAPHORE: u32 = of::O_RDWR;
pub const TFD_TIMER_ABSTIME: u32 = of::O_WRONLY;
pub const TFD_TIMER_CANCEL_ON_SET: u32 = of::O_RDWR;
