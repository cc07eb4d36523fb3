#include "validators/file_qc/duplicate_keys.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cerrno>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <queue>
#include <thread>

#include <fmt/format.h>

// Header-only XXH3: the hash is called once per row from the scan loop, and inlining it there is
// worth more than sharing the library's copy (this library does not link libxxhash either).
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "core/error.h"
#include "validators/file_qc/findings.h"

namespace sluice {
namespace fs = std::filesystem;

// ---------------------------------------------------------------------------------------------
// Key encoding and hashing

namespace {

constexpr char kNullTag = 0, kValueTag = 1, kAbsentTag = 2;

std::atomic<std::uint64_t> g_hash_mask{~std::uint64_t{0}};

inline std::uint64_t finish_hash(const char* data, std::size_t size) {
  return XXH3_64bits(data, size) & g_hash_mask.load(std::memory_order_relaxed);
}

inline char* put_field(char* o, const char* data, std::size_t size, bool is_null) {
  if (is_null) {
    *o++ = kNullTag;
    return o;
  }
  *o++ = kValueTag;
  const auto len = static_cast<std::uint32_t>(size);
  std::memcpy(o, &len, 4);  // host order: the encoding never leaves the process
  o += 4;
  if (size) std::memcpy(o, data, size);
  return o + size;
}

inline std::size_t field_bytes(std::size_t size, bool is_null) { return is_null ? 1 : 5 + size; }

}  // namespace

void append_key_field(std::string& out, const char* data, std::size_t size, bool is_null) {
  const std::size_t at = out.size();
  out.resize(at + field_bytes(size, is_null));
  put_field(out.data() + at, data, size, is_null);
}

void append_absent_key_field(std::string& out) { out.push_back(kAbsentTag); }

std::string key_display_text(std::string_view encoded) {
  std::string out;
  std::size_t i = 0;
  while (i < encoded.size()) {
    if (!out.empty()) out += ", ";
    const char tag = encoded[i++];
    if (tag == kNullTag) {
      out += "NULL";
    } else if (tag == kAbsentTag) {
      out += "(missing)";
    } else {
      std::uint32_t len = 0;
      std::memcpy(&len, encoded.data() + i, 4);
      i += 4;
      out += len == 0 ? std::string("\"\"") : display_value(encoded.data() + i, len);
      i += len;
    }
  }
  return out;
}

std::uint64_t hash_key(const char* const* fields, const std::size_t* sizes, const bool* nulls, std::size_t n) {
  std::size_t need = 0;
  for (std::size_t i = 0; i < n; ++i) need += field_bytes(sizes[i], nulls[i]);
  char stack[512];
  if (need <= sizeof stack) {
    char* o = stack;
    for (std::size_t i = 0; i < n; ++i) o = put_field(o, fields[i], sizes[i], nulls[i]);
    return finish_hash(stack, need);
  }
  std::string big;
  big.reserve(need);
  for (std::size_t i = 0; i < n; ++i) append_key_field(big, fields[i], sizes[i], nulls[i]);
  return finish_hash(big.data(), big.size());
}

void set_hash_bits_for_testing(unsigned bits) {
  g_hash_mask.store(bits >= 64 ? ~std::uint64_t{0} : bits == 0 ? 0 : ~std::uint64_t{0} << (64 - bits));
}

RowKeyHasher::RowKeyHasher(std::vector<int> key_fields) {
  int max_field = -1;
  for (int f : key_fields) max_field = std::max(max_field, f);
  slot_of_.assign(static_cast<std::size_t>(max_field + 1), -1);
  for (std::size_t s = 0; s < key_fields.size(); ++s)
    if (key_fields[s] >= 0) slot_of_[static_cast<std::size_t>(key_fields[s])] = static_cast<int>(s);
  in_file_order_ = std::is_sorted(key_fields.begin(), key_fields.end()) &&
                   std::adjacent_find(key_fields.begin(), key_fields.end()) == key_fields.end();
  encoded_.resize(key_fields.size());
  seen_.assign(key_fields.size(), 0);
}

void RowKeyHasher::set(int slot, const char* data, std::size_t size, bool is_null) {
  const auto s = static_cast<std::size_t>(slot);
  if (in_file_order_) {
    // The scanner meets fields in file order, so the slots come 0, 1, 2...: encode in place, into
    // a raw buffer (std::string::resize would zero what put_field then overwrites).
    if (s != seen_count_) return;  // not the next slot: the row is malformed, finish() says so
    const std::size_t need = row_size_ + field_bytes(size, is_null);
    if (need > row_buf_.size()) row_buf_.resize(std::max(need, 2 * row_buf_.size()));
    row_size_ = static_cast<std::size_t>(put_field(row_buf_.data() + row_size_, data, size, is_null) - row_buf_.data());
    ++seen_count_;
    return;
  }
  std::string& e = encoded_[s];
  e.clear();
  append_key_field(e, data, size, is_null);
  if (!seen_[s]) {
    seen_[s] = 1;
    ++seen_count_;
  }
}

bool RowKeyHasher::finish(std::uint64_t& hash) {
  const bool complete = seen_count_ == encoded_.size();
  if (in_file_order_) {
    if (complete) hash = finish_hash(row_buf_.data(), row_size_);
    row_size_ = 0;
    seen_count_ = 0;
    return complete;
  }
  if (complete) {
    row_.clear();
    for (const auto& e : encoded_) row_ += e;
    hash = finish_hash(row_.data(), row_.size());
  }
  std::fill(seen_.begin(), seen_.end(), 0);
  seen_count_ = 0;
  return complete;
}

// ---------------------------------------------------------------------------------------------
// Spill files

SpillDir::~SpillDir() {
  if (path_.empty()) return;
  std::error_code ec;
  fs::remove_all(path_, ec);
}

const fs::path& SpillDir::path() {
  if (!path_.empty()) return path_;
  std::error_code ec;
  fs::create_directories(parent_, ec);
  std::string tmpl = (parent_ / "sluice-dups-XXXXXX").string();
  if (!::mkdtemp(tmpl.data()))
    throw runtime_error(fmt::format("cannot create a spill directory in {}", parent_.string()), errno_text(errno),
                        "The duplicate-key check spills to disk for large files; make that directory writable.");
  path_ = tmpl;
  return path_;
}

namespace {

[[noreturn]] void io_failure(const char* what, const fs::path& p, int err) {
  throw runtime_error(fmt::format("cannot {} duplicate-key spill file {}", what, p.string()),
                      err ? errno_text(err) : std::string("unexpected end of file"),
                      "Past its memory budget the duplicate-key check needs free disk of about 9 bytes a "
                      "row, plus about 60 for each row whose key repeats; free some or choose another "
                      "spill directory.");
}

class SpillFile {
 public:
  SpillFile(fs::path path, int flags) : path_(std::move(path)) {
    fd_ = ::open(path_.c_str(), flags | O_CLOEXEC, 0600);
    if (fd_ < 0) io_failure("open", path_, errno);
  }
  ~SpillFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  SpillFile(const SpillFile&) = delete;
  SpillFile& operator=(const SpillFile&) = delete;

