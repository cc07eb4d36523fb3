// UTF-8 checks for file QC and latin-1 input. The rules are PostgreSQL's for a UTF8 database
// (pg_utf8_islegal): overlong forms, surrogates (U+D800..U+DFFF), code points above U+10FFFF and
// truncated sequences are invalid, and so is the NUL byte, which COPY rejects. Noncharacters such
// as U+FFFE are valid, as they are to PostgreSQL.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace sluice {

// Offset of the first byte of the first ill-formed sequence (or NUL byte), or std::string_view::npos
// when all of [data, data + size) is valid. Pure-ASCII stretches are checked 64 bytes at a time.
std::size_t find_invalid_utf8(const char* data, std::size_t size);

// `s` with each byte of an ill-formed sequence (and each NUL) written as the four characters \xHH,
// so the result is valid UTF-8 (fit for JSON) and the original bytes can still be read off it.
// Valid text is copied as it is.
std::string escape_invalid_utf8(std::string_view s);

// Length of the valid UTF-8 character starting at data[0] (1..4), or 0 when data[0] starts an
// ill-formed sequence or is NUL.
std::size_t utf8_char_length(const char* data, std::size_t size);

// Number of code points in valid UTF-8 (what varchar(n) counts). On invalid input: the number of
// bytes that are not continuation bytes.
std::size_t utf8_length(const char* data, std::size_t size);

// Transcodes latin-1 (ISO-8859-1: byte b is code point U+00b, so 0x80..0x9F become the C1
// controls) to UTF-8. `out` must have room for 2 * size bytes; returns the bytes written. A NUL
// byte is copied as NUL; find_invalid_utf8 reports it afterwards.
std::size_t latin1_to_utf8(const char* data, std::size_t size, char* out);

// The same for Windows-1252 ("ANSI" exports from Excel and most Windows tools), which differs from
// latin-1 only in 0x80..0x9F: the euro sign, curly quotes, dashes, ... (the five bytes it leaves
// undefined stay C1 controls, as WHATWG's decoder does). `out` needs 3 * size bytes.
std::size_t windows1252_to_utf8(const char* data, std::size_t size, char* out);

}  // namespace sluice
