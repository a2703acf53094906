// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// ctr_mounts prints what `ctr snapshots prepare --mounts` (containerd >= 1.7.2,
// windows snapshotter) prints for a snapshot whose folder is SOURCE and whose
// parents' folders are PARENT..., nearest first:
//
//	ctr_mounts rw|ro SOURCE [PARENT...]
//
// The struct mirrors containerd 1.7's mount.Mount field order (Type, Source,
// Target, Options; see docs in ../../../docs/snapctl.md), and the options are
// built as windows.go mounts() builds them. Used by cli_test.cc to check
// snapctl's output against Go's real encoding/json, byte for byte.
package main

import (
	"encoding/json"
	"fmt"
	"os"
)

type Mount struct {
	Type    string
	Source  string
	Target  string
	Options []string
}

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: ctr_mounts rw|ro SOURCE [PARENT...]")
		os.Exit(2)
	}
	opts := []string{os.Args[1]}
	if parents := os.Args[3:]; len(parents) != 0 {
		b, err := json.Marshal(parents)
		if err != nil {
			panic(err)
		}
		opts = append(opts, "parentLayerPaths="+string(b))
	}
	out, err := json.MarshalIndent([]Mount{{Type: "windows-layer", Source: os.Args[2], Options: opts}}, "", "    ")
	if err != nil {
		panic(err)
	}
	fmt.Println(string(out))
}
