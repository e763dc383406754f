//! The fast path (DESIGN.md, performance): hot syscall sites of the guest are rewritten lazily so
//! that later calls from them enter rumplx with a jump instead of a SIGSYS.
//!
//! A site is rewritten after it trapped once, only when the five bytes before its `syscall` are
//! `mov $N, %eax` with N the call number it just made. That `mov` becomes `jmp rel32` to a stub
//! of its own, near the program (within ±2 GiB):
//!
//! ```text
//! mov  $N, %eax
//! lea  S+2(%rip), %rcx      ; what `syscall` leaves in rcx: the address after it
//! jmp  *fast_entry(%rip)    ; sud.rs, rumplx_fast_entry
//! ```
//!
//! The `syscall` instruction itself stays: a jump straight to it (with eax set elsewhere) still
//! traps, and a call to run again (a restart, a signal taken before a waiting call starts) resumes
//! there with RAX = N and traps too. Rewriting happens only while the process has one thread (and
//! no CLONE_VM child shares its memory), in a private executable mapping of the program, with the
//! page made writable for the write and given back its protection. A fork keeps the rewritten
//! text and the stubs (the host copies the memory); execve drops them with the old image.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

use abi_linux::dispatch::Personality;
use abi_linux::sys::sigframe::{RtSigframe, Sigcontext, StackT, Ucontext};

use super::sud::{self, ThreadBlock, FP_AREA_SIZE};

/// Whether sites are rewritten (`rumplx run --no-fast-path`, `RUMPLX_NO_FAST_PATH=1` turn it off).
pub static ENABLED: AtomicBool = AtomicBool::new(true);
/// Reads RUMPLX_NO_FAST_PATH (set by `--no-fast-path` too) from rumplx's environment.
pub fn configure() {
    if std::env::var_os("RUMPLX_NO_FAST_PATH").is_some_and(|v| !v.is_empty() && v != "0") {
        ENABLED.store(false, Ordering::Relaxed);
    }
}

/// Calls served through rewritten sites, and sites rewritten, in this process.
pub static CALLS: AtomicU64 = AtomicU64::new(0);
pub static SITES: AtomicU64 = AtomicU64::new(0);

/// The host kernel's signal-frame description of the extended state (its `_fpx_sw_bytes`), taken
/// from the first SIGSYS frame: the fast path saves exactly what a signal frame would carry.
struct FpTemplate {
    sw: [u8; 48],
    xfeatures: u64,
    xstate_size: usize,
    mxcsr_mask: u32,
}

static FP_TEMPLATE: OnceLock<FpTemplate> = OnceLock::new();

const FP_XSTATE_MAGIC1: u32 = 0x4650_5853;
const FP_XSTATE_MAGIC2: u32 = 0x4650_5845;
const SW_RESERVED: usize = 464;

/// Stub regions and the sites already looked at.
struct Patcher {
    regions: Vec<Region>,
    seen: BTreeSet<u64>,
}

struct Region {
    base: u64,
    used: u64,
}

const REGION_SIZE: u64 = 64 << 10;
const STUB_SIZE: u64 = 32;
/// The first bytes of a region hold the fast entry's address (stubs jump through it).
const FIRST_STUB: u64 = 64;

static PATCHER: Mutex<Patcher> = Mutex::new(Patcher { regions: Vec::new(), seen: BTreeSet::new() });

/// Reads the kernel's description from a host signal frame's FP area; None when it is not an
/// xsave area this block can hold.
fn template_from(fpstate: u64) -> Option<FpTemplate> {
    if fpstate == 0 {
        return None;
    }
    // SAFETY: the host kernel's FP area of the current frame (at least 512 bytes).
    let (legacy, sw) = unsafe {
        let base = fpstate as *const u8;
        (std::slice::from_raw_parts(base, 512), std::slice::from_raw_parts(base.add(SW_RESERVED), 48))
    };
    let word = |b: &[u8], at: usize| u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"));
    let (magic1, extended, xstate_size) = (word(sw, 0), word(sw, 4) as usize, word(sw, 16) as usize);
    let xfeatures = u64::from_le_bytes(sw[8..16].try_into().expect("8 bytes"));
    if magic1 != FP_XSTATE_MAGIC1 || extended != xstate_size + 4 || xstate_size < 576 || extended > FP_AREA_SIZE {
        return None;
    }
    let mxcsr_mask = match word(legacy, 28) {
        0 => 0xffbf,
        m => m,
    };
    Some(FpTemplate { sw: sw.try_into().expect("48 bytes"), xfeatures, xstate_size, mxcsr_mask })
}

/// Prepares a new block's FP area once the template is known (else its first rewrite does).
pub fn init_block(block: &mut ThreadBlock) {
    if let Some(t) = FP_TEMPLATE.get() {
        apply_template(block, t);
    }
}

