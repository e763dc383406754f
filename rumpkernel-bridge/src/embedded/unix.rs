//! What local sockets need beyond the host sockets behind them: Linux's abstract names (a bridge
//! extension, see [`crate::ext`]) and the ids LOCAL_PEEREID reports.
//!
//! Abstract names live here, in the kernel, never on a file system: each is a host socket
//! bound under a throwaway host name that is unlinked at once (as in-memory file systems bind
//! path names), reached through a path handle, and known only to this table. Every guest
//! process of a run reaches the one kernel, so the names are shared by all of them. A name is
//! taken while the open file of the socket bound to it lives; when that goes, the name is free
//! again, with no unlink. As on Linux, each socket type has its own names.
//!
//! Peer ids are recorded, as NetBSD records them, by socketpair (the creator, for both ends),
//! connect (the connecting process, for the accepting side) and listen (the listening process,
//! for the connecting side). Host sockets all live in the kernel's host process, so the host's
//! SO_PEERCRED cannot tell guest processes apart; the accepted side finds its connecting socket
//! through the host's sock_diag (its peer's inode).

use super::file::OpenFile;
use super::hypercall::{self, HostFd, SockAddr};
use super::syscalls::R;
use abi_netbsd::consts::socket_type as st;
use abi_netbsd::errno as ne;
use abi_netbsd::structs::Unpcbid;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

/// The longest abstract name: Linux's `sun_path`, 108 bytes, the leading NUL included.
pub const ABSTRACT_MAX: usize = 108;

struct Bound {
    sock: Weak<OpenFile>,
    handle: Arc<HostFd>,
    host: Vec<u8>,
}

struct Ids {
    /// What the other end sees: the process that connected (or created the pair).
    own: Option<Unpcbid>,
    /// What this end sees.
    peer: Option<Unpcbid>,
    sock: Weak<OpenFile>,
}

#[derive(Default)]
struct Inner {
    /// (socket type, name with its leading NUL) → the socket holding it.
    names: HashMap<(u32, Vec<u8>), Bound>,
    /// Host name of a bound socket → its abstract name.
    by_host: HashMap<Vec<u8>, Vec<u8>>,
    /// Host socket inode → its recorded ids.
    ids: HashMap<u64, Ids>,
    /// Host name of a socket bound to a path → that path as the guest gave it.
    paths: HashMap<Vec<u8>, (Vec<u8>, Weak<OpenFile>)>,
    /// Host name of a listening socket → the ids of the process that listened.
    listeners: HashMap<Vec<u8>, (Unpcbid, Weak<OpenFile>)>,
    /// Entries after the last sweep of `ids` and `listeners`.
    swept: usize,
    /// Where the next autobind name search starts.
    next_auto: u32,
}

impl Inner {
    fn sweep_names(&mut self) {
        let by_host = &mut self.by_host;
        self.names.retain(|_, b| {
            let live = b.sock.strong_count() > 0;
            if !live {
                by_host.remove(&b.host);
            }
            live
        });
    }

    /// Drops the ids of closed sockets once the tables have doubled since the last sweep.
    fn maybe_sweep_ids(&mut self) {
        let n = self.ids.len() + self.listeners.len() + self.paths.len();
        if n <= 2 * self.swept + 64 {
            return;
        }
        self.ids.retain(|_, i| i.sock.strong_count() > 0);
        self.listeners.retain(|_, l| l.1.strong_count() > 0);
        self.paths.retain(|_, p| p.1.strong_count() > 0);
        self.swept = self.ids.len() + self.listeners.len() + self.paths.len();
    }
}

#[derive(Default)]
pub(super) struct Unix {
    inner: Mutex<Inner>,
}

