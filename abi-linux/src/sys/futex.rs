//! futex: served by the layer on the host's futexes.
//!
//! Why not the bridge: a futex word is guest memory, and the guest's memory is host memory mapped by
//! the layer, not rump kernel memory; NetBSD's `__futex` (NetBSD 10) is absent from the 2016 rump
//! kernel, and `_lwp_park` would need a word-to-lwp table in the layer anyway. The host kernel gives
//! exactly Linux's futex semantics on the same words, so the layer checks the pointers and passes
//! the operation through.

use syscalls::Sysno;

use crate::dispatch::Ctx;
use crate::errno::{EINVAL, ENOSYS};
use crate::platform::Access;
use crate::table::{entry, Arg, Entry, Family::Ipc, Ret, Route, Support};
use crate::LxResult;

pub const ENTRIES: &[Entry] = &[entry(
    Sysno::futex as u32,
    "futex",
    Ipc,
    &[Arg::Hex, Arg::Hex, Arg::Int, Arg::Ptr, Arg::Hex, Arg::Hex],
    Ret::Int,
    Route::Layer(futex),
    Support::Partial("WAIT, WAKE, REQUEUE, CMP_REQUEUE, WAKE_OP, WAIT_BITSET, WAKE_BITSET (private or not, CLOCK_REALTIME too); PI futexes answer ENOSYS"),
)];

const FUTEX_WAIT: u32 = 0;
const FUTEX_WAKE: u32 = 1;
const FUTEX_REQUEUE: u32 = 3;
const FUTEX_CMP_REQUEUE: u32 = 4;
const FUTEX_WAKE_OP: u32 = 5;
const FUTEX_WAIT_BITSET: u32 = 9;
const FUTEX_WAKE_BITSET: u32 = 10;
const FUTEX_PRIVATE_FLAG: u32 = 128;
const FUTEX_CLOCK_REALTIME: u32 = 256;

fn futex(ctx: &mut Ctx) -> LxResult {
    let [uaddr, op, val, timeout, uaddr2, val3] = ctx.args;
    let op = op as u32;
    let cmd = op & !(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
    if uaddr % 4 != 0 {
        return Err(EINVAL);
    }
    let (uses_timeout, uses_uaddr2) = match cmd {
        FUTEX_WAIT | FUTEX_WAIT_BITSET => (true, false),
        FUTEX_WAKE | FUTEX_WAKE_BITSET => (false, false),
        FUTEX_REQUEUE | FUTEX_CMP_REQUEUE | FUTEX_WAKE_OP => (false, true),
        _ => return Err(ENOSYS),
    };
    ctx.check(uaddr, 4, Access::Write)?;
    if uses_uaddr2 {
        if uaddr2 % 4 != 0 {
            return Err(EINVAL);
        }
        ctx.check(uaddr2, 4, Access::Write)?;
    }
    // For the requeue ops the fourth argument is a count, not a pointer: it passes as it is.
    if uses_timeout && timeout != 0 {
        ctx.check(timeout, 16, Access::Read)?;
    }
    ctx.p.platform.futex(uaddr, op, val as u32, timeout, uaddr2, val3 as u32)
}
