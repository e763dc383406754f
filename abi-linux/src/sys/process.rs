//! Process identity and system information: ids, credentials, uname, limits, usage, prctl,
//! arch_prctl, and leaving the process.

use abi_netbsd::{nr as nb, structs as nbs, sysctl};
use syscalls::Sysno;

use crate::consts::rlimit as lrl;
use crate::dispatch::Ctx;
use crate::errno::{EFAULT, EINVAL, EPERM, ESRCH};
use crate::table::{entry, Arg, Entry, Family::{Other, Processes}, Ret, Route, Support};
use crate::LxResult;

const P: crate::table::Family = Processes;

pub const ENTRIES: &[Entry] = &[
    entry(Sysno::exit_group as u32, "exit_group", P, &[Arg::Int], Ret::None, Route::Layer(exit_group), Support::Full),
    entry(Sysno::getpid as u32, "getpid", P, &[], Ret::Int, Route::SameAs(nb::SYS_getpid), Support::Full),
    entry(Sysno::getppid as u32, "getppid", P, &[], Ret::Int, Route::SameAs(nb::SYS_getppid), Support::Full),
    entry(Sysno::gettid as u32, "gettid", P, &[], Ret::Int, Route::Layer(gettid), Support::Full),
    entry(Sysno::getuid as u32, "getuid", P, &[], Ret::Int, Route::SameAs(nb::SYS_getuid), Support::Full),
    entry(Sysno::geteuid as u32, "geteuid", P, &[], Ret::Int, Route::SameAs(nb::SYS_geteuid), Support::Full),
    entry(Sysno::getgid as u32, "getgid", P, &[], Ret::Int, Route::SameAs(nb::SYS_getgid), Support::Full),
    entry(Sysno::getegid as u32, "getegid", P, &[], Ret::Int, Route::SameAs(nb::SYS_getegid), Support::Full),
    entry(Sysno::getgroups as u32, "getgroups", P, &[Arg::Int, Arg::Ptr], Ret::Int, Route::Translated(getgroups, &[nb::SYS_getgroups]), Support::Full),
    entry(Sysno::getresuid as u32, "getresuid", P, &[Arg::Ptr, Arg::Ptr, Arg::Ptr], Ret::Int, Route::Translated(getresuid, &[nb::SYS_getuid]), Support::Partial("the saved set-user-id is reported as the effective one: NetBSD does not expose it")),
    entry(Sysno::getresgid as u32, "getresgid", P, &[Arg::Ptr, Arg::Ptr, Arg::Ptr], Ret::Int, Route::Translated(getresgid, &[nb::SYS_getgid]), Support::Partial("the saved set-group-id is reported as the effective one: NetBSD does not expose it")),
    entry(Sysno::setuid as u32, "setuid", P, &[Arg::Int], Ret::Int, Route::SameAs(nb::SYS_setuid), Support::Full),
    entry(Sysno::setgid as u32, "setgid", P, &[Arg::Int], Ret::Int, Route::SameAs(nb::SYS_setgid), Support::Full),
    entry(Sysno::setreuid as u32, "setreuid", P, &[Arg::Int, Arg::Int], Ret::Int, Route::SameAs(nb::SYS_setreuid), Support::Full),
    entry(Sysno::setregid as u32, "setregid", P, &[Arg::Int, Arg::Int], Ret::Int, Route::SameAs(nb::SYS_setregid), Support::Full),
    entry(Sysno::setresuid as u32, "setresuid", P, &[Arg::Int, Arg::Int, Arg::Int], Ret::Int, Route::Translated(setresuid, &[nb::SYS_setreuid]), Support::Partial("the saved id follows the effective one, as NetBSD's setreuid sets it")),
    entry(Sysno::setresgid as u32, "setresgid", P, &[Arg::Int, Arg::Int, Arg::Int], Ret::Int, Route::Translated(setresgid, &[nb::SYS_setregid]), Support::Partial("the saved id follows the effective one, as NetBSD's setregid sets it")),
    entry(Sysno::getpgrp as u32, "getpgrp", P, &[], Ret::Int, Route::SameAs(nb::SYS_getpgrp), Support::Full),
    entry(Sysno::getpgid as u32, "getpgid", P, &[Arg::Int], Ret::Int, Route::SameAs(nb::SYS_getpgid), Support::Full),
    entry(Sysno::getsid as u32, "getsid", P, &[Arg::Int], Ret::Int, Route::SameAs(nb::SYS_getsid), Support::Full),
    entry(Sysno::setsid as u32, "setsid", P, &[], Ret::Int, Route::SameAs(nb::SYS_setsid), Support::Full),
    entry(Sysno::setpgid as u32, "setpgid", P, &[Arg::Int, Arg::Int], Ret::Int, Route::SameAs(nb::SYS_setpgid), Support::Full),
    entry(Sysno::uname as u32, "uname", Other, &[Arg::Ptr], Ret::Int, Route::Translated(uname, &[nb::SYS___sysctl]), Support::Full),
    entry(Sysno::sethostname as u32, "sethostname", Other, &[Arg::BufIn(1), Arg::Len], Ret::Int, Route::Translated(sethostname, &[nb::SYS___sysctl]), Support::Full),
    entry(Sysno::setdomainname as u32, "setdomainname", Other, &[Arg::BufIn(1), Arg::Len], Ret::Int, Route::Translated(setdomainname, &[nb::SYS___sysctl]), Support::Full),
    entry(Sysno::arch_prctl as u32, "arch_prctl", P, &[Arg::Hex, Arg::Hex], Ret::Int, Route::Layer(arch_prctl), Support::Partial("ARCH_SET_FS/ARCH_GET_FS and ARCH_GET_CPUID; GS is refused (rumplx keeps its per-thread block there for the fast path), and so is CPUID faulting")),
    entry(Sysno::set_tid_address as u32, "set_tid_address", P, &[Arg::Ptr], Ret::Int, Route::Layer(set_tid_address), Support::Full),
    entry(Sysno::set_robust_list as u32, "set_robust_list", P, &[Arg::Ptr, Arg::Len], Ret::Int, Route::Layer(set_robust_list), Support::Full),
    entry(Sysno::get_robust_list as u32, "get_robust_list", P, &[Arg::Int, Arg::Ptr, Arg::Ptr], Ret::Int, Route::Layer(get_robust_list), Support::Full),
    Entry::unsupported(Sysno::rseq as u32, "rseq", P, "restartable sequences are not offered (ENOSYS); glibc and musl run without them"),
    entry(Sysno::prctl as u32, "prctl", P, &[Arg::Int, Arg::Hex, Arg::Hex, Arg::Hex, Arg::Hex], Ret::Int, Route::Layer(prctl), Support::Partial("PR_SET_NAME, PR_GET_NAME, PR_SET/GET_DUMPABLE, PR_SET/GET_PDEATHSIG, PR_SET/GET_NO_NEW_PRIVS, PR_GET_SECCOMP; other options give EINVAL")),
    entry(Sysno::getrlimit as u32, "getrlimit", P, &[Arg::Int, Arg::Ptr], Ret::Int, Route::Translated(getrlimit, &[nb::SYS_getrlimit]), Support::Partial("Linux-only resources (RLIMIT_LOCKS, SIGPENDING, MSGQUEUE, NICE, RTPRIO, RTTIME) read as unlimited and cannot be lowered")),
    entry(Sysno::setrlimit as u32, "setrlimit", P, &[Arg::Int, Arg::Ptr], Ret::Int, Route::Translated(setrlimit, &[nb::SYS_setrlimit]), Support::Partial("Linux-only resources (RLIMIT_LOCKS, SIGPENDING, MSGQUEUE, NICE, RTPRIO, RTTIME) cannot be lowered (EINVAL)")),
    entry(Sysno::prlimit64 as u32, "prlimit64", P, &[Arg::Int, Arg::Int, Arg::Ptr, Arg::Ptr], Ret::Int, Route::Translated(prlimit64, &[nb::SYS_getrlimit, nb::SYS_setrlimit]), Support::Partial("own process only (ESRCH for others)")),
    entry(Sysno::getrusage as u32, "getrusage", P, &[Arg::Int, Arg::Ptr], Ret::Int, Route::Translated(getrusage, &[nb::SYS___getrusage50]), Support::Partial("RUSAGE_THREAD reports the whole process")),
    entry(Sysno::times as u32, "times", crate::table::Family::Time, &[Arg::Ptr], Ret::Int, Route::Translated(times, &[nb::SYS___getrusage50, nb::SYS___clock_gettime50]), Support::Full),
    entry(Sysno::sysinfo as u32, "sysinfo", Other, &[Arg::Ptr], Ret::Int, Route::Translated(sysinfo, &[nb::SYS___clock_gettime50, nb::SYS_open, nb::SYS_read]), Support::Partial("load averages read 0; memory figures come from the host's /proc/meminfo")),
    entry(Sysno::getrandom as u32, "getrandom", Other, &[Arg::BufOut(1), Arg::Len, Arg::Hex], Ret::Int, Route::Translated(getrandom, &[nb::SYS_open, nb::SYS_read]), Support::Full),
    entry(Sysno::sched_yield as u32, "sched_yield", P, &[], Ret::Int, Route::SameAs(nb::SYS_sched_yield), Support::Full),
    entry(Sysno::sched_getaffinity as u32, "sched_getaffinity", P, &[Arg::Int, Arg::Len, Arg::Ptr], Ret::Int, Route::Translated(sched_getaffinity, &[nb::SYS___sysctl]), Support::Full),
    entry(Sysno::sched_setaffinity as u32, "sched_setaffinity", P, &[Arg::Int, Arg::Len, Arg::Ptr], Ret::Int, Route::Layer(sched_setaffinity), Support::Partial("the mask is kept per thread and read back; host threads are not pinned")),
    entry(Sysno::sched_get_priority_max as u32, "sched_get_priority_max", P, &[Arg::Int], Ret::Int, Route::Layer(sched_get_priority_max), Support::Full),
    entry(Sysno::sched_get_priority_min as u32, "sched_get_priority_min", P, &[Arg::Int], Ret::Int, Route::Layer(sched_get_priority_min), Support::Full),
    entry(Sysno::sched_getscheduler as u32, "sched_getscheduler", P, &[Arg::Int], Ret::Int, Route::Layer(sched_getscheduler), Support::Full),
    entry(Sysno::sched_getparam as u32, "sched_getparam", P, &[Arg::Int, Arg::Ptr], Ret::Int, Route::Layer(sched_getparam), Support::Full),
    entry(Sysno::sched_setscheduler as u32, "sched_setscheduler", P, &[Arg::Int, Arg::Int, Arg::Ptr], Ret::Int, Route::Layer(sched_setscheduler), Support::Partial("SCHED_OTHER, SCHED_BATCH and SCHED_IDLE with priority 0; real-time policies answer EPERM")),
    entry(Sysno::sched_setparam as u32, "sched_setparam", P, &[Arg::Int, Arg::Ptr], Ret::Int, Route::Layer(sched_setparam), Support::Partial("priority 0 only (the policies rumplx runs threads under)")),
    entry(Sysno::sched_rr_get_interval as u32, "sched_rr_get_interval", P, &[Arg::Int, Arg::Ptr], Ret::Int, Route::Layer(sched_rr_get_interval), Support::Partial("threads run SCHED_OTHER, whose interval reads 0 (no fixed round-robin quantum)")),
    entry(Sysno::getcpu as u32, "getcpu", P, &[Arg::Ptr, Arg::Ptr, Arg::Ptr], Ret::Int, Route::Layer(getcpu), Support::Partial("reports the rump kernel's virtual CPU 0 and node 0")),
];

