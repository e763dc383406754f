//! Reading and checking a guest ELF file, and mapping its PT_LOAD segments.
//!
//! Every refusal is a [`RefuseReason`] with a one-line message; the command turns it into exit
//! status 126 (cannot execute), as a shell does.

use goblin::elf::{header, program_header as ph, Elf};

use crate::hostmem;

/// Why a file cannot be run.
#[derive(Debug)]
pub enum RefuseReason {
    NotElf,
    Class32,
    NotX86_64(u16),
    NotExecutable(u16),
    Dynamic(String),
    Malformed(String),
    Truncated(String),
    Overlap { start: u64, end: u64 },
}

impl std::fmt::Display for RefuseReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RefuseReason::NotElf => write!(f, "not an ELF executable"),
            RefuseReason::Class32 => write!(f, "32-bit ELF; rumplx runs x86_64 (64-bit) programs only"),
            RefuseReason::NotX86_64(m) => {
                write!(f, "ELF for {} (e_machine {}), not x86_64", header::machine_to_str(*m), m)
            }
            RefuseReason::NotExecutable(t) => {
                write!(f, "ELF type {} is not an executable", header::et_to_str(*t))
            }
            RefuseReason::Dynamic(interp) => write!(
                f,
                "dynamically linked (interpreter {interp}); rumplx runs statically linked programs only"
            ),
            RefuseReason::Malformed(why) => write!(f, "malformed ELF: {why}"),
            RefuseReason::Truncated(why) => write!(f, "truncated ELF: {why}"),
            RefuseReason::Overlap { start, end } => write!(
                f,
                "its segments at {start:#x}-{end:#x} overlap memory rumplx itself uses"
            ),
        }
    }
}

/// A checked static executable, not yet mapped.
pub struct Image<'a> {
    pub bytes: &'a [u8],
    pub elf: Elf<'a>,
    /// Static-pie (ET_DYN): loaded at a random base.
    pub pie: bool,
    /// Lowest and highest (page-rounded) virtual addresses of the PT_LOAD segments, unrelocated.
    pub lo: u64,
    pub hi: u64,
}

/// Where an image ended up.
pub struct Loaded {
    pub base: u64,
    pub entry: u64,
    /// Address of the program headers in memory (AT_PHDR).
    pub phdr: u64,
    pub phent: u64,
    pub phnum: u64,
    /// First byte after the highest segment (page aligned): where brk starts.
    pub brk_start: u64,
    /// End of the range kept free for the heap.
    pub brk_reserved_end: u64,
    /// (start, end, Linux prot) of each mapped segment range, for the address-space map.
    pub segments: Vec<(u64, u64, u32)>,
}

pub const PAGE: u64 = 4096;

pub fn page_down(v: u64) -> u64 {
    v & !(PAGE - 1)
}

pub fn page_up(v: u64) -> u64 {
    v.saturating_add(PAGE - 1) & !(PAGE - 1)
}

