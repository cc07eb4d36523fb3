// Picks files for a load or for the Files screen. The directory is read on the backend thread.
#include <algorithm>
#include <filesystem>
#include <set>

#include <fmt/format.h>

#include "core/error.h"
#include "core/text_format.h"
#include "operations/file_selection.h"
#include "tui/screen.h"
#include "tui/widgets.h"

namespace sluice::tui {
namespace {

namespace fs = std::filesystem;

struct Entry {
  std::string name;
  bool dir = false;
  std::uint64_t bytes = 0;
  std::string table;    // the config table whose pattern the file matches ("" when none)
  std::string pattern;  // that table's file_pattern
};

struct Listing {
  std::string dir;
  std::vector<Entry> entries;
  std::string error;
};

Listing list_dir(const std::string& dir, const std::string& config_path, const ConfigReader& read_config) {
  Listing l;
  l.dir = dir;
  std::optional<Config> config;
  if (!config_path.empty()) {
    try {
      config = read_config(config_path);
    } catch (const Error&) {
    }
  }
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    Entry e;
    e.name = it->path().filename().string();
    if (!e.name.empty() && e.name[0] == '.') continue;
    e.dir = it->is_directory(ec);
    if (!e.dir) {
      e.bytes = it->file_size(ec);
      if (config) {
        try {
          const auto sel = select_files(*config, {it->path().string()}, "");
          if (!sel.empty() && sel[0].table) {
            e.table = sel[0].table->table;
            e.pattern = sel[0].table->feed.file_pattern;
          }
        } catch (const Error&) {
        }
      }
    }
    l.entries.push_back(std::move(e));
  }
  if (ec) l.error = fmt::format("cannot read {}: {}", dir, ec.message());
  std::sort(l.entries.begin(), l.entries.end(), [](const Entry& a, const Entry& b) {
    return a.dir != b.dir ? a.dir : a.name < b.name;
  });
  return l;
}

class FilePicker final : public Screen {
 public:
  FilePicker(Menu& menu, std::string dir, bool multiple, std::function<void(std::vector<std::string>)> done)
      : Screen(menu), multiple_(multiple), done_(std::move(done)) {
    open(fs::absolute(dir.empty() ? "." : dir).lexically_normal().string());
  }
  std::string title() const override { return "Pick files"; }

  void tick() override {
    if (!ready(pending_)) return;
    listing_ = pending_.get();
    std::vector<std::string> rows{".."};
    for (const auto& e : listing_.entries) rows.push_back(row_text(e));
    list_.set_rows(rows);
    list_.select(0);
    loaded_ = true;
  }

  void draw(Terminal& t, int top, int height) override {
    t.text(top, 1, listing_.dir.empty() ? dir_ : listing_.dir, t.cols() - 2, Style::title);
    if (!loaded_) {
      t.text(top + 2, 2, "reading the directory...", t.cols() - 4, Style::dim);
      return;
    }
    if (!listing_.error.empty()) t.text(top + 1, 2, listing_.error, t.cols() - 4, Style::bad);
    t.text(top + 1, 2, fmt::format("{} marked   Space: mark   Enter: open / choose   d: done", marked_.size()),
           t.cols() - 4, Style::dim);
    // Marks change the row text; rebuild it so the filter sees them too.
    list_.draw(t, top + 2, 1, height - 2, t.cols() - 2, [&](int row) {
      if (row == 0) return Style::normal;
      const Entry& e = listing_.entries[static_cast<std::size_t>(row - 1)];
      return e.dir ? Style::title : e.table.empty() ? Style::dim : Style::normal;
    });
  }

  bool key(const Key& k, int page) override {
    if (!loaded_) return false;
    if (list_.filtering()) return list_.key(k, page);
    const int row = list_.selected();
    if (k.kind == Key::enter || k.kind == Key::right) {
      if (row == 0) {
        open(fs::path(listing_.dir).parent_path().string());
      } else if (row > 0) {
        const Entry& e = listing_.entries[static_cast<std::size_t>(row - 1)];
        if (e.dir) {
          open((fs::path(listing_.dir) / e.name).string());
        } else {
          if (marked_.empty()) marked_.insert((fs::path(listing_.dir) / e.name).string());
          finish();
        }
      }
      return true;
    }
    if (k.is(' ') && row > 0) {
      const Entry& e = listing_.entries[static_cast<std::size_t>(row - 1)];
      if (!e.dir) {
        const std::string path = (fs::path(listing_.dir) / e.name).string();
        if (!marked_.erase(path)) {
          if (!multiple_) marked_.clear();
          marked_.insert(path);
        }
        refresh_rows();
      }
      return true;
    }
    if (k.is('d')) {
      if (marked_.empty()) menu_.status("No file is marked: Space marks one.", true);
      else finish();
      return true;
    }
    if (k.kind == Key::backspace) {
      open(fs::path(listing_.dir).parent_path().string());
      return true;
    }
    return list_.key(k, page);
  }
  bool typing() const override { return list_.filtering(); }

  HelpLines help() const override {
    return {{"Enter", "open a directory, or choose the file (and any marked ones)"},
            {"Space", multiple_ ? "mark or unmark a file (several allowed)" : "mark a file"},
            {"d", "done: choose the marked files"},
            {"Backspace", "the parent directory"},
            {"", "A file shows the table whose file_pattern it matches; dim files match none."}};
  }

 private:
  std::string row_text(const Entry& e) const {
    if (e.dir) return e.name + "/";
    const std::string path = (fs::path(listing_.dir) / e.name).string();
    return fmt::format("{} {:<40} {:>10}  {}", marked_.count(path) ? "[x]" : "[ ]", e.name, human_bytes(static_cast<double>(e.bytes)),
                       e.table.empty() ? "(no table's pattern)" : "-> " + e.table + "  (" + e.pattern + ")");
  }
  void refresh_rows() {
    std::vector<std::string> rows{".."};
    for (const auto& e : listing_.entries) rows.push_back(row_text(e));
    const int sel = list_.selected();
    list_.set_rows(rows);
    list_.select(sel);
  }
  void open(std::string dir) {
    dir_ = dir;
    loaded_ = false;
    const std::string config = menu_.settings().config_path;
    pending_ = menu_.backend().submit([dir, config](Services& s) { return list_dir(dir, config, s.read_config); });
  }
  void finish() {
    std::vector<std::string> files(marked_.begin(), marked_.end());
    done_(std::move(files));
    menu_.pop();
  }

  bool multiple_;
  std::function<void(std::vector<std::string>)> done_;
  std::string dir_;
  std::future<Listing> pending_;
  Listing listing_;
  bool loaded_ = false;
  ListView list_;
  std::set<std::string> marked_;
};

}  // namespace

std::unique_ptr<Screen> make_file_picker(Menu& menu, std::string dir, bool multiple,
                                         std::function<void(std::vector<std::string>)> done) {
  return std::make_unique<FilePicker>(menu, std::move(dir), multiple, std::move(done));
}

}  // namespace sluice::tui
