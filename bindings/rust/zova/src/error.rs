//! Errors and statuses (docs/rust.md §4.3 "Errors", docs/c-api.md §2.1, §5.5).
use std::borrow::Cow;
use std::ffi::CStr;
use std::fmt;

use zova_sys as sys;

/// A non-OK `zova_status`: 31 named variants plus `Unknown(raw)` for any other code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    InvalidArgument,
    OutOfMemory,
    Busy,
    Locked,
    Constraint,
    CantOpen,
    ReadOnly,
    Corrupt,
    Misuse,
    SqliteError,
    NotZovaPath,
    NotZovaDatabase,
    UnsupportedZovaVersion,
    DestinationExists,
    ZovaNameConflict,
    ObjectNotFound,
    ObjectAlreadyExists,
    ObjectChunkNotFound,
    ObjectChunkHashMismatch,
    ObjectCorrupt,
    ObjectManifestInvalid,
    ObjectRangeInvalid,
    ObjectTooLarge,
    ObjectTransactionActive,
    ObjectWriterClosed,
    VectorCollectionExists,
    VectorCollectionNotFound,
    VectorNotFound,
    VectorDimensionMismatch,
    VectorCorrupt,
    VectorInvalid,
    /// Any other code (including `ZOVA_OK`, which is never an error).
    Unknown(i32),
}

const TABLE: [(Status, sys::zova_status); 31] = [
    (Status::InvalidArgument, sys::ZOVA_INVALID_ARGUMENT),
    (Status::OutOfMemory, sys::ZOVA_OUT_OF_MEMORY),
    (Status::Busy, sys::ZOVA_BUSY),
    (Status::Locked, sys::ZOVA_LOCKED),
    (Status::Constraint, sys::ZOVA_CONSTRAINT),
    (Status::CantOpen, sys::ZOVA_CANT_OPEN),
    (Status::ReadOnly, sys::ZOVA_READ_ONLY),
    (Status::Corrupt, sys::ZOVA_CORRUPT),
    (Status::Misuse, sys::ZOVA_MISUSE),
    (Status::SqliteError, sys::ZOVA_SQLITE_ERROR),
    (Status::NotZovaPath, sys::ZOVA_NOT_ZOVA_PATH),
    (Status::NotZovaDatabase, sys::ZOVA_NOT_ZOVA_DATABASE),
    (Status::UnsupportedZovaVersion, sys::ZOVA_UNSUPPORTED_ZOVA_VERSION),
    (Status::DestinationExists, sys::ZOVA_DESTINATION_EXISTS),
    (Status::ZovaNameConflict, sys::ZOVA_ZOVA_NAME_CONFLICT),
    (Status::ObjectNotFound, sys::ZOVA_OBJECT_NOT_FOUND),
    (Status::ObjectAlreadyExists, sys::ZOVA_OBJECT_ALREADY_EXISTS),
    (Status::ObjectChunkNotFound, sys::ZOVA_OBJECT_CHUNK_NOT_FOUND),
    (Status::ObjectChunkHashMismatch, sys::ZOVA_OBJECT_CHUNK_HASH_MISMATCH),
    (Status::ObjectCorrupt, sys::ZOVA_OBJECT_CORRUPT),
    (Status::ObjectManifestInvalid, sys::ZOVA_OBJECT_MANIFEST_INVALID),
    (Status::ObjectRangeInvalid, sys::ZOVA_OBJECT_RANGE_INVALID),
    (Status::ObjectTooLarge, sys::ZOVA_OBJECT_TOO_LARGE),
    (Status::ObjectTransactionActive, sys::ZOVA_OBJECT_TRANSACTION_ACTIVE),
    (Status::ObjectWriterClosed, sys::ZOVA_OBJECT_WRITER_CLOSED),
    (Status::VectorCollectionExists, sys::ZOVA_VECTOR_COLLECTION_EXISTS),
    (Status::VectorCollectionNotFound, sys::ZOVA_VECTOR_COLLECTION_NOT_FOUND),
    (Status::VectorNotFound, sys::ZOVA_VECTOR_NOT_FOUND),
    (Status::VectorDimensionMismatch, sys::ZOVA_VECTOR_DIMENSION_MISMATCH),
    (Status::VectorCorrupt, sys::ZOVA_VECTOR_CORRUPT),
    (Status::VectorInvalid, sys::ZOVA_VECTOR_INVALID),
];

