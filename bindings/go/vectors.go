package zova

// vectors.go owns vector collections, vector rows and the eight search
// variants (docs/go.md §3.2 Vectors).

/*
#include <stdlib.h>
#include "zova.h"
*/
import "C"

import (
	"math"
	"unsafe"
)

// VectorCollectionOptions are the fixed properties of a new collection.
type VectorCollectionOptions struct {
	Dimensions uint32
	Metric     VectorMetric
}

// VectorCollectionInfo describes a stored collection.
type VectorCollectionInfo struct {
	Name        string
	Dimensions  uint32
	Metric      VectorMetric
	VectorCount uint64
}

// VectorInput is one vector for PutVectors.
type VectorInput struct {
	ID     string
	Values []float32
}

// Vector is a stored vector.
type Vector struct {
	ID     string
	Values []float32
}

// VectorSearchResult is one search hit; lower distances are closer.
type VectorSearchResult struct {
	ID       string
	Distance float64
}

func goInfo(info *C.zova_vector_collection_info) VectorCollectionInfo {
	return VectorCollectionInfo{
		Name:        C.GoStringN(info.name, C.int(info.name_len)),
		Dimensions:  uint32(info.dimensions),
		Metric:      VectorMetric(info.metric),
		VectorCount: uint64(info.vector_count),
	}
}

func goVector(out *C.zova_vector) Vector {
	vector := Vector{ID: C.GoStringN(out.id, C.int(out.id_len)), Values: []float32{}}
	if out.values != nil && out.values_len > 0 {
		vector.Values = append(vector.Values, unsafe.Slice((*float32)(unsafe.Pointer(out.values)), int(out.values_len))...)
	}
	return vector
}

func checkCollection(name string) error { return checkString(name, "vector collection name") }

// checkVector validates the (collection, vector id) pair most vector calls take.
func checkVector(collectionName, vectorID string) error {
	if err := checkCollection(collectionName); err != nil {
		return err
	}
	return checkString(vectorID, "vector id")
}

// CreateVectorCollection creates an empty collection.
func (db *DB) CreateVectorCollection(name string, options VectorCollectionOptions) error {
	if err := checkCollection(name); err != nil {
		return err
	}
	metric := options.Metric
	if metric < math.MinInt32 || metric > math.MaxInt32 {
		metric = -1 // would wrap in a C int; -1 is rejected the same way
	}
	return call(db, func(m *cmem, h *C.zova_database, req *C.zova_vector_collection_create_request) C.zova_status {
		req.db, req.name = h, m.str(name)
		req.options.dimensions, req.options.metric = C.uint32_t(options.Dimensions), C.int(metric)
		return C.zova_vector_collection_create(req)
	})
}

// HasVectorCollection reports whether a collection exists.
func (db *DB) HasVectorCollection(name string) (bool, error) {
	if err := checkCollection(name); err != nil {
		return false, err
	}
	return callOut(db, func(m *cmem, h *C.zova_database, req *C.zova_vector_collection_exists_request, out *C.uint8_t) C.zova_status {
		req.db, req.name, req.out_exists = h, m.str(name), out
		return C.zova_vector_collection_exists(req)
	}, goBool)
}

// VectorCollectionInfo describes one collection.
func (db *DB) VectorCollectionInfo(name string) (VectorCollectionInfo, error) {
	if err := checkCollection(name); err != nil {
		return VectorCollectionInfo{}, err
	}
	return callOut(db, func(m *cmem, h *C.zova_database, req *C.zova_vector_collection_info_get_request, out *C.zova_vector_collection_info) C.zova_status {
		req.db, req.name, req.out_info = h, m.str(name), out
		return C.zova_vector_collection_info_get(req)
	}, goInfo)
}

// ListVectorCollections describes every collection, sorted by name.
func (db *DB) ListVectorCollections() ([]VectorCollectionInfo, error) {
	return callOut(db, func(_ *cmem, h *C.zova_database, req *C.zova_vector_collections_list_request, out *C.zova_vector_collection_list) C.zova_status {
		req.db, req.out_list = h, out
		return C.zova_vector_collections_list(req)
	}, func(out *C.zova_vector_collection_list) []VectorCollectionInfo {
		infos := []VectorCollectionInfo{}
		if out.items != nil && out.len > 0 {
			items := unsafe.Slice(out.items, int(out.len))
			for i := range items {
				infos = append(infos, goInfo(&items[i]))
			}
		}
		return infos
	})
}

