//! Directory entries: NetBSD `__getdents30` records → `linux_dirent64` (and the legacy
//! `linux_dirent` of getdents(2)), with `d_off` cookies that lseek(SEEK_SET) understands.
//!
//! NetBSD's dirent has no d_off: after a getdents call only the directory offset after the whole
//! batch is known (lseek(fd, 0, SEEK_CUR)). Cookies are therefore positions *within a batch*:
//! `MARK | batch << 12 | records_consumed`, where `batch` names the directory offset the batch was
//! read from: that offset itself when it is below 2^48 (rumpfs, tmpfs, ufs), else — for file
//! systems with hash cookies, like a host ext4 directory — an index into a per-directory table the
//! file family keeps (bit 61 says which). The last record of a batch gets the real NetBSD offset
//! after the batch when it is a plain offset (cheapest to seek to). Seeking to a cookie (see
//! `sys::file::lseek`) goes back to the batch's offset and re-reads exactly `records_consumed`
//! records (getdents with a buffer the exact size of those records), which leaves the directory
//! offset right after them.
//!
//! This relies on what every NetBSD file system does: getdents returns whole records in order, stops
//! at the first that does not fit, and a directory re-read from the same offset yields the same
//! records until the directory changes (Linux gives no better guarantee for telldir across changes).

use abi_netbsd::structs as nbs;

use crate::structs::{dirent64_reclen, DIRENT64_NAME_OFFSET};

/// Marks a cookie (bit 62: still a positive off_t).
pub const MARK: u64 = 1 << 62;
/// Marks a cookie whose batch is a table index rather than an offset.
pub const TABLE: u64 = 1 << 61;
const INDEX_BITS: u32 = 12;
/// Most records one batch may hold, so that a record count fits the cookie.
pub const MAX_RECORDS: usize = (1 << INDEX_BITS) - 1;
/// Largest NetBSD read: 16-byte minimum records never exceed [`MAX_RECORDS`].
pub const MAX_BATCH_BYTES: usize = MAX_RECORDS * 16;
/// Batch offsets and table indexes must stay below this to fit.
pub const MAX_BATCH: u64 = 1 << (61 - INDEX_BITS);

/// Where a batch was read from, as a cookie names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Batch {
    /// The NetBSD directory offset itself.
    Offset(u64),
    /// An index into the per-directory table of large offsets.
    Table(u64),
}

impl Batch {
    /// The cookie bits common to every record of the batch (OR the record count in).
    pub fn base(self) -> Option<u64> {
        match self {
            Batch::Offset(o) if o < MAX_BATCH => Some(MARK | o << INDEX_BITS),
            Batch::Table(i) if i < MAX_BATCH => Some(MARK | TABLE | i << INDEX_BITS),
            _ => None,
        }
    }
}

/// The cookie for "after `consumed` records of `batch`", if it fits.
pub fn cookie(batch: Batch, consumed: usize) -> Option<i64> {
    (consumed <= MAX_RECORDS && consumed > 0).then_some(())?;
    Some((batch.base()? | consumed as u64) as i64)
}

/// A cookie's (batch, records to consume), or None if `off` is a plain offset.
pub fn decode(off: i64) -> Option<(Batch, usize)> {
    let v = off as u64;
    if off < 0 || v & MARK == 0 {
        return None;
    }
    let consumed = (v & MAX_RECORDS as u64) as usize;
    let n = (v & !(MARK | TABLE)) >> INDEX_BITS;
    let batch = if v & TABLE != 0 { Batch::Table(n) } else { Batch::Offset(n) };
    (consumed > 0).then_some((batch, consumed))
}

/// Whether a real NetBSD offset can be handed out as a d_off as it is.
pub fn plain_ok(off: u64) -> bool {
    off & MARK == 0 && (off as i64) >= 0
}

/// The Linux record layout to produce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `linux_dirent64` (getdents64).
    Dirent64,
    /// `linux_dirent` (legacy getdents): d_ino, d_off, d_reclen, name, NUL, d_type as the last byte.
    Dirent,
}

impl Format {
    /// Record length for a name of `namlen` bytes.
    pub const fn reclen(self, namlen: usize) -> usize {
        match self {
            Format::Dirent64 => dirent64_reclen(namlen),
            // 18-byte header, name, NUL, d_type byte.
            Format::Dirent => (18 + namlen + 2 + 7) & !7,
        }
    }
}

/// A NetBSD getdents buffer that does not parse, or a batch too large for cookies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadBatch;

/// One NetBSD record: (d_fileno, d_type, name, reclen).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record<'a> {
    pub ino: u64,
    pub kind: u8,
    pub name: &'a [u8],
    pub reclen: usize,
}

