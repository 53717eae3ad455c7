//! Philox4x32-10
