//! Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11), the
//! counter-based generator behind every random op, on the CPU and the GPU.
//!
//! # Stream layout (the GPU backend reproduces this element for element: uniforms bit for bit;
//! normals up to the last ulps of its log/sin/cos, which are not the host's libm)
//!
//! A generator holds a 64-bit `seed` and a 128-bit `offset`, counted in Philox blocks.
//! * key = `[seed as u32, (seed >> 32) as u32]`.
//! * Block `b` (a `u128`) is the counter `[b as u32, (b >> 32) as u32, (b >> 64) as u32, (b >> 96) as u32]`;
//!   Philox turns it into four output words `x0..x3`.
//! * One draw (one op call) takes a [`Stream`] starting at the generator's current offset `o`.
//!   Word `j` of the draw is output word `j % 4` of block `o + j / 4`. After the draw the offset
//!   advances by `ceil(words / 4)` blocks, so consecutive draws never share a block.
//! * Element `i` of a draw that uses `w` words per element reads words `i*w .. i*w + w`. Element
//!   `i` therefore does not depend on how many elements the draw produces: `rand(n)[i]` is the
//!   same for every `n > i` from the same state.
//!
//! Conversions (`x`, `a`, `b` are words; the first word of an element is `a`):
//! * float32 uniform in [0, 1): `(x >> 8) * 2^-24` (1 word); float16: `(x >> 21) * 2^-11`;
//!   bfloat16: `(x >> 24) * 2^-8`; float64: `(((a << 32) | b) >> 11) * 2^-53` (2 words). These
//!   are exact in the target type, so a uniform never rounds up to 1.
//! * `uniform_(lo, hi)`: `lo + (hi - lo) * u`, computed in float32 for the 16/32-bit types and
//!   float64 for float64.
//! * Normals (Box-Muller): elements `2k` and `2k+1` form a pair that reads the uniforms `u1`, `u2`
//!   of element slots `2k` and `2k+1`: 24-bit float32 uniforms (2 words per pair) for float32,
//!   float16 and bfloat16, 53-bit float64 uniforms (4 words per pair) for float64;
//!   `r = sqrt(-2 ln(1 - u1))`, `z[2k] = r cos(2 pi u2)`, `z[2k+1] = r sin(2 pi u2)`; an odd last
//!   element still consumes the whole pair. Computed in float32 (float64 for float64), then
//!   `mean + std * z`, rounded to the dtype.
//! * `exponential_(l)`: `-ln(1 - u) / l` from the dtype's uniform above (computed in float64).
//! * Integers in `[lo, lo + range)`: `range <= 2^32` uses 1 word, `lo + x % range`; larger ranges use
//!   2 words, `lo + ((a << 32) | b) % range` (wrapping in int64).
//! * Bernoulli(p): 1 word, `1` when `(x >> 8) * 2^-24 < p`.
//! * randperm(n): 2 words per element, key `(a << 32) | b`; the result is the stable argsort of
//!   the keys.
//! * multinomial with replacement: row `r`, sample `s` reads 1 word at element `r * num_samples + s`,
//!   `u = (x >> 8) * 2^-24`, and picks the first category whose running sum of probabilities
//!   exceeds `u * total`. Without replacement: row `r`, category `c` reads 1 word at
//!   `r * categories + c`, `e = -ln(((x >> 8) + 1) * 2^-24)`, and the `num_samples` categories with
//!   the largest `p / e` win (exponential race; ties go to the lower index).
use crate::error::{Error, Result};
use rayon::prelude::*;
use std::sync::{Mutex, OnceLock};

const M0: u32 = 0xD251_1F53;
const M1: u32 = 0xCD9E_8D57;
const W0: u32 = 0x9E37_79B9;
const W1: u32 = 0xBB67_AE85;

/// PyTorch's default seed, so a fresh process starts from a fixed, documented state.
pub const DEFAULT_SEED: u64 = 67280421310721;

#[inline]
fn mulhilo(a: u32, b: u32) -> (u32, u32) {
    let p = a as u64 * b as u64;
    ((p >> 32) as u32, p as u32)
}

/// One Philox4x32-10 block: 10 rounds, with the key bumped between rounds.
#[inline]
pub fn philox4x32_10(ctr: [u32; 4], key: [u32; 2]) -> [u32; 4] {
    let mut c = ctr;
    let mut k = key;
    for r in 0..10 {
        if r > 0 {
            k[0] = k[0].wrapping_add(W0);
            k[1] = k[1].wrapping_add(W1);
        }
        let (hi0, lo0) = mulhilo(M0, c[0]);
        let (hi1, lo1) = mulhilo(M1, c[2]);
        c = [hi1 ^ c[1] ^ k[0], lo1, hi0 ^ c[3] ^ k[1], lo0];
    }
    c
}

/// The words of one draw: a key and the block where the draw starts.
#[derive(Debug, Clone, Copy)]
pub struct Stream {
    key: [u32; 2],
    base: u128,
}

