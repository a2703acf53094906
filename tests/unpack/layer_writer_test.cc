// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// The layer writer's security contract, one hand-built hostile tar per case
// (libarchive's writer, or TarWriter where PAX records matter): each asserts
// the error (code + entry name) and that nothing outside the layer folder
// changed. Then what a good Windows layer turns into on Linux.

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <filesystem>

#include "tests/testutil/status_matchers.h"
#include "tests/testutil/temp_dir.h"
#include "tests/unpack/test_archives.h"
#include "unpack/layer_path.h"
#include "unpack/layer_unpacker.h"
#include "unpack/sidecar.h"

namespace winsnap::unpack {
namespace {

using testing::LaEntry;
using testing::LibarchiveTar;
using testing::PaxTar;
using testing::TreeDigest;
using winsnap::testing::StatusIs;
using winsnap::testing::TempDir;

class HostileTarTest : public ::testing::Test {
 protected:
  void SetUp() override {
    layer_ = tmp_.Sub("layers/l1");
    outside_ = tmp_.Sub("outside");
    std::filesystem::create_directories(layer_);
    std::filesystem::create_directories(outside_ + "/etc");
    testing::WriteWhole(outside_ + "/canary", "do not touch");
    testing::WriteWhole(outside_ + "/etc/passwd", "root:x:0:0");
    before_ = TreeDigest(tmp_.path());
  }

  // Unpacks "tar" and checks the error names "entry" and nothing outside
  // the layer folder changed.
  void ExpectRefused(const std::string& tar, StatusCode code,
                     const std::string& entry, const std::string& why = "") {
    auto r = UnpackTarBytes(tar, layer_, LayerWriterOptions{});
    ASSERT_THAT(r, StatusIs(code, entry)) << "entry " << entry;
    if (!why.empty()) {
      EXPECT_THAT(r, StatusIs(code, why));
    }
    auto after = TreeDigest(tmp_.path());
    for (auto it = after.begin(); it != after.end();) {
      // Only the layer folder may change.
      if (it->first.rfind("layers/l1/", 0) == 0) {
        it = after.erase(it);
      } else {
        ++it;
      }
    }
    auto expected = before_;
    for (auto it = expected.begin(); it != expected.end();) {
      if (it->first.rfind("layers/l1/", 0) == 0) {
        it = expected.erase(it);
      } else {
        ++it;
      }
    }
    EXPECT_EQ(after, expected);
  }

