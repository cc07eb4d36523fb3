#include "app/config.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include "core/error.h"
#include "warehouse/http/url.h"

namespace sluice {
namespace {

using KeyList = std::vector<std::string_view>;

constexpr std::string_view kSecretKeys[] = {"password",   "token",      "secret",
                                            "private_key", "passphrase", "aws_secret_access_key"};

constexpr std::string_view kSecretHint =
    "Keep secrets out of the config file: libpq reads PostgreSQL passwords from ~/.pgpass or the "
    "PGPASSWORD environment variable itself; Snowflake signs in with a key file "
    "(auth: private_key_file) whose passphrase stays in the environment variable named by "
    "passphrase_env.";

constexpr std::string_view kEmptyValueHint =
    "Give it a value or remove the key. (Unquoted null and ~ mean \"no value\" in YAML; quote them "
    "to mean the text.)";

constexpr std::string_view kFilePatternHint =
    "file_pattern may contain one placeholder: {month} (matches YYYY-MM) or {date_range} (matches "
    "YYYYMMDD-YYYYMMDD).";

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool iequals(std::string_view a, std::string_view b) { return lower(a) == lower(b); }

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

// Optimal string alignment distance, case-insensitive, so "dns" is one edit from "dsn".
size_t edit_distance(std::string_view a0, std::string_view b0) {
  const std::string a = lower(a0), b = lower(b0);
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1,
                          d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

bool is_secret_key(std::string_view key) {
  return std::any_of(std::begin(kSecretKeys), std::end(kSecretKeys),
                     [&](std::string_view s) { return iequals(key, s); });
}

bool is_env_name(std::string_view s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

// The whole value is one ${NAME}: the secret itself lives in the environment.
bool is_env_reference(std::string_view s) {
  return s.size() > 3 && s.starts_with("${") && s.ends_with("}") &&
         is_env_name(s.substr(2, s.size() - 3));
}

// password= or sslpassword= in keyword/value form (also as URI query parameters), or
// user:password@ in a URI.
bool dsn_has_password(std::string_view dsn) {
  const std::string s = lower(dsn);
  for (size_t at = s.find("password"); at != std::string::npos; at = s.find("password", at + 1)) {
    const size_t start = at >= 3 && s.compare(at - 3, 3, "ssl") == 0 ? at - 3 : at;
    if (start > 0 && !std::isspace(static_cast<unsigned char>(s[start - 1])) &&
        s[start - 1] != '?' && s[start - 1] != '&')
      continue;
    const size_t next = s.find_first_not_of(" \t", at + 8);
    if (next != std::string::npos && s[next] == '=') return true;
  }
  for (std::string_view scheme : {"postgresql://", "postgres://"}) {
    if (!s.starts_with(scheme)) continue;
    const std::string_view rest = std::string_view(s).substr(scheme.size());
    const std::string_view authority = rest.substr(0, rest.find_first_of("/?"));
    const size_t at = authority.rfind('@');
    return at != std::string_view::npos && authority.substr(0, at).find(':') != std::string_view::npos;
  }
  return false;
}

std::string expand_home(const std::string& path) {
  if (path != "~" && !path.starts_with("~/")) return path;
  const char* home = std::getenv("HOME");
  if (!home || !*home) return {};
  return std::string(home) + path.substr(1);
}

// Thrown for an error that follows from one already reported ("missing key columns" after
// "unknown key colums, did you mean columns?"): the part is abandoned without a second message.
struct AlreadyReported {};

// Every reader of the YAML tree needs the file name for its messages.
class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  SourcePosition position(const YAML::Mark& mark) const {
    return SourcePosition{file_, mark.line + 1, mark.column + 1};
  }
  SourcePosition position(const YAML::Node& node) const { return position(node.Mark()); }
  std::string at(const YAML::Node& node) const { return position(node).str(); }

  [[noreturn]] void fail(const YAML::Node& where, std::string primary, std::string_view hint) const {
    throw usage_error(std::move(primary), at(where), std::string(hint));
  }

  // Runs one part of the file's reading (an entry, a key); an error it throws is kept and the part
  // abandoned, so one run reports every error of the file, not only the first. Returns whether the
  // part was read without error.
  template <class Part>
  bool attempt(Part&& part) const {
    try {
      part();
      return true;
    } catch (const AlreadyReported&) {
      return false;
    } catch (const Error& e) {
      errors_.push_back(e);
      return false;
    }
  }
  bool failed() const { return !errors_.empty(); }

  // After the whole file was read: nothing when it was clean, its one error as it is, or all of
  // them in one report, each with its file:line:column.
  void throw_collected() const {
    if (errors_.empty()) return;
    if (errors_.size() == 1) throw errors_.front();
    std::string detail;
    for (const auto& e : errors_) {
      detail += (detail.empty() ? "" : "\n") + (e.detail().empty() ? file_ : e.detail()) + ": " + e.primary();
      if (!e.hint().empty()) detail += " (" + e.hint() + ")";
    }
    throw usage_error(fmt::format("{} errors in {}", errors_.size(), file_), detail,
                      "Fix each of them, then check the file again with `sluice config validate`.");
  }

  // Expands ${NAME} from the environment; $${ is a literal ${. `key` is named in messages.
  std::string expand(const YAML::Node& value, std::string_view key) const {
    const std::string& s = value.Scalar();
    std::string out;
    for (size_t i = 0; i < s.size();) {
      if (s.compare(i, 3, "$${") == 0) {
        out += "${";
        i += 3;
        continue;
      }
      if (s.compare(i, 2, "${") != 0) {
        out += s[i++];
        continue;
      }
      const size_t close = s.find('}', i + 2);
      const std::string name =
          s.substr(i + 2, close == std::string::npos ? std::string::npos : close - i - 2);
      if (close == std::string::npos || !is_env_name(name))
        fail(value, fmt::format("malformed environment variable reference in \"{}\"", key),
             "Write ${NAME}, NAME being letters, digits and _; write $${ for a literal ${.");
      const char* env = std::getenv(name.c_str());
      if (!env)
        fail(value, fmt::format("environment variable \"{}\" is not set (used by \"{}\")", name, key),
             fmt::format("Export it before running sluice (export {}=...), or write $${{ for a "
                         "literal ${{.", name));
      out += env;
      i = close + 1;
    }
    return out;
  }

 private:
  std::string file_;
  mutable std::vector<Error> errors_;
};

// Runs before every other check, so a secret is reported as such (never as an unknown key) and no
// later message can quote it. Messages here name the key, never the value.
void reject_literal_secrets(const Reader& r, const YAML::Node& node, int depth = 0) {
  // yaml-cpp turns a self-referencing alias (a: &x [*x]) into a cycle; no config nests this deep.
  if (depth > 32)
    r.fail(node, "the config nests too deeply", "Check for an alias (*name) that refers to itself.");
  if (node.IsSequence())
    for (const auto& item : node) reject_literal_secrets(r, item, depth + 1);
  if (!node.IsMap()) return;
  for (const auto& kv : node) {
    const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : std::string();
    if (kv.second.IsScalar()) {
      if (is_secret_key(key) && !is_env_reference(kv.second.Scalar()))
        r.fail(kv.first, fmt::format("key \"{}\" holds a literal secret", key), kSecretHint);
      // Even password=${VAR} is refused: libpq would take PGPASSWORD itself, and an expanded dsn
      // ends up in logs and error messages.
      if (iequals(key, "dsn") && dsn_has_password(kv.second.Scalar()))
        r.fail(kv.first, "key \"dsn\" contains a password",
               "libpq reads the password from PGPASSWORD or ~/.pgpass itself: remove it from the "
               "dsn (a ${VAR} there is refused too).");
    }
    reject_literal_secrets(r, kv.second, depth + 1);
  }
}

// A YAML mapping whose keys were checked against the ones its context accepts. Values are read
// through it so each error names the key and points at the value (or at the mapping if missing).
class Mapping {
 public:
  // `context` completes messages such as: unknown key "x" <context>, e.g. "in table entry".
  Mapping(const Reader& reader, const YAML::Node& node, std::string context, KeyList accepted)
      : reader_(reader), node_(node), context_(std::move(context)) {
    for (const auto& kv : node) {
      // Each bad key is its own error; the good ones are still read.
      reader_.attempt([&] {
        if (!kv.first.IsScalar())
          reader_.fail(kv.first, fmt::format("a key {} is not a name", context_),
                       "Keys are plain names such as table: or columns:.");
        const std::string& key = kv.first.Scalar();
        if (std::find(accepted.begin(), accepted.end(), key) == accepted.end()) {
          if (auto near = closest_key(key, accepted)) suggested_.emplace_back(*near);
          reader_.fail(kv.first, fmt::format("unknown key \"{}\" {}", key, context_),
                       unknown_key_hint(key, accepted));
        }
        if (const Entry* first = find(key))
          reader_.fail(kv.first, fmt::format("duplicate key \"{}\" {}", key, context_),
                       fmt::format("It is already set at {}; keep one of them.", reader_.at(first->key)));
        entries_.push_back({key, kv.first, kv.second});
      });
    }
  }

  bool has(std::string_view key) const { return find(key) != nullptr; }

  // A single value with ${VAR} expanded; nullopt when the key is absent. Empty values are errors.
  std::optional<std::string> text(std::string_view key) const {
    std::optional<std::string> value = text_or_empty(key);
    if (value && value->empty())
      fail_value(key, fmt::format("key \"{}\" is empty", key), kEmptyValueHint);
    return value;
  }

  std::optional<std::string> text_or_empty(std::string_view key) const {
    const Entry* e = find(key);
    if (!e) return std::nullopt;
    if (e->value.IsNull()) fail_value(key, fmt::format("key \"{}\" has no value", key), kEmptyValueHint);
    if (!e->value.IsScalar())
      fail_value(key, fmt::format("key \"{}\" must be a single value, not a {}", key, kind(e->value)),
                 "Write it as  key: value.");
    return reader_.expand(e->value, key);
  }

  // `expected` shows how to write it, e.g. "file_pattern: \"sales_{month}.tsv\"".
  std::string required_text(std::string_view key, std::string_view expected) const {
    if (!has(key)) fail_missing(key, expected);
    return *text(key);
  }

  std::optional<bool> flag(std::string_view key) const {
    const std::optional<std::string> value = text(key);
    if (!value) return std::nullopt;
    const std::string v = lower(*value);
    if (v == "true" || v == "yes" || v == "on") return true;
    if (v == "false" || v == "no" || v == "off") return false;
    fail_value(key, fmt::format("key \"{}\" must be true or false, not \"{}\"", key, *value),
               "Write true or false.");
  }

  // The value when it is a mapping / a list; nullptr when absent, or when written empty and
  // empty_ok. Any other shape is an error.
  const YAML::Node* mapping(std::string_view key, bool empty_ok = false) const {
    return nested(key, YAML::NodeType::Map, empty_ok);
  }
  const YAML::Node* list(std::string_view key, bool empty_ok = false) const {
    return nested(key, YAML::NodeType::Sequence, empty_ok);
  }

  [[noreturn]] void fail_value(std::string_view key, std::string primary, std::string_view hint) const {
    const Entry* e = find(key);
    // yaml-cpp puts an empty value's mark on the next line; the key is where the reader looks.
    reader_.fail(e->value.IsNull() ? e->key : e->value, std::move(primary), hint);
  }

  [[noreturn]] void fail_missing(std::string_view key, std::string_view expected) const {
    // A misspelt key was reported with "did you mean" this one: its absence is the same error.
    if (std::find(suggested_.begin(), suggested_.end(), key) != suggested_.end()) throw AlreadyReported{};
    reader_.fail(node_, fmt::format("missing key \"{}\" {}", key, context_),
                 fmt::format("Expected {}", expected));
  }

 private:
  struct Entry {
    std::string name;
    YAML::Node key;
    YAML::Node value;
  };

  const Entry* find(std::string_view key) const {
    for (const auto& e : entries_)
      if (e.name == key) return &e;
    return nullptr;
  }

  static const char* kind(const YAML::Node& node) {
    if (node.IsMap()) return "mapping";
    if (node.IsSequence()) return "list";
    return "single value";
  }

  const YAML::Node* nested(std::string_view key, YAML::NodeType::value type, bool empty_ok) const {
    const Entry* e = find(key);
    if (!e) return nullptr;
    if (e->value.IsNull()) {
      if (empty_ok) return nullptr;
      fail_value(key, fmt::format("key \"{}\" has no value", key), kEmptyValueHint);
    }
    if (e->value.Type() != type) {
      const bool want_map = type == YAML::NodeType::Map;
      fail_value(key, fmt::format("key \"{}\" must be a {}, not a {}", key,
                                  want_map ? "mapping" : "list", kind(e->value)),
                 want_map ? "Indent its keys under it, or write { key: value, ... }."
                          : "Write one \"- item\" per line under it, or [a, b, ...].");
    }
    return &e->value;
  }

  // The accepted key a misspelt one most likely means, if one is close enough.
  static std::optional<std::string> closest_key(std::string_view key, const KeyList& accepted) {
    std::string_view best;
    size_t best_distance = std::string::npos;
    for (std::string_view candidate : accepted) {
      const size_t d = edit_distance(key, candidate);
      if (d < best_distance) best = candidate, best_distance = d;
    }
    if (best_distance <= (key.size() <= 4 ? 1u : 2u)) return std::string(best);
    return std::nullopt;
  }

  static std::string unknown_key_hint(std::string_view key, const KeyList& accepted) {
    if (is_secret_key(key)) return std::string(kSecretHint);
    if (auto best = closest_key(key, accepted)) return fmt::format("did you mean \"{}\"?", *best);
    std::vector<std::string> names(accepted.begin(), accepted.end());
    return "accepted keys: " + join(names);
  }

  const Reader& reader_;
  YAML::Node node_;
  std::string context_;
  std::vector<Entry> entries_;
  std::vector<std::string> suggested_;  // the keys "did you mean" named
};

constexpr std::string_view kSqliteIsASource =
    "Tables load into a postgres or snowflake connection; a SQLite file is read by a migration "
    "(migrations: - { source: NAME, ... }).";

constexpr std::string_view kConnectionTypes =
    "Expected type: postgres or type: snowflake (loads and migrations go into them), or type: sqlite "
    "(a file migrations read from)";

std::vector<std::string> connection_names(const std::map<std::string, ConnectionSpec>& connections) {
  std::vector<std::string> names;
  for (const auto& [name, spec] : connections) names.push_back(name);
  return names;
}

PostgresConnection parse_postgres(const Reader& r, const std::string& name, const YAML::Node& node) {
  const Mapping m(r, node, fmt::format("in postgres connection \"{}\"", name),
                  {"type", "embedded", "dsn", "schema"});
  PostgresConnection pg;
  pg.embedded = m.flag("embedded").value_or(false);
  if (pg.embedded && m.has("dsn"))
    m.fail_value("dsn", fmt::format("postgres connection \"{}\" sets both embedded: true and dsn", name),
                 "Use embedded: true for the server sluice runs itself, or a dsn for an existing "
                 "server, not both.");
  if (!pg.embedded && !m.has("dsn"))
    m.fail_missing("dsn", "embedded: true (the server sluice runs itself) or dsn: \"host=... "
                          "dbname=... user=...\" (an existing server).");
  pg.dsn = m.text("dsn").value_or("");
  pg.schema = m.text("schema").value_or(pg.schema);
  return pg;
}

SnowflakeAuth parse_snowflake_auth(const Reader& r, const std::string& name, const YAML::Node& node) {
  const Mapping m(r, node, fmt::format("in auth of snowflake connection \"{}\"", name),
                  {"method", "private_key_file", "passphrase_env", "token_env", "token_file"});
  SnowflakeAuth auth;
  auth.method = m.required_text("method", "method: keypair");
  if (auth.method != "keypair" && auth.method != "oauth" && auth.method != "pat")
    m.fail_value("method", fmt::format("unsupported auth method \"{}\"", auth.method),
                 "Use method: keypair (a private key file, its passphrase in the environment "
                 "variable named by passphrase_env), or oauth / pat with token_env or token_file.");
  auto env_name = [&](const char* key, const char* example) -> std::string {
    auto env = m.text(key);
    if (!env) return {};
    // Not echoed: a secret written here by mistake must not reach the terminal or a log.
    if (!is_env_name(*env))
      m.fail_value(key, fmt::format("{} must be the name of an environment variable", key),
                   fmt::format("Write the variable's name, e.g. {}: {}, and export the secret in it.",
                               key, example));
    return *env;
  };
  auto path = [&](const char* key) -> std::string {
    auto p = m.text(key);
    if (!p) return {};
    std::string expanded = expand_home(*p);
    if (expanded.empty())
      m.fail_value(key, fmt::format("cannot expand ~ in {}: HOME is not set", key),
                   "Set HOME, or write the full path.");
    return expanded;
  };
  if (auth.method == "keypair") {
    m.required_text("private_key_file", "private_key_file: ~/.snowflake/loader.p8");
    auth.private_key_file = path("private_key_file");
    auth.passphrase_env = env_name("passphrase_env", "SNOWFLAKE_KEY_PASSPHRASE");
  } else {
    auth.token_env = env_name("token_env", auth.method == "oauth" ? "SNOWFLAKE_OAUTH_TOKEN"
                                                                 : "SNOWFLAKE_PAT");
    auth.token_file = path("token_file");
    if (auth.token_env.empty() == auth.token_file.empty())
      m.fail_missing("token_env", fmt::format("method: {} reads its token from token_env: NAME (an "
                                              "environment variable) or token_file: PATH, one of them",
                                              auth.method));
  }
  return auth;
}

// ca_file: a path (~ expanded). Whether it is readable is checked when it is used (the config
// may be checked on another machine).
std::string ca_file_setting(const Mapping& m) {
  auto p = m.text("ca_file");
  if (!p) return {};
  std::string expanded = expand_home(*p);
  if (expanded.empty())
    m.fail_value("ca_file", "cannot expand ~ in ca_file: HOME is not set", "Set HOME, or write the full path.");
  return expanded;
}

SnowflakeStage parse_snowflake_stage(const Reader& r, const std::string& name, const YAML::Node& node) {
  const Mapping m(r, node, fmt::format("in stage of snowflake connection \"{}\"", name),
                  {"name", "url", "region", "endpoint", "addressing", "access_key_id_env",
                   "secret_access_key_env", "session_token_env", "ca_file"});
  SnowflakeStage stage;
  stage.name = m.text("name").value_or("");
  stage.url = m.required_text("url", "url: \"s3://bucket/prefix/\"");
  if (!starts_with_nocase(stage.url, "s3://") || stage.url.size() <= 5)
    m.fail_value("url", "stage url must start with s3://",
                 "Write the S3 location files are staged in, e.g. url: \"s3://my-bucket/sluice/\".");
  stage.region = m.text("region").value_or("");
  if (auto endpoint = m.text("endpoint")) {
    if (!http::is_allowed_endpoint(*endpoint))
      m.fail_value("endpoint", "endpoint must be an https:// URL (http:// only to a loopback host)",
                   "Write https://..., or http://localhost:PORT, http://127.0.0.1:PORT or "
                   "http://[::1]:PORT for a local test server.");
    stage.endpoint = *endpoint;
  }
  if (auto addressing = m.text("addressing")) {
    if (*addressing != "auto" && *addressing != "path" && *addressing != "virtual")
      m.fail_value("addressing", fmt::format("unknown addressing \"{}\"", *addressing),
                   "Expected auto (virtual-hosted on AWS, path-style elsewhere), path or virtual.");
    stage.addressing = *addressing;
  }
  for (auto [key, field] : {std::pair{"access_key_id_env", &stage.access_key_id_env},
                            std::pair{"secret_access_key_env", &stage.secret_access_key_env},
                            std::pair{"session_token_env", &stage.session_token_env}}) {
    if (auto env = m.text(key)) {
      // Not echoed: a secret written here by mistake must not reach the terminal or a log.
      if (!is_env_name(*env))
        m.fail_value(key, fmt::format("{} must be the name of an environment variable", key),
                     "Write the variable's name and export the credential in it; credentials never "
                     "go in the config file.");
      *field = *env;
    }
  }
  stage.ca_file = ca_file_setting(m);
  return stage;
}

SnowflakeConnection parse_snowflake(const Reader& r, const std::string& name, const YAML::Node& node) {
  const Mapping m(r, node, fmt::format("in snowflake connection \"{}\"", name),
                  {"type", "account", "user", "auth", "warehouse", "database", "schema", "role",
                   "stage", "endpoint", "ca_file"});
  SnowflakeConnection sf;
  sf.account = m.required_text("account", "account: myorg-myaccount (your account identifier)");
  sf.user = m.required_text("user", "user: LOADER");
  const YAML::Node* auth = m.mapping("auth");
  if (!auth)
    m.fail_missing("auth", "auth: { method: keypair, private_key_file: ~/.snowflake/loader.p8 }");
  sf.auth = parse_snowflake_auth(r, name, *auth);
  sf.warehouse = m.required_text("warehouse", "warehouse: LOAD_WH");
  sf.database = m.required_text("database", "database: ANALYTICS");
  sf.schema = m.text("schema").value_or(sf.schema);
  sf.role = m.text("role").value_or("");
  if (const YAML::Node* stage = m.mapping("stage")) sf.stage = parse_snowflake_stage(r, name, *stage);
  if (auto endpoint = m.text("endpoint")) {
    if (!http::is_allowed_endpoint(*endpoint))
      m.fail_value("endpoint", "endpoint must be an https:// URL (http:// only to a loopback host)",
                   "Write https://..., or http://localhost:PORT, http://127.0.0.1:PORT or "
                   "http://[::1]:PORT for a local test server.");
    sf.endpoint = *endpoint;
  }
  sf.ca_file = ca_file_setting(m);
  // A TLS-inspecting proxy's CA is needed for both endpoints: the stage takes the connection's.
  if (sf.stage.ca_file.empty()) sf.stage.ca_file = sf.ca_file;
  return sf;
}

SqliteConnection parse_sqlite(const Reader& r, const std::string& name, const YAML::Node& node) {
  const Mapping m(r, node, fmt::format("in sqlite connection \"{}\"", name), {"type", "path"});
  SqliteConnection c;
  // Whether the file exists is checked when it is opened: the config may be checked elsewhere.
  c.path = expand_home(m.required_text("path", "path: /data/legacy.db (the SQLite file to migrate from)"));
  if (c.path.empty()) m.fail_value("path", "cannot expand ~ in path: HOME is not set", "Set HOME, or write the full path.");
  return c;
}

ConnectionSpec parse_connection(const Reader& r, const std::string& name, const YAML::Node& key,
                                const YAML::Node& node) {
  constexpr std::string_view kExample = "e.g.  local: { type: postgres, embedded: true }";
  if (node.IsNull()) r.fail(key, fmt::format("connection \"{}\" is empty", name), kExample);
  if (!node.IsMap()) r.fail(node, fmt::format("connection \"{}\" must be a mapping", name), kExample);

  ConnectionSpec c;
  c.name = name;
  c.position = r.position(node);
  // The accepted keys depend on the type, so it is read before the keys are checked.
  const YAML::Node type = node["type"];
  if (!type.IsDefined())
    r.fail(node, fmt::format("missing key \"type\" in connection \"{}\"", name),
           kConnectionTypes);
  const std::string type_name = type.IsScalar() ? r.expand(type, "type") : std::string();
  if (type_name == "postgres") {
    c.backend = parse_postgres(r, name, node);
  } else if (type_name == "snowflake") {
    c.backend = parse_snowflake(r, name, node);
  } else if (type_name == "sqlite") {
    c.backend = parse_sqlite(r, name, node);
  } else {
    r.fail(type.IsNull() ? key : type,
           fmt::format("unknown connection type \"{}\" in connection \"{}\"", type_name, name),
           kConnectionTypes);
  }
  return c;
}

void check_file_pattern(const Mapping& m, const std::string& pattern) {
  int placeholders = 0;
  for (size_t open = pattern.find('{'); open != std::string::npos; open = pattern.find('{', open + 1)) {
    const size_t close = pattern.find('}', open);
    if (close == std::string::npos)
      m.fail_value("file_pattern", "unclosed \"{\" in file_pattern", kFilePatternHint);
    const std::string name = pattern.substr(open + 1, close - open - 1);
    if (name != "month" && name != "date_range")
      m.fail_value("file_pattern", fmt::format("unknown placeholder \"{{{}}}\" in file_pattern", name),
                   kFilePatternHint);
    if (++placeholders > 1)
      m.fail_value("file_pattern", "file_pattern has more than one placeholder", kFilePatternHint);
  }
}

void check_date_format(const Mapping& m, const std::string& format) {
  constexpr std::string_view kHint =
      "date_format takes %Y, %m and %d (once each) and literal characters, e.g. \"%Y%m%d\" or "
      "\"%d/%m/%Y\"; leave it out to detect YYYY-MM-DD, YYYYMMDD and MM/DD/YYYY.";
  int year = 0, month = 0, day = 0;
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%') continue;
    const char directive = i + 1 < format.size() ? format[++i] : '\0';
    switch (directive) {
      case 'Y': ++year; break;
      case 'm': ++month; break;
      case 'd': ++day; break;
      case '%': break;
      default:
        m.fail_value("date_format",
                     fmt::format("unsupported directive \"%{}\" in date_format",
                                 directive ? std::string(1, directive) : std::string()),
                     kHint);
    }
  }
  if (year != 1 || month != 1 || day != 1)
    m.fail_value("date_format", "date_format must contain %Y, %m and %d once each", kHint);
}

// Accepts the two characters \t (as written in single quotes) as a tab.
char single_character(const Mapping& m, std::string_view key) {
  const std::string value = *m.text(key);
  const char c = value == "\\t" ? '\t' : value.size() == 1 ? value[0] : '\0';
  if (c == '\0' || c == '\n' || c == '\r')
    m.fail_value(key, fmt::format("{} must be one character (not a line break)", key),
                 fmt::format("e.g. {}: \"\\t\" (tab), \",\" or \"|\"", key));
  return c;
}

ColumnSpec parse_column(const Reader& r, const YAML::Node& node) {
  if (!node.IsMap())
    r.fail(node, "a column entry must be a mapping",
           "e.g.  - { name: AMOUNT, type: \"numeric(12,2)\", required: true }");
  const Mapping m(r, node, "in column entry", {"name", "type", "required"});
  ColumnSpec c;
  c.name = m.required_text("name", "name: COLUMN_NAME");
  const std::string type = m.required_text("type", fmt::format("type: one of {}", kColumnTypeList));
  const std::optional<ColumnType> parsed = parse_column_type(type);
  if (!parsed)
    m.fail_value("type", fmt::format("{} for column \"{}\"", column_type_problem(type), c.name),
                 fmt::format("accepted types: {}", kColumnTypeList));
  c.type = *parsed;
  c.required = m.flag("required").value_or(false);
  return c;
}

std::string column_list(const TableSpec& t) {
  std::vector<std::string> names;
  for (const auto& c : t.columns) names.push_back(c.name);
  return "columns: " + join(names);
}

// The keys of a table entry that say how its files are written.
FeedSpec parse_feed(const Reader& r, const Mapping& m) {
  FeedSpec f;
  r.attempt([&] {
    f.file_pattern = m.required_text("file_pattern", "file_pattern: \"sales_{month}.tsv\"");
    check_file_pattern(m, f.file_pattern);
  });

  const bool format_ok = r.attempt([&] {
    if (auto format = m.text("format")) {
      if (*format == "tsv") f.format = FileFormat::tsv;
      else if (*format == "csv") f.format = FileFormat::csv;
      else if (*format == "auto") f.format = FileFormat::auto_detect;
      else m.fail_value("format", fmt::format("unknown format \"{}\"", *format), "Expected tsv, csv or auto");
    }
  });
  r.attempt([&] { f.header = m.flag("header").value_or(false); });
  f.delimiter = f.format == FileFormat::csv ? ',' : '\t';
  const bool delimiter_ok = r.attempt([&] {
    if (m.has("delimiter")) f.delimiter = single_character(m, "delimiter");
  });
  if (format_ok && delimiter_ok)
    r.attempt([&] {
      if (!m.has("quote")) return;
      if (f.format == FileFormat::tsv)
        m.fail_value("quote", "quote applies only to csv files",
                     "TSV has no quoting: remove quote, or set format: csv (or auto).");
      f.quote = single_character(m, "quote");
      if (f.quote == f.delimiter)
        m.fail_value("quote", "quote and delimiter are the same character", "Use different characters.");
    });
  r.attempt([&] { f.null_marker = m.text_or_empty("null_marker").value_or(""); });
  r.attempt([&] {
    if (auto encoding = m.text("encoding")) {
      if (*encoding == "utf-8" || *encoding == "utf8") f.encoding = TextEncoding::utf8;
      else if (*encoding == "latin-1" || *encoding == "latin1" || *encoding == "iso-8859-1") f.encoding = TextEncoding::latin1;
      else if (*encoding == "windows-1252" || *encoding == "cp1252") f.encoding = TextEncoding::windows1252;
      else m.fail_value("encoding", fmt::format("unknown encoding \"{}\"", *encoding),
                        "Expected utf-8, latin-1 or windows-1252 (what Excel and Windows tools call ANSI).");
    }
  });
  if (format_ok)
    r.attempt([&] {
      f.backslash_escapes = m.flag("escapes").value_or(false);
      if (f.backslash_escapes) {
        if (f.format == FileFormat::csv)
          m.fail_value("escapes", "escapes applies only to tsv files",
                       "CSV escapes quotes by doubling them: remove escapes, or set format: tsv.");
        if (f.null_marker.empty()) f.null_marker = "\\N";
      }
    });
  return f;
}

TableSpec parse_table(const Reader& r, const YAML::Node& node,
                      const std::map<std::string, ConnectionSpec>& connections) {
  if (!node.IsMap())
    r.fail(node, "a table entry must be a mapping",
           "e.g.  - { table: SALES, file_pattern: \"sales_{month}.tsv\", columns: [...] }");
  const Mapping m(r, node, "in table entry",
                  {"table", "connection", "file_pattern", "format", "header", "delimiter", "quote",
                   "null_marker", "encoding", "escapes", "date_column", "date_format", "columns",
                   "duplicate_key", "low_days"});
  TableSpec t;
  t.position = r.position(node);
  // Each key is read on its own (Reader::attempt), so every error of the entry is reported; a
  // check that depends on a key that failed is skipped rather than reported as a second error.
  r.attempt([&] { t.table = m.required_text("table", "table: NAME (the table to load into)"); });

  r.attempt([&] {
    if (auto connection = m.text("connection")) {
      if (!connections.contains(*connection))
        m.fail_value("connection", fmt::format("connection \"{}\" is not defined", *connection),
                     fmt::format("Defined connections: {}", join(connection_names(connections))));
      if (!connections.at(*connection).can_be_loaded_into())
        m.fail_value("connection", fmt::format("connection \"{}\" is a SQLite file", *connection), kSqliteIsASource);
      t.connection = *connection;
    }
  });

  t.feed = parse_feed(r, m);

  bool columns_ok = true;
  columns_ok = r.attempt([&] {
    const YAML::Node* columns = m.list("columns");
    if (!columns) m.fail_missing("columns", "columns: a list of { name: ..., type: ... }");
    if (columns->size() == 0)
      m.fail_value("columns", fmt::format("table \"{}\" has no columns", t.table),
                   "List them in file order: - { name: ..., type: ... }");
    for (const auto& entry : *columns) {
      columns_ok = r.attempt([&] {
        ColumnSpec column = parse_column(r, entry);
        if (const int first = t.column_index(column.name); first >= 0)
          r.fail(entry, fmt::format("column \"{}\" appears twice in table \"{}\"", column.name, t.table),
                 "Column names are compared case-insensitively; rename or remove one.");
        t.columns.push_back(std::move(column));
      }) && columns_ok;
    }
  }) && columns_ok;
  // date_column and duplicate_key name columns: with a column in error they could only mislead.
  if (!columns_ok) return t;

  // Stored with the column's own spelling so later layers compare names exactly.
  r.attempt([&] {
    if (auto date_column = m.text("date_column")) {
      const int index = t.column_index(*date_column);
      if (index < 0)
        m.fail_value("date_column", fmt::format("date_column \"{}\" is not a column of table \"{}\"",
                                                *date_column, t.table),
                     column_list(t));
      t.date_column = t.columns[index].name;
    }
    if (auto date_format = m.text("date_format")) {
      if (t.date_column.empty())
        m.fail_value("date_format", "date_format without date_column",
                     "Set date_column: to the column it describes, or remove date_format.");
      check_date_format(m, *date_format);
      t.date_format = *date_format;
    }
  });
  r.attempt([&] {
    if (auto low_days = m.text("low_days")) {
      if (*low_days != "fail" && *low_days != "warn")
        m.fail_value("low_days", fmt::format("low_days must be fail or warn, not \"{}\"", *low_days),
                     "fail (the default): days far below the others fail file QC and validate; warn: they are "
                     "reported as warnings (weekends or holidays legitimately thin).");
      t.low_days_fail = *low_days == "fail";
    }
  });
  const YAML::Node* key = nullptr;
  r.attempt([&] { key = m.list("duplicate_key", /*empty_ok=*/true); });
  if (key) {
    for (const auto& item : *key) {
      r.attempt([&] {
        if (!item.IsScalar())
          r.fail(item, "duplicate_key entries must be column names", "e.g. duplicate_key: [DAY, ID]");
        const std::string name = r.expand(item, "duplicate_key");
        const int index = t.column_index(name);
        if (index < 0)
          r.fail(item, fmt::format("duplicate_key column \"{}\" is not a column of table \"{}\"", name,
                                   t.table),
                 column_list(t));
        t.duplicate_key.push_back(t.columns[index].name);
      });
    }
  }
  return t;
}

}  // namespace

// A whole number in [low, high] for `key`, or nullopt when absent.
std::optional<std::int64_t> whole_number(const Mapping& m, std::string_view key, std::int64_t low, std::int64_t high) {
  const auto text = m.text(key);
  if (!text) return std::nullopt;
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || end != text->data() + text->size() || value < low || value > high)
    m.fail_value(key, fmt::format("{} must be a whole number from {} to {}, not \"{}\"", key, low, high, *text),
                 fmt::format("e.g. {}: {}", key, low == 0 ? 1 : low));
  return value;
}

