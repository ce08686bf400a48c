package zova

// Benchmarks of the binding's hot paths; bench/bench_go.py runs them next to
// the same workloads through the Python binding and prints the ratios.

import (
	"encoding/binary"
	"path/filepath"
	"testing"
)

func benchDB(b *testing.B) *DB {
	b.Helper()
	db, err := Create(filepath.Join(b.TempDir(), "bench.zova"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

func bcheck(b *testing.B, err error) {
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkInsertRow: one prepared insert (int, text, float) per op, one transaction.
func BenchmarkInsertRow(b *testing.B) {
	db := benchDB(b)
	bcheck(b, db.Exec("create table t (id integer primary key, name text, score real)"))
	stmt, err := db.Prepare("insert into t (id, name, score) values (?, ?, ?)")
	bcheck(b, err)
	defer stmt.Close()
	bcheck(b, db.Begin())
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		bcheck(b, stmt.BindInt64(1, int64(i)))
		bcheck(b, stmt.BindText(2, "name"))
		bcheck(b, stmt.BindFloat64(3, float64(i)*0.5))
		if _, err := stmt.Step(); err != nil {
			b.Fatal(err)
		}
		bcheck(b, stmt.Reset())
	}
	b.StopTimer()
	bcheck(b, db.Commit())
}

// BenchmarkSelectRow: one step plus three column reads per op.
func BenchmarkSelectRow(b *testing.B) {
	db := benchDB(b)
	bcheck(b, db.Exec("create table t (id integer primary key, name text, score real);"+
		"with recursive n(i) as (select 0 union all select i + 1 from n where i < 99999) "+
		"insert into t select i, 'name' || i, i * 0.5 from n"))
	stmt, err := db.Prepare("select id, name, score from t")
	bcheck(b, err)
	defer stmt.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		step, err := stmt.Step()
		bcheck(b, err)
		if step == StepDone {
			bcheck(b, stmt.Reset())
			_, err = stmt.Step()
			bcheck(b, err)
		}
		_, err = stmt.ColumnInt64(0)
		bcheck(b, err)
		_, _, err = stmt.ColumnText(1)
		bcheck(b, err)
		_, err = stmt.ColumnFloat64(2)
		bcheck(b, err)
	}
}

func benchPayload(i int) []byte {
	data := pseudoRandom(1<<20, 1)
	binary.LittleEndian.PutUint64(data, uint64(i))
	return data
}

// BenchmarkPutObject1MiB: one new 1 MiB object per op.
func BenchmarkPutObject1MiB(b *testing.B) {
	db := benchDB(b)
	data := benchPayload(0)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		binary.LittleEndian.PutUint64(data, uint64(i))
		_, err := db.PutObject(data)
		bcheck(b, err)
	}
}

// BenchmarkGetObject1MiB: one verified 1 MiB object read per op.
func BenchmarkGetObject1MiB(b *testing.B) {
	db := benchDB(b)
	id, err := db.PutObject(benchPayload(0))
	bcheck(b, err)
	b.SetBytes(1 << 20)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_, err := db.GetObject(id)
		bcheck(b, err)
	}
}

// BenchmarkSearchVectors: top-10 L2 search over 10,000 128-d vectors per op.
func BenchmarkSearchVectors(b *testing.B) {
	db := benchDB(b)
	bcheck(b, db.CreateVectorCollection("v", VectorCollectionOptions{Dimensions: 128, Metric: VectorMetricL2}))
	raw := pseudoRandom(10_000*128, 9)
	inputs := make([]VectorInput, 10_000)
	for i := range inputs {
		values := make([]float32, 128)
		for j := range values {
			values[j] = float32(raw[i*128+j]) / 255
		}
		inputs[i] = VectorInput{ID: "v" + string(rune('a'+i%26)) + itoa(i), Values: values}
	}
	bcheck(b, db.PutVectors("v", inputs))
	query := inputs[17].Values
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		results, err := db.SearchVectors("v", query, 10)
		bcheck(b, err)
		if len(results) != 10 {
			b.Fatalf("%d results", len(results))
		}
	}
}

func itoa(i int) string {
	var buf [20]byte
	n := len(buf)
	for {
		n--
		buf[n] = byte('0' + i%10)
		i /= 10
		if i == 0 {
			return string(buf[n:])
		}
	}
}
