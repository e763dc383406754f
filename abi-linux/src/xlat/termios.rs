//! Terminal ioctls: Linux TCGETS/TCSETS* (the 36-byte kernel termios), TIOCGWINSZ/TIOCSWINSZ,
//! FIONREAD, FIONBIO onto NetBSD's TIOCGETA/TIOCSETA*, … Flag bits, c_cc indexes and the speed
//! encoding all differ.
//!
//! Setting is "get NetBSD's termios, overlay what Linux can express, set", so NetBSD-only state
//! (VDSUSP, VSTATUS, NetBSD-only flag bits) is kept. Linux bits with no NetBSD twin (IUCLC, IUTF8,
//! OLCUC, the output delay fields, XCASE, CMSPAR) are dropped on set and read back clear, like a
//! tty driver that does not implement them.

use abi_netbsd::{consts as nbc, structs as nbs};
use crate::{consts as lxc, structs::Termios};

use super::BitTable;

/// Linux ioctl requests this module serves, and what each becomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Req {
    /// TCGETS → TIOCGETA, struct translated.
    GetAttr,
    /// TCSETS/TCSETSW/TCSETSF → TIOCSETA/W/F.
    SetAttr(u32),
    /// Same argument on both sides (winsize, int, none): just the number changes.
    Same(u32),
    /// TCFLSH: Linux passes the queue selector by value, NetBSD's TIOCFLUSH wants FREAD/FWRITE
    /// bits through a pointer.
    Flush,
    /// TCSBRK with a non-zero argument is tcdrain(): TIOCDRAIN.
    Break,
    /// TCXONC: suspend/restart output (TIOCSTOP/TIOCSTART).
    Flow,
    /// TIOCGPTN: the number of a pseudo-terminal master's slave, from NetBSD's TIOCPTSNAME name.
    PtyNumber,
    /// TIOCSPTLCK: NetBSD's pairs are never locked; unlocking checks the master (TIOCPTSNAME).
    PtyLock,
}

/// Linux TCFLSH selector → NetBSD TIOCFLUSH bits (FREAD 1, FWRITE 2).
pub fn flush_bits(queue: u32) -> Option<u32> {
    use lxc::termios_action as l;
    match queue {
        l::TCIFLUSH => Some(1),
        l::TCOFLUSH => Some(2),
        l::TCIOFLUSH => Some(3),
        _ => None,
    }
}

/// Linux request → NetBSD; None means ENOTTY (not a request rumplx serves).
pub fn req(r: u32) -> Option<Req> {
    use lxc::ioctl as l;
    use nbc::ioctl as n;
    Some(match r {
        l::TCGETS => Req::GetAttr,
        l::TCSETS => Req::SetAttr(n::TIOCSETA),
        l::TCSETSW => Req::SetAttr(n::TIOCSETAW),
        l::TCSETSF => Req::SetAttr(n::TIOCSETAF),
        l::TIOCGWINSZ => Req::Same(n::TIOCGWINSZ),
        l::TIOCSWINSZ => Req::Same(n::TIOCSWINSZ),
        l::FIONREAD => Req::Same(n::FIONREAD),
        l::FIONBIO => Req::Same(n::FIONBIO),
        // Job control and the controlling terminal: pid_t by pointer, or no argument.
        l::TIOCGPGRP => Req::Same(n::TIOCGPGRP),
        l::TIOCSPGRP => Req::Same(n::TIOCSPGRP),
        l::TIOCGSID => Req::Same(n::TIOCGSID),
        l::TIOCSCTTY => Req::Same(n::TIOCSCTTY),
        l::TIOCNOTTY => Req::Same(n::TIOCNOTTY),
        l::TIOCOUTQ => Req::Same(n::TIOCOUTQ),
        l::TIOCEXCL => Req::Same(n::TIOCEXCL),
        l::TIOCNXCL => Req::Same(n::TIOCNXCL),
        l::TCFLSH => Req::Flush,
        l::TCSBRK => Req::Break,
        l::TCXONC => Req::Flow,
        l::TIOCGPTN => Req::PtyNumber,
        l::TIOCSPTLCK => Req::PtyLock,
        _ => return None,
    })
}

