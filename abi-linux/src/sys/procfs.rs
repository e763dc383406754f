//! /proc: Linux-only, so the personality serves it (as compat_linux's procfs does), for the files
//! programs actually read: /proc/self (= /proc/<pid>) with exe, cwd, root, maps, cmdline, status,
//! stat, statm, comm and fd/N, and /proc/cpuinfo, /proc/meminfo.
//!
//! - /proc/<pid> of another process of the run (a parent, a child, a sibling) is served from the
//!   kernel's record of it (`rumpkernel_bridge::ext_proc`): ids, credentials, threads, descriptors
//!   and cwd the kernel keeps; name, program and argv each process publishes into it ([`publish`])
//!   at start, after execve and on PR_SET_NAME of its main thread; state, times and faults are the
//!   host's for the host process running it. It has cmdline, comm, stat, status, exe, cwd, root and
//!   fd/N (not maps or statm: the address space is only its own layer's). The same formatters
//!   serve both sources ([`Facts`]); what the kernel does not know reads 0 (the size of the
//!   address space, with the fields /proc/self also leaves 0). A backend without the extension
//!   (NetBSD's rump kernel) has no /proc/<pid> but the caller's own: ENOENT.
//!
//! - Absolute paths are recognised, and paths relative to a descriptor of a listed /proc directory
//!   (below); a relative path reaching /proc through the cwd goes to the kernel, which has no /proc
//!   (ENOENT).
//! - Generated text is served as a real file: written into the layer's tmpfs (`/.rumplx/tmp`),
//!   reopened read-only, unlinked, so read/lseek/fstat/mmap behave as on any file. Its content is
//!   a snapshot taken at open, as Linux's is at first read.
//! - cpuinfo and meminfo are the host's, registered by the loader under `/.rumplx/host/`.
//! - Directories (/proc, /proc/self, /proc/self/fd) are listed the same way: a directory of empty
//!   files and symlinks built in the tmpfs and opened. Those cannot be unlinked while the guest
//!   reads them, so the layer removes each one a few listings later.

use alloc::{format, string::String, vec::Vec};
use core::fmt::Write;
use core::sync::atomic::{AtomicU64, Ordering};

use abi_netbsd::{consts as nbc, nr as nb, structs as nbs};
use rumpkernel_bridge::ext_proc as ext;

use super::file::{do_open, nb_fstat, nb_fstatat};
use crate::consts::{access_mode as la, open_flags as lo};
use crate::dispatch::Ctx;
use crate::errno::{EACCES, EINVAL, EISDIR, ELOOP, ENOENT, ENOTDIR};
use crate::{Errno, LxResult};

/// Where the loader mounts the layer's tmpfs.
const TMP_DIR: &str = "/.rumplx/tmp";
/// Host files the loader registers for /proc.
const HOST_CPUINFO: &[u8] = b"/.rumplx/host/cpuinfo\0";
const HOST_MEMINFO: &[u8] = b"/.rumplx/host/meminfo\0";

/// Whether `path` (NUL-terminated) names something under /proc.
pub fn owns(path: &[u8]) -> bool {
    // Every open and stat asks: answer the common case without building the component list.
    if path.first() != Some(&b'/') || !path.windows(4).any(|w| w == b"proc") {
        return false;
    }
    matches!(components(path), Some(c) if c.first() == Some(&&b"proc"[..]))
}

/// The components of an absolute path after removing `.`, empty components and `..` (lexically:
/// /proc has no symlinked directories above what [`lookup`] resolves). None for relative paths.
fn components(path: &[u8]) -> Option<Vec<&[u8]>> {
    let path = &path[..path.iter().position(|&b| b == 0).unwrap_or(path.len())];
    if path.first() != Some(&b'/') {
        return None;
    }
    let mut out: Vec<&[u8]> = Vec::new();
    for c in path.split(|&b| b == b'/') {
        match c {
            b"" | b"." => {}
            b".." => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    Some(out)
}

/// Whose /proc/<pid> directory: the caller's (served from what its layer knows) or another
/// process's of the run (served from the kernel's record of it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    Own,
    Other(i32),
}

/// A generated file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Gen {
    Maps,
    Cmdline,
    Status,
    Comm,
    Stat,
    Statm,
}

/// A /proc symlink.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Link {
    /// /proc/self → "<pid>".
    SelfPid,
    Exe(Who),
    Cwd(Who),
    Root,
    Fd(Who, i32),
}

