// What the warehouse operations (validate, delete, restore, report, compare) share: which configured
// tables a command means, which days (a month, a range, or all data), and one open Warehouse per
// connection.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/config_model.h"
#include "core/dates.h"
#include "warehouse/warehouse.h"

namespace sluice {

// The days a command works on: --month, --from/--to, or all data (range empty).
struct DateScope {
  std::optional<DateRange> range;
  std::string label;  // as the user wrote it: "2024-01", "2024-01-05..2024-01-10", "all data"

  bool all() const { return !range; }
  // From the command line: month "YYYY-MM", or from/to "YYYY-MM-DD" (both), or none of them (all
  // data, when allowed). Throws a usage error naming what is wrong.
  static DateScope parse(const std::string& month, const std::string& from, const std::string& to, bool allow_all);
};

// The configured tables `names` means (case-insensitive); all tables when `names` is empty. An
// unknown name is a usage error listing the configured tables.
std::vector<const TableSpec*> select_tables(const Config& config, const std::vector<std::string>& names);

// One Warehouse per configured connection, opened on first use.
class WarehousePool {
 public:
  explicit WarehousePool(WarehouseOpener opener) : opener_(std::move(opener)) {}
  Warehouse& get(const ConnectionSpec& connection);

 private:
  WarehouseOpener opener_;
  std::map<std::string, std::unique_ptr<Warehouse>> open_;
};

}  // namespace sluice
