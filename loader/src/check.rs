//! `rumplx check PROGRAM`: which syscalls a static x86_64 program can make, found without running
//! it, and whether this build supports them.
//!
//! Every `syscall` instruction in the executable segments is found by a linear sweep with a real x86
//! decoder (restarted at each function symbol when the program has a symbol table). The number a
//! site makes is the value RAX holds there, followed backwards through the code: register moves
//! (`mov %rdi,%rax`), constants (`mov $N,%eax`, `xor %eax,%eax`), and joins where branches meet. When
//! the value enters through a function's start (libc's `syscall()`, musl's `__syscall_cp`, …) every
//! direct call and jump to that function is followed in turn, with the argument register it came in.
//!
//! What it is not: a proof. Values loaded from memory, computed, or reaching code only through
//! indirect jumps and calls are not guessed: such sites are counted and named as unresolved.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use abi_linux::matrix::level;
use abi_linux::table::{Support, Table};
use goblin::elf::{program_header as ph, sym};
use iced_x86::{Code as Op, Decoder, DecoderOptions, Instruction, Mnemonic, OpKind, Register};

use crate::{elf, Failure};

/// What was found in one program.
#[derive(Debug, Default)]
pub struct Report {
    pub program: String,
    /// Every `syscall` instruction's address.
    pub sites: Vec<u64>,
    /// Syscall number -> addresses of the sites that can make it.
    pub numbers: BTreeMap<u64, Vec<u64>>,
    /// Sites whose number (on at least one path) could not be followed to a constant, with the
    /// function they are in when the symbol table says.
    pub unresolved: Vec<(u64, Option<String>)>,
    /// Whether a symbol table guided the sweep.
    pub symbols: bool,
}

/// `rumplx check`: reads `program`, prints the report; Ok when the program could be read.
pub fn run(program: &str, json: bool) -> Result<(), Failure> {
    let bytes = std::fs::read(program).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Failure::NotFound(format!("{program}: no such file or directory")),
        _ => Failure::CannotExecute(format!("{program}: {e}")),
    })?;
    if std::fs::metadata(program).map(|m| !m.is_file()).unwrap_or(false) {
        return Err(Failure::CannotExecute(format!("{program}: not a regular file")));
    }
    let report = analyse(program, &bytes).map_err(|r| Failure::CannotExecute(format!("{program}: {r}")))?;
    let table = Table::new();
    print!("{}", if json { report.json(&table) } else { report.text(&table) });
    Ok(())
}

/// Finds the syscall sites of a static x86_64 ELF and the numbers they make.
pub fn analyse(program: &str, bytes: &[u8]) -> Result<Report, elf::RefuseReason> {
    let img = elf::check(bytes)?;
    let e = &img.elf;
    // Function starts from the symbol table, and names for the report. The loader's check reads
    // only what running needs; the symbol table comes from a full parse, when that succeeds.
    let mut starts: BTreeSet<u64> = BTreeSet::new();
    let mut names: BTreeMap<u64, String> = BTreeMap::new();
    let mut noreturn: HashSet<u64> = HashSet::new();
    let full = goblin::elf::Elf::parse(bytes).ok();
    for s in full.iter().flat_map(|f| f.syms.iter()) {
        if s.st_type() == sym::STT_FUNC && s.st_value != 0 {
            starts.insert(s.st_value);
            if let Some(n) = full.as_ref().and_then(|f| f.strtab.get_at(s.st_name)) {
                if NORETURN.contains(&n) {
                    noreturn.insert(s.st_value);
                }
                names.entry(s.st_value).or_insert_with(|| n.to_string());
            }
        }
    }
    let mut code = Text { noreturn, ..Text::default() };
    for p in e.program_headers.iter().filter(|p| p.p_type == ph::PT_LOAD && p.p_flags & ph::PF_X != 0) {
        let off = p.p_offset as usize;
        let len = p.p_filesz.min(bytes.len().saturating_sub(off) as u64) as usize;
        let seg = &bytes[off..off + len];
        let (lo, hi) = (p.p_vaddr, p.p_vaddr + len as u64);
        // Regions: the segment cut at every function start inside it.
        let mut cuts: Vec<u64> = vec![lo];
        cuts.extend(starts.range(lo..hi).copied());
        cuts.push(hi);
        cuts.dedup();
        for w in cuts.windows(2) {
            code.sweep(seg, lo, w[0], w[1]);
        }
    }
    code.finish();
    let mut report = Report { program: program.to_string(), symbols: !starts.is_empty(), ..Report::default() };
    for (i, ins) in code.ins.iter().enumerate() {
        if ins.code() != Op::Syscall {
            continue;
        }
        let ip = ins.ip();
        report.sites.push(ip);
        let mut r = Resolver { code: &code, seen: HashSet::new(), budget: 200_000, unresolved: false };
        let mut found = BTreeSet::new();
        r.before(i, Register::RAX, &mut found);
        for n in found {
            report.numbers.entry(n).or_default().push(ip);
        }
        if r.unresolved {
            let func = names.range(..=ip).next_back().map(|(_, n)| n.clone());
            report.unresolved.push((ip, func));
        }
    }
    Ok(report)
}