MigrationMode parse_mode(const Mapping& m) {
  const std::string mode = *m.text("mode");
  if (mode == "full") return MigrationMode::full;
  if (mode == "append") return MigrationMode::append;
  if (mode == "incremental") return MigrationMode::incremental;
  m.fail_value("mode", fmt::format("unknown mode \"{}\"", mode),
               "Expected full (build the table apart and swap it in when complete; the default), append "
               "(add the rows to the existing table) or incremental (copy it once, then upsert what changed "
               "past the watermark).");
}

// A list of column names (watermark:, primary_key:), or one name written alone.
std::vector<std::string> column_list(const Reader& r, const Mapping& m, std::string_view key, std::string_view example) {
  std::vector<std::string> out;
  if (!m.has(key)) return out;
  const YAML::Node* list = m.list(key, /*empty_ok=*/false);
  if (!list) return {*m.text(key)};  // (unreachable: list() fails on other shapes)
  for (const auto& item : *list) {
    if (!item.IsScalar() || item.Scalar().empty()) r.fail(item, fmt::format("{} takes column names", key), example);
    const std::string name = r.expand(item, key);
    if (std::find(out.begin(), out.end(), name) != out.end())
      r.fail(item, fmt::format("{}: column {} is named twice", key, name), "Name each column once.");
    out.push_back(name);
  }
  return out;
}

