//! `rumplx run`: build the guest's kernel and namespace, load the program, and start it.

use std::sync::Arc;

use abi_linux::dispatch::{Personality, ProcessInfo, Thread, ThreadEntry};
use abi_netbsd::{nr, structs::Stat};
use rumpkernel_bridge::{sysproxy::KernelSlot, RumpKernel};

use crate::platform::{signals, sud, HostPlatform};
use crate::{elf, image, namespace, Failure, RunArgs};

/// Runs the program. Returns only on failure: a started guest leaves through exit_group.
pub fn run(args: RunArgs) -> Result<std::convert::Infallible, Failure> {
    let slot = Arc::new(KernelSlot::new(namespace::kernel(&args)?));
    crate::platform::KERNEL.set(slot.clone()).ok();
    let failure = start(args, slot.clone());
    // Only a failure comes back here: the run ends all the same (images mounted read-write are
    // written back).
    slot.end_run();
    failure
}

fn start(args: RunArgs, slot: Arc<KernelSlot>) -> Result<std::convert::Infallible, Failure> {
    let kernel: Arc<dyn RumpKernel> = slot;
    kernel
        .lwproc_rfork(false)
        .map_err(|e| Failure::Other(format!("cannot create the guest process: errno {}", e.0)))?;
    namespace::build(kernel.as_ref(), &args)?;
    let k = Kernel(kernel.as_ref());

    // SAFETY: umask only swaps a process-wide value; read it and put it back.
    let host_umask = unsafe {
        let m = libc::umask(0o022);
        libc::umask(m);
        m
    };
    k.call(nr::SYS_umask, [host_umask as u64, 0, 0, 0, 0, 0]).ok();

    let cwd = match (&args.workdir, &args.root) {
        (Some(w), _) => w.clone(),
        (None, None) => std::env::current_dir().map(|p| p.to_string_lossy().into_owned()).unwrap_or_else(|_| "/".into()),
        (None, Some(_)) => "/".into(),
    };
    if let Err(e) = k.chdir(&cwd) {
        if args.workdir.is_some() {
            return Err(Failure::Other(format!("--workdir {cwd}: {}", errno_text(e))));
        }
        k.chdir("/").map_err(|e| Failure::Other(format!("cannot enter /: {}", errno_text(e))))?;
    }

    let env = environment(&args);
    let argv: Vec<Vec<u8>> = args.command.iter().map(|a| a.as_encoded_bytes().to_vec()).collect();
    let program = String::from_utf8_lossy(&argv[0]).into_owned();
    let path = find_program(&k, &program, &env)?;
    let bytes = k.read_executable(&path).map_err(|e| match e {
        ReadError::Errno(e) if e == abi_netbsd::errno::ENOENT || e == abi_netbsd::errno::ENOTDIR => {
            Failure::NotFound(format!("{program}: no such file or directory"))
        }
        ReadError::Errno(e) => Failure::CannotExecute(format!("{program}: {}", errno_text(e))),
        ReadError::NotRegular => Failure::CannotExecute(format!("{program}: not a regular file")),
        ReadError::NotExecutable => Failure::CannotExecute(format!("{program}: permission denied")),
    })?;
    let exe_path = absolute(&k, &path);
    let [uid, euid] = k.call(nr::SYS_getuid, [0; 6]).unwrap_or([0, 0]);
    let [gid, egid] = k.call(nr::SYS_getgid, [0; 6]).unwrap_or([0, 0]);
    let ids = image::Ids { uid: uid as u32, euid: euid as u32, gid: gid as u32, egid: egid as u32 };
    let img = image::build(&bytes, &exe_path, path.as_bytes(), &argv, &env, ids).map_err(|r| match r {
        elf::RefuseReason::Malformed(m) if m.starts_with("cannot map") => Failure::Other(m),
        r => Failure::CannotExecute(format!("{program}: {r}")),
    })?;
    let (entry, sp, mm) = (img.entry, img.sp, img.mm);

    let pid = k.call(nr::SYS_getpid, [0; 6]).map(|r| r[0] as i32).unwrap_or(1);
    let info = ProcessInfo {
        exe_path,
        argv: argv.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect(),
    };
    let mut personality = Personality::new(kernel.clone(), Arc::new(HostPlatform), mm, info);
    personality.trace = args.trace;
    if args.no_fast_path {
        // In rumplx's own environment, so the processes of the run that exec rumplx anew keep it.
        std::env::set_var("RUMPLX_NO_FAST_PATH", "1");
    }
    crate::platform::fastpath::configure();
    if kernel.name() == "librump" {
        // NetBSD's rump kernel sleeps until woken, whatever signal comes.
        crate::platform::fatal_watch::start();
    }
    if let Some(path) = &args.stats {
        // Opened now, so a bad path is refused before the program runs; appended to at exit.
        let file = std::fs::OpenOptions::new().create(true).append(true).open(path)
            .map_err(|e| Failure::Other(format!("--stats {path}: {e}")))?;
        crate::platform::STATS_FILE.set(file).ok();
        personality.stats = Some(Default::default());
    }
    // The main thread's Linux tid is the pid; others count up from there.
    personality.next_tid.store(pid + 1, std::sync::atomic::Ordering::Relaxed);
    // SAFETY: gettid has no preconditions.
    let host_tid = unsafe { libc::gettid() };
    personality.register_thread(ThreadEntry { tid: pid, host_tid, sigmask: 0 });
    // SAFETY: getpid has no preconditions.
    rumpkernel_bridge::sysproxy::record_kernel_process(pid, unsafe { libc::getpid() });
    // Name, program and argv, for the other processes' /proc/<pid>.
    abi_linux::sys::procfs::publish(&personality, &[0; 16]);
    if signals::PERSONALITY.set(personality).is_err() {
        return Err(Failure::Other("the guest was already started".into()));
    }

    rumpkernel_bridge::set_signal_word(signals::host_pending_word);
    rumpkernel_bridge::sysproxy::set_interrupts(SERVER_INTERRUPT, start_server_thread, drop_host_signals, end_server_thread);
    // No signal may arrive before this thread has its signal stack and block.
    signals::set_host_mask(signals::ALL_BLOCKED);
    signals::install().map_err(|e| Failure::Other(format!("cannot install signal handlers: {e}")))?;
    let block = sud::new_thread_block(Thread::new(pid), 0)
        .map_err(|e| Failure::Other(format!("cannot set up the signal stack: {e}")))?;
    signals::CURRENT_BLOCK.with(|b| b.set(block));
    sud::enable(block).map_err(|e| {
        Failure::Other(format!("Syscall User Dispatch is not available (Linux 5.11 or newer is needed): {e}"))
    })?;
    // Nothing after this point returns, so locals would live as long as the run: the program's
    // bytes (as big as the program, already mapped) and the copies of argv and environment go now.
    drop((bytes, argv, env, args));
    signals::set_host_mask(0);
    // SAFETY: the image, stack and thread block are ready, SUD is on for this thread.
    unsafe { sud::enter_guest(entry, sp, block) }
}