/// The decoded instructions of the executable segments, by address, and who branches where.
#[derive(Default)]
struct Text {
    ins: Vec<Instruction>,
    /// Branch or call target address -> indexes of the instructions that branch or call there.
    sources: HashMap<u64, Vec<usize>>,
    /// Addresses of functions the symbol table names as never returning (`abort`, `__libc_fatal`…):
    /// a call to one does not go on to the next instruction.
    noreturn: HashSet<u64>,
}

/// Functions of glibc and musl that never return.
const NORETURN: &[&str] = &[
    "abort", "exit", "_exit", "_Exit", "__libc_fatal", "__libc_message", "__fortify_fail", "__chk_fail",
    "__stack_chk_fail", "__assert_fail", "__assert_fail_base", "__malloc_assert", "pthread_exit",
    "__pthread_exit", "__pthread_unwind", "longjmp", "_longjmp", "siglongjmp", "__longjmp_chk",
    "__libc_longjmp", "__libc_siglongjmp", "err", "errx", "verr", "verrx", "__libc_start_main",
    "__libc_start_call_main", "__exit_thread", "__unmapself", "__restore_rt", "__restore", "_dl_signal_error",
    "__libc_dlerror_result",
];

impl Text {
    /// Decodes [from, to) of a segment mapped at `base`; an instruction running past `to` is dropped
    /// (the next region starts a function there).
    fn sweep(&mut self, seg: &[u8], base: u64, from: u64, to: u64) {
        let start = (from - base) as usize;
        let mut d = Decoder::with_ip(64, &seg[start..], from, DecoderOptions::NONE);
        let mut ins = Instruction::default();
        while d.can_decode() && d.ip() < to {
            d.decode_out(&mut ins);
            if ins.next_ip() > to {
                break;
            }
            self.ins.push(ins);
        }
    }

    /// Instruction `p` goes on to the one right after it.
    fn falls_into(&self, p: usize) -> bool {
        let ins = &self.ins[p];
        let noreturn_call = ins.mnemonic() == Mnemonic::Call
            && ins.op0_kind() == OpKind::NearBranch64
            && self.noreturn.contains(&ins.near_branch_target());
        p + 1 < self.ins.len() && ins.next_ip() == self.ins[p + 1].ip() && !no_fallthrough(ins) && !noreturn_call
    }

    /// Instruction `p` is alignment padding after a jump or return: no-ops nothing reaches.
    fn dead_padding(&self, mut p: usize) -> bool {
        loop {
            let ins = &self.ins[p];
            if !matches!(ins.mnemonic(), Mnemonic::Nop | Mnemonic::Int3) || self.sources.contains_key(&ins.ip()) {
                return false;
            }
            if p == 0 || !self.falls_into(p - 1) {
                return true;
            }
            p -= 1;
        }
    }

