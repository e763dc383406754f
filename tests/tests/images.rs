//! `rumplx run --backend librump --image FILE:DIR[:TYPE][:ro]`: file-system images made here by
//! the host's own tools (mkfs.ext2 -d, mkfs.fat + mcopy, genisoimage, makefs), mounted by NetBSD's
//! drivers in the rump kernel, read with busybox under rumplx and compared with the files they were
//! made from; what the guest writes is read back with the host's tools (debugfs, mtype, fsck).
//!
//! Needs NetBSD's rump kernel libraries in RUMPLX_LIBRUMP_DIR when the tests are built and run:
//! without them (see tests/build.rs) the librump tests are ignored, with the reason on their line.
//! The refusal of `--image` by the embedded backend is tested everywhere.

use rumplx_tests::*;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const BUSYBOX: &str = "/bin/busybox";

/// The rump kernel's library directory (tests/build.rs found the libraries there).
fn librump_dir() -> PathBuf {
    let dir = std::env::var_os("RUMPLX_LIBRUMP_DIR").filter(|v| !v.is_empty()).map(PathBuf::from);
    let dir = dir.expect("RUMPLX_LIBRUMP_DIR was set when the tests were built: set it again");
    let present = ["librumpuser.so", "librump.so", "librumpvfs.so", "librumpfs_tmpfs.so"]
        .iter()
        .all(|l| dir.join(l).exists() || dir.join("lib").join(l).exists());
    assert!(present, "no NetBSD rump kernel libraries in {} (RUMPLX_LIBRUMP_DIR)", dir.display());
    dir
}

fn host_tool(name: &str) -> PathBuf {
    which(name).unwrap_or_else(|| panic!("{name} missing: run tests/setup.sh (installs the image tools)"))
}

