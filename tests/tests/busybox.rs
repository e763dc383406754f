//! Debian's busybox-static (/bin/busybox, glibc static) applets on real inputs, native vs rumplx.
//! Each test is one applet invocation in a fresh directory holding the same fixture files; stdout,
//! exit status and every file left behind are compared. Multi-process pipelines (sh -c 'a | b') need
//! fork/exec, which is a later issue, so each invocation here is a single process.

use rumplx_tests::*;
use std::path::PathBuf;

fn busybox() -> PathBuf {
    let p = PathBuf::from("/bin/busybox");
    assert!(p.exists(), "/bin/busybox missing: run tests/setup.sh (installs busybox-static)");
    p
}

fn text() -> String {
    let words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa"];
    let mut s = String::new();
    for i in 0..500u32 {
        let w = words[(i * 7 % 10) as usize];
        let w2 = words[(i * 3 % 10) as usize];
        s.push_str(&format!("{i:04} {w} {w2}\t{}\n", i * i % 97));
    }
    s
}

/// The same inputs in every run directory.
fn fixture(label: &str, args: &[&str]) -> Case {
    let mut numbers = String::new();
    for i in 0..300u32 {
        numbers.push_str(&format!("{}\n", (i * 7919) % 1009));
    }
    let mut bin = Vec::new();
    for i in 0..70000u32 {
        bin.push((i.wrapping_mul(2654435761) >> 13) as u8);
    }
    Case::new(format!("busybox-{label}"), busybox())
        .args(args.iter().copied())
        .file("text.txt", text())
        .file("numbers.txt", numbers)
        .file("words.txt", "pear\napple\nfig\napple\nbanana\nfig\nfig\ncherry\n")
        .file("sorted1.txt", "a\nb\nc\nd\nf\n")
        .file("sorted2.txt", "b\nc\ne\nf\ng\n")
        .file("csv.txt", "name,age,city\nann,31,oslo\nbob,25,rome\ncid,47,lima\ndee,19,bern\n")
        .file("crlf.txt", "one\r\ntwo\r\nthree\r\n")
        .file("tabs.txt", "a\tb\tc\n\tindented\nno tabs here\n")
        .file("long.txt", format!("{}\n", "the quick brown fox jumps over the lazy dog ".repeat(20)))
        .file("data.bin", bin)
        .file("empty.txt", "")
        .file_mode("script.sh", "#!/bin/sh\necho hi\n", 0o755)
        // A chain of directories, one entry each, so archive member order never depends on readdir order.
        .file("chain/a/b/c/deep.txt", "deep file\n")
        // A bushy tree for find/ls/du-like walks.
        .file("tree/x/1.txt", "one\n")
        .file("tree/x/2.log", "two\n")
        .file("tree/y/3.txt", "three\n")
        .file("tree/y/z/4.txt", "four\n")
        .file("tree/top.txt", "top\n")
        .dir("tree/emptydir")
        .symlink("tree/link-to-top", "top.txt")
        .dir("outdir")
        .setup(prepare_derived_inputs)
}

/// Inputs made by the native busybox from the fixture: an archive, compressed files, base64 text.
fn prepare_derived_inputs(d: &std::path::Path) {
    run_native_tool(d, &["tar", "cf", "archive.tar", "chain"]);
    run_native_tool(d, &["gzip", "-k", "text.txt"]);
    run_native_tool(d, &["bzip2", "-k", "text.txt"]);
    let out = std::process::Command::new(busybox()).args(["base64", "data.bin"]).current_dir(d).output().unwrap();
    std::fs::write(d.join("b64.txt"), out.stdout).unwrap();
    run_native_tool(d, &["sort", "-o", "sorted-words.txt", "words.txt"]);
    std::fs::write(d.join("spaces.txt"), "        eight\n    four then        eight\n").unwrap();
}

