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

/// poll/ppoll/select/pselect on pipes, files and sockets; nonblocking connect; timeouts and masks.
#[test]
fn net_poll() {
    check_guest("net_poll", |c| c.timeout_secs(60));
}

/// epoll on the kernel's kqueue: level/edge-triggered, EPOLLONESHOT, ctl errors, an epoll fd in
/// poll, and an edge-triggered echo server serving 100 concurrent clients.
#[test]
fn net_epoll() {
    check_guest("net_epoll", |c| c.timeout_secs(60));
}