// DeleteVectorCollection deletes a collection and its vectors.
func (db *DB) DeleteVectorCollection(name string) error {
	if err := checkCollection(name); err != nil {
		return err
	}
	return call(db, func(m *cmem, h *C.zova_database, req *C.zova_vector_collection_delete_request) C.zova_status {
		req.db, req.name = h, m.str(name)
		return C.zova_vector_collection_delete(req)
	})
}

// PutVector inserts or replaces one vector.
func (db *DB) PutVector(collectionName, vectorID string, values []float32) error {
	if err := checkVector(collectionName, vectorID); err != nil {
		return err
	}
	return call(db, func(m *cmem, h *C.zova_database, req *C.zova_vector_put_request) C.zova_status {
		req.db, req.collection_name, req.vector_id = h, m.str(collectionName), m.str(vectorID)
		req.values, req.values_len = m.floats(values), C.size_t(len(values))
		return C.zova_vector_put(req)
	})
}

// PutVectors inserts or replaces several vectors; nothing is written when
// any of them is invalid. For a repeated id the last one wins.
func (db *DB) PutVectors(collectionName string, vectors []VectorInput) error {
	if err := checkCollection(collectionName); err != nil {
		return err
	}
	for _, vector := range vectors {
		if err := checkString(vector.ID, "vector id"); err != nil {
			return err
		}
	}
	return call(db, func(m *cmem, h *C.zova_database, req *C.zova_vector_put_many_request) C.zova_status {
		req.db, req.collection_name, req.vectors_len = h, m.str(collectionName), C.size_t(len(vectors))
		if len(vectors) > 0 {
			array := carray[C.zova_vector_input](m, len(vectors))
			for i, vector := range vectors {
				array[i] = C.zova_vector_input{id: m.str(vector.ID), values: m.floats(vector.Values),
					values_len: C.size_t(len(vector.Values))}
			}
			req.vectors = &array[0]
		}
		return C.zova_vector_put_many(req)
	})
}

// GetVector returns a stored vector.
func (db *DB) GetVector(collectionName, vectorID string) (Vector, error) {
	if err := checkVector(collectionName, vectorID); err != nil {
		return Vector{}, err
	}
	return callOut(db, func(m *cmem, h *C.zova_database, req *C.zova_vector_get_request, out *C.zova_vector) C.zova_status {
		req.db, req.collection_name, req.vector_id, req.out_vector = h, m.str(collectionName), m.str(vectorID), out
		return C.zova_vector_get(req)
	}, goVector)
}

// HasVector reports whether a vector exists in a collection.
func (db *DB) HasVector(collectionName, vectorID string) (bool, error) {
	if err := checkVector(collectionName, vectorID); err != nil {
		return false, err
	}
	return callOut(db, func(m *cmem, h *C.zova_database, req *C.zova_vector_exists_request, out *C.uint8_t) C.zova_status {
		req.db, req.collection_name, req.vector_id, req.out_exists = h, m.str(collectionName), m.str(vectorID), out
		return C.zova_vector_exists(req)
	}, goBool)
}

// DeleteVector deletes one vector.
func (db *DB) DeleteVector(collectionName, vectorID string) error {
	if err := checkVector(collectionName, vectorID); err != nil {
		return err
	}
	return call(db, func(m *cmem, h *C.zova_database, req *C.zova_vector_delete_request) C.zova_status {
		req.db, req.collection_name, req.vector_id = h, m.str(collectionName), m.str(vectorID)
		return C.zova_vector_delete(req)
	})
}

// ---- search ----

// searchKind says which of the eight C search functions a query uses.
type searchKind uint8

const (
	searchIn     searchKind = 1 << iota // restricted to candidate ids
	searchWithin                        // only distances <= maxDistance
	searchByID                          // the query is a stored vector, not values
)

