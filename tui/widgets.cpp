#include "tui/widgets.h"

#include <algorithm>
#include <cctype>

namespace sluice::tui {
namespace {

bool contains_folded(const std::string& hay, const std::string& needle) {
  if (needle.empty()) return true;
  auto it = std::search(hay.begin(), hay.end(), needle.begin(), needle.end(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
  });
  return it != hay.end();
}

// The common list motions; returns the new cursor or -1 when `k` is not one.
int motion(const Key& k, int cursor, int count, int page) {
  if (count == 0) return -1;
  page = std::max(1, page);
  if (k.kind == Key::up || k.is('k')) return std::max(0, cursor - 1);
  if (k.kind == Key::down || k.is('j')) return std::min(count - 1, cursor + 1);
  if (k.kind == Key::page_up) return std::max(0, cursor - page);
  if (k.kind == Key::page_down) return std::min(count - 1, cursor + page);
  if (k.kind == Key::home || k.is('g')) return 0;
  if (k.kind == Key::end || k.is('G')) return count - 1;
  return -1;
}

}  // namespace

void pop_utf8(std::string& s) {
  while (!s.empty()) {
    const auto c = static_cast<unsigned char>(s.back());
    s.pop_back();
    if ((c & 0xC0) != 0x80) break;
  }
}

void push_utf8(std::string& s, char32_t cp) {
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else if (cp < 0x800) {
    s += static_cast<char>(0xC0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    s += static_cast<char>(0xE0 | (cp >> 12));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    s += static_cast<char>(0xF0 | (cp >> 18));
    s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

bool edit_text(std::string& text, const Key& k) {
  if (k.kind == Key::backspace) pop_utf8(text);
  else if (k.kind == Key::clear_line) text.clear();
  else if (k.kind == Key::character && k.ch >= 0x20) push_utf8(text, k.ch);
  else return false;
  return true;
}

// ---- ListView

void ListView::set_rows(std::vector<std::string> rows) {
  rows_ = std::move(rows);
  const int n = static_cast<int>(visible().size());
  cursor_ = std::clamp(cursor_, 0, std::max(0, n - 1));
}

std::vector<int> ListView::visible() const {
  std::vector<int> out;
  for (int i = 0; i < static_cast<int>(rows_.size()); ++i)
    if (contains_folded(rows_[static_cast<std::size_t>(i)], filter_)) out.push_back(i);
  return out;
}

int ListView::selected() const {
  const auto v = visible();
  if (v.empty()) return -1;
  return v[static_cast<std::size_t>(std::clamp(cursor_, 0, static_cast<int>(v.size()) - 1))];
}

void ListView::select_best_match() {
  // A row that starts with the filter beats one that only contains it ("Restore" opens Restore,
  // not the Delete row whose description mentions restore).
  const auto v = visible();
  cursor_ = 0;
  for (int i = 0; i < static_cast<int>(v.size()); ++i) {
    const std::string& row = rows_[static_cast<std::size_t>(v[static_cast<std::size_t>(i)])];
    const auto first = row.find_first_not_of(' ');
    if (first != std::string::npos && contains_folded(row.substr(first, filter_.size()), filter_)) {
      cursor_ = i;
      return;
    }
  }
}

void ListView::select(int row) {
  const auto v = visible();
  for (int i = 0; i < static_cast<int>(v.size()); ++i)
    if (v[static_cast<std::size_t>(i)] == row) cursor_ = i;
}

bool ListView::key(const Key& k, int page) {
  if (filtering_) {
    if (k.kind == Key::enter) {
      filtering_ = false;
    } else if (k.kind == Key::escape) {
      filtering_ = false;
      filter_.clear();
    } else if (edit_text(filter_, k)) {
      select_best_match();
    } else if (k.kind == Key::up || k.kind == Key::down) {
      filtering_ = false;
      return key(k, page);
    } else {
      return false;
    }
    return true;
  }
  if (k.is('/')) {
    filtering_ = true;
    return true;
  }
  if (k.kind == Key::escape && !filter_.empty()) {
    filter_.clear();
    return true;
  }
  const int m = motion(k, cursor_, static_cast<int>(visible().size()), page);
  if (m < 0) return false;
  cursor_ = m;
  return true;
}

std::vector<std::string> ListView::row_lines(const std::string& row, int width, bool ascii) const {
  if (wrap_indent_ <= 0 || wrap_indent_ >= width || display_width(row, ascii) <= width) return {row};
  const std::string head = clip(row, wrap_indent_, ascii, false);
  std::vector<std::string> lines = wrap(std::string_view(row).substr(head.size()), width - wrap_indent_, ascii);
  for (std::size_t i = 0; i < lines.size(); ++i) lines[i] = (i == 0 ? head : std::string(static_cast<std::size_t>(wrap_indent_), ' ')) + lines[i];
  return lines;
}

void ListView::draw(Terminal& t, int y, int x, int height, int width, const std::function<Style(int)>& style) {
  const auto v = visible();
  int list_height = height;
  if (filtering_ || !filter_.empty()) --list_height;
  std::vector<std::vector<std::string>> lines;  // per visible row
  for (const int row : v) lines.push_back(row_lines(rows_[static_cast<std::size_t>(row)], width, t.ascii()));
  auto height_of = [&](int from, int to) {  // lines of visible rows [from, to]
    int n = 0;
    for (int i = from; i <= to; ++i) n += static_cast<int>(lines[static_cast<std::size_t>(i)].size());
    return n;
  };
  if (cursor_ < top_) top_ = cursor_;
  top_ = std::clamp(top_, 0, std::max(0, static_cast<int>(v.size()) - 1));
  while (top_ < cursor_ && height_of(top_, cursor_) > list_height) ++top_;
  // Rows that would fit below the last are pulled up, so no space is left empty at the end.
  while (top_ > 0 && height_of(top_ - 1, static_cast<int>(v.size()) - 1) <= list_height) --top_;
  if (v.empty()) t.text(y, x, filter_.empty() ? "(nothing here)" : "(no row matches the filter)", width, Style::dim);
  int r = 0;
  for (int i = top_; i < static_cast<int>(v.size()) && r < list_height; ++i) {
    const int row = v[static_cast<std::size_t>(i)];
    const Style s = i == cursor_ ? Style::selected : style ? style(row) : Style::normal;
    for (const auto& line : lines[static_cast<std::size_t>(i)]) {
      if (r >= list_height) break;
      t.text(y + r++, x, line, width, s, true);
    }
  }
  if (filtering_ || !filter_.empty())
    t.text(y + height - 1, x, "/" + filter_ + (filtering_ ? "_" : "  (Esc clears)"), width, Style::key, true);
}

// ---- TextView

void TextView::set_text(const std::string& text) {
  lines_.clear();
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto nl = text.find('\n', start);
    if (nl == std::string::npos) {
      if (start < text.size()) lines_.push_back(text.substr(start));
      break;
    }
    lines_.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  top_ = std::min(top_, std::max(0, static_cast<int>(lines_.size()) - 1));
}

bool TextView::key(const Key& k, int page) {
  const int m = motion(k, top_, static_cast<int>(lines_.size()), page);
  if (m < 0) return false;
  top_ = m;
  return true;
}

void TextView::draw(Terminal& t, int y, int x, int height, int width) {
  top_ = std::clamp(top_, 0, std::max(0, static_cast<int>(lines_.size()) - height));
  for (int r = 0; r < height && top_ + r < static_cast<int>(lines_.size()); ++r)
    t.text(y + r, x, lines_[static_cast<std::size_t>(top_ + r)], width);
}

// ---- Form

int Form::add(Field f) {
  fields_.push_back(std::move(f));
  return static_cast<int>(fields_.size()) - 1;
}

bool Form::editing_text() const {
  return focus_ >= 0 && focus_ < static_cast<int>(fields_.size()) && fields_[static_cast<std::size_t>(focus_)].kind == Field::text;
}

void Form::move(int step) {
  const int n = static_cast<int>(fields_.size());
  for (int i = 0; i < n; ++i) {
    focus_ = (focus_ + step + n) % n;
    if (fields_[static_cast<std::size_t>(focus_)].visible) return;
  }
}

bool Form::key(const Key& k, int& pressed) {
  pressed = -1;
  if (fields_.empty()) return false;
  Field& f = fields_[static_cast<std::size_t>(focus_)];
  if (k.kind == Key::up || k.kind == Key::back_tab) {
    move(-1);
    return true;
  }
  if (k.kind == Key::down || k.kind == Key::tab) {
    move(1);
    return true;
  }
  switch (f.kind) {
    case Field::text:
      if (edit_text(f.value, k)) return true;
      if (k.kind == Key::enter) {
        move(1);
        return true;
      }
      return false;
    case Field::choice: {
      const int n = static_cast<int>(f.options.size());
      if (n == 0) return false;
      if (k.kind == Key::right || k.is('l') || k.is(' ') || k.kind == Key::enter) {
        f.chosen = (f.chosen + 1) % n;
        return true;
      }
      if (k.kind == Key::left || k.is('h')) {
        f.chosen = (f.chosen - 1 + n) % n;
        return true;
      }
      if (k.is('j')) {
        move(1);
        return true;
      }
      if (k.is('k')) {
        move(-1);
        return true;
      }
      return false;
    }
    case Field::button:
      if (k.kind == Key::enter || k.is(' ')) {
        pressed = focus_;
        return true;
      }
      if (k.is('j')) {
        move(1);
        return true;
      }
      if (k.is('k')) {
        move(-1);
        return true;
      }
      return false;
  }
  return false;
}

int Form::draw(Terminal& t, int y, int x, int width) {
  int row = y;
  const int label_width = 18;
  for (int i = 0; i < static_cast<int>(fields_.size()); ++i) {
    const Field& f = fields_[static_cast<std::size_t>(i)];
    if (!f.visible) continue;
    const bool focused = i == focus_;
    const std::string marker = focused ? "> " : "  ";
    if (f.kind == Field::button) {
      t.text(row, x, marker, 2, Style::key);
      t.text(row, x + 2, "[ " + f.label + " ]", width - 2, focused ? Style::selected : Style::title);
    } else {
      t.text(row, x, marker, 2, Style::key);
      t.text(row, x + 2, f.label, label_width - 2, Style::normal);
      const int vx = x + label_width;
      const int vw = std::max(4, width - label_width);
      if (f.kind == Field::text) {
        const std::string shown = clip(f.value, vw - 1, t.ascii(), false);
        t.text(row, vx, shown + (focused ? "_" : ""), vw, focused ? Style::selected : Style::normal, true);
      } else {
        const std::string shown = "< " + (f.options.empty() ? std::string() : f.chosen_text()) + " >";
        t.text(row, vx, shown, vw, focused ? Style::selected : Style::normal);
      }
    }
    ++row;
    if (focused) {
      std::string hint;
      if (f.kind == Field::choice && f.chosen < static_cast<int>(f.hints.size())) hint = f.hints[static_cast<std::size_t>(f.chosen)];
      else if (f.kind != Field::choice && !f.hints.empty()) hint = f.hints[0];
      if (!hint.empty()) {
        t.text(row, x + label_width, hint, width - label_width, Style::dim);
        ++row;
      }
    }
  }
  return row - y;
}

}  // namespace sluice::tui
