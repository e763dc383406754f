//! Catching the guest's syscalls in-process with Syscall User Dispatch (DESIGN.md §2).
//!
//! Each guest thread has a [`ThreadBlock`] at the bottom of its signal stack. Its first byte is the
//! SUD selector: BLOCK while the guest runs (every `syscall` outside [`allowed_range`] raises
//! SIGSYS), ALLOW while rumplx runs. The assembly entry below finds the block from the stack
//! pointer, flips the selector, swaps the FS base from the guest's TLS to rumplx's, calls the Rust
//! handler, and on the way out swaps back and returns with rt_sigreturn from inside the allowed
//! range.

use std::arch::global_asm;

/// Size (and alignment) of each thread's signal stack; the block sits at its lowest address.
pub const ALT_SIZE: u64 = 1 << 20;

pub const SELECTOR_ALLOW: u8 = 0;

/// Per guest thread state the entry code reads. Layout is fixed: the assembly uses the offsets.
#[repr(C)]
pub struct ThreadBlock {
    /// SUD selector byte (offset 0).
    pub selector: u8,
    /// Whether wrfsbase/rdfsbase may be used (offset 1).
    pub fsgsbase: u8,
    _pad: [u8; 6],
    /// rumplx's own FS base for this thread (offset 8).
    pub host_fs: u64,
    /// The guest's FS base, set through arch_prctl (offset 16).
    pub guest_fs: u64,
    /// The personality's per-thread state.
    pub thread: abi_linux::dispatch::Thread,
    /// Host signals that arrived while this thread was inside rumplx (bit N-1 for signal N), with
    /// their siginfo: the nested handler may only touch atomics, never a lock.
    pub host_pending: std::sync::atomic::AtomicU64,
    pub host_info: [std::cell::UnsafeCell<[u8; 128]>; 64],
    /// The fast path (see [`super::fastpath`]): the guest's registers at a call through a rewritten
    /// site, saved and restored GS-relative (the GS base of every guest thread is its block).
    pub fast_regs: Sigcontext,
    /// The top of this thread's signal stack, where the fast path runs rumplx.
    pub stack_top: u64,
    /// The block's own address (GS-relative code reads it to address the block directly).
    pub self_ptr: u64,
    /// The xsave component mask (XCR0 as the host kernel saves it in signal frames); 0 until the
    /// process's first rewritten site.
    pub xmask: u64,
    /// Whether the fast path saves only what rumplx's code can change (fastpath.rs, `lazy_fp`):
    /// set when the host's signal frames carry x87, SSE, AVX and at most PKRU besides.
    pub fp_lazy: u8,
    /// During a fast call: 1 while `fp` holds only the guest's xmm/ymm registers and MXCSR (the
    /// rest still live in the CPU), 0 once it is a complete xsave image (fastpath::complete_fp).
    pub fp_partial: u8,
    /// Whether the guest's ymm upper halves were all zero at the fast call's entry.
    pub uppers_zero: u8,
    _pad2: u8,
    /// MXCSR as rumplx left it, compared with the guest's on the way out (ldmxcsr is slow).
    pub mxcsr_now: u32,
    /// The guest's extended state during a fast call, in the host kernel's signal-frame format
    /// (so signal frames and rt_sigreturn treat it like the kernel's own area).
    pub fp: FpArea,
}
const _: () = {
    assert!(std::mem::offset_of!(ThreadBlock, host_fs) == 8);
    assert!(std::mem::offset_of!(ThreadBlock, guest_fs) == 16);
    assert!(std::mem::offset_of!(ThreadBlock, fp) % 64 == 0);
};

/// Room for the xsave area of every component a Linux x86_64 signal frame carries (AVX-512 needs
/// 2.7 KiB, AMX about 11 KiB); a host whose area is larger keeps trapping.
pub const FP_AREA_SIZE: usize = 12 << 10;

#[repr(C, align(64))]
pub struct FpArea(pub [u8; FP_AREA_SIZE]);

use abi_linux::sys::sigframe::Sigcontext;

