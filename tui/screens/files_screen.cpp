// Files: analyze a file (format, column types, nulls, rows per day) or compress it for transfer,
// each as a background job.
#include <fmt/format.h>

#include "tui/screen.h"
#include "tui/widgets.h"

namespace sluice::tui {
namespace {

class FilesScreen final : public Screen {
 public:
  explicit FilesScreen(Menu& menu) : Screen(menu) {
    file_ = form_.add({Field::text, "File", "", {}, {"A .tsv/.csv (or .gz/.zst) file; or use [Pick a file]"}});
    pick_ = form_.add({Field::button, "Pick a file", "", {}, {"Browse the base path"}});
    std::vector<std::string> tables{"(none: sniff the format)"};
    tables.insert(tables.end(), menu.settings().tables.begin(), menu.settings().tables.end());
    table_ = form_.add({Field::choice, "Read as table", "", tables,
                        {"Analyze sniffs the delimiter, header and types", "Read with this table's config and run its file QC too"}});
    split_ = form_.add({Field::text, "Split (MB)", "", {}, {"Compress: parts of at most this many MB (empty: one file)"}});
    analyze_ = form_.add({Field::button, "Analyze", "", {}, {"Profile the file in one pass"}});
    compress_ = form_.add({Field::button, "Compress", "", {}, {"Write FILE.zst next to it (byte-identical when decompressed)"}});
  }
  std::string title() const override { return "Files"; }

  void tick() override {
    if (const std::int64_t id = launch_.poll(menu_)) menu_.open_job(id);
  }

  void draw(Terminal& t, int top, int height) override {
    (void)height;
    form_.draw(t, top + 1, 2, t.cols() - 4);
  }

  bool key(const Key& k, int page) override {
    (void)page;
    int pressed = -1;
    if (k.kind == Key::escape || !form_.key(k, pressed)) return false;
    const std::string file = form_.field(file_).value;
    const Field& table = form_.field(table_);
    if (pressed == pick_) {
      menu_.push(make_file_picker(menu_, menu_.settings().base_path, false,
                                  [this](std::vector<std::string> files) {
                                    if (!files.empty()) form_.field(file_).value = files.front();
                                  }));
    } else if ((pressed == analyze_ || pressed == compress_) && file.empty()) {
      menu_.status("Choose a file first.", true);
    } else if (pressed == analyze_) {
      BatchCommand c;
      c.args = {"analyze", file};
      if (table.chosen > 0) c.args.insert(c.args.end(), {"--table", table.chosen_text()});
      c.result_args = {"--json"};
      c.title = "Analyze " + file;
      launch_.set(menu_.start(std::move(c)));
    } else if (pressed == compress_) {
      BatchCommand c;
      c.args = {"compress", file};
      if (table.chosen > 0) c.args.insert(c.args.end(), {"--table", table.chosen_text()});
      const std::string split = form_.field(split_).value;
      if (!split.empty()) {
        if (split.find_first_not_of("0123456789") != std::string::npos) {
          menu_.status("Split must be a whole number of MB.", true);
          return true;
        }
        c.args.insert(c.args.end(), {"--split-mb", split});
      }
      c.title = "Compress " + file;
      launch_.set(menu_.start(std::move(c)));
    }
    return true;
  }
  bool typing() const override { return form_.editing_text(); }
  HelpLines help() const override {
    return {{"Analyze", "format, per-column types (needed, proposed), nulls, min/max, distinct values, rows per day"},
            {"Compress", "zstd for transfer; with a table, kept only when its file QC passes"}};
  }

 private:
  Form form_;
  int file_, pick_, table_, split_, analyze_, compress_;
  PendingLaunch launch_;
};

}  // namespace

std::unique_ptr<Screen> make_files_screen(Menu& menu) { return std::make_unique<FilesScreen>(menu); }

}  // namespace sluice::tui