impl Unix {
    /// Binds host socket `fd` (of open file `file`) to abstract `name` (leading NUL included),
    /// or to a name of Linux's autobind shape, NUL and five hex digits, when `name` is None.
    pub fn bind(&self, file: &Arc<OpenFile>, fd: i32, name: Option<&[u8]>) -> R<()> {
        if name.is_some_and(|n| n.is_empty() || n[0] != 0 || n.len() > ABSTRACT_MAX) {
            return Err(ne::EINVAL);
        }
        let (ty, _) = hypercall::sock_kind(fd)?;
        // A socket has one name; autobinding a bound socket does nothing, as on Linux.
        if matches!(hypercall::sockname(fd, false)?, SockAddr::Unix(p) if !p.is_empty()) {
            return if name.is_none() {
                Ok(())
            } else {
                Err(ne::EINVAL)
            };
        }
        let mut g = self.inner.lock().unwrap();
        g.sweep_names();
        let name = match name {
            Some(n) if g.names.contains_key(&(ty, n.to_vec())) => return Err(ne::EADDRINUSE),
            Some(n) => n.to_vec(),
            None => {
                if g.next_auto == 0 {
                    let mut seed = [0u8; 4];
                    let _ = hypercall::getrandom(seed.as_mut_ptr(), seed.len());
                    g.next_auto = u32::from_ne_bytes(seed) | 1 << 20;
                }
                let mut found = None;
                for _ in 0..=0xfffff {
                    let n = g.next_auto & 0xfffff;
                    g.next_auto = (n + 1) | 1 << 20;
                    let cand = format!("\0{n:05x}").into_bytes();
                    if !g.names.contains_key(&(ty, cand.clone())) {
                        found = Some(cand);
                        break;
                    }
                }
                found.ok_or(ne::ENOSPC)?
            }
        };
        let mut host = Vec::new();
        let handle = hypercall::bind_anon_unix(|p: &[u8]| {
            host = p.to_vec();
            hypercall::bind(fd, &SockAddr::Unix(p.to_vec()))
        })?;
        g.by_host.insert(host.clone(), name.clone());
        g.names.insert(
            (ty, name),
            Bound {
                sock: Arc::downgrade(file),
                handle: Arc::new(handle),
                host,
            },
        );
        Ok(())
    }

    /// The handle reaching the socket of type `ty` bound to abstract `name` (ECONNREFUSED, as on
    /// Linux, when there is none).
    pub fn lookup(&self, ty: u32, name: &[u8]) -> R<Arc<HostFd>> {
        let g = self.inner.lock().unwrap();
        match g.names.get(&(ty, name.to_vec())) {
            Some(b) if b.sock.strong_count() > 0 => Ok(b.handle.clone()),
            _ => Err(ne::ECONNREFUSED),
        }
    }

    /// The open file of the socket of type `ty` bound to abstract `name`, while it lives.
    pub fn bound_file(&self, ty: u32, name: &[u8]) -> Option<Arc<OpenFile>> {
        let g = self.inner.lock().unwrap();
        g.names.get(&(ty, name.to_vec()))?.sock.upgrade()
    }

    /// The abstract name behind host name `host`, if it is one.
    pub fn abstract_name(&self, host: &[u8]) -> Option<Vec<u8>> {
        self.inner.lock().unwrap().by_host.get(host).cloned()
    }

    /// After host socket `fd` was bound to guest path `guest` (the bytes the caller gave):
    /// reported addresses show that path rather than the host's name for it.
    pub fn bound_path(&self, fd: i32, file: &Arc<OpenFile>, guest: &[u8]) {
        let Ok(SockAddr::Unix(host)) = hypercall::sockname(fd, false) else {
            return;
        };
        if host.is_empty() {
            return;
        }
        let mut g = self.inner.lock().unwrap();
        g.maybe_sweep_ids();
        g.paths.insert(host, (guest.to_vec(), Arc::downgrade(file)));
    }

    /// The guest path a socket with host name `host` was bound to. A throwaway host name is
    /// the kernel's own and never reused; a name in a host directory counts only while the
    /// socket bound to it lives (the host may give it to another socket later).
    pub fn guest_path(&self, host: &[u8]) -> Option<Vec<u8>> {
        let g = self.inner.lock().unwrap();
        g.paths
            .get(host)
            .filter(|p| hypercall::is_private_name(host) || p.1.strong_count() > 0)
            .map(|p| p.0.clone())
    }