fn run_native_tool(dir: &std::path::Path, args: &[&str]) {
    let st = std::process::Command::new(busybox()).args(args).current_dir(dir).status().unwrap();
    assert!(st.success(), "preparing fixture: busybox {args:?} failed");
}

fn check(label: &str, args: &[&str]) {
    fixture(label, args).assert_same();
}

macro_rules! bb {
    ($($name:ident => [$($arg:expr),+ $(,)?];)+) => {
        $(
            #[test]
            fn $name() {
                check(stringify!($name), &[$($arg),+]);
            }
        )+
    };
}

bb! {
    echo => ["echo", "hello", "world", "-n", "x"];
    echo_escapes => ["echo", "-e", "a\\tb\\nc\\x41"];
    cat => ["cat", "text.txt", "words.txt"];
    cat_number => ["cat", "-n", "words.txt"];
    cat_missing => ["cat", "words.txt", "missing.txt"];
    head => ["head", "-n", "7", "text.txt"];
    head_bytes => ["head", "-c", "100", "data.bin"];
    tail => ["tail", "-n", "5", "text.txt"];
    tail_from => ["tail", "-n", "+495", "text.txt"];
    tail_bytes => ["tail", "-c", "333", "data.bin"];
    wc => ["wc", "text.txt", "words.txt", "data.bin"];
    wc_lines => ["wc", "-l", "text.txt"];
    sort => ["sort", "words.txt"];
    sort_numeric_reverse => ["sort", "-n", "-r", "numbers.txt"];
    sort_key => ["sort", "-t", ",", "-k", "2n", "csv.txt"];
    sort_unique => ["sort", "-u", "words.txt"];
    sort_output_file => ["sort", "-o", "sorted-out.txt", "text.txt"];
    uniq => ["uniq", "-c", "sorted1.txt"];
    cut => ["cut", "-d", ",", "-f", "1,3", "csv.txt"];
    cut_chars => ["cut", "-c", "1-8", "text.txt"];
    tr => ["tr", "a-z", "A-Z"];
    sed => ["sed", "-n", "s/alpha/ALPHA/gp", "text.txt"];
    sed_inplace => ["sed", "-i", "s/fig/FIG/; 2d", "words.txt"];
    sed_script => ["sed", "-e", "1~50!d", "-e", "s/\\t/|/", "text.txt"];
    awk => ["awk", "{ s[$2] += $4; n++ } END { for (k in s) print k, s[k]; print n }", "text.txt"];
    awk_simple => ["awk", "-F,", "NR > 1 { t += $2; printf \"%s=%d\\n\", $1, $2 } END { print \"total\", t, t/(NR-1) }", "csv.txt"];
    awk_math => ["awk", "BEGIN { for (i = 1; i <= 10; i++) printf \"%d %.4f %s\\n\", i, sqrt(i), substr(\"abcdefghij\", i, 3) }"];
    grep => ["grep", "-n", "gamma", "text.txt"];
    grep_count_invert => ["grep", "-c", "-v", "a", "words.txt"];
    grep_regex => ["grep", "-E", "^00[1-3][05] (alpha|beta)", "text.txt"];
    grep_nomatch => ["grep", "zzz-not-there", "text.txt"];
    md5sum => ["md5sum", "text.txt", "data.bin", "empty.txt"];
    sha1sum => ["sha1sum", "text.txt", "data.bin"];
    sha256sum => ["sha256sum", "text.txt", "data.bin"];
    sha512sum => ["sha512sum", "data.bin"];
    sha3sum => ["sha3sum", "data.bin"];
    crc32 => ["crc32", "data.bin"];
    base64 => ["base64", "data.bin"];
    base64_decode => ["base64", "-d", "b64.txt"];
    od => ["od", "-A", "x", "-t", "x1z", "-N", "256", "data.bin"];
    hexdump => ["hexdump", "-C", "-n", "512", "data.bin"];
    xxd => ["xxd", "-l", "300", "data.bin"];
    tar_create => ["tar", "cf", "out.tar", "chain"];
    tar_create_verbose => ["tar", "cvf", "out.tar", "chain/a/b/c/deep.txt", "text.txt", "words.txt"];
    tar_list => ["tar", "tvf", "archive.tar"];
    tar_extract => ["tar", "xf", "archive.tar", "-C", "outdir"];
    gzip => ["gzip", "-k", "text.txt"];
    gzip_best => ["gzip", "-9", "data.bin"];
    gunzip => ["gunzip", "-v", "text.txt.gz"];
    bzip2 => ["bzip2", "-k", "text.txt"];
    bunzip2 => ["bunzip2", "-c", "text.txt.bz2"];
    ls => ["ls", "-1", "tree"];
    ls_recursive => ["ls", "-1", "-R", "-a", "tree"];
    ls_classify => ["ls", "-1", "-F", "tree", "script.sh"];
    ls_missing => ["ls", "-1", "missing-dir"];
    ls_long => ["ls", "-l", "-n", "-a", "tree", "tree/x"];
    ls_long_files => ["ls", "-l", "-n", "text.txt", "script.sh", "chain/a/b/c/deep.txt", "tree/link-to-top"];
    du_summary => ["du", "-s", "-k", "tree", "chain"];
    stat => ["stat", "-c", "%s %F %a %n", "text.txt", "tree", "tree/link-to-top", "empty.txt"];
    stat_deref => ["stat", "-L", "-c", "%s %F", "tree/link-to-top"];
    seq => ["seq", "1", "3", "100"];
    seq_format => ["seq", "-w", "-s", ",", "8", "12"];
    expr => ["expr", "(", "7", "+", "5", ")", "*", "3"];
    expr_string => ["expr", "length", "rumplx-runs-linux"];
    expr_false => ["expr", "0", "+", "0"];
    printf => ["printf", "%s|%5d|%-6s|%x|%o|%c|%%\\n", "str", "42", "left", "255", "8", "Z"];
    basename => ["basename", "/usr/lib/x86_64-linux-musl/libc.a", ".a"];
    dirname => ["dirname", "/usr/lib/x86_64-linux-musl/libc.a"];
    test_file => ["test", "-f", "text.txt", "-a", "-d", "tree", "-a", "!", "-e", "missing"];
    test_false => ["test", "-d", "text.txt"];
    test_num => ["test", "12", "-gt", "7"];
    bracket => ["[", "-s", "empty.txt", "]"];
    true_ => ["true"];
    false_ => ["false"];
    mkdir_p => ["mkdir", "-p", "new/deep/path", "new/other"];
    mkdir_mode => ["mkdir", "-m", "700", "private"];
    mkdir_exists => ["mkdir", "tree"];
    rm_r => ["rm", "-r", "tree"];
    rm_files => ["rm", "-f", "text.txt", "missing", "words.txt"];
    rm_dir_without_r => ["rm", "tree"];
    rmdir => ["rmdir", "tree/emptydir"];
    rmdir_nonempty => ["rmdir", "tree"];
    cp => ["cp", "text.txt", "copy.txt"];
    cp_r => ["cp", "-r", "tree", "tree-copy"];
    cp_preserve => ["cp", "-p", "script.sh", "script-copy.sh"];
    mv => ["mv", "text.txt", "tree/moved.txt"];
    mv_dir => ["mv", "tree", "renamed-tree"];
    ln_s => ["ln", "-s", "text.txt", "sym"];
    ln_hard => ["ln", "text.txt", "hard"];
    readlink => ["readlink", "tree/link-to-top"];
    readlink_f => ["readlink", "-f", "tree/x/../link-to-top"];
    realpath => ["realpath", "tree/y/z/4.txt"];
    touch => ["touch", "-d", "2020-02-02 02:02:02", "new-file", "text.txt"];
    touch_c => ["touch", "-c", "not-created"];
    tac => ["tac", "words.txt"];
    rev => ["rev", "words.txt", "csv.txt"];
    nl => ["nl", "-ba", "words.txt"];
    fold => ["fold", "-w", "30", "-s", "long.txt"];
    paste => ["paste", "-d", ":", "sorted1.txt", "sorted2.txt"];
    paste_serial => ["paste", "-s", "words.txt"];
    expand => ["expand", "-t", "4", "tabs.txt"];
    unexpand => ["unexpand", "-a", "spaces.txt"];
    strings => ["strings", "-n", "6", "/bin/busybox"];
    cmp_differ => ["cmp", "sorted1.txt", "sorted2.txt"];
    cmp_same => ["cmp", "text.txt", "text.txt"];
    diff => ["diff", "-u", "sorted1.txt", "sorted2.txt"];
    truncate => ["truncate", "-s", "1234", "text.txt", "new-sparse"];
    tee => ["tee", "t1.txt", "t2.txt"];
    uname => ["uname", "-s", "-m"];
    dos2unix => ["dos2unix", "crlf.txt"];
    unix2dos => ["unix2dos", "words.txt"];
    uuencode => ["uuencode", "-m", "data.bin", "name"];
    factor => ["factor", "1234567", "600851475143", "97"];
    uniq_d => ["uniq", "-d", "sorted-words.txt"];
    fallocate => ["fallocate", "-l", "65536", "alloc.bin"];
    cksum_crc => ["crc32", "text.txt"];
    getopt => ["getopt", "ab:c", "-a", "-b", "arg", "rest", "-c"];
    pwd => ["pwd", "-P"];
    which => ["which", "busybox"];
    dc => ["dc", "-e", "2 64 ^ p 17 3 % p"];
    wc_stdin_less => ["wc", "-c", "/dev/null"];
    link => ["link", "text.txt", "hard-linked"];
    unlink => ["unlink", "words.txt"];
    sleep_zero => ["sleep", "0"];
    env_print => ["env"];
    id_u => ["id", "-u"];
    chmod => ["chmod", "-R", "go-rwx", "tree"];
    chmod_symbolic => ["chmod", "u=rwx,g=rx,o=", "text.txt"];
    du_apparent_files => ["du", "-s", "-k", "empty.txt"];
}

