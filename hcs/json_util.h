// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Internal to hcs/: strict JSON field readers and Go-"omitempty" writers used
// by schema.cc and oci.cc. Readers reject wrong types (nlohmann would quietly
// turn true into 1 or 1.5 into 1) and out-of-range integers by throwing
// SchemaError, which carries the JSON path of the offending value; the public
// Parse* functions catch it (and every nlohmann exception) and return
// InvalidArgument, so nothing is thrown out of the module. Unknown keys are
// ignored, as Go's encoding/json does.
//
// Thread-safety: stateless functions.

#ifndef WINSNAP_HCS_JSON_UTIL_H_
#define WINSNAP_HCS_JSON_UTIL_H_

#include <nlohmann/json.hpp>

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <vector>

#include "base/gojson.h"
#include "base/status.h"

namespace winsnap::hcs::json_util {

using json = nlohmann::json;

// A schema violation at a JSON path such as "windows.layerFolders[2]".
class SchemaError : public std::runtime_error {
 public:
  SchemaError(std::string path, std::string problem)
      : std::runtime_error(problem),
        path_(std::move(path)),
        problem_(std::move(problem)) {}

  // Returns the error with "key" prepended to its path.
  SchemaError Under(std::string_view key) const {
    std::string p(key);
    if (!path_.empty() && path_.front() != '[') p += '.';
    p += path_;
    return SchemaError(std::move(p), problem_);
  }
  std::string Describe() const {
    return path_.empty() ? problem_ : path_ + ": " + problem_;
  }

 private:
  std::string path_;
  std::string problem_;
};

[[noreturn]] inline void Fail(const json& j, std::string_view expected) {
  throw SchemaError("", "expected " + std::string(expected) + ", got " +
                            std::string(j.type_name()));
}

inline void ExpectObject(const json& j) {
  if (!j.is_object()) Fail(j, "an object");
}

// ---- ReadValue overloads: one per C++ type; structs add their own (found by
// argument-dependent lookup).

inline void ReadValue(const json& j, std::string& out) {
  if (!j.is_string()) Fail(j, "a string");
  out = j.get_ref<const std::string&>();
}

inline void ReadValue(const json& j, bool& out) {
  if (!j.is_boolean()) Fail(j, "a boolean");
  out = j.get<bool>();
}

inline void ReadValue(const json& j, json& out) { out = j; }

template <typename Int>
requires(std::is_integral_v<Int> &&
         !std::is_same_v<Int, bool>) void ReadValue(const json& j, Int& out) {
  using L = std::numeric_limits<Int>;
  if (j.is_number_unsigned()) {
    uint64_t v = j.get<uint64_t>();
    if (v > static_cast<uint64_t>(L::max())) {
      throw SchemaError("", "integer " + std::to_string(v) + " out of range");
    }
    out = static_cast<Int>(v);
  } else if (j.is_number_integer()) {
    int64_t v = j.get<int64_t>();
    if (v < 0 && !L::is_signed) {
      throw SchemaError(
          "", "integer " + std::to_string(v) + " must not be negative");
    }
    if constexpr (L::is_signed) {
      if (v < static_cast<int64_t>(L::min()) ||
          v > static_cast<int64_t>(L::max())) {
        throw SchemaError("", "integer " + std::to_string(v) + " out of range");
      }
    } else {
      if (static_cast<uint64_t>(v) > static_cast<uint64_t>(L::max())) {
        throw SchemaError("", "integer " + std::to_string(v) + " out of range");
      }
    }
    out = static_cast<Int>(v);
  } else {
    Fail(j, "an integer");
  }
}

template <typename T>
void ReadValue(const json& j, std::optional<T>& out);
template <typename T>
void ReadValue(const json& j, std::vector<T>& out);
template <typename T>
void ReadValue(const json& j, std::map<std::string, T>& out);

template <typename T>
void ReadValue(const json& j, std::vector<T>& out) {
  if (!j.is_array()) Fail(j, "an array");
  out.clear();
  out.reserve(j.size());
  for (size_t i = 0; i < j.size(); ++i) {
    T v{};
    try {
      ReadValue(j[i], v);
    } catch (const SchemaError& e) {
      throw e.Under("[" + std::to_string(i) + "]");
    }
    out.push_back(std::move(v));
  }
}

template <typename T>
void ReadValue(const json& j, std::map<std::string, T>& out) {
  ExpectObject(j);
  out.clear();
  for (auto it = j.begin(); it != j.end(); ++it) {
    T v{};
    try {
      ReadValue(it.value(), v);
    } catch (const SchemaError& e) {
      throw e.Under(it.key());
    }
    out.emplace(it.key(), std::move(v));
  }
}

template <typename T>
void ReadValue(const json& j, std::optional<T>& out) {
  if (j.is_null()) {
    out.reset();
    return;
  }
  T v{};
  ReadValue(j, v);
  out = std::move(v);
}

// Reads obj[key] into *out if present and not null; otherwise leaves *out.
template <typename T>
void Field(const json& obj, std::string_view key, T& out) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return;
  try {
    ReadValue(*it, out);
  } catch (const SchemaError& e) {
    throw e.Under(key);
  }
}

