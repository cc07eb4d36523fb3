#include "warehouse/snowflake/sql_api_client.h"

#include <openssl/rand.h>

#include <algorithm>
#include <cctype>
#include <thread>

#include <fmt/format.h>

#include "core/text_format.h"
#include "warehouse/http/url.h"

namespace sluice::snowflake {
namespace {

using nlohmann::json;

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

json parse_json(const std::string& body) {
  if (body.empty()) return json();
  try {
    return json::parse(body);
  } catch (const json::exception&) {
    return json();
  }
}

std::string text_of(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j.at(key).is_string()) return {};
  return j.at(key).get<std::string>();
}

std::string abbreviate(std::string_view sql, size_t max = 300) {
  std::string out = collapse_whitespace(sql);
  if (out.size() > max) out = out.substr(0, max) + "...";
  return out;
}

bool retryable_status(long s) { return s == 429 || s == 500 || s == 502 || s == 503 || s == 504; }

Error cancelled_error(const std::string& handle) {
  return runtime_error("cancelled",
                       handle.empty() ? "the statement was not submitted"
                                      : fmt::format("statement {} was cancelled on the server", handle),
                       "Nothing was published; run the command again.");
}

std::string hint_for(const std::string& code, const TokenSource& tokens) {
  if (code == "390144" && tokens.token_type() == "KEYPAIR_JWT")
    return "Check the connection's account (the account identifier, e.g. myorg-myaccount) and user, "
           "that the user's RSA_PUBLIC_KEY belongs to the key file (DESC USER shows "
           "RSA_PUBLIC_KEY_FP, which must equal the fingerprint above), and this machine's clock.";
  if (code == "390303" || (code == "390144" && tokens.token_type() != "KEYPAIR_JWT"))
    return "The token is invalid or has expired: get a new one.";
  if (code == "002003")
    return "Check the connection's database, schema and role: the object must exist and the role "
           "must be allowed to use it.";
  if (code == "003001") return "Grant the connection's role the privilege, or use another role.";
  if (code == "000630") return "Raise the statement timeout, or use a larger warehouse.";
  if (code == "390505") return "Snowflake is throttling this account's requests; try again later.";
  if (code == "391911")
    return "The SQL API runs this command only inside a multi-statement request (a sluice bug).";
  return {};
}

}  // namespace

int ResultSet::column(std::string_view name) const {
  for (size_t i = 0; i < columns.size(); ++i)
    if (columns[i].name == name) return static_cast<int>(i);
  const std::string want = lower(name);
  for (size_t i = 0; i < columns.size(); ++i)
    if (lower(columns[i].name) == want) return static_cast<int>(i);
  return -1;
}

std::int64_t ResultSet::rows_affected() const {
  for (const char* name : {"number of rows inserted", "number of rows updated", "number of rows deleted"}) {
    const int c = column(name);
    if (c >= 0 && !rows.empty() && rows[0][static_cast<size_t>(c)])
      return jsonv2::to_int64(*rows[0][static_cast<size_t>(c)]);
  }
  if (stats.is_object())
    for (const char* key : {"numRowsInserted", "numRowsUpdated", "numRowsDeleted"})
      if (stats.contains(key)) return stats.at(key).get<std::int64_t>();
  return 0;
}

std::string new_request_id() {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof b) != 1) throw runtime_error("no random bytes for a request id");
  b[6] = static_cast<unsigned char>((b[6] & 0x0F) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3F) | 0x80);
  std::string hex;
  for (unsigned char c : b) hex += fmt::format("{:02x}", c);
  return fmt::format("{}-{}-{}-{}-{}", hex.substr(0, 8), hex.substr(8, 4), hex.substr(12, 4),
                     hex.substr(16, 4), hex.substr(20));
}

std::string base_url_for(const SnowflakeConnection& c) {
  if (!c.endpoint.empty()) {
    std::string e = c.endpoint;
    while (e.ends_with('/')) e.pop_back();
    return e;
  }
  return "https://" + lower(c.account) + ".snowflakecomputing.com";
}

SqlApiClient::SqlApiClient(SqlApiSettings settings, std::shared_ptr<TokenSource> tokens)
    : settings_(std::move(settings)), tokens_(std::move(tokens)) {
  while (settings_.base_url.ends_with('/')) settings_.base_url.pop_back();
  http::require_allowed_endpoint(settings_.base_url, "the Snowflake SQL API");
  const http::Url u = http::parse_url(settings_.base_url);
  if (u.path != "/" || !u.query.empty())
    throw usage_error(fmt::format("the Snowflake endpoint \"{}\" must not have a path", settings_.base_url));
  if (settings_.user_agent.empty()) settings_.user_agent = sluice::user_agent();
  settings_.retry.max_attempts = std::max(1, settings_.retry.max_attempts);
}