/// A /proc directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Dir {
    Root,
    Process(Who),
    Fds(Who),
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Node {
    Dir(Dir),
    File(Gen, Who),
    Host(&'static [u8]),
    Link(Link),
    /// A path through a symlink (/proc/self/cwd/x): the real path, NUL-terminated.
    Redirect(Vec<u8>),
}

fn pid(ctx: &mut Ctx) -> Result<i32, Errno> {
    Ok(ctx.nb(nb::SYS_getpid, [0; 6])?[0] as i32)
}

fn parse_int(c: &[u8]) -> Option<i32> {
    if c.is_empty() || c.len() > 9 || !c.iter().all(u8::is_ascii_digit) || (c[0] == b'0' && c.len() > 1) {
        return None;
    }
    core::str::from_utf8(c).ok()?.parse().ok()
}

/// Resolves a /proc path. A trailing slash follows a final symlink and asks for a directory, as in
/// any path lookup.
fn lookup(ctx: &mut Ctx, path: &[u8]) -> Result<Node, Errno> {
    let raw = &path[..path.iter().position(|&b| b == 0).unwrap_or(path.len())];
    let trailing = raw.ends_with(b"/") || raw.ends_with(b"/.");
    let node = lookup_components(ctx, path)?;
    if !trailing {
        return Ok(node);
    }
    match node {
        Node::Dir(_) | Node::Redirect(_) => Ok(node),
        Node::Link(Link::SelfPid) => Ok(Node::Dir(Dir::Process(Who::Own))),
        Node::Link(l) => {
            let mut t = link_target(ctx, l)?;
            t.extend_from_slice(b"/\0");
            Ok(Node::Redirect(t))
        }
        Node::File(..) | Node::Host(_) => Err(ENOTDIR),
    }
}

fn lookup_components(ctx: &mut Ctx, path: &[u8]) -> Result<Node, Errno> {
    let comps = components(path).ok_or(ENOENT)?;
    let rest = &comps[1..];
    let Some((first, rest)) = rest.split_first() else { return Ok(Node::Dir(Dir::Root)) };
    match *first {
        b"cpuinfo" if rest.is_empty() => return Ok(Node::Host(HOST_CPUINFO)),
        b"meminfo" if rest.is_empty() => return Ok(Node::Host(HOST_MEMINFO)),
        b"self" if rest.is_empty() => return Ok(Node::Link(Link::SelfPid)),
        _ => {}
    }
    let who = match parse_int(first) {
        _ if *first == b"self" => Who::Own,
        Some(n) if n == pid(ctx).unwrap_or(-1) => Who::Own,
        Some(n) => {
            // Another process of the run, if the kernel has it.
            info(ctx, n).map_err(|_| ENOENT)?;
            Who::Other(n)
        }
        None => return Err(ENOENT),
    };
    let Some((what, rest)) = rest.split_first() else { return Ok(Node::Dir(Dir::Process(who))) };
    let leaf = |n: Node| if rest.is_empty() { Ok(n) } else { Err(ENOTDIR) };
    match *what {
        // The address space is known to its own layer only.
        b"maps" | b"statm" if who != Who::Own => Err(ENOENT),
        b"maps" => leaf(Node::File(Gen::Maps, who)),
        b"cmdline" => leaf(Node::File(Gen::Cmdline, who)),
        b"status" => leaf(Node::File(Gen::Status, who)),
        b"comm" => leaf(Node::File(Gen::Comm, who)),
        b"stat" => leaf(Node::File(Gen::Stat, who)),
        b"statm" => leaf(Node::File(Gen::Statm, who)),
        b"exe" | b"cwd" | b"root" => {
            let l = match *what {
                b"exe" => Link::Exe(who),
                b"cwd" => Link::Cwd(who),
                _ => Link::Root,
            };
            if rest.is_empty() {
                return Ok(Node::Link(l));
            }
            let mut p = link_target(ctx, l)?;
            for c in rest {
                p.push(b'/');
                p.extend_from_slice(c);
            }
            p.push(0);
            Ok(Node::Redirect(p))
        }
        b"fd" => match rest {
            [] => Ok(Node::Dir(Dir::Fds(who))),
            [n] => {
                let fd = parse_int(n).ok_or(ENOENT)?;
                // A closed descriptor has no entry.
                match who {
                    Who::Own => {
                        ctx.nb(nb::SYS_fcntl, [fd as u64, nbc::fcntl_cmd::F_GETFD as u64, 0, 0, 0, 0]).map_err(|_| ENOENT)?;
                    }
                    Who::Other(_) => {
                        fd_stat(ctx, who, fd)?;
                    }
                }
                Ok(Node::Link(Link::Fd(who, fd)))
            }
            _ => Err(ENOTDIR),
        },
        _ => Err(ENOENT),
    }
}

/// NetBSD's F_GETPATH (newer NetBSD; backends without it answer an error).
const F_GETPATH: u64 = 15;

/// What a /proc symlink points to (no NUL).
fn link_target(ctx: &mut Ctx, l: Link) -> Result<Vec<u8>, Errno> {
    match l {
        Link::SelfPid => Ok(format!("{}", pid(ctx)?).into_bytes()),
        Link::Exe(Who::Own) => Ok(ctx.p.info.lock().exe_path.as_bytes().to_vec()),
        Link::Exe(Who::Other(p)) => text(ctx, p, ext::PROC_TEXT_EXE),
        Link::Root => Ok(b"/".to_vec()),
        Link::Cwd(Who::Own) => {
            let mut buf = alloc::vec![0u8; 1024];
            let n = ctx.nb(nb::SYS___getcwd, [buf.as_mut_ptr() as u64, buf.len() as u64, 0, 0, 0, 0])?[0] as usize;
            let len = buf[..n.min(buf.len())].iter().position(|&b| b == 0).unwrap_or(n);
            buf.truncate(len);
            Ok(buf)
        }
        Link::Cwd(Who::Other(p)) => text(ctx, p, ext::PROC_TEXT_CWD),
        Link::Fd(who, fd) => {
            let st = fd_stat(ctx, who, fd)?;
            // What Linux shows for objects that have no path.
            match st.st_mode & nbc::stat_mode::S_IFMT {
                nbc::stat_mode::S_IFIFO => return Ok(format!("pipe:[{}]", st.st_ino).into_bytes()),
                nbc::stat_mode::S_IFSOCK => return Ok(format!("socket:[{}]", st.st_ino).into_bytes()),
                _ => {}
            }
            let mut buf = alloc::vec![0u8; 1024];
            let path = buf.as_mut_ptr() as u64;
            match who {
                Who::Own => ctx.nb(nb::SYS_fcntl, [fd as u64, F_GETPATH, path, 0, 0, 0]),
                Who::Other(p) => ctx.nb(ext::SYS_EXT_proc_fdpath, [p as u64, fd as u64, path, 0, 0, 0]),
            }
            .map_err(|_| ENOENT)?;
            let len = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
            buf.truncate(len);
            Ok(buf)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Another process, from the kernel's record (`rumpkernel_bridge::ext_proc`)

/// A failure to read another process's record: it is gone (ENOENT), unless the caller may not
/// look (EACCES).
fn absent(e: Errno) -> Errno {
    if e == EACCES {
        EACCES
    } else {
        ENOENT
    }
}

/// What the kernel knows of process `pid`.
fn info(ctx: &mut Ctx, pid: i32) -> Result<ext::ProcInfo, Errno> {
    let mut i = ext::ProcInfo::default();
    ctx.nb(ext::SYS_EXT_proc_info, [pid as u64, &mut i as *mut _ as u64, 0, 0, 0, 0]).map_err(absent)?;
    Ok(i)
}

/// The caller's controlling terminal as /proc/<pid>/stat shows it: (tty_nr, tpgid), from the
/// kernel's record of the caller without the host's accounting (the layer has getrusage). A
/// backend without the extension (NetBSD's rump kernel) knows of no terminal: (0, -1).
fn own_terminal(ctx: &mut Ctx, pid: i32) -> (u32, i64) {
    let mut i = ext::ProcInfo::default();
    match ctx.nb(ext::SYS_EXT_proc_info, [pid as u64, &mut i as *mut _ as u64, ext::PROC_INFO_NO_HOST, 0, 0, 0]) {
        Ok(_) => terminal(&i),
        Err(_) => (0, -1),
    }
}

/// tty_nr (Linux's 32-bit device number, 0 without a terminal) and tpgid of a kernel record.
fn terminal(i: &ext::ProcInfo) -> (u32, i64) {
    if i.tty == 0 {
        return (0, -1);
    }
    let (major, minor) = crate::xlat::stat::netbsd_dev_split(i.tty);
    (crate::xlat::stat::linux_dev32(major, minor), i.tpgid as i64)
}

/// One of process `pid`'s texts (program path, argv, cwd), whatever its length.
fn text(ctx: &mut Ctx, pid: i32, what: u32) -> Result<Vec<u8>, Errno> {
    let mut buf = alloc::vec![0u8; 4096];
    loop {
        let n = ctx.nb(ext::SYS_EXT_proc_text, [pid as u64, what as u64, buf.as_mut_ptr() as u64, buf.len() as u64, 0, 0]).map_err(absent)?[0] as usize;
        if n <= buf.len() {
            buf.truncate(n);
            return Ok(buf);
        }
        buf.resize(n, 0);
    }
}

/// fstat of a descriptor of the caller or of another process.
fn fd_stat(ctx: &mut Ctx, who: Who, fd: i32) -> Result<nbs::Stat, Errno> {
    match who {
        Who::Own => nb_fstat(ctx, fd as u64).map_err(|_| ENOENT),
        Who::Other(p) => {
            let mut st = nbs::Stat::default();
            ctx.nb(ext::SYS_EXT_proc_fdstat, [p as u64, fd as u64, &mut st as *mut _ as u64, 0, 0, 0]).map_err(absent)?;
            Ok(st)
        }
    }
}

/// The open descriptors of the caller or of another process, ascending.
fn fd_list(ctx: &mut Ctx, who: Who) -> Result<Vec<i32>, Errno> {
    match who {
        Who::Own => {
            let max = ctx.nb(nb::SYS_fcntl, [0, nbc::fcntl_cmd::F_MAXFD as u64, 0, 0, 0, 0])?[0] as i64;
            Ok((0..=max.clamp(-1, 65535) as i32)
                .filter(|&fd| ctx.nb(nb::SYS_fcntl, [fd as u64, nbc::fcntl_cmd::F_GETFD as u64, 0, 0, 0, 0]).is_ok())
                .collect())
        }
        Who::Other(p) => ints(ctx, |buf, n| [ext::SYS_EXT_proc_fds as u64, p as u64, buf, n, 0, 0, 0]),
    }
}

/// The pids of every process of the run (none from a backend without the extension).
fn run_pids(ctx: &mut Ctx) -> Vec<i32> {
    ints(ctx, |buf, n| [ext::SYS_EXT_proc_list as u64, buf, n, 0, 0, 0, 0]).unwrap_or_default()
}

/// A list of ints from a call answering how many there are: `call(buf, n)` gives the number and
/// arguments.
fn ints(ctx: &mut Ctx, call: impl Fn(u64, u64) -> [u64; 7]) -> Result<Vec<i32>, Errno> {
    let mut v = alloc::vec![0i32; 256];
    loop {
        let c = call(v.as_mut_ptr() as u64, v.len() as u64);
        let n = ctx.nb(c[0] as u32, [c[1], c[2], c[3], c[4], c[5], c[6]]).map_err(absent)?[0] as usize;
        if n <= v.len() {
            v.truncate(n);
            return Ok(v);
        }
        v.resize(n, 0);
    }
}

/// Tells the kernel this process's name, program and argv (`ext_proc`), so that other processes'
/// /proc/<pid> shows them: at start, after execve, and when the main thread's name changes.
/// `thread_comm` is the main thread's PR_SET_NAME name (all NUL: none). A backend without the
/// extension answers ENOSYS, and other processes then have no /proc/<pid> of this one.
pub fn publish(p: &crate::dispatch::Personality, thread_comm: &[u8; 16]) {
    let info = p.info.lock().clone();
    let name = comm_of(thread_comm, &info.exe_path);
    let mut comm = [0u8; 16];
    let n = name.len().min(15);
    comm[..n].copy_from_slice(&name.as_bytes()[..n]);
    let mut args = cmdline(&info);
    args.truncate(ext::PROC_ARGS_MAX as usize);
    // A path too long for the kernel to keep is left out rather than cut.
    let exe = if info.exe_path.len() < nbc::limits::MAXPATHLEN as usize { info.exe_path.as_bytes() } else { b"" };
    let rec = ext::ProcPublish { comm, exe: exe.as_ptr() as u64, exe_len: exe.len() as u64, args: args.as_ptr() as u64, args_len: args.len() as u64 };
    let _ = p.kernel.syscall(ext::SYS_EXT_proc_publish, [&rec as *const _ as u64, 0, 0, 0, 0, 0]);
}

/// argv as /proc/<pid>/cmdline shows it: each argument NUL-terminated.
fn cmdline(info: &crate::dispatch::ProcessInfo) -> Vec<u8> {
    info.argv.iter().flat_map(|a| a.bytes().chain([0])).collect()
}

fn with_nul(mut v: Vec<u8>) -> Vec<u8> {
    v.push(0);
    v
}

// ---------------------------------------------------------------------------------------------
// The calls

/// open/openat of a /proc path.
pub fn open(ctx: &mut Ctx, path: &[u8], flags: u32) -> LxResult {
    let fdcwd = crate::xlat::at::dirfd(crate::xlat::at::AT_FDCWD as u64);
    let writes = flags & lo::O_ACCMODE != lo::O_RDONLY || flags & (lo::O_CREAT | lo::O_TRUNC) != 0;
    match lookup(ctx, path)? {
        Node::Dir(_) if writes => Err(EISDIR),
        Node::Dir(d) => list(ctx, d, flags, canonical(path)),
        Node::File(..) | Node::Host(_) if writes => Err(EACCES),
        Node::File(..) | Node::Host(_) if flags & lo::O_DIRECTORY != 0 => Err(ENOTDIR),
        Node::File(g, who) => {
            let text = generate(ctx, g, who)?;
            serve(ctx, &text, flags)
        }
        Node::Host(p) => do_open(ctx, fdcwd, p, flags, 0),
        Node::Link(_) if flags & lo::O_NOFOLLOW != 0 => Err(ELOOP),
        Node::Link(Link::SelfPid) if writes => Err(EISDIR),
        Node::Link(Link::SelfPid) => list(ctx, Dir::Process(Who::Own), flags, canonical(path)),
        Node::Link(l) => {
            let t = with_nul(link_target(ctx, l)?);
            if t.first() != Some(&b'/') {
                // pipe:[…] and socket:[…]: reopening those is not offered.
                return Err(ENOENT);
            }
            do_open(ctx, fdcwd, &t, flags, 0)
        }
        Node::Redirect(p) => do_open(ctx, fdcwd, &p, flags, 0),
    }
}

/// stat/lstat of a /proc path, as a NetBSD stat (the caller converts).
pub fn stat(ctx: &mut Ctx, path: &[u8], follow: bool) -> Result<nbs::Stat, Errno> {
    let fdcwd = crate::xlat::at::dirfd(crate::xlat::at::AT_FDCWD as u64);
    use nbc::stat_mode::*;
    let node = lookup(ctx, path)?;
    let (mode, size) = match node {
        Node::Dir(d) => (S_IFDIR | if matches!(d, Dir::Fds(_)) { 0o500 } else { 0o555 }, 0),
        Node::File(..) | Node::Host(_) => (S_IFREG | 0o444, 0),
        Node::Link(Link::SelfPid) if follow => (S_IFDIR | 0o555, 0),
        Node::Link(Link::Fd(who, fd)) if follow => return fd_stat(ctx, who, fd),
        Node::Link(l) if follow => {
            let t = with_nul(link_target(ctx, l)?);
            return nb_fstatat(ctx, fdcwd, &t, 0);
        }
        Node::Link(l) => (S_IFLNK | 0o777, link_target(ctx, l)?.len() as i64),
        Node::Redirect(p) => {
            let f = if follow { 0 } else { nbc::at_flags::AT_SYMLINK_NOFOLLOW };
            return nb_fstatat(ctx, fdcwd, &p, f);
        }
    };
    // A process's entries are its effective ids' (as on Linux).
    let (uid, gid) = match node {
        Node::Dir(Dir::Process(Who::Other(p)) | Dir::Fds(Who::Other(p)))
        | Node::File(_, Who::Other(p))
        | Node::Link(Link::Exe(Who::Other(p)) | Link::Cwd(Who::Other(p)) | Link::Fd(Who::Other(p), _)) => {
            let i = info(ctx, p)?;
            (i.euid, i.egid)
        }
        _ => (ctx.nb(nb::SYS_geteuid, [0; 6])?[0] as u32, ctx.nb(nb::SYS_getegid, [0; 6])?[0] as u32),
    };
    let mut now = nbs::Timespec::default();
    ctx.nb(nb::SYS___clock_gettime50, [nbc::clock_id::CLOCK_REALTIME as u64, &mut now as *mut _ as u64, 0, 0, 0, 0])?;
    Ok(nbs::Stat {
        // Linux's proc is an anonymous device; minor 23 is as good as any.
        st_dev: crate::xlat::stat::netbsd_dev(0, 23),
        st_mode: mode,
        st_ino: inode(path),
        st_nlink: if mode & S_IFMT == S_IFDIR { 2 } else { 1 },
        st_uid: uid,
        st_gid: gid,
        st_atim: now,
        st_mtim: now,
        st_ctim: now,
        st_size: size,
        st_blksize: 1024,
        ..Default::default()
    })
}

/// statfs of a /proc path: what Linux's proc answers (PROC_SUPER_MAGIC, no blocks, mounted
/// nosuid,nodev,noexec,relatime).
pub fn statfs(ctx: &mut Ctx, path: &[u8]) -> Result<crate::structs::Statfs, Errno> {
    lookup(ctx, path)?;
    Ok(crate::structs::Statfs { f_type: 0x9fa0, f_bsize: 4096, f_namelen: 255, f_frsize: 4096, f_flags: 0x102e, ..Default::default() })
}

/// A stable inode number for a /proc path (FNV-1a of the normalised path).
fn inode(path: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for c in components(path).unwrap_or_default() {
        for &b in c.iter().chain(b"/") {
            h = (h ^ b as u64).wrapping_mul(0x100_0000_01b3);
        }
    }
    h | 1
}

/// readlink of a /proc path (the target, no NUL).
pub fn readlink(ctx: &mut Ctx, path: &[u8]) -> Result<Vec<u8>, Errno> {
    match lookup(ctx, path)? {
        Node::Link(l) => link_target(ctx, l),
        Node::Redirect(p) => {
            let fdcwd = crate::xlat::at::dirfd(crate::xlat::at::AT_FDCWD as u64);
            let mut buf = alloc::vec![0u8; 4096];
            let n = ctx.nb(nb::SYS_readlinkat, [fdcwd, p.as_ptr() as u64, buf.as_mut_ptr() as u64, buf.len() as u64, 0, 0])?[0];
            buf.truncate(n as usize);
            Ok(buf)
        }
        _ => Err(EINVAL),
    }
}

/// access/faccessat of a /proc path: files are read-only, directories searchable.
pub fn access(ctx: &mut Ctx, path: &[u8], mode: u32) -> LxResult {
    let st = stat(ctx, path, true)?;
    let is_dir = st.st_mode & nbc::stat_mode::S_IFMT == nbc::stat_mode::S_IFDIR;
    if mode & la::W_OK != 0 || (mode & la::X_OK != 0 && !is_dir && st.st_mode & 0o111 == 0) {
        return Err(EACCES);
    }
    Ok(0)
}

// ---------------------------------------------------------------------------------------------
// Generated files

static SERIAL: AtomicU64 = AtomicU64::new(0);

/// Serves `text` as a read-only file: written to a fresh tmpfs file, reopened with the guest's
/// flags, unlinked.
fn serve(ctx: &mut Ctx, text: &[u8], flags: u32) -> LxResult {
    use nbc::open_flags as no;
    let pid = pid(ctx)?;
    let (name, wfd) = loop {
        let name = format!("{TMP_DIR}/proc-{pid}-{}\0", SERIAL.fetch_add(1, Ordering::Relaxed));
        let f = (no::O_CREAT | no::O_EXCL | no::O_WRONLY | no::O_CLOEXEC) as u64;
        match ctx.nb(nb::SYS_open, [name.as_ptr() as u64, f, 0o400, 0, 0, 0]) {
            Ok(r) => break (name, r[0]),
            Err(e) if e == crate::errno::EEXIST => continue,
            Err(e) => return Err(e),
        }
    };
    let written = write_all(ctx, wfd, text);
    ctx.nb(nb::SYS_close, [wfd, 0, 0, 0, 0, 0]).ok();
    let rfd = written.and_then(|_| {
        let keep = lo::O_CLOEXEC | lo::O_NONBLOCK | lo::O_NOFOLLOW;
        let f = crate::xlat::open::to_netbsd(flags & keep);
        Ok(ctx.nb(nb::SYS_open, [name.as_ptr() as u64, f as u64, 0, 0, 0, 0])?[0])
    });
    ctx.nb(nb::SYS_unlink, [name.as_ptr() as u64, 0, 0, 0, 0, 0]).ok();
    rfd
}

/// What a generated directory holds.
enum Item {
    File,
    Dir,
    Link(Vec<u8>),
}

/// The entries of a /proc directory.
fn entries(ctx: &mut Ctx, d: Dir) -> Result<Vec<(String, Item)>, Errno> {
    let names = |v: &[&str], kind: fn() -> Item| v.iter().map(|n| (String::from(*n), kind())).collect::<Vec<_>>();
    Ok(match d {
        Dir::Root => {
            let mut v = names(&["cpuinfo", "meminfo"], || Item::File);
            let own = pid(ctx)?;
            v.push((format!("{own}"), Item::Dir));
            for p in run_pids(ctx).into_iter().filter(|&p| p != own) {
                v.push((format!("{p}"), Item::Dir));
            }
            v.push(("self".into(), Item::Link(link_target(ctx, Link::SelfPid)?)));
            v
        }
        Dir::Process(who) => {
            let files: &[&str] = match who {
                Who::Own => &["cmdline", "comm", "maps", "stat", "statm", "status"],
                Who::Other(_) => &["cmdline", "comm", "stat", "status"],
            };
            let mut v = names(files, || Item::File);
            v.push(("fd".into(), Item::Dir));
            for (n, l) in [("exe", Link::Exe(who)), ("cwd", Link::Cwd(who)), ("root", Link::Root)] {
                // Listed even when the caller may not read it (another user's process), as on Linux.
                let t = match who {
                    Who::Own => link_target(ctx, l)?,
                    Who::Other(_) => link_target(ctx, l).unwrap_or_else(|_| b"(unknown)".to_vec()),
                };
                v.push((n.into(), Item::Link(t)));
            }
            v
        }
        Dir::Fds(who) => {
            let mut v = Vec::new();
            for fd in fd_list(ctx, who)? {
                // A descriptor whose path the kernel cannot tell still gets its entry.
                let t = link_target(ctx, Link::Fd(who, fd)).unwrap_or_else(|_| b"(unknown)".to_vec());
                v.push((format!("{fd}"), Item::Link(t)));
            }
            v
        }
    })
}

/// A generated directory: where it is, which /proc directory it lists, its identity (to know it
/// again as the dirfd of a relative *at call) and its entries (name, is a directory).
struct Listing {
    tmp: String,
    proc_path: Vec<u8>,
    dev_ino: (u64, u64),
    made: Vec<(String, bool)>,
}
/// Generated directories still on the tmpfs, oldest first.
static LISTINGS: spin::Mutex<Vec<Listing>> = spin::Mutex::new(Vec::new());
/// How many listings stay readable before the layer removes them.
const KEEP_LISTINGS: usize = 8;

/// Opens a generated directory holding `d`'s entries.
fn list(ctx: &mut Ctx, d: Dir, flags: u32, proc_path: Vec<u8>) -> LxResult {
    let items = entries(ctx, d)?;
    let pid = pid(ctx)?;
    let dir = format!("{TMP_DIR}/procdir-{pid}-{}", SERIAL.fetch_add(1, Ordering::Relaxed));
    let z = |s: &str| with_nul(s.as_bytes().to_vec());
    ctx.nb(nb::SYS_mkdir, [z(&dir).as_ptr() as u64, 0o700, 0, 0, 0, 0])?;
    let mut made = Vec::new();
    for (name, item) in &items {
        let p = z(&format!("{dir}/{name}"));
        let r = match item {
            Item::File => {
                let f = (nbc::open_flags::O_CREAT | nbc::open_flags::O_EXCL | nbc::open_flags::O_WRONLY) as u64;
                ctx.nb(nb::SYS_open, [p.as_ptr() as u64, f, 0o444, 0, 0, 0]).map(|r| {
                    ctx.nb(nb::SYS_close, [r[0], 0, 0, 0, 0, 0]).ok();
                })
            }
            Item::Dir => ctx.nb(nb::SYS_mkdir, [p.as_ptr() as u64, 0o555, 0, 0, 0, 0]).map(|_| ()),
            Item::Link(t) => {
                let t = with_nul(t.clone());
                ctx.nb(nb::SYS_symlink, [t.as_ptr() as u64, p.as_ptr() as u64, 0, 0, 0, 0]).map(|_| ())
            }
        };
        if r.is_ok() {
            made.push((name.clone(), matches!(item, Item::Dir)));
        }
    }
    ctx.nb(nb::SYS_chmod, [z(&dir).as_ptr() as u64, 0o500, 0, 0, 0, 0]).ok();
    let keep = lo::O_CLOEXEC | lo::O_NONBLOCK;
    let f = crate::xlat::open::to_netbsd(flags & keep) | nbc::open_flags::O_DIRECTORY;
    let fd = ctx.nb(nb::SYS_open, [z(&dir).as_ptr() as u64, f as u64, 0, 0, 0, 0]);
    let dev_ino = match fd {
        Ok(r) => nb_fstat(ctx, r[0]).map(|st| (st.st_dev, st.st_ino)).unwrap_or_default(),
        Err(_) => (0, 0),
    };
    let old: Vec<_> = {
        let mut l = LISTINGS.lock();
        l.push(Listing { tmp: dir, proc_path, dev_ino, made });
        let n = l.len().saturating_sub(KEEP_LISTINGS);
        l.drain(..n).collect()
    };
    for l in old {
        remove_listing(ctx, &l.tmp, &l.made);
    }
    Ok(fd?[0])
}

/// A path relative to a descriptor of a generated /proc directory, as the absolute /proc path it
/// means (so `openat(open("/proc/self"), "status")` reads the real thing, not the placeholder).
/// None when `dirfd` is not one of those, which is known without a call while no /proc directory
/// has been listed.
pub fn rebase(ctx: &mut Ctx, dirfd: u64, rel: &[u8]) -> Option<Vec<u8>> {
    if rel.first().is_none_or(|&b| b == b'/' || b == 0) || dirfd as i64 == nbc::at_flags::AT_FDCWD || LISTINGS.lock().is_empty() {
        return None;
    }
    let st = nb_fstat(ctx, dirfd).ok()?;
    let l = LISTINGS.lock();
    let found = l.iter().find(|l| l.dev_ino == (st.st_dev, st.st_ino))?;
    let mut p = found.proc_path.clone();
    p.push(b'/');
    p.extend_from_slice(rel);
    Some(p)
}

/// The normalised form of a /proc path ("/proc/self/fd"), without NUL.
fn canonical(path: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for c in components(path).unwrap_or_default() {
        out.push(b'/');
        out.extend_from_slice(c);
    }
    out
}

fn remove_listing(ctx: &mut Ctx, dir: &str, made: &[(String, bool)]) {
    let z = |s: &str| with_nul(s.as_bytes().to_vec());
    ctx.nb(nb::SYS_chmod, [z(dir).as_ptr() as u64, 0o700, 0, 0, 0, 0]).ok();
    for (name, is_dir) in made {
        let p = z(&format!("{dir}/{name}"));
        let nr = if *is_dir { nb::SYS_rmdir } else { nb::SYS_unlink };
        ctx.nb(nr, [p.as_ptr() as u64, 0, 0, 0, 0, 0]).ok();
    }
    ctx.nb(nb::SYS_rmdir, [z(dir).as_ptr() as u64, 0, 0, 0, 0, 0]).ok();
}

fn write_all(ctx: &mut Ctx, fd: u64, mut text: &[u8]) -> Result<(), Errno> {
    while !text.is_empty() {
        let n = ctx.nb(nb::SYS_write, [fd, text.as_ptr() as u64, text.len() as u64, 0, 0, 0])?[0] as usize;
        if n == 0 {
            return Err(crate::errno::EIO);
        }
        text = &text[n..];
    }
    Ok(())
}

fn generate(ctx: &mut Ctx, g: Gen, who: Who) -> Result<Vec<u8>, Errno> {
    Ok(match (g, who) {
        (Gen::Maps, _) => maps(ctx),
        (Gen::Statm, _) => statm(ctx).into_bytes(),
        (Gen::Cmdline, Who::Own) => cmdline(&ctx.p.info.lock()),
        (Gen::Cmdline, Who::Other(p)) => text(ctx, p, ext::PROC_TEXT_ARGS)?,
        (Gen::Comm, Who::Own) => format!("{}\n", comm(ctx)).into_bytes(),
        (Gen::Comm, Who::Other(p)) => format!("{}\n", other_comm(&info(ctx, p)?)).into_bytes(),
        (Gen::Status, _) => format_status(&facts(ctx, who, false)?).into_bytes(),
        (Gen::Stat, _) => format_stat(&facts(ctx, who, true)?).into_bytes(),
    })
}

/// The thread's name: PR_SET_NAME's, else the program's file name cut to 15 bytes, as Linux does.
fn comm(ctx: &Ctx) -> String {
    let exe = ctx.p.info.lock().exe_path.clone();
    comm_of(&ctx.thread.comm, &exe)
}

/// A thread's name from its PR_SET_NAME name (all NUL: none) and the program's path.
fn comm_of(set: &[u8; 16], exe_path: &str) -> String {
    let len = set.iter().position(|&b| b == 0).unwrap_or(set.len());
    if len > 0 {
        return String::from_utf8_lossy(&set[..len]).into_owned();
    }
    let exe = exe_path.as_bytes();
    let base = exe.rsplit(|&b| b == b'/').next().unwrap_or(exe);
    String::from_utf8_lossy(&base[..base.len().min(15)]).into_owned()
}

/// Another process's name, as it published it.
fn other_comm(i: &ext::ProcInfo) -> String {
    let len = i.comm.iter().position(|&b| b == 0).unwrap_or(i.comm.len());
    String::from_utf8_lossy(&i.comm[..len]).into_owned()
}

/// /proc/self/maps, one line per mapping in Linux's format (path column at offset 73). Device and
/// inode are not known to the layer and read 00:00 0.
fn maps(ctx: &Ctx) -> Vec<u8> {
    let mm = ctx.p.mm.lock();
    let mut out = String::new();
    for (start, m) in mm.iter() {
        let flag = |bit: u32, c: char| if m.prot & bit != 0 { c } else { '-' };
        let mut line = format!(
            "{:08x}-{:08x} {}{}{}{} {:08x} 00:00 0",
            start,
            m.end,
            flag(crate::mm::PROT_READ, 'r'),
            flag(crate::mm::PROT_WRITE, 'w'),
            flag(crate::mm::PROT_EXEC, 'x'),
            if m.shared { 's' } else { 'p' },
            m.offset
        );
        if !m.name.is_empty() {
            while line.len() < 72 {
                line.push(' ');
            }
            line.push(' ');
            line.push_str(&m.name);
        }
        out.push_str(&line);
        out.push('\n');
    }
    out.into_bytes()
}

/// What /proc/<pid>/stat and status show of a process, from the caller's layer for its own
/// directory or from the kernel's record for another process's ([`facts`]): one formatter each
/// for both sources.
struct Facts {
    pid: i64,
    comm: String,
    /// Linux's state letter.
    state: u8,
    ppid: i64,
    pgrp: i64,
    session: i64,
    /// Real, effective and saved user ids, then the group ids likewise.
    uids: [u32; 3],
    gids: [u32; 3],
    minflt: i64,
    cminflt: i64,
    majflt: i64,
    cmajflt: i64,
    utime: i64,
    stime: i64,
    cutime: i64,
    cstime: i64,
    nice: i64,
    threads: usize,
    /// The controlling terminal, Linux's 32-bit device number (0: none), and its foreground
    /// group (-1: none).
    tty_nr: u32,
    tpgid: i64,
    /// Bytes of address space (0: not known).
    vsize: u64,
    rsslim: u64,
}

/// NetBSD's RLIM_INFINITY is i64::MAX; Linux's is all ones.
fn linux_rlim(v: u64) -> u64 {
    if v < i64::MAX as u64 {
        v
    } else {
        u64::MAX
    }
}

/// The caller's own facts: ids from the kernel, times and faults from getrusage, sizes from the
/// map, state R (it is running: it is reading this). Another process's: ids, threads and limit
/// from the kernel, state, times, faults and nice from the host's accounting of the host process
/// running it, name as it published it; its address space size is not known (0). The controlling
/// terminal is the kernel's for both, asked of it for the caller only if `terminal` (stat shows
/// it, status does not).
fn facts(ctx: &mut Ctx, who: Who, terminal_wanted: bool) -> Result<Facts, Errno> {
    if let Who::Other(p) = who {
        let i = info(ctx, p)?;
        let (tty_nr, tpgid) = terminal(&i);
        return Ok(Facts {
            pid: i.pid as i64,
            comm: other_comm(&i),
            // A process the host has not reported on yet (just made) is runnable.
            state: if i.state == 0 { b'R' } else { i.state },
            ppid: i.ppid as i64,
            pgrp: i.pgid as i64,
            session: i.sid as i64,
            uids: [i.ruid, i.euid, i.svuid],
            gids: [i.rgid, i.egid, i.svgid],
            minflt: i.minflt as i64,
            cminflt: i.cminflt as i64,
            majflt: i.majflt as i64,
            cmajflt: i.cmajflt as i64,
            utime: ticks(&i.utime),
            stime: ticks(&i.stime),
            cutime: ticks(&i.cutime),
            cstime: ticks(&i.cstime),
            nice: i.nice as i64,
            threads: (i.nlwp as usize).max(1),
            tty_nr,
            tpgid,
            vsize: 0,
            rsslim: linux_rlim(i.rsslim),
        });
    }
    let pid = pid(ctx)? as i64;
    let ppid = ctx.nb(nb::SYS_getppid, [0; 6])?[0] as i64;
    let pgrp = ctx.nb(nb::SYS_getpgrp, [0; 6])?[0] as i64;
    let session = ctx.nb(nb::SYS_getsid, [0; 6])?[0] as i64;
    let [uid, euid] = ctx.nb(nb::SYS_getuid, [0; 6])?;
    let [gid, egid] = ctx.nb(nb::SYS_getgid, [0; 6])?;
    let mut own = nbs::Rusage::default();
    let mut kids = nbs::Rusage::default();
    ctx.nb(nb::SYS___getrusage50, [0, &mut own as *mut _ as u64, 0, 0, 0, 0])?;
    ctx.nb(nb::SYS___getrusage50, [-1i64 as u64, &mut kids as *mut _ as u64, 0, 0, 0, 0])?;
    // NetBSD's getpriority answers the nice value itself.
    let nice = ctx.nb(nb::SYS_getpriority, [0, 0, 0, 0, 0, 0]).map_or(0, |r| r[0] as i32 as i64);
    let mut lim = nbs::Rlimit::default();
    let rsslim = match ctx.nb(nb::SYS_getrlimit, [nbc::rlimit::RLIMIT_RSS as u64, &mut lim as *mut _ as u64, 0, 0, 0, 0]) {
        Ok(_) => linux_rlim(lim.rlim_cur),
        _ => u64::MAX,
    };
    let (all, _, _) = space_pages(ctx);
    let (tty_nr, tpgid) = if terminal_wanted { own_terminal(ctx, pid as i32) } else { (0, -1) };
    Ok(Facts {
        pid,
        comm: comm(ctx),
        state: b'R',
        ppid,
        pgrp,
        session,
        // The saved ids are reported as the effective ones, as getresuid does.
        uids: [uid as u32, euid as u32, euid as u32],
        gids: [gid as u32, egid as u32, egid as u32],
        // ru_counters: maxrss ixrss idrss isrss minflt majflt …
        minflt: own.ru_counters[4],
        cminflt: kids.ru_counters[4],
        majflt: own.ru_counters[5],
        cmajflt: kids.ru_counters[5],
        utime: ticks(&own.ru_utime),
        stime: ticks(&own.ru_stime),
        cutime: ticks(&kids.ru_utime),
        cstime: ticks(&kids.ru_stime),
        nice,
        threads: ctx.p.threads.lock().len().max(1),
        tty_nr,
        tpgid,
        vsize: all * PAGE,
        rsslim,
    })
}

/// Linux's name of a state letter, as status shows it.
fn state_name(state: u8) -> &'static str {
    match state {
        b'R' => "R (running)",
        b'S' => "S (sleeping)",
        b'D' => "D (disk sleep)",
        b'T' => "T (stopped)",
        b't' => "t (tracing stop)",
        b'Z' => "Z (zombie)",
        b'X' => "X (dead)",
        b'I' => "I (idle)",
        _ => "R (running)",
    }
}

/// /proc/<pid>/status: the fields known (file-system ids are the effective ones).
fn format_status(f: &Facts) -> String {
    let mut s = String::new();
    let ([uid, euid, suid], [gid, egid, sgid]) = (f.uids, f.gids);
    let _ = write!(
        s,
        "Name:\t{}\nState:\t{}\nTgid:\t{}\nPid:\t{}\nPPid:\t{}\nTracerPid:\t0\n\
         Uid:\t{uid}\t{euid}\t{suid}\t{euid}\nGid:\t{gid}\t{egid}\t{sgid}\t{egid}\nVmSize:\t{:>8} kB\n\
         Threads:\t{}\n",
        f.comm,
        state_name(f.state),
        f.pid,
        f.pid,
        f.ppid,
        f.vsize / 1024,
        f.threads,
    );
    s
}

/// Pages of the address space: (all, text = executable, data = private writable), from the map.
fn space_pages(ctx: &Ctx) -> (u64, u64, u64) {
    let mm = ctx.p.mm.lock();
    let (mut all, mut text, mut data) = (0, 0, 0);
    for (start, m) in mm.iter() {
        let n = (m.end - start) / PAGE;
        all += n;
        if m.prot & crate::mm::PROT_EXEC != 0 {
            text += n;
        } else if m.prot & crate::mm::PROT_WRITE != 0 && !m.shared {
            data += n;
        }
    }
    (all, text, data)
}

const PAGE: u64 = 4096;
/// Clock ticks per second in Linux's /proc (USER_HZ).
const USER_HZ: i64 = 100;

fn ticks(tv: &nbs::Timeval) -> i64 {
    tv.tv_sec * USER_HZ + tv.tv_usec as i64 / (1_000_000 / USER_HZ)
}

/// /proc/self/statm: size resident shared text lib data dt, in pages. Residency is not known to
/// the layer (the map says what is mapped, not what is in memory): resident and shared read 0.
fn statm(ctx: &Ctx) -> String {
    let (all, text, data) = space_pages(ctx);
    format!("{all} 0 0 {text} 0 {data} 0\n")
}

/// Linux's format: `pid (comm) state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt
/// cmajflt utime stime cutime cstime priority nice num_threads itrealvalue starttime vsize rss
/// rsslim startcode endcode startstack kstkesp kstkeip signal blocked sigignore sigcatch wchan
/// nswap cnswap exit_signal processor rt_priority policy delayacct_blkio_ticks guest_time
/// cguest_time start_data end_data start_brk arg_start arg_end env_start env_end exit_code`.
/// tty_nr and tpgid are the kernel's (0 and -1 without a controlling terminal, as Linux). Not
/// known to the layer, so 0: flags, starttime (no start time is recorded), rss (residency), the
/// code/stack/argument addresses and the signal masks (the obsolete fields; /proc/self/status is
/// where Linux wants them read).
fn format_stat(f: &Facts) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "{} ({}) {} {} {} {} {} {} 0 {} {} {} {} {} {} {} {} {} {} {} 0 0 {} 0 {} 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
        f.pid,
        f.comm,
        f.state as char,
        f.ppid,
        f.pgrp,
        f.session,
        f.tty_nr,
        f.tpgid,
        f.minflt,
        f.cminflt,
        f.majflt,
        f.cmajflt,
        f.utime,
        f.stime,
        f.cutime,
        f.cstime,
        20 + f.nice,
        f.nice,
        f.threads,
        f.vsize,
        f.rsslim,
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_absolute_proc_paths_only() {
        assert!(owns(b"/proc/self/exe\0"));
        assert!(owns(b"/proc\0"));
        assert!(owns(b"//proc/./self/../self/maps\0"));
        assert!(!owns(b"proc/self/exe\0"));
        assert!(!owns(b"/procfs\0"));
        assert!(!owns(b"/proc/../etc/passwd\0"));
        assert!(!owns(b"/\0"));
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_int(b"42"), Some(42));
        assert_eq!(parse_int(b"042"), None);
        assert_eq!(parse_int(b"x"), None);
        assert_eq!(parse_int(b""), None);
    }

    #[test]
    fn stat_line_has_linux_fields() {
        let f = Facts {
            pid: 7,
            comm: "a b) c".into(),
            state: b'R',
            ppid: 1,
            pgrp: 7,
            session: 3,
            uids: [1000, 1000, 1000],
            gids: [100, 100, 100],
            minflt: 10,
            cminflt: 0,
            majflt: 1,
            cmajflt: 0,
            utime: 25,
            stime: 4,
            cutime: 0,
            cstime: 0,
            nice: 0,
            threads: 2,
            tty_nr: 0,
            tpgid: -1,
            vsize: 8192,
            rsslim: u64::MAX,
        };
        let s = format_stat(&f);
        assert!(s.starts_with("7 (a b) c) R 1 7 3 0 -1 0 10 0 1 0 25 4 0 0 20 0 2 0 0 8192 0 18446744073709551615 "), "{s}");
        assert!(s.ends_with(" 0\n"));
        // After the last ')': state plus 50 more fields, 52 in all.
        let rest = &s[s.rfind(')').unwrap() + 2..];
        assert_eq!(rest.split_whitespace().count(), 50);
        assert_eq!(rest.split_whitespace().nth(35), Some("17"), "exit_signal");
    }

    #[test]
    fn stat_line_shows_the_controlling_terminal() {
        // /dev/pts/3 as the kernel's record has it (NetBSD's makedev of the host's 136, 3).
        let i = ext::ProcInfo { tty: crate::xlat::stat::netbsd_dev(136, 3), tpgid: 42, ..Default::default() };
        assert_eq!(terminal(&i), (0x8803, 42));
        assert_eq!(terminal(&ext::ProcInfo { tpgid: 42, ..Default::default() }), (0, -1));
        let f = Facts {
            pid: 7,
            comm: "sh".into(),
            state: b'S',
            ppid: 1,
            pgrp: 42,
            session: 7,
            uids: [0; 3],
            gids: [0; 3],
            minflt: 0,
            cminflt: 0,
            majflt: 0,
            cmajflt: 0,
            utime: 0,
            stime: 0,
            cutime: 0,
            cstime: 0,
            nice: 0,
            threads: 1,
            tty_nr: 0x8803,
            tpgid: 42,
            vsize: 0,
            rsslim: 0,
        };
        assert!(format_stat(&f).starts_with("7 (sh) S 1 42 7 34819 42 0 "), "{}", format_stat(&f));
    }

    #[test]
    fn inode_is_stable_under_normalisation() {
        assert_eq!(inode(b"/proc/self/maps\0"), inode(b"/proc//self/./maps\0"));
        assert_ne!(inode(b"/proc/self/maps\0"), inode(b"/proc/self/status\0"));
    }
}