/// find's output order follows readdir order, which is not specified: compare the lines as a set.
#[test]
fn find() {
    fixture("find", &["find", "tree"]).stdout_cmp(StdoutCmp::SortedLines).assert_same();
}

#[test]
fn find_name_type() {
    fixture("find_name_type", &["find", ".", "-name", "*.txt", "-type", "f"])
        .stdout_cmp(StdoutCmp::SortedLines)
        .assert_same();
}

#[test]
fn find_mindepth_size() {
    fixture("find_mindepth_size", &["find", "tree", "-mindepth", "2", "-size", "-1k", "-o", "-type", "d"])
        .stdout_cmp(StdoutCmp::SortedLines)
        .assert_same();
}

#[test]
fn find_delete() {
    fixture("find_delete", &["find", "tree", "-name", "*.log", "-delete"]).assert_same();
}

/// date +%s: both sides print a number (they run at different moments).
#[test]
fn date_epoch() {
    fixture("date_epoch", &["date", "+%s"]).stdout_cmp(StdoutCmp::BothNumeric).assert_same();
}

#[test]
fn date_fixed() {
    check("date_fixed", &["date", "-u", "-d", "@1609459200", "+%Y-%m-%d %H:%M:%S %j %a"]);
}

#[test]
fn date_file_reference() {
    check("date_file_reference", &["date", "-u", "-r", "text.txt", "+%s"]);
}

