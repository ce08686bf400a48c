// Command zova-interop is the Go side of the cross-language test
// (tests/interop/README.md): "write PATH LANG" creates the shared dataset,
// "read PATH" prints its summary.
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"strings"

	zova "github.com/atasesli/zova/bindings/go"
)

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func write(path, lang string) {
	a := make([]byte, 150000)
	for i := range a {
		a[i] = byte((i*7 + 3) % 256)
	}
	c := make([]byte, 100000)
	for i := range c {
		c[i] = byte((i * 13) % 251)
	}
	db, err := zova.Create(path)
	must(err)
	defer func() { must(db.Close()) }()
	must(db.Exec("create table people (id integer primary key, name text not null, avatar blob)"))
	must(db.Exec("create table meta (writer text)"))
	idA, err := db.PutObject(a)
	must(err)
	writer, err := db.ObjectWriter()
	must(err)
	for offset := 0; offset < len(c); offset += 1000 {
		_, err := writer.Write(c[offset : offset+1000])
		must(err)
	}
	idC, err := writer.Finish()
	must(err)
	insert, err := db.Prepare("insert into people (id, name, avatar) values (?1, ?2, ?3)")
	must(err)
	rows := []struct {
		name   string
		avatar []byte
	}{{"ada", idA[:]}, {"grace", idC[:]}, {"linus", nil}}
	for i, row := range rows {
		must(insert.BindInt64(1, int64(i+1)))
		must(insert.BindText(2, row.name))
		if row.avatar == nil {
			must(insert.BindNull(3))
		} else {
			must(insert.BindBlob(3, row.avatar))
		}
		_, err := insert.Step()
		must(err)
		must(insert.Reset())
	}
	must(insert.Close())
	meta, err := db.Prepare("insert into meta (writer) values (?1)")
	must(err)
	must(meta.BindText(1, lang))
	_, err = meta.Step()
	must(err)
	must(meta.Close())
	must(db.CreateVectorCollection("emb", zova.VectorCollectionOptions{Dimensions: 4, Metric: zova.VectorMetricCosine}))
	must(db.PutVectors("emb", []zova.VectorInput{
		{ID: "v1", Values: []float32{1, 0, 0, 0}},
		{ID: "v2", Values: []float32{0.5, 0.5, 0, 0}},
		{ID: "v3", Values: []float32{0, 1, 0, 0}},
		{ID: "v4", Values: []float32{0, 0, 1, 1}},
	}))
}

func read(path string) {
	db, err := zova.OpenWithOptions(path, zova.OpenOptions{ReadOnly: true})
	must(err)
	defer func() { must(db.Close()) }()
	meta, err := db.Prepare("select writer from meta")
	must(err)
	_, err = meta.Step()
	must(err)
	writer, _, err := meta.ColumnText(0)
	must(err)
	must(meta.Close())
	fmt.Printf("writer=%s\n", writer)

	people, err := db.Prepare("select name, avatar from people order by id")
	must(err)
	var entries []string
	var avatars [][]byte
	for {
		step, err := people.Step()
		must(err)
		if step != zova.StepRow {
			break
		}
		name, _, err := people.ColumnText(0)
		must(err)
		avatar, ok, err := people.ColumnBlob(1)
		must(err)
		if ok && len(avatar) == 32 {
			entries = append(entries, name+":"+hex.EncodeToString(avatar))
			avatars = append(avatars, avatar)
		} else {
			entries = append(entries, name+":null")
		}
	}
	must(people.Close())
	fmt.Printf("people=%s\n", strings.Join(entries, ","))
	for _, avatar := range avatars {
		var id zova.ObjectID
		copy(id[:], avatar)
		data, err := db.GetObject(id)
		must(err)
		digest := sha256.Sum256(data)
		status := "bad"
		if bytes.Equal(digest[:], avatar) {
			status = "ok"
		}
		fmt.Printf("object=%s:%d:%s\n", hex.EncodeToString(avatar), len(data), status)
	}
	hits, err := db.SearchVectors("emb", []float32{1, 0, 0, 0}, 3)
	must(err)
	var parts []string
	for _, hit := range hits {
		parts = append(parts, fmt.Sprintf("%s:%.6f", hit.ID, hit.Distance))
	}
	fmt.Printf("search=%s\n", strings.Join(parts, ","))
}

func main() {
	switch {
	case len(os.Args) == 4 && os.Args[1] == "write":
		write(os.Args[2], os.Args[3])
	case len(os.Args) == 3 && os.Args[1] == "read":
		read(os.Args[2])
	default:
		fmt.Fprintln(os.Stderr, "usage: zova-interop write PATH LANG | zova-interop read PATH")
		os.Exit(2)
	}
}
