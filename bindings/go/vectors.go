package zova

// vectors.go owns vector collections, vector rows and the eight search
// variants (cli-and-bindings §3.2 Vectors).

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

// CreateVectorCollection creates an empty collection.
func (db *DB) CreateVectorCollection(name string, options VectorCollectionOptions) error {
	if err := checkString(name, "vector collection name"); err != nil {
		return err
	}
	handle, err := db.lock()
	if err != nil {
		return err
	}
	defer db.mu.Unlock()
	m := db.mem()
	defer m.free()
	req := cnew[C.zova_vector_collection_create_request](&m)
	req.db = handle
	req.name = m.str(name)
	req.options.dimensions = C.uint32_t(options.Dimensions)
	metric := options.Metric
	if metric < math.MinInt32 || metric > math.MaxInt32 {
		metric = -1 // would wrap in a C int; -1 is rejected the same way
	}
	req.options.metric = C.int(metric)
	return db.check(C.zova_vector_collection_create(req))
}

// HasVectorCollection reports whether a collection exists.
func (db *DB) HasVectorCollection(name string) (bool, error) {
	if err := checkString(name, "vector collection name"); err != nil {
		return false, err
	}
	handle, err := db.lock()
	if err != nil {
		return false, err
	}
	defer db.mu.Unlock()
	m := db.mem()
	defer m.free()
	req := cnew[C.zova_vector_collection_exists_request](&m)
	out := cnew[C.uint8_t](&m)
	req.db = handle
	req.name = m.str(name)
	req.out_exists = out
	if err := db.check(C.zova_vector_collection_exists(req)); err != nil {
		return false, err
	}
	return *out != 0, nil
}

// VectorCollectionInfo describes one collection.
func (db *DB) VectorCollectionInfo(name string) (VectorCollectionInfo, error) {
	if err := checkString(name, "vector collection name"); err != nil {
		return VectorCollectionInfo{}, err
	}
	handle, err := db.lock()
	if err != nil {
		return VectorCollectionInfo{}, err
	}
	defer db.mu.Unlock()
	m := db.mem()
	defer m.free()
	req := cnew[C.zova_vector_collection_info_get_request](&m)
	out := cnew[C.zova_vector_collection_info](&m)
	req.db = handle
	req.name = m.str(name)
	req.out_info = out
	defer C.zova_vector_collection_info_free(out)
	if err := db.check(C.zova_vector_collection_info_get(req)); err != nil {
		return VectorCollectionInfo{}, err
	}
	return goInfo(out), nil
}

// ListVectorCollections describes every collection, sorted by name.
func (db *DB) ListVectorCollections() ([]VectorCollectionInfo, error) {
	handle, err := db.lock()
	if err != nil {
		return nil, err
	}
	defer db.mu.Unlock()
	m := db.mem()
	defer m.free()
	req := cnew[C.zova_vector_collections_list_request](&m)
	out := cnew[C.zova_vector_collection_list](&m)
	req.db = handle
	req.out_list = out
	defer C.zova_vector_collection_list_free(out)
	if err := db.check(C.zova_vector_collections_list(req)); err != nil {
		return nil, err
	}
	infos := []VectorCollectionInfo{}
	if out.items != nil && out.len > 0 {
		items := unsafe.Slice(out.items, int(out.len))
		for i := range items {
			infos = append(infos, goInfo(&items[i]))
		}
	}
	return infos, nil
}

// DeleteVectorCollection deletes a collection and its vectors.
func (db *DB) DeleteVectorCollection(name string) error {
	if err := checkString(name, "vector collection name"); err != nil {
		return err
	}
	handle, err := db.lock()
	if err != nil {
		return err
	}
	defer db.mu.Unlock()
	m := db.mem()
	defer m.free()
	req := cnew[C.zova_vector_collection_delete_request](&m)
	req.db = handle
	req.name = m.str(name)
	return db.check(C.zova_vector_collection_delete(req))
}