SqlApiClient::~SqlApiClient() = default;

std::unique_ptr<http::Client> SqlApiClient::acquire() {
  {
    std::lock_guard lock(pool_mu_);
    if (!pool_.empty()) {
      auto c = std::move(pool_.back());
      pool_.pop_back();
      return c;
    }
  }
  http::ClientOptions o = settings_.http;
  o.user_agent = settings_.user_agent;
  o.cancel = settings_.cancel;
  o.accept_compressed = true;  // partitions arrive gzip-compressed
  return std::make_unique<http::Client>(o);
}

void SqlApiClient::release(std::unique_ptr<http::Client> c) {
  std::lock_guard lock(pool_mu_);
  pool_.push_back(std::move(c));
}

http::Response SqlApiClient::send(Kind kind, const std::string& method, const std::string& path,
                                  const std::string& body, std::string& request_id, bool cancellable) {
  bool renewed = false;
  http::Response last;
  for (int attempt = 1;; ++attempt) {
    if (cancellable && settings_.cancel && settings_.cancel->cancelled()) throw cancelled_error("");
    http::Request req;
    req.method = method;
    req.url = settings_.base_url + path;
    if (kind == Kind::submit) {
      req.url += "?requestId=" + request_id + "&async=true";
      if (attempt > 1) req.url += "&retry=true";  // the same request again: do not run it twice
      req.fresh_connection = true;
    }
    req.headers = {{"Authorization", "Bearer " + tokens_->token()},
                   {"X-Snowflake-Authorization-Token-Type", tokens_->token_type()},
                   {"Accept", "application/json"}};
    if (method == "POST") {
      req.headers.emplace_back("Content-Type", "application/json");
      req.body = http::Body::memory(body);
    }
    std::string reason;
    std::optional<std::chrono::seconds> retry_after;
    std::unique_ptr<http::Client> client;
    if (cancellable) {
      client = acquire();
    } else {
      http::ClientOptions o = settings_.http;
      o.user_agent = settings_.user_agent;
      o.cancel = nullptr;
      client = std::make_unique<http::Client>(o);
    }
    ++requests_;
    try {
      last = client->perform(req);
      if (cancellable) release(std::move(client));
    } catch (const http::TransportError& e) {
      if (cancellable) release(std::move(client));
      if (e.cancelled()) throw cancelled_error("");
      if (auto tls = http::tls_error(e, settings_.base_url, "the Snowflake SQL API", settings_.http.ca_file,
                                     "ca_file in the Snowflake connection"))
        throw *tls;
      if (!e.retryable() || attempt >= settings_.retry.max_attempts)
        throw runtime_error(fmt::format("no answer from the Snowflake SQL API at {}", settings_.base_url),
                            fmt::format("{} (after {} attempt{})", e.what(), attempt,
                                        attempt == 1 ? "" : "s"),
                            "Check the network, a proxy, or the connection's account/endpoint.");
      reason = fmt::format("network: {}", e.what());
    }
    if (reason.empty()) {
      if (last.status == 401 && !renewed) {
        renewed = true;
        tokens_->invalidate();  // an expired or revoked token: sign a new one, once
        ++retries_;
        if (settings_.on_retry)
          settings_.on_retry(fmt::format("SQL API HTTP 401 {}: renewing the token",
                                         text_of(parse_json(last.body), "code")));
        continue;
      }
      if (!retryable_status(last.status) || attempt >= settings_.retry.max_attempts) return last;
      reason = fmt::format("HTTP {}", last.status);
      retry_after = http::parse_retry_after(last.header("retry-after"));
    }
    const auto wait = settings_.retry.backoff(attempt, retry_after);
    ++retries_;
    if (settings_.on_retry)
      settings_.on_retry(fmt::format("SQL API {} {}: {}; retrying in {} ms", method, path, reason,
                                     wait.count()));
    if (!http::sleep_unless_cancelled(wait, cancellable ? settings_.cancel : nullptr))
      throw cancelled_error("");
  }
}

