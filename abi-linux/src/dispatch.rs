//! The personality's state and the dispatcher: one Linux syscall in, one Linux answer out.

use alloc::{string::String, sync::Arc, vec::Vec};

use rumpkernel_bridge::RumpKernel;

use crate::{
    mm::AddressSpace,
    platform::{Access, Platform},
    table::{Arg, Entry, Route, Table},
    trace::TraceLog,
    xlat, Errno, LxResult,
};

/// Facts about the guest process that the kernel does not own.
#[derive(Clone, Debug, Default)]
pub struct ProcessInfo {
    /// The program's path as given to `execve` (AT_EXECFN, /proc/self/exe).
    pub exe_path: String,
    /// argv, for /proc/self/cmdline.
    pub argv: Vec<String>,
}

/// Per guest thread state the layer keeps.
#[derive(Debug, Default)]
pub struct Thread {
    /// Linux thread id as the guest sees it.
    pub tid: i32,
    /// `set_tid_address` pointer.
    pub clear_child_tid: u64,
    /// Blocked signals (Linux numbering, bit N-1 for signal N).
    pub sigmask: u64,
    /// `sigaltstack` as the guest set it: (ss_sp, ss_flags, ss_size).
    pub altstack: (u64, i32, u64),
    /// `set_robust_list` head.
    pub robust_list: u64,
    /// PR_SET_NAME name (15 bytes and a NUL).
    pub comm: [u8; 16],
    /// PR_SET_PDEATHSIG signal.
    pub pdeathsig: i32,
}

/// Process-wide prctl settings.
#[derive(Debug)]
pub struct PrctlState {
    pub dumpable: bool,
    pub no_new_privs: bool,
}

/// The Linux personality of one guest process.
pub struct Personality {
    pub kernel: Arc<dyn RumpKernel>,
    pub platform: Arc<dyn Platform>,
    pub table: Table,
    pub mm: spin::Mutex<AddressSpace>,
    pub signals: spin::Mutex<crate::sys::signal::SignalState>,
    pub prctl: spin::Mutex<PrctlState>,
    pub info: ProcessInfo,
    /// `--trace`: print each call strace-style with the NetBSD calls it became.
    pub trace: bool,
}

/// What one handler invocation sees.
pub struct Ctx<'a> {
    pub args: [u64; 6],
    pub p: &'a Personality,
    pub thread: &'a mut Thread,
    pub trace: Option<TraceLog>,
}

impl Personality {
    pub fn new(kernel: Arc<dyn RumpKernel>, platform: Arc<dyn Platform>, mm: AddressSpace, info: ProcessInfo) -> Self {
        Personality {
            kernel,
            platform,
            table: Table::new(),
            mm: spin::Mutex::new(mm),
            signals: spin::Mutex::new(Default::default()),
            prctl: spin::Mutex::new(PrctlState { dumpable: true, no_new_privs: false }),
            info,
            trace: false,
        }
    }

    /// Serves Linux syscall `nr` for `thread` and returns the value for RAX (a result or -errno).
    pub fn dispatch(&self, thread: &mut Thread, nr: u64, args: [u64; 6]) -> u64 {
        let entry = self.table.get(nr);
        let mut ctx = Ctx { args, p: self, thread, trace: self.trace.then(TraceLog::default) };
        if let (Some(e), true) = (entry, self.trace) {
            if e.ret == crate::table::Ret::None {
                // Calls that do not return are traced before they run, as strace shows them.
                let line = crate::trace::format_call(self, nr, entry, &args, &Ok(0), &TraceLog::default());
                self.platform.log(&line);
            }
        }
        let result = match entry {
            None => Err(crate::errno::ENOSYS),
            Some(e) => ctx.run(e),
        };
        if let Some(log) = ctx.trace.take() {
            let line = crate::trace::format_call(self, nr, entry, &args, &result, &log);
            self.platform.log(&line);
        }
        match result {
            Ok(v) => v,
            Err(e) => (-(e.0 as i64)) as u64,
        }
    }
}

impl<'a> Ctx<'a> {
    fn run(&mut self, e: &Entry) -> LxResult {
        match e.route {
            Route::SameAs(nb) => {
                self.check_pointer_args(e.args)?;
                let args = self.args;
                self.nb(nb, args).map(|r| r[0])
            }
            Route::Translated(h, _) | Route::Layer(h) => h(self),
            Route::Enosys => Err(crate::errno::ENOSYS),
        }
    }

