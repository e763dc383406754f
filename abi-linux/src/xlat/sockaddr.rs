//! Socket addresses: Linux's (a 16-bit `sa_family`, AF_INET6 = 10) ↔ NetBSD's (`sa_len` byte,
//! 8-bit `sa_family`, AF_INET6 = 24). Past the first two bytes sockaddr_in and sockaddr_in6 agree
//! byte for byte; sockaddr_un's path is 108 bytes on Linux and 104 on NetBSD.
//!
//! Linux's abstract unix names (a path starting with NUL) have no NetBSD twin. They travel in
//! the bridge's extension of NetBSD's sockaddr_un (`rumpkernel_bridge::ext`): the name's bytes,
//! leading NUL included, after the family, `sa_len` = 2 + its length; a bind with the family
//! alone asks for an autobind name. An all-NUL path coming back is an unnamed socket (NetBSD's
//! `sun_noname`), so an abstract name made only of NUL bytes reads back as unnamed.

use abi_netbsd::consts::address_family as nb;
use crate::consts::address_family as lx;
use crate::errno::{EAFNOSUPPORT, EINVAL, ENAMETOOLONG};
use crate::Errno;

/// The largest sockaddr on either side (`sockaddr_storage`).
pub const STORAGE: usize = 128;
/// NetBSD's `sun_path` holds 104 bytes, NUL included.
const NB_SUN_PATH: usize = 104;
/// Linux's `struct sockaddr_un`: the family and 108 bytes of path.
const SOCKADDR_UN: usize = 110;
const SOCKADDR_IN: usize = 16;
const SOCKADDR_IN6: usize = 28;
/// Linux accepts the RFC 2133 sockaddr_in6 without sin6_scope_id.
const SOCKADDR_IN6_RFC2133: usize = 24;

/// `(linux, netbsd)` address families rumplx carries.
pub const FAMILIES: &[(u32, u32)] =
    &[(lx::AF_UNSPEC, nb::AF_UNSPEC), (lx::AF_UNIX, nb::AF_UNIX), (lx::AF_INET, nb::AF_INET), (lx::AF_INET6, nb::AF_INET6)];

/// Linux family → NetBSD; EAFNOSUPPORT for families the kernel does not offer.
pub fn family_to_netbsd(f: u32) -> Result<u32, Errno> {
    FAMILIES.iter().find(|p| p.0 == f).map(|p| p.1).ok_or(EAFNOSUPPORT)
}

/// NetBSD family → Linux (None for families rumplx never creates).
pub fn family_to_linux(f: u32) -> Option<u32> {
    FAMILIES.iter().find(|p| p.1 == f).map(|p| p.0)
}

/// A sockaddr in a fixed buffer with its length (either side's layout).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sockaddr {
    pub buf: [u8; STORAGE],
    pub len: u32,
}

impl Default for Sockaddr {
    fn default() -> Self {
        Sockaddr { buf: [0; STORAGE], len: STORAGE as u32 }
    }
}

impl Sockaddr {
    pub fn bytes(&self) -> &[u8] {
        &self.buf[..(self.len as usize).min(STORAGE)]
    }
}

/// A Linux sockaddr of `linux.len()` bytes (as bind/connect/sendto get it) in NetBSD's layout.
/// Lengths are checked as Linux checks them: EINVAL when too short or longer than
/// sockaddr_storage.
pub fn to_netbsd(linux: &[u8]) -> Result<Sockaddr, Errno> {
    if linux.len() < 2 || linux.len() > STORAGE {
        return Err(EINVAL);
    }
    let family = family_to_netbsd(u16::from_ne_bytes([linux[0], linux[1]]) as u32)?;
    let mut out = Sockaddr { buf: [0; STORAGE], len: 0 };
    let len = match family {
        nb::AF_UNSPEC => 2,
        nb::AF_INET if linux.len() < SOCKADDR_IN => return Err(EINVAL),
        nb::AF_INET => SOCKADDR_IN,
        nb::AF_INET6 if linux.len() < SOCKADDR_IN6_RFC2133 => return Err(EINVAL),
        nb::AF_INET6 => SOCKADDR_IN6,
        _ if linux.len() > SOCKADDR_UN => return Err(EINVAL),
        _ if linux.len() == 2 || linux[2] == 0 => {
            // The family alone (bind's autobind) or an abstract name: carried as they are.
            out.buf[2..linux.len()].copy_from_slice(&linux[2..]);
            linux.len()
        }
        _ => {
            // AF_UNIX: the path runs to the first NUL or to the end of what was given.
            let path = &linux[2..];
            let end = path.iter().position(|&b| b == 0).unwrap_or(path.len());
            if end >= NB_SUN_PATH {
                return Err(ENAMETOOLONG);
            }
            out.buf[2..2 + end].copy_from_slice(&path[..end]);
            2 + end + 1
        }
    };
    if family == nb::AF_INET || family == nb::AF_INET6 {
        let have = linux.len().min(len);
        out.buf[2..have].copy_from_slice(&linux[2..have]);
    }
    out.buf[0] = len as u8;
    out.buf[1] = family as u8;
    out.len = len as u32;
    Ok(out)
}

