//! Processes, lwps and credentials (what `rump_pub_lwproc_*` manages).

use super::file::FdTable;
use super::hypercall;
use abi_netbsd::consts::rlimit as rl;
use abi_netbsd::errno as ne;
use abi_netbsd::structs::Rlimit;
use abi_netbsd::Errno;
use hashbrown::HashMap;
use std::sync::{Arc, Mutex};

/// Credentials of a process (`kauth_cred_t`).
#[derive(Clone, Debug)]
pub struct Cred {
    pub ruid: u32,
    pub euid: u32,
    pub svuid: u32,
    pub rgid: u32,
    pub egid: u32,
    pub svgid: u32,
    pub groups: Vec<u32>,
}

impl Cred {
    pub fn from_host() -> Cred {
        let (ruid, euid, rgid, egid, groups) = hypercall::host_creds();
        Cred {
            ruid,
            euid,
            svuid: euid,
            rgid,
            egid,
            svgid: egid,
            groups,
        }
    }

    pub fn is_root(&self) -> bool {
        self.euid == 0
    }

    /// Is `gid` the effective group or a supplementary one?
    pub fn in_group(&self, gid: u32) -> bool {
        self.egid == gid || self.groups.contains(&gid)
    }

    /// The credentials access(2) checks with: real ids instead of effective ones.
    pub fn real(&self) -> Cred {
        Cred {
            euid: self.ruid,
            egid: self.rgid,
            ..self.clone()
        }
    }

    /// setuid(2): root sets all three ids; others may only set the effective id to the real or
    /// saved one.
    pub fn setuid(&mut self, uid: u32) -> Result<(), Errno> {
        if self.is_root() {
            (self.ruid, self.euid, self.svuid) = (uid, uid, uid);
        } else if uid == self.ruid || uid == self.svuid {
            self.euid = uid;
        } else {
            return Err(ne::EPERM);
        }
        Ok(())
    }

    pub fn seteuid(&mut self, uid: u32) -> Result<(), Errno> {
        if !self.is_root() && uid != self.ruid && uid != self.svuid {
            return Err(ne::EPERM);
        }
        self.euid = uid;
        Ok(())
    }

    pub fn setgid(&mut self, gid: u32) -> Result<(), Errno> {
        if self.is_root() {
            (self.rgid, self.egid, self.svgid) = (gid, gid, gid);
        } else if gid == self.rgid || gid == self.svgid {
            self.egid = gid;
        } else {
            return Err(ne::EPERM);
        }
        Ok(())
    }

    pub fn setegid(&mut self, gid: u32) -> Result<(), Errno> {
        if !self.is_root() && gid != self.rgid && gid != self.svgid {
            return Err(ne::EPERM);
        }
        self.egid = gid;
        Ok(())
    }

    /// setreuid(2); u32::MAX (-1) leaves an id unchanged.
    pub fn setreuid(&mut self, r: u32, e: u32) -> Result<(), Errno> {
        let ok = |v: u32, s: &Cred| {
            v == u32::MAX || s.is_root() || v == s.ruid || v == s.euid || v == s.svuid
        };
        if !ok(r, self) || !ok(e, self) {
            return Err(ne::EPERM);
        }
        if e != u32::MAX {
            self.euid = e;
        }
        if r != u32::MAX {
            self.ruid = r;
        }
        if r != u32::MAX || (e != u32::MAX && e != self.ruid) {
            self.svuid = self.euid;
        }
        Ok(())
    }

    pub fn setregid(&mut self, r: u32, e: u32) -> Result<(), Errno> {
        let ok = |v: u32, s: &Cred| {
            v == u32::MAX || s.is_root() || v == s.rgid || v == s.egid || v == s.svgid
        };
        if !ok(r, self) || !ok(e, self) {
            return Err(ne::EPERM);
        }
        if e != u32::MAX {
            self.egid = e;
        }
        if r != u32::MAX {
            self.rgid = r;
        }
        if r != u32::MAX || (e != u32::MAX && e != self.rgid) {
            self.svgid = self.egid;
        }
        Ok(())
    }
}

