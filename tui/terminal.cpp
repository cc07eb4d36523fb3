#include "tui/terminal.h"

#ifndef _XOPEN_SOURCE_EXTENDED
#define _XOPEN_SOURCE_EXTENDED 1
#endif
#include <langinfo.h>
#include <ncursesw/ncurses.h>
// curses defines these as macros; Terminal has methods of the same names.
#undef erase
#undef hline
#undef box

#include <algorithm>
#include <clocale>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <cwchar>
#include <string>

namespace sluice::tui {
namespace {

enum Pair : short { kTitle = 1, kSelected, kDim, kGood, kBad, kWarn, kKey, kFrame };

// UTF-8 decoding of one code point; returns the bytes used (1 for an invalid byte, read as '?').
std::size_t decode(std::string_view s, std::size_t i, char32_t& cp) {
  const auto b = static_cast<unsigned char>(s[i]);
  int n = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
  if (n == 0 || i + static_cast<std::size_t>(n) > s.size()) {
    cp = '?';
    return 1;
  }
  cp = n == 1 ? b : n == 2 ? (b & 0x1F) : n == 3 ? (b & 0x0F) : (b & 0x07);
  for (int k = 1; k < n; ++k) {
    const auto c = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
    if ((c >> 6) != 2) {
      cp = '?';
      return 1;
    }
    cp = (cp << 6) | (c & 0x3F);
  }
  return static_cast<std::size_t>(n);
}

int char_width(char32_t cp, bool ascii) {
  if (cp < 0x20 || cp == 0x7F) return 1;  // control characters are drawn as '?'
  if (ascii || cp < 0x80) return 1;
  const int w = ::wcwidth(static_cast<wchar_t>(cp));
  return w < 0 ? 1 : w;
}

bool utf8_locale() {
  const char* codeset = ::nl_langinfo(CODESET);
  return codeset && (std::strcmp(codeset, "UTF-8") == 0 || std::strcmp(codeset, "utf8") == 0);
}

attr_t attributes(Style s, bool colour) {
  if (!colour) {
    switch (s) {
      case Style::selected: return A_REVERSE;
      case Style::title: return A_BOLD;
      case Style::bad: return A_BOLD;
      case Style::key: return A_BOLD;
      default: return A_NORMAL;
    }
  }
  switch (s) {
    case Style::title: return COLOR_PAIR(kTitle) | A_BOLD;
    case Style::selected: return COLOR_PAIR(kSelected);
    case Style::dim: return COLOR_PAIR(kDim);
    case Style::good: return COLOR_PAIR(kGood);
    case Style::bad: return COLOR_PAIR(kBad) | A_BOLD;
    case Style::warn: return COLOR_PAIR(kWarn);
    case Style::key: return COLOR_PAIR(kKey) | A_BOLD;
    case Style::frame: return COLOR_PAIR(kFrame);
    case Style::normal: break;
  }
  return A_NORMAL;
}

}  // namespace

int display_width(std::string_view text, bool ascii) {
  int w = 0;
  for (std::size_t i = 0; i < text.size();) {
    char32_t cp = 0;
    i += decode(text, i, cp);
    w += char_width(cp, ascii);
  }
  return w;
}

std::string clip(std::string_view text, int width, bool ascii, bool ellipsis) {
  if (width <= 0) return {};
  if (display_width(text, ascii) <= width) return std::string(text);
  const int keep = ellipsis && width > 3 ? width - 3 : width;
  std::string out;
  int w = 0;
  for (std::size_t i = 0; i < text.size();) {
    char32_t cp = 0;
    const std::size_t n = decode(text, i, cp);
    const int cw = char_width(cp, ascii);
    if (w + cw > keep) break;
    out.append(text.substr(i, n));
    w += cw;
    i += n;
  }
  if (ellipsis && width > 3) out += "...";
  return out;
}

std::vector<std::string> wrap(std::string_view text, int width, bool ascii) {
  std::vector<std::string> lines;
  std::string line;
  int used = 0;
  width = std::max(1, width);
  auto flush = [&] {
    while (!line.empty() && line.back() == ' ') line.pop_back();
    lines.push_back(std::move(line));
    line.clear();
    used = 0;
  };
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] == ' ') {
      if (used > 0 && used < width) {
        line += ' ';
        ++used;
      }
      ++i;
      continue;
    }
    std::size_t end = text.find(' ', i);
    if (end == std::string_view::npos) end = text.size();
    std::string_view word = text.substr(i, end - i);
    const int w = display_width(word, ascii);
    if (used > 0 && used + w > width) flush();
    if (w <= width) {
      line.append(word);
      used += w;
    } else {
      // Longer than a whole line: as much as fits on each.
      while (!word.empty()) {
        const std::string part = clip(word, width - used, ascii, false);
        if (part.empty()) {
          flush();
          continue;
        }
        line += part;
        used += display_width(part, ascii);
        word.remove_prefix(part.size());
        if (!word.empty()) flush();
      }
    }
    i = end;
  }
  if (!line.empty() || lines.empty()) flush();
  return lines;
}

