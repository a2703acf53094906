// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Implementation of the read-only bbolt reader. All multi-byte fields are
// little-endian (bbolt writes its structs in host order and every platform
// containerd ships for is little-endian) and are decoded byte by byte, so no
// unaligned or out-of-bounds load can happen whatever the input.

#include "metadata/bbolt/bbolt.h"

#include <array>
#include <cstdio>
#include <unordered_set>
#include <utility>
#include <vector>

namespace winsnap::bbolt {
namespace internal {

// The file's bytes and the chosen meta page. Heap-allocated and owned by a
// DB, so Buckets and string_views stay valid when the DB is moved.
struct Image {
  std::string name;
  std::string data;
  MetaInfo meta;
};

}  // namespace internal

namespace {

using internal::Image;

// Layout constants (bbolt page.go, db.go, bucket.go).
constexpr uint64_t kPageHeaderSize = 16;  // id u64, flags u16, count u16,
                                          // overflow u32
constexpr uint64_t kMetaSize = 64;
constexpr uint64_t kMetaChecksumOffset = 56;  // checksum covers bytes before
constexpr uint64_t kElementSize = 16;         // branch and leaf alike
constexpr uint64_t kBucketHeaderSize = 16;    // root pgid u64, sequence u64
constexpr uint16_t kBranchPageFlag = 0x01;
constexpr uint16_t kLeafPageFlag = 0x02;
constexpr uint16_t kMetaPageFlag = 0x04;
constexpr uint32_t kBucketLeafFlag = 0x01;
constexpr uint32_t kMinPageSize = 512;
constexpr uint32_t kMaxPageSize = 1u << 20;
// Page sizes to try for meta page 1 when meta page 0 is unreadable (the
// page size is only recorded inside the meta pages themselves).
constexpr std::array<uint32_t, 8> kCandidatePageSizes = {
    4096, 16384, 65536, 8192, 32768, 2048, 1024, 512};

uint16_t Le16(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return static_cast<uint16_t>(u[0] | (u[1] << 8));
}
uint32_t Le32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return static_cast<uint32_t>(u[0]) | (static_cast<uint32_t>(u[1]) << 8) |
         (static_cast<uint32_t>(u[2]) << 16) |
         (static_cast<uint32_t>(u[3]) << 24);
}
uint64_t Le64(const char* p) {
  return static_cast<uint64_t>(Le32(p)) |
         (static_cast<uint64_t>(Le32(p + 4)) << 32);
}

uint64_t Fnv64a(std::string_view bytes) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::string Hex(uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

// Bucket names are arbitrary bytes; keep messages printable.
std::string Printable(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

Status Corrupt(const Image& img, std::string_view bucket_path,
               const std::string& msg) {
  std::string where = bucket_path.empty()
                          ? std::string("root bucket")
                          : "bucket \"" + std::string(bucket_path) + "\"";
  return DataLossError("bbolt file " + img.name + ": " + where + ": " + msg);
}

// Decodes the meta page "index" assuming page size "page_size" (0: trust
// the meta's own page size field, for meta page 0 at offset 0). Returns
// nullopt with the reason in *why if it is not a valid meta page.
std::optional<MetaInfo> ParseMeta(std::string_view data, int index,
                                  uint32_t page_size, std::string* why) {
  uint64_t off = static_cast<uint64_t>(index) * page_size;
  if (data.size() < off + kPageHeaderSize + kMetaSize) {
    *why = "file is " + std::to_string(data.size()) +
           " bytes, too short for a meta page at offset " + std::to_string(off);
    return std::nullopt;
  }
  const char* p = data.data() + off;
  uint16_t flags = Le16(p + 8);
  const char* m = p + kPageHeaderSize;
  MetaInfo meta;
  meta.page = index;
  uint32_t magic = Le32(m);
  uint32_t version = Le32(m + 4);
  meta.page_size = Le32(m + 8);
  meta.root_pgid = Le64(m + 16);
  meta.root_sequence = Le64(m + 24);
  meta.freelist_pgid = Le64(m + 32);
  meta.high_water = Le64(m + 40);
  meta.txid = Le64(m + 48);
  uint64_t checksum = Le64(m + kMetaChecksumOffset);
  if (magic != kMagic) {
    *why = "bad magic " + Hex(magic) + " (not a bbolt file?)";
    return std::nullopt;
  }
  if (version != kFormatVersion) {
    *why = "unsupported format version " + std::to_string(version);
    return std::nullopt;
  }
  // bbolt accepts a zero checksum (files from before checksums existed).
  if (checksum != 0 &&
      checksum != Fnv64a(std::string_view(m, kMetaChecksumOffset))) {
    *why = "checksum mismatch";
    return std::nullopt;
  }
  if ((flags & kMetaPageFlag) == 0) {
    *why = "page flags " + Hex(flags) + " lack the meta flag";
    return std::nullopt;
  }
  if (meta.page_size < kMinPageSize || meta.page_size > kMaxPageSize) {
    *why = "implausible page size " + std::to_string(meta.page_size);
    return std::nullopt;
  }
  if (page_size != 0 && meta.page_size != page_size) {
    *why = "page size field " + std::to_string(meta.page_size) +
           " does not match the page size " + std::to_string(page_size);
    return std::nullopt;
  }
  if (meta.root_pgid < 2 || meta.root_pgid >= meta.high_water) {
    *why = "root page " + std::to_string(meta.root_pgid) +
           " is outside the allocated pages [2, " +
           std::to_string(meta.high_water) + ")";
    return std::nullopt;
  }
  return meta;
}

StatusOr<MetaInfo> SelectMeta(const std::string& name, std::string_view data) {
  std::string why0, why1;
  std::optional<MetaInfo> m0 = ParseMeta(data, 0, 0, &why0);
  uint32_t page_size = 0;
  if (m0) {
    page_size = m0->page_size;
  } else {
    for (uint32_t candidate : kCandidatePageSizes) {
      std::string ignored;
      if (ParseMeta(data, 1, candidate, &ignored)) {
        page_size = candidate;
        break;
      }
    }
    if (page_size == 0) {
      return DataLossError("bbolt file " + name +
                           ": no valid meta page: meta page 0: " + why0 +
                           "; meta page 1: not valid at any page size");
    }
  }
  std::optional<MetaInfo> m1 = ParseMeta(data, 1, page_size, &why1);
  if (m0 && m1) return m1->txid > m0->txid ? *m1 : *m0;
  if (m0) return *m0;
  if (m1) return *m1;
  return DataLossError("bbolt file " + name +
                       ": no valid meta page: meta page 0: " + why0 +
                       "; meta page 1: " + why1);
}

// A branch or leaf page: its header fields and its whole extent (header
// included, overflow pages included; for an inline page, the bytes after
// the bucket header).
struct Page {
  std::string what;  // "page 17" or "inline page", for messages
  uint16_t flags = 0;
  uint16_t count = 0;
  std::string_view bytes;
  bool leaf() const { return flags == kLeafPageFlag; }
  uint64_t data_begin() const { return kPageHeaderSize + count * kElementSize; }
};

Status CheckTreePage(const Image& img, std::string_view bucket,
                     const Page& pg) {
  if (pg.flags != kLeafPageFlag && pg.flags != kBranchPageFlag) {
    return Corrupt(img, bucket,
                   pg.what + ": flags " + Hex(pg.flags) +
                       " mark neither a branch nor a leaf page");
  }
  if (pg.data_begin() > pg.bytes.size()) {
    return Corrupt(img, bucket,
                   pg.what + ": " + std::to_string(pg.count) +
                       " element headers do not fit in " +
                       std::to_string(pg.bytes.size()) + " bytes");
  }
  if (!pg.leaf() && pg.count == 0) {
    return Corrupt(img, bucket, pg.what + ": branch page has no elements");
  }
  return OkStatus();
}

StatusOr<Page> LoadPage(const Image& img, std::string_view bucket,
                        uint64_t pgid) {
  const uint64_t page_size = img.meta.page_size;
  const uint64_t pages_in_file = img.data.size() / page_size;
  std::string what = "page " + std::to_string(pgid);
  if (pgid < 2) {
    return Corrupt(img, bucket, what + " is a meta page, not a tree page");
  }
  if (pgid >= img.meta.high_water) {
    return Corrupt(img, bucket,
                   what + " is beyond the high-water mark " +
                       std::to_string(img.meta.high_water));
  }
  if (pgid >= pages_in_file) {
    return Corrupt(img, bucket,
                   what + " is beyond the end of the file (" +
                       std::to_string(pages_in_file) + " pages)");
  }
  const char* p = img.data.data() + pgid * page_size;
  uint64_t id = Le64(p);
  if (id != pgid) {
    return Corrupt(img, bucket,
                   what + ": header carries page id " + std::to_string(id));
  }
  Page pg;
  pg.what = std::move(what);
  pg.flags = Le16(p + 8);
  pg.count = Le16(p + 10);
  uint64_t overflow = Le32(p + 12);
  uint64_t last = pgid + overflow;
  if (last >= img.meta.high_water || last >= pages_in_file) {
    return Corrupt(img, bucket,
                   pg.what + ": its " + std::to_string(overflow) +
                       " overflow pages run past the end of the database");
  }
  pg.bytes = std::string_view(p, (overflow + 1) * page_size);
  WINSNAP_RETURN_IF_ERROR(CheckTreePage(img, bucket, pg));
  return pg;
}

StatusOr<Page> ParseInlinePage(const Image& img, std::string_view bucket,
                               std::string_view bytes) {
  Page pg;
  pg.what = "inline page";
  if (bytes.size() < kPageHeaderSize) {
    return Corrupt(img, bucket,
                   "inline page is " + std::to_string(bytes.size()) +
                       " bytes, shorter than a page header");
  }
  pg.flags = Le16(bytes.data() + 8);
  pg.count = Le16(bytes.data() + 10);
  pg.bytes = bytes;
  WINSNAP_RETURN_IF_ERROR(CheckTreePage(img, bucket, pg));
  if (!pg.leaf()) {
    return Corrupt(img, bucket, "inline page is not a leaf page");
  }
  return pg;
}

// Key and value (or child page id) of element i of a checked page.
// REQUIRES: i < pg.count.
StatusOr<Entry> LeafElement(const Image& img, std::string_view bucket,
                            const Page& pg, uint64_t i) {
  uint64_t off = kPageHeaderSize + i * kElementSize;
  const char* e = pg.bytes.data() + off;
  uint32_t flags = Le32(e);
  uint64_t start = off + Le32(e + 4);
  uint64_t ksize = Le32(e + 8);
  uint64_t vsize = Le32(e + 12);
  if ((flags & ~kBucketLeafFlag) != 0) {
    return Corrupt(img, bucket,
                   pg.what + ": leaf element " + std::to_string(i) +
                       " has unknown flags " + Hex(flags));
  }
  if (start < pg.data_begin() || start + ksize + vsize > pg.bytes.size()) {
    return Corrupt(img, bucket,
                   pg.what + ": leaf element " + std::to_string(i) + " (" +
                       std::to_string(ksize) + "-byte key, " +
                       std::to_string(vsize) + "-byte value at offset " +
                       std::to_string(start) +
                       ") lies outside the page's data area [" +
                       std::to_string(pg.data_begin()) + ", " +
                       std::to_string(pg.bytes.size()) + ")");
  }
  if (ksize == 0) {
    return Corrupt(
        img, bucket,
        pg.what + ": leaf element " + std::to_string(i) + " has an empty key");
  }
  Entry entry;
  entry.key = pg.bytes.substr(start, ksize);
  entry.value = pg.bytes.substr(start + ksize, vsize);
  entry.is_bucket = (flags & kBucketLeafFlag) != 0;
  return entry;
}

struct BranchElem {
  std::string_view key;
  uint64_t child = 0;
};

StatusOr<BranchElem> BranchElement(const Image& img, std::string_view bucket,
                                   const Page& pg, uint64_t i) {
  uint64_t off = kPageHeaderSize + i * kElementSize;
  const char* e = pg.bytes.data() + off;
  uint64_t start = off + Le32(e);
  uint64_t ksize = Le32(e + 4);
  if (start < pg.data_begin() || start + ksize > pg.bytes.size()) {
    return Corrupt(img, bucket,
                   pg.what + ": branch element " + std::to_string(i) + " (" +
                       std::to_string(ksize) + "-byte key at offset " +
                       std::to_string(start) +
                       ") lies outside the page's data area [" +
                       std::to_string(pg.data_begin()) + ", " +
                       std::to_string(pg.bytes.size()) + ")");
  }
  return BranchElem{pg.bytes.substr(start, ksize), Le64(e + 8)};
}

// In-order walk of one bucket's tree.
class TreeWalker {
 public:
  TreeWalker(const Image& img, std::string_view bucket,
             const std::function<Status(const Entry&)>& fn)
      : img_(img), bucket_(bucket), fn_(fn) {}

  Status WalkRoot(uint64_t root) { return Walk(root, 0); }

  Status VisitPage(const Page& pg, int depth) {
    for (uint64_t i = 0; i < pg.count; ++i) {
      if (pg.leaf()) {
        WINSNAP_ASSIGN_OR_RETURN(Entry e, LeafElement(img_, bucket_, pg, i));
        if (last_key_ && !(*last_key_ < e.key)) {
          return Corrupt(img_, bucket_,
                         pg.what + ": leaf element " + std::to_string(i) +
                             " has key \"" + Printable(e.key) +
                             "\", not after the previous key \"" +
                             Printable(*last_key_) + "\"");
        }
        last_key_ = e.key;
        WINSNAP_RETURN_IF_ERROR(fn_(e));
      } else {
        WINSNAP_ASSIGN_OR_RETURN(BranchElem b,
                                 BranchElement(img_, bucket_, pg, i));
        WINSNAP_RETURN_IF_ERROR(Walk(b.child, depth + 1));
      }
    }
    return OkStatus();
  }

 private:
  Status Walk(uint64_t pgid, int depth) {
    if (depth > kMaxTreeDepth) {
      return Corrupt(img_, bucket_,
                     "page " + std::to_string(pgid) + " is more than " +
                         std::to_string(kMaxTreeDepth) +
                         " levels below the bucket root");
    }
    if (!visited_.insert(pgid).second) {
      return Corrupt(img_, bucket_,
                     "page " + std::to_string(pgid) +
                         " is referenced more than once (cycle)");
    }
    WINSNAP_ASSIGN_OR_RETURN(Page pg, LoadPage(img_, bucket_, pgid));
    return VisitPage(pg, depth);
  }

  const Image& img_;
  std::string_view bucket_;
  const std::function<Status(const Entry&)>& fn_;
  std::unordered_set<uint64_t> visited_;
  std::optional<std::string_view> last_key_;
};

}  // namespace

Status Bucket::ForEach(const std::function<Status(const Entry&)>& fn) const {
  TreeWalker walker(*image_, path_, fn);
  if (root_ != 0) return walker.WalkRoot(root_);
  WINSNAP_ASSIGN_OR_RETURN(Page pg,
                           ParseInlinePage(*image_, path_, inline_page_));
  return walker.VisitPage(pg, 0);
}

StatusOr<std::optional<Entry>> Bucket::Lookup(std::string_view key) const {
  Page pg;
  if (root_ == 0) {
    WINSNAP_ASSIGN_OR_RETURN(pg, ParseInlinePage(*image_, path_, inline_page_));
  } else {
    WINSNAP_ASSIGN_OR_RETURN(pg, LoadPage(*image_, path_, root_));
  }
  // Descend like bbolt's cursor: in a branch, follow the last element whose
  // key is <= "key" (or the first). Each step goes one level down, so the
  // depth limit also bounds cycles.
  for (int depth = 0;; ++depth) {
    if (depth > kMaxTreeDepth) {
      return Corrupt(*image_, path_,
                     pg.what + " is more than " +
                         std::to_string(kMaxTreeDepth) +
                         " levels below the bucket root");
    }
    if (pg.leaf()) {
      for (uint64_t i = 0; i < pg.count; ++i) {
        WINSNAP_ASSIGN_OR_RETURN(Entry e, LeafElement(*image_, path_, pg, i));
        if (e.key == key) return std::optional<Entry>(e);
      }
      return std::optional<Entry>();
    }
    uint64_t child = 0;
    for (uint64_t i = 0; i < pg.count; ++i) {
      WINSNAP_ASSIGN_OR_RETURN(BranchElem b,
                               BranchElement(*image_, path_, pg, i));
      if (i == 0 || b.key <= key) child = b.child;
      if (b.key > key) break;
    }
    WINSNAP_ASSIGN_OR_RETURN(pg, LoadPage(*image_, path_, child));
  }
}

StatusOr<std::optional<std::string_view>> Bucket::Get(
    std::string_view key) const {
  WINSNAP_ASSIGN_OR_RETURN(std::optional<Entry> e, Lookup(key));
  if (!e) return std::optional<std::string_view>();
  if (e->is_bucket) {
    return FailedPreconditionError("bbolt file " + image_->name + ": key \"" +
                                   Printable(key) + "\" in bucket \"" + path_ +
                                   "\" is a bucket, not a value");
  }
  return std::optional<std::string_view>(e->value);
}

StatusOr<std::optional<Bucket>> Bucket::GetBucket(std::string_view key) const {
  WINSNAP_ASSIGN_OR_RETURN(std::optional<Entry> e, Lookup(key));
  if (!e) return std::optional<Bucket>();
  if (!e->is_bucket) {
    return FailedPreconditionError("bbolt file " + image_->name + ": key \"" +
                                   Printable(key) + "\" in bucket \"" + path_ +
                                   "\" is a value, not a bucket");
  }
  WINSNAP_ASSIGN_OR_RETURN(Bucket b, OpenBucket(*e));
  return std::optional<Bucket>(std::move(b));
}

StatusOr<Bucket> Bucket::OpenBucket(const Entry& entry) const {
  if (!entry.is_bucket) {
    return FailedPreconditionError("key \"" + Printable(entry.key) +
                                   "\" is a value, not a bucket");
  }
  std::string child_path =
      path_.empty() ? Printable(entry.key) : path_ + "/" + Printable(entry.key);
  if (depth_ + 1 > kMaxBucketDepth) {
    return Corrupt(*image_, child_path,
                   "nested more than " + std::to_string(kMaxBucketDepth) +
                       " buckets deep");
  }
  if (entry.value.size() < kBucketHeaderSize) {
    return Corrupt(*image_, child_path,
                   "bucket header is " + std::to_string(entry.value.size()) +
                       " bytes, expected at least " +
                       std::to_string(kBucketHeaderSize));
  }
  uint64_t root = Le64(entry.value.data());
  uint64_t sequence = Le64(entry.value.data() + 8);
  std::string_view inline_page;
  if (root == 0) {
    inline_page = entry.value.substr(kBucketHeaderSize);
    // Validate now so a bad header is reported where the bucket is opened.
    WINSNAP_RETURN_IF_ERROR(
        ParseInlinePage(*image_, child_path, inline_page).status());
  }
  return Bucket(image_, std::move(child_path), depth_ + 1, root, sequence,
                inline_page);
}

DB::DB(std::unique_ptr<internal::Image> image) : image_(std::move(image)) {}
DB::DB(DB&&) noexcept = default;
DB& DB::operator=(DB&&) noexcept = default;
DB::~DB() = default;

StatusOr<DB> DB::Open(const std::string& path, base::Env* env) {
  if (env == nullptr) env = base::Env::Default();
  WINSNAP_ASSIGN_OR_RETURN(std::string bytes, env->ReadFile(path));
  return FromBytes(std::move(bytes), path);
}

StatusOr<DB> DB::FromBytes(std::string bytes, std::string name) {
  auto image = std::make_unique<internal::Image>();
  image->name = std::move(name);
  image->data = std::move(bytes);
  WINSNAP_ASSIGN_OR_RETURN(image->meta, SelectMeta(image->name, image->data));
  return DB(std::move(image));
}

const MetaInfo& DB::meta() const { return image_->meta; }
const std::string& DB::name() const { return image_->name; }

Bucket DB::root() const {
  return Bucket(image_.get(), "", 0, image_->meta.root_pgid,
                image_->meta.root_sequence, {});
}

}  // namespace winsnap::bbolt
