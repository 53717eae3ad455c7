//! Compute backends. Each op's device dispatch is one `match` on the storage's device.
pub mod cpu;
pub mod gpu;
