//! The initial process stack, laid out as the Linux kernel builds it for a new program:
//! argc, argv[], NULL, envp[], NULL, auxv pairs, AT_NULL, then the strings and AT_RANDOM bytes.

use crate::elf::Loaded;

/// Size of the guest's main stack (Linux's default RLIMIT_STACK).
pub const STACK_SIZE: u64 = 8 << 20;

// auxv keys (Linux <elf.h>).
const AT_NULL: u64 = 0;
const AT_IGNORE: u64 = 1;
const AT_PHDR: u64 = 3;
const AT_PHENT: u64 = 4;
const AT_PHNUM: u64 = 5;
const AT_PAGESZ: u64 = 6;
const AT_BASE: u64 = 7;
const AT_FLAGS: u64 = 8;
const AT_ENTRY: u64 = 9;
const AT_UID: u64 = 11;
const AT_EUID: u64 = 12;
const AT_GID: u64 = 13;
const AT_EGID: u64 = 14;
const AT_PLATFORM: u64 = 15;
const AT_HWCAP: u64 = 16;
const AT_CLKTCK: u64 = 17;
const AT_SECURE: u64 = 23;
const AT_RANDOM: u64 = 25;
const AT_HWCAP2: u64 = 26;
const AT_EXECFN: u64 = 31;
const AT_SYSINFO_EHDR: u64 = 33;

/// What goes into the auxiliary vector besides the image's own addresses.
pub struct Identity {
    pub uid: u32,
    pub euid: u32,
    pub gid: u32,
    pub egid: u32,
    pub hwcap: u64,
    pub hwcap2: u64,
    pub random: [u8; 16],
    /// Address of the host's vDSO image, or 0.
    pub vdso: u64,
}

/// Writes argv, envp and auxv into the stack whose highest address is `top`, returns the initial
/// stack pointer (pointing at argc, 16-byte aligned).
///
/// # Safety
/// `top - STACK_SIZE .. top` must be mapped read-write and owned by the guest.
pub unsafe fn build(top: u64, image: &Loaded, execfn: &[u8], argv: &[Vec<u8>], envp: &[Vec<u8>], id: &Identity) -> u64 {
    let mut sp = top;
    let push_bytes = |bytes: &[u8], sp: &mut u64| -> u64 {
        *sp -= bytes.len() as u64;
        // SAFETY: within the guest stack (caller's contract); strings are far smaller than it.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), *sp as *mut u8, bytes.len()) };
        *sp
    };
    let cstr = |s: &[u8], sp: &mut u64| -> u64 {
        let mut v = s.to_vec();
        v.push(0);
        push_bytes(&v, sp)
    };
    let execfn_at = cstr(execfn, &mut sp);
    let env_at: Vec<u64> = envp.iter().map(|e| cstr(e, &mut sp)).collect();
    let arg_at: Vec<u64> = argv.iter().map(|a| cstr(a, &mut sp)).collect();
    let platform_at = cstr(b"x86_64", &mut sp);
    sp &= !15;
    let random_at = push_bytes(&id.random, &mut sp);

    let auxv: [(u64, u64); 19] = [
        (AT_PHDR, image.phdr),
        (AT_PHENT, image.phent),
        (AT_PHNUM, image.phnum),
        (AT_PAGESZ, 4096),
        (AT_BASE, 0),
        (AT_FLAGS, 0),
        (AT_ENTRY, image.entry),
        (AT_UID, id.uid as u64),
        (AT_EUID, id.euid as u64),
        (AT_GID, id.gid as u64),
        (AT_EGID, id.egid as u64),
        (AT_SECURE, 0),
        (AT_RANDOM, random_at),
        (AT_HWCAP, id.hwcap),
        (AT_HWCAP2, id.hwcap2),
        (AT_CLKTCK, 100),
        (AT_PLATFORM, platform_at),
        (AT_EXECFN, execfn_at),
        // The host's vDSO (AT_IGNORE when there is none): clock_gettime,
        // gettimeofday and time read the host's clock without a syscall, the same clock the
        // kernel's own clock calls read; anything else it does falls back to a trapped syscall.
        (if id.vdso != 0 { AT_SYSINFO_EHDR } else { AT_IGNORE }, id.vdso),
    ];
    let words = 1 + arg_at.len() + 1 + env_at.len() + 1 + 2 * (auxv.len() + 1);
    sp -= 8 * words as u64;
    sp &= !15;
    let mut w = sp as *mut u64;
    let mut put = |v: u64| {
        // SAFETY: `words` slots were reserved below the strings.
        unsafe {
            w.write(v);
            w = w.add(1);
        }
    };
    put(arg_at.len() as u64);
    arg_at.iter().for_each(|a| put(*a));
    put(0);
    env_at.iter().for_each(|e| put(*e));
    put(0);
    for (k, v) in auxv {
        put(k);
        put(v);
    }
    put(AT_NULL);
    put(0);
    sp
}
