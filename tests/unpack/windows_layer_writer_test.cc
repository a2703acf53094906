// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// The Windows layer writer's logic on Linux: backup stream encoding against
// byte-exact vectors (written out by hand from the WIN32_STREAM_ID,
// FILE_FULL_EA_INFORMATION and REPARSE_DATA_BUFFER layouts), the decoder,
// and WindowsLayerWriter driven against a recording fake WinLayerApi that
// models a small filesystem (parents must exist, FILE_CREATE fails on an
// existing name), checking every call: a base layer, a non-base layer in
// the transport format, and the refusals.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "tests/testutil/status_matchers.h"
#include "unpack/backup_stream.h"
#include "unpack/backup_tar.h"
#include "unpack/tar_reader.h"
#include "unpack/tar_writer.h"
#include "unpack/windows_layer_reader.h"
#include "unpack/windows_layer_writer.h"

namespace winsnap::unpack {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using winsnap::testing::StatusIs;

std::string Bytes(std::initializer_list<int> b) {
  std::string s;
  for (int c : b) s.push_back(static_cast<char>(c));
  return s;
}
std::string U16(std::string_view ascii) {
  std::string s;
  for (char c : ascii) {
    s.push_back(c);
    s.push_back('\0');
  }
  return s;
}
std::string Hex(std::string_view s) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out.push_back(d[c >> 4]);
    out.push_back(d[c & 15]);
  }
  return out;
}

// ---- encoding vectors -------------------------------------------------------

