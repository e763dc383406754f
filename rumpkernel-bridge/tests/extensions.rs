//! The bridge's extensions (`rumpkernel_bridge::ext`, `ext_events`) on the embedded backend:
//! OFD record locks and allocation that keeps the size, on in-memory and host files; zombies.

use abi_netbsd::consts::{at_flags as at, fcntl_cmd as fc, open_flags as of, seek_whence as sw};
use abi_netbsd::errno as ne;
use abi_netbsd::nr::*;
use abi_netbsd::structs::{Flock, Stat};
use abi_netbsd::Errno;
use rumpkernel_bridge::embedded::EmbeddedKernel;
use rumpkernel_bridge::{ext, ext_events, HostKind, RumpKernel};
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

/// The process extension calls (`rumpkernel_bridge::ext_proc`): a published record, inherited
/// by an rforked child until it publishes its own; ids, descriptors and cwd of another process;
/// ESRCH once it is gone.
#[test]
fn other_processes() {
    use rumpkernel_bridge::ext_proc::*;
    let k = EmbeddedKernel::new();
    let parent = k.lwproc_rfork(false).unwrap();
    let parent_lwp = k.lwproc_curlwp().unwrap();
    let (exe, args) = (b"/bin/prog".to_vec(), b"prog\0-x\0".to_vec());
    let mut comm = [0u8; 16];
    comm[..4].copy_from_slice(b"prog");
    let rec = ProcPublish { comm, exe: exe.as_ptr() as u64, exe_len: exe.len() as u64, args: args.as_ptr() as u64, args_len: args.len() as u64 };
    k.syscall(SYS_EXT_proc_publish, [&rec as *const _ as u64, 0, 0, 0, 0, 0]).unwrap();
    let mut fds = [0i32; 2];
    k.syscall(SYS_pipe2, [fds.as_mut_ptr() as u64, 0, 0, 0, 0, 0]).unwrap();

    let child = k.lwproc_rfork(false).unwrap();
    let child_lwp = k.lwproc_curlwp().unwrap();
    k.syscall(SYS_close, [fds[1] as u64, 0, 0, 0, 0, 0]).unwrap();
    let cwd = CString::new("/dev").unwrap();
    k.syscall(SYS_chdir, [cwd.as_ptr() as u64, 0, 0, 0, 0, 0]).unwrap();
    k.lwproc_switch(parent_lwp).unwrap();

    let info = |pid: i32| {
        let mut i = ProcInfo::default();
        k.syscall(SYS_EXT_proc_info, [pid as u64, &mut i as *mut _ as u64, 0, 0, 0, 0]).map(|_| i)
    };
    let i = info(child).unwrap();
    assert_eq!((i.pid, i.ppid, i.nlwp), (child, parent, 1));
    assert_eq!(&i.comm[..5], b"prog\0", "inherited from the parent");
    let text = |pid: i32, what: u32| {
        let mut b = vec![0u8; 4];
        let n = k.syscall(SYS_EXT_proc_text, [pid as u64, what as u64, b.as_mut_ptr() as u64, b.len() as u64, 0, 0]).unwrap()[0] as usize;
        b.resize(n, 0);
        k.syscall(SYS_EXT_proc_text, [pid as u64, what as u64, b.as_mut_ptr() as u64, b.len() as u64, 0, 0]).unwrap();
        b
    };
    assert_eq!(text(child, PROC_TEXT_ARGS), args);
    assert_eq!(text(child, PROC_TEXT_EXE), exe);
    assert_eq!(text(child, PROC_TEXT_CWD), b"/dev");
    let mut list = [0i32; 8];
    let n = k.syscall(SYS_EXT_proc_fds, [child as u64, list.as_mut_ptr() as u64, 8, 0, 0, 0]).unwrap()[0] as usize;
    assert!(list[..n].contains(&fds[0]) && !list[..n].contains(&fds[1]), "the child closed the write end: {:?}", &list[..n]);
    let mut st = Stat::default();
    k.syscall(SYS_EXT_proc_fdstat, [child as u64, fds[0] as u64, &mut st as *mut _ as u64, 0, 0, 0]).unwrap();
    assert_eq!(st.st_mode & abi_netbsd::consts::stat_mode::S_IFMT, abi_netbsd::consts::stat_mode::S_IFIFO);
    assert_eq!(k.syscall(SYS_EXT_proc_fdstat, [child as u64, fds[1] as u64, &mut st as *mut _ as u64, 0, 0, 0]).err(), Some(ne::EBADF));
    let n = k.syscall(SYS_EXT_proc_list, [list.as_mut_ptr() as u64, 8, 0, 0, 0, 0]).unwrap()[0] as usize;
    assert_eq!(&list[..n], &[parent, child]);

    // The child's own record replaces the inherited one.
    k.lwproc_switch(child_lwp).unwrap();
    let rec = ProcPublish { comm: *b"kid\0\0\0\0\0\0\0\0\0\0\0\0\0", ..rec };
    k.syscall(SYS_EXT_proc_publish, [&rec as *const _ as u64, 0, 0, 0, 0, 0]).unwrap();
    k.lwproc_releaselwp();
    k.lwproc_switch(parent_lwp).unwrap();
    // A zombie until reaped: its ids stay, its program and descriptors are gone.
    let z = info(child).unwrap();
    assert_eq!((z.pid, z.ppid, z.nlwp), (child, parent, 1));
    assert_eq!(k.syscall(SYS_EXT_proc_fds, [child as u64, list.as_mut_ptr() as u64, 8, 0, 0, 0]).unwrap()[0], 0);
    assert_eq!(k.syscall(SYS_EXT_proc_text, [child as u64, PROC_TEXT_EXE as u64, list.as_mut_ptr() as u64, 4, 0, 0]).err(), Some(ne::ENOENT));
    assert_eq!(text(child, PROC_TEXT_ARGS), b"");
    k.syscall(rumpkernel_bridge::ext_events::SYS_EXT_reap, [child as u64, 0, 0, 0, 0, 0]).unwrap();
    assert_eq!(info(child).err(), Some(ne::ESRCH), "gone once reaped");
    assert_eq!(&info(parent).unwrap().comm[..5], b"prog\0");
    assert_eq!(info(0).err(), Some(ne::ESRCH));
}