/// Checks that `bytes` is a static x86_64 executable rumplx can run.
pub fn check(bytes: &[u8]) -> Result<Image<'_>, RefuseReason> {
    if bytes.len() < 4 || &bytes[..4] != b"\x7fELF" {
        return Err(RefuseReason::NotElf);
    }
    if bytes.len() < 5 {
        return Err(RefuseReason::Truncated("no ELF header".into()));
    }
    if bytes[header::EI_CLASS] == header::ELFCLASS32 {
        return Err(RefuseReason::Class32);
    }
    if bytes[header::EI_CLASS] != header::ELFCLASS64 {
        return Err(RefuseReason::Malformed(format!("unknown ELF class {}", bytes[header::EI_CLASS])));
    }
    if bytes.len() < 64 {
        return Err(RefuseReason::Truncated(format!(
            "{} bytes, shorter than the 64-byte ELF header",
            bytes.len()
        )));
    }
    if bytes[header::EI_DATA] != header::ELFDATA2LSB {
        return Err(RefuseReason::Malformed("big-endian ELF".into()));
    }
    let hdr = Elf::parse_header(bytes).map_err(|e| RefuseReason::Malformed(e.to_string()))?;
    if hdr.e_machine != header::EM_X86_64 {
        return Err(RefuseReason::NotX86_64(hdr.e_machine));
    }
    if hdr.e_type != header::ET_EXEC && hdr.e_type != header::ET_DYN {
        return Err(RefuseReason::NotExecutable(hdr.e_type));
    }
    let ph_end = hdr.e_phoff.saturating_add(hdr.e_phnum as u64 * hdr.e_phentsize as u64);
    if ph_end > bytes.len() as u64 {
        return Err(RefuseReason::Truncated(format!(
            "program headers end at byte {ph_end}, the file has {}",
            bytes.len()
        )));
    }
    if hdr.e_phnum == 0 || hdr.e_phentsize as usize != 56 {
        return Err(RefuseReason::Malformed("no usable program headers".into()));
    }
    // Parse only what loading needs: sections and symbols may be stripped or cut.
    let mut elf = Elf::lazy_parse(hdr).map_err(|e| RefuseReason::Malformed(e.to_string()))?;
    let ctx = goblin::container::Ctx::new(goblin::container::Container::Big, goblin::container::Endian::Little);
    elf.program_headers = ph::ProgramHeader::parse(bytes, hdr.e_phoff as usize, hdr.e_phnum as usize, ctx)
        .map_err(|e| RefuseReason::Malformed(e.to_string()))?;

    if let Some(interp) = elf.program_headers.iter().find(|p| p.p_type == ph::PT_INTERP) {
        let range = interp.file_range();
        let name = bytes
            .get(range)
            .map(|b| String::from_utf8_lossy(b.split(|c| *c == 0).next().unwrap_or(b)).into_owned())
            .unwrap_or_else(|| "unreadable".into());
        return Err(RefuseReason::Dynamic(name));
    }
    let loads: Vec<_> = elf.program_headers.iter().filter(|p| p.p_type == ph::PT_LOAD).collect();
    if loads.is_empty() {
        return Err(RefuseReason::Malformed("no PT_LOAD segment".into()));
    }
    let mut lo = u64::MAX;
    let mut hi = 0u64;
    for p in &loads {
        let file_end = p.p_offset.checked_add(p.p_filesz);
        if file_end.is_none_or(|e| e > bytes.len() as u64) {
            return Err(RefuseReason::Truncated(format!(
                "a segment needs bytes up to {}, the file has {}",
                file_end.unwrap_or(u64::MAX),
                bytes.len()
            )));
        }
        let mem_end = p.p_vaddr.checked_add(p.p_memsz).filter(|e| *e < 0x7fff_ffff_0000);
        let Some(mem_end) = mem_end else {
            return Err(RefuseReason::Malformed("segment beyond the user address space".into()));
        };
        if p.p_filesz > p.p_memsz {
            return Err(RefuseReason::Malformed("segment file size exceeds its memory size".into()));
        }
        lo = lo.min(page_down(p.p_vaddr));
        hi = hi.max(page_up(mem_end));
    }
    let pie = elf.header.e_type == header::ET_DYN;
    if !pie && lo < 0x10000 {
        return Err(RefuseReason::Malformed(format!("segment at {lo:#x}, below the lowest mappable address")));
    }
    Ok(Image { bytes, elf, pie, lo, hi })
}

/// Linux `PROT_*` bits for a segment's `p_flags`.
fn prot_of(flags: u32) -> u32 {
    let mut prot = 0;
    if flags & ph::PF_R != 0 {
        prot |= libc::PROT_READ as u32;
    }
    if flags & ph::PF_W != 0 {
        prot |= libc::PROT_WRITE as u32;
    }
    if flags & ph::PF_X != 0 {
        prot |= libc::PROT_EXEC as u32;
    }
    prot
}