TEST(BackupStreamTest, HeaderVectors) {
  ASSERT_OK_AND_ASSIGN(std::string h,
                       EncodeStreamHeader(BackupStreamId::kData, 5));
  EXPECT_EQ(Hex(h),
            "01000000"          // BACKUP_DATA
            "00000000"          // attributes
            "0500000000000000"  // Size
            "00000000");        // name bytes
  ASSERT_OK_AND_ASSIGN(h, EncodeStreamHeader(BackupStreamId::kAlternateData,
                                             0x123456789, ":s:$DATA"));
  EXPECT_EQ(Hex(h),
            "04000000"
            "00000000"
            "8967452301000000"
            "10000000" +
                Hex(U16(":s:$DATA")));
  ASSERT_OK_AND_ASSIGN(h, EncodeStreamHeader(BackupStreamId::kSecurityData, 20,
                                             "", kStreamContainsSecurity));
  EXPECT_EQ(Hex(h),
            "03000000"
            "02000000"
            "1400000000000000"
            "00000000");
  // Non-ASCII names are UTF-16LE (U+00E9, and U+1F600 as a surrogate pair).
  ASSERT_OK_AND_ASSIGN(h, EncodeStreamHeader(BackupStreamId::kAlternateData, 0,
                                             ":\xc3\xa9\xf0\x9f\x98\x80"));
  EXPECT_EQ(Hex(h.substr(16)),
            "08000000"
            "3a00"
            "e900"
            "3dd8"
            "00de");
  EXPECT_THAT(EncodeStreamHeader(BackupStreamId::kData, -1),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_EQ(static_cast<int>(BackupStreamId::kEaData), 2);
  EXPECT_EQ(static_cast<int>(BackupStreamId::kLink), 5);
  EXPECT_EQ(static_cast<int>(BackupStreamId::kReparseData), 8);
  EXPECT_EQ(static_cast<int>(BackupStreamId::kSparseBlock), 9);
}

TEST(BackupStreamTest, ExtendedAttributeVector) {
  ASSERT_OK_AND_ASSIGN(std::string ea,
                       EncodeExtendedAttributes({{"AB", "xyz"}, {"C", "1"}}));
  // Entry 1: 8 + "AB" + NUL + "xyz" = 14 bytes, padded to 16.
  // Entry 2 (last): 8 + "C" + NUL + "1" = 11 bytes, no padding.
  EXPECT_EQ(Hex(ea),
            "10000000"
            "00"
            "02"
            "0300"
            "4142"
            "00"
            "78797a"
            "0000"
            "00000000"
            "00"
            "01"
            "0100"
            "43"
            "00"
            "31");
  EXPECT_THAT(EncodeExtendedAttributes({{std::string(256, 'n'), ""}}),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(EncodeExtendedAttributes({{"n", std::string(65536, 'v')}}),
              StatusIs(StatusCode::kInvalidArgument));
}

TEST(BackupStreamTest, ReparsePointVectors) {
  // Relative symlink "a\b": substitute = print = "a\b" (6 bytes each),
  // ReparseDataLength = 8 + 4 (flags) + (6+2) + (6+2) = 28.
  ASSERT_OK_AND_ASSIGN(std::string rp, EncodeReparsePoint("a\\b", false));
  EXPECT_EQ(Hex(rp),
            "0c0000a0"
            "1c00"
            "0000"
            "0000"
            "0600"
            "0800"
            "0600"
            "01000000" +
                Hex(U16("a\\b")) + "0000" + Hex(U16("a\\b")) + "0000");
  // Junction to C:\x: substitute "\??\C:\x" (16 bytes), print "C:\x" (8),
  // no flags: 8 + 18 + 10 = 36.
  ASSERT_OK_AND_ASSIGN(rp, EncodeReparsePoint("C:\\x", true));
  EXPECT_EQ(Hex(rp),
            "030000a0"
            "2400"
            "0000"
            "0000"
            "1000"
            "1200"
            "0800" +
                Hex(U16("\\??\\C:\\x")) + "0000" + Hex(U16("C:\\x")) + "0000");
  // Absolute symlink: flags 0, NT form for the substitute name.
  ASSERT_OK_AND_ASSIGN(rp, EncodeReparsePoint("D:\\y", false));
  EXPECT_EQ(Hex(rp.substr(16, 4)), "00000000");
  ASSERT_OK_AND_ASSIGN(rp, EncodeReparsePoint("\\\\srv\\s", false));
  EXPECT_NE(rp.find(U16("\\??\\UNC\\srv\\s")), std::string::npos);
}

class Collect : public BackupStreamDecoder::Visitor {
 public:
  Status OnHeader(const BackupStreamDecoder::Header& h) override {
    out.push_back(std::to_string(static_cast<int>(h.id)) + "/" +
                  std::to_string(h.size) + "/" + h.name + ":");
    return OkStatus();
  }
  Status OnData(std::span<const uint8_t> d) override {
    out.back().append(reinterpret_cast<const char*>(d.data()), d.size());
    return OkStatus();
  }
  std::vector<std::string> out;
};

TEST(BackupStreamTest, DecoderReadsWhatWasEncodedInAnyChunking) {
  std::string s;
  s += *EncodeStreamHeader(BackupStreamId::kSecurityData, 3) + "sd!";
  s += *EncodeStreamHeader(BackupStreamId::kData, 5) + "hello";
  s += *EncodeStreamHeader(BackupStreamId::kAlternateData, 0, ":e:$DATA");
  s +=
      *EncodeStreamHeader(BackupStreamId::kAlternateData, 2, ":z:$DATA") + "zz";
  for (size_t chunk : {size_t{1}, size_t{7}, s.size()}) {
    Collect c;
    BackupStreamDecoder d(&c);
    for (size_t i = 0; i < s.size(); i += chunk) {
      auto part = std::string_view(s).substr(i, chunk);
      ASSERT_OK(d.Feed(std::span<const uint8_t>(
          reinterpret_cast<const uint8_t*>(part.data()), part.size())));
    }
    ASSERT_OK(d.Finish());
    EXPECT_EQ(c.out,
              (std::vector<std::string>{"3/3/:sd!", "1/5/:hello",
                                        "4/0/:e:$DATA:", "4/2/:z:$DATA:zz"}));
  }
  Collect c;
  BackupStreamDecoder d(&c);
  std::string cut = s.substr(0, s.size() - 1);
  ASSERT_OK(d.Feed(std::span<const uint8_t>(
      reinterpret_cast<const uint8_t*>(cut.data()), cut.size())));
  EXPECT_THAT(d.Finish(), StatusIs(StatusCode::kDataLoss));
}

// ---- the recording fake -----------------------------------------------------

class FakeWinLayerApi final : public WinLayerApi {
 public:
  struct Node {
    bool dir = false;
    uint32_t attrs = 0;
    std::string content;
    FileBasicInfo info;
  };

  // Guards everything: the parallel writer calls from several threads.
  mutable std::recursive_mutex mu;
  std::vector<std::string> calls;
  std::map<std::string, Node> fs;
  std::map<std::string, std::string> closed;  // content when last closed
  Status fail_process_base;
  // The transport folder each ImportLayer consumed (relative path -> node),
  // which the fake's ExportLayer hands back; and a tombstones.txt for it.
  std::map<std::string, std::map<std::string, Node>> imported;
  std::string export_tombstones;

  void AddDir(const std::string& p, uint32_t attrs = kFileAttributeDirectory) {
    fs[p] = Node{true, attrs, "", {}};
  }
  void AddFile(const std::string& p, std::string content = "") {
    fs[p] = Node{false, kFileAttributeArchive, std::move(content), {}};
  }
  static std::string Parent(const std::string& p) {
    return p.substr(0, p.rfind('\\'));
  }
  bool Has(const std::string& p) const { return fs.count(p) > 0; }
  void Log(std::string s) {
    std::lock_guard<std::recursive_mutex> g(mu);
    calls.push_back(std::move(s));
  }
  // The calls whose text starts with "prefix".
  std::vector<std::string> Calls(std::string_view prefix) const {
    std::vector<std::string> out;
    for (const auto& c : calls)
      if (c.compare(0, prefix.size(), prefix) == 0) out.push_back(c);
    return out;
  }
  size_t LastIndex(const std::string& call) const {
    auto it = std::find(calls.rbegin(), calls.rend(), call);
    EXPECT_NE(it, calls.rend()) << call;
    return static_cast<size_t>(calls.rend() - it) - 1;
  }
  size_t Index(const std::string& call) const {
    auto it = std::find(calls.begin(), calls.end(), call);
    EXPECT_NE(it, calls.end()) << call;
    return static_cast<size_t>(it - calls.begin());
  }

  class File final : public WinFile {
   public:
    File(FakeWinLayerApi* api, std::string path) : api_(api), path_(path) {}
    Status Write(std::span<const uint8_t> b) override {
      std::lock_guard<std::recursive_mutex> g(api_->mu);
      api_->fs[path_].content.append(reinterpret_cast<const char*>(b.data()),
                                     b.size());
      return OkStatus();
    }
    Status SetBasicInfo(const FileBasicInfo& i) override {
      std::lock_guard<std::recursive_mutex> g(api_->mu);
      api_->Log("SetBasicInfo " + path_ +
                " attrs=" + std::to_string(i.file_attributes) +
                " mtime=" + std::to_string(i.last_write_time));
      api_->fs[path_].info = i;
      if (i.file_attributes) api_->fs[path_].attrs = i.file_attributes;
      return OkStatus();
    }
    Status Close() override {
      std::lock_guard<std::recursive_mutex> g(api_->mu);
      api_->Log("Close " + path_);
      api_->closed[path_] = api_->fs[path_].content;
      return OkStatus();
    }

   private:
    FakeWinLayerApi* api_;
    std::string path_;
  };
  class Reader final : public WinFileReader {
   public:
    Reader(const Node& n) : n_(n) {}
    StatusOr<FileBasicInfo> GetBasicInfo() override { return n_.info; }
    StatusOr<size_t> Read(uint8_t* buf, size_t n) override {
      size_t take = std::min(n, n_.content.size() - pos_);
      std::copy_n(n_.content.data() + pos_, take, buf);
      pos_ += take;
      return take;
    }
    Status Close() override { return OkStatus(); }

   private:
    Node n_;
    size_t pos_ = 0;
  };

  Status EnablePrivileges(const std::vector<std::string>& names) override {
    std::lock_guard<std::recursive_mutex> g(mu);
    std::string s = "EnablePrivileges";
    for (const auto& n : names) s += " " + n;
    Log(s);
    return OkStatus();
  }
  StatusOr<std::unique_ptr<WinFile>> CreateFile(
      const std::string& path, const CreateOptions& o) override {
    std::lock_guard<std::recursive_mutex> g(mu);
    const char* disp[] = {"new", "open", "overwrite"};
    const char* mode[] = {"backup", "backup-nosd", "raw"};
    Log("CreateFile " + path + " " + disp[static_cast<int>(o.disposition)] +
        (o.directory ? " dir " : " file ") + mode[static_cast<int>(o.mode)]);
    if (!Has(Parent(path)) || !fs[Parent(path)].dir)
      return NotFoundError("parent of " + path + " missing");
    if (o.disposition == CreateDisposition::kCreateNew && Has(path))
      return AlreadyExistsError(path + " exists");
    if (o.disposition == CreateDisposition::kOpenExisting && !Has(path))
      return NotFoundError(path + " missing");
    if (o.disposition != CreateDisposition::kOpenExisting)
      fs[path] =
          Node{o.directory,
               o.directory ? kFileAttributeDirectory : kFileAttributeArchive,
               "",
               {}};
    return std::unique_ptr<WinFile>(new File(this, path));
  }
  StatusOr<std::unique_ptr<WinFileReader>> OpenForBackupRead(
      const std::string& path) override {
    std::lock_guard<std::recursive_mutex> g(mu);
    Log("OpenForBackupRead " + path);
    if (!Has(path)) return NotFoundError(path);
    return std::unique_ptr<WinFileReader>(new Reader(fs[path]));
  }
  StatusOr<std::unique_ptr<WinFileReader>> OpenForRead(
      const std::string& path) override {
    std::lock_guard<std::recursive_mutex> g(mu);
    Log("OpenForRead " + path);
    if (!Has(path)) return NotFoundError(path);
    return std::unique_ptr<WinFileReader>(new Reader(fs[path]));
  }
  Status ExportLayer(const std::string& layer, const std::string& folder,
                     const std::vector<std::string>& parents) override {
    std::lock_guard<std::recursive_mutex> g(mu);
    std::string s = "ExportLayer " + layer + " " + folder;
    for (const auto& p : parents) s += " " + p;
    Log(s);
    for (const auto& [rel, n] : imported[layer]) fs[folder + rel] = n;
    if (!export_tombstones.empty())
      AddFile(folder + "\\tombstones.txt", export_tombstones);
    return OkStatus();
  }
  Status SetFileBasicInfo(const std::string& path,
                          const FileBasicInfo& i) override {
    std::lock_guard<std::recursive_mutex> g(mu);
    Log("SetFileBasicInfo " + path +
        " mtime=" + std::to_string(i.last_write_time));
    if (!Has(path)) return NotFoundError(path);
    fs[path].info = i;
    return OkStatus();
  }
  Status CreateDirectory(const std::string& path) override {
    std::lock_guard<std::recursive_mutex> g(mu);
    Log("CreateDirectory " + path);
    if (!Has(Parent(path))) return NotFoundError("parent of " + path);
    if (Has(path)) return AlreadyExistsError(path);
    AddDir(path);
    return OkStatus();
  }
  Status CreateHardLink(const std::string& link,
                        const std::string& existing) override {
    std::lock_guard<std::recursive_mutex> g(mu);
    Log("CreateHardLink " + link + " -> " + existing);
    if (!Has(existing)) return NotFoundError(existing);
    fs[link] = fs[existing];
    return OkStatus();
  }
  Status Remove(const std::string& path) override {
    std::lock_guard<std::recursive_mutex> g(mu);
    Log("Remove " + path);
    if (!Has(path)) return NotFoundError(path);
    fs.erase(path);
    return OkStatus();
  }
  Status RemoveAll(const std::string& path) override {
    std::lock_guard<std::recursive_mutex> g(mu);
    Log("RemoveAll " + path);
    for (auto it = fs.begin(); it != fs.end();) {
      if (it->first == path || it->first.rfind(path + "\\", 0) == 0) {
        it = fs.erase(it);
      } else {
        ++it;
      }
    }
    return OkStatus();
  }
  StatusOr<std::optional<uint32_t>> GetFileAttributes(
      const std::string& path) override {
    std::lock_guard<std::recursive_mutex> g(mu);
    if (!Has(path)) return std::optional<uint32_t>();
    return std::optional<uint32_t>(fs[path].attrs);
  }
  StatusOr<std::vector<WinTreeEntry>> ListTree(
      const std::string& path) override {
    std::lock_guard<std::recursive_mutex> g(mu);
    Log("ListTree " + path);
    std::vector<WinTreeEntry> out;  // std::map order is pre-order here
    for (const auto& [p, n] : fs)
      if (p.rfind(path + "\\", 0) == 0)
        out.push_back({p.substr(path.size() + 1), n.attrs});
    return out;
  }
  StatusOr<std::string> SddlToSecurityDescriptor(
      const std::string& sddl) override {
    std::lock_guard<std::recursive_mutex> g(mu);
    Log("SddlToSecurityDescriptor " + sddl);
    return "SD(" + sddl + ")";
  }
  StatusOr<std::string> CreateTempDirectory() override {
    std::lock_guard<std::recursive_mutex> g(mu);
    Log("CreateTempDirectory");
    AddDir("T:\\hcs1");
    return std::string("T:\\hcs1");
  }
  Status ProcessBaseImage(const std::string& layer) override {
    std::lock_guard<std::recursive_mutex> g(mu);
    Log("ProcessBaseImage " + layer);
    return fail_process_base;
  }
  Status ProcessUtilityImage(const std::string& uvm) override {
    std::lock_guard<std::recursive_mutex> g(mu);
    Log("ProcessUtilityImage " + uvm);
    return OkStatus();
  }
  Status ImportLayer(const std::string& layer, const std::string& folder,
                     const std::vector<std::string>& parents) override {
    std::lock_guard<std::recursive_mutex> g(mu);
    std::string s = "ImportLayer " + layer + " " + folder;
    for (const auto& p : parents) s += " " + p;
    Log(s);
    // What ImportLayer does with the transport folder is the platform's;
    // model it as making Files\ and Hives\ appear in the layer.
    for (const auto& [p, n] : std::map<std::string, Node>(fs))
      if (p.rfind(folder + "\\", 0) == 0)
        imported[layer][p.substr(folder.size())] = n;
    for (const auto& [p, n] : std::map<std::string, Node>(fs))
      if (p.rfind(folder + "\\", 0) == 0 &&
          p.find(".$wcidirs$") == std::string::npos)
        fs[layer + p.substr(folder.size())] = n;
    return OkStatus();
  }
};

// ---- entries ----------------------------------------------------------------

struct Entry {
  TarHeader h;
  std::string data;
};
class StringData final : public EntryData {
 public:
  explicit StringData(const std::string& s) : s_(s) {}
  StatusOr<std::span<const uint8_t>> Next() override {
    if (done_) return std::span<const uint8_t>();
    done_ = true;
    if (s_.empty()) return std::span<const uint8_t>();
    return std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s_.data()),
                                    s_.size());
  }

 private:
  const std::string& s_;
  bool done_ = false;
};