// lookback: a number, or a duration for a date or time watermark ("90s", "15m", "2h", "1d").
double parse_lookback(const Mapping& m) {
  const std::string text = *m.text("lookback");
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  const std::string_view unit(end, text.data() + text.size() - end);
  const double scale = unit.empty() || unit == "s" ? 1 : unit == "m" ? 60 : unit == "h" ? 3600 : unit == "d" ? 86400 : 0;
  if (ec != std::errc() || scale == 0 || value < 0 || !std::isfinite(value))
    m.fail_value("lookback", fmt::format("lookback must be a number or a duration, not \"{}\"", text),
                 "e.g. lookback: 1000 (a number watermark's units), or lookback: 15m (s, m, h, d for a date or time).");
  return value * scale;
}

// rename: / cast: — a mapping of source column names to one value each.
std::map<std::string, std::string> column_map(const Reader& r, const Mapping& m, std::string_view key,
                                              std::string_view example) {
  std::map<std::string, std::string> out;
  const YAML::Node* node = m.mapping(key, /*empty_ok=*/true);
  if (!node) return out;
  for (const auto& kv : *node) {
    if (!kv.first.IsScalar() || kv.first.Scalar().empty())
      r.fail(kv.first, fmt::format("{} takes source column names as keys", key), example);
    if (!kv.second.IsScalar() || kv.second.Scalar().empty())
      r.fail(kv.second.IsNull() ? kv.first : kv.second,
             fmt::format("{}: {} needs a single value", key, kv.first.Scalar()), example);
    if (!out.emplace(kv.first.Scalar(), r.expand(kv.second, key)).second)
      r.fail(kv.first, fmt::format("{}: column {} is named twice", key, kv.first.Scalar()), "Keep one of them.");
  }
  return out;
}