  void write_all(const void* data, std::size_t n) {
    const char* p = static_cast<const char*>(data);
    while (n > 0) {
      const ssize_t w = ::write(fd_, p, n);
      if (w < 0) {
        if (errno == EINTR) continue;
        io_failure("write", path_, errno);
      }
      p += w;
      n -= static_cast<std::size_t>(w);
    }
  }
  // Reads up to n bytes at `offset`; fewer only at the end of the file.
  std::size_t pread_some(void* out, std::size_t n, std::uint64_t offset) const {
    char* o = static_cast<char*>(out);
    std::size_t got = 0;
    while (got < n) {
      const ssize_t r = ::pread(fd_, o + got, n - got, static_cast<off_t>(offset + got));
      if (r < 0) {
        if (errno == EINTR) continue;
        io_failure("read", path_, errno);
      }
      if (r == 0) break;
      got += static_cast<std::size_t>(r);
    }
    return got;
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
  int fd_ = -1;
};

// Sequential reads of the byte range [begin, end) of a spill file through a fixed buffer.
class RangeReader {
 public:
  RangeReader(const SpillFile* file, std::uint64_t begin, std::uint64_t end, std::size_t buffer_bytes)
      : file_(file), pos_(begin), end_(end), buf_(std::max<std::size_t>(buffer_bytes, 4096)) {}

