//! Debian's bash-static (`/bin/bash-static -c SCRIPT`) running scripts that stay in one process:
//! builtins only — no pipelines, no command substitution, no external commands (fork/exec is a later
//! issue). Native vs rumplx: stdout, exit status and files left must match.

use rumplx_tests::*;
use std::path::PathBuf;

fn bash() -> PathBuf {
    let p = PathBuf::from("/bin/bash-static");
    assert!(p.exists(), "/bin/bash-static missing: run tests/setup.sh (installs bash-static)");
    p
}

fn script(label: &str, body: &str) -> Case {
    Case::new(format!("bash-{label}"), bash())
        .args(["-c", body, "bash-script", "arg one", "arg2"])
        .file("input.txt", "first line\nsecond line has words\n\nfourth: 4\nlast line without newline")
        .file("numbers.txt", "5\n3\n9\n1\n7\n")
        .file("kv.txt", "name=rumplx\nkind=runner\nos=netbsd\n")
        .dir("somedir")
        .file("somedir/inside.txt", "inside\n")
}

macro_rules! bash_tests {
    ($($name:ident => $body:expr;)+) => {
        $(
            #[test]
            fn $name() {
                script(stringify!($name), $body).assert_same();
            }
        )+
    };
}

bash_tests! {
    echo_and_printf => r#"echo hello; printf '%s-%05d-%x-%q\n' word 42 255 "a b'c"; printf '%-10s|\n' left; echo -e 'tab\there'"#;
    positional_params => r#"echo "$0" "$#"; for a in "$@"; do echo "[$a]"; done; shift; echo "after shift: $1"; set -- x y z; echo "$*" "${#}""#;
    for_loops => r#"for i in 1 2 3; do echo "i=$i"; done; for ((j = 0; j < 5; j += 2)); do echo "j=$j"; done; for w in {a..e}; do printf %s "$w"; done; echo"#;
    while_until => r#"n=0; while [ $n -lt 5 ]; do n=$((n + 1)); done; echo $n; until (( n == 0 )); do ((n--)); done; echo $n; while true; do break; done; echo broke"#;
    arithmetic => r#"echo $((7 * 6)) $((2 ** 20)) $((17 / 5)) $((17 % 5)) $((-7 / 2)) $((1 << 40)) $((0x1f)) $((8#17)) $((2#1011)); x=5; ((x *= 3)); echo $x; echo $(( x > 10 ? 1 : 0 )); let y=x+1; echo $y"#;
    arithmetic_overflow => r#"echo $((9223372036854775807 + 1)); echo $(( -9223372036854775807 - 1 )); echo $((1/0)); echo after"#;
    indexed_arrays => r#"a=(zero one two "three four"); echo ${#a[@]} "${a[3]}" "${a[@]:1:2}"; a+=(five); a[10]=ten; echo "${!a[@]}"; unset 'a[1]'; echo "${a[@]}"; for e in "${a[@]}"; do echo "<$e>"; done"#;
    assoc_arrays => r#"declare -A m; m[apple]=red; m[banana]=yellow; m[cherry]=red; echo ${#m[@]}; for k in apple banana cherry; do echo "$k=${m[$k]}"; done; [[ -v m[apple] ]] && echo has-apple; unset 'm[apple]'; [[ -v m[apple] ]] || echo no-apple"#;
    string_ops => r#"s="Hello, rumplx World"; echo ${#s} ${s:7:6} ${s: -5} ${s^^} ${s,,} ${s/o/0} ${s//o/0} ${s#*, } ${s%% *} ${s##* }; f=/usr/lib/libc.so.6; echo ${f##*/} ${f%/*} ${f%.*}; u=; echo ${u:-default} ${u:=assigned} $u ${s:+set}"#;
    pattern_matching => r#"for f in report.txt image.png notes.md archive.tar.gz; do case $f in *.txt|*.md) echo "$f text";; *.png) echo "$f image";; *) echo "$f other";; esac; done; [[ abc123 =~ ^([a-z]+)([0-9]+)$ ]] && echo "${BASH_REMATCH[1]} ${BASH_REMATCH[2]}"; [[ foo == f* ]] && echo glob-ok"#;
    functions_and_locals => r#"fact() { local n=$1; if (( n <= 1 )); then R=1; return; fi; fact $((n-1)); R=$((n * R)); }; fact 20; echo $R; fib() { local a=0 b=1 i; for ((i=0;i<$1;i++)); do local t=$((a+b)); a=$b; b=$t; done; echo $a; }; fib 50; g() { return 7; }; g; echo "status $?"; declare -f g"#;
    redirect_to_files => r#"echo one > out.txt; echo two >> out.txt; printf 'x\ny\n' >> out.txt; { echo grouped; echo block; } > group.txt; echo err 2> err.txt 1>&2; exec 3> fd3.txt; echo via-fd3 >&3; exec 3>&-; echo done"#;
    read_from_files => r#"while IFS= read -r line; do echo "got: [$line]"; done < input.txt; echo "last: [$line]"; while IFS== read -r k v; do echo "$k -> $v"; done < kv.txt"#;
    read_here_string => r#"read -r a b c <<< "one two three four"; echo "$a|$b|$c"; IFS=, read -ra parts <<< "x,y,,z"; echo ${#parts[@]} "${parts[@]}"; read -r -n 3 pre <<< abcdef; echo $pre"#;
    read_here_doc => "cat_like() { while IFS= read -r l; do echo \"> $l\"; done; }; cat_like <<EOF\nalpha\n  beta with spaces\n\\$literal $HOME\nEOF\ncat_like <<'RAW'\n$not_expanded\nRAW";
    mapfile_sort => r#"mapfile -t nums < numbers.txt; echo ${#nums[@]}; for ((i=0;i<${#nums[@]};i++)); do for ((j=i+1;j<${#nums[@]};j++)); do if (( nums[j] < nums[i] )); then t=${nums[i]}; nums[i]=${nums[j]}; nums[j]=$t; fi; done; done; echo "${nums[*]}"; sum=0; for n in "${nums[@]}"; do ((sum+=n)); done; echo sum=$sum"#;
    read_stdin => r#"count=0; while read -r l; do ((count++)); last=$l; done; echo "$count lines, last=$last""#;
    test_builtin => r#"[ -f input.txt ] && echo file; [ -d somedir ] && echo dir; [ -e missing ] || echo missing; [ -s input.txt ] && echo nonempty; [[ -r input.txt && -w input.txt ]] && echo rw; [ 3 -lt 10 ] && echo lt; [[ b > a ]] && echo gt; test -z "" && echo empty; [ input.txt -nt missing ] && echo newer"#;
    cd_pwd_dirs => r#"start=$PWD; cd somedir; echo "${PWD#$start}"; cd ..; [ "$PWD" = "$start" ] && echo back; cd /; echo $PWD; cd - >/dev/null; [ "$PWD" = "$start" ] && echo dash-ok; pushd somedir >/dev/null; echo "${PWD#$start}"; popd >/dev/null; cd no-such-dir; echo "status $?""#;
    globbing => r#"shopt -s nullglob; touch_() { : > "$1"; }; for f in b.log a.log c.txt; do touch_ "$f"; done; echo *.log; echo *.none; echo som*/ins*; files=(*); echo ${#files[@]}; shopt -s dotglob; : > .hidden; echo .h*"#;
    set_options_errexit => r#"set -u; echo start; ret() { return $1; }; ret 3; echo "function status $?"; set -e; false || echo handled; f() { return 4; }; if ! f; then echo "not f"; fi; echo end; set +e; ret 9; echo $?"#;
    trap_exit => r#"trap 'echo "exit trap, status $?"' EXIT; echo body; exit 5"#;
    exit_status => r#"echo before; exit 42"#;
    syntax_error => r#"echo ok; if then fi"#;
    unknown_command_status => r#"type echo; type -t cd; command -v printf; help true >/dev/null && echo help-ok; enable -a >/dev/null && echo enable-ok; hash -r; echo $?"#;
    printf_v_and_declare => r#"printf -v padded '%08.3f' 3.14159; echo $padded; declare -i n=10; n+=5; echo $n; declare -l low=MiXeD; declare -u up=MiXeD; echo $low $up; declare -p low"#;
    brace_and_tilde => r#"echo {1..5} {a..c}{x,y} {10..1..3} file{,.bak}; HOME=/home/someone; echo ~ ~/sub; x=abc; echo ${x@Q} ${x@U}"#;
    write_many_files => r#"mkdir_() { :; }; for i in {1..200}; do printf 'file %d\n' $i > "f$i.txt"; done; n=0; for f in f*.txt; do ((n++)); done; echo $n; while read -r l; do echo "$l"; done < f200.txt"#;
    getopts_parse => r#"set -- -a -b val -c rest; while getopts "ab:c" opt; do case $opt in a) echo A;; b) echo "B=$OPTARG";; c) echo C;; esac; done; shift $((OPTIND-1)); echo "rest: $*""#;
    random_seeded => r#"RANDOM=42; a=$RANDOM; RANDOM=42; b=$RANDOM; [ "$a" = "$b" ] && echo seeded-same; echo ${#BASH_VERSION} >/dev/null; [[ $EPOCHSECONDS =~ ^[0-9]+$ ]] && echo epoch-numeric; [[ $BASHPID == $$ ]] && echo same-process"#;
    ulimit_umask => r#"umask 027; umask; umask -S; : > masked.txt; ulimit -n 64; ulimit -n; ulimit -Sn"#;
    large_output => r#"for ((i=0;i<20000;i++)); do echo "line $i of output"; done"#;
    file_descriptors => r#"exec {fd}<input.txt; read -r -u $fd l1; read -r -u $fd l2; echo "[$l1] [$l2]"; exec {fd}<&-; exec 4<>rw.txt; echo written >&4; exec 4>&-; while read -r l; do echo "rw: $l"; done < rw.txt"#;
    noclobber => r#"set -o noclobber; echo a > nc.txt; echo b > nc.txt; echo "status $?"; echo c >| nc.txt; while read -r l; do echo $l; done < nc.txt"#;
}

#[test]
fn read_stdin_data() {
    script("read_stdin_data", r#"count=0; while read -r l; do ((count++)); last=$l; done; echo "$count lines, last=$last""#)
        .stdin("a\nb\nc d e\nlast one\n")
        .assert_same();
}

/// bash -c with a pipeline forks: processes are a later issue.
#[test]
fn pipeline() {
    script("pipeline", "echo hello | { read -r x; echo got $x; }").assert_same();
}

/// Command substitution forks a subshell: a later issue.
#[test]
fn command_substitution() {
    script("command_substitution", r#"x=$(echo inner); echo "outer $x""#).assert_same();
}