global_asm!(
    ".text",
    ".globl rumplx_signal_entry",
    ".type rumplx_signal_entry,@function",
    // rdi = signo, rsi = siginfo, rdx = ucontext; rsp is on this thread's signal stack.
    "rumplx_signal_entry:",
    "    mov rbx, rsp",
    "    and rbx, {mask}",
    "    movzx r12d, byte ptr [rbx]",
    "    mov byte ptr [rbx], 0",
    "    test r12d, r12d",
    "    jz 2f",
    "    cmp byte ptr [rbx+1], 0",
    "    je 1f",
    "    mov rax, [rbx+8]",
    "    wrfsbase rax",
    "    jmp 2f",
    "1:  mov r13, rdi",
    "    mov r14, rsi",
    "    mov r15, rdx",
    "    mov eax, 158",
    "    mov edi, 0x1002",
    "    mov rsi, [rbx+8]",
    "    syscall",
    "    mov rdi, r13",
    "    mov rsi, r14",
    "    mov rdx, r15",
    "2:  mov rbp, rsp",
    "    and rsp, -16",
    "    mov rcx, rbx",
    "    mov r8, r12",
    "    call {handler}",
    "    test r12d, r12d",
    "    jz 4f",
    "    cmp byte ptr [rbx+1], 0",
    "    je 3f",
    "    mov rax, [rbx+16]",
    "    wrfsbase rax",
    "    jmp 4f",
    "3:  mov eax, 158",
    "    mov edi, 0x1002",
    "    mov rsi, [rbx+16]",
    "    syscall",
    "4:  mov byte ptr [rbx], r12b",
    // Back to the frame the kernel built, as if `ret` had popped the restorer address.
    "    lea rsp, [rbp+8]",
    "    mov eax, 15",
    ".globl rumplx_sud_allowed_start",
    "rumplx_sud_allowed_start:",
    "    syscall",
    "    ud2",
    ".globl rumplx_sigreturn_restorer",
    "rumplx_sigreturn_restorer:",
    "    mov eax, 15",
    "    syscall",
    "    ud2",
    ".globl rumplx_sud_allowed_end",
    "rumplx_sud_allowed_end:",
    "",
    // rdi = guest entry, rsi = guest stack pointer, rdx = thread block. Never returns.
    ".globl rumplx_enter_guest",
    "rumplx_enter_guest:",
    "    mov rbx, rdx",
    "    mov r12, rdi",
    "    mov rsp, rsi",
    "    cmp byte ptr [rbx+1], 0",
    "    je 5f",
    "    mov rax, [rbx+16]",
    "    wrfsbase rax",
    "    jmp 6f",
    "5:  mov eax, 158",
    "    mov edi, 0x1002",
    "    mov rsi, [rbx+16]",
    "    syscall",
    "6:  mov byte ptr [rbx], 1",
    "    push r12",
    "    xor eax, eax",
    "    xor ebx, ebx",
    "    xor ecx, ecx",
    "    xor edx, edx",
    "    xor esi, esi",
    "    xor edi, edi",
    "    xor ebp, ebp",
    "    xor r8d, r8d",
    "    xor r9d, r9d",
    "    xor r10d, r10d",
    "    xor r11d, r11d",
    "    xor r12d, r12d",
    "    xor r13d, r13d",
    "    xor r14d, r14d",
    "    xor r15d, r15d",
    "    ret",
    "",
    // rdi = the guest's registers (a Linux sigcontext), rsi = thread block. Never returns.
    ".globl rumplx_enter_guest_regs",
    "rumplx_enter_guest_regs:",
    "    mov rbx, rsi",
    "    mov r12, rdi",
    "    cmp byte ptr [rbx+1], 0",
    "    je 7f",
    "    mov rax, [rbx+16]",
    "    wrfsbase rax",
    "    jmp 8f",
    "7:  mov eax, 158",
    "    mov edi, 0x1002",
    "    mov rsi, [rbx+16]",
    "    syscall",
    "8:  mov byte ptr [rbx], 1",
    "    mov rsp, [r12+120]",
    "    push qword ptr [r12+128]",
    "    mov r8, [r12]",
    "    mov r9, [r12+8]",
    "    mov r10, [r12+16]",
    "    mov r11, [r12+24]",
    "    mov r13, [r12+40]",
    "    mov r14, [r12+48]",
    "    mov r15, [r12+56]",
    "    mov rdi, [r12+64]",
    "    mov rsi, [r12+72]",
    "    mov rbp, [r12+80]",
    "    mov rbx, [r12+88]",
    "    mov rdx, [r12+96]",
    "    mov rax, [r12+104]",
    "    mov rcx, [r12+112]",
    "    mov r12, [r12+32]",
    "    ret",
    mask = const -(ALT_SIZE as i64),
    handler = sym super::signals::on_signal,
);