    /// Checks the buffers a pass-through call hands to the kernel, from the entry's argument kinds.
    fn check_pointer_args(&self, kinds: &[Arg]) -> Result<(), Errno> {
        for (i, kind) in kinds.iter().enumerate() {
            match *kind {
                Arg::BufIn(len) => self.check(self.args[i], self.args[len as usize], Access::Read)?,
                Arg::BufOut(len) => self.check(self.args[i], self.args[len as usize], Access::Write)?,
                _ => {}
            }
        }
        Ok(())
    }

    /// Argument `i` as an int (the low 32 bits, sign-extended), as the kernel reads `int` args.
    pub fn int(&self, i: usize) -> i32 {
        self.args[i] as u32 as i32
    }

    /// Checks that the guest may access `len` bytes at `addr`; EFAULT otherwise.
    pub fn check(&self, addr: u64, len: u64, access: Access) -> Result<(), Errno> {
        if len == 0 {
            return Ok(());
        }
        if self.p.mm.lock().contains(addr, len, access) {
            Ok(())
        } else {
            Err(crate::errno::EFAULT)
        }
    }

    /// The guest bytes at `addr..addr+len`, checked readable.
    pub fn guest_bytes(&self, addr: u64, len: usize) -> Result<&'a [u8], Errno> {
        self.check(addr, len as u64, Access::Read)?;
        if len == 0 {
            return Ok(&[]);
        }
        // SAFETY: the range lies inside a readable guest mapping (checked above).
        Ok(unsafe { core::slice::from_raw_parts(addr as *const u8, len) })
    }

    /// The guest bytes at `addr..addr+len`, checked writable.
    pub fn guest_bytes_mut(&self, addr: u64, len: usize) -> Result<&'a mut [u8], Errno> {
        self.check(addr, len as u64, Access::Write)?;
        if len == 0 {
            return Ok(&mut []);
        }
        // SAFETY: the range lies inside a writable guest mapping (checked above).
        Ok(unsafe { core::slice::from_raw_parts_mut(addr as *mut u8, len) })
    }

    /// Reads a `T` from the guest.
    pub fn read_struct<T: Copy>(&self, addr: u64) -> Result<T, Errno> {
        self.check(addr, core::mem::size_of::<T>() as u64, Access::Read)?;
        // SAFETY: checked readable; unaligned read because guest structs need not be aligned.
        Ok(unsafe { core::ptr::read_unaligned(addr as *const T) })
    }

    /// Writes a `T` to the guest.
    pub fn write_struct<T: Copy>(&self, addr: u64, value: &T) -> Result<(), Errno> {
        self.check(addr, core::mem::size_of::<T>() as u64, Access::Write)?;
        // SAFETY: checked writable.
        unsafe { core::ptr::write_unaligned(addr as *mut T, *value) };
        Ok(())
    }

    /// Reads a NUL-terminated string (a path) from the guest, NUL included. ENAMETOOLONG past
    /// PATH_MAX, EFAULT when it runs off the guest's memory.
    pub fn guest_cstr(&self, addr: u64) -> Result<Vec<u8>, Errno> {
        const PATH_MAX: u64 = 4096;
        let mut out = Vec::new();
        let mm = self.p.mm.lock();
        let mut a = addr;
        loop {
            if a - addr >= PATH_MAX {
                return Err(crate::errno::ENAMETOOLONG);
            }
            if !mm.contains(a, 1, Access::Read) {
                return Err(crate::errno::EFAULT);
            }
            // SAFETY: checked readable just above.
            let b = unsafe { *(a as *const u8) };
            out.push(b);
            if b == 0 {
                return Ok(out);
            }
            a += 1;
        }
    }

    /// Performs NetBSD syscall `nr` through the bridge, records it for the tracer, and translates
    /// its errno to Linux.
    pub fn nb(&mut self, nr: u32, args: [u64; 6]) -> Result<[u64; 2], Errno> {
        self.nb_raw(nr, args).map_err(xlat::errno::from_netbsd)
    }

    /// Like [`Ctx::nb`], but leaves a failure as the NetBSD errno (for handlers that look at it).
    pub fn nb_raw(&mut self, nr: u32, args: [u64; 6]) -> Result<[u64; 2], abi_netbsd::Errno> {
        let r = self.p.kernel.syscall(nr, args);
        if let Some(log) = self.trace.as_mut() {
            log.record(nr, &args, &r);
        }
        r
    }
}
