//! poll events, Linux ↔ NetBSD. `struct pollfd` is the same 8 bytes on both sides; the bits
//! agree up to POLLRDBAND, then POLLWRNORM (0x100 vs 0x4, which is POLLOUT on NetBSD) and
//! POLLWRBAND (0x200 vs 0x100) differ. POLLRDHUP has no twin: it travels as a backend extension
//! bit (rumpkernel_bridge::ext::POLLRDHUP). POLLMSG has none: never reported.

use abi_netbsd::consts::poll_events as nb;
use crate::consts::poll_events as lx;

use super::BitTable;

pub const EVENTS: BitTable = BitTable(&[
    (lx::POLLIN, nb::POLLIN),
    (lx::POLLPRI, nb::POLLPRI),
    (lx::POLLOUT, nb::POLLOUT),
    (lx::POLLERR, nb::POLLERR),
    (lx::POLLHUP, nb::POLLHUP),
    (lx::POLLNVAL, nb::POLLNVAL),
    (lx::POLLRDNORM, nb::POLLRDNORM),
    (lx::POLLRDBAND, nb::POLLRDBAND),
    (lx::POLLWRNORM, nb::POLLWRNORM),
    (lx::POLLWRBAND, nb::POLLWRBAND),
    (lx::POLLRDHUP, rumpkernel_bridge::ext::POLLRDHUP),
]);

/// Bits always reported, asked for or not.
const ALWAYS: u32 = lx::POLLERR | lx::POLLHUP | lx::POLLNVAL;

/// The events a Linux pollfd asks for, in NetBSD's bits.
pub fn events_to_netbsd(events: u16) -> u16 {
    EVENTS.to_netbsd(events as u32).0 as u16
}

/// The revents NetBSD reported for a Linux request of `events`. NetBSD's POLLOUT is also its
/// POLLWRNORM, so only what the guest asked for (and the bits always reported) come back.
pub fn revents_to_linux(revents: u16, events: u16) -> u16 {
    (EVENTS.to_linux(revents as u32).0 & (events as u32 | ALWAYS)) as u16
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn values() {
        assert_eq!(events_to_netbsd((lx::POLLIN | lx::POLLOUT) as u16), (nb::POLLIN | nb::POLLOUT) as u16);
        assert_eq!(events_to_netbsd(lx::POLLWRNORM as u16), nb::POLLOUT as u16);
        assert_eq!(events_to_netbsd(lx::POLLWRBAND as u16), nb::POLLWRBAND as u16);
        assert_eq!(events_to_netbsd(lx::POLLRDHUP as u16), rumpkernel_bridge::ext::POLLRDHUP as u16);
        let out = nb::POLLOUT as u16;
        assert_eq!(revents_to_linux(out, lx::POLLOUT as u16), lx::POLLOUT as u16);
        assert_eq!(revents_to_linux(out, lx::POLLWRNORM as u16), lx::POLLWRNORM as u16);
        assert_eq!(revents_to_linux(nb::POLLHUP as u16, lx::POLLIN as u16), lx::POLLHUP as u16);
        assert_eq!(revents_to_linux(nb::POLLNVAL as u16, 0), lx::POLLNVAL as u16);
    }

    proptest! {
        #[test]
        fn round_trip(e in any::<u16>()) {
            let known = e & !((lx::POLLMSG | lx::POLLREMOVE) as u16) & 0x23ff;
            prop_assert_eq!(revents_to_linux(events_to_netbsd(known), known), known);
        }
    }
}
