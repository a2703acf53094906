// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// containerd's filter language (containerd 1.6 filters/ package grammar) for
// Walk and the List RPC:
//   selectors := selector ("," selector)*        all must match
//   selector  := fieldpath [operator value]      no operator: field present
//   fieldpath := field ("." field)*
//   field     := quoted | [A-Za-z0-9_]+
//   operator  := "==" | "!=" | "~="              ~= is a regexp search
//   value     := quoted | [^\s,]+
//   quoted    := "..." with Go escapes; for ~= also /.../ and |...|
// A list of filter strings matches when any of them does (ListSnapshots
// semantics); an empty list matches everything. Matching follows
// containerd's selector rules exactly: "==" needs the field present, "!="
// compares against "" when the field is absent, "~=" searches the value.
// Regexps use std::regex ECMAScript, the closest to Go's RE2 available here
// (RE2-only syntax such as (?i) is an InvalidArgument parse error).
//
// Thread-safety: a Filter is immutable after parsing; share freely.

#ifndef WINSNAP_SNAPSHOTTER_FILTERS_H_
#define WINSNAP_SNAPSHOTTER_FILTERS_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace winsnap::snapshotter {

// Looks up a field path (e.g. {"labels","containerd.io/gc.root"}); nullopt
// if the object has no such field.
using FieldLookup = std::function<std::optional<std::string>(
    const std::vector<std::string>& path)>;

class Filter {
 public:
  // Parses one filter string; "" matches everything. InvalidArgument with
  // the position ("parse error: [name=<-- here]: ...") on bad input.
  static StatusOr<Filter> Parse(std::string_view expr);
  // Parses each string; the result matches if any of them matches.
  static StatusOr<Filter> ParseAny(const std::vector<std::string>& exprs);

  bool Match(const FieldLookup& lookup) const;

 private:
  enum class Op { kPresent, kEqual, kNotEqual, kMatches };
  struct Selector {
    std::vector<std::string> path;
    Op op = Op::kPresent;
    std::string value;
    std::shared_ptr<const std::regex> re;
  };
  // Outer vector: alternatives (OR); inner: selectors (AND). An empty outer
  // vector matches everything.
  std::vector<std::vector<Selector>> any_;
  bool always_ = true;
  friend class FilterParser;
};

// containerd's snapshot adaptor: "kind" -> active|view|committed, "name",
// "parent" (always present, "" for none), "labels.<k>" where <k> is the rest
// of the path joined by "."; anything else is absent. The arguments are
// captured by reference and must outlive the returned lookup.
FieldLookup SnapshotFieldLookup(
    const std::string& name, const std::string& parent,
    std::string_view kind_lower,
    const std::map<std::string, std::string>& labels);

}  // namespace winsnap::snapshotter

#endif  // WINSNAP_SNAPSHOTTER_FILTERS_H_
