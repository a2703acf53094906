// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// The containerd filter parser: a rune scanner and a recursive-descent parser
// written to accept, reject and report exactly what containerd's filters
// package does (same tokens, same error positions and reasons), plus the
// "~=" pattern checks described in filters.h. The parser keeps no recursion
// proportional to the input, so long inputs cost time, not stack.
//
// Thread-safety: parsing uses only local state; see filters.h for Filter.

#include "snapshotter/filters.h"

#include <algorithm>
#include <cstdint>
#include <utility>

#include <re2/re2.h>

namespace winsnap::snapshotter {

namespace filters_internal {

enum class Op { kPresent, kEqual, kNotEqual, kMatches };

struct Selector {
  std::vector<std::string> path;
  Op op = Op::kPresent;
  std::string value;
  // Set iff op == kMatches: the compiled "value", searched for anywhere in
  // the field's value (see CompileRegexp).
  std::shared_ptr<const re2::RE2> re;
};

}  // namespace filters_internal

using filters_internal::Op;
using filters_internal::Selector;

struct Filter::Impl {
  // Any of the alternatives; each alternative needs all its selectors.
  std::vector<std::vector<Selector>> any;
};

namespace {

// ---------------------------------------------------------------------------
// Runes, decoded and classified the way Go's utf8 and unicode packages do.

constexpr int32_t kEof = -1;
constexpr int32_t kIllegal = -2;
constexpr int32_t kRuneError = 0xFFFD;
constexpr int32_t kMaxRune = 0x10FFFF;

struct Decoded {
  int32_t rune;
  size_t width;
};

// utf8.DecodeRuneInString: {kRuneError, 0} at the end, {kRuneError, 1} for
// any invalid, overlong, surrogate or truncated sequence.
Decoded DecodeRune(std::string_view s, size_t i) {
  if (i >= s.size()) return {kRuneError, 0};
  const auto b0 = static_cast<uint8_t>(s[i]);
  if (b0 < 0x80) return {b0, 1};
  size_t n;
  uint8_t lo = 0x80, hi = 0xBF;
  int32_t r;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2;
    r = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3;
    r = b0 & 0x0F;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;  // no surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4;
    r = b0 & 0x07;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  } else {
    return {kRuneError, 1};
  }
  if (s.size() - i < n) return {kRuneError, 1};
  for (size_t k = 1; k < n; ++k) {
    const auto b = static_cast<uint8_t>(s[i + k]);
    if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xBF)) {
      return {kRuneError, 1};
    }
    r = (r << 6) | (b & 0x3F);
  }
  return {r, n};
}

