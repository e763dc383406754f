//! Linux x86_64 signal frames: what the kernel pushes on the stack to run a handler (`struct
//! rt_sigframe`), and how rt_sigreturn takes it back. glibc's and musl's handlers, `siglongjmp` and
//! unwinders read this layout, so it is Linux's exactly.

use core::mem::{offset_of, size_of};

/// `struct sigcontext` (x86_64): the registers. The host is Linux x86_64, so the loader hands the
/// host's own saved registers over in this layout.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sigcontext {
    pub r8: u64,
    pub r9: u64,
    pub r10: u64,
    pub r11: u64,
    pub r12: u64,
    pub r13: u64,
    pub r14: u64,
    pub r15: u64,
    pub rdi: u64,
    pub rsi: u64,
    pub rbp: u64,
    pub rbx: u64,
    pub rdx: u64,
    pub rax: u64,
    pub rcx: u64,
    pub rsp: u64,
    pub rip: u64,
    pub eflags: u64,
    pub cs: u16,
    pub gs: u16,
    pub fs: u16,
    pub ss: u16,
    pub err: u64,
    pub trapno: u64,
    pub oldmask: u64,
    pub cr2: u64,
    /// Address of the FP/xsave area, or 0.
    pub fpstate: u64,
    pub reserved: [u64; 8],
}
const _: () = {
    assert!(size_of::<Sigcontext>() == 256);
    assert!(offset_of!(Sigcontext, rax) == 13 * 8);
    assert!(offset_of!(Sigcontext, rip) == 16 * 8);
    assert!(offset_of!(Sigcontext, cs) == 18 * 8);
    assert!(offset_of!(Sigcontext, fpstate) == 23 * 8);
};

impl Sigcontext {
    /// The six syscall argument registers, in order.
    pub fn syscall_args(&self) -> [u64; 6] {
        [self.rdi, self.rsi, self.rdx, self.r10, self.r8, self.r9]
    }
}

/// `stack_t`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StackT {
    pub sp: u64,
    pub flags: i32,
    pub _pad: i32,
    pub size: u64,
}
const _: () = assert!(size_of::<StackT>() == 24);

/// The kernel's `struct ucontext` (sigset is the kernel's 8 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct Ucontext {
    pub flags: u64,
    pub link: u64,
    pub stack: StackT,
    pub mcontext: Sigcontext,
    pub sigmask: u64,
}
const _: () = assert!(size_of::<Ucontext>() == 304);

/// `siginfo_t`: 128 bytes; the union after the first three ints holds what each kind of signal
/// says (sender pid/uid, fault address, timer id, child status).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Siginfo {
    pub signo: i32,
    pub errno: i32,
    pub code: i32,
    pub _pad: i32,
    pub fields: [u64; 14],
}
const _: () = assert!(size_of::<Siginfo>() == 128);

/// `si_code` values.
pub const SI_USER: i32 = 0;
pub const SI_KERNEL: i32 = 0x80;
pub const SI_QUEUE: i32 = -1;
pub const SI_TIMER: i32 = -2;
pub const SI_TKILL: i32 = -6;

impl Siginfo {
    /// A signal sent by a process (kill, tgkill): sender pid and uid.
    pub fn from_process(signo: u32, code: i32, pid: i32, uid: u32) -> Siginfo {
        let mut i = Siginfo { signo: signo as i32, code, ..Default::default() };
        i.fields[0] = (pid as u32 as u64) | ((uid as u64) << 32);
        i
    }

    /// A fault: the faulting address.
    pub fn fault(signo: u32, code: i32, addr: u64) -> Siginfo {
        let mut i = Siginfo { signo: signo as i32, code, ..Default::default() };
        i.fields[0] = addr;
        i
    }

    pub fn pid(&self) -> i32 {
        self.fields[0] as u32 as i32
    }

    pub fn set_pid(&mut self, pid: i32) {
        self.fields[0] = (self.fields[0] & !0xffff_ffff) | pid as u32 as u64;
    }
}

/// `struct rt_sigframe` as the kernel lays it at the handler's stack pointer.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct RtSigframe {
    /// Return address of the handler: the guest's `sa_restorer`.
    pub pretcode: u64,
    pub uc: Ucontext,
    pub info: Siginfo,
}
const _: () = {
    assert!(size_of::<RtSigframe>() == 440);
    assert!(offset_of!(RtSigframe, uc) == 8);
    assert!(offset_of!(RtSigframe, info) == 312);
};

/// `uc_flags`: the frame carries an xsave area; the ss field is meaningful.
pub const UC_FP_XSTATE: u64 = 1;
pub const UC_SIGCONTEXT_SS: u64 = 2;
pub const UC_STRICT_RESTORE_SS: u64 = 4;

/// `FP_XSTATE_MAGIC1` in the fxsave area's software-reserved bytes: an xsave area follows.
const FP_XSTATE_MAGIC1: u32 = 0x4650_5853;
const FXSAVE_SIZE: usize = 512;
const SW_RESERVED: usize = 464;

/// The size of the FP state area at `fpstate`, as the kernel describes it in the area itself.
///
/// # Safety
/// `fpstate` must point at a readable FP state area the host kernel wrote.
pub unsafe fn fpstate_size(fpstate: u64) -> usize {
    // SAFETY: caller's contract; the software-reserved words lie inside the 512-byte legacy area.
    let (magic, extended) = unsafe {
        let sw = (fpstate as *const u8).add(SW_RESERVED) as *const u32;
        (sw.read_unaligned(), sw.add(1).read_unaligned())
    };
    if magic == FP_XSTATE_MAGIC1 && (extended as usize) >= FXSAVE_SIZE && extended <= 64 * 1024 {
        extended as usize
    } else {
        FXSAVE_SIZE
    }
}

/// Whether the area at `fpstate` is an xsave area (UC_FP_XSTATE).
///
/// # Safety
/// As [`fpstate_size`].
pub unsafe fn fpstate_is_xsave(fpstate: u64) -> bool {
    // SAFETY: caller's contract.
    unsafe { fpstate_size(fpstate) > FXSAVE_SIZE }
}
