//! execve and execveat: a new static program in the same guest process. The file is read through
//! the kernel (so it comes from the guest's namespace), `#!` scripts run their interpreter, and past
//! the point of no return the process keeps its pid, descriptors without FD_CLOEXEC, signal mask and
//! pending signals, while handlers reset to default, other threads end and the memory is replaced.

use alloc::{string::String, vec::Vec};

use abi_netbsd::{consts::open_flags as nof, nr as nb, structs::Stat};
use syscalls::Sysno;

use super::sigframe::Sigcontext;
use super::signal::{self, SigAction, SIG_DFL, SIG_IGN};
use crate::dispatch::Ctx;
use crate::errno::{E2BIG, EACCES, EINVAL, ELOOP, ENOENT, ENOEXEC};
use crate::table::{entry, Arg, Entry, Family::Processes, Ret, Route, Support};
use crate::LxResult;

pub const ENTRIES: &[Entry] = &[
    entry(Sysno::execve as u32, "execve", Processes, &[Arg::Path, Arg::Ptr, Arg::Ptr], Ret::Int, Route::Translated(execve, &[nb::SYS_openat, nb::SYS___fstat50, nb::SYS_read, nb::SYS_fcntl, nb::SYS_close]), Support::Partial(STATIC_ONLY)),
    entry(Sysno::execveat as u32, "execveat", Processes, &[Arg::DirFd, Arg::Path, Arg::Ptr, Arg::Ptr, Arg::AtFlags], Ret::Int, Route::Translated(execveat, &[nb::SYS_openat, nb::SYS___fstat50, nb::SYS_read, nb::SYS_fcntl, nb::SYS_close]), Support::Partial(STATIC_ONLY)),
];

const STATIC_ONLY: &str = "static x86_64 programs and #! scripts whose interpreter is one; dynamically linked programs answer ENOEXEC";

const AT_FDCWD: i32 = -100;
const AT_EMPTY_PATH: u64 = 0x1000;
const AT_SYMLINK_NOFOLLOW: u64 = 0x100;
/// Linux's limit on argv plus envp: a quarter of the 8 MiB default stack.
const ARG_MAX: usize = 2 << 20;
/// The host signal that carries "end this thread" to the others (any catchable one would do).
const EXIT_CARRIER: i32 = 10;
/// Linux's limit on one argv or envp string (MAX_ARG_STRLEN).
const MAX_ARG_STRLEN: u64 = 32 * 4096;
/// How deep `#!` interpreters may nest (Linux allows 4 rewrites).
const MAX_INTERPRETERS: usize = 4;

fn execve(ctx: &mut Ctx) -> LxResult {
    let path = ctx.guest_cstr(ctx.args[0])?;
    let (argv_at, envp_at) = (ctx.args[1], ctx.args[2]);
    exec(ctx, AT_FDCWD, path, argv_at, envp_at, 0)
}

fn execveat(ctx: &mut Ctx) -> LxResult {
    let flags = ctx.args[4];
    if flags & !(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) != 0 {
        return Err(EINVAL);
    }
    let path = ctx.guest_cstr(ctx.args[1])?;
    let (dirfd, argv_at, envp_at) = (ctx.int(0), ctx.args[2], ctx.args[3]);
    exec(ctx, dirfd, path, argv_at, envp_at, flags)
}

/// A NULL-terminated array of strings from the guest (a NULL array is empty, as on Linux).
fn string_array(ctx: &Ctx, mut at: u64, total: &mut usize) -> Result<Vec<Vec<u8>>, crate::Errno> {
    let mut out = Vec::new();
    if at == 0 {
        return Ok(out);
    }
    loop {
        let p: u64 = ctx.read_struct(at)?;
        if p == 0 {
            return Ok(out);
        }
        let mut s = ctx.guest_cstr_max(p, MAX_ARG_STRLEN).map_err(|e| if e == crate::errno::ENAMETOOLONG { E2BIG } else { e })?;
        s.pop();
        *total += s.len() + 1 + 8;
        if *total > ARG_MAX {
            return Err(E2BIG);
        }
        out.push(s);
        at += 8;
    }
}

/// A program file read through the kernel.
struct Program {
    bytes: Vec<u8>,
}

