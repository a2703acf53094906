// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

// Package conformance runs containerd's snapshotter conformance suite
// (snapshots/testsuite from Debian's golang-github-containerd-containerd-dev)
// against `snapctl serve --mount-type overlay`, through containerd's own
// proxy client (snapshots/proxy), i.e. exactly the path containerd takes
// for a [proxy_plugins] snapshotter.
//
// Every subtest gets a fresh server process on the root the suite hands
// out, and stops it with SIGTERM, which must exit 0 (graceful shutdown).
//
// Environment: WINSNAP_SNAPCTL = path of the snapctl binary (required).
// Run with tests/proxy/conformance/run.sh, which sets up GOPATH mode.
package conformance

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	snapshotsapi "github.com/containerd/containerd/api/services/snapshots/v1"
	"github.com/containerd/containerd/pkg/testutil"
	"github.com/containerd/containerd/snapshots"
	"github.com/containerd/containerd/snapshots/proxy"
	"github.com/containerd/containerd/snapshots/testsuite"
	"google.golang.org/grpc"
)

// lockedBuffer collects a server's stderr for failure reports.
type lockedBuffer struct {
	ch  chan struct{}
	buf bytes.Buffer
}

func newLockedBuffer() *lockedBuffer {
	b := &lockedBuffer{ch: make(chan struct{}, 1)}
	b.ch <- struct{}{}
	return b
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	<-b.ch
	defer func() { b.ch <- struct{}{} }()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	<-b.ch
	defer func() { b.ch <- struct{}{} }()
	return b.buf.String()
}

func unixDialer(ctx context.Context, addr string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, "unix", strings.TrimPrefix(addr, "unix://"))
}

// startServe spawns `snapctl serve` on root and returns a proxy
// snapshotter connected to it plus a cleanup that stops the server.
func startServe(t *testing.T, snapctl, root string) (snapshots.Snapshotter, func() error, error) {
	// The socket sits next to the root, in the suite's per-test temp dir.
	sock := filepath.Join(filepath.Dir(root), "winsnap.sock")
	logs := newLockedBuffer()
	args := []string{"--root", root, "--mount-type", "overlay",
		"--log-level", "warn", "serve", "--address", sock, "--gc-interval", "0"}
	// WINSNAP_TRANSPORT=h2 runs the suite against the nghttp2 transport.
	if tr := os.Getenv("WINSNAP_TRANSPORT"); tr != "" {
		args = append(args, "--transport", tr)
	}
	cmd := exec.Command(snapctl, args...)
	cmd.Stdout = logs
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	deadline := time.Now().Add(20 * time.Second)
	for {
		if fi, err := os.Stat(sock); err == nil && fi.Mode()&os.ModeSocket != 0 {
			if fi.Mode().Perm() != 0600 {
				cmd.Process.Kill()
				return nil, nil, fmt.Errorf("socket %s has mode %o, want 0600", sock, fi.Mode().Perm())
			}
			// The file appears at bind(); connections succeed only after
			// listen(), a moment later (longer under ASan).
			if c, err := net.Dial("unix", sock); err == nil {
				c.Close()
				break
			}
		}
		select {
		case err := <-exited:
			return nil, nil, fmt.Errorf("snapctl serve exited early (%v): %s", err, logs.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			return nil, nil, fmt.Errorf("snapctl serve made no socket in 20s: %s", logs.String())
		}
	}

	conn, err := grpc.Dial("unix://"+sock, grpc.WithInsecure(), grpc.WithContextDialer(unixDialer))
	if err != nil {
		cmd.Process.Kill()
		return nil, nil, err
	}
	sn := proxy.NewSnapshotter(snapshotsapi.NewSnapshotsClient(conn), "winsnap")
	cleanup := func() error {
		conn.Close()
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			return err
		}
		select {
		case err := <-exited:
			if err != nil {
				return fmt.Errorf("snapctl serve did not exit cleanly on SIGTERM (%v): %s", err, logs.String())
			}
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			return fmt.Errorf("snapctl serve still running 30s after SIGTERM: %s", logs.String())
		}
		if _, err := os.Lstat(sock); !os.IsNotExist(err) {
			return fmt.Errorf("socket %s left behind after shutdown", sock)
		}
		if out := logs.String(); out != "" {
			t.Logf("snapctl serve log:\n%s", out)
		}
		return nil
	}
	return sn, cleanup, nil
}

func TestWinsnapProxyConformance(t *testing.T) {
	testutil.RequiresRoot(t)
	snapctl := os.Getenv("WINSNAP_SNAPCTL")
	if snapctl == "" {
		t.Fatal("WINSNAP_SNAPCTL must name the snapctl binary")
	}
	testsuite.SnapshotterSuite(t, "winsnap", func(ctx context.Context, root string) (snapshots.Snapshotter, func() error, error) {
		return startServe(t, snapctl, root)
	})
}
