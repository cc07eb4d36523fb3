// The findings of a file as people read them, one spelling for every face that shows them: the
// command line's summaries (load, analyze, compress) and the menu, which rebuilds them from a job's
// JSON result.
#pragma once

#include <string>

#include "validators/file_qc/file_qc.h"

namespace sluice {

// One finding's lines ("    ERROR check: message", then each example as file:line:column,
// indented), for the file named `file`.
std::string render_findings(const std::string& file, const QcReport& report);

}  // namespace sluice
