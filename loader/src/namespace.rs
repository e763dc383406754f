//! The guest's file namespace, built on the bridge from the command-line options: the host tree (or
//! `--root`) at /, volumes, tmpfs mounts, and the layer's own hidden directory.

use rumpkernel_bridge::{HostKind, RumpKernel};

use crate::{Failure, RunArgs};

/// Where the personality keeps its generated files (/proc contents) and host facts it reads.
pub const LAYER_TMP: &str = "/.rumplx/tmp";
pub const LAYER_HOST: &str = "/.rumplx/host";

fn errno_text(e: rumpkernel_bridge::Errno) -> String {
    e.name().map(str::to_string).unwrap_or_else(|| format!("errno {}", e.0))
}

/// Registers everything the options ask for. Fails with a clear message on the first option that
/// cannot be honoured.
pub fn build(kernel: &dyn RumpKernel, args: &RunArgs) -> Result<(), Failure> {
    let root = args.root.as_deref().unwrap_or("/");
    let meta = std::fs::metadata(root).map_err(|e| Failure::Other(format!("--root {root}: {e}")))?;
    if !meta.is_dir() {
        return Err(Failure::Other(format!("--root {root}: not a directory")));
    }
    kernel
        .register_host("/", root, HostKind::Dir, false)
        .map_err(|e| Failure::Other(format!("cannot use {root} as the guest's root: {}", errno_text(e))))?;
    for v in &args.volumes {
        let (host, guest, ro) = parse_volume(v)?;
        let meta = std::fs::metadata(host).map_err(|e| Failure::Other(format!("--volume {v}: {host}: {e}")))?;
        let kind = if meta.is_dir() { HostKind::Dir } else { HostKind::File };
        kernel
            .register_host(guest, host, kind, ro)
            .map_err(|e| Failure::Other(format!("--volume {v}: {}", errno_text(e))))?;
    }
    for t in &args.tmpfs {
        if !t.starts_with('/') {
            return Err(Failure::Other(format!("--tmpfs {t}: the path must be absolute")));
        }
        kernel.mount_tmpfs(t).map_err(|e| Failure::Other(format!("--tmpfs {t}: {}", errno_text(e))))?;
    }
    kernel
        .mount_tmpfs(LAYER_TMP)
        .map_err(|e| Failure::Other(format!("cannot set up {LAYER_TMP}: {}", errno_text(e))))?;
    // Host facts the personality's /proc serves (the host is Linux; the guest expects its format).
    for name in ["cpuinfo", "meminfo"] {
        let host = format!("/proc/{name}");
        if std::path::Path::new(&host).exists() {
            kernel
                .register_host(&format!("{LAYER_HOST}/{name}"), &host, HostKind::File, true)
                .map_err(|e| Failure::Other(format!("cannot register {host}: {}", errno_text(e))))?;
        }
    }
    Ok(())
}

/// Splits `HOST:GUEST[:ro]`.
fn parse_volume(v: &str) -> Result<(&str, &str, bool), Failure> {
    let bad = || Failure::Other(format!("--volume {v}: expected HOST:GUEST or HOST:GUEST:ro"));
    let mut parts = v.split(':');
    let host = parts.next().filter(|s| !s.is_empty()).ok_or_else(bad)?;
    let guest = parts.next().filter(|s| s.starts_with('/')).ok_or_else(bad)?;
    let ro = match parts.next() {
        None => false,
        Some("ro") => true,
        Some("rw") => false,
        Some(_) => return Err(bad()),
    };
    if parts.next().is_some() {
        return Err(bad());
    }
    Ok((host, guest, ro))
}
