//! Other processes of the run, for the personality's /proc/<pid> (`crate::ext_proc`): what the
//! process table knows (ids, credentials, lwps, descriptors, cwd, limits), what each process's
//! layer published of itself, and the host's accounting of the host process running it.

use super::file::OpenFile;
use super::proc::{Cred, Proc, ProcTable, Published};
use super::syscalls::{buf, buf_mut, get, get_path, ok, put, R};
use super::{hypercall, name, Current, EmbeddedKernel};
use crate::ext_proc::*;
use abi_netbsd::consts::{limits, rlimit as rl};
use abi_netbsd::errno as ne;
use abi_netbsd::SysResult;
use std::sync::Arc;

/// Serves `nr` if it is one of the process extension calls.
#[allow(non_upper_case_globals)]
pub(super) fn dispatch(k: &EmbeddedKernel, c: &Current, nr: u32, a: [u64; 6]) -> Option<SysResult> {
    Some(match nr {
        SYS_EXT_proc_publish => publish(k, a[0]),
        SYS_EXT_proc_info => info(k, a[0] as i32, a[1], a[2]),
        SYS_EXT_proc_text => text(k, c, a[0] as i32, a[1] as u32, a[2], a[3]),
        SYS_EXT_proc_fds => fds(k, c, a[0] as i32, a[1], a[2]),
        SYS_EXT_proc_fdstat => fd_file(k, c, a[0] as i32, a[1] as i32).and_then(|f| put(a[2], f.fstat()?).and(ok(0))),
        SYS_EXT_proc_fdpath => fd_file(k, c, a[0] as i32, a[1] as i32).and_then(|f| get_path(&f, a[2])),
        SYS_EXT_proc_list => list(k, a[0], a[1]),
        _ => return None,
    })
}

fn publish(k: &EmbeddedKernel, rec: u64) -> SysResult {
    let r: ProcPublish = get(rec)?;
    if r.exe_len >= limits::MAXPATHLEN as u64 {
        return Err(ne::ENAMETOOLONG);
    }
    if r.args_len > PROC_ARGS_MAX {
        return Err(ne::E2BIG);
    }
    let mut comm = r.comm;
    comm[15] = 0;
    let p = Published { comm, exe: buf(r.exe, r.exe_len)?.to_vec(), args: buf(r.args, r.args_len)?.to_vec() };
    k.proc_mut(|me| me.published = Some(Arc::new(p)));
    ok(0)
}

/// Runs `f` on process `pid` of the run (not proc0, the context of unbound threads).
fn with_target<T>(k: &EmbeddedKernel, pid: i32, f: impl FnOnce(&Proc) -> R<T>) -> R<T> {
    with_target_in(&k.procs.lock().unwrap(), pid, f)
}

/// [`with_target`] in a table the caller has locked.
fn with_target_in<T>(pt: &ProcTable, pid: i32, f: impl FnOnce(&Proc) -> R<T>) -> R<T> {
    let p = pt.procs.get(&pid).filter(|_| pid > 0).ok_or(ne::ESRCH)?;
    f(p)
}

/// Linux's rule for another process's descriptors, cwd and program (ptrace read access without
/// capabilities): root, or the same effective ids as all of the target's.
fn may_inspect(me: &Cred, t: &Cred) -> R<()> {
    let uids = [t.ruid, t.euid, t.svuid].iter().all(|&u| u == me.euid);
    let gids = [t.rgid, t.egid, t.svgid].iter().all(|&g| g == me.egid);
    if me.is_root() || (uids && gids) {
        Ok(())
    } else {
        Err(ne::EACCES)
    }
}

