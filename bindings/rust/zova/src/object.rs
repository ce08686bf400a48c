//! Object and chunk ids and manifests (docs/rust.md §4.3 "Objects", docs/c-api.md §3.2, §4.8).
use std::fmt;

use zova_sys as sys;

use crate::error::{Error, Result};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $raw:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name([u8; 32]);

        impl $name {
            /// The 32 raw bytes.
            pub fn into_bytes(self) -> [u8; 32] {
                self.0
            }

            /// The 32 raw bytes, borrowed.
            pub fn as_bytes(&self) -> &[u8; 32] {
                &self.0
            }

            /// Lowercase hex, 64 characters.
            pub fn to_hex(&self) -> String {
                self.0.iter().map(|byte| format!("{byte:02x}")).collect()
            }

            pub(crate) fn to_raw(self) -> sys::$raw {
                sys::$raw { bytes: self.0 }
            }

            pub(crate) fn from_raw(raw: sys::$raw) -> Self {
                $name(raw.bytes)
            }
        }

        impl From<[u8; 32]> for $name {
            fn from(bytes: [u8; 32]) -> Self {
                $name(bytes)
            }
        }

        impl AsRef<[u8; 32]> for $name {
            fn as_ref(&self) -> &[u8; 32] {
                &self.0
            }
        }

        /// Exactly 32 bytes, else INVALID_ARGUMENT.
        impl TryFrom<&[u8]> for $name {
            type Error = Error;

            fn try_from(bytes: &[u8]) -> Result<Self> {
                <[u8; 32]>::try_from(bytes).map($name).map_err(|_| Error::invalid_argument())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.to_hex())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.to_hex())
            }
        }
    };
}

id_type!(
    /// The id of an object: SHA-256 of its bytes.
    ObjectId,
    zova_object_id
);
id_type!(
    /// The id of an object chunk: SHA-256 of the chunk bytes.
    ObjectChunkId,
    zova_object_chunk_id
);

/// The object id of `data`, computed by the C library (`zova_object_id_from_bytes`).
pub fn object_id(data: &[u8]) -> Result<ObjectId> {
    hash(sys::zova_object_id_from_bytes, data).map(ObjectId::from_raw)
}

/// The chunk id of `data`, computed by the C library (`zova_object_chunk_id_from_bytes`).
pub fn object_chunk_id(data: &[u8]) -> Result<ObjectChunkId> {
    hash(sys::zova_object_chunk_id_from_bytes, data).map(ObjectChunkId::from_raw)
}

/// Runs one of the handle-less id functions (no handle, so no message).
fn hash<Raw: Default>(id_from_bytes: unsafe extern "C" fn(*const u8, usize, *mut Raw) -> sys::zova_status, data: &[u8])
    -> Result<Raw> {
    let mut out = Raw::default();
    // SAFETY: (data, len) is a valid slice; out is a valid output.
    let status = unsafe { id_from_bytes(data.as_ptr(), data.len(), &mut out) };
    if status != sys::ZOVA_OK {
        return Err(Error::from_raw(status, None));
    }
    Ok(out)
}

/// One chunk of an object manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ObjectManifestChunk {
    pub index: u64,
    pub hash: ObjectChunkId,
    pub offset: u64,
    pub size_bytes: u64,
}

impl ObjectManifestChunk {
    pub(crate) fn to_raw(self) -> sys::zova_object_manifest_chunk {
        sys::zova_object_manifest_chunk {
            index: self.index,
            hash: self.hash.to_raw(),
            offset: self.offset,
            size_bytes: self.size_bytes,
        }
    }
}

/// How an object is stored: its chunks in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectManifest {
    pub object_id: ObjectId,
    pub size_bytes: u64,
    pub chunk_count: u64,
    /// The chunker name, `fastcdc-v1`.
    pub chunker: String,
    pub chunks: Vec<ObjectManifestChunk>,
}