// The fast path (DESIGN.md, performance): a rewritten site's stub jumps here with eax = the call
// number and rcx = the address after the site's `syscall` (what the `syscall` instruction itself
// leaves in rcx). Everything is addressed GS-relative (GS base = this thread's block), so no guest
// register or guest stack byte is touched before it is saved, and nothing is written below the
// guest's stack pointer.
global_asm!(
    ".text",
    ".globl rumplx_fast_entry",
    ".type rumplx_fast_entry,@function",
    "rumplx_fast_entry:",
    // From here on a host signal is noted for later, as anywhere inside rumplx.
    "    mov byte ptr gs:[0], 0",
    "    mov qword ptr gs:[{r}+120], rsp",
    "    mov rsp, qword ptr gs:[{top}]",
    "    pushfq",
    "    pop qword ptr gs:[{r}+136]",
    "    mov qword ptr gs:[{r}+0], r8",
    "    mov qword ptr gs:[{r}+8], r9",
    "    mov qword ptr gs:[{r}+16], r10",
    "    mov qword ptr gs:[{r}+32], r12",
    "    mov qword ptr gs:[{r}+40], r13",
    "    mov qword ptr gs:[{r}+48], r14",
    "    mov qword ptr gs:[{r}+56], r15",
    "    mov qword ptr gs:[{r}+64], rdi",
    "    mov qword ptr gs:[{r}+72], rsi",
    "    mov qword ptr gs:[{r}+80], rbp",
    "    mov qword ptr gs:[{r}+88], rbx",
    "    mov qword ptr gs:[{r}+96], rdx",
    "    mov qword ptr gs:[{r}+104], rax",
    "    mov qword ptr gs:[{r}+112], rcx",
    "    mov qword ptr gs:[{r}+128], rcx",
    // r11 holds the flags after a `syscall`, as the trapped path leaves it.
    "    mov r11, qword ptr gs:[{r}+136]",
    "    mov qword ptr gs:[{r}+24], r11",
    "    mov rbx, qword ptr gs:[{slf}]",
    "    xor esi, esi",
    // rbx = block, esi = mode (0: serve the call, 1: deliver the signals noted meanwhile).
    "20: cmp byte ptr [rbx+1], 0",
    "    je 21f",
    "    mov rax, [rbx+8]",
    "    wrfsbase rax",
    "    jmp 22f",
    "21: mov r12, rsi",
    "    mov eax, 158",
    "    mov edi, 0x1002",
    "    mov rsi, [rbx+8]",
    "    syscall",
    "    mov rsi, r12",
    "22: cmp byte ptr [rbx+{lazy}], 0",
    "    je 40f",
    // Only what rumplx's code can change (fastpath.rs, lazy_fp): xmm/ymm 0-15 and MXCSR, where an
    // xsave would put them; fastpath::complete_fp adds the rest if the dispatcher needs the area.
    "    stmxcsr dword ptr [rbx+{fp}+24]",
    "    vmovdqu xmmword ptr [rbx+{fp}+160], xmm0",
    "    vmovdqu xmmword ptr [rbx+{fp}+176], xmm1",
    "    vmovdqu xmmword ptr [rbx+{fp}+192], xmm2",
    "    vmovdqu xmmword ptr [rbx+{fp}+208], xmm3",
    "    vmovdqu xmmword ptr [rbx+{fp}+224], xmm4",
    "    vmovdqu xmmword ptr [rbx+{fp}+240], xmm5",
    "    vmovdqu xmmword ptr [rbx+{fp}+256], xmm6",
    "    vmovdqu xmmword ptr [rbx+{fp}+272], xmm7",
    "    vmovdqu xmmword ptr [rbx+{fp}+288], xmm8",
    "    vmovdqu xmmword ptr [rbx+{fp}+304], xmm9",
    "    vmovdqu xmmword ptr [rbx+{fp}+320], xmm10",
    "    vmovdqu xmmword ptr [rbx+{fp}+336], xmm11",
    "    vmovdqu xmmword ptr [rbx+{fp}+352], xmm12",
    "    vmovdqu xmmword ptr [rbx+{fp}+368], xmm13",
    "    vmovdqu xmmword ptr [rbx+{fp}+384], xmm14",
    "    vmovdqu xmmword ptr [rbx+{fp}+400], xmm15",
    "    vextractf128 xmmword ptr [rbx+{fp}+576], ymm0, 1",
    "    vextractf128 xmmword ptr [rbx+{fp}+592], ymm1, 1",
    "    vextractf128 xmmword ptr [rbx+{fp}+608], ymm2, 1",
    "    vextractf128 xmmword ptr [rbx+{fp}+624], ymm3, 1",
    "    vextractf128 xmmword ptr [rbx+{fp}+640], ymm4, 1",
    "    vextractf128 xmmword ptr [rbx+{fp}+656], ymm5, 1",
    "    vextractf128 xmmword ptr [rbx+{fp}+672], ymm6, 1",
    "    vextractf128 xmmword ptr [rbx+{fp}+688], ymm7, 1",
    "    vextractf128 xmmword ptr [rbx+{fp}+704], ymm8, 1",
    "    vextractf128 xmmword ptr [rbx+{fp}+720], ymm9, 1",
    "    vextractf128 xmmword ptr [rbx+{fp}+736], ymm10, 1",
    "    vextractf128 xmmword ptr [rbx+{fp}+752], ymm11, 1",
    "    vextractf128 xmmword ptr [rbx+{fp}+768], ymm12, 1",
    "    vextractf128 xmmword ptr [rbx+{fp}+784], ymm13, 1",
    "    vextractf128 xmmword ptr [rbx+{fp}+800], ymm14, 1",
    "    vextractf128 xmmword ptr [rbx+{fp}+816], ymm15, 1",
    // Whether every ymm upper half is zero: then the way out leaves them clean (vzeroupper), as
    // the guest most likely had them, instead of loading zeros (a dirty upper state slows SSE).
    "    vmovdqu xmm0, xmmword ptr [rbx+{fp}+576]",
    "    vpor xmm0, xmm0, xmmword ptr [rbx+{fp}+592]",
    "    vpor xmm0, xmm0, xmmword ptr [rbx+{fp}+608]",
    "    vpor xmm0, xmm0, xmmword ptr [rbx+{fp}+624]",
    "    vpor xmm0, xmm0, xmmword ptr [rbx+{fp}+640]",
    "    vpor xmm0, xmm0, xmmword ptr [rbx+{fp}+656]",
    "    vpor xmm0, xmm0, xmmword ptr [rbx+{fp}+672]",
    "    vpor xmm0, xmm0, xmmword ptr [rbx+{fp}+688]",
    "    vpor xmm0, xmm0, xmmword ptr [rbx+{fp}+704]",
    "    vpor xmm0, xmm0, xmmword ptr [rbx+{fp}+720]",
    "    vpor xmm0, xmm0, xmmword ptr [rbx+{fp}+736]",
    "    vpor xmm0, xmm0, xmmword ptr [rbx+{fp}+752]",
    "    vpor xmm0, xmm0, xmmword ptr [rbx+{fp}+768]",
    "    vpor xmm0, xmm0, xmmword ptr [rbx+{fp}+784]",
    "    vpor xmm0, xmm0, xmmword ptr [rbx+{fp}+800]",
    "    vpor xmm0, xmm0, xmmword ptr [rbx+{fp}+816]",
    "    vptest xmm0, xmm0",
    "    setz byte ptr [rbx+{uz}]",
    // rumplx's SSE code must not run with a dirty upper state either.
    "    vzeroupper",
    "    mov byte ptr [rbx+{part}], 1",
    "    jmp 41f",
    "40: mov eax, dword ptr [rbx+{xm}]",
    "    mov edx, dword ptr [rbx+{xm}+4]",
    "    xsave64 [rbx+{fp}]",
    "    mov byte ptr [rbx+{part}], 0",
    "41: mov rdi, rbx",
    "    call {dispatch}",
    "    test rax, rax",
    "    jnz 30f",
    "    cmp byte ptr [rbx+{part}], 0",
    "    je 42f",
    "    cmp byte ptr [rbx+{uz}], 0",
    "    je 44f",
    "    vzeroupper",
    "    vmovdqu xmm0, xmmword ptr [rbx+{fp}+160]",
    "    vmovdqu xmm1, xmmword ptr [rbx+{fp}+176]",
    "    vmovdqu xmm2, xmmword ptr [rbx+{fp}+192]",
    "    vmovdqu xmm3, xmmword ptr [rbx+{fp}+208]",
    "    vmovdqu xmm4, xmmword ptr [rbx+{fp}+224]",
    "    vmovdqu xmm5, xmmword ptr [rbx+{fp}+240]",
    "    vmovdqu xmm6, xmmword ptr [rbx+{fp}+256]",
    "    vmovdqu xmm7, xmmword ptr [rbx+{fp}+272]",
    "    vmovdqu xmm8, xmmword ptr [rbx+{fp}+288]",
    "    vmovdqu xmm9, xmmword ptr [rbx+{fp}+304]",
    "    vmovdqu xmm10, xmmword ptr [rbx+{fp}+320]",
    "    vmovdqu xmm11, xmmword ptr [rbx+{fp}+336]",
    "    vmovdqu xmm12, xmmword ptr [rbx+{fp}+352]",
    "    vmovdqu xmm13, xmmword ptr [rbx+{fp}+368]",
    "    vmovdqu xmm14, xmmword ptr [rbx+{fp}+384]",
    "    vmovdqu xmm15, xmmword ptr [rbx+{fp}+400]",
    "    jmp 45f",
    "44: nop",
    "    vmovdqu xmm0, xmmword ptr [rbx+{fp}+160]",
    "    vinsertf128 ymm0, ymm0, xmmword ptr [rbx+{fp}+576], 1",
    "    vmovdqu xmm1, xmmword ptr [rbx+{fp}+176]",
    "    vinsertf128 ymm1, ymm1, xmmword ptr [rbx+{fp}+592], 1",
    "    vmovdqu xmm2, xmmword ptr [rbx+{fp}+192]",
    "    vinsertf128 ymm2, ymm2, xmmword ptr [rbx+{fp}+608], 1",
    "    vmovdqu xmm3, xmmword ptr [rbx+{fp}+208]",
    "    vinsertf128 ymm3, ymm3, xmmword ptr [rbx+{fp}+624], 1",
    "    vmovdqu xmm4, xmmword ptr [rbx+{fp}+224]",
    "    vinsertf128 ymm4, ymm4, xmmword ptr [rbx+{fp}+640], 1",
    "    vmovdqu xmm5, xmmword ptr [rbx+{fp}+240]",
    "    vinsertf128 ymm5, ymm5, xmmword ptr [rbx+{fp}+656], 1",
    "    vmovdqu xmm6, xmmword ptr [rbx+{fp}+256]",
    "    vinsertf128 ymm6, ymm6, xmmword ptr [rbx+{fp}+672], 1",
    "    vmovdqu xmm7, xmmword ptr [rbx+{fp}+272]",
    "    vinsertf128 ymm7, ymm7, xmmword ptr [rbx+{fp}+688], 1",
    "    vmovdqu xmm8, xmmword ptr [rbx+{fp}+288]",
    "    vinsertf128 ymm8, ymm8, xmmword ptr [rbx+{fp}+704], 1",
    "    vmovdqu xmm9, xmmword ptr [rbx+{fp}+304]",
    "    vinsertf128 ymm9, ymm9, xmmword ptr [rbx+{fp}+720], 1",
    "    vmovdqu xmm10, xmmword ptr [rbx+{fp}+320]",
    "    vinsertf128 ymm10, ymm10, xmmword ptr [rbx+{fp}+736], 1",
    "    vmovdqu xmm11, xmmword ptr [rbx+{fp}+336]",
    "    vinsertf128 ymm11, ymm11, xmmword ptr [rbx+{fp}+752], 1",
    "    vmovdqu xmm12, xmmword ptr [rbx+{fp}+352]",
    "    vinsertf128 ymm12, ymm12, xmmword ptr [rbx+{fp}+768], 1",
    "    vmovdqu xmm13, xmmword ptr [rbx+{fp}+368]",
    "    vinsertf128 ymm13, ymm13, xmmword ptr [rbx+{fp}+784], 1",
    "    vmovdqu xmm14, xmmword ptr [rbx+{fp}+384]",
    "    vinsertf128 ymm14, ymm14, xmmword ptr [rbx+{fp}+800], 1",
    "    vmovdqu xmm15, xmmword ptr [rbx+{fp}+400]",
    "    vinsertf128 ymm15, ymm15, xmmword ptr [rbx+{fp}+816], 1",
    "45: stmxcsr dword ptr [rbx+{mxn}]",
    "    mov eax, dword ptr [rbx+{mxn}]",
    "    cmp eax, dword ptr [rbx+{fp}+24]",
    "    je 43f",
    "    ldmxcsr dword ptr [rbx+{fp}+24]",
    "    jmp 43f",
    "42: mov eax, dword ptr [rbx+{xm}]",
    "    mov edx, dword ptr [rbx+{xm}+4]",
    "    xrstor64 [rbx+{fp}]",
    "43: cmp byte ptr [rbx+1], 0",
    "    je 23f",
    "    mov rax, [rbx+16]",
    "    wrfsbase rax",
    "    jmp 24f",
    "23: mov eax, 158",
    "    mov edi, 0x1002",
    "    mov rsi, [rbx+16]",
    "    syscall",
    "24: push qword ptr [rbx+{r}+136]",
    "    popfq",
    // The way out. A host signal inside the window finds the selector at BLOCK and is taken as
    // one that interrupted the guest, with the registers saved in the block (signals.rs); one
    // noted before the window is seen by the check below.
    ".globl rumplx_fast_window_start",
    "rumplx_fast_window_start:",
    "    mov byte ptr gs:[0], 1",
    "    mov rcx, qword ptr gs:[{hp}]",
    "    jrcxz 25f",
    "    jmp 26f",
    "25: mov rsp, qword ptr gs:[{r}+120]",
    "    mov r8, qword ptr gs:[{r}+0]",
    "    mov r9, qword ptr gs:[{r}+8]",
    "    mov r10, qword ptr gs:[{r}+16]",
    "    mov r12, qword ptr gs:[{r}+32]",
    "    mov r13, qword ptr gs:[{r}+40]",
    "    mov r14, qword ptr gs:[{r}+48]",
    "    mov r15, qword ptr gs:[{r}+56]",
    "    mov rdi, qword ptr gs:[{r}+64]",
    "    mov rsi, qword ptr gs:[{r}+72]",
    "    mov rbp, qword ptr gs:[{r}+80]",
    "    mov rbx, qword ptr gs:[{r}+88]",
    "    mov rdx, qword ptr gs:[{r}+96]",
    "    mov rax, qword ptr gs:[{r}+104]",
    "    mov r11, qword ptr gs:[{r}+24]",
    "    mov rcx, qword ptr gs:[{r}+112]",
    "    jmp qword ptr gs:[{r}+128]",
    "26: mov byte ptr gs:[0], 0",
    ".globl rumplx_fast_window_end",
    "rumplx_fast_window_end:",
    "    mov rbx, qword ptr gs:[{slf}]",
    "    mov esi, 1",
    "    jmp 20b",
    // The slow way out (the guest's flags ask for single-stepping): rt_sigreturn from the frame
    // the dispatcher built at rax, with every host signal blocked until it restores the guest's
    // mask, as the trapped path returns.
    "30: mov r12, rax",
    "    cmp byte ptr [rbx+1], 0",
    "    je 31f",
    "    mov rax, [rbx+16]",
    "    wrfsbase rax",
    "    jmp 32f",
    "31: mov eax, 158",
    "    mov edi, 0x1002",
    "    mov rsi, [rbx+16]",
    "    syscall",
    "32: mov byte ptr gs:[0], 1",
    "    lea rsp, [r12+8]",
    "    mov eax, 15",
    "    jmp rumplx_sud_allowed_start",
    r = const std::mem::offset_of!(ThreadBlock, fast_regs),
    top = const std::mem::offset_of!(ThreadBlock, stack_top),
    slf = const std::mem::offset_of!(ThreadBlock, self_ptr),
    xm = const std::mem::offset_of!(ThreadBlock, xmask),
    fp = const std::mem::offset_of!(ThreadBlock, fp),
    hp = const std::mem::offset_of!(ThreadBlock, host_pending),
    lazy = const std::mem::offset_of!(ThreadBlock, fp_lazy),
    part = const std::mem::offset_of!(ThreadBlock, fp_partial),
    mxn = const std::mem::offset_of!(ThreadBlock, mxcsr_now),
    uz = const std::mem::offset_of!(ThreadBlock, uppers_zero),
    dispatch = sym super::signals::fast_dispatch,
);

