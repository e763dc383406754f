//! Processes (issue 8): tests/guest/proc_*.c built three ways (musl static, musl static-pie, glibc
//! static), and busybox sh / bash-static scripts that fork, exec, pipe and wait, run natively and
//! under rumplx; stdout, stderr, exit status and the files left must match.
//!
//! Scripts use only /bin/busybox applets (rumplx refuses Debian's dynamic coreutils): every run
//! directory holds `bb/`, a directory of symlinks to /bin/busybox, and each script starts with
//! `PATH=$PWD/bb`.

use rumplx_tests::*;
use std::path::{Path, PathBuf};

macro_rules! simple_guests {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                check_guest(stringify!($name), |c| c.timeout_secs(120));
            }
        )*
    };
}

simple_guests!(proc_fork_wait, proc_children, proc_pipe, proc_script, proc_shm, proc_sigqueue, proc_kill_sleeper);

/// /proc/<pid> of other processes: a blocked child's stat, status, comm, cmdline, exe, cwd and fd/
/// read by its parent, the parent's comm read by the child, after PR_SET_NAME and execve, and
/// gone once reaped (see abi_linux::sys::procfs).
#[test]
fn proc_pidfs() {
    check_guest("proc_pidfs", |c| c.timeout_secs(120));
}

/// Job control on a pseudo-terminal the program opens (posix_openpt): the session leader takes
/// it as controlling terminal, tcgetpgrp/tcsetpgrp, background reads stop with SIGTTIN and
/// TOSTOP writes with SIGTTOU (as the parent's waitpid sees), ignored/blocked/handled variants,
/// an orphaned group's EIO, /dev/tty, TIOCSCTTY and TIOCNOTTY.
#[test]
fn proc_jobctl() {
    check_guest("proc_jobctl", |c| c.timeout_secs(120));
}

/// Keyboard signals through a pseudo-terminal the program drives: ^C, ^Z, ^\ written to the
/// master reach the slave's foreground job; a window size change brings SIGWINCH; without ISIG
/// the ^C is a byte the job reads.
#[test]
fn proc_ttysig() {
    check_guest("proc_ttysig", |c| c.timeout_secs(120));
}

/// /proc/<pid>/stat's tty_nr and tpgid: a session leader's pseudo-terminal and its foreground
/// group, from /proc/self/stat and as other processes read them; 0 and -1 without a terminal.
#[test]
fn procfs_tty() {
    check_guest("procfs_tty", |c| c.timeout_secs(60));
}

/// Process-group waits (waitpid 0 and -pgid, waitid P_PGID) and zombies kept until reaped
/// (getpgid, getsid and kill of a zombie; ESRCH after the reap); EINTR and SA_RESTART.
#[test]
fn proc_pgwait() {
    check_guest("proc_pgwait", |c| c.timeout_secs(120));
}

/// SIGCHLD handlers, waitid and process groups; a child killed while its pipe read sleeps in the
/// kernel (its server thread is interrupted, see rumpkernel_bridge::sysproxy).
#[test]
fn proc_sigchld() {
    check_guest("proc_sigchld", |c| c.timeout_secs(120));
}

/// posix_spawn with musl, which reports a failed exec through a pipe.
#[test]
fn proc_spawn() {
    let cases: Vec<Case> = [Variant::MuslStatic, Variant::MuslStaticPie]
        .into_iter()
        .map(|v| Case::new(format!("proc_spawn-{v}"), guest("proc_spawn", v)).timeout_secs(120))
        .collect();
    check_all(cases);
}

/// posix_spawn with glibc, which reports a failed exec by writing into the parent's memory from a
/// CLONE_VM|CLONE_VFORK child.
#[test]
fn proc_spawn_glibc() {
    check_all(vec![Case::new("proc_spawn-glibc-static", guest("proc_spawn", Variant::GlibcStatic)).timeout_secs(120)]);
}

/// vfork and clone(CLONE_VM|CLONE_VFORK): shared memory, the parent waiting until exit or exec.
#[test]
fn proc_vfork() {
    check_guest("proc_vfork", |c| c.timeout_secs(120));
}

/// execve of "proc_exec_helper" (the same build as the caller), passed by path in argv[1].
#[test]
fn proc_exec() {
    let mut cases = vec![];
    for v in Variant::ALL {
        let helper = guest("proc_exec_helper", v);
        cases.push(
            Case::new(format!("proc_exec-{v}"), guest("proc_exec", v))
                .args([helper.to_string_lossy().into_owned()])
                .timeout_secs(120),
        );
    }
    check_all(cases);
}

/// The helper on its own (what it reports when nothing was set up for it).
#[test]
fn proc_exec_helper_alone() {
    check_guest("proc_exec_helper", |c| c.args(["3", "x"]).env("HELPER_VAR", "direct"));
}