// PutVector inserts or replaces one vector.
func (db *DB) PutVector(collectionName, vectorID string, values []float32) error {
	if err := checkString(collectionName, "vector collection name"); err != nil {
		return err
	}
	if err := checkString(vectorID, "vector id"); err != nil {
		return err
	}
	handle, err := db.lock()
	if err != nil {
		return err
	}
	defer db.mu.Unlock()
	m := db.mem()
	defer m.free()
	req := cnew[C.zova_vector_put_request](&m)
	req.db = handle
	req.collection_name = m.str(collectionName)
	req.vector_id = m.str(vectorID)
	req.values = m.floats(values)
	req.values_len = C.size_t(len(values))
	return db.check(C.zova_vector_put(req))
}

// PutVectors inserts or replaces several vectors; nothing is written when
// any of them is invalid. For a repeated id the last one wins.
func (db *DB) PutVectors(collectionName string, vectors []VectorInput) error {
	if err := checkString(collectionName, "vector collection name"); err != nil {
		return err
	}
	for _, vector := range vectors {
		if err := checkString(vector.ID, "vector id"); err != nil {
			return err
		}
	}
	handle, err := db.lock()
	if err != nil {
		return err
	}
	defer db.mu.Unlock()
	m := db.mem()
	defer m.free()
	req := cnew[C.zova_vector_put_many_request](&m)
	req.db = handle
	req.collection_name = m.str(collectionName)
	if len(vectors) > 0 {
		var zero C.zova_vector_input
		p := m.alloc(unsafe.Sizeof(zero) * uintptr(len(vectors)))
		array := unsafe.Slice((*C.zova_vector_input)(p), len(vectors))
		for i, vector := range vectors {
			array[i].id = m.str(vector.ID)
			array[i].values = m.floats(vector.Values)
			array[i].values_len = C.size_t(len(vector.Values))
		}
		req.vectors = (*C.zova_vector_input)(p)
	}
	req.vectors_len = C.size_t(len(vectors))
	return db.check(C.zova_vector_put_many(req))
}

// GetVector returns a stored vector.
func (db *DB) GetVector(collectionName, vectorID string) (Vector, error) {
	if err := checkString(collectionName, "vector collection name"); err != nil {
		return Vector{}, err
	}
	if err := checkString(vectorID, "vector id"); err != nil {
		return Vector{}, err
	}
	handle, err := db.lock()
	if err != nil {
		return Vector{}, err
	}
	defer db.mu.Unlock()
	m := db.mem()
	defer m.free()
	req := cnew[C.zova_vector_get_request](&m)
	out := cnew[C.zova_vector](&m)
	req.db = handle
	req.collection_name = m.str(collectionName)
	req.vector_id = m.str(vectorID)
	req.out_vector = out
	defer C.zova_vector_free(out)
	if err := db.check(C.zova_vector_get(req)); err != nil {
		return Vector{}, err
	}
	vector := Vector{ID: C.GoStringN(out.id, C.int(out.id_len)), Values: []float32{}}
	if out.values != nil && out.values_len > 0 {
		vector.Values = append(vector.Values, unsafe.Slice((*float32)(unsafe.Pointer(out.values)), int(out.values_len))...)
	}
	return vector, nil
}

// HasVector reports whether a vector exists in a collection.
func (db *DB) HasVector(collectionName, vectorID string) (bool, error) {
	if err := checkString(collectionName, "vector collection name"); err != nil {
		return false, err
	}
	if err := checkString(vectorID, "vector id"); err != nil {
		return false, err
	}
	handle, err := db.lock()
	if err != nil {
		return false, err
	}
	defer db.mu.Unlock()
	m := db.mem()
	defer m.free()
	req := cnew[C.zova_vector_exists_request](&m)
	out := cnew[C.uint8_t](&m)
	req.db = handle
	req.collection_name = m.str(collectionName)
	req.vector_id = m.str(vectorID)
	req.out_exists = out
	if err := db.check(C.zova_vector_exists(req)); err != nil {
		return false, err
	}
	return *out != 0, nil
}

// DeleteVector deletes one vector.
func (db *DB) DeleteVector(collectionName, vectorID string) error {
	if err := checkString(collectionName, "vector collection name"); err != nil {
		return err
	}
	if err := checkString(vectorID, "vector id"); err != nil {
		return err
	}
	handle, err := db.lock()
	if err != nil {
		return err
	}
	defer db.mu.Unlock()
	m := db.mem()
	defer m.free()
	req := cnew[C.zova_vector_delete_request](&m)
	req.db = handle
	req.collection_name = m.str(collectionName)
	req.vector_id = m.str(vectorID)
	return db.check(C.zova_vector_delete(req))
}

