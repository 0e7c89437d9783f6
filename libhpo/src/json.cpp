#include "hpo/json.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>

#include "hpo/error.hpp"

namespace hpo {
namespace {

// Decodes the UTF-8 sequence at s[i] into a code point and its length, rejecting what
// strict UTF-8 rejects (bad bytes, overlong forms, surrogates, code points past U+10FFFF),
// so that every string we accept has exactly one escaped form.
std::pair<std::uint32_t, std::size_t> decode_utf8(std::string_view s, std::size_t i) {
  auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return {c, 1};
  std::size_t len;
  std::uint32_t cp, min;
  if ((c & 0xE0) == 0xC0) {
    len = 2, cp = c & 0x1F, min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3, cp = c & 0x0F, min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4, cp = c & 0x07, min = 0x10000;
  } else {
    throw ValueError("invalid UTF-8 byte in JSON string at offset " + std::to_string(i));
  }
  if (i + len > s.size())
    throw ValueError("truncated UTF-8 sequence in JSON string at offset " + std::to_string(i));
  for (std::size_t k = 1; k < len; ++k) {
    auto cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xC0) != 0x80)
      throw ValueError("invalid UTF-8 continuation byte in JSON string at offset " + std::to_string(i + k));
    cp = (cp << 6) | (cc & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp < 0xE000))
    throw ValueError("invalid UTF-8 sequence (overlong, surrogate or beyond U+10FFFF) in JSON string at offset " +
                     std::to_string(i));
  return {cp, len};
}

void dump_string(const std::string& s, std::string& out) {
  out += '"';
  // Non-ASCII code points are written as \uXXXX (surrogate pairs above U+FFFF), as
  // Python's json.dumps does with ensure_ascii=True.
  for (std::size_t i = 0; i < s.size();) {
    auto [cp, len] = decode_utf8(s, i);
    i += len;
    char buf[16];
    switch (cp) {
      case '"': out += "\\\""; continue;
      case '\\': out += "\\\\"; continue;
      case '\n': out += "\\n"; continue;
      case '\r': out += "\\r"; continue;
      case '\t': out += "\\t"; continue;
      case '\b': out += "\\b"; continue;
      case '\f': out += "\\f"; continue;
      default: break;
    }
    if (cp >= 0x20 && cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x10000) {
      std::snprintf(buf, sizeof buf, "\\u%04x", cp);
      out += buf;
    } else {
      cp -= 0x10000;
      std::snprintf(buf, sizeof buf, "\\u%04x\\u%04x", 0xD800 + (cp >> 10), 0xDC00 + (cp & 0x3FF));
      out += buf;
    }
  }
  out += '"';
}

template <class J>
void dump_value(const J& v, std::string& out) {
  switch (v.type()) {
    case nlohmann::detail::value_t::object: {
      out += '{';
      bool first = true;
      for (const auto& [key, item] : v.items()) {
        if (!first) out += ", ";
        first = false;
        dump_string(key, out);
        out += ": ";
        dump_value(item, out);
      }
      out += '}';
      return;
    }
    case nlohmann::detail::value_t::array: {
      out += '[';
      for (std::size_t i = 0; i < v.size(); ++i) {
        if (i) out += ", ";
        dump_value(v[i], out);
      }
      out += ']';
      return;
    }
    case nlohmann::detail::value_t::string:
      dump_string(v.template get_ref<const std::string&>(), out);
      return;
    case nlohmann::detail::value_t::number_float: {
      double d = v.template get<double>();
      if (std::isnan(d)) {
        out += "NaN";
      } else if (std::isinf(d)) {
        out += d > 0 ? "Infinity" : "-Infinity";
      } else {
        out += v.dump();  // shortest round-trip form, e.g. 1.0, 1e-05
      }
      return;
    }
    default:
      out += v.dump();
  }
}

// A recursive-descent reader of JSON plus Python's NaN/Infinity/-Infinity tokens.
class Reader {
 public:
  explicit Reader(std::string_view text) : s_(text) {}

  Json document() {
    Json v = value(0);
    skip_space();
    if (pos_ != s_.size()) fail("end of input");
    return v;
  }

 private:
  static constexpr int kMaxDepth = 512;

  [[noreturn]] void fail(const std::string& expected) const {
    std::string found = pos_ < s_.size() ? "'" + std::string(1, s_[pos_]) + "'" : "end of input";
    throw ValueError("invalid JSON at offset " + std::to_string(pos_) + ": found " + found +
                     ", expected " + expected);
  }