Entry Dir(const std::string& name, const std::string& attrs = "16") {
  Entry e;
  e.h.name = name;
  e.h.typeflag = kTypeDir;
  e.h.mtime = 100;
  e.h.pax = {{"MSWINDOWS.fileattr", attrs}};
  return e;
}
Entry File(const std::string& name, const std::string& data,
           PaxRecords pax = {{"MSWINDOWS.fileattr", "32"}}) {
  Entry e;
  e.h.name = name;
  e.h.typeflag = kTypeReg;
  e.h.size = static_cast<int64_t>(data.size());
  e.h.mtime = 200;
  e.h.pax = std::move(pax);
  e.data = data;
  return e;
}
Entry Special(const std::string& name, char type, const std::string& link,
              PaxRecords pax = {}) {
  Entry e;
  e.h.name = name;
  e.h.typeflag = type;
  e.h.linkname = link;
  e.h.mtime = 300;
  e.h.pax = std::move(pax);
  return e;
}

Status AddAll(LayerWriter* w, const std::vector<Entry>& entries) {
  for (const auto& e : entries) {
    StringData d(e.data);
    WINSNAP_RETURN_IF_ERROR(w->Add(e.h, &d));
  }
  return OkStatus();
}

std::string Stream(BackupStreamId id, const std::string& data,
                   const std::string& name = "") {
  return *EncodeStreamHeader(id, static_cast<int64_t>(data.size()), name) +
         data;
}

const int64_t kT100 = UnixToFiletime(100, 0);
const int64_t kT200 = UnixToFiletime(200, 0);

// ---- base layer
// ---------------------------------------------------------------

