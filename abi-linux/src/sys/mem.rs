//! Memory: brk, mmap and friends. No rump kernel owns the guest's address space, so the layer
//! serves these itself (as Rumprun's runtime does), making host mappings through the platform and
//! recording them in the address-space map. File contents come through the kernel (pread).

use abi_netbsd::nr as nb;
use syscalls::Sysno;

use crate::consts::{madvise as madv, mlockall_mremap as mrem, mmap_flags as mf};
use crate::dispatch::Ctx;
use crate::errno::{EBADF, EINVAL, ENODEV, ENOMEM};
use crate::mm::{Mapping, PROT_READ, PROT_WRITE};
use crate::platform::{MemoryLock, Placement};
use crate::table::{entry, Arg, Entry, Family::Memory, Ret, Route, Support};
use crate::LxResult;

const PAGE: u64 = 4096;

fn page_up(v: u64) -> Option<u64> {
    v.checked_add(PAGE - 1).map(|v| v & !(PAGE - 1))
}

pub const ENTRIES: &[Entry] = &[
    entry(Sysno::brk as u32, "brk", Memory, &[Arg::Hex], Ret::Hex, Route::Layer(brk), Support::Full),
    entry(Sysno::mmap as u32, "mmap", Memory, &[Arg::Hex, Arg::Len, Arg::Prot, Arg::MmapFlags, Arg::Fd, Arg::Hex], Ret::Hex,
        Route::Translated(mmap, &[nb::SYS_fcntl, nb::SYS_pread]),
        Support::Partial("writable MAP_SHARED file mappings work for host files only; files of in-memory file systems are mapped as private copies; MAP_HUGETLB is refused")),
    entry(Sysno::munmap as u32, "munmap", Memory, &[Arg::Hex, Arg::Len], Ret::Int, Route::Layer(munmap), Support::Full),
    entry(Sysno::mprotect as u32, "mprotect", Memory, &[Arg::Hex, Arg::Len, Arg::Prot], Ret::Int, Route::Layer(mprotect), Support::Full),
    entry(Sysno::mremap as u32, "mremap", Memory, &[Arg::Hex, Arg::Len, Arg::Len, Arg::Hex, Arg::Hex], Ret::Hex, Route::Layer(mremap), Support::Full),
    entry(Sysno::madvise as u32, "madvise", Memory, &[Arg::Hex, Arg::Len, Arg::Int], Ret::Int, Route::Layer(madvise), Support::Full),
    entry(Sysno::msync as u32, "msync", Memory, &[Arg::Hex, Arg::Len, Arg::Hex], Ret::Int, Route::Layer(msync), Support::Full),
    entry(Sysno::mlock as u32, "mlock", Memory, &[Arg::Hex, Arg::Len], Ret::Int, Route::Layer(mlock), Support::Full),
    entry(Sysno::mlock2 as u32, "mlock2", Memory, &[Arg::Hex, Arg::Len, Arg::Hex], Ret::Int, Route::Layer(mlock), Support::Full),
    entry(Sysno::munlock as u32, "munlock", Memory, &[Arg::Hex, Arg::Len], Ret::Int, Route::Layer(munlock), Support::Full),
    entry(Sysno::mlockall as u32, "mlockall", Memory, &[Arg::Hex], Ret::Int, Route::Layer(mlockall), Support::Partial("locks rumplx's own pages along with the guest's")),
    entry(Sysno::munlockall as u32, "munlockall", Memory, &[], Ret::Int, Route::Layer(munlockall), Support::Full),
];

