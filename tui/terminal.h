// The curses session and everything the screens draw with: clipped UTF-8 text by display width,
// boxes, progress bars and key reading. The only header of sluice that knows curses exists: the
// screens see Terminal, Key and Style.
//
// Fallback: in a locale that is not UTF-8 (LANG=C) or on a terminal without colours (TERM=vt100)
// the screens are drawn in plain ASCII without colour (text outside ASCII shown as '?').
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sluice::tui {

struct Key {
  enum Kind { none, character, up, down, left, right, enter, escape, backspace, page_up, page_down, home, end, tab,
              back_tab, del, resize, help, clear_line /* Ctrl-U */ };
  Kind kind = none;
  char32_t ch = 0;  // for `character`

  bool is(char32_t c) const { return kind == character && ch == c; }
};

enum class Style { normal, title, selected, dim, good, bad, warn, key, frame };

class Terminal {
 public:
  Terminal();
  ~Terminal();
  Terminal(const Terminal&) = delete;
  Terminal& operator=(const Terminal&) = delete;

  bool ascii() const { return ascii_; }
  bool colour() const { return colour_; }
  int rows() const;
  int cols() const;

  // The next key, waiting at most `timeout_ms` (none when there was none).
  Key read_key(int timeout_ms);

  void erase();
  void present();
  // `text` at row y, column x, cut to `width` display columns; with `pad`, the rest of the width is
  // filled with spaces in the same style. Returns the columns used.
  int text(int y, int x, std::string_view text, int width, Style style = Style::normal, bool pad = false);
  void fill(int y, int x, int width, Style style);
  void box(int y, int x, int height, int width, std::string_view title = {});
  void hline(int y, int x, int width);
  // [#####.....] 42%: a bar of `width` columns (the percentage included).
  void bar(int y, int x, int width, double fraction, Style style = Style::good);
  // Shows the text cursor at (y, x), or hides it.
  void cursor(bool visible, int y = 0, int x = 0);

 private:
  bool ascii_ = true;
  bool colour_ = false;
};

// Display columns `text` takes (UTF-8; each byte outside ASCII counts 1 in ASCII mode).
int display_width(std::string_view text, bool ascii);
// `text` cut to at most `width` display columns, "..." marking a cut when `ellipsis`.
std::string clip(std::string_view text, int width, bool ascii, bool ellipsis = true);
// `text` as lines of at most `width` display columns, broken at spaces (a word longer than a line
// is broken where the line ends). Never empty: "" gives one empty line.
std::vector<std::string> wrap(std::string_view text, int width, bool ascii);

}  // namespace sluice::tui
