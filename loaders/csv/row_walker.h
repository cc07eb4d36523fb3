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
// How: like the TSV scan before it, 64 bytes at a time. SSE2 compares give masks of the delimiter,
// quote, LF, CR and the bytes COPY output must escape, and only the boundaries are visited (ctz).
// Quotes are read as a mask too (walk_detail::walk), so the delimiters and line breaks inside them
// cost nothing, and quoted line ends are counted only for a row whose bits show some. A quoted value
// is handed on where it lies in the input; only a pair or a stray quote copies it, into a scratch
// reused from walk to walk.
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
  // False: the visitor wants rows only. Fields are then not looked for (a quote's place is still
  // checked), and field(), stray_quote() and unterminated_quote() are not called.
  static constexpr bool kFields = true;
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

// XOR of bits 0..i into bit i: with the quotes' bits, the bytes after an odd number of quotes.
inline std::uint64_t prefix_xor(std::uint64_t x) {
  x ^= x << 1;
  x ^= x << 2;
  x ^= x << 4;
  x ^= x << 8;
  x ^= x << 16;
  x ^= x << 32;
  return x;
}

// One field read byte by byte by the rules: where the fast reading of quotes (every quote toggles)
// is wrong, because a quote is not where RFC 4180 allows one.
struct ExactField {
  const char* end;            // the delimiter or line-end byte after it, or the end of the bytes
  const char* value;
  std::size_t size;
  bool quoted;
  bool unterminated;          // quoted, and never closed
  bool lines;                 // a line end inside its quotes
  const char* stray;          // a quote read as text, or null
  const char* note;
};

[[gnu::noinline]] inline ExactField read_exact_field(const char* p, const char* end, char delim, char quote,
                                                     bool values, std::string& scratch) {
  ExactField f{};
  if (p < end && *p == quote) {
    f.quoted = true;
    const char* s = p + 1;
    const char* close = nullptr;
    bool copied = false;
    while (s < end) {
      const char* q = static_cast<const char*>(std::memchr(s, quote, static_cast<std::size_t>(end - s)));
      if (!q) break;
      if (q + 1 < end && q[1] == quote) {  // "" is one quote
        if (values) {
          if (!copied) scratch.assign(p + 1, q + 1);
          else scratch.append(s, q + 1);
        }
        copied = true;
        s = q + 2;
        continue;
      }
      close = q;
      break;
    }
    const char* const content_end = close ? close : end;
    f.lines = std::find_if(p + 1, content_end, is_line_end_byte) != content_end;
    if (values && copied) scratch.append(s, content_end);
    f.end = end;
    if (close) {  // text after the closing quote is kept, as PostgreSQL's CSV reader does
      const char* e = close + 1;
      while (e < end && *e != delim && !is_line_end_byte(*e)) ++e;
      if (e > close + 1) {
        if (values) {
          if (!copied) scratch.assign(p + 1, close);
          scratch.append(close + 1, e);
        }
        copied = true;
        f.stray = close;
        f.note = "text after the closing quote";
      }
      f.end = e;
    }
    f.unterminated = !close;
    f.value = copied ? scratch.data() : p + 1;
    f.size = copied ? scratch.size() : static_cast<std::size_t>(content_end - (p + 1));
    return f;
  }
  const char* e = p;
  for (; e < end && *e != delim && !is_line_end_byte(*e); ++e) {
    if (*e == quote && !f.stray) f.stray = e;  // a quote inside an unquoted field is text (27" monitor)
  }
  f.note = "quote inside an unquoted field";
  f.end = e;
  f.value = p;
  f.size = static_cast<std::size_t>(e - p);
  return f;
}

// A field read by read_exact_field, with its stray quote named at its line and column.
template <class V>
[[gnu::noinline]] void emit_exact_field(V& v, const ExactField& ef, const char* row, std::uint64_t line,
                                        const char* field) {
  if (ef.stray) {
    const char* line_start = row;
    const std::uint64_t at = line + count_line_ends(row, ef.stray, &line_start);
    v.stray_quote(at, line_start, ef.stray, ef.value, ef.size, ef.note);
  }
  v.field(ef.value, ef.size, ef.quoted, field, true);
}

// The value of a quoted field's content [p, e) whose quotes are all pairs: each "" is one quote.
inline void collapse_pairs(const char* p, const char* e, char quote, std::string& out) {
  out.clear();
  while (p < e) {
    const char* q = static_cast<const char*>(std::memchr(p, quote, static_cast<std::size_t>(e - p)));
    if (!q) {
      out.append(p, e);
      return;
    }
    out.append(p, q + 1);
    p = q + 2;
  }
}

