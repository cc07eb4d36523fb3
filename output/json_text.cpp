#include "output/json_text.h"

#include <fmt/format.h>

#include "validators/file_qc/utf8.h"

namespace sluice {
namespace {

bool valid(const std::string& s) { return find_invalid_utf8(s.data(), s.size()) == std::string::npos; }

}  // namespace

std::size_t make_utf8(nlohmann::json& j) {
  std::size_t rewritten = 0;
  if (j.is_string()) {
    auto& s = j.get_ref<std::string&>();
    if (!valid(s)) {
      s = escape_invalid_utf8(s);
      ++rewritten;
    }
  } else if (j.is_array()) {
    for (auto& e : j) rewritten += make_utf8(e);
  } else if (j.is_object()) {
    // Keys cannot be changed in place: rebuild the object only when one needs it.
    bool bad_key = false;
    for (auto it = j.begin(); it != j.end(); ++it) {
      bad_key = bad_key || !valid(it.key());
      rewritten += make_utf8(it.value());
    }
    if (bad_key) {
      nlohmann::json fixed = nlohmann::json::object();
      for (auto it = j.begin(); it != j.end(); ++it) {
        if (valid(it.key())) {
          fixed[it.key()] = std::move(it.value());
        } else {
          fixed[escape_invalid_utf8(it.key())] = std::move(it.value());
          ++rewritten;
        }
      }
      j = std::move(fixed);
    }
  }
  return rewritten;
}

std::string json_text(nlohmann::json j, int indent) {
  const std::size_t rewritten = make_utf8(j);
  if (rewritten && j.is_object())
    j["encoding_note"] = fmt::format(
        "{} string{} held bytes that are not UTF-8; each such byte is shown as \\xHH (set the table's encoding: "
        "latin-1 or windows-1252 if the file is not UTF-8)",
        rewritten, rewritten == 1 ? "" : "s");
  return j.dump(indent);
}

std::string member_text(const nlohmann::json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || j[key].is_null()) return "";
  return j[key].is_string() ? j[key].get<std::string>() : j[key].dump();
}

std::uint64_t json_count(const nlohmann::json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_number_unsigned() ? j[key].get<std::uint64_t>() : 0;
}

}  // namespace sluice
