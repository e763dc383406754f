//! The file family end to end: Linux calls through the personality onto the embedded backend
//! (in-memory rumpfs and tmpfs only, so deterministic), with guest memory a test buffer.

extern crate std;

use alloc::{string::String, sync::Arc, vec, vec::Vec};

use rumpkernel_bridge::{embedded::EmbeddedKernel, RumpKernel};
use syscalls::Sysno;

use crate::consts::{at_flags as lat, fcntl_cmd as lf, open_flags as lo};
use crate::dispatch::{Personality, ProcessInfo, Thread};
use crate::errno as e;
use crate::mm::{AddressSpace, Mapping, PROT_READ, PROT_WRITE};
use crate::platform::{MemoryLock, Placement, Platform};
use crate::structs::{Stat, Statx};
use crate::Errno;

/// A platform that no file call should touch. (Whoever changes the `Platform` trait: mirror it here.)
struct NoPlatform;

impl Platform for NoPlatform {
    fn map_anonymous(&self, _: u64, _: u64, _: u32, _: Placement, _: bool) -> Result<u64, Errno> {
        unreachable!()
    }
    fn map_host_file(&self, _: u64, _: u64, _: u32, _: Placement, _: i32, _: u64, _: bool) -> Result<u64, Errno> {
        unreachable!()
    }
    fn unmap(&self, _: u64, _: u64) -> Result<(), Errno> {
        unreachable!()
    }
    fn protect(&self, _: u64, _: u64, _: u32) -> Result<(), Errno> {
        unreachable!()
    }
    fn remap(&self, _: u64, _: u64, _: u64, _: u32, _: u64) -> Result<u64, Errno> {
        unreachable!()
    }
    fn sync(&self, _: u64, _: u64, _: u32) -> Result<(), Errno> {
        unreachable!()
    }
    fn advise(&self, _: u64, _: u64, _: u32) -> Result<(), Errno> {
        unreachable!()
    }
    fn memory_lock(&self, _: MemoryLock) -> Result<(), Errno> {
        unreachable!()
    }
    fn futex(&self, _: u64, _: u32, _: u32, _: u64, _: u64, _: u32) -> Result<u64, Errno> {
        unreachable!()
    }
    fn fs_base(&self) -> u64 {
        0
    }
    fn set_fs_base(&self, _: u64) {}
    fn exit_group(&self, code: i32) -> ! {
        panic!("exit_group({code})")
    }
    fn die_of_signal(&self, signo: u32) -> ! {
        panic!("signal {signo}")
    }
    fn log(&self, _: &str) {}
    fn wait_for_signal(&self, _: Option<&mut (i64, i64)>) -> bool {
        unreachable!()
    }
    fn take_host_signals(&self, _: &mut dyn FnMut(crate::sys::sigframe::Siginfo)) {}
    fn signal_host_thread(&self, _: i32, _: &crate::sys::sigframe::Siginfo) -> Result<(), Errno> {
        unreachable!()
    }
    fn host_tid(&self) -> i32 {
        1
    }
    fn spawn_thread(&self, _: crate::platform::ThreadStart) -> Result<i32, Errno> {
        unreachable!()
    }
    fn exit_thread(&self) -> ! {
        unreachable!()
    }
    fn host_timer(&self, _: u32, _: [u64; 6]) -> Result<u64, Errno> {
        unreachable!()
    }
    fn stop_process(&self, _signo: u32) -> bool {
        unreachable!()
    }
    fn fork(&self, _: rumpkernel_bridge::LwpId) -> Result<crate::platform::ForkSide, Errno> {
        unreachable!()
    }
    fn host_wait4(&self, _: i32, _: &mut i32, _: u32, _: &mut [u8; 144]) -> Result<i32, Errno> {
        unreachable!()
    }
    fn host_waitid(&self, _: u32, _: i32, _: &mut crate::sys::sigframe::Siginfo, _: u32, _: &mut [u8; 144]) -> Result<(), Errno> {
        unreachable!()
    }
    fn wait_children(&self, _: &[i32]) -> Result<(), Errno> {
        unreachable!()
    }
    fn host_pid_of(&self, _: i32) -> Option<i32> {
        None
    }
    fn auto_reap_children(&self, _: bool) {}
    fn run_processes(&self) -> Vec<(i32, i32)> {
        Vec::new()
    }
    fn signal_host_process(&self, _: i32, _: &crate::sys::sigframe::Siginfo) -> Result<(), Errno> {
        unreachable!()
    }
    fn check_image(&self, _: &[u8]) -> Result<(), crate::platform::ImageError> {
        unreachable!()
    }
    fn replace_image(&self, _: &crate::mm::AddressSpace, _: &[u8], _: &str, _: &[u8], _: &[Vec<u8>], _: &[Vec<u8>], _: [u32; 4]) -> Result<crate::platform::NewImage, Errno> {
        unreachable!()
    }
}

