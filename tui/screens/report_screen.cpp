// Report: what every configured table holds, from a background `sluice --batch report`: a table
// of tables, sortable by any column, filterable, scrollable.
#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/text_format.h"
#include "tui/result_text.h"
#include "tui/screen.h"
#include "tui/widgets.h"

namespace sluice::tui {
namespace {

using nlohmann::json;

struct Row {
  std::vector<std::string> cells;
  std::uint64_t rows = 0;
  bool problem = false;
  json table;  // the report's entry for the table, for its detail
};

// "2024-01-01..2024-01-31", or "" when the range is not known.
std::string range_of(const json& j) {
  const std::string from = member_text(j, "from"), to = member_text(j, "to");
  return from.empty() && to.empty() ? "" : from + ".." + to;
}

// One table of the report in full: where it is, its rows per month, its last load, its last
// validate verdict with the reasons.
std::vector<std::string> table_detail(const json& t) {
  std::vector<std::string> out;
  out.push_back(fmt::format("{}  ({} on connection {}): {}", member_text(t, "table"), member_text(t, "target"), member_text(t, "connection"),
                            member_text(t, "status")));
  if (!member_text(t, "error").empty()) out.push_back("  error: " + member_text(t, "error"));
  if (!t.value("exists", false)) {
    out.push_back("  The table does not exist (Load with Create table makes it).");
    return out;
  }
  out.push_back(fmt::format("  {} rows, {} columns; date column {}", grouped(json_count(t, "rows")), json_count(t, "columns"),
                            member_text(t, "date_column").empty() ? "(none)" : member_text(t, "date_column")));
  if (!member_text(t, "first_day").empty())
    out.push_back(fmt::format("  days {}..{}, {} with rows", member_text(t, "first_day"), member_text(t, "last_day"), json_count(t, "days_with_rows")));
  if (json_count(t, "null_dates") || json_count(t, "bad_dates"))
    out.push_back(fmt::format("  {} rows without a date, {} with a date that is not one", grouped(json_count(t, "null_dates")),
                              grouped(json_count(t, "bad_dates"))));
  out.push_back("");
  out.push_back("Rows per month:");
  const json months = t.contains("rows_per_month") && t["rows_per_month"].is_object() ? t["rows_per_month"] : json::object();
  if (months.empty()) out.push_back("  (none)");
  for (const auto& [month, rows] : months.items())
    out.push_back(fmt::format("  {}  {:>15}", month, grouped(rows.is_number_unsigned() ? rows.get<std::uint64_t>() : 0)));
  out.push_back("");
  const json load = t.contains("last_load") ? t["last_load"] : json();
  if (load.is_object()) {
    out.push_back(fmt::format("Last load: {}", member_text(load, "file")));
    out.push_back(fmt::format("  {} rows, days {}, at {}, job {}", grouped(json_count(load, "rows")), range_of(load), member_text(load, "at"),
                              member_text(load, "job_id")));
  } else {
    out.push_back("Last load: none recorded");
  }
  const json v = t.contains("validation") ? t["validation"] : json();
  if (v.is_object()) {
    out.push_back(fmt::format("Last validate: {} over {}, {} rows, at {}, job {}", member_text(v, "status"), range_of(v),
                              grouped(json_count(v, "rows")), member_text(v, "at"), member_text(v, "job_id")));
    if (v.contains("reasons") && v["reasons"].is_array())
      for (const auto& r : v["reasons"]) out.push_back("  " + (r.is_string() ? r.get<std::string>() : r.dump()));
  } else {
    out.push_back("Last validate: never");
  }
  return out;
}

class TableDetailScreen final : public Screen {
 public:
  TableDetailScreen(Menu& menu, std::string name, std::vector<std::string> lines) : Screen(menu), name_(std::move(name)) {
    view_.set_lines(std::move(lines));
  }
  std::string title() const override { return name_; }
  void draw(Terminal& t, int top, int height) override { view_.draw(t, top + 1, 1, height - 1, t.cols() - 2); }
  bool key(const Key& k, int page) override { return view_.key(k, page); }
  HelpLines help() const override {
    return {{"Up/Down PgUp/PgDn", "scroll"},
            {"", "Rows per month are counted in the table now; the last load and the last validate come from "
                 "sluice_load_history and sluice_validation_history. Esc goes back to the report."}};
  }

 private:
  std::string name_;
  TextView view_;
};

const std::vector<std::pair<std::string, int>> kColumns = {
    {"TABLE", 22}, {"ROWS", 13}, {"FIRST DAY", 11}, {"LAST DAY", 11}, {"LAST LOAD", 20}, {"VALIDATION", 11}, {"STATUS", 8}};

class ReportScreen final : public Screen {
 public:
  explicit ReportScreen(Menu& menu) : Screen(menu) { run(); }
  std::string title() const override { return "Report"; }

  void tick() override {
    std::string failure;
    if (auto text = report_.poll(menu_, failure)) parse(*text);
    if (!failure.empty()) error_ = fmt::format("The report failed ({}); Jobs has its log.", failure);
  }

  void draw(Terminal& t, int top, int height) override {
    if (!error_.empty()) t.text(top, 1, error_, t.cols() - 2, Style::bad);
    else if (report_.active()) t.text(top, 1, "reading the tables...", t.cols() - 2, Style::dim);
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
    if ((k.kind == Key::enter || k.kind == Key::right) && list_.selected() >= 0) {
      const Row& r = rows_[static_cast<std::size_t>(list_.selected())];
      menu_.push(std::make_unique<TableDetailScreen>(menu_, r.cells[0], table_detail(r.table)));
      return true;
    }
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
    return {{"Enter", "the table in detail: rows per month, last load, last validate"},
            {"s / Tab", "sort by the next column"}, {"r", "reverse the order"}, {"R", "read the tables again"},
            {"/", "filter the tables"}, {"", "Red rows: a missing or empty table, or a failed validation."}};
  }

 private:
  void run() {
    error_.clear();
    BatchCommand c;
    c.args = {"report"};
    c.result_args = {"--format", "json"};
    c.title = "Report";
    report_.start(menu_, std::move(c));
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
                   member_text(t, "first_day"), member_text(t, "last_day"), last_load, validation, status};
        r.problem = !exists || r.rows == 0 || validation == "FAIL" || status != "ok";
        r.table = t;
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

  JobResult report_;
  std::vector<Row> rows_;
  std::string summary_, error_;
  ListView list_;
  int sort_ = 0;
  bool descending_ = false;
};

}  // namespace

std::unique_ptr<Screen> make_report_screen(Menu& menu) { return std::make_unique<ReportScreen>(menu); }

}  // namespace sluice::tui