    fn finish(&mut self) {
        self.ins.sort_by_key(|i| i.ip());
        self.ins.dedup_by_key(|i| i.ip());
        for (i, ins) in self.ins.iter().enumerate() {
            if matches!(ins.op0_kind(), OpKind::NearBranch64) {
                self.sources.entry(ins.near_branch_target()).or_default().push(i);
            }
        }
    }
}

/// Control never goes on to the next instruction after these.
fn no_fallthrough(i: &Instruction) -> bool {
    matches!(i.mnemonic(), Mnemonic::Jmp | Mnemonic::Ret | Mnemonic::Retf | Mnemonic::Ud2 | Mnemonic::Hlt | Mnemonic::Int3 | Mnemonic::Iretq | Mnemonic::Iretd | Mnemonic::Sysret)
        || i.code() == Op::INVALID
}

/// Registers the SysV ABI lets a call clobber.
const CALLER_SAVED: [Register; 9] = [
    Register::RAX, Register::RCX, Register::RDX, Register::RSI, Register::RDI,
    Register::R8, Register::R9, Register::R10, Register::R11,
];

/// Full registers an instruction writes without naming them as its first operand.
fn implicit_writes(i: &Instruction) -> &'static [Register] {
    use Register::*;
    match i.mnemonic() {
        Mnemonic::Syscall => &[RAX, RCX, R11],
        Mnemonic::Cpuid => &[RAX, RBX, RCX, RDX],
        Mnemonic::Rdtsc | Mnemonic::Xgetbv | Mnemonic::Rdpkru => &[RAX, RDX],
        Mnemonic::Rdtscp => &[RAX, RCX, RDX],
        Mnemonic::Cdq | Mnemonic::Cqo | Mnemonic::Cwd => &[RDX],
        Mnemonic::Cdqe | Mnemonic::Cwde | Mnemonic::Cbw | Mnemonic::Lahf => &[RAX],
        Mnemonic::Mul | Mnemonic::Div | Mnemonic::Idiv => &[RAX, RDX],
        Mnemonic::Imul if i.op_count() == 1 => &[RAX, RDX],
        Mnemonic::Cmpxchg | Mnemonic::Cmpxchg8b | Mnemonic::Cmpxchg16b => &[RAX, RDX],
        Mnemonic::Lodsb | Mnemonic::Lodsw | Mnemonic::Lodsd | Mnemonic::Lodsq => &[RAX, RSI, RCX],
        Mnemonic::Stosb | Mnemonic::Stosw | Mnemonic::Stosd | Mnemonic::Stosq => &[RDI, RCX],
        Mnemonic::Scasb | Mnemonic::Scasw | Mnemonic::Scasd | Mnemonic::Scasq => &[RDI, RCX],
        Mnemonic::Movsb | Mnemonic::Movsw | Mnemonic::Movsd | Mnemonic::Movsq => &[RSI, RDI, RCX],
        Mnemonic::Cmpsb | Mnemonic::Cmpsw | Mnemonic::Cmpsd | Mnemonic::Cmpsq => &[RSI, RDI, RCX],
        Mnemonic::Loop | Mnemonic::Loope | Mnemonic::Loopne => &[RCX],
        Mnemonic::Leave | Mnemonic::Enter => &[RBP, RSP],
        _ => &[],
    }
}

/// Instructions whose first operand is a register they only read.
fn reads_op0_only(m: Mnemonic) -> bool {
    matches!(m, Mnemonic::Cmp | Mnemonic::Test | Mnemonic::Push | Mnemonic::Bt | Mnemonic::Jmp | Mnemonic::Call)
}

const GPR64: [Register; 16] = {
    use Register::*;
    [RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15]
};