/// The program's environment: rumplx's own unless --clear-env, then each -e KEY=VALUE.
fn environment(args: &RunArgs) -> Vec<Vec<u8>> {
    let mut env: Vec<Vec<u8>> = if args.clear_env {
        Vec::new()
    } else {
        std::env::vars_os()
            .map(|(k, v)| {
                let mut e = k.as_encoded_bytes().to_vec();
                e.push(b'=');
                e.extend_from_slice(v.as_encoded_bytes());
                e
            })
            .collect()
    };
    for kv in &args.env {
        let key = kv.split('=').next().unwrap_or(kv);
        let value = if kv.contains('=') { kv.clone() } else { format!("{key}={}", std::env::var(key).unwrap_or_default()) };
        env.retain(|e| !e.starts_with(format!("{key}=").as_bytes()));
        env.push(value.into_bytes());
    }
    env
}

/// A name without a slash is looked up in the guest's PATH, as a shell does.
fn find_program(k: &Kernel, program: &str, env: &[Vec<u8>]) -> Result<String, Failure> {
    if program.contains('/') {
        return Ok(program.to_string());
    }
    let path = env
        .iter()
        .find_map(|e| e.strip_prefix(b"PATH="))
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into());
    for dir in path.split(':').filter(|d| !d.is_empty()) {
        let candidate = format!("{}/{program}", dir.trim_end_matches('/'));
        if let Ok(st) = k.stat(&candidate) {
            if st.st_mode & 0o170000 == 0o100000 {
                return Ok(candidate);
            }
        }
    }
    Err(Failure::NotFound(format!("{program}: command not found")))
}

fn absolute(k: &Kernel, path: &str) -> String {
    if path.starts_with('/') {
        return path.to_string();
    }
    let mut buf = vec![0u8; 4096];
    match k.call(nr::SYS___getcwd, [buf.as_mut_ptr() as u64, buf.len() as u64, 0, 0, 0, 0]) {
        Ok(_) => {
            let end = buf.iter().position(|b| *b == 0).unwrap_or(0);
            let cwd = String::from_utf8_lossy(&buf[..end]).into_owned();
            let rel = path.trim_start_matches("./");
            format!("{}/{}", cwd.trim_end_matches('/'), rel)
        }
        Err(_) => path.to_string(),
    }
}

