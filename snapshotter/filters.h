// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// containerd's filter language (the github.com/containerd/containerd filters
// package, unchanged from 1.6 to 2.x), used by Walk and the List RPC. One
// filter string is a comma-separated list of selectors that must all match:
//
//   selectors := selector ("," selector)*
//   selector  := fieldpath [operator value]   no operator: "field is present"
//   fieldpath := field ("." field)*
//   field     := [A-Za-z0-9_]+ | "..."
//   operator  := "==" | "!=" | "~="           ~= is an unanchored regexp search
//   value     := "..." | unquoted run up to "," or whitespace
//                (for ~= also /.../ and |...|, so a regexp may contain '"')
//
// Quoted strings take Go's escapes (\a \b \f \n \r \t \v \\ \" \ooo \xhh
// \uhhhh \Uhhhhhhhh). Whitespace may precede a field, an operator or a value
// but not a "," or the end of the string (containerd rejects "a==b ,c").
// A list of filter strings matches when any of them matches (gRPC
// ListSnapshotsRequest.filters); an empty list, or any "" in the list,
// matches everything. containerd has no OR inside one filter string: '|'
// there is the regexp quote above or part of an unquoted value, and a
// backtick is an ordinary value character, not a quote.
//
// Matching is containerd's: "==" needs the field present and equal; "!="
// compares the field's value, "" when absent, so "labels.x!=v" matches an
// object without label x while "labels.x!=\"\"" does not; "~=" searches the
// value ("" when absent).
//
// Differences from containerd:
//  - a filter string longer than kMaxFilterBytes is rejected;
//  - "~=" patterns are compiled at parse time (containerd compiles them while
//    matching, logs a bad one and matches nothing), so a bad pattern is an
//    InvalidArgument parse error;
//  - patterns run on RE2 (the C++ library Go's regexp syntax was modelled
//    on), not Go's regexp itself. Syntax and matching agree with Go for
//    everything containerd users write; RE2 also accepts \C (any byte),
//    which Go rejects, and treats invalid UTF-8 in the subject as
//    non-matching bytes where Go reads U+FFFD. Matching is linear in the
//    value; a pattern is limited to kMaxRegexpBytes bytes and its compiled
//    program and match cache to kMaxRegexpMemory bytes (larger ones are
//    parse errors);
//  - unassigned Unicode code points end an unquoted value in containerd (Go
//    1.19's unicode.IsGraphic, which changes with each Unicode version);
//    here they are value characters.
// Everything else, including every parse error message, is byte for byte
// containerd's (tests/snapshotter/filters_test.cc checks that against
// containerd's own storage Walk). Parse errors mark the offending byte:
//   filters: parse error: [labels.key== >|/|< value]: quoted literal not
//   terminated
//
// Thread-safety: a Filter is an immutable value; copies share their parsed
// form, and Match may run concurrently on one Filter from many threads.

#ifndef WINSNAP_SNAPSHOTTER_FILTERS_H_
#define WINSNAP_SNAPSHOTTER_FILTERS_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace winsnap::snapshotter {

// Looks up a field path (e.g. {"labels","containerd.io/gc.root"}); nullopt
// if the object has no such field.
using FieldLookup = std::function<std::optional<std::string>(
    const std::vector<std::string>& path)>;

inline constexpr std::size_t kMaxFilterBytes = 64 * 1024;
inline constexpr std::size_t kMaxRegexpBytes = 1024;
inline constexpr int64_t kMaxRegexpMemory = 4 << 20;

class Filter {
 public:
  // Matches everything, like Parse("").
  Filter();

  // Parses one filter string; "" matches everything. Returns InvalidArgument
  // ("filters: parse error: [<input with the position marked>]: <reason>")
  // on bad syntax, a bad "~=" pattern or an input over kMaxFilterBytes.
  static StatusOr<Filter> Parse(std::string_view expr);

  // Parses every string; the result matches when any of them matches, and
  // an empty list matches everything. Returns the first string's error if
  // any string fails to parse, even when another one is "".
  static StatusOr<Filter> ParseAny(const std::vector<std::string>& exprs);
  // As above, calling "interrupt" (if set) before each string and stopping
  // with its error: compiling many large "~=" patterns takes long, and a
  // call's deadline or cancellation must stop it as it stops a walk.
  static StatusOr<Filter> ParseAny(const std::vector<std::string>& exprs,
                                   const std::function<Status()>& interrupt);

  // True if the object "lookup" describes matches. Calls lookup once per
  // selector tried, never after returning.
  bool Match(const FieldLookup& lookup) const;
  // As above, calling "interrupt" (if set) before each ORed filter string
  // and returning its error: one object against many "~=" filters can take
  // seconds, and a call's deadline or cancellation must stop it.
  StatusOr<bool> Match(const FieldLookup& lookup,
                       const std::function<Status()>& interrupt) const;

  // True if Match returns true for every object.
  bool matches_everything() const { return impl_ == nullptr; }

 private:
  struct Impl;
  explicit Filter(std::shared_ptr<const Impl> impl);

  // nullptr matches everything. Invariant: otherwise impl_ has at least one
  // alternative and every alternative at least one selector.
  std::shared_ptr<const Impl> impl_;
};

// containerd's snapshot adaptor (snapshots/storage/bolt.go): "kind" ->
// kind_lower when it is "active", "view" or "committed" (else absent);
// "name" and "parent" are always present ("" when there is no parent);
// "labels.<k>" is the label whose key is the rest of the path joined by "."
// (so labels.a.b reads label "a.b"); any other path is absent. Only the first
// component selects the field: "name.x" reads the name, as in containerd.
// REQUIRES: name, parent and labels outlive the returned lookup (they are
// captured by reference); kind_lower is copied.
FieldLookup SnapshotFieldLookup(
    const std::string& name, const std::string& parent,
    std::string_view kind_lower,
    const std::map<std::string, std::string>& labels);

}  // namespace winsnap::snapshotter

#endif  // WINSNAP_SNAPSHOTTER_FILTERS_H_