/// A process: what lwps of one guest program share.
pub struct Proc {
    pub pid: i32,
    pub ppid: i32,
    pub pgid: i32,
    pub sid: i32,
    pub fds: Arc<Mutex<FdTable>>,
    /// Normalised absolute guest path.
    pub cwd: std::sync::Arc<str>,
    pub umask: u32,
    /// Shared with the per-call snapshots; a change makes a new one (Arc::make_mut).
    pub cred: std::sync::Arc<Cred>,
    pub limits: [Rlimit; rl::RLIM_NLIMITS as usize],
    pub lwps: Vec<i32>,
    /// What the process's layer published of itself (`ext_proc`), shared with its fork children
    /// until they publish their own.
    pub published: Option<Arc<Published>>,
    /// Ended and not yet reaped: no lwps, descriptors closed, ids kept for getpgid, getsid,
    /// setpgid's and setsid's group checks and the caller's kill.
    pub zombie: bool,
    /// Its children are reaped at their exit, nobody waiting for them (the caller's SIGCHLD is
    /// ignored or has SA_NOCLDWAIT; NetBSD's PS_NOCLDWAIT), set by [`crate::ext_events::SYS_EXT_nocldwait`].
    pub nocldwait: bool,
    /// Its controlling terminal (Linux keeps it per process: inherited at fork, dropped by
    /// setsid, TIOCNOTTY or the end of its session's leader).
    pub ctty: Option<super::ctty::TtyId>,
    /// The stop signal its SIGSTOP stands for while it is stopped ([`crate::ext_events::SYS_EXT_stop_signal`]).
    pub stop_signal: u32,
}

/// A process's own facts, as its layer published them (`SYS_EXT_proc_publish`).
#[derive(Debug, Default)]
pub struct Published {
    pub comm: [u8; 16],
    pub exe: Vec<u8>,
    pub args: Vec<u8>,
}

/// Initial resource limits: the host's, where it has the resource.
pub fn initial_limits() -> [Rlimit; rl::RLIM_NLIMITS as usize] {
    let inf = rl::RLIM_INFINITY as u64;
    let mut l = [Rlimit {
        rlim_cur: inf,
        rlim_max: inf,
    }; rl::RLIM_NLIMITS as usize];
    for (i, lim) in l.iter_mut().enumerate() {
        if let Some((c, m)) = hypercall::host_rlimit(i as u32) {
            *lim = Rlimit {
                rlim_cur: c,
                rlim_max: m,
            };
        }
    }
    // NetBSD's default socket buffer and thread limits.
    l[rl::RLIMIT_NTHR as usize] = Rlimit {
        rlim_cur: 1024,
        rlim_max: 2048,
    };
    l
}

/// Every process and lwp of one kernel.
#[derive(Default)]
pub struct ProcTable {
    /// Every process that exists for the guest, zombies included.
    pub procs: HashMap<i32, Proc>,
    /// Processes reaped before their last lwp went (the host process died and its parent waited
    /// before the server thread saw it): gone for every lookup by pid, kept only for the lwps
    /// still bound to them until those are released.
    pub defunct: HashMap<i32, Proc>,
    /// lwp id → pid.
    pub lwps: HashMap<i32, i32>,
    pub next_pid: i32,
    pub next_lwp: i32,
    /// Set once the first process (the one with host stdio) was created.
    pub had_first: bool,
    /// Which session each terminal controls, and its foreground group.
    pub terminals: super::ctty::Terminals,
}

impl ProcTable {
    /// Pids start at 2: 1 is init's, the notional parent of every process rforked from nothing
    /// (as orphans are reparented to init on NetBSD).
    pub fn alloc_pid(&mut self) -> i32 {
        loop {
            self.next_pid = if self.next_pid >= 30000 || self.next_pid < 2 {
                2
            } else {
                self.next_pid + 1
            };
            if !self.procs.contains_key(&self.next_pid) && !self.defunct.contains_key(&self.next_pid) {
                return self.next_pid;
            }
        }
    }

    pub fn alloc_lwp(&mut self, pid: i32) -> i32 {
        self.next_lwp += 1;
        let l = self.next_lwp;
        self.lwps.insert(l, pid);
        if let Some(p) = self.procs.get_mut(&pid) {
            p.lwps.push(l);
        }
        l
    }