  void skip_space() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' ||
                                s_[pos_] == '\r'))
      ++pos_;
  }

  bool consume(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  Json value(int depth) {
    if (depth > kMaxDepth) fail("nesting shallower than " + std::to_string(kMaxDepth));
    skip_space();
    if (pos_ >= s_.size()) fail("a JSON value");
    char c = s_[pos_];
    if (c == '{') return object(depth);
    if (c == '[') return array(depth);
    if (c == '"') return string();
    if (consume("true")) return true;
    if (consume("false")) return false;
    if (consume("null")) return nullptr;
    if (consume("NaN")) return std::nan("");
    if (consume("Infinity")) return HUGE_VAL;
    if (consume("-Infinity")) return -HUGE_VAL;
    if (c == '-' || (c >= '0' && c <= '9')) return number();
    fail("a JSON value");
  }

  Json object(int depth) {
    ++pos_;
    Json obj = Json::object();
    skip_space();
    if (pos_ < s_.size() && s_[pos_] == '}') {
      ++pos_;
      return obj;
    }
    for (;;) {
      skip_space();
      if (pos_ >= s_.size() || s_[pos_] != '"') fail("a string key");
      std::string key = string();
      skip_space();
      if (!consume(":")) fail("':'");
      obj[key] = value(depth + 1);
      skip_space();
      if (consume(",")) continue;
      if (consume("}")) return obj;
      fail("',' or '}'");
    }
  }

  Json array(int depth) {
    ++pos_;
    Json arr = Json::array();
    skip_space();
    if (consume("]")) return arr;
    for (;;) {
      arr.push_back(value(depth + 1));
      skip_space();
      if (consume(",")) continue;
      if (consume("]")) return arr;
      fail("',' or ']'");
    }
  }

  std::uint32_t hex4() {
    if (pos_ + 4 > s_.size()) fail("four hex digits");
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      char h = s_[pos_++];
      v <<= 4;
      if (h >= '0' && h <= '9') v |= static_cast<std::uint32_t>(h - '0');
      else if (h >= 'a' && h <= 'f') v |= static_cast<std::uint32_t>(h - 'a' + 10);
      else if (h >= 'A' && h <= 'F') v |= static_cast<std::uint32_t>(h - 'A' + 10);
      else { --pos_; fail("a hex digit"); }
    }
    return v;
  }

  static void append_utf8(std::uint32_t cp, std::string& out) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  std::string string() {
    ++pos_;  // opening quote
    std::string out;
    for (;;) {
      if (pos_ >= s_.size()) fail("a closing '\"'");
      char c = s_[pos_++];
      if (c == '"') break;
      if (static_cast<unsigned char>(c) < 0x20) {
        --pos_;
        fail("no raw control character in a string");
      }
      if (static_cast<unsigned char>(c) >= 0x80) {
        std::size_t len = decode_utf8(s_, pos_ - 1).second;
        out.append(s_.substr(pos_ - 1, len));
        pos_ += len - 1;
        continue;
      }
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= s_.size()) fail("an escape character");
      char e = s_[pos_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          std::uint32_t cp = hex4();
          if (cp >= 0xD800 && cp < 0xDC00 && s_.substr(pos_, 2) == "\\u") {
            std::size_t save = pos_;
            pos_ += 2;
            std::uint32_t low = hex4();
            if (low >= 0xDC00 && low < 0xE000) {
              cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            } else {
              pos_ = save;
            }
          }
          if (cp >= 0xD800 && cp < 0xE000) {
            pos_ -= 6;
            fail("a \\u escape that is not a lone surrogate");
          }
          append_utf8(cp, out);
          break;
        }
        default:
          --pos_;
          fail("a valid escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u)");
      }
    }
    return out;
  }

  Json number() {
    std::size_t start = pos_;
    if (s_[pos_] == '-') ++pos_;
    auto digits = [&] {
      std::size_t d = pos_;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
      return pos_ - d;
    };
    if (digits() == 0) fail("a digit");
    bool is_float = false;
    if (pos_ < s_.size() && s_[pos_] == '.') {
      ++pos_;
      is_float = true;
      if (digits() == 0) fail("a digit after '.'");
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      ++pos_;
      is_float = true;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      if (digits() == 0) fail("a digit in the exponent");
    }
    std::string token(s_.substr(start, pos_ - start));
    if (!is_float) {
      errno = 0;
      char* end = nullptr;
      long long i = std::strtoll(token.c_str(), &end, 10);
      if (errno == 0) return static_cast<std::int64_t>(i);
      // Integers beyond 64 bits: Python keeps them exact; we keep the nearest double.
    }
    return std::strtod(token.c_str(), nullptr);
  }

  std::string_view s_;
  std::size_t pos_ = 0;
};

}  // namespace

std::string dump_json(const Json& value) {
  std::string out;
  dump_value(value, out);
  return out;
}

std::string dump_json(const OrderedJson& value) {
  std::string out;
  dump_value(value, out);
  return out;
}

Json parse_json(std::string_view text) { return Reader(text).document(); }

}  // namespace hpo
