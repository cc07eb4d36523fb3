// The one reader of rows. Every part of sluice that finds rows or fields in a delimited file walks
// them here, with the file's dialect (FileSyntax: delimiter, quoting, line ends): the chunk scanner,
// the Splitter's cuts, row_length and header_span, the sniffer, the header row, the duplicate-key
// check, line_of_row and compress's first row. A rule about quotes or line ends is written once, so
// no two readers can disagree about where a row ends (they did: see docs/csv-dialects.md).
//
// The dialect's rules (docs/csv-dialects.md):
// - a line ends at LF, CR LF or a lone CR; a run of CRs before an LF is one line end (file_syntax.h);
// - with quoting (CSV), a quote opens a quoted field only as the field's first byte; inside, the
//   quote doubled is one quote (the quote is its own escape: a config cannot name another, see
//   app/config.cpp), and delimiters and line ends are text; text after the closing quote is kept
//   up to the delimiter, and a quote anywhere else is text. Both are reported as stray quotes.
//
// How: like the TSV scan before it, the walker classifies 64 bytes at a time (SSE2 compares for the
// delimiter, quote, LF, CR and the bytes COPY output must escape) and visits only the bits that
// matter in the state it is in: outside quotes the delimiters, line ends and quotes; inside quotes
// only the quotes, so a quoted field's delimiters and line breaks cost nothing to skip (its line
// breaks are counted only when its bits say it has some). A quoted value is handed on where it lies
// in the input; only a doubled quote or text after the closing quote copy it, into a reused scratch.
//
// Visitors say what they want by hiding RowVisitor's members; the walk is instantiated per visitor,
// so what a visitor does not want costs nothing.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "loaders/scan/file_syntax.h"

namespace sluice {

struct WalkOptions {
  // The bytes are the end of the text (a file's last bytes, a row on its own): the last row needs
  // no line end, a CR at the end ends a line, a quote still open there is never closed, and blank
  // lines at the end are not rows. Otherwise a row whose end is not within the bytes (no line end
  // yet, a CR that may be the first of a CR LF, a quote still open) is left for the next read.
  bool end_of_text = true;
  // Tell field() whether a value may hold a byte that COPY output must escape or enclose: a CR, a
  // tab that is not the delimiter, an LF (quoted), or `special`. Without, needs_escape means nothing.
  bool escapes = false;
  char special = '\\';
  // Find out with one memchr whether the bytes hold a CR, and compute the CR mask only if so (most
  // files have none). For a walk of one row in a large buffer that memchr would cost more than the
  // row: false assumes there may be some.
  bool find_crs = true;
};

struct WalkEnd {
  // Where the rows walked end: `end`, the first of the blank lines that end the text, the start of
  // a row whose end is not in the bytes, or where the visitor stopped the walk.
  const char* rows_end;
  std::uint64_t lines;  // line ends walked (quoted ones included), +1 for a last row without one
};

// The walker's calls, in file order: begin_row, then per field any stray_quote and
// unterminated_quote and then field, then end_row. A blank line is a row without fields.
struct RowVisitor {
  // Unquoted values: false hands field() the raw span and skips the copies values may need.
  static constexpr bool kValues = true;
  // `line` counts the line ends before the row from the start of the walk.
  void begin_row(const char* /*row*/, std::uint64_t /*line*/) {}
  // The value (in the input, or in the walk's scratch until the next field), whether it was quoted,
  // its first byte in the input (the opening quote of a quoted one), and whether it may need
  // escaping (WalkOptions::escapes).
  void field(const char* /*value*/, std::size_t /*size*/, bool /*quoted*/, const char* /*raw*/,
             bool /*needs_escape*/) {}
  // A quote read as text: inside an unquoted field, or the closing quote of one with text after it.
  // Given the quote's line and the start of that line, and the field's value.
  void stray_quote(std::uint64_t /*line*/, const char* /*line_start*/, const char* /*quote*/,
                   const char* /*value*/, std::size_t /*size*/, const char* /*note*/) {}
  // A quoted field that runs to the end of the text; its value is all of that.
  void unterminated_quote(const char* /*field_start*/, const char* /*end*/) {}
  // The row's text ends at `text_end` (its line end excluded; the row's start for a blank line) and
  // the next row starts at `next`; `line` is the row's last line (past its first when quoted line
  // ends are in it). False stops the walk after this row.
  bool end_row(const char* /*text_end*/, const char* /*next*/, std::uint64_t /*line*/) { return true; }
};

namespace walk_detail {

// Bit i set where block[i] is one of the bytes. Bytes past `valid` are not looked at.
struct BlockMasks {
  std::uint64_t delimiter = 0, quote = 0, newline = 0, cr = 0, escape = 0;
};

#if defined(__SSE2__)
inline std::uint64_t movemask16(__m128i v, __m128i c) {
  return static_cast<std::uint64_t>(static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, c))));
}
#endif