    /// The process `pid` an lwp acts for: one that exists, or one reaped already whose lwps
    /// have not all gone.
    pub fn get(&self, pid: i32) -> Option<&Proc> {
        self.procs.get(&pid).or_else(|| self.defunct.get(&pid))
    }

    pub fn get_mut(&mut self, pid: i32) -> Option<&mut Proc> {
        match self.procs.get_mut(&pid) {
            Some(p) => Some(p),
            None => self.defunct.get_mut(&pid),
        }
    }

    /// Process `pid` (in `procs`) has ended: its descriptors are closed (the table is answered,
    /// to be dropped outside the table lock: closing may block on the host), its live children
    /// go to init and its zombie children are reaped as init would. It stays a zombie until its
    /// parent reaps it, unless nobody will (its parent is init, or ignores SIGCHLD): then it goes
    /// at once.
    pub fn exit(&mut self, pid: i32) -> Option<Arc<Mutex<FdTable>>> {
        let zombies: Vec<i32> = self
            .procs
            .values()
            .filter(|q| q.ppid == pid && q.zombie)
            .map(|q| q.pid)
            .collect();
        for z in zombies {
            self.procs.remove(&z);
        }
        for q in self.procs.values_mut().chain(self.defunct.values_mut()) {
            if q.ppid == pid {
                q.ppid = super::INIT_PID;
            }
        }
        let p = self.procs.get_mut(&pid)?;
        p.zombie = true;
        let fds = std::mem::take(&mut p.fds);
        {
            let t = fds.lock().unwrap();
            for fd in t.fds() {
                if let Ok(f) = t.get(fd) {
                    f.closed_by(pid);
                }
            }
        }
        let (ppid, leader) = (p.ppid, p.sid == pid);
        if leader {
            super::ctty::leader_exited(self, pid);
        }
        let awaited = ppid != super::INIT_PID
            && self
                .procs
                .get(&ppid)
                .is_some_and(|pp| !pp.zombie && !pp.nocldwait);
        if !awaited {
            self.forget(pid);
        }
        Some(fds)
    }

    /// Process `pid` is gone for every lookup by pid; lwps still bound to it keep it as defunct
    /// until they are released.
    pub fn forget(&mut self, pid: i32) {
        if let Some(p) = self.procs.remove(&pid) {
            if !p.lwps.is_empty() {
                self.defunct.insert(pid, p);
            }
        }
    }

    /// `caller` reaps its child `pid`, which its host process has ended: the zombie goes (or, if
    /// the kernel has not yet seen the end, the process ends and goes now). ECHILD when `pid` is
    /// not a child of `caller`.
    pub fn reap(&mut self, caller: i32, pid: i32) -> Result<Option<Arc<Mutex<FdTable>>>, Errno> {
        if pid <= 0 || !self.procs.get(&pid).is_some_and(|q| q.ppid == caller) {
            return Err(ne::ECHILD);
        }
        let fds = if self.procs[&pid].zombie {
            None
        } else {
            self.exit(pid)
        };
        self.forget(pid);
        Ok(fds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> Cred {
        Cred {
            ruid: 1000,
            euid: 1000,
            svuid: 1000,
            rgid: 100,
            egid: 100,
            svgid: 100,
            groups: vec![100],
        }
    }

    #[test]
    fn non_root_cannot_change_ids() {
        let mut c = user();
        assert_eq!(c.setuid(0), Err(ne::EPERM));
        assert_eq!(c.seteuid(0), Err(ne::EPERM));
        assert_eq!(c.setgid(0), Err(ne::EPERM));
        assert_eq!(c.setreuid(0, u32::MAX), Err(ne::EPERM));
        assert_eq!(c.setuid(1000), Ok(()));
        assert_eq!(c.setregid(u32::MAX, 100), Ok(()));
    }

    #[test]
    fn root_may() {
        let mut c = Cred {
            ruid: 0,
            euid: 0,
            svuid: 0,
            ..user()
        };
        assert_eq!(c.setuid(5), Ok(()));
        assert_eq!((c.ruid, c.euid, c.svuid), (5, 5, 5));
        assert_eq!(c.setuid(0), Err(ne::EPERM));
    }
}
