#include "core/error.h"

#include <cstring>

namespace sluice {

std::string Error::report() const {
  std::string out = "error: " + primary_;
  if (!detail_.empty()) out += "\nDETAIL: " + detail_;
  if (!hint_.empty()) out += "\nHINT: " + hint_;
  return out;
}

std::string errno_text(int err) {
  char buf[256];
  // GNU strerror_r returns the message pointer (which may or may not be buf).
  return ::strerror_r(err, buf, sizeof buf);
}

}  // namespace sluice
