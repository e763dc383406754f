//! Translations between the Linux and NetBSD ABIs, one module per kind of value. Each is a total
//! function over its values with unit tests that walk every value, and round-trip proptests.

pub mod at;
pub mod dirent;
pub mod errno;
pub mod fcntl;
pub mod msg;
pub mod open;
pub mod poll;
pub mod sockaddr;
pub mod sockopt;
pub mod stat;
pub mod statfs;
pub mod termios;

/// A flag word translated bit group by bit group: `(linux, netbsd)` pairs. A pair may name several
/// bits on one side (Linux O_SYNC is two bits); a group is translated only when all its bits are set.
pub struct BitTable(pub &'static [(u32, u32)]);

impl BitTable {
    /// Linux → NetBSD: the translated word, and the Linux bits no pair covered.
    pub const fn to_netbsd(&self, linux: u32) -> (u32, u32) {
        let (mut out, mut left, mut i) = (0, linux, 0);
        while i < self.0.len() {
            let (l, n) = self.0[i];
            if l != 0 && linux & l == l {
                out |= n;
                left &= !l;
            }
            i += 1;
        }
        (out, left)
    }

    /// NetBSD → Linux: the translated word, and the NetBSD bits no pair covered.
    pub const fn to_linux(&self, netbsd: u32) -> (u32, u32) {
        let (mut out, mut left, mut i) = (0, netbsd, 0);
        while i < self.0.len() {
            let (l, n) = self.0[i];
            if n != 0 && netbsd & n == n {
                out |= l;
                left &= !n;
            }
            i += 1;
        }
        (out, left)
    }
}
