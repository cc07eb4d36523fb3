#include "operations/warehouse_session.h"

#include <algorithm>

#include <fmt/format.h>

#include "core/error.h"

namespace sluice {

DateScope DateScope::parse(const std::string& month, const std::string& from, const std::string& to, bool allow_all) {
  DateScope s;
  if (!month.empty()) {
    if (!from.empty() || !to.empty())
      throw usage_error("--month cannot be combined with --from/--to", "", "Give a month, or a range with --from and --to.");
    s.range = parse_month(month);
    if (!s.range) throw usage_error(fmt::format("--month {} is not a month", month), "", "Write the month as YYYY-MM, e.g. 2024-01.");
    s.label = month;
    return s;
  }
  if (!from.empty() || !to.empty()) {
    if (from.empty() || to.empty())
      throw usage_error("--from and --to go together", "", "Give both ends of the range, e.g. --from 2024-01-05 --to 2024-01-10.");
    const auto a = parse_iso_day(from), b = parse_iso_day(to);
    if (!a) throw usage_error(fmt::format("--from {} is not a date", from), "", "Write days as YYYY-MM-DD, e.g. 2024-01-05.");
    if (!b) throw usage_error(fmt::format("--to {} is not a date", to), "", "Write days as YYYY-MM-DD, e.g. 2024-01-10.");
    if (*b < *a) throw usage_error(fmt::format("--to {} is before --from {}", to, from), "", "Swap the two dates.");
    s.range = DateRange{*a, *b};
    s.label = s.range->str();
    return s;
  }
  if (!allow_all)
    throw usage_error("which days? give --month YYYY-MM, or --from and --to", "",
                      "e.g. --month 2024-01, or --from 2024-01-05 --to 2024-01-10.");
  s.label = "all data";
  return s;
}

std::vector<const TableSpec*> select_tables(const Config& config, const std::vector<std::string>& names) {
  std::vector<const TableSpec*> out;
  if (names.empty()) {
    for (const auto& t : config.tables) out.push_back(&t);
    if (out.empty())
      throw usage_error("the config has no tables", config.path, "Add table entries (sluice config generate FILE writes them).");
    return out;
  }
  for (const auto& name : names) {
    const TableSpec* t = config.find_table(name);
    if (!t) {
      std::string known;
      for (const auto& c : config.tables) known += (known.empty() ? "" : ", ") + c.table;
      throw usage_error(fmt::format("table {} is not in the config", name),
                        fmt::format("{} has: {}", config.path.empty() ? "the config" : config.path, known),
                        "Use one of the configured table names, or leave out --table for all of them.");
    }
    if (std::find(out.begin(), out.end(), t) == out.end()) out.push_back(t);
  }
  return out;
}

Warehouse& WarehousePool::get(const ConnectionSpec& connection) {
  auto it = open_.find(connection.name);
  if (it == open_.end()) it = open_.emplace(connection.name, opener_(connection)).first;
  return *it->second;
}

}  // namespace sluice