// utf8.EncodeRune: surrogates and out-of-range values become U+FFFD.
void AppendRune(std::string* out, int32_t r) {
  if (r < 0 || r > kMaxRune || (r >= 0xD800 && r <= 0xDFFF)) r = kRuneError;
  const auto u = static_cast<uint32_t>(r);
  if (u < 0x80) {
    out->push_back(static_cast<char>(u));
  } else if (u < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (u >> 6)));
    out->push_back(static_cast<char>(0x80 | (u & 0x3F)));
  } else if (u < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (u >> 12)));
    out->push_back(static_cast<char>(0x80 | ((u >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (u & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (u >> 18)));
    out->push_back(static_cast<char>(0x80 | ((u >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((u >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (u & 0x3F)));
  }
}

// unicode.IsSpace.
bool IsSpaceRune(int32_t r) {
  switch (r) {
    case '\t':
    case '\n':
    case '\v':
    case '\f':
    case '\r':
    case ' ':
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
      return true;
    default:
      return r >= 0x2000 && r <= 0x200A;
  }
}

// Non-ASCII, non-space runes that Go's unicode.IsGraphic rejects: C1
// controls (Cc), format characters (Cf, Unicode 13 as in Go 1.19), private
// use (Co) and noncharacters. Other unassigned code points are accepted (see
// filters.h).
bool IsNonGraphicNonAscii(int32_t r) {
  struct Range {
    int32_t lo, hi;
  };
  static constexpr Range kRanges[] = {
      {0x80, 0x9F},       {0xAD, 0xAD},       {0x600, 0x605},
      {0x61C, 0x61C},     {0x6DD, 0x6DD},     {0x70F, 0x70F},
      {0x8E2, 0x8E2},     {0x180E, 0x180E},   {0x200B, 0x200F},
      {0x202A, 0x202E},   {0x2060, 0x2064},   {0x2066, 0x206F},
      {0xE000, 0xF8FF},   {0xFDD0, 0xFDEF},   {0xFEFF, 0xFEFF},
      {0xFFF9, 0xFFFB},   {0x110BD, 0x110BD}, {0x110CD, 0x110CD},
      {0x13430, 0x13438}, {0x1BCA0, 0x1BCA3}, {0x1D173, 0x1D17A},
      {0xE0001, 0xE0001}, {0xE0020, 0xE007F}, {0xF0000, 0x10FFFF},
  };
  if ((r & 0xFFFE) == 0xFFFE) return true;  // U+xFFFE and U+xFFFF
  for (const Range& range : kRanges) {
    if (r >= range.lo && r <= range.hi) return true;
  }
  return false;
}

bool IsFieldRune(int32_t r) {
  return (r >= 'A' && r <= 'Z') || (r >= 'a' && r <= 'z') ||
         (r >= '0' && r <= '9') || r == '_';
}
bool IsOperatorRune(int32_t r) { return r == '=' || r == '!' || r == '~'; }
bool IsQuoteRune(int32_t r) { return r == '"' || r == '/' || r == '|'; }
bool IsSeparatorRune(int32_t r) { return r == ',' || r == '.'; }

// Characters of an unquoted value after its first: graphic, not space, not
// ','.
bool IsValueRune(int32_t r) {
  if (r < 0 || r == ',' || IsSpaceRune(r)) return false;
  if (r < 0x80) return r > 0x20 && r < 0x7F;
  return !IsNonGraphicNonAscii(r);
}

int DigitValue(int32_t r) {
  if (r >= '0' && r <= '9') return r - '0';
  if (r >= 'a' && r <= 'f') return r - 'a' + 10;
  if (r >= 'A' && r <= 'F') return r - 'A' + 10;
  return 16;  // larger than any base
}

// ---------------------------------------------------------------------------
// Scanner. pos_ is where the last rune read starts, ppos_ where it ends.
// value_ is set by an operator and makes the next unquoted token a value.
// err_ keeps the first scanning error, which illegal tokens report.

enum class Tok {
  kEof,
  kQuoted,
  kValue,
  kField,
  kSeparator,
  kOperator,
  kIllegal,
  kOther
};

struct Token {
  Tok kind;
  size_t pos;             // byte offset where the token starts
  std::string_view text;  // the token's bytes, quotes included
};

class Scanner {
 public:
  explicit Scanner(std::string_view input) : in_(input) {}

  size_t ppos() const { return ppos_; }
  const std::string& err() const { return err_; }

  int32_t Next() {
    if (pos_ >= in_.size()) return kEof;
    pos_ = ppos_;
    const Decoded d = DecodeRune(in_, ppos_);
    ppos_ += d.width;
    if (d.rune == kRuneError) {
      // Like Go, this also refuses a literal U+FFFD in the input.
      if (d.width == 0) return kEof;
      SetError("rune error");
      return kIllegal;
    }
    if (d.rune == 0) {
      SetError("unexpected null");
      return kIllegal;
    }
    return d.rune;
  }

  // The next rune without consuming it (errors it meets are still kept).
  int32_t Peek() {
    const size_t pos = pos_, ppos = ppos_;
    const int32_t r = Next();
    pos_ = pos;
    ppos_ = ppos;
    return r;
  }

  Token Scan() {
    int32_t ch = Next();
    size_t pos = pos_;
    while (IsSpaceRune(ch)) {
      ch = Next();
      pos = pos_;
    }
    if (ch == kEof) return {Tok::kEof, pos_, {}};
    if (ch == kIllegal) return {Tok::kIllegal, pos_, {}};
    if (IsQuoteRune(ch)) {
      const bool ok = ScanQuoted(ch);
      return {ok ? Tok::kQuoted : Tok::kIllegal, pos, Text(pos)};
    }
    if (IsSeparatorRune(ch)) {
      value_ = false;
      return {Tok::kSeparator, pos, Text(pos)};
    }
    if (IsOperatorRune(ch)) {
      while (IsOperatorRune(Peek())) Next();
      value_ = true;
      return {Tok::kOperator, pos, Text(pos)};
    }
    if (value_) {
      // The first character of a value may be anything left; the rest must
      // be value runes.
      while (IsValueRune(Peek())) Next();
      value_ = false;
      return {Tok::kValue, pos, Text(pos)};
    }
    if (IsFieldRune(ch)) {
      while (IsFieldRune(Peek())) Next();
      return {Tok::kField, pos, Text(pos)};
    }
    return {Tok::kOther, pos_, {}};
  }

 private:
  std::string_view Text(size_t from) const {
    return in_.substr(from, ppos_ - from);
  }

  void SetError(const char* msg) {
    if (err_.empty()) err_ = msg;
  }

  // Reads up to and including the closing quote. False if the literal is
  // unterminated or holds a bad escape (err_ says which).
  bool ScanQuoted(int32_t quote) {
    bool legal = true;
    int32_t ch = Next();
    while (ch != quote) {
      if (ch == '\n' || ch < 0) {
        SetError("quoted literal not terminated");
        return false;
      }
      if (ch == '\\') {
        ch = ScanEscape(quote, &legal);
      } else {
        ch = Next();
      }
    }
    return legal;
  }

  // After a backslash: consumes the escape and returns the rune after it.
  // Clears *legal on a bad escape (and then returns the rune that made it
  // bad, which the caller examines next).
  int32_t ScanEscape(int32_t quote, bool* legal) {
    const int32_t ch = Next();
    switch (ch) {
      case 'a':
      case 'b':
      case 'f':
      case 'n':
      case 'r':
      case 't':
      case 'v':
      case '\\':
        return Next();
      case '0':
      case '1':
      case '2':
      case '3':
      case '4':
      case '5':
      case '6':
      case '7':
        return ScanDigits(ch, 8, 3, legal);
      case 'x':
        return ScanDigits(Next(), 16, 2, legal);
      case 'u':
        return ScanDigits(Next(), 16, 4, legal);
      case 'U':
        return ScanDigits(Next(), 16, 8, legal);
      default:
        if (ch == quote) return Next();
        SetError("illegal escape sequence");
        *legal = false;
        return ch;
    }
  }

  int32_t ScanDigits(int32_t ch, int base, int n, bool* legal) {
    while (n > 0 && DigitValue(ch) < base) {
      ch = Next();
      --n;
    }
    if (n > 0) {
      SetError("illegal numeric escape sequence");
      *legal = false;
    }
    return ch;
  }

  std::string_view in_;
  size_t pos_ = 0;
  size_t ppos_ = 0;
  bool value_ = false;
  std::string err_;
};

// Decodes a scanned quoted literal (quotes included) as Go's strconv.Unquote
// would, with '/' and '|' acting like '"'. False on bad syntax.
bool Unquote(std::string_view lit, std::string* out) {
  const char quote = lit.front();
  std::string_view s = lit.substr(1, lit.size() - 2);
  out->clear();
  if (s.find('\n') != std::string_view::npos) return false;
  if (s.find('\\') == std::string_view::npos &&
      s.find(quote) == std::string_view::npos) {
    out->assign(s);
    return true;
  }
  size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (c == quote) return false;
    if (static_cast<uint8_t>(c) >= 0x80) {
      const Decoded d = DecodeRune(s, i);
      AppendRune(out, d.rune);
      i += d.width;
      continue;
    }
    if (c != '\\') {
      out->push_back(c);
      ++i;
      continue;
    }
    if (i + 1 >= s.size()) return false;
    const char e = s[i + 1];
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
      case 'x':
      case 'u':
      case 'U': {
        const size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
        if (s.size() - i < n) return false;
        uint32_t v = 0;
        for (size_t k = 0; k < n; ++k) {
          const int d = DigitValue(static_cast<unsigned char>(s[i + k]));
          if (d >= 16) return false;
          v = (v << 4) | static_cast<uint32_t>(d);
        }
        i += n;
        if (e == 'x') {
          out->push_back(static_cast<char>(v));  // one byte, maybe not UTF-8
        } else {
          if (v > static_cast<uint32_t>(kMaxRune)) return false;
          AppendRune(out, static_cast<int32_t>(v));
        }
        break;
      }
      case '0':
      case '1':
      case '2':
      case '3':
      case '4':
      case '5':
      case '6':
      case '7': {
        if (s.size() - i < 2) return false;
        uint32_t v = static_cast<uint32_t>(e - '0');
        for (size_t k = 0; k < 2; ++k) {
          const char d = s[i + k];
          if (d < '0' || d > '7') return false;
          v = (v << 3) | static_cast<uint32_t>(d - '0');
        }
        if (v > 255) return false;
        i += 2;
        out->push_back(static_cast<char>(v));
        break;
      }
      case '"':
      case '|':
      case '/':
      case '\'':
        if (e != quote) return false;
        out->push_back(e);
        break;
      default:
        return false;
    }
  }
  return true;
}

// ---------------------------------------------------------------------------
// "~=" patterns.

// Compiles "pattern" once, at parse time, with RE2 in its default (Perl-like,
// non-POSIX) mode, which is the syntax and semantics Go's regexp package was
// modelled on: UTF-8 text, "." not matching '\n', "^"/"$" the text's ends
// unless (?m), repeat counts up to 1000, (?flags), \pL, \A, \z, \Q..\E
// and (?P<name>..) all as in Go; no backreferences or lookaround. RE2 runs
// in time linear in the subject and bounds its memory (max_mem); a pattern
// whose program would not fit is an error here rather than a slow match.
StatusOr<std::shared_ptr<const re2::RE2>> CompileRegexp(
    std::string_view pattern) {
  if (pattern.size() > kMaxRegexpBytes) {
    return InvalidArgumentError("pattern is longer than " +
                                std::to_string(kMaxRegexpBytes) + " bytes");
  }
  re2::RE2::Options o;
  o.set_log_errors(false);
  o.set_never_capture(true);
  o.set_max_mem(kMaxRegexpMemory);
  auto re = std::make_shared<const re2::RE2>(
      re2::StringPiece(pattern.data(), pattern.size()), o);
  if (!re->ok()) return InvalidArgumentError(re->error());
  return re;
}

// ---------------------------------------------------------------------------
// Parser, following containerd's grammar and error reporting.

class Parser {
 public:
  explicit Parser(std::string_view input) : in_(input), scanner_(input) {}

  StatusOr<std::vector<Selector>> Selectors() {
    std::vector<Selector> out;
    WINSNAP_ASSIGN_OR_RETURN(Selector first, ParseSelector());
    out.push_back(std::move(first));
    for (;;) {
      const int32_t r = scanner_.Peek();
      if (r == kEof) return out;
      if (r != ',') {
        std::string shown;
        AppendRune(&shown, r < 0 ? kRuneError : r);
        return Error(scanner_.ppos(), "unexpected input: " + shown);
      }
      (void)scanner_.Scan();  // the ','
      WINSNAP_ASSIGN_OR_RETURN(Selector next, ParseSelector());
      out.push_back(std::move(next));
    }
  }

 private:
  StatusOr<Selector> ParseSelector() {
    Selector s;
    WINSNAP_ASSIGN_OR_RETURN(std::string first, Field());
    s.path.push_back(std::move(first));
    while (scanner_.Peek() == '.') {
      (void)scanner_.Scan();  // the '.'
      WINSNAP_ASSIGN_OR_RETURN(std::string next, Field());
      s.path.push_back(std::move(next));
    }
    const int32_t r = scanner_.Peek();
    if (r == ',' || r == kEof) return s;  // presence test

    const Token op = scanner_.Scan();
    if (op.kind == Tok::kIllegal) return Error(op.pos, scanner_.err());
    if (op.kind != Tok::kOperator) {
      return Error(op.pos, R"(expected an operator ("=="|"!="|"~="))");
    }
    if (op.text == "==") {
      s.op = Op::kEqual;
    } else if (op.text == "!=") {
      s.op = Op::kNotEqual;
    } else if (op.text == "~=") {
      s.op = Op::kMatches;
    } else {
      return Error(op.pos,
                   "unsupported operator \"" + std::string(op.text) + "\"");
    }

    const Token v = scanner_.Scan();
    switch (v.kind) {
      case Tok::kValue:
      case Tok::kField:
        s.value = std::string(v.text);
        break;
      case Tok::kQuoted: {
        WINSNAP_ASSIGN_OR_RETURN(s.value, Unquoted(v, s.op == Op::kMatches));
        break;
      }
      case Tok::kIllegal:
        return Error(v.pos, scanner_.err());
      default:
        return Error(v.pos, "expected value or quoted");
    }
    if (s.op == Op::kMatches) {
      auto re = CompileRegexp(s.value);
      if (!re.ok()) {
        return Error(v.pos, "invalid regexp: " + re.status().message());
      }
      s.re = std::move(re).value();
    }
    return s;
  }

  StatusOr<std::string> Field() {
    const Token t = scanner_.Scan();
    switch (t.kind) {
      case Tok::kField:
        return std::string(t.text);
      case Tok::kQuoted:
        return Unquoted(t, /*allow_alt_quotes=*/false);
      case Tok::kIllegal:
        return Error(t.pos, scanner_.err());
      default:
        return Error(t.pos, "expected field or quoted");
    }
  }

  // "/.../" and "|...|" are only allowed for "~=" values.
  StatusOr<std::string> Unquoted(const Token& t, bool allow_alt_quotes) {
    if (!allow_alt_quotes && t.text.front() != '"') {
      return Error(t.pos, "invalid quote encountered");
    }
    std::string out;
    if (!Unquote(t.text, &out)) {
      return Error(t.pos, "unquoting failed: quote syntax error");
    }
    return out;
  }

  // "filters: parse error: [before >|c|< after]: msg", where c is the byte
  // at pos, or "[input]: msg" when pos is the end.
  Status Error(size_t pos, std::string_view msg) const {
    std::string m = "filters: parse error: [";
    if (pos < in_.size()) {
      m.append(in_.substr(0, pos));
      m.append(" >|");
      m.push_back(in_[pos]);
      m.append("|< ");
      m.append(in_.substr(pos + 1));
    } else {
      m.append(in_);
    }
    m.append("]: ");
    m.append(msg);
    return InvalidArgumentError(std::move(m));
  }

  std::string_view in_;
  Scanner scanner_;
};

// One filter string: *always is set for "", else *out gets its selectors.
Status ParseOne(std::string_view expr, bool* always,
                std::vector<Selector>* out) {
  *always = expr.empty();
  if (*always) return OkStatus();
  if (expr.size() > kMaxFilterBytes) {
    return InvalidArgumentError("filters: filter is " +
                                std::to_string(expr.size()) +
                                " bytes, more than the " +
                                std::to_string(kMaxFilterBytes) + " allowed");
  }
  Parser parser(expr);
  WINSNAP_ASSIGN_OR_RETURN(*out, parser.Selectors());
  return OkStatus();
}

bool MatchSelector(const Selector& s, const FieldLookup& lookup) {
  const std::optional<std::string> v = lookup(s.path);
  switch (s.op) {
    case Op::kPresent:
      return v.has_value();
    case Op::kEqual:
      return v.has_value() && *v == s.value;
    case Op::kNotEqual:
      // containerd compares the adaptor's value, "" for an absent field.
      return (v.has_value() ? std::string_view(*v) : std::string_view()) !=
             s.value;
    case Op::kMatches:
      return v.has_value() ? re2::RE2::PartialMatch(*v, *s.re)
                           : re2::RE2::PartialMatch("", *s.re);
  }
  return false;
}

}  // namespace

Filter::Filter() = default;

Filter::Filter(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

StatusOr<Filter> Filter::Parse(std::string_view expr) {
  bool always = false;
  std::vector<Selector> selectors;
  WINSNAP_RETURN_IF_ERROR(ParseOne(expr, &always, &selectors));
  if (always) return Filter();
  auto impl = std::make_shared<Impl>();
  impl->any.push_back(std::move(selectors));
  return Filter(std::move(impl));
}

StatusOr<Filter> Filter::ParseAny(const std::vector<std::string>& exprs) {
  return ParseAny(exprs, nullptr);
}

StatusOr<Filter> Filter::ParseAny(const std::vector<std::string>& exprs,
                                  const std::function<Status()>& interrupt) {
  bool any_always = exprs.empty();
  auto impl = std::make_shared<Impl>();
  for (const std::string& expr : exprs) {
    if (interrupt) WINSNAP_RETURN_IF_ERROR(interrupt());
    bool always = false;
    std::vector<Selector> selectors;
    WINSNAP_RETURN_IF_ERROR(ParseOne(expr, &always, &selectors));
    if (always) {
      any_always = true;  // keep parsing: containerd reports later errors
    } else {
      impl->any.push_back(std::move(selectors));
    }
  }
  if (any_always) return Filter();
  return Filter(std::move(impl));
}

bool Filter::Match(const FieldLookup& lookup) const {
  return *Match(lookup, nullptr);
}

StatusOr<bool> Filter::Match(const FieldLookup& lookup,
                             const std::function<Status()>& interrupt) const {
  if (impl_ == nullptr) return true;
  for (const std::vector<Selector>& all : impl_->any) {
    if (interrupt) WINSNAP_RETURN_IF_ERROR(interrupt());
    if (std::all_of(all.begin(), all.end(), [&](const Selector& s) {
          return MatchSelector(s, lookup);
        })) {
      return true;
    }
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
        const std::string& field = path[0];
        if (field == "kind") {
          if (kind == "active" || kind == "view" || kind == "committed") {
            return kind;
          }
          return std::nullopt;
        }
        if (field == "name") return name;
        if (field == "parent") return parent;
        if (field == "labels") {
          std::string key;
          for (size_t i = 1; i < path.size(); ++i) {
            if (i > 1) key.push_back('.');
            key.append(path[i]);
          }
          auto it = labels.find(key);
          if (it == labels.end()) return std::nullopt;
          return it->second;
        }
        return std::nullopt;
      };
}

}  // namespace winsnap::snapshotter
