//! The guest address space map: every range the guest owns, with its protection and what backs it.
//! Guest pointers handed to syscalls are checked against it, and /proc/self/maps is printed from it.

use alloc::{collections::BTreeMap, string::String};

use crate::platform::Access;

/// Linux `PROT_*` bits.
pub const PROT_READ: u32 = 1;
pub const PROT_WRITE: u32 = 2;
pub const PROT_EXEC: u32 = 4;

/// One mapped range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mapping {
    pub end: u64,
    pub prot: u32,
    pub shared: bool,
    /// What /proc/self/maps shows in the last column ("[stack]", "[heap]", a path, or empty).
    pub name: String,
    /// File offset of `start`, for file mappings.
    pub offset: u64,
}

/// The guest's mappings, keyed by start address; ranges never overlap.
#[derive(Clone, Debug, Default)]
pub struct AddressSpace {
    maps: BTreeMap<u64, Mapping>,
    /// Start of the heap (end of the bss, page aligned) and the current break.
    pub brk_start: u64,
    pub brk: u64,
    /// End of the address range kept free for the heap (mapped inaccessible by the loader so no
    /// other mapping lands right after the program, as happens to a static-pie placed by mmap).
    pub brk_reserved_end: u64,
}

impl AddressSpace {
    /// Records `start..m.end`, replacing whatever was recorded there.
    pub fn insert(&mut self, start: u64, m: Mapping) {
        self.remove(start, m.end - start);
        self.maps.insert(start, m);
    }

    /// Forgets `start..start+len`, splitting mappings that straddle its ends.
    pub fn remove(&mut self, start: u64, len: u64) {
        let end = start.saturating_add(len);
        let overlapping: alloc::vec::Vec<u64> =
            self.maps.range(..end).filter(|(_, m)| m.end > start).map(|(s, _)| *s).collect();
        for s in overlapping {
            let m = self.maps.remove(&s).expect("listed above");
            if s < start {
                self.maps.insert(s, Mapping { end: start, ..m.clone() });
            }
            if m.end > end {
                let offset = m.offset + (end - s);
                self.maps.insert(end, Mapping { offset, ..m });
            }
        }
    }

    /// Sets the protection of `start..start+len` (which must be mapped), splitting as needed.
    pub fn protect(&mut self, start: u64, len: u64, prot: u32) {
        let end = start.saturating_add(len);
        let overlapping: alloc::vec::Vec<(u64, Mapping)> = self
            .maps
            .range(..end)
            .filter(|(_, m)| m.end > start)
            .map(|(s, m)| (*s, m.clone()))
            .collect();
        for (s, m) in overlapping {
            let lo = s.max(start);
            let hi = m.end.min(end);
            self.remove(lo, hi - lo);
            self.maps.insert(lo, Mapping { end: hi, prot, offset: m.offset + (lo - s), ..m });
        }
    }

    /// Whether every byte of `addr..addr+len` is mapped with the access asked for.
    pub fn contains(&self, addr: u64, len: u64, access: Access) -> bool {
        let Some(end) = addr.checked_add(len) else { return false };
        let need = match access {
            Access::Read => PROT_READ,
            Access::Write => PROT_WRITE,
        };
        let mut at = addr;
        while at < end {
            match self.maps.range(..=at).next_back() {
                Some((_, m)) if m.end > at && m.prot & need != 0 => at = m.end,
                _ => return false,
            }
        }
        true
    }

    /// How many bytes from `addr` on (at most `len`) are mapped with the access asked for.
    pub fn extent(&self, addr: u64, len: u64, access: Access) -> u64 {
        let need = match access {
            Access::Read => PROT_READ,
            Access::Write => PROT_WRITE,
        };
        let end = addr.saturating_add(len);
        let mut at = addr;
        while at < end {
            match self.maps.range(..=at).next_back() {
                Some((_, m)) if m.end > at && m.prot & need != 0 => at = m.end,
                _ => break,
            }
        }
        at.min(end) - addr
    }

    /// Whether any byte of `addr..addr+len` is mapped.
    pub fn overlaps(&self, addr: u64, len: u64) -> bool {
        let end = addr.saturating_add(len);
        self.maps.range(..end).any(|(_, m)| m.end > addr)
    }

    /// Every mapping, by start address.
    pub fn iter(&self) -> impl Iterator<Item = (u64, &Mapping)> {
        self.maps.iter().map(|(s, m)| (*s, m))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn anon(end: u64, prot: u32) -> Mapping {
        Mapping { end, prot, shared: false, name: String::new(), offset: 0 }
    }

    #[test]
    fn contains_spans_adjacent_mappings() {
        let mut a = AddressSpace::default();
        a.insert(0x1000, anon(0x2000, PROT_READ | PROT_WRITE));
        a.insert(0x2000, anon(0x3000, PROT_READ));
        assert!(a.contains(0x1800, 0x1000, Access::Read));
        assert!(!a.contains(0x1800, 0x1000, Access::Write));
        assert!(!a.contains(0x2800, 0x1000, Access::Read));
        assert!(!a.contains(u64::MAX - 1, 4, Access::Read));
    }

    #[test]
    fn extent_stops_at_the_first_gap() {
        let mut a = AddressSpace::default();
        a.insert(0x1000, anon(0x3000, PROT_READ | PROT_WRITE));
        a.insert(0x4000, anon(0x5000, PROT_READ | PROT_WRITE));
        assert_eq!(a.extent(0x1800, 0x10000, Access::Write), 0x1800);
        assert_eq!(a.extent(0x1800, 0x100, Access::Write), 0x100);
        assert_eq!(a.extent(0x3800, 0x100, Access::Read), 0);
    }

    #[test]
    fn remove_and_protect_split() {
        let mut a = AddressSpace::default();
        a.insert(0x1000, anon(0x5000, PROT_READ));
        a.remove(0x2000, 0x1000);
        a.protect(0x3000, 0x1000, PROT_READ | PROT_WRITE);
        let v: alloc::vec::Vec<_> = a.iter().map(|(s, m)| (s, m.end, m.prot)).collect();
        assert_eq!(v, [(0x1000, 0x2000, 1), (0x3000, 0x4000, 3), (0x4000, 0x5000, 1)]);
    }
}
