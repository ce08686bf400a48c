//! Workloads for bench/bench_rust.py (which runs the same work through the
//! Python binding and sqlite3 in the same run and prints ratios).
//! Usage: bench <dir> <rows> <objects> <object_size>; prints `name seconds` lines.
use std::time::Instant;

use zova::{Database, SharedDatabase, Step, VectorCollectionOptions, VectorInput, VectorMetric};

/// The same deterministic vector values as bench_rust.py.
fn vector_values(i: usize, dims: usize) -> Vec<f32> {
    (0..dims).map(|j| (((i * 131 + j * 17) % 1000) as f32) / 1000.0 - 0.5).collect()
}

fn main() -> zova::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let dir = std::path::PathBuf::from(&args[1]);
    let rows: i64 = args[2].parse().expect("rows");
    let objects: usize = args[3].parse().expect("objects");
    let object_size: usize = args[4].parse().expect("object_size");
    let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();

    let db = Database::create(dir.join(format!("bench-rust-{stamp}.zova")))?;
    db.exec("create table t (id integer primary key, name text, score real)")?;
    let start = Instant::now();
    db.begin()?;
    let mut insert = db.prepare("insert into t (id, name, score) values (?, ?, ?)")?;
    for i in 0..rows {
        insert.bind_i64(1, i)?;
        insert.bind_text(2, &format!("name{i}"))?;
        insert.bind_f64(3, i as f64 * 0.5)?;
        insert.step()?;
        insert.reset()?;
    }
    drop(insert);
    db.commit()?;
    println!("insert {}", start.elapsed().as_secs_f64());

    let start = Instant::now();
    let mut select = db.prepare("select id, name, score from t")?;
    let mut seen = 0i64;
    while select.step()? == Step::Row {
        let _ = (select.column_i64(0)?, select.column_text(1)?, select.column_f64(2)?);
        seen += 1;
    }
    assert_eq!(seen, rows);
    drop(select);
    println!("select {}", start.elapsed().as_secs_f64());

    let payloads: Vec<Vec<u8>> = (0..objects)
        .map(|i| (0..object_size).map(|j| ((i * 31 + j * 7) ^ (j >> 3)) as u8).collect())
        .collect();
    let start = Instant::now();
    let ids = payloads.iter().map(|data| db.put_object(data)).collect::<zova::Result<Vec<_>>>()?;
    println!("put_object {}", start.elapsed().as_secs_f64());
    let start = Instant::now();
    for (id, data) in ids.iter().zip(&payloads) {
        assert_eq!(db.get_object(id)?.len(), data.len());
    }
    println!("get_object {}", start.elapsed().as_secs_f64());

    // Vectors: VECTORS x 128 dims (cosine), one put_vectors call, then SEARCHES top-10 searches.
    let vectors: usize = args.get(5).map_or(10_000, |v| v.parse().expect("vectors"));
    let searches: usize = args.get(6).map_or(100, |v| v.parse().expect("searches"));
    let values: Vec<Vec<f32>> = (0..vectors).map(|i| vector_values(i, 128)).collect();
    let ids: Vec<String> = (0..vectors).map(|i| format!("v{i}")).collect();
    let inputs: Vec<VectorInput<'_>> = ids.iter().zip(&values).map(|(id, v)| VectorInput::new(id, v)).collect();
    db.create_vector_collection("bench", VectorCollectionOptions::new(128, VectorMetric::Cosine))?;
    let start = Instant::now();
    db.put_vectors("bench", &inputs)?;
    println!("put_vectors {}", start.elapsed().as_secs_f64());
    let start = Instant::now();
    for i in 0..searches {
        let hits = db.search_vectors("bench", &values[(i * 97) % vectors], 10)?;
        assert_eq!(hits.len(), 10);
    }
    println!("search_vectors {}", start.elapsed().as_secs_f64());
    drop(db);

    // The same inserts through a SharedDatabase (Mutex per call) in one transaction.
    let shared = SharedDatabase::create(dir.join(format!("bench-rust-shared-{stamp}.zova")))?;
    shared.exec("create table t (id integer primary key, name text, score real)")?;
    let start = Instant::now();
    shared.transaction(|tx| {
        let mut insert = tx.prepare("insert into t (id, name, score) values (?, ?, ?)")?;
        for i in 0..rows {
            insert.bind_i64(1, i)?;
            insert.bind_text(2, &format!("name{i}"))?;
            insert.bind_f64(3, i as f64 * 0.5)?;
            insert.step()?;
            insert.reset()?;
        }
        Ok::<_, zova::Error>(())
    })?;
    println!("shared_insert {}", start.elapsed().as_secs_f64());
    Ok(())
}