#[allow(improper_ctypes)] // the assembly reads only the first 24 bytes of ThreadBlock
extern "C" {
    fn rumplx_enter_guest_regs(regs: *const abi_linux::sys::sigframe::Sigcontext, block: *mut ThreadBlock) -> !;
    fn rumplx_signal_entry();
    fn rumplx_sigreturn_restorer();
    static rumplx_sud_allowed_start: u8;
    static rumplx_sud_allowed_end: u8;
    fn rumplx_enter_guest(entry: u64, sp: u64, block: *mut ThreadBlock) -> !;
    fn rumplx_fast_entry();
    static rumplx_fast_window_start: u8;
    static rumplx_fast_window_end: u8;
}

/// Where rewritten sites' stubs jump.
pub fn fast_entry() -> u64 {
    rumplx_fast_entry as *const () as u64
}

/// Whether `rip` lies in the fast path's way out, where the selector says guest but the registers
/// are still being restored from the block.
pub fn in_fast_window(rip: u64) -> bool {
    // SAFETY: taking the addresses of labels, not reading them.
    let (start, end) = unsafe { (&rumplx_fast_window_start as *const u8 as u64, &rumplx_fast_window_end as *const u8 as u64) };
    (start..end).contains(&rip)
}

/// The code range from which syscalls always reach the host kernel: only the rt_sigreturn stubs.
pub fn allowed_range() -> (u64, u64) {
    // SAFETY: taking the addresses of labels, not reading them.
    unsafe {
        let start = &rumplx_sud_allowed_start as *const u8 as u64;
        let end = &rumplx_sud_allowed_end as *const u8 as u64;
        (start, end - start)
    }
}

