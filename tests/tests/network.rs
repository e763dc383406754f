//! Sockets and readiness (issue 5): tests/guest/net_*.c built three ways, run natively and under
//! rumplx, output compared. The programs print no ports or addresses, only relations between them.

use rumplx_tests::*;

/// TCP echo over 127.0.0.1 and ::1 with the server on a second thread; options, names, refused
/// and in-use errors, bad input.
#[test]
fn net_tcp() {
    check_guest("net_tcp", |c| c.timeout_secs(60));
}

/// UDP round trips over both families: names, MSG_PEEK/TRUNC/DONTWAIT, connected sockets,
/// sendmmsg/recvmmsg, ECONNREFUSED from a gone peer.
#[test]
fn net_udp() {
    check_guest("net_udp", |c| c.timeout_secs(60));
}

/// AF_UNIX socketpairs (stream, datagram, seqpacket), SCM_RIGHTS, a path-named listener.
#[test]
fn net_unix() {
    check_guest("net_unix", |c| c.timeout_secs(60));
}

/// Linux's abstract unix names (stream and datagram, the names every call reports, EADDRINUSE,
/// freed on close), autobind, and SO_PEERCRED on pairs and connected sockets, with a forked peer.
#[test]
fn net_unix_abstract() {
    check_guest("net_unix_abstract", |c| c.timeout_secs(60));
}

/// SO_PASSCRED and SCM_CREDENTIALS on unix sockets: credentials of the parent and a forked
/// child (datagram, stream, named and accepted sockets), a stream read stopping where the
/// sender changes, explicit credentials (checked as for root or not), autobind, blocking writes.
#[test]
fn net_passcred() {
    check_guest("net_passcred", |c| c.timeout_secs(60));
}

/// poll/ppoll/select/pselect on pipes, files and sockets; nonblocking connect; timeouts and masks.
#[test]
fn net_poll() {
    check_guest("net_poll", |c| c.timeout_secs(60));
}

/// epoll on the kernel's kqueue: level/edge-triggered, EPOLLONESHOT, ctl errors, an epoll fd in
/// poll, and an edge-triggered echo server serving 200 concurrent clients.
#[test]
fn net_epoll() {
    check_guest("net_epoll", |c| c.timeout_secs(60));
}