// ---- search ----

// searchArgs is what every search variant validates before taking the lock.
func searchArgs(collectionName string, sourceID *string, candidateIDs []string, limit int) error {
	if err := checkString(collectionName, "vector collection name"); err != nil {
		return err
	}
	if sourceID != nil {
		if err := checkString(*sourceID, "vector id"); err != nil {
			return err
		}
	}
	for _, id := range candidateIDs {
		if err := checkString(id, "candidate vector id"); err != nil {
			return err
		}
	}
	if limit < 0 {
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

// search runs one C search; fill sets the request up and returns the status.
func (db *DB) search(fill func(m *cmem, handle *C.zova_database, out *C.zova_vector_search_results) C.zova_status) ([]VectorSearchResult, error) {
	handle, err := db.lock()
	if err != nil {
		return nil, err
	}
	defer db.mu.Unlock()
	m := db.mem()
	defer m.free()
	out := cnew[C.zova_vector_search_results](&m)
	defer C.zova_vector_search_results_free(out)
	if err := db.check(fill(&m, handle, out)); err != nil {
		return nil, err
	}
	return goResults(out), nil
}

// SearchVectors returns the limit vectors closest to query, nearest first
// (ties by id).
func (db *DB) SearchVectors(collectionName string, query []float32, limit int) ([]VectorSearchResult, error) {
	if err := searchArgs(collectionName, nil, nil, limit); err != nil {
		return nil, err
	}
	return db.search(func(m *cmem, handle *C.zova_database, out *C.zova_vector_search_results) C.zova_status {
		req := cnew[C.zova_vector_search_request](m)
		req.db = handle
		req.collection_name = m.str(collectionName)
		req.query = m.floats(query)
		req.query_len = C.size_t(len(query))
		req.limit = C.size_t(limit)
		req.out_results = out
		return C.zova_vector_search(req)
	})
}

// SearchVectorsIn is SearchVectors restricted to candidateIDs (duplicates
// and unknown ids are ignored).
func (db *DB) SearchVectorsIn(collectionName string, query []float32, candidateIDs []string, limit int) ([]VectorSearchResult, error) {
	if err := searchArgs(collectionName, nil, candidateIDs, limit); err != nil {
		return nil, err
	}
	return db.search(func(m *cmem, handle *C.zova_database, out *C.zova_vector_search_results) C.zova_status {
		req := cnew[C.zova_vector_search_in_request](m)
		req.db = handle
		req.collection_name = m.str(collectionName)
		req.query = m.floats(query)
		req.query_len = C.size_t(len(query))
		req.candidate_ids = m.strs(candidateIDs)
		req.candidate_count = C.size_t(len(candidateIDs))
		req.limit = C.size_t(limit)
		req.out_results = out
		return C.zova_vector_search_in(req)
	})
}

// SearchVectorsWithin is SearchVectors keeping only distances <= maxDistance.
func (db *DB) SearchVectorsWithin(collectionName string, query []float32, maxDistance float64, limit int) ([]VectorSearchResult, error) {
	if err := searchArgs(collectionName, nil, nil, limit); err != nil {
		return nil, err
	}
	return db.search(func(m *cmem, handle *C.zova_database, out *C.zova_vector_search_results) C.zova_status {
		req := cnew[C.zova_vector_search_within_request](m)
		req.db = handle
		req.collection_name = m.str(collectionName)
		req.query = m.floats(query)
		req.query_len = C.size_t(len(query))
		req.max_distance = C.double(maxDistance)
		req.limit = C.size_t(limit)
		req.out_results = out
		return C.zova_vector_search_within(req)
	})
}

// SearchVectorsInWithin combines SearchVectorsIn and SearchVectorsWithin.
func (db *DB) SearchVectorsInWithin(collectionName string, query []float32, candidateIDs []string, maxDistance float64, limit int) ([]VectorSearchResult, error) {
	if err := searchArgs(collectionName, nil, candidateIDs, limit); err != nil {
		return nil, err
	}
	return db.search(func(m *cmem, handle *C.zova_database, out *C.zova_vector_search_results) C.zova_status {
		req := cnew[C.zova_vector_search_in_within_request](m)
		req.db = handle
		req.collection_name = m.str(collectionName)
		req.query = m.floats(query)
		req.query_len = C.size_t(len(query))
		req.candidate_ids = m.strs(candidateIDs)
		req.candidate_count = C.size_t(len(candidateIDs))
		req.max_distance = C.double(maxDistance)
		req.limit = C.size_t(limit)
		req.out_results = out
		return C.zova_vector_search_in_within(req)
	})
}

// SearchVectorsByID searches with a stored vector as the query; the source
// vector itself is never returned.
func (db *DB) SearchVectorsByID(collectionName, sourceVectorID string, limit int) ([]VectorSearchResult, error) {
	if err := searchArgs(collectionName, &sourceVectorID, nil, limit); err != nil {
		return nil, err
	}
	return db.search(func(m *cmem, handle *C.zova_database, out *C.zova_vector_search_results) C.zova_status {
		req := cnew[C.zova_vector_search_by_id_request](m)
		req.db = handle
		req.collection_name = m.str(collectionName)
		req.source_vector_id = m.str(sourceVectorID)
		req.limit = C.size_t(limit)
		req.out_results = out
		return C.zova_vector_search_by_id(req)
	})
}

// SearchVectorsByIDIn is SearchVectorsByID restricted to candidateIDs.
func (db *DB) SearchVectorsByIDIn(collectionName, sourceVectorID string, candidateIDs []string, limit int) ([]VectorSearchResult, error) {
	if err := searchArgs(collectionName, &sourceVectorID, candidateIDs, limit); err != nil {
		return nil, err
	}
	return db.search(func(m *cmem, handle *C.zova_database, out *C.zova_vector_search_results) C.zova_status {
		req := cnew[C.zova_vector_search_by_id_in_request](m)
		req.db = handle
		req.collection_name = m.str(collectionName)
		req.source_vector_id = m.str(sourceVectorID)
		req.candidate_ids = m.strs(candidateIDs)
		req.candidate_count = C.size_t(len(candidateIDs))
		req.limit = C.size_t(limit)
		req.out_results = out
		return C.zova_vector_search_by_id_in(req)
	})
}

// SearchVectorsByIDWithin is SearchVectorsByID keeping only distances <= maxDistance.
func (db *DB) SearchVectorsByIDWithin(collectionName, sourceVectorID string, maxDistance float64, limit int) ([]VectorSearchResult, error) {
	if err := searchArgs(collectionName, &sourceVectorID, nil, limit); err != nil {
		return nil, err
	}
	return db.search(func(m *cmem, handle *C.zova_database, out *C.zova_vector_search_results) C.zova_status {
		req := cnew[C.zova_vector_search_by_id_within_request](m)
		req.db = handle
		req.collection_name = m.str(collectionName)
		req.source_vector_id = m.str(sourceVectorID)
		req.max_distance = C.double(maxDistance)
		req.limit = C.size_t(limit)
		req.out_results = out
		return C.zova_vector_search_by_id_within(req)
	})
}

// SearchVectorsByIDInWithin combines SearchVectorsByIDIn and SearchVectorsByIDWithin.
func (db *DB) SearchVectorsByIDInWithin(collectionName, sourceVectorID string, candidateIDs []string, maxDistance float64, limit int) ([]VectorSearchResult, error) {
	if err := searchArgs(collectionName, &sourceVectorID, candidateIDs, limit); err != nil {
		return nil, err
	}
	return db.search(func(m *cmem, handle *C.zova_database, out *C.zova_vector_search_results) C.zova_status {
		req := cnew[C.zova_vector_search_by_id_in_within_request](m)
		req.db = handle
		req.collection_name = m.str(collectionName)
		req.source_vector_id = m.str(sourceVectorID)
		req.candidate_ids = m.strs(candidateIDs)
		req.candidate_count = C.size_t(len(candidateIDs))
		req.max_distance = C.double(maxDistance)
		req.limit = C.size_t(limit)
		req.out_results = out
		return C.zova_vector_search_by_id_in_within(req)
	})
}