const MEM: usize = 1 << 20;

/// One guest process: the personality, a thread, and a bump-allocated guest memory.
struct Guest {
    mem: Vec<u8>,
    used: usize,
    p: Personality,
    t: Thread,
}

impl Guest {
    fn new() -> Guest {
        let k = Arc::new(EmbeddedKernel::new());
        k.lwproc_rfork(false).unwrap();
        k.mount_tmpfs("/.rumplx/tmp").unwrap();
        let mem = vec![0u8; MEM];
        let mut mm = AddressSpace::default();
        let base = mem.as_ptr() as u64;
        mm.insert(base, Mapping { end: base + MEM as u64, prot: PROT_READ | PROT_WRITE, shared: false, name: "[heap]".into(), offset: 0 });
        let info = ProcessInfo { exe_path: "/bin/prog".into(), argv: vec!["prog".into(), "-x".into()], ..Default::default() };
        let p = Personality::new(k, Arc::new(NoPlatform), mm, info);
        Guest { mem, used: 0, p, t: Thread::new(1) }
    }

    fn call(&mut self, nr: Sysno, args: &[u64]) -> i64 {
        let mut a = [0u64; 6];
        a[..args.len()].copy_from_slice(args);
        self.p.dispatch(&mut self.t, nr as u64, a) as i64
    }

    fn ok(&mut self, nr: Sysno, args: &[u64]) -> u64 {
        let r = self.call(nr, args);
        assert!(r >= 0, "{nr:?}{args:x?} = {r}");
        r as u64
    }

    fn alloc(&mut self, len: usize) -> u64 {
        let at = self.used;
        self.used = (self.used + len + 15) & !15;
        assert!(self.used <= MEM);
        self.mem.as_ptr() as u64 + at as u64
    }

    fn bytes(&mut self, b: &[u8]) -> u64 {
        let a = self.alloc(b.len());
        self.slice(a, b.len()).copy_from_slice(b);
        a
    }

    fn str(&mut self, s: &str) -> u64 {
        let mut v = s.as_bytes().to_vec();
        v.push(0);
        self.bytes(&v)
    }

    fn slice(&mut self, addr: u64, len: usize) -> &mut [u8] {
        let off = (addr - self.mem.as_ptr() as u64) as usize;
        &mut self.mem[off..off + len]
    }

    fn get<T: Copy>(&mut self, addr: u64) -> T {
        let b = self.slice(addr, core::mem::size_of::<T>());
        // SAFETY: inside the test buffer; unaligned read of a plain struct.
        unsafe { core::ptr::read_unaligned(b.as_ptr() as *const T) }
    }

    fn open(&mut self, path: &str, flags: u32, mode: u32) -> i64 {
        let p = self.str(path);
        self.call(Sysno::open, &[p, flags as u64, mode as u64])
    }

    fn write_file(&mut self, path: &str, data: &[u8]) {
        let fd = self.open(path, lo::O_CREAT | lo::O_WRONLY | lo::O_TRUNC, 0o644);
        assert!(fd >= 0, "open {path}: {fd}");
        let b = self.bytes(data);
        assert_eq!(self.ok(Sysno::write, &[fd as u64, b, data.len() as u64]), data.len() as u64);
        self.ok(Sysno::close, &[fd as u64]);
    }