Terminal::Terminal() {
  std::setlocale(LC_ALL, "");
  // ESC answers at once (no 1 s wait to see whether it starts a sequence).
  ::setenv("ESCDELAY", "25", 0);
  initscr();
  cbreak();
  noecho();
  nonl();
  keypad(stdscr, TRUE);
  curs_set(0);
  const char* force_ascii = std::getenv("SLUICE_ASCII");
  colour_ = has_colors();
  ascii_ = !utf8_locale() || !colour_ || (force_ascii && *force_ascii && std::strcmp(force_ascii, "0") != 0);
  if (ascii_) colour_ = false;
  if (colour_) {
    start_color();
    use_default_colors();
    init_pair(kTitle, COLOR_CYAN, -1);
    init_pair(kSelected, COLOR_BLACK, COLOR_CYAN);
    init_pair(kDim, COLOR_BLUE, -1);
    init_pair(kGood, COLOR_GREEN, -1);
    init_pair(kBad, COLOR_RED, -1);
    init_pair(kWarn, COLOR_YELLOW, -1);
    init_pair(kKey, COLOR_YELLOW, -1);
    init_pair(kFrame, COLOR_BLUE, -1);
  }
}

Terminal::~Terminal() { endwin(); }

int Terminal::rows() const { return LINES; }
int Terminal::cols() const { return COLS; }

Key Terminal::read_key(int timeout_ms) {
  timeout(timeout_ms);
  wint_t ch = 0;
  const int rc = get_wch(&ch);
  Key k;
  if (rc == ERR) return k;
  if (rc == KEY_CODE_YES) {
    switch (ch) {
      case KEY_UP: k.kind = Key::up; break;
      case KEY_DOWN: k.kind = Key::down; break;
      case KEY_LEFT: k.kind = Key::left; break;
      case KEY_RIGHT: k.kind = Key::right; break;
      case KEY_ENTER: k.kind = Key::enter; break;
      case KEY_BACKSPACE: k.kind = Key::backspace; break;
      case KEY_PPAGE: k.kind = Key::page_up; break;
      case KEY_NPAGE: k.kind = Key::page_down; break;
      case KEY_HOME: k.kind = Key::home; break;
      case KEY_END: k.kind = Key::end; break;
      case KEY_BTAB: k.kind = Key::back_tab; break;
      case KEY_DC: k.kind = Key::del; break;
      case KEY_RESIZE: k.kind = Key::resize; break;
      case KEY_F(1): k.kind = Key::help; break;
      default: break;
    }
    return k;
  }
  switch (ch) {
    case '\r':
    case '\n': k.kind = Key::enter; break;
    case 27: k.kind = Key::escape; break;
    case 127:
    case 8: k.kind = Key::backspace; break;
    case '\t': k.kind = Key::tab; break;
    case 21: k.kind = Key::clear_line; break;  // Ctrl-U, as in a shell
    default:
      k.kind = Key::character;
      k.ch = static_cast<char32_t>(ch);
  }
  return k;
}