fn apply_template(block: &mut ThreadBlock, t: &FpTemplate) {
    let fp = &mut block.fp.0;
    fp[SW_RESERVED..SW_RESERVED + 48].copy_from_slice(&t.sw);
    fp[t.xstate_size..t.xstate_size + 4].copy_from_slice(&FP_XSTATE_MAGIC2.to_le_bytes());
    block.xmask = t.xfeatures;
    block.fp_lazy = lazy_fp(t.xfeatures) as u8;
}

/// Components of the xsave image: x87, SSE (xmm, MXCSR), AVX (the ymm upper halves), PKRU.
const XFEATURE_X87: u64 = 1;
const XFEATURE_SSE: u64 = 2;
const XFEATURE_AVX: u64 = 4;
const XFEATURE_PKRU: u64 = 1 << 9;

/// Whether a fast call may save only xmm/ymm 0-15 and MXCSR instead of the whole extended state
/// (xsave and xrstor cost ~150-500 ns on the machines measured; sixteen vector moves each way,
/// ~10 ns). That is all rumplx's own code can change: Rust code for x86-64 uses SSE registers
/// only, the host libc's string functions AVX2 (ymm, then vzeroupper); nothing in rumplx uses
/// x87/MMX instructions or writes PKRU, so those stay the guest's in the CPU throughout a call.
/// Only for hosts whose frames carry x87, SSE, AVX and at most PKRU: with AVX-512 the host libc's
/// EVEX string functions use ymm16-31 and the full xsave stays.
fn lazy_fp(xfeatures: u64) -> bool {
    let base = XFEATURE_X87 | XFEATURE_SSE | XFEATURE_AVX;
    xfeatures & base == base && xfeatures & !(base | XFEATURE_PKRU) == 0
}

/// Makes the fast call's FP area a complete xsave image of the guest's extended state, before the
/// dispatcher reads it (a signal frame) or writes it (rt_sigreturn); the way out then restores
/// it all with xrstor. The entry saved xmm/ymm and MXCSR only; the other components (x87, PKRU)
/// are still the guest's in the CPU, as rumplx's code never changes them, so xsave takes them now.
pub fn complete_fp(block: &mut ThreadBlock) {
    if block.fp_partial == 0 {
        return;
    }
    block.fp_partial = 0;
    let rest = block.xmask & !(XFEATURE_SSE | XFEATURE_AVX);
    let fp = &mut block.fp.0;
    // SAFETY: the area is 64-byte aligned and large enough for every component in xmask (the
    // template check); xsave writes only the components asked for and their XSTATE_BV bits.
    unsafe {
        std::arch::asm!("xsave64 [{0}]", in(reg) fp.as_mut_ptr(), in("eax") rest as u32, in("edx") (rest >> 32) as u32,
            options(nostack, preserves_flags));
    }
    // The entry wrote the xmm registers, MXCSR and the ymm upper halves in place.
    let bv = u64::from_le_bytes(fp[512..520].try_into().expect("8 bytes")) | XFEATURE_SSE | XFEATURE_AVX;
    fp[512..520].copy_from_slice(&bv.to_le_bytes());
    if let Some(t) = FP_TEMPLATE.get() {
        fp[28..32].copy_from_slice(&t.mxcsr_mask.to_le_bytes());
    }
}

/// [`complete_fp`] for the calling thread, when `fpstate` is its fast call's area.
pub fn complete_current_fp(fpstate: u64) {
    let block = super::signals::current_block();
    if block.is_null() {
        return;
    }
    // SAFETY: the calling thread's own block.
    let block = unsafe { &mut *block };
    if block.fp.0.as_ptr() as u64 == fpstate {
        complete_fp(block);
    }
}

/// Makes the FP area safe for xrstor after the dispatcher may have copied a guest's signal frame
/// into it (rt_sigreturn): MXCSR's reserved bits clear, the xsave header within what is saved.
pub fn sanitize_fp(block: &mut ThreadBlock) {
    let Some(t) = FP_TEMPLATE.get() else { return };
    let fp = &mut block.fp.0;
    let mxcsr = u32::from_le_bytes(fp[24..28].try_into().expect("4 bytes")) & t.mxcsr_mask;
    fp[24..28].copy_from_slice(&mxcsr.to_le_bytes());
    let bv = u64::from_le_bytes(fp[512..520].try_into().expect("8 bytes")) & block.xmask;
    fp[512..520].copy_from_slice(&bv.to_le_bytes());
    fp[520..576].fill(0);
}

