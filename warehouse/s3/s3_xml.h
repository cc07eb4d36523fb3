// Just enough XML for S3's answers (flat documents of simple elements, no attributes that matter,
// no CDATA): the text of an element, the bodies of repeated elements, entity decoding.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::s3::xml {

// Decoded text of the first <tag>...</tag> in `doc` (also matches <tag/> as ""), or nullopt.
std::optional<std::string> text(std::string_view doc, std::string_view tag);

// The raw inner content of every <tag>...</tag>, in order (not nested in each other).
std::vector<std::string_view> elements(std::string_view doc, std::string_view tag);

// &lt; &gt; &amp; &quot; &apos; &#N; &#xN; decoded.
std::string decode(std::string_view s);
// The reverse, for documents we send.
std::string escape(std::string_view s);

// The root element's name ("Error", "ListBucketResult"), skipping the <?xml ...?> prolog and
// whitespace (S3 pads a late CompleteMultipartUpload error with whitespace).
std::string root_name(std::string_view doc);

}  // namespace sluice::s3::xml
