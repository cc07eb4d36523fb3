#!/usr/bin/python3
"""The reference reading for the peer-CSV corpus test (tests/unit/peer_csv_corpus_test.cpp).

Reads every file the corpus manifest lists with Python's csv module and the manifest's dialect
(delimiter; RFC 4180 quoting with doubled quotes, lenient, or no quoting), and prints, as JSON,
each file's number of fields per record in file order: 0 for a blank line, which csv.reader
returns as an empty record. The test turns that into what sluice should report.

Usage: csv_reference.py CORPUS_DIR
"""
import csv
import gzip
import io
import json
import sys
from pathlib import Path


def manifest(corpus):
    for line in (corpus / "manifest.tsv").read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        name, delimiter, quote = line.split("\t")[:3]
        yield name, "\t" if delimiter == "\\t" else delimiter, quote


def fields_per_record(path, delimiter, quote):
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    # Latin-1 turns each byte into one character, so delimiters, quotes and line ends stay where the
    # bytes are whatever the encoding; newline="" lets the csv module see the line ends as written.
    text = io.StringIO(data.decode("latin-1"), newline="")
    if quote == "none":
        reader = csv.reader(text, delimiter=delimiter, quoting=csv.QUOTE_NONE, strict=False)
    else:
        reader = csv.reader(text, delimiter=delimiter, quotechar=quote, doublequote=True, strict=False)
    return [len(record) for record in reader]


def main():
    corpus = Path(sys.argv[1])
    csv.field_size_limit(sys.maxsize)
    out = {}
    for name, delimiter, quote in manifest(corpus):
        out[name] = {"delimiter": delimiter, "quote": quote,
                     "fields": fields_per_record(corpus / name, delimiter, quote)}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
