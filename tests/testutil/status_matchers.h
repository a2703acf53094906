// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// gmock matchers for Status/StatusOr: ASSERT_OK(expr), EXPECT_OK(expr) and
// StatusIs(code) print the failing Status on mismatch.

#ifndef WINSNAP_TESTS_TESTUTIL_STATUS_MATCHERS_H_
#define WINSNAP_TESTS_TESTUTIL_STATUS_MATCHERS_H_

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/status.h"

namespace winsnap::testing {

inline const Status& GetStatus(const Status& s) { return s; }
template <typename T>
Status GetStatus(const StatusOr<T>& s) {
  return s.status();
}

MATCHER(IsOk, "is OK") {
  Status s = GetStatus(arg);
  if (!s.ok()) *result_listener << "status is " << s;
  return s.ok();
}

MATCHER_P(StatusIs, code,
          std::string("has code ") + std::string(StatusCodeName(code))) {
  Status s = GetStatus(arg);
  *result_listener << "status is " << s;
  return s.code() == code;
}

MATCHER_P2(StatusIs, code, substr,
           std::string("has code ") + std::string(StatusCodeName(code)) +
               " and message containing \"" + std::string(substr) + "\"") {
  Status s = GetStatus(arg);
  *result_listener << "status is " << s;
  return s.code() == code && s.message().find(substr) != std::string::npos;
}

}  // namespace winsnap::testing

#define ASSERT_OK(expr) ASSERT_THAT((expr), ::winsnap::testing::IsOk())
#define EXPECT_OK(expr) EXPECT_THAT((expr), ::winsnap::testing::IsOk())
// ASSERT_OK_AND_ASSIGN(auto x, Foo());
#define ASSERT_OK_AND_ASSIGN(lhs, expr) \
  ASSERT_OK_AND_ASSIGN_IMPL_(WINSNAP_CONCAT_(assert_so_, __LINE__), lhs, expr)
#define ASSERT_OK_AND_ASSIGN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  ASSERT_OK(tmp);                                  \
  lhs = std::move(tmp).value()

#endif  // WINSNAP_TESTS_TESTUTIL_STATUS_MATCHERS_H_