/// The 64-bit register a general-purpose register is part of, and whether writing it sets all 64
/// bits (64-bit, or 32-bit which zero-extends); None for other registers.
fn gpr(r: Register) -> Option<(Register, bool)> {
    let n = r as usize;
    let (al, ah, spl, ax, eax, rax) =
        (Register::AL as usize, Register::AH as usize, Register::SPL as usize, Register::AX as usize, Register::EAX as usize, Register::RAX as usize);
    match n {
        _ if (rax..rax + 16).contains(&n) => Some((GPR64[n - rax], true)),
        _ if (eax..eax + 16).contains(&n) => Some((GPR64[n - eax], true)),
        _ if (ax..ax + 16).contains(&n) => Some((GPR64[n - ax], false)),
        _ if (al..al + 4).contains(&n) => Some((GPR64[n - al], false)),
        _ if (ah..ah + 4).contains(&n) => Some((GPR64[n - ah], false)),
        _ if (spl..spl + 12).contains(&n) => Some((GPR64[n - spl + 4], false)),
        _ => None,
    }
}

fn full(r: Register) -> Register {
    gpr(r).map(|(f, _)| f).unwrap_or(r)
}

/// Follows a register's value backwards to constants.
struct Resolver<'a> {
    code: &'a Text,
    /// (instruction index, register) already followed: a loop adds nothing new.
    seen: HashSet<(usize, Register)>,
    budget: u32,
    /// Some path ended somewhere its value cannot be known.
    unresolved: bool,
}

enum Step {
    /// The value is this constant.
    Const(u64),
    /// The value is what this register held before the instruction.
    From(Register),
    /// Untouched: the same register before the instruction.
    Same,
    /// The low byte is this constant, the rest what the register held before (`mov $N,%al`).
    Low8(u8),
    /// Cannot be known.
    Unknown,
}

