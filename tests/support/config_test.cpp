#include "tests/support/config_test.h"

#include <gtest/gtest.h>

#include "app/config.h"

namespace sluice::test {

Error parse_error(const std::string& yaml) {
  try {
    parse_config(yaml, "t.yaml");
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "no error for:\n" << yaml;
  return Error(ExitCode::ok, "");
}

}  // namespace sluice::test
