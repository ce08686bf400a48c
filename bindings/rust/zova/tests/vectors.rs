//! Vector collections, rows and the eight search variants through the safe API
//! (docs/rust.md §4.3 "Vectors"; docs/c-api.md §7.8, §7.9, Appendix B).
mod common;

use std::thread;

use common::{error_of, status_of, TempDir};
use zova::{
    Database, Error, SharedDatabase, Status, Vector, VectorCollectionInfo, VectorCollectionOptions, VectorInput,
    VectorMetric, VectorSearchResult,
};

fn database(dir: &TempDir) -> Database {
    Database::create(dir.path("vectors.zova")).unwrap()
}

/// Collection "points" (L2, 2 dims): a=(0,0) b=(1,0) c=(0,2) d=(3,4).
fn points(db: &Database) {
    db.create_vector_collection("points", VectorCollectionOptions::new(2, VectorMetric::L2)).unwrap();
    db.put_vectors(
        "points",
        &[
            VectorInput::new("a", &[0.0, 0.0]),
            VectorInput::new("b", &[1.0, 0.0]),
            VectorInput::new("c", &[0.0, 2.0]),
            VectorInput::new("d", &[3.0, 4.0]),
        ],
    )
    .unwrap();
}

fn hits(results: Vec<VectorSearchResult>) -> Vec<(String, f64)> {
    results.into_iter().map(|hit| (hit.id, hit.distance)).collect()
}

fn expect(pairs: &[(&str, f64)]) -> Vec<(String, f64)> {
    pairs.iter().map(|(id, distance)| (id.to_string(), *distance)).collect()
}

#[test]
fn collections_create_list_info_delete_c_abi_7_8() {
    let dir = TempDir::new();
    let db = database(&dir);
    assert!(!db.has_vector_collection("texts").unwrap());
    assert_eq!(db.list_vector_collections().unwrap(), []);
    db.create_vector_collection("texts", VectorCollectionOptions::new(3, VectorMetric::Cosine)).unwrap();
    db.create_vector_collection("images", VectorCollectionOptions { dimensions: 16_384, metric: VectorMetric::Dot })
        .unwrap();
    assert!(db.has_vector_collection("texts").unwrap());
    db.put_vector("texts", "t1", &[1.0, 0.0, 0.0]).unwrap();
    assert_eq!(
        db.vector_collection_info("texts").unwrap(),
        VectorCollectionInfo { name: "texts".into(), dimensions: 3, metric: VectorMetric::Cosine, vector_count: 1 }
    );
    let names: Vec<String> = db.list_vector_collections().unwrap().into_iter().map(|info| info.name).collect();
    assert_eq!(names, ["images", "texts"], "sorted by name");
    assert_eq!(
        status_of(db.create_vector_collection("texts", VectorCollectionOptions::new(3, VectorMetric::L2))),
        Status::VectorCollectionExists
    );
    for dimensions in [0, 16_385] {
        let options = VectorCollectionOptions::new(dimensions, VectorMetric::L2);
        assert_eq!(status_of(db.create_vector_collection("bad", options)), Status::VectorInvalid);
    }
    for name in ["", "_zova_x", "_ZOVA_y", &"n".repeat(256)] {
        let options = VectorCollectionOptions::new(2, VectorMetric::L2);
        assert_eq!(status_of(db.create_vector_collection(name, options)), Status::VectorInvalid, "{name:?}");
    }
    assert_eq!(
        error_of(db.has_vector_collection("a\0b")),
        Error::InteriorNul { context: "vector collection name" }
    );
    assert_eq!(status_of(db.vector_collection_info("nope")), Status::VectorCollectionNotFound);
    db.delete_vector_collection("texts").unwrap();
    assert!(!db.has_vector_collection("texts").unwrap());
    assert_eq!(status_of(db.delete_vector_collection("texts")), Status::VectorCollectionNotFound);
    assert_eq!(status_of(db.get_vector("texts", "t1")), Status::VectorCollectionNotFound);
    assert_eq!(VectorMetric::from_raw(2), Some(VectorMetric::Dot));
    assert_eq!(VectorMetric::from_raw(3), None);
    assert_eq!(VectorMetric::L2.raw(), 1);
}