fn exit_group(ctx: &mut Ctx) -> LxResult {
    crate::sys::jobctl::leader_exit(ctx);
    ctx.p.platform.exit_group(ctx.int(0) & 0xff)
}

fn gettid(ctx: &mut Ctx) -> LxResult {
    Ok(ctx.thread.tid as u64)
}

fn getgroups(ctx: &mut Ctx) -> LxResult {
    let size = ctx.int(0);
    if size < 0 {
        return Err(EINVAL);
    }
    let list = ctx.args[1];
    if size > 0 {
        ctx.check(list, size as u64 * 4, crate::platform::Access::Write)?;
    }
    Ok(ctx.nb(nb::SYS_getgroups, [size as u64, list, 0, 0, 0, 0])?[0])
}

/// Writes the (real, effective, saved) triple, the saved id being the effective one.
fn write_res(ctx: &mut Ctx, nr: u32) -> LxResult {
    let [real, eff] = ctx.nb(nr, [0; 6])?;
    for (i, v) in [real, eff, eff].into_iter().enumerate() {
        ctx.write_struct(ctx.args[i], &(v as u32))?;
    }
    Ok(0)
}

fn getresuid(ctx: &mut Ctx) -> LxResult {
    write_res(ctx, nb::SYS_getuid)
}

fn getresgid(ctx: &mut Ctx) -> LxResult {
    write_res(ctx, nb::SYS_getgid)
}