/// A server under rumplx reached from the host: Debian's busybox httpd serves a directory over
/// 127.0.0.1 and the host fetches files byte for byte (and a 404) with plain HTTP/1.0 requests.
#[test]
fn busybox_httpd_reached_from_host() {
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::time::{Duration, Instant};
    let busybox = std::path::Path::new("/bin/busybox");
    assert!(busybox.exists(), "/bin/busybox missing: run tests/setup.sh (installs busybox-static)");
    let dir = fresh_dir("httpd");
    let big: Vec<u8> = (0..300_000u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
    std::fs::write(dir.join("big.bin"), &big).unwrap();
    std::fs::write(dir.join("index.html"), b"hello from rumplx\n").unwrap();
    // A port that was free a moment ago.
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut server = std::process::Command::new(rumplx_bin())
        .args(["run", "/bin/busybox", "httpd", "-f", "-p", &format!("127.0.0.1:{port}"), "-h"])
        .arg(&dir)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let get = |path: &str| -> Option<(String, Vec<u8>)> {
        let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        write!(s, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").ok()?;
        let mut all = Vec::new();
        s.read_to_end(&mut all).ok()?;
        let end = all.windows(4).position(|w| w == b"\r\n\r\n")?;
        let status = String::from_utf8_lossy(&all[..all.iter().position(|&b| b == b'\r')?]).into_owned();
        Some((status, all[end + 4..].to_vec()))
    };
    let start = Instant::now();
    while get("/index.html").is_none() {
        assert!(start.elapsed() < Duration::from_secs(20), "httpd under rumplx never answered");
        std::thread::sleep(Duration::from_millis(100));
    }
    let checks = (|| {
        let (st, body) = get("/index.html").ok_or("index.html: no answer")?;
        if !st.contains("200") || body != b"hello from rumplx\n" {
            return Err(format!("index.html: {st} {:?}", String::from_utf8_lossy(&body)));
        }
        for i in 0..20 {
            let (st, body) = get("/big.bin").ok_or(format!("big.bin #{i}: no answer"))?;
            if !st.contains("200") || body != big {
                return Err(format!("big.bin #{i}: {st}, {} bytes, same: {}", body.len(), body == big));
            }
        }
        let (st, _) = get("/missing").ok_or("missing: no answer")?;
        if !st.contains("404") {
            return Err(format!("missing: {st}"));
        }
        Ok(())
    })();
    let _ = server.kill();
    let _ = server.wait();
    if let Err(e) = checks {
        panic!("{e}");
    }
}

/// eventfd (counter, EFD_SEMAPHORE, limits) and timerfd (one-shot, periodic, absolute), read
/// directly and waited for in poll and epoll.
#[test]
fn net_eventfd() {
    check_guest("net_eventfd", |c| c.timeout_secs(60));
}

/// signalfd: raise/kill/sigqueue records (code, sender, value), real-time queues, EAGAIN, readiness
/// in poll, select and epoll, mask updates, errors, a blocking read and waits woken by another
/// thread, and a child that reads its own signal through the inherited descriptor.
#[test]
fn net_signalfd() {
    check_guest("net_signalfd", |c| c.timeout_secs(60));
}

/// busybox nc under rumplx both ways: as a client of a host listener, and as a listener the host
/// connects to; each side's line reaches the other.
#[test]
fn busybox_nc_both_ways() {
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};
    assert!(std::path::Path::new("/bin/busybox").exists(), "/bin/busybox missing: run tests/setup.sh");
    let nc = |args: &[String]| {
        Command::new(rumplx_bin())
            .args(["run", "/bin/busybox", "nc"])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap()
    };
    // The guest connects out.
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let mut p = nc(&["127.0.0.1".into(), port.to_string()]);
    let (mut c, _) = l.accept().unwrap();
    c.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut stdin = p.stdin.take().unwrap();
    stdin.write_all(b"from guest\n").unwrap();
    let mut got = [0u8; 11];
    c.read_exact(&mut got).unwrap();
    assert_eq!(&got, b"from guest\n");
    c.write_all(b"from host\n").unwrap();
    drop(c);
    let mut out = Vec::new();
    p.stdout.take().unwrap().read_to_end(&mut out).unwrap();
    drop(stdin);
    assert_eq!(out, b"from host\n");
    assert!(p.wait().unwrap().success());
    // The guest listens.
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut p = nc(&["-l".into(), "-p".into(), port.to_string()]);
    let start = Instant::now();
    let mut s = loop {
        match TcpStream::connect(("127.0.0.1", port)) {
            Ok(s) => break s,
            Err(_) if start.elapsed() < Duration::from_secs(20) => std::thread::sleep(Duration::from_millis(100)),
            Err(e) => {
                let _ = p.kill();
                panic!("nc -l under rumplx never listened: {e}");
            }
        }
    };
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(b"to listener\n").unwrap();
    let mut stdin = p.stdin.take().unwrap();
    stdin.write_all(b"reply\n").unwrap();
    let mut got = [0u8; 6];
    s.read_exact(&mut got).unwrap();
    assert_eq!(&got, b"reply\n");
    drop(s);
    let mut out = Vec::new();
    p.stdout.take().unwrap().read_to_end(&mut out).unwrap();
    drop(stdin);
    assert_eq!(out, b"to listener\n");
    assert!(p.wait().unwrap().success());
}

/// getaddrinfo/getnameinfo as static programs run them: numeric names and "localhost" from
/// /etc/hosts, read through the guest's namespace.
#[test]
fn net_resolve() {
    check_guest("net_resolve", |c| c.timeout_secs(60));
}

/// DNS the way static programs resolve names: the test serves a zone on 127.83.83.83:53 (root
/// needed for port 53), an /etc/resolv.conf naming it is put in place with `--volume` under rumplx
/// and with a private bind mount (`unshare -m`) natively, and getaddrinfo/gethostbyname in musl
/// and glibc ask it over UDP: addresses, NODATA and NXDOMAIN answers.
#[test]
fn net_dns() {
    use rumplx_tests::dns::{DnsServer, Zone};
    use std::net::{Ipv4Addr, Ipv6Addr};
    static ZONES: &[Zone] = &[
        Zone {
            name: "www.rumplx.test",
            a: &[Ipv4Addr::new(192, 0, 2, 10), Ipv4Addr::new(192, 0, 2, 11)],
            aaaa: &[Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x10)],
        },
        Zone { name: "v4only.rumplx.test", a: &[Ipv4Addr::new(192, 0, 2, 20)], aaaa: &[] },
    ];
    let server = DnsServer::start("127.83.83.83:53".parse().unwrap(), ZONES)
        .unwrap_or_else(|e| panic!("cannot serve DNS on 127.83.83.83:53 ({e}): this test needs root"));
    let resolv = fresh_dir("dns-resolv").join("resolv.conf");
    std::fs::write(&resolv, "nameserver 127.83.83.83\noptions timeout:2 attempts:2\n").unwrap();
    let resolv = resolv.display().to_string();
    check_guest("net_dns", |c| {
        c.timeout_secs(60)
            .rumplx_opt("-v")
            .rumplx_opt(&format!("{resolv}:/etc/resolv.conf:ro"))
            .native_wrapper([
                "unshare",
                "-m",
                "--",
                "sh",
                "-c",
                "mount --bind \"$0\" /etc/resolv.conf && exec \"$@\"",
                &resolv,
            ])
    });
    assert!(server.questions() > 0, "the resolver was never asked");
}

