#include "tui/menu.h"

#include <algorithm>
#include <filesystem>
#include <optional>

#include <unistd.h>

#include <fmt/format.h>

#include "core/dates.h"
#include "core/error.h"
#include "jobs/launcher.h"
#include "jobs/session_log.h"
#include "tui/screen.h"

namespace sluice::tui {
namespace {

std::string session_name() { return format_time("session-%Y%m%d-%H%M%S.sh", TimeZone::local); }

class MenuApp final : public Menu {
 public:
  MenuApp(const Cancellation& cancellation, Terminal& term, Backend& backend, Launcher& launcher,
          MenuSettings settings)
      : cancellation_(cancellation), term_(term), backend_(backend), launcher_(launcher),
        settings_(std::move(settings)) {}

  void push(std::unique_ptr<Screen> screen) override { pending_.push_back(std::move(screen)); }
  void pop() override { ++pops_; }
  void quit() override { quit_ = true; }
  void status(std::string message, bool bad) override {
    status_ = std::move(message);
    status_bad_ = bad;
  }
  Backend& backend() override { return backend_; }
  MenuSettings& settings() override { return settings_; }
  const Snapshot& snapshot() const override { return snapshot_; }
  bool ascii() const override { return term_.ascii(); }

  std::future<std::int64_t> start(BatchCommand command) override {
    auto f = backend_.submit([command = std::move(command)](Services& s) { return s.launcher.launch(command); });
    backend_.refresh_soon();
    return f;
  }

  void open_job(std::int64_t launch_id, std::int64_t job_id) override { push(make_job_screen(*this, launch_id, job_id)); }

  int run() {
    stack_.push_back(make_main_screen(*this));
    bool help = false;
    while (!quit_ && !stack_.empty()) {
      // Ctrl-C (or SIGTERM) quits cleanly, the terminal restored; background jobs go on.
      if (cancellation_.cancelled()) break;
      snapshot_ = backend_.snapshot();
      for (auto& s : stack_) s->tick();
      apply_navigation();
      if (stack_.empty()) break;
      draw(help);
      const Key k = term_.read_key(100);
      if (k.kind == Key::none) continue;
      if (k.kind == Key::resize) continue;  // the next draw uses the new size
      if (help) {
        // Arrows and pages scroll a help longer than the screen; any other key closes it.
        const int step = k.kind == Key::down || k.is('j') ? 1 : k.kind == Key::up || k.is('k') ? -1
                         : k.kind == Key::page_down ? help_page_ : k.kind == Key::page_up ? -help_page_ : 0;
        if (step && help_more_) {
          help_top_ = std::max(0, help_top_ + step);
        } else {
          help = false;
          help_top_ = 0;
        }
        continue;
      }
      status_.clear();
      Screen& top = *stack_.back();
      const int page = std::max(1, term_.rows() - 6);
      if (k.kind == Key::help || (!top.typing() && k.is('?'))) {
        help = true;
        continue;
      }
      if (top.key(k, page)) {
        apply_navigation();
        continue;
      }
      if (k.kind == Key::escape || k.kind == Key::left || k.is('h')) {
        if (stack_.size() > 1) stack_.pop_back();
      } else if (k.is('q') && !top.typing()) {
        quit_ = true;
      }
      apply_navigation();
    }
    return 0;
  }

 private:
  void apply_navigation() {
    for (; pops_ > 0 && stack_.size() > 1; --pops_) stack_.pop_back();
    pops_ = 0;
    for (auto& s : pending_) {
      stack_.push_back(std::move(s));
      // A new screen reads the snapshot before it is drawn or given a key.
      stack_.back()->tick();
    }
    pending_.clear();
  }

  void draw(bool help) {
    term_.erase();
    const int rows = term_.rows(), cols = term_.cols();
    Screen& top = *stack_.back();
    std::string crumbs = "sluice";
    for (std::size_t i = 1; i < stack_.size(); ++i) crumbs += (term_.ascii() ? " > " : " \u203a ") + stack_[i]->title();
    term_.fill(0, 0, cols, Style::selected);
    term_.text(0, 1, crumbs, cols - 2, Style::selected);
    int running = 0;
    for (const auto& j : snapshot_.jobs) running += !j.finished();
    const std::string right = fmt::format("{} running  ?:help", running);
    term_.text(0, std::max(0, cols - static_cast<int>(right.size()) - 1), right, static_cast<int>(right.size()), Style::selected);
    if (rows < 6 || cols < 30) {
      term_.text(1, 0, "The terminal is too small; make it at least 30x6.", cols, Style::bad);
      term_.present();
      return;
    }
    top.draw(term_, 1, rows - 2);
    const std::string hints = top.typing() ? "Enter: next  Esc: back  Tab: next field  Ctrl-U: clear"
                                           : "Enter: open  Esc: back  /: filter  ?: help  q: quit";
    if (!status_.empty()) term_.text(rows - 1, 0, status_, cols, status_bad_ ? Style::bad : Style::warn, true);
    else term_.text(rows - 1, 0, hints, cols, Style::dim, true);
    if (help) draw_help(top.help(), rows, cols, top.title());
    term_.present();
  }

