// Proves that every third-party library in the Windows prefix
// (scripts/build-windows-deps.sh) links statically into one .exe and works
// when it runs (under Wine in CI): LMDB on a C:\ path, libarchive writing and
// reading tar+gzip and tar+zstd in memory, OpenSSL's EVP SHA-256, zstd,
// nghttp2 (a client session emits the HTTP/2 preface), full libprotobuf
// (google::protobuf::Struct and its JSON mapping, which lite lacks), and
// std::thread from the posix thread model. GoogleTest's own main runs it.
#include <archive.h>
#include <archive_entry.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>
#include <lmdb.h>
#include <nghttp2/nghttp2.h>
#include <openssl/evp.h>
#include <zstd.h>

#include <windows.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

// A fresh directory under C:\ProgramData, removed at the end.
class TempDir {
 public:
  TempDir() {
    path_ = std::filesystem::path("C:\\ProgramData") /
            ("winsnap-prefix-check-" + std::to_string(GetCurrentProcessId()));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

TEST(Lmdb, OpensWritesAndReadsOnADrivePath) {
  TempDir dir;
  MDB_env* env = nullptr;
  ASSERT_EQ(mdb_env_create(&env), 0);
  std::unique_ptr<MDB_env, void (*)(MDB_env*)> owner(env, mdb_env_close);
  ASSERT_EQ(mdb_env_set_mapsize(env, 1 << 20), 0);
  const std::string where = dir.path().string();
  ASSERT_EQ(where.rfind("C:\\", 0), 0u) << where;
  ASSERT_EQ(mdb_env_open(env, where.c_str(), 0, 0644), 0) << where;

  MDB_txn* txn = nullptr;
  ASSERT_EQ(mdb_txn_begin(env, nullptr, 0, &txn), 0);
  MDB_dbi dbi;
  ASSERT_EQ(mdb_dbi_open(txn, nullptr, 0, &dbi), 0);
  std::string k = "key", v = "value";
  MDB_val key{k.size(), k.data()}, val{v.size(), v.data()};
  ASSERT_EQ(mdb_put(txn, dbi, &key, &val, 0), 0);
  ASSERT_EQ(mdb_txn_commit(txn), 0);

  ASSERT_EQ(mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn), 0);
  MDB_val got;
  ASSERT_EQ(mdb_get(txn, dbi, &key, &got), 0);
  EXPECT_EQ(std::string(static_cast<char*>(got.mv_data), got.mv_size), "value");
  mdb_txn_abort(txn);
  owner.reset();
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "data.mdb"));
}

// Writes one file entry with the given compression filter into memory and
// reads it back with format/filter detection.
void ArchiveRoundTrip(int (*add_filter)(archive*), const char* filter_name) {
  std::vector<char> buf(1 << 16);
  size_t used = 0;
  const std::string body = "hello from the Windows prefix\n";
  {
    archive* a = archive_write_new();
    ASSERT_NE(a, nullptr);
    ASSERT_EQ(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
    ASSERT_EQ(add_filter(a), ARCHIVE_OK) << archive_error_string(a);
    ASSERT_EQ(archive_write_open_memory(a, buf.data(), buf.size(), &used),
              ARCHIVE_OK)
        << archive_error_string(a);
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, "dir/file.txt");
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, static_cast<la_int64_t>(body.size()));
    ASSERT_EQ(archive_write_header(a, e), ARCHIVE_OK)
        << archive_error_string(a);
    ASSERT_EQ(archive_write_data(a, body.data(), body.size()),
              static_cast<la_ssize_t>(body.size()));
    archive_entry_free(e);
    ASSERT_EQ(archive_write_close(a), ARCHIVE_OK) << archive_error_string(a);
    archive_write_free(a);
  }
  ASSERT_GT(used, 0u);

  archive* r = archive_read_new();
  ASSERT_NE(r, nullptr);
  archive_read_support_format_tar(r);
  archive_read_support_filter_all(r);
  ASSERT_EQ(archive_read_open_memory(r, buf.data(), used), ARCHIVE_OK)
      << archive_error_string(r);
  archive_entry* e = nullptr;
  ASSERT_EQ(archive_read_next_header(r, &e), ARCHIVE_OK)
      << archive_error_string(r);
  EXPECT_STREQ(archive_entry_pathname(e), "dir/file.txt");
  EXPECT_STREQ(archive_filter_name(r, 0), filter_name);
  std::string read(body.size() + 16, '\0');
  la_ssize_t n = archive_read_data(r, read.data(), read.size());
  ASSERT_EQ(n, static_cast<la_ssize_t>(body.size()));
  read.resize(static_cast<size_t>(n));
  EXPECT_EQ(read, body);
  EXPECT_EQ(archive_read_next_header(r, &e), ARCHIVE_EOF);
  archive_read_free(r);
}