#[test]
fn tr_stdin() {
    fixture("tr_stdin", &["tr", "-s", "a-z", "A-Z"]).stdin(text()).assert_same();
}

#[test]
fn tr_delete_stdin() {
    fixture("tr_delete_stdin", &["tr", "-d", "aeiou\\n"]).stdin("education is the key\nto everything\n").assert_same();
}

#[test]
fn cat_stdin() {
    fixture("cat_stdin", &["cat", "-", "words.txt"]).stdin("from stdin\n").assert_same();
}

#[test]
fn tee_stdin() {
    fixture("tee_stdin", &["tee", "-a", "words.txt", "new.txt"]).stdin("tee line 1\ntee line 2\n").assert_same();
}

#[test]
fn sort_stdin_large() {
    let mut s = String::new();
    for i in 0..50000u32 {
        s.push_str(&format!("{:08x}\n", i.wrapping_mul(2654435761)));
    }
    fixture("sort_stdin_large", &["sort"]).stdin(s).assert_same();
}

#[test]
fn md5sum_check() {
    // md5sum -c on a list made natively beforehand.
    let sums = std::process::Command::new(busybox())
        .args(["md5sum", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(text().as_bytes())?;
            c.wait_with_output()
        })
        .unwrap();
    let line = String::from_utf8_lossy(&sums.stdout).replace(" -", " text.txt");
    fixture("md5sum_check", &["md5sum", "-c", "sums.md5"]).file("sums.md5", line + "0123456789abcdef0123456789abcdef  words.txt\n").assert_same();
}