fn errno_text(e: abi_netbsd::Errno) -> String {
    match e {
        abi_netbsd::errno::ENOENT => "no such file or directory".into(),
        abi_netbsd::errno::EACCES => "permission denied".into(),
        abi_netbsd::errno::ENOTDIR => "not a directory".into(),
        _ => e.name().map(str::to_string).unwrap_or_else(|| format!("errno {}", e.0)),
    }
}

enum ReadError {
    Errno(abi_netbsd::Errno),
    NotRegular,
    NotExecutable,
}

/// Small typed helpers over the bridge for the loader's own start-up calls.
struct Kernel<'a>(&'a dyn RumpKernel);

impl Kernel<'_> {
    fn call(&self, nr: u32, args: [u64; 6]) -> abi_netbsd::SysResult {
        self.0.syscall(nr, args)
    }

    fn chdir(&self, path: &str) -> Result<(), abi_netbsd::Errno> {
        let c = std::ffi::CString::new(path).map_err(|_| abi_netbsd::errno::EINVAL)?;
        self.call(nr::SYS_chdir, [c.as_ptr() as u64, 0, 0, 0, 0, 0]).map(|_| ())
    }

    fn stat(&self, path: &str) -> Result<Stat, abi_netbsd::Errno> {
        let c = std::ffi::CString::new(path).map_err(|_| abi_netbsd::errno::EINVAL)?;
        let mut st = Stat::default();
        self.call(nr::SYS___stat50, [c.as_ptr() as u64, &mut st as *mut Stat as u64, 0, 0, 0, 0])?;
        Ok(st)
    }

    /// Reads the whole program through the guest's namespace, as execve would.
    fn read_executable(&self, path: &str) -> Result<Vec<u8>, ReadError> {
        let c = std::ffi::CString::new(path).map_err(|_| ReadError::Errno(abi_netbsd::errno::ENOENT))?;
        let fd = self.call(nr::SYS_open, [c.as_ptr() as u64, 0, 0, 0, 0, 0]).map_err(ReadError::Errno)?[0];
        let result = self.read_all(fd);
        self.call(nr::SYS_close, [fd, 0, 0, 0, 0, 0]).ok();
        result
    }

    fn read_all(&self, fd: u64) -> Result<Vec<u8>, ReadError> {
        let mut st = Stat::default();
        self.call(nr::SYS___fstat50, [fd, &mut st as *mut Stat as u64, 0, 0, 0, 0]).map_err(ReadError::Errno)?;
        if st.st_mode & 0o170000 != 0o100000 {
            return Err(ReadError::NotRegular);
        }
        if st.st_mode & 0o111 == 0 {
            return Err(ReadError::NotExecutable);
        }
        let mut bytes = Vec::with_capacity(st.st_size.max(0) as usize);
        let mut chunk = vec![0u8; 1 << 20];
        loop {
            let n = self
                .call(nr::SYS_read, [fd, chunk.as_mut_ptr() as u64, chunk.len() as u64, 0, 0, 0])
                .map_err(ReadError::Errno)?[0] as usize;
            if n == 0 {
                return Ok(bytes);
            }
            bytes.extend_from_slice(&chunk[..n]);
        }
    }
}

/// The host signal a forked guest process sends the kernel's server thread that runs its call, when
/// a signal comes for it while the call sleeps (rumpkernel_bridge::sysproxy). SIGRTMAX: sent only
/// to server threads, which take no other signal.
const SERVER_INTERRUPT: i32 = 64;

/// Gives a server thread a signal stack and block like a guest thread's (selector left at ALLOW:
/// it runs no guest code), so the interrupt is noted where the kernel's signal check looks.
fn start_server_thread() -> bool {
    match sud::new_thread_block(Thread::new(0), 0) {
        Ok(block) => {
            signals::CURRENT_BLOCK.with(|b| b.set(block));
            true
        }
        Err(_) => false,
    }
}

fn drop_host_signals() {
    signals::take_host_signals(&mut |_| {});
}

/// Frees what [`start_server_thread`] made (the thread takes no signal any more).
fn end_server_thread() {
    let block = signals::CURRENT_BLOCK.with(|b| b.replace(std::ptr::null_mut()));
    if !block.is_null() {
        // SAFETY: this thread's own signal stack, no longer in use: off it, then unmapped.
        unsafe {
            let off = libc::stack_t { ss_sp: std::ptr::null_mut(), ss_flags: libc::SS_DISABLE, ss_size: 0 };
            libc::sigaltstack(&off, std::ptr::null_mut());
            libc::munmap(block as *mut libc::c_void, sud::ALT_SIZE as usize);
        }
    }
}
