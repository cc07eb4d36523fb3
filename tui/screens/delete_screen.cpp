// Delete: a month from one table or all; the preview (rows, share of the table, rows per day) from
// a dry run; then, per table, the table and range typed to confirm, as on the command line. A
// wrong confirmation deletes nothing. Restore: the recorded deletes with their state; restore one.

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/text_format.h"
#include "operations/delete_operation.h"
#include "core/dates.h"
#include "tui/screen.h"
#include "tui/widgets.h"

namespace sluice::tui {
namespace {

using nlohmann::json;

struct PreviewTable {
  std::string table, target;
  std::uint64_t rows = 0;
  double share = 0;
  std::vector<std::string> days;  // "2024-01-01  102,824"
};

class DeleteScreen final : public Screen {
 public:
  explicit DeleteScreen(Menu& menu) : Screen(menu) {
    month_ = form_.add({Field::text, "Month", "", {}, {"YYYY-MM: the month to delete"}});
    std::vector<std::string> tables{"all tables"};
    tables.insert(tables.end(), menu.settings().dated_tables.begin(), menu.settings().dated_tables.end());
    table_ = form_.add({Field::choice, "Table", "", tables, {}});
    preview_ = form_.add({Field::button, "Preview", "", {}, {"Counts what would be deleted; deletes nothing"}});
  }
  std::string title() const override { return "Delete"; }

  void tick() override {
    if (delete_launch_.open_when_started(menu_)) return;
    if (stage_ != Stage::previewing) return;
    std::string failure;
    if (auto text = previewing_.poll(menu_, failure)) read_preview(*text);
    if (!failure.empty()) {
      menu_.status(fmt::format("The preview failed ({}): Jobs has its log.", failure), true);
      stage_ = Stage::form;
    }
  }

  void draw(Terminal& t, int top, int height) override {
    if (stage_ == Stage::form || stage_ == Stage::previewing) {
      form_.draw(t, top + 1, 2, t.cols() - 4);
      if (stage_ != Stage::form) t.text(top + 6, 2, "counting the rows to delete...", t.cols() - 4, Style::dim);
      return;
    }
    int row = top;
    t.text(row++, 1, fmt::format("Delete {} from {} table(s)", label_, tables_.size()), t.cols() - 2, Style::title);
    for (std::size_t i = 0; i < tables_.size(); ++i) {
      const auto& p = tables_[i];
      const Style s = i == confirming_ ? Style::bad : i < confirming_ ? Style::dim : Style::normal;
      t.text(row++, 2, fmt::format("{} ({}): {} rows, {:.1f}% of the table{}", p.table, p.target, grouped(p.rows), p.share,
                                   i < confirming_ ? "  - confirmed" : ""), t.cols() - 4, s);
    }
    if (confirming_ < tables_.size()) {
      const auto& p = tables_[confirming_];
      row++;
      const std::string expected = delete_confirmation_text(p.table, label_);
      t.text(row++, 2, fmt::format("This deletes {} rows from {}. The rows are kept so Restore can put them back.", grouped(p.rows), p.target),
             t.cols() - 4, Style::warn);
      t.text(row++, 2, fmt::format("Type \"{}\" to confirm, Esc to back out:", expected), t.cols() - 4);
      t.text(row++, 4, typed_ + "_", t.cols() - 6, Style::selected, true);
      row++;
      t.text(row++, 2, "Rows per day:", t.cols() - 4, Style::dim);
      days_.set_lines(p.days);
      days_.draw(t, row, 4, std::max(1, top + height - row), t.cols() - 6);
    }
  }

  bool key(const Key& k, int page) override {
    if (stage_ == Stage::confirm) {
      if (k.kind == Key::escape) {
        menu_.status("Nothing was deleted.");
        stage_ = Stage::form;
        typed_.clear();
        return true;
      }
      if (k.kind == Key::page_up || k.kind == Key::page_down || k.kind == Key::up || k.kind == Key::down)
        return days_.key(k, page);
      if (k.kind == Key::enter) {
        const auto& p = tables_[confirming_];
        if (!delete_confirmation_matches(typed_, p.table, label_)) {
          menu_.status(fmt::format("The confirmation did not match: nothing was deleted. Type \"{}\".",
                                   delete_confirmation_text(p.table, label_)), true);
          typed_.clear();
          return true;
        }
        typed_.clear();
        if (++confirming_ == tables_.size()) start_delete();
        return true;
      }
      edit_text(typed_, k);
      return true;  // nothing else may slip through to the menu while confirming
    }
    if (stage_ != Stage::form) return k.kind != Key::escape;
    int pressed = -1;
    if (k.kind == Key::escape || !form_.key(k, pressed)) return false;
    if (pressed == preview_) start_preview();
    return true;
  }
  bool typing() const override { return stage_ == Stage::confirm || form_.editing_text(); }

  HelpLines help() const override {
    return {{"Preview", "counts the rows of the month per table (a dry run)"},
            {"typing", "the table and the month, exactly as shown, then Enter"},
            {"Esc", "back out: nothing is deleted"},
            {"", "Deleted rows are kept (schema sluice_trash); Restore puts them back."}};
  }