// Four 16-byte compares per class instead of a look at every byte. The escape bytes are a CR, a tab
// that is not the delimiter, and `special`: the backslash for PostgreSQL's COPY text, the double
// quote for Snowflake's staged CSV.
template <bool kQuoted, bool kCrs>
inline BlockMasks classify_block(const char* block, std::size_t valid, char delim, char quote, bool want_escapes,
                                 char special) {
  alignas(16) char tail[64];
  if (valid < 64) {  // the last bytes: never read past them
    std::memset(tail, 0, sizeof tail);  // masked off below in any case
    std::memcpy(tail, block, valid);
    block = tail;
  }
  BlockMasks m;
#if defined(__SSE2__)
  const __m128i d = _mm_set1_epi8(delim), q = _mm_set1_epi8(quote), nl = _mm_set1_epi8('\n');
  const __m128i sp = _mm_set1_epi8(special), cr = _mm_set1_epi8('\r'), tab = _mm_set1_epi8('\t');
  for (int k = 0; k < 4; ++k) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(block + 16 * k));
    m.delimiter |= movemask16(v, d) << (16 * k);
    m.newline |= movemask16(v, nl) << (16 * k);
    if (kQuoted) m.quote |= movemask16(v, q) << (16 * k);
    if (kCrs) m.cr |= movemask16(v, cr) << (16 * k);
    if (want_escapes) {
      std::uint64_t e = movemask16(v, sp) | movemask16(v, cr);  // the same compare as above, once
      if (delim != '\t') e |= movemask16(v, tab);
      m.escape |= e << (16 * k);
    }
  }
#else
  for (int i = 0; i < 64; ++i) {
    const char c = block[i];
    const std::uint64_t bit = std::uint64_t{1} << i;
    if (c == delim) m.delimiter |= bit;
    else if (c == '\n') m.newline |= bit;
    if (kQuoted && c == quote) m.quote |= bit;
    if (kCrs && c == '\r') m.cr |= bit;
    if (want_escapes && (c == special || c == '\r' || (c == '\t' && delim != '\t'))) m.escape |= bit;
  }
#endif
  if (valid < 64) {
    const std::uint64_t keep = (std::uint64_t{1} << valid) - 1;
    m.delimiter &= keep;
    m.quote &= keep;
    m.newline &= keep;
    m.cr &= keep;
    m.escape &= keep;
  }
  return m;
}

// The bits of the block at `block` for the bytes at and after `p`.
inline std::uint64_t bits_from(const char* block, const char* p) {
  if (p <= block) return ~std::uint64_t{0};
  const auto k = static_cast<std::size_t>(p - block);
  return k >= 64 ? 0 : ~std::uint64_t{0} << k;
}

