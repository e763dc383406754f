//! The guest's file namespace, built on the bridge from the command-line options: the host tree (or
//! `--root`) at /, volumes, tmpfs mounts, and the layer's own hidden directory.

use std::sync::Arc;

use rumpkernel_bridge::fsimage::FsType;
use rumpkernel_bridge::{embedded::EmbeddedKernel, librump, HostKind, RumpKernel};

use crate::{Backend, Failure, RunArgs};

/// Where the personality keeps its generated files (/proc contents) and host facts it reads.
pub const LAYER_TMP: &str = "/.rumplx/tmp";
pub const LAYER_HOST: &str = "/.rumplx/host";

fn errno_text(e: rumpkernel_bridge::Errno) -> String {
    e.name().map(str::to_string).unwrap_or_else(|| format!("errno {}", e.0))
}

/// The kernel `--backend` names. Options the backend cannot honour are refused here, before
/// anything is loaded.
pub fn kernel(args: &RunArgs) -> Result<Arc<dyn RumpKernel>, Failure> {
    match args.backend {
        Backend::Embedded => {
            if args.librump_dir.is_some() {
                return Err(Failure::Other("--librump-dir is only for --backend librump".into()));
            }
            if args.net.is_some() {
                return Err(Failure::Other(
                    "--net is only for --backend librump (the embedded backend's sockets are always the host's)".into(),
                ));
            }
            if let Some(v) = args.images.first() {
                return Err(Failure::Other(format!(
                    "--image {v}: file-system images need --backend librump (NetBSD's own file-system drivers; the embedded backend mounts no images)"
                )));
            }
            Ok(Arc::new(EmbeddedKernel::new()))
        }
        Backend::Librump => {
            librump_refusals(args)?;
            let dir = librump::library_dir(args.librump_dir.as_deref().map(std::path::Path::new)).ok_or_else(|| {
                Failure::Other(format!(
                    "--backend librump: no library directory (give --librump-dir DIR or set {})",
                    librump::DIR_ENV
                ))
            })?;
            let net = match args.net {
                None | Some(crate::NetStack::Sockin) => librump::NetStack::Sockin,
                Some(crate::NetStack::Netinet) => librump::NetStack::Netinet,
            };
            let k = librump::LibrumpKernel::open(&dir, net).map_err(Failure::Other)?;
            for v in &args.images {
                let img = parse_image(v)?;
                if !k.has_component(img.fs) {
                    return Err(Failure::Other(format!(
                        "--image {v}: {} is not in {} (the rump kernel's {} file-system component)",
                        librump::LibrumpKernel::component_of(img.fs),
                        k.dir().display(),
                        img.fs
                    )));
                }
            }
            Ok(k)
        }
    }
}

/// What NetBSD's rump kernel cannot do of what the options ask (etfs registrations are neither
/// read-only nor confined; its root is its own rumpfs).
fn librump_refusals(args: &RunArgs) -> Result<(), Failure> {
    if let Some(root) = &args.root {
        return Err(Failure::Other(format!(
            "--root {root}: not available with --backend librump (the rump kernel's root is its rumpfs; etfs directories are not confined)"
        )));
    }
    for v in &args.volumes {
        let (host, _, ro) = parse_volume(v)?;
        if ro {
            return Err(Failure::Other(format!("--volume {v}: read-only volumes are not available with --backend librump (etfs has no read-only registrations)")));
        }
        if std::fs::metadata(host).is_ok_and(|m| m.is_dir()) {
            return Err(Failure::Other(format!("--volume {v}: directory volumes are not available with --backend librump (etfs directories follow host symlinks: not confined)")));
        }
    }
    for v in &args.images {
        parse_image(v)?;
    }
    Ok(())
}

/// On librump the root is rumpfs: the host's top-level directories and files appear at their own
/// paths through etfs (the host's /proc, /sys, /dev and /tmp excepted: the kernel has its own).
fn build_librump_root(kernel: &dyn RumpKernel) -> Result<(), Failure> {
    let entries = std::fs::read_dir("/").map_err(|e| Failure::Other(format!("cannot read /: {e}")))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if ["proc", "sys", "dev", "tmp", "run", "lost+found"].contains(&name.as_str()) {
            continue;
        }
        let host = format!("/{name}");
        let Ok(meta) = std::fs::metadata(&host) else { continue };
        let kind = if meta.is_dir() { HostKind::Dir } else if meta.is_file() { HostKind::File } else { continue };
        // etfs matches a directory's key as a plain string prefix, so /lib already serves /lib64
        // (EEXIST); as every path here maps to itself, the answer is the same host path.
        match kernel.register_host(&host, &host, kind, false) {
            Ok(()) | Err(abi_netbsd::errno::EEXIST) => {}
            Err(e) => return Err(Failure::Other(format!("cannot register {host}: {}", errno_text(e)))),
        }
    }
    kernel.mount_tmpfs("/tmp").map_err(|e| Failure::Other(format!("cannot mount /tmp: {}", errno_text(e))))
}