/// setres[ug]id through setre[ug]id: a saved id other than -1 or the new effective id cannot be
/// expressed on NetBSD, and is refused rather than ignored.
fn set_res(ctx: &mut Ctx, nr: u32) -> LxResult {
    let (r, e, s) = (ctx.int(0), ctx.int(1), ctx.int(2));
    if s != -1 && s != e && !(e == -1 && s == r) {
        return Err(EPERM);
    }
    ctx.nb(nr, [r as u32 as u64, e as u32 as u64, 0, 0, 0, 0])?;
    Ok(0)
}

fn setresuid(ctx: &mut Ctx) -> LxResult {
    set_res(ctx, nb::SYS_setreuid)
}

fn setresgid(ctx: &mut Ctx) -> LxResult {
    set_res(ctx, nb::SYS_setregid)
}

/// Reads (or with `new`, writes) a string sysctl `kern.<leaf>`.
fn sysctl_string(ctx: &mut Ctx, mib: [i32; 2], out: &mut [u8], new: Option<&[u8]>) -> Result<usize, crate::Errno> {
    let mut len = out.len();
    let (newp, newlen) = new.map(|n| (n.as_ptr() as u64, n.len() as u64)).unwrap_or((0, 0));
    let (oldp, oldlenp) = if new.is_some() { (0, 0) } else { (out.as_mut_ptr() as u64, &mut len as *mut usize as u64) };
    ctx.nb(nb::SYS___sysctl, [mib.as_ptr() as u64, 2, oldp, oldlenp, newp, newlen])?;
    Ok(len)
}