// Like Field, but a missing or null key is an error.
template <typename T>
void RequiredField(const json& obj, std::string_view key, T& out) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    throw SchemaError(std::string(key), "is required");
  }
  Field(obj, key, out);
}

// ---- Writers with Go's omitempty semantics (base::GoIsEmptyValue): "", 0,
// false, empty arrays and maps and absent optionals are left out; present
// optionals are written even when their own fields are all empty (Go
// pointers to structs).

template <typename T>
void Put(json& j, const char* key, const T& v) {
  if (!base::GoIsEmptyValue(v)) j[key] = v;
}

template <typename T>
void Put(json& j, const char* key, const std::optional<T>& v) {
  if (v.has_value()) j[key] = *v;
}

// An opaque section (e.g. OCI "hooks") is written unless it was absent (null),
// so an empty {} or [] read from a file is written back.
inline void Put(json& j, const char* key, const json& v) {
  if (!v.is_null()) j[key] = v;
}

// ---- Field lists: each struct's JSON fields are described once, as a tuple
// of Member<...> entries in Go's field order, and both directions are derived
// from it by WriteFields and ReadFields.

enum class Presence {
  kOmitEmpty,  // written unless empty (Put); read if present (Field)
  kAlways,     // always written; read if present
  kRequired,   // always written; missing or null is an error when read
};

template <Presence P, typename S, typename M>
struct Member {
  const char* key;
  M S::*member;
};

template <typename S, typename M>
constexpr Member<Presence::kOmitEmpty, S, M> Omitempty(const char* key,
                                                       M S::*m) {
  return {key, m};
}
template <typename S, typename M>
constexpr Member<Presence::kAlways, S, M> Always(const char* key, M S::*m) {
  return {key, m};
}
template <typename S, typename M>
constexpr Member<Presence::kRequired, S, M> Required(const char* key, M S::*m) {
  return {key, m};
}

// Calls fn(member) for each entry of a field list, in order.
template <typename... Ms, typename F>
void ForEachMember(const std::tuple<Ms...>& fields, F&& fn) {
  std::apply([&](const auto&... m) { (fn(m), ...); }, fields);
}

// Replaces *j with the object form of v.
template <typename S, typename Fields>
void WriteFields(json& j, const S& v, const Fields& fields) {
  j = json::object();
  ForEachMember(fields, [&]<Presence P, typename M>(const Member<P, S, M>& m) {
    if constexpr (P == Presence::kOmitEmpty) {
      Put(j, m.key, v.*m.member);
    } else {
      j[m.key] = v.*m.member;
    }
  });
}

// Reads the listed fields of object j into v (unlisted keys are ignored);
// throws SchemaError if j is not an object or a field is malformed.
template <typename S, typename Fields>
void ReadFields(const json& j, S& v, const Fields& fields) {
  ExpectObject(j);
  ForEachMember(fields, [&]<Presence P, typename M>(const Member<P, S, M>& m) {
    if constexpr (P == Presence::kRequired) {
      RequiredField(j, m.key, v.*m.member);
    } else {
      Field(j, m.key, v.*m.member);
    }
  });
}

// Runs "parse" (which may throw SchemaError or nlohmann exceptions) and turns
// a schema or JSON exception into InvalidArgument("<what>: <path>:
// <problem>"); any other exception (bad_alloc) becomes Internal.
template <typename T, typename F>
StatusOr<T> Guard(std::string_view what, F&& parse) {
  try {
    return parse();
  } catch (const SchemaError& e) {
    return InvalidArgumentError(std::string(what) + ": " + e.Describe());
  } catch (const json::exception& e) {
    return InvalidArgumentError(std::string(what) + ": " + e.what());
  } catch (const std::exception& e) {
    return InternalError(std::string(what) + ": " + e.what());
  }
}

}  // namespace winsnap::hcs::json_util

#endif  // WINSNAP_HCS_JSON_UTIL_H_
