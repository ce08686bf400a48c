package zova

import (
	"math"
	"strings"
	"testing"
)

// docs/c-api.md §4.11: collection create/exists/info/list/delete.
func TestVectorCollections(t *testing.T) {
	db, _ := testDB(t)
	must(t, db.CreateVectorCollection("zeta", VectorCollectionOptions{Dimensions: 3, Metric: VectorMetricCosine}))
	must(t, db.CreateVectorCollection("alpha", VectorCollectionOptions{Dimensions: 16384, Metric: VectorMetricL2}))
	must(t, db.CreateVectorCollection("Mid", VectorCollectionOptions{Dimensions: 1, Metric: VectorMetricDot}))
	wantStatus(t, db.CreateVectorCollection("zeta", VectorCollectionOptions{Dimensions: 3}), StatusVectorCollectionExists, "")

	has, err := db.HasVectorCollection("zeta")
	must(t, err)
	hasMissing, err := db.HasVectorCollection("missing")
	must(t, err)
	if !has || hasMissing {
		t.Fatalf("has %v missing %v", has, hasMissing)
	}
	info, err := db.VectorCollectionInfo("alpha")
	must(t, err)
	if info != (VectorCollectionInfo{Name: "alpha", Dimensions: 16384, Metric: VectorMetricL2, VectorCount: 0}) {
		t.Fatalf("info %+v", info)
	}
	list, err := db.ListVectorCollections()
	must(t, err)
	var names []string
	for _, item := range list {
		names = append(names, item.Name)
	}
	if strings.Join(names, ",") != "Mid,alpha,zeta" || list[0].Metric != VectorMetricDot || list[0].Dimensions != 1 {
		t.Fatalf("list %+v", list)
	}
	_, err = db.VectorCollectionInfo("missing")
	wantStatus(t, err, StatusVectorCollectionNotFound, "")
	wantStatus(t, db.DeleteVectorCollection("missing"), StatusVectorCollectionNotFound, "")
	must(t, db.DeleteVectorCollection("Mid"))
	list, err = db.ListVectorCollections()
	must(t, err)
	if len(list) != 2 {
		t.Fatalf("%d collections after delete", len(list))
	}

	// Validation split (docs/c-api.md §0.2 item 15).
	for _, metric := range []VectorMetric{-1, 3, 1 << 40} {
		wantStatus(t, db.CreateVectorCollection("m", VectorCollectionOptions{Dimensions: 2, Metric: metric}), StatusInvalidArgument, "")
	}
	wantStatus(t, db.CreateVectorCollection("d0", VectorCollectionOptions{Dimensions: 0}), StatusVectorInvalid, "")
	wantStatus(t, db.CreateVectorCollection("d", VectorCollectionOptions{Dimensions: 16385}), StatusVectorInvalid, "")
	for _, bad := range []string{"", strings.Repeat("n", 256), "_zova_x", "_ZOVA_x", "\xff\xfe"} {
		wantStatus(t, db.CreateVectorCollection(bad, VectorCollectionOptions{Dimensions: 2}), StatusVectorInvalid, "")
		_, err := db.HasVectorCollection(bad)
		wantStatus(t, err, StatusVectorInvalid, "")
	}
	must(t, db.CreateVectorCollection(strings.Repeat("n", 255), VectorCollectionOptions{Dimensions: 2}))
	wantStatus(t, db.CreateVectorCollection("a\x00b", VectorCollectionOptions{Dimensions: 2}), StatusInvalidArgument,
		"vector collection name contains NUL byte")

	// Collections participate in caller transactions.
	must(t, db.Begin())
	must(t, db.CreateVectorCollection("txn", VectorCollectionOptions{Dimensions: 2}))
	must(t, db.Rollback())
	has, err = db.HasVectorCollection("txn")
	must(t, err)
	if has {
		t.Fatal("rolled-back collection exists")
	}
}

