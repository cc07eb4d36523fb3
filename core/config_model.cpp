#include "core/config_model.h"

#include <strings.h>

#include <fmt/format.h>

#include "core/error.h"

namespace sluice {

std::string SourcePosition::str() const {
  if (file.empty()) return "<built-in>";
  if (line == 0) return file;
  return fmt::format("{}:{}:{}", file, line, column);
}

int TableSpec::column_index(const std::string& name) const {
  for (size_t i = 0; i < columns.size(); ++i)
    if (::strcasecmp(columns[i].name.c_str(), name.c_str()) == 0) return static_cast<int>(i);
  return -1;
}

const ConnectionSpec& Config::connection_for(const TableSpec& table) const {
  const std::string& name = table.connection.empty() ? target : table.connection;
  auto it = connections.find(name);
  if (it == connections.end())
    throw usage_error(fmt::format("connection \"{}\" is not defined", name),
                      fmt::format("table {} at {} loads into it", table.table, table.position.str()),
                      "Add it under connections: in the config, or change target:.");
  return it->second;
}

const ConnectionSpec& Config::target_connection() const {
  auto it = connections.find(target);
  if (it == connections.end())
    throw usage_error(fmt::format("target connection \"{}\" is not defined", target), path,
                      "Add it under connections: in the config, or change target:.");
  return it->second;
}

const TableSpec* Config::find_table(const std::string& name) const {
  for (const auto& t : tables)
    if (::strcasecmp(t.table.c_str(), name.c_str()) == 0) return &t;
  return nullptr;
}

const MigrationSpec* Config::find_migration(const std::string& name) const {
  for (const auto& m : migrations)
    if (m.name == name) return &m;
  return nullptr;
}

}  // namespace sluice
