package zova_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	zova "github.com/atasesli/zova/bindings/go"
)

// Example shows records, objects and vectors in one .zova file.
func Example() {
	dir, err := os.MkdirTemp("", "zova-example")
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	defer os.RemoveAll(dir)

	db, err := zova.Create(filepath.Join(dir, "notes.zova"))
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	defer db.Close()

	// Records: plain SQL with prepared statements.
	if err := db.Exec("create table notes(id integer primary key, title text not null)"); err != nil {
		fmt.Println("error:", err)
		return
	}
	insert, err := db.Prepare("insert into notes(title) values (?)")
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	for _, title := range []string{"groceries", "zova ideas"} {
		if err := insert.Reset(); err != nil {
			fmt.Println("error:", err)
			return
		}
		if err := insert.BindText(1, title); err != nil {
			fmt.Println("error:", err)
			return
		}
		if _, err := insert.Step(); err != nil {
			fmt.Println("error:", err)
			return
		}
	}
	insert.Close()

	query, err := db.Prepare("select id, title from notes order by id")
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	for {
		step, err := query.Step()
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		if step == zova.StepDone {
			break
		}
		id, _ := query.ColumnInt64(0)
		title, _, _ := query.ColumnText(1)
		fmt.Println(id, title)
	}
	query.Close()

	// Objects: content-addressed bytes.
	objectID, err := db.PutObject([]byte("hello, zova"))
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	data, err := db.GetObject(objectID)
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	fmt.Printf("%s %s\n", objectID.String()[:12], data)

	// Vectors: exact nearest-neighbour search.
	err = db.CreateVectorCollection("embeddings", zova.VectorCollectionOptions{Dimensions: 2, Metric: zova.VectorMetricL2})
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	err = db.PutVectors("embeddings", []zova.VectorInput{
		{ID: "near", Values: []float32{1, 1}},
		{ID: "far", Values: []float32{10, 10}},
	})
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	results, err := db.SearchVectors("embeddings", []float32{0, 1}, 1)
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	fmt.Printf("%s %.1f\n", results[0].ID, results[0].Distance)

	// Errors carry the status and a copy of the message.
	_, err = db.GetObject(zova.ObjectIDFor([]byte("missing")))
	var zerr *zova.Error
	if errors.As(err, &zerr) {
		fmt.Println(zerr.Status == zova.StatusObjectNotFound, zerr.Name)
	}
	// Output:
	// 1 groceries
	// 2 zova ideas
	// 635eaf82364a hello, zova
	// near 1.0
	// true ZOVA_OBJECT_NOT_FOUND
}