  // Exactly n bytes, or false if the range is exhausted before the first byte.
  bool read(void* out, std::size_t n) {
    char* o = static_cast<char*>(out);
    std::size_t got = 0;
    while (got < n) {
      if (at_ == len_) {
        if (pos_ >= end_) {
          if (got == 0) return false;
          io_failure("read", file_->path(), 0);
        }
        const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(buf_.size(), end_ - pos_));
        len_ = file_->pread_some(buf_.data(), want, pos_);
        if (len_ == 0) io_failure("read", file_->path(), 0);
        pos_ += len_;
        at_ = 0;
      }
      const std::size_t take = std::min(n - got, len_ - at_);
      std::memcpy(o + got, buf_.data() + at_, take);
      at_ += take;
      got += take;
    }
    return true;
  }

 private:
  const SpillFile* file_;
  std::uint64_t pos_, end_;
  std::vector<char> buf_;
  std::size_t at_ = 0, len_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Sorting KeyHash arrays

// Stable LSD radix sort on bits [lo_bit, 64) of key(e), 8 bits a pass. One read computes every
// digit's histogram; a pass whose digit is the same for all entries (the partition's top byte, the
// high bytes of line numbers, or every bit under the collision test hook) costs nothing.
template <class KeyFn>
void radix_sort(std::vector<KeyHash>& v, std::vector<KeyHash>& tmp, KeyFn key, int lo_bit) {
  const std::size_t n = v.size();
  if (n < 64) {
    std::stable_sort(v.begin(), v.end(), [&](const KeyHash& a, const KeyHash& b) {
      return (key(a) >> lo_bit) < (key(b) >> lo_bit);
    });
    return;
  }
  const int digits = (64 - lo_bit + 7) / 8;
  std::vector<std::array<std::size_t, 256>> counts(static_cast<std::size_t>(digits));
  for (auto& c : counts) c.fill(0);
  for (const KeyHash& e : v) {
    std::uint64_t k = key(e) >> lo_bit;
    for (int d = 0; d < digits; ++d, k >>= 8) ++counts[static_cast<std::size_t>(d)][k & 255];
  }
  tmp.resize(n);
  for (int d = 0; d < digits; ++d) {
    auto& c = counts[static_cast<std::size_t>(d)];
    if (std::find(c.begin(), c.end(), n) != c.end()) continue;
    std::size_t sum = 0;
    for (auto& x : c) {
      const std::size_t here = x;
      x = sum;
      sum += here;
    }
    const int shift = lo_bit + 8 * d;
    for (const KeyHash& e : v) tmp[c[(key(e) >> shift) & 255]++] = e;
    v.swap(tmp);
  }
}

// By hash (ties keep their order, which is line order for everything this file sorts). Radix on
// the top 32 bits, whose top byte is the partition's and costs nothing, then the rare runs that
// agree on all 32 (about 1 in 2^24 pairs per partition) are finished with a comparison sort: three
// passes instead of seven.
void sort_by_hash(std::vector<KeyHash>& v, std::vector<KeyHash>& tmp) {
  constexpr int kLo = 32;
  radix_sort(v, tmp, [](const KeyHash& e) { return e.hash; }, kLo);
  for (std::size_t i = 0; i < v.size();) {
    std::size_t j = i + 1;
    while (j < v.size() && (v[j].hash >> kLo) == (v[i].hash >> kLo)) ++j;
    if (j - i > 1)
      std::stable_sort(v.begin() + static_cast<std::ptrdiff_t>(i), v.begin() + static_cast<std::ptrdiff_t>(j),
                       [](const KeyHash& a, const KeyHash& b) { return a.hash < b.hash; });
    i = j;
  }
}

void sort_by_line(std::vector<KeyHash>& v, std::vector<KeyHash>& tmp) {
  radix_sort(v, tmp, [](const KeyHash& e) { return e.line; }, 0);
}

enum class Order { by_hash, by_line };

bool before(Order o, const KeyHash& a, const KeyHash& b) {
  if (o == Order::by_line) return a.line < b.line;
  return a.hash != b.hash ? a.hash < b.hash : a.line < b.line;
}

// An external sort of KeyHash: batches of up to half the budget are sorted in memory (the other
// half is the radix scratch) and appended to one file as runs; the last batch stays in memory.
class KeyHashRuns {
 public:
  KeyHashRuns(Order order, SpillDir& dir, std::string name, std::size_t budget_bytes)
      : order_(order), dir_(dir), name_(std::move(name)),
        batch_cap_(std::max<std::size_t>(budget_bytes / 2 / sizeof(KeyHash), 1024)) {}

  void add(const KeyHash& e) {
    if (batch_.size() == batch_.capacity()) {
      if (batch_.size() >= batch_cap_) write_run();
      else batch_.reserve(std::min(batch_cap_, std::max<std::size_t>(4096, batch_.capacity() * 2)));
    }
    batch_.push_back(e);
  }