fn info(k: &EmbeddedKernel, pid: i32, out: u64, flags: u64) -> SysResult {
    if flags & !PROC_INFO_NO_HOST != 0 {
        return Err(ne::EINVAL);
    }
    let pt = k.procs.lock().unwrap();
    let mut i = with_target_in(&pt, pid, |p| {
        let c = &p.cred;
        // Linux's tpgid is the foreground group of the process's controlling terminal, whoever
        // asks (-1 without a terminal).
        let control = p.ctty.and_then(|t| pt.terminals.control(t));
        Ok(ProcInfo {
            pid: p.pid,
            ppid: p.ppid,
            pgid: p.pgid,
            sid: p.sid,
            ruid: c.ruid,
            euid: c.euid,
            svuid: c.svuid,
            rgid: c.rgid,
            egid: c.egid,
            svgid: c.svgid,
            // Linux counts a zombie's one thread until it is reaped.
            nlwp: if p.zombie { 1 } else { p.lwps.len() as u32 },
            comm: p.published.as_ref().map(|r| r.comm).unwrap_or_default(),
            rsslim: p.limits[rl::RLIMIT_RSS as usize].rlim_cur,
            tpgid: control.map_or(-1, |c| c.pgrp),
            tty: p.ctty.map_or(0, hypercall::nb_dev),
            ..Default::default()
        })
    })?;
    drop(pt);
    if flags & PROC_INFO_NO_HOST != 0 {
        return put(out, i).and(ok(0));
    }
    // Outside the table lock: the server's host pid map is locked before the table elsewhere.
    if let Some(h) = crate::sysproxy::host_pid_of_local(pid).and_then(hypercall::host_proc_stat) {
        i.state = h.state;
        i.nice = h.nice;
        [i.minflt, i.cminflt, i.majflt, i.cmajflt] = h.faults;
        [i.utime, i.stime, i.cutime, i.cstime] = h.times;
    }
    put(out, i).and(ok(0))
}

fn text(k: &EmbeddedKernel, c: &Current, pid: i32, what: u32, out: u64, len: u64) -> SysResult {
    let t: Vec<u8> = with_target(k, pid, |p| {
        let published = || p.published.clone().unwrap_or_default();
        if p.zombie && what <= PROC_TEXT_CWD {
            // A zombie has no memory (no argv), no program and no cwd any more, as on Linux.
            return if what == PROC_TEXT_ARGS { Ok(Vec::new()) } else { Err(ne::ENOENT) };
        }
        Ok(match what {
            PROC_TEXT_ARGS => published().args.clone(),
            PROC_TEXT_EXE => {
                may_inspect(&c.cred, &p.cred)?;
                published().exe.clone()
            }
            PROC_TEXT_CWD => {
                may_inspect(&c.cred, &p.cred)?;
                name::encode(&p.cwd).into_owned()
            }
            _ => return Err(ne::EINVAL),
        })
    })?;
    let n = t.len().min(len as usize);
    buf_mut(out, n as u64)?.copy_from_slice(&t[..n]);
    ok(t.len() as u64)
}

/// The table of process `pid`, if the caller may look at it.
fn table(k: &EmbeddedKernel, c: &Current, pid: i32) -> R<Arc<std::sync::Mutex<super::file::FdTable>>> {
    with_target(k, pid, |p| {
        may_inspect(&c.cred, &p.cred)?;
        Ok(p.fds.clone())
    })
}

fn fds(k: &EmbeddedKernel, c: &Current, pid: i32, out: u64, n: u64) -> SysResult {
    let all = table(k, c, pid)?.lock().unwrap().fds();
    put_ints(&all, out, n)
}

fn fd_file(k: &EmbeddedKernel, c: &Current, pid: i32, fd: i32) -> R<Arc<OpenFile>> {
    let t = table(k, c, pid)?;
    let f = t.lock().unwrap().get(fd);
    f
}

fn list(k: &EmbeddedKernel, out: u64, n: u64) -> SysResult {
    let mut pids: Vec<i32> = k.procs.lock().unwrap().procs.keys().copied().filter(|&p| p > 0).collect();
    pids.sort_unstable();
    put_ints(&pids, out, n)
}

/// Stores the first `n` of `v` as ints at `out`; answers how many `v` has.
fn put_ints(v: &[i32], out: u64, n: u64) -> SysResult {
    let k = v.len().min(n as usize);
    let b = buf_mut(out, 4 * k as u64)?;
    for (chunk, x) in b.chunks_exact_mut(4).zip(v) {
        chunk.copy_from_slice(&x.to_ne_bytes());
    }
    ok(v.len() as u64)
}