// The walk for one dialect shape: kQuoted (CSV quoting) and kCrs (the bytes hold a CR) are known at
// compile time, so a TSV without CRs compiles to the delimiter and LF walk alone.
template <bool kQuoted, bool kCrs, class V>
WalkEnd walk(const char* const begin, const char* const end, const FileSyntax& syntax, const WalkOptions& o,
             std::string& scratch, V& v) {
  const char delim = syntax.delimiter;
  const char quote = syntax.quote;
  std::uint64_t line = 0;
  const char* row = begin;
  const char* field = begin;
  const char* line_start = begin;  // of the physical line being walked: a quoted line end starts one
  bool field_escapes = false;
  const char* text = begin;  // the first byte after the last run of line ends looked at (trailing blanks)

  // The field being walked: most are plain; the others are walked in `quotes` (between the opening
  // and the closing quote), and end with code of their own.
  enum class In : unsigned char { plain, stray, quotes, after_quotes };
  In in = In::plain;
  const char* stray = nullptr;  // In::stray: the first quote inside the unquoted field
  const char* seg = nullptr;    // inside quotes: the text after the opening quote or the last pair
  bool seg_lines = false;       // that text holds a CR or LF
  bool copied = false;          // the value is in scratch (a doubled quote, text after the close)
  const char* close = nullptr;  // the closing quote
  const char* from = begin;     // a pair's second quote can be the next block's first byte: not a bit to visit

  // Ends a field that is not plain at e (a delimiter, or the row's text end). Out of line: rare.
  auto end_other_field = [&](const char* e) __attribute__((noinline)) {
    const In was = in;
    in = In::plain;
    if (was == In::stray) {
      v.stray_quote(line, line_start, stray, field, static_cast<std::size_t>(e - field), "quote inside an unquoted field");
      v.field(field, static_cast<std::size_t>(e - field), false, field, field_escapes);
      return;
    }
    const char* value = field + 1;
    std::size_t size = static_cast<std::size_t>(close - value);
    if (e > close + 1) {  // text after the closing quote is kept, as PostgreSQL's CSV reader does
      if constexpr (V::kValues) {
        if (!copied) scratch.assign(value, close);
        scratch.append(close + 1, e);
        copied = true;
      }
      field_escapes = true;
      if (copied) value = scratch.data(), size = scratch.size();
      v.stray_quote(line, line_start, close, value, size, "text after the closing quote");
    } else if (copied) {
      value = scratch.data(), size = scratch.size();
    }
    v.field(value, size, true, field, field_escapes);
  };
  auto end_field = [&](const char* e) __attribute__((always_inline)) {
    const char* value = field;
    const char* value_end = e;
    bool quoted = false;
    if (kQuoted && in != In::plain) {
      // The common quoted field: closed right before the delimiter or line end, with no pair.
      if (in != In::after_quotes || e != close + 1 || copied) return end_other_field(e);
      in = In::plain;
      ++value;
      value_end = close;
      quoted = true;
    }
    v.field(value, static_cast<std::size_t>(value_end - value), quoted, field, field_escapes);
  };
  // True at a blank line with only blank lines after it, at the end of the text: the rows have ended.
  auto rows_ended = [&](const char* rend) {
    if (!o.end_of_text || rend != row || row < text) return false;
    text = std::find_if_not(row, end, is_line_end_byte);
    if (text != end) return false;
    line += count_line_ends(row, end);
    return true;
  };

  if (row < end) v.begin_row(row, line);
  for (const char* block = begin; block < end; block += 64) {
    const BlockMasks m = classify_block<kQuoted, kCrs>(block, std::min<std::size_t>(64, static_cast<std::size_t>(end - block)),
                                                       delim, quote, o.escapes, o.special);
    // A CR right before an LF goes with the LF (CR LF); any other may end a line by itself.
    const std::uint64_t lone_cr = kCrs ? m.cr & ~(m.newline >> 1) : 0;
    const std::uint64_t row_ends = m.newline | lone_cr;
    const std::uint64_t outside = m.delimiter | row_ends | m.quote;
    const std::uint64_t live = kQuoted ? bits_from(block, from) : ~std::uint64_t{0};
    std::uint64_t escapes = m.escape & live;
    std::uint64_t line_bytes = kQuoted ? (m.newline | m.cr) & live : 0;
    const bool in_quotes = kQuoted && in == In::quotes;
    std::uint64_t pending = (in_quotes ? m.quote : outside) & live;
    // Outside quotes every delimiter, line end and quote is visited; inside, only the quotes. The
    // state is looked at only where it changes.
    for (bool quoted_part = in_quotes;; quoted_part = !quoted_part) {
      if (!quoted_part) {
        while (pending) {
          const int bit = __builtin_ctzll(pending);
          const char* const c = block + bit;
          const std::uint64_t below = (std::uint64_t{1} << bit) - 1;
          if (escapes & below) field_escapes = true;
          if ((m.delimiter >> bit) & 1) {  // the common boundary, so looked for first
            escapes &= ~below;
            end_field(c);
            field = c + 1;
            field_escapes = false;
            pending &= pending - 1;
            continue;
          }
          const std::uint64_t through = (below << 1) | 1;
          if (kQuoted && ((m.quote >> bit) & 1)) {
            if (c == field) {  // the field's first byte: it is quoted
              in = In::quotes;
              seg = c + 1;
              seg_lines = copied = false;
              escapes &= ~through;
              line_bytes &= ~through;
              pending = m.quote & ~through;
              break;
            }
            if (in == In::plain) {  // anywhere else a quote is text (27" monitor)
              in = In::stray;
              stray = c;
            }
            pending &= pending - 1;
            continue;
          }
          const char* rend = c;  // where the row's text ends
          if (*c == '\n') {
            while (rend > row && rend[-1] == '\r') --rend;  // CR LF, CR CR LF
          } else {
            const std::size_t eol = line_end_length(c, end, o.end_of_text);
            if (eol == 0) return {row, line};  // a CR at the end of the bytes: perhaps a CR LF
            if (eol != 1) {                    // not the last of the CRs before an LF, which ends the line
              pending &= pending - 1;
              continue;
            }
            // COPY text ends rows with an LF, so a row ended by a CR is not staged as read.
            if ((escapes >> bit) & 1) field_escapes = true;
          }
          if (rows_ended(rend)) return {row, line};
          if (rend > row) end_field(rend);
          const char* const next = c + 1;
          if (!v.end_row(rend, next, line)) return {next, line + 1};
          ++line;
          row = line_start = field = next;
          field_escapes = false;
          if (row < end) v.begin_row(row, line);
          escapes &= ~through;
          pending &= pending - 1;
        }
        if (!kQuoted || in != In::quotes) break;  // the block is walked
        continue;
      }
      if constexpr (kQuoted) {
        while (pending) {  // a quote inside quotes: a pair, or the closing one
          const int bit = __builtin_ctzll(pending);
          const char* const c = block + bit;
          const std::uint64_t below = (std::uint64_t{1} << bit) - 1;
          const std::uint64_t through = (below << 1) | 1;
          if (line_bytes & below) seg_lines = true;
          if (escapes & below) field_escapes = true;
          line_bytes &= ~through;
          escapes &= ~through;
          if (seg_lines) {
            line += count_line_ends(seg, c, &line_start);
            seg_lines = false;
            field_escapes = true;  // a line end in a value is escaped (COPY) or enclosed (staged CSV)
          }
          if (c + 1 < end && c[1] == quote) {  // "" is one quote
            if constexpr (V::kValues) {
              if (!copied) scratch.assign(field + 1, c + 1);
              else scratch.append(seg, c + 1);
            }
            copied = field_escapes = true;
            seg = from = c + 2;
            const std::uint64_t after = bits_from(block, c + 2);
            pending &= after;
            line_bytes &= after;
            escapes &= after;
            continue;
          }
          if constexpr (V::kValues) {
            if (copied) scratch.append(seg, c);
          }
          close = c;
          in = In::after_quotes;
          pending = outside & ~through;
          break;
        }
        if (in == In::quotes) {  // the block is walked, still inside quotes
          if (line_bytes) seg_lines = true;
          break;
        }
      }
    }
    if (escapes) field_escapes = true;  // after the block's last boundary: the current field's
  }
  if (row == end) return {end, line};
  if (!o.end_of_text) return {row, line};  // the last row's end is in bytes not read yet
  if (kQuoted && in == In::quotes) {
    line += count_line_ends(seg, end, &line_start);
    const char* value = field + 1;
    std::size_t size = static_cast<std::size_t>(end - value);
    if constexpr (V::kValues) {
      if (copied) {
        scratch.append(seg, end);
        value = scratch.data(), size = scratch.size();
      }
    }
    v.unterminated_quote(field, end);
    v.field(value, size, true, field, true);
    const char* rend = end;
    while (rend > row && is_line_end_byte(rend[-1])) --rend;
    v.end_row(rend, end, line);
  } else {
    end_field(end);
    v.end_row(end, end, line);
  }
  return {end, line + 1};
}

}  // namespace walk_detail