  void finish() {
    sort(batch_);
    std::vector<KeyHash>().swap(tmp_);
  }

  std::uint64_t spilled_bytes() const { return file_bytes_; }

  // Merges the runs in order; valid while this object lives and does not change.
  class Reader {
   public:
    Reader(const KeyHashRuns& r, std::size_t buffer_bytes) : order_(r.order_), heap_(Cmp{this}) {
      const std::size_t per_run = std::clamp<std::size_t>(buffer_bytes / std::max<std::size_t>(1, r.runs_.size()),
                                                          64u << 10, 4u << 20);
      for (const auto& run : r.runs_) {
        auto& c = cursors_.emplace_back();
        c.file.emplace(r.file_.get(), run.first, run.second, per_run);
      }
      if (!r.batch_.empty()) {
        auto& c = cursors_.emplace_back();
        c.mem = r.batch_.data();
        c.mem_end = r.batch_.data() + r.batch_.size();
      }
      for (std::size_t i = 0; i < cursors_.size(); ++i)
        if (advance(cursors_[i])) heap_.push(i);
    }
    Reader(const Reader&) = delete;  // the heap's comparator points back here
    Reader& operator=(const Reader&) = delete;

    bool next(KeyHash& out) {
      if (heap_.empty()) return false;
      const std::size_t i = heap_.top();
      heap_.pop();
      out = cursors_[i].cur;
      if (advance(cursors_[i])) heap_.push(i);
      return true;
    }

   private:
    struct Cursor {
      std::optional<RangeReader> file;
      const KeyHash* mem = nullptr;
      const KeyHash* mem_end = nullptr;
      KeyHash cur{};
    };
    static bool advance(Cursor& c) {
      if (c.file) return c.file->read(&c.cur, sizeof c.cur);
      if (c.mem == c.mem_end) return false;
      c.cur = *c.mem++;
      return true;
    }
    struct Cmp {
      const Reader* r;
      bool operator()(std::size_t a, std::size_t b) const {
        return before(r->order_, r->cursors_[b].cur, r->cursors_[a].cur);  // min-heap
      }
    };
    Order order_;
    std::deque<Cursor> cursors_;  // stable addresses while the heap refers to them by index
    std::priority_queue<std::size_t, std::vector<std::size_t>, Cmp> heap_;
  };

 private:
  void sort(std::vector<KeyHash>& v) {
    if (order_ == Order::by_line) sort_by_line(v, tmp_);
    else sort_by_hash(v, tmp_);
  }
  void write_run() {
    sort(batch_);
    if (!file_) file_ = std::make_unique<SpillFile>(dir_.path() / name_, O_RDWR | O_CREAT | O_TRUNC);
    const std::size_t bytes = batch_.size() * sizeof(KeyHash);
    file_->write_all(batch_.data(), bytes);
    runs_.emplace_back(file_bytes_, file_bytes_ + bytes);
    file_bytes_ += bytes;
    batch_.clear();
  }