    fn read_all(&mut self, fd: u64) -> Vec<u8> {
        let buf = self.alloc(4096);
        let mut out = Vec::new();
        loop {
            let n = self.ok(Sysno::read, &[fd, buf, 4096]) as usize;
            if n == 0 {
                return out;
            }
            out.extend_from_slice(&self.slice(buf, n).to_vec());
        }
    }

    fn stat(&mut self, path: &str) -> Result<Stat, i64> {
        let p = self.str(path);
        let st = self.alloc(144);
        match self.call(Sysno::stat, &[p, st]) {
            0 => Ok(self.get(st)),
            r => Err(r),
        }
    }

    /// getdents64 with a `bufsize` buffer: (name, d_off) of the records of one call.
    fn getdents(&mut self, fd: u64, bufsize: usize) -> Vec<(String, i64)> {
        let buf = self.alloc(bufsize);
        let n = self.ok(Sysno::getdents64, &[fd, buf, bufsize as u64]) as usize;
        let raw = self.slice(buf, n).to_vec();
        let mut out = Vec::new();
        let mut at = 0;
        while at < n {
            let r = &raw[at..];
            let reclen = u16::from_ne_bytes([r[16], r[17]]) as usize;
            let name: Vec<u8> = r[19..reclen].iter().copied().take_while(|&b| b != 0).collect();
            out.push((String::from_utf8(name).unwrap(), i64::from_ne_bytes(r[8..16].try_into().unwrap())));
            at += reclen;
        }
        out
    }
}

fn neg(err: Errno) -> i64 {
    -(err.0 as i64)
}

#[test]
fn create_write_read_stat() {
    let mut g = Guest::new();
    g.write_file("/hello", b"hello, world");
    let fd = g.open("/hello", lo::O_RDONLY | lo::O_LARGEFILE, 0) as u64;
    assert_eq!(g.read_all(fd), b"hello, world");
    let st = g.alloc(144);
    g.ok(Sysno::fstat, &[fd, st]);
    let st: Stat = g.get(st);
    assert_eq!((st.st_size, st.st_mode & 0o170777), (12, 0o100644));
    assert_eq!(g.ok(Sysno::lseek, &[fd, (-5i64) as u64, 2]), 7);
    let buf = g.alloc(8);
    assert_eq!(g.ok(Sysno::pread64, &[fd, buf, 5, 0]), 5);
    assert_eq!(g.slice(buf, 5), b"hello");
    g.ok(Sysno::close, &[fd]);
    assert_eq!(g.stat("/hello").unwrap().st_size, 12);
}

#[test]
fn linux_errno_values_come_back() {
    let mut g = Guest::new();
    assert_eq!(g.open("/nope", lo::O_RDONLY, 0), neg(e::ENOENT));
    let d = g.str("/d");
    g.ok(Sysno::mkdir, &[d, 0o755]);
    assert_eq!(g.call(Sysno::mkdir, &[d, 0o755]), neg(e::EEXIST));
    g.write_file("/d/f", b"");
    assert_eq!(g.call(Sysno::rmdir, &[d]), neg(e::ENOTEMPTY));
    assert_eq!(g.open("/d/f", lo::O_CREAT | lo::O_EXCL | lo::O_WRONLY, 0o600), neg(e::EEXIST));
    // A buffer outside guest memory.
    let fd = g.open("/d/f", lo::O_RDONLY, 0) as u64;
    assert_eq!(g.call(Sysno::read, &[fd, 0x10, 10]), neg(e::EFAULT));
    assert_eq!(g.call(Sysno::fcntl, &[fd, lf::F_SETLEASE as u64, 0]), neg(e::EINVAL));
    assert_eq!(g.call(Sysno::ioctl, &[fd, 0x540f, 0]), neg(e::ENOTTY));
}

