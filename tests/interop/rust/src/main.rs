//! The Rust side of the cross-language test (tests/interop/README.md):
//! `write PATH LANG` creates the shared dataset, `read PATH` prints its summary.
use zova::{Database, ObjectId, OpenOptions, Step, VectorCollectionOptions, VectorInput, VectorMetric};

fn write(path: &str, lang: &str) -> zova::Result<()> {
    let a: Vec<u8> = (0..150_000usize).map(|i| ((i * 7 + 3) % 256) as u8).collect();
    let c: Vec<u8> = (0..100_000usize).map(|i| ((i * 13) % 251) as u8).collect();
    let db = Database::create(path)?;
    db.exec("create table people (id integer primary key, name text not null, avatar blob)")?;
    db.exec("create table meta (writer text)")?;
    let id_a = db.put_object(&a)?;
    let id_c = {
        let mut writer = db.object_writer()?;
        for piece in c.chunks(1000) {
            writer.write(piece)?;
        }
        writer.finish()?
    };
    {
        let mut insert = db.prepare("insert into people (id, name, avatar) values (?1, ?2, ?3)")?;
        for (row, (name, avatar)) in [("ada", Some(id_a)), ("grace", Some(id_c)), ("linus", None)].iter().enumerate() {
            insert.reset()?;
            insert.bind_i64(1, row as i64 + 1)?;
            insert.bind_text(2, name)?;
            match avatar {
                Some(id) => insert.bind_blob(3, id.as_bytes())?,
                None => insert.bind_null(3)?,
            }
            insert.step()?;
        }
        let mut meta = db.prepare("insert into meta (writer) values (?1)")?;
        meta.bind_text(1, lang)?;
        meta.step()?;
    }
    db.create_vector_collection("emb", VectorCollectionOptions::new(4, VectorMetric::Cosine))?;
    db.put_vectors(
        "emb",
        &[
            VectorInput::new("v1", &[1.0, 0.0, 0.0, 0.0]),
            VectorInput::new("v2", &[0.5, 0.5, 0.0, 0.0]),
            VectorInput::new("v3", &[0.0, 1.0, 0.0, 0.0]),
            VectorInput::new("v4", &[0.0, 0.0, 1.0, 1.0]),
        ],
    )?;
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn read(path: &str) -> zova::Result<()> {
    let db = Database::open_with_options(path, OpenOptions { read_only: true, busy_timeout_ms: 0 })?;
    let mut avatars = Vec::new();
    {
        let mut meta = db.prepare("select writer from meta")?;
        meta.step()?;
        println!("writer={}", meta.column_text(0)?.unwrap_or_default());
        let mut people = db.prepare("select name, avatar from people order by id")?;
        let mut entries = Vec::new();
        while people.step()? == Step::Row {
            let name = people.column_text(0)?.unwrap_or_default();
            match people.column_blob(1)? {
                Some(avatar) if avatar.len() == 32 => {
                    entries.push(format!("{name}:{}", hex(&avatar)));
                    avatars.push(avatar);
                }
                _ => entries.push(format!("{name}:null")),
            }
        }
        println!("people={}", entries.join(","));
    }
    for avatar in avatars {
        let id = ObjectId::try_from(avatar.as_slice())?;
        let data = db.get_object(&id)?;
        let digest = zova::object_id(&data)?;
        let status = if digest == id { "ok" } else { "bad" };
        println!("object={}:{}:{status}", hex(&avatar), data.len());
    }
    let hits = db.search_vectors("emb", &[1.0, 0.0, 0.0, 0.0], 3)?;
    let parts: Vec<String> = hits.iter().map(|hit| format!("{}:{:.6}", hit.id, hit.distance)).collect();
    println!("search={}", parts.join(","));
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        [_, "write", path, lang] => write(path, lang),
        [_, "read", path] => read(path),
        _ => {
            eprintln!("usage: zova-interop write PATH LANG | zova-interop read PATH");
            std::process::exit(2);
        }
    };
    if let Err(error) = result {
        eprintln!("error: {error}");
        std::process::exit(1);
    }
}