TEST(WindowsLayerWriterTest, BaseLayerIsWrittenStraightIntoTheFolder) {
  FakeWinLayerApi api;
  api.AddDir("C:\\s\\7");
  ASSERT_OK_AND_ASSIGN(auto w,
                       NewWindowsLayerWriter(&api, "C:\\s\\7", {}, {}, 1));
  const std::string rawsd("\x01\x00\x04\x80", 4);
  ASSERT_OK(AddAll(
      w.get(),
      {Dir("Files"),
       File("Files/a.txt", "hello",
            {{"MSWINDOWS.fileattr", "33"},
             {"MSWINDOWS.rawsd", "AQAEgA=="},
             {"MSWINDOWS.xattr.K", "dg=="}}),
       File("Files/a.txt:zone", "ads"),
       File("Files/legacy.txt", "", {{"MSWINDOWS.sd", "O:BA"}}),
       Special("Files/l", kTypeSymlink, "a.txt",
               {{"MSWINDOWS.fileattr", "1056"}}),
       Special("Files/j", kTypeSymlink, "C:/Windows",
               {{"MSWINDOWS.fileattr", "1040"}, {"MSWINDOWS.mountpoint", "1"}}),
       Special("Files/h", kTypeLink, "Files/a.txt"), Dir("UtilityVM"),
       Dir("UtilityVM/Files"), Dir("UtilityVM/Files/EFI"),
       Dir("UtilityVM/Files/EFI/Microsoft"),
       Dir("UtilityVM/Files/EFI/Microsoft/Boot"),
       File("UtilityVM/Files/EFI/Microsoft/Boot/BCD", "bcd")}));
  ASSERT_OK_AND_ASSIGN(LayerStats st, w->Finish());
  EXPECT_EQ(st.files, 3);
  EXPECT_EQ(st.dirs, 6);
  EXPECT_EQ(st.symlinks, 2);
  EXPECT_EQ(st.hardlinks, 1);
  EXPECT_EQ(st.streams, 1);
  EXPECT_EQ(st.bytes, 5 + 3 + 3);

  // The streams of a.txt: security, EA, data, then the ADS.
  EXPECT_EQ(api.fs["C:\\s\\7\\Files\\a.txt"].content,
            Stream(BackupStreamId::kSecurityData, rawsd) +
                Stream(BackupStreamId::kEaData,
                       *EncodeExtendedAttributes({{"K", "v"}})) +
                Stream(BackupStreamId::kData, "hello") +
                Stream(BackupStreamId::kAlternateData, "ads", ":zone:$DATA"));
  EXPECT_EQ(api.fs["C:\\s\\7\\Files\\legacy.txt"].content,
            Stream(BackupStreamId::kSecurityData, "SD(O:BA)") +
                Stream(BackupStreamId::kData, ""));
  EXPECT_EQ(api.fs["C:\\s\\7\\Files\\l"].content,
            Stream(BackupStreamId::kReparseData,
                   *EncodeReparsePoint("a.txt", false)));
  EXPECT_EQ(api.fs["C:\\s\\7\\Files\\j"].content,
            Stream(BackupStreamId::kReparseData,
                   *EncodeReparsePoint("C:\\Windows", true)));
  EXPECT_EQ(api.fs["C:\\s\\7\\Files"].content, "");  // a dir without records
  // The pristine BCD copy gets the same stream, without security.
  EXPECT_EQ(api.fs["C:\\s\\7\\bcd.bak"].content,
            Stream(BackupStreamId::kData, "bcd"));

  std::vector<std::string> expect = {
      "EnablePrivileges SeBackupPrivilege SeRestorePrivilege",
      "CreateFile C:\\s\\7\\Files new dir backup",
      "SetBasicInfo C:\\s\\7\\Files attrs=16 mtime=" + std::to_string(kT100),
      "Close C:\\s\\7\\Files",
      "CreateFile C:\\s\\7\\Files\\a.txt new file backup",
      "SetBasicInfo C:\\s\\7\\Files\\a.txt attrs=33 mtime=" +
          std::to_string(kT200),
      "Close C:\\s\\7\\Files\\a.txt",
      "SddlToSecurityDescriptor O:BA",
  };
  ASSERT_GE(api.calls.size(), expect.size());
  // (CreateFile of legacy.txt precedes the SDDL conversion.)
  EXPECT_EQ(std::vector<std::string>(api.calls.begin(), api.calls.begin() + 7),
            std::vector<std::string>(expect.begin(), expect.begin() + 7));
  EXPECT_EQ(api.calls[8], expect[7]);
  EXPECT_LT(api.Index("CreateFile C:\\s\\7\\Files\\j new dir backup"),
            api.Index("CreateHardLink C:\\s\\7\\Files\\h -> "
                      "C:\\s\\7\\Files\\a.txt"));
  EXPECT_LT(api.Index("CreateFile C:\\s\\7\\UtilityVM\\Files\\EFI\\Microsoft\\"
                      "Boot\\BCD new file backup"),
            api.Index("CreateFile C:\\s\\7\\bcd.bak overwrite file "
                      "backup-nosd"));
  // At the end: directory times children first, then the platform calls.
  auto tail = std::vector<std::string>(api.calls.end() - 9, api.calls.end());
  EXPECT_EQ(
      tail,
      (std::vector<std::string>{
          "SetFileBasicInfo C:\\s\\7\\UtilityVM\\Files\\EFI\\Microsoft\\"
          "Boot mtime=" +
              std::to_string(kT100),
          "SetFileBasicInfo C:\\s\\7\\UtilityVM\\Files\\EFI\\Microsoft "
          "mtime=" +
              std::to_string(kT100),
          "SetFileBasicInfo C:\\s\\7\\UtilityVM\\Files\\EFI mtime=" +
              std::to_string(kT100),
          "SetFileBasicInfo C:\\s\\7\\UtilityVM\\Files mtime=" +
              std::to_string(kT100),
          "SetFileBasicInfo C:\\s\\7\\UtilityVM mtime=" + std::to_string(kT100),
          "SetFileBasicInfo C:\\s\\7\\Files\\j mtime=" +
              std::to_string(UnixToFiletime(300, 0)),
          "SetFileBasicInfo C:\\s\\7\\Files mtime=" + std::to_string(kT100),
          "ProcessBaseImage C:\\s\\7",
          "ProcessUtilityImage C:\\s\\7\\UtilityVM"}));
}

// What the writer hands BackupWrite, read back by the export encoder, is the
// entry it came from (metadata records, data, streams).
TEST(WindowsLayerWriterTest, WrittenStreamsExportBackToTheSameEntry) {
  FakeWinLayerApi api;
  api.AddDir("C:\\l");
  ASSERT_OK_AND_ASSIGN(auto w, NewWindowsLayerWriter(&api, "C:\\l", {}, {}, 1));
  PaxRecords pax = {{"LIBARCHIVE.creationtime", "1650000000.5"},
                    {"MSWINDOWS.fileattr", "33"},
                    {"MSWINDOWS.rawsd", "AQAEgA=="},
                    {"MSWINDOWS.xattr.K", "dg=="},
                    {"atime", "1650000002.25"}};
  ASSERT_OK(AddAll(w.get(), {Dir("Files"), File("Files/a.txt", "hello", pax),
                             File("Files/a.txt:zone", "ads")}));
  ASSERT_OK(w->Finish().status());
  const auto& node = api.fs["C:\\l\\Files\\a.txt"];
  StringSink sink;
  TarWriter tw(&sink);
  BackupTarEncoder enc(&tw, "Files/a.txt", node.info);
  ASSERT_OK(enc.Feed(std::span<const uint8_t>(
      reinterpret_cast<const uint8_t*>(node.content.data()),
      node.content.size())));
  ASSERT_OK(enc.Finish());
  ASSERT_OK(tw.Close());
  // The exported tar is the same as a tar of the original entries.
  StringSink want_sink;
  TarWriter want(&want_sink);
  TarHeader h = File("Files/a.txt", "hello", pax).h;
  h.mode = 0100000;
  ASSERT_OK(want.WriteHeader(h));
  ASSERT_OK(want.WriteData("hello", 5));
  TarHeader a = File("Files/a.txt:zone", "ads").h;
  a.pax.clear();
  a.mode = 0100000;
  ASSERT_OK(want.WriteHeader(a));
  ASSERT_OK(want.WriteData("ads", 3));
  ASSERT_OK(want.Close());
  EXPECT_EQ(Hex(sink.data()), Hex(want_sink.data()));
}

TEST(WindowsLayerWriterTest, BaseLayerRefusals) {
  struct Case {
    std::vector<Entry> entries;
    std::string why;
  } cases[] = {
      {{Dir("Files"), File("Files/.wh.x", "")}, "cannot have tombstones"},
      {{Dir("Files"), File("Files/a", "a"), File("Files/b:s", "s")},
       "does not follow"},
      {{Dir("Files"), Special("Files/d", kTypeChar, "")}, "device"},
      {{Dir("Files"), Special("Files/l", kTypeSymlink, "../../x")}, "Files/l"},
      {{Dir("Files"), File("Files/../x", "")}, "Files/../x"},
      {{File("Files/nodir/a", "")}, "Files/nodir/a"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.why);
    FakeWinLayerApi api;
    api.AddDir("C:\\l");
    ASSERT_OK_AND_ASSIGN(auto w,
                         NewWindowsLayerWriter(&api, "C:\\l", {}, {}, 1));
    Status s = AddAll(w.get(), c.entries);
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.message().find(c.why), std::string::npos) << s;
  }
  // A platform failure at the end is the writer's failure.
  FakeWinLayerApi api;
  api.AddDir("C:\\l");
  api.fail_process_base = FailedPreconditionError(
      "vmcompute.dll is not available (ProcessBaseImage)");
  ASSERT_OK_AND_ASSIGN(auto w, NewWindowsLayerWriter(&api, "C:\\l", {}, {}, 1));
  ASSERT_OK(AddAll(w.get(), {Dir("Files")}));
  EXPECT_THAT(w->Finish(),
              StatusIs(StatusCode::kFailedPrecondition, "vmcompute.dll"));
}

// Every node strictly below "dir".
std::vector<std::string> Below(const FakeWinLayerApi& api,
                               const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& [p, n] : api.fs)
    if (p.rfind(dir + "\\", 0) == 0) out.push_back(p);
  return out;
}

