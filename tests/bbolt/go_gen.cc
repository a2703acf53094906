// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "tests/bbolt/go_gen.h"

#include "tests/testutil/temp_dir.h"

namespace winsnap::bbolt::testing {
namespace {

std::string HexOf(std::string_view s) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

}  // namespace

std::string GoGenPath() { return WINSNAP_BBOLT_GEN; }

StatusOr<nlohmann::json> RunGoGen(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {GoGenPath()};
  argv.insert(argv.end(), args.begin(), args.end());
  winsnap::testing::CommandResult r = winsnap::testing::RunCommand(argv);
  if (r.exit_code != 0) {
    return InternalError("bbolt_gen failed (" + std::to_string(r.exit_code) +
                         "): " + r.err);
  }
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  if (j.is_discarded()) return InternalError("bbolt_gen printed bad JSON");
  return j;
}

StatusOr<nlohmann::json> DumpBucket(const Bucket& bucket) {
  nlohmann::json out = {{"seq", bucket.sequence()},
                        {"entries", nlohmann::json::array()}};
  Status s = bucket.ForEach([&](const Entry& e) -> Status {
    nlohmann::json je = {{"k", HexOf(e.key)}};
    if (e.is_bucket) {
      WINSNAP_ASSIGN_OR_RETURN(Bucket child, bucket.OpenBucket(e));
      WINSNAP_ASSIGN_OR_RETURN(je["b"], DumpBucket(child));
    } else {
      je["v"] = HexOf(e.value);
    }
    out["entries"].push_back(std::move(je));
    return OkStatus();
  });
  WINSNAP_RETURN_IF_ERROR(s);
  return out;
}

nlohmann::json SnapshotsToJson(const std::vector<ContainerdSnapshot>& snaps) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& s : snaps) {
    out.push_back({{"key", s.key},
                   {"id", s.id},
                   {"kind", static_cast<int>(s.kind)},
                   {"parent", s.parent},
                   {"labels", s.labels},
                   {"created_ns", s.created_ns},
                   {"updated_ns", s.updated_ns},
                   {"size", s.size},
                   {"inodes", s.inodes}});
  }
  return out;
}

}  // namespace winsnap::bbolt::testing
