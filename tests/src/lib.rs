//! End-to-end test helpers.
//!
//! Native execution is the oracle: every test runs a real static program twice, once directly and once
//! under `rumplx run`, each in a fresh temporary directory holding the same inputs (the same path, one
//! run after the other, so printed working directories agree), and compares stdout, the exit status,
//! the files left behind (type, permission bits, content; not times) and stderr (unless a test says it
//! is unstable, e.g. dd's transfer rate). A run that exceeds its timeout is killed and fails.
//!
//! What this crate is not: a unit-test crate for the translation tables (those live next to the tables
//! in abi-linux / abi-netbsd), and not a benchmark harness.
//!
//! Environment knobs:
//! - `RUMPLX_BIN`: the rumplx binary to test (default: `rumplx` next to the test executable's profile
//!   directory, built with `cargo build -p rumplx` if missing).
//! - `RUMPLX_TEST_TIMEOUT_SCALE`: multiply every per-run timeout (default 1).
//! - `RUMPLX_STATS_DIR=DIR`: every rumplx run of a case passes `--stats DIR/<case>.jsonl`, and each
//!   compared case appends its command and result there (tools/compat-matrix.sh uses it).
//! - `RUMPLX_TEST_KEEP=1`: keep every temporary directory, not only those of failing runs.
//! - `RUMPLX_NO_FAST_PATH=1`: run rumplx with `--no-fast-path` (every syscall trapped).
//! - `RUMPLX_TEST_BACKEND=librump`: run rumplx with `--backend librump --librump-dir
//!   $RUMPLX_LIBRUMP_DIR`; a failing case listed in [`librump_gaps::KNOWN_GAPS`] is reported with
//!   its reason instead of failing (the working directories must then be outside /tmp, which is the
//!   rump kernel's own tmpfs: set TMPDIR, as tests/run.sh does).
//!
//! `RUMPLX_BIN=$PWD/tests/fake-rumplx.sh` runs the "rumplx" side natively too: every comparison must
//! then pass, which shows the harness and the guest programs are deterministic.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

pub mod dns;
pub mod librump_gaps;
pub mod pty;
use std::time::{Duration, Instant, SystemTime};

// ---------------------------------------------------------------------------------------------------
// Locations
// ---------------------------------------------------------------------------------------------------

/// The workspace root (the directory holding the top-level Cargo.toml).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// `tests/guest`, where the C guest programs live.
pub fn guest_src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("guest")
}

/// The cargo profile directory this test binary was built into (`<target>/debug` for `cargo test`).
/// Test executables live in `<target>/<profile>/deps/`.
pub fn profile_dir() -> PathBuf {
    if let Ok(exe) = std::env::current_exe() {
        if let Some(deps) = exe.parent() {
            if deps.file_name().map(|n| n == "deps").unwrap_or(false) {
                if let Some(p) = deps.parent() {
                    return p.to_path_buf();
                }
            }
        }
    }
    workspace_root().join("target").join("debug")
}

/// The target directory (`<workspace>/target` unless CARGO_TARGET_DIR moved it).
pub fn target_dir() -> PathBuf {
    profile_dir().parent().map(Path::to_path_buf).unwrap_or_else(|| workspace_root().join("target"))
}

/// The rumplx binary under test. `RUMPLX_BIN` wins; otherwise `<profile>/rumplx`, built once with
/// `cargo build -p rumplx` when it does not exist yet.
pub fn rumplx_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(p) = std::env::var_os("RUMPLX_BIN") {
            let p = PathBuf::from(p);
            assert!(p.exists(), "RUMPLX_BIN={} does not exist", p.display());
            return p;
        }
        let prof = profile_dir();
        let bin = prof.join("rumplx");
        if !bin.exists() {
            let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
            let mut cmd = Command::new(cargo);
            cmd.current_dir(workspace_root()).args(["build", "-p", "rumplx"]);
            if prof.file_name().map(|n| n == "release").unwrap_or(false) {
                cmd.arg("--release");
            }
            let st = cmd.status().expect("running cargo build -p rumplx");
            assert!(st.success(), "cargo build -p rumplx failed: {st}");
            assert!(bin.exists(), "cargo build -p rumplx did not produce {}", bin.display());
        }
        bin
    })
}

fn timeout_scale() -> f64 {
    std::env::var("RUMPLX_TEST_TIMEOUT_SCALE").ok().and_then(|s| s.parse().ok()).unwrap_or(1.0)
}

// ---------------------------------------------------------------------------------------------------
// Guest program builds
// ---------------------------------------------------------------------------------------------------

/// Debian 12's musl-tools/musl-dev install musl here (`dpkg -L musl-dev`).
pub const MUSL_LIB: &str = "/usr/lib/x86_64-linux-musl";

/// The three ways every guest program is built.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Variant {
    /// `musl-gcc -static`: ET_EXEC, no interpreter.
    MuslStatic,
    /// musl static-pie linked by hand with rcrt1.o: ET_DYN, no PT_INTERP, self-relocating.
    MuslStaticPie,
    /// glibc `gcc -static`: ET_EXEC, IRELATIVE relocs, TLS set up by glibc.
    GlibcStatic,
}

impl Variant {
    pub const ALL: [Variant; 3] = [Variant::MuslStatic, Variant::MuslStaticPie, Variant::GlibcStatic];

    pub fn name(self) -> &'static str {
        match self {
            Variant::MuslStatic => "musl-static",
            Variant::MuslStaticPie => "musl-static-pie",
            Variant::GlibcStatic => "glibc-static",
        }
    }
}

impl std::fmt::Display for Variant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

fn mtime(p: &Path) -> Option<SystemTime> {
    fs::metadata(p).and_then(|m| m.modified()).ok()
}

fn run_tool(cmd: &mut Command) -> Result<String, String> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{cmd:?} failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn gcc_file(name: &str) -> Result<String, String> {
    run_tool(Command::new("gcc").arg(format!("-print-file-name={name}")))
}

/// Compile `tests/guest/<name>.c` as `variant` into the cache under the target directory and return
/// the binary's path. Rebuilt when the source (or common.h) is newer. Safe to call from parallel tests
/// and parallel test processes: each build goes to a unique temporary name and is renamed into place.
pub fn guest(name: &str, variant: Variant) -> PathBuf {
    match try_guest(name, variant) {
        Ok(p) => p,
        Err(e) => panic!("building guest {name} ({variant}): {e}"),
    }
}

