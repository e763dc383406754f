//! The embedded backend: a kernel-only stack in Rust that behaves like a NetBSD rump kernel.
