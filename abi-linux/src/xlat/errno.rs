//! errno: NetBSD ↔ Linux by name, through the two generated tables.
//!
//! Same name means same meaning, with two exceptions handled first: NetBSD's kernel-internal
//! pseudo-errors (negative: ERESTART, EJUSTRETURN, …) never mean Linux's ERESTART (85), and NetBSD-only
//! names map to the nearest Linux meaning.

use crate::Errno;

/// The Linux errno for a NetBSD one. Total: every NetBSD value has an answer (tested below).
pub fn from_netbsd(e: abi_netbsd::Errno) -> Errno {
    use crate::errno::*;
    if e.0 <= 0 {
        // ERESTART (-3) escaping the kernel means "interrupted"; the others are kernel-internal.
        return if e.0 == -3 { EINTR } else { EINVAL };
    }
    let Some(name) = e.name() else { return EINVAL };
    match name {
        // NetBSD ENOTSUP (86) is distinct from EOPNOTSUPP (45); Linux has one value for both, and
        // its generated name table lists it as ENOTSUP only.
        "ENOTSUP" | "EOPNOTSUPP" => return EOPNOTSUPP,
        _ => {}
    }
    match crate::errno::NAMES.iter().find(|(_, n)| *n == name) {
        Some((v, _)) => Errno(*v),
        None => netbsd_only(name),
    }
}

/// NetBSD errno names Linux lacks, mapped to the nearest Linux meaning.
fn netbsd_only(name: &str) -> Errno {
    use crate::errno::*;
    match name {
        "EFTYPE" => EINVAL,
        "EAUTH" | "ENEEDAUTH" => EACCES,
        "EPROCLIM" => EAGAIN,
        // Extended attribute not found: Linux says ENODATA.
        "ENOATTR" => ENODATA,
        "EBADRPC" | "ERPCMISMATCH" | "EPROGUNAVAIL" | "EPROGMISMATCH" | "EPROCUNAVAIL" => EPROTO,
        _ => EINVAL,
    }
}

/// The NetBSD errno for a Linux one, when NetBSD has the same name (tests and round trips; the
/// layer itself only needs the NetBSD → Linux direction).
pub fn to_netbsd(e: Errno) -> Option<abi_netbsd::Errno> {
    let name = e.name()?;
    abi_netbsd::errno::NAMES.iter().find(|(_, n)| *n == name).map(|(v, _)| abi_netbsd::Errno(*v))
}

/// The C library's message for a Linux errno, as strace prints it.
pub fn message(e: Errno) -> &'static str {
    use crate::errno::*;
    const MESSAGES: &[(Errno, &str)] = &[
        (EPERM, "Operation not permitted"), (ENOENT, "No such file or directory"), (ESRCH, "No such process"),
        (EINTR, "Interrupted system call"), (EIO, "Input/output error"), (ENXIO, "No such device or address"),
        (E2BIG, "Argument list too long"), (ENOEXEC, "Exec format error"), (EBADF, "Bad file descriptor"),
        (ECHILD, "No child processes"), (EAGAIN, "Resource temporarily unavailable"), (ENOMEM, "Cannot allocate memory"),
        (EACCES, "Permission denied"), (EFAULT, "Bad address"), (EBUSY, "Device or resource busy"),
        (EEXIST, "File exists"), (EXDEV, "Invalid cross-device link"), (ENODEV, "No such device"),
        (ENOTDIR, "Not a directory"), (EISDIR, "Is a directory"), (EINVAL, "Invalid argument"),
        (ENFILE, "Too many open files in system"), (EMFILE, "Too many open files"),
        (ENOTTY, "Inappropriate ioctl for device"), (EFBIG, "File too large"), (ENOSPC, "No space left on device"),
        (ESPIPE, "Illegal seek"), (EROFS, "Read-only file system"), (EMLINK, "Too many links"), (EPIPE, "Broken pipe"),
        (ERANGE, "Numerical result out of range"), (ENAMETOOLONG, "File name too long"),
        (ENOSYS, "Function not implemented"), (ENOTEMPTY, "Directory not empty"),
        (ELOOP, "Too many levels of symbolic links"), (EOPNOTSUPP, "Operation not supported"),
        (ETIMEDOUT, "Connection timed out"), (ECONNREFUSED, "Connection refused"),
        (EADDRINUSE, "Address already in use"), (EINPROGRESS, "Operation now in progress"),
    ];
    MESSAGES.iter().find(|(v, _)| *v == e).map(|(_, m)| *m).unwrap_or("Unknown error")
}

#[cfg(test)]
mod tests {
    use super::*;
    use abi_netbsd::errno as nb;
    use crate::errno as lx;

    #[test]
    fn examples_from_the_design() {
        for (n, l) in [
            (nb::EAGAIN, lx::EAGAIN),
            (nb::EINPROGRESS, lx::EINPROGRESS),
            (nb::ENOSYS, lx::ENOSYS),
            (nb::ELOOP, lx::ELOOP),
            (nb::ENOTEMPTY, lx::ENOTEMPTY),
            (nb::ETIMEDOUT, lx::ETIMEDOUT),
            (nb::ECONNREFUSED, lx::ECONNREFUSED),
            (nb::EADDRINUSE, lx::EADDRINUSE),
            (nb::ENOATTR, lx::ENODATA),
            (nb::ENOTSUP, lx::EOPNOTSUPP),
            (nb::EOPNOTSUPP, lx::EOPNOTSUPP),
            (abi_netbsd::Errno(-3), lx::EINTR),
        ] {
            assert_eq!(from_netbsd(n), l, "{:?}", n.name());
        }
    }

    #[test]
    fn every_netbsd_value_has_a_linux_value_of_the_same_name_or_a_listed_neighbour() {
        const NETBSD_ONLY: &[&str] = &[
            "EFTYPE", "EAUTH", "ENEEDAUTH", "EPROCLIM", "ENOATTR", "EBADRPC", "ERPCMISMATCH",
            "EPROGUNAVAIL", "EPROGMISMATCH", "EPROCUNAVAIL", "ENOTSUP", "EOPNOTSUPP",
        ];
        for (v, name) in nb::NAMES {
            let l = from_netbsd(abi_netbsd::Errno(*v));
            assert!(l.0 > 0 && l.name().is_some(), "{name} → {l:?}");
            if !NETBSD_ONLY.contains(name) {
                // Linux may list aliases (EWOULDBLOCK = EAGAIN): compare values, not first names.
                let want = lx::NAMES.iter().find(|(_, n)| n == name).map(|(v, _)| *v);
                assert_eq!(Some(l.0), want, "{name}");
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn round_trip_linux_netbsd_linux(i in 0usize..lx::NAMES.len()) {
            let l = Errno(lx::NAMES[i].0);
            if let Some(n) = to_netbsd(l) {
                proptest::prop_assert_eq!(from_netbsd(n), l);
            }
        }

        #[test]
        fn any_value_is_answered(v in proptest::prelude::any::<i32>()) {
            let l = from_netbsd(abi_netbsd::Errno(v));
            proptest::prop_assert!(l.0 > 0);
        }
    }
}