/// Elements per parallel task when generating (a multiple of 4 keeps tasks block-aligned
/// whenever elements use whole words).
const CHUNK: usize = 1 << 14;

impl Stream {
    pub fn new(seed: u64, offset: u128) -> Stream {
        Stream { key: [seed as u32, (seed >> 32) as u32], base: offset }
    }

    /// The Philox key and the draw's first block (the GPU kernels take these as metadata).
    pub fn key(&self) -> [u32; 2] {
        self.key
    }
    pub fn base(&self) -> u128 {
        self.base
    }

    pub fn block(&self, b: u128) -> [u32; 4] {
        let c = self.base.wrapping_add(b);
        philox4x32_10([c as u32, (c >> 32) as u32, (c >> 64) as u32, (c >> 96) as u32], self.key)
    }

    /// Writes words `start .. start + out.len()` of the draw.
    pub fn fill_words(&self, start: u64, out: &mut [u32]) {
        let mut j = start;
        let mut i = 0;
        while i < out.len() {
            let blk = self.block((j / 4) as u128);
            let mut w = (j % 4) as usize;
            while w < 4 && i < out.len() {
                out[i] = blk[w];
                i += 1;
                w += 1;
                j += 1;
            }
        }
    }

    /// Runs `f(words, outputs)` for each group of `wpg` words that yields `opg` outputs, and
    /// returns the first `n` outputs. Groups are independent, so large draws run in parallel.
    pub fn generate<O: Copy + Default + Send>(
        &self,
        n: usize,
        wpg: usize,
        opg: usize,
        f: impl Fn(&[u32], &mut [O]) + Sync,
    ) -> Vec<O> {
        let groups = n.div_ceil(opg);
        let mut out = vec![O::default(); groups * opg];
        let run = |first_group: usize, chunk: &mut [O]| {
            let g = chunk.len() / opg;
            let mut words = vec![0u32; g * wpg];
            self.fill_words((first_group * wpg) as u64, &mut words);
            for (k, o) in chunk.chunks_mut(opg).enumerate() {
                f(&words[k * wpg..(k + 1) * wpg], o);
            }
        };
        let chunk_groups = CHUNK;
        if !crate::backend::cpu::parallel(n) {
            run(0, &mut out);
        } else {
            out.par_chunks_mut(chunk_groups * opg).enumerate().for_each(|(ci, c)| run(ci * chunk_groups, c));
        }
        out.truncate(n);
        out
    }
}

/// Number of blocks a draw of `words` words uses.
pub fn blocks_for(words: u128) -> u128 {
    words.div_ceil(4)
}

// ------------------------------------------------------------------ conversions

#[inline]
pub fn u24(x: u32) -> f32 {
    (x >> 8) as f32 * (1.0 / 16_777_216.0)
}
#[inline]
pub fn u53(a: u32, b: u32) -> f64 {
    ((((a as u64) << 32) | b as u64) >> 11) as f64 * (1.0 / 9_007_199_254_740_992.0)
}
#[inline]
pub fn u11(x: u32) -> f32 {
    (x >> 21) as f32 * (1.0 / 2048.0)
}
#[inline]
pub fn u8bits(x: u32) -> f32 {
    (x >> 24) as f32 * (1.0 / 256.0)
}
#[inline]
pub fn u64_of(a: u32, b: u32) -> u64 {
    ((a as u64) << 32) | b as u64
}

/// Box-Muller in float32: a pair of normals from two uniforms in [0, 1).
#[inline]
pub fn box_muller_f32(u1: f32, u2: f32) -> (f32, f32) {
    let r = (-2.0 * (1.0 - u1).ln()).sqrt();
    let t = 2.0 * std::f32::consts::PI * u2;
    (r * t.cos(), r * t.sin())
}
#[inline]
pub fn box_muller_f64(u1: f64, u2: f64) -> (f64, f64) {
    let r = (-2.0 * (1.0 - u1).ln()).sqrt();
    let t = 2.0 * std::f64::consts::PI * u2;
    (r * t.cos(), r * t.sin())
}

// ------------------------------------------------------------------ generators

#[derive(Debug, Clone, Copy)]
struct State {
    seed: u64,
    offset: u128,
}

/// A random number generator: a seed and a block offset. Draws reserve a range of blocks
/// under the lock and compute outside it.
#[derive(Debug)]
pub struct Generator {
    state: Mutex<State>,
}

/// Bytes of `get_state`: the seed (8, little-endian) then the offset (16, little-endian).
pub const STATE_BYTES: usize = 24;