#[test]
fn directories_list_in_pieces_and_seek_back_to_cookies() {
    let mut g = Guest::new();
    let d = g.str("/dir");
    g.ok(Sysno::mkdir, &[d, 0o755]);
    let names: Vec<String> = (0..60).map(|i| alloc::format!("file-with-a-longish-name-{i:03}")).collect();
    for n in &names {
        g.write_file(&alloc::format!("/dir/{n}"), b"x");
    }
    let fd = g.open("/dir", lo::O_RDONLY | lo::O_DIRECTORY, 0) as u64;
    // Small buffers: many calls, each a few records.
    let mut all = Vec::new();
    loop {
        let batch = g.getdents(fd, 200);
        if batch.is_empty() {
            break;
        }
        all.extend(batch);
    }
    let mut seen: Vec<&str> = all.iter().map(|(n, _)| n.as_str()).collect();
    seen.sort();
    let mut want: Vec<&str> = names.iter().map(|n| n.as_str()).chain([".", ".."]).collect();
    want.sort();
    assert_eq!(seen, want);
    // telldir/seekdir: every d_off resumes right after its record.
    for k in [0, 1, 7, 30, all.len() - 2] {
        assert_eq!(g.ok(Sysno::lseek, &[fd, all[k].1 as u64, 0]), all[k].1 as u64);
        let next = g.getdents(fd, 200);
        assert_eq!(next[0].0, all[k + 1].0, "after record {k}");
    }
    // rewinddir.
    g.ok(Sysno::lseek, &[fd, 0, 0]);
    assert_eq!(g.getdents(fd, 4096)[0].0, all[0].0);
    // A buffer too small for any record.
    let b = g.alloc(8);
    assert_eq!(g.call(Sysno::getdents64, &[fd, b, 8]), neg(e::EINVAL));
}

#[test]
fn fcntl_flags_and_locks() {
    let mut g = Guest::new();
    g.write_file("/f", b"abc");
    let fd = g.open("/f", lo::O_RDWR | lo::O_APPEND, 0) as u64;
    assert_eq!(g.ok(Sysno::fcntl, &[fd, lf::F_GETFL as u64]) as u32 & !lo::O_LARGEFILE, lo::O_RDWR | lo::O_APPEND);
    g.ok(Sysno::fcntl, &[fd, lf::F_SETFL as u64, (lo::O_NONBLOCK | lo::O_APPEND) as u64]);
    assert_eq!(g.ok(Sysno::fcntl, &[fd, lf::F_GETFL as u64]) as u32, lo::O_RDWR | lo::O_APPEND | lo::O_NONBLOCK | lo::O_LARGEFILE);
    let fd2 = g.ok(Sysno::fcntl, &[fd, lf::F_DUPFD_CLOEXEC as u64, 10]);
    assert!(fd2 >= 10);
    assert_eq!(g.ok(Sysno::fcntl, &[fd2, lf::F_GETFD as u64]), 1);
    let fd3 = g.ok(Sysno::dup3, &[fd, 20, lo::O_CLOEXEC as u64]);
    assert_eq!((fd3, g.ok(Sysno::fcntl, &[20, lf::F_GETFD as u64])), (20, 1));
    assert_eq!(g.call(Sysno::dup3, &[fd, fd, 0]), neg(e::EINVAL));
    // A write lock, then F_GETLK from the same process sees none.
    let fl = g.bytes(&[0u8; 32]);
    g.slice(fl, 2).copy_from_slice(&(lf::F_WRLCK as i16).to_ne_bytes());
    match g.call(Sysno::fcntl, &[fd, lf::F_SETLK as u64, fl]) {
        0 => {
            g.ok(Sysno::fcntl, &[fd, lf::F_GETLK as u64, fl]);
            assert_eq!(g.get::<i16>(fl), lf::F_UNLCK as i16);
        }
        // The embedded backend's in-memory file systems do not offer byte-range locks yet.
        r => assert_eq!(r, neg(e::EOPNOTSUPP)),
    }
}

#[test]
fn pipes() {
    let mut g = Guest::new();
    let fds = g.alloc(8);
    g.ok(Sysno::pipe2, &[fds, (lo::O_CLOEXEC | lo::O_NONBLOCK) as u64]);
    let [r, w]: [i32; 2] = g.get(fds);
    assert_eq!(g.ok(Sysno::fcntl, &[r as u64, lf::F_GETFD as u64]), 1);
    let buf = g.alloc(16);
    assert_eq!(g.call(Sysno::read, &[r as u64, buf, 16]), neg(e::EAGAIN));
    let msg = g.bytes(b"ping");
    g.ok(Sysno::write, &[w as u64, msg, 4]);
    assert_eq!(g.ok(Sysno::read, &[r as u64, buf, 16]), 4);
    assert_eq!(g.call(Sysno::pipe2, &[fds, lo::O_DIRECT as u64]), neg(e::EINVAL));
    g.ok(Sysno::pipe, &[fds]);
}