// A failed layer leaves its folder empty (the importer then deletes the
// folder itself); a finished one keeps what it wrote.
TEST(WindowsLayerWriterTest, AFailedLayerLeavesItsFolderEmpty) {
  for (int threads : {1, 4}) {
    SCOPED_TRACE(threads);
    {  // base layer, the platform call at the end fails
      FakeWinLayerApi api;
      api.AddDir("C:\\l");
      api.fail_process_base = FailedPreconditionError(
          "vmcompute.dll cannot be loaded (ProcessBaseImage)");
      ASSERT_OK_AND_ASSIGN(
          auto w, NewWindowsLayerWriter(&api, "C:\\l", {}, {}, threads));
      ASSERT_OK(
          AddAll(w.get(), {Dir("Files"), Dir("Files/d"),
                           File("Files/d/a", "aaa"), File("Files/b", "")}));
      EXPECT_FALSE(w->Finish().ok());
      w.reset();
      EXPECT_THAT(Below(api, "C:\\l"), IsEmpty());
      EXPECT_TRUE(api.Has("C:\\l"));
    }
    {  // base layer, an entry fails half-way
      FakeWinLayerApi api;
      api.AddDir("C:\\l");
      ASSERT_OK_AND_ASSIGN(
          auto w, NewWindowsLayerWriter(&api, "C:\\l", {}, {}, threads));
      EXPECT_FALSE(AddAll(w.get(), {Dir("Files"), File("Files/a", "a"),
                                    File("Files/.wh.x", "")})
                       .ok());
      w.reset();
      EXPECT_THAT(Below(api, "C:\\l"), IsEmpty());
    }
    {  // delta layer: the UtilityVM clone and the transport folder go too
      FakeWinLayerApi api;
      api.AddDir("C:\\p");
      api.AddDir("C:\\p\\UtilityVM");
      api.AddDir("C:\\p\\UtilityVM\\Files");
      api.AddFile("C:\\p\\UtilityVM\\Files\\f", "uvm");
      api.AddDir("C:\\l");
      ASSERT_OK_AND_ASSIGN(
          auto w, NewWindowsLayerWriter(&api, "C:\\l", {"C:\\p"}, {}, threads));
      EXPECT_FALSE(AddAll(w.get(), {Dir("UtilityVM"), Dir("Hives"),
                                    File("Hives/.wh.x", "")})
                       .ok());
      EXPECT_TRUE(api.Has("C:\\l\\UtilityVM\\Files\\f"));  // cloned
      w.reset();
      EXPECT_THAT(Below(api, "C:\\l"), IsEmpty());
      EXPECT_FALSE(api.Has("T:\\hcs1"));
      EXPECT_TRUE(api.Has("C:\\p\\UtilityVM\\Files\\f"));  // parent kept
    }
    {  // success: nothing removed
      FakeWinLayerApi api;
      api.AddDir("C:\\l");
      ASSERT_OK_AND_ASSIGN(
          auto w, NewWindowsLayerWriter(&api, "C:\\l", {}, {}, threads));
      ASSERT_OK(AddAll(w.get(), {Dir("Files"), File("Files/a", "a")}));
      ASSERT_OK(w->Finish().status());
      w.reset();
      EXPECT_THAT(Below(api, "C:\\l"),
                  ElementsAre("C:\\l\\Files", "C:\\l\\Files\\a"));
    }
  }
}

// ---- non-base layer -------------------------------------------------------

TEST(WindowsLayerWriterTest, DeltaLayerGoesThroughTheTransportFormat) {
  FakeWinLayerApi api;
  api.AddDir("C:\\s\\3");  // nearest parent
  api.AddDir("C:\\s\\1");  // base
  api.AddDir("C:\\s\\1\\Files");
  api.AddFile("C:\\s\\1\\Files\\parent.dll", "p");
  api.AddDir("C:\\s\\3\\UtilityVM");
  api.AddDir("C:\\s\\3\\UtilityVM\\Files");
  api.AddDir("C:\\s\\3\\UtilityVM\\Files\\EFI");
  api.AddFile("C:\\s\\3\\UtilityVM\\Files\\EFI\\boot.efi", "efi");
  api.AddFile("C:\\s\\3\\UtilityVM\\Files\\gone.txt", "g");
  api.AddDir("C:\\s\\3\\UtilityVM\\Files\\link",
             kFileAttributeDirectory | kFileAttributeReparsePoint);
  api.AddDir("C:\\s\\9");
  ASSERT_OK_AND_ASSIGN(
      auto w,
      NewWindowsLayerWriter(&api, "C:\\s\\9", {"C:\\s\\3", "C:\\s\\1"}, {}, 1));
  ASSERT_OK(AddAll(
      w.get(), {Dir("Files"),
                File("Files/new.txt", "new", {{"MSWINDOWS.fileattr", "33"}}),
                Dir("Files/sub"),
                Special("Files/dlink", kTypeSymlink, "sub",
                        {{"MSWINDOWS.fileattr", "1040"}}),
                File("Files/.wh.old.txt", ""),
                Special("Files/h", kTypeLink, "Files/parent.dll"),
                Special("Files/h2", kTypeLink, "Files/new.txt"), Dir("Hives"),
                File("Hives/System_Delta", "regf"), Dir("UtilityVM"),
                Dir("UtilityVM/Files"), File("UtilityVM/Files/x.txt", "x"),
                File("UtilityVM/Files/.wh.gone.txt", "")}));
  ASSERT_OK_AND_ASSIGN(LayerStats st, w->Finish());
  EXPECT_EQ(st.whiteouts, 2);
  EXPECT_EQ(st.hardlinks, 2);

  // Transport files: 4-byte attributes + backup stream.
  EXPECT_EQ(api.Calls("CreateTempDirectory").size(), 1u);
  EXPECT_GE(api.Index("CreateFile T:\\hcs1\\Files\\new.txt new file raw"), 0u);
  EXPECT_GE(api.Index("CreateDirectory T:\\hcs1\\Files\\sub"), 0u);
  EXPECT_GE(api.Index("CreateFile T:\\hcs1\\Files\\sub.$wcidirs$ new file raw"),
            0u);
  EXPECT_GE(api.Index("CreateFile T:\\hcs1\\Hives\\System_Delta new file "
                      "backup-nosd"),
            0u);
  // Transport files get their times with attributes 0.
  EXPECT_GE(api.Index("SetBasicInfo T:\\hcs1\\Files\\new.txt attrs=0 mtime=" +
                      std::to_string(kT200)),
            0u);
  // The directory link's placeholder is removed, then re-made before import.
  size_t made = api.Index("CreateDirectory T:\\hcs1\\Files\\dlink");
  size_t rm = api.Index("Remove T:\\hcs1\\Files\\dlink");
  size_t remake = api.LastIndex("CreateDirectory T:\\hcs1\\Files\\dlink");
  EXPECT_LT(made, rm);
  EXPECT_LT(rm, remake);
  // The UtilityVM is cloned from the nearest parent: directories and reparse
  // points copied, files linked.
  EXPECT_GE(api.Index("CreateDirectory C:\\s\\9\\UtilityVM"), 0u);
  EXPECT_GE(api.Index("OpenForBackupRead C:\\s\\3\\UtilityVM\\Files\\EFI"), 0u);
  EXPECT_GE(api.Index("OpenForBackupRead C:\\s\\3\\UtilityVM\\Files\\link"),
            0u);
  EXPECT_GE(
      api.Index("CreateHardLink C:\\s\\9\\UtilityVM\\Files\\EFI\\boot.efi "
                "-> C:\\s\\3\\UtilityVM\\Files\\EFI\\boot.efi"),
      0u);
  // UtilityVM entries go straight into the layer; its whiteouts at once.
  size_t x = api.Index(
      "CreateFile C:\\s\\9\\UtilityVM\\Files\\x.txt new file "
      "backup");
  size_t gone = api.Index("RemoveAll C:\\s\\9\\UtilityVM\\Files\\gone.txt");
  size_t import = api.Index("ImportLayer C:\\s\\9 T:\\hcs1 C:\\s\\3 C:\\s\\1");
  EXPECT_LT(x, import);
  EXPECT_LT(gone, import);
  EXPECT_LT(remake, import);
  // After the import: tombstones, then links, then directory times, then the
  // UtilityVM, then the transport folder goes.
  size_t tomb = api.Index("Remove C:\\s\\9\\Files\\old.txt");
  size_t link1 = api.Index(
      "CreateHardLink C:\\s\\9\\Files\\h -> C:\\s\\1\\Files\\parent.dll");
  size_t link2 = api.Index(
      "CreateHardLink C:\\s\\9\\Files\\h2 -> C:\\s\\9\\Files\\new.txt");
  size_t times = api.Index("SetFileBasicInfo C:\\s\\9\\Files mtime=" +
                           std::to_string(kT100));
  size_t uvm = api.Index("ProcessUtilityImage C:\\s\\9\\UtilityVM");
  size_t cleanup = api.Index("RemoveAll T:\\hcs1");
  EXPECT_LT(import, tomb);
  EXPECT_LT(tomb, link1);
  EXPECT_LT(link1, link2);
  EXPECT_LT(link2, times);
  EXPECT_LT(times, uvm);
  EXPECT_LT(uvm, cleanup);
  EXPECT_EQ(api.Calls("ProcessBaseImage").size(), 0u);
  EXPECT_FALSE(api.Has("T:\\hcs1"));
}

