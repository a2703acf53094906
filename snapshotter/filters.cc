// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Recursive-descent parser for the grammar in filters.h, written from the
// grammar and the behaviour of containerd 1.6's filters package.

#include "snapshotter/filters.h"

#include <cctype>
#include <cstdint>
#include <utility>

namespace winsnap::snapshotter {

namespace {

constexpr size_t kMaxFilterLength = 64 << 10;

bool IsFieldChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}
bool IsSpace(char c) { return std::isspace(static_cast<unsigned char>(c)); }
bool IsQuoteChar(char c) { return c == '"' || c == '/' || c == '|'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void AppendUtf8(std::string* out, uint32_t cp) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out->push_back(static_cast<char>(0xf0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

// Decodes the body of a quoted literal (without its quotes) with Go's
// escapes; the quote character itself must be escaped. False on bad syntax.
bool Unquote(std::string_view body, char quote, std::string* out) {
  out->clear();
  for (size_t i = 0; i < body.size();) {
    char c = body[i];
    if (c == quote || c == '\n') return false;
    if (c != '\\') {
      out->push_back(c);
      ++i;
      continue;
    }
    if (i + 1 >= body.size()) return false;
    char e = body[i + 1];
    i += 2;
    switch (e) {
      case 'a':
        out->push_back('\a');
        break;
      case 'b':
        out->push_back('\b');
        break;
      case 'f':
        out->push_back('\f');
        break;
      case 'n':
        out->push_back('\n');
        break;
      case 'r':
        out->push_back('\r');
        break;
      case 't':
        out->push_back('\t');
        break;
      case 'v':
        out->push_back('\v');
        break;
      case '\\':
        out->push_back('\\');
        break;
      case '"':
      case '|':
      case '/':
        if (e != quote) return false;
        out->push_back(e);
        break;
      case 'x':
      case 'u':
      case 'U': {
        size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
        if (i + n > body.size()) return false;
        uint32_t v = 0;
        for (size_t j = 0; j < n; ++j) {
          int h = HexValue(body[i + j]);
          if (h < 0) return false;
          v = (v << 4) | static_cast<uint32_t>(h);
        }
        i += n;
        if (e == 'x') {
          out->push_back(static_cast<char>(v));
        } else {
          if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return false;
          AppendUtf8(out, v);
        }
        break;
      }
      default:
        if (e < '0' || e > '7' || i + 2 > body.size()) return false;
        {
          uint32_t v = static_cast<uint32_t>(e - '0');
          for (size_t j = 0; j < 2; ++j) {
            char d = body[i + j];
            if (d < '0' || d > '7') return false;
            v = (v << 3) | static_cast<uint32_t>(d - '0');
          }
          if (v > 255) return false;
          i += 2;
          out->push_back(static_cast<char>(v));
        }
    }
  }
  return true;
}

}  // namespace

class FilterParser {
 public:
  explicit FilterParser(std::string_view input) : in_(input) {}

  StatusOr<std::vector<Filter::Selector>> Selectors() {
    std::vector<Filter::Selector> out;
    for (;;) {
      WINSNAP_ASSIGN_OR_RETURN(Filter::Selector s, Selector());
      out.push_back(std::move(s));
      SkipSpace();
      if (pos_ >= in_.size()) return out;
      if (in_[pos_] != ',')
        return Error(pos_, "unexpected input: " + std::string(1, in_[pos_]));
      ++pos_;
    }
  }

 private:
  StatusOr<Filter::Selector> Selector() {
    Filter::Selector s;
    WINSNAP_ASSIGN_OR_RETURN(std::string f, Field());
    s.path.push_back(std::move(f));
    for (;;) {
      SkipSpace();
      if (pos_ < in_.size() && in_[pos_] == '.') {
        ++pos_;
        WINSNAP_ASSIGN_OR_RETURN(f, Field());
        s.path.push_back(std::move(f));
        continue;
      }
      break;
    }
    if (pos_ >= in_.size() || in_[pos_] == ',') return s;  // presence test
    size_t op_pos = pos_;
    if (pos_ + 1 < in_.size() && in_[pos_ + 1] == '=' &&
        (in_[pos_] == '=' || in_[pos_] == '!' || in_[pos_] == '~')) {
      s.op = in_[pos_] == '='   ? Filter::Op::kEqual
             : in_[pos_] == '!' ? Filter::Op::kNotEqual
                                : Filter::Op::kMatches;
      pos_ += 2;
    } else {
      return Error(op_pos, R"(expected an operator ("=="|"!="|"~="))");
    }
    WINSNAP_ASSIGN_OR_RETURN(s.value, Value(s.op == Filter::Op::kMatches));
    if (s.op == Filter::Op::kMatches) {
      try {
        s.re =
            std::make_shared<const std::regex>(s.value, std::regex::ECMAScript);
      } catch (const std::regex_error& e) {
        return Error(op_pos, "invalid regular expression \"" + s.value +
                                 "\": " + e.what());
      }
    }
    return s;
  }

  StatusOr<std::string> Field() {
    SkipSpace();
    if (pos_ >= in_.size())
      return Error(pos_, "expected field or quoted, got end of input");
    char c = in_[pos_];
    if (IsQuoteChar(c)) return Quoted(/*allow_alt=*/false);
    size_t start = pos_;
    while (pos_ < in_.size() && IsFieldChar(in_[pos_])) ++pos_;
    if (pos_ == start) return Error(start, "expected field or quoted");
    return std::string(in_.substr(start, pos_ - start));
  }

  StatusOr<std::string> Value(bool allow_alt) {
    SkipSpace();
    if (pos_ >= in_.size())
      return Error(pos_, "expected value or quoted, got end of input");
    if (IsQuoteChar(in_[pos_])) return Quoted(allow_alt);
    size_t start = pos_;
    while (pos_ < in_.size() && in_[pos_] != ',' && !IsSpace(in_[pos_])) ++pos_;
    if (pos_ == start) return Error(start, "expected value or quoted");
    return std::string(in_.substr(start, pos_ - start));
  }

  StatusOr<std::string> Quoted(bool allow_alt) {
    size_t start = pos_;
    char q = in_[pos_++];
    while (pos_ < in_.size() && in_[pos_] != q) {
      if (in_[pos_] == '\n')
        return Error(start, "quoted literal not terminated");
      if (in_[pos_] == '\\') ++pos_;
      ++pos_;
    }
    if (pos_ >= in_.size())
      return Error(start, "quoted literal not terminated");
    ++pos_;  // closing quote
    if (q != '"' && !allow_alt)
      return Error(start, "invalid quote encountered");
    std::string out;
    if (!Unquote(in_.substr(start + 1, pos_ - start - 2), q, &out)) {
      return Error(start, "unquoting failed: quote syntax error");
    }
    return out;
  }

  void SkipSpace() {
    while (pos_ < in_.size() && IsSpace(in_[pos_])) ++pos_;
  }

  Status Error(size_t pos, const std::string& msg) const {
    std::string shown = pos < in_.size()
                            ? std::string(in_.substr(0, pos)) + "<-- here" +
                                  std::string(in_.substr(pos))
                            : std::string(in_) + "<-- here";
    return InvalidArgumentError("filters: parse error: [" + shown +
                                "]: " + msg);
  }

  std::string_view in_;
  size_t pos_ = 0;
};

StatusOr<Filter> Filter::Parse(std::string_view expr) {
  Filter f;
  if (expr.empty()) return f;
  if (expr.size() > kMaxFilterLength) {
    return InvalidArgumentError(
        "filters: filter is " + std::to_string(expr.size()) +
        " bytes; the limit is " + std::to_string(kMaxFilterLength));
  }
  FilterParser p(expr);
  WINSNAP_ASSIGN_OR_RETURN(auto sels, p.Selectors());
  f.always_ = false;
  f.any_.push_back(std::move(sels));
  return f;
}

StatusOr<Filter> Filter::ParseAny(const std::vector<std::string>& exprs) {
  Filter out;
  for (const auto& e : exprs) {
    WINSNAP_ASSIGN_OR_RETURN(Filter f, Parse(e));
    if (f.always_) return f;  // "" matches everything
    out.always_ = false;
    for (auto& alt : f.any_) out.any_.push_back(std::move(alt));
  }
  return out;
}

bool Filter::Match(const FieldLookup& lookup) const {
  if (always_) return true;
  for (const auto& all : any_) {
    bool ok = true;
    for (const auto& s : all) {
      std::optional<std::string> v = lookup(s.path);
      switch (s.op) {
        case Op::kPresent:
          ok = v.has_value();
          break;
        case Op::kEqual:
          ok = v.has_value() && *v == s.value;
          break;
        case Op::kNotEqual:
          ok = v.value_or("") != s.value;
          break;
        case Op::kMatches:
          ok = s.re && std::regex_search(v.value_or(""), *s.re);
          break;
      }
      if (!ok) break;
    }
    if (ok) return true;
  }
  return false;
}

FieldLookup SnapshotFieldLookup(
    const std::string& name, const std::string& parent,
    std::string_view kind_lower,
    const std::map<std::string, std::string>& labels) {
  return
      [&name, &parent, kind = std::string(kind_lower), &labels](
          const std::vector<std::string>& path) -> std::optional<std::string> {
        if (path.empty()) return std::nullopt;
        if (path[0] == "kind") return kind;
        if (path[0] == "name") return name;
        if (path[0] == "parent") return parent;
        if (path[0] == "labels") {
          std::string key = path.size() > 1 ? path[1] : "";
          for (size_t i = 2; i < path.size(); ++i) key += "." + path[i];
          auto it = labels.find(key);
          if (it != labels.end()) return it->second;
        }
        return std::nullopt;
      };
}

}  // namespace winsnap::snapshotter
