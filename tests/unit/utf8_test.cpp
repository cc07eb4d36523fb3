// UTF-8 validation with PostgreSQL's rules for a UTF8 database, code point counting for varchar(n),
// and latin-1 transcoding. The byte sequences in Utf8.MatchesPostgres were checked against a
// PostgreSQL 15.18 server with COPY FROM a file (server side, so psql could not cut at NUL).
#include <iconv.h>

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "validators/file_qc/utf8.h"

namespace sluice {
namespace {

using namespace std::string_view_literals;
constexpr auto npos = std::string_view::npos;

std::size_t invalid_at(std::string_view s) { return find_invalid_utf8(s.data(), s.size()); }

// An independent reference: decode each sequence by its lead byte, then apply the limits.
std::size_t reference_invalid_at(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  std::size_t i = 0;
  while (i < s.size()) {
    const unsigned c = p[i];
    std::size_t n;
    std::uint32_t cp;
    if (c == 0) return i;
    if (c < 0x80) { ++i; continue; }
    if ((c & 0xE0) == 0xC0) { n = 2; cp = c & 0x1F; }
    else if ((c & 0xF0) == 0xE0) { n = 3; cp = c & 0x0F; }
    else if ((c & 0xF8) == 0xF0) { n = 4; cp = c & 0x07; }
    else return i;
    if (i + n > s.size()) return i;
    for (std::size_t k = 1; k < n; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return i;
      cp = cp << 6 | (p[i + k] & 0x3F);
    }
    const std::uint32_t min = n == 2 ? 0x80 : n == 3 ? 0x800 : 0x10000;
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
    i += n;
  }
  return npos;
}

TEST(Utf8, MatchesPostgres) {
  struct Case { std::string_view bytes; bool valid; };
  const Case cases[] = {
      {"A"sv, true},
      {"\xC3\xA9"sv, true},          // é
      {"\xC2\x80"sv, true},          // U+0080, the smallest two-byte code point
      {"\xE0\xA0\x80"sv, true},      // U+0800
      {"\xED\x9F\xBF"sv, true},      // U+D7FF, just below the surrogates
      {"\xEF\xBF\xBE"sv, true},      // U+FFFE, a noncharacter: PostgreSQL takes it
      {"\xEF\xBF\xBF"sv, true},      // U+FFFF
      {"\xEF\xB7\x90"sv, true},      // U+FDD0
      {"\xF0\x90\x80\x80"sv, true},  // U+10000
      {"\xF4\x8F\xBF\xBF"sv, true},  // U+10FFFF
      {"\x00"sv, false},             // PostgreSQL: invalid byte sequence for encoding "UTF8": 0x00
      {"A\x00"sv, false},
      {"\xED\xA0\x80"sv, false},     // U+D800, a surrogate
      {"\xED\xBF\xBF"sv, false},     // U+DFFF
      {"\xF4\x90\x80\x80"sv, false}, // U+110000
      {"\xC0\x80"sv, false},         // overlong NUL
      {"\xC1\xBF"sv, false},         // overlong
      {"\xE0\x80\x80"sv, false},     // overlong
      {"\xF0\x80\x80\x80"sv, false}, // overlong
      {"\xF8\x88\x80\x80\x80"sv, false},  // five-byte form
      {"\x80"sv, false},             // lone continuation
      {"\xC2"sv, false},             // truncated
      {"\xE2\x82"sv, false},         // truncated
      {"\xFE"sv, false},
      {"\xFF"sv, false},
  };
  for (const Case& c : cases) EXPECT_EQ(invalid_at(c.bytes) == npos, c.valid) << testing::PrintToString(c.bytes);
}

TEST(Utf8, ReportsTheFirstByteOfTheFirstBadSequence) {
  EXPECT_EQ(invalid_at(""), npos);
  EXPECT_EQ(invalid_at("plain ascii"), npos);
  EXPECT_EQ(invalid_at("caf\xC3\xA9 \xE2\x82\xAC 10"), npos);
  EXPECT_EQ(invalid_at("caf\xE9 au lait"), 3u);            // latin-1 é
  EXPECT_EQ(invalid_at("ab\xE2\x82"), 2u);                 // truncated at the end
  EXPECT_EQ(invalid_at("ab\xE2\x82z"), 2u);                // truncated in the middle
  EXPECT_EQ(invalid_at("ab\xED\xA0\x80"), 2u);             // surrogate
  EXPECT_EQ(invalid_at("abc\0def"sv), 3u);                 // NUL
  EXPECT_EQ(invalid_at("\xC3\xA9\x80"), 2u);               // stray continuation after a good one
}

// The vector paths work on 16- and 64-byte blocks; put every kind of error at every offset
// around those boundaries, in ASCII and in multi-byte surroundings.
TEST(Utf8, ErrorsAtEveryBlockOffset) {
  const std::string_view bad[] = {"\x80"sv, "\xC2"sv, "\xE2\x82"sv, "\xF0\x9F\x98"sv, "\xED\xA0\x80"sv,
                                  "\xC0\xAF"sv, "\xF4\x90\x80\x80"sv, "\x00"sv, "\xFF"sv, "\xE0\x9F\xBF"sv};
  const std::string fillers[] = {std::string(200, 'a'), [] {
                                   std::string s;
                                   while (s.size() < 200) s += "\xC3\xA9xy\xE2\x82\xAC\xF0\x9F\x98\x80";
                                   return s;
                                 }()};
  for (const std::string& filler : fillers) {
    for (std::size_t len : {0u, 15u, 16u, 17u, 63u, 64u, 65u, 130u}) {
      std::string s = filler.substr(0, len);
      // Cut at a character boundary so that the only error is the inserted one.
      while (!s.empty() && reference_invalid_at(s) != npos) s.pop_back();
      for (std::size_t pos = 0; pos <= s.size(); ++pos) {
        if (pos < s.size() && (static_cast<unsigned char>(s[pos]) & 0xC0) == 0x80) continue;
        for (std::string_view b : bad) {
          std::string t = s;
          t.insert(pos, b);
          ASSERT_EQ(invalid_at(t), reference_invalid_at(t)) << "len " << len << " pos " << pos;
          ASSERT_NE(invalid_at(t), npos);
        }
        ASSERT_EQ(invalid_at(s), npos);
      }
    }
  }
}

TEST(Utf8, AgreesWithReferenceOnRandomBytes) {
  std::mt19937_64 rng(20261122);
  // Mostly valid text with a few random bytes: most strings are valid or fail late.
  const std::string_view pieces[] = {"a"sv, "Z"sv, "\t"sv, "\xC3\xA9"sv, "\xE2\x82\xAC"sv, "\xF0\x9F\x98\x80"sv,
                                     "\xEF\xBF\xBF"sv, "\xF4\x8F\xBF\xBF"sv, "\xED\x9F\xBF"sv};
  for (int round = 0; round < 20000; ++round) {
    std::string s;
    const std::size_t n = rng() % 160;
    while (s.size() < n) {
      if (rng() % 200 == 0) s += static_cast<char>(rng() & 0xFF);
      else s += pieces[rng() % std::size(pieces)];
    }
    ASSERT_EQ(invalid_at(s), reference_invalid_at(s)) << testing::PrintToString(s);
  }
}

TEST(Utf8, LengthCountsCodePoints) {
  EXPECT_EQ(utf8_length("", 0), 0u);
  const std::string_view s = "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"sv;
  EXPECT_EQ(utf8_length(s.data(), s.size()), 8u);
  std::string big;
  for (int i = 0; i < 1000; ++i) big += "ab\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80";  // 5 code points
  EXPECT_EQ(utf8_length(big.data(), big.size()), 5000u);
  EXPECT_EQ(utf8_length(big.data(), 15), 8u);  // one unit, then "ab" and the é
}

TEST(Utf8, Latin1BecomesTwoByteSequences) {
  const std::string_view in = "caf\xE9 \xA3" "5 \x80\xFF"sv;
  std::string out(2 * in.size(), '\0');
  out.resize(latin1_to_utf8(in.data(), in.size(), out.data()));
  EXPECT_EQ(out, "caf\xC3\xA9 \xC2\xA3" "5 \xC2\x80\xC3\xBF");
  EXPECT_EQ(invalid_at(out), npos);
}

TEST(Utf8, Latin1EveryByteRoundTripsThroughAllBlockOffsets) {
  std::string in;
  for (int i = 1; i < 256; ++i) in += static_cast<char>(i);
  for (std::size_t start = 0; start < 40; ++start) {
    const std::string_view part = std::string_view(in).substr(start);
    std::string out(2 * part.size(), '\0');
    out.resize(latin1_to_utf8(part.data(), part.size(), out.data()));
    ASSERT_EQ(invalid_at(out), npos);
    ASSERT_EQ(utf8_length(out.data(), out.size()), part.size());
    std::string back;  // decode again: every code point is the latin-1 byte
    for (std::size_t i = 0; i < out.size(); ++i) {
      const unsigned char c = static_cast<unsigned char>(out[i]);
      if (c < 0x80) back += static_cast<char>(c);
      else back += static_cast<char>(((c & 0x1F) << 6) | (static_cast<unsigned char>(out[++i]) & 0x3F));
    }
    ASSERT_EQ(back, part);
  }
}

TEST(Utf8, Windows1252MatchesIconvForEveryDefinedByte) {
  // glibc's iconv is an independent implementation of the same table; it refuses the five bytes
  // Windows-1252 leaves undefined, which sluice passes through as C1 controls (as WHATWG does).
  std::string in;
  for (int i = 1; i < 256; ++i)
    if (i != 0x81 && i != 0x8D && i != 0x8F && i != 0x90 && i != 0x9D) in += static_cast<char>(i);
  for (std::size_t start = 0; start < 40; ++start) {  // every alignment of the 16-byte fast path
    const std::string part = in.substr(start) + in.substr(0, start);
    std::string expected(4 * part.size(), '\0');
    iconv_t cd = iconv_open("UTF-8", "WINDOWS-1252");
    ASSERT_NE(cd, reinterpret_cast<iconv_t>(-1));
    char* src = const_cast<char*>(part.data());
    char* dst = expected.data();
    std::size_t src_left = part.size(), dst_left = expected.size();
    ASSERT_NE(iconv(cd, &src, &src_left, &dst, &dst_left), static_cast<std::size_t>(-1));
    iconv_close(cd);
    expected.resize(expected.size() - dst_left);
    std::vector<char> out(3 * part.size());
    out.resize(windows1252_to_utf8(part.data(), part.size(), out.data()));
    ASSERT_EQ(std::string(out.begin(), out.end()), expected) << "start " << start;
  }
}

TEST(Utf8, Windows1252EuroQuotesAndUndefinedBytes) {
  const std::string_view in = "\x80 \x93" "a\x94 caf\xE9 \x81"sv;
  std::vector<char> out(3 * in.size());
  out.resize(windows1252_to_utf8(in.data(), in.size(), out.data()));
  EXPECT_EQ(std::string(out.begin(), out.end()),
            "\xE2\x82\xAC \xE2\x80\x9C" "a\xE2\x80\x9D caf\xC3\xA9 \xC2\x81");
}

}  // namespace
}  // namespace sluice