  Order order_;
  SpillDir& dir_;
  std::string name_;
  std::size_t batch_cap_;
  std::vector<KeyHash> batch_, tmp_;
  std::unique_ptr<SpillFile> file_;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> runs_;  // byte ranges in file_
  std::uint64_t file_bytes_ = 0;
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// CandidateSet

struct CandidateSet::Store {
  Store(const fs::path& parent, std::size_t budget) : dir(parent), runs(Order::by_line, dir, "candidates", budget) {}
  SpillDir dir;
  KeyHashRuns runs;
};

struct CandidateSet::Reader::Impl {
  Impl(const KeyHashRuns& r, std::size_t buffer_bytes) : reader(r, buffer_bytes) {}
  KeyHashRuns::Reader reader;
};

CandidateSet::CandidateSet() = default;
CandidateSet::CandidateSet(CandidateSet&&) noexcept = default;
CandidateSet& CandidateSet::operator=(CandidateSet&&) noexcept = default;
CandidateSet::~CandidateSet() = default;
CandidateSet::Reader::Reader() = default;
CandidateSet::Reader::Reader(Reader&&) noexcept = default;
CandidateSet::Reader& CandidateSet::Reader::operator=(Reader&&) noexcept = default;
CandidateSet::Reader::~Reader() = default;

std::uint64_t CandidateSet::spilled_bytes() const { return store_ ? store_->runs.spilled_bytes() : 0; }

CandidateSet::Reader CandidateSet::reader(std::size_t buffer_bytes) const {
  Reader r;
  if (store_) r.impl_ = std::make_unique<Reader::Impl>(store_->runs, buffer_bytes);
  return r;
}

bool CandidateSet::Reader::next(KeyHash& out) { return impl_ && impl_->reader.next(out); }

// ---------------------------------------------------------------------------------------------
// DuplicateKeyIndex

// Partitions hold their pairs encoded: the partition index is the hash's top byte, so 7 bytes of
// hash remain, and a partition's lines ascend, so a zigzag varint of the line delta (about 256 rows
// apart at 256 partitions: 1-2 bytes) replaces 8 bytes of line. About 9 bytes a row instead of 16
// doubles what fits in memory and halves the spill I/O, which is what limits add() once it spills.
// A block is what one spill writes: a header {entries, payload bytes}, then the payload.
struct DuplicateKeyIndex::Partition {
  std::unique_ptr<unsigned char[]> data;  // the current block's payload
  std::size_t used = 0, capacity = 0;
  std::uint32_t count = 0;                // entries in the current block
  std::uint64_t prev_line = 0;            // delta base; 0 at each block start
  std::uint64_t on_disk = 0;              // entries already in the partition's file
  std::uint64_t disk_bytes = 0;
};

namespace {
static_assert(std::endian::native == std::endian::little, "the spill encoding writes 7 of 8 hash bytes");
constexpr std::size_t kPartitions = 256;
constexpr std::size_t kMaxRecord = 8 + 10;  // 8-byte store for the 7 hash bytes, 10-byte varint
fs::path partition_file(const fs::path& dir, std::size_t p) { return dir / fmt::format("p{:03}", p); }

struct BlockHeader {
  std::uint32_t count, bytes;
};

// Appends one block's entries, restoring each hash's top byte from the partition index.
void decode_block(const unsigned char* in, std::uint32_t count, std::size_t partition, std::vector<KeyHash>& out) {
  const std::uint64_t top = static_cast<std::uint64_t>(partition) << 56;
  std::uint64_t line = 0;
  for (std::uint32_t i = 0; i < count; ++i) {
    std::uint64_t h;
    std::memcpy(&h, in, 8);  // the 8th byte is the varint's first: masked off
    in += 7;
    std::uint64_t z = 0;
    for (int shift = 0;; shift += 7) {
      const unsigned char b = *in++;
      z |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) break;
    }
    line += (z >> 1) ^ (~(z & 1) + 1);
    out.push_back({top | (h & 0x00ffffffffffffffull), line});
  }
}

// Reads a partition file block by block.
class PartitionReader {
 public:
  PartitionReader(const fs::path& file, std::uint64_t bytes)
      : in_(file, O_RDONLY), range_(&in_, 0, bytes, 4u << 20) {}
  bool next(std::size_t partition, std::vector<KeyHash>& out) {
    BlockHeader h;
    if (!range_.read(&h, sizeof h)) return false;
    payload_.resize(h.bytes);
    if (h.bytes && !range_.read(payload_.data(), h.bytes)) io_failure("read", in_.path(), 0);
    decode_block(payload_.data(), h.count, partition, out);
    return true;
  }

