//! Guest file names are bytes; the kernel keeps paths as Rust strings. Bytes that are not UTF-8
//! travel losslessly as the characters U+10FF00 + byte (plane-16 private use, which names never
//! hold in practice) and become the same bytes again wherever a name leaves the kernel: host
//! calls, getdents, readlink, getcwd.

use std::borrow::Cow;

const BASE: u32 = 0x10_FF00;

/// Guest bytes → kernel string.
pub fn decode(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        s.push_str(chunk.valid());
        for &b in chunk.invalid() {
            s.push(char::from_u32(BASE + b as u32).expect("plane 16 is valid"));
        }
    }
    s
}

/// Kernel string → guest bytes.
pub fn encode(s: &str) -> Cow<'_, [u8]> {
    if !s
        .chars()
        .any(|c| (BASE..=BASE + 0xff).contains(&(c as u32)))
    {
        return Cow::Borrowed(s.as_bytes());
    }
    let mut v = Vec::with_capacity(s.len());
    for c in s.chars() {
        let u = c as u32;
        if (BASE..=BASE + 0xff).contains(&u) {
            v.push((u - BASE) as u8);
        } else {
            let mut b = [0u8; 4];
            v.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
        }
    }
    Cow::Owned(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_any_bytes() {
        for b in [
            &b"plain"[..],
            b"caf\xc3\xa9",
            b"latin1-\xe9t\xe9",
            b"\xff\xfe/\x80",
            b"",
        ] {
            assert_eq!(&*encode(&decode(b)), b);
        }
        assert_eq!(decode(b"a/b"), "a/b");
        assert!(matches!(encode("ascii"), Cow::Borrowed(_)));
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_round_trip(b in proptest::collection::vec(proptest::num::u8::ANY, 0..64)) {
            let back = encode(&decode(&b)).into_owned();
            proptest::prop_assert_eq!(back, b);
        }
    }
}