// Walks the rows in [begin, end) with the file's dialect; see RowVisitor for what `v` is told and
// WalkOptions for how the end of the bytes is read. Lines count from 0 at `begin`. `scratch` holds
// values that had to be copied; it is reused, so a walk allocates only while it grows.
template <class V>
WalkEnd walk_rows(const char* begin, const char* end, const FileSyntax& syntax, const WalkOptions& o,
                  std::string& scratch, V& v) {
  // Not memchr on empty bytes: their pointer may be null, which memchr may not be given.
  const bool crs = !o.find_crs || (begin < end && std::memchr(begin, '\r', static_cast<std::size_t>(end - begin)));
  if (syntax.quoted) {
    return crs ? walk_detail::walk<true, true>(begin, end, syntax, o, scratch, v)
               : walk_detail::walk<true, false>(begin, end, syntax, o, scratch, v);
  }
  return crs ? walk_detail::walk<false, true>(begin, end, syntax, o, scratch, v)
             : walk_detail::walk<false, false>(begin, end, syntax, o, scratch, v);
}

// The length, line end included, of the row that starts at `p`: 0 when its end is not within the `n`
// bytes (WalkOptions::end_of_text false). With `quoted_newlines`, the line ends inside its quoted
// fields (the row spans that many lines more than one). One row: for many, walk_rows.
std::size_t row_length(const char* p, std::size_t n, const FileSyntax& syntax,
                       std::uint64_t* quoted_newlines = nullptr);

// One row's fields, unquoted as the scanner unquotes them.
struct RowFields {
  std::vector<std::string> values;
  std::vector<bool> quoted;   // per field: enclosed in quotes (so never NULL)
  bool unterminated = false;  // a quoted field is never closed
  bool stray_quote = false;   // a quote RFC 4180 does not allow, read as text (as the scanner warns)
};

// Splits one row (its text: the line end excluded) into fields, as the scanner reads them. Not the
// hot path: the header row, compress's first row, error reports.
void split_fields(const char* data, std::size_t size, const FileSyntax& syntax, RowFields& out);
std::vector<std::string> split_row(const char* data, std::size_t size, const FileSyntax& syntax);

}  // namespace sluice