  TempDir tmp_;
  std::string layer_;
  std::string outside_;
  std::map<std::string, std::string> before_;
};

TEST_F(HostileTarTest, DotDotComponents) {
  ExpectRefused(LibarchiveTar({{"Files/../../../outside/canary", '0', "pwn"}}),
                StatusCode::kInvalidArgument, "Files/../../../outside/canary",
                "\"..\"");
  ExpectRefused(LibarchiveTar({{"Files/a/../../x", '5'}}),
                StatusCode::kInvalidArgument, "Files/a/../../x");
}

TEST_F(HostileTarTest, AbsolutePaths) {
  ExpectRefused(LibarchiveTar({{outside_ + "/canary", '0', "pwn"}}),
                StatusCode::kInvalidArgument, outside_ + "/canary", "absolute");
}

TEST_F(HostileTarTest, DriveLetters) {
  ExpectRefused(LibarchiveTar({{"C:/Windows/x", '0', "pwn"}}),
                StatusCode::kInvalidArgument, "C:/Windows/x", "drive");
  ExpectRefused(LibarchiveTar({{"c:Files/x", '0', "pwn"}}),
                StatusCode::kInvalidArgument, "c:Files/x", "drive");
}

TEST_F(HostileTarTest, UncPaths) {
  ExpectRefused(LibarchiveTar({{"//server/share/Files/x", '0', "pwn"}}),
                StatusCode::kInvalidArgument, "//server/share/Files/x");
  ExpectRefused(LibarchiveTar({{"\\\\server\\share\\x", '0', "pwn"}}),
                StatusCode::kInvalidArgument, "\\\\server\\share\\x");
}

TEST_F(HostileTarTest, BackslashTricks) {
  ExpectRefused(LibarchiveTar({{"Files\\..\\..\\outside\\canary", '0', "pwn"}}),
                StatusCode::kInvalidArgument, "Files\\..\\..\\outside\\canary",
                "backslash");
}

TEST_F(HostileTarTest, SymlinkTargetsOutsideTheLayer) {
  for (const std::string target :
       {"../../../outside", "..\\..\\..\\outside", "/../etc", "C:\\..\\..\\x",
        "D:\\data", "\\\\?\\C:\\x", "\\\\server\\share", "C:relative"}) {
    SCOPED_TRACE(target);
    ExpectRefused(
        LibarchiveTar({{"Files", '5'}, {"Files/esc", '2', "", target}}),
        StatusCode::kInvalidArgument, "Files/esc", "symlink target");
  }
}

TEST_F(HostileTarTest, WritingThroughAnExtractedSymlink) {
  // The symlink itself is legal (it stays inside Files/), but nothing may be
  // written through it.
  ExpectRefused(LibarchiveTar({{"Files/Windows", '5'},
                               {"Files/sys", '2', "", "Windows"},
                               {"Files/sys/evil.dll", '0', "pwn"}}),
                StatusCode::kInvalidArgument, "Files/sys/evil.dll", "symlink");
}

TEST_F(HostileTarTest, PlantedSymlinkToOutsideIsNeverFollowed) {
  // A symlink already in the folder (e.g. from a bug elsewhere) that points
  // outside: file, directory and hard-link entries through it are refused.
  std::filesystem::create_directories(layer_ + "/Files");
  std::filesystem::create_directory_symlink(outside_, layer_ + "/Files/evil");
  before_ = TreeDigest(tmp_.path());
  ExpectRefused(LibarchiveTar({{"Files/evil/canary", '0', "pwn"}}),
                StatusCode::kInvalidArgument, "Files/evil/canary", "symlink");
  ExpectRefused(LibarchiveTar({{"Files/evil/newdir", '5'}}),
                StatusCode::kInvalidArgument, "Files/evil/newdir");
  ExpectRefused(LibarchiveTar({{"Files/h", '1', "", "Files/evil/canary"}}),
                StatusCode::kInvalidArgument, "Files/h");
  ExpectRefused(LibarchiveTar({{"Files/evil/.wh.canary", '0', ""}}),
                StatusCode::kInvalidArgument, "Files/evil/.wh.canary");
  EXPECT_EQ(testing::ReadWhole(outside_ + "/canary"), "do not touch");
}

TEST_F(HostileTarTest, HardlinkTargetsOutside) {
  ExpectRefused(LibarchiveTar({{"Files", '5'},
                               {"Files/h", '1', "", "../outside/canary"}}),
                StatusCode::kInvalidArgument, "Files/h", "hard link target");
  ExpectRefused(
      LibarchiveTar({{"Files", '5'}, {"Files/h", '1', "", "/etc/passwd"}}),
      StatusCode::kInvalidArgument, "Files/h", "hard link target");
  ExpectRefused(
      LibarchiveTar({{"Files", '5'}, {"Files/h", '1', "", "Files/nope"}}),
      StatusCode::kInvalidArgument, "Files/h", "not in this layer");
}

TEST_F(HostileTarTest, DeviceNodesAndFifos) {
  ExpectRefused(LibarchiveTar({{"Files/null", '3'}}),
                StatusCode::kInvalidArgument, "Files/null", "device");
  ExpectRefused(LibarchiveTar({{"Files/sda", '4'}}),
                StatusCode::kInvalidArgument, "Files/sda", "device");
  ExpectRefused(LibarchiveTar({{"Files/pipe", '6'}}),
                StatusCode::kInvalidArgument, "Files/pipe", "FIFO");
}

TEST_F(HostileTarTest, OversizedHeadersAndNames) {
  const std::string longpath = "Files/" + std::string(5000, 'p');
  ExpectRefused(LibarchiveTar({{longpath, '0', "x"}}),
                StatusCode::kInvalidArgument, longpath.substr(0, 60),
                "longer than");
  const std::string longcomp = "Files/" + std::string(300, 'c');
  ExpectRefused(LibarchiveTar({{longcomp, '0', "x"}}),
                StatusCode::kInvalidArgument, longcomp, "component");
  ExpectRefused(LibarchiveTar({{"Files/a",
                                '0',
                                "x",
                                "",
                                0644,
                                {{"user.huge", std::string(2 << 20, 'h')}}}}),
                StatusCode::kInvalidArgument, "offset 0", "exceeds");
}

TEST_F(HostileTarTest, EntriesOutsideTheLayerRoots) {
  ExpectRefused(LibarchiveTar({{"Windows/System32/x.dll", '0', "x"}}),
                StatusCode::kInvalidArgument, "Windows/System32/x.dll",
                "outside Files/");
  ExpectRefused(LibarchiveTar({{"UtilityVM/Other/x", '0', "x"}}),
                StatusCode::kInvalidArgument, "UtilityVM/Other/x", "outside");
  ExpectRefused(LibarchiveTar({{".winsnap/meta.jsonl", '0', "x"}}),
                StatusCode::kInvalidArgument, ".winsnap/meta.jsonl", "outside");
}

TEST_F(HostileTarTest, StreamWithoutItsFileAndBadWhiteouts) {
  ExpectRefused(LibarchiveTar({{"Files/a.txt", '0', "x"},
                               {"Files/b.txt", '0', "y"},
                               {"Files/a.txt:Zone.Identifier", '0', "z"}}),
                StatusCode::kInvalidArgument, "Files/a.txt:Zone.Identifier",
                "does not follow");
  ExpectRefused(LibarchiveTar({{"Hives/.wh.System_Delta", '0', ""}}),
                StatusCode::kInvalidArgument, "Hives/.wh.System_Delta",
                "whiteout");
  ExpectRefused(LibarchiveTar({{"Files/dir:stream/x", '0', ""}}),
                StatusCode::kInvalidArgument, "Files/dir:stream/x");
}

TEST(LayerPathTest, NormalizesAndSplitsStreams) {
  ASSERT_OK_AND_ASSIGN(EntryPath p, ValidateEntryName("./Files/a/b.txt:ads"));
  EXPECT_EQ(p.path, "Files/a/b.txt");
  EXPECT_EQ(p.stream, "ads");
  EXPECT_EQ(p.dir(), "Files/a");
  ASSERT_OK_AND_ASSIGN(EntryPath d, ValidateEntryName("UtilityVM/Files/"));
  EXPECT_EQ(d.path, "UtilityVM/Files");
  EXPECT_FALSE(ValidateEntryName("Files/\xff\xfe").ok());
  EXPECT_FALSE(ValidateEntryName("Files//x").ok());
  ASSERT_OK_AND_ASSIGN(
      std::string t,
      ResolveSymlinkTarget("Files/Users/Public/l", "C:\\Windows"));
  EXPECT_EQ(t, "../../Windows");
  ASSERT_OK_AND_ASSIGN(t, ResolveSymlinkTarget("Files/a/l", "..\\b\\c"));
  EXPECT_EQ(t, "../b/c");
  ASSERT_OK_AND_ASSIGN(t, ResolveSymlinkTarget("UtilityVM/Files/l", "/EFI"));
  EXPECT_EQ(t, "EFI");
  // Absolute targets are container-absolute: "/etc" is Files/etc.
  ASSERT_OK_AND_ASSIGN(t, ResolveSymlinkTarget("Files/a/b/l", "/etc"));
  EXPECT_EQ(t, "../../etc");
}

class LayerWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    layer_ = tmp_.Sub("layer");
    std::filesystem::create_directories(layer_);
  }
  TempDir tmp_;
  std::string layer_;
};