/// Linux's `struct new_utsname`: six fields of 65 bytes.
const UTS_FIELD: usize = 65;
/// The release the guest sees: new enough for every glibc's minimum-kernel check.
pub const LINUX_RELEASE: &str = "6.1.0-rumplx";
pub const LINUX_VERSION: &str = "#1 SMP PREEMPT_DYNAMIC rumplx";

fn uname(ctx: &mut Ctx) -> LxResult {
    let mut uts = [0u8; 6 * UTS_FIELD];
    let mut host = [0u8; UTS_FIELD];
    let n = sysctl_string(ctx, [sysctl::CTL_KERN, sysctl::KERN_HOSTNAME], &mut host, None)?;
    let mut domain = [0u8; UTS_FIELD];
    let d = sysctl_string(ctx, [sysctl::CTL_KERN, sysctl::KERN_DOMAINNAME], &mut domain, None)?;
    let trim = |b: &[u8], n: usize| -> alloc::vec::Vec<u8> { b[..n.min(UTS_FIELD - 1)].split(|c| *c == 0).next().unwrap_or(&[]).to_vec() };
    let domain = trim(&domain, d);
    let fields: [&[u8]; 6] = [
        b"Linux",
        &trim(&host, n),
        LINUX_RELEASE.as_bytes(),
        LINUX_VERSION.as_bytes(),
        b"x86_64",
        if domain.is_empty() { b"(none)" } else { &domain },
    ];
    for (i, f) in fields.iter().enumerate() {
        uts[i * UTS_FIELD..i * UTS_FIELD + f.len()].copy_from_slice(f);
    }
    ctx.write_struct(ctx.args[0], &uts)?;
    Ok(0)
}

fn set_kern_string(ctx: &mut Ctx, leaf: i32) -> LxResult {
    let len = ctx.args[1];
    if len > 64 {
        return Err(EINVAL);
    }
    let name = ctx.guest_bytes(ctx.args[0], len as usize)?.to_vec();
    sysctl_string(ctx, [sysctl::CTL_KERN, leaf], &mut [], Some(&name))?;
    Ok(0)
}

fn sethostname(ctx: &mut Ctx) -> LxResult {
    set_kern_string(ctx, sysctl::KERN_HOSTNAME)
}

fn setdomainname(ctx: &mut Ctx) -> LxResult {
    set_kern_string(ctx, sysctl::KERN_DOMAINNAME)
}

const ARCH_SET_FS: u64 = 0x1002;
const ARCH_GET_FS: u64 = 0x1003;
const ARCH_GET_CPUID: u64 = 0x1011;

fn arch_prctl(ctx: &mut Ctx) -> LxResult {
    match ctx.args[0] {
        ARCH_SET_FS => {
            if ctx.args[1] >= 0x8000_0000_0000 {
                return Err(EPERM);
            }
            ctx.p.platform.set_fs_base(ctx.args[1]);
            Ok(0)
        }
        ARCH_GET_FS => {
            let fs = ctx.p.platform.fs_base();
            ctx.write_struct(ctx.args[1], &fs)?;
            Ok(0)
        }
        // CPUID is never made to fault under rumplx.
        ARCH_GET_CPUID => Ok(1),
        _ => Err(EINVAL),
    }
}

fn set_tid_address(ctx: &mut Ctx) -> LxResult {
    ctx.thread.clear_child_tid = ctx.args[0];
    Ok(ctx.thread.tid as u64)
}

/// Size of Linux's `struct robust_list_head`.
const ROBUST_LIST_HEAD_SIZE: u64 = 24;

fn set_robust_list(ctx: &mut Ctx) -> LxResult {
    if ctx.args[1] != ROBUST_LIST_HEAD_SIZE {
        return Err(EINVAL);
    }
    ctx.thread.robust_list = ctx.args[0];
    Ok(0)
}

