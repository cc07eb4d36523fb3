// The .zst writer: parts roll before they pass the target size, every part is a standard .zst of
// whole rows, the output decompresses to exactly the input, nothing has its final name before
// finish(), and a failed write leaves a clean error and no file behind.
#include <gtest/gtest.h>

#include <sys/resource.h>
#include <zstd.h>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include <fmt/format.h>

#include "core/error.h"
#include "loaders/encode/rolling_zst_writer.h"
#include "loaders/pipeline.h"
#include "tests/support/scan_file.h"
#include "tests/support/temp_dir.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Decompresses a whole .zst (any number of frames) with libzstd, as `zstd -d` would.
std::string unzstd(const std::string& in) {
  ZSTD_DCtx* d = ZSTD_createDCtx();
  std::string out;
  ZSTD_inBuffer ib{in.data(), in.size(), 0};
  std::vector<char> buf(1 << 16);
  std::size_t last = 0;
  for (;;) {
    ZSTD_outBuffer ob{buf.data(), buf.size(), 0};
    last = ZSTD_decompressStream(d, &ob, &ib);
    if (ZSTD_isError(last)) {
      ZSTD_freeDCtx(d);
      throw std::runtime_error(ZSTD_getErrorName(last));
    }
    out.append(buf.data(), ob.pos);
    if (ib.pos == ib.size && ob.pos < ob.size) break;  // all read, nothing held back
  }
  ZSTD_freeDCtx(d);
  if (last != 0) throw std::runtime_error("truncated .zst");
  return out;
}

// Rows with enough entropy that frames are a predictable, non-trivial size.
std::string make_rows(int rows, unsigned seed = 7) {
  std::mt19937 rng(seed);
  std::string s;
  for (int i = 0; i < rows; ++i) {
    s += "2024-01-" + std::to_string(1 + i % 28) + "\t" + std::to_string(i) + "\t";
    for (int k = 0; k < 40; ++k) s.push_back(static_cast<char>('a' + rng() % 26));
    s += "\n";
  }
  return s;
}

PipelineResult pump(const fs::path& file, RollingZstWriter& writer, std::size_t chunk_bytes, int level = 1) {
  PipelineOptions o;
  o.chunk_bytes = chunk_bytes;
  o.workers = 2;
  o.zstd_level = level;
  return test::run_engine(file, FileSyntax{}, test::columns_qc({"DAY", "ID", "NOTE"}), o, &writer);
}

std::vector<fs::path> files_in(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(RollingZstWriter, PartsRollBeforeTheTargetAndHoldWholeRows) {
  test::TempDir dir("sluice-zst");
  const std::string input = make_rows(40000);  // ~2.3 MB
  const fs::path file = dir.write("in.tsv", input);
  ZstWriterOptions wo;
  wo.part_bytes = 150'000;
  RollingZstWriter writer(dir / "out", wo);
  const auto scan = pump(file, writer, 64 << 10);
  const auto parts = writer.finish();

  ASSERT_GE(parts.size(), 4u);
  std::string joined;
  std::uint64_t rows = 0;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto& p = parts[i];
    EXPECT_EQ(p.path, dir / fmt::format("out_{:03}.zst", i));
    EXPECT_EQ(fs::file_size(p.path), p.compressed_bytes);
    EXPECT_LE(p.compressed_bytes, wo.part_bytes);
    // A part is cut only when the next frame (at most ~64 KiB of these rows) does not fit.
    if (i + 1 < parts.size()) {
      EXPECT_GT(p.compressed_bytes, wo.part_bytes / 2);
    }
    const std::string text = unzstd(read_all(p.path));
    EXPECT_EQ(text.size(), p.raw_bytes);
    ASSERT_FALSE(text.empty());
    EXPECT_EQ(text.back(), '\n') << "part " << i << " ends inside a row";
    EXPECT_EQ(static_cast<std::uint64_t>(std::count(text.begin(), text.end(), '\n')), p.rows);
    EXPECT_EQ(p.first_line, rows + 1);  // one line per row here
    EXPECT_EQ(text.substr(0, text.find('\t')), "2024-01-" + std::to_string(1 + rows % 28));
    rows += p.rows;
    joined += text;
  }
  EXPECT_EQ(rows, scan.rows);
  EXPECT_EQ(joined, input);
}