MigrationTableRule parse_migration_table(const Reader& r, const YAML::Node& node) {
  constexpr std::string_view kExample =
      "e.g.  - \"*\"  (every table),  - \"!tmp_*\"  (not these),  - { table: events, chunk_by: id }";
  MigrationTableRule rule;
  rule.position = r.position(node);
  if (node.IsScalar()) {
    std::string pattern = r.expand(node, "tables");
    if (!pattern.empty() && pattern[0] == '!') {
      rule.exclude = true;
      pattern.erase(0, 1);
    }
    if (pattern.empty()) r.fail(node, "an empty table name in a migration's tables", kExample);
    rule.pattern = pattern;
    return rule;
  }
  if (!node.IsMap()) r.fail(node, "a migration's table entry must be a name, a glob or a mapping", kExample);
  const Mapping m(r, node, "in migration table entry",
                  {"table", "target_table", "chunk_by", "where", "mode", "rename", "cast", "watermark", "primary_key",
                   "deletes", "null_watermark", "lookback"});
  r.attempt([&] {
    rule.pattern = m.required_text("table", "table: NAME (a source table, or a glob such as fact_*)");
    if (rule.pattern[0] == '!')
      m.fail_value("table", "an entry that excludes tables is a plain list item",
                   "Write - \"!name\" on a line of its own; a mapping names tables to copy.");
  });
  r.attempt([&] {
    if (auto target = m.text("target_table")) {
      if (rule.is_glob())
        m.fail_value("target_table", fmt::format("target_table names one table, but \"{}\" is a glob", rule.pattern),
                     "Give target_table in an entry that names one source table.");
      rule.target_table = *target;
    }
  });
  r.attempt([&] { rule.chunk_by = m.text("chunk_by").value_or(""); });
  r.attempt([&] { rule.where = m.text("where").value_or(""); });
  r.attempt([&] {
    if (m.has("mode")) rule.mode = parse_mode(m);
  });
  r.attempt([&] { rule.rename = column_map(r, m, "rename", "e.g. rename: { old_name: new_name }"); });
  r.attempt([&] { rule.cast = column_map(r, m, "cast", "e.g. cast: { amount: \"numeric(12,2)\", flags: text }"); });
  r.attempt([&] { rule.watermark = column_list(r, m, "watermark", "e.g. watermark: [updated_at]  or  [day, seq]"); });
  r.attempt([&] { rule.primary_key = column_list(r, m, "primary_key", "e.g. primary_key: [id]"); });
  r.attempt([&] {
    if (!m.has("deletes")) return;
    const std::string v = *m.text("deletes");
    if (v != "none" && v != "detect")
      m.fail_value("deletes", fmt::format("unknown deletes \"{}\"", v),
                   "Expected none (the default) or detect (target rows whose key is gone from the source are deleted).");
    rule.detect_deletes = v == "detect";
  });
  r.attempt([&] {
    if (!m.has("null_watermark")) return;
    const std::string v = *m.text("null_watermark");
    if (v == "include") rule.null_watermark = NullWatermark::include;
    else if (v == "skip") rule.null_watermark = NullWatermark::skip;
    else if (v == "fail") rule.null_watermark = NullWatermark::fail;
    else
      m.fail_value("null_watermark", fmt::format("unknown null_watermark \"{}\"", v),
                   "Expected include (rows without a watermark are read every run and upserted by key; the default), "
                   "skip (never copied) or fail (a run stops while the source has one).");
  });
  r.attempt([&] {
    if (m.has("lookback")) rule.lookback = parse_lookback(m);
  });
  // What only a sync by watermark uses needs one; a sync needs a watermark.
  r.attempt([&] {
    const bool incremental = rule.mode == MigrationMode::incremental;
    if (incremental && rule.watermark.empty())
      m.fail_value("mode", "mode: incremental needs a watermark",
                   "Name the column(s) whose values grow as rows are added or changed, e.g. watermark: [updated_at].");
    if (!rule.watermark.empty() && rule.mode == MigrationMode::full)
      m.fail_value("watermark", "a watermark is for mode: incremental (upsert what changed) or mode: append (add new rows)",
                   "Add mode: incremental to the entry, or remove watermark.");
    for (const char* key : {"deletes", "null_watermark", "lookback"})
      if (m.has(key) && rule.watermark.empty())
        m.fail_value(key, fmt::format("{} applies to a table synced by watermark", key),
                     "Add mode: incremental and watermark: [COLUMN] to the entry, or remove it.");
    if (rule.detect_deletes && rule.mode && !incremental)
      m.fail_value("deletes", "deletes: detect needs mode: incremental (rows are matched by key)", "Add mode: incremental.");
  });
  return rule;
}

