// Report: what every configured table holds, from a background `sluice --batch report`: a table
// of tables, sortable by any column, filterable, scrollable.
#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/text_format.h"
#include "tui/screen.h"
#include "tui/widgets.h"

namespace sluice::tui {
namespace {

using nlohmann::json;

struct Row {
  std::vector<std::string> cells;
  std::uint64_t rows = 0;
  bool problem = false;
};

const std::vector<std::pair<std::string, int>> kColumns = {
    {"TABLE", 22}, {"ROWS", 13}, {"FIRST DAY", 11}, {"LAST DAY", 11}, {"LAST LOAD", 20}, {"VALIDATION", 11}, {"STATUS", 8}};

class ReportScreen final : public Screen {
 public:
  explicit ReportScreen(Menu& menu) : Screen(menu) { run(); }
  std::string title() const override { return "Report"; }

  void tick() override {
    if (const std::int64_t id = launch_.poll(menu_)) launch_id_ = id;
    if (launch_id_ && !reading_.valid()) {
      for (const auto& j : menu_.snapshot().jobs) {
        if (j.launch_id != launch_id_ || !j.finished()) continue;
        if (j.status != "succeeded") {
          error_ = fmt::format("The report failed ({}); Jobs has its log.", j.error.empty() ? j.status : j.error);
          launch_id_ = 0;
          return;
        }
        const std::string path = j.result_path;
        reading_ = menu_.backend().submit([path](Services&) { return read_tail(path, 64 * 1024 * 1024); });
      }
    }
    if (ready(reading_)) {
      parse(reading_.get());
      launch_id_ = 0;
    }
  }

  void draw(Terminal& t, int top, int height) override {
    if (!error_.empty()) t.text(top, 1, error_, t.cols() - 2, Style::bad);
    else if (launch_id_ || launch_.active()) t.text(top, 1, "reading the tables...", t.cols() - 2, Style::dim);
    else t.text(top, 1, summary_, t.cols() - 2, Style::title);
    std::string header;
    for (std::size_t c = 0; c < kColumns.size(); ++c) {
      std::string name = kColumns[c].first;
      if (static_cast<int>(c) == sort_) name += descending_ ? (menu_.ascii() ? " v" : " \u25bc") : (menu_.ascii() ? " ^" : " \u25b2");
      header += fmt::format("{:<{}} ", name, kColumns[c].second);
    }
    t.text(top + 1, 1, header, t.cols() - 2, Style::title);
    list_.draw(t, top + 2, 1, height - 2, t.cols() - 2, [&](int row) {
      return row < static_cast<int>(rows_.size()) && rows_[static_cast<std::size_t>(row)].problem ? Style::bad : Style::normal;
    });
  }

  bool key(const Key& k, int page) override {
    if (list_.filtering()) return list_.key(k, page);
    if (k.is('s') || k.kind == Key::tab) {
      sort_ = (sort_ + 1) % static_cast<int>(kColumns.size());
      resort();
      return true;
    }
    if (k.is('r')) {
      descending_ = !descending_;
      resort();
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
    return {{"s / Tab", "sort by the next column"}, {"r", "reverse the order"}, {"R", "read the tables again"},
            {"/", "filter the tables"}, {"", "Red rows: a missing or empty table, or a failed validation."}};
  }

 private:
  void run() {
    error_.clear();
    BatchCommand c;
    c.args = {"report"};
    c.result_args = {"--format", "json"};
    c.title = "Report";
    launch_.set(menu_.start(std::move(c)));
  }

  void parse(const std::string& text) {
    rows_.clear();
    try {
      const json j = json::parse(text);
      for (const auto& t : j.at("tables")) {
        Row r;
        r.rows = t.value("rows", std::uint64_t{0});
        const bool exists = t.value("exists", false);
        std::string last_load;
        if (t.contains("last_load") && t["last_load"].is_object()) last_load = t["last_load"].value("at", "").substr(0, 19);
        std::string validation = "never";
        if (t.contains("validation") && t["validation"].is_object()) validation = t["validation"].value("status", "?");
        const std::string status = t.value("status", "");
        r.cells = {t.value("table", ""), exists ? grouped(r.rows) : "missing",
                   t["first_day"].is_string() ? t["first_day"].get<std::string>() : "",
                   t["last_day"].is_string() ? t["last_day"].get<std::string>() : "", last_load, validation, status};
        r.problem = !exists || r.rows == 0 || validation == "FAIL" || status != "ok";
        rows_.push_back(std::move(r));
      }
      const json& s = j.at("summary");
      summary_ = fmt::format("{} tables, {} rows; {} missing, {} empty, {} failed validation", s.value("tables", 0),
                             grouped(s.value("total_rows", std::uint64_t{0})), s.value("missing", 0), s.value("empty", 0),
                             s.contains("validation") ? s["validation"].value("FAIL", 0) : 0);
    } catch (const json::exception& e) {
      error_ = std::string("The report could not be read: ") + e.what();
    }
    resort();
  }

  void resort() {
    std::stable_sort(rows_.begin(), rows_.end(), [&](const Row& a, const Row& b) {
      const bool less = sort_ == 1 ? a.rows < b.rows : a.cells[static_cast<std::size_t>(sort_)] < b.cells[static_cast<std::size_t>(sort_)];
      const bool greater = sort_ == 1 ? b.rows < a.rows : b.cells[static_cast<std::size_t>(sort_)] < a.cells[static_cast<std::size_t>(sort_)];
      return descending_ ? greater : less;
    });
    std::vector<std::string> lines;
    for (const auto& r : rows_) {
      std::string line;
      for (std::size_t c = 0; c < kColumns.size(); ++c) {
        const int w = kColumns[c].second;
        line += c == 1 ? fmt::format("{:>{}} ", r.cells[c], w) : fmt::format("{:<{}} ", clip(r.cells[c], w, menu_.ascii()), w);
      }
      lines.push_back(line);
    }
    list_.set_rows(lines);
  }

  PendingLaunch launch_;
  std::int64_t launch_id_ = 0;
  std::future<std::string> reading_;
  std::vector<Row> rows_;
  std::string summary_, error_;
  ListView list_;
  int sort_ = 0;
  bool descending_ = false;
};

}  // namespace

std::unique_ptr<Screen> make_report_screen(Menu& menu) { return std::make_unique<ReportScreen>(menu); }

}  // namespace sluice::tui