TEST(RollingZstWriter, SingleFileIsByteIdenticalEvenWithoutAFinalNewlineOrWithCrlf) {
  test::TempDir dir("sluice-zst");
  std::string crlf = make_rows(3000, 9);
  for (std::size_t pos = 0; (pos = crlf.find('\n', pos)) != std::string::npos; pos += 2) crlf.insert(pos, "\r");
  for (const std::string& input : {make_rows(5000) + "2024-01-02\t1\tno newline at the end", crlf}) {
    const fs::path file = dir.write("in.tsv", input);
    ZstWriterOptions wo;
    wo.layout = ZstLayout::single_file;
    wo.overwrite = true;
    RollingZstWriter writer(dir / "in.tsv.zst", wo);
    pump(file, writer, 32 << 10, 3);
    const auto parts = writer.finish();
    ASSERT_EQ(parts.size(), 1u);
    EXPECT_EQ(parts[0].path, dir / "in.tsv.zst");
    EXPECT_EQ(unzstd(read_all(parts[0].path)), input);
    EXPECT_EQ(parts[0].raw_bytes, input.size());
    EXPECT_EQ(parts[0].first_line, 1u);
  }
}

TEST(RollingZstWriter, WithoutFramesFromThePipelineItCompressesTheRowsItself) {
  test::TempDir dir("sluice-zst");
  const std::string input = make_rows(3000);
  const fs::path file = dir.write("in.tsv", input);
  RollingZstWriter writer(dir / "in.tsv.zst", {ZstLayout::single_file});
  pump(file, writer, 32 << 10, /*level=*/0);
  const auto parts = writer.finish();
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(unzstd(read_all(parts[0].path)), input);
}

TEST(RollingZstWriter, EmptyInputStillGivesAValidZst) {
  test::TempDir dir("sluice-zst");
  const fs::path file = dir.write("empty.tsv", "");
  for (auto layout : {ZstLayout::single_file, ZstLayout::rolling_parts}) {
    ZstWriterOptions wo;
    wo.layout = layout;
    wo.overwrite = true;
    RollingZstWriter writer(dir / "empty.zst", wo);
    pump(file, writer, 1 << 20);
    const auto parts = writer.finish();
    ASSERT_EQ(parts.size(), 1u);
    EXPECT_GT(fs::file_size(parts[0].path), 0u);  // an empty file is not a valid .zst
    EXPECT_EQ(unzstd(read_all(parts[0].path)), "");
    EXPECT_EQ(parts[0].rows, 0u);
  }
}

TEST(RollingZstWriter, NothingHasItsFinalNameBeforeFinish) {
  test::TempDir dir("sluice-zst");
  const std::string input = make_rows(20000);
  const fs::path file = dir.write("in.tsv", input);
  fs::create_directory(dir / "out");
  ZstWriterOptions wo;
  wo.part_bytes = 100'000;
  {
    RollingZstWriter writer(dir / "out" / "p", wo);
    pump(file, writer, 64 << 10);
    // Several parts are complete by now, but all still carry the temporary name.
    const auto names = files_in(dir / "out");
    ASSERT_GE(names.size(), 3u);
    for (const auto& n : names) EXPECT_TRUE(n.string().ends_with(".zst.partial")) << n;
    // Destroyed without finish(), as when QC fails or an exception unwinds.
  }
  EXPECT_TRUE(files_in(dir / "out").empty());

  RollingZstWriter writer(dir / "out" / "p", wo);
  pump(file, writer, 64 << 10);
  const auto parts = writer.finish();
  const auto names = files_in(dir / "out");
  ASSERT_EQ(names.size(), parts.size());
  for (const auto& n : names) EXPECT_FALSE(n.string().ends_with(".partial")) << n;
}

