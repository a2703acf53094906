// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include <unistd.h>

#include "tools/output.h"

namespace winsnap::tools {

bool StderrIsTerminal() { return ::isatty(STDERR_FILENO) == 1; }

}  // namespace winsnap::tools