impl Image<'_> {
    /// Maps the segments: one read-write reservation of the whole span, the file bytes copied in,
    /// then each segment's pages given their own protection (pages two segments share get both).
    ///
    /// `heap_reserve` bytes after the image are kept free for brk (mapped inaccessible): a
    /// static-pie placed by the host's mmap would otherwise sit right below another mapping.
    pub fn load(&self, heap_reserve: u64) -> Result<Loaded, RefuseReason> {
        let span = self.hi - self.lo;
        let overlap = |_| RefuseReason::Overlap { start: self.lo, end: self.hi };
        let rw = libc::PROT_READ | libc::PROT_WRITE;
        let (at, reserved) = if self.pie {
            // One hole big enough for both, chosen by the host (randomized base).
            let at = hostmem::reserve(0, span + heap_reserve, false).map_err(overlap)?;
            hostmem::map_over(at, span, rw).map_err(overlap)?;
            (at, heap_reserve)
        } else {
            let at = hostmem::map(self.lo, span, rw, true).map_err(overlap)?;
            let reserved = hostmem::reserve(at + span, heap_reserve, true).map(|_| heap_reserve).unwrap_or(0);
            (at, reserved)
        };
        let base = at - self.lo;
        let loads: Vec<_> = self.elf.program_headers.iter().filter(|p| p.p_type == ph::PT_LOAD).collect();
        for p in &loads {
            let src = &self.bytes[p.file_range()];
            // SAFETY: the destination lies inside the reservation just mapped read-write.
            unsafe { std::ptr::copy_nonoverlapping(src.as_ptr(), (base + p.p_vaddr) as *mut u8, src.len()) };
        }
        // Protection per page: the union of the segments touching it.
        let mut segments: Vec<(u64, u64, u32)> = Vec::new();
        for p in &loads {
            let start = base + page_down(p.p_vaddr);
            let end = base + page_up(p.p_vaddr + p.p_memsz);
            segments.push((start, end, prot_of(p.p_flags)));
        }
        segments.sort();
        let mut merged: Vec<(u64, u64, u32)> = Vec::new();
        for (s, e, prot) in segments {
            match merged.last_mut() {
                Some(last) if s < last.1 => {
                    // The shared page gets both protections; split it off the previous range.
                    let shared_end = last.1.min(e);
                    let last_prot = last.2;
                    last.1 = s;
                    merged.push((s, shared_end, last_prot | prot));
                    if e > shared_end {
                        merged.push((shared_end, e, prot));
                    }
                }
                _ => merged.push((s, e, prot)),
            }
        }
        merged.retain(|(s, e, _)| e > s);
        // Gaps between segments stay mapped but inaccessible, as the kernel leaves them unmapped.
        let mut cursor = at;
        for &(s, e, prot) in &merged {
            if s > cursor {
                hostmem::protect(cursor, s - cursor, libc::PROT_NONE).ok();
            }
            hostmem::protect(s, e - s, prot as i32).map_err(|e| RefuseReason::Malformed(format!("mprotect: {e}")))?;
            cursor = e;
        }
        let first = loads[0];
        let phdr = match self.elf.program_headers.iter().find(|p| p.p_type == ph::PT_PHDR) {
            Some(p) => base + p.p_vaddr,
            None => base + first.p_vaddr - first.p_offset + self.elf.header.e_phoff,
        };
        Ok(Loaded {
            base,
            entry: base + self.elf.header.e_entry,
            phdr,
            phent: self.elf.header.e_phentsize as u64,
            phnum: self.elf.header.e_phnum as u64,
            brk_start: base + self.hi,
            brk_reserved_end: base + self.hi + reserved,
            segments: merged,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A real ELF file to damage: the test binary itself (a dynamically linked PIE), read once.
    fn sample() -> &'static [u8] {
        static BYTES: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
        BYTES.get_or_init(|| std::fs::read(std::env::current_exe().unwrap()).unwrap())
    }

    #[test]
    fn the_test_binary_is_refused_as_dynamic() {
        assert!(matches!(check(sample()), Err(RefuseReason::Dynamic(_))));
    }

    #[test]
    fn short_and_foreign_files_are_refused() {
        assert!(matches!(check(b""), Err(RefuseReason::NotElf)));
        assert!(matches!(check(b"#!/bin/sh\n"), Err(RefuseReason::NotElf)));
        assert!(matches!(check(b"\x7fELF\x02\x01"), Err(RefuseReason::Truncated(_))));
        assert!(matches!(check(b"\x7fELF\x01\x01\x01"), Err(RefuseReason::Class32)));
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        /// Damaged headers and cut files give a reason, never a panic.
        #[test]
        fn damaged_elf_never_panics(cut in 0usize..8192, edits in prop::collection::vec((0usize..4096, any::<u8>()), 0..16)) {
            let mut bytes = sample()[..cut.max(1)].to_vec();
            for (at, b) in edits {
                if at < bytes.len() {
                    bytes[at] = b;
                }
            }
            let _ = check(&bytes).map(|_| ()).map_err(|e| e.to_string());
        }
    }
}