TEST(RollingZstWriter, RefusesAnExistingOutputAndOverwriteRemovesStaleParts) {
  test::TempDir dir("sluice-zst");
  const fs::path file = dir.write("in.tsv", make_rows(20000));
  dir.write("p_000.zst", "old");
  dir.write("p_001.zst", "old");
  dir.write("p_002.zst", "old");
  dir.write("p_003.zst", "old");
  dir.write("p_004.zst", "old");
  dir.write("p_005.zst", "old");
  dir.write("p_006.zst", "old");
  dir.write("p_007.zst", "old");
  dir.write("p_008.zst", "old");
  dir.write("p_009.zst", "old");
  ZstWriterOptions wo;
  wo.part_bytes = 400'000;
  try {
    RollingZstWriter writer(dir / "p", wo);
    FAIL() << "an existing part was not refused";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::usage);
    EXPECT_NE(e.primary().find("p_000.zst"), std::string::npos) << e.primary();
  }
  EXPECT_EQ(read_all(dir / "p_000.zst"), "old");

  wo.overwrite = true;
  RollingZstWriter writer(dir / "p", wo);
  pump(file, writer, 64 << 10);
  const auto parts = writer.finish();
  ASSERT_LT(parts.size(), 10u);
  // A previous run's higher-numbered parts would otherwise be loaded as part of this file.
  EXPECT_EQ(files_in(dir.path()).size(), parts.size() + 1);  // + in.tsv
}

// RLIMIT_FSIZE makes writes past a size fail with EFBIG, like a full disk with ENOSPC, for this
// process only. SIGXFSZ would kill the process instead, so it is ignored while the limit holds.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    ::getrlimit(RLIMIT_FSIZE, &old_);
    old_handler_ = std::signal(SIGXFSZ, SIG_IGN);
    rlimit l = old_;
    l.rlim_cur = bytes;
    ::setrlimit(RLIMIT_FSIZE, &l);
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &old_);
    std::signal(SIGXFSZ, old_handler_);
  }

 private:
  rlimit old_{};
  void (*old_handler_)(int) = nullptr;
};

void expect_clean_write_error(const Error& e, const fs::path& dir) {
  EXPECT_EQ(e.code(), ExitCode::runtime);
  EXPECT_NE(e.primary().find(dir.string()), std::string::npos) << e.report();
  EXPECT_NE(e.detail().find("bytes had been written"), std::string::npos) << e.report();
  EXPECT_NE(e.hint().find("ulimit -f"), std::string::npos) << e.report();
  EXPECT_NE(e.hint().find("removed"), std::string::npos) << e.report();
}

TEST(RollingZstWriter, AFailedWriteGivesACleanErrorAndLeavesNothing) {
  test::TempDir dir("sluice-zst");
  const fs::path file = dir.write("in.tsv", make_rows(40000));
  const fs::path out = dir / "out";
  fs::create_directory(out);

  // One file, failing part-way through the pipeline's frames.
  try {
    FileSizeLimit limit(200'000);
    RollingZstWriter writer(out / "data.zst", {ZstLayout::single_file});
    pump(file, writer, 64 << 10);
    writer.finish();
    FAIL() << "the write past the limit did not fail";
  } catch (const Error& e) {
    expect_clean_write_error(e, out);
  }
  EXPECT_TRUE(files_in(out).empty()) << "a partial output was left behind";

  // Parts: the first is complete when the second fails; it must go too. Random bytes do not
  // compress, so frame sizes are known.
  std::mt19937 rng(3);
  std::string noise(250'000, ' ');
  for (char& c : noise) c = static_cast<char>(rng());
  try {
    FileSizeLimit limit(200'000);
    ZstWriterOptions wo;
    wo.part_bytes = 300'000;
    RollingZstWriter writer(out / "data", wo);
    writer.add_raw(noise.data(), 100'000, 1, 1);   // part 0
    writer.add_raw(noise.data(), 250'000, 1, 2);   // does not fit: part 1, past the limit
    writer.finish();
    FAIL() << "the write past the limit did not fail";
  } catch (const Error& e) {
    expect_clean_write_error(e, out);
    EXPECT_NE(e.primary().find("data_001.zst"), std::string::npos) << e.report();
  }
  EXPECT_TRUE(files_in(out).empty()) << "a partial output was left behind";
}

TEST(RollingZstWriter, AMissingDirectoryFailsBeforeAnythingIsRead) {
  test::TempDir dir("sluice-zst");
  try {
    RollingZstWriter writer(dir / "no-such-dir" / "x.zst", {ZstLayout::single_file});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::runtime);
    EXPECT_NE(e.primary().find("no-such-dir/x.zst.partial"), std::string::npos) << e.report();
  }
}

}  // namespace
}  // namespace sluice
