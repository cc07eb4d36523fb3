#include "validators/file_qc/utf8.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) || defined(__i386__)
#include <tmmintrin.h>  // SSSE3, used only behind a runtime CPU check
#endif

namespace sluice {
namespace {

using u8 = unsigned char;

inline bool is_continuation(u8 c) { return (c & 0xC0) == 0x80; }

// Length of the well-formed multi-byte sequence at p (Unicode table 3-7), 0 when ill-formed.
// The second byte's range is what excludes overlongs (E0, F0), surrogates (ED) and > U+10FFFF (F4).
inline std::size_t multibyte_length(const u8* p, std::size_t avail) {
  const u8 c = p[0];
  if (c < 0xC2) return 0;  // a stray continuation byte, or C0/C1 (always overlong)
  if (c < 0xE0) return avail >= 2 && is_continuation(p[1]) ? 2 : 0;
  if (c < 0xF0) {
    if (avail < 3) return 0;
    const u8 lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    return p[1] >= lo && p[1] <= hi && is_continuation(p[2]) ? 3 : 0;
  }
  if (c < 0xF5) {
    if (avail < 4) return 0;
    const u8 lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    return p[1] >= lo && p[1] <= hi && is_continuation(p[2]) && is_continuation(p[3]) ? 4 : 0;
  }
  return 0;
}

#if defined(__SSE2__)
// One bit per byte that leaves the ASCII fast path: the high bit (a multi-byte sequence) or
// zero (NUL).
inline unsigned special_bytes(__m128i v) {
  return static_cast<unsigned>(_mm_movemask_epi8(v) | _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_setzero_si128())));
}
#else
constexpr std::uint64_t kOnes = 0x0101010101010101ull, kHighs = 0x8080808080808080ull;
inline bool ascii_no_nul(std::uint64_t w) { return ((w | ((w - kOnes) & ~w)) & kHighs) == 0; }
#endif

}  // namespace

namespace {

// The reference: one sequence at a time from `i`, which must be a character boundary.
std::size_t find_invalid_scalar(const u8* s, std::size_t i, std::size_t size) {
  while (i < size) {
#if defined(__SSE2__)
    // Jump to the next byte that needs a look: mostly-ASCII text stays on the vector path.
    while (i + 16 <= size) {
      const unsigned mask = special_bytes(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i)));
      if (mask) {
        i += static_cast<std::size_t>(__builtin_ctz(mask));
        break;
      }
      i += 16;
    }
#else
    for (std::uint64_t w; i + 8 <= size; i += 8) {
      std::memcpy(&w, s + i, 8);
      if (!ascii_no_nul(w)) break;
    }
#endif
    while (i < size && s[i] != 0 && s[i] < 0x80) ++i;
    if (i == size) break;
    const std::size_t n = s[i] == 0 ? 0 : multibyte_length(s + i, size - i);
    if (n == 0) return i;
    i += n;
  }
  return std::string_view::npos;
}

#if defined(__x86_64__) || defined(__i386__)
#define SLUICE_UTF8_SSSE3 1

// A character boundary at or just before the vector position i, given that everything before i
// passed the vector checks except sequences whose lead byte is in the last three bytes.
inline std::size_t boundary_before(const u8* s, std::size_t i) {
  std::size_t j = i >= 3 ? i - 3 : 0;
  while (j < i && is_continuation(s[j])) ++j;
  return j;
}

constexpr char b(int v) { return static_cast<char>(v); }

#define SLUICE_SSSE3 __attribute__((target("ssse3")))

// Keiser and Lemire, "Validating UTF-8 in less than one instruction per byte" (2021): three
// nibble lookups classify every pair of adjacent bytes; the bits left set are errors, except
// continuation bytes expected as the 3rd or 4th of a sequence, which the XOR cancels. NUL bytes
// are added to the errors. Errors accumulate without branches (mixed text would mispredict them)
// and are tested once per 64 bytes.
struct Utf8Blocks {
  static constexpr int kTooShort = 1 << 0, kTooLong = 1 << 1, kOverlong3 = 1 << 2, kTooLarge = 1 << 3,
                       kSurrogate = 1 << 4, kOverlong2 = 1 << 5, kTooLarge1000 = 1 << 6, kOverlong4 = 1 << 6,
                       kTwoConts = 1 << 7, kCarry = kTooShort | kTooLong | kTwoConts;
  __m128i byte1_high_table, byte1_low_table, byte2_high_table, incomplete_max;
  __m128i prev = _mm_setzero_si128(), prev_incomplete = _mm_setzero_si128(), error = _mm_setzero_si128();