TEST(WindowsLayerWriterTest, DeltaLayerTransportBytes) {
  FakeWinLayerApi api;
  api.AddDir("C:\\p");
  api.AddDir("C:\\l");
  ASSERT_OK_AND_ASSIGN(auto w,
                       NewWindowsLayerWriter(&api, "C:\\l", {"C:\\p"}, {}, 1));
  ASSERT_OK(AddAll(w.get(), {Dir("Files"),
                             File("Files/a", "AB",
                                  {{"MSWINDOWS.fileattr", "33"},
                                   {"MSWINDOWS.rawsd", "AQI="}}),
                             File("Files/a:s", "z"), Dir("Hives"),
                             File("Hives/System_Delta", "regf")}));
  ASSERT_OK(w->Finish().status());
  // The transport content as it was when each file was closed.
  std::string a = api.closed["T:\\hcs1\\Files\\a"];
  std::string dir = api.closed["T:\\hcs1\\Files.$wcidirs$"];
  std::string hive = api.closed["T:\\hcs1\\Hives\\System_Delta"];
  EXPECT_EQ(a, Bytes({33, 0, 0, 0}) +
                   Stream(BackupStreamId::kSecurityData, "\x01\x02") +
                   Stream(BackupStreamId::kData, "AB") +
                   Stream(BackupStreamId::kAlternateData, "z", ":s:$DATA"));
  EXPECT_EQ(dir, Bytes({16, 0, 0, 0}));
  EXPECT_EQ(hive, Stream(BackupStreamId::kData, "regf"));  // no attributes
}

TEST(WindowsLayerWriterTest, DeltaLayerRefusalsAndCleanup) {
  struct Case {
    std::vector<Entry> entries;
    std::string why;
  } cases[] = {
      {{Dir("Hives"), File("Hives/.wh.x", "")}, "invalid tombstone"},
      {{Dir("Files"), Special("Files/h", kTypeLink, "Files/none")},
       "neither in this layer nor in a parent"},
      {{Dir("Files"), Special("Files/h", kTypeLink, "Hives/x")},
       "invalid hard link"},
      {{Dir("UtilityVM/Files")}, "missing UtilityVM directory"},
      {{Dir("UtilityVM")}, "has no UtilityVM\\Files"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.why);
    FakeWinLayerApi api;
    api.AddDir("C:\\p");
    api.AddDir("C:\\l");
    {
      ASSERT_OK_AND_ASSIGN(
          auto w, NewWindowsLayerWriter(&api, "C:\\l", {"C:\\p"}, {}, 1));
      Status s = AddAll(w.get(), c.entries);
      EXPECT_FALSE(s.ok());
      EXPECT_NE(s.message().find(c.why), std::string::npos) << s;
    }
    // The abandoned writer removed its transport folder.
    EXPECT_FALSE(api.Has("T:\\hcs1"));
  }
}

// ---- parallel writing ------------------------------------------------------

// A base layer with enough files to keep several workers busy: nested
// folders, files with security descriptors and streams, one file over the
// 1 MiB buffering limit (written on the caller's thread), hard links (one to
// a file still with a worker), a symlink and the UtilityVM boot files.
std::vector<Entry> WideBaseLayer() {
  std::vector<Entry> e = {Dir("Files")};
  for (int d = 0; d < 12; ++d) {
    const std::string dir = "Files/d" + std::to_string(d);
    e.push_back(Dir(dir));
    e.push_back(Dir(dir + "/sub"));
    for (int f = 0; f < 15; ++f) {
      const std::string name =
          dir + (f % 2 ? "/sub/f" : "/f") + std::to_string(f) + ".txt";
      e.push_back(File(
          name, std::string(100 + f * d, static_cast<char>('a' + f)),
          {{"MSWINDOWS.fileattr", "32"}, {"MSWINDOWS.rawsd", "AQAEgA=="}}));
      if (f == 3) e.push_back(File(name + ":zone", "ads" + name));
    }
    e.push_back(Special(dir + "/link", kTypeLink, dir + "/f0.txt"));
  }
  e.push_back(File("Files/big.bin", std::string((1 << 20) + 7, 'B')));
  e.push_back(File("Files/big.bin:s", "stream"));
  e.push_back(Special("Files/sl", kTypeSymlink, "big.bin",
                      {{"MSWINDOWS.fileattr", "1056"}}));
  for (const char* d :
       {"UtilityVM", "UtilityVM/Files", "UtilityVM/Files/EFI",
        "UtilityVM/Files/EFI/Microsoft", "UtilityVM/Files/EFI/Microsoft/Boot"})
    e.push_back(Dir(d));
  e.push_back(File("UtilityVM/Files/EFI/Microsoft/Boot/BCD", "bcd"));
  e.push_back(File("UtilityVM/Files/EFI/Microsoft/Boot/BCD.LOG", "log"));
  return e;
}

std::vector<Entry> WideDeltaLayer() {
  std::vector<Entry> e = {Dir("Files")};
  for (int d = 0; d < 8; ++d) {
    const std::string dir = "Files/d" + std::to_string(d);
    e.push_back(Dir(dir));
    for (int f = 0; f < 12; ++f)
      e.push_back(File(dir + "/f" + std::to_string(f), std::string(50 + f, 'x'),
                       {{"MSWINDOWS.fileattr", "33"}}));
    e.push_back(File(dir + "/.wh.old", ""));
    e.push_back(Special(dir + "/h", kTypeLink, dir + "/f1"));
  }
  e.push_back(Dir("Hives"));
  e.push_back(File("Hives/System_Delta", "regf"));
  e.push_back(File("Hives/Software_Delta", "regf2"));
  e.push_back(Dir("UtilityVM"));
  e.push_back(Dir("UtilityVM/Files"));
  e.push_back(File("UtilityVM/Files/x.txt", "x"));
  e.push_back(File("UtilityVM/Files/.wh.gone.txt", ""));
  return e;
}

void SetUpDeltaParents(FakeWinLayerApi& api) {
  api.AddDir("C:\\s\\3");
  api.AddDir("C:\\s\\1");
  api.AddDir("C:\\s\\3\\UtilityVM");
  api.AddDir("C:\\s\\3\\UtilityVM\\Files");
  api.AddDir("C:\\s\\3\\UtilityVM\\Files\\EFI");
  api.AddFile("C:\\s\\3\\UtilityVM\\Files\\EFI\\boot.efi", "efi");
  api.AddFile("C:\\s\\3\\UtilityVM\\Files\\gone.txt", "g");
  api.AddDir("C:\\s\\9");
}

struct LayerRun {
  std::vector<std::string> calls;
  std::map<std::string, std::string> content;
  std::map<std::string, std::string> closed;
  std::map<std::string, int64_t> mtimes;
  LayerStats stats;
};

