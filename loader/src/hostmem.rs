//! Host memory calls for the guest's mappings (the loader is the one place that calls the host's
//! mmap family directly).

use std::io;

/// Maps anonymous memory. `exact` places it at `addr` only if that range is free.
pub fn map(addr: u64, len: u64, prot: i32, exact: bool) -> io::Result<u64> {
    let flags = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | if exact { libc::MAP_FIXED_NOREPLACE } else { 0 };
    // SAFETY: anonymous mapping; with MAP_FIXED_NOREPLACE nothing existing is replaced.
    let p = unsafe { libc::mmap(addr as *mut _, len as usize, prot, flags, -1, 0) };
    if p == libc::MAP_FAILED {
        return Err(io::Error::last_os_error());
    }
    if exact && p as u64 != addr {
        // Kernels before 4.17 ignore MAP_FIXED_NOREPLACE and treat it as a hint.
        // SAFETY: unmapping what was just mapped.
        unsafe { libc::munmap(p, len as usize) };
        return Err(io::Error::from_raw_os_error(libc::EEXIST));
    }
    Ok(p as u64)
}

/// Changes protection of a range.
pub fn protect(addr: u64, len: u64, prot: i32) -> io::Result<()> {
    // SAFETY: only guest ranges are passed here.
    if unsafe { libc::mprotect(addr as *mut _, len as usize, prot) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Reserves an inaccessible, uncommitted range (at exactly `addr` when `exact`) so nothing else is
/// placed there. Returns its address.
pub fn reserve(addr: u64, len: u64, exact: bool) -> io::Result<u64> {
    let flags = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE | if exact { libc::MAP_FIXED_NOREPLACE } else { 0 };
    // SAFETY: anonymous mapping that replaces nothing.
    let p = unsafe { libc::mmap(addr as *mut _, len as usize, libc::PROT_NONE, flags, -1, 0) };
    if p == libc::MAP_FAILED {
        return Err(io::Error::last_os_error());
    }
    if exact && p as u64 != addr {
        // SAFETY: undoing our own mapping.
        unsafe { libc::munmap(p, len as usize) };
        return Err(io::Error::from_raw_os_error(libc::EEXIST));
    }
    Ok(p as u64)
}

/// Maps fresh anonymous memory over part of a range this module reserved.
pub fn map_over(addr: u64, len: u64, prot: i32) -> io::Result<()> {
    // SAFETY: MAP_FIXED only over our own reservation.
    let p = unsafe { libc::mmap(addr as *mut _, len as usize, prot, libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED, -1, 0) };
    if p == libc::MAP_FAILED {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
