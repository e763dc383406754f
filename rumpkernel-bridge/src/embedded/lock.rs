//! Advisory locks on in-memory files (what VOP_ADVLOCK does for tmpfs).
//!
//! As on BSD, fcntl record locks (owned by a process) and flock locks (owned by an open file
//! description, whole file) live in one list per file and conflict with each other. Linux's OFD
//! record locks (the `ext::F_OFD_*` extension) are owned by the open file description too, kept
//! apart from its flock lock so that neither replaces the other.

use abi_netbsd::errno as ne;
use abi_netbsd::Errno;
use std::collections::HashMap;
use std::sync::{Condvar, Mutex};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owner {
    /// fcntl(F_SETLK): the process.
    Proc(i32),
    /// flock(): the open file description (an identity, not a pointer to follow).
    File(usize),
    /// F_OFD_SETLK (extension): the open file description, byte ranges.
    Ofd(usize),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lock {
    pub owner: Owner,
    pub start: u64,
    /// Exclusive end; u64::MAX reaches past any end of file.
    pub end: u64,
    pub write: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Read,
    Write,
    Unlock,
}

/// The locks of every file of one file system, by inode.
#[derive(Default)]
pub struct LockTable {
    locks: Mutex<HashMap<u64, Vec<Lock>>>,
    changed: Condvar,
}

fn overlaps(l: &Lock, start: u64, end: u64) -> bool {
    l.start < end && start < l.end
}

impl LockTable {
    /// The first lock of another owner that a `write`/read lock on [start, end) would meet.
    pub fn conflict(
        &self,
        ino: u64,
        owner: Owner,
        start: u64,
        end: u64,
        write: bool,
    ) -> Option<Lock> {
        let g = self.locks.lock().unwrap();
        Self::find_conflict(g.get(&ino)?, owner, start, end, write)
    }

    fn find_conflict(
        list: &[Lock],
        owner: Owner,
        start: u64,
        end: u64,
        write: bool,
    ) -> Option<Lock> {
        list.iter()
            .find(|l| l.owner != owner && overlaps(l, start, end) && (write || l.write))
            .copied()
    }

    /// Takes, changes or drops `owner`'s lock on [start, end). `wait` blocks until no conflict;
    /// otherwise a conflict is EAGAIN.
    pub fn set(
        &self,
        ino: u64,
        owner: Owner,
        start: u64,
        end: u64,
        kind: Kind,
        wait: bool,
    ) -> Result<(), Errno> {
        let mut g = self.locks.lock().unwrap();
        if kind != Kind::Unlock {
            loop {
                let list = g.entry(ino).or_default();
                if Self::find_conflict(list, owner, start, end, kind == Kind::Write).is_none() {
                    break;
                }
                if !wait {
                    return Err(ne::EAGAIN);
                }
                g = self.changed.wait(g).unwrap();
            }
        }
        let list = g.entry(ino).or_default();
        // Cut [start, end) out of the owner's existing locks, then add the new one.
        let mut kept = Vec::with_capacity(list.len() + 1);
        for l in list.drain(..) {
            if l.owner != owner || !overlaps(&l, start, end) {
                kept.push(l);
                continue;
            }
            if l.start < start {
                kept.push(Lock { end: start, ..l });
            }
            if l.end > end {
                kept.push(Lock { start: end, ..l });
            }
        }
        if kind != Kind::Unlock {
            kept.push(Lock {
                owner,
                start,
                end,
                write: kind == Kind::Write,
            });
        }
        *list = kept;
        if list.is_empty() {
            g.remove(&ino);
        }
        self.changed.notify_all();
        Ok(())
    }

    /// Drops every lock `owner` holds on `ino` (close for a process, last close for flock).
    pub fn release(&self, ino: u64, owner: Owner) {
        let mut g = self.locks.lock().unwrap();
        if let Some(list) = g.get_mut(&ino) {
            list.retain(|l| l.owner != owner);
            if list.is_empty() {
                g.remove(&ino);
            }
            self.changed.notify_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_split_and_conflict() {
        let t = LockTable::default();
        let (a, b) = (Owner::Proc(1), Owner::Proc(2));
        t.set(7, a, 0, 100, Kind::Write, false).unwrap();
        assert_eq!(t.set(7, b, 50, 60, Kind::Read, false), Err(ne::EAGAIN));
        // Own locks never conflict; unlocking the middle splits.
        t.set(7, a, 40, 70, Kind::Unlock, false).unwrap();
        assert!(t.conflict(7, b, 50, 60, true).is_none());
        assert!(t.conflict(7, b, 10, 20, false).is_some());
        assert!(t.conflict(7, b, 80, 90, false).is_some());
        t.set(7, b, 45, 65, Kind::Read, false).unwrap();
        // Read locks share.
        assert!(t.conflict(7, Owner::File(9), 45, 65, false).is_none());
        assert!(t.conflict(7, Owner::File(9), 45, 65, true).is_some());
        t.release(7, a);
        t.release(7, b);
        assert!(t.conflict(7, Owner::File(9), 0, u64::MAX, true).is_none());
    }

    #[test]
    fn ofd_locks_conflict_between_descriptions() {
        let t = LockTable::default();
        let (a, b) = (Owner::Ofd(1), Owner::Ofd(2));
        t.set(3, a, 0, u64::MAX, Kind::Write, false).unwrap();
        assert_eq!(t.set(3, b, 0, u64::MAX, Kind::Write, false), Err(ne::EAGAIN));
        // A process lock meets it as well; the same description's flock does not replace it.
        assert!(t.conflict(3, Owner::Proc(5), 2, 3, false).is_some());
        t.set(3, Owner::File(1), 0, u64::MAX, Kind::Unlock, false).unwrap();
        assert_eq!(t.conflict(3, b, 2, 3, false).map(|l| l.owner), Some(a));
        t.set(3, a, 0, u64::MAX, Kind::Unlock, false).unwrap();
        t.set(3, b, 0, u64::MAX, Kind::Write, false).unwrap();
        t.release(3, b);
        assert!(t.conflict(3, a, 0, u64::MAX, true).is_none());
    }
}