LayerRun RunLayer(bool delta, int threads) {
  FakeWinLayerApi api;
  std::vector<std::string> parents;
  std::string layer = "C:\\l";
  if (delta) {
    SetUpDeltaParents(api);
    parents = {"C:\\s\\3", "C:\\s\\1"};
    layer = "C:\\s\\9";
  } else {
    api.AddDir(layer);
  }
  LayerRun r;
  auto w = NewWindowsLayerWriter(&api, layer, parents, {}, threads);
  EXPECT_OK(w);
  if (!w.ok()) return r;
  EXPECT_OK(AddAll(w->get(), delta ? WideDeltaLayer() : WideBaseLayer()));
  auto st = (*w)->Finish();
  EXPECT_OK(st);
  if (st.ok()) r.stats = *st;
  r.calls = api.calls;
  for (const auto& [p, n] : api.fs) {
    r.content[p] = n.content;
    r.mtimes[p] = n.info.last_write_time;
  }
  r.closed = api.closed;
  return r;
}

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

size_t IndexOf(const std::vector<std::string>& calls, const std::string& c) {
  auto it = std::find(calls.begin(), calls.end(), c);
  EXPECT_NE(it, calls.end()) << c;
  return static_cast<size_t>(it - calls.begin());
}

// What threads may not reorder: a file's own calls, its folder before it,
// and every file before the platform call that consumes the folder.
void CheckParallelOrder(const LayerRun& r, const std::string& platform_call) {
  const size_t end = IndexOf(r.calls, platform_call);
  for (size_t i = 0; i < r.calls.size(); ++i) {
    const std::string& c = r.calls[i];
    if (c.rfind("CreateFile ", 0) != 0) continue;
    std::string path = c.substr(11, c.find(' ', 11) - 11);
    SCOPED_TRACE(path);
    EXPECT_LT(i, end);
    // The folder was made (CreateFile dir ... Close, or CreateDirectory)
    // before, unless it is the layer or transport root.
    std::string parent = path.substr(0, path.rfind('\\'));
    size_t made = r.calls.size();
    for (size_t k = 0; k < i; ++k) {
      if (r.calls[k] == "Close " + parent ||
          r.calls[k] == "CreateDirectory " + parent)
        made = k;
    }
    if (parent != "C:\\l" && parent != "C:\\s\\9" && parent != "T:\\hcs1") {
      EXPECT_LT(made, i) << "folder " << parent << " not made before";
    }
    // CreateFile < SetBasicInfo < Close of the same file.
    size_t set = r.calls.size(), close = r.calls.size();
    for (size_t k = i + 1; k < r.calls.size(); ++k) {
      if (set == r.calls.size() &&
          r.calls[k].rfind("SetBasicInfo " + path + " ", 0) == 0)
        set = k;
      if (r.calls[k] == "Close " + path) {
        close = k;
        break;
      }
    }
    if (path.find("bcd") == std::string::npos) {
      EXPECT_LT(set, close);
    }
    EXPECT_LT(close, end);
  }
}

TEST(WindowsLayerWriterParallelTest, BaseLayerMakesTheSerialRunsCalls) {
  LayerRun serial = RunLayer(false, 1);
  ASSERT_FALSE(serial.calls.empty());
  for (int threads : {2, 4, 8}) {
    SCOPED_TRACE(threads);
    LayerRun par = RunLayer(false, threads);
    EXPECT_EQ(Sorted(par.calls), Sorted(serial.calls));
    EXPECT_EQ(par.content, serial.content);
    EXPECT_EQ(par.closed, serial.closed);
    EXPECT_EQ(par.mtimes, serial.mtimes);
    EXPECT_EQ(par.stats.files, serial.stats.files);
    EXPECT_EQ(par.stats.bytes, serial.stats.bytes);
    CheckParallelOrder(par, "ProcessBaseImage C:\\l");
    // Hard links come after their targets were closed.
    EXPECT_LT(IndexOf(par.calls, "Close C:\\l\\Files\\d5\\f0.txt"),
              IndexOf(par.calls,
                      "CreateHardLink C:\\l\\Files\\d5\\link -> "
                      "C:\\l\\Files\\d5\\f0.txt"));
  }
  // The serial run's content is what the entries say (the parallel one
  // equals it): one buffered file and the big one, streamed.
  EXPECT_EQ(serial.content["C:\\l\\Files\\d2\\f4.txt"],
            Stream(BackupStreamId::kSecurityData,
                   std::string("\x01\x00\x04\x80", 4)) +
                Stream(BackupStreamId::kData, std::string(108, 'e')));
  EXPECT_EQ(serial.content["C:\\l\\Files\\big.bin"],
            Stream(BackupStreamId::kData, std::string((1 << 20) + 7, 'B')) +
                Stream(BackupStreamId::kAlternateData, "stream", ":s:$DATA"));
  EXPECT_EQ(serial.content["C:\\l\\bcd.log.bak"],
            Stream(BackupStreamId::kData, "log"));
}

TEST(WindowsLayerWriterParallelTest, DeltaLayerMakesTheSerialRunsCalls) {
  LayerRun serial = RunLayer(true, 1);
  ASSERT_FALSE(serial.calls.empty());
  for (int threads : {2, 6}) {
    SCOPED_TRACE(threads);
    LayerRun par = RunLayer(true, threads);
    EXPECT_EQ(Sorted(par.calls), Sorted(serial.calls));
    EXPECT_EQ(par.content, serial.content);
    EXPECT_EQ(par.closed, serial.closed);
    CheckParallelOrder(par, "ImportLayer C:\\s\\9 T:\\hcs1 C:\\s\\3 C:\\s\\1");
    // After the import, the calls are the serial run's, in its order.
    const std::string import =
        "ImportLayer C:\\s\\9 T:\\hcs1 C:\\s\\3 C:\\s\\1";
    auto tail = [&](const LayerRun& r) {
      return std::vector<std::string>(
          r.calls.begin() + static_cast<long>(IndexOf(r.calls, import)),
          r.calls.end());
    };
    EXPECT_EQ(tail(par), tail(serial));
  }
}

// A worker's failure surfaces from Finish (or the next Add), naming the entry.
TEST(WindowsLayerWriterParallelTest, AWorkersFailureIsReturned) {
  FakeWinLayerApi api;
  api.AddDir("C:\\l");
  api.AddDir("C:\\l\\Files");  // FILE_CREATE of Files\dup will not fail...
  api.AddFile("C:\\l\\Files\\dup", "x");  // ...but of this one it does
  ASSERT_OK_AND_ASSIGN(auto w, NewWindowsLayerWriter(&api, "C:\\l", {}, {}, 4));
  Status s = AddAll(w.get(), {File("Files/a", "a"), File("Files/dup", "d"),
                              File("Files/b", "b")});
  if (s.ok()) s = w->Finish().status();
  EXPECT_THAT(s, StatusIs(StatusCode::kAlreadyExists, "Files/dup"));
  EXPECT_TRUE(api.Calls("ProcessBaseImage").empty());
}

// ---- export ---------------------------------------------------------------

class StringChunks final : public ChunkSource {
 public:
  explicit StringChunks(const std::string& s) : s_(s) {}
  StatusOr<std::span<const uint8_t>> Next() override {
    size_t n = std::min<size_t>(1000, s_.size() - pos_);
    std::span<const uint8_t> out(
        reinterpret_cast<const uint8_t*>(s_.data()) + pos_, n);
    pos_ += n;
    return out;
  }

 private:
  const std::string& s_;
  size_t pos_ = 0;
};

std::vector<Entry> ParseTar(const std::string& tar) {
  StringChunks src(tar);
  TarReader r(&src);
  std::vector<Entry> out;
  for (;;) {
    Entry e;
    auto more = r.Next(&e.h);
    EXPECT_OK(more);
    if (!more.ok() || !*more) break;
    for (;;) {
      auto d = r.ReadData();
      EXPECT_OK(d);
      if (!d.ok() || d->empty()) break;
      e.data.append(reinterpret_cast<const char*>(d->data()), d->size());
    }
    out.push_back(std::move(e));
  }
  return out;
}

std::string ExportTar(FakeWinLayerApi& api, const std::string& layer,
                      const std::vector<std::string>& parents) {
  StringSink sink;
  TarWriter tw(&sink);
  EXPECT_OK(ExportWindowsLayer(&api, layer, parents, &tw));
  EXPECT_OK(tw.Close());
  return sink.data();
}