pub fn try_guest(name: &str, variant: Variant) -> Result<PathBuf, String> {
    static LOCK: Mutex<()> = Mutex::new(());
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());

    let src = guest_src_dir().join(format!("{name}.c"));
    let header = guest_src_dir().join("common.h");
    if !src.exists() {
        return Err(format!("{} does not exist", src.display()));
    }
    // Bump GUEST_RECIPE when the compile or link commands below change: it names the cache.
    const GUEST_RECIPE: &str = "r2";
    let out_dir = target_dir().join("rumplx-guests").join(GUEST_RECIPE).join(variant.name());
    fs::create_dir_all(&out_dir).map_err(|e| e.to_string())?;
    let out = out_dir.join(name);
    if let Some(bin_t) = mtime(&out) {
        let newest = [mtime(&src), mtime(&header)].into_iter().flatten().max();
        if newest.map(|t| t <= bin_t).unwrap_or(true) {
            return Ok(out);
        }
    }
    static SEQ: AtomicUsize = AtomicUsize::new(0);
    let tmp = out_dir.join(format!(".{name}.{}.{}", std::process::id(), SEQ.fetch_add(1, Ordering::SeqCst)));
    let inc = format!("-I{}", guest_src_dir().display());
    let common = ["-O1", "-g", "-Wall", "-Wno-unused-result", "-Wno-unused-variable", "-Wno-deprecated-declarations"];
    let res = match variant {
        Variant::MuslStatic => run_tool(
            Command::new("musl-gcc").args(common).arg(&inc).arg("-static").arg("-o").arg(&tmp).arg(&src).arg("-lm"),
        ),
        Variant::GlibcStatic => run_tool(
            Command::new("gcc").args(common).arg(&inc).arg("-static").arg("-o").arg(&tmp).arg(&src).arg("-lm"),
        ),
        Variant::MuslStaticPie => {
            // Debian's `musl-gcc -static-pie` silently makes a *dynamic* PIE asking for
            // /lib/ld-musl-x86_64.so.1, so link by hand: rcrt1.o relocates the image itself.
            let obj = tmp.with_extension("o");
            let r = run_tool(
                Command::new("musl-gcc").args(common).arg(&inc).args(["-fPIE", "-c", "-o"]).arg(&obj).arg(&src),
            )
            .and_then(|_| {
                let crtbegin = gcc_file("crtbeginS.o")?;
                let crtend = gcc_file("crtendS.o")?;
                let libgcc = run_tool(Command::new("gcc").arg("-print-libgcc-file-name"))?;
                run_tool(
                    Command::new("gcc")
                        .args(["-static-pie", "-nostdlib", "-nostartfiles", "-o"])
                        .arg(&tmp)
                        .arg(format!("{MUSL_LIB}/rcrt1.o"))
                        .arg(format!("{MUSL_LIB}/crti.o"))
                        .arg(crtbegin)
                        .arg(&obj)
                        .arg(format!("-L{MUSL_LIB}"))
                        .args(["-Wl,--start-group", "-lm", "-lc"])
                        .arg(libgcc)
                        .arg("-Wl,--end-group")
                        .arg(crtend)
                        .arg(format!("{MUSL_LIB}/crtn.o")),
                )
            });
            let _ = fs::remove_file(&obj);
            r
        }
    };
    if let Err(e) = res {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    check_elf_kind(&tmp, variant)?;
    fs::rename(&tmp, &out).map_err(|e| e.to_string())?;
    Ok(out)
}

/// What an ELF file's headers say, parsed by hand (enough to check the build variants).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElfInfo {
    pub class64: bool,
    pub e_type: u16,
    pub machine: u16,
    pub interp: Option<String>,
    pub has_dynamic: bool,
}

pub fn elf_info(path: &Path) -> Result<ElfInfo, String> {
    let b = fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if b.len() < 64 || &b[..4] != b"\x7fELF" {
        return Err(format!("{}: not an ELF file", path.display()));
    }
    let u16_at = |o: usize| u16::from_le_bytes([b[o], b[o + 1]]);
    let u32_at = |o: usize| u32::from_le_bytes(b[o..o + 4].try_into().unwrap());
    let u64_at = |o: usize| u64::from_le_bytes(b[o..o + 8].try_into().unwrap());
    let class64 = b[4] == 2;
    if !class64 {
        return Ok(ElfInfo { class64, e_type: u16_at(16), machine: u16_at(18), interp: None, has_dynamic: false });
    }
    let (e_type, machine) = (u16_at(16), u16_at(18));
    let phoff = u64_at(32) as usize;
    let phentsize = u16_at(54) as usize;
    let phnum = u16_at(56) as usize;
    let mut interp = None;
    let mut has_dynamic = false;
    for i in 0..phnum {
        let o = phoff + i * phentsize;
        if o + 56 > b.len() {
            return Err("program headers beyond end of file".into());
        }
        match u32_at(o) {
            3 => {
                let off = u64_at(o + 8) as usize;
                let sz = u64_at(o + 32) as usize;
                let s = b.get(off..off + sz).unwrap_or(&[]);
                interp = Some(String::from_utf8_lossy(s).trim_end_matches('\0').to_string());
            }
            2 => has_dynamic = true,
            _ => {}
        }
    }
    Ok(ElfInfo { class64, e_type, machine, interp, has_dynamic })
}

fn check_elf_kind(path: &Path, variant: Variant) -> Result<(), String> {
    let i = elf_info(path)?;
    let ok = i.class64
        && i.machine == 62
        && i.interp.is_none()
        && match variant {
            Variant::MuslStatic | Variant::GlibcStatic => i.e_type == 2,
            Variant::MuslStaticPie => i.e_type == 3 && i.has_dynamic,
        };
    if ok {
        Ok(())
    } else {
        Err(format!("{} is not a {variant} binary: {i:?}", path.display()))
    }
}

/// All guest program names (tests/guest/*.c without the extension), sorted.
pub fn all_guest_names() -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(guest_src_dir())
        .unwrap()
        .filter_map(|e| {
            let p = e.ok()?.path();
            (p.extension()? == "c").then(|| p.file_stem().unwrap().to_string_lossy().into_owned())
        })
        .collect();
    v.sort();
    v
}