/// Runs a host tool; panics with its output unless it succeeds. Returns its stdout.
fn host(dir: &Path, tool: &str, args: &[&str]) -> Vec<u8> {
    let o = Command::new(host_tool(tool)).args(args).current_dir(dir).output().unwrap();
    assert!(
        o.status.success(),
        "{tool} {args:?} failed ({:?}): {}{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    o.stdout
}

/// `rumplx run --backend librump --librump-dir LIB OPTS -- PROGRAM ARGS`.
fn rx(lib: &Path, dir: &Path, opts: &[&str], program: &[&str]) -> Output {
    let mut a = vec!["run", "--backend", "librump", "--librump-dir", lib.to_str().unwrap()];
    a.extend_from_slice(opts);
    a.push("--");
    a.extend_from_slice(program);
    run_rumplx_raw(&a, dir, Duration::from_secs(60))
}

fn expect_ok(what: &str, o: &Output) {
    assert_eq!(o.status, Status::Exited(0), "{what}: exit {:?}\nstdout: {}\nstderr: {}", o.status, o.stdout_str(), o.stderr_str());
}

// The tree every image is made from. Names are long (not 8.3) so that FAT keeps them as written.
const GREETING: &str = "hello from inside an image\n";
const NESTED: &str = "first line\nsecond line\nthird line\n";

/// Deterministic bytes, big enough for indirect blocks on every format.
fn blob() -> Vec<u8> {
    let mut x: u32 = 0x1234_5678;
    (0..300_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

fn make_tree(dir: &Path) -> PathBuf {
    let src = dir.join("tree");
    fs::create_dir_all(src.join("sub-directory")).unwrap();
    fs::write(src.join("greeting.text"), GREETING).unwrap();
    fs::write(src.join("sub-directory/nested-file.text"), NESTED).unwrap();
    fs::write(src.join("big-blob.data"), blob()).unwrap();
    src
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Format {
    Ext2,
    Msdos,
    Cd9660,
    Ffs,
}

impl Format {
    fn name(self) -> &'static str {
        match self {
            Format::Ext2 => "ext2fs",
            Format::Msdos => "msdos",
            Format::Cd9660 => "cd9660",
            Format::Ffs => "ffs",
        }
    }

    /// Builds `name` in `dir` from the tree with the host's tools.
    fn make(self, dir: &Path, name: &str) -> PathBuf {
        let src = make_tree(dir);
        let s = src.to_str().unwrap();
        match self {
            Format::Ext2 => {
                host(dir, "mkfs.ext2", &["-q", "-F", "-d", s, name, "8M"]);
            }
            Format::Msdos => {
                host(dir, "mkfs.fat", &["-C", name, "8192"]);
                for f in ["greeting.text", "big-blob.data", "sub-directory"] {
                    host(dir, "mcopy", &["-s", "-i", name, &format!("{s}/{f}"), "::/"]);
                }
            }
            Format::Cd9660 => {
                host(dir, "genisoimage", &["-quiet", "-R", "-J", "-o", name, s]);
            }
            Format::Ffs => {
                host(dir, "makefs", &["-t", "ffs", "-s", "8m", name, s]);
            }
        }
        fs::remove_dir_all(&src).unwrap();
        dir.join(name)
    }

    /// What `ls -1` of the image's root shows besides the tree.
    fn extra_root_entries(self) -> &'static [&'static str] {
        match self {
            Format::Ext2 => &["lost+found"],
            _ => &[],
        }
    }
}

fn md5(data: &[u8]) -> String {
    let d = fresh_dir("image-md5");
    fs::write(d.join("f"), data).unwrap();
    let out = host(&d, "busybox", &["md5sum", "f"]);
    String::from_utf8_lossy(&out).split_whitespace().next().unwrap().to_string()
}

/// Every file of the tree reads back through the format's NetBSD driver, and `ls` lists it.
fn reads(fmt: Format) {
    let test = format!("image_reads_{}", fmt.name());
    let lib = librump_dir();
    let d = fresh_dir(&test);
    let img = fmt.make(&d, "fs.img");
    // Told from the image's signature (no TYPE), then named.
    for spec in [format!("{}:/image", img.display()), format!("{}:/image:{}:ro", img.display(), fmt.name())] {
        let o = rx(&lib, &d, &["--image", &spec], &[BUSYBOX, "cat", "/image/greeting.text", "/image/sub-directory/nested-file.text"]);
        expect_ok(&format!("{test}: cat ({spec})"), &o);
        assert_eq!(o.stdout_str(), format!("{GREETING}{NESTED}"), "{test}: cat ({spec})");
    }
    let spec = format!("{}:/image", img.display());

    let o = rx(&lib, &d, &["--image", &spec], &[BUSYBOX, "ls", "-1", "/image", "/image/sub-directory"]);
    expect_ok(&format!("{test}: ls"), &o);
    let mut root: Vec<&str> = vec!["big-blob.data", "greeting.text", "sub-directory"];
    root.extend_from_slice(fmt.extra_root_entries());
    root.sort();
    let want = format!("/image:\n{}\n\n/image/sub-directory:\nnested-file.text\n", root.join("\n"));
    assert_eq!(o.stdout_str(), want, "{test}: ls");

    let o = rx(&lib, &d, &["--image", &spec], &[BUSYBOX, "md5sum", "/image/big-blob.data"]);
    expect_ok(&format!("{test}: md5sum"), &o);
    assert_eq!(o.stdout_str(), format!("{}  /image/big-blob.data\n", md5(&blob())), "{test}: md5sum of a 300 kB file");

    let o = rx(&lib, &d, &["--image", &spec], &[BUSYBOX, "wc", "-c", "/image/big-blob.data"]);
    expect_ok(&format!("{test}: wc"), &o);
    assert_eq!(o.stdout_str(), "300000 /image/big-blob.data\n", "{test}: size");
}

/// `:ro` mounts read-only: creating a file fails with EROFS (cd9660 always: a read-only medium).
fn read_only(fmt: Format) {
    let test = format!("image_read_only_{}", fmt.name());
    let lib = librump_dir();
    let d = fresh_dir(&test);
    let img = fmt.make(&d, "fs.img");
    let before = fs::read(&img).unwrap();
    let mut specs = vec![format!("{}:/ro:ro", img.display())];
    if fmt == Format::Cd9660 {
        specs.push(format!("{}:/ro", img.display()));
    }
    for spec in specs {
        let o = rx(&lib, &d, &["--image", &spec], &[BUSYBOX, "touch", "/ro/new-file"]);
        assert_eq!(o.status, Status::Exited(1), "{test}: touch on {spec} should fail\nstderr: {}", o.stderr_str());
        // The guest's stderr reaches the host's stdout on this backend (rumpcons).
        let said = format!("{}{}", o.stdout_str(), o.stderr_str());
        assert!(said.contains("touch: /ro/new-file: Read-only file system"), "{test} ({spec}): {said}");
    }
    assert!(fs::read(&img).unwrap() == before, "{test}: a read-only mount changed the image");
}

/// What the guest writes on a read-write mount is in the image afterwards, for the host's tools,
/// and the image is left consistent (unmounted when the run ends).
fn writes(fmt: Format) {
    let test = format!("image_writes_{}", fmt.name());
    let lib = librump_dir();
    let d = fresh_dir(&test);
    let img = fmt.make(&d, "fs.img");
    let spec = format!("{}:/disk-image:{}", img.display(), fmt.name());
    let text = "written by a guest under rumplx";
    // ash's builtin echo and a redirection: the shell itself writes the file.
    let o = rx(&lib, &d, &["--image", &spec], &[BUSYBOX, "sh", "-c", &format!("echo {text} > /disk-image/sub-directory/written-file.text")]);
    expect_ok(&format!("{test}: echo >"), &o);
    let o = rx(&lib, &d, &["--image", &spec], &[BUSYBOX, "cp", "/disk-image/big-blob.data", "/disk-image/copied-blob.data"]);
    expect_ok(&format!("{test}: cp"), &o);
    let o = rx(&lib, &d, &["--image", &spec], &[BUSYBOX, "mkdir", "/disk-image/made-directory"]);
    expect_ok(&format!("{test}: mkdir"), &o);
    let o = rx(&lib, &d, &["--image", &spec], &[BUSYBOX, "rm", "/disk-image/greeting.text"]);
    expect_ok(&format!("{test}: rm"), &o);

    let i = img.to_str().unwrap();
    match fmt {
        Format::Ext2 => {
            let got = host(&d, "debugfs", &["-R", "cat /sub-directory/written-file.text", i]);
            assert_eq!(String::from_utf8_lossy(&got), format!("{text}\n"), "{test}: debugfs cat");
            let got = host(&d, "debugfs", &["-R", "cat /copied-blob.data", i]);
            assert!(got == blob(), "{test}: the copy read by debugfs differs ({} bytes)", got.len());
            let ls = String::from_utf8_lossy(&host(&d, "debugfs", &["-R", "ls -l /", i])).into_owned();
            assert!(ls.contains("made-directory") && !ls.contains("greeting.text"), "{test}: debugfs ls /:\n{ls}");
            // e2fsck -n: exit 0 when the file system is consistent (and was unmounted cleanly).
            host(&d, "e2fsck", &["-f", "-n", i]);
        }
        Format::Msdos => {
            let got = host(&d, "mtype", &["-i", i, "::/sub-directory/written-file.text"]);
            assert_eq!(String::from_utf8_lossy(&got), format!("{text}\n"), "{test}: mtype");
            let got = host(&d, "mtype", &["-i", i, "::/copied-blob.data"]);
            assert!(got == blob(), "{test}: the copy read by mtype differs ({} bytes)", got.len());
            let ls = String::from_utf8_lossy(&host(&d, "mdir", &["-b", "-i", i, "::/"])).into_owned();
            assert!(ls.contains("made-directory") && !ls.contains("greeting.text"), "{test}: mdir:\n{ls}");
            host(&d, "fsck.fat", &["-n", i]);
        }
        // No host tool reads ffs: a second run does, through NetBSD's driver.
        Format::Ffs => {
            let o = rx(&lib, &d, &["--image", &spec], &[BUSYBOX, "cat", "/disk-image/sub-directory/written-file.text"]);
            expect_ok(&format!("{test}: cat after writing"), &o);
            assert_eq!(o.stdout_str(), format!("{text}\n"), "{test}: read back");
            let o = rx(&lib, &d, &["--image", &spec], &[BUSYBOX, "ls", "-1", "/disk-image"]);
            assert_eq!(o.stdout_str(), "big-blob.data\ncopied-blob.data\nmade-directory\nsub-directory\n", "{test}: ls after writing");
        }
        Format::Cd9660 => unreachable!("cd9660 is read-only"),
    }
}

#[test]
#[cfg_attr(not(librump), ignore = "needs NetBSD's rump kernel libraries: set RUMPLX_LIBRUMP_DIR")]
fn image_reads_ext2fs() {
    reads(Format::Ext2);
}

#[test]
#[cfg_attr(not(librump), ignore = "needs NetBSD's rump kernel libraries: set RUMPLX_LIBRUMP_DIR")]
fn image_reads_msdos() {
    reads(Format::Msdos);
}

#[test]
#[cfg_attr(not(librump), ignore = "needs NetBSD's rump kernel libraries: set RUMPLX_LIBRUMP_DIR")]
fn image_reads_cd9660() {
    reads(Format::Cd9660);
}

#[test]
#[cfg_attr(not(librump), ignore = "needs NetBSD's rump kernel libraries: set RUMPLX_LIBRUMP_DIR")]
fn image_reads_ffs() {
    reads(Format::Ffs);
}

#[test]
#[cfg_attr(not(librump), ignore = "needs NetBSD's rump kernel libraries: set RUMPLX_LIBRUMP_DIR")]
fn image_read_only_ext2fs() {
    read_only(Format::Ext2);
}

#[test]
#[cfg_attr(not(librump), ignore = "needs NetBSD's rump kernel libraries: set RUMPLX_LIBRUMP_DIR")]
fn image_read_only_msdos() {
    read_only(Format::Msdos);
}

#[test]
#[cfg_attr(not(librump), ignore = "needs NetBSD's rump kernel libraries: set RUMPLX_LIBRUMP_DIR")]
fn image_read_only_cd9660() {
    read_only(Format::Cd9660);
}

#[test]
#[cfg_attr(not(librump), ignore = "needs NetBSD's rump kernel libraries: set RUMPLX_LIBRUMP_DIR")]
fn image_read_only_ffs() {
    read_only(Format::Ffs);
}

#[test]
#[cfg_attr(not(librump), ignore = "needs NetBSD's rump kernel libraries: set RUMPLX_LIBRUMP_DIR")]
fn image_writes_ext2fs() {
    writes(Format::Ext2);
}

#[test]
#[cfg_attr(not(librump), ignore = "needs NetBSD's rump kernel libraries: set RUMPLX_LIBRUMP_DIR")]
fn image_writes_msdos() {
    writes(Format::Msdos);
}

#[test]
#[cfg_attr(not(librump), ignore = "needs NetBSD's rump kernel libraries: set RUMPLX_LIBRUMP_DIR")]
fn image_writes_ffs() {
    writes(Format::Ffs);
}

/// Two images at once, one inside the other's directory tree.
#[test]
#[cfg_attr(not(librump), ignore = "needs NetBSD's rump kernel libraries: set RUMPLX_LIBRUMP_DIR")]
fn image_two_at_once() {
    let test = "image_two_at_once";
    let lib = librump_dir();
    let d = fresh_dir(test);
    let a = Format::Ext2.make(&d, "a.img");
    let b = Format::Cd9660.make(&d, "b.iso");
    let o = rx(
        &lib,
        &d,
        &["--image", &format!("{}:/disk", a.display()), "--image", &format!("{}:/disk/cdrom", b.display())],
        &[BUSYBOX, "cat", "/disk/greeting.text", "/disk/cdrom/sub-directory/nested-file.text"],
    );
    expect_ok(test, &o);
    assert_eq!(o.stdout_str(), format!("{GREETING}{NESTED}"));
}

/// What cannot be mounted is refused at start: exit 125 and one line naming the cause.
#[test]
#[cfg_attr(not(librump), ignore = "needs NetBSD's rump kernel libraries: set RUMPLX_LIBRUMP_DIR")]
fn image_refusals_on_librump() {
    let test = "image_refusals_on_librump";
    let lib = librump_dir();
    let d = fresh_dir(test);
    let img = Format::Ext2.make(&d, "fs.img");
    fs::write(d.join("plain.txt"), "no file system here\n").unwrap();
    let i = img.to_str().unwrap();
    let plain = d.join("plain.txt");
    let p = plain.to_str().unwrap();
    let cases: Vec<(String, &str)> = vec![
        (format!("{p}:/x"), "has no ffs, ext2, FAT or ISO 9660 signature"),
        (format!("{i}:/x:msdos"), "cannot mount"),
        (format!("{i}:/x:ext4"), "expected FILE:DIR[:TYPE][:ro]"),
        (format!("{i}:relative"), "expected FILE:DIR[:TYPE][:ro]"),
        (format!("{}/absent.img:/x", d.display()), "No such file"),
        (format!("{i}:/usr/no-such-directory"), "must already exist on the host"),
    ];
    for (spec, msg) in cases {
        let o = rx(&lib, &d, &["--image", &spec], &[BUSYBOX, "true"]);
        assert_eq!(o.status, Status::Exited(125), "{spec}: {}", o.stderr_str());
        let line = format!("rumplx: --image {spec}: ");
        assert!(o.stderr_lines().iter().any(|l| l.starts_with(&line) && l.contains(msg)), "{spec}: wanted {msg:?} in:\n{}", o.stderr_str());
    }
    // A library directory without the ext2fs component.
    let partial = d.join("partial");
    fs::create_dir(&partial).unwrap();
    let libdir = if lib.join("librump.so").exists() { lib.clone() } else { lib.join("lib") };
    for e in fs::read_dir(&libdir).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.ends_with(".so") && name != "librumpfs_ext2fs.so" {
            std::os::unix::fs::symlink(e.path(), partial.join(&name)).unwrap();
        }
    }
    let spec = format!("{i}:/x");
    let o = rx(&partial, &d, &["--image", &spec], &[BUSYBOX, "true"]);
    assert_eq!(o.status, Status::Exited(125), "{}", o.stderr_str());
    assert!(o.stderr_str().contains("librumpfs_ext2fs.so is not in"), "{}", o.stderr_str());
}

/// The embedded backend mounts no images: `--image` is refused at start (runs everywhere).
#[test]
fn image_refused_by_embedded_backend() {
    let d = fresh_dir("image-embedded");
    fs::write(d.join("fs.img"), vec![0u8; 4096]).unwrap();
    for backend in [&[][..], &["--backend", "embedded"][..]] {
        let mut a = vec!["run"];
        a.extend_from_slice(backend);
        a.extend_from_slice(&["--image", "fs.img:/image", "--", BUSYBOX, "true"]);
        let o = run_rumplx_raw(&a, &d, Duration::from_secs(30));
        assert_eq!(o.status, Status::Exited(125), "{}", o.stderr_str());
        assert_eq!(
            o.stderr_str(),
            "rumplx: --image fs.img:/image: file-system images need --backend librump (NetBSD's own file-system drivers; the embedded backend mounts no images)\n"
        );
    }
}
