//! Socket options: (level, name) pairs and their value layouts, Linux ↔ NetBSD.
//!
//! SOL_SOCKET is 1 on Linux and 0xffff on NetBSD and every SO_* number differs; the IP, IPv6 and
//! TCP levels keep their protocol numbers but many option numbers differ. Values are ints,
//! `struct linger` and the multicast requests (same bytes on both sides), `struct timeval` (Linux
//! {i64, i64}, NetBSD {i64, i32 + pad}) and SO_ERROR's errno (translated). Options with no NetBSD
//! twin (SO_PEERCRED, SO_PRIORITY, TCP_INFO, …) answer ENOPROTOOPT, except those carried as
//! backend extensions (IP_RECVERR, SO_PASSCRED).

use abi_netbsd::consts::{ipproto as nip, sockopt_ip as nip4, sockopt_ipv6 as nip6, sockopt_socket as nso, sockopt_tcp as ntcp};
use crate::consts::{ipproto as ip, sockopt_ip as ip4, sockopt_ipv6 as ip6, sockopt_socket as so, sockopt_tcp as tcp};
use crate::errno::{EDOM, EINVAL, ENOPROTOOPT};
use crate::Errno;

use rumpkernel_bridge::ext;

/// Linux's extended ICMP error reporting (not in the extracted constant tables).
const IP_RECVERR: u32 = 11;
const IPV6_RECVERR: u32 = 25;

/// How an option's value is laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Val {
    /// An int (Linux reads at least 4 bytes).
    Int,
    /// The same bytes on both sides (struct linger, ip_mreq, ipv6_mreq, in_addr).
    Bytes,
    /// `struct timeval`.
    Timeval,
    /// An errno value, read only (SO_ERROR).
    Errno,
}

/// `(linux level, linux name, netbsd level, netbsd name, value)`.
pub type Opt = (u32, u32, u32, u32, Val);