/// The signal entry point and its restorer, for raw rt_sigaction.
pub fn entry_points() -> (u64, u64) {
    (rumplx_signal_entry as *const () as u64, rumplx_sigreturn_restorer as *const () as u64)
}

/// Whether this CPU and kernel let user mode use wrfsbase (AT_HWCAP2 bit 1, HWCAP2_FSGSBASE).
pub fn have_fsgsbase() -> bool {
    // SAFETY: getauxval has no preconditions.
    unsafe { libc::getauxval(libc::AT_HWCAP2) & 2 != 0 }
}

/// Reads this thread's FS base (rumplx's TLS pointer).
pub fn current_fs_base() -> u64 {
    let mut fs: u64 = 0;
    // SAFETY: ARCH_GET_FS writes one u64.
    unsafe { libc::syscall(libc::SYS_arch_prctl, 0x1003, &mut fs as *mut u64) };
    fs
}

/// Where the signal stack starts in the block's mapping: past the block.
const ALT_STACK_OFFSET: u64 = (std::mem::size_of::<ThreadBlock>() as u64 + 4095) & !4095;

/// Points this thread's GS base at `value`.
fn set_gs_base(value: u64) {
    if have_fsgsbase() {
        // SAFETY: wrgsbase is enabled (HWCAP2_FSGSBASE); GS is not used by rumplx or the host libc.
        unsafe { std::arch::asm!("wrgsbase {}", in(reg) value, options(nostack, preserves_flags)) };
    } else {
        // SAFETY: ARCH_SET_GS with a user address.
        unsafe { libc::syscall(libc::SYS_arch_prctl, 0x1001, value) };
    }
}

