// The file-QC settings a configured table implies. One definition, so `load`, `analyze --table`
// and `compress --table` pass or fail the same file the same way.
#pragma once

#include <optional>

#include "core/config_model.h"
#include "core/dates.h"
#include "validators/file_qc/file_qc.h"

namespace sluice {

// full_checks = false is `--qc none`: structure (field counts, quoting, UTF-8) is still checked,
// dates and values are not. Throws a usage error for an invalid date_format.
QcSettings table_qc_settings(const TableSpec& table, const std::optional<DateRange>& expected_range,
                             bool full_checks = true);

}  // namespace sluice