MigrationSpec parse_migration(const Reader& r, const YAML::Node& node, const Config& config) {
  if (!node.IsMap())
    r.fail(node, "a migration must be a mapping",
           "e.g.  - { name: legacy_to_pg, source: legacy, tables: [\"*\"] }");
  const Mapping m(r, node, "in migration",
                  {"name", "source", "target", "source_schema", "schema", "workers", "chunk_rows", "small_table_rows", "mode",
                   "tables"});
  MigrationSpec spec;
  spec.position = r.position(node);
  r.attempt([&] {
    spec.name = m.required_text("name", "name: legacy_to_pg (how commands name this migration)");
    const bool plain = std::all_of(spec.name.begin(), spec.name.end(), [](unsigned char c) {
      return std::isalnum(c) || c == '_' || c == '-' || c == '.';
    });
    if (!plain)
      m.fail_value("name", fmt::format("migration name \"{}\" holds characters other than letters, digits, _ - .", spec.name),
                   "It is typed on the command line (sluice migrate run NAME): keep it plain.");
  });
  const auto connection = [&](std::string_view key, const std::string& name) -> const ConnectionSpec& {
    const auto it = config.connections.find(name);
    if (it == config.connections.end())
      m.fail_value(key, fmt::format("connection \"{}\" is not defined", name),
                   fmt::format("Defined connections: {}", join(connection_names(config.connections))));
    return it->second;
  };
  r.attempt([&] {
    spec.source = m.required_text("source", "source: NAME (the connection to copy tables from)");
    connection("source", spec.source);
  });
  r.attempt([&] {
    spec.target = m.text("target").value_or(config.target);
    const ConnectionSpec& target = m.has("target") ? connection("target", spec.target) : config.target_connection();
    if (!target.postgres())
      m.fail_value(m.has("target") ? "target" : "name",
                   fmt::format("migration \"{}\" goes into connection \"{}\", which is not PostgreSQL", spec.name, spec.target),
                   "Migrations copy tables into PostgreSQL: set target: to a postgres connection.");
  });
  r.attempt([&] { spec.source_schema = m.text("source_schema").value_or(""); });
  r.attempt([&] { spec.schema = m.text("schema").value_or(""); });
  r.attempt([&] { spec.workers = static_cast<int>(whole_number(m, "workers", 1, 64).value_or(0)); });
  r.attempt([&] {
    spec.chunk_rows = static_cast<std::uint64_t>(whole_number(m, "chunk_rows", 1, 1'000'000'000).value_or(1'000'000));
  });
  r.attempt([&] {
    spec.small_table_rows =
        static_cast<std::uint64_t>(whole_number(m, "small_table_rows", 0, 1'000'000'000).value_or(spec.small_table_rows));
  });
  r.attempt([&] {
    if (m.has("mode")) spec.mode = parse_mode(m);
  });
  r.attempt([&] {
    const YAML::Node* tables = m.list("tables");
    if (!tables) m.fail_missing("tables", "tables: [\"*\"] (every table of the source), or a list of names");
    if (tables->size() == 0)
      m.fail_value("tables", fmt::format("migration \"{}\" lists no tables", spec.name),
                   "List the source tables to copy, or \"*\" for all of them.");
    for (const auto& entry : *tables) r.attempt([&] { spec.tables.push_back(parse_migration_table(r, entry)); });
    if (std::all_of(spec.tables.begin(), spec.tables.end(), [](const MigrationTableRule& t) { return t.exclude; }))
      m.fail_value("tables", fmt::format("migration \"{}\" only excludes tables", spec.name),
                   "Add the tables to copy, e.g. - \"*\" before the - \"!name\" entries.");
  });
  return spec;
}

Config parse_config(const std::string& yaml_text, const std::string& path_for_messages) {
  const Reader r(path_for_messages);
  YAML::Node doc;
  try {
    doc = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    throw usage_error(fmt::format("invalid YAML: {}", e.msg), r.position(e.mark).str(),
                      "Check the indentation (spaces, not tabs) and the quoting at that position.");
  }
  if (doc.IsNull()) doc = YAML::Node(YAML::NodeType::Map);  // empty file: all defaults
  if (!doc.IsMap())
    r.fail(doc, "the config must be a mapping with target, connections and tables",
           "Start from the example: sluice config init");
  reject_literal_secrets(r, doc);

  const Mapping top(r, doc, "at the top level", {"target", "connections", "tables", "migrations"});
  Config config;
  config.path = path_for_messages;

  const YAML::Node* connections = nullptr;
  r.attempt([&] { connections = top.mapping("connections", /*empty_ok=*/true); });
  if (connections) {
    for (const auto& kv : *connections) {
      r.attempt([&] {
        if (!kv.first.IsScalar() || kv.first.Scalar().empty())
          r.fail(kv.first, "a connection name must be a non-empty name", "e.g.  prod_pg: { ... }");
        const std::string& name = kv.first.Scalar();
        if (config.connections.contains(name))
          r.fail(kv.first, fmt::format("connection \"{}\" is defined twice", name),
                 fmt::format("It is already defined at {}; keep one of them.",
                             config.connections[name].position.str()));
        // A connection in error is still known by name, so tables and target naming it are not
        // reported again; the config is refused as a whole anyway.
        ConnectionSpec placeholder;
        placeholder.name = name;
        placeholder.position = r.position(kv.second);
        r.attempt([&] { placeholder = parse_connection(r, name, kv.first, kv.second); });
        config.connections.emplace(name, std::move(placeholder));
      });
    }
  }

  r.attempt([&] {
    const std::optional<std::string> target = top.text("target");
    std::vector<std::string> loadable;
    for (const auto& [name, c] : config.connections)
      if (c.can_be_loaded_into()) loadable.push_back(name);
    if (loadable.empty() && !config.connections.contains("local")) {
      if (target && !config.connections.contains(*target))
        top.fail_value("target", fmt::format("target \"{}\" is not a defined connection", *target),
                       "No connections to load into are defined: add it under connections:, or remove "
                       "target: to use the embedded PostgreSQL.");
      if (target)
        top.fail_value("target", fmt::format("target \"{}\" is a SQLite file", *target), kSqliteIsASource);
      // No connection to load into and no target: the embedded PostgreSQL, so a config may be
      // just tables (or SQLite files to migrate).
      ConnectionSpec local;
      local.name = "local";
      PostgresConnection embedded;
      embedded.embedded = true;
      local.backend = embedded;
      local.position = SourcePosition{path_for_messages, 0, 0};
      config.connections.emplace("local", local);
      config.target = "local";
    } else if (target) {
      if (!config.connections.contains(*target))
        top.fail_value("target", fmt::format("target \"{}\" is not a defined connection", *target),
                       fmt::format("Defined connections: {}", join(connection_names(config.connections))));
      if (!config.connections.at(*target).can_be_loaded_into())
        top.fail_value("target", fmt::format("target \"{}\" is a SQLite file", *target), kSqliteIsASource);
      config.target = *target;
    } else if (loadable.size() == 1) {
      config.target = loadable.front();
    } else if (loadable.empty()) {
      r.fail(doc, "no connection to load or migrate into",
             "Add a postgres connection, e.g. pg: { type: postgres, embedded: true }.");
    } else {
      r.fail(doc, "missing key \"target\" at the top level",
             fmt::format("Several connections are defined; set target: to one of: {}", join(loadable)));
    }
  });

  const YAML::Node* tables = nullptr;
  r.attempt([&] { tables = top.list("tables", /*empty_ok=*/true); });
  if (tables) {
    for (const auto& entry : *tables) {
      r.attempt([&] {
        TableSpec table = parse_table(r, entry, config.connections);
        if (const TableSpec* first = table.table.empty() ? nullptr : config.find_table(table.table))
          r.fail(entry, fmt::format("table \"{}\" is listed twice", table.table),
                 fmt::format("It is already listed at {} (table names are compared "
                             "case-insensitively); keep one entry.",
                             first->position.str()));
        config.tables.push_back(std::move(table));
      });
    }
  }
  const YAML::Node* migrations = nullptr;
  r.attempt([&] { migrations = top.list("migrations", /*empty_ok=*/true); });
  if (migrations && !config.target.empty()) {
    for (const auto& entry : *migrations) {
      r.attempt([&] {
        MigrationSpec migration = parse_migration(r, entry, config);
        if (const MigrationSpec* first = config.find_migration(migration.name); first && !migration.name.empty())
          r.fail(entry, fmt::format("migration \"{}\" is defined twice", migration.name),
                 fmt::format("It is already defined at {}; keep one of them.", first->position.str()));
        config.migrations.push_back(std::move(migration));
      });
    }
  }
  r.throw_collected();
  return config;
}

Config load_config(const std::filesystem::path& path) {
  const std::string name = path.string();
  std::error_code ec;
  const std::filesystem::file_status status = std::filesystem::status(path, ec);
  if (status.type() == std::filesystem::file_type::not_found)
    throw usage_error(fmt::format("config file {} does not exist", name), {},
                      "Create one with `sluice config init`, or point --config (or SLUICE_CONFIG) "
                      "at an existing file.");
  if (std::filesystem::is_directory(status))
    throw usage_error(fmt::format("config file {} is a directory", name), {},
                      "Point --config at the config file itself.");
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw usage_error(fmt::format("cannot read config file {}", name), errno_text(errno),
                      "Check the file's permissions.");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad())
    throw usage_error(fmt::format("cannot read config file {}", name), errno_text(errno),
                      "Check the file and the disk.");
  return parse_config(text.str(), name);
}

std::string yaml_quoted(const std::string& s) {
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
        else if (c == '$' && i + 1 < s.size() && s[i + 1] == '{') out += "$$";
        else out += c;
    }
  }
  return out + "\"";
}

std::string table_config_yaml(const TableSpec& t) {
  const FeedSpec& f = t.feed;
  const bool csv = f.format == FileFormat::csv;
  std::string y = fmt::format("  - table: {}\n", yaml_quoted(t.table));
  if (!t.connection.empty()) y += fmt::format("    connection: {}\n", yaml_quoted(t.connection));
  y += fmt::format("    file_pattern: {}\n", yaml_quoted(f.file_pattern));
  y += fmt::format("    format: {}\n", csv ? "csv" : f.format == FileFormat::tsv ? "tsv" : "auto");
  y += fmt::format("    header: {}\n", f.header ? "true" : "false");
  if (f.delimiter != (csv ? ',' : '\t')) y += fmt::format("    delimiter: {}\n", yaml_quoted(std::string(1, f.delimiter)));
  if (f.format != FileFormat::tsv && f.quote != '"') y += fmt::format("    quote: {}\n", yaml_quoted(std::string(1, f.quote)));
  if (!f.null_marker.empty()) y += fmt::format("    null_marker: {}\n", yaml_quoted(f.null_marker));
  if (f.encoding == TextEncoding::latin1) y += "    encoding: latin-1\n";
  if (f.encoding == TextEncoding::windows1252) y += "    encoding: windows-1252\n";
  if (f.backslash_escapes) y += "    escapes: true\n";
  if (!t.date_column.empty()) y += fmt::format("    date_column: {}\n", yaml_quoted(t.date_column));
  if (!t.date_format.empty()) y += fmt::format("    date_format: {}\n", yaml_quoted(t.date_format));
  if (!t.low_days_fail) y += "    low_days: warn\n";
  if (!t.duplicate_key.empty()) {
    std::vector<std::string> key;
    for (const auto& k : t.duplicate_key) key.push_back(yaml_quoted(k));
    y += fmt::format("    duplicate_key: [{}]\n", fmt::join(key, ", "));
  }
  y += "    columns:\n";
  for (const auto& c : t.columns)
    y += fmt::format("      - {{ name: {}, type: {}{} }}\n", yaml_quoted(c.name), yaml_quoted(to_string(c.type)),
                     c.required ? ", required: true" : "");
  return y;
}

// Kept identical to etc/sluice.example.yaml (a unit test compares them).
std::string example_config_text() {
  return R"yaml(# sluice configuration
#
# sluice reads the first of: --config, $SLUICE_CONFIG, ./sluice.yaml, ~/.config/sluice/config.yaml.
# Lines such as "#key: value" (no space after the #) are optional settings: delete the # to use them.
#
# Any value may use an environment variable as ${NAME}; write $${ for a literal ${.
# Secrets never go in this file: libpq reads PostgreSQL passwords from ~/.pgpass or PGPASSWORD, and
# Snowflake signs in with a key file whose passphrase stays in an environment variable.

# Where tables load unless they name their own connection.
target: local

connections:
  # The PostgreSQL server sluice runs for you; nothing to set up.
  local:
    type: postgres
    embedded: true

  # An existing PostgreSQL server: a libpq connection string, without a password.
  #prod_pg:
  #  type: postgres
  #  dsn: "host=db.internal dbname=analytics user=loader"
  #  schema: public

  # Snowflake with key-pair authentication; files are staged through S3. passphrase_env names the
  # environment variable holding the passphrase of an encrypted key (the passphrase is not here).
  #snow:
  #  type: snowflake
  #  account: myorg-myaccount
  #  user: LOADER
  #  auth:
  #    method: keypair
  #    private_key_file: ~/.snowflake/loader.p8
  #    passphrase_env: SNOWFLAKE_KEY_PASSPHRASE
  #  warehouse: LOAD_WH
  #  database: ANALYTICS
  #  schema: PUBLIC
  #  role: LOADER
  #  #ca_file: /etc/ssl/proxy-ca.pem   # CA certificates (PEM) that sign the servers' TLS certificates,
  #                                    # for a private CA or a TLS-inspecting proxy (default: the system's)
  #  stage:
  #    name: SLUICE_STAGE
  #    url: "s3://my-bucket/sluice/"
  #    region: us-east-1
  #    #endpoint: https://s3.example.internal   # an S3-compatible server instead of AWS
  #    #addressing: auto                        # auto | path | virtual
  #    #ca_file: /etc/ssl/private-ca.pem        # CA for the S3 endpoint's TLS (default: the
  #                                             # connection's ca_file, else $AWS_CA_BUNDLE)
  #    # S3 credentials: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN (or the
  #    # variables named by access_key_id_env, secret_access_key_env, session_token_env)

  # A SQLite file that migrations copy tables from (opened read-only, never loaded into).
  #legacy:
  #  type: sqlite
  #  path: ~/data/legacy.db

tables:
  # One entry per warehouse table.
  - table: FACT_LENDING
    #connection: prod_pg          # default: target
    # The pattern may hold one placeholder: {month} (YYYY-MM) or {date_range} (YYYYMMDD-YYYYMMDD).
    file_pattern: "factLendingBenchmark_{date_range}.tsv"
    format: tsv                   # tsv | csv | auto
    header: false                 # true when the first line holds the column names
    #delimiter: "\t"              # one character; default tab, or "," for csv
    # For csv files, quote: '"' sets the quote character (default ").
    null_marker: '\N'             # a field with exactly this text is NULL; an empty field always is
    #encoding: latin-1            # utf-8 (default: bad bytes are QC findings); latin-1, windows-1252: transcoded
    #escapes: true                # tsv written by PostgreSQL/MySQL: \t \n \\ escapes inside fields
    date_column: RECORDDATEID     # every value must be a valid date
    date_format: "%Y%m%d"         # %Y %m %d and literal characters; default: detect
    columns:
      # Types: text, varchar(n), char(n), smallint, integer, bigint, numeric(p,s), real, double,
      # boolean, date, timestamp, timestamptz. required: true makes an empty value a QC finding.
      - { name: RECORDDATE,   type: date }
      - { name: RECORDDATEID, type: integer }
      - { name: ASSETID,      type: bigint, required: true }
      - { name: LOANVALUE,    type: "numeric(20,2)" }
    duplicate_key: [RECORDDATEID, ASSETID]   # two rows with the same values here are a QC finding
    #low_days: warn               # days with far fewer rows than the others: fail (default) or warn

# Tables copied from another database into PostgreSQL: sluice migrate plan | run | verify | compare.
#migrations:
#  - name: legacy_to_pg
#    source: legacy                # a sqlite or postgres connection
#    #target: local                # a postgres connection; default: target
#    schema: migrated              # the target schema; default: the target connection's
#    workers: 4                    # chunks copied at once
#    tables:
#      - "*"                       # every table of the source; globs; the last entry naming a table decides
#      - "!tmp_*"                  # ... but not these
#      - { table: events, target_table: events_v1, mode: append }
)yaml";
}

void write_example_config(const std::filesystem::path& path, bool force) {
  const std::string name = path.string();
  if (path.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);
    if (ec)
      throw runtime_error(fmt::format("cannot create directory {}", path.parent_path().string()),
                          ec.message(), "Check the permissions of its parent.");
  }
  // "x" (O_EXCL) so a file appearing between a check and the write is not clobbered either.
  std::FILE* file = std::fopen(path.c_str(), force ? "w" : "wx");
  if (!file) {
    const int err = errno;
    if (err == EEXIST)
      throw usage_error(fmt::format("{} already exists", name), {},
                        "Edit it, or pass --force to replace it with the example.");
    throw runtime_error(fmt::format("cannot create {}", name), errno_text(err),
                        "Check the directory's permissions.");
  }
  const std::string text = example_config_text();
  const bool written = std::fwrite(text.data(), 1, text.size(), file) == text.size();
  const int write_err = errno;
  if (std::fclose(file) != 0 || !written)
    throw runtime_error(fmt::format("cannot write {}", name), errno_text(written ? errno : write_err),
                        "Check the free space and permissions.");
}

}  // namespace sluice