std::string SqlApiClient::submit(const std::string& sql, const StatementOptions& options,
                                 std::optional<ResultSet>* finished) {
  json body = {{"statement", sql}};
  if (options.timeout.count() > 0) body["timeout"] = options.timeout.count();
  if (!settings_.database.empty()) body["database"] = settings_.database;
  if (!settings_.schema.empty()) body["schema"] = settings_.schema;
  if (!settings_.warehouse.empty()) body["warehouse"] = settings_.warehouse;
  if (!settings_.role.empty()) body["role"] = settings_.role;
  if (!options.bindings.empty()) {
    json b = json::object();
    for (size_t i = 0; i < options.bindings.size(); ++i) {
      const Binding& x = options.bindings[i];
      b[std::to_string(i + 1)] = {{"type", x.type}, {"value", x.value ? json(*x.value) : json(nullptr)}};
    }
    body["bindings"] = b;
  }
  json params = json::object();
  if (options.multi_statement_count != 1)
    params["MULTI_STATEMENT_COUNT"] = std::to_string(options.multi_statement_count);
  if (!options.query_tag.empty()) params["QUERY_TAG"] = options.query_tag;
  for (const auto& [name, value] : options.parameters) params[name] = value;
  if (!params.empty()) body["parameters"] = params;

  std::string request_id = new_request_id();
  const http::Response r = send(Kind::submit, "POST", "/api/v2/statements", body.dump(), request_id, true);
  const json answer = parse_json(r.body);
  const std::string handle = text_of(answer, "statementHandle");
  if (r.status == 202 && !handle.empty()) return handle;
  if (r.status == 200 && !handle.empty()) {
    ResultSet rs = result_from(r, handle);
    if (finished) *finished = std::move(rs);
    return handle;
  }
  fail(r, handle, sql);
}

ResultSet SqlApiClient::execute(const std::string& sql, const StatementOptions& options) {
  std::optional<ResultSet> finished;
  const std::string handle = submit(sql, options, &finished);
  if (finished) return std::move(*finished);
  try {
    return wait(handle, options.deadline, options.while_running);
  } catch (SqlApiError& e) {
    // Name the statement: wait() only knew the handle.
    throw SqlApiError(e.primary(), e.detail() + fmt::format("\nStatement: {}", abbreviate(sql)),
                      e.hint(), e.http_status(), e.snowflake_code(), e.sql_state(),
                      e.statement_handle());
  }
}

ResultSet SqlApiClient::wait(const std::string& handle, std::chrono::seconds deadline,
                             const std::function<void()>& while_running) {
  const auto give_up = deadline.count() > 0 ? std::chrono::steady_clock::now() + deadline
                                            : std::chrono::steady_clock::time_point::max();
  const auto polling_since = std::chrono::steady_clock::now();
  std::string no_id;
  while (true) {
    if (settings_.cancel && settings_.cancel->cancelled()) {
      cancel(handle);
      throw cancelled_error(handle);
    }
    if (std::chrono::steady_clock::now() >= give_up) {
      cancel(handle);
      throw runtime_error(fmt::format("the Snowflake statement did not finish within {} s", deadline.count()),
                          fmt::format("Statement {} was cancelled.", handle),
                          "Allow more time, or use a larger warehouse.");
    }
    http::Response r;
    try {
      r = send(Kind::status, "GET", "/api/v2/statements/" + handle, "", no_id, true);
    } catch (const Error& e) {
      if (e.primary() == "cancelled") {
        cancel(handle);
        throw cancelled_error(handle);
      }
      throw;
    }
    if (r.status == 202) {
      if (while_running) while_running();
      const auto ran = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - polling_since);
      const auto delay = std::clamp(ran / 8, settings_.poll_first, settings_.poll_max);
      if (!http::sleep_unless_cancelled(delay, settings_.cancel)) continue;  // cancels above
      continue;
    }
    if (r.status == 200) return result_from(r, handle);
    fail(r, handle, "");
  }
}

void SqlApiClient::cancel(const std::string& handle) {
  std::string no_id;
  try {
    send(Kind::cancel, "POST", "/api/v2/statements/" + handle + "/cancel", "", no_id, false);
  } catch (const Error&) {
    // best effort: the statement may still stop by its own timeout
  }
}

ResultSet SqlApiClient::fetch(const std::string& handle) { return wait(handle); }