impl Resolver<'_> {
    /// The values `reg` can hold just before instruction `i` runs, added to `out`.
    fn before(&mut self, mut i: usize, mut reg: Register, out: &mut BTreeSet<u64>) {
        loop {
            if !self.seen.insert((i, reg)) {
                return;
            }
            if self.budget == 0 {
                self.unresolved = true;
                return;
            }
            self.budget -= 1;
            let code = self.code;
            let ip = code.ins[i].ip();
            let fall = (i > 0)
                .then(|| i - 1)
                .filter(|&p| code.falls_into(p) && !code.dead_padding(p));
            let branches: &[usize] = code.sources.get(&ip).map(|v| v.as_slice()).unwrap_or(&[]);
            // Predecessors: the instruction before (when it falls through) and every direct
            // branch, jump or call to here.
            let mut preds: Vec<(usize, bool)> = fall.map(|p| (p, false)).into_iter().collect();
            preds.extend(branches.iter().map(|&p| (p, true)));
            if preds.is_empty() {
                // Reached only through indirect jumps or calls (or not at all): not followed.
                self.unresolved = true;
                return;
            }
            if preds.len() == 1 {
                let (p, taken) = preds[0];
                match self.step(p, reg, taken) {
                    Step::Const(v) => {
                        out.insert(v);
                        return;
                    }
                    Step::From(r) => reg = r,
                    Step::Same => {}
                    Step::Low8(b) => return self.low8(p, reg, b, out),
                    Step::Unknown => {
                        self.unresolved = true;
                        return;
                    }
                }
                i = p;
                continue;
            }
            for (p, taken) in preds {
                match self.step(p, reg, taken) {
                    Step::Const(v) => {
                        out.insert(v);
                    }
                    Step::From(r) => self.before(p, r, out),
                    Step::Same => self.before(p, reg, out),
                    Step::Low8(b) => self.low8(p, reg, b, out),
                    Step::Unknown => self.unresolved = true,
                }
            }
            return;
        }
    }

    /// `reg` after `mov $b,<its low byte>` at `p`: the values before with the low byte replaced.
    fn low8(&mut self, p: usize, reg: Register, b: u8, out: &mut BTreeSet<u64>) {
        let mut prev = BTreeSet::new();
        self.before(p, reg, &mut prev);
        out.extend(prev.into_iter().map(|v| (v & !0xff) | b as u64));
    }

    /// What a conditional branch at `p` tells of `reg` on the edge taken (`taken`) or not: after
    /// `test %r,%r` (or `cmp $N,%r`) right before it, `je` taken and `jne` not taken mean r == 0 (N).
    fn known_by_branch(&self, p: usize, reg: Register, taken: bool) -> Option<u64> {
        let code = self.code;
        let ins = &code.ins[p];
        let equal = match ins.mnemonic() {
            Mnemonic::Je => taken,
            Mnemonic::Jne => !taken,
            _ => return None,
        };
        if !equal || p == 0 || !code.falls_into(p - 1) || code.sources.contains_key(&ins.ip()) {
            return None;
        }
        let t = &code.ins[p - 1];
        if t.op_count() != 2 || t.op0_kind() != OpKind::Register || gpr(t.op0_register()) != Some((reg, true)) {
            return None;
        }
        match (t.mnemonic(), t.op1_kind()) {
            (Mnemonic::Test, OpKind::Register) if t.op1_register() == t.op0_register() => Some(0),
            (Mnemonic::Cmp, OpKind::Immediate8to32 | OpKind::Immediate32 | OpKind::Immediate8to64 | OpKind::Immediate32to64) => {
                let v = t.immediate(1);
                Some(if (Register::EAX..=Register::R15D).contains(&t.op0_register()) { v & 0xffff_ffff } else { v })
            }
            _ => None,
        }
    }

    /// What instruction `p` does to `reg` on its way to the instruction being followed (`taken`:
    /// through its branch, not by falling through).
    fn step(&self, p: usize, reg: Register, taken: bool) -> Step {
        let ins = &self.code.ins[p];
        let m = ins.mnemonic();
        if let Some(v) = self.known_by_branch(p, reg, taken) {
            return Step::Const(v);
        }
        if m == Mnemonic::Call {
            // Into the callee the registers pass unchanged; after a call returns, the ABI's
            // caller-saved registers are whatever the callee left.
            if taken {
                return Step::Same;
            }
            return if CALLER_SAVED.contains(&reg) { Step::Unknown } else { Step::Same };
        }
        if implicit_writes(ins).contains(&reg) {
            return Step::Unknown;
        }
        if m == Mnemonic::Xchg || m == Mnemonic::Xadd {
            let touches = (0..ins.op_count())
                .any(|k| ins.op_kind(k) == OpKind::Register && full(ins.op_register(k)) == reg);
            return if touches { Step::Unknown } else { Step::Same };
        }
        if ins.op_count() == 0 || ins.op0_kind() != OpKind::Register || full(ins.op0_register()) != reg || reads_op0_only(m) {
            return Step::Same;
        }
        // `ins` writes `reg` (or a part of it).
        let dst = ins.op0_register();
        let whole = gpr(dst).is_some_and(|(_, w)| w);
        match m {
            Mnemonic::Mov if whole && ins.op_count() == 2 => match ins.op1_kind() {
                OpKind::Immediate32 | OpKind::Immediate64 | OpKind::Immediate32to64 | OpKind::Immediate8to64 | OpKind::Immediate8to32 => {
                    let v = ins.immediate(1);
                    Step::Const(if (Register::EAX..=Register::R15D).contains(&dst) { v & 0xffff_ffff } else { v })
                }
                OpKind::Register if gpr(ins.op1_register()).is_some_and(|(_, w)| w) => {
                    Step::From(full(ins.op1_register()))
                }
                _ => Step::Unknown,
            },
            Mnemonic::Mov
                if (Register::AL..=Register::BL).contains(&dst) && ins.op1_kind() == OpKind::Immediate8 =>
            {
                Step::Low8(ins.immediate(1) as u8)
            }
            Mnemonic::Xor | Mnemonic::Sub
                if whole && ins.op1_kind() == OpKind::Register && ins.op1_register() == dst =>
            {
                Step::Const(0)
            }
            _ => Step::Unknown,
        }
    }
}