fn read_program(ctx: &mut Ctx, dirfd: i32, path: &[u8], flags: u64) -> Result<Program, crate::Errno> {
    let dirfd_nb = if dirfd == AT_FDCWD { abi_netbsd::consts::at_flags::AT_FDCWD as u64 } else { dirfd as u32 as u64 };
    let fd = if path.len() <= 1 && flags & AT_EMPTY_PATH != 0 {
        // The descriptor itself is the program: read it through a duplicate at offset 0.
        ctx.nb(nb::SYS_dup, [dirfd as u32 as u64, 0, 0, 0, 0, 0])?[0]
    } else {
        let mut open_flags = nof::O_RDONLY | nof::O_CLOEXEC;
        if flags & AT_SYMLINK_NOFOLLOW != 0 {
            open_flags |= nof::O_NOFOLLOW;
        }
        match ctx.nb_raw(nb::SYS_openat, [dirfd_nb, path.as_ptr() as u64, open_flags as u64, 0, 0, 0]) {
            Ok(r) => r[0],
            Err(e) if e == abi_netbsd::errno::EFTYPE => return Err(ELOOP),
            Err(e) => return Err(crate::xlat::errno::from_netbsd(e)),
        }
    };
    let r = read_all(ctx, fd);
    ctx.nb(nb::SYS_close, [fd, 0, 0, 0, 0, 0]).ok();
    r
}

fn read_all(ctx: &mut Ctx, fd: u64) -> Result<Program, crate::Errno> {
    let mut st = Stat::default();
    ctx.nb(nb::SYS___fstat50, [fd, &mut st as *mut Stat as u64, 0, 0, 0, 0])?;
    // Only regular files with an execute bit run (for root too).
    if st.st_mode & 0o170000 != 0o100000 || st.st_mode & 0o111 == 0 {
        return Err(EACCES);
    }
    let mut bytes = Vec::with_capacity(st.st_size.max(0) as usize);
    let mut chunk = alloc::vec![0u8; 1 << 16];
    let mut off = 0u64;
    loop {
        let n = ctx.nb(nb::SYS_pread, [fd, chunk.as_mut_ptr() as u64, chunk.len() as u64, 0, off, 0])?[0] as usize;
        if n == 0 {
            return Ok(Program { bytes });
        }
        bytes.extend_from_slice(&chunk[..n]);
        off += n as u64;
    }
}

/// `#!interpreter [one argument]` from the first line of a script.
fn shebang(bytes: &[u8]) -> Option<(Vec<u8>, Option<Vec<u8>>)> {
    let line = bytes.strip_prefix(b"#!")?;
    // Linux reads at most the first 256 bytes of the file for this line.
    let line = &line[..line.len().min(254)];
    let line = line.split(|b| *b == b'\n').next().unwrap_or(line);
    let trimmed: &[u8] = {
        let start = line.iter().position(|b| *b != b' ' && *b != b'\t')?;
        let end = line.iter().rposition(|b| *b != b' ' && *b != b'\t')? + 1;
        &line[start..end]
    };
    let split = trimmed.iter().position(|b| *b == b' ' || *b == b'\t');
    Some(match split {
        None => (trimmed.to_vec(), None),
        Some(i) => {
            let rest = &trimmed[i..];
            let arg_start = rest.iter().position(|b| *b != b' ' && *b != b'\t').unwrap_or(rest.len());
            (trimmed[..i].to_vec(), Some(rest[arg_start..].to_vec()))
        }
    })
}

fn exec(ctx: &mut Ctx, dirfd: i32, mut path: Vec<u8>, argv_at: u64, envp_at: u64, flags: u64) -> LxResult {
    let mut total = 0;
    let mut argv = string_array(ctx, argv_at, &mut total)?;
    let envp = string_array(ctx, envp_at, &mut total)?;
    path.pop();
    let execfn = path.clone();
    let mut program = read_with_nul(ctx, dirfd, &path, flags)?;
    let mut exe = path.clone();
    for depth in 0.. {
        let Some((interp, arg)) = shebang(&program.bytes) else { break };
        if depth == MAX_INTERPRETERS {
            return Err(ELOOP);
        }
        // argv becomes: interpreter, its argument, the script's path, the script's argv[1..].
        let mut new_argv = alloc::vec![interp.clone()];
        new_argv.extend(arg);
        new_argv.push(exe.clone());
        new_argv.extend(argv.into_iter().skip(1));
        argv = new_argv;
        program = read_with_nul(ctx, AT_FDCWD, &interp, 0)?;
        exe = interp;
    }
    if let Err(e) = ctx.p.platform.check_image(&program.bytes) {
        if let Some(interp) = &e.interpreter {
            // Linux says ENOENT when the interpreter is missing; rumplx cannot run it either way.
            let mut c = interp.as_bytes().to_vec();
            c.push(0);
            let mut st = Stat::default();
            if ctx.nb_raw(nb::SYS___stat50, [c.as_ptr() as u64, &mut st as *mut Stat as u64, 0, 0, 0, 0]).is_err() {
                return Err(ENOENT);
            }
        }
        if ctx.p.trace {
            ctx.p.platform.log(&alloc::format!("rumplx: execve {}: {}", String::from_utf8_lossy(&exe), e.reason));
        }
        return Err(if e.errno.0 == 0 { ENOEXEC } else { e.errno });
    }
    let exe_path = absolute(ctx, &exe);
    point_of_no_return(ctx, &program.bytes, &exe_path, &execfn, &argv, &envp)
}

