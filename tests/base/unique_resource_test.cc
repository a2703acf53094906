// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// UniqueResource: move, self-move, release and double-reset (STYLE rule 28),
// on a counting fake handle so every close is observed. The same template
// backs UniqueFd and the Win32 UniqueHandle.

#include "base/unique_resource.h"

#include <map>

#include <gtest/gtest.h>

namespace winsnap::base {
namespace {

std::map<int, int>& Closes() {
  static std::map<int, int> closes;
  return closes;
}

struct FakeTraits {
  using Handle = int;
  static int Invalid() { return 0; }
  static bool IsValid(int h) { return h != 0; }
  static void Close(int h) { Closes()[h]++; }
};
using Owner = UniqueResource<FakeTraits>;

class UniqueResourceTest : public ::testing::Test {
 protected:
  void SetUp() override { Closes().clear(); }
};

TEST_F(UniqueResourceTest, DestructorClosesOnce) {
  {
    Owner o(7);
    EXPECT_TRUE(o.valid());
  }
  EXPECT_EQ(Closes()[7], 1);
  {
    Owner empty;
    EXPECT_FALSE(empty);
  }
  EXPECT_EQ(Closes().count(0), 0u);
}

TEST_F(UniqueResourceTest, MoveTransfersOwnership) {
  Owner a(3);
  Owner b(std::move(a));
  EXPECT_FALSE(a.valid());  // NOLINT(bugprone-use-after-move): the contract
  EXPECT_EQ(b.get(), 3);
  Owner c(4);
  c = std::move(b);  // closes 4, takes 3
  EXPECT_EQ(Closes()[4], 1);
  EXPECT_EQ(Closes()[3], 0);
  EXPECT_EQ(c.get(), 3);
  c.reset();
  EXPECT_EQ(Closes()[3], 1);
}

TEST_F(UniqueResourceTest, SelfMoveKeepsTheHandle) {
  Owner a(5);
  Owner& alias = a;
  a = std::move(alias);
  EXPECT_EQ(a.get(), 5);
  EXPECT_EQ(Closes()[5], 0);
}

TEST_F(UniqueResourceTest, ReleaseGivesUpWithoutClosing) {
  int h = 0;
  {
    Owner a(9);
    h = a.release();
    EXPECT_FALSE(a.valid());
  }
  EXPECT_EQ(h, 9);
  EXPECT_EQ(Closes()[9], 0);
}

TEST_F(UniqueResourceTest, DoubleResetClosesOnce) {
  Owner a(11);
  a.reset();
  a.reset();
  EXPECT_EQ(Closes()[11], 1);
  a.reset(12);
  a.reset(12);  // same handle: no close-then-own
  EXPECT_EQ(Closes()[12], 0);
  a.reset(13);
  EXPECT_EQ(Closes()[12], 1);
}

}  // namespace
}  // namespace winsnap::base