fn get_robust_list(ctx: &mut Ctx) -> LxResult {
    let pid = ctx.int(0);
    if pid != 0 && pid != ctx.thread.tid {
        return Err(ESRCH);
    }
    let head = ctx.thread.robust_list;
    ctx.write_struct(ctx.args[1], &head)?;
    ctx.write_struct(ctx.args[2], &ROBUST_LIST_HEAD_SIZE)?;
    Ok(0)
}

const PR_SET_PDEATHSIG: i32 = 1;
const PR_GET_PDEATHSIG: i32 = 2;
const PR_GET_DUMPABLE: i32 = 3;
const PR_SET_DUMPABLE: i32 = 4;
const PR_SET_NAME: i32 = 15;
const PR_GET_NAME: i32 = 16;
const PR_GET_SECCOMP: i32 = 21;
const PR_SET_NO_NEW_PRIVS: i32 = 38;
const PR_GET_NO_NEW_PRIVS: i32 = 39;

fn prctl(ctx: &mut Ctx) -> LxResult {
    let arg2 = ctx.args[1];
    match ctx.int(0) {
        PR_SET_NAME => {
            let mut name = [0u8; 16];
            for (i, slot) in name.iter_mut().take(15).enumerate() {
                let b = ctx.guest_bytes(arg2 + i as u64, 1)?[0];
                if b == 0 {
                    break;
                }
                *slot = b;
            }
            ctx.thread.comm = name;
            // The main thread's name is the process's in /proc/<pid> of other processes.
            if ctx.nb(nb::SYS_getpid, [0; 6]).is_ok_and(|r| r[0] as i32 == ctx.thread.tid) {
                super::procfs::publish(ctx.p, &name);
            }
            Ok(0)
        }
        PR_GET_NAME => {
            let name = ctx.thread.comm;
            ctx.write_struct(arg2, &name)?;
            Ok(0)
        }
        PR_GET_DUMPABLE => Ok(ctx.p.prctl.lock().dumpable as u64),
        PR_SET_DUMPABLE if arg2 <= 1 => {
            ctx.p.prctl.lock().dumpable = arg2 == 1;
            Ok(0)
        }
        PR_SET_PDEATHSIG if arg2 <= 64 => {
            ctx.thread.pdeathsig = arg2 as i32;
            Ok(0)
        }
        PR_GET_PDEATHSIG => {
            let s = ctx.thread.pdeathsig;
            ctx.write_struct(arg2, &s)?;
            Ok(0)
        }
        PR_SET_NO_NEW_PRIVS if arg2 == 1 && ctx.args[2..5].iter().all(|a| *a == 0) => {
            ctx.p.prctl.lock().no_new_privs = true;
            Ok(0)
        }
        PR_GET_NO_NEW_PRIVS => Ok(ctx.p.prctl.lock().no_new_privs as u64),
        // No seccomp filter is ever installed.
        PR_GET_SECCOMP => Ok(0),
        _ => Err(EINVAL),
    }
}

/// Linux rlimit resource → NetBSD's, or None for Linux-only resources.
fn resource(linux: u32) -> Result<Option<u32>, crate::Errno> {
    use abi_netbsd::consts::rlimit as n;
    Ok(Some(match linux {
        lrl::RLIMIT_CPU => n::RLIMIT_CPU,
        lrl::RLIMIT_FSIZE => n::RLIMIT_FSIZE,
        lrl::RLIMIT_DATA => n::RLIMIT_DATA,
        lrl::RLIMIT_STACK => n::RLIMIT_STACK,
        lrl::RLIMIT_CORE => n::RLIMIT_CORE,
        lrl::RLIMIT_RSS => n::RLIMIT_RSS,
        lrl::RLIMIT_NPROC => n::RLIMIT_NPROC,
        lrl::RLIMIT_NOFILE => n::RLIMIT_NOFILE,
        lrl::RLIMIT_MEMLOCK => n::RLIMIT_MEMLOCK,
        lrl::RLIMIT_AS => n::RLIMIT_AS,
        lrl::RLIMIT_LOCKS..=lrl::RLIMIT_RTTIME => return Ok(None),
        _ => return Err(EINVAL),
    }))
}

const NB_INFINITY: u64 = abi_netbsd::consts::rlimit::RLIM_INFINITY as u64;

fn rlim_to_linux(v: u64) -> u64 {
    if v >= NB_INFINITY { lrl::RLIM_INFINITY } else { v }
}

fn rlim_to_netbsd(v: u64) -> u64 {
    if v >= NB_INFINITY { NB_INFINITY } else { v }
}