/// A process's controlling terminal in its record: a new session's leader takes a
/// pseudo-terminal's slave by opening it; a session without a terminal has none (tty 0, tpgid
/// -1). `PROC_INFO_NO_HOST` leaves out the host's accounting, and other flags are refused.
#[test]
fn controlling_terminal_of_a_process() {
    use rumpkernel_bridge::ext_proc::*;
    let k = EmbeddedKernel::new();
    k.lwproc_rfork(false).unwrap();
    let me = k.lwproc_curlwp().unwrap();
    let (leader, leader_lwp) = child(&k);
    k.lwproc_switch(leader_lwp).unwrap();
    k.syscall(SYS_setsid, [0; 6]).unwrap();
    let open = |path: &str, flags: u32| {
        let c = CString::new(path).unwrap();
        k.syscall(SYS_openat, [at::AT_FDCWD as u64, c.as_ptr() as u64, flags as u64, 0, 0, 0]).map(|r| r[0] as i32)
    };
    let Ok(master) = open("/dev/ptmx", of::O_RDWR | of::O_NOCTTY) else {
        eprintln!("no host pseudo-terminals here: skipped");
        return;
    };
    // struct ptmget: cfd, sfd, cn[1024], sn[1024].
    let mut names = vec![0u8; 8 + 2048];
    k.syscall(SYS_ioctl, [master as u64, abi_netbsd::consts::ioctl::TIOCPTSNAME as u64, names.as_mut_ptr() as u64, 0, 0, 0]).unwrap();
    let sn = &names[8 + 1024..];
    let slave_name = std::str::from_utf8(&sn[..sn.iter().position(|&b| b == 0).unwrap()]).unwrap().to_string();
    let slave = open(&slave_name, of::O_RDWR).unwrap();
    let mut st = Stat::default();
    k.syscall(SYS___fstat50, [slave as u64, &mut st as *mut Stat as u64, 0, 0, 0, 0]).unwrap();
    let (other, other_lwp) = child(&k);
    k.lwproc_switch(other_lwp).unwrap();
    k.syscall(SYS_setsid, [0; 6]).unwrap();
    k.lwproc_switch(me).unwrap();

    let info = |pid: i32, flags: u64| {
        let mut i = ProcInfo::default();
        k.syscall(SYS_EXT_proc_info, [pid as u64, &mut i as *mut _ as u64, flags, 0, 0, 0]).map(|_| i)
    };
    let i = info(leader, 0).unwrap();
    assert_eq!((i.tty, i.tpgid), (st.st_rdev, leader), "the slave, its session's group in front");
    let i = info(other, PROC_INFO_NO_HOST).unwrap();
    assert_eq!((i.tty, i.tpgid, i.state), (0, -1, 0));
    assert_eq!(info(other, 2).err(), Some(ne::EINVAL));
}

