//! A tiny authoritative DNS server over UDP for the name-resolution tests: it answers A and AAAA
//! questions from a fixed table, NXDOMAIN for names it does not know, and counts the questions so
//! a test can tell that the resolver was really asked.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// One name's records; a known name without records of the asked type gets an empty NOERROR
/// answer (NODATA), as real servers give it.
pub struct Zone {
    pub name: &'static str,
    pub a: &'static [Ipv4Addr],
    pub aaaa: &'static [Ipv6Addr],
}

pub struct DnsServer {
    pub addr: SocketAddr,
    questions: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

const TYPE_A: u16 = 1;
const TYPE_AAAA: u16 = 28;
const RCODE_NXDOMAIN: u8 = 3;
const RCODE_FORMERR: u8 = 1;

impl DnsServer {
    /// Serve `zones` on `addr` (port 53 when resolv.conf is to name it: that needs root).
    pub fn start(addr: SocketAddr, zones: &'static [Zone]) -> std::io::Result<DnsServer> {
        let sock = UdpSocket::bind(addr)?;
        sock.set_read_timeout(Some(Duration::from_millis(100)))?;
        let questions = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (q, s) = (questions.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let mut buf = [0u8; 1500];
            while !s.load(Ordering::Relaxed) {
                let Ok((n, from)) = sock.recv_from(&mut buf) else { continue };
                if let Some(reply) = answer(&buf[..n], zones) {
                    q.fetch_add(1, Ordering::Relaxed);
                    let _ = sock.send_to(&reply, from);
                }
            }
        });
        Ok(DnsServer { addr, questions, stop, thread: Some(thread) })
    }

    /// How many well-formed questions were answered so far.
    pub fn questions(&self) -> usize {
        self.questions.load(Ordering::Relaxed)
    }
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The reply to one query datagram, or None for something that is not a query.
fn answer(q: &[u8], zones: &[Zone]) -> Option<Vec<u8>> {
    if q.len() < 12 || q[2] & 0x80 != 0 {
        return None;
    }
    // The question: labels up to the root, then type and class.
    let mut i = 12;
    let mut labels = vec![];
    while i < q.len() && q[i] != 0 {
        let len = q[i] as usize;
        if len & 0xc0 != 0 || i + 1 + len > q.len() {
            return Some(header(q, RCODE_FORMERR, 0, None));
        }
        labels.push(String::from_utf8_lossy(&q[i + 1..i + 1 + len]).to_ascii_lowercase());
        i += 1 + len;
    }
    if i + 5 > q.len() {
        return Some(header(q, RCODE_FORMERR, 0, None));
    }
    let question = &q[12..i + 5];
    let qtype = u16::from_be_bytes([q[i + 1], q[i + 2]]);
    let name = labels.join(".");
    let Some(zone) = zones.iter().find(|z| z.name == name) else {
        return Some(header(q, RCODE_NXDOMAIN, 0, Some(question)));
    };
    let rdatas: Vec<Vec<u8>> = match qtype {
        TYPE_A => zone.a.iter().map(|a| a.octets().to_vec()).collect(),
        TYPE_AAAA => zone.aaaa.iter().map(|a| a.octets().to_vec()).collect(),
        _ => vec![],
    };
    let mut reply = header(q, 0, rdatas.len() as u16, Some(question));
    for rdata in rdatas {
        reply.extend_from_slice(&[0xc0, 12]); // the name: a pointer to the question's
        reply.extend_from_slice(&qtype.to_be_bytes());
        reply.extend_from_slice(&1u16.to_be_bytes()); // class IN
        reply.extend_from_slice(&60u32.to_be_bytes()); // TTL
        reply.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        reply.extend_from_slice(&rdata);
    }
    Some(reply)
}

/// A response header for query `q` (its id, opcode and RD kept; authoritative, recursion
/// available) followed by the question (none when the query could not be parsed).
fn header(q: &[u8], rcode: u8, answers: u16, question: Option<&[u8]>) -> Vec<u8> {
    let mut r = vec![q[0], q[1], 0x80 | 0x04 | (q[2] & 0x79), 0x80 | rcode];
    r.extend_from_slice(&(question.is_some() as u16).to_be_bytes());
    r.extend_from_slice(&answers.to_be_bytes());
    r.extend_from_slice(&[0, 0, 0, 0]);
    r.extend_from_slice(question.unwrap_or_default());
    r
}
