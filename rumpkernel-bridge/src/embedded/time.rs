//! Clocks and sleeping, in NetBSD clock ids.

use super::hypercall::{self, HostClock};
use abi_netbsd::consts::clock_id as c;
use abi_netbsd::errno as ne;
use abi_netbsd::structs::Timespec;
use abi_netbsd::Errno;

/// The clock a NetBSD clock id names (EINVAL for the itimer-only ids and unknown ones).
pub fn clock(id: u32) -> Result<HostClock, Errno> {
    match id {
        c::CLOCK_REALTIME => Ok(HostClock::Realtime),
        c::CLOCK_MONOTONIC => Ok(HostClock::Monotonic),
        c::CLOCK_PROCESS_CPUTIME_ID => Ok(HostClock::ProcessCpu),
        c::CLOCK_THREAD_CPUTIME_ID => Ok(HostClock::ThreadCpu),
        _ => Err(ne::EINVAL),
    }
}

pub fn valid(t: &Timespec) -> bool {
    t.tv_sec >= 0 && (0..1_000_000_000).contains(&t.tv_nsec)
}

/// Sleeps on `clk`; on interruption returns EINTR and the time left.
pub fn sleep(clk: HostClock, abs: bool, t: &Timespec) -> Result<(), (Errno, Timespec)> {
    if !valid(t) {
        return Err((ne::EINVAL, Timespec::default()));
    }
    hypercall::clock_nanosleep(clk, abs, t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn netbsd_clock_ids() {
        assert_eq!(clock(0), Ok(HostClock::Realtime));
        assert_eq!(clock(3), Ok(HostClock::Monotonic));
        assert_eq!(clock(1), Err(ne::EINVAL)); // CLOCK_VIRTUAL is for itimers only
        assert_eq!(clock(0x4000_0000), Ok(HostClock::ProcessCpu));
    }
}