// ---------------------------------------------------------------------------------------------------
// Running
// ---------------------------------------------------------------------------------------------------

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Exited(i32),
    Signaled(i32),
    TimedOut,
}

impl Status {
    /// The status a shell would report: the exit code, or 128+N for death by signal N.
    pub fn code(self) -> Option<i32> {
        match self {
            Status::Exited(c) => Some(c),
            Status::Signaled(s) => Some(128 + s),
            Status::TimedOut => None,
        }
    }
}

/// One entry left in the run directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    File { mode: u32, size: u64, hash: u64, head: Vec<u8> },
    Dir { mode: u32 },
    Symlink { target: String },
    Other { mode: u32 },
}

/// The outcome of one run.
#[derive(Clone, Debug)]
pub struct Output {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub status: Status,
    pub files: BTreeMap<String, Entry>,
    pub dir: PathBuf,
    pub elapsed: Duration,
}

impl Output {
    pub fn stdout_str(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
    pub fn stderr_str(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
    pub fn stderr_lines(&self) -> Vec<String> {
        self.stderr_str().lines().map(str::to_string).collect()
    }
}

/// How to compare stdout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StdoutCmp {
    /// Byte for byte.
    Exact,
    /// Same lines as a multiset (for outputs whose order is unspecified, such as `find`).
    SortedLines,
    /// Both non-empty and every line made of ASCII digits (e.g. `date +%s`).
    BothNumeric,
    /// Not compared.
    Ignore,
}

/// A file or directory placed in the run directory before each run.
#[derive(Clone, Debug)]
pub enum Input {
    File { path: String, data: Vec<u8>, mode: u32 },
    Dir { path: String },
    Symlink { path: String, target: String },
}

/// A fixed timestamp (2021-01-01T00:00:00Z) for all inputs, so archives and gzip headers match.
pub const FIXED_TIME: u64 = 1_609_459_200;

type SetupFn = dyn Fn(&Path) + Send + Sync;

/// One program invocation, run natively and under rumplx and compared.
pub struct Case {
    pub label: String,
    pub program: PathBuf,
    pub args: Vec<String>,
    pub stdin: Option<Vec<u8>>,
    /// Redirect stdin from this file (relative to the run directory) instead of a pipe or /dev/null.
    pub stdin_file: Option<String>,
    /// Give the program a fresh pseudo-terminal (24 rows, 80 columns) as stdin.
    pub stdin_pty: bool,
    /// Send stdout to this file in the run directory (compared as a left file) instead of a pipe.
    pub stdout_file: Option<String>,
    pub inputs: Vec<Input>,
    pub env: Vec<(String, String)>,
    pub rumplx_opts: Vec<String>,
    /// A command the native run goes through (`WRAPPER... PROGRAM ARGS`), for what the native side
    /// needs that rumplx gets from its options (e.g. `unshare` bind-mounting a file where a
    /// `--volume` puts it).
    pub native_wrapper: Vec<String>,
    pub timeout: Duration,
    pub stdout_cmp: StdoutCmp,
    pub compare_stderr: bool,
    pub compare_files: bool,
    /// Copy the program into the run directory and invoke it as `./<name>`.
    pub program_in_dir: bool,
    pub setup: Option<Box<SetupFn>>,
}

static RUN_SEQ: AtomicUsize = AtomicUsize::new(0);

/// A fresh, empty directory for one run: `<tmp>/rumplx-e2e-<pid>-<seq>-<label>`.
pub fn fresh_dir(label: &str) -> PathBuf {
    let safe: String = label.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).take(60).collect();
    let d = std::env::temp_dir().join(format!(
        "rumplx-e2e-{}-{}-{}",
        std::process::id(),
        RUN_SEQ.fetch_add(1, Ordering::SeqCst),
        safe
    ));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).unwrap();
    d
}

/// The environment every run gets (host environment is cleared so native and rumplx see the same).
pub fn base_env() -> Vec<(String, String)> {
    vec![
        ("PATH".into(), "/usr/local/bin:/usr/bin:/bin".into()),
        ("LANG".into(), "C".into()),
        ("LC_ALL".into(), "C".into()),
        ("TZ".into(), "UTC".into()),
        ("HOME".into(), "/nonexistent-home".into()),
    ]
}

impl Case {
    pub fn new(label: impl Into<String>, program: impl Into<PathBuf>) -> Case {
        Case {
            label: label.into(),
            program: program.into(),
            args: vec![],
            stdin: None,
            stdin_file: None,
            stdin_pty: false,
            stdout_file: None,
            inputs: vec![],
            env: vec![],
            rumplx_opts: vec![],
            native_wrapper: vec![],
            timeout: Duration::from_secs(60),
            stdout_cmp: StdoutCmp::Exact,
            // The program's stderr must be what it is natively: rumplx adds nothing to a normal run.
            compare_stderr: true,
            compare_files: true,
            program_in_dir: false,
            setup: None,
        }
    }
    pub fn args<I: IntoIterator<Item = S>, S: Into<String>>(mut self, a: I) -> Self {
        self.args.extend(a.into_iter().map(Into::into));
        self
    }
    pub fn stdin(mut self, data: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(data.into());
        self
    }
    pub fn stdout_file(mut self, path: &str) -> Self {
        self.stdout_file = Some(path.into());
        self
    }
    pub fn stdin_pty(mut self, yes: bool) -> Self {
        self.stdin_pty = yes;
        self
    }
    pub fn stdin_file(mut self, path: &str) -> Self {
        self.stdin_file = Some(path.into());
        self
    }
    pub fn file(mut self, path: &str, data: impl Into<Vec<u8>>) -> Self {
        self.inputs.push(Input::File { path: path.into(), data: data.into(), mode: 0o644 });
        self
    }
    pub fn file_mode(mut self, path: &str, data: impl Into<Vec<u8>>, mode: u32) -> Self {
        self.inputs.push(Input::File { path: path.into(), data: data.into(), mode });
        self
    }
    pub fn dir(mut self, path: &str) -> Self {
        self.inputs.push(Input::Dir { path: path.into() });
        self
    }
    pub fn symlink(mut self, path: &str, target: &str) -> Self {
        self.inputs.push(Input::Symlink { path: path.into(), target: target.into() });
        self
    }
    pub fn env(mut self, k: &str, v: &str) -> Self {
        self.env.push((k.into(), v.into()));
        self
    }
    pub fn rumplx_opt(mut self, o: &str) -> Self {
        self.rumplx_opts.push(o.into());
        self
    }
    pub fn native_wrapper<I: IntoIterator<Item = S>, S: Into<String>>(mut self, w: I) -> Self {
        self.native_wrapper = w.into_iter().map(Into::into).collect();
        self
    }
    pub fn timeout_secs(mut self, s: u64) -> Self {
        self.timeout = Duration::from_secs(s);
        self
    }
    pub fn stdout_cmp(mut self, c: StdoutCmp) -> Self {
        self.stdout_cmp = c;
        self
    }
    pub fn compare_stderr(mut self, yes: bool) -> Self {
        self.compare_stderr = yes;
        self
    }
    pub fn compare_files(mut self, yes: bool) -> Self {
        self.compare_files = yes;
        self
    }
    pub fn program_in_dir(mut self, yes: bool) -> Self {
        self.program_in_dir = yes;
        self
    }
    pub fn setup(mut self, f: impl Fn(&Path) + Send + Sync + 'static) -> Self {
        self.setup = Some(Box::new(f));
        self
    }

