//! Vector value types (docs/rust.md §4.3 "Vectors", docs/c-api.md §3.2).
use zova_sys as sys;

/// The distance metric of a vector collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VectorMetric {
    Cosine,
    L2,
    Dot,
}

impl VectorMetric {
    /// The metric for a raw `zova_vector_metric` (0, 1 or 2).
    pub fn from_raw(raw: i32) -> Option<VectorMetric> {
        match raw {
            sys::ZOVA_VECTOR_METRIC_COSINE => Some(VectorMetric::Cosine),
            sys::ZOVA_VECTOR_METRIC_L2 => Some(VectorMetric::L2),
            sys::ZOVA_VECTOR_METRIC_DOT => Some(VectorMetric::Dot),
            _ => None,
        }
    }

    /// The raw `zova_vector_metric`.
    pub fn raw(self) -> i32 {
        match self {
            VectorMetric::Cosine => sys::ZOVA_VECTOR_METRIC_COSINE,
            VectorMetric::L2 => sys::ZOVA_VECTOR_METRIC_L2,
            VectorMetric::Dot => sys::ZOVA_VECTOR_METRIC_DOT,
        }
    }
}

/// Options of a new vector collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VectorCollectionOptions {
    pub dimensions: u32,
    pub metric: VectorMetric,
}

impl VectorCollectionOptions {
    pub fn new(dimensions: u32, metric: VectorMetric) -> Self {
        VectorCollectionOptions { dimensions, metric }
    }
}

/// A vector collection as listed by the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VectorCollectionInfo {
    pub name: String,
    pub dimensions: u32,
    pub metric: VectorMetric,
    pub vector_count: u64,
}

/// One vector to store with `put_vectors`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VectorInput<'a> {
    pub id: &'a str,
    pub values: &'a [f32],
}

impl<'a> VectorInput<'a> {
    pub fn new(id: &'a str, values: &'a [f32]) -> Self {
        VectorInput { id, values }
    }
}

/// A stored vector.
#[derive(Debug, Clone, PartialEq)]
pub struct Vector {
    pub id: String,
    pub values: Vec<f32>,
}

/// One search hit: ascending distance, ties by id.
#[derive(Debug, Clone, PartialEq)]
pub struct VectorSearchResult {
    pub id: String,
    pub distance: f64,
}
