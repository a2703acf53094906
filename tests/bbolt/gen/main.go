// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

// Command bbolt_gen writes bbolt files with Go's own bbolt (and containerd's
// own snapshot metastore code) for winsnap's bbolt reader tests, and prints
// as JSON what Go reads back from them, so the C++ reader can be compared
// with the reference implementation.
//
// Built in GOPATH mode against Debian's packages:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o bbolt_gen main.go
//
// Usage:
//
//	bbolt_gen -scenario generic -out FILE [-pagesize N] [-keys N]
//	    Raw bbolt edge cases over three transactions: thousands of keys
//	    (several branch levels), values and keys larger than a page
//	    (overflow pages), nested and inline buckets, empty buckets, binary
//	    keys, deletions. Prints {"page_size", "previous", "final"}: the
//	    whole tree after the second and after the last transaction.
//	bbolt_gen -scenario containerd -out FILE [-n N]
//	    A containerd snapshot metastore written through containerd's
//	    snapshots/storage package: committed chains, actives, views,
//	    labels (one larger than a page), removals, label updates. Prints
//	    {"snapshots": [...]} as containerd's storage.GetInfo reads them.
package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"strings"

	"github.com/containerd/containerd/snapshots"
	"github.com/containerd/containerd/snapshots/storage"
	bolt "go.etcd.io/bbolt"
)

type entry struct {
	K string  `json:"k"`
	V *string `json:"v,omitempty"`
	B *bucket `json:"b,omitempty"`
}

type bucket struct {
	Seq     uint64  `json:"seq"`
	Entries []entry `json:"entries"`
}

func dumpBucket(b *bolt.Bucket) *bucket {
	out := &bucket{Seq: b.Sequence(), Entries: []entry{}}
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		e := entry{K: hex.EncodeToString(k)}
		if v == nil {
			e.B = dumpBucket(b.Bucket(k))
		} else {
			s := hex.EncodeToString(v)
			e.V = &s
		}
		out.Entries = append(out.Entries, e)
	}
	return out
}

func dumpDB(db *bolt.DB) *bucket {
	var root *bucket
	must(db.View(func(tx *bolt.Tx) error {
		root = &bucket{Entries: []entry{}}
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			root.Entries = append(root.Entries,
				entry{K: hex.EncodeToString(name), B: dumpBucket(b)})
			return nil
		})
	}))
	return root
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bbolt_gen:", err)
		os.Exit(1)
	}
}

func randBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	r.Read(b)
	return b
}

