//! Errors: the host's negative Linux errno, kept as it is (not WASI's
//! numbering, which differs), with libc's message for display.

use std::fmt;

/// A failed host call: `errno` is the Linux errno the host returned
/// (`Error::ENOENT.errno() == 2`), or one the SDK chose for a bad
/// argument it caught itself (a string holding a NUL: `EINVAL`).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Error(i32);

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// (errno, name, message) for the values the host uses and the kernel's
/// usual BPF errors.
const NAMES: &[(i32, &str, &str)] = &[
    (1, "EPERM", "Operation not permitted"),
    (2, "ENOENT", "No such file or directory"),
    (3, "ESRCH", "No such process"),
    (4, "EINTR", "Interrupted system call"),
    (5, "EIO", "Input/output error"),
    (7, "E2BIG", "Argument list too long"),
    (9, "EBADF", "Bad file descriptor"),
    (11, "EAGAIN", "Resource temporarily unavailable"),
    (12, "ENOMEM", "Cannot allocate memory"),
    (13, "EACCES", "Permission denied"),
    (14, "EFAULT", "Bad address"),
    (16, "EBUSY", "Device or resource busy"),
    (17, "EEXIST", "File exists"),
    (19, "ENODEV", "No such device"),
    (22, "EINVAL", "Invalid argument"),
    (24, "EMFILE", "Too many open files"),
    (28, "ENOSPC", "No space left on device"),
    (34, "ERANGE", "Numerical result out of range"),
    (36, "ENAMETOOLONG", "File name too long"),
    (38, "ENOSYS", "Function not implemented"),
    (95, "EOPNOTSUPP", "Operation not supported"),
    (110, "ETIMEDOUT", "Connection timed out"),
    (524, "ENOTSUPP", "Operation not supported by the kernel"),
];

impl Error {
    pub const EPERM: Error = Error(1);
    pub const ENOENT: Error = Error(2);
    pub const EINTR: Error = Error(4);
    pub const E2BIG: Error = Error(7);
    pub const EBADF: Error = Error(9);
    pub const ENOMEM: Error = Error(12);
    pub const EFAULT: Error = Error(14);
    pub const EBUSY: Error = Error(16);
    pub const EINVAL: Error = Error(22);
    pub const EMFILE: Error = Error(24);
    pub const ENAMETOOLONG: Error = Error(36);
    pub const ETIMEDOUT: Error = Error(110);
    pub const EOPNOTSUPP: Error = Error(95);

    /// The error for a positive Linux errno.
    pub const fn from_errno(errno: i32) -> Error {
        Error(errno)
    }

    /// The positive Linux errno.
    pub const fn errno(self) -> i32 {
        self.0
    }

    /// `EBADF`, ... or `None` for a value the SDK has no name for.
    pub fn name(self) -> Option<&'static str> {
        NAMES.iter().find(|e| e.0 == self.0).map(|e| e.1)
    }

    fn message(self) -> Option<&'static str> {
        NAMES.iter().find(|e| e.0 == self.0).map(|e| e.2)
    }
}

/// A host return value: `>= 0` is success, negative is `-errno`.
pub(crate) fn check(ret: i32) -> Result<u32> {
    if ret < 0 {
        Err(Error(ret.wrapping_neg()))
    } else {
        Ok(ret as u32)
    }
}

/// [`check`] for calls that return nothing on success.
pub(crate) fn check0(ret: i32) -> Result<()> {
    check(ret).map(|_| ())
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.message(), self.name()) {
            (Some(m), Some(n)) => write!(f, "{} ({})", m, n),
            _ => write!(f, "error {}", self.0),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => write!(f, "Error({})", n),
            None => write!(f, "Error({})", self.0),
        }
    }
}

impl std::error::Error for Error {}
