// The typed confirmation of destructive commands (delete, stage clean): the prompt on stderr, one
// line read from the terminal, compared exactly. Ctrl-C and the end of input (Ctrl-D) answer at
// once and delete nothing; so does any other text.
#pragma once

#include <string>

namespace sluice {

// Prints `prompt` then `Type "<expected>" to confirm: ` and reads one line. Throws a usage error
// (nothing done) unless the line, with runs of spaces made one, is exactly `expected`.
void require_typed_confirmation(const std::string& prompt, const std::string& expected);

}  // namespace sluice