std::vector<std::string> Names(const std::vector<Entry>& entries) {
  std::vector<std::string> out;
  for (const auto& e : entries) out.push_back(e.h.name);
  return out;
}

// The layer's part of the fake filesystem: content, attributes, times.
std::map<std::string, std::string> LayerState(const FakeWinLayerApi& api,
                                              const std::string& layer) {
  std::map<std::string, std::string> out;
  for (const auto& [p, n] : api.fs) {
    if (p.rfind(layer + "\\", 0) != 0) continue;
    out[p] = n.content + "|" + std::to_string(n.attrs) + "|" +
             std::to_string(n.info.creation_time) + "," +
             std::to_string(n.info.last_access_time) + "," +
             std::to_string(n.info.last_write_time) + "," +
             std::to_string(n.info.change_time) + "," +
             std::to_string(n.info.file_attributes);
  }
  return out;
}

TEST(WindowsLayerExportTest, BaseLayerRoundTrip) {
  const std::vector<Entry> entries = {
      Dir("Files"),
      File("Files/a.txt", "hello",
           {{"LIBARCHIVE.creationtime", "150.25"},
            {"MSWINDOWS.fileattr", "33"},
            {"MSWINDOWS.rawsd", "AQAEgA=="},
            {"MSWINDOWS.xattr.K", "dg=="}}),
      File("Files/a.txt:zone", "ads"),
      Dir("Files/d"),
      File("Files/d/b.txt", std::string(70000, 'b')),
      Special("Files/l", kTypeSymlink, "a.txt",
              {{"MSWINDOWS.fileattr", "1056"}}),
      Dir("UtilityVM"),
      Dir("UtilityVM/Files"),
      File("UtilityVM/Files/x", "x")};
  FakeWinLayerApi a;
  a.AddDir("C:\\l");
  {
    ASSERT_OK_AND_ASSIGN(auto w, NewWindowsLayerWriter(&a, "C:\\l", {}, {}, 3));
    ASSERT_OK(AddAll(w.get(), entries));
    ASSERT_OK(w->Finish().status());
  }
  a.calls.clear();
  std::string t1 = ExportTar(a, "C:\\l", {});
  EXPECT_EQ(a.Calls("EnablePrivileges").size(), 1u);
  EXPECT_EQ(a.Calls("OpenForBackupRead").size(), 8u);  // every file and dir
  std::vector<Entry> got = ParseTar(t1);
  EXPECT_EQ(Names(got), Names(entries));
  // The records and data hcsshim writes came back.
  ASSERT_EQ(got.size(), entries.size());
  EXPECT_EQ(got[1].data, "hello");
  std::map<std::string, std::string> pax(got[1].h.pax.begin(),
                                         got[1].h.pax.end());
  EXPECT_EQ(pax["MSWINDOWS.fileattr"], "33");
  EXPECT_EQ(pax["MSWINDOWS.rawsd"], "AQAEgA==");
  EXPECT_EQ(pax["MSWINDOWS.xattr.K"], "dg==");
  EXPECT_EQ(pax["LIBARCHIVE.creationtime"], "150.25");
  EXPECT_EQ(got[2].data, "ads");
  EXPECT_EQ(got[4].data, std::string(70000, 'b'));
  EXPECT_EQ(got[5].h.typeflag, kTypeSymlink);
  EXPECT_EQ(got[5].h.linkname, "a.txt");

  // Written again from the export, the layer is the same, and so is its tar.
  FakeWinLayerApi b;
  b.AddDir("C:\\l");
  {
    ASSERT_OK_AND_ASSIGN(auto w, NewWindowsLayerWriter(&b, "C:\\l", {}, {}, 1));
    ASSERT_OK(AddAll(w.get(), got));
    ASSERT_OK(w->Finish().status());
  }
  EXPECT_EQ(LayerState(b, "C:\\l"), LayerState(a, "C:\\l"));
  EXPECT_EQ(Hex(ExportTar(b, "C:\\l", {})), Hex(t1));
}

TEST(WindowsLayerExportTest, DeltaLayerRoundTripThroughExportLayer) {
  const std::vector<Entry> entries = {
      Dir("Files"),
      File("Files/new.txt", "new",
           {{"MSWINDOWS.fileattr", "33"}, {"MSWINDOWS.rawsd", "AQI="}}),
      File("Files/new.txt:s", "z"),
      Dir("Files/sub"),
      File("Files/sub/c", "c"),
      Dir("Hives"),
      File("Hives/System_Delta", "regf")};
  auto write = [&](FakeWinLayerApi& api, const std::vector<Entry>& e) {
    api.AddDir("C:\\p");
    api.AddDir("C:\\l");
    auto w = NewWindowsLayerWriter(&api, "C:\\l", {"C:\\p"}, {}, 2);
    ASSERT_OK(w);
    ASSERT_OK(AddAll(w->get(), e));
    ASSERT_OK((*w)->Finish().status());
  };
  FakeWinLayerApi a;
  write(a, entries);
  a.export_tombstones = "\xEF\xBB\xBFVersion 1.0\n\\sub\\old.txt\n";
  a.calls.clear();
  std::string t1 = ExportTar(a, "C:\\l", {"C:\\p"});
  EXPECT_EQ(a.Calls("ExportLayer C:\\l T:\\hcs1 C:\\p").size(), 1u);
  EXPECT_EQ(a.calls.back(), "RemoveAll T:\\hcs1");
  EXPECT_FALSE(a.Has("T:\\hcs1"));
  std::vector<Entry> got = ParseTar(t1);
  EXPECT_EQ(Names(got), (std::vector<std::string>{
                            "Files", "Files/new.txt", "Files/new.txt:s",
                            "Files/sub", "Files/sub/c", "Files/sub/.wh.old.txt",
                            "Hives", "Hives/System_Delta"}));
  std::map<std::string, std::string> pax(got[1].h.pax.begin(),
                                         got[1].h.pax.end());
  EXPECT_EQ(pax["MSWINDOWS.fileattr"], "33");
  EXPECT_EQ(pax["MSWINDOWS.rawsd"], "AQI=");
  EXPECT_EQ(got[1].data, "new");
  EXPECT_EQ(got[7].data, "regf");
  EXPECT_TRUE(got[5].h.pax.empty());

  // Re-imported (the whiteout left out: the parent has no old.txt), the
  // layer is the same, and so is its export.
  std::vector<Entry> again;
  for (auto& e : got)
    if (e.h.name.find(".wh.") == std::string::npos) again.push_back(e);
  FakeWinLayerApi b;
  write(b, again);
  EXPECT_EQ(LayerState(b, "C:\\l"), LayerState(a, "C:\\l"));
  b.export_tombstones = a.export_tombstones;
  EXPECT_EQ(Hex(ExportTar(b, "C:\\l", {"C:\\p"})), Hex(t1));
}

TEST(WindowsLayerExportTest, BadTombstonesAndMissingTransportAreErrors) {
  FakeWinLayerApi api;
  api.AddDir("C:\\p");
  api.AddDir("C:\\l");
  api.export_tombstones = "Version 1.0\n\\x\n";  // no BOM
  StringSink sink;
  TarWriter tw(&sink);
  EXPECT_THAT(ExportWindowsLayer(&api, "C:\\l", {"C:\\p"}, &tw),
              StatusIs(StatusCode::kDataLoss, "Version 1.0"));
  EXPECT_FALSE(api.Has("T:\\hcs1"));  // removed on failure too
  // A base layer without Files\ cannot be read.
  FakeWinLayerApi empty;
  empty.AddDir("C:\\e");
  EXPECT_THAT(ExportWindowsLayer(&empty, "C:\\e", {}, &tw),
              StatusIs(StatusCode::kNotFound, "C:\\e\\Files"));
}

}  // namespace
}  // namespace winsnap::unpack