impl Generator {
    pub fn new(seed: u64) -> Generator {
        Generator { state: Mutex::new(State { seed, offset: 0 }) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the state half-written (two plain fields).
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sets the seed and rewinds the stream.
    pub fn manual_seed(&self, seed: u64) {
        *self.lock() = State { seed, offset: 0 };
    }

    /// Seeds from a non-deterministic source and returns the seed.
    pub fn seed(&self) -> u64 {
        let s = nondeterministic_seed();
        self.manual_seed(s);
        s
    }

    pub fn initial_seed(&self) -> u64 {
        self.lock().seed
    }

    pub fn offset(&self) -> u128 {
        self.lock().offset
    }

    /// Reserves `words` words for one draw and returns its stream.
    pub fn draw(&self, words: u128) -> Stream {
        let mut s = self.lock();
        let st = Stream::new(s.seed, s.offset);
        s.offset = s.offset.wrapping_add(blocks_for(words));
        st
    }

    pub fn get_state(&self) -> [u8; STATE_BYTES] {
        let s = *self.lock();
        let mut out = [0u8; STATE_BYTES];
        out[..8].copy_from_slice(&s.seed.to_le_bytes());
        out[8..].copy_from_slice(&s.offset.to_le_bytes());
        out
    }

    pub fn set_state(&self, bytes: &[u8]) -> Result<()> {
        if bytes.len() != STATE_BYTES {
            return Err(Error::Runtime(format!(
                "Expected either a PhiloxCudaState or a CPU generator state of {} bytes, got {} bytes",
                STATE_BYTES,
                bytes.len()
            )));
        }
        let mut seed = [0u8; 8];
        seed.copy_from_slice(&bytes[..8]);
        let mut off = [0u8; 16];
        off.copy_from_slice(&bytes[8..]);
        *self.lock() = State { seed: u64::from_le_bytes(seed), offset: u128::from_le_bytes(off) };
        Ok(())
    }
}

fn nondeterministic_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    h.write_u128(t);
    h.finish()
}

/// The process-wide generator used when an op gets no `generator=`.
pub fn default_generator() -> &'static std::sync::Arc<Generator> {
    static G: OnceLock<std::sync::Arc<Generator>> = OnceLock::new();
    G.get_or_init(|| std::sync::Arc::new(Generator::new(DEFAULT_SEED)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random123_known_answers() {
        assert_eq!(philox4x32_10([0; 4], [0; 2]), [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]);
        assert_eq!(philox4x32_10([0xffffffff; 4], [0xffffffff; 2]), [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]);
        assert_eq!(
            philox4x32_10([0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0]),
            [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]
        );
    }

    #[test]
    fn stream_layout() {
        let s = Stream::new(0x0123_4567_89ab_cdef, 5);
        let mut w = vec![0u32; 10];
        s.fill_words(0, &mut w);
        let b5 = philox4x32_10([5, 0, 0, 0], [0x89ab_cdef, 0x0123_4567]);
        let b6 = philox4x32_10([6, 0, 0, 0], [0x89ab_cdef, 0x0123_4567]);
        assert_eq!(&w[..4], &b5);
        assert_eq!(&w[4..8], &b6);
        let mut tail = vec![0u32; 3];
        s.fill_words(3, &mut tail);
        assert_eq!(tail, vec![b5[3], b6[0], b6[1]]);
        // The 128-bit counter carries across words.
        let s = Stream::new(0, u64::MAX as u128);
        assert_eq!(s.block(1), philox4x32_10([0, 0, 1, 0], [0, 0]));
    }

    #[test]
    fn generate_matches_serial_and_prefixes() {
        let s = Stream::new(42, 0);
        let f = |w: &[u32], o: &mut [u32]| o[0] = w[0] ^ w[1];
        let big = s.generate(200_001, 2, 1, f);
        let small = s.generate(17, 2, 1, f);
        assert_eq!(&big[..17], &small[..]);
        let mut words = vec![0u32; 2 * 200_001];
        s.fill_words(0, &mut words);
        assert!(big.iter().enumerate().all(|(i, &v)| v == words[2 * i] ^ words[2 * i + 1]));
    }

    #[test]
    fn generator_offsets_and_state() {
        let g = Generator::new(7);
        let a = g.draw(9);
        assert_eq!(g.offset(), 3);
        let st = g.get_state();
        let b = g.draw(1);
        assert_eq!(b.block(0), Stream::new(7, 3).block(0));
        g.set_state(&st).unwrap();
        assert_eq!(g.draw(1).block(0), b.block(0));
        assert_eq!(a.block(0), Stream::new(7, 0).block(0));
        assert!(g.set_state(&[0u8; 3]).is_err());
        g.manual_seed(9);
        assert_eq!((g.initial_seed(), g.offset()), (9, 0));
    }

    #[test]
    fn conversions_stay_below_one() {
        assert!(u24(u32::MAX) < 1.0 && u11(u32::MAX) < 1.0 && u8bits(u32::MAX) < 1.0);
        assert!(u53(u32::MAX, u32::MAX) < 1.0);
        assert_eq!(half::f16::from_f32(u11(u32::MAX)).to_f32(), u11(u32::MAX));
        assert_eq!(half::bf16::from_f32(u8bits(u32::MAX)).to_f32(), u8bits(u32::MAX));
        let (z0, z1) = box_muller_f32(u24(u32::MAX), 0.25);
        assert!(z0.is_finite() && z1.is_finite());
    }
}
