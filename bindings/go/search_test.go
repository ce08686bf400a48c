package zova

import (
	"math"
	"sort"
	"testing"
)

// refDistance is Appendix B of docs/c-api.md, computed independently.
func refDistance(metric VectorMetric, q, v []float32) float64 {
	var dot, qq, vv, l2 float64
	for i := range q {
		a, b := float64(q[i]), float64(v[i])
		dot += a * b
		qq += a * a
		vv += b * b
		l2 += (a - b) * (a - b)
	}
	switch metric {
	case VectorMetricCosine:
		return 1 - dot/(math.Sqrt(qq)*math.Sqrt(vv))
	case VectorMetricL2:
		return math.Sqrt(l2)
	default:
		return -dot
	}
}

type refVector struct {
	id     string
	values []float32
}

// refSearch is the expected result: filter, sort by (distance, id), limit.
func refSearch(metric VectorMetric, rows []refVector, q []float32, exclude string, in []string, maxDistance float64, limit int) []VectorSearchResult {
	allowed := map[string]bool{}
	for _, id := range in {
		allowed[id] = true
	}
	var out []VectorSearchResult
	for _, row := range rows {
		if row.id == exclude || (in != nil && !allowed[row.id]) {
			continue
		}
		d := refDistance(metric, q, row.values)
		if d <= maxDistance {
			out = append(out, VectorSearchResult{row.id, d})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Distance != out[j].Distance {
			return out[i].Distance < out[j].Distance
		}
		return out[i].ID < out[j].ID
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}

func sameResults(t *testing.T, label string, got, want []VectorSearchResult) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: nil result slice", label)
	}
	if len(got) != len(want) {
		t.Fatalf("%s: got %d results %v, want %d %v", label, len(got), got, len(want), want)
	}
	for i := range got {
		if got[i].ID != want[i].ID || math.Abs(got[i].Distance-want[i].Distance) > 1e-9 {
			t.Fatalf("%s: result %d = %+v, want %+v", label, i, got[i], want[i])
		}
	}
}

func searchFixture(t *testing.T, metric VectorMetric) (*DB, []refVector) {
	db, _ := testDB(t)
	must(t, db.CreateVectorCollection("v", VectorCollectionOptions{Dimensions: 4, Metric: metric}))
	rng := pseudoRandom(4*40, int64(metric)+100)
	var rows []refVector
	var inputs []VectorInput
	for i := 0; i < 40; i++ {
		values := make([]float32, 4)
		for j := range values {
			values[j] = float32(int(rng[4*i+j])-128) / 16
		}
		if i == 7 {
			values = []float32{1, 2, 3, 4} // ties: identical vectors
		}
		if i == 8 {
			values = []float32{1, 2, 3, 4}
		}
		id := string(rune('A'+i%26)) + string(rune('a'+i/26))
		rows = append(rows, refVector{id, values})
		inputs = append(inputs, VectorInput{id, values})
	}
	must(t, db.PutVectors("v", inputs))
	return db, rows
}

// docs/c-api.md §4.13 and Appendix B: all eight variants against a reference, per metric.
func TestSearchVariants(t *testing.T) {
	for _, metric := range []VectorMetric{VectorMetricCosine, VectorMetricL2, VectorMetricDot} {
		db, rows := searchFixture(t, metric)
		q := []float32{1, 2, 3, 4.5}
		inf := math.Inf(1)
		candidates := []string{rows[3].id, rows[7].id, rows[8].id, rows[3].id, "unknown", rows[20].id, rows[0].id}
		source := rows[7].id
		sq := rows[7].values
		// A threshold that keeps roughly half the rows.
		all := refSearch(metric, rows, q, "", nil, inf, 100)
		threshold := all[len(all)/2].Distance
		srcAll := refSearch(metric, rows, sq, source, nil, inf, 100)
		srcThreshold := srcAll[len(srcAll)/2].Distance

		for _, limit := range []int{0, 1, 5, 100} {
			got, err := db.SearchVectors("v", q, limit)
			must(t, err)
			sameResults(t, "SearchVectors", got, refSearch(metric, rows, q, "", nil, inf, limit))
			got, err = db.SearchVectorsIn("v", q, candidates, limit)
			must(t, err)
			sameResults(t, "SearchVectorsIn", got, refSearch(metric, rows, q, "", candidates, inf, limit))
			got, err = db.SearchVectorsWithin("v", q, threshold, limit)
			must(t, err)
			sameResults(t, "SearchVectorsWithin", got, refSearch(metric, rows, q, "", nil, threshold, limit))
			got, err = db.SearchVectorsInWithin("v", q, candidates, threshold, limit)
			must(t, err)
			sameResults(t, "SearchVectorsInWithin", got, refSearch(metric, rows, q, "", candidates, threshold, limit))
			got, err = db.SearchVectorsByID("v", source, limit)
			must(t, err)
			sameResults(t, "SearchVectorsByID", got, refSearch(metric, rows, sq, source, nil, inf, limit))
			got, err = db.SearchVectorsByIDIn("v", source, candidates, limit)
			must(t, err)
			sameResults(t, "SearchVectorsByIDIn", got, refSearch(metric, rows, sq, source, candidates, inf, limit))
			got, err = db.SearchVectorsByIDWithin("v", source, srcThreshold, limit)
			must(t, err)
			sameResults(t, "SearchVectorsByIDWithin", got, refSearch(metric, rows, sq, source, nil, srcThreshold, limit))
			got, err = db.SearchVectorsByIDInWithin("v", source, candidates, srcThreshold, limit)
			must(t, err)
			sameResults(t, "SearchVectorsByIDInWithin", got, refSearch(metric, rows, sq, source, candidates, srcThreshold, limit))
		}
		// The tie between rows 7 and 8 (identical vectors) is broken by id.
		got, err := db.SearchVectorsIn("v", rows[7].values, []string{rows[8].id, rows[7].id}, 2)
		must(t, err)
		if got[0].ID != min(rows[7].id, rows[8].id) || got[0].Distance != got[1].Distance {
			t.Fatalf("tie order %+v", got)
		}
		// max_distance is inclusive.
		exact := refSearch(metric, rows, q, "", nil, inf, 1)[0]
		got, err = db.SearchVectorsWithin("v", q, exact.Distance, 100)
		must(t, err)
		if len(got) == 0 || got[0].ID != exact.ID {
			t.Fatalf("inclusive threshold: %+v", got)
		}
		db.Close()
	}
}