/// Iterates over the NetBSD records in `buf`; a malformed record ends it with Err.
pub fn records(buf: &[u8]) -> impl Iterator<Item = Result<Record<'_>, BadBatch>> {
    let mut at = 0usize;
    core::iter::from_fn(move || {
        if at >= buf.len() {
            return None;
        }
        let rest = &buf[at..];
        if rest.len() < nbs::DIRENT_NAME_OFFSET {
            at = buf.len();
            return Some(Err(BadBatch));
        }
        let ino = u64::from_ne_bytes(rest[0..8].try_into().unwrap());
        let reclen = u16::from_ne_bytes([rest[8], rest[9]]) as usize;
        let namlen = u16::from_ne_bytes([rest[10], rest[11]]) as usize;
        let kind = rest[12];
        if reclen < nbs::DIRENT_NAME_OFFSET + namlen + 1 || reclen > rest.len() {
            at = buf.len();
            return Some(Err(BadBatch));
        }
        at += reclen;
        Some(Ok(Record { ino, kind, name: &rest[nbs::DIRENT_NAME_OFFSET..nbs::DIRENT_NAME_OFFSET + namlen], reclen }))
    })
}

/// What [`convert`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Converted {
    /// Bytes written to the Linux buffer.
    pub linux_len: usize,
    /// NetBSD records converted.
    pub records: usize,
    /// Bytes those records took in the NetBSD buffer.
    pub netbsd_len: usize,
    /// Whether every NetBSD record was converted.
    pub all: bool,
}

/// Converts the NetBSD records in `nb` into `out`, as many as fit. Record *i* gets the cookie
/// "after i+1 records of `batch`"; when every record fits, the last gets `end` (the NetBSD offset
/// after the batch) if that is a plain offset. BadBatch for a malformed NetBSD buffer, more than
/// [`MAX_RECORDS`] records, or a batch that does not fit a cookie.
pub fn convert(nb: &[u8], out: &mut [u8], fmt: Format, batch: Batch, end: u64) -> Result<Converted, BadBatch> {
    let total = records(nb).count();
    let mut c = Converted::default();
    for (i, r) in records(nb).enumerate() {
        let r = r?;
        let len = fmt.reclen(r.name.len());
        if c.linux_len + len > out.len() {
            return Ok(c);
        }
        let off = if i + 1 == total && plain_ok(end) { end as i64 } else { cookie(batch, i + 1).ok_or(BadBatch)? };
        let rec = &mut out[c.linux_len..c.linux_len + len];
        rec.fill(0);
        rec[0..8].copy_from_slice(&r.ino.to_ne_bytes());
        rec[8..16].copy_from_slice(&off.to_ne_bytes());
        rec[16..18].copy_from_slice(&(len as u16).to_ne_bytes());
        match fmt {
            Format::Dirent64 => {
                rec[18] = r.kind;
                rec[DIRENT64_NAME_OFFSET..DIRENT64_NAME_OFFSET + r.name.len()].copy_from_slice(r.name);
            }
            Format::Dirent => {
                rec[18..18 + r.name.len()].copy_from_slice(r.name);
                rec[len - 1] = r.kind;
            }
        }
        c.linux_len += len;
        c.records += 1;
        c.netbsd_len += r.reclen;
    }
    c.all = true;
    Ok(c)
}

