// The key a Snowflake load is resumed by after its process died: the same files (path, size,
// time), target and staging settings give the same staged parts, so a later load with the same key
// checks that job's parts on the stage instead of uploading them again.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/config_model.h"
#include "operations/file_selection.h"
#include "operations/load_operation.h"

namespace sluice {

// `staged_format` names the parts' format (SnowflakeTarget::staged_format): a job that staged
// another format has another key and is never resumed by this one. 32 hex digits.
std::string snowflake_resume_key(std::string_view staged_format, const ConnectionSpec& connection,
                                 const LoadRequest& request, const std::vector<SelectedFile>& files);

}  // namespace sluice
