#pragma once
// DDMRP buffer zones (Ptak & Smith, "Demand Driven Material Requirements
// Planning"): from average daily usage, the decoupled lead time, the minimum
// order quantity, the order cycle and a buffer profile's factors.

#include "core/common/result.hpp"

namespace giia::catalog {

struct ZoneInputs {
  double adu = 0;               // average daily usage, units/day
  double dlt_days = 0;          // decoupled lead time, days
  double moq = 0;               // minimum order quantity, units
  double order_cycle_days = 0;  // imposed or desired order cycle, days
};

struct BufferZones {
  double red_base = 0;       // ADU x DLT x LTF
  double red_safety = 0;     // red base x VF
  double red = 0;            // red base + red safety
  double yellow = 0;         // ADU x DLT
  double green = 0;          // max(ADU x order cycle, ADU x DLT x LTF, MOQ)
  double top_of_red = 0;     // red
  double top_of_yellow = 0;  // red + yellow
  double top_of_green = 0;   // red + yellow + green
};

// Errors: kInvalidArgument naming the field ("adu", "dlt_days", "moq",
// "order_cycle_days") when a value is negative or not finite.
[[nodiscard]] Status ValidateZoneInputs(const ZoneInputs& in);

// Errors: those of ValidateZoneInputs; kInvalidArgument naming
// "lead_time_factor" or "variability_factor" when a factor is outside its
// range (LTF (0, 1], VF [0, 1]).
[[nodiscard]] Result<BufferZones> CalculateZones(const ZoneInputs& in, double lead_time_factor,
                                                 double variability_factor);

}  // namespace giia::catalog