    /// Fill `dir` (which must exist and be empty) with the inputs; return the program path to run.
    fn prepare(&self, dir: &Path) -> PathBuf {
        for inp in &self.inputs {
            match inp {
                Input::Dir { path } => fs::create_dir_all(dir.join(path)).unwrap(),
                Input::File { path, data, mode } => {
                    let p = dir.join(path);
                    if let Some(parent) = p.parent() {
                        fs::create_dir_all(parent).unwrap();
                    }
                    fs::write(&p, data).unwrap();
                    fs::set_permissions(&p, fs::Permissions::from_mode(*mode)).unwrap();
                }
                Input::Symlink { path, target } => std::os::unix::fs::symlink(target, dir.join(path)).unwrap(),
            }
        }
        if let Some(f) = &self.setup {
            // Fixed times first, so anything the setup derives from the inputs (archives, gzip
            // headers) is identical in every run directory; then again for what the setup made.
            set_times_recursive(dir);
            f(dir);
        }
        let prog = if self.program_in_dir {
            let name = self.program.file_name().unwrap();
            fs::copy(&self.program, dir.join(name)).unwrap();
            PathBuf::from(".").join(name)
        } else {
            self.program.clone()
        };
        set_times_recursive(dir);
        prog
    }

    /// Run the program directly, in a fresh directory of its own.
    pub fn run_native(&self) -> Output {
        self.run_native_in(&fresh_dir(&format!("{}-native", self.label)))
    }

    /// Run the program as `rumplx run [opts] -- PROGRAM ARGS...`, in a fresh directory of its own.
    pub fn run_rumplx(&self) -> Output {
        self.run_rumplx_in(&fresh_dir(&format!("{}-rumplx", self.label)))
    }

    /// Run the program directly with `dir` (existing, empty) as its working directory.
    pub fn run_native_in(&self, dir: &Path) -> Output {
        let prog = self.prepare(dir);
        let mut cmd = match self.native_wrapper.split_first() {
            Some((first, rest)) => {
                let mut c = Command::new(first);
                c.args(rest).arg(&prog);
                c
            }
            None => Command::new(&prog),
        };
        cmd.args(&self.args);
        self.finish(cmd, dir.to_path_buf())
    }

    /// Run the program under rumplx with `dir` (existing, empty) as its working directory.
    pub fn run_rumplx_in(&self, dir: &Path) -> Output {
        let prog = self.prepare(dir);
        let mut cmd = Command::new(rumplx_bin());
        cmd.arg("run").args(&self.rumplx_opts);
        if no_fast_path() {
            cmd.arg("--no-fast-path");
        }
        let image = if test_on_librump() { Some(librump_workdir(&mut cmd, dir)) } else { None };
        if let Some(f) = self.stats_file() {
            cmd.arg("--stats").arg(f);
        }
        cmd.arg("--").arg(&prog).args(&self.args);
        let after = |dir: &Path| {
            if let Some(img) = &image {
                librump_collect(img, dir, self.stdout_file.as_deref().map(Path::new));
            }
        };
        self.finish_then(cmd, dir.to_path_buf(), &after)
    }

    fn finish(&self, cmd: Command, dir: PathBuf) -> Output {
        self.finish_then(cmd, dir, &|_| {})
    }

    /// Runs `cmd` in `dir`; `after` runs once the program ended, before the files are looked at.
    fn finish_then(&self, mut cmd: Command, dir: PathBuf, after: &dyn Fn(&Path)) -> Output {
        cmd.current_dir(&dir).env_clear().stdin(Stdio::null());
        for (k, v) in base_env().into_iter().chain(self.env.iter().cloned()) {
            cmd.env(k, v);
        }
        let timeout = self.timeout.mul_f64(timeout_scale());
        if let Some(f) = &self.stdin_file {
            cmd.stdin(fs::File::open(dir.join(f)).expect("stdin_file must be one of the inputs"));
        }
        // The master side stays open (in `_master`) until the run is over.
        let _master = if self.stdin_pty {
            let (master, slave) = open_pty(24, 80);
            cmd.stdin(slave);
            Some(master)
        } else {
            None
        };
        let capture_stdout = if let Some(f) = &self.stdout_file {
            let file = fs::OpenOptions::new().write(true).create(true).truncate(true).open(dir.join(f)).unwrap();
            cmd.stdout(file);
            false
        } else {
            true
        };
        let (stdout, stderr, status, elapsed) = run_with_timeout_opts(cmd, self.stdin.clone(), timeout, capture_stdout);
        after(&dir);
        let skip = if self.program_in_dir { self.program.file_name().map(|n| n.to_string_lossy().into_owned()) } else { None };
        let mut files = snapshot(&dir);
        if let Some(s) = skip {
            files.remove(&s);
        }
        Output { stdout, stderr, status, files, dir, elapsed }
    }