pub const IFLAG: BitTable = {
    use lxc::termios_iflag as l;
    use nbc::termios_iflag as n;
    BitTable(&[
        (l::IGNBRK, n::IGNBRK), (l::BRKINT, n::BRKINT), (l::IGNPAR, n::IGNPAR), (l::PARMRK, n::PARMRK),
        (l::INPCK, n::INPCK), (l::ISTRIP, n::ISTRIP), (l::INLCR, n::INLCR), (l::IGNCR, n::IGNCR),
        (l::ICRNL, n::ICRNL), (l::IXON, n::IXON), (l::IXOFF, n::IXOFF), (l::IXANY, n::IXANY),
        (l::IMAXBEL, n::IMAXBEL),
    ])
};

pub const OFLAG: BitTable = {
    use lxc::termios_oflag as l;
    use nbc::termios_oflag as n;
    BitTable(&[
        (l::OPOST, n::OPOST), (l::ONLCR, n::ONLCR), (l::OCRNL, n::OCRNL), (l::ONOCR, n::ONOCR),
        (l::ONLRET, n::ONLRET), (l::XTABS, n::OXTABS),
    ])
};

pub const CFLAG: BitTable = {
    use lxc::termios_cflag as l;
    use nbc::termios_cflag as n;
    BitTable(&[
        // CSIZE is a two-bit field on both sides, bit for bit.
        (0x10, n::CS6), (0x20, n::CS7),
        (l::CSTOPB, n::CSTOPB), (l::CREAD, n::CREAD), (l::PARENB, n::PARENB), (l::PARODD, n::PARODD),
        (l::HUPCL, n::HUPCL), (l::CLOCAL, n::CLOCAL), (l::CRTSCTS, n::CRTSCTS),
    ])
};

pub const LFLAG: BitTable = {
    use lxc::termios_lflag as l;
    use nbc::termios_lflag as n;
    BitTable(&[
        (l::ISIG, n::ISIG), (l::ICANON, n::ICANON), (l::ECHO, n::ECHO), (l::ECHOE, n::ECHOE),
        (l::ECHOK, n::ECHOK), (l::ECHONL, n::ECHONL), (l::NOFLSH, n::NOFLSH), (l::TOSTOP, n::TOSTOP),
        (l::ECHOCTL, n::ECHOCTL), (l::ECHOPRT, n::ECHOPRT), (l::ECHOKE, n::ECHOKE), (l::FLUSHO, n::FLUSHO),
        (l::PENDIN, n::PENDIN), (l::IEXTEN, n::IEXTEN), (l::EXTPROC, n::EXTPROC),
    ])
};

/// c_cc indexes: (Linux, NetBSD). Linux VSWTC has no NetBSD twin.
pub const CC: &[(u32, u32)] = {
    use lxc::termios_cc_index as l;
    use nbc::termios_cc_index as n;
    &[
        (l::VINTR, n::VINTR), (l::VQUIT, n::VQUIT), (l::VERASE, n::VERASE), (l::VKILL, n::VKILL),
        (l::VEOF, n::VEOF), (l::VTIME, n::VTIME), (l::VMIN, n::VMIN), (l::VSTART, n::VSTART),
        (l::VSTOP, n::VSTOP), (l::VSUSP, n::VSUSP), (l::VEOL, n::VEOL), (l::VREPRINT, n::VREPRINT),
        (l::VDISCARD, n::VDISCARD), (l::VWERASE, n::VWERASE), (l::VLNEXT, n::VLNEXT), (l::VEOL2, n::VEOL2),
    ]
};

/// "No character" in c_cc: Linux 0, NetBSD 0xff (`_POSIX_VDISABLE`). VMIN/VTIME are numbers.
const LX_VDISABLE: u8 = 0;
const NB_VDISABLE: u8 = 0xff;

fn is_count(lx_index: u32) -> bool {
    lx_index == lxc::termios_cc_index::VMIN || lx_index == lxc::termios_cc_index::VTIME
}

