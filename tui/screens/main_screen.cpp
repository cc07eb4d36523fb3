// The first screen: every operation, one line each on what it does.
#include <functional>

#include <fmt/format.h>

#include "tui/screen.h"
#include "tui/widgets.h"

namespace sluice::tui {
namespace {

struct Item {
  const char* name;
  const char* what;
  std::unique_ptr<Screen> (*make)(Menu&);
};

const Item kItems[] = {
    {"Load", "Load a month (all tables or one) or chosen files, with file, warehouse or no QC", make_load_screen},
    {"Validate", "Check a month in the warehouse: every day present, unusual days, duplicates, NULLs", make_validate_screen},
    {"Delete", "Remove a month from a table (preview, typed confirmation; kept for restore)", make_delete_screen},
    {"Restore", "Put back the rows a delete removed", make_restore_screen},
    {"Report", "What every table holds: rows, days, last load, validation", make_report_screen},
    {"Migrate", "Copy tables from a SQLite file or PostgreSQL into PostgreSQL: plan, run, verify", make_migrate_screen},
    {"Jobs", "Background jobs: live progress, logs, results; cancel", make_jobs_screen},
    {"Files", "Analyze a file, or compress it for transfer", make_files_screen},
    {"Settings", "Config file, where the month's files are, the default QC", make_settings_screen},
    {"Session log", "This session's actions as sluice --batch commands (view, save)", make_session_screen},
};

class MainScreen final : public Screen {
 public:
  explicit MainScreen(Menu& menu) : Screen(menu) {
    std::vector<std::string> rows;
    for (const auto& i : kItems) rows.push_back(fmt::format("{:<14} {}", i.name, i.what));
    list_.set_rows(rows);
    list_.set_wrap(15);  // a description too long for the terminal goes on under itself
  }
  std::string title() const override { return "Menu"; }

  void draw(Terminal& t, int top, int height) override {
    const MenuSettings& s = menu_.settings();
    t.text(top + 1, 2, "Config: " + (s.config_path.empty() ? std::string("(none)") : s.config_path), t.cols() - 4,
           s.config_path.empty() ? Style::warn : Style::dim);
    if (!s.config_error.empty()) t.text(top + 2, 2, s.config_error + "  (Settings sets one)", t.cols() - 4, Style::bad);
    const int y = top + 4;
    list_.draw(t, y, 2, std::max(1, height - 5), t.cols() - 4);
  }

  bool key(const Key& k, int page) override {
    if (list_.filtering()) return list_.key(k, page);  // Enter ends the filter; the next one opens
    if (k.kind == Key::enter || k.kind == Key::right || k.is('l')) {
      const int i = list_.selected();
      if (i >= 0) menu_.push(kItems[i].make(menu_));
      list_.clear_filter();  // back here, the whole menu shows again
      list_.select(i);
      return true;
    }
    if (k.kind == Key::escape && list_.filter().empty()) return false;
    return list_.key(k, page);
  }
  bool typing() const override { return list_.filtering(); }

  HelpLines help() const override {
    return {{"Enter", "open the selected screen"},
            {"", "Loads, validations and deletes run as background jobs: the menu never waits for them, and"},
            {"", "they go on when you quit. Jobs shows their progress; Session log the equivalent commands."}};
  }

 private:
  ListView list_;
};

}  // namespace

std::unique_ptr<Screen> make_main_screen(Menu& menu) { return std::make_unique<MainScreen>(menu); }

}  // namespace sluice::tui