func generic(out string, pageSize, keys int) {
	db, err := bolt.Open(out, 0600, &bolt.Options{PageSize: pageSize})
	must(err)
	r := rand.New(rand.NewSource(42))

	must(db.Update(func(tx *bolt.Tx) error {
		many, err := tx.CreateBucket([]byte("many"))
		must(err)
		for i := 0; i < keys; i++ {
			must(many.Put([]byte(fmt.Sprintf("key-%06d", i)), randBytes(r, r.Intn(200))))
		}
		big, err := tx.CreateBucket([]byte("big"))
		must(err)
		for i := 0; i < 20; i++ {
			must(big.Put([]byte(fmt.Sprintf("big-%02d", i)), randBytes(r, i*pageSize/3+17)))
		}
		bigkeys, err := tx.CreateBucket([]byte("bigkeys"))
		must(err)
		for i := 0; i < 30; i++ {
			n := 500 + i*pageSize/10
			if n > bolt.MaxKeySize-100 {
				n = bolt.MaxKeySize - 100 - i
			}
			k := []byte(fmt.Sprintf("%03d-%s", i, strings.Repeat("k", n)))
			must(bigkeys.Put(k, []byte(strconv.Itoa(i))))
		}
		nest, err := tx.CreateBucket([]byte("nest"))
		must(err)
		b := nest
		for depth := 0; depth < 12; depth++ {
			must(b.Put([]byte("k1"), []byte(fmt.Sprintf("depth %d", depth))))
			must(b.Put([]byte("k2"), nil))
			b, err = b.CreateBucket([]byte("sub"))
			must(err)
			_, _ = b.NextSequence()
		}
		inline, err := tx.CreateBucket([]byte("inline"))
		must(err)
		for i := 0; i < 100; i++ {
			ib, err := inline.CreateBucket([]byte(fmt.Sprintf("ib-%03d", i)))
			must(err)
			for j := 0; j < 3; j++ {
				must(ib.Put([]byte{byte('a' + j)}, []byte(fmt.Sprintf("%d.%d", i, j))))
			}
		}
		_, err = tx.CreateBucket([]byte("empty"))
		must(err)
		bin, err := tx.CreateBucket([]byte{0x00, 0xff, 'b', 'i', 'n'})
		must(err)
		for _, k := range [][]byte{{0}, {0, 0}, {0xff}, {0x7f, 0x80}, {0x80}, {0xff, 0xff, 0xff}} {
			must(bin.Put(k, k))
		}
		seq, err := tx.CreateBucket([]byte("seq"))
		must(err)
		for i := 0; i < 7; i++ {
			_, _ = seq.NextSequence()
		}
		return nil
	}))

	must(db.Update(func(tx *bolt.Tx) error {
		many := tx.Bucket([]byte("many"))
		for i := 0; i < keys; i += 3 {
			must(many.Delete([]byte(fmt.Sprintf("key-%06d", i))))
		}
		big := tx.Bucket([]byte("big"))
		for i := 5; i <= 10; i++ {
			must(big.Delete([]byte(fmt.Sprintf("big-%02d", i))))
		}
		many2, err := tx.CreateBucket([]byte("many2"))
		must(err)
		for i := 0; i < keys*3/5; i++ {
			must(many2.Put([]byte(fmt.Sprintf("m2-%05d", r.Intn(100000))), randBytes(r, 8)))
		}
		inline := tx.Bucket([]byte("inline"))
		for i := 50; i < 80; i++ {
			must(inline.DeleteBucket([]byte(fmt.Sprintf("ib-%03d", i))))
		}
		must(tx.Bucket([]byte("nest")).Put([]byte("k3"), []byte("added")))
		return nil
	}))
	previous := dumpDB(db)

	must(db.Update(func(tx *bolt.Tx) error {
		marker, err := tx.CreateBucket([]byte("marker"))
		must(err)
		must(marker.Put([]byte("final"), []byte("yes")))
		many := tx.Bucket([]byte("many"))
		for i := 1; i < keys; i += 5 {
			must(many.Delete([]byte(fmt.Sprintf("key-%06d", i))))
		}
		return nil
	}))
	final := dumpDB(db)
	must(db.Close())

	must(json.NewEncoder(os.Stdout).Encode(map[string]interface{}{
		"page_size": pageSize, "previous": previous, "final": final,
	}))
}

type snap struct {
	Key       string            `json:"key"`
	ID        uint64            `json:"id"`
	Kind      uint8             `json:"kind"`
	Parent    string            `json:"parent"`
	Labels    map[string]string `json:"labels"`
	CreatedNs int64             `json:"created_ns"`
	UpdatedNs int64             `json:"updated_ns"`
	Size      int64             `json:"size"`
	Inodes    int64             `json:"inodes"`
}

