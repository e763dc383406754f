//! The VFS: the mount table, path resolution across mounts, and the interface every file system
//! (rumpfs/tmpfs, host directories, devfs) implements.
//!
//! Resolution is NetBSD-like where it matters and simple where it may be: a path is made absolute
//! against the caller's cwd and lexically normalised; the longest mount prefix picks the file
//! system, which gets the rest. A symlink met by an in-memory file system sends resolution back up
//! here (the target may lie on another mount); host directories resolve their own symlinks,
//! confined to the registered tree.

use super::file::Object;
use super::hypercall::HostFd;
use super::proc::Cred;
use abi_netbsd::errno as ne;
use abi_netbsd::structs::{Stat, Statvfs, Timespec};
use abi_netbsd::Errno;
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

pub type FsResult<T> = Result<T, Errno>;

/// Who is asking, for permission checks and new-file modes.
pub struct Ctx<'a> {
    pub cred: &'a Cred,
    pub umask: u32,
}

/// Where walking a path inside one file system ended.
pub enum Walk {
    /// Every directory on the way exists (and the last component is not a symlink to follow).
    Done,
    /// A symlink at `prefix` (relative to the fs root) with `target`; `rest` is what followed it.
    Link {
        prefix: String,
        target: String,
        rest: String,
    },
}

/// What opening a path produced.
pub enum Opened {
    Object(Object),
    /// fdesc semantics (/dev/stdin, /dev/fd/N): the caller dups its own descriptor N.
    DupFd(i32),
}

/// One mounted file system. Paths (`rel`) are relative to its root, normalised, without leading
/// `/`; the empty string is the root. Callers resolve symlinks in parent directories first (via
/// [`FileSystem::walk`]), so ops see a parent made of real directories.
pub trait FileSystem: Send + Sync {
    /// Follows `rel` until the end (its last component too when `follow_last`), reporting the
    /// first symlink met. Errors for missing intermediate directories.
    fn walk(&self, rel: &str, follow_last: bool, cx: &Ctx) -> FsResult<Walk>;
    /// `follow` matters only to file systems that resolve their own symlinks (host directories);
    /// for the others the VFS has followed already.
    fn stat(&self, rel: &str, follow: bool, cx: &Ctx) -> FsResult<Stat>;
    /// Opens `rel` (the last component is already followed unless `O_NOFOLLOW` was asked).
    fn open(self: Arc<Self>, rel: &str, flags: u32, mode: u32, cx: &Ctx) -> FsResult<Opened>;
    fn mkdir(&self, rel: &str, mode: u32, cx: &Ctx) -> FsResult<()>;
    fn rmdir(&self, rel: &str, cx: &Ctx) -> FsResult<()>;
    /// mkfifo(2); file systems that cannot hold FIFOs say EOPNOTSUPP.
    fn mkfifo(&self, _rel: &str, _mode: u32, _cx: &Ctx) -> FsResult<()> {
        Err(ne::EOPNOTSUPP)
    }
    fn unlink(&self, rel: &str, cx: &Ctx) -> FsResult<()>;
    fn rename(&self, from: &str, to: &str, cx: &Ctx) -> FsResult<()>;
    /// Hard link `to` to the object at `from` (already followed if the caller wanted).
    fn link(&self, from: &str, to: &str, follow: bool, cx: &Ctx) -> FsResult<()>;
    fn symlink(&self, target: &str, rel: &str, cx: &Ctx) -> FsResult<()>;
    fn readlink(&self, rel: &str, cx: &Ctx) -> FsResult<Vec<u8>>;
    fn chmod(&self, rel: &str, mode: u32, follow: bool, cx: &Ctx) -> FsResult<()>;
    fn chown(&self, rel: &str, uid: u32, gid: u32, follow: bool, cx: &Ctx) -> FsResult<()>;
    /// `times` None means both "now"; entries may carry UTIME_NOW/UTIME_OMIT.
    fn utimens(
        &self,
        rel: &str,
        times: Option<[Timespec; 2]>,
        follow: bool,
        cx: &Ctx,
    ) -> FsResult<()>;
    fn truncate(&self, rel: &str, len: i64, cx: &Ctx) -> FsResult<()>;
    /// access(2) with `mode` R_OK|W_OK|X_OK bits, for the credentials in `cx` as given.
    fn access(&self, rel: &str, mode: u32, follow: bool, cx: &Ctx) -> FsResult<()>;
    fn statvfs(&self) -> FsResult<Statvfs>;
    /// The symlink-free path of `rel` inside this file system, for those that resolve their own
    /// symlinks (so a cwd reached through a link reads back as the real directory).
    fn canonical(&self, rel: &str) -> FsResult<String> {
        Ok(rel.to_string())
    }
    /// AF_UNIX bind at `rel`: `bind` binds the host socket to the host path it is given; the file
    /// system decides that path and makes the name appear at `rel`.
    fn unix_bind(
        &self,
        _rel: &str,
        _cx: &Ctx,
        _bind: &dyn Fn(&[u8]) -> FsResult<()>,
    ) -> FsResult<()> {
        Err(ne::EOPNOTSUPP)
    }
    /// AF_UNIX connect/sendto to `rel`: the host path reaching that socket, and the host handle the
    /// path goes through (keep it until the call is done).
    fn unix_path(&self, _rel: &str, _cx: &Ctx) -> FsResult<(Arc<HostFd>, Vec<u8>)> {
        Err(ne::EOPNOTSUPP)
    }
    /// Makes `rel` exist as a directory to cover with a mount (only in-memory file systems do).
    fn make_mountpoint(&self, _rel: &str, _dir: bool) {}
}