#[test]
fn at_calls_and_rename_flags() {
    let mut g = Guest::new();
    let d = g.str("/a");
    g.ok(Sysno::mkdir, &[d, 0o755]);
    let dfd = g.open("/a", lo::O_RDONLY | lo::O_DIRECTORY, 0) as u64;
    let x = g.str("x");
    let fd = g.ok(Sysno::openat, &[dfd, x, (lo::O_CREAT | lo::O_WRONLY) as u64, 0o600]);
    g.ok(Sysno::close, &[fd]);
    let y = g.str("y");
    g.write_file("/a/y", b"");
    const RENAME_NOREPLACE: u64 = 1;
    assert_eq!(g.call(Sysno::renameat2, &[dfd, x, dfd, y, RENAME_NOREPLACE]), neg(e::EEXIST));
    assert_eq!(g.call(Sysno::renameat2, &[dfd, x, dfd, y, 2]), neg(e::EINVAL));
    let z = g.str("z");
    g.ok(Sysno::renameat2, &[dfd, x, dfd, z, RENAME_NOREPLACE]);
    // newfstatat with AT_EMPTY_PATH stats the fd itself.
    let empty = g.str("");
    let st = g.alloc(144);
    g.ok(Sysno::newfstatat, &[dfd, empty, st, lat::AT_EMPTY_PATH as u64]);
    assert_eq!(g.get::<Stat>(st).st_mode & 0o170000, 0o040000);
    // unlinkat: a directory needs AT_REMOVEDIR.
    let sub = g.str("sub");
    g.ok(Sysno::mkdirat, &[dfd, sub, 0o755]);
    assert_eq!(g.call(Sysno::unlinkat, &[dfd, sub, 0]), neg(e::EISDIR));
    let abs = g.str("/a/sub");
    assert_eq!(g.call(Sysno::unlink, &[abs]), neg(e::EISDIR));
    g.ok(Sysno::unlinkat, &[dfd, sub, lat::AT_REMOVEDIR as u64]);
    // Symlinks.
    let target = g.str("z");
    let link = g.str("/a/l");
    g.ok(Sysno::symlink, &[target, link]);
    let buf = g.alloc(64);
    assert_eq!(g.ok(Sysno::readlink, &[link, buf, 64]), 1);
    assert_eq!(g.slice(buf, 1), b"z");
    let st = g.alloc(144);
    g.ok(Sysno::lstat, &[link, st]);
    assert_eq!(g.get::<Stat>(st).st_mode & 0o170000, 0o120000);
}

#[test]
fn statx_is_honest_about_its_mask() {
    let mut g = Guest::new();
    g.write_file("/s", b"12345");
    let p = g.str("/s");
    let buf = g.alloc(256);
    g.ok(Sysno::statx, &[(-100i64) as u64, p, 0, 0xfff, buf]);
    let x: Statx = g.get(buf);
    assert_eq!(x.stx_mask & 0x7ff, 0x7ff);
    assert_eq!((x.stx_size, x.stx_mode & 0o777), (5, 0o644));
    assert_eq!(g.call(Sysno::statx, &[(-100i64) as u64, p, 0, 0x8000_0000, buf]), neg(e::EINVAL));
}

#[test]
fn copies() {
    let mut g = Guest::new();
    let data: Vec<u8> = (0..200_000u32).map(|i| (i * 7) as u8).collect();
    g.write_file("/src", &data);
    let src = g.open("/src", lo::O_RDONLY, 0) as u64;
    let dst = g.open("/dst", lo::O_CREAT | lo::O_WRONLY, 0o644) as u64;
    let off = g.bytes(&10i64.to_ne_bytes());
    assert_eq!(g.ok(Sysno::sendfile, &[dst, src, off, 100_000]), 100_000);
    assert_eq!(g.get::<i64>(off), 100_010);
    // The input fd's own offset did not move.
    assert_eq!(g.ok(Sysno::lseek, &[src, 0, 1]), 0);
    assert_eq!(g.ok(Sysno::copy_file_range, &[src, 0, dst, 0, 1_000_000, 0]), 200_000);
    g.ok(Sysno::close, &[dst]);
    let dst = g.open("/dst", lo::O_RDONLY, 0) as u64;
    let back = g.read_all(dst);
    assert_eq!(&back[..100_000], &data[10..100_010]);
    assert_eq!(&back[100_000..], &data[..]);
}