#[test]
fn vectors_put_get_exists_delete_c_abi_7_8() {
    let dir = TempDir::new();
    let db = database(&dir);
    db.create_vector_collection("v", VectorCollectionOptions::new(3, VectorMetric::Cosine)).unwrap();
    db.put_vector("v", "x", &[0.5, -1.25, 3.0]).unwrap();
    assert_eq!(db.get_vector("v", "x").unwrap(), Vector { id: "x".into(), values: vec![0.5, -1.25, 3.0] });
    db.put_vector("v", "x", &[1.0, 2.0, 3.0]).unwrap(); // insert or replace
    assert_eq!(db.get_vector("v", "x").unwrap().values, [1.0, 2.0, 3.0]);
    assert!(db.has_vector("v", "x").unwrap());
    assert!(!db.has_vector("v", "y").unwrap());
    assert_eq!(status_of(db.put_vector("v", "y", &[1.0, 2.0])), Status::VectorDimensionMismatch);
    assert_eq!(status_of(db.put_vector("v", "y", &[])), Status::VectorDimensionMismatch);
    assert_eq!(status_of(db.put_vector("v", "y", &[f32::NAN, 1.0, 1.0])), Status::VectorInvalid);
    assert_eq!(status_of(db.put_vector("v", "y", &[f32::INFINITY, 1.0, 1.0])), Status::VectorInvalid);
    assert_eq!(status_of(db.put_vector("v", "y", &[0.0, 0.0, 0.0])), Status::VectorInvalid, "cosine zero vector");
    assert_eq!(status_of(db.put_vector("v", "_zova_id", &[1.0, 1.0, 1.0])), Status::VectorInvalid);
    assert_eq!(error_of(db.put_vector("v", "a\0", &[1.0, 1.0, 1.0])), Error::InteriorNul { context: "vector id" });
    assert_eq!(status_of(db.get_vector("v", "y")), Status::VectorNotFound);
    db.delete_vector("v", "x").unwrap();
    assert_eq!(status_of(db.delete_vector("v", "x")), Status::VectorNotFound);
    assert_eq!(db.vector_collection_info("v").unwrap().vector_count, 0);
}

#[test]
fn put_vectors_is_all_or_nothing_c_abi_7_8() {
    let dir = TempDir::new();
    let db = database(&dir);
    db.create_vector_collection("v", VectorCollectionOptions::new(2, VectorMetric::L2)).unwrap();
    db.put_vectors("v", &[]).unwrap();
    db.put_vectors("v", &[VectorInput::new("a", &[1.0, 1.0]), VectorInput::new("a", &[2.0, 2.0])]).unwrap();
    assert_eq!(db.get_vector("v", "a").unwrap().values, [2.0, 2.0], "the last duplicate wins");
    let bad = [VectorInput::new("b", &[1.0, 1.0]), VectorInput::new("c", &[1.0])];
    assert_eq!(status_of(db.put_vectors("v", &bad)), Status::VectorDimensionMismatch);
    assert!(!db.has_vector("v", "b").unwrap(), "nothing written when a row fails");
    assert_eq!(db.vector_collection_info("v").unwrap().vector_count, 1);
}

#[test]
fn search_variants_l2_appendix_b() {
    let dir = TempDir::new();
    let db = database(&dir);
    points(&db);
    let origin = [0.0f32, 0.0];
    let all = expect(&[("a", 0.0), ("b", 1.0), ("c", 2.0), ("d", 5.0)]);
    assert_eq!(hits(db.search_vectors("points", &origin, 10).unwrap()), all);
    assert_eq!(hits(db.search_vectors("points", &origin, 2).unwrap()), all[..2]);
    assert_eq!(db.search_vectors("points", &origin, 0).unwrap(), []);
    // max_distance is inclusive.
    assert_eq!(hits(db.search_vectors_within("points", &origin, 2.0, 10).unwrap()), all[..3]);
    assert_eq!(hits(db.search_vectors_within("points", &origin, 2.0, 1).unwrap()), all[..1]);
    // Candidates: de-duplicated, unknown ids skipped.
    assert_eq!(
        hits(db.search_vectors_in("points", &origin, &["d", "b", "zz", "b"], 10).unwrap()),
        expect(&[("b", 1.0), ("d", 5.0)])
    );
    assert_eq!(
        hits(db.search_vectors_in_within("points", &origin, &["d", "b", "c"], 2.5, 10).unwrap()),
        expect(&[("b", 1.0), ("c", 2.0)])
    );
    assert_eq!(db.search_vectors_in("points", &origin, &[], 10).unwrap(), []);
    // By id: the source itself is never returned. From b=(1,0): a 1, c sqrt(5), d sqrt(20).
    let from_b = expect(&[("a", 1.0), ("c", 5f64.sqrt()), ("d", 20f64.sqrt())]);
    assert_eq!(hits(db.search_vectors_by_id("points", "b", 10).unwrap()), from_b);
    assert_eq!(hits(db.search_vectors_by_id_in("points", "b", &["d", "b", "c"], 10).unwrap()), from_b[1..]);
    assert_eq!(hits(db.search_vectors_by_id_within("points", "b", 2.5, 10).unwrap()), from_b[..2]);
    assert_eq!(hits(db.search_vectors_by_id_in_within("points", "b", &["a", "d"], 4.0, 10).unwrap()), from_b[..1]);
    // Errors.
    assert_eq!(status_of(db.search_vectors("points", &[1.0], 1)), Status::VectorDimensionMismatch);
    assert_eq!(status_of(db.search_vectors("points", &[f32::NAN, 0.0], 1)), Status::VectorInvalid);
    assert_eq!(status_of(db.search_vectors_within("points", &origin, f64::NAN, 1)), Status::VectorInvalid);
    assert_eq!(status_of(db.search_vectors_by_id("points", "nope", 1)), Status::VectorNotFound);
    assert_eq!(status_of(db.search_vectors("nope", &origin, 1)), Status::VectorCollectionNotFound);
    assert_eq!(status_of(db.search_vectors_in("points", &origin, &["_zova_bad"], 1)), Status::VectorInvalid);
    assert_eq!(
        error_of(db.search_vectors_in("points", &origin, &["a\0"], 1)),
        Error::InteriorNul { context: "candidate vector id" }
    );
}

