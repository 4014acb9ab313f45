#include <gtest/gtest.h>

#include "core/slots.h"

using namespace softprompt::core;

TEST(Slots, NamesRoundTrip) {
  EXPECT_EQ(layer_slot("text", 3), "text.layer.3");
  EXPECT_EQ(kv_slot("vision", 0), "vision.kv.0");
  auto s = parse_slot("text.kv.11");
  EXPECT_EQ(s.modality, "text");
  EXPECT_EQ(s.kind, SlotKind::kKeyValue);
  EXPECT_EQ(s.layer, 11);
  EXPECT_EQ(parse_slot("units").kind, SlotKind::kInput);
  for (const char* bad : {"", ".x", "text.", "text.layer", "text.layer.x", "text.foo.1", "text.layer.-1"})
    EXPECT_THROW(parse_slot(bad), std::invalid_argument) << bad;
}
