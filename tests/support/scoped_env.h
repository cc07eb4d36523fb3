// An environment variable set (or unset) for one test, restored after, also when the test fails.
#pragma once

#include <optional>
#include <string>

namespace sluice::test {

// Sets (or, with nullptr, unsets) an environment variable for one test; restores it after.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value);
  ~ScopedEnv();
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

}  // namespace sluice::test
