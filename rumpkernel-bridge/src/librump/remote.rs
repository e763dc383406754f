//! Processes of the run that live in other host processes (forked guests), as NetBSD's rump
//! kernel serves its sysproxy clients: the process's vmspace is a remote one, and the kernel's
//! copyin/copyout for it go through the `rump_sysproxy_ops` hooks.
//!
//! The rump kernel project fills those hooks with librumpuser's `rumpuser_sp_*`, which speak its
//! own wire protocol to librumpclient. rumplx has its own transport (`crate::sysproxy`: a server
//! thread per client lwp, which marks itself with the client's host pid through
//! [`crate::uaccess::serve`]), so the copy hooks here reach the client's memory directly with
//! process_vm_readv/writev. The process itself is made by the sysproxy component's `hyp_rfork`
//! (librumpkern_sysproxy), the kernel's own way to make a process with a remote vmspace.

use std::ffi::{c_int, c_void};

use abi_netbsd::errno as ne;

use crate::uaccess;

/// `struct rump_sysproxy_ops` (sys/rump/include/rump-sys/kern.h): the kernel's hooks for remote
/// processes, in this order.
#[repr(C)]
pub(super) struct SysproxyOps {
    pub copyin: unsafe extern "C" fn(*mut c_void, *const c_void, *mut c_void, usize) -> c_int,
    pub copyinstr: unsafe extern "C" fn(*mut c_void, *const c_void, *mut c_void, *mut usize) -> c_int,
    pub copyout: unsafe extern "C" fn(*mut c_void, *const c_void, *mut c_void, usize) -> c_int,
    pub copyoutstr: unsafe extern "C" fn(*mut c_void, *const c_void, *mut c_void, *mut usize) -> c_int,
    pub anonmmap: unsafe extern "C" fn(*mut c_void, usize, *mut *mut c_void) -> c_int,
    pub raise: unsafe extern "C" fn(*mut c_void, c_int) -> c_int,
    pub fini: unsafe extern "C" fn(*mut c_void),
    pub hyp_getpid: *const c_void,
    pub hyp_syscall: *const c_void,
    /// `hyp_rfork(priv, flags, comm)`: a new process with a remote vmspace whose hooks get `priv`.
    pub hyp_rfork: Option<unsafe extern "C" fn(*mut c_void, c_int, *const std::ffi::c_char) -> c_int>,
    /// `hyp_lwpexit()`: every other lwp of the current process is told to exit, those asleep woken.
    pub hyp_lwpexit: Option<unsafe extern "C" fn()>,
    pub hyp_execnotify: *const c_void,
}

/// Points the kernel's copy hooks at rumplx's transport. The other hooks stay the component's.
///
/// # Safety
/// `ops` is the kernel's `rump_sysproxy_ops`, with no remote process in existence yet.
pub(super) unsafe fn install(ops: *mut SysproxyOps) {
    (*ops).copyin = copyin;
    (*ops).copyinstr = copyinstr;
    (*ops).copyout = copyout;
    (*ops).copyoutstr = copyoutstr;
    (*ops).anonmmap = anonmmap;
    (*ops).raise = raise;
    (*ops).fini = fini;
}

/// A hook's answer: 0 or the NetBSD errno.
fn errno_of(r: Result<(), abi_netbsd::Errno>) -> c_int {
    r.err().map_or(0, |e| e.0)
}

/// The host pid whose memory the current call's user addresses are in.
fn client() -> Result<i32, c_int> {
    uaccess::client().ok_or(ne::EFAULT.0)
}

unsafe extern "C" fn copyin(_: *mut c_void, raddr: *const c_void, laddr: *mut c_void, len: usize) -> c_int {
    let pid = match client() {
        Ok(p) => p,
        Err(e) => return e,
    };
    // SAFETY: the kernel hands a buffer of `len` bytes of its own.
    let out = std::slice::from_raw_parts_mut(laddr.cast::<u8>(), len);
    errno_of(uaccess::read_remote(pid, raddr as u64, out))
}

unsafe extern "C" fn copyout(_: *mut c_void, laddr: *const c_void, raddr: *mut c_void, len: usize) -> c_int {
    let pid = match client() {
        Ok(p) => p,
        Err(e) => return e,
    };
    // SAFETY: the kernel hands `len` bytes of its own.
    let data = std::slice::from_raw_parts(laddr.cast::<u8>(), len);
    errno_of(uaccess::write_remote(pid, raddr as u64, data))
}

/// A string from the client: at most `*len` bytes, stopping after its NUL; `*len` becomes the
/// number copied (the kernel then looks for the NUL itself). Read up to page boundaries, so a
/// string that ends just before an unmapped page is not a fault.
unsafe extern "C" fn copyinstr(_: *mut c_void, raddr: *const c_void, laddr: *mut c_void, len: *mut usize) -> c_int {
    let pid = match client() {
        Ok(p) => p,
        Err(e) => return e,
    };
    let max = *len;
    // SAFETY: the kernel hands a buffer of `*len` bytes of its own.
    let out = std::slice::from_raw_parts_mut(laddr.cast::<u8>(), max);
    let mut got = 0usize;
    while got < max {
        let addr = raddr as u64 + got as u64;
        let n = ((4096 - addr % 4096) as usize).min(max - got);
        if let Err(e) = uaccess::read_remote(pid, addr, &mut out[got..got + n]) {
            return e.0;
        }
        if let Some(i) = out[got..got + n].iter().position(|&b| b == 0) {
            *len = got + i + 1;
            return 0;
        }
        got += n;
    }
    *len = got;
    0
}

/// A kernel string of `*len` bytes (its NUL included, measured by the kernel) to the client.
unsafe extern "C" fn copyoutstr(_: *mut c_void, laddr: *const c_void, raddr: *mut c_void, len: *mut usize) -> c_int {
    let pid = match client() {
        Ok(p) => p,
        Err(e) => return e,
    };
    // SAFETY: the kernel hands `*len` bytes of its own.
    let data = std::slice::from_raw_parts(laddr.cast::<u8>(), *len);
    errno_of(uaccess::write_remote(pid, raddr as u64, data))
}

/// Anonymous memory in the client: the layer maps guest memory itself and never asks the kernel
/// to (NetBSD's mmap is not among the calls it passes on).
unsafe extern "C" fn anonmmap(_: *mut c_void, _: usize, _: *mut *mut c_void) -> c_int {
    ne::EOPNOTSUPP.0
}

/// Signals the kernel posts to a process: the layer delivers signals by Linux's rules itself (the
/// kernel boots with RUMP_SIGMODEL_IGNORE, so this is not reached).
unsafe extern "C" fn raise(_: *mut c_void, _: c_int) -> c_int {
    0
}

/// The remote process is gone: `priv` is not an allocation, nothing to free.
unsafe extern "C" fn fini(_: *mut c_void) {}
