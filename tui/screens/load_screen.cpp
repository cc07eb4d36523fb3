// Load: a month (every table, or one) from the base path, or files picked one by one; the QC mode
// with a line on what it costs; then a background `sluice --batch load ...`.
#include <chrono>
#include <ctime>

#include <fmt/format.h>

#include "core/dates.h"
#include "tui/screen.h"
#include "tui/widgets.h"

namespace sluice::tui {
namespace {

std::string previous_month() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  localtime_r(&t, &tm);
  int year = tm.tm_year + 1900, month = tm.tm_mon;  // tm_mon is 0-based: this is last month
  if (month == 0) {
    month = 12;
    --year;
  }
  return fmt::format("{:04}-{:02}", year, month);
}

std::string join_comma(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

class LoadScreen final : public Screen {
 public:
  explicit LoadScreen(Menu& menu) : Screen(menu) {
    const MenuSettings& s = menu.settings();
    what_ = form_.add({Field::choice, "Load", "", {"a month", "chosen files"},
                       {"Every table's file for the month, found in the base path by its file_pattern",
                        "Files you pick; each goes to the table whose file_pattern it matches"}});
    month_ = form_.add({Field::text, "Month", s.load_month.empty() ? previous_month() : s.load_month, {}, {"YYYY-MM"}});
    std::vector<std::string> tables{"all tables"};
    tables.insert(tables.end(), s.tables.begin(), s.tables.end());
    table_ = form_.add({Field::choice, "Table", "", tables, {}});
    base_ = form_.add({Field::text, "Base path", s.base_path, {}, {"The directory with the month's files"}});
    files_ = form_.add({Field::text, "Files", "", {}, {"Comma-separated; or use [Pick files]"}});
    pick_ = form_.add({Field::button, "Pick files", "", {}, {"Browse the base path"}});
    Field qc{Field::choice, "QC", "", {"file", "warehouse", "none"},
             {"file: every value checked while the file is read; a bad row fails the load before anything is published",
              "warehouse: rows go to a staging table and validate's checks run there; publish only if they pass",
              "none: only the structure (fields per row) is checked; fastest, trusts the file"}};
    qc.chosen = s.default_qc == "warehouse" ? 1 : s.default_qc == "none" ? 2 : 0;
    qc_ = form_.add(qc);
    replace_ = form_.add({Field::choice, "Replace", "", {"no", "yes"},
                          {"A file already loaded is refused", "The rows of the file's days are replaced, atomically"}});
    create_ = form_.add({Field::choice, "Create table", "", {"no", "yes"},
                         {"A missing table is an error", "A missing table is created from the config's columns"}});
    start_ = form_.add({Field::button, "Start the load", "", {}, {"Runs in the background; Jobs shows its progress"}});
    update_visibility();
  }
  std::string title() const override { return "Load"; }

  void tick() override { launch_.open_when_started(menu_); }

  void draw(Terminal& t, int top, int height) override {
    (void)height;
    form_.draw(t, top + 1, 2, t.cols() - 4);
    if (launch_.active()) t.text(top + height - 1, 2, "starting the load...", t.cols() - 4, Style::dim);
  }

  bool key(const Key& k, int page) override {
    (void)page;
    int pressed = -1;
    if (k.kind == Key::escape) return false;
    if (!form_.key(k, pressed)) return false;
    update_visibility();
    if (pressed == pick_) {
      menu_.push(make_file_picker(menu_, form_.field(base_).value, true, [this](std::vector<std::string> files) {
        form_.field(files_).value = join_comma(files);
      }));
    } else if (pressed == start_) {
      start();
    }
    return true;
  }
  bool typing() const override { return form_.editing_text(); }

  HelpLines help() const override {
    return {{"Up/Down Tab", "move between fields"},
            {"Left/Right Space", "change a choice"},
            {"Enter", "press a button / next field"},
            {"", "QC file: checks run in the scan and gate the publish (the default)."},
            {"", "QC warehouse: checks run as SQL on a staging table before the publish."},
            {"", "QC none: structure only. The job's equivalent command goes to the Session log."}};
  }

 private:
  void update_visibility() {
    const bool month = form_.field(what_).chosen == 0;
    form_.field(month_).visible = month;
    form_.field(table_).visible = month;
    form_.field(base_).visible = true;
    form_.field(files_).visible = !month;
    form_.field(pick_).visible = !month;
  }

  void start() {
    if (menu_.settings().config_path.empty()) {
      menu_.status("No config: choose one in Settings first.", true);
      return;
    }
    BatchCommand c;
    c.args = {"load"};
    const bool month = form_.field(what_).chosen == 0;
    if (month) {
      const std::string m = form_.field(month_).value;
      if (!parse_month(m)) {
        menu_.status(fmt::format("\"{}\" is not a month: write YYYY-MM, e.g. {}", m, previous_month()), true);
        form_.set_focus(month_);
        return;
      }
      c.args.insert(c.args.end(), {"--month", m, "--base-path", form_.field(base_).value});
      const Field& t = form_.field(table_);
      if (t.chosen > 0) c.args.insert(c.args.end(), {"--table", t.chosen_text()});
      c.title = fmt::format("Load {} ({})", m, t.chosen > 0 ? t.chosen_text() : "all tables");
    } else {
      const std::string files = form_.field(files_).value;
      if (files.empty()) {
        menu_.status("No files: type them or press [Pick files].", true);
        return;
      }
      c.args.insert(c.args.end(), {"--files", files});
      c.title = fmt::format("Load {}", files.size() > 50 ? files.substr(0, 47) + "..." : files);
    }
    c.args.insert(c.args.end(), {"--qc", form_.field(qc_).chosen_text()});
    if (form_.field(replace_).chosen) c.args.push_back("--replace");
    if (form_.field(create_).chosen) c.args.push_back("--create");
    c.result_args = {"--json"};
    launch_.set(menu_.start(std::move(c)));
    remember(month ? form_.field(month_).value : menu_.settings().load_month, form_.field(base_).value);
  }

  // The next Load form (in this menu or the next) starts from this load's month and base path.
  void remember(const std::string& month, const std::string& base) {
    MenuSettings& s = menu_.settings();
    s.load_month = month;
    s.base_path = base;
    menu_.backend().submit([month, base](Services& services) {
      services.store.set_preference("load_month", month);
      services.store.set_preference("base_path", base);
    });
  }

  Form form_;
  int what_, month_, table_, base_, files_, pick_, qc_, replace_, create_, start_;
  PendingLaunch launch_;
};

}  // namespace

std::unique_ptr<Screen> make_load_screen(Menu& menu) { return std::make_unique<LoadScreen>(menu); }

}  // namespace sluice::tui