 private:
  enum class Stage { form, previewing, confirm, deleting };

  std::vector<std::string> scope_args() const {
    std::vector<std::string> a{"--month", form_.field(month_).value};
    const Field& t = form_.field(table_);
    if (t.chosen > 0) a.insert(a.end(), {"--table", t.chosen_text()});
    return a;
  }

  void start_preview() {
    if (!parse_month(form_.field(month_).value)) {
      menu_.status(fmt::format("\"{}\" is not a month: write YYYY-MM", form_.field(month_).value), true);
      form_.set_focus(month_);
      return;
    }
    BatchCommand c;
    c.args = {"delete"};
    for (auto& a : scope_args()) c.args.push_back(a);
    c.args.push_back("--dry-run");
    c.result_args = {"--format", "json"};
    c.title = fmt::format("Delete preview {}", form_.field(month_).value);
    previewing_.start(menu_, std::move(c));
    stage_ = Stage::previewing;
  }

  void read_preview(const std::string& text) {
    tables_.clear();
    confirming_ = 0;
    try {
      const json j = json::parse(text);
      label_ = j.at("scope").at("label").get<std::string>();
      for (const auto& t : j.at("tables")) {
        PreviewTable p;
        p.table = t.at("table").get<std::string>();
        p.target = t.value("target", p.table);
        p.rows = t.value("range_rows", std::uint64_t{0});
        p.share = t.value("share_percent", 0.0);
        if (t.contains("rows_per_day"))
          for (const auto& [day, n] : t["rows_per_day"].items()) p.days.push_back(fmt::format("{}  {:>12}", day, grouped(n.get<std::uint64_t>())));
        if (p.rows) tables_.push_back(std::move(p));
      }
    } catch (const json::exception& e) {
      menu_.status(std::string("The preview could not be read: ") + e.what(), true);
      stage_ = Stage::form;
      return;
    }
    if (tables_.empty()) {
      menu_.status(fmt::format("{} has no rows in the chosen table(s): nothing to delete.", label_));
      stage_ = Stage::form;
      return;
    }
    stage_ = Stage::confirm;
  }

  void start_delete() {
    BatchCommand c;
    c.args = {"delete"};
    for (auto& a : scope_args()) c.args.push_back(a);
    c.args.push_back("--yes");
    c.result_args = {"--format", "json"};
    c.title = fmt::format("Delete {} ({})", label_, form_.field(table_).chosen_text());
    delete_launch_.set(menu_.start(std::move(c)));
    stage_ = Stage::deleting;
  }

  Form form_;
  int month_, table_, preview_;
  Stage stage_ = Stage::form;
  JobResult previewing_;
  PendingLaunch delete_launch_;
  std::string label_;
  std::vector<PreviewTable> tables_;
  std::size_t confirming_ = 0;
  std::string typed_;
  TextView days_;
};

// The deletes recorded for the config's tables (`sluice deletes`, run in the background), newest
// first, each with its state; Enter opens a dialog beside the list that shows the delete and asks
// before a restore, or says why it cannot be restored.
struct DeleteRow {
  std::int64_t job = 0;
  std::string state;                 // restorable, reloaded, restored, expired
  std::vector<std::string> details;  // per table: what, how many rows, its state and why
};

class RestoreScreen final : public Screen {
 public:
  explicit RestoreScreen(Menu& menu) : Screen(menu) { run(); }
  std::string title() const override { return "Restore"; }

  void tick() override {
    if (restore_launch_.open_when_started(menu_)) return;
    std::string failure;
    if (auto text = listing_.poll(menu_, failure)) parse(*text);
    if (!failure.empty()) error_ = fmt::format("The deletes could not be listed ({}); Jobs has the log.", failure);
  }

  void draw(Terminal& t, int top, int height) override {
    const bool dialog = dialog_ >= 0 && dialog_ < static_cast<int>(deletes_.size());
    // The dialog stands to the right of the list, which keeps its place.
    const int dialog_width = dialog ? std::min(56, std::max(30, t.cols() / 2)) : 0;
    const int list_width = t.cols() - 2 - dialog_width;
    if (!error_.empty()) t.text(top, 1, error_, list_width, Style::bad);
    else if (listing_.active()) t.text(top, 1, "reading the deletes and checking their backups...", list_width, Style::dim);
    else t.text(top, 1, fmt::format("{:<10} {:<11} {:<23} {:<27}", "JOB", "STATE", "DAYS", "TABLES"), list_width, Style::title);
    list_.draw(t, top + 1, 1, height - 1, list_width, [&](int row) {
      const std::string& state = deletes_[static_cast<std::size_t>(row)].state;
      return state == "restorable" ? Style::normal : state == "reloaded" ? Style::warn : Style::dim;
    });
    if (dialog) draw_dialog(t, top, height, t.cols() - dialog_width - 1, dialog_width);
  }