fn getpgid(k: &dyn RumpKernel, pid: i32) -> Result<i32, Errno> {
    k.syscall(SYS_getpgid, [pid as u64, 0, 0, 0, 0, 0]).map(|r| r[0] as i32)
}

fn getppid(k: &dyn RumpKernel) -> i32 {
    k.syscall(SYS_getppid, [0; 6]).unwrap()[0] as i32
}

/// A child made by the calling process (which stays bound to its own lwp): (pid, lwp).
fn child(k: &dyn RumpKernel) -> (i32, i32) {
    let me = k.lwproc_curlwp().unwrap();
    let pid = k.lwproc_rfork(false).unwrap();
    let lwp = k.lwproc_curlwp().unwrap();
    k.lwproc_switch(me).unwrap();
    (pid, lwp)
}

/// Ends the process of `lwp` (its last lwp goes), leaving the caller bound to `me`.
fn end(k: &dyn RumpKernel, lwp: i32, me: i32) {
    k.lwproc_switch(lwp).unwrap();
    k.lwproc_releaselwp();
    k.lwproc_switch(me).unwrap();
}

fn reap(k: &dyn RumpKernel, pid: i32) -> Result<(), Errno> {
    k.syscall(ext_events::SYS_EXT_reap, [pid as u64, 0, 0, 0, 0, 0]).map(|_| ())
}

#[test]
fn zombies_until_reaped() {
    let k = EmbeddedKernel::new();
    k.lwproc_rfork(false).unwrap();
    let me = k.lwproc_curlwp().unwrap();
    let (a, a_lwp) = child(&k);
    // A child in a group of its own ends: a zombie that keeps its group until reaped.
    k.syscall(SYS_setpgid, [a as u64, a as u64, 0, 0, 0, 0]).unwrap();
    end(&k, a_lwp, me);
    assert_eq!(getpgid(&k, a), Ok(a));
    // Its group still exists: another child may join it.
    let (b, b_lwp) = child(&k);
    k.syscall(SYS_setpgid, [b as u64, a as u64, 0, 0, 0, 0]).unwrap();
    reap(&k, a).unwrap();
    assert_eq!(getpgid(&k, a), Err(ne::ESRCH));
    assert_eq!(reap(&k, a), Err(ne::ECHILD));

    // Reaped before the kernel saw its end (the host was quicker): gone at once, and its
    // grandchildren go to init.
    k.lwproc_switch(b_lwp).unwrap();
    let (c, c_lwp) = child(&k);
    k.lwproc_switch(me).unwrap();
    reap(&k, b).unwrap();
    assert_eq!(getpgid(&k, b), Err(ne::ESRCH));
    k.lwproc_switch(c_lwp).unwrap();
    assert_eq!(getppid(&k), 1);
    k.lwproc_switch(me).unwrap();
    end(&k, b_lwp, me);
    assert_eq!(getpgid(&k, b), Err(ne::ESRCH));
    // An orphan that ends is reaped by init at once.
    end(&k, c_lwp, me);
    assert_eq!(getpgid(&k, c), Err(ne::ESRCH));

    // Zombie children of a process that ends go with it; with SIGCHLD ignored none is kept.
    let (d, d_lwp) = child(&k);
    k.lwproc_switch(d_lwp).unwrap();
    let (e, e_lwp) = child(&k);
    end(&k, e_lwp, d_lwp);
    assert_eq!(getpgid(&k, e).map(|_| ()), Ok(()));
    k.syscall(ext_events::SYS_EXT_nocldwait, [1, 0, 0, 0, 0, 0]).unwrap();
    let (f, f_lwp) = child(&k);
    end(&k, f_lwp, d_lwp);
    assert_eq!(getpgid(&k, f), Err(ne::ESRCH));
    k.lwproc_switch(me).unwrap();
    end(&k, d_lwp, me);
    assert_eq!(getpgid(&k, e), Err(ne::ESRCH));
    assert_eq!(getpgid(&k, d).map(|_| ()), Ok(()));
    reap(&k, d).unwrap();
}