/// Builds, below the top of the signal stack, the frame the fast path leaves through with
/// rt_sigreturn (for guest flags the fast way out cannot restore: the trap flag), and blocks every
/// host signal until that rt_sigreturn restores the guest's mask.
pub fn exit_frame(block: &mut ThreadBlock) -> u64 {
    complete_fp(block);
    let at = (block.stack_top - 0x8000) & !63;
    let old_mask = super::signals::set_host_mask(super::signals::ALL_BLOCKED);
    let alt_sp = block.self_ptr + ((std::mem::size_of::<ThreadBlock>() as u64 + 4095) & !4095);
    let frame = RtSigframe {
        pretcode: 0,
        uc: Ucontext {
            flags: abi_linux::sys::sigframe::UC_FP_XSTATE | abi_linux::sys::sigframe::UC_SIGCONTEXT_SS | abi_linux::sys::sigframe::UC_STRICT_RESTORE_SS,
            link: 0,
            stack: StackT { sp: alt_sp, flags: 0, _pad: 0, size: block.stack_top - alt_sp },
            mcontext: block.fast_regs,
            sigmask: old_mask,
        },
        // SAFETY: an all-zero siginfo is valid (plain integers).
        info: unsafe { std::mem::zeroed() },
    };
    // SAFETY: below the top of this thread's signal stack, far below anything in use now.
    unsafe { std::ptr::write(at as *mut RtSigframe, frame) };
    at
}

/// After a SIGSYS from the `syscall` at `regs.rip - 2`: rewrites the site when that is safe.
pub fn maybe_patch(p: &Personality, block: &mut ThreadBlock, regs: &Sigcontext) {
    if !ENABLED.load(Ordering::Relaxed) || regs.rax >= 1024 {
        return;
    }
    // Only while no other thread (nor a CLONE_VM child) can run this memory's code.
    if p.vm_child || std::sync::Arc::strong_count(&p.mm) != 1 || p.threads.lock().len() != 1 {
        return;
    }
    let site = regs.rip.wrapping_sub(2);
    let Ok(mut pt) = PATCHER.lock() else { return };
    if !pt.seen.insert(site) {
        return;
    }
    let Some(t) = FP_TEMPLATE.get().or_else(|| {
        let t = template_from(regs.fpstate)?;
        FP_TEMPLATE.set(t).ok();
        FP_TEMPLATE.get()
    }) else {
        return;
    };
    if block.xmask == 0 {
        apply_template(block, t);
    }
    let mov = site - 5;
    // The bytes from one before the mov to the end of the syscall: one private, readable and
    // executable mapping of the program (never the vdso, anonymous memory or a shared mapping).
    let prot = {
        let mm = p.mm.lock();
        let exe = p.info.lock().exe_path.clone();
        let Some((start, m)) = mm.iter().filter(|(s, _)| *s <= mov - 1).last() else { return };
        if m.end < site + 2 || m.shared || m.prot & 5 != 5 || m.name != exe || start > mov - 1 {
            return;
        }
        m.prot
    };
    // SAFETY: checked readable above (the process has one thread: nothing unmaps it meanwhile).
    let bytes: [u8; 8] = unsafe { std::ptr::read_unaligned((mov - 1) as *const [u8; 8]) };
    if bytes[6..8] != [0x0f, 0x05] || bytes[1] != 0xb8 || u32::from_le_bytes(bytes[2..6].try_into().expect("4")) as u64 != regs.rax {
        return;
    }
    // A prefix before the b8 would make it another instruction (REX.B: mov r8d; 66: mov ax), or
    // the b8 the tail of one; such sites keep trapping.
    const PREFIXES: [u8; 11] = [0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3];
    if (0x40..=0x4f).contains(&bytes[0]) || PREFIXES.contains(&bytes[0]) {
        return;
    }
    let Some(stub) = pt.stub_near(p, site) else { return };
    let stub_code = stub_bytes(stub, regs.rax as u32, site + 2, stub & !(REGION_SIZE - 1));
    let jmp_rel = stub as i64 - site as i64;
    if i32::try_from(jmp_rel).is_err() {
        return;
    }
    // SAFETY: the stub slot is in our own region (RX; made writable for the write).
    if !unsafe { write_code(stub, &stub_code, libc::PROT_READ | libc::PROT_EXEC) } {
        return;
    }
    let mut jmp = [0u8; 5];
    jmp[0] = 0xe9;
    jmp[1..].copy_from_slice(&(jmp_rel as i32).to_le_bytes());
    // SAFETY: a private mapping of the program with protection `prot`; only this thread runs.
    if !unsafe { write_code(mov, &jmp, prot as i32) } {
        return;
    }
    pt.regions.iter_mut().for_each(|r| {
        if stub >= r.base && stub < r.base + REGION_SIZE {
            r.used = r.used.max(stub - r.base + STUB_SIZE);
        }
    });
    SITES.fetch_add(1, Ordering::Relaxed);
    if p.trace {
        let name = p.table.get(regs.rax).map(|e| e.name).unwrap_or("?");
        p.platform.log(&format!("rumplx: fast path: the {name} site at {site:#x} now enters rumplx without a trap"));
    }
}

