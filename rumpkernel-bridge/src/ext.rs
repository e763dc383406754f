//! Backend extensions: calls NetBSD does not have, numbered outside NetBSD's ranges.
//! (Extension syscalls are in [`crate::ext_events`], eventfd, timerfd and signalfd, and
//! [`crate::ext_proc`], other processes for /proc/<pid>.)
//!
//! Like F_GETPATH (taken from NetBSD 10, newer than the 2016 tables), these are fcntl commands in
//! NetBSD's calling convention (NetBSD `struct flock`, NetBSD errno values). NetBSD's own fcntl
//! commands stop below 32; these sit at 0x5258_xxxx ("RX"), where no NetBSD release will put one.
//! A backend that does not know them (NetBSD's rump kernel) answers EINVAL, as NetBSD does for
//! any unknown command, and the personality passes that on: nothing is faked.
//!
//! - `F_OFD_GETLK`/`F_OFD_SETLK`/`F_OFD_SETLKW`: record locks owned by the open file description
//!   (Linux's OFD locks), argument a NetBSD `struct flock *`. They conflict with other
//!   descriptions' OFD locks (even in one process) and with process-owned fcntl locks; a conflict
//!   reported by F_OFD_GETLK has `l_pid` -1. Closing the last descriptor of the description drops
//!   them. The embedded backend keeps them in its lock manager for in-memory files and uses the
//!   host's OFD locks for host files.
//! - `F_ALLOCATE_KEEPSIZE`: reserve blocks for `[off, off+len)` without changing the file size
//!   (Linux's fallocate FALLOC_FL_KEEP_SIZE), argument a pointer to `[i64; 2]` = (off, len). Host
//!   files ask the host for exactly that. In-memory files have no blocks to reserve (their data
//!   lives in host memory allocated on write), so for them it checks the arguments and succeeds
//!   without doing anything, which is the whole of its observable effect.
//!
//! Linux's abstract local socket names are an extension of NetBSD's `sockaddr_un`, for bind,
//! connect, sendto/sendmsg and every call that reports an address: a `sun_path` starting with a
//! NUL byte is an abstract name, its bytes that NUL included, `sa_len` - 2 of them (at most
//! 108, so `sa_len` may exceed NetBSD's 106). bind with `sa_len` 2 (the family alone) binds the
//! socket to a name of its own choosing, Linux's autobind shape (NUL, five lowercase hex
//! digits); on a bound socket it does nothing. Names are the kernel's, never files; each
//! socket type has its own; a name is in use (EADDRINUSE) until its socket is closed; connecting
//! or sending to a name nobody holds is ECONNREFUSED. An unnamed socket is still reported with
//! an all-NUL path. NetBSD's kernel reads such a path as the empty one and answers ENOENT
//! (bind, connect) or EINVAL, which the personality passes on: nothing is faked.
//!
//! Socket options NetBSD lacks are option names at the protocol's own level, numbered from
//! `SO_EXT_BASE`; a backend without them answers ENOPROTOOPT, NetBSD's answer for an unknown one.
//! - `IP_EXT_RECVERR` (IPPROTO_IP) / `IPV6_EXT_RECVERR` (IPPROTO_IPV6): Linux's IP_RECVERR and
//!   IPV6_RECVERR, an int: report ICMP errors on the socket (glibc's resolver refuses to use a
//!   UDP socket without it). The embedded backend's sockets are host sockets and set the host's
//!   option; the error queue it fills (Linux's MSG_ERRQUEUE) is not readable through NetBSD's recvmsg.
//! - `SO_EXT_PASSCRED` (SOL_SOCKET): Linux's SO_PASSCRED, an int (read back as 0 or 1). On a
//!   local socket: receive the sender's credentials with every message, as an `SCM_EXT_CREDS`
//!   control message; it also makes credentials travel with what this socket sends. On other
//!   sockets the embedded backend sets the host's option (so the host's kernel answers, as
//!   Linux would). NetBSD's LOCAL_CREDS/SCM_CREDS carry a different struct and are sent once
//!   per connection, so this is not theirs.
//!
//! Control messages NetBSD lacks are types at SOL_SOCKET numbered from `SCM_EXT_BASE`, in
//! NetBSD's cmsghdr (data at 16); a backend without them refuses to send them (NetBSD: EINVAL)
//! and never produces them.
//! - `SCM_EXT_CREDS`: Linux's SCM_CREDENTIALS, `struct ucred {i32 pid, u32 uid, u32 gid}` (12
//!   bytes, the pid in the guest's numbering). Received before any SCM_RIGHTS on a local socket
//!   with `SO_EXT_PASSCRED`: the credentials of the message's sender (pid 0, uid and gid 65534
//!   when none travelled with it). Sent: credentials the sender claims, checked as Linux checks
//!   them (its own pid and its real, effective or saved ids, unless it is root: EPERM; uid or
//!   gid -1: EINVAL; for root, a pid of no process: ESRCH).

/// Base of the extension fcntl commands.
pub const F_EXT_BASE: u32 = 0x5258_0000;
pub const F_OFD_GETLK: u32 = F_EXT_BASE + 1;
pub const F_OFD_SETLK: u32 = F_EXT_BASE + 2;
pub const F_OFD_SETLKW: u32 = F_EXT_BASE + 3;
pub const F_ALLOCATE_KEEPSIZE: u32 = F_EXT_BASE + 4;

/// poll event bit for Linux's POLLRDHUP (the peer shut its writing side), outside NetBSD's poll
/// bits (which end at 0x100); a backend without it never reports it, as NetBSD's poll ignores
/// event bits it does not know.
pub const POLLRDHUP: u32 = 0x2000;

/// Base of the extension socket option names.
pub const SO_EXT_BASE: u32 = 0x5258_0100;
pub const IP_EXT_RECVERR: u32 = SO_EXT_BASE + 1;
pub const IPV6_EXT_RECVERR: u32 = SO_EXT_BASE + 2;
pub const SO_EXT_PASSCRED: u32 = SO_EXT_BASE + 3;

/// Base of the extension control message types (at SOL_SOCKET).
pub const SCM_EXT_BASE: u32 = 0x5258_0200;
pub const SCM_EXT_CREDS: u32 = SCM_EXT_BASE + 1;