  bool key(const Key& k, int page) override {
    if (dialog_ >= 0) {
      const DeleteRow& d = deletes_[static_cast<std::size_t>(dialog_)];
      if (d.state == "restorable" && (k.is('y') || k.is('Y'))) {
        BatchCommand c;
        c.args = {"restore", std::to_string(d.job)};
        c.result_args = {"--format", "json"};
        c.title = fmt::format("Restore delete job {}", d.job);
        restore_launch_.set(menu_.start(std::move(c)));
      } else if (d.state == "restorable") {
        menu_.status("Nothing was restored.");
      }
      dialog_ = -1;
      return true;  // any key answers the dialog; nothing slips through to the menu
    }
    if (list_.filtering()) return list_.key(k, page);
    if ((k.kind == Key::enter || k.kind == Key::right) && list_.selected() >= 0) {
      dialog_ = list_.selected();
      return true;
    }
    if (k.is('R')) {
      run();
      return true;
    }
    return list_.key(k, page);
  }
  bool typing() const override { return list_.filtering(); }
  HelpLines help() const override {
    return {{"Enter", "the delete in a dialog: restore it (y), or why it cannot be restored"},
            {"R", "list the deletes again"},
            {"", "restorable: the deleted rows are kept and their days hold no rows now. reloaded: kept, but the days "
                 "hold rows again (loaded since), so restoring would double them: delete those days first. restored: "
                 "put back already. expired: the backup table is gone, or on Snowflake the delete is past the table's "
                 "Time Travel retention."}};
  }

 private:
  void run() {
    error_.clear();
    dialog_ = -1;
    BatchCommand c;
    c.args = {"deletes"};
    c.result_args = {"--format", "json"};
    c.title = "List the deletes";
    listing_.start(menu_, std::move(c));
  }

  void parse(const std::string& text) {
    deletes_.clear();
    std::vector<std::string> rows;
    try {
      const json j = json::parse(text);
      for (const auto& d : j.at("deletes")) {
        DeleteRow r;
        r.job = d.at("job_id").get<std::int64_t>();
        r.state = d.value("state", "");
        std::string days, tables;
        for (const auto& t : d.at("tables")) {
          const std::string range = t.value("from", "") + ".." + t.value("to", "");
          if (days.empty()) days = range;
          else if (days != range) days = "(several)";
          tables += (tables.empty() ? "" : ", ") + t.value("table", "");
          r.details.push_back(fmt::format("{} {}: {} rows", t.value("table", ""), range,
                                          grouped(t.value("rows_deleted", std::uint64_t{0}))));
          r.details.push_back(fmt::format("  {}: {}", t.value("state", ""), t.value("why", "")));
        }
        rows.push_back(fmt::format("job {:<6} {:<11} {:<23} {}", r.job, r.state, days, tables));
        deletes_.push_back(std::move(r));
      }
    } catch (const json::exception& e) {
      error_ = std::string("The deletes could not be read: ") + e.what();
    }
    list_.set_rows(std::move(rows));
  }

  void draw_dialog(Terminal& t, int top, int height, int x, int width) {
    const DeleteRow& d = deletes_[static_cast<std::size_t>(dialog_)];
    std::vector<std::pair<std::string, Style>> lines;
    for (const auto& detail : d.details)
      for (const auto& w : wrap(detail, width - 4, t.ascii())) lines.emplace_back(w, Style::normal);
    lines.emplace_back("", Style::normal);
    const bool can = d.state == "restorable";
    const std::string ask = can ? "Restore these rows? y: yes, any other key: no"
                            : d.state == "restored" ? "Restored already: nothing to do. Any key closes."
                            : d.state == "reloaded" ? "Not now: the days hold rows again. Any key closes."
                                                    : "These rows cannot be restored any more. Any key closes.";
    for (const auto& w : wrap(ask, width - 4, t.ascii())) lines.emplace_back(w, can ? Style::warn : Style::bad);
    const int box_height = std::min(height, static_cast<int>(lines.size()) + 2);
    for (int r = 0; r < box_height; ++r) t.fill(top + r, x, width, Style::normal);
    t.box(top, x, box_height, width, fmt::format("Delete job {}: {}", d.job, d.state));
    for (int i = 0; i < box_height - 2 && i < static_cast<int>(lines.size()); ++i)
      t.text(top + 1 + i, x + 2, lines[static_cast<std::size_t>(i)].first, width - 4, lines[static_cast<std::size_t>(i)].second);
  }

  ListView list_;
  std::vector<DeleteRow> deletes_;
  JobResult listing_;
  PendingLaunch restore_launch_;
  std::string error_;
  int dialog_ = -1;  // the delete whose dialog is open
};

}  // namespace

std::unique_ptr<Screen> make_delete_screen(Menu& menu) { return std::make_unique<DeleteScreen>(menu); }
std::unique_ptr<Screen> make_restore_screen(Menu& menu) { return std::make_unique<RestoreScreen>(menu); }

}  // namespace sluice::tui