TEST(Libarchive, VersionNamesZlibAndZstd) {
  EXPECT_EQ(std::string(archive_version_string()).rfind("libarchive 3.", 0), 0u)
      << archive_version_string();
  const std::string details = archive_version_details();
  EXPECT_NE(details.find("zlib/"), std::string::npos) << details;
  EXPECT_NE(details.find("libzstd/"), std::string::npos) << details;
}

TEST(Libarchive, TarGzipRoundTripInMemory) {
  ArchiveRoundTrip(archive_write_add_filter_gzip, "gzip");
}

TEST(Libarchive, TarZstdRoundTripInMemory) {
  ArchiveRoundTrip(archive_write_add_filter_zstd, "zstd");
}

TEST(OpenSsl, Sha256OfAbc) {
  // FIPS 180-2 appendix B.1 test vector.
  const std::string msg = "abc";
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(),
                                                         EVP_MD_CTX_free);
  ASSERT_NE(ctx, nullptr);
  ASSERT_EQ(EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr), 1);
  ASSERT_EQ(EVP_DigestUpdate(ctx.get(), msg.data(), msg.size()), 1);
  ASSERT_EQ(EVP_DigestFinal_ex(ctx.get(), md, &len), 1);
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) {
    static const char kDigits[] = "0123456789abcdef";
    hex += kDigits[md[i] >> 4];
    hex += kDigits[md[i] & 15];
  }
  EXPECT_EQ(hex,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Zstd, VersionAndRoundTrip) {
  EXPECT_EQ(ZSTD_versionNumber(), static_cast<unsigned>(ZSTD_VERSION_NUMBER));
  const std::string in(10000, 'w');
  std::string packed(ZSTD_compressBound(in.size()), '\0');
  size_t n =
      ZSTD_compress(packed.data(), packed.size(), in.data(), in.size(), 3);
  ASSERT_FALSE(ZSTD_isError(n)) << ZSTD_getErrorName(n);
  EXPECT_LT(n, in.size() / 10);
  std::string out(in.size(), '\0');
  size_t m = ZSTD_decompress(out.data(), out.size(), packed.data(), n);
  ASSERT_FALSE(ZSTD_isError(m)) << ZSTD_getErrorName(m);
  EXPECT_EQ(out, in);
}

TEST(Nghttp2, ClientSessionSendsThePreface) {
  const nghttp2_info* info = nghttp2_version(0);
  ASSERT_NE(info, nullptr);
  EXPECT_STREQ(info->version_str, NGHTTP2_VERSION);

  nghttp2_session_callbacks* cbs = nullptr;
  ASSERT_EQ(nghttp2_session_callbacks_new(&cbs), 0);
  nghttp2_session* session = nullptr;
  ASSERT_EQ(nghttp2_session_client_new(&session, cbs, nullptr), 0);
  nghttp2_session_callbacks_del(cbs);
  ASSERT_EQ(nghttp2_submit_settings(session, NGHTTP2_FLAG_NONE, nullptr, 0), 0);
  const uint8_t* data = nullptr;
  std::string sent;
  for (ssize_t n; (n = nghttp2_session_mem_send(session, &data)) > 0;) {
    sent.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
  }
  nghttp2_session_del(session);
  EXPECT_EQ(sent.rfind(NGHTTP2_CLIENT_MAGIC, 0), 0u);
  EXPECT_GT(sent.size(), std::strlen(NGHTTP2_CLIENT_MAGIC));
}

TEST(Protobuf, StructRoundTripAndJson) {
  google::protobuf::Struct s;
  (*s.mutable_fields())["name"].set_string_value("winsnap");
  (*s.mutable_fields())["layers"].set_number_value(3);
  std::string wire;
  ASSERT_TRUE(s.SerializeToString(&wire));
  google::protobuf::Struct back;
  ASSERT_TRUE(back.ParseFromString(wire));
  EXPECT_EQ(back.fields().at("name").string_value(), "winsnap");
  EXPECT_EQ(back.fields().at("layers").number_value(), 3);
  std::string json;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(back, &json).ok());
  google::protobuf::Struct from_json;
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(json, &from_json).ok())
      << json;
  EXPECT_EQ(from_json.fields().at("name").string_value(), "winsnap");
}

TEST(PosixThreads, ThreadsAndMutex) {
  std::mutex mu;
  int count = 0;
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < 1000; ++j) {
        std::lock_guard<std::mutex> lock(mu);
        ++count;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(count, 4000);
}

}  // namespace