/// Allocates a signal stack with its thread block, and makes it this thread's sigaltstack.
pub fn new_thread_block(thread: abi_linux::dispatch::Thread, guest_fs: u64) -> std::io::Result<*mut ThreadBlock> {
    // Over-allocate so an ALT_SIZE-aligned ALT_SIZE window fits, then trim the rest.
    let len = 2 * ALT_SIZE;
    // SAFETY: fresh anonymous mapping.
    let p = unsafe {
        libc::mmap(std::ptr::null_mut(), len as usize, libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE, -1, 0)
    };
    if p == libc::MAP_FAILED {
        return Err(std::io::Error::last_os_error());
    }
    let start = p as u64;
    let base = (start + ALT_SIZE - 1) & !(ALT_SIZE - 1);
    // SAFETY: trimming the unused head and tail of our own mapping.
    unsafe {
        if base > start {
            libc::munmap(start as *mut _, (base - start) as usize);
        }
        let tail = start + len - (base + ALT_SIZE);
        if tail > 0 {
            libc::munmap((base + ALT_SIZE) as *mut _, tail as usize);
        }
    }
    let block = base as *mut ThreadBlock;
    // SAFETY: `base` is the start of a fresh, writable, suitably aligned mapping.
    unsafe {
        block.write(ThreadBlock {
            selector: SELECTOR_ALLOW,
            fsgsbase: have_fsgsbase() as u8,
            _pad: [0; 6],
            host_fs: current_fs_base(),
            guest_fs,
            thread,
            host_pending: std::sync::atomic::AtomicU64::new(0),
            host_info: std::array::from_fn(|_| std::cell::UnsafeCell::new([0; 128])),
            fast_regs: Sigcontext::default(),
            stack_top: base + ALT_SIZE,
            self_ptr: base,
            xmask: 0,
            fp_lazy: 0,
            fp_partial: 0,
            uppers_zero: 0,
            _pad2: 0,
            mxcsr_now: 0,
            fp: FpArea([0; FP_AREA_SIZE]),
        });
        super::fastpath::init_block(&mut *block);
        let ss = libc::stack_t {
            ss_sp: (base + ALT_STACK_OFFSET) as *mut _,
            ss_flags: 0,
            ss_size: (ALT_SIZE - ALT_STACK_OFFSET) as usize,
        };
        if libc::sigaltstack(&ss, std::ptr::null_mut()) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        // The fast path finds the block through GS: nothing in rumplx (Rust, the host's libc) nor
        // in a Linux static program uses GS (arch_prctl(ARCH_SET_GS) is refused to the guest).
        set_gs_base(base);
    }
    Ok(block)
}

