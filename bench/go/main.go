// Go reference for tophash's benchmark: the int32 get workload of
// bench/child-section.js on Go's native map. Same keys (murmur3's finalizer of
// the key number), same query order (the same LCG), same sizes and the same
// number of lookups: map[int32]int32 built from empty, one lookup per
// operation, random key order, medians of rounds. bench/run.js builds and runs
// it when `go` is on the PATH:
//
//	go build -o /tmp/tophash-go-bench . && /tmp/tophash-go-bench [ops] [rounds]
//
// Prints one line per size, then one JSON line for run.js. Standard library only.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"time"
)

const keySeed uint32 = 0x2545f491

// fmix32 is murmur3's finalizer, as in bench/lib.js: a bijection, so distinct
// key numbers give distinct keys.
func fmix32(h uint32) uint32 {
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	h *= 0xc2b2ae35
	h ^= h >> 16
	return h
}

// randomOrder draws n keys (with repeats) with bench/lib.js's LCG.
func randomOrder(keys []int32, n int, seed uint32) []int32 {
	out := make([]int32, n)
	s := seed
	for i := range out {
		s = s*1664525 + 1013904223
		out[i] = keys[s%uint32(len(keys))]
	}
	return out
}

// get is the timed loop: one map lookup per operation.
func get(m map[int32]int32, q []int32, reps int) int64 {
	var x int64
	for r := 0; r < reps; r++ {
		for _, k := range q {
			if v, ok := m[k]; ok {
				x += int64(v)
			} else {
				x++
			}
		}
	}
	return x
}

func median(a []float64) float64 {
	s := append([]float64(nil), a...)
	sort.Float64s(s)
	h := len(s) / 2
	if len(s)%2 == 1 {
		return s[h]
	}
	return (s[h-1] + s[h]) / 2
}

type result struct {
	N        int       `json:"n"`
	Ops      int       `json:"ops"`
	NsPerOp  float64   `json:"nsPerOp"`
	RoundsNs []float64 `json:"roundsNsPerOp"`
	Checksum int64     `json:"checksum"` // the sum bench/child-section.js gets in its first get round
}

var sink int64

func main() {
	ops, rounds := 1<<20, 5
	if len(os.Args) > 1 {
		if v, err := strconv.Atoi(os.Args[1]); err == nil && v > 0 {
			ops = v
		}
	}
	if len(os.Args) > 2 {
		if v, err := strconv.Atoi(os.Args[2]); err == nil && v > 0 {
			rounds = v
		}
	}

	results := []result{}
	for _, n := range []int{1000, 100000, 1000000} {
		keys := make([]int32, n)
		m := make(map[int32]int32) // built from empty, like the JS maps
		for i := 0; i < n; i++ {
			keys[i] = int32(fmix32(uint32(i) + keySeed))
			m[keys[i]] = int32(i*7 + 1)
		}
		// As in child-section.js: L keys a pass (at most 2^20), reps passes.
		l := 64 * n
		if l > 1<<20 {
			l = 1 << 20
		}
		if l < n {
			l = n
		}
		reps := (2*ops + l) / (2 * l) // round(ops / l)
		if reps < 1 {
			reps = 1
		}
		q := randomOrder(keys, l, uint32(99+n))

		sink += get(m, q, reps) // warm-up
		res := result{N: n, Ops: l * reps}
		for r := 0; r < rounds; r++ {
			t := time.Now()
			x := get(m, q, reps)
			el := time.Since(t)
			sink += x
			res.Checksum = x
			res.RoundsNs = append(res.RoundsNs, float64(el.Nanoseconds())/float64(l*reps))
		}
		res.NsPerOp = median(res.RoundsNs)
		fmt.Printf("%s map[int32]int32 get, %d entries: %.1f ns/op (median of %d rounds of %d lookups)\n",
			runtime.Version(), n, res.NsPerOp, rounds, l*reps)
		results = append(results, res)
	}

	out, err := json.Marshal(struct {
		Go      string   `json:"go"`
		Results []result `json:"results"`
	}{runtime.Version(), results})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(string(out))
	if sink == 42 {
		fmt.Fprintln(os.Stderr, "") // keeps sink live
	}
}