fn get_limit(ctx: &mut Ctx, res: u32) -> Result<nbs::Rlimit, crate::Errno> {
    let Some(nres) = resource(res)? else {
        return Ok(nbs::Rlimit { rlim_cur: lrl::RLIM_INFINITY, rlim_max: lrl::RLIM_INFINITY });
    };
    let mut rl = nbs::Rlimit::default();
    ctx.nb(nb::SYS_getrlimit, [nres as u64, &mut rl as *mut _ as u64, 0, 0, 0, 0])?;
    Ok(nbs::Rlimit { rlim_cur: rlim_to_linux(rl.rlim_cur), rlim_max: rlim_to_linux(rl.rlim_max) })
}

fn set_limit(ctx: &mut Ctx, res: u32, new: nbs::Rlimit) -> Result<(), crate::Errno> {
    if new.rlim_cur > new.rlim_max {
        return Err(EINVAL);
    }
    let Some(nres) = resource(res)? else {
        return if new.rlim_cur == lrl::RLIM_INFINITY && new.rlim_max == lrl::RLIM_INFINITY { Ok(()) } else { Err(EINVAL) };
    };
    let rl = nbs::Rlimit { rlim_cur: rlim_to_netbsd(new.rlim_cur), rlim_max: rlim_to_netbsd(new.rlim_max) };
    ctx.nb(nb::SYS_setrlimit, [nres as u64, &rl as *const _ as u64, 0, 0, 0, 0])?;
    Ok(())
}

fn getrlimit(ctx: &mut Ctx) -> LxResult {
    let rl = get_limit(ctx, ctx.args[0] as u32)?;
    ctx.write_struct(ctx.args[1], &rl)?;
    Ok(0)
}

fn setrlimit(ctx: &mut Ctx) -> LxResult {
    let new: nbs::Rlimit = ctx.read_struct(ctx.args[1])?;
    set_limit(ctx, ctx.args[0] as u32, new)?;
    Ok(0)
}

fn prlimit64(ctx: &mut Ctx) -> LxResult {
    let pid = ctx.int(0);
    let own = ctx.nb(nb::SYS_getpid, [0; 6])?[0] as i32;
    if pid != 0 && pid != own {
        return Err(ESRCH);
    }
    let res = ctx.args[1] as u32;
    let (new_at, old_at) = (ctx.args[2], ctx.args[3]);
    let old = get_limit(ctx, res)?;
    if new_at != 0 {
        let new: nbs::Rlimit = ctx.read_struct(new_at)?;
        set_limit(ctx, res, new)?;
    }
    if old_at != 0 {
        ctx.write_struct(old_at, &old)?;
    }
    Ok(0)
}

/// Linux `struct rusage`: the same layout, but timeval's microseconds are a long.
fn rusage_to_linux(r: &nbs::Rusage) -> [i64; 18] {
    let mut out = [0i64; 18];
    out[0] = r.ru_utime.tv_sec;
    out[1] = r.ru_utime.tv_usec as i64;
    out[2] = r.ru_stime.tv_sec;
    out[3] = r.ru_stime.tv_usec as i64;
    out[4..].copy_from_slice(&r.ru_counters);
    out
}

fn usage(ctx: &mut Ctx, who: i64) -> Result<nbs::Rusage, crate::Errno> {
    let mut r = nbs::Rusage::default();
    ctx.nb(nb::SYS___getrusage50, [who as u64, &mut r as *mut _ as u64, 0, 0, 0, 0])?;
    Ok(r)
}

fn getrusage(ctx: &mut Ctx) -> LxResult {
    // NetBSD has no per-thread usage: RUSAGE_THREAD (1) reads the process's, which is exact
    // for a single-threaded process.
    let who = match ctx.int(0) {
        0 | 1 => 0,
        -1 => -1,
        _ => return Err(EINVAL),
    };
    let r = usage(ctx, who)?;
    ctx.write_struct(ctx.args[1], &rusage_to_linux(&r))?;
    Ok(0)
}

/// Clock ticks per second as Linux reports them (AT_CLKTCK, sysconf(_SC_CLK_TCK)).
const CLK_TCK: i64 = 100;

fn ticks(tv: &nbs::Timeval) -> i64 {
    tv.tv_sec * CLK_TCK + tv.tv_usec as i64 / (1_000_000 / CLK_TCK)
}

use super::time::monotonic;

fn times(ctx: &mut Ctx) -> LxResult {
    let own = usage(ctx, 0)?;
    let children = usage(ctx, -1)?;
    let t = [ticks(&own.ru_utime), ticks(&own.ru_stime), ticks(&children.ru_utime), ticks(&children.ru_stime)];
    if ctx.args[0] != 0 {
        ctx.write_struct(ctx.args[0], &t)?;
    }
    let now = monotonic(ctx)?;
    Ok((now.tv_sec * CLK_TCK + now.tv_nsec / 10_000_000) as u64)
}