/// Normalises an absolute path lexically: no `.`, `..`, repeated or trailing `/`.
pub fn normalize(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for c in path.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    let mut s = String::with_capacity(path.len() + 1);
    for c in &out {
        s.push('/');
        s.push_str(c);
    }
    if s.is_empty() {
        s.push('/');
    }
    s
}

/// Joins `path` to the absolute directory `base` (unless `path` is absolute) and normalises it.
pub fn absolute(base: &str, path: &str) -> String {
    if path.starts_with('/') {
        normalize(path)
    } else {
        normalize(&format!("{base}/{path}"))
    }
}

/// Splits a normalised relative path into (parent, last component).
pub fn split_last(rel: &str) -> (&str, &str) {
    match rel.rfind('/') {
        Some(i) => (&rel[..i], &rel[i + 1..]),
        None => ("", rel),
    }
}

/// The last component of a path as the caller wrote it (before normalisation), for the calls
/// that must refuse `.` and `..` (rename, rmdir).
pub fn raw_last(path: &str) -> &str {
    path.trim_end_matches('/').rsplit('/').next().unwrap_or("")
}

/// Unix permission check: may `cred` do `want` (R_OK 4 | W_OK 2 | X_OK 1) on an object with
/// `mode`, `uid`, `gid`? Root may do anything but execute files nobody may execute.
pub fn permits(mode: u32, uid: u32, gid: u32, cred: &Cred, want: u32) -> bool {
    use abi_netbsd::consts::stat_mode as m;
    if cred.is_root() {
        let is_dir = mode & m::S_IFMT == m::S_IFDIR;
        return want & 1 == 0 || is_dir || mode & 0o111 != 0;
    }
    let bits = if cred.euid == uid {
        (mode >> 6) & 7
    } else if cred.in_group(gid) {
        (mode >> 3) & 7
    } else {
        mode & 7
    };
    bits & want == want
}

#[derive(Clone)]
pub struct Mount {
    pub path: String,
    pub fs: Arc<dyn FileSystem>,
}

/// A path resolved to a file system and the path inside it.
pub struct Resolved {
    pub mount: Mount,
    pub rel: String,
    /// The normalised absolute guest path of the object.
    pub abs: String,
}

/// The mount table, keyed by normalised guest path.
#[derive(Default)]
pub struct Vfs {
    mounts: RwLock<BTreeMap<String, Mount>>,
}

/// Relative part of `abs` below mount point `mp`, or None when `abs` is not under it.
fn below<'a>(abs: &'a str, mp: &str) -> Option<&'a str> {
    if mp == "/" {
        return Some(abs.trim_start_matches('/'));
    }
    let rest = abs.strip_prefix(mp)?;
    if rest.is_empty() {
        Some("")
    } else {
        rest.strip_prefix('/')
    }
}