/// A NetBSD sockaddr the kernel wrote (its bytes, `len` as the kernel reported it) in Linux's
/// layout. A sockaddr with nothing in it (AF_UNSPEC, as recvfrom reports for a stream) is
/// empty on Linux: length 0.
pub fn to_linux(netbsd: &[u8]) -> Sockaddr {
    let mut out = Sockaddr { buf: [0; STORAGE], len: 0 };
    if netbsd.len() < 2 {
        return out;
    }
    let Some(family) = family_to_linux(netbsd[1] as u32) else {
        // Unknown to Linux: carry the family number and bytes as they are.
        let n = netbsd.len().min(STORAGE);
        out.buf[..n].copy_from_slice(&netbsd[..n]);
        out.buf[0..2].copy_from_slice(&(netbsd[1] as u16).to_ne_bytes());
        out.len = n as u32;
        return out;
    };
    out.buf[0..2].copy_from_slice(&(family as u16).to_ne_bytes());
    let len = match family {
        lx::AF_UNSPEC => 0,
        lx::AF_INET => SOCKADDR_IN,
        lx::AF_INET6 => SOCKADDR_IN6,
        _ if netbsd.len() > 2 && netbsd[2] == 0 && netbsd[3..].iter().any(|&b| b != 0) => {
            // An abstract name, as long as the kernel said, its leading NUL kept.
            let n = netbsd.len().min(SOCKADDR_UN);
            out.buf[2..n].copy_from_slice(&netbsd[2..n]);
            n
        }
        _ => {
            // Linux reports a path's length with its NUL, an unnamed socket as the family alone.
            let path = &netbsd[2..];
            let end = path.iter().position(|&b| b == 0).unwrap_or(path.len());
            out.buf[2..2 + end].copy_from_slice(&path[..end]);
            if end == 0 {
                2
            } else {
                2 + end + 1
            }
        }
    };
    if family == lx::AF_INET || family == lx::AF_INET6 {
        let have = netbsd.len().min(len);
        out.buf[2..have].copy_from_slice(&netbsd[2..have]);
    }
    out.len = len as u32;
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn linux_in(port: u16, addr: [u8; 4]) -> [u8; 16] {
        let mut b = [0u8; 16];
        b[0..2].copy_from_slice(&(lx::AF_INET as u16).to_ne_bytes());
        b[2..4].copy_from_slice(&port.to_be_bytes());
        b[4..8].copy_from_slice(&addr);
        b
    }

    #[test]
    fn families() {
        assert_eq!(family_to_netbsd(lx::AF_INET6), Ok(24));
        assert_eq!(family_to_netbsd(lx::AF_INET), Ok(2));
        assert_eq!(family_to_netbsd(lx::AF_UNIX), Ok(1));
        assert_eq!(family_to_netbsd(lx::AF_APPLETALK), Err(EAFNOSUPPORT));
        for &(l, n) in FAMILIES {
            assert_eq!(family_to_linux(family_to_netbsd(l).unwrap()), Some(l));
            assert_eq!(family_to_netbsd(family_to_linux(n).unwrap()), Ok(n));
        }
    }

    #[test]
    fn inet() {
        let l = linux_in(8080, [127, 0, 0, 1]);
        let n = to_netbsd(&l).unwrap();
        assert_eq!(n.bytes(), &[16, 2, 0x1f, 0x90, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(to_linux(n.bytes()).bytes(), &l);
        assert_eq!(to_netbsd(&l[..15]), Err(EINVAL));
        assert_eq!(to_netbsd(&l[..1]), Err(EINVAL));
        assert_eq!(to_netbsd(&[0u8; 129]), Err(EINVAL));
        // Longer than needed is fine, as on Linux.
        assert_eq!(to_netbsd(&[&l[..], &[0u8; 12]].concat()).unwrap().len, 16);
    }

    #[test]
    fn inet6() {
        let mut l = [0u8; 28];
        l[0..2].copy_from_slice(&(lx::AF_INET6 as u16).to_ne_bytes());
        l[2..4].copy_from_slice(&443u16.to_be_bytes());
        l[23] = 1; // ::1
        let n = to_netbsd(&l).unwrap();
        assert_eq!((n.buf[0], n.buf[1], n.len), (28, 24, 28));
        assert_eq!(&n.buf[2..28], &l[2..28]);
        assert_eq!(to_linux(n.bytes()).bytes(), &l);
        assert_eq!(to_netbsd(&l[..24]).unwrap().len, 28);
        assert_eq!(to_netbsd(&l[..23]), Err(EINVAL));
    }

    #[test]
    fn unix() {
        let mut l = [0u8; 110];
        l[0] = 1;
        l[2..7].copy_from_slice(b"/sock");
        let n = to_netbsd(&l[..7]).unwrap();
        assert_eq!(n.bytes(), b"\x08\x01/sock\0");
        assert_eq!(to_netbsd(&l).unwrap().bytes(), b"\x08\x01/sock\0");
        assert_eq!(to_linux(n.bytes()).bytes(), b"\x01\0/sock\0");
        // The family alone (autobind) and abstract names travel as they are.
        assert_eq!(to_netbsd(&l[..2]).unwrap().bytes(), b"\x02\x01");
        l[2] = 0;
        let a = to_netbsd(&l[..7]).unwrap();
        assert_eq!(a.bytes(), b"\x07\x01\0sock");
        assert_eq!(to_linux(a.bytes()).bytes(), b"\x01\0\0sock");
        assert_eq!(to_netbsd(&[&l[..], &[0]].concat()), Err(EINVAL));
        // NetBSD's sun_noname (106 bytes of nothing) is unnamed.
        let mut noname = [0u8; 106];
        noname[0] = 106;
        noname[1] = 1;
        assert_eq!(to_linux(&noname).bytes(), b"\x01\0");
        // Linux's 108-byte paths do not fit NetBSD's 104.
        let mut long = [b'a'; 110];
        long[0..2].copy_from_slice(&1u16.to_ne_bytes());
        assert_eq!(to_netbsd(&long), Err(ENAMETOOLONG));
        assert_eq!(to_netbsd(&long[..2 + 103]).unwrap().len, 2 + 103 + 1);
        // An unnamed socket's name is the family alone.
        assert_eq!(to_linux(b"\x03\x01\0").bytes(), b"\x01\0");
    }

    #[test]
    fn unspec_is_empty() {
        assert_eq!(to_linux(&[2, 0]).len, 0);
        assert_eq!(to_netbsd(&[0, 0]).unwrap().bytes(), &[2, 0]);
        assert_eq!(to_netbsd(&[5, 0, 0, 0]), Err(EAFNOSUPPORT));
    }

    proptest! {
        #[test]
        fn inet_round_trip(port in any::<u16>(), addr in any::<[u8; 4]>()) {
            let l = linux_in(port, addr);
            let back = to_linux(to_netbsd(&l).unwrap().bytes());
            prop_assert_eq!(back.bytes(), &l[..]);
        }

        #[test]
        fn inet6_round_trip(port in any::<u16>(), flow in any::<u32>(), addr in any::<[u8; 16]>(), scope in any::<u32>()) {
            let mut l = [0u8; 28];
            l[0..2].copy_from_slice(&(lx::AF_INET6 as u16).to_ne_bytes());
            l[2..4].copy_from_slice(&port.to_be_bytes());
            l[4..8].copy_from_slice(&flow.to_ne_bytes());
            l[8..24].copy_from_slice(&addr);
            l[24..28].copy_from_slice(&scope.to_ne_bytes());
            let back = to_linux(to_netbsd(&l).unwrap().bytes());
            prop_assert_eq!(back.bytes(), &l[..]);
        }

        #[test]
        fn unix_round_trip(path in proptest::collection::vec(1u8..=255, 1..103)) {
            let l = [&1u16.to_ne_bytes()[..], &path[..], &[0]].concat();
            let back = to_linux(to_netbsd(&l).unwrap().bytes());
            prop_assert_eq!(back.bytes(), &l[..]);
        }

        #[test]
        fn abstract_round_trip(rest in proptest::collection::vec(any::<u8>(), 0..106), last in 1u8..=255) {
            // A leading NUL, then bytes with one that is not NUL (all-NUL reads back unnamed).
            let l = [&1u16.to_ne_bytes()[..], &[0], &rest[..], &[last]].concat();
            let back = to_linux(to_netbsd(&l).unwrap().bytes());
            prop_assert_eq!(back.bytes(), &l[..]);
        }

        #[test]
        fn any_bytes_are_answered(b in proptest::collection::vec(any::<u8>(), 0..200)) {
            if let Ok(n) = to_netbsd(&b) {
                prop_assert!(n.len as usize <= STORAGE);
                let _ = to_linux(n.bytes());
            }
        }
    }
}