 private:
  SpillFile in_;
  RangeReader range_;
  std::vector<unsigned char> payload_;
};
}  // namespace

DuplicateKeyIndex::DuplicateKeyIndex(fs::path spill_dir, std::size_t memory_budget_bytes)
    : dir_(std::move(spill_dir)), budget_(std::max<std::size_t>(memory_budget_bytes, 256u << 10)),
      partition_cap_(budget_ / 2 / kPartitions), parts_(kPartitions) {}

DuplicateKeyIndex::~DuplicateKeyIndex() = default;

void DuplicateKeyIndex::add(const KeyHash* entries, std::size_t n, std::uint64_t line_offset) {
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t hash = entries[i].hash;
    const std::size_t p = static_cast<std::size_t>(hash >> 56);
    Partition& part = parts_[p];
    if (part.used + kMaxRecord > part.capacity) {
      // Geometric growth up to the cap, so a small file costs little; at the cap the block goes
      // to disk in one write and the buffer is reused.
      if (part.capacity >= partition_cap_) {
        spill(p);
      } else {
        const std::size_t cap = std::min(partition_cap_, std::max<std::size_t>(4096, part.capacity * 2));
        auto grown = std::make_unique_for_overwrite<unsigned char[]>(cap);
        if (part.used) std::memcpy(grown.get(), part.data.get(), part.used);
        part.data = std::move(grown);
        part.capacity = cap;
      }
    }
    unsigned char* o = part.data.get() + part.used;
    std::memcpy(o, &hash, 8);
    o += 7;
    const std::uint64_t line = entries[i].line + line_offset;
    const auto delta = static_cast<std::int64_t>(line - part.prev_line);
    std::uint64_t z = (static_cast<std::uint64_t>(delta) << 1) ^ static_cast<std::uint64_t>(delta >> 63);
    while (z >= 0x80) {
      *o++ = static_cast<unsigned char>(z | 0x80);
      z >>= 7;
    }
    *o++ = static_cast<unsigned char>(z);
    part.prev_line = line;
    part.used = static_cast<std::size_t>(o - part.data.get());
    ++part.count;
  }
  rows_ += n;
}

void DuplicateKeyIndex::spill(std::size_t p) {
  Partition& part = parts_[p];
  if (part.count == 0) return;
  SpillFile f(partition_file(dir_.path(), p), O_WRONLY | O_CREAT | O_APPEND);
  const BlockHeader h{part.count, static_cast<std::uint32_t>(part.used)};
  f.write_all(&h, sizeof h);
  f.write_all(part.data.get(), part.used);
  part.on_disk += part.count;
  part.disk_bytes += sizeof h + part.used;
  spilled_bytes_ += sizeof h + part.used;
  spilled_ = true;
  part.used = 0;
  part.count = 0;
  part.prev_line = 0;
}

namespace {
// Sorts one partition's entries and keeps only the rows whose hash repeats, in place (so a partition
// that is all candidates needs no second buffer). Returns the number of groups.
std::uint64_t keep_repeated(std::vector<KeyHash>& entries, std::vector<KeyHash>& tmp) {
  sort_by_hash(entries, tmp);
  std::uint64_t groups = 0;
  std::size_t kept = 0;
  for (std::size_t i = 0; i < entries.size();) {
    std::size_t j = i + 1;
    while (j < entries.size() && entries[j].hash == entries[i].hash) ++j;
    if (j - i > 1) {
      ++groups;
      for (std::size_t k = i; k < j; ++k) entries[kept++] = entries[k];
    }
    i = j;
  }
  entries.resize(kept);
  return groups;
}
}  // namespace

// A partition too big to sort in memory: in practice one key repeated tens of millions of times.
// Sorted externally; groups are found on the merged stream holding one entry of lookahead, so even
// a single group of a billion rows needs no memory beyond the sort's.
void DuplicateKeyIndex::emit_partition_external(std::size_t p, CandidateSet& out) {
  KeyHashRuns sorter(Order::by_hash, dir_, fmt::format("x{:03}", p), budget_ / 2);
  {
    PartitionReader in(partition_file(dir_.path(), p), parts_[p].disk_bytes);
    std::vector<KeyHash> block;
    while (in.next(p, block)) {
      for (const KeyHash& e : block) sorter.add(e);
      block.clear();
    }
    decode_block(parts_[p].data.get(), parts_[p].count, p, block);  // empty after the final spill
    for (const KeyHash& e : block) sorter.add(e);
  }
  sorter.finish();
  spilled_bytes_ += sorter.spilled_bytes();
  KeyHashRuns::Reader merged(sorter, budget_ / 16);
  KeyHash prev{}, e;
  bool have_prev = false, in_group = false;
  while (merged.next(e)) {
    if (have_prev && e.hash == prev.hash) {
      if (!in_group) {
        ++out.groups_;
        ++out.rows_;
        out.store_->runs.add(prev);
        in_group = true;
      }
      ++out.rows_;
      out.store_->runs.add(e);
    } else {
      in_group = false;
    }
    prev = e;
    have_prev = true;
  }
}

CandidateSet DuplicateKeyIndex::candidates() {
  if (finished_) throw std::logic_error("DuplicateKeyIndex::candidates() called twice");
  finished_ = true;
  CandidateSet out;
  out.store_ = std::make_unique<CandidateSet::Store>(dir_.parent(), budget_ / 4);
  // Once anything is on disk, everything goes there, so the in-memory partitions do not sit on
  // memory while the spilled ones are loaded and sorted.
  if (spilled_)
    for (std::size_t p = 0; p < kPartitions; ++p) spill(p);

  // The scan is over and its workers idle, so partitions are sorted on every core; each thread gets
  // an equal share of half the budget for the partition it holds (entries plus radix scratch).
  const std::size_t threads = std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, 16);
  const std::size_t per_thread = budget_ / 2 / threads;
  std::atomic<std::size_t> next{0};
  std::mutex m;
  std::exception_ptr error;
  std::vector<std::size_t> external;
  auto work = [&] {
    std::vector<KeyHash> entries, tmp;
    try {
      for (std::size_t p; (p = next.fetch_add(1)) < kPartitions;) {
        Partition& part = parts_[p];
        const std::uint64_t n = part.on_disk + part.count;
        if (n >= 2 && n * 2 * sizeof(KeyHash) > per_thread) {  // in memory it would be under the cap
          std::lock_guard lock(m);
          external.push_back(p);
          continue;
        }
        entries.clear();
        if (n >= 2) {
          if (part.on_disk) {
            PartitionReader in(partition_file(dir_.path(), p), part.disk_bytes);
            while (in.next(p, entries)) {
            }
          }
          decode_block(part.data.get(), part.count, p, entries);
        }
        if (part.on_disk) {
          std::error_code ec;
          fs::remove(partition_file(dir_.path(), p), ec);  // give the disk back as we go
        }
        part = Partition{};
        if (entries.size() < 2) continue;
        const std::uint64_t groups = keep_repeated(entries, tmp);
        std::lock_guard lock(m);
        out.groups_ += groups;
        out.rows_ += entries.size();
        for (const KeyHash& e : entries) out.store_->runs.add(e);
      }
    } catch (...) {
      std::lock_guard lock(m);
      if (!error) error = std::current_exception();
      next = kPartitions;
    }
  };
  {
    std::vector<std::jthread> pool;
    for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(work);
    work();
  }
  if (error) std::rethrow_exception(error);