/// A load run against a server under rumplx: Debian's `ab` makes 10,000 HTTP/1.0 requests, 8 at
/// a time, to busybox httpd (which forks a child per connection, so this is also 10,000 guest
/// processes on one kernel); every one must succeed with the right body, and no process of the
/// run may be left on the host after the server is stopped.
#[test]
fn busybox_httpd_load_10000_requests() {
    use std::net::{TcpListener, TcpStream};
    use std::process::Command;
    use std::time::{Duration, Instant};
    assert!(std::path::Path::new("/bin/busybox").exists(), "/bin/busybox missing: run tests/setup.sh");
    assert!(
        Command::new("ab").arg("-V").output().map(|o| o.status.success()).unwrap_or(false),
        "ab missing: run tests/setup.sh (installs apache2-utils)"
    );
    let dir = fresh_dir("httpd-load");
    let body = "load test body\n".repeat(20);
    std::fs::write(dir.join("index.html"), &body).unwrap();
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut server = Command::new(rumplx_bin())
        .args(["run", "/bin/busybox", "httpd", "-f", "-p", &format!("127.0.0.1:{port}"), "-h"])
        .arg(&dir)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(start.elapsed() < Duration::from_secs(20), "httpd under rumplx never listened");
        std::thread::sleep(Duration::from_millis(100));
    }
    let ab = Command::new("ab")
        .args(["-q", "-n", "10000", "-c", "8", "-s", "60"])
        .arg(format!("http://127.0.0.1:{port}/index.html"))
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&ab.stdout).into_owned();
    // Stopped the way a user stops it; whatever it had forked must end with it.
    let server_pid = server.id();
    let forked = descendants(server_pid);
    unsafe { libc::kill(server_pid as i32, libc::SIGTERM) };
    let _ = server.wait();
    let field = |name: &str| {
        report.lines().find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_string())).unwrap_or_default()
    };
    let problems: Vec<String> = [
        (!ab.status.success()).then(|| format!("ab failed: {}", String::from_utf8_lossy(&ab.stderr))),
        (field("Complete requests:") != "10000").then(|| format!("complete: {:?}", field("Complete requests:"))),
        (field("Failed requests:") != "0").then(|| format!("failed: {:?}", field("Failed requests:"))),
        report.contains("Non-2xx").then(|| format!("non-2xx: {:?}", field("Non-2xx responses:"))),
        (field("Document Length:") != format!("{} bytes", body.len()))
            .then(|| format!("document length: {:?}", field("Document Length:"))),
    ]
    .into_iter()
    .flatten()
    .collect();
    assert!(problems.is_empty(), "{}\n\nab's report:\n{report}", problems.join("\n"));
    let start = Instant::now();
    loop {
        let left: Vec<u32> = forked.iter().copied().filter(|p| std::path::Path::new(&format!("/proc/{p}")).exists()).collect();
        if left.is_empty() {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "processes left after the server ended: {left:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Every host process below `pid` (children, their children, …) at this moment.
fn descendants(pid: u32) -> Vec<u32> {
    let parent_of = |p: u32| -> Option<u32> {
        let stat = std::fs::read_to_string(format!("/proc/{p}/stat")).ok()?;
        stat.rsplit_once(") ")?.1.split(' ').nth(1)?.parse().ok()
    };
    let all: Vec<(u32, u32)> = std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|p| Some((p, parent_of(p)?)))
        .collect();
    let mut found = vec![];
    let mut frontier = vec![pid];
    while let Some(q) = frontier.pop() {
        for &(p, pp) in &all {
            if pp == q {
                found.push(p);
                frontier.push(p);
            }
        }
    }
    found
}