/// Every option rumplx carries.
pub const OPTIONS: &[Opt] = &[
    (so::SOL_SOCKET, so::SO_DEBUG, nso::SOL_SOCKET, nso::SO_DEBUG, Val::Int),
    (so::SOL_SOCKET, so::SO_REUSEADDR, nso::SOL_SOCKET, nso::SO_REUSEADDR, Val::Int),
    (so::SOL_SOCKET, so::SO_REUSEPORT, nso::SOL_SOCKET, nso::SO_REUSEPORT, Val::Int),
    (so::SOL_SOCKET, so::SO_TYPE, nso::SOL_SOCKET, nso::SO_TYPE, Val::Int),
    (so::SOL_SOCKET, so::SO_ERROR, nso::SOL_SOCKET, nso::SO_ERROR, Val::Errno),
    (so::SOL_SOCKET, so::SO_DONTROUTE, nso::SOL_SOCKET, nso::SO_DONTROUTE, Val::Int),
    (so::SOL_SOCKET, so::SO_BROADCAST, nso::SOL_SOCKET, nso::SO_BROADCAST, Val::Int),
    (so::SOL_SOCKET, so::SO_SNDBUF, nso::SOL_SOCKET, nso::SO_SNDBUF, Val::Int),
    (so::SOL_SOCKET, so::SO_RCVBUF, nso::SOL_SOCKET, nso::SO_RCVBUF, Val::Int),
    (so::SOL_SOCKET, so::SO_KEEPALIVE, nso::SOL_SOCKET, nso::SO_KEEPALIVE, Val::Int),
    (so::SOL_SOCKET, so::SO_OOBINLINE, nso::SOL_SOCKET, nso::SO_OOBINLINE, Val::Int),
    (so::SOL_SOCKET, so::SO_LINGER, nso::SOL_SOCKET, nso::SO_LINGER, Val::Bytes),
    (so::SOL_SOCKET, so::SO_RCVLOWAT, nso::SOL_SOCKET, nso::SO_RCVLOWAT, Val::Int),
    (so::SOL_SOCKET, so::SO_SNDLOWAT, nso::SOL_SOCKET, nso::SO_SNDLOWAT, Val::Int),
    (so::SOL_SOCKET, so::SO_RCVTIMEO_OLD, nso::SOL_SOCKET, nso::SO_RCVTIMEO, Val::Timeval),
    (so::SOL_SOCKET, so::SO_SNDTIMEO_OLD, nso::SOL_SOCKET, nso::SO_SNDTIMEO, Val::Timeval),
    (so::SOL_SOCKET, so::SO_ACCEPTCONN, nso::SOL_SOCKET, nso::SO_ACCEPTCONN, Val::Int),
    // No NetBSD twin (LOCAL_CREDS differs): a backend extension (rumpkernel_bridge::ext).
    (so::SOL_SOCKET, so::SO_PASSCRED, nso::SOL_SOCKET, ext::SO_EXT_PASSCRED, Val::Int),
    (ip::IPPROTO_TCP, tcp::TCP_NODELAY, nip::IPPROTO_TCP, ntcp::TCP_NODELAY, Val::Int),
    (ip::IPPROTO_TCP, tcp::TCP_MAXSEG, nip::IPPROTO_TCP, ntcp::TCP_MAXSEG, Val::Int),
    (ip::IPPROTO_TCP, tcp::TCP_KEEPIDLE, nip::IPPROTO_TCP, ntcp::TCP_KEEPIDLE, Val::Int),
    (ip::IPPROTO_TCP, tcp::TCP_KEEPINTVL, nip::IPPROTO_TCP, ntcp::TCP_KEEPINTVL, Val::Int),
    (ip::IPPROTO_TCP, tcp::TCP_KEEPCNT, nip::IPPROTO_TCP, ntcp::TCP_KEEPCNT, Val::Int),
    (ip::IPPROTO_IP, ip4::IP_TOS, nip::IPPROTO_IP, nip4::IP_TOS, Val::Int),
    (ip::IPPROTO_IP, ip4::IP_TTL, nip::IPPROTO_IP, nip4::IP_TTL, Val::Int),
    (ip::IPPROTO_IP, ip4::IP_MULTICAST_IF, nip::IPPROTO_IP, nip4::IP_MULTICAST_IF, Val::Bytes),
    (ip::IPPROTO_IP, ip4::IP_MULTICAST_TTL, nip::IPPROTO_IP, nip4::IP_MULTICAST_TTL, Val::Bytes),
    (ip::IPPROTO_IP, ip4::IP_MULTICAST_LOOP, nip::IPPROTO_IP, nip4::IP_MULTICAST_LOOP, Val::Bytes),
    (ip::IPPROTO_IP, ip4::IP_ADD_MEMBERSHIP, nip::IPPROTO_IP, nip4::IP_ADD_MEMBERSHIP, Val::Bytes),
    (ip::IPPROTO_IP, ip4::IP_DROP_MEMBERSHIP, nip::IPPROTO_IP, nip4::IP_DROP_MEMBERSHIP, Val::Bytes),
    // No NetBSD twin: a backend extension (rumpkernel_bridge::ext).
    (ip::IPPROTO_IP, IP_RECVERR, nip::IPPROTO_IP, ext::IP_EXT_RECVERR, Val::Int),
    (ip::IPPROTO_IPV6, IPV6_RECVERR, nip::IPPROTO_IPV6, ext::IPV6_EXT_RECVERR, Val::Int),
    (ip::IPPROTO_IPV6, ip6::IPV6_V6ONLY, nip::IPPROTO_IPV6, nip6::IPV6_V6ONLY, Val::Int),
    (ip::IPPROTO_IPV6, ip6::IPV6_UNICAST_HOPS, nip::IPPROTO_IPV6, nip6::IPV6_UNICAST_HOPS, Val::Int),
    (ip::IPPROTO_IPV6, ip6::IPV6_MULTICAST_IF, nip::IPPROTO_IPV6, nip6::IPV6_MULTICAST_IF, Val::Int),
    (ip::IPPROTO_IPV6, ip6::IPV6_MULTICAST_HOPS, nip::IPPROTO_IPV6, nip6::IPV6_MULTICAST_HOPS, Val::Int),
    (ip::IPPROTO_IPV6, ip6::IPV6_MULTICAST_LOOP, nip::IPPROTO_IPV6, nip6::IPV6_MULTICAST_LOOP, Val::Int),
    (ip::IPPROTO_IPV6, ip6::IPV6_JOIN_GROUP, nip::IPPROTO_IPV6, nip6::IPV6_JOIN_GROUP, Val::Bytes),
    (ip::IPPROTO_IPV6, ip6::IPV6_LEAVE_GROUP, nip::IPPROTO_IPV6, nip6::IPV6_LEAVE_GROUP, Val::Bytes),
];