/// system() and popen() go through /bin/sh, which on Debian is dash, a dynamically linked program
/// rumplx refuses; under rumplx the static busybox stands in for it as a volume at /bin/sh.
#[test]
fn proc_popen() {
    check_guest("proc_popen", |c| c.timeout_secs(120).rumplx_opt("-v").rumplx_opt("/bin/busybox:/bin/sh:ro"));
}

// ---------------------------------------------------------------------------------------------------
// Shell scripts
// ---------------------------------------------------------------------------------------------------

const APPLETS: &[&str] = &[
    "awk", "basename", "cat", "cut", "dirname", "echo", "env", "expr", "false", "find", "grep", "head", "kill", "ls",
    "mkdir", "printf", "rm", "sed", "seq", "sh", "sleep", "sort", "tail", "tee", "test", "touch", "tr", "true", "uniq",
    "wc", "xargs", "yes", "od", "rev",
];

fn busybox_dir(d: &Path) {
    std::fs::create_dir_all(d.join("bb")).unwrap();
    for a in APPLETS {
        std::os::unix::fs::symlink("/bin/busybox", d.join("bb").join(a)).unwrap();
    }
}

fn shell(kind: &str) -> (PathBuf, Vec<String>) {
    match kind {
        "busybox" => (PathBuf::from("/bin/busybox"), vec!["sh".into(), "-c".into()]),
        "bash" => (PathBuf::from("/bin/bash-static"), vec!["-c".into()]),
        _ => unreachable!(),
    }
}

fn script_case(kind: &str, label: &str, body: &str) -> Case {
    let (prog, mut args) = shell(kind);
    assert!(prog.exists(), "{} missing: run tests/setup.sh", prog.display());
    args.push(format!("PATH=\"$PWD/bb\"; export PATH\n{body}"));
    args.push("script".into());
    Case::new(format!("{kind}-{label}"), prog)
        .args(args)
        .file("words.txt", "pear\napple\nfig\napple\nbanana\nfig\nfig\ncherry\n")
        .file("tree/x/1.txt", "one\n")
        .file("tree/x/2.log", "two\n")
        .file("tree/y/3.txt", "three\n")
        .file("tree/y/z/4.txt", "four\n")
        .file("tree/top.txt", "top\n")
        .file_mode("hello.sh", "#!/bin/busybox sh\necho \"hello.sh args: $*\"\nexit 4\n", 0o755)
        .dir("sub")
        .setup(busybox_dir)
        // Only against hangs: the 500-process loop took over 180 s once on a machine loaded by
        // several test suites at a time.
        .timeout_secs(600)
}

/// Both shells, one case each.
fn both(label: &str, body: &str) {
    check_all(["busybox", "bash"].into_iter().map(|k| script_case(k, label, body)));
}

#[test]
fn sh_pipeline_5_stages() {
    both(
        "pipeline5",
        "seq 1 2000 | grep 7 | sed 's/7/seven/' | sort -r | head -n 15\n\
         cat words.txt | tr a-z A-Z | sort | uniq -c | sort -rn | head -n 3\n\
         seq 1 100000 | grep 99 | tail -n 2 | wc -l | tr -d ' '\n\
         false | true; echo \"status $?\"; true | false; echo \"status $?\"",
    );
}

#[test]
fn sh_command_substitution() {
    both(
        "cmdsubst",
        "x=$(seq 1 10 | wc -l); y=$(echo $(echo nested $(echo deeper))); echo \"x=$x y=$y\"\n\
         z=`echo backticks`; echo $z\n\
         n=$(cat words.txt | sort -u | wc -l); echo \"unique $n\"\n\
         s=$(exit 6); echo \"status $?\"\n\
         for w in $(sort -u words.txt); do printf '<%s>' \"$w\"; done; echo",
    );
}

#[test]
fn sh_subshells() {
    both(
        "subshells",
        "(cd sub && pwd | sed \"s|^$PWD||\"; exit 3); echo \"subshell status $?\"; pwd | sed \"s|^$PWD|.|\"\n\
         a=outer; (a=inner; echo \"in: $a\"); echo \"out: $a\"\n\
         (echo one; echo two) | (read x; read y; echo \"$y $x\")\n\
         { echo grouped; echo lines; } | wc -l\n\
         ( ( ( echo deep; exit 9 ) ); echo \"inner $?\" ); echo \"outer $?\"\n\
         (umask 077; : > private.txt); : > public.txt",
    );
}

#[test]
fn sh_background_jobs() {
    both(
        "background",
        "for i in 1 2 3 4 5; do (echo job $i > job$i.txt; exit $i) & done; wait; cat job1.txt job2.txt job3.txt job4.txt job5.txt\n\
         (exit 7) & p=$!; wait $p; echo \"waited $?\"\n\
         sleep 100 & p=$!; kill $p; wait $p; echo \"killed job status $?\"\n\
         (sleep 0; echo late) & wait; echo after\n\
         sh -c 'exit 5' & wait $!; echo \"nested sh $?\"",
    );
}