impl Report {
    fn rows<'t>(&self, table: &'t Table) -> Vec<(u64, Option<&'t abi_linux::table::Entry>, usize)> {
        self.numbers.iter().map(|(n, s)| (*n, table.get(*n), s.len())).collect()
    }

    /// The verdict lines: supported or not, and how many sites were not resolved.
    pub fn verdict(&self, table: &Table) -> Vec<String> {
        let rows = self.rows(table);
        let unsupported: Vec<String> = rows
            .iter()
            .filter(|(_, e, _)| !matches!(e.map(|e| &e.support), Some(Support::Full | Support::Partial(_))))
            .map(|(n, e, _)| e.map(|e| e.name.to_string()).unwrap_or_else(|| format!("unknown syscall {n}")))
            .collect();
        let partial: Vec<&str> = rows
            .iter()
            .filter_map(|(_, e, _)| e.filter(|e| matches!(e.support, Support::Partial(_))).map(|e| e.name))
            .collect();
        let mut v = vec![];
        if unsupported.is_empty() {
            v.push(format!("all {} syscalls found are supported", rows.len()));
        } else {
            v.push(format!("{} unsupported: {}", unsupported.len(), unsupported.join(", ")));
        }
        if !partial.is_empty() {
            v.push(format!("{} partially supported: {}", partial.len(), partial.join(", ")));
        }
        v.push(format!("{} syscall sites could not be resolved", self.unresolved.len()));
        v
    }

    pub fn text(&self, table: &Table) -> String {
        use std::fmt::Write;
        let mut out = format!(
            "{}: {} syscall instructions, {} syscalls found{}\n\n",
            self.program,
            self.sites.len(),
            self.numbers.len(),
            if self.symbols { "" } else { " (no symbol table: swept without function starts)" }
        );
        for (n, e, sites) in self.rows(table) {
            let (name, lvl, why) = match e {
                Some(e) => (e.name, level(&e.support), support_reason(&e.support)),
                None => ("?", "unknown", "not a Linux x86_64 syscall number"),
            };
            let _ = write!(out, "{n:>4} {name:<24} {lvl:<12} {sites:>3} site{}", if sites == 1 { "" } else { "s" });
            if !why.is_empty() {
                let _ = write!(out, "  {why}");
            }
            out.push('\n');
        }
        if !self.unresolved.is_empty() {
            out.push_str("\nunresolved sites (number loaded from memory, computed, or reached indirectly):\n");
            for (ip, f) in &self.unresolved {
                let _ = writeln!(out, "  {ip:#x}{}", f.as_ref().map(|f| format!(" in {f}")).unwrap_or_default());
            }
        }
        out.push('\n');
        for l in self.verdict(table) {
            out.push_str(&l);
            out.push('\n');
        }
        out
    }

    pub fn json(&self, table: &Table) -> String {
        let q = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
        let calls: Vec<String> = self
            .rows(table)
            .iter()
            .map(|(n, e, sites)| {
                format!(
                    "{{\"nr\": {n}, \"name\": {}, \"level\": {}, \"reason\": {}, \"sites\": {sites}}}",
                    q(e.map(|e| e.name).unwrap_or("?")),
                    q(e.map(|e| level(&e.support)).unwrap_or("unknown")),
                    q(e.map(|e| support_reason(&e.support)).unwrap_or("not a Linux x86_64 syscall number")),
                )
            })
            .collect();
        let unresolved: Vec<String> = self
            .unresolved
            .iter()
            .map(|(ip, f)| format!("{{\"address\": {}, \"function\": {}}}", q(&format!("{ip:#x}")), f.as_deref().map(q).unwrap_or_else(|| "null".into())))
            .collect();
        let verdict: Vec<String> = self.verdict(table).iter().map(|l| q(l)).collect();
        format!(
            "{{\"program\": {}, \"symbols\": {}, \"sites\": {}, \"syscalls\": [{}], \"unresolved\": [{}], \"verdict\": [{}]}}\n",
            q(&self.program),
            self.symbols,
            self.sites.len(),
            calls.join(", "),
            unresolved.join(", "),
            verdict.join(", ")
        )
    }
}