/// Baud rates: (Linux CBAUD code, bits per second = NetBSD's speed value).
pub const SPEEDS: &[(u32, u32)] = {
    use lxc::termios_speed as l;
    &[
        (l::B0, 0), (l::B50, 50), (l::B75, 75), (l::B110, 110), (l::B134, 134), (l::B150, 150),
        (l::B200, 200), (l::B300, 300), (l::B600, 600), (l::B1200, 1200), (l::B1800, 1800),
        (l::B2400, 2400), (l::B4800, 4800), (l::B9600, 9600), (l::B19200, 19200), (l::B38400, 38400),
        (l::B57600, 57600), (l::B115200, 115200), (l::B230400, 230400), (l::B460800, 460800),
        (l::B500000, 500000), (l::B576000, 576000), (l::B921600, 921600), (l::B1000000, 1000000),
        (l::B1152000, 1152000), (l::B1500000, 1500000), (l::B2000000, 2000000), (l::B2500000, 2500000),
        (l::B3000000, 3000000), (l::B3500000, 3500000), (l::B4000000, 4000000),
    ]
};
const CBAUD: u32 = lxc::termios_cflag::CBAUD;
const IBSHIFT: u32 = lxc::termios_cflag::IBSHIFT;

fn speed_to_bps(code: u32) -> Option<u32> {
    SPEEDS.iter().find(|(c, _)| *c == code).map(|(_, b)| *b)
}

fn bps_to_speed(bps: i32) -> u32 {
    // A rate Linux cannot encode shows as the nearest lower one it can.
    SPEEDS.iter().filter(|(_, b)| *b as i64 <= bps as i64).max_by_key(|(_, b)| *b).map(|(c, _)| *c).unwrap_or(0)
}

/// NetBSD termios → Linux kernel termios.
pub fn to_linux(t: &nbs::Termios) -> Termios {
    let mut cc = [LX_VDISABLE; crate::structs::NCCS];
    for &(l, n) in CC {
        let v = t.c_cc[n as usize];
        cc[l as usize] = if !is_count(l) && v == NB_VDISABLE { LX_VDISABLE } else { v };
    }
    let ospeed = bps_to_speed(t.c_ospeed);
    let ispeed = bps_to_speed(t.c_ispeed);
    // CIBAUD zero means "input speed = output speed".
    let cibaud = if ispeed == ospeed { 0 } else { ispeed << IBSHIFT };
    Termios {
        c_iflag: IFLAG.to_linux(t.c_iflag).0,
        c_oflag: OFLAG.to_linux(t.c_oflag).0,
        c_cflag: CFLAG.to_linux(t.c_cflag).0 | ospeed | cibaud,
        c_lflag: LFLAG.to_linux(t.c_lflag).0,
        c_line: 0,
        c_cc: cc,
    }
}