/// Linux `struct sysinfo` (112 bytes).
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct Sysinfo {
    uptime: i64,
    loads: [u64; 3],
    totalram: u64,
    freeram: u64,
    sharedram: u64,
    bufferram: u64,
    totalswap: u64,
    freeswap: u64,
    procs: u16,
    _pad: [u16; 3],
    totalhigh: u64,
    freehigh: u64,
    mem_unit: u32,
    _f: [u8; 4],
}
const _: () = assert!(core::mem::size_of::<Sysinfo>() == 112);

/// Reads a whole (small) file through the kernel.
pub fn read_small_file(ctx: &mut Ctx, path: &[u8]) -> Result<alloc::vec::Vec<u8>, crate::Errno> {
    let mut p = path.to_vec();
    p.push(0);
    let fd = ctx.nb(nb::SYS_open, [p.as_ptr() as u64, 0, 0, 0, 0, 0])?[0];
    let mut out = alloc::vec::Vec::new();
    let mut buf = [0u8; 4096];
    let r = loop {
        match ctx.nb(nb::SYS_read, [fd, buf.as_mut_ptr() as u64, buf.len() as u64, 0, 0, 0]) {
            Ok([0, _]) => break Ok(out),
            Ok([n, _]) => out.extend_from_slice(&buf[..n as usize]),
            Err(e) => break Err(e),
        }
    };
    ctx.nb(nb::SYS_close, [fd, 0, 0, 0, 0, 0]).ok();
    r
}

/// A "Key:   N kB" figure from /proc/meminfo text, in bytes.
fn meminfo_field(text: &[u8], key: &str) -> u64 {
    text.split(|b| *b == b'\n')
        .find(|l| l.starts_with(key.as_bytes()) && l.get(key.len()) == Some(&b':'))
        .and_then(|l| core::str::from_utf8(&l[key.len() + 1..]).ok())
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}

fn sysinfo(ctx: &mut Ctx) -> LxResult {
    ctx.check(ctx.args[0], 112, crate::platform::Access::Write)?;
    let up = monotonic(ctx)?;
    let mem = read_small_file(ctx, b"/.rumplx/host/meminfo").unwrap_or_default();
    let info = Sysinfo {
        uptime: up.tv_sec,
        totalram: meminfo_field(&mem, "MemTotal"),
        freeram: meminfo_field(&mem, "MemFree"),
        sharedram: meminfo_field(&mem, "Shmem"),
        bufferram: meminfo_field(&mem, "Buffers"),
        totalswap: meminfo_field(&mem, "SwapTotal"),
        freeswap: meminfo_field(&mem, "SwapFree"),
        procs: 1,
        mem_unit: 1,
        ..Default::default()
    };
    ctx.write_struct(ctx.args[0], &info)?;
    Ok(0)
}

const GRND_NONBLOCK: u64 = 1;
const GRND_RANDOM: u64 = 2;
const GRND_INSECURE: u64 = 4;

fn getrandom(ctx: &mut Ctx) -> LxResult {
    let (buf, len, flags) = (ctx.args[0], ctx.args[1], ctx.args[2]);
    if flags & !(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE) != 0 || flags & GRND_RANDOM != 0 && flags & GRND_INSECURE != 0 {
        return Err(EINVAL);
    }
    // Linux caps one call at 32 MiB - 1 (and 512 bytes for GRND_RANDOM).
    let len = len.min(if flags & GRND_RANDOM != 0 { 512 } else { (1 << 25) - 1 });
    ctx.check(buf, len, crate::platform::Access::Write)?;
    let path = b"/dev/urandom\0";
    let fd = ctx.nb(nb::SYS_open, [path.as_ptr() as u64, 0, 0, 0, 0, 0])?[0];
    let r = ctx.nb(nb::SYS_read, [fd, buf, len, 0, 0, 0]);
    ctx.nb(nb::SYS_close, [fd, 0, 0, 0, 0, 0]).ok();
    Ok(r?[0])
}

/// Number of CPUs the rump kernel offers (hw.ncpu).
fn ncpu(ctx: &mut Ctx) -> Result<u32, crate::Errno> {
    let mib = [sysctl::CTL_HW, sysctl::HW_NCPU];
    let mut n: i32 = 0;
    let mut len: usize = 4;
    ctx.nb(nb::SYS___sysctl, [mib.as_ptr() as u64, 2, &mut n as *mut _ as u64, &mut len as *mut _ as u64, 0, 0])?;
    Ok(n.max(1) as u32)
}

/// A thread of this process named by a sched_* call (0: the caller).
fn own_thread(ctx: &Ctx, pid: i32) -> Result<(), crate::Errno> {
    if pid < 0 {
        return Err(EINVAL);
    }
    if pid != 0 && !ctx.p.thread_exists(pid) {
        return Err(ESRCH);
    }
    Ok(())
}

