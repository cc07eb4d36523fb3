// The private PostgreSQL server behind `connection: embedded` and `sluice db start|stop|status|url`:
// one cluster owned by sluice, reachable only through a unix socket in a directory nobody else can
// enter, created on first start with settings for bulk loads (fsync stays on).
//
// Layout under the cluster dir:   data/ (PGDATA)   run/ (socket)   server.log   lock
// Cluster dir: $SLUICE_PG_DIR, else /var/lib/sluice/postgres as root, else <XDG data>/sluice/postgres.
// Server programs: $SLUICE_PG_BINDIR, else the newest /usr/lib/postgresql/<major>/bin (the
// cluster's own major version once it exists).
// As root the server runs as the `postgres` account (else `nobody`): initdb and postgres refuse root.
#pragma once

#include <filesystem>
#include <string>

namespace sluice {

struct EmbeddedPostgresStatus {
  bool initialized = false;
  bool running = false;
  int pid = 0;                        // the postmaster's, when running
  std::filesystem::path cluster_dir;
  std::string conninfo;
  std::string version;                // the cluster's major version ("15"); empty before initdb
};

class EmbeddedPostgres {
 public:
  explicit EmbeddedPostgres(std::filesystem::path cluster_dir);
  static std::filesystem::path default_cluster_dir();

  EmbeddedPostgresStatus status() const;
  // Creates the cluster on first use, then starts the server and waits until it accepts
  // connections (60 s). Does nothing when it is already running. Throws Error on failure with the
  // tail of the server log in the detail.
  void start();
  // Fast shutdown (open sessions are rolled back); does nothing when it is not running.
  void stop();
  // "host=<socket dir> port=5432 dbname=sluice user=sluice"
  std::string conninfo() const;

  const std::filesystem::path& cluster_dir() const { return cluster_dir_; }

 private:
  std::filesystem::path cluster_dir_;  // absolute
};

}  // namespace sluice