fn read_with_nul(ctx: &mut Ctx, dirfd: i32, path: &[u8], flags: u64) -> Result<Program, crate::Errno> {
    if path.is_empty() && flags & AT_EMPTY_PATH == 0 {
        return Err(ENOENT);
    }
    let mut c = path.to_vec();
    c.push(0);
    if dirfd == AT_FDCWD && super::procfs::owns(&c) {
        // /proc/self/exe and friends are the personality's links (busybox re-executes itself so).
        if let Ok(mut target) = super::procfs::readlink(ctx, &c) {
            target.push(0);
            c = target;
        }
    }
    read_program(ctx, dirfd, &c, flags)
}

/// The program's path as /proc/self/exe shows it.
fn absolute(ctx: &mut Ctx, path: &[u8]) -> String {
    let p = String::from_utf8_lossy(path).into_owned();
    if p.starts_with('/') {
        return p;
    }
    let mut buf = alloc::vec![0u8; 4096];
    match ctx.nb(nb::SYS___getcwd, [buf.as_mut_ptr() as u64, buf.len() as u64, 0, 0, 0, 0]) {
        Ok(_) => {
            let end = buf.iter().position(|b| *b == 0).unwrap_or(0);
            let cwd = String::from_utf8_lossy(&buf[..end]).into_owned();
            alloc::format!("{}/{}", cwd.trim_end_matches('/'), p.trim_start_matches("./"))
        }
        Err(_) => p,
    }
}

/// Everything after which execve can no longer fail back to the old program.
fn point_of_no_return(ctx: &mut Ctx, bytes: &[u8], exe_path: &str, execfn: &[u8], argv: &[Vec<u8>], envp: &[Vec<u8>]) -> LxResult {
    end_other_threads(ctx);
    // The old memory goes: robust futexes and CLEARTID are released as at thread exit.
    super::thread::release_robust_futexes(ctx);
    ctx.thread.robust_list = 0;
    ctx.thread.clear_child_tid = 0;
    close_on_exec(ctx);
    reset_handlers(ctx);
    let ids = {
        let [uid, euid] = ctx.nb(nb::SYS_getuid, [0; 6]).unwrap_or([0, 0]);
        let [gid, egid] = ctx.nb(nb::SYS_getgid, [0; 6]).unwrap_or([0, 0]);
        [uid as u32, euid as u32, gid as u32, egid as u32]
    };
    if ctx.p.vm_child {
        exec_in_new_image(ctx, bytes, exe_path, execfn, argv, envp, ids);
    }
    let old = ctx.p.mm.lock().clone();
    let p = ctx.p;
    let img = match p.platform.replace_image(&old, bytes, exe_path, execfn, argv, envp, ids) {
        Ok(img) => img,
        // The old program is gone: like Linux, the process dies.
        Err(_) => p.platform.die_of_signal(signal::SIGSEGV),
    };
    *p.mm.lock() = img.mm;
    {
        let mut info = p.info.lock();
        info.exe_path = String::from(exe_path);
        info.argv = argv.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect();
    }
    let name = execfn.rsplit(|b| *b == b'/').next().unwrap_or(execfn);
    ctx.thread.comm = [0; 16];
    let n = name.len().min(15);
    ctx.thread.comm[..n].copy_from_slice(&name[..n]);
    super::procfs::publish(p, &ctx.thread.comm);
    ctx.thread.altstack = (0, signal::SS_DISABLE, 0);
    p.platform.set_fs_base(0);
    let host = *ctx.regs;
    *ctx.regs = Sigcontext { rip: img.entry, rsp: img.sp, eflags: 0x202, cs: host.cs, ss: host.ss, fpstate: host.fpstate, ..Default::default() };
    ctx.regs_replaced = true;
    Ok(0)
}

