//! The complex number the CPU transforms compute with: two floats, laid out as a complex
//! tensor's elements are (real, imaginary), so a tensor's memory can be read as a slice of them.
use std::ops::{Add, Mul, Sub};

#[derive(Clone, Copy, Default, Debug, PartialEq)]
#[repr(C)]
pub(crate) struct Cpx<T> {
    pub re: T,
    pub im: T,
}

/// float32 or float64.
pub(crate) trait Real:
    Copy + Default + Send + Sync + 'static + Add<Output = Self> + Sub<Output = Self> + Mul<Output = Self>
{
    fn of(v: f64) -> Self;
    fn to_f64(self) -> f64;
    /// The table of this precision out of a pair.
    fn pick<'a>(f32: &'a [Cpx<f32>], f64: &'a [Cpx<f64>]) -> &'a [Cpx<Self>];
}

impl Real for f32 {
    fn of(v: f64) -> f32 {
        v as f32
    }
    fn to_f64(self) -> f64 {
        self as f64
    }
    fn pick<'a>(f32: &'a [Cpx<f32>], _: &'a [Cpx<f64>]) -> &'a [Cpx<f32>] {
        f32
    }
}

impl Real for f64 {
    fn of(v: f64) -> f64 {
        v
    }
    fn to_f64(self) -> f64 {
        self
    }
    fn pick<'a>(_: &'a [Cpx<f32>], f64: &'a [Cpx<f64>]) -> &'a [Cpx<f64>] {
        f64
    }
}

impl<T: Real> Cpx<T> {
    #[inline(always)]
    pub fn conj(self) -> Self {
        Cpx { re: self.re, im: T::default() - self.im }
    }
    /// self * (sign i): a quarter turn, +i for sign > 0, -i for sign < 0.
    #[inline(always)]
    pub fn quarter_turn(self, positive: bool) -> Self {
        let zero = T::default();
        if positive { Cpx { re: zero - self.im, im: self.re } } else { Cpx { re: self.im, im: zero - self.re } }
    }
    #[inline(always)]
    pub fn scale(self, s: T) -> Self {
        Cpx { re: self.re * s, im: self.im * s }
    }
    pub fn widen(self) -> Cpx<f64> {
        Cpx { re: self.re.to_f64(), im: self.im.to_f64() }
    }
    pub fn narrow(c: Cpx<f64>) -> Self {
        Cpx { re: T::of(c.re), im: T::of(c.im) }
    }
}

impl<T: Real> Add for Cpx<T> {
    type Output = Self;
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        Cpx { re: self.re + o.re, im: self.im + o.im }
    }
}

impl<T: Real> Sub for Cpx<T> {
    type Output = Self;
    #[inline(always)]
    fn sub(self, o: Self) -> Self {
        Cpx { re: self.re - o.re, im: self.im - o.im }
    }
}

impl<T: Real> Mul for Cpx<T> {
    type Output = Self;
    #[inline(always)]
    fn mul(self, o: Self) -> Self {
        Cpx { re: self.re * o.re - self.im * o.im, im: self.re * o.im + self.im * o.re }
    }
}