impl Vfs {
    pub fn mount(&self, path: &str, fs: Arc<dyn FileSystem>, dir: bool) {
        let path = normalize(path);
        if path != "/" {
            // Make the covered name exist in the parent when it is in memory, so listings show it.
            let (mt, rel) = self.find(&path);
            mt.fs.make_mountpoint(&rel, dir);
        }
        self.mounts
            .write()
            .unwrap()
            .insert(path.clone(), Mount { path, fs });
    }

    /// The mount covering normalised absolute `abs`, and the path below it.
    pub fn find(&self, abs: &str) -> (Mount, String) {
        let m = self.mounts.read().unwrap();
        let mut best: Option<&Mount> = None;
        for (p, mt) in m.iter() {
            if below(abs, p).is_some() && best.is_none_or(|b| b.path.len() < p.len()) {
                best = Some(mt);
            }
        }
        let mt = best.expect("root is always mounted").clone();
        let rel = below(abs, &mt.path).unwrap().to_string();
        (mt, rel)
    }

    /// Is `abs` exactly a mount point?
    pub fn is_mountpoint(&self, abs: &str) -> bool {
        self.mounts.read().unwrap().contains_key(abs)
    }

    /// Resolves `path` (relative to `base`) to a file system and path in it: symlinks in
    /// directories are followed across mounts, the last component only when `follow`.
    pub fn resolve(&self, path: &str, base: &str, follow: bool, cx: &Ctx) -> FsResult<Resolved> {
        if path.is_empty() {
            return Err(ne::ENOENT);
        }
        if path.len() >= abi_netbsd::consts::limits::PATH_MAX as usize {
            return Err(ne::ENAMETOOLONG);
        }
        let mut abs = absolute(base, path);
        // A trailing slash asks for a directory: follow a final symlink as NetBSD does.
        let follow = follow || path.ends_with('/');
        let max = abi_netbsd::consts::limits::MAXSYMLINKS;
        for _ in 0..=max {
            let (mount, rel) = self.find(&abs);
            for comp in rel.split('/') {
                if super::name::encode(comp).len() > abi_netbsd::consts::limits::NAME_MAX as usize {
                    return Err(ne::ENAMETOOLONG);
                }
            }
            match mount.fs.walk(&rel, follow, cx)? {
                Walk::Done => return Ok(Resolved { mount, rel, abs }),
                Walk::Link {
                    prefix,
                    target,
                    rest,
                } => {
                    if target.is_empty() {
                        return Err(ne::ENOENT);
                    }
                    let dir = if prefix.is_empty() {
                        mount.path.clone()
                    } else {
                        format!("{}/{}", mount.path.trim_end_matches('/'), prefix)
                    };
                    let mut next = absolute(&dir, &target);
                    if !rest.is_empty() {
                        next = normalize(&format!("{next}/{rest}"));
                    }
                    abs = next;
                }
            }
        }
        Err(ne::ELOOP)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_is_lexical() {
        assert_eq!(normalize("/a/./b//c/"), "/a/b/c");
        assert_eq!(normalize("/../.."), "/");
        assert_eq!(normalize("/a/b/../../.."), "/");
        assert_eq!(absolute("/x/y", "../z"), "/x/z");
        assert_eq!(absolute("/x", "/abs/./p"), "/abs/p");
        assert_eq!(split_last("a/b/c"), ("a/b", "c"));
        assert_eq!(split_last("c"), ("", "c"));
        assert_eq!(raw_last("a/b/.."), "..");
        assert_eq!(raw_last("a/b/"), "b");
    }

    #[test]
    fn below_matches_whole_components() {
        assert_eq!(below("/tmp/x", "/tmp"), Some("x"));
        assert_eq!(below("/tmpx", "/tmp"), None);
        assert_eq!(below("/tmp", "/tmp"), Some(""));
        assert_eq!(below("/a", "/"), Some("a"));
        assert_eq!(below("/", "/"), Some(""));
    }

    proptest::proptest! {
        #[test]
        fn normalize_is_idempotent_and_clean(p in "(/|[a-c]|\\.|\\.\\.){0,12}") {
            let n = normalize(&format!("/{p}"));
            proptest::prop_assert_eq!(normalize(&n), n.clone());
            proptest::prop_assert!(n.starts_with('/'));
            proptest::prop_assert!(n == "/" || !n.ends_with('/'));
            proptest::prop_assert!(!n.split('/').any(|c| c == "." || c == ".."));
        }
    }
}