#[test]
fn dot_and_cosine_distances_and_ties_appendix_b() {
    let dir = TempDir::new();
    let db = database(&dir);
    db.create_vector_collection("dot", VectorCollectionOptions::new(2, VectorMetric::Dot)).unwrap();
    db.put_vectors("dot", &[VectorInput::new("p", &[1.0, 2.0]), VectorInput::new("q", &[-1.0, 0.5])]).unwrap();
    // Dot distance is -dot, so negative thresholds are legal.
    assert_eq!(hits(db.search_vectors("dot", &[2.0, 1.0], 10).unwrap()), expect(&[("p", -4.0), ("q", 1.5)]));
    assert_eq!(hits(db.search_vectors_within("dot", &[2.0, 1.0], -1.0, 10).unwrap()), expect(&[("p", -4.0)]));

    db.create_vector_collection("cos", VectorCollectionOptions::new(2, VectorMetric::Cosine)).unwrap();
    db.put_vectors(
        "cos",
        &[
            VectorInput::new("same", &[2.0, 0.0]),
            VectorInput::new("orth", &[0.0, 3.0]),
            VectorInput::new("opp", &[-1.0, 0.0]),
            VectorInput::new("bb", &[0.0, 1.0]),
        ],
    )
    .unwrap();
    // Ties (orth and bb are both at distance 1) are ordered by id bytes.
    let results = hits(db.search_vectors("cos", &[1.0, 0.0], 10).unwrap());
    assert_eq!(results, expect(&[("same", 0.0), ("bb", 1.0), ("orth", 1.0), ("opp", 2.0)]));
    assert_eq!(status_of(db.search_vectors("cos", &[0.0, 0.0], 1)), Status::VectorInvalid, "cosine zero query");
}

#[test]
fn vectors_join_caller_transactions_c_abi_5_9() {
    let dir = TempDir::new();
    let db = database(&dir);
    points(&db);
    db.begin().unwrap();
    db.put_vector("points", "e", &[9.0, 9.0]).unwrap();
    assert!(db.has_vector("points", "e").unwrap());
    db.rollback().unwrap();
    assert!(!db.has_vector("points", "e").unwrap());
    let result: Result<(), Error> = db.with_savepoint("sp", |db| {
        db.delete_vector("points", "a")?;
        db.put_vector("points", "f", &[1.0])
    });
    assert_eq!(status_of(result), Status::VectorDimensionMismatch);
    assert!(db.has_vector("points", "a").unwrap(), "savepoint rolled the delete back");
}

#[test]
fn shared_vectors_from_threads_section_4_3() {
    let dir = TempDir::new();
    let db = SharedDatabase::create(dir.path("vectors.zova")).unwrap();
    db.create_vector_collection("v", VectorCollectionOptions::new(2, VectorMetric::L2)).unwrap();
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let db = db.clone();
            thread::spawn(move || {
                for i in 0..25 {
                    db.put_vector("v", &format!("t{t}-{i:02}"), &[t as f32, i as f32]).unwrap();
                    let nearest = db.search_vectors("v", &[t as f32, i as f32], 1).unwrap();
                    assert_eq!(nearest[0].distance, 0.0);
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
    assert_eq!(db.vector_collection_info("v").unwrap().vector_count, 100);
    // Four vectors tie at distance 1 from (2, 10); ties are ordered by id.
    let nearest = hits(db.search_vectors_by_id("v", "t2-10", 5).unwrap());
    assert_eq!(
        nearest,
        expect(&[("t1-10", 1.0), ("t2-09", 1.0), ("t2-11", 1.0), ("t3-10", 1.0), ("t1-09", 2f64.sqrt())])
    );
}