ResultSet SqlApiClient::result_from(const http::Response& first, const std::string& handle) {
  const json answer = parse_json(first.body);
  if (!answer.is_object() || !answer.contains("resultSetMetaData"))
    throw runtime_error("the Snowflake SQL API answered 200 without a result",
                        fmt::format("statement {}", handle));
  ResultSet rs;
  rs.statement_handle = handle;
  rs.request_id = text_of(answer, "requestId");
  const json& meta = answer.at("resultSetMetaData");
  for (const json& c : meta.value("rowType", json::array())) {
    ColumnInfo col;
    col.name = c.value("name", "");
    col.type_name = c.value("type", "");
    col.type = jsonv2::parse_type(col.type_name);
    if (c.contains("precision") && c["precision"].is_number()) col.precision = c["precision"].get<int>();
    if (c.contains("scale") && c["scale"].is_number()) col.scale = c["scale"].get<int>();
    if (c.contains("length") && c["length"].is_number()) col.length = c["length"].get<std::int64_t>();
    col.nullable = c.value("nullable", true);
    rs.columns.push_back(std::move(col));
  }
  auto add_rows = [&](const json& data) {
    for (const json& row : data) {
      std::vector<Cell> cells;
      cells.reserve(row.size());
      for (const json& v : row) {
        if (v.is_null()) cells.emplace_back(std::nullopt);
        else if (v.is_string()) cells.emplace_back(v.get<std::string>());
        else cells.emplace_back(v.dump());
      }
      rs.rows.push_back(std::move(cells));
    }
  };
  add_rows(answer.value("data", json::array()));
  if (answer.contains("stats")) rs.stats = answer.at("stats");
  for (const json& h : answer.value("statementHandles", json::array())) rs.statement_handles.push_back(h);
  const json info = meta.value("partitionInfo", json::array());
  rs.partitions = std::max<int>(1, static_cast<int>(info.size()));
  std::string no_id;
  for (int p = 1; p < rs.partitions; ++p) {
    const http::Response r = send(Kind::status, "GET",
                                  fmt::format("/api/v2/statements/{}?partition={}", handle, p), "",
                                  no_id, true);
    if (r.status != 200) fail(r, handle, "");
    const json part = parse_json(r.body);
    if (!part.is_object() || !part.contains("data"))
      throw runtime_error(fmt::format("partition {} of statement {} has no data", p, handle));
    const size_t before = rs.rows.size();
    add_rows(part.at("data"));
    const auto want = info[static_cast<size_t>(p)].value("rowCount", std::int64_t(-1));
    if (want >= 0 && static_cast<std::int64_t>(rs.rows.size() - before) != want)
      throw runtime_error(fmt::format("partition {} of statement {} is incomplete", p, handle),
                          fmt::format("{} rows, expected {}", rs.rows.size() - before, want));
  }
  const auto total = meta.value("numRows", std::int64_t(-1));
  if (total >= 0 && static_cast<std::int64_t>(rs.rows.size()) != total)
    throw runtime_error(fmt::format("the result of statement {} is incomplete", handle),
                        fmt::format("{} rows, expected {}", rs.rows.size(), total));
  return rs;
}

void SqlApiClient::fail(const http::Response& r, const std::string& handle0, const std::string& sql) const {
  const json answer = parse_json(r.body);
  const std::string code = text_of(answer, "code");
  const std::string state = text_of(answer, "sqlState");
  const std::string message = text_of(answer, "message");
  const std::string handle = handle0.empty() ? text_of(answer, "statementHandle") : handle0;
  std::string detail = fmt::format("HTTP {}", r.status);
  if (!code.empty()) detail += ", code " + code;
  if (!state.empty()) detail += ", SQLSTATE " + state;
  if (!handle.empty()) detail += ", statement handle " + handle;
  detail += ".";
  if (!message.empty()) detail += "\n" + message;
  if (!sql.empty()) detail += fmt::format("\nStatement: {}", abbreviate(sql));

  std::string primary;
  if (r.status == 401 || r.status == 403) {
    primary = "Snowflake refused the sign-in";
    detail += fmt::format("\nSigned in with {}.", tokens_->describe());
  } else if (r.status == 408) {
    primary = "Snowflake cancelled the statement: it reached its timeout";
  } else if (r.status == 429) {
    primary = "Snowflake kept throttling the requests (HTTP 429)";
  } else if (r.status >= 500) {
    primary = fmt::format("the Snowflake SQL API kept failing (HTTP {})", r.status);
  } else if (r.status == 422 && code == "000604") {
    primary = "the Snowflake statement was cancelled";
  } else if (r.status == 422 || !message.empty()) {
    std::string first = message.substr(0, message.find('\n'));
    if (first.ends_with(':') && message.find('\n') != std::string::npos) {
      const std::string rest = message.substr(message.find('\n') + 1);
      first += " " + rest.substr(0, rest.find('\n'));
    }
    primary = fmt::format("Snowflake error {}: {}", code.empty() ? "?" : code, first);
  } else {
    primary = fmt::format("the Snowflake SQL API refused the request (HTTP {})", r.status);
  }
  throw SqlApiError(primary, detail, hint_for(code, *tokens_), r.status, code, state, handle);
}

}  // namespace sluice::snowflake
