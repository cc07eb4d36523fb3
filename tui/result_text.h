// A finished job's JSON result (what `sluice --batch <command> --format json` printed) as lines a
// person reads on the job's screen: the verdict first, then what it is based on.
#pragma once

#include <string>
#include <vector>

namespace sluice::tui {

std::vector<std::string> describe_result(const std::string& kind, const std::string& json_text);

}  // namespace sluice::tui
