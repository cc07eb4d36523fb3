// The Reader stage: a file as a stream of uncompressed bytes. Plain, gzip (.gz, multi-member) and
// zstd (.zst, multi-frame) are recognised by their magic bytes, not their names. While reading it
// hashes the bytes as stored on disk and, for a compressed file, the bytes it decodes, so the load
// history's checksums cost no second pass.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

namespace sluice {

enum class Compression { none, gzip, zstd };
const char* to_string(Compression c);

// Where a ByteSource's stored bytes come from: a file, or anything else read front to back (an
// S3 object, piece by piece).
class RawInput {
 public:
  virtual ~RawInput();
  // Up to `size` bytes; 0 only at the end. Throws sluice::Error naming the input.
  virtual std::size_t read(char* out, std::size_t size) = 0;
  virtual std::uint64_t size() const = 0;  // the stored size (0 when unknown)
};

class ByteSource {
 public:
  virtual ~ByteSource();
  // Fills up to `size` bytes; returns 0 only at the end of the data. Throws sluice::Error on I/O
  // errors and on corrupt or truncated compressed data (naming the file and the byte offset).
  virtual std::size_t read(char* out, std::size_t size) = 0;

  Compression compression() const { return compression_; }
  std::uint64_t file_size() const { return file_size_; }
  std::uint64_t file_bytes_read() const { return file_bytes_read_; }  // compressed bytes consumed
  // XXH3-64 of the file's bytes as stored; valid once read() has returned 0.
  std::uint64_t file_checksum() const;
  // XXH3-64 of the bytes read() gives (the data after decompression): the same for file.tsv and
  // file.tsv.zst. Equal to file_checksum() for a plain file. Valid once read() has returned 0.
  std::uint64_t content_checksum() const;
  const std::filesystem::path& path() const { return path_; }

 protected:
  ByteSource(std::filesystem::path name, std::unique_ptr<RawInput> input, Compression c);
  ByteSource(const std::filesystem::path& file, Compression c);  // the file's bytes
  // Reads raw stored bytes (hashing them); returns 0 at the end.
  std::size_t read_file(char* out, std::size_t size);
  // A decoder's output: hashed for content_checksum(); returns n.
  std::size_t decoded(const char* out, std::size_t n);

  std::filesystem::path path_;
  Compression compression_;
  std::uint64_t file_size_ = 0;
  std::uint64_t file_bytes_read_ = 0;

 private:
  struct Hash;
  std::unique_ptr<RawInput> input_;
  std::unique_ptr<Hash> hash_;
  std::unique_ptr<Hash> content_hash_;  // compressed files only

 public:
  ByteSource(const ByteSource&) = delete;
  ByteSource& operator=(const ByteSource&) = delete;
};

// Opens a file and picks the decoder from its first bytes.
std::unique_ptr<ByteSource> open_byte_source(const std::filesystem::path& path);
// Decodes `input` (compressed as `c`); `name` is what errors call it ("s3://bucket/key").
std::unique_ptr<ByteSource> open_byte_source(std::string name, std::unique_ptr<RawInput> input, Compression c);

}  // namespace sluice