void Terminal::erase() { werase(stdscr); }
void Terminal::present() { refresh(); }

int Terminal::text(int y, int x, std::string_view s, int width, Style style, bool pad) {
  if (y < 0 || y >= LINES || x >= COLS || width <= 0) return 0;
  width = std::min(width, COLS - x);
  const attr_t a = attributes(style, colour_);
  attron(a);
  move(y, x);
  int used = 0;
  for (std::size_t i = 0; i < s.size();) {
    char32_t cp = 0;
    i += decode(s, i, cp);
    if (cp < 0x20 || cp == 0x7F) cp = '?';
    if (ascii_ && cp >= 0x80) cp = '?';
    const int cw = char_width(cp, ascii_);
    if (used + cw > width) break;
    if (cp < 0x80) {
      addch(static_cast<chtype>(cp));
    } else {
      const wchar_t w[2] = {static_cast<wchar_t>(cp), 0};
      addnwstr(w, 1);
    }
    used += cw;
  }
  if (pad)
    for (; used < width; ++used) addch(' ');
  attroff(a);
  return used;
}

void Terminal::fill(int y, int x, int width, Style style) { text(y, x, "", width, style, true); }

// Lines are drawn as text: U+2500 box drawing in UTF-8 (what every terminal and tmux shows the
// same), '-' '|' '+' in ASCII; never the alternate character set, which screen dumps show as letters.
void Terminal::hline(int y, int x, int width) {
  std::string line;
  for (int i = 0; i < width; ++i) line += ascii_ ? "-" : "\u2500";
  text(y, x, line, width, Style::frame);
}

void Terminal::box(int y, int x, int height, int width, std::string_view title) {
  if (height < 2 || width < 2) return;
  const char* v = ascii_ ? "|" : "\u2502";
  std::string top = ascii_ ? "+" : "\u250c", bottom = ascii_ ? "+" : "\u2514";
  for (int i = 0; i < width - 2; ++i) {
    top += ascii_ ? "-" : "\u2500";
    bottom += ascii_ ? "-" : "\u2500";
  }
  top += ascii_ ? "+" : "\u2510";
  bottom += ascii_ ? "+" : "\u2518";
  text(y, x, top, width, Style::frame);
  for (int r = 1; r < height - 1; ++r) {
    text(y + r, x, v, 1, Style::frame);
    text(y + r, x + width - 1, v, 1, Style::frame);
  }
  text(y + height - 1, x, bottom, width, Style::frame);
  if (!title.empty()) text(y, x + 2, " " + std::string(title) + " ", width - 4, Style::title);
}

void Terminal::bar(int y, int x, int width, double fraction, Style style) {
  if (width < 8) return;
  fraction = std::clamp(fraction, 0.0, 1.0);
  const int inner = width - 7;  // "[" + bar + "] " + "100%"
  const int filled = static_cast<int>(std::lround(fraction * inner));
  const std::string full = ascii_ ? "#" : "\u2588", empty = ascii_ ? "." : "\u2591";
  std::string s;
  for (int i = 0; i < filled; ++i) s += full;
  text(y, x, "[", 1, Style::frame);
  text(y, x + 1, s, filled, style);
  std::string rest;
  for (int i = filled; i < inner; ++i) rest += empty;
  text(y, x + 1 + filled, rest, inner - filled, Style::dim);
  char pct[8];
  std::snprintf(pct, sizeof pct, "]%4d%%", static_cast<int>(std::floor(fraction * 100)));
  text(y, x + 1 + inner, pct, 6, Style::normal);
}

void Terminal::cursor(bool visible, int y, int x) {
  curs_set(visible ? 1 : 0);
  if (visible) move(y, x);
}

}  // namespace sluice::tui
