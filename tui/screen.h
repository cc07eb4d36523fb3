// What a screen of the menu is, and what it may ask of the menu around it.
#pragma once

#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/config_model.h"
#include "jobs/launcher.h"
#include "tui/backend.h"
#include "tui/terminal.h"

namespace sluice::tui {

// The menu's settings: the config in use and defaults, remembered in the job store.
struct MenuSettings {
  std::string config_path;                 // absolute; "" when none was found
  std::string config_error;                // why the config could not be read ("" when fine)
  std::string base_path;                   // where the month's files are (the last load's, once one ran)
  std::string load_month;                  // the month the last load was started for ("" before)
  std::string default_qc = "file";
  std::vector<std::string> tables;         // configured tables
  std::vector<std::string> dated_tables;   // those with a date_column (delete, validate by month)
  std::vector<std::string> migrations;     // the config's migration jobs
};

// The names the screens offer (tables, dated tables, migrations), from `config`.
void take_config_names(MenuSettings& s, const Config& config);

using HelpLines = std::vector<std::pair<std::string, std::string>>;  // keys, what they do

class Screen;

class Menu {
 public:
  virtual ~Menu() = default;
  virtual void push(std::unique_ptr<Screen> screen) = 0;
  virtual void pop() = 0;
  virtual void quit() = 0;
  // A line at the bottom until the next key (red when `bad`).
  virtual void status(std::string message, bool bad = false) = 0;
  virtual Backend& backend() = 0;
  virtual MenuSettings& settings() = 0;
  // The job store as the backend last read it.
  virtual const Snapshot& snapshot() const = 0;
  // Starts `command` as a background job (on the backend thread); the future gives its launch id.
  virtual std::future<std::int64_t> start(BatchCommand command) = 0;
  // Shows one job (its progress, log and result).
  virtual void open_job(std::int64_t launch_id, std::int64_t job_id = 0) = 0;
  virtual bool ascii() const = 0;
};

class Screen {
 public:
  explicit Screen(Menu& menu) : menu_(menu) {}
  virtual ~Screen() = default;
  virtual std::string title() const = 0;
  // Draws into rows [top, top + height) of the whole width.
  virtual void draw(Terminal& t, int top, int height) = 0;
  // true when the screen used the key; otherwise the menu's keys apply (Esc back, q quit, ? help).
  virtual bool key(const Key& k, int page) = 0;
  // Called about ten times a second (results arriving, progress moving).
  virtual void tick() {}
  virtual HelpLines help() const = 0;
  // While typing into a field, q ? / are text, not commands.
  virtual bool typing() const { return false; }

 protected:
  Menu& menu_;
};

// A job being started: the future of its launch id, checked on every tick.
class PendingLaunch {
 public:
  void set(std::future<std::int64_t> f) { future_ = std::move(f); }
  bool active() const { return future_.valid(); }
  // The launch id once the job started (0 while starting, or when it could not start: the error is
  // then shown on the menu's status line).
  std::int64_t poll(Menu& menu) {
    if (!ready(future_)) return 0;
    try {
      return future_.get();
    } catch (const std::exception& e) {
      menu.status(std::string("could not start the job: ") + e.what(), true);
      return 0;
    }
  }
  // Once the job started, the screen that started it gives way to the job's screen; true then.
  bool open_when_started(Menu& menu) {
    const std::int64_t id = poll(menu);
    if (!id) return false;
    menu.pop();
    menu.open_job(id);
    return true;
  }

 private:
  std::future<std::int64_t> future_;
};

// A job started for its result (a report, a listing, a preview): once it has ended, its result is
// read on the backend thread.
class JobResult {
 public:
  void start(Menu& menu, BatchCommand command) {
    id_ = 0;
    reading_ = {};
    launch_.set(menu.start(std::move(command)));
  }
  // Starting, running, or its result being read.
  bool active() const { return launch_.active() || id_ || reading_.valid(); }
  // The result, once read; nullopt before. A job that did not succeed gives nullopt and says why in
  // `failure` (its error, else its status).
  std::optional<std::string> poll(Menu& menu, std::string& failure) {
    if (const std::int64_t id = launch_.poll(menu)) id_ = id;
    if (id_ && !reading_.valid()) {
      for (const auto& j : menu.snapshot().jobs) {
        if (j.launch_id != id_ || !j.finished()) continue;
        if (j.status != "succeeded") {
          failure = j.error.empty() ? j.status : j.error;
          id_ = 0;
          return std::nullopt;
        }
        const std::string path = j.result_path;
        reading_ = menu.backend().submit([path](Services&) { return read_tail(path, 64u << 20); });
      }
    }
    if (!ready(reading_)) return std::nullopt;
    id_ = 0;
    return reading_.get();
  }

 private:
  PendingLaunch launch_;
  std::int64_t id_ = 0;  // the launch, until its result is read
  std::future<std::string> reading_;
};

// The screens (tui/screens/*.cpp).
std::unique_ptr<Screen> make_main_screen(Menu& menu);
std::unique_ptr<Screen> make_load_screen(Menu& menu);
std::unique_ptr<Screen> make_validate_screen(Menu& menu);
std::unique_ptr<Screen> make_migrate_screen(Menu& menu);
std::unique_ptr<Screen> make_delete_screen(Menu& menu);
std::unique_ptr<Screen> make_restore_screen(Menu& menu);
std::unique_ptr<Screen> make_report_screen(Menu& menu);
std::unique_ptr<Screen> make_jobs_screen(Menu& menu);
std::unique_ptr<Screen> make_job_screen(Menu& menu, std::int64_t launch_id, std::int64_t job_id);
std::unique_ptr<Screen> make_files_screen(Menu& menu);
std::unique_ptr<Screen> make_settings_screen(Menu& menu);
std::unique_ptr<Screen> make_session_screen(Menu& menu);
// Browses from `dir`; Space marks files (several when `multiple`), Enter on a file (or d) hands the
// marked ones (or that one) to `done` and goes back. Each file shows the config table whose
// file_pattern it matches.
std::unique_ptr<Screen> make_file_picker(Menu& menu, std::string dir, bool multiple,
                                         std::function<void(std::vector<std::string>)> done);

}  // namespace sluice::tui