#[test]
fn mknod_makes_files_and_refuses_directories() {
    let mut g = Guest::new();
    let p = g.str("/plain");
    g.ok(Sysno::mknod, &[p, 0o100640, 0]);
    assert_eq!(g.stat("/plain").unwrap().st_mode, 0o100640 & !0o022);
    assert_eq!(g.call(Sysno::mknod, &[p, 0o100640, 0]), neg(e::EEXIST));
    let d = g.str("/dir");
    assert_eq!(g.call(Sysno::mknod, &[d, 0o040755, 0]), neg(e::EPERM));
    let sfs = g.alloc(120);
    let pr = g.str("/proc/self");
    g.ok(Sysno::statfs, &[pr, sfs]);
    assert_eq!(g.get::<crate::structs::Statfs>(sfs).f_type, 0x9fa0);
}

#[test]
fn close_range_and_fchmodat2() {
    let mut g = Guest::new();
    g.write_file("/f", b"");
    let fds: Vec<u64> = (0..4).map(|_| g.open("/f", lo::O_RDONLY, 0) as u64).collect();
    g.ok(Sysno::close_range, &[fds[1], fds[2], 4]);
    assert_eq!(g.ok(Sysno::fcntl, &[fds[1], lf::F_GETFD as u64]), 1);
    assert_eq!(g.ok(Sysno::fcntl, &[fds[0], lf::F_GETFD as u64]), 0);
    g.ok(Sysno::close_range, &[fds[1], u32::MAX as u64, 0]);
    assert_eq!(g.call(Sysno::fcntl, &[fds[3], lf::F_GETFD as u64]), neg(e::EBADF));
    assert_eq!(g.ok(Sysno::fcntl, &[fds[0], lf::F_GETFD as u64]), 0);
    let p = g.str("/f");
    g.ok(Sysno::fchmodat2, &[(-100i64) as u64, p, 0o600, 0]);
    assert_eq!(g.stat("/f").unwrap().st_mode & 0o777, 0o600);
    let empty = g.str("");
    g.ok(Sysno::fchmodat2, &[fds[0], empty, 0o640, lat::AT_EMPTY_PATH as u64]);
    assert_eq!(g.stat("/f").unwrap().st_mode & 0o777, 0o640);
}

#[test]
fn getcwd_counts_the_nul() {
    let mut g = Guest::new();
    let d = g.str("/w");
    g.ok(Sysno::mkdir, &[d, 0o755]);
    g.ok(Sysno::chdir, &[d]);
    let buf = g.alloc(64);
    assert_eq!(g.ok(Sysno::getcwd, &[buf, 64]), 3);
    assert_eq!(g.slice(buf, 3), b"/w\0");
    assert_eq!(g.ok(Sysno::umask, &[0o7777]), 0o022);
    assert_eq!(g.ok(Sysno::umask, &[0o022]), 0o777);
}