TEST_F(LayerWriterTest, WritesFilesLinksStreamsAndSidecar) {
  using testing::WinDir;
  using testing::WinFile;
  testing::PaxEntry sym;
  sym.h.name = "Files/Documents and Settings";
  sym.h.typeflag = kTypeSymlink;
  sym.h.linkname = "C:\\Users";
  sym.h.pax = {{"MSWINDOWS.mountpoint", "1"}};
  testing::PaxEntry hard;
  hard.h.name = "Files/Windows/hard.dll";
  hard.h.typeflag = kTypeLink;
  hard.h.linkname = "Files/Windows/a.dll";
  std::string tar = PaxTar(
      {WinDir("Files"), WinDir("Files/Windows"),
       WinFile("Files/Windows/a.dll", "MZ-data"),
       WinFile("Files/Windows/a.dll:Zone.Identifier", "zone"), hard, sym,
       WinDir("Hives"), WinFile("Hives/System_Delta", "regf"),
       // Implicit parents, then a file and its removal.
       WinFile("UtilityVM/Files/EFI/boot.efi", "efi"),
       WinFile("Files/gone.txt", "bye"), WinFile("Files/.wh.gone.txt", "")});
  ASSERT_OK_AND_ASSIGN(LayerStats st, UnpackTarBytes(tar, layer_, {}));
  EXPECT_EQ(st.files, 4);
  EXPECT_EQ(st.streams, 1);
  EXPECT_EQ(st.hardlinks, 1);
  EXPECT_EQ(st.symlinks, 1);
  EXPECT_EQ(st.whiteouts, 1);
  EXPECT_EQ(testing::ReadWhole(layer_ + "/Files/Windows/a.dll"), "MZ-data");
  // Streams live in the sidecar area, never as "name:stream" in the tree.
  EXPECT_FALSE(
      std::filesystem::exists(layer_ + "/Files/Windows/a.dll:Zone.Identifier"));
  EXPECT_EQ(testing::ReadWhole(layer_ + "/.winsnap/streams/0"), "zone");
  struct stat a, b;
  ASSERT_EQ(::stat((layer_ + "/Files/Windows/a.dll").c_str(), &a), 0);
  ASSERT_EQ(::stat((layer_ + "/Files/Windows/hard.dll").c_str(), &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);
  EXPECT_EQ(
      std::filesystem::read_symlink(layer_ + "/Files/Documents and Settings"),
      "Users");
  EXPECT_EQ(testing::ReadWhole(layer_ + "/UtilityVM/Files/EFI/boot.efi"),
            "efi");
  struct stat w;
  const int lr = ::lstat((layer_ + "/Files/gone.txt").c_str(), &w);
  if (::geteuid() == 0) {
    // Materialized for overlayfs: a 0/0 character device hides the lower file.
    ASSERT_EQ(lr, 0);
    EXPECT_TRUE(S_ISCHR(w.st_mode));
    EXPECT_EQ(w.st_rdev, makedev(0, 0));
    EXPECT_EQ(st.unmaterialized, 0);
  } else {
    EXPECT_NE(lr, 0);  // removed; recorded only
    EXPECT_EQ(st.unmaterialized, 1);
  }
  ASSERT_OK_AND_ASSIGN(auto recs, ReadSidecar(layer_));
  ASSERT_FALSE(recs.empty());
  EXPECT_EQ(recs[0].name, "Files");
  EXPECT_EQ(recs[0].pax, WinDir("Files").h.pax);
  bool saw_stream = false, saw_whiteout = false, saw_implicit = false;
  for (const auto& r : recs) {
    saw_stream |= r.type == RecordType::kStream &&
                  r.stream == "Zone.Identifier" &&
                  r.path == "Files/Windows/a.dll";
    saw_whiteout |=
        r.type == RecordType::kWhiteout && r.path == "Files/gone.txt";
    saw_implicit |= r.type == RecordType::kImplicitDir && r.path == "UtilityVM";
  }
  EXPECT_TRUE(saw_stream);
  EXPECT_TRUE(saw_whiteout);
  EXPECT_TRUE(saw_implicit);
}

TEST_F(LayerWriterTest, OpaqueDirectoriesGetTheOverlayXattr) {
  if (::geteuid() != 0)
    GTEST_SKIP()
        << "SKIPPED LOUDLY: trusted.* xattrs need CAP_SYS_ADMIN (run as root)";
  std::string tar =
      LibarchiveTar({{"Files", '5'},
                     {"Files/ProgramData", '5'},
                     {"Files/ProgramData/.wh..wh..opq", '0', ""}});
  ASSERT_OK_AND_ASSIGN(LayerStats st, UnpackTarBytes(tar, layer_, {}));
  EXPECT_EQ(st.opaque_dirs, 1);
  char v[4] = {};
  ssize_t n = ::getxattr((layer_ + "/Files/ProgramData").c_str(),
                         "trusted.overlay.opaque", v, sizeof v);
  if (n < 0 && errno == ENOTSUP)
    GTEST_SKIP() << "SKIPPED LOUDLY: filesystem has no trusted xattrs";
  ASSERT_EQ(n, 1);
  EXPECT_EQ(v[0], 'y');
  EXPECT_EQ(st.unmaterialized, 0);
}

TEST_F(LayerWriterTest, LaterEntriesReplaceEarlierOnes) {
  std::string tar = LibarchiveTar({{"Files/x", '0', "one"},
                                   {"Files/x", '0', "two"},
                                   {"Files/d", '0', "file"},
                                   {"Files/d", '5'},
                                   {"Files/d/inner", '0', "in"}});
  ASSERT_OK(UnpackTarBytes(tar, layer_, {}));
  EXPECT_EQ(testing::ReadWhole(layer_ + "/Files/x"), "two");
  EXPECT_EQ(testing::ReadWhole(layer_ + "/Files/d/inner"), "in");
}

}  // namespace
}  // namespace winsnap::unpack