/// How many NetBSD bytes to ask for so that the converted batch always fits `linux_len` bytes: a
/// Linux record is at most 8 bytes longer than the NetBSD one, and NetBSD records are at least 16
/// bytes, so Linux needs at most 3/2 of the NetBSD size.
pub fn netbsd_request(linux_len: usize) -> usize {
    (linux_len / 3 * 2).min(MAX_BATCH_BYTES)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;
    use proptest::prelude::*;

    fn nb_records(names: &[&[u8]]) -> Vec<u8> {
        let mut v = Vec::new();
        for (i, n) in names.iter().enumerate() {
            let len = nbs::dirent_reclen(n.len());
            let mut r = alloc::vec![0u8; len];
            r[0..8].copy_from_slice(&(100 + i as u64).to_ne_bytes());
            r[8..10].copy_from_slice(&(len as u16).to_ne_bytes());
            r[10..12].copy_from_slice(&(n.len() as u16).to_ne_bytes());
            r[12] = 8;
            r[13..13 + n.len()].copy_from_slice(n);
            v.extend_from_slice(&r);
        }
        v
    }

    fn parse64(out: &[u8]) -> Vec<(u64, i64, u8, Vec<u8>)> {
        let mut v = Vec::new();
        let mut at = 0;
        while at < out.len() {
            let r = &out[at..];
            let reclen = u16::from_ne_bytes([r[16], r[17]]) as usize;
            let name: Vec<u8> = r[19..reclen].iter().copied().take_while(|&b| b != 0).collect();
            v.push((u64::from_ne_bytes(r[0..8].try_into().unwrap()), i64::from_ne_bytes(r[8..16].try_into().unwrap()), r[18], name));
            at += reclen;
        }
        v
    }

    #[test]
    fn converts_with_cookies_and_real_end() {
        let nb = nb_records(&[b".", b"..", b"hello"]);
        let mut out = [0u8; 256];
        let c = convert(&nb, &mut out, Format::Dirent64, Batch::Offset(0), 3).unwrap();
        assert!(c.all);
        assert_eq!(c.records, 3);
        let recs = parse64(&out[..c.linux_len]);
        assert_eq!(recs[0], (100, cookie(Batch::Offset(0), 1).unwrap(), 8, b".".to_vec()));
        assert_eq!(recs[1].1, cookie(Batch::Offset(0), 2).unwrap());
        assert_eq!(recs[2], (102, 3, 8, b"hello".to_vec()));
    }

    #[test]
    fn stops_when_the_linux_buffer_is_full() {
        let nb = nb_records(&[b"aaaaaaaa", b"bbbbbbbb"]);
        let mut out = [0u8; 40];
        let c = convert(&nb, &mut out, Format::Dirent64, Batch::Offset(8), 99).unwrap();
        assert_eq!((c.records, c.all, c.linux_len, c.netbsd_len), (1, false, 32, 24));
        assert_eq!(parse64(&out[..32])[0].1, cookie(Batch::Offset(8), 1).unwrap());
    }

    #[test]
    fn legacy_dirent_puts_the_type_last() {
        let nb = nb_records(&[b"x"]);
        let mut out = [0u8; 64];
        let c = convert(&nb, &mut out, Format::Dirent, Batch::Offset(0), 1).unwrap();
        assert_eq!(c.linux_len, 24);
        assert_eq!(out[18], b'x');
        assert_eq!(out[23], 8);
    }

    #[test]
    fn a_large_last_offset_gets_a_cookie_too() {
        let nb = nb_records(&[b"a"]);
        let mut out = [0u8; 64];
        let c = convert(&nb, &mut out, Format::Dirent64, Batch::Table(3), u64::MAX >> 1).unwrap();
        assert_eq!(parse64(&out[..c.linux_len])[0].1, cookie(Batch::Table(3), 1).unwrap());
    }

    #[test]
    fn malformed_is_an_error() {
        let mut nb = nb_records(&[b"x"]);
        nb[8] = 200;
        assert!(convert(&nb, &mut [0u8; 64], Format::Dirent64, Batch::Offset(0), 1).is_err());
    }

    proptest! {
        #[test]
        fn cookie_round_trip(start in 0u64..MAX_BATCH, n in 1usize..=MAX_RECORDS, table in any::<bool>()) {
            let b = if table { Batch::Table(start) } else { Batch::Offset(start) };
            let c = cookie(b, n).unwrap();
            prop_assert!(c > 0);
            prop_assert_eq!(decode(c), Some((b, n)));
        }

        #[test]
        fn large_offsets_do_not_fit(start in MAX_BATCH.., n in 1usize..=MAX_RECORDS) {
            prop_assert_eq!(cookie(Batch::Offset(start), n), None);
        }

        #[test]
        fn plain_offsets_are_not_cookies(off in 0i64..(MARK as i64)) {
            prop_assert_eq!(decode(off), None);
        }

        #[test]
        fn a_batch_of_the_requested_size_always_fits(lens in proptest::collection::vec(1usize..300, 1..200), linux_len in 64usize..70000) {
            let names: Vec<Vec<u8>> = lens.iter().map(|&l| alloc::vec![b'n'; l]).collect();
            let refs: Vec<&[u8]> = names.iter().map(|n| n.as_slice()).collect();
            let nb = nb_records(&refs);
            // What NetBSD would return for the request: whole records up to the size.
            let want = netbsd_request(linux_len);
            let mut end = 0;
            for r in records(&nb) { let r = r.unwrap(); if end + r.reclen > want { break } end += r.reclen; }
            let mut out = alloc::vec![0u8; linux_len];
            let c = convert(&nb[..end], &mut out, Format::Dirent64, Batch::Offset(0), 1).unwrap();
            prop_assert!(c.all);
            let back = parse64(&out[..c.linux_len]);
            prop_assert_eq!(back.len(), records(&nb[..end]).count());
            for (b, r) in back.iter().zip(records(&nb[..end])) { prop_assert_eq!(&b.3[..], r.unwrap().name); }
        }
    }
}