  std::sort(external.begin(), external.end());
  for (std::size_t p : external) {
    emit_partition_external(p, out);
    std::error_code ec;
    fs::remove(partition_file(dir_.path(), p), ec);
    parts_[p] = Partition{};
  }
  out.store_->runs.finish();
  spilled_bytes_ += out.store_->runs.spilled_bytes();
  return out;
}

// ---------------------------------------------------------------------------------------------
// KeyGrouper

struct KeyGrouper::Impl {
  struct Ref {
    std::uint64_t hash, line;
    std::uint32_t offset, size;  // in arena
  };
  struct Record {
    std::uint64_t hash = 0, line = 0;
    std::string key;
  };

  Impl(fs::path parent, std::size_t budget_bytes)
      : dir(std::move(parent)), budget(std::max<std::size_t>(budget_bytes, 1u << 16)) {}

  static bool less(std::uint64_t ha, std::string_view ka, std::uint64_t la, std::uint64_t hb, std::string_view kb,
                   std::uint64_t lb) {
    if (ha != hb) return ha < hb;
    if (const int c = ka.compare(kb)) return c < 0;
    return la < lb;
  }
  std::string_view key_of(const Ref& r) const { return {arena.data() + r.offset, r.size}; }

  void add(std::uint64_t hash, std::uint64_t line, std::string_view key) {
    // Fixed capacities, reserved once, so the batch never exceeds the budget by a doubling; pages
    // not written are not resident, so a handful of candidates costs no more than before.
    const std::size_t ref_cap = std::max<std::size_t>(budget / 2 / sizeof(Ref), 1);
    const std::size_t arena_cap = std::min<std::size_t>(budget / 2, UINT32_MAX);
    if (refs.capacity() < ref_cap) {
      refs.reserve(ref_cap);
      arena.reserve(arena_cap);
    }
    if (!refs.empty() && (refs.size() == ref_cap || arena.size() + key.size() > arena_cap)) write_run();
    refs.push_back({hash, line, static_cast<std::uint32_t>(arena.size()), static_cast<std::uint32_t>(key.size())});
    arena.append(key);  // a single key longer than the arena (a 100 MB field) overshoots once
  }

  void sort_batch() {
    std::sort(refs.begin(), refs.end(), [&](const Ref& a, const Ref& b) {
      return less(a.hash, key_of(a), a.line, b.hash, key_of(b), b.line);
    });
  }

