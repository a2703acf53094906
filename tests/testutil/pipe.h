// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Pipe: an O_CLOEXEC pipe for tests that hand the write end to a child (a
// container's stdout, say) and drain the read end. Closes both ends on
// destruction. Not thread-safe; test use only.

#ifndef WINSNAP_TESTS_TESTUTIL_PIPE_H_
#define WINSNAP_TESTS_TESTUTIL_PIPE_H_

#include <fcntl.h>
#include <unistd.h>

#include <string>

namespace winsnap::testing {

struct Pipe {
  int r = -1, w = -1;
  Pipe() {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) == 0) {
      r = p[0];
      w = p[1];
    }
  }
  ~Pipe() {
    CloseWrite();
    if (r >= 0) ::close(r);
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  void CloseWrite() {
    if (w >= 0) ::close(w);
    w = -1;
  }
  // Reads until every write end is closed.
  std::string ReadAll() {
    std::string s;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(r, buf, sizeof buf)) > 0)
      s.append(buf, static_cast<size_t>(n));
    return s;
  }
};

}  // namespace winsnap::testing

#endif  // WINSNAP_TESTS_TESTUTIL_PIPE_H_