/// brk: the heap grows right after the bss, page by page, only into free address space.
fn brk(ctx: &mut Ctx) -> LxResult {
    let want = ctx.args[0];
    let (start, cur) = {
        let mm = ctx.p.mm.lock();
        (mm.brk_start, mm.brk)
    };
    if want < start {
        return Ok(cur);
    }
    let (Some(cur_top), Some(want_top)) = (page_up(cur), page_up(want)) else { return Ok(cur) };
    let reserved_end = ctx.p.mm.lock().brk_reserved_end;
    if want_top > cur_top {
        // Inside the reservation the heap replaces it; beyond it, only free space will do.
        let placement = if want_top <= reserved_end { Placement::Fixed } else { Placement::FixedNoReplace };
        let placed = ctx.p.platform.map_anonymous(cur_top, want_top - cur_top, PROT_READ | PROT_WRITE, placement, false);
        if placed.is_err() {
            // Linux answers a failed brk with the old break; libc then falls back to mmap.
            return Ok(cur);
        }
        let mut mm = ctx.p.mm.lock();
        let heap_lo = page_up(start).unwrap_or(start);
        // One "[heap]" mapping from the start of the heap to the new top.
        mm.insert(heap_lo.min(cur_top), Mapping { end: want_top, prot: PROT_READ | PROT_WRITE, shared: false, name: "[heap]".into(), offset: 0 });
    } else if want_top < cur_top {
        if cur_top <= reserved_end {
            // Give the pages back to the reservation rather than to whoever maps next.
            ctx.p.platform.map_anonymous(want_top, cur_top - want_top, 0, Placement::Fixed, false).ok();
        } else {
            ctx.p.platform.unmap(want_top, cur_top - want_top).ok();
        }
        ctx.p.mm.lock().remove(want_top, cur_top - want_top);
    }
    ctx.p.mm.lock().brk = want;
    Ok(want)
}

/// Unmaps the guest's own mappings within `addr..addr+len` (what lies between them, and anything
/// not the guest's, is left alone): for munmap, and to free a range a MAP_FIXED request takes.
///
/// The map stays locked from the host's munmap to the removal: once the host has freed a range,
/// another thread's mmap may get it back from the host at once (musl's detached threads unmap
/// their own stacks while others create threads), and its record must not be removed by ours.
fn unmap_guest_range(ctx: &Ctx, addr: u64, len: u64) -> Result<(), crate::Errno> {
    let mut mm = ctx.p.mm.lock();
    let pieces: alloc::vec::Vec<(u64, u64)> =
        mm.iter().filter(|(s, m)| *s < addr + len && m.end > addr).map(|(s, m)| (s.max(addr), m.end.min(addr + len))).collect();
    for (s, e) in pieces {
        ctx.p.platform.unmap(s, e - s)?;
        mm.remove(s, e - s);
    }
    Ok(())
}

fn mmap(ctx: &mut Ctx) -> LxResult {
    let [addr, len, prot, flags, fd, off] = ctx.args;
    let (prot, flags, fd) = (prot as u32, flags as u32, fd as u32 as i32);
    if len == 0 || off % PAGE != 0 {
        return Err(EINVAL);
    }
    let Some(len) = page_up(len) else { return Err(ENOMEM) };
    let kind = flags & mf::MAP_TYPE;
    if kind != mf::MAP_PRIVATE && kind != mf::MAP_SHARED && kind != mf::MAP_SHARED_VALIDATE {
        return Err(EINVAL);
    }
    if flags & mf::MAP_HUGETLB != 0 {
        return Err(EINVAL);
    }
    let fixed = flags & (mf::MAP_FIXED | mf::MAP_FIXED_NOREPLACE) != 0;
    if fixed && addr % PAGE != 0 {
        return Err(EINVAL);
    }
    if addr.checked_add(len).is_none_or(|e| e > 0x7fff_ffff_f000) && fixed {
        return Err(ENOMEM);
    }
    let placement = if flags & mf::MAP_FIXED_NOREPLACE != 0 {
        if ctx.p.mm.lock().overlaps(addr, len) {
            return Err(crate::errno::EEXIST);
        }
        Placement::FixedNoReplace
    } else if flags & mf::MAP_FIXED != 0 {
        unmap_guest_range(ctx, addr, len)?;
        Placement::FixedNoReplace
    } else {
        Placement::Hint
    };
    let shared = kind != mf::MAP_PRIVATE;
    let anonymous = flags & mf::MAP_ANONYMOUS != 0;
    let at = if anonymous {
        ctx.p.platform.map_anonymous(addr, len, prot, placement, shared)?
    } else {
        map_file(ctx, fd, addr, len, prot, placement, off, shared)?
    };
    let name = if anonymous { alloc::string::String::new() } else { alloc::format!("fd:{fd}") };
    ctx.p.mm.lock().insert(at, Mapping { end: at + len, prot, shared, name, offset: if anonymous { 0 } else { off } });
    Ok(at)
}

