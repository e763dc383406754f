//! The bridge's extension fcntl commands (`rumpkernel_bridge::ext`) on the embedded backend:
//! OFD record locks and allocation that keeps the size, on in-memory and host files.

use abi_netbsd::consts::{at_flags as at, fcntl_cmd as fc, open_flags as of, seek_whence as sw};
use abi_netbsd::errno as ne;
use abi_netbsd::nr::*;
use abi_netbsd::structs::{Flock, Stat};
use abi_netbsd::Errno;
use rumpkernel_bridge::embedded::EmbeddedKernel;
use rumpkernel_bridge::{ext, HostKind, RumpKernel};
use std::ffi::CString;

fn open(k: &dyn RumpKernel, p: &str) -> i32 {
    let c = CString::new(p).unwrap();
    let flags = of::O_RDWR | of::O_CREAT;
    k.syscall(SYS_openat, [at::AT_FDCWD as u64, c.as_ptr() as u64, flags as u64, 0o644, 0, 0]).unwrap()[0] as i32
}

fn fcntl<T>(k: &dyn RumpKernel, fd: i32, cmd: u32, arg: &mut T) -> Result<(), Errno> {
    k.syscall(SYS_fcntl, [fd as u64, cmd as u64, arg as *mut T as u64, 0, 0, 0]).map(|_| ())
}

fn whole(ty: u32) -> Flock {
    Flock { l_start: 0, l_len: 0, l_pid: 0, l_type: ty as i16, l_whence: sw::SEEK_SET as i16 }
}

fn size(k: &dyn RumpKernel, fd: i32) -> i64 {
    let mut st = Stat::default();
    k.syscall(SYS___fstat50, [fd as u64, &mut st as *mut Stat as u64, 0, 0, 0, 0]).unwrap();
    st.st_size
}

fn ofd_and_keep_size(k: &dyn RumpKernel, path: &str) {
    let (a, b) = (open(k, path), open(k, path));
    // OFD locks conflict between two descriptions of one process.
    fcntl(k, a, ext::F_OFD_SETLK, &mut whole(fc::F_WRLCK)).unwrap();
    assert_eq!(fcntl(k, b, ext::F_OFD_SETLK, &mut whole(fc::F_WRLCK)), Err(ne::EAGAIN));
    let mut q = Flock { l_start: 2, l_len: 1, ..whole(fc::F_RDLCK) };
    fcntl(k, b, ext::F_OFD_GETLK, &mut q).unwrap();
    assert_eq!((q.l_type as u32, q.l_pid), (fc::F_WRLCK, -1));
    // A process lock of this same process meets it too.
    assert_eq!(fcntl(k, b, fc::F_SETLK, &mut whole(fc::F_RDLCK)), Err(ne::EAGAIN));
    // Closing the description drops it.
    k.syscall(SYS_close, [a as u64, 0, 0, 0, 0, 0]).unwrap();
    fcntl(k, b, ext::F_OFD_SETLK, &mut whole(fc::F_WRLCK)).unwrap();
    fcntl(k, b, ext::F_OFD_SETLK, &mut whole(fc::F_UNLCK)).unwrap();
    // Allocation past the end keeps the size.
    let mut r = [4096i64, 65536];
    fcntl(k, b, ext::F_ALLOCATE_KEEPSIZE, &mut r).unwrap();
    assert_eq!(size(k, b), 0);
    let mut bad = [-1i64, 10];
    assert_eq!(fcntl(k, b, ext::F_ALLOCATE_KEEPSIZE, &mut bad), Err(ne::EINVAL));
    k.syscall(SYS_close, [b as u64, 0, 0, 0, 0, 0]).unwrap();
}

#[test]
fn memory_files() {
    let k = EmbeddedKernel::new();
    k.lwproc_rfork(false).unwrap();
    k.mount_tmpfs("/tmp").unwrap();
    ofd_and_keep_size(&k, "/tmp/f");
}

#[test]
fn host_files() {
    let dir = std::env::temp_dir().join(format!("rumplx-ext-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let k = EmbeddedKernel::new();
    k.lwproc_rfork(false).unwrap();
    k.register_host("/h", dir.to_str().unwrap(), HostKind::Dir, false).unwrap();
    ofd_and_keep_size(&k, "/h/f");
    // The host really reserved the blocks without growing the file.
    let md = std::fs::metadata(dir.join("f")).unwrap();
    assert_eq!(md.len(), 0);
    let _ = std::fs::remove_dir_all(&dir);
}
