//! Message flags (MSG_*) and control messages (cmsghdr), Linux ↔ NetBSD.
//!
//! Both cmsghdrs take 16 bytes with the data 8-byte aligned after them; Linux's `cmsg_len` is a
//! size_t at 0 (level at 8, type at 12), NetBSD's a u32 (level at 4, type at 8). SCM_RIGHTS is 1
//! on both, at SOL_SOCKET (1 vs 0xffff). SCM_CREDENTIALS has no NetBSD twin (SCM_CREDS carries
//! another struct): it travels as the bridge extension `SCM_EXT_CREDS` with Linux's `struct ucred`.

use alloc::vec::Vec;

use abi_netbsd::consts::{msg_flags as nb, scm as nscm, sockopt_socket as nso};
use crate::consts::{msg_flags as lx, scm as lscm, sockopt_socket as lso};
use crate::errno::{EINVAL, EOPNOTSUPP};
use crate::Errno;

use super::BitTable;
use rumpkernel_bridge::ext;

/// Linux's `struct ucred` size: the only data length SCM_CREDENTIALS may have.
const UCRED: usize = 12;

/// MSG_* bits with a NetBSD twin.
pub const FLAGS: BitTable = BitTable(&[
    (lx::MSG_OOB, nb::MSG_OOB),
    (lx::MSG_PEEK, nb::MSG_PEEK),
    (lx::MSG_DONTROUTE, nb::MSG_DONTROUTE),
    (lx::MSG_CTRUNC, nb::MSG_CTRUNC),
    (lx::MSG_TRUNC, nb::MSG_TRUNC),
    (lx::MSG_DONTWAIT, nb::MSG_DONTWAIT),
    (lx::MSG_EOR, nb::MSG_EOR),
    (lx::MSG_WAITALL, nb::MSG_WAITALL),
    (lx::MSG_NOSIGNAL, nb::MSG_NOSIGNAL),
    (lx::MSG_CMSG_CLOEXEC, nb::MSG_CMSG_CLOEXEC),
    (lx::MSG_WAITFORONE, nb::MSG_WAITFORONE),
]);

/// Linux-only hints a sender may drop without changing what is delivered: MSG_MORE (corking),
/// MSG_CONFIRM (ARP reachability), MSG_BATCH (more sendmmsg coming).
const HINTS: u32 = lx::MSG_MORE | lx::MSG_CONFIRM | lx::MSG_BATCH;

/// The flags of a send or receive call in NetBSD's bits; EOPNOTSUPP for Linux-only behaviour
/// (MSG_ERRQUEUE, MSG_FASTOPEN, MSG_ZEROCOPY, …).
pub fn to_netbsd(flags: u32) -> Result<u32, Errno> {
    let (out, left) = FLAGS.to_netbsd(flags & !HINTS);
    if left != 0 {
        return Err(EOPNOTSUPP);
    }
    Ok(out)
}

/// The `msg_flags` a receive reported, in Linux's bits.
pub fn to_linux(flags: u32) -> u32 {
    FLAGS.to_linux(flags).0
}

/// Linux and NetBSD cmsghdr size: the data starts here on both.
pub const HDR: usize = 16;

fn align(n: usize) -> usize {
    (n + 7) & !7
}

/// A Linux control buffer as NetBSD's. Walked as CMSG_NXTHDR walks it: a header that does not
/// fit the buffer ends the list; a bad length is EINVAL.
pub fn control_to_netbsd(linux: &[u8]) -> Result<Vec<u8>, Errno> {
    let mut out = Vec::with_capacity(linux.len());
    let mut off = 0;
    while off + HDR <= linux.len() {
        let len = u64::from_ne_bytes(linux[off..off + 8].try_into().unwrap()) as usize;
        let level = u32::from_ne_bytes(linux[off + 8..off + 12].try_into().unwrap());
        let ty = u32::from_ne_bytes(linux[off + 12..off + 16].try_into().unwrap());
        if len < HDR || len > linux.len() - off {
            return Err(EINVAL);
        }
        let nty = match (level, ty) {
            (lso::SOL_SOCKET, lscm::SCM_RIGHTS) => nscm::SCM_RIGHTS,
            // Linux: exactly CMSG_LEN(sizeof(struct ucred)).
            (lso::SOL_SOCKET, lscm::SCM_CREDENTIALS) if len == HDR + UCRED => ext::SCM_EXT_CREDS,
            _ => return Err(EINVAL),
        };
        out.extend_from_slice(&(len as u32).to_ne_bytes());
        out.extend_from_slice(&nso::SOL_SOCKET.to_ne_bytes());
        out.extend_from_slice(&nty.to_ne_bytes());
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&linux[off + HDR..off + len]);
        out.resize(align(out.len()), 0);
        off += align(len);
    }
    Ok(out)
}

/// A NetBSD control buffer the kernel filled, as Linux's. Messages rumplx does not know are
/// dropped (Linux would not have produced them).
pub fn control_to_linux(netbsd: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(netbsd.len());
    let mut off = 0;
    while off + HDR <= netbsd.len() {
        let len = u32::from_ne_bytes(netbsd[off..off + 4].try_into().unwrap()) as usize;
        let level = u32::from_ne_bytes(netbsd[off + 4..off + 8].try_into().unwrap());
        let ty = u32::from_ne_bytes(netbsd[off + 8..off + 12].try_into().unwrap());
        if len < HDR || len > netbsd.len() - off {
            break;
        }
        let lty = match (level, ty) {
            (nso::SOL_SOCKET, nscm::SCM_RIGHTS) => Some(lscm::SCM_RIGHTS),
            (nso::SOL_SOCKET, ext::SCM_EXT_CREDS) => Some(lscm::SCM_CREDENTIALS),
            _ => None,
        };
        if let Some(lty) = lty {
            let start = out.len();
            out.extend_from_slice(&(len as u64).to_ne_bytes());
            out.extend_from_slice(&lso::SOL_SOCKET.to_ne_bytes());
            out.extend_from_slice(&lty.to_ne_bytes());
            out.extend_from_slice(&netbsd[off + HDR..off + len]);
            out.resize(start + align(len), 0);
        }
        off += align(len);
    }
    out
}

