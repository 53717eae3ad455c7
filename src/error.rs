//! One error type for the whole crate. Each variant is a *kind*, chosen so the Python
//! layer can map it onto the exception class PyTorch raises for the same mistake.
use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// Shape mismatches, impossible views, bad sizes: PyTorch raises RuntimeError.
    Runtime(String),
    /// Out-of-range indices and dims: IndexError.
    Index(String),
    /// Unsupported dtype for an op, bad argument types: TypeError.
    Type(String),
    /// Bad argument values (e.g. a ragged nested list): ValueError.
    Value(String),
    /// Not implemented for this dtype/device combination: NotImplementedError.
    NotImplemented(String),
    /// The GPU could not allocate: `ferrotorch.OutOfMemoryError` (a RuntimeError), as PyTorch's.
    OutOfMemory(String),
    /// An error raised by user code the core called back into (a hook, a custom Function's
    /// backward); the binding layer stores its own exception object here and re-raises it.
    Callback(CallbackError),
}

/// An opaque error from a callback, passed through the core unchanged.
#[derive(Clone)]
pub struct CallbackError(pub std::sync::Arc<dyn std::any::Any + Send + Sync>);

impl fmt::Debug for CallbackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CallbackError")
    }
}

impl PartialEq for CallbackError {
    fn eq(&self, other: &Self) -> bool {
        std::sync::Arc::ptr_eq(&self.0, &other.0)
    }
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// An op without a complex implementation, reached with a complex tensor.
    pub fn complex_unsupported(dtype: crate::dtype::DType) -> Error {
        Error::NotImplemented(format!("this operation is not implemented for '{}' tensors in ferrotorch", dtype.scalar_name()))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Runtime(m) | Error::Index(m) | Error::Type(m) | Error::Value(m) | Error::NotImplemented(m) | Error::OutOfMemory(m) => {
                f.write_str(m)
            }
            Error::Callback(_) => f.write_str("error in a callback"),
        }
    }
}

impl std::error::Error for Error {}

/// `bail!(Runtime, "fmt", args)` returns early with the given error kind.
#[macro_export]
macro_rules! bail {
    ($kind:ident, $($arg:tt)*) => {
        return Err($crate::error::Error::$kind(format!($($arg)*)))
    };
}
