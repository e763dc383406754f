//! Translations between the Linux and NetBSD ABIs, one module per kind of value. Each is a total
//! function over its values with unit tests that walk every value, and round-trip proptests.

pub mod errno;
