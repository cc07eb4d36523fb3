// Validate: a month, or all data, for every table or one; a background `sluice --batch validate`
// whose verdict (PASS/FAIL per table, with reasons) the job's screen shows.

#include <fmt/format.h>

#include "core/dates.h"
#include "tui/screen.h"
#include "tui/widgets.h"

namespace sluice::tui {
namespace {

class ValidateScreen final : public Screen {
 public:
  explicit ValidateScreen(Menu& menu) : Screen(menu) {
    scope_ = form_.add({Field::choice, "Days", "", {"a month", "all data"},
                        {"Every day of the month must have rows", "Every day between the table's first and last day"}});
    month_ = form_.add({Field::text, "Month", "", {}, {"YYYY-MM"}});
    std::vector<std::string> tables{"all tables"};
    tables.insert(tables.end(), menu.settings().tables.begin(), menu.settings().tables.end());
    table_ = form_.add({Field::choice, "Table", "", tables, {}});
    start_ = form_.add({Field::button, "Validate", "", {}, {"Runs in the background; the verdict opens when it ends"}});
  }
  std::string title() const override { return "Validate"; }

  void tick() override { launch_.open_when_started(menu_); }

  void draw(Terminal& t, int top, int height) override {
    form_.field(month_).visible = form_.field(scope_).chosen == 0;
    form_.draw(t, top + 1, 2, t.cols() - 4);
    t.text(top + height - 2, 2, "Checks: missing days (leading, trailing, gaps), unusual days, duplicate keys, NULLs in",
           t.cols() - 4, Style::dim);
    t.text(top + height - 1, 2, "required columns, rows against the load history.", t.cols() - 4, Style::dim);
  }

  bool key(const Key& k, int page) override {
    (void)page;
    int pressed = -1;
    if (k.kind == Key::escape || !form_.key(k, pressed)) return false;
    if (pressed == start_) start();
    return true;
  }
  bool typing() const override { return form_.editing_text(); }
  HelpLines help() const override {
    return {{"Up/Down Tab", "move between fields"}, {"Left/Right", "change a choice"}, {"Enter", "validate"},
            {"", "Exit code 3 of the job means a table failed; the result lists why."}};
  }

 private:
  void start() {
    BatchCommand c;
    c.args = {"validate"};
    std::string what = "all data";
    if (form_.field(scope_).chosen == 0) {
      const std::string m = form_.field(month_).value;
      if (!parse_month(m)) {
        menu_.status(fmt::format("\"{}\" is not a month: write YYYY-MM", m), true);
        form_.set_focus(month_);
        return;
      }
      c.args.insert(c.args.end(), {"--month", m});
      what = m;
    }
    const Field& t = form_.field(table_);
    if (t.chosen > 0) c.args.insert(c.args.end(), {"--table", t.chosen_text()});
    c.title = fmt::format("Validate {} ({})", what, t.chosen > 0 ? t.chosen_text() : "all tables");
    c.result_args = {"--format", "json"};
    launch_.set(menu_.start(std::move(c)));
  }

  Form form_;
  int scope_, month_, table_, start_;
  PendingLaunch launch_;
};

}  // namespace

std::unique_ptr<Screen> make_validate_screen(Menu& menu) { return std::make_unique<ValidateScreen>(menu); }

}  // namespace sluice::tui
