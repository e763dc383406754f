//! `rumplx`: runs an unmodified static Linux x86_64 program on a NetBSD rump kernel stack.
//!
//! Exit status: the program's own; 128+N when it dies of signal N; rumplx's own failures use the
//! shell's conventions: 127 program not found, 126 cannot execute, 125 any other rumplx error.

mod check;
mod elf;
mod hostmem;
mod image;
mod namespace;
mod platform;
mod run;
mod stack;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(name = "rumplx", version, about = "Run unmodified static Linux x86_64 programs on a NetBSD rump kernel stack")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run PROGRAM with ARGS inside rumplx.
    Run(RunArgs),
    /// Print the compatibility matrix of this build: every Linux syscall and its support.
    Compat {
        /// Output format.
        #[arg(long, value_enum, default_value = "md")]
        format: CompatFormat,
        /// `--stats` JSONL files (from `rumplx run --stats` or the test suite's RUMPLX_STATS_DIR):
        /// add a "tested" column from them and the real-programs section.
        #[arg(long, value_name = "FILE", num_args = 1..)]
        evidence: Vec<String>,
        /// Only the syscalls of this support level.
        #[arg(long, value_enum)]
        level: Option<CompatLevel>,
    },
    /// Read PROGRAM without running it and report which syscalls it can make and their support.
    Check {
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: CheckFormat,
        /// The static x86_64 program to read.
        program: String,
    },
    /// Internal: the new image of a process that shared its parent's memory (posix_spawn, vfork)
    /// and exec'd; FD holds the program and the state execve keeps.
    #[command(hide = true)]
    Resume { fd: i32 },
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum CompatLevel {
    Full,
    Partial,
    Unsupported,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum CheckFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum CompatFormat {
    Md,
    Json,
}

/// Options of `rumplx run`.
#[derive(Args, Debug, Clone)]
pub struct RunArgs {
    /// DIR becomes the guest's / (confined: nothing outside it is reachable).
    #[arg(long, value_name = "DIR")]
    pub root: Option<String>,
    /// Make host file or directory HOST appear at GUEST (append :ro for read-only). Repeatable.
    #[arg(short = 'v', long = "volume", value_name = "HOST:GUEST[:ro]")]
    pub volumes: Vec<String>,
    /// Mount the file system in image FILE at DIR with NetBSD's own driver (--backend librump;
    /// TYPE ffs, ext2fs, msdos or cd9660, else told from the image; :ro for read-only). Repeatable.
    #[arg(long = "image", value_name = "FILE:DIR[:TYPE][:ro]")]
    pub images: Vec<String>,
    /// Mount an empty in-memory directory at PATH. Repeatable.
    #[arg(long = "tmpfs", value_name = "PATH")]
    pub tmpfs: Vec<String>,
    /// Set KEY=VALUE in the program's environment. Repeatable.
    #[arg(short = 'e', long = "env", value_name = "KEY=VALUE")]
    pub env: Vec<String>,
    /// Start from an empty environment instead of rumplx's own.
    #[arg(long)]
    pub clear_env: bool,
    /// The program's working directory (a guest path).
    #[arg(short = 'w', long = "workdir", value_name = "DIR")]
    pub workdir: Option<String>,
    /// Print each Linux syscall and the NetBSD calls it became on stderr, strace-style.
    #[arg(long)]
    pub trace: bool,
    /// The kernel underneath: embedded (rumplx's own stand-in) or librump (NetBSD's rump kernel).
    #[arg(long, value_enum, default_value = "embedded")]
    pub backend: Backend,
    /// Where NetBSD's rump kernel libraries are, for --backend librump (default: $RUMPLX_LIBRUMP_DIR).
    #[arg(long, value_name = "DIR")]
    pub librump_dir: Option<String>,
    /// With --backend librump: the guest's TCP/IP is the host's through sockin (default; servers
    /// are reachable from the host) or NetBSD's own stack with only its loopback (netinet).
    #[arg(long, value_enum, value_name = "STACK")]
    pub net: Option<NetStack>,
    /// Append per-syscall counts and outcomes to FILE when each guest process ends (one JSON line
    /// per process).
    #[arg(long, value_name = "FILE")]
    pub stats: Option<String>,
    /// Keep trapping every syscall (Syscall User Dispatch only): never rewrite the program's hot
    /// syscall sites into direct entries (also RUMPLX_NO_FAST_PATH=1).
    #[arg(long)]
    pub no_fast_path: bool,
    /// The program and its arguments.
    #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true, value_name = "PROGRAM [ARGS]...")]
    pub command: Vec<OsString>,
}

/// The kernel the guest runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Backend {
    /// rumplx's Rust stand-in with NetBSD semantics (always available).
    Embedded,
    /// NetBSD's rump kernel libraries, loaded at run time.
    Librump,
}