#[test]
fn gunzip_stdin_to_stdout() {
    // A gzip stream produced natively, decompressed by rumplx from stdin.
    let dir = fresh_dir("bb-gz-prep");
    std::fs::write(dir.join("t.txt"), text()).unwrap();
    let st = std::process::Command::new(busybox()).args(["gzip", "t.txt"]).current_dir(&dir).status().unwrap();
    assert!(st.success());
    let gz = std::fs::read(dir.join("t.txt.gz")).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    fixture("gunzip_stdin", &["gunzip", "-c"]).stdin(gz).assert_same();
}

#[test]
fn wc_stdin() {
    fixture("wc_stdin", &["wc"]).stdin(text()).assert_same();
}

#[test]
fn xargs_echo() {
    // xargs runs its command with fork/exec: a later issue.
    fixture("xargs_echo", &["xargs", "-n", "2", "echo"]).stdin("a b c d e\n").assert_same();
}

#[test]
fn grep_recursive() {
    fixture("grep_recursive", &["grep", "-r", "-l", "o", "tree"]).stdout_cmp(StdoutCmp::SortedLines).assert_same();
}

#[test]
fn tar_extract_verbose() {
    check("tar_extract_verbose", &["tar", "xvf", "archive.tar", "-C", "outdir"]);
}

#[test]
fn tar_then_list_roundtrip() {
    // The archive rumplx writes must be byte-identical to the native one.
    check("tar_roundtrip", &["tar", "cf", "mine.tar", "chain", "text.txt", "data.bin"]);
}

/// busybox zcat feeds the decompressor through a pipe from a forked child.
#[test]
fn zcat() {
    check("zcat", &["zcat", "text.txt.gz"]);
}

/// dd reports its transfer rate on stderr: compare everything but stderr.
#[test]
fn dd() {
    fixture("dd", &["dd", "if=data.bin", "of=dd.out", "bs=1000", "count=7", "skip=3"]).compare_stderr(false).assert_same();
}

#[test]
fn dd_conv() {
    fixture("dd_conv", &["dd", "if=words.txt", "of=upper.txt", "conv=ucase"]).compare_stderr(false).assert_same();
}

/// 24 MiB through stdout: large pipe writes, partial writes, sendfile or read/write loops.
#[test]
fn cat_large_file_to_stdout() {
    fixture("cat_large", &["cat", "large.bin"])
        .setup(|d| {
            let mut v = Vec::with_capacity(24 << 20);
            let mut x: u32 = 12345;
            while v.len() < (24 << 20) {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                v.extend_from_slice(&x.to_le_bytes());
            }
            std::fs::write(d.join("large.bin"), v).unwrap();
        })
        .timeout_secs(180)
        .assert_same();
}