  void draw_help(const HelpLines& own, int rows, int cols, const std::string& title) {
    HelpLines entries = own;
    entries.push_back({"", ""});
    entries.push_back({"Up/Down j/k", "move"});
    entries.push_back({"PgUp/PgDn Home/End", "move by a page, to the first or last"});
    entries.push_back({"/", "filter the list (Esc clears)"});
    entries.push_back({"Ctrl-U", "clear the field being typed in"});
    entries.push_back({"Esc", "back"});
    entries.push_back({"q", "quit the menu (background jobs go on)"});
    entries.push_back({"? or F1", "this help (F1 also while typing in a field)"});
    // The text wraps in its column (a line without keys uses the whole width): nothing is cut.
    const int width = std::min(cols - 4, 100);
    const int key_width = 20, text_width = width - 25;
    struct Line {
      std::string keys, text;
      bool whole_width;  // an entry without keys: its text starts at the left
    };
    std::vector<Line> lines;
    for (const auto& [keys, text] : entries) {
      const auto wrapped = wrap(text, keys.empty() ? width - 4 : text_width, term_.ascii());
      for (std::size_t i = 0; i < wrapped.size(); ++i) lines.push_back({i == 0 ? keys : "", wrapped[i], keys.empty()});
    }
    const int height = std::min(rows - 2, static_cast<int>(lines.size()) + 4);
    const int body = height - 4;
    help_more_ = static_cast<int>(lines.size()) > body;
    help_page_ = std::max(1, body);
    help_top_ = std::clamp(help_top_, 0, std::max(0, static_cast<int>(lines.size()) - body));
    const int y = std::max(1, (rows - height) / 2), x = std::max(0, (cols - width) / 2);
    for (int r = 0; r < height; ++r) term_.fill(y + r, x, width, Style::normal);
    term_.box(y, x, height, width, "Help: " + title);
    for (int i = 0; i < body && help_top_ + i < static_cast<int>(lines.size()); ++i) {
      const Line& line = lines[static_cast<std::size_t>(help_top_ + i)];
      if (line.whole_width) {
        term_.text(y + 1 + i, x + 2, line.text, width - 4);
      } else {
        term_.text(y + 1 + i, x + 2, line.keys, key_width, Style::key);
        term_.text(y + 1 + i, x + 23, line.text, text_width);
      }
    }
    const std::string footer = help_more_ ? "Down/PgDn: more, Up/PgUp: back; any other key closes." : "Press any key to close.";
    term_.text(y + height - 2, x + 2, footer, width - 4, Style::dim);
  }

  const Cancellation& cancellation_;
  Terminal& term_;
  Backend& backend_;
  Launcher& launcher_;
  MenuSettings settings_;
  Snapshot snapshot_;
  std::vector<std::unique_ptr<Screen>> stack_;
  std::vector<std::unique_ptr<Screen>> pending_;
  int pops_ = 0;
  bool quit_ = false;
  int help_top_ = 0, help_page_ = 1;
  bool help_more_ = false;  // the help is longer than the screen
  std::string status_;
  bool status_bad_ = false;
};

MenuSettings initial_settings(const MenuContext& ctx) {
  MenuSettings s;
  JobStore& store = ctx.jobs;
  std::optional<Config> config;
  // A config chosen in Settings is used when none was named for this run (--config, SLUICE_CONFIG).
  if (!ctx.config_named) {
    std::error_code ec;
    if (auto remembered = store.preference("config_path"); remembered && std::filesystem::exists(*remembered, ec)) {
      try {
        config = ctx.read_config(*remembered);
        s.config_path = *remembered;
      } catch (const Error&) {
      }
    }
  }
  try {
    if (!config) {
      config = ctx.run_config();
      s.config_path = std::filesystem::absolute(config->path).string();
    }
    take_config_names(s, *config);
  } catch (const Error& e) {
    s.config_error = e.primary();
  }
  s.base_path = store.preference("base_path").value_or(
      s.config_path.empty() ? std::filesystem::current_path().string()
                            : std::filesystem::path(s.config_path).parent_path().string());
  s.default_qc = store.preference("default_qc").value_or("file");
  s.load_month = store.preference("load_month").value_or("");
  return s;
}

}  // namespace

int run_menu(const MenuContext& ctx) {
  MenuSettings settings = initial_settings(ctx);
  const auto work_dir = ctx.state_dir / "menu";
  SessionLog session(work_dir / "sessions" / session_name());
  std::vector<std::string> global;
  if (!settings.config_path.empty()) global = {"--config", settings.config_path};
  char self[4096];
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  const std::string exe = n > 0 ? std::string(self, static_cast<std::size_t>(n)) : "sluice";
  Launcher launcher(ctx.jobs, exe, global, work_dir / "jobs", &session);
  Backend backend(ctx.jobs, launcher, session, ctx.read_config, ctx.sync_marks);
  Terminal term;
  MenuApp app(ctx.cancellation, term, backend, launcher, std::move(settings));
  return app.run();
}

void take_config_names(MenuSettings& s, const Config& config) {
  s.tables.clear();
  s.dated_tables.clear();
  s.migrations.clear();
  for (const auto& t : config.tables) {
    s.tables.push_back(t.table);
    if (!t.date_column.empty()) s.dated_tables.push_back(t.table);
  }
  for (const auto& m : config.migrations) s.migrations.push_back(m.name);
}

}  // namespace sluice::tui
