// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// import -> export round trips: the exported tar must equal the original
// entry by entry (names, types, sizes, content digests, link targets, every
// PAX record incl. MSWINDOWS.* and LIBARCHIVE.creationtime), and libarchive
// must read the export as an ordinary tar.

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <clocale>

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <filesystem>

#include "oci/digest.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/temp_dir.h"
#include "tests/unpack/test_archives.h"
#include "unpack/export.h"
#include "unpack/import.h"
#include "unpack/layer_unpacker.h"

namespace winsnap::unpack {
namespace {

using testing::PaxEntry;
using testing::WinDir;
using testing::WinFile;
using winsnap::testing::TempDir;

struct Flat {
  std::string name, link, digest;
  char type;
  int64_t size, mode, mtime;
  std::string uname;
  PaxRecords pax;
  bool operator==(const Flat&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Flat& f) {
  os << f.name << " type=" << f.type << " size=" << f.size << " link=" << f.link
     << " digest=" << f.digest.substr(0, 15) << " pax={";
  for (const auto& [k, v] : f.pax) os << k << "=" << v.substr(0, 20) << ";";
  return os << "}";
}

class StringSource final : public ChunkSource {
 public:
  explicit StringSource(const std::string& s) : s_(s) {}
  StatusOr<std::span<const uint8_t>> Next() override {
    if (done_) return std::span<const uint8_t>();
    done_ = true;
    return std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s_.data()),
                                    s_.size());
  }

 private:
  const std::string& s_;
  bool done_ = false;
};

std::vector<Flat> Entries(const std::string& tar) {
  StringSource src(tar);
  TarReader r(&src);
  std::vector<Flat> out;
  TarHeader h;
  for (;;) {
    auto more = r.Next(&h);
    EXPECT_OK(more);
    if (!more.ok() || !*more) break;
    std::string data;
    for (;;) {
      auto s = r.ReadData();
      EXPECT_OK(s);
      if (!s.ok() || s->empty()) break;
      data.append(reinterpret_cast<const char*>(s->data()), s->size());
    }
    Flat f{h.name,
           h.linkname,
           oci::Sha256Of(data),
           h.typeflag == kTypeRegA ? kTypeReg : h.typeflag,
           h.IsRegular() ? h.size : 0,
           h.mode,
           h.mtime,
           h.uname,
           h.pax};
    out.push_back(std::move(f));
  }
  return out;
}

std::string SparseIsh() {
  std::string s(8 << 20, '\0');
  for (size_t i = 0; i < s.size(); i += 1 << 20) s[i] = 'S';
  s.replace(3 << 20, 5, "hello");
  return s;
}

std::string RichLayer() {
  PaxEntry exe = WinFile("Files/Windows/System32/kernel32.dll", "MZ kernel");
  exe.h.pax.emplace_back("MSWINDOWS.xattr.$KERNEL.PURGE.ESBCACHE", "AAAAAAAA");
  exe.h.pax.emplace_back("mtime", "1650000001.25");
  exe.h.pax.emplace_back("atime", "1650000002.5");
  exe.h.uname = "TrustedInstaller";
  PaxEntry ads1 = WinFile("Files/Windows/System32/kernel32.dll:Zone.Identifier",
                          "[ZoneTransfer]\r\nZoneId=3\r\n");
  ads1.h.pax.clear();
  PaxEntry ads2 = WinFile("Files/Windows/System32/kernel32.dll:second", "");
  ads2.h.pax.clear();
  PaxEntry legacy = WinFile("Files/legacy-sd.txt", "sddl");
  legacy.h.pax = {{"MSWINDOWS.fileattr", "33"},
                  {"MSWINDOWS.sd", "O:BAG:SYD:(A;;FA;;;BA)"}};
  PaxEntry sym;
  sym.h.name = "Files/Windows/System32/rel-link";
  sym.h.typeflag = kTypeSymlink;
  sym.h.mode = 0120777;
  sym.h.linkname = "..\\notepad.exe";
  sym.h.pax = {{"MSWINDOWS.fileattr", "1056"}};
  PaxEntry junction;
  junction.h.name = "Files/Documents and Settings";
  junction.h.typeflag = kTypeSymlink;
  junction.h.linkname = "C:\\Users";
  junction.h.pax = {{"MSWINDOWS.fileattr", "9238"},
                    {"MSWINDOWS.mountpoint", "1"},
                    {"LIBARCHIVE.creationtime", "1600000000"}};
  PaxEntry hard;
  hard.h.name = "Files/Windows/notepad-link.exe";
  hard.h.typeflag = kTypeLink;
  hard.h.mode = 0644;
  hard.h.linkname = "Files/Windows/notepad.exe";
  PaxEntry wh;
  wh.h.name = "Files/Windows/.wh.removed.dll";
  PaxEntry opq;
  opq.h.name = "Files/ProgramData/.wh..wh..opq";
  const std::string long_name =
      "Files/Windows/WinSxS/amd64_microsoft-windows-a_31bf3856ad364e35_10.0."
      "20348.1_none_0123456789abcdef/" +
      std::string(60, 'x') + ".manifest";
  return testing::PaxTar(
      {WinDir("Files"),
       WinDir("Files/Windows"),
       WinDir("Files/Windows/System32"),
       exe,
       ads1,
       ads2,
       WinFile("Files/Windows/notepad.exe", "notepad"),
       hard,
       sym,
       junction,
       legacy,
       WinFile("Files/empty.txt", ""),
       WinFile("Files/Windows/big.bin", SparseIsh()),
       WinFile("Files/Windows/Ünïcödé ✓.txt", "utf8"),
       WinDir("Files/Windows/WinSxS"),
       WinDir("Files/Windows/WinSxS/"
              "amd64_microsoft-windows-a_31bf3856ad364e35_10.0."
              "20348.1_none_0123456789abcdef"),
       WinFile(long_name, "long"),
       wh,
       WinDir("Files/ProgramData"),
       opq,
       WinDir("Hives"),
       WinFile("Hives/Software_Delta", "regf-software"),
       WinDir("UtilityVM"),
       WinDir("UtilityVM/Files"),
       WinFile("UtilityVM/Files/EFI/Microsoft/Boot/BCD", "bcd")});
}

TEST(RoundTripTest, ImportThenExportReproducesEveryEntry) {
  TempDir tmp;
  const std::string original = RichLayer();
  testing::TestImage img;
  img.layer_tars = {original};
  auto built = testing::OciLayout(img);
  testing::WriteDir(tmp.Sub("oci"), built.files);
  snapshotter::Options o;
  o.root = tmp.Sub("root");
  ASSERT_OK_AND_ASSIGN(auto sn, snapshotter::Snapshotter::Open(o));
  Importer imp(sn.get());
  ImportOptions io;
  io.writer.sync = false;
  ASSERT_OK(imp.Import(tmp.Sub("oci"), io));
  ASSERT_OK_AND_ASSIGN(auto info, sn->Stat(built.chain_ids[0]));

  Exporter ex;
  ASSERT_OK(ex.ExportToFile(info.path, tmp.Sub("out.tar")));
  const std::string exported = testing::ReadWhole(tmp.Sub("out.tar"));
  auto want = Entries(original);
  auto got = Entries(exported);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i)
    EXPECT_EQ(got[i], want[i]) << "entry " << i;