#[test]
fn sh_xargs() {
    both(
        "xargs",
        "seq 1 20 | xargs -n 3 echo\n\
         find tree -type f | sort | xargs cat\n\
         printf '%s\\n' a b c | xargs -I{} echo item {}\n\
         seq 1 5 | xargs sh -c 'echo \"sum of $# args\"; exit 0' xsh\n\
         echo x | xargs false; echo \"xargs status $?\"",
    );
}

#[test]
fn sh_find_exec() {
    both(
        "find_exec",
        "find tree -type f -name '*.txt' -exec cat {} \\; | sort\n\
         find tree -type f -exec wc -c {} + | sort\n\
         find tree -name '*.log' -exec sh -c 'echo \"log: $1\"' sh {} \\;\n\
         find tree -type d | sort",
    );
}

#[test]
fn sh_here_documents() {
    both(
        "heredoc",
        "v=expanded\ncat <<EOF | tr a-z A-Z\nhello $v\n  $(echo substituted)\nEOF\n\
         cat <<'RAW' | wc -l\n$v not expanded\nline two\nRAW\n\
         sed 's/^/> /' <<EOF > quoted.txt\nfirst\nsecond\nEOF\n\
         cat quoted.txt\n\
         while read -r a b; do echo \"$b-$a\"; done <<EOF\n1 one\n2 two\nEOF",
    );
}

/// 250 plain spawns of busybox applets, then 250 command substitutions (fork + exec each).
#[test]
fn sh_many_processes() {
    both(
        "many",
        "i=0; while [ $i -lt 250 ]; do true; i=$((i + 1)); done; echo \"loop $i\"\n\
         n=0; for i in $(seq 1 250); do n=$((n + $(expr $i % 3))); done; echo \"sum $n\"\n\
         i=0; while [ $i -lt 20 ]; do echo $i | cat | cat > /dev/null; i=$((i + 1)); done; echo piped $i",
    );
}

#[test]
fn sh_script_and_exit_status() {
    both(
        "scripts",
        "./hello.sh a 'b c'; echo \"status $?\"\n\
         sh hello.sh x; echo \"status $?\"\n\
         sh -c 'kill -TERM $$'; echo \"killed sh status $?\"\n\
         no-such-command 2>/dev/null; echo \"missing $?\"\n\
         ls tree | tee listing.txt | wc -l\n\
         exit 3",
    );
}

#[test]
fn bash_pipefail_and_process_substitution() {
    script_case(
        "bash",
        "pipefail",
        "set -o pipefail; true | false | true; echo \"pipefail $?\"; set +o pipefail\n\
         diff_count=0; while read -r l; do diff_count=$((diff_count+1)); done < <(seq 1 7); echo \"procsubst $diff_count\"\n\
         echo \"${PIPESTATUS[@]}\"; true | false | true; echo \"${PIPESTATUS[@]}\"",
    )
    .assert_same();
}

/// Host processes that are children of `pid`, and theirs (from each /proc/N/stat's ppid).
fn host_descendants(pid: u32) -> Vec<u32> {
    let parents: Vec<(u32, u32)> = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|p| {
            let stat = std::fs::read_to_string(format!("/proc/{p}/stat")).ok()?;
            let after = &stat[stat.rfind(')')? + 2..];
            Some((p, after.split(' ').nth(1)?.parse().ok()?))
        })
        .collect();
    let mut found = vec![pid];
    let mut i = 0;
    while i < found.len() {
        let p = found[i];
        found.extend(parents.iter().filter(|(_, pp)| *pp == p).map(|(c, _)| *c));
        i += 1;
    }
    found.split_off(1)
}

/// Whether host process `pid` still runs (a zombie has ended).
fn host_alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| s[s.rfind(')')? + 2..].chars().next())
        .is_some_and(|state| state != 'Z' && state != 'X')
}

/// The run's first process killed outright (SIGKILL: it cannot end the others itself) takes
/// every other process of the run with it: none is left running on the host (the lifeline,
/// loader/src/platform/lifeline.rs).
#[test]
fn killed_run_leaves_no_process() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    // A child and a grandchild in pause(), which never reaches the kernel (a process blocked in
    // a kernel call would end anyway, its channel gone).
    let program = guest("proc_lifeline", Variant::MuslStatic);
    let mut child = Command::new(rumplx_bin())
        .arg("run")
        .arg(&program)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("rumplx starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    assert_eq!(line, "started\n");
    let others = host_descendants(child.id());
    assert!(!others.is_empty(), "the script's children are host processes of the run");
    child.kill().unwrap();
    child.wait().unwrap();
    // A failure guard, not a synchronisation: the host kills them as rumplx's descriptors close.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while others.iter().any(|p| host_alive(*p)) && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let left: Vec<u32> = others.into_iter().filter(|p| host_alive(*p)).collect();
    for p in &left {
        let _ = Command::new("kill").args(["-9", &p.to_string()]).status();
    }
    assert!(left.is_empty(), "processes of the run left running: {left:?}");
}