// vectorQuery is what a search variant asks for.
type vectorQuery struct {
	kind        searchKind
	collection  string
	values      []float32 // the query, unless searchByID
	sourceID    string    // the query vector's id, with searchByID
	candidates  []string  // with searchIn
	maxDistance float64   // with searchWithin
	limit       int
}

// check is what every search variant validates before taking the lock.
func (q *vectorQuery) check() error {
	if err := checkCollection(q.collection); err != nil {
		return err
	}
	if q.kind&searchByID != 0 {
		if err := checkString(q.sourceID, "vector id"); err != nil {
			return err
		}
	}
	for _, id := range q.candidates {
		if err := checkString(id, "candidate vector id"); err != nil {
			return err
		}
	}
	if q.limit < 0 {
		return invalidArgument("limit must be non-negative")
	}
	return nil
}

func goResults(out *C.zova_vector_search_results) []VectorSearchResult {
	results := []VectorSearchResult{}
	if out.items != nil && out.len > 0 {
		for _, item := range unsafe.Slice(out.items, int(out.len)) {
			results = append(results, VectorSearchResult{
				ID:       C.GoStringN(item.id, C.int(item.id_len)),
				Distance: float64(item.distance),
			})
		}
	}
	return results
}

// search runs q through the C search function of its kind.
func (db *DB) search(q vectorQuery) (results []VectorSearchResult, err error) {
	if err := q.check(); err != nil {
		return nil, err
	}
	err = with(db, func(m *cmem, h *C.zova_database) error {
		results, err = request(db, m, func(out *C.zova_vector_search_results) C.zova_status {
			return q.run(m, h, out)
		}, goResults)
		return err
	})
	return results, err
}

// run fills the request of q's kind (the C values below, where it has that
// field) and calls its C function.
func (q *vectorQuery) run(m *cmem, h *C.zova_database, out *C.zova_vector_search_results) C.zova_status {
	collection, limit := m.str(q.collection), C.size_t(q.limit)
	query, queryLen := m.floats(q.values), C.size_t(len(q.values))
	candidates, candidateCount := m.strs(q.candidates), C.size_t(len(q.candidates))
	maxDistance := C.double(q.maxDistance)
	var source *C.char
	if q.kind&searchByID != 0 {
		source = m.str(q.sourceID)
	}
	switch q.kind {
	case 0:
		req := cnew[C.zova_vector_search_request](m)
		*req = C.zova_vector_search_request{db: h, collection_name: collection, query: query, query_len: queryLen,
			limit: limit, out_results: out}
		return C.zova_vector_search(req)
	case searchIn:
		req := cnew[C.zova_vector_search_in_request](m)
		*req = C.zova_vector_search_in_request{db: h, collection_name: collection, query: query, query_len: queryLen,
			candidate_ids: candidates, candidate_count: candidateCount, limit: limit, out_results: out}
		return C.zova_vector_search_in(req)
	case searchWithin:
		req := cnew[C.zova_vector_search_within_request](m)
		*req = C.zova_vector_search_within_request{db: h, collection_name: collection, query: query, query_len: queryLen,
			max_distance: maxDistance, limit: limit, out_results: out}
		return C.zova_vector_search_within(req)
	case searchIn | searchWithin:
		req := cnew[C.zova_vector_search_in_within_request](m)
		*req = C.zova_vector_search_in_within_request{db: h, collection_name: collection, query: query, query_len: queryLen,
			candidate_ids: candidates, candidate_count: candidateCount, max_distance: maxDistance, limit: limit, out_results: out}
		return C.zova_vector_search_in_within(req)
	case searchByID:
		req := cnew[C.zova_vector_search_by_id_request](m)
		*req = C.zova_vector_search_by_id_request{db: h, collection_name: collection, source_vector_id: source,
			limit: limit, out_results: out}
		return C.zova_vector_search_by_id(req)
	case searchByID | searchIn:
		req := cnew[C.zova_vector_search_by_id_in_request](m)
		*req = C.zova_vector_search_by_id_in_request{db: h, collection_name: collection, source_vector_id: source,
			candidate_ids: candidates, candidate_count: candidateCount, limit: limit, out_results: out}
		return C.zova_vector_search_by_id_in(req)
	case searchByID | searchWithin:
		req := cnew[C.zova_vector_search_by_id_within_request](m)
		*req = C.zova_vector_search_by_id_within_request{db: h, collection_name: collection, source_vector_id: source,
			max_distance: maxDistance, limit: limit, out_results: out}
		return C.zova_vector_search_by_id_within(req)
	default: // searchByID | searchIn | searchWithin
		req := cnew[C.zova_vector_search_by_id_in_within_request](m)
		*req = C.zova_vector_search_by_id_in_within_request{db: h, collection_name: collection, source_vector_id: source,
			candidate_ids: candidates, candidate_count: candidateCount, max_distance: maxDistance, limit: limit, out_results: out}
		return C.zova_vector_search_by_id_in_within(req)
	}
}

