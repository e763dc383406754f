//! Access to the memory of the process a syscall is for: "copyin/copyout".
//!
//! A guest process running in the kernel's own host process hands the kernel pointers it can use
//! directly (rump's local mode). A guest process in another host process (after fork) is a remote
//! client, as in rump's sysproxy: the server thread serving it marks itself with the client's host
//! pid, and the backend's user-memory helpers then copy through `process_vm_readv/writev` into
//! bounce buffers that live until the request is answered, when the writable ones are copied back.

use std::cell::{Cell, RefCell};

use abi_netbsd::{errno as ne, Errno};

/// A bounce buffer standing in for client memory during one request.
struct Bounce {
    remote: u64,
    data: Box<[u8]>,
    /// Copied back to the client when the request ends.
    writable: bool,
}

std::thread_local! {
    static CLIENT: Cell<Option<i32>> = const { Cell::new(None) };
    static ARENA: RefCell<Vec<Bounce>> = const { RefCell::new(Vec::new()) };
}

/// The host pid of the remote client this thread serves, if any.
pub fn client() -> Option<i32> {
    CLIENT.with(|c| c.get())
}

/// Runs `f` on behalf of remote client `pid`, then copies the writable bounce buffers back.
pub fn serve<R>(pid: i32, f: impl FnOnce() -> R) -> R {
    CLIENT.with(|c| c.set(Some(pid)));
    let r = f();
    let bounces = ARENA.with(|a| std::mem::take(&mut *a.borrow_mut()));
    for b in bounces.iter().filter(|b| b.writable) {
        // A client that unmapped its buffer meanwhile loses the data, as with a fault on Linux.
        let _ = write_remote(pid, b.remote, &b.data);
    }
    CLIENT.with(|c| c.set(None));
    r
}

/// Reads `out.len()` bytes of client `pid` at `addr`.
pub fn read_remote(pid: i32, addr: u64, out: &mut [u8]) -> Result<(), Errno> {
    if out.is_empty() {
        return Ok(());
    }
    let local = libc::iovec { iov_base: out.as_mut_ptr() as *mut _, iov_len: out.len() };
    let remote = libc::iovec { iov_base: addr as *mut _, iov_len: out.len() };
    // SAFETY: reads another process's memory into our buffer.
    let n = unsafe { libc::process_vm_readv(pid, &local, 1, &remote, 1, 0) };
    if n != out.len() as isize {
        return Err(ne::EFAULT);
    }
    Ok(())
}

/// Writes `data` into client `pid` at `addr`.
pub fn write_remote(pid: i32, addr: u64, data: &[u8]) -> Result<(), Errno> {
    if data.is_empty() {
        return Ok(());
    }
    let local = libc::iovec { iov_base: data.as_ptr() as *mut _, iov_len: data.len() };
    let remote = libc::iovec { iov_base: addr as *mut _, iov_len: data.len() };
    // SAFETY: writes our buffer into another process's memory.
    let n = unsafe { libc::process_vm_writev(pid, &local, 1, &remote, 1, 0) };
    if n != data.len() as isize {
        return Err(ne::EFAULT);
    }
    Ok(())
}

/// A bounce buffer holding the client's `len` bytes at `addr`, valid until the request ends.
/// `writable` ones go back to the client then.
pub fn bounce(pid: i32, addr: u64, len: usize, writable: bool) -> Result<&'static mut [u8], Errno> {
    let mut data = vec![0u8; len].into_boxed_slice();
    read_remote(pid, addr, &mut data)?;
    let ptr = data.as_mut_ptr();
    ARENA.with(|a| a.borrow_mut().push(Bounce { remote: addr, data, writable }));
    // SAFETY: the box lives in the arena until `serve` ends the request; nothing else aliases it,
    // and its heap block does not move when the arena's vector grows.
    Ok(unsafe { std::slice::from_raw_parts_mut(ptr, len) })
}
