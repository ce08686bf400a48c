//! The README example: records, an object, a vector search and a shared
//! handle used from two threads, all in one `.zova` file.
//! Run with `cargo run -p zova --example quickstart -- /tmp/quickstart.zova`.
use std::thread;

use zova::{Database, Step, VectorCollectionOptions, VectorInput, VectorMetric};

fn main() -> zova::Result<()> {
    let path = std::env::args().nth(1).unwrap_or_else(|| "quickstart.zova".to_string());
    let db = Database::create(&path)?;

    // Records: plain SQLite tables and prepared statements.
    db.exec("CREATE TABLE people(id INTEGER PRIMARY KEY, name TEXT NOT NULL)")?;
    let mut insert = db.prepare("INSERT INTO people(name) VALUES (?1)")?;
    for name in ["ada", "grace"] {
        insert.reset()?;
        insert.bind_text(1, name)?;
        insert.step()?;
    }
    drop(insert);
    let mut query = db.prepare("SELECT id, name FROM people ORDER BY id")?;
    let mut rows = 0;
    while query.step()? == Step::Row {
        println!("{} {}", query.column_i64(0)?, query.column_text(1)?.unwrap_or_default());
        rows += 1;
    }
    drop(query);
    println!("rows: {rows}");

    // Objects: content-addressed bytes (the id is their SHA-256).
    let id = db.put_object(b"hello, zova")?;
    assert_eq!(db.get_object(&id)?, b"hello, zova");
    println!("object: {} bytes, id {}", db.object_size(&id)?, &id.to_hex()[..16]);

    // Vectors: a 2-dimensional L2 collection and a nearest-neighbour search.
    db.create_vector_collection("points", VectorCollectionOptions::new(2, VectorMetric::L2))?;
    db.put_vectors("points", &[VectorInput::new("origin", &[0.0, 0.0]), VectorInput::new("far", &[3.0, 4.0])])?;
    let nearest = db.search_vectors("points", &[0.0, 1.0], 1)?;
    println!("nearest: {} at {:.1}", nearest[0].id, nearest[0].distance);

    // Threads: a SharedDatabase is Clone + Send + Sync.
    let shared = db.into_shared().expect("no statements or writers are open");
    let workers: Vec<_> = ["linus", "barbara"]
        .into_iter()
        .map(|name| {
            let shared = shared.clone();
            thread::spawn(move || shared.transaction(|tx| tx.exec(&format!("INSERT INTO people(name) VALUES ('{name}')"))))
        })
        .collect();
    for worker in workers {
        worker.join().expect("worker panicked")?;
    }
    let mut count = shared.prepare("SELECT count(*) FROM people")?;
    count.step()?;
    println!("people after threads: {}", count.column_i64(0)?);
    Ok(())
}