  SLUICE_SSSE3 Utf8Blocks() {
    byte1_high_table = _mm_setr_epi8(
        b(kTooLong), b(kTooLong), b(kTooLong), b(kTooLong), b(kTooLong), b(kTooLong), b(kTooLong), b(kTooLong),
        b(kTwoConts), b(kTwoConts), b(kTwoConts), b(kTwoConts), b(kTooShort | kOverlong2), b(kTooShort),
        b(kTooShort | kOverlong3 | kSurrogate), b(kTooShort | kTooLarge | kTooLarge1000 | kOverlong4));
    constexpr int kLarge = kCarry | kTooLarge | kTooLarge1000;
    byte1_low_table = _mm_setr_epi8(
        b(kCarry | kOverlong3 | kOverlong2 | kOverlong4), b(kCarry | kOverlong2), b(kCarry), b(kCarry),
        b(kCarry | kTooLarge), b(kLarge), b(kLarge), b(kLarge), b(kLarge), b(kLarge), b(kLarge), b(kLarge),
        b(kLarge), b(kLarge | kSurrogate), b(kLarge), b(kLarge));
    constexpr int kCont = kTooLong | kOverlong2 | kTwoConts;
    byte2_high_table = _mm_setr_epi8(
        b(kTooShort), b(kTooShort), b(kTooShort), b(kTooShort), b(kTooShort), b(kTooShort), b(kTooShort),
        b(kTooShort), b(kCont | kOverlong3 | kTooLarge1000 | kOverlong4), b(kCont | kOverlong3 | kTooLarge),
        b(kCont | kSurrogate | kTooLarge), b(kCont | kSurrogate | kTooLarge), b(kTooShort), b(kTooShort),
        b(kTooShort), b(kTooShort));
    // Nonzero where a block ends inside a sequence: a lead byte too close to its end.
    incomplete_max = _mm_setr_epi8(b(255), b(255), b(255), b(255), b(255), b(255), b(255), b(255), b(255),
                                   b(255), b(255), b(255), b(255), b(0xEF), b(0xDF), b(0xBF));
  }

  SLUICE_SSSE3 void check(__m128i input) {
    const __m128i nibble = _mm_set1_epi8(0x0F);
    const __m128i prev1 = _mm_alignr_epi8(input, prev, 15);
    const __m128i byte1_high = _mm_shuffle_epi8(byte1_high_table, _mm_and_si128(_mm_srli_epi16(prev1, 4), nibble));
    const __m128i byte1_low = _mm_shuffle_epi8(byte1_low_table, _mm_and_si128(prev1, nibble));
    const __m128i byte2_high = _mm_shuffle_epi8(byte2_high_table, _mm_and_si128(_mm_srli_epi16(input, 4), nibble));
    const __m128i special = _mm_and_si128(_mm_and_si128(byte1_high, byte1_low), byte2_high);
    const __m128i prev2 = _mm_alignr_epi8(input, prev, 14);
    const __m128i prev3 = _mm_alignr_epi8(input, prev, 13);
    const __m128i third = _mm_subs_epu8(prev2, _mm_set1_epi8(b(0xE0 - 0x80)));   // >= 0x80 after 111_____
    const __m128i fourth = _mm_subs_epu8(prev3, _mm_set1_epi8(b(0xF0 - 0x80)));  // >= 0x80 after 1111____
    const __m128i must_continue = _mm_and_si128(_mm_or_si128(third, fourth), _mm_set1_epi8(b(0x80)));
    const __m128i nul = _mm_cmpeq_epi8(input, _mm_setzero_si128());
    error = _mm_or_si128(error, _mm_or_si128(_mm_xor_si128(must_continue, special), nul));
    prev_incomplete = _mm_subs_epu8(input, incomplete_max);
    prev = input;
  }

  // Pure ASCII without NUL: only a sequence left open by the previous block can be wrong.
  SLUICE_SSSE3 void ascii(__m128i last) {
    error = _mm_or_si128(error, prev_incomplete);
    prev_incomplete = _mm_setzero_si128();
    prev = last;
  }

  SLUICE_SSSE3 bool failed() const {
    return _mm_movemask_epi8(_mm_cmpeq_epi8(error, _mm_setzero_si128())) != 0xFFFF;
  }
};

// On any error, and for the last partial block, the scalar validator restarts from a nearby
// character boundary to report the exact offset.
SLUICE_SSSE3 std::size_t find_invalid_ssse3(const u8* s, std::size_t size) {
  Utf8Blocks v;
  std::size_t i = 0;
  for (; i + 64 <= size; i += 64) {
    const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i));
    const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i + 16));
    const __m128i d = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i + 32));
    const __m128i e = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i + 48));
    const __m128i any = _mm_or_si128(_mm_or_si128(a, c), _mm_or_si128(d, e));
    const __m128i low = _mm_min_epu8(_mm_min_epu8(a, c), _mm_min_epu8(d, e));
    if ((_mm_movemask_epi8(any) | _mm_movemask_epi8(_mm_cmpeq_epi8(low, _mm_setzero_si128()))) == 0) {
      v.ascii(e);
    } else {
      v.check(a);
      v.check(c);
      v.check(d);
      v.check(e);
    }
    if (v.failed()) return find_invalid_scalar(s, boundary_before(s, i), size);
  }
  for (; i + 16 <= size; i += 16) {
    v.check(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i)));
    if (v.failed()) return find_invalid_scalar(s, boundary_before(s, i), size);
  }
  return find_invalid_scalar(s, boundary_before(s, i), size);
}
#endif

}  // namespace

