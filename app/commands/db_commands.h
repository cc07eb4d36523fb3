// `sluice db start|stop|status|url`: manage the embedded PostgreSQL server (app/embedded_postgres.h)
// in its default cluster directory.
#pragma once

#include <string>

namespace sluice {

// Prints to stdout: human text, or one JSON object when `json`. Returns the exit code: 0, except
// `status` returns 1 when the server is not running so scripts can test it (`sluice db status &&
// ...`). Failures throw sluice::Error; an unknown action is a usage error.
int run_db_command(const std::string& action, bool json);

}  // namespace sluice
