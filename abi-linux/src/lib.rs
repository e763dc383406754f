//! The Linux x86_64 personality of rumplx.
//!
//! What a Linux program sees: the Linux syscall numbers, structs, flags and errno values (generated
//! constants in [`consts`] and [`errno`], structs in [`structs`]), and the translation of each Linux
//! syscall onto the rump kernel interface of `rumpkernel-bridge` (NetBSD numbers, structs, errno).
//!
//! One table ([`table`]) holds every Linux x86_64 syscall: its number, name, argument kinds, support
//! level and route (same as a NetBSD call, translated by a handler, or served by the layer itself).
//! The dispatcher, the tracer and the compatibility matrix all read it.
//!
//! This crate is `no_std` + `alloc` and never reaches into the loader: what it needs from the host
//! (guest memory, mappings, the FS base, leaving the process) it asks through [`platform::Platform`].
#![no_std]

extern crate alloc;

pub mod consts;
#[path = "errno_values.rs"]
pub mod errno;
pub mod platform;
pub mod dispatch;
pub mod matrix;
pub mod stats;
pub mod mm;
pub mod structs;
pub mod sys;
pub mod table;
pub mod trace;
pub mod xlat;

/// A Linux errno value (positive).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Errno(pub i32);

impl Errno {
    /// The symbolic name (`"ENOENT"`), if known.
    pub fn name(self) -> Option<&'static str> {
        errno::NAMES.iter().find(|(v, _)| *v == self.0).map(|(_, n)| *n)
    }
}

/// What a Linux syscall handler answers: the value for RAX, or a Linux errno.
pub type LxResult = Result<u64, Errno>;