// SearchVectors returns the limit vectors closest to query, nearest first
// (ties by id).
func (db *DB) SearchVectors(collectionName string, query []float32, limit int) ([]VectorSearchResult, error) {
	return db.search(vectorQuery{collection: collectionName, values: query, limit: limit})
}

// SearchVectorsIn is SearchVectors restricted to candidateIDs (duplicates
// and unknown ids are ignored).
func (db *DB) SearchVectorsIn(collectionName string, query []float32, candidateIDs []string, limit int) ([]VectorSearchResult, error) {
	return db.search(vectorQuery{kind: searchIn, collection: collectionName, values: query, candidates: candidateIDs, limit: limit})
}

// SearchVectorsWithin is SearchVectors keeping only distances <= maxDistance.
func (db *DB) SearchVectorsWithin(collectionName string, query []float32, maxDistance float64, limit int) ([]VectorSearchResult, error) {
	return db.search(vectorQuery{kind: searchWithin, collection: collectionName, values: query, maxDistance: maxDistance, limit: limit})
}

// SearchVectorsInWithin combines SearchVectorsIn and SearchVectorsWithin.
func (db *DB) SearchVectorsInWithin(collectionName string, query []float32, candidateIDs []string, maxDistance float64, limit int) ([]VectorSearchResult, error) {
	return db.search(vectorQuery{kind: searchIn | searchWithin, collection: collectionName, values: query, candidates: candidateIDs,
		maxDistance: maxDistance, limit: limit})
}

// SearchVectorsByID searches with a stored vector as the query; the source
// vector itself is never returned.
func (db *DB) SearchVectorsByID(collectionName, sourceVectorID string, limit int) ([]VectorSearchResult, error) {
	return db.search(vectorQuery{kind: searchByID, collection: collectionName, sourceID: sourceVectorID, limit: limit})
}

// SearchVectorsByIDIn is SearchVectorsByID restricted to candidateIDs.
func (db *DB) SearchVectorsByIDIn(collectionName, sourceVectorID string, candidateIDs []string, limit int) ([]VectorSearchResult, error) {
	return db.search(vectorQuery{kind: searchByID | searchIn, collection: collectionName, sourceID: sourceVectorID,
		candidates: candidateIDs, limit: limit})
}

// SearchVectorsByIDWithin is SearchVectorsByID keeping only distances <= maxDistance.
func (db *DB) SearchVectorsByIDWithin(collectionName, sourceVectorID string, maxDistance float64, limit int) ([]VectorSearchResult, error) {
	return db.search(vectorQuery{kind: searchByID | searchWithin, collection: collectionName, sourceID: sourceVectorID,
		maxDistance: maxDistance, limit: limit})
}

// SearchVectorsByIDInWithin combines SearchVectorsByIDIn and SearchVectorsByIDWithin.
func (db *DB) SearchVectorsByIDInWithin(collectionName, sourceVectorID string, candidateIDs []string, maxDistance float64, limit int) ([]VectorSearchResult, error) {
	return db.search(vectorQuery{kind: searchByID | searchIn | searchWithin, collection: collectionName, sourceID: sourceVectorID,
		candidates: candidateIDs, maxDistance: maxDistance, limit: limit})
}
