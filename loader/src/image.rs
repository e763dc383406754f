//! A process image: the program's segments, its heap reservation and a stack laid out as Linux
//! lays it, recorded in a fresh address-space map. Built at start-up and again by execve.

use abi_linux::mm::{AddressSpace, Mapping};

use crate::elf::{self, RefuseReason};
use crate::stack;

/// How much address space after the program is kept for its heap (reserved, not committed).
pub const HEAP_RESERVE: u64 = 4 << 30;

/// Where a new image starts.
pub struct ProcessImage {
    pub entry: u64,
    pub sp: u64,
    pub mm: AddressSpace,
}

/// Who the program runs as, for the auxiliary vector.
#[derive(Clone, Copy)]
pub struct Ids {
    pub uid: u32,
    pub euid: u32,
    pub gid: u32,
    pub egid: u32,
}

/// Maps `bytes` (an ELF already accepted by [`elf::check`]) and its stack. `exe_path` names the
/// mappings; `execfn` is the path as given (AT_EXECFN).
pub fn build(bytes: &[u8], exe_path: &str, execfn: &[u8], argv: &[Vec<u8>], envp: &[Vec<u8>], ids: Ids) -> Result<ProcessImage, RefuseReason> {
    let image = elf::check(bytes)?;
    let loaded = image.load(HEAP_RESERVE)?;
    let mut mm = AddressSpace::default();
    for &(start, end, prot) in &loaded.segments {
        mm.insert(start, Mapping { end, prot, shared: false, name: exe_path.to_string(), offset: start - loaded.base });
    }
    mm.brk_start = loaded.brk_start;
    mm.brk = loaded.brk_start;
    mm.brk_reserved_end = loaded.brk_reserved_end;
    let stack_lo = map_stack().map_err(|e| RefuseReason::Malformed(format!("cannot map the stack: {e}")))?;
    let stack_hi = stack_lo + stack::STACK_SIZE;
    mm.insert(stack_lo, Mapping { end: stack_hi, prot: 3, shared: false, name: "[stack]".into(), offset: 0 });
    let mut random = [0u8; 16];
    // SAFETY: getrandom fills our buffer.
    unsafe { libc::getrandom(random.as_mut_ptr() as *mut _, 16, 0) };
    let id = stack::Identity {
        uid: ids.uid,
        euid: ids.euid,
        gid: ids.gid,
        egid: ids.egid,
        // SAFETY: getauxval has no preconditions.
        hwcap: unsafe { libc::getauxval(libc::AT_HWCAP) },
        hwcap2: unsafe { libc::getauxval(libc::AT_HWCAP2) },
        random,
        // SAFETY: getauxval has no preconditions.
        vdso: unsafe { libc::getauxval(libc::AT_SYSINFO_EHDR) },
    };
    // SAFETY: the stack range was just mapped read-write for the guest.
    let sp = unsafe { stack::build(stack_hi, &loaded, execfn, argv, envp, &id) };
    for (start, m) in host_vdso_mappings() {
        mm.insert(start, m);
    }
    Ok(ProcessImage { entry: loaded.entry, sp, mm })
}

/// Maps the guest's main stack where Linux puts a process's: at the top of the address space,
/// just below rumplx's own stack (leaving that one room to grow), so stack addresses look native
/// (a pointer plus a huge length passes the end of user space there, as programs may expect).
/// Anywhere the kernel likes when that place is taken.
fn map_stack() -> std::io::Result<u64> {
    const GROWTH_ROOM: u64 = 1 << 30;
    let prot = libc::PROT_READ | libc::PROT_WRITE;
    let host_stack_lo = std::fs::read_to_string("/proc/self/maps").ok().and_then(|maps| {
        let line = maps.lines().find(|l| l.ends_with("[stack]"))?;
        u64::from_str_radix(line.split('-').next()?, 16).ok()
    });
    if let Some(lo) = host_stack_lo.and_then(|lo| lo.checked_sub(GROWTH_ROOM + stack::STACK_SIZE)) {
        if let Ok(at) = crate::hostmem::map(lo & !0xfff, stack::STACK_SIZE, prot, true) {
            return Ok(at);
        }
    }
    crate::hostmem::map(0, stack::STACK_SIZE, prot, false)
}

/// The host's [vdso] and [vvar] mappings, which the guest shares (AT_SYSINFO_EHDR): they belong in
/// its address-space map (and /proc/self/maps) but are never unmapped for it.
fn host_vdso_mappings() -> Vec<(u64, Mapping)> {
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap_or_default();
    maps.lines()
        .filter_map(|l| {
            let name = l.split_whitespace().nth(5)?;
            if name != "[vdso]" && !name.starts_with("[vvar") {
                return None;
            }
            let (range, perms) = (l.split_whitespace().next()?, l.split_whitespace().nth(1)?);
            let (lo, hi) = range.split_once('-')?;
            let (lo, hi) = (u64::from_str_radix(lo, 16).ok()?, u64::from_str_radix(hi, 16).ok()?);
            let prot = (perms.contains('r') as u32) | (perms.contains('w') as u32) << 1 | (perms.contains('x') as u32) << 2;
            Some((lo, Mapping { end: hi, prot, shared: false, name: name.to_string(), offset: 0 }))
        })
        .collect()
}

/// Unmaps everything an image owned: its mappings and what is left of its heap reservation.
pub fn unmap(mm: &AddressSpace) {
    for (start, m) in mm.iter().filter(|(_, m)| m.name != "[vdso]" && !m.name.starts_with("[vvar")) {
        // SAFETY: guest ranges only.
        unsafe { libc::munmap(start as *mut _, (m.end - start) as usize) };
    }
    let heap_top = elf::page_up(mm.brk);
    if mm.brk_reserved_end > heap_top {
        // SAFETY: the rest of the reservation made for this image.
        unsafe { libc::munmap(heap_top as *mut _, (mm.brk_reserved_end - heap_top) as usize) };
    }
}