/// execve in a CLONE_VM child: the memory is its parent's, so the new program starts in a fresh
/// host image of this host process, carrying what execve keeps (the rump process with its pid and
/// descriptors, the signal mask, ignored signals and pending ones).
fn exec_in_new_image(ctx: &mut Ctx, bytes: &[u8], exe_path: &str, execfn: &[u8], argv: &[Vec<u8>], envp: &[Vec<u8>], ids: [u32; 4]) -> ! {
    let p = ctx.p;
    let ignored = {
        let st = p.signals.lock();
        st.actions.iter().enumerate().filter(|(_, a)| a.handler == SIG_IGN).fold(0u64, |m, (i, _)| m | 1 << i)
    };
    let mut thread_pending = Vec::new();
    while let Some((_, info)) = ctx.thread.pending.take(!0) {
        thread_pending.push(info);
    }
    let mut process_pending = Vec::new();
    while let Some((_, info)) = p.signals.lock().pending.take(!0) {
        process_pending.push(info);
    }
    let handoff = crate::platform::ExecHandoff {
        bytes,
        exe_path,
        execfn,
        argv,
        envp,
        ids,
        sigmask: ctx.thread.sigmask,
        ignored,
        thread_pending,
        process_pending,
        no_new_privs: p.prctl.lock().no_new_privs,
    };
    let e = p.platform.exec_in_new_image(&handoff);
    if p.trace {
        p.platform.log(&alloc::format!("rumplx: execve in a CLONE_VM child failed: errno {}", e.0));
    }
    // Past the point of no return: like Linux, the process dies.
    p.platform.die_of_signal(signal::SIGSEGV)
}

/// Every other thread of the process ends (Linux's de_thread); wait until they have.
fn end_other_threads(ctx: &mut Ctx) {
    let others: Vec<_> = ctx.p.threads.lock().iter().filter(|t| t.tid != ctx.thread.tid).copied().collect();
    for t in &others {
        // The signal number only carries the message; the mark says what it is.
        let info = super::sigframe::Siginfo { signo: EXIT_CARRIER, errno: crate::dispatch::TRANSPORT_EXIT, code: super::sigframe::SI_QUEUE, ..Default::default() };
        ctx.p.platform.signal_host_thread(t.host_tid, &info).ok();
    }
    while ctx.p.threads.lock().len() > 1 {
        ctx.nb(nb::SYS_sched_yield, [0; 6]).ok();
    }
}

/// Closes the descriptors marked close-on-exec (the rump kernel has no exec of its own).
fn close_on_exec(ctx: &mut Ctx) {
    let limit = {
        let mut rl = abi_netbsd::structs::Rlimit::default();
        match ctx.nb(nb::SYS_getrlimit, [abi_netbsd::consts::rlimit::RLIMIT_NOFILE as u64, &mut rl as *mut _ as u64, 0, 0, 0, 0]) {
            Ok(_) => rl.rlim_cur.min(1 << 16),
            Err(_) => 1024,
        }
    };
    for fd in 0..limit {
        if let Ok([flags, _]) = ctx.nb_raw(nb::SYS_fcntl, [fd, abi_netbsd::consts::fcntl_cmd::F_GETFD as u64, 0, 0, 0, 0]) {
            if flags & abi_netbsd::consts::fcntl_cmd::FD_CLOEXEC as u64 != 0 {
                ctx.nb(nb::SYS_close, [fd, 0, 0, 0, 0, 0]).ok();
            }
        }
    }
}

/// Caught signals go back to their default action; ignored ones stay ignored. A SIGCHLD handler
/// with SA_NOCLDWAIT loses it: children are waited for again.
fn reset_handlers(ctx: &mut Ctx) {
    let nocldwait_lost = {
        let mut st = ctx.p.signals.lock();
        let chld = st.actions[signal::SIGCHLD as usize - 1];
        for a in st.actions.iter_mut() {
            if a.handler != SIG_IGN {
                *a = SigAction { handler: SIG_DFL, ..Default::default() };
            } else {
                *a = SigAction { handler: SIG_IGN, ..Default::default() };
            }
        }
        chld.handler != SIG_IGN && chld.flags & signal::SA_NOCLDWAIT != 0
    };
    if nocldwait_lost {
        super::fork::set_auto_reap(ctx, false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shebang_lines() {
        assert_eq!(shebang(b"#!/bin/sh\necho"), Some((b"/bin/sh".to_vec(), None)));
        assert_eq!(shebang(b"#! /bin/busybox  sh -x \n"), Some((b"/bin/busybox".to_vec(), Some(b"sh -x".to_vec()))));
        assert_eq!(shebang(b"#!\n"), None);
        assert_eq!(shebang(b"\x7fELF"), None);
    }
}
