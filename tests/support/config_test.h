// Helpers for the config tests: the error a config text is refused with.
#pragma once

#include <string>

#include "core/error.h"
#include "tests/support/scoped_env.h"

namespace sluice::test {

// The error parse_config throws for `yaml`; a test failure (and an empty error) when it parses.
Error parse_error(const std::string& yaml);

}  // namespace sluice::test