/// Maps a file: through the host kernel when the file is a host file (exact sharing and
/// copy-on-write semantics), else as a private copy of its bytes read through the kernel.
#[allow(clippy::too_many_arguments)]
fn map_file(ctx: &mut Ctx, fd: i32, addr: u64, len: u64, prot: u32, placement: Placement, off: u64, shared: bool) -> LxResult {
    // Every mapping reads the file; a shared writable one writes it too (Linux: EACCES otherwise).
    let status = ctx.nb(nb::SYS_fcntl, [fd as u64, abi_netbsd::consts::fcntl_cmd::F_GETFL as u64, 0, 0, 0, 0])?[0] as u32;
    let access = status & abi_netbsd::consts::open_flags::O_ACCMODE;
    if access == abi_netbsd::consts::open_flags::O_WRONLY
        || shared && prot & PROT_WRITE != 0 && access != abi_netbsd::consts::open_flags::O_RDWR
    {
        return Err(crate::errno::EACCES);
    }
    if let Some(host_fd) = ctx.p.kernel.host_fd(fd) {
        return ctx.p.platform.map_host_file(addr, len, prot, placement, host_fd, off, shared);
    }
    if shared && prot & PROT_WRITE != 0 {
        // Writes through the mapping could not reach a file the host kernel does not hold.
        return Err(ENODEV);
    }
    let at = ctx.p.platform.map_anonymous(addr, len, PROT_READ | PROT_WRITE, placement, false)?;
    if let Err(e) = fill_from_file(ctx, fd, at, len, off) {
        ctx.p.platform.unmap(at, len).ok();
        return Err(e);
    }
    if prot != PROT_READ | PROT_WRITE {
        ctx.p.platform.protect(at, len, prot)?;
    }
    Ok(at)
}

/// Reads the file's bytes at `off` into the fresh mapping at `at`; the rest stays zero.
fn fill_from_file(ctx: &mut Ctx, fd: i32, at: u64, len: u64, off: u64) -> Result<(), crate::Errno> {
    let mut done = 0;
    while done < len {
        let r = ctx.nb_raw(nb::SYS_pread, [fd as u64, at + done, len - done, 0, off + done, 0]);
        match r {
            Ok([0, _]) => break,
            Ok([n, _]) => done += n,
            Err(e) if e == abi_netbsd::errno::EBADF => return Err(EBADF),
            Err(e) if e == abi_netbsd::errno::EISDIR || e == abi_netbsd::errno::ESPIPE => return Err(ENODEV),
            Err(e) => return Err(crate::xlat::errno::from_netbsd(e)),
        }
    }
    Ok(())
}

/// A page-aligned guest range from (addr, len) arguments.
fn range(ctx: &Ctx) -> Result<(u64, u64), crate::Errno> {
    let (addr, len) = (ctx.args[0], ctx.args[1]);
    if addr % PAGE != 0 {
        return Err(EINVAL);
    }
    let len = page_up(len).ok_or(EINVAL)?;
    if addr.checked_add(len).is_none() {
        return Err(EINVAL);
    }
    Ok((addr, len))
}

fn munmap(ctx: &mut Ctx) -> LxResult {
    let (addr, len) = range(ctx)?;
    if len == 0 {
        return Err(EINVAL);
    }
    unmap_guest_range(ctx, addr, len)?;
    Ok(0)
}

/// Whether the whole range is the guest's.
fn all_mapped(ctx: &Ctx, addr: u64, len: u64) -> bool {
    let mm = ctx.p.mm.lock();
    let mut at = addr;
    for (s, m) in mm.iter() {
        if m.end <= at {
            continue;
        }
        if s > at {
            return false;
        }
        at = m.end;
        if at >= addr + len {
            return true;
        }
    }
    at >= addr + len
}

fn mprotect(ctx: &mut Ctx) -> LxResult {
    let (addr, len) = range(ctx)?;
    let prot = ctx.args[2] as u32;
    if prot & !0x7 & !0x0300_0000 != 0 {
        return Err(EINVAL);
    }
    if !all_mapped(ctx, addr, len) {
        return Err(ENOMEM);
    }
    let prot = prot & 0x7;
    ctx.p.platform.protect(addr, len, prot)?;
    ctx.p.mm.lock().protect(addr, len, prot);
    Ok(0)
}

