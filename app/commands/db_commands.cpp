#include "output/json_text.h"
#include "app/commands/db_commands.h"

#include <cstdio>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "app/embedded_postgres.h"
#include "core/error.h"

namespace sluice {
namespace {

nlohmann::json to_json(const EmbeddedPostgresStatus& s) {
  return {{"initialized", s.initialized}, {"running", s.running},
          {"pid", s.pid},                 {"cluster_dir", s.cluster_dir.string()},
          {"conninfo", s.conninfo},       {"version", s.version}};
}

void print_status(const EmbeddedPostgresStatus& s) {
  fmt::print("initialized: {}\n", s.initialized ? "yes" : "no");
  fmt::print("running:     {}\n", s.running ? "yes" : "no");
  if (s.running) fmt::print("pid:         {}\n", s.pid);
  fmt::print("dir:         {}\n", s.cluster_dir.string());
  fmt::print("conninfo:    {}\n", s.conninfo);
  if (!s.version.empty()) fmt::print("version:     PostgreSQL {}\n", s.version);
}

}  // namespace

int run_db_command(const std::string& action, bool json) {
  EmbeddedPostgres server(EmbeddedPostgres::default_cluster_dir());
  if (action == "start") {
    const auto before = server.status();
    if (!before.initialized && !json)
      fmt::print("creating the embedded PostgreSQL cluster in {}\n", before.cluster_dir.string());
    std::fflush(stdout);  // the first start runs initdb for a few seconds
    server.start();
    const auto s = server.status();
    if (json) fmt::print("{}\n", json_text(to_json(s), -1));
    else fmt::print("{} (pid {})\nconninfo: {}\n",
                    before.running ? "already running" : "started", s.pid, s.conninfo);
    return 0;
  }
  if (action == "stop") {
    const bool was_running = server.status().running;
    server.stop();
    if (json) fmt::print("{}\n", json_text(to_json(server.status()), -1));
    else fmt::print("{}\n", was_running ? "stopped" : "not running");
    return 0;
  }
  if (action == "status") {
    const auto s = server.status();
    if (json) fmt::print("{}\n", json_text(to_json(s), -1));
    else print_status(s);
    return s.running ? 0 : 1;
  }
  if (action == "url") {
    if (json) fmt::print("{}\n", json_text(nlohmann::json{{"conninfo", server.conninfo()}}, -1));
    else fmt::print("{}\n", server.conninfo());
    return 0;
  }
  throw usage_error(fmt::format("unknown db action \"{}\"", action), {},
                    "Use one of: start, stop, status, url.");
}

}  // namespace sluice
