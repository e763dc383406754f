//! sysctl MIB numbers (`sys/sysctl.h`) the personality uses; NetBSD has no uname or sethostname
//! syscall, libc goes through these.

pub const CTL_KERN: i32 = 1;
pub const CTL_HW: i32 = 6;
pub const KERN_OSTYPE: i32 = 1;
pub const KERN_OSRELEASE: i32 = 2;
pub const KERN_HOSTNAME: i32 = 10;
pub const KERN_DOMAINNAME: i32 = 22;
pub const HW_NCPU: i32 = 3;
pub const HW_PHYSMEM64: i32 = 13;