  // An independent reader agrees on names, sizes and content.
  std::setlocale(LC_ALL, "C.UTF-8");  // libarchive converts names to it
  archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  ASSERT_EQ(archive_read_open_memory(a, exported.data(), exported.size()),
            ARCHIVE_OK);
  archive_entry* e;
  size_t i = 0;
  // (ARCHIVE_WARN: a UTF-8 name the C locale cannot represent.)
  for (int r; (r = archive_read_next_header(a, &e)) == ARCHIVE_OK ||
              r == ARCHIVE_WARN;) {
    ASSERT_LT(i, want.size());
    EXPECT_EQ(std::string(archive_entry_pathname_utf8(e)), want[i].name);
    if (want[i].type == kTypeReg) {
      std::string data(static_cast<size_t>(archive_entry_size(e)), '\0');
      if (!data.empty()) archive_read_data(a, data.data(), data.size());
      EXPECT_EQ(oci::Sha256Of(data), want[i].digest) << want[i].name;
    }
    ++i;
  }
  EXPECT_EQ(i, want.size());
  archive_read_free(a);
}

// Export of a folder without a sidecar (e.g. an active snapshot a container
// wrote): tree order, default attributes, overlay whiteouts as .wh. entries.
TEST(RoundTripTest, ExportWithoutSidecarWalksTheTree) {
  TempDir tmp;
  std::string dir = tmp.Sub("scratch");
  std::filesystem::create_directories(dir + "/Files/b");
  testing::WriteWhole(dir + "/Files/a.txt", "aaa");
  testing::WriteWhole(dir + "/Files/b/c.txt", "ccc");
  std::filesystem::create_hard_link(dir + "/Files/a.txt", dir + "/Files/b/hl");
  std::filesystem::create_symlink("a.txt", dir + "/Files/sl");
  bool whiteout =
      ::mknod((dir + "/Files/gone").c_str(), S_IFCHR | 0, makedev(0, 0)) == 0;
  StringSink sink;
  Exporter ex;
  ASSERT_OK(ex.Export(dir, &sink));
  auto got = Entries(sink.data());
  std::vector<std::string> names;
  for (const auto& f : got) names.push_back(f.name + ":" + f.type);
  std::vector<std::string> want{"Files:5", "Files/a.txt:0", "Files/b:5",
                                "Files/b/c.txt:0", "Files/b/hl:1"};
  if (whiteout) want.push_back("Files/.wh.gone:0");
  want.push_back("Files/sl:2");
  EXPECT_EQ(names, want);
  EXPECT_EQ(got[1].digest, oci::Sha256Of("aaa"));
  EXPECT_EQ(got[4].link, "Files/a.txt");
  ASSERT_NE(got[1].pax.size(), 0u);
  EXPECT_EQ(got[1].pax[0],
            (std::pair<std::string, std::string>{"MSWINDOWS.fileattr", "32"}));
}

}  // namespace
}  // namespace winsnap::unpack
