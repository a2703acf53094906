// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// POSIX test helpers: mount-point check and RunCommand (fork/exec/poll).

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>

#include "tests/testutil/temp_dir.h"

namespace winsnap::testing {

bool IsMountPoint(const std::string& path) {
  struct stat a, b;
  if (::stat(path.c_str(), &a) < 0 || ::stat((path + "/..").c_str(), &b) < 0) {
    return false;
  }
  return a.st_dev != b.st_dev;
}

CommandResult RunCommand(const std::vector<std::string>& argv,
                         const std::string& stdin_text) {
  CommandResult r;
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) || ::pipe2(out, O_CLOEXEC) ||
      ::pipe2(err, O_CLOEXEC)) {
    r.err = "pipe failed";
    return r;
  }
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  size_t written = 0;
  if (stdin_text.empty()) {
    ::close(in[1]);
    in[1] = -1;
  } else {
    // Never block on a child that is not reading yet (it may be busy writing
    // to a full stdout pipe we must drain), and never die of SIGPIPE if it
    // exits without reading.
    ::fcntl(in[1], F_SETFL, ::fcntl(in[1], F_GETFL) | O_NONBLOCK);
    ::signal(SIGPIPE, SIG_IGN);
  }
  pollfd fds[3] = {
      {out[0], POLLIN, 0}, {err[0], POLLIN, 0}, {in[1], POLLOUT, 0}};
  int open_reads = 2;
  while (open_reads > 0 || fds[2].fd >= 0) {
    if (::poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd >= 0 && (fds[i].revents & (POLLIN | POLLHUP))) {
        char buf[8192];
        ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
        if (n <= 0) {
          ::close(fds[i].fd);
          fds[i].fd = -1;
          --open_reads;
        } else {
          (i == 0 ? r.out : r.err).append(buf, static_cast<size_t>(n));
        }
      }
    }
    if (fds[2].fd >= 0 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t n = ::write(fds[2].fd, stdin_text.data() + written,
                          stdin_text.size() - written);
      if (n > 0) written += static_cast<size_t>(n);
      bool again = n < 0 && (errno == EAGAIN || errno == EINTR);
      if ((n < 0 && !again) || written == stdin_text.size()) {
        ::close(fds[2].fd);
        fds[2].fd = -1;
      }
    }
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace winsnap::testing
