#include <cstdio>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "app/commands/commands.h"
#include "app/config.h"
#include "app/output.h"
#include "output/json_text.h"

namespace sluice {

int run_config_validate(const std::filesystem::path& file, const OutputOptions& out) {
  const Config c = load_config(file);
  if (out.is_json()) {
    nlohmann::json tables = nlohmann::json::array();
    for (const auto& t : c.tables)
      tables.push_back({{"table", t.table}, {"file_pattern", t.feed.file_pattern}, {"columns", t.columns.size()},
                        {"date_column", t.date_column.empty() ? nlohmann::json(nullptr) : nlohmann::json(t.date_column)},
                        {"connection", c.connection_for(t).name}});
    emit(json_text({{"file", file.string()}, {"valid", true}, {"exit_code", 0}, {"connections", c.connections.size()},
                    {"target", c.target}, {"tables", tables}}) + "\n", out.output);
    return 0;
  }
  std::printf("%s: valid (%zu connection%s, %zu table%s, target %s)\n", file.c_str(), c.connections.size(),
              c.connections.size() == 1 ? "" : "s", c.tables.size(), c.tables.size() == 1 ? "" : "s", c.target.c_str());
  for (const auto& t : c.tables)
    std::printf("  %-28s %-42s %zu columns%s\n", t.table.c_str(), t.feed.file_pattern.c_str(), t.columns.size(),
                t.date_column.empty() ? "" : fmt::format(", date {}", t.date_column).c_str());
  return 0;
}

int run_config_init(const std::filesystem::path& file, bool force) {
  write_example_config(file, force);
  std::printf("wrote %s\nEdit it, then check it with: sluice config validate %s\n", file.c_str(), file.c_str());
  return 0;
}

std::string embedded_config_yaml(const TableSpec& t) {
  return "# Written by sluice: the embedded PostgreSQL and one table.\n"
         "target: local\n"
         "connections:\n"
         "  local: { type: postgres, embedded: true }\n"
         "tables:\n" + table_config_yaml(t);
}

}  // namespace sluice