    /// Run both ways and compare. Ok(()) on a match, Err(readable report) otherwise. Directories of
    /// matching runs are removed; those of failing runs are kept and named in the report.
    ///
    /// Both runs use the same absolute directory path (the native run's directory is renamed to
    /// `<dir>.native` afterwards), so programs that print their working directory agree.
    pub fn check(&self) -> Result<(), String> {
        let dir = fresh_dir(&self.label);
        let mut native = self.run_native_in(&dir);
        let native_dir = PathBuf::from(format!("{}.native", dir.display()));
        let _ = fs::remove_dir_all(&native_dir);
        fs::rename(&dir, &native_dir).unwrap();
        native.dir = native_dir;
        fs::create_dir(&dir).unwrap();
        let rx = self.run_rumplx_in(&dir);
        let res = compare(self, &native, &rx);
        self.record_result(&native, &rx, res.is_ok());
        if res.is_ok() && std::env::var_os("RUMPLX_TEST_KEEP").is_none() {
            let _ = fs::remove_dir_all(&native.dir);
            let _ = fs::remove_dir_all(&rx.dir);
        }
        res
    }

    /// With `RUMPLX_STATS_DIR` set, where this case's rumplx runs append their `--stats` records:
    /// `<dir>/<label>.jsonl`.
    pub fn stats_file(&self) -> Option<PathBuf> {
        let dir = PathBuf::from(std::env::var_os("RUMPLX_STATS_DIR")?);
        let _ = fs::create_dir_all(&dir);
        let safe: String = self.label.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
        Some(dir.join(format!("{safe}.jsonl")))
    }

    /// With `RUMPLX_STATS_DIR` set, appends the case's command and result next to its stats:
    /// `{"case": …, "command": …, "real": …, "native": …, "rumplx": …, "same": …}`. `real` marks
    /// real programs (not the tests/guest/*.c builds) for the compatibility matrix.
    fn record_result(&self, native: &Output, rx: &Output, same: bool) {
        use std::io::Write as _;
        let Some(path) = self.stats_file() else { return };
        let q = |s: &str| {
            let mut o = String::from("\"");
            for c in s.chars() {
                match c {
                    '"' => o.push_str("\\\""),
                    '\\' => o.push_str("\\\\"),
                    c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04x}", c as u32)),
                    c => o.push(c),
                }
            }
            o.push('"');
            o
        };
        let status = |s: Status| match s {
            Status::Exited(c) => format!("exit {c}"),
            Status::Signaled(n) => format!("signal {n}"),
            Status::TimedOut => "timed out".to_string(),
        };
        let name = self.program.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let command = std::iter::once(name).chain(self.args.iter().cloned()).collect::<Vec<_>>().join(" ");
        let real = !self.program.starts_with(target_dir().join("rumplx-guests"));
        let line = format!(
            "{{\"case\": {}, \"command\": {}, \"real\": {real}, \"native\": {}, \"rumplx\": {}, \"same\": {same}}}\n",
            q(&self.label),
            q(&command),
            q(&status(native.status)),
            q(&status(rx.status))
        );
        if let Ok(mut f) = fs::OpenOptions::new().create(true).append(true).open(path) {
            let _ = f.write_all(line.as_bytes());
        }
    }

    /// Like [`Case::check`] but panics with the report.
    pub fn assert_same(&self) {
        if let Err(e) = self.check() {
            panic!("{e}");
        }
    }
}

/// A new pseudo-terminal pair with the given window size: (master, slave).
pub fn open_pty(rows: u16, cols: u16) -> (fs::File, fs::File) {
    use std::os::fd::FromRawFd;
    let (mut m, mut s) = (-1, -1);
    let ws = libc::winsize { ws_row: rows, ws_col: cols, ws_xpixel: 0, ws_ypixel: 0 };
    let r = unsafe { libc::openpty(&mut m, &mut s, std::ptr::null_mut(), std::ptr::null(), &ws) };
    assert_eq!(r, 0, "openpty: {}", std::io::Error::last_os_error());
    unsafe {
        // Not inherited by anything but the child that gets the slave as stdin.
        libc::fcntl(m, libc::F_SETFD, libc::FD_CLOEXEC);
        libc::fcntl(s, libc::F_SETFD, libc::FD_CLOEXEC);
        (fs::File::from_raw_fd(m), fs::File::from_raw_fd(s))
    }
}

/// Set the mtime of every input to [`FIXED_TIME`] (deepest first, so directories keep theirs).
fn set_times_recursive(dir: &Path) {
    let t = SystemTime::UNIX_EPOCH + Duration::from_secs(FIXED_TIME);
    fn walk(p: &Path, t: SystemTime) {
        if let Ok(rd) = fs::read_dir(p) {
            for e in rd.flatten() {
                let path = e.path();
                let ft = e.file_type().unwrap();
                if ft.is_dir() {
                    walk(&path, t);
                }
                if !ft.is_symlink() {
                    if let Ok(f) = fs::File::options().read(true).open(&path) {
                        let _ = f.set_times(fs::FileTimes::new().set_modified(t).set_accessed(t));
                    }
                }
            }
        }
    }
    walk(dir, t);
    if let Ok(f) = fs::File::open(dir) {
        let _ = f.set_times(fs::FileTimes::new().set_modified(t).set_accessed(t));
    }
}

/// Run `cmd` with piped stdio, killing it after `timeout`.
pub fn run_with_timeout(cmd: Command, stdin: Option<Vec<u8>>, timeout: Duration) -> (Vec<u8>, Vec<u8>, Status, Duration) {
    run_with_timeout_opts(cmd, stdin, timeout, true)
}