// docs/c-api.md §7.9: search argument errors and binding-level checks.
func TestSearchErrors(t *testing.T) {
	db, rows := searchFixture(t, VectorMetricCosine)
	q := []float32{1, 0, 0, 0}
	_, err := db.SearchVectors("v", q, -1)
	wantStatus(t, err, StatusInvalidArgument, "limit must be non-negative")
	_, err = db.SearchVectorsByIDInWithin("v", rows[0].id, nil, 1, -5)
	wantStatus(t, err, StatusInvalidArgument, "limit must be non-negative")
	_, err = db.SearchVectors("v", []float32{1, 2}, 3)
	wantStatus(t, err, StatusVectorDimensionMismatch, "")
	_, err = db.SearchVectors("v", []float32{0, 0, 0, 0}, 3)
	wantStatus(t, err, StatusVectorInvalid, "")
	_, err = db.SearchVectors("v", []float32{float32(math.NaN()), 0, 0, 1}, 3)
	wantStatus(t, err, StatusVectorInvalid, "")
	_, err = db.SearchVectorsWithin("v", q, math.NaN(), 3)
	wantStatus(t, err, StatusVectorInvalid, "")
	_, err = db.SearchVectorsWithin("v", q, math.Inf(1), 3)
	wantStatus(t, err, StatusVectorInvalid, "")
	_, err = db.SearchVectors("missing", q, 3)
	wantStatus(t, err, StatusVectorCollectionNotFound, "")
	_, err = db.SearchVectorsByID("v", "nope", 3)
	wantStatus(t, err, StatusVectorNotFound, "")
	_, err = db.SearchVectorsIn("v", q, []string{""}, 0) // validated even with limit 0
	wantStatus(t, err, StatusVectorInvalid, "")
	_, err = db.SearchVectorsIn("v", q, []string{"a\x00"}, 1)
	wantStatus(t, err, StatusInvalidArgument, "candidate vector id contains NUL byte")
	_, err = db.SearchVectorsByID("v", "a\x00", 1)
	wantStatus(t, err, StatusInvalidArgument, "vector id contains NUL byte")
	_, err = db.SearchVectors("v\x00", q, 1)
	wantStatus(t, err, StatusInvalidArgument, "vector collection name contains NUL byte")
	got, err := db.SearchVectorsIn("v", q, nil, 10)
	must(t, err)
	if got == nil || len(got) != 0 {
		t.Fatalf("no candidates: %v", got)
	}
	// Dot distances are negative, so negative thresholds are legal.
	must(t, db.CreateVectorCollection("d", VectorCollectionOptions{Dimensions: 1, Metric: VectorMetricDot}))
	must(t, db.PutVectors("d", []VectorInput{{"one", []float32{1}}, {"two", []float32{2}}}))
	got, err = db.SearchVectorsWithin("d", []float32{1}, -1.5, 10)
	must(t, err)
	if len(got) != 1 || got[0].ID != "two" || got[0].Distance != -2 {
		t.Fatalf("dot threshold %+v", got)
	}
}

// docs/c-api.md §8: the SQL helpers agree with the native search.
func TestVectorSQLHelpers(t *testing.T) {
	db, rows := searchFixture(t, VectorMetricL2)
	q := []float32{1, 2, 3, 4.5}
	stmt, err := db.Prepare("select rank, vector_id, distance from zova_vector_search where collection = 'v' and query_vector = ? and top_k = 3 order by rank")
	must(t, err)
	defer stmt.Close()
	must(t, stmt.BindBlob(1, EncodeVectorBlob(q)))
	want := refSearch(VectorMetricL2, rows, q, "", nil, math.Inf(1), 3)
	for i := 0; ; i++ {
		step, err := stmt.Step()
		must(t, err)
		if step == StepDone {
			if i != 3 {
				t.Fatalf("%d rows", i)
			}
			break
		}
		rank, _ := stmt.ColumnInt64(0)
		id, _, _ := stmt.ColumnText(1)
		distance, _ := stmt.ColumnFloat64(2)
		if rank != int64(i+1) || id != want[i].ID || math.Abs(distance-want[i].Distance) > 1e-9 {
			t.Fatalf("row %d: %d %s %v", i, rank, id, distance)
		}
	}
	dist, err := db.Prepare("select zova_vector_distance('v', ?, ?)")
	must(t, err)
	defer dist.Close()
	must(t, dist.BindText(1, rows[5].id))
	must(t, dist.BindBlob(2, EncodeVectorBlob(q)))
	_, err = dist.Step()
	must(t, err)
	d, err := dist.ColumnFloat64(0)
	must(t, err)
	if math.Abs(d-refDistance(VectorMetricL2, q, rows[5].values)) > 1e-9 {
		t.Fatalf("zova_vector_distance = %v", d)
	}
}
