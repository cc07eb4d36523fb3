// Reading the config file (YAML) into the validated Config model. All checking happens here, once,
// so every other layer can trust the model. Each error names file:line:column and the key, and says
// what is expected.
//
// Also here: ${ENV_VAR} expansion in values ($${ for a literal ${), rejection of literal secrets,
// ~ expansion in snowflake private_key_file, and the example config `sluice config init` writes.
#pragma once

#include <filesystem>
#include <string>

#include "core/config_model.h"

namespace sluice {

// Parses and validates a config file. Throws sluice::Error (ExitCode::usage) on any problem,
// including a missing or unreadable file.
Config load_config(const std::filesystem::path& path);

// Same, from text; path_for_messages is used only in error positions and Config::path.
Config parse_config(const std::string& yaml_text, const std::string& path_for_messages);

// A YAML double-quoted scalar that the config reads back as `s` ("${" is written "$${", since
// every value is expanded).
std::string yaml_quoted(const std::string& s);

// One entry of tables: (indented to sit under it) that parse_config reads back as `table`, every
// key that differs from its default written. Comment lines may be added before "    columns:".
std::string table_config_yaml(const TableSpec& table);

// The commented example config (what `sluice config init` writes). It parses cleanly and targets
// the embedded PostgreSQL; other connections are shown commented out.
std::string example_config_text();

// Writes the example to `path`, creating missing parent directories. Refuses to overwrite an
// existing file unless force (usage error); I/O failures are runtime errors.
void write_example_config(const std::filesystem::path& path, bool force);

}  // namespace sluice