func containerd(out string, n int) {
	ms, err := storage.NewMetaStore(out)
	must(err)
	r := rand.New(rand.NewSource(7))
	withTx := func(writable bool, fn func(ctx context.Context)) {
		ctx, t, err := ms.TransactionContext(context.Background(), writable)
		must(err)
		fn(ctx)
		if writable {
			must(t.Commit())
		} else {
			must(t.Rollback())
		}
	}

	seq := 0
	next := func(name string) string { seq++; return fmt.Sprintf("default/%d/%s", seq, name) }
	var committed []string
	// Committed image layers in chains of up to 10, as containerd unpacks
	// them: an "extract-" active snapshot committed under its chain ID.
	withTx(true, func(ctx context.Context) {
		parent := ""
		for i := 0; i < n; i++ {
			if i%10 == 0 {
				parent = ""
			}
			key := next(fmt.Sprintf("extract-%d-%d sha256:%064x", r.Int63(), i, i))
			_, err := storage.CreateSnapshot(ctx, snapshots.KindActive, key, parent,
				snapshots.WithLabels(map[string]string{"containerd.io/snapshot.ref": fmt.Sprintf("sha256:%064x", i)}))
			must(err)
			name := next(fmt.Sprintf("sha256:%064x", i))
			labels := map[string]string{
				"containerd.io/snapshot/layer.index": strconv.Itoa(i % 10),
				"containerd.io/snapshot/unicode":     "schön ✓",
			}
			if i%17 == 3 {
				labels["containerd.io/snapshot/big"] = strings.Repeat("x", 5000+i)
			}
			_, err = storage.CommitActive(ctx, key, name,
				snapshots.Usage{Size: int64(i)*4096 + 123, Inodes: int64(i % 7)},
				snapshots.WithLabels(labels))
			must(err)
			committed = append(committed, name)
			parent = name
		}
	})
	// Containers' scratch snapshots and views over every other image top, a
	// parentless active, and a base view.
	withTx(true, func(ctx context.Context) {
		for i := 9; i < len(committed); i += 20 {
			_, err := storage.CreateSnapshot(ctx, snapshots.KindActive,
				next(fmt.Sprintf("container-%d", i)), committed[i],
				snapshots.WithLabels(map[string]string{"containerd.io/snapshot/windows/rootfs.sizebytes": "21474836480"}))
			must(err)
			_, err = storage.CreateSnapshot(ctx, snapshots.KindView,
				next(fmt.Sprintf("view-%d", i)), committed[i])
			must(err)
		}
		_, err := storage.CreateSnapshot(ctx, snapshots.KindActive, next("parentless"), "")
		must(err)
		if len(committed) > 0 {
			_, err = storage.CreateSnapshot(ctx, snapshots.KindView, next("base-view"), committed[0])
			must(err)
		}
	})
	// Removals (ids are not reused) and label updates (newer updated time).
	withTx(true, func(ctx context.Context) {
		for i := 19; i < len(committed); i += 40 {
			// An image top with nothing on it.
			_, _, err := storage.Remove(ctx, committed[i])
			must(err)
			committed[i] = ""
		}
		for i := 0; i < len(committed); i += 4 {
			if committed[i] == "" {
				continue
			}
			_, err := storage.UpdateInfo(ctx, snapshots.Info{
				Name:   committed[i],
				Labels: map[string]string{"containerd.io/snapshot/updated": "yes"},
			}, "labels.containerd.io/snapshot/updated")
			must(err)
		}
	})

	var snaps []snap
	withTx(false, func(ctx context.Context) {
		must(storage.WalkInfo(ctx, func(ctx context.Context, info snapshots.Info) error {
			id, info, usage, err := storage.GetInfo(ctx, info.Name)
			must(err)
			nid, err := strconv.ParseUint(id, 10, 64)
			must(err)
			labels := info.Labels
			if labels == nil {
				labels = map[string]string{}
			}
			snaps = append(snaps, snap{
				Key: info.Name, ID: nid, Kind: uint8(info.Kind), Parent: info.Parent,
				Labels: labels, CreatedNs: info.Created.UnixNano(),
				UpdatedNs: info.Updated.UnixNano(), Size: usage.Size, Inodes: usage.Inodes,
			})
			return nil
		}))
	})
	must(ms.Close())
	must(json.NewEncoder(os.Stdout).Encode(map[string]interface{}{"snapshots": snaps}))
}

func main() {
	scenario := flag.String("scenario", "", "generic or containerd")
	out := flag.String("out", "", "bbolt file to create (must not exist)")
	pageSize := flag.Int("pagesize", 4096, "page size (generic)")
	keys := flag.Int("keys", 5000, "keys in the \"many\" bucket (generic)")
	n := flag.Int("n", 100, "committed layers (containerd)")
	flag.Parse()
	if _, err := os.Stat(*out); *out == "" || err == nil {
		must(fmt.Errorf("-out must name a file that does not exist"))
	}
	switch *scenario {
	case "generic":
		generic(*out, *pageSize, *keys)
	case "containerd":
		containerd(*out, *n)
	default:
		must(fmt.Errorf("unknown -scenario %q", *scenario))
	}
}