/// Registers everything the options ask for. Fails with a clear message on the first option that
/// cannot be honoured.
pub fn build(kernel: &dyn RumpKernel, args: &RunArgs) -> Result<(), Failure> {
    if kernel.name() == "librump" {
        build_librump_root(kernel)?;
        return build_rest(kernel, args);
    }
    let root = args.root.as_deref().unwrap_or("/");
    let meta = std::fs::metadata(root).map_err(|e| Failure::Other(format!("--root {root}: {e}")))?;
    if !meta.is_dir() {
        return Err(Failure::Other(format!("--root {root}: not a directory")));
    }
    kernel
        .register_host("/", root, HostKind::Dir, false)
        .map_err(|e| Failure::Other(format!("cannot use {root} as the guest's root: {}", errno_text(e))))?;
    // The host tree is the guest's: its shared-memory directory too, which the kernel's own /dev
    // would otherwise hide (POSIX shm_open and sem_open live there).
    if args.root.is_none() && std::path::Path::new("/dev/shm").is_dir() {
        kernel
            .register_host("/dev/shm", "/dev/shm", HostKind::Dir, false)
            .map_err(|e| Failure::Other(format!("cannot register /dev/shm: {}", errno_text(e))))?;
    }
    build_rest(kernel, args)
}

/// Volumes, tmpfs mounts and the layer's own files, on any backend.
fn build_rest(kernel: &dyn RumpKernel, args: &RunArgs) -> Result<(), Failure> {
    for v in &args.volumes {
        let (host, guest, ro) = parse_volume(v)?;
        let meta = std::fs::metadata(host).map_err(|e| Failure::Other(format!("--volume {v}: {host}: {e}")))?;
        let kind = if meta.is_dir() { HostKind::Dir } else { HostKind::File };
        kernel
            .register_host(guest, host, kind, ro)
            .map_err(|e| Failure::Other(format!("--volume {v}: {}", errno_text(e))))?;
    }
    for v in &args.images {
        let img = parse_image(v)?;
        kernel.mount_image(&img.file, img.dir, img.fs, img.read_only).map_err(|e| {
            // etfs directories (the host's, at their own paths) cannot have entries created in them.
            let hint = if kernel.name() == "librump" && e == abi_netbsd::errno::ENOENT {
                " (a mount point inside a host directory must already exist on the host: the rump kernel creates nothing there)"
            } else {
                ""
            };
            Failure::Other(format!("--image {v}: cannot mount {} ({}) on {}: {}{hint}", img.file, img.fs, img.dir, errno_text(e)))
        })?;
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
    // Not on librump: etfs cannot register read-only, and serves a host file at the size it had.
    let facts: &[&str] = if kernel.name() == "librump" { &[] } else { &["cpuinfo", "meminfo"] };
    for name in facts {
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

/// One `--image FILE:DIR[:TYPE][:ro]`: the host file (absolute), where it goes, its format (named,
/// or told from its signature) and whether read-only.
struct ImageSpec<'a> {
    file: String,
    dir: &'a str,
    fs: FsType,
    read_only: bool,
}

/// Reads an `--image` option and the start of its file.
fn parse_image(v: &str) -> Result<ImageSpec<'_>, Failure> {
    let types = FsType::ALL.map(FsType::name).join(", ");
    let bad = || Failure::Other(format!("--image {v}: expected FILE:DIR[:TYPE][:ro] (TYPE one of {types})"));
    let mut parts = v.split(':');
    let file = parts.next().filter(|s| !s.is_empty()).ok_or_else(bad)?;
    let dir = parts.next().filter(|s| s.starts_with('/')).ok_or_else(bad)?;
    let (mut fs, mut read_only) = (None, None);
    for p in parts {
        match (p, FsType::from_name(p)) {
            ("ro" | "rw", _) if read_only.is_none() => read_only = Some(p == "ro"),
            (_, Some(t)) if fs.is_none() => fs = Some(t),
            _ => return Err(bad()),
        }
    }
    let meta = std::fs::metadata(file).map_err(|e| Failure::Other(format!("--image {v}: {file}: {e}")))?;
    use std::os::unix::fs::FileTypeExt;
    if !meta.is_file() && !meta.file_type().is_block_device() {
        return Err(Failure::Other(format!("--image {v}: {file}: not a regular file or block device")));
    }
    let fs = match fs {
        Some(t) => t,
        None => FsType::detect_file(std::path::Path::new(file))
            .map_err(|e| Failure::Other(format!("--image {v}: {file}: {e}")))?
            .ok_or_else(|| {
                Failure::Other(format!(
                    "--image {v}: {file} has no ffs, ext2, FAT or ISO 9660 signature: name its type (FILE:DIR:TYPE, one of {types})"
                ))
            })?,
    };
    let file = std::fs::canonicalize(file)
        .map_err(|e| Failure::Other(format!("--image {v}: {file}: {e}")))?
        .to_string_lossy()
        .into_owned();
    Ok(ImageSpec { file, dir, fs, read_only: read_only.unwrap_or(false) })
}