/// Like [`run_with_timeout`]; with `capture_stdout` false, stdout is whatever the caller set up.
pub fn run_with_timeout_opts(
    mut cmd: Command,
    stdin: Option<Vec<u8>>,
    timeout: Duration,
    capture_stdout: bool,
) -> (Vec<u8>, Vec<u8>, Status, Duration) {
    // stdin: piped data when given; otherwise what the caller set up (callers here use /dev/null
    // or a file).
    if stdin.is_some() {
        cmd.stdin(Stdio::piped());
    }
    if capture_stdout {
        cmd.stdout(Stdio::piped());
    }
    cmd.stderr(Stdio::piped());
    // Descriptors the test runner inherited (cargo's jobserver pipe, for one) must not leak into the
    // program: native runs would see them and rumplx runs would not.
    unsafe {
        use std::os::unix::process::CommandExt;
        cmd.pre_exec(|| {
            if libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, 0u32) != 0 {
                for fd in 3..1024 {
                    libc::close(fd);
                }
            }
            Ok(())
        });
    }
    let start = Instant::now();
    // In a shared working tree another build may be replacing rumplx at this very moment (ENOENT),
    // and a program file just written can be ETXTBSY while a child forked by a parallel test still
    // holds the writer's descriptor: retry briefly before calling it a failure.
    let mut attempts = 0;
    let mut child = loop {
        match cmd.spawn() {
            Ok(c) => break c,
            Err(e)
                if attempts < 20
                    && (e.raw_os_error() == Some(libc::ETXTBSY)
                        || (e.kind() == std::io::ErrorKind::NotFound
                            && cmd.get_program().to_string_lossy().ends_with("rumplx"))) =>
            {
                attempts += 1;
                std::thread::sleep(Duration::from_millis(500));
            }
            Err(e) => panic!("spawning {cmd:?}: {e}"),
        }
    };
    let stdin_thread = stdin.map(|data| {
        let mut w = child.stdin.take().unwrap();
        std::thread::spawn(move || {
            let _ = w.write_all(&data);
        })
    });
    let out = child.stdout.take();
    let mut err = child.stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let mut v = vec![];
        if let Some(mut out) = out {
            let _ = out.read_to_end(&mut v);
        }
        v
    });
    let t_err = std::thread::spawn(move || {
        let mut v = vec![];
        let _ = err.read_to_end(&mut v);
        v
    });
    let status = loop {
        match child.try_wait() {
            Ok(Some(st)) => {
                break match (st.code(), st.signal()) {
                    (Some(c), _) => Status::Exited(c),
                    (None, Some(s)) => Status::Signaled(s),
                    _ => Status::Exited(-1),
                }
            }
            Ok(None) => {}
            Err(e) => panic!("waiting for child: {e}"),
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            break Status::TimedOut;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let elapsed = start.elapsed();
    if let Some(t) = stdin_thread {
        let _ = t.join();
    }
    // A grandchild could hold the pipes open; the reader threads finish when it goes away. We never
    // start grandchildren, so joining is safe.
    let stdout = t_out.join().unwrap();
    let stderr = t_err.join().unwrap();
    (stdout, stderr, status, elapsed)
}

/// FNV-1a of a file's content, streamed, and its first 256 bytes. Files over 256 MiB (a failed run
/// can leave the big sparse test file behind) are hashed over their first and last MiB only.
fn hash_file(path: &Path, len: u64) -> (u64, Vec<u8>) {
    use std::io::{Seek, SeekFrom};
    let Ok(mut f) = fs::File::open(path) else { return (0, vec![]) };
    let mut h: u64 = 0xcbf29ce484222325;
    let mut head = vec![];
    let mut buf = vec![0u8; 1 << 20];
    let feed = |data: &[u8], h: &mut u64| {
        for &b in data {
            *h ^= b as u64;
            *h = h.wrapping_mul(0x100000001b3);
        }
    };
    let mut total = 0u64;
    loop {
        let n = match f.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if head.len() < 256 {
            head.extend_from_slice(&buf[..n.min(256 - head.len())]);
        }
        feed(&buf[..n], &mut h);
        total += n as u64;
        if len > (256 << 20) && total >= (1 << 20) {
            if f.seek(SeekFrom::End(-(1 << 20))).is_ok() {
                if let Ok(n) = f.read(&mut buf) {
                    feed(&buf[..n], &mut h);
                }
            }
            break;
        }
    }
    (h, head)
}

/// Every entry under `dir`, keyed by relative path.
pub fn snapshot(dir: &Path) -> BTreeMap<String, Entry> {
    let mut m = BTreeMap::new();
    fn walk(base: &Path, p: &Path, m: &mut BTreeMap<String, Entry>) {
        let Ok(rd) = fs::read_dir(p) else { return };
        for e in rd.flatten() {
            let path = e.path();
            let rel = path.strip_prefix(base).unwrap().to_string_lossy().into_owned();
            let Ok(md) = fs::symlink_metadata(&path) else { continue };
            let mode = md.mode() & 0o7777;
            let ft = md.file_type();
            if ft.is_symlink() {
                let t = fs::read_link(&path).map(|t| t.to_string_lossy().into_owned()).unwrap_or_default();
                m.insert(rel, Entry::Symlink { target: t });
            } else if ft.is_dir() {
                m.insert(rel, Entry::Dir { mode });
                walk(base, &path, m);
            } else if ft.is_file() {
                let (hash, head) = hash_file(&path, md.len());
                m.insert(rel, Entry::File { mode, size: md.len(), hash, head });
            } else {
                m.insert(rel, Entry::Other { mode });
            }
        }
    }
    walk(dir, dir, &mut m);
    m
}

// ---------------------------------------------------------------------------------------------------
// Comparing
// ---------------------------------------------------------------------------------------------------

fn show_bytes(b: &[u8], limit: usize) -> String {
    let s = String::from_utf8_lossy(&b[..b.len().min(limit)]).into_owned();
    if b.len() > limit {
        format!("{s}… ({} bytes in all)", b.len())
    } else {
        s
    }
}

/// A line diff good enough to read: common prefix and suffix trimmed, the middle aligned by longest
/// common subsequence (when small enough), differing lines marked `-` (native) and `+` (rumplx).
pub fn line_diff(a: &str, b: &str) -> String {
    let al: Vec<&str> = a.lines().collect();
    let bl: Vec<&str> = b.lines().collect();
    let pre = al.iter().zip(&bl).take_while(|(x, y)| x == y).count();
    let suf = al[pre..].iter().rev().zip(bl[pre..].iter().rev()).take_while(|(x, y)| x == y).count();
    let a_mid = &al[pre..al.len() - suf];
    let b_mid = &bl[pre..bl.len() - suf];
    // (tag, line): ' ' same, '-' native only, '+' rumplx only
    let mut ops: Vec<(char, &str)> = vec![];
    if a_mid.len() * b_mid.len() <= 4_000_000 {
        let (n, m) = (a_mid.len(), b_mid.len());
        let mut l = vec![0u32; (n + 1) * (m + 1)];
        for i in (0..n).rev() {
            for j in (0..m).rev() {
                l[i * (m + 1) + j] = if a_mid[i] == b_mid[j] {
                    l[(i + 1) * (m + 1) + j + 1] + 1
                } else {
                    l[(i + 1) * (m + 1) + j].max(l[i * (m + 1) + j + 1])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < n || j < m {
            if i < n && j < m && a_mid[i] == b_mid[j] {
                ops.push((' ', a_mid[i]));
                i += 1;
                j += 1;
            } else if i < n && (j == m || l[(i + 1) * (m + 1) + j] >= l[i * (m + 1) + j + 1]) {
                ops.push(('-', a_mid[i]));
                i += 1;
            } else {
                ops.push(('+', b_mid[j]));
                j += 1;
            }
        }
    } else {
        ops.extend(a_mid.iter().map(|l| ('-', *l)));
        ops.extend(b_mid.iter().map(|l| ('+', *l)));
    }
    let mut s = String::new();
    for l in &al[pre.saturating_sub(3)..pre] {
        let _ = writeln!(s, "    {l}");
    }
    // Show changed lines with up to 2 lines of context; elide long unchanged runs and cap the total.
    let changed: Vec<bool> = ops.iter().map(|(t, _)| *t != ' ').collect();
    let near = |k: usize| (k.saturating_sub(2)..(k + 3).min(ops.len())).any(|x| changed[x]);
    let mut shown = 0;
    let mut elided = false;
    for (k, (t, line)) in ops.iter().enumerate() {
        if near(k) {
            if shown >= 120 {
                let _ = writeln!(s, "  … (diff cut at 120 lines)");
                break;
            }
            let _ = writeln!(s, "  {t} {line}");
            shown += 1;
            elided = false;
        } else if !elided {
            let _ = writeln!(s, "    …");
            elided = true;
        }
    }
    for l in al[al.len() - suf..].iter().take(3) {
        let _ = writeln!(s, "    {l}");
    }
    if a.ends_with('\n') != b.ends_with('\n') {
        let _ = writeln!(s, "  (final newline: native {}, rumplx {})", a.ends_with('\n'), b.ends_with('\n'));
    }
    s
}

fn describe_entry(e: &Entry) -> String {
    match e {
        Entry::File { mode, size, hash, head } => {
            format!("file mode {mode:o} size {size} hash {hash:016x} starting {:?}", show_bytes(head, 80))
        }
        Entry::Dir { mode } => format!("directory mode {mode:o}"),
        Entry::Symlink { target } => format!("symlink -> {target}"),
        Entry::Other { mode } => format!("special file mode {mode:o}"),
    }
}

fn is_numeric_output(b: &[u8]) -> bool {
    let s = String::from_utf8_lossy(b);
    !s.trim().is_empty() && s.lines().all(|l| !l.is_empty() && l.bytes().all(|c| c.is_ascii_digit()))
}

/// Compare a native run with a rumplx run of the same case.
pub fn compare(case: &Case, native: &Output, rx: &Output) -> Result<(), String> {
    let mut problems = vec![];
    if native.status == Status::TimedOut {
        problems.push("the NATIVE run timed out (test or environment problem)".to_string());
    }
    if rx.status == Status::TimedOut {
        problems.push(format!("rumplx run timed out after {:?} (killed)", rx.elapsed));
    } else if native.status.code() != rx.status.code() {
        problems.push(format!("exit status: native {:?}, rumplx {:?}", native.status, rx.status));
    }
    let stdout_ok = match case.stdout_cmp {
        StdoutCmp::Exact => native.stdout == rx.stdout,
        StdoutCmp::SortedLines => {
            let mut a: Vec<&str> = std::str::from_utf8(&native.stdout).unwrap_or("").lines().collect();
            let mut b: Vec<&str> = std::str::from_utf8(&rx.stdout).unwrap_or("").lines().collect();
            a.sort();
            b.sort();
            a == b && native.stdout.len() == rx.stdout.len()
        }
        StdoutCmp::BothNumeric => is_numeric_output(&native.stdout) && is_numeric_output(&rx.stdout),
        StdoutCmp::Ignore => true,
    };
    if !stdout_ok {
        problems.push(format!(
            "stdout differs ({:?}; native {} bytes, rumplx {} bytes):\n{}",
            case.stdout_cmp,
            native.stdout.len(),
            rx.stdout.len(),
            line_diff(&native.stdout_str(), &rx.stdout_str())
        ));
    }
    if case.compare_stderr && native.stderr != rx.stderr {
        problems.push(format!("stderr differs:\n{}", line_diff(&native.stderr_str(), &rx.stderr_str())));
    }
    if case.compare_files && native.files != rx.files {
        let mut s = String::from("files left in the run directory differ:\n");
        let keys: std::collections::BTreeSet<&String> = native.files.keys().chain(rx.files.keys()).collect();
        let mut listed = 0;
        for k in keys {
            match (native.files.get(k), rx.files.get(k)) {
                (Some(a), Some(b)) if a == b => {}
                _ if listed == 20 => {
                    let _ = writeln!(s, "  … (more differing entries not listed)");
                    listed += 1;
                }
                _ if listed > 20 => {}
                (a, b) => {
                    listed += 1;
                    let _ = writeln!(
                        s,
                        "  {k}:\n    native: {}\n    rumplx: {}",
                        a.map(describe_entry).unwrap_or_else(|| "(absent)".into()),
                        b.map(describe_entry).unwrap_or_else(|| "(absent)".into())
                    );
                }
            }
        }
        problems.push(s);
    }
    if problems.is_empty() {
        return Ok(());
    }
    let mut r = format!("=== {} : rumplx differs from native ===\n", case.label);
    let _ = writeln!(r, "command: {} {}", case.program.display(), case.args.join(" "));
    for p in problems {
        let _ = writeln!(r, "* {p}");
    }
    if !case.compare_stderr || native.stderr != rx.stderr {
        let _ = writeln!(r, "native stderr: {}", show_bytes(&native.stderr, 2000));
        let _ = writeln!(r, "rumplx stderr: {}", show_bytes(&rx.stderr, 4000));
    }
    let _ = writeln!(r, "kept run directories: {} {}", native.dir.display(), rx.dir.display());
    Err(r)
}

/// Run several cases, collect all failures, and panic once with every report.
pub fn check_all(cases: impl IntoIterator<Item = Case>) {
    let mut failures = vec![];
    let mut n = 0;
    for c in cases {
        n += 1;
        let gap = if test_on_librump() { librump_gaps::known_gap(&c.label) } else { None };
        match (c.check(), gap) {
            (Err(e), None) => failures.push(e),
            (Err(e), Some(why)) => {
                let first = e.lines().find(|l| l.starts_with("* ")).unwrap_or("");
                println!("librump: {}: known gap ({why}): {first}", c.label);
            }
            (Ok(()), Some(_)) => println!("librump: {}: ok (listed as a known gap: the list may shrink)", c.label),
            (Ok(()), None) => {}
        }
    }
    if !failures.is_empty() {
        panic!("{} of {n} runs differ:\n\n{}", failures.len(), failures.join("\n"));
    }
}

/// Run one guest program in all three builds with the given per-case customisation.
pub fn check_guest(name: &str, customise: impl Fn(Case) -> Case) {
    let mut cases = vec![];
    let mut build_failures = vec![];
    for v in Variant::ALL {
        match try_guest(name, v) {
            Ok(p) => cases.push(customise(Case::new(format!("{name}-{v}"), p))),
            Err(e) => build_failures.push(format!("build {name} ({v}): {e}")),
        }
    }
    if !build_failures.is_empty() {
        panic!("{}", build_failures.join("\n"));
    }
    check_all(cases);
}

/// `RUMPLX_NO_FAST_PATH=1`: guest programs run under `rumplx run --no-fast-path` (every syscall
/// trapped; tests/run.sh makes a second pass this way).
pub fn no_fast_path() -> bool {
    std::env::var_os("RUMPLX_NO_FAST_PATH").is_some_and(|v| !v.is_empty() && v != "0")
}

/// Where a librump run works: the rump kernel's host directories (etfs) cannot create, rename or
/// remove entries, so the case's prepared directory becomes an ext2 image (mkfs.ext2 -d) that
/// NetBSD's ext2fs driver mounts as the guest's working directory `/rumplx-case`; the host
/// directory's content is replaced by what the image holds afterwards ([`librump_collect`]).
/// Programs see `/rumplx-case` where the native run saw `dir` (outputs print relative paths).
fn librump_workdir(cmd: &mut Command, dir: &Path) -> PathBuf {
    let libs = std::env::var_os("RUMPLX_LIBRUMP_DIR").expect("RUMPLX_TEST_BACKEND=librump needs RUMPLX_LIBRUMP_DIR");
    let img = PathBuf::from(format!("{}.img", dir.display()));
    let f = fs::File::create(&img).unwrap();
    f.set_len(512 << 20).unwrap();
    drop(f);
    // 1 KiB blocks: NetBSD's ext2fs refuses a getdents buffer smaller than a block (EINVAL), and
    // musl's readdir asks with 2 KiB (a known gap with bigger blocks, see librump_gaps).
    run_tool(Command::new("mkfs.ext2").args(["-q", "-F", "-b", "1024", "-d"]).arg(dir).arg(&img)).unwrap();
    run_tool(Command::new("debugfs").args(["-w", "-R", "rmdir lost+found"]).arg(&img)).unwrap();
    cmd.args(["--backend", "librump", "--librump-dir"]).arg(libs);
    cmd.arg("--image").arg(format!("{}:/rumplx-case:ext2fs", img.display()));
    cmd.args(["--workdir", "/rumplx-case"]);
    img
}

/// Replaces what `dir` holds (the inputs, which the harness may still have read from, such as
/// a stdin file) with what the case's image holds (debugfs rdump keeps modes and symlinks).
fn librump_collect(img: &Path, dir: &Path, keep: Option<&Path>) {
    for e in fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        // The harness's own file for the program's stdout.
        if keep.is_some_and(|k| p.ends_with(k)) {
            continue;
        }
        if p.is_dir() && !p.is_symlink() { fs::remove_dir_all(&p).unwrap() } else { fs::remove_file(&p).unwrap() }
    }
    let out = run_tool(Command::new("debugfs").arg("-R").arg(format!("rdump / {}", dir.display())).arg(img));
    if let Err(e) = out {
        panic!("cannot read back {}: {e}", img.display());
    }
    let _ = fs::remove_file(img);
}

/// `RUMPLX_TEST_BACKEND=librump`: rumplx runs on NetBSD's rump kernel (tests/run.sh makes a pass
/// this way when the libraries are present).
pub fn test_on_librump() -> bool {
    std::env::var("RUMPLX_TEST_BACKEND").is_ok_and(|v| v == "librump")
}

/// Run only under rumplx (for bad-input tests, where there is no native oracle).
pub fn run_rumplx_raw(args: &[&str], dir: &Path, timeout: Duration) -> Output {
    let mut cmd = Command::new(rumplx_bin());
    cmd.args(args).current_dir(dir).env_clear().stdin(Stdio::null());
    for (k, v) in base_env() {
        cmd.env(k, v);
    }
    let (stdout, stderr, status, elapsed) = run_with_timeout(cmd, None, timeout.mul_f64(timeout_scale()));
    Output { stdout, stderr, status, files: BTreeMap::new(), dir: dir.to_path_buf(), elapsed }
}

/// Path of a host tool, or None when it is not installed.
pub fn which(tool: &str) -> Option<PathBuf> {
    for d in ["/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin"] {
        let p = Path::new(d).join(tool);
        if p.exists() {
            return Some(p);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_marks_only_changed_lines() {
        let d = line_diff("a\nb\nc\nd\n", "a\nB\nc\nd\n");
        assert!(d.contains("  - b\n") && d.contains("  + B\n"), "{d}");
        assert!(!d.contains("- c"), "{d}");
    }

    #[test]
    fn status_codes_follow_the_shell() {
        assert_eq!(Status::Exited(3).code(), Some(3));
        assert_eq!(Status::Signaled(6).code(), Some(134));
        assert_eq!(Status::TimedOut.code(), None);
    }

    #[test]
    fn snapshot_sees_files_dirs_and_links() {
        let d = fresh_dir("snapshot-self-test");
        fs::write(d.join("f"), "x").unwrap();
        fs::create_dir(d.join("sub")).unwrap();
        std::os::unix::fs::symlink("f", d.join("l")).unwrap();
        let s = snapshot(&d);
        assert!(matches!(s.get("f"), Some(Entry::File { size: 1, .. })));
        assert!(matches!(s.get("sub"), Some(Entry::Dir { .. })));
        assert_eq!(s.get("l"), Some(&Entry::Symlink { target: "f".into() }));
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn timeout_kills_a_hang() {
        let mut c = Command::new("/bin/sleep");
        c.arg("30");
        let (_, _, st, el) = run_with_timeout(c, None, Duration::from_millis(300));
        assert_eq!(st, Status::TimedOut);
        assert!(el < Duration::from_secs(20));
    }
}