// The walk for one dialect shape: kQuoted (CSV quoting) and kCrs (the bytes hold a CR) are known at
// compile time, so a TSV without CRs compiles to the delimiter and LF walk alone.
//
// Quotes are read fast, as a mask: a byte is inside quotes after an odd number of quotes (a prefix
// XOR of the quote bits), so a pair "" leaves the value quoted and a closing quote ends it. That is
// the RFC 4180 reading wherever each quote that opens follows a delimiter or line end (or the
// quote of a pair) and each that closes precedes one (or a quote), which is checked per block for
// all its quotes at once. Where a quote is anywhere else, the fast reading is wrong from that quote
// on: the field holding it is read byte by byte by the rules (read_exact_field), and the fast
// reading starts again after it.
template <bool kQuoted, bool kCrs, class V>
WalkEnd walk(const char* const begin, const char* const end, const FileSyntax& syntax, const WalkOptions& o,
             std::string& scratch, V& v) {
  constexpr bool kFields = V::kFields;
  const char delim = syntax.delimiter;
  const char quote = syntax.quote;
  // The line the current row starts on. The line ends inside its quotes are counted at its end,
  // and only when its bits show some (row_lines).
  std::uint64_t line = 0;
  const char* row = begin;
  const char* field = begin;
  bool field_escapes = false;
  // What the current field holds, from its bits: most nothing; a quoted one may hold pairs (its
  // value is then copied), and one with a wrong quote was read by read_exact_field into `ef`.
  // Until the first quote, no field is looked at for one (fresh: plain); after it, fresh is
  // may_be_quoted.
  enum Kind : unsigned char { plain, may_be_quoted, pairs_inside, exact };
  Kind kind = plain, fresh = plain;
  bool row_lines = false;
  const char* text = begin;  // the first byte after the last run of line ends looked at (trailing blanks)
  ExactField ef{};
  std::uint64_t carry = 0;   // all ones: the block starts inside quotes

  auto is_sep_or_quote = [&](char c) { return c == delim || is_line_end_byte(c) || c == quote; };
  // Ends the field at e: a delimiter or line end, or the end of the bytes when the field has some.
  auto end_field = [&](const char* e) __attribute__((always_inline)) {
    const char* value = field;
    std::size_t size = static_cast<std::size_t>(e - field);
    bool quoted = false;
    if constexpr (kQuoted) {
      if (kind != plain) {
        if (kind == exact) return emit_exact_field(v, ef, row, line, field);
        if (*field == quote) {  // the reading was checked: it closes right before e
          quoted = true;
          ++value;
          size -= 2;
          if (kind == pairs_inside) {
            collapse_pairs(value, value + size, quote, scratch);
            value = scratch.data();
            size = scratch.size();
          }
        }
      }
    }
    v.field(value, size, quoted, field, field_escapes);
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
  for (const char* block = begin; block < end;) {
    const std::size_t valid = std::min<std::size_t>(64, static_cast<std::size_t>(end - block));
    const BlockMasks m = classify_block<kQuoted, kCrs>(block, valid, delim, quote, o.escapes, o.special);
    // A CR right before an LF goes with the LF (CR LF); any other may end a line by itself.
    const std::uint64_t lone_cr = kCrs ? m.cr & ~(m.newline >> 1) : 0;
    const std::uint64_t row_ends = m.newline | lone_cr;
    // A line end is one even where it is the delimiter: compress counts rows with '\n' as one.
    const std::uint64_t delimiters = m.delimiter & ~row_ends;
    std::uint64_t inside = 0, wrong = 0, pairs = 0, quoted_lines = 0;
    if (kQuoted && (m.quote | carry)) {
      inside = prefix_xor(m.quote) ^ carry;
      const std::uint64_t last = std::uint64_t{1} << (valid - 1);
      carry = inside & last ? ~std::uint64_t{0} : 0;
      const std::uint64_t seps = m.delimiter | m.newline | m.cr;
      // The byte before the block is looked at only for a quote at its start.
      const std::uint64_t before_ok =
          ((seps | m.quote) << 1) | ((m.quote & 1) && (block == begin || is_sep_or_quote(block[-1])));
      const bool next_quote = block + valid < end && block[valid] == quote;
      const std::uint64_t after_ok = ((seps | m.quote) >> 1) |
                                     (block + valid == end || next_quote || is_sep_or_quote(block[valid]) ? last : 0);
      if (fresh == plain) kind = fresh = may_be_quoted;
      const std::uint64_t opens = m.quote & inside, closes = m.quote & ~inside;
      wrong = (opens & ~before_ok) | (closes & ~after_ok);
      pairs = closes & ((m.quote >> 1) | (next_quote ? last : 0));
      quoted_lines = (m.newline | m.cr) & inside;
    }
    // What makes a field unusual: a byte to escape, a pair, a quoted line end. Rare, so looked at
    // once per boundary and sorted out only when there is one.
    std::uint64_t escapes = m.escape & ~m.quote;  // the enclosing quotes are not the value's
    if (kQuoted && delim == '\t') escapes |= m.delimiter & inside;  // a quoted tab is
    std::uint64_t unusual = kFields ? escapes | pairs | quoted_lines : quoted_lines;
    // Without quotes only escapes are unusual: the hot TSV loop keeps one mask, not four.
    auto note = [&](std::uint64_t bits) __attribute__((always_inline)) {
      if constexpr (kQuoted) {
        if (escapes & bits) field_escapes = true;
        if (pairs & bits) {
          kind = pairs_inside;
          field_escapes = true;  // the value holds a quote
        }
        if (quoted_lines & bits) row_lines = field_escapes = true;  // a line end in a value is escaped
        escapes &= ~bits;
        pairs &= ~bits;
        quoted_lines &= ~bits;
      } else {
        field_escapes = true;
      }
      unusual &= ~bits;
    };
    // A visitor of rows only is not shown the delimiters: where a field starts is worked out from
    // the block's bits, and only for a wrong quote's field (below).
    std::uint64_t pending = ((kFields ? delimiters : 0) | row_ends) & ~inside;
    if (wrong) pending &= (wrong & -wrong) - 1;  // the boundaries before the first wrong quote
    while (pending) {
      const int bit = __builtin_ctzll(pending);
      const char* const c = block + bit;
      const std::uint64_t below = (std::uint64_t{1} << bit) - 1;
      if (unusual & below) note(below);
      if ((delimiters >> bit) & 1) {  // the common boundary, so looked for first
        end_field(c);
        field = c + 1;
        field_escapes = false;
        if constexpr (kQuoted) kind = fresh;
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
        if (((kQuoted ? escapes : unusual) >> bit) & 1) field_escapes = true;
      }
      if (rows_ended(rend)) return {row, line};
      if (kFields && rend > row) end_field(rend);
      std::uint64_t last_line = line;
      if (row_lines) last_line += count_line_ends(row, rend);
      const char* const next = c + 1;
      if (!v.end_row(rend, next, last_line)) return {next, last_line + 1};
      line = last_line + 1;
      row = field = next;
      field_escapes = row_lines = false;
      if constexpr (kQuoted) kind = fresh;
      if (row < end) v.begin_row(row, line);
      if constexpr (kQuoted) escapes &= ~(below + 1);  // a CR that ended the row was the last field's
      unusual &= ~(below + 1);
      pending &= pending - 1;
    }
    if constexpr (kQuoted) {
      if (wrong) {
        const std::uint64_t before_wrong = (wrong & -wrong) - 1;
        if (unusual & before_wrong) note(before_wrong);  // a row-only walk visited no delimiter there
        if (!kFields) {  // the field holding the wrong quote starts after the last separator before it
          const std::uint64_t seps = (delimiters | row_ends) & ~inside & before_wrong;
          if (seps) field = std::max(field, block + (64 - __builtin_clzll(seps)));
        }
        ef = read_exact_field(field, end, delim, quote, kFields, scratch);
        kind = exact;
        row_lines = row_lines || ef.lines;
        block = ef.end;  // its delimiter or line end starts the next block
        carry = 0;
        continue;
      }
    }
    if (unusual) note(~std::uint64_t{0});  // after the block's last boundary: the current field's
    if (!kFields) {
      if (const std::uint64_t seps = (delimiters | row_ends) & ~inside) field = block + (64 - __builtin_clzll(seps));
    }
    block += valid;
  }
  if (row == end) return {end, line};
  if (!o.end_of_text) return {row, line};  // the last row's end is in bytes not read yet
  if (kQuoted && kind != exact && carry) {  // a quote still open: its field is all the rest
    ef = read_exact_field(field, end, delim, quote, kFields, scratch);
    kind = exact;
  }
  const std::uint64_t last_line = line + count_line_ends(row, end);
  if (kQuoted && kind == exact && ef.unterminated) {
    if constexpr (kFields) {
      v.unterminated_quote(field, end);
      v.field(ef.value, ef.size, true, field, true);
    }
    const char* rend = end;
    while (rend > row && is_line_end_byte(rend[-1])) --rend;
    v.end_row(rend, end, last_line);
  } else {
    if constexpr (kFields) {
      if (field < end) end_field(end);
      else v.field(end, 0, false, end, field_escapes);  // after a delimiter that ends the bytes
    }
    v.end_row(end, end, last_line);
  }
  return {end, last_line + 1};
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