fn support_reason(s: &Support) -> &'static str {
    match s {
        Support::Full => "",
        Support::Partial(r) | Support::Unsupported(r) => r,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8]) -> Text {
        let mut c = Text::default();
        c.sweep(bytes, 0x1000, 0x1000, 0x1000 + bytes.len() as u64);
        c.finish();
        c
    }

    fn resolve(c: &Text) -> (BTreeSet<u64>, bool) {
        let i = c.ins.iter().position(|i| i.code() == Op::Syscall).unwrap();
        let mut r = Resolver { code: c, seen: HashSet::new(), budget: 1000, unresolved: false };
        let mut out = BTreeSet::new();
        r.before(i, Register::RAX, &mut out);
        (out, r.unresolved)
    }

    #[test]
    fn registers_map_to_their_64_bit_whole() {
        assert_eq!(gpr(Register::EDI), Some((Register::RDI, true)));
        assert_eq!(gpr(Register::R10D), Some((Register::R10, true)));
        assert_eq!(gpr(Register::AH), Some((Register::RAX, false)));
        assert_eq!(gpr(Register::R9L), Some((Register::R9, false)));
        assert_eq!(gpr(Register::SIL), Some((Register::RSI, false)));
        assert_eq!(gpr(Register::XMM0), None);
    }

    #[test]
    fn constants_moves_and_joins() {
        // mov $0xe7,%eax; syscall
        assert_eq!(resolve(&decode(b"\xb8\xe7\x00\x00\x00\x0f\x05")), ([231].into(), false));
        // xor %eax,%eax; syscall
        assert_eq!(resolve(&decode(b"\x31\xc0\x0f\x05")), ([0].into(), false));
        // mov $60,%edi; mov %rdi,%rax; syscall
        assert_eq!(resolve(&decode(b"\xbf\x3c\x00\x00\x00\x48\x89\xf8\x0f\x05")), ([60].into(), false));
        // mov $1,%eax; je +5; mov $2,%eax; syscall   (two paths meet)
        assert_eq!(
            resolve(&decode(b"\xb8\x01\x00\x00\x00\x74\x05\xb8\x02\x00\x00\x00\x0f\x05")),
            ([1, 2].into(), false)
        );
        // xor %eax,%eax; mov $0x38,%al; syscall   (musl's __clone)
        assert_eq!(resolve(&decode(b"\x31\xc0\xb0\x38\x0f\x05")), ([56].into(), false));
        // test %rax,%rax; je +2; ud2; syscall   (the branch says %rax is 0)
        assert_eq!(resolve(&decode(b"\x48\x85\xc0\x74\x02\x0f\x0b\x0f\x05")), ([0].into(), false));
        // mov (%rdi),%eax; syscall: loaded from memory, not guessed
        assert_eq!(resolve(&decode(b"\x8b\x07\x0f\x05")), (BTreeSet::new(), true));
        // mov $1,%eax; call elsewhere; syscall: the callee may change %rax
        assert_eq!(resolve(&decode(b"\xb8\x01\x00\x00\x00\xe8\x00\x01\x00\x00\x0f\x05")), (BTreeSet::new(), true));
    }

    #[test]
    fn a_wrapper_is_followed_to_its_callers() {
        // 0x1000: mov $39,%edi; call wrapper; mov $102,%edi; call wrapper; ret
        // wrapper: mov %rdi,%rax; syscall; ret
        let mut b = vec![0xbf, 39, 0, 0, 0, 0xe8, 0, 0, 0, 0, 0xbf, 102, 0, 0, 0, 0xe8, 0, 0, 0, 0, 0xc3];
        let wrapper = b.len() as i32;
        b.extend_from_slice(b"\x48\x89\xf8\x0f\x05\xc3");
        let rel1 = wrapper - 10;
        let rel2 = wrapper - 20;
        b[6..10].copy_from_slice(&rel1.to_le_bytes());
        b[16..20].copy_from_slice(&rel2.to_le_bytes());
        assert_eq!(resolve(&decode(&b)), ([39, 102].into(), false));
    }
}
