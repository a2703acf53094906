// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Unit tests for the pieces under the client that need no network: URLs,
// blob sinks and the BlobPipe hand-off.

#include <gtest/gtest.h>

#include <random>
#include <thread>

#include "base/env.h"
#include "oci/digest.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/temp_dir.h"
#include "unpack/registry/blob_sink.h"
#include "unpack/registry/http.h"

namespace winsnap::registry {
namespace {

using ::winsnap::testing::StatusIs;
using ::winsnap::testing::TempDir;

const uint8_t* U8(const std::string& s) {
  return reinterpret_cast<const uint8_t*>(s.data());
}

TEST(UrlTest, ParsesAndFormats) {
  ASSERT_OK_AND_ASSIGN(Url u, Url::Parse("HTTPS://Example.COM/v2/a?x=1#frag"));
  EXPECT_EQ(u.scheme, "https");
  EXPECT_EQ(u.host, "example.com");
  EXPECT_EQ(u.port, 443);
  EXPECT_EQ(u.target, "/v2/a?x=1");
  EXPECT_EQ(u.Authority(), "example.com");
  ASSERT_OK_AND_ASSIGN(u, Url::Parse("http://[::1]:5000"));
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.port, 5000);
  EXPECT_EQ(u.target, "/");
  EXPECT_EQ(u.ToString(), "http://[::1]:5000/");
  ASSERT_OK_AND_ASSIGN(u, Url::Parse("http://h:80?q"));
  EXPECT_EQ(u.Authority(), "h");
  EXPECT_EQ(u.target, "/?q");
  for (const char* bad :
       {"ftp://h/", "h/x", "http:///x", "http://u@h/", "http://h:0/",
        "http://h:70000/", "http://h:/", "http://[::1/"}) {
    EXPECT_THAT(Url::Parse(bad), StatusIs(StatusCode::kInvalidArgument)) << bad;
  }
}

TEST(UrlTest, ResolvesRedirectLocations) {
  ASSERT_OK_AND_ASSIGN(Url base,
                       Url::Parse("https://reg:5000/v2/a/blobs/sha256:x?y"));
  ASSERT_OK_AND_ASSIGN(Url u, base.Resolve("https://cdn.example/p?sig=1"));
  EXPECT_EQ(u.ToString(), "https://cdn.example/p?sig=1");
  ASSERT_OK_AND_ASSIGN(u, base.Resolve("//other:1/z"));
  EXPECT_EQ(u.ToString(), "https://other:1/z");
  ASSERT_OK_AND_ASSIGN(u, base.Resolve("/v2/b"));
  EXPECT_EQ(u.ToString(), "https://reg:5000/v2/b");
  ASSERT_OK_AND_ASSIGN(u, base.Resolve("c?d"));
  EXPECT_EQ(u.ToString(), "https://reg:5000/v2/a/blobs/c?d");
  EXPECT_TRUE(u.SameOrigin(base));
  EXPECT_THAT(base.Resolve(""), StatusIs(StatusCode::kInvalidArgument));
}

TEST(UrlTest, PercentEncode) {
  EXPECT_EQ(PercentEncode("repository:a/b:pull"), "repository%3Aa%2Fb%3Apull");
  EXPECT_EQ(PercentEncode("A-z_0.~ "), "A-z_0.~%20");
}

TEST(StringBlobSinkTest, EnforcesLimitAndReplaysPrefix) {
  StringBlobSink sink(5);
  std::string abc = "abc", def = "def";
  ASSERT_OK(sink.Write(U8(abc), 3));
  EXPECT_THAT(sink.Write(U8(def), 3), StatusIs(StatusCode::kResourceExhausted));
  EXPECT_EQ(sink.offset(), 3u);
  std::string replay;
  ASSERT_OK(sink.ReadPrefix([&](const uint8_t* p, size_t n) {
    replay.append(reinterpret_cast<const char*>(p), n);
    return OkStatus();
  }));
  EXPECT_EQ(replay, "abc");
}

TEST(FileBlobSinkTest, ReopenContinuesAtFileSizeAndReplays) {
  TempDir dir;
  const std::string path = dir.Sub("blob.partial");
  {
    ASSERT_OK_AND_ASSIGN(auto sink, FileBlobSink::Open(path));
    EXPECT_EQ(sink->offset(), 0u);
    std::string part = "hello ";
    ASSERT_OK(sink->Write(U8(part), part.size()));
    sink->Abort(UnavailableError("connection lost"));  // keeps the file
  }
  ASSERT_OK_AND_ASSIGN(auto sink, FileBlobSink::Open(path));
  EXPECT_EQ(sink->offset(), 6u);
  std::string replay;
  ASSERT_OK(sink->ReadPrefix([&](const uint8_t* p, size_t n) {
    replay.append(reinterpret_cast<const char*>(p), n);
    return OkStatus();
  }));
  EXPECT_EQ(replay, "hello ");
  std::string rest = "world";
  ASSERT_OK(sink->Write(U8(rest), rest.size()));
  ASSERT_OK(sink->Commit(oci::Sha256Of("hello world")));
  ASSERT_OK_AND_ASSIGN(std::string content,
                       base::Env::Default()->ReadFile(path));
  EXPECT_EQ(content, "hello world");
  EXPECT_THAT(sink->Write(U8(rest), 1),
              StatusIs(StatusCode::kFailedPrecondition));
}

TEST(FileBlobSinkTest, OpenInMissingDirectoryFails) {
  TempDir dir;
  EXPECT_THAT(FileBlobSink::Open(dir.Sub("no/such/file")),
              StatusIs(StatusCode::kNotFound));
}

TEST(BlobSinkTest, DefaultSinkCannotReplay) {
  struct Counting : BlobSink {
    uint64_t offset() const override { return n; }
    Status Write(const uint8_t*, size_t k) override {
      n += k;
      return OkStatus();
    }
    uint64_t n = 0;
  } sink;
  EXPECT_THAT(
      sink.ReadPrefix([](const uint8_t*, size_t) { return OkStatus(); }),
      StatusIs(StatusCode::kUnimplemented));
}

// Pushes "data" through a small pipe from one thread and reads it on another
// in odd-sized pieces; the bytes arrive intact and EOF follows Commit.
TEST(BlobPipeTest, MovesBytesBetweenThreadsWithBackpressure) {
  std::string data(1 << 20, '\0');
  std::mt19937 rng(7);
  for (char& c : data) c = static_cast<char>(rng());
  BlobPipe pipe(4096);
  std::thread writer([&] {
    size_t pos = 0;
    while (pos < data.size()) {
      size_t n = std::min<size_t>(data.size() - pos, 1 + rng() % 10000);
      ASSERT_OK(pipe.Write(U8(data) + pos, n));
      pos += n;
    }
    ASSERT_OK(pipe.Commit(oci::Sha256Of(data)));
  });
  std::string got;
  std::vector<uint8_t> buf(777);
  while (true) {
    auto n = pipe.Read(buf.data(), buf.size());
    ASSERT_OK(n);
    if (*n == 0) break;
    got.append(reinterpret_cast<const char*>(buf.data()), *n);
  }
  writer.join();
  EXPECT_EQ(got.size(), data.size());
  EXPECT_TRUE(got == data);
  EXPECT_EQ(pipe.offset(), data.size());
  EXPECT_EQ(pipe.committed_digest(), oci::Sha256Of(data));
}

TEST(BlobPipeTest, AbortPoisonsBufferedBytes) {
  BlobPipe pipe(64);
  std::string d = "unverified";
  ASSERT_OK(pipe.Write(U8(d), d.size()));
  pipe.Abort(DataLossError("digest mismatch"));
  uint8_t buf[64];
  EXPECT_THAT(pipe.Read(buf, sizeof buf),
              StatusIs(StatusCode::kDataLoss, "digest mismatch"));
  EXPECT_THAT(pipe.Read(buf, sizeof buf), StatusIs(StatusCode::kDataLoss));
}

TEST(BlobPipeTest, CloseReaderUnblocksAWaitingWriter) {
  BlobPipe pipe(16);
  Status write_status;
  std::thread writer([&] {
    std::string big(1000, 'x');
    write_status = pipe.Write(U8(big), big.size());  // blocks: pipe holds 16
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  pipe.CloseReader(InternalError("unpack failed"));
  writer.join();
  EXPECT_THAT(write_status, StatusIs(StatusCode::kCancelled, "unpack failed"));
  EXPECT_THAT(pipe.Commit("sha256:x"), StatusIs(StatusCode::kCancelled));
}

}  // namespace
}  // namespace winsnap::registry