/// `--net`: where a librump guest's internet sockets go.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum NetStack {
    /// Host sockets under NetBSD's socket layer (rump's sockin).
    Sockin,
    /// NetBSD's own TCP/IP stack, loopback only.
    Netinet,
}

/// A failure of rumplx itself, with the exit status a shell would use for it.
#[derive(Debug)]
pub enum Failure {
    /// 127: the program does not exist.
    NotFound(String),
    /// 126: the program exists but cannot be run.
    CannotExecute(String),
    /// 125: anything else.
    Other(String),
}

impl Failure {
    fn status(&self) -> u8 {
        match self {
            Failure::NotFound(_) => 127,
            Failure::CannotExecute(_) => 126,
            Failure::Other(_) => 125,
        }
    }

    fn message(&self) -> &str {
        match self {
            Failure::NotFound(m) | Failure::CannotExecute(m) | Failure::Other(m) => m,
        }
    }
}

/// Reads `--evidence` files; None when none was given. A file's name (less `.jsonl`) names the test
/// of records that do not name their own.
fn read_evidence(files: &[String]) -> Result<Option<abi_linux::matrix::Evidence>, Failure> {
    if files.is_empty() {
        return Ok(None);
    }
    let mut ev = abi_linux::matrix::Evidence::default();
    for f in files {
        let text = std::fs::read_to_string(f).map_err(|e| Failure::Other(format!("--evidence {f}: {e}")))?;
        let test = std::path::Path::new(f).file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        ev.add_jsonl(&test, &text).map_err(|e| Failure::Other(format!("--evidence {f}: {e}")))?;
    }
    Ok(Some(ev))
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            use clap::error::ErrorKind;
            let code = match e.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => 0,
                _ => 125,
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    // Every rumplx process of a run reads the fast-path switch (`rumplx resume` included).
    platform::fastpath::configure();
    let result = match cli.command {
        Command::Run(args) => run::run(args),
        Command::Resume { fd } => platform::vmchild::resume(fd),
        Command::Check { format, program } => match check::run(&program, matches!(format, CheckFormat::Json)) {
            Ok(()) => return ExitCode::SUCCESS,
            Err(f) => Err(f),
        },
        Command::Compat { format, evidence, level } => {
            let only = level.map(|l| match l {
                CompatLevel::Full => "full",
                CompatLevel::Partial => "partial",
                CompatLevel::Unsupported => "unsupported",
            });
            let table = abi_linux::table::Table::new();
            let ev = match read_evidence(&evidence) {
                Ok(ev) => ev,
                Err(f) => {
                    eprintln!("rumplx: {}", f.message());
                    return ExitCode::from(f.status());
                }
            };
            print!("{}", match format {
                CompatFormat::Md => abi_linux::matrix::markdown_only(&table, ev.as_ref(), only),
                CompatFormat::Json => abi_linux::matrix::json_only(&table, ev.as_ref(), only),
            });
            return ExitCode::SUCCESS;
        }
    };
    // `run` only returns on failure: a started guest leaves through exit_group.
    let failure = result.unwrap_err();
    eprintln!("rumplx: {}", failure.message());
    ExitCode::from(failure.status())
}