/// The descriptors of every SCM_RIGHTS message in a NetBSD control buffer (to close them when
/// they cannot reach the guest).
pub fn rights(netbsd: &[u8]) -> Vec<i32> {
    let mut fds = Vec::new();
    let mut off = 0;
    while off + HDR <= netbsd.len() {
        let len = u32::from_ne_bytes(netbsd[off..off + 4].try_into().unwrap()) as usize;
        if len < HDR || len > netbsd.len() - off {
            break;
        }
        let (level, ty) = (u32::from_ne_bytes(netbsd[off + 4..off + 8].try_into().unwrap()), u32::from_ne_bytes(netbsd[off + 8..off + 12].try_into().unwrap()));
        if (level, ty) != (nso::SOL_SOCKET, nscm::SCM_RIGHTS) {
            off += align(len);
            continue;
        }
        for c in netbsd[off + HDR..off + len].chunks_exact(4) {
            fds.push(i32::from_ne_bytes(c.try_into().unwrap()));
        }
        off += align(len);
    }
    fds
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn linux_rights(fds: &[i32]) -> Vec<u8> {
        let len = HDR + 4 * fds.len();
        let mut v = Vec::new();
        v.extend_from_slice(&(len as u64).to_ne_bytes());
        v.extend_from_slice(&1u32.to_ne_bytes());
        v.extend_from_slice(&1u32.to_ne_bytes());
        for f in fds {
            v.extend_from_slice(&f.to_ne_bytes());
        }
        v.resize(align(len), 0);
        v
    }

    #[test]
    fn flags() {
        assert_eq!(to_netbsd(lx::MSG_DONTWAIT | lx::MSG_NOSIGNAL), Ok(nb::MSG_DONTWAIT | nb::MSG_NOSIGNAL));
        assert_eq!(to_netbsd(lx::MSG_PEEK | lx::MSG_WAITALL), Ok(nb::MSG_PEEK | nb::MSG_WAITALL));
        assert_eq!(to_netbsd(lx::MSG_MORE), Ok(0));
        assert_eq!(to_netbsd(lx::MSG_ERRQUEUE), Err(EOPNOTSUPP));
        assert_eq!(to_linux(nb::MSG_TRUNC | nb::MSG_CTRUNC), lx::MSG_TRUNC | lx::MSG_CTRUNC);
        assert_eq!(to_linux(nb::MSG_EOR), lx::MSG_EOR);
    }

    #[test]
    fn control() {
        let l = linux_rights(&[3, 4, 5]);
        let n = control_to_netbsd(&l).unwrap();
        assert_eq!(&n[0..4], &28u32.to_ne_bytes());
        assert_eq!(&n[4..8], &0xffffu32.to_ne_bytes());
        assert_eq!(&n[8..12], &1u32.to_ne_bytes());
        assert_eq!(rights(&n), [3, 4, 5]);
        assert_eq!(control_to_linux(&n), l);
        // Two messages.
        let two = [linux_rights(&[7]), linux_rights(&[8, 9])].concat();
        assert_eq!(rights(&control_to_netbsd(&two).unwrap()), [7, 8, 9]);
        // Bad lengths and unknown messages.
        let mut bad = l.clone();
        bad[0] = 8;
        assert_eq!(control_to_netbsd(&bad), Err(EINVAL));
        bad[0] = 200;
        assert_eq!(control_to_netbsd(&bad), Err(EINVAL));
        // SCM_CREDENTIALS: a ucred exactly, as the extension type; back the same.
        let mut creds = linux_rights(&[7, 1000, 100]);
        creds[12] = lscm::SCM_CREDENTIALS as u8;
        let n = control_to_netbsd(&creds).unwrap();
        assert_eq!(&n[8..12], &ext::SCM_EXT_CREDS.to_ne_bytes());
        assert_eq!(control_to_linux(&n), creds);
        assert!(rights(&n).is_empty());
        let mut wrong = linux_rights(&[7, 1000]);
        wrong[12] = lscm::SCM_CREDENTIALS as u8;
        assert_eq!(control_to_netbsd(&wrong), Err(EINVAL));
        // Credentials then descriptors.
        let both = [n.clone(), control_to_netbsd(&l).unwrap()].concat();
        assert_eq!(rights(&both), [3, 4, 5]);
        assert_eq!(control_to_linux(&both), [creds.clone(), l.clone()].concat());
        assert_eq!(control_to_netbsd(&[0; 8]), Ok(Vec::new()));
    }

    proptest! {
        #[test]
        fn flag_round_trip(f in any::<u32>()) {
            if let Ok(n) = to_netbsd(f) {
                prop_assert_eq!(to_linux(n), f & !HINTS);
            }
        }

        #[test]
        fn rights_round_trip(fds in proptest::collection::vec(0i32..1024, 1..20)) {
            let l = linux_rights(&fds);
            let n = control_to_netbsd(&l).unwrap();
            prop_assert_eq!(rights(&n), fds);
            prop_assert_eq!(control_to_linux(&n), l);
        }

        #[test]
        fn any_control_is_answered(b in proptest::collection::vec(any::<u8>(), 0..100)) {
            let _ = control_to_netbsd(&b);
            let _ = control_to_linux(&b);
            let _ = rights(&b);
        }
    }
}