// docs/c-api.md §4.12: vector rows.
func TestVectorRows(t *testing.T) {
	db, _ := testDB(t)
	must(t, db.CreateVectorCollection("c", VectorCollectionOptions{Dimensions: 3, Metric: VectorMetricCosine}))
	must(t, db.CreateVectorCollection("l", VectorCollectionOptions{Dimensions: 2, Metric: VectorMetricL2}))
	must(t, db.PutVector("c", "a", []float32{1, 2, 3}))
	must(t, db.PutVector("c", "a", []float32{0.5, -1.25, 3e30})) // replace
	v, err := db.GetVector("c", "a")
	must(t, err)
	if v.ID != "a" || len(v.Values) != 3 || v.Values[0] != 0.5 || v.Values[1] != -1.25 || v.Values[2] != 3e30 {
		t.Fatalf("vector %+v", v)
	}
	has, err := db.HasVector("c", "a")
	must(t, err)
	hasB, err := db.HasVector("c", "b")
	must(t, err)
	if !has || hasB {
		t.Fatal("HasVector")
	}
	wantStatus(t, db.PutVector("c", "b", []float32{1, 2}), StatusVectorDimensionMismatch, "")
	wantStatus(t, db.PutVector("c", "b", nil), StatusVectorDimensionMismatch, "")
	wantStatus(t, db.PutVector("c", "b", []float32{0, 0, 0}), StatusVectorInvalid, "") // zero cosine
	must(t, db.PutVector("l", "zero", []float32{0, 0}))                                // fine for l2
	wantStatus(t, db.PutVector("c", "b", []float32{1, float32(math.NaN()), 1}), StatusVectorInvalid, "")
	wantStatus(t, db.PutVector("c", "b", []float32{1, float32(math.Inf(1)), 1}), StatusVectorInvalid, "")
	wantStatus(t, db.PutVector("c", "", []float32{1, 1, 1}), StatusVectorInvalid, "")
	wantStatus(t, db.PutVector("c", "_zova_id", []float32{1, 1, 1}), StatusVectorInvalid, "")
	wantStatus(t, db.PutVector("missing", "b", []float32{1, 1, 1}), StatusVectorCollectionNotFound, "")
	wantStatus(t, db.PutVector("c", "b\x00", []float32{1, 1, 1}), StatusInvalidArgument, "vector id contains NUL byte")
	_, err = db.GetVector("c", "b")
	wantStatus(t, err, StatusVectorNotFound, "")
	wantStatus(t, db.DeleteVector("c", "b"), StatusVectorNotFound, "")

	// Batch put: all or nothing on validation, last duplicate wins, empty ok.
	must(t, db.PutVectors("l", nil))
	wantStatus(t, db.PutVectors("l", []VectorInput{{"p", []float32{1, 1}}, {"q", []float32{1}}}), StatusVectorDimensionMismatch, "")
	has, err = db.HasVector("l", "p")
	must(t, err)
	if has {
		t.Fatal("partial batch written")
	}
	must(t, db.PutVectors("l", []VectorInput{{"p", []float32{1, 1}}, {"q", []float32{2, 2}}, {"p", []float32{3, 3}}}))
	p, err := db.GetVector("l", "p")
	must(t, err)
	if p.Values[0] != 3 || p.Values[1] != 3 {
		t.Fatalf("last duplicate did not win: %+v", p)
	}
	info, err := db.VectorCollectionInfo("l")
	must(t, err)
	if info.VectorCount != 3 {
		t.Fatalf("vector count %d", info.VectorCount)
	}
	wantStatus(t, db.PutVectors("l", []VectorInput{{"x\x00", []float32{1, 1}}}), StatusInvalidArgument, "vector id contains NUL byte")

	must(t, db.DeleteVector("l", "p"))
	has, err = db.HasVector("l", "p")
	must(t, err)
	if has {
		t.Fatal("deleted vector exists")
	}
	must(t, db.DeleteVectorCollection("l"))
	_, err = db.HasVector("l", "q")
	wantStatus(t, err, StatusVectorCollectionNotFound, "")
}

// docs/go.md §3.2: EncodeVectorBlob is little-endian f32 and keeps NaN.
func TestEncodeVectorBlob(t *testing.T) {
	blob := EncodeVectorBlob([]float32{1, -2, float32(math.NaN())})
	if len(blob) != 12 {
		t.Fatalf("len %d", len(blob))
	}
	if blob[0] != 0x00 || blob[1] != 0x00 || blob[2] != 0x80 || blob[3] != 0x3f {
		t.Fatalf("1.0 encoded as % x", blob[:4])
	}
	if blob[7] != 0xc0 {
		t.Fatalf("-2.0 encoded as % x", blob[4:8])
	}
	if bits := uint32(blob[8]) | uint32(blob[9])<<8 | uint32(blob[10])<<16 | uint32(blob[11])<<24; !math.IsNaN(float64(math.Float32frombits(bits))) {
		t.Fatal("NaN not kept")
	}
	if len(EncodeVectorBlob(nil)) != 0 {
		t.Fatal("empty")
	}
}