  void write_run() {
    sort_batch();
    if (!file) file = std::make_unique<SpillFile>(dir.path() / "keys", O_RDWR | O_CREAT | O_TRUNC);
    std::string out;
    const std::uint64_t begin = file_bytes;
    for (const Ref& r : refs) {
      char head[20];
      std::memcpy(head, &r.hash, 8);
      std::memcpy(head + 8, &r.line, 8);
      std::memcpy(head + 16, &r.size, 4);
      out.append(head, sizeof head);
      out.append(key_of(r));
      if (out.size() >= (1u << 20)) {
        file->write_all(out.data(), out.size());
        file_bytes += out.size();
        out.clear();
      }
    }
    file->write_all(out.data(), out.size());
    file_bytes += out.size();
    runs.emplace_back(begin, file_bytes);
    refs.clear();
    arena.clear();
  }

  // Walks records in (hash, key, line) order and reports each key seen more than once.
  template <class Next>
  static void group(Next next, const GroupFn& fn) {
    Record r;
    std::string key;
    std::uint64_t hash = 0, count = 0;
    std::uint64_t lines[5];
    auto flush = [&] {
      if (count > 1) fn(key, count, lines, static_cast<std::size_t>(std::min<std::uint64_t>(count, 5)));
    };
    while (next(r)) {
      if (count > 0 && r.hash == hash && r.key == key) {
        if (count < 5) lines[count] = r.line;
        ++count;
        continue;
      }
      flush();
      hash = r.hash;
      key.swap(r.key);
      lines[0] = r.line;
      count = 1;
    }
    flush();
  }

  void finish(const GroupFn& fn) {
    if (runs.empty()) {
      sort_batch();
      std::size_t i = 0;
      group(
          [&](Record& r) {
            if (i == refs.size()) return false;
            r.hash = refs[i].hash;
            r.line = refs[i].line;
            r.key.assign(key_of(refs[i]));
            ++i;
            return true;
          },
          fn);
      return;
    }
    if (!refs.empty()) write_run();
    std::string().swap(arena);
    std::vector<Ref>().swap(refs);

    struct Cursor {
      RangeReader in;
      Record cur;
    };
    const std::size_t per_run = std::clamp<std::size_t>(budget / 2 / runs.size(), 64u << 10, 4u << 20);
    std::deque<Cursor> cursors;
    auto advance = [](Cursor& c) {
      char head[20];
      if (!c.in.read(head, sizeof head)) return false;
      std::uint32_t size;
      std::memcpy(&c.cur.hash, head, 8);
      std::memcpy(&c.cur.line, head + 8, 8);
      std::memcpy(&size, head + 16, 4);
      c.cur.key.resize(size);
      if (size && !c.in.read(c.cur.key.data(), size)) io_failure("read", "keys", 0);
      return true;
    };
    auto cmp = [&](std::size_t a, std::size_t b) {
      const Record& x = cursors[a].cur;
      const Record& y = cursors[b].cur;
      return less(y.hash, y.key, y.line, x.hash, x.key, x.line);  // min-heap
    };
    std::priority_queue<std::size_t, std::vector<std::size_t>, decltype(cmp)> heap(cmp);
    for (const auto& run : runs) {
      cursors.push_back({RangeReader(file.get(), run.first, run.second, per_run), {}});
      if (advance(cursors.back())) heap.push(cursors.size() - 1);
    }
    group(
        [&](Record& r) {
          if (heap.empty()) return false;
          const std::size_t i = heap.top();
          heap.pop();
          r.hash = cursors[i].cur.hash;
          r.line = cursors[i].cur.line;
          r.key.swap(cursors[i].cur.key);
          if (advance(cursors[i])) heap.push(i);
          return true;
        },
        fn);
  }

  SpillDir dir;
  std::size_t budget;
  std::string arena;
  std::vector<Ref> refs;
  std::unique_ptr<SpillFile> file;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> runs;
  std::uint64_t file_bytes = 0;
};

KeyGrouper::KeyGrouper(fs::path spill_dir, std::size_t memory_budget_bytes)
    : impl_(std::make_unique<Impl>(std::move(spill_dir), memory_budget_bytes)) {}
KeyGrouper::~KeyGrouper() = default;
void KeyGrouper::add(std::uint64_t hash, std::uint64_t line, std::string_view key) { impl_->add(hash, line, key); }
void KeyGrouper::finish(const GroupFn& group) { impl_->finish(group); }
std::uint64_t KeyGrouper::spilled_bytes() const { return impl_->file_bytes; }

}  // namespace sluice