const PR_SET_SYSCALL_USER_DISPATCH: i32 = 59;
const PR_SYS_DISPATCH_ON: u64 = 1;

/// Turns Syscall User Dispatch on for this thread, with the selector in `block`.
pub fn enable(block: *mut ThreadBlock) -> std::io::Result<()> {
    let (start, len) = allowed_range();
    // SAFETY: the selector byte lives as long as the thread (the block is never freed while it runs).
    let r = unsafe {
        libc::prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON, start, len, block as u64)
    };
    if r != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// Starts a new guest thread on this (new) host thread at the registers given.
///
/// # Safety
/// `regs` must describe a guest thread ready to run; `block` must be this thread's block with SUD
/// enabled.
pub unsafe fn enter_guest_regs(regs: &abi_linux::sys::sigframe::Sigcontext, block: *mut ThreadBlock) -> ! {
    // SAFETY: forwarded from the caller.
    unsafe { rumplx_enter_guest_regs(regs, block) }
}

/// Starts running guest code on this thread. Never returns: the guest leaves through exit_group.
///
/// # Safety
/// `entry` and `sp` must describe a guest ready to run; `block` must be this thread's block with
/// SUD enabled.
pub unsafe fn enter_guest(entry: u64, sp: u64, block: *mut ThreadBlock) -> ! {
    // SAFETY: forwarded from the caller.
    unsafe { rumplx_enter_guest(entry, sp, block) }
}