/// What the support note says about options.
pub const NOTE: &str = "SOL_SOCKET (SO_REUSEADDR/REUSEPORT, KEEPALIVE, RCVBUF/SNDBUF, LINGER, RCVTIMEO/SNDTIMEO, ERROR, TYPE, ACCEPTCONN, …), TCP_NODELAY/MAXSEG/KEEP*, IP_TOS/TTL/MULTICAST_*/ADD_MEMBERSHIP, IPV6_V6ONLY/HOPS/MULTICAST_*/JOIN_GROUP; IP_RECVERR/IPV6_RECVERR through a backend extension (the error queue, MSG_ERRQUEUE, is not readable); SO_PEERCRED from NetBSD's LOCAL_PEEREID on connected local stream/seqpacket sockets and socketpairs (other sockets report no peer: pid 0, uid and gid -1; the pid is the guest's, of the process that connected, listened or made the pair; an accepted socket finds its peer only while the connecting socket is open, after that it reports no peer); SO_PASSCRED through a backend extension (on local sockets the kernel's: SCM_CREDENTIALS with every message, an accepted socket inherits it, a socket with it is bound to an autobind name when it connects or sends datagrams; on other sockets the host's answer, EOPNOTSUPP since Linux 6.16); others (SO_PRIORITY, SO_BINDTODEVICE, TCP_INFO, …) give ENOPROTOOPT";

/// SO_PEERCRED's NetBSD twin on a local socket: getsockopt(SOL_LOCAL, LOCAL_PEEREID).
pub const PEERCRED_NETBSD: (u32, u32) = (abi_netbsd::structs::SOL_LOCAL, abi_netbsd::structs::LOCAL_PEEREID);

/// Linux's SO_PEERCRED of a socket with no peer credentials: pid 0, uid and gid -1.
pub const NO_PEERCRED: [u8; 12] = [0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];

/// Linux's `struct ucred {pid, uid, gid}` from NetBSD's `struct unpcbid {unp_pid, unp_euid,
/// unp_egid}` (the same three 32-bit fields in the same order); a short value reads as none.
pub fn peercred_to_linux(netbsd: &[u8]) -> [u8; 12] {
    netbsd.get(..12).map_or(NO_PEERCRED, |b| b.try_into().unwrap())
}

/// The NetBSD option for a Linux (level, name): ENOPROTOOPT when none exists.
pub fn lookup(level: u32, name: u32) -> Result<&'static Opt, Errno> {
    OPTIONS.iter().find(|o| o.0 == level && o.1 == name).ok_or(ENOPROTOOPT)
}

/// A Linux option value (`optlen` bytes) in NetBSD's layout, for setsockopt.
pub fn value_to_netbsd(val: Val, linux: &[u8]) -> Result<alloc::vec::Vec<u8>, Errno> {
    match val {
        Val::Int | Val::Errno if linux.len() < 4 => Err(EINVAL),
        Val::Int | Val::Errno => Ok(linux[..4].to_vec()),
        Val::Bytes => Ok(linux.to_vec()),
        Val::Timeval => {
            if linux.len() < 16 {
                return Err(EINVAL);
            }
            let sec = i64::from_ne_bytes(linux[0..8].try_into().unwrap());
            let usec = i64::from_ne_bytes(linux[8..16].try_into().unwrap());
            // Linux's sock_set_timeout: microseconds out of range are EDOM.
            if !(0..1_000_000).contains(&usec) {
                return Err(EDOM);
            }
            // NetBSD's timeval: {i64 tv_sec, i32 tv_usec, 4 bytes of padding}.
            Ok([&sec.to_ne_bytes()[..], &(usec as i32).to_ne_bytes(), &[0; 4]].concat())
        }
    }
}

/// Whether Linux has option level `level` (SOL_SOCKET or a protocol with options).
pub fn known_level(level: u32) -> bool {
    matches!(level, so::SOL_SOCKET | ip::IPPROTO_IP | ip::IPPROTO_IPV6 | ip::IPPROTO_TCP | ip::IPPROTO_UDP)
}

