// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include <io.h>

#include <cstdio>

#include "tools/output.h"

namespace winsnap::tools {

bool StderrIsTerminal() { return ::_isatty(::_fileno(stderr)) != 0; }

}  // namespace winsnap::tools