std::size_t find_invalid_utf8(const char* data, std::size_t size) {
  const u8* s = reinterpret_cast<const u8*>(data);
#if defined(SLUICE_UTF8_SSSE3)
  static const bool ssse3 = __builtin_cpu_supports("ssse3");
  if (ssse3) return find_invalid_ssse3(s, size);
#endif
  return find_invalid_scalar(s, 0, size);
}

std::size_t utf8_char_length(const char* data, std::size_t size) {
  if (size == 0) return 0;
  const u8 c = static_cast<u8>(data[0]);
  const std::size_t len = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
  if (len == 0 || len > size) return 0;
  return find_invalid_utf8(data, len) == std::string_view::npos ? len : 0;
}

std::string escape_invalid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  std::size_t pos = 0;
  while (pos < s.size()) {
    const std::size_t bad = find_invalid_utf8(s.data() + pos, s.size() - pos);
    if (bad == std::string_view::npos) {
      out.append(s.substr(pos));
      break;
    }
    out.append(s.substr(pos, bad));
    static constexpr char kHex[] = "0123456789abcdef";
    const u8 b = static_cast<u8>(s[pos + bad]);
    out += "\\x";
    out += kHex[b >> 4];
    out += kHex[b & 15];
    pos += bad + 1;
  }
  return out;
}

std::size_t utf8_length(const char* data, std::size_t size) {
  const u8* s = reinterpret_cast<const u8*>(data);
  std::size_t continuation = 0, i = 0;
#if defined(__SSE2__)
  // Continuation bytes 0x80..0xBF are the signed bytes below -64. Per-lane byte counters are
  // summed with SAD every 255 blocks, before they can wrap.
  const __m128i limit = _mm_set1_epi8(-64);
  while (i + 16 <= size) {
    __m128i counts = _mm_setzero_si128();
    for (int blocks = 0; blocks < 255 && i + 16 <= size; ++blocks, i += 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i));
      counts = _mm_sub_epi8(counts, _mm_cmplt_epi8(v, limit));
    }
    const __m128i sums = _mm_sad_epu8(counts, _mm_setzero_si128());
    continuation += static_cast<std::size_t>(_mm_cvtsi128_si32(sums)) +
                    static_cast<std::size_t>(_mm_extract_epi16(sums, 4));
  }
#endif
  for (; i < size; ++i) continuation += is_continuation(s[i]);
  return size - continuation;
}

namespace {

// Windows-1252's code points for 0x80..0x9F; the undefined five map to themselves (C1 controls).
constexpr std::uint16_t kWindows1252High[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

// One byte of a single-byte encoding (>= 0x80) as UTF-8.
inline u8* put_high_byte(u8 c, bool windows1252, u8* o) {
  const std::uint32_t cp = windows1252 && c < 0xA0 ? kWindows1252High[c - 0x80] : c;
  if (cp < 0x800) {
    *o++ = static_cast<u8>(0xC0 | (cp >> 6));
  } else {
    *o++ = static_cast<u8>(0xE0 | (cp >> 12));
    *o++ = static_cast<u8>(0x80 | ((cp >> 6) & 0x3F));
  }
  *o++ = static_cast<u8>(0x80 | (cp & 0x3F));
  return o;
}

std::size_t single_byte_to_utf8(const char* data, std::size_t size, char* out, bool windows1252) {
  const u8* s = reinterpret_cast<const u8*>(data);
  u8* o = reinterpret_cast<u8*>(out);
  std::size_t i = 0;
#if defined(__SSE2__)
  // Stores all 16 bytes and keeps only the ASCII prefix; the rest is overwritten next round. The
  // store stays inside the 2 * size (3 * size) bytes the caller provides because o <= out + 2 * i
  // (3 * i).
  while (i + 16 <= size) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(o), v);
    const unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(v));
    if (mask == 0) {
      i += 16;
      o += 16;
      continue;
    }
    const unsigned ascii = static_cast<unsigned>(__builtin_ctz(mask));
    i += ascii;
    o += ascii;
    o = put_high_byte(s[i++], windows1252, o);
  }
#endif
  for (; i < size; ++i) {
    const u8 c = s[i];
    if (c < 0x80) *o++ = c;
    else o = put_high_byte(c, windows1252, o);
  }
  return static_cast<std::size_t>(o - reinterpret_cast<u8*>(out));
}

}  // namespace

std::size_t latin1_to_utf8(const char* data, std::size_t size, char* out) {
  return single_byte_to_utf8(data, size, out, false);
}

std::size_t windows1252_to_utf8(const char* data, std::size_t size, char* out) {
  return single_byte_to_utf8(data, size, out, true);
}

}  // namespace sluice