/// A NetBSD option value the kernel returned, in Linux's layout, for getsockopt.
pub fn value_to_linux(val: Val, netbsd: &[u8]) -> alloc::vec::Vec<u8> {
    match val {
        Val::Int | Val::Bytes => netbsd.to_vec(),
        Val::Errno => {
            let e = netbsd.get(..4).map_or(0, |b| i32::from_ne_bytes(b.try_into().unwrap()));
            let l = if e == 0 { 0 } else { super::errno::from_netbsd(abi_netbsd::Errno(e)).0 };
            l.to_ne_bytes().to_vec()
        }
        Val::Timeval => {
            if netbsd.len() < 12 {
                return netbsd.to_vec();
            }
            let sec = i64::from_ne_bytes(netbsd[0..8].try_into().unwrap());
            let usec = i32::from_ne_bytes(netbsd[8..12].try_into().unwrap()) as i64;
            [sec.to_ne_bytes(), usec.to_ne_bytes()].concat()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn table_is_one_to_one() {
        for (i, a) in OPTIONS.iter().enumerate() {
            for b in &OPTIONS[i + 1..] {
                assert!((a.0, a.1) != (b.0, b.1), "Linux {a:?} twice");
                assert!((a.2, a.3) != (b.2, b.3), "NetBSD {a:?} twice");
            }
        }
    }

    #[test]
    fn numbers() {
        assert_eq!(lookup(1, 2).map(|o| (o.2, o.3)), Ok((0xffff, 0x4))); // SO_REUSEADDR
        assert_eq!(lookup(1, 4).map(|o| (o.3, o.4)), Ok((0x1007, Val::Errno))); // SO_ERROR
        assert_eq!(lookup(1, 20).map(|o| (o.3, o.4)), Ok((0x100c, Val::Timeval))); // SO_RCVTIMEO
        assert_eq!(lookup(6, 1).map(|o| (o.2, o.3)), Ok((6, 1))); // TCP_NODELAY
        assert_eq!(lookup(6, 4).map(|o| o.3), Ok(3)); // TCP_KEEPIDLE
        assert_eq!(lookup(41, 26).map(|o| o.3), Ok(27)); // IPV6_V6ONLY
        assert_eq!(lookup(0, 2).map(|o| o.3), Ok(4)); // IP_TTL
        // SO_PEERCRED is not a plain option: net.rs asks LOCAL_PEEREID of local sockets only.
        assert_eq!(lookup(1, so::SO_PEERCRED), Err(ENOPROTOOPT));
        assert_eq!(PEERCRED_NETBSD, (0, 3));
        let id = [7i32.to_ne_bytes(), 1000u32.to_ne_bytes(), 100u32.to_ne_bytes()].concat();
        assert_eq!(&peercred_to_linux(&id)[..], &id[..]);
        assert_eq!(peercred_to_linux(&id[..8]), NO_PEERCRED);
        assert_eq!(lookup(6, tcp::TCP_INFO), Err(ENOPROTOOPT));
        assert_eq!(lookup(1, so::SO_PASSCRED).map(|o| (o.2, o.3, o.4)), Ok((0xffff, ext::SO_EXT_PASSCRED, Val::Int)));
        assert_eq!(lookup(999, 1), Err(ENOPROTOOPT));
    }

    #[test]
    fn values() {
        assert_eq!(value_to_netbsd(Val::Int, &[1, 0]), Err(EINVAL));
        assert_eq!(value_to_netbsd(Val::Int, &[1, 0, 0, 0, 9, 9]), Ok(alloc::vec![1, 0, 0, 0]));
        let tv = [5i64.to_ne_bytes(), 250_000i64.to_ne_bytes()].concat();
        let n = value_to_netbsd(Val::Timeval, &tv).unwrap();
        assert_eq!(&n[0..8], &5i64.to_ne_bytes());
        assert_eq!(&n[8..12], &250_000i32.to_ne_bytes());
        assert_eq!(value_to_linux(Val::Timeval, &n), tv);
        let bad = [0i64.to_ne_bytes(), 1_000_000i64.to_ne_bytes()].concat();
        assert_eq!(value_to_netbsd(Val::Timeval, &bad), Err(EDOM));
        assert_eq!(value_to_netbsd(Val::Timeval, &tv[..8]), Err(EINVAL));
        // SO_ERROR: NetBSD ECONNREFUSED (61) is Linux's 111.
        assert_eq!(value_to_linux(Val::Errno, &61i32.to_ne_bytes()), 111i32.to_ne_bytes());
        assert_eq!(value_to_linux(Val::Errno, &0i32.to_ne_bytes()), 0i32.to_ne_bytes());
    }

    proptest! {
        #[test]
        fn timeval_round_trip(sec in any::<i64>(), usec in 0i64..1_000_000) {
            let tv = [sec.to_ne_bytes(), usec.to_ne_bytes()].concat();
            prop_assert_eq!(value_to_linux(Val::Timeval, &value_to_netbsd(Val::Timeval, &tv).unwrap()), tv);
        }

        #[test]
        fn int_round_trip(v in any::<i32>()) {
            let b = v.to_ne_bytes();
            prop_assert_eq!(value_to_linux(Val::Int, &value_to_netbsd(Val::Int, &b).unwrap()), b.to_vec());
        }
    }
}
