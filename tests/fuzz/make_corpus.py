#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz targets: small nasty files, each behind the configuration
bytes that tests/fuzz/fuzz_case.cpp decodes (keep the two in step). Run it after changing that
layout; the files it writes are committed so a fresh clone can fuzz at once.

    tests/fuzz/make_corpus.py            # rewrites tests/fuzz/corpus/<target>/seed-*
"""
import gzip
import pathlib

TARGETS = ["fuzz_chunk_scanner", "fuzz_pipeline"]
DELIMITERS = {"\t": 0, ",": 1, ";": 2, "|": 3}
NULL_MARKERS = {"": 0, "\\N": 1, "NULL": 2, "NA": 3}
TYPES = {"text": 0, "varchar(5)": 1, "smallint": 2, "bigint": 3, "numeric(6,2)": 4, "double": 5,
         "boolean": 6, "timestamp": 7}


def config(csv=False, delimiter=None, escapes=False, header=False, latin1=False, null="",
           columns=3, date_field=0, january_2024=True, dotted_dates=False, chunk=64, max_read=0,
           required=0b010, types=("text", "text", "text"), two_workers=True, skip_bad_rows=False,
           check_dates=True, single_quote=False, rejects_kept=3):
    """The kConfigBytes (9) bytes in front of every input."""
    if delimiter is None:
        delimiter = "," if csv else "\t"
    b0 = (csv << 0) | (DELIMITERS[delimiter] << 1) | (escapes << 3) | (header << 4) | (latin1 << 5) \
        | (NULL_MARKERS[null] << 6)
    b1 = (columns - 1) | ((date_field if date_field is not None else 7) << 3) | (january_2024 << 6) \
        | (dotted_dates << 7)
    # chunk = min(4096, 64 + b2 * scale), scale = (1, 2, 4, 16)[b3 & 3]
    scale_code, b2 = next((code, (chunk - 64) // scale) for code, scale in enumerate((1, 2, 4, 16))
                          if (chunk - 64) % scale == 0 and (chunk - 64) // scale <= 255)
    max_read_shift = max_read.bit_length() - 1 if max_read else 0
    b3 = scale_code | (max_read_shift << 4)
    type_bits = 0
    for i, t in enumerate(types):
        type_bits |= TYPES[t] << (3 * i)
    b8 = two_workers | (skip_bad_rows << 1) | ((not check_dates) << 2) | (single_quote << 3) \
        | (((rejects_kept - 1) & 7) << 4)
    return bytes([b0, b1, b2, b3, required, type_bits & 0xFF, (type_bits >> 8) & 0xFF,
                  (type_bits >> 16) & 0xFF, b8])


def rows(n, fmt, start=0):
    return "".join(fmt.format(i=i, day=1 + (i % 28)) for i in range(start, start + n))


def seeds():
    """(name, config bytes, content bytes)."""
    tsv_rows = rows(40, "2024-01-{day:02d}\t{i}\tnote {i}\n")
    csv_rows = rows(40, '2024-01-{day:02d},{i},"note, {i}"\n')
    yield "tsv_clean", config(), tsv_rows.encode()
    yield "csv_clean", config(csv=True), csv_rows.encode()
    # Quoted newlines, some right at 64-byte chunk edges, and CRLF inside and after quotes.
    yield "csv_quoted_newlines", config(csv=True, chunk=64), "".join(
        f'2024-01-{1 + i % 9:02d},{i},"line one\nline two{"x" * (i % 7)}"\n' for i in range(30)).encode()
    yield "csv_crlf", config(csv=True, chunk=70), "".join(
        f'2024-01-0{1 + i % 9},{i},"a\r\nb"\r\n' for i in range(30)).encode()
    yield "tsv_crlf", config(chunk=65), rows(40, "2024-01-{day:02d}\t{i}\tx\r\n").encode()
    yield "csv_bom_header", config(csv=True, header=True), \
        b"\xef\xbb\xbfc1,c2,c3\r\n" + csv_rows.encode()
    yield "tsv_bom_header_mismatch", config(header=True), b"\xef\xbb\xbfDAY\tID\n" + tsv_rows.encode()
    yield "csv_header_quoted_newline", config(csv=True, header=True), \
        b'"c\n1",c2,"c""3"\n' + csv_rows.encode()
    # The header's quote closes on the next line, where reading from the first newline would open one.
    yield "csv_header_quote_closes_on_line_2", config(csv=True, header=True, columns=2, date_field=None),\
        b'"a\n",c\n' + b"1,2\n" * 50
    # A BOM, then a quoted newline in the very first field.
    yield "csv_bom_quoted_first_field", config(csv=True, columns=2, date_field=None), \
        b'\xef\xbb\xbf"a\n' + b"b" * 70 + b'",c\n' + b"2,d\n" * 20
    # Ragged rows, blank lines and a last row without a newline.
    yield "tsv_ragged", config(chunk=80), (tsv_rows[:300] + "2024-01-02\t7\n\n\n2024-01-03\t8\ta\tb\n"
                                           + tsv_rows[300:] + "2024-01-04\t9").encode()
    yield "csv_ragged_single_column", config(csv=True, columns=1, date_field=None, required=1),\
        b'a\n\n"b,c"\nd,e\n\n"f\n\ng"\n'
    # Bytes that are not UTF-8: a lone continuation byte, a truncated sequence at a row end,
    # an overlong form, a surrogate, a NUL.
    yield "invalid_utf8_and_nul", config(chunk=64), (
        b"2024-01-01\t1\tok \xc3\xa9\n2024-01-02\t2\tbad \x80 byte\n2024-01-03\t3\tcut \xe2\x82\n"
        b"2024-01-04\t4\toverlong \xc0\xaf\n2024-01-05\t5\tsurrogate \xed\xa0\x80\n"
        b"2024-01-06\t6\tnul \x00 inside\n" + tsv_rows.encode())
    yield "latin1", config(latin1=True), "2024-01-01\t1\tcaf\xe9 cr\xe8me \xff\n".encode("latin-1") * 12
    yield "csv_unterminated_quote_mid_file", config(csv=True, chunk=64), (
        csv_rows[:200] + '2024-01-05,99,"never closed\n' + csv_rows[200:]).encode()
    yield "csv_unterminated_quote_at_end", config(csv=True), (csv_rows + '2024-01-06,100,"open\n').encode()
    # Doubled quotes, text after a closing quote, a lone CR after a closing quote (it ends the row).
    yield "csv_quote_corners", config(csv=True, chunk=64), (
        '2024-01-01,1,"a ""quoted"" word"\n2024-01-02,2,"closed"then text\n'
        '2024-01-03,3,"x"\r2024-01-04,4,"y"\n2024-01-05,5,""\n2024-01-06,6,"""\n"""\n' * 4).encode()
    # A quote inside an unquoted field is text, and must not hide the newlines after it.
    yield "csv_inch_marks", config(csv=True, chunk=64), (
        '2024-01-01,1,27" monitor\n2024-01-02,2,ok\n2024-01-03,3,"two\nlines"\n' * 6).encode()
    yield "csv_single_quote", config(csv=True, single_quote=True, delimiter=";"), (
        "2024-01-01;1;'it''s; fine'\n2024-01-02;2;'multi\nline'\n2024-01-03;3;\"not a quote\"\n" * 5).encode()
    yield "tsv_backslash_escapes", config(escapes=True, null="\\N"), (
        "2024-01-01\t1\ttab\\there\n2024-01-02\t\\N\tnull id\n2024-01-03\t3\tback\\\\slash\\\n"
        "2024-01-04\t4\t\\N\n" * 6).encode()
    yield "tsv_null_markers", config(null="NULL", required=0b110), (
        "2024-01-01\tNULL\tx\n2024-01-02\t2\tNULL\n2024-01-03\t3\t\n" * 8).encode()
    yield "csv_types", config(csv=True, columns=8, date_field=7, required=0b10000001,
                              types=("varchar(5)", "smallint", "bigint", "numeric(6,2)", "double",
                                     "boolean", "timestamp", "text")), (
        "abcde,32767,9223372036854775807,9999.99,1e308,true,2024-01-01 10:00:00,2024-01-01\n"
        "abcdef,32768,9223372036854775808,10000.00,1e309,maybe,2024-01-01 25:00,2024-01-32\n"
        '"é",-1,-0,-.5,NaN,f,"2024-02-29 00:00:00+00",2024-02-01\n'
        ",, , 1 ,Infinity,yes,2024-13-01,\n" * 4).encode()
    yield "tsv_dotted_dates_out_of_range", config(dotted_dates=True, skip_bad_rows=True, rejects_kept=2), (
        "31.01.2024\t1\ta\n01.02.2024\t2\tb\n30.02.2024\t3\tc\n2024-01-05\t4\td\n\t5\te\n" * 6).encode()
    yield "tsv_short_reads", config(max_read=4, chunk=64), tsv_rows.encode()
    yield "csv_long_row", config(csv=True, chunk=64), (
        '2024-01-01,1,"' + "long field, " * 60 + '"\n' + csv_rows).encode()
    # Line ends of every kind: a lone CR (old Mac), CR CR LF, mixed in one file, quoted CRs, and
    # blank lines at the end, which are not rows (and in the middle, which are).
    yield "tsv_bare_cr", config(chunk=64), rows(30, "2024-01-{day:02d}\t{i}\tx\r").encode()
    yield "csv_bare_cr_quoted", config(csv=True, delimiter="|", chunk=64), rows(
        20, '2024-01-{day:02d}|{i}|"p\r{i}"\r').encode()
    yield "csv_cr_cr_lf", config(csv=True, chunk=64), rows(30, "2024-01-{day:02d},{i},one\r\r\n").encode()
    yield "tsv_mixed_line_ends", config(chunk=64), (
        "2024-01-01\t1\ta\n2024-01-02\t2\tb\r\n2024-01-03\t3\tc\r2024-01-04\t4\td\r\r\n" * 8).encode()
    yield "csv_trailing_blank_lines", config(csv=True, chunk=64), (
        csv_rows[:300] + "\r\n\r\n" + csv_rows[300:] + "\r\n\r\n\r\n\r\n\n\r\r").encode()
    yield "tsv_trailing_blank_lines_one_column", config(columns=1, date_field=None, required=0, chunk=64), (
        "a\n\nb\n" + "\n" * 150).encode()
    # Quotes RFC 4180 does not allow: inside an unquoted field, text after a closing quote,
    # backslash escapes (DuckDB's bad_escape.csv), a closing quote on the next line.
    yield "csv_stray_quotes", config(csv=True, chunk=64), (
        '2024-01-01,1,"foo (\\"foo\\")"\n2024-01-02,2,"Pedro "the" legend"\n'
        '2024-01-03,3,"bla\n"bla\n2024-01-04,4,a"b"c\n' * 5).encode()
    yield "empty", config(), b""
    yield "only_newlines", config(csv=True, columns=1, date_field=None), b"\n\r\n\n"
    # A compressed file: run_pipeline recognises gzip by its magic bytes (fuzz_pipeline only).
    yield "csv_gzip", config(csv=True), gzip.compress(csv_rows.encode(), mtime=0)


def main():
    here = pathlib.Path(__file__).resolve().parent
    for target in TARGETS:
        out = here / "corpus" / target
        out.mkdir(parents=True, exist_ok=True)
        for old in out.glob("seed-*"):
            old.unlink()
        for name, head, body in seeds():
            (out / f"seed-{name}").write_bytes(head + body)


if __name__ == "__main__":
    main()