impl Status {
    /// The status for a raw `zova_status` code.
    pub fn from_raw(raw: i32) -> Status {
        TABLE.iter().find(|(_, code)| *code == raw).map_or(Status::Unknown(raw), |(status, _)| *status)
    }

    /// The raw `zova_status` code.
    pub fn raw(self) -> i32 {
        match self {
            Status::Unknown(raw) => raw,
            named => TABLE.iter().find(|(status, _)| *status == named).map(|(_, code)| *code).unwrap_or(-1),
        }
    }

    /// `zova_status_name(code)`, e.g. `ZOVA_OBJECT_NOT_FOUND`; `ZOVA_UNKNOWN_STATUS_<n>`
    /// only if the library returns NULL.
    pub fn name(self) -> Cow<'static, str> {
        let raw = self.raw();
        // SAFETY: zova_status_name returns NULL or a static NUL-terminated string.
        let name = unsafe { sys::zova_status_name(raw) };
        if name.is_null() {
            return Cow::Owned(format!("ZOVA_UNKNOWN_STATUS_{raw}"));
        }
        // SAFETY: checked non-NULL above; the string is static.
        match unsafe { CStr::from_ptr(name) }.to_str() {
            Ok(text) => Cow::Borrowed(text),
            Err(_) => Cow::Owned(format!("ZOVA_UNKNOWN_STATUS_{raw}")),
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// Every failure of the safe API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The C library (or a binding-level argument check) returned a non-OK status.
    /// `message` is the handle's last-error text copied right after the call
    /// (or the owned message of create/open/convert/restore); `None` when empty.
    Zova { status: Status, status_name: String, message: Option<String> },
    /// A string argument contains a NUL byte; `context` names it (`path`, `sql`, ...).
    InteriorNul { context: &'static str },
    /// A path is not valid UTF-8.
    NonUtf8Path,
    /// Text returned by the library (a column, a name, an id) is not valid UTF-8.
    InvalidUtf8Text,
}

/// `std::result::Result` with [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub(crate) fn from_status(status: Status, message: Option<String>) -> Error {
        let message = message.filter(|text| !text.is_empty());
        Error::Zova { status, status_name: status.name().into_owned(), message }
    }

    pub(crate) fn from_raw(raw: sys::zova_status, message: Option<String>) -> Error {
        Error::from_status(Status::from_raw(raw), message)
    }

    /// A binding-level INVALID_ARGUMENT with no message (bad index, bad length).
    pub(crate) fn invalid_argument() -> Error {
        Error::from_status(Status::InvalidArgument, None)
    }

    pub(crate) fn writer_closed() -> Error {
        Error::from_status(Status::ObjectWriterClosed, Some("object writer is closed".to_string()))
    }

    /// The status of this error; binding-level argument errors (`InteriorNul`,
    /// `NonUtf8Path`, `InvalidUtf8Text`) report `InvalidArgument`.
    pub fn status(&self) -> Status {
        match self {
            Error::Zova { status, .. } => *status,
            _ => Status::InvalidArgument,
        }
    }

    /// The library's message, if any.
    pub fn message(&self) -> Option<&str> {
        match self {
            Error::Zova { message, .. } => message.as_deref(),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Zova { status_name, message: Some(message), .. } => write!(f, "{status_name}: {message}"),
            Error::Zova { status_name, message: None, .. } => f.write_str(status_name),
            Error::InteriorNul { context } => write!(f, "{context} contains an interior NUL byte"),
            Error::NonUtf8Path => f.write_str("path is not valid UTF-8"),
            Error::InvalidUtf8Text => f.write_str("SQL text column is not valid UTF-8"),
        }
    }
}

impl std::error::Error for Error {}

impl From<Error> for std::io::Error {
    fn from(error: Error) -> std::io::Error {
        std::io::Error::other(error)
    }
}