    fn record(
        &self,
        fd: i32,
        file: &Arc<OpenFile>,
        own: Option<Unpcbid>,
        peer: Option<Unpcbid>,
    ) -> R<()> {
        let ino = hypercall::sock_ino(fd)?;
        let mut g = self.inner.lock().unwrap();
        g.maybe_sweep_ids();
        g.ids.insert(
            ino,
            Ids {
                own,
                peer,
                sock: Arc::downgrade(file),
            },
        );
        Ok(())
    }

    /// socketpair: each end sees the creator.
    pub fn paired(&self, fd: i32, file: &Arc<OpenFile>, id: Unpcbid) -> R<()> {
        self.record(fd, file, Some(id), Some(id))
    }

    /// Before a host connect of a stream or seqpacket socket: the accepting side will see `id`
    /// (recorded first, so a server that accepts at once finds it).
    pub fn connecting(&self, fd: i32, file: &Arc<OpenFile>, id: Unpcbid) -> R<()> {
        if !Self::connection_oriented(fd) {
            return Ok(());
        }
        self.record(fd, file, Some(id), None)
    }

    /// After a host connect succeeded: this side sees the process that listened.
    pub fn connected(&self, fd: i32) {
        if !Self::connection_oriented(fd) {
            return;
        }
        let (Ok(SockAddr::Unix(to)), Ok(ino)) =
            (hypercall::sockname(fd, true), hypercall::sock_ino(fd))
        else {
            return;
        };
        let mut g = self.inner.lock().unwrap();
        let l = g
            .listeners
            .get(&to)
            .filter(|l| l.1.strong_count() > 0)
            .map(|l| l.0);
        if let Some(i) = g.ids.get_mut(&ino) {
            i.peer = l;
        }
    }

    /// Before a host listen: connecting sockets will see `id`.
    pub fn listening(&self, fd: i32, file: &Arc<OpenFile>, id: Unpcbid) {
        if !Self::connection_oriented(fd) {
            return;
        }
        let Ok(SockAddr::Unix(name)) = hypercall::sockname(fd, false) else {
            return;
        };
        if name.is_empty() {
            return;
        }
        let mut g = self.inner.lock().unwrap();
        g.maybe_sweep_ids();
        g.listeners.insert(name, (id, Arc::downgrade(file)));
    }

    fn connection_oriented(fd: i32) -> bool {
        use abi_netbsd::consts::address_family as af;
        matches!(
            hypercall::sock_kind(fd),
            Ok((st::SOCK_STREAM | st::SOCK_SEQPACKET, af::AF_UNIX))
        )
    }

    /// LOCAL_PEEREID of local socket `fd`: ENOTCONN when nothing was recorded for its peer.
    pub fn peer_ids(&self, fd: i32) -> R<Unpcbid> {
        let ino = hypercall::sock_ino(fd)?;
        if let Some(p) = self
            .inner
            .lock()
            .unwrap()
            .ids
            .get(&ino)
            .and_then(|i| i.peer)
        {
            return Ok(p);
        }
        if Self::connection_oriented(fd) {
            // An accepted socket: its peer is the socket that connected.
            let peer = hypercall::unix_peer_ino(ino).map_err(|_| ne::ENOPROTOOPT)?;
            if peer != 0 {
                if let Some(p) = self
                    .inner
                    .lock()
                    .unwrap()
                    .ids
                    .get(&peer)
                    .and_then(|i| i.own)
                {
                    return Ok(p);
                }
            }
        }
        // A peer outside the run (a host program's socket): its ids, with a pid outside the
        // guest's pid space (0, as Linux reports such a pid).
        match hypercall::host_peercred(fd) {
            Ok((pid, uid, gid)) if pid > 0 && pid != hypercall::host_pid() => Ok(Unpcbid {
                unp_pid: 0,
                unp_euid: uid,
                unp_egid: gid,
            }),
            _ => Err(ne::ENOTCONN),
        }
    }
}