/// Overlays a Linux termios on NetBSD's current one (`cur`). EINVAL for a speed code Linux does
/// not define, as Linux answers.
pub fn overlay_netbsd(l: &Termios, cur: &nbs::Termios) -> Result<nbs::Termios, crate::Errno> {
    let mut t = *cur;
    let keep = |cur: u32, table: &BitTable| -> u32 {
        // NetBSD bits that no Linux flag covers stay as they are.
        let covered = table.0.iter().fold(0, |a, (_, n)| a | n);
        cur & !covered
    };
    t.c_iflag = keep(cur.c_iflag, &IFLAG) | IFLAG.to_netbsd(l.c_iflag).0;
    t.c_oflag = keep(cur.c_oflag, &OFLAG) | OFLAG.to_netbsd(l.c_oflag).0;
    t.c_cflag = keep(cur.c_cflag, &CFLAG) | CFLAG.to_netbsd(l.c_cflag).0;
    t.c_lflag = keep(cur.c_lflag, &LFLAG) | LFLAG.to_netbsd(l.c_lflag).0;
    for &(li, ni) in CC {
        let v = l.c_cc[li as usize];
        t.c_cc[ni as usize] = if !is_count(li) && v == LX_VDISABLE { NB_VDISABLE } else { v };
    }
    let ospeed = speed_to_bps(l.c_cflag & CBAUD).ok_or(crate::errno::EINVAL)?;
    let icode = (l.c_cflag >> IBSHIFT) & CBAUD;
    let ispeed = if icode == 0 { ospeed } else { speed_to_bps(icode).ok_or(crate::errno::EINVAL)? };
    t.c_ospeed = ospeed as i32;
    t.c_ispeed = ispeed as i32;
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn all(t: &BitTable) -> (u32, u32) {
        t.0.iter().fold((0, 0), |(a, b), (l, n)| (a | l, b | n))
    }

    #[test]
    fn tables_are_one_to_one() {
        for t in [&IFLAG, &OFLAG, &CFLAG, &LFLAG] {
            for &(l, n) in t.0 {
                assert_eq!(t.to_netbsd(l).0, n);
                assert_eq!(t.to_linux(n).0, l);
            }
        }
        let mut seen = [false; 20];
        for &(_, n) in CC {
            assert!(!seen[n as usize]);
            seen[n as usize] = true;
        }
    }

    #[test]
    fn requests() {
        assert_eq!(req(0x5401), Some(Req::GetAttr));
        assert_eq!(req(0x5413), Some(Req::Same(nbc::ioctl::TIOCGWINSZ)));
        assert_eq!(req(0x5404), Some(Req::SetAttr(nbc::ioctl::TIOCSETAF)));
        assert_eq!(req(0x540f), Some(Req::Same(nbc::ioctl::TIOCGPGRP)));
        assert_eq!(req(0x540b), Some(Req::Flush));
        assert_eq!(req(0x5401 + 0x1000), None);
        assert_eq!((flush_bits(0), flush_bits(1), flush_bits(2), flush_bits(3)), (Some(1), Some(2), Some(3), None));
    }

    #[test]
    fn a_typical_cooked_terminal() {
        let mut n = nbs::Termios {
            c_iflag: nbc::termios_iflag::ICRNL | nbc::termios_iflag::IXON,
            c_oflag: nbc::termios_oflag::OPOST | nbc::termios_oflag::ONLCR,
            c_cflag: nbc::termios_cflag::CS8 | nbc::termios_cflag::CREAD,
            c_lflag: nbc::termios_lflag::ICANON | nbc::termios_lflag::ECHO | nbc::termios_lflag::ISIG,
            c_ispeed: 38400,
            c_ospeed: 38400,
            ..Default::default()
        };
        n.c_cc = [0xff; 20];
        n.c_cc[nbc::termios_cc_index::VINTR as usize] = 3;
        n.c_cc[nbc::termios_cc_index::VMIN as usize] = 1;
        let l = to_linux(&n);
        assert_eq!(l.c_iflag, lxc::termios_iflag::ICRNL | lxc::termios_iflag::IXON);
        assert_eq!(l.c_oflag, lxc::termios_oflag::OPOST | lxc::termios_oflag::ONLCR);
        assert_eq!(l.c_cflag, lxc::termios_cflag::CS8 | lxc::termios_cflag::CREAD | lxc::termios_speed::B38400);
        assert_eq!(l.c_lflag, lxc::termios_lflag::ICANON | lxc::termios_lflag::ECHO | lxc::termios_lflag::ISIG);
        assert_eq!(l.c_cc[0], 3);
        assert_eq!(l.c_cc[lxc::termios_cc_index::VEOF as usize], 0);
        assert_eq!(l.c_cc[lxc::termios_cc_index::VMIN as usize], 1);
        assert_eq!(overlay_netbsd(&l, &n), Ok(n));
    }

    proptest! {
        #[test]
        fn linux_round_trip(i in any::<u32>(), o in any::<u32>(), c in any::<u32>(), lf in any::<u32>(),
                            cc in any::<[u8; 19]>(), sp in 0usize..SPEEDS.len()) {
            let c = (c & all(&CFLAG).0) | SPEEDS[sp].0;
            let mut cc = cc;
            // Indexes NetBSD has no twin for (VSWTC, and the two unused slots 17, 18).
            cc[lxc::termios_cc_index::VSWTC as usize] = 0;
            cc[17] = 0;
            cc[18] = 0;
            // A character NetBSD would read as "disabled" comes back as Linux's disabled.
            for &(l, _) in CC { if !is_count(l) && cc[l as usize] == NB_VDISABLE { cc[l as usize] = 0 } }
            // TAB1/TAB2 (parts of the XTABS field) are delays NetBSD lacks: only TAB3 survives.
            let tabs = lxc::termios_oflag::XTABS;
            let o = if o & tabs == tabs { o } else { o & !tabs };
            let l = Termios { c_iflag: i & all(&IFLAG).0, c_oflag: o & all(&OFLAG).0, c_cflag: c,
                              c_lflag: lf & all(&LFLAG).0, c_line: 0, c_cc: cc };
            let n = overlay_netbsd(&l, &nbs::Termios::default()).unwrap();
            prop_assert_eq!(to_linux(&n), l);
        }
    }
}