fn mremap(ctx: &mut Ctx) -> LxResult {
    let [old, old_len, new_len, flags, new_addr, _] = ctx.args;
    let flags = flags as u32;
    if old % PAGE != 0 || flags & !(mrem::MREMAP_MAYMOVE | mrem::MREMAP_FIXED | mrem::MREMAP_DONTUNMAP) != 0 {
        return Err(EINVAL);
    }
    let (Some(old_len), Some(new_len)) = (page_up(old_len), page_up(new_len)) else { return Err(EINVAL) };
    if new_len == 0 || !all_mapped(ctx, old, old_len.max(PAGE)) {
        return Err(if new_len == 0 { EINVAL } else { crate::errno::EFAULT });
    }
    if flags & mrem::MREMAP_FIXED != 0 {
        if flags & mrem::MREMAP_MAYMOVE == 0 || new_addr % PAGE != 0 {
            return Err(EINVAL);
        }
        unmap_guest_range(ctx, new_addr, new_len)?;
    }
    if flags & mrem::MREMAP_MAYMOVE == 0 && new_len > old_len && ctx.p.mm.lock().overlaps(old + old_len, new_len - old_len) {
        return Err(ENOMEM);
    }
    let at = ctx.p.platform.remap(old, old_len, new_len, flags, new_addr)?;
    let mut mm = ctx.p.mm.lock();
    let template = mm.iter().find(|(s, m)| *s <= old && m.end > old).map(|(_, m)| m.clone());
    if flags & mrem::MREMAP_DONTUNMAP == 0 {
        mm.remove(old, old_len);
    }
    if let Some(t) = template {
        mm.insert(at, Mapping { end: at + new_len, ..t });
    }
    Ok(at)
}

fn madvise(ctx: &mut Ctx) -> LxResult {
    let (addr, len) = range(ctx)?;
    let advice = ctx.args[2] as u32;
    if !all_mapped(ctx, addr, len) {
        return Err(ENOMEM);
    }
    match advice {
        // Harmless hints and those the host applies to the same pages with the same meaning.
        madv::MADV_NORMAL | madv::MADV_RANDOM | madv::MADV_SEQUENTIAL | madv::MADV_WILLNEED
        | madv::MADV_DONTNEED | madv::MADV_FREE | madv::MADV_HUGEPAGE | madv::MADV_NOHUGEPAGE
        | madv::MADV_DONTDUMP | madv::MADV_DODUMP | madv::MADV_DONTFORK | madv::MADV_DOFORK
        | madv::MADV_WIPEONFORK | madv::MADV_KEEPONFORK | madv::MADV_COLD | madv::MADV_PAGEOUT => {
            ctx.p.platform.advise(addr, len, advice)?;
            Ok(0)
        }
        _ => Err(EINVAL),
    }
}

fn msync(ctx: &mut Ctx) -> LxResult {
    let (addr, len) = range(ctx)?;
    if !all_mapped(ctx, addr, len) {
        return Err(ENOMEM);
    }
    ctx.p.platform.sync(addr, len, ctx.args[2] as u32)?;
    Ok(0)
}

/// The page-rounded range of an mlock-style (addr, len) pair, which must be the guest's.
fn lock_range(ctx: &Ctx) -> Result<(u64, u64), crate::Errno> {
    let addr = ctx.args[0] & !(PAGE - 1);
    let len = ctx.args[1].checked_add(ctx.args[0] - addr).and_then(page_up).ok_or(EINVAL)?;
    if !all_mapped(ctx, addr, len) {
        return Err(ENOMEM);
    }
    Ok((addr, len))
}

fn mlock(ctx: &mut Ctx) -> LxResult {
    let (addr, len) = lock_range(ctx)?;
    ctx.p.platform.memory_lock(MemoryLock::Lock(addr, len))?;
    Ok(0)
}

fn munlock(ctx: &mut Ctx) -> LxResult {
    let (addr, len) = lock_range(ctx)?;
    ctx.p.platform.memory_lock(MemoryLock::Unlock(addr, len))?;
    Ok(0)
}

fn mlockall(ctx: &mut Ctx) -> LxResult {
    let flags = ctx.args[0] as u32;
    if flags == 0 || flags & !(mrem::MCL_CURRENT | mrem::MCL_FUTURE | mrem::MCL_ONFAULT) != 0 {
        return Err(EINVAL);
    }
    ctx.p.platform.memory_lock(MemoryLock::LockAll(flags))?;
    Ok(0)
}

fn munlockall(ctx: &mut Ctx) -> LxResult {
    ctx.p.platform.memory_lock(MemoryLock::UnlockAll)?;
    Ok(0)
}