#[test]
fn proc_self() {
    let mut g = Guest::new();
    let p = g.str("/proc/self/exe");
    let buf = g.alloc(256);
    assert_eq!(g.ok(Sysno::readlink, &[p, buf, 256]), 9);
    assert_eq!(g.slice(buf, 9), b"/bin/prog");
    let fd = g.open("/proc/self/cmdline", lo::O_RDONLY | lo::O_CLOEXEC, 0) as u64;
    assert_eq!(g.read_all(fd), b"prog\0-x\0");
    assert_eq!(g.ok(Sysno::fcntl, &[fd, lf::F_GETFD as u64]), 1);
    let msg = g.bytes(b"x");
    assert_eq!(g.call(Sysno::write, &[fd, msg, 1]), neg(e::EBADF));
    let fd = g.open("/proc/self/maps", lo::O_RDONLY, 0) as u64;
    let maps = String::from_utf8(g.read_all(fd)).unwrap();
    let line = maps.lines().next().unwrap();
    assert!(line.contains(" rw-p 00000000 00:00 0"), "{line}");
    assert_eq!(line.find("[heap]"), Some(73));
    let fd = g.open("/proc/self/status", lo::O_RDONLY, 0) as u64;
    let status = String::from_utf8(g.read_all(fd)).unwrap();
    assert!(status.starts_with("Name:\tprog\n"), "{status}");
    assert!(status.contains("VmSize:\t    1024 kB\n"), "{status}");
    let fd = g.open("/proc/self/stat", lo::O_RDONLY, 0) as u64;
    let stat = String::from_utf8(g.read_all(fd)).unwrap();
    assert!(stat.contains(" (prog) R "), "{stat}");
    assert_eq!(stat.split_whitespace().count(), 52, "{stat}");
    assert_eq!(stat.split_whitespace().nth(22), Some("1048576"), "vsize: {stat}");
    let fd = g.open("/proc/self/statm", lo::O_RDONLY, 0) as u64;
    let statm = String::from_utf8(g.read_all(fd)).unwrap();
    assert!(statm.starts_with("256 0 0 "), "{statm}");
    assert_eq!(g.open("/proc/self/maps", lo::O_WRONLY, 0), neg(e::EACCES));
    assert_eq!(g.open("/proc/self/nothing", lo::O_RDONLY, 0), neg(e::ENOENT));
    assert_eq!(g.stat("/proc/self/maps").unwrap().st_mode, 0o100444);
    assert_eq!(g.stat("/proc/self").unwrap().st_mode, 0o040555);
    // A trailing slash follows the link.
    let st = g.alloc(144);
    let ps = g.str("/proc/self/");
    g.ok(Sysno::lstat, &[ps, st]);
    assert_eq!(g.get::<Stat>(st).st_mode, 0o040555);
    assert_eq!(g.call(Sysno::readlink, &[ps, buf, 256]), neg(e::EINVAL));
    let pm = g.str("/proc/self/maps/");
    assert_eq!(g.call(Sysno::stat, &[pm, st]), neg(e::ENOTDIR));
    // The generated files leave nothing behind.
    let tmp = g.open("/.rumplx/tmp", lo::O_RDONLY | lo::O_DIRECTORY, 0) as u64;
    assert_eq!(g.getdents(tmp, 4096).len(), 2);
    // Directories list.
    let dir = g.open("/proc/self/fd", lo::O_RDONLY | lo::O_DIRECTORY, 0) as u64;
    let names: Vec<String> = g.getdents(dir, 4096).into_iter().map(|(n, _)| n).collect();
    assert!(names.contains(&alloc::format!("{tmp}")), "{names:?}");
    let dir = g.open("/proc", lo::O_RDONLY | lo::O_DIRECTORY, 0) as u64;
    let names: Vec<String> = g.getdents(dir, 4096).into_iter().map(|(n, _)| n).collect();
    assert!(names.iter().any(|n| n == "self") && names.iter().any(|n| n == "cpuinfo"), "{names:?}");
    let dir = g.open("/proc/self", lo::O_RDONLY | lo::O_DIRECTORY, 0) as u64;
    assert_eq!(g.getdents(dir, 4096).len(), 12);
    // Relative to a listed directory: the real files, not the placeholders.
    let rel = g.str("cmdline");
    let fd = g.ok(Sysno::openat, &[dir, rel, lo::O_RDONLY as u64, 0]);
    assert_eq!(g.read_all(fd), b"prog\0-x\0");
    let rel = g.str("exe");
    assert_eq!(g.ok(Sysno::readlinkat, &[dir, rel, buf, 256]), 9);
    // Older listings are removed after a while; the tmpfs does not fill up.
    for _ in 0..20 {
        let fd = g.open("/proc", lo::O_RDONLY | lo::O_DIRECTORY, 0) as u64;
        g.ok(Sysno::close, &[fd]);
    }
    assert!(g.getdents(tmp, 8192).len() <= 2 + 8);
}
