// The pieces screens are made of: a scrolling list with selection and a / filter, a scrolling
// text view, and a form of text, choice and button fields. They hold state and draw themselves;
// the screens decide what the rows mean.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "tui/terminal.h"

namespace sluice::tui {

// Up/Down, j/k, PgUp/PgDn, Home/End move; `/` starts a filter (typed text keeps the rows that
// contain it, case-insensitively; Enter keeps the filter, Esc clears it).
class ListView {
 public:
  void set_rows(std::vector<std::string> rows);  // keeps the selection on the same row index
  const std::vector<std::string>& rows() const { return rows_; }
  // The selected row's index in rows(), or -1 when none is visible.
  int selected() const;
  void select(int row);
  bool key(const Key& k, int page);  // true when handled
  bool filtering() const { return filtering_; }
  const std::string& filter() const { return filter_; }
  void clear_filter() {
    filter_.clear();
    filtering_ = false;
  }
  // Rows wider than the list go on over more lines, the text after their first `indent` columns
  // wrapped at spaces and indented by that much (0, the default: a row is one line, cut).
  void set_wrap(int indent) { wrap_indent_ = indent; }
  // Draws rows [top, top+height) of the visible ones; styles per row come from `style`.
  void draw(Terminal& t, int y, int x, int height, int width,
            const std::function<Style(int row)>& style = nullptr);

 private:
  std::vector<std::string> row_lines(const std::string& row, int width, bool ascii) const;
  std::vector<int> visible() const;
  void select_best_match();
  std::vector<std::string> rows_;
  int cursor_ = 0;  // among visible rows
  int top_ = 0;
  int wrap_indent_ = 0;
  bool filtering_ = false;
  std::string filter_;
};

// Lines of text to scroll through (logs, results): arrows, j/k, PgUp/PgDn, Home/End.
class TextView {
 public:
  void set_text(const std::string& text);
  void set_lines(std::vector<std::string> lines) { lines_ = std::move(lines); }
  const std::vector<std::string>& lines() const { return lines_; }
  bool key(const Key& k, int page);
  void scroll_to_end(int height) { top_ = std::max(0, static_cast<int>(lines_.size()) - height); }
  void draw(Terminal& t, int y, int x, int height, int width);

 private:
  std::vector<std::string> lines_;
  int top_ = 0;
};

struct Field {
  enum Kind { text, choice, button };
  Kind kind = text;
  std::string label;
  std::string value;                 // text
  std::vector<std::string> options;  // choice
  std::vector<std::string> hints;    // choice: one line per option; text/button: hints[0]
  int chosen = 0;                    // choice
  bool visible = true;

  const std::string& chosen_text() const { return options.at(static_cast<std::size_t>(chosen)); }
};

// Up/Down/Tab move between fields; a text field takes typing (Backspace erases); Left/Right or
// Space change a choice; Enter on a button returns its index through `pressed`.
class Form {
 public:
  int add(Field f);
  Field& field(int i) { return fields_.at(static_cast<std::size_t>(i)); }
  const Field& field(int i) const { return fields_.at(static_cast<std::size_t>(i)); }
  int focus() const { return focus_; }
  void set_focus(int i) { focus_ = i; }
  bool editing_text() const;
  // Handles `k`; `pressed` is set to the button's index when one is pressed.
  bool key(const Key& k, int& pressed);
  // Draws the fields from row y; returns the rows used. The focused field's hint goes under it.
  int draw(Terminal& t, int y, int x, int width);

 private:
  void move(int step);
  std::vector<Field> fields_;
  int focus_ = 0;
};

// A one-line text input: a printable key is typed, Backspace erases the last character, Ctrl-U
// clears it all. true when `k` was one of those.
bool edit_text(std::string& text, const Key& k);

// A UTF-8 string with its last code point removed.
void pop_utf8(std::string& s);
// A code point appended as UTF-8.
void push_utf8(std::string& s, char32_t cp);

}  // namespace sluice::tui
