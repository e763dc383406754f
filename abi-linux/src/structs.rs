//! Linux x86_64 structs as the kernel ABI lays them out, with compile-time layout asserts.
