//! Files and directories: open/read/write/stat/getdents/… translated onto NetBSD's calls.

use crate::table::Entry;

pub const ENTRIES: &[Entry] = &[];