fn sched_getaffinity(ctx: &mut Ctx) -> LxResult {
    let (pid, size, mask) = (ctx.int(0), ctx.args[1], ctx.args[2]);
    own_thread(ctx, pid)?;
    let n = ncpu(ctx)?;
    // The kernel's cpumask is a multiple of longs and must hold every CPU.
    let bytes = (n as u64).div_ceil(64) * 8;
    if size < bytes || size % 8 != 0 {
        return Err(EINVAL);
    }
    let all = if n >= 64 { u64::MAX } else { (1u64 << n) - 1 };
    let set = if ctx.thread.affinity != 0 && (pid == 0 || pid == ctx.thread.tid) { ctx.thread.affinity & all } else { all };
    let out = ctx.guest_bytes_mut(mask, bytes as usize).map_err(|_| EFAULT)?;
    out.fill(0);
    for cpu in (0..n as usize).filter(|c| *c >= 64 || set & (1 << c) != 0) {
        out[cpu / 8] |= 1 << (cpu % 8);
    }
    Ok(bytes)
}

fn sched_setaffinity(ctx: &mut Ctx) -> LxResult {
    let (pid, size, mask) = (ctx.int(0), ctx.args[1], ctx.args[2]);
    own_thread(ctx, pid)?;
    let n = ncpu(ctx)?;
    let bytes = ctx.guest_bytes(mask, (size as usize).min(8))?;
    let mut word = [0u8; 8];
    word[..bytes.len()].copy_from_slice(bytes);
    let all = if n >= 64 { u64::MAX } else { (1u64 << n) - 1 };
    let set = u64::from_le_bytes(word) & all;
    if set == 0 {
        return Err(EINVAL);
    }
    if pid == 0 || pid == ctx.thread.tid {
        ctx.thread.affinity = set;
    }
    Ok(0)
}

const SCHED_OTHER: i32 = 0;
const SCHED_FIFO: i32 = 1;
const SCHED_RR: i32 = 2;
const SCHED_BATCH: i32 = 3;
const SCHED_IDLE: i32 = 5;
const SCHED_RESET_ON_FORK: i32 = 0x4000_0000;

fn sched_get_priority_max(ctx: &mut Ctx) -> LxResult {
    match ctx.int(0) {
        SCHED_FIFO | SCHED_RR => Ok(99),
        SCHED_OTHER | SCHED_BATCH | SCHED_IDLE => Ok(0),
        _ => Err(EINVAL),
    }
}

fn sched_get_priority_min(ctx: &mut Ctx) -> LxResult {
    match ctx.int(0) {
        SCHED_FIFO | SCHED_RR => Ok(1),
        SCHED_OTHER | SCHED_BATCH | SCHED_IDLE => Ok(0),
        _ => Err(EINVAL),
    }
}

fn sched_getscheduler(ctx: &mut Ctx) -> LxResult {
    own_thread(ctx, ctx.int(0))?;
    Ok(SCHED_OTHER as u64)
}

fn sched_getparam(ctx: &mut Ctx) -> LxResult {
    own_thread(ctx, ctx.int(0))?;
    ctx.write_struct(ctx.args[1], &0i32)?;
    Ok(0)
}

fn check_param(ctx: &Ctx, at: u64, policy: i32) -> LxResult {
    let prio: i32 = ctx.read_struct(at)?;
    match policy & !SCHED_RESET_ON_FORK {
        SCHED_OTHER | SCHED_BATCH | SCHED_IDLE if prio == 0 => Ok(0),
        SCHED_OTHER | SCHED_BATCH | SCHED_IDLE => Err(EINVAL),
        SCHED_FIFO | SCHED_RR if (1..=99).contains(&prio) => Err(EPERM),
        _ => Err(EINVAL),
    }
}

fn sched_rr_get_interval(ctx: &mut Ctx) -> LxResult {
    own_thread(ctx, ctx.int(0))?;
    ctx.write_struct(ctx.args[1], &abi_netbsd::structs::Timespec::default())?;
    Ok(0)
}

fn sched_setscheduler(ctx: &mut Ctx) -> LxResult {
    own_thread(ctx, ctx.int(0))?;
    check_param(ctx, ctx.args[2], ctx.int(1))
}

fn sched_setparam(ctx: &mut Ctx) -> LxResult {
    own_thread(ctx, ctx.int(0))?;
    check_param(ctx, ctx.args[1], SCHED_OTHER)
}

fn getcpu(ctx: &mut Ctx) -> LxResult {
    for at in [ctx.args[0], ctx.args[1]] {
        if at != 0 {
            ctx.write_struct(at, &0u32)?;
        }
    }
    Ok(0)
}