/// The stub for call `nr` of the site whose `syscall` ends at `resume`.
fn stub_bytes(stub: u64, nr: u32, resume: u64, region: u64) -> [u8; 18] {
    let mut b = [0u8; 18];
    b[0] = 0xb8;
    b[1..5].copy_from_slice(&nr.to_le_bytes());
    // lea rcx, [rip + rel32]
    b[5..8].copy_from_slice(&[0x48, 0x8d, 0x0d]);
    b[8..12].copy_from_slice(&((resume as i64 - (stub + 12) as i64) as i32).to_le_bytes());
    // jmp qword ptr [rip + rel32]
    b[12..14].copy_from_slice(&[0xff, 0x25]);
    b[14..18].copy_from_slice(&((region as i64 - (stub + 18) as i64) as i32).to_le_bytes());
    b
}

/// Writes `code` at `at` in a mapping whose protection is `prot`, making its pages writable for
/// the write and giving them back `prot`.
///
/// # Safety
/// `at..at+code.len()` must be mapped, and no other thread may execute it meanwhile.
unsafe fn write_code(at: u64, code: &[u8], prot: i32) -> bool {
    let page = at & !4095;
    let len = ((at + code.len() as u64 + 4095) & !4095) - page;
    let writable = prot & libc::PROT_WRITE != 0;
    // SAFETY: caller's contract.
    unsafe {
        if !writable && libc::mprotect(page as *mut _, len as usize, prot | libc::PROT_WRITE) != 0 {
            return false;
        }
        std::ptr::copy_nonoverlapping(code.as_ptr(), at as *mut u8, code.len());
        if !writable {
            libc::mprotect(page as *mut _, len as usize, prot);
        }
    }
    true
}

impl Patcher {
    /// A free stub slot within ±2 GiB of `site`, in a region made for it if need be.
    fn stub_near(&mut self, p: &Personality, site: u64) -> Option<u64> {
        const REACH: u64 = (1 << 31) - REGION_SIZE;
        if let Some(r) = self.regions.iter().find(|r| r.used + STUB_SIZE <= REGION_SIZE && r.base.abs_diff(site) < REACH) {
            return Some(r.base + r.used);
        }
        // Below the program, where its heap reservation is not: a few tries, nearest first.
        let mm = p.mm.lock();
        let lowest = mm.iter().filter(|(s, m)| m.name == p.info.lock().exe_path && s.abs_diff(site) < REACH).map(|(s, _)| s).min()?;
        drop(mm);
        for gap in [1u64 << 20, 16 << 20, 256 << 20, 1 << 30] {
            let Some(hint) = (lowest & !(REGION_SIZE - 1)).checked_sub(gap) else { continue };
            if hint < 0x10_0000 || hint.abs_diff(site) >= REACH || p.mm.lock().overlaps(hint, REGION_SIZE) {
                continue;
            }
            // SAFETY: a fresh mapping where nothing is (MAP_FIXED_NOREPLACE).
            let r = unsafe {
                libc::mmap(hint as *mut _, REGION_SIZE as usize, libc::PROT_READ | libc::PROT_WRITE,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED_NOREPLACE, -1, 0)
            };
            if r == libc::MAP_FAILED {
                continue;
            }
            if r as u64 != hint {
                // SAFETY: our own mapping, at an address we did not ask for.
                unsafe { libc::munmap(r, REGION_SIZE as usize) };
                continue;
            }
            // SAFETY: the region was just mapped read-write; then code only.
            unsafe {
                std::ptr::write(hint as *mut u64, sud::fast_entry());
                libc::mprotect(r, REGION_SIZE as usize, libc::PROT_READ | libc::PROT_EXEC);
            }
            self.regions.push(Region { base: hint, used: FIRST_STUB });
            return Some(hint + FIRST_STUB);
        }
        None
    }
}

/// In a fork child: its counts start afresh (the rewritten text and the stubs are its own copies).
pub fn forked() {
    CALLS.store(0, Ordering::Relaxed);
    SITES.store(0, Ordering::Relaxed);
}

/// execve replaced the image: the old sites are gone, and so is any use for the stubs.
pub fn forget_image() {
    let Ok(mut pt) = PATCHER.lock() else { return };
    for r in pt.regions.drain(..) {
        // SAFETY: our own stub region; nothing jumps to it any more.
        unsafe { libc::munmap(r.base as *mut _, REGION_SIZE as usize) };
    }
    pt.seen.clear();
}
