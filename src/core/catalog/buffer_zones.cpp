#include "core/catalog/buffer_zones.hpp"

#include <algorithm>
#include <cmath>

namespace giia::catalog {
namespace {

Status NonNegative(double v, const char* field) {
  if (!std::isfinite(v) || v < 0) {
    return InvalidArgument(field, std::string(field) + " must be a number >= 0");
  }
  return Ok();
}

}  // namespace

Status ValidateZoneInputs(const ZoneInputs& in) {
  for (auto ok :
       {NonNegative(in.adu, "adu"), NonNegative(in.dlt_days, "dlt_days"),
        NonNegative(in.moq, "moq"), NonNegative(in.order_cycle_days, "order_cycle_days")}) {
    if (!ok) return ok;
  }
  return Ok();
}

Result<BufferZones> CalculateZones(const ZoneInputs& in, double ltf, double vf) {
  if (auto ok = ValidateZoneInputs(in); !ok) return tl::unexpected(ok.error());
  if (!std::isfinite(ltf) || ltf <= 0 || ltf > 1) {
    return InvalidArgument("lead_time_factor", "lead_time_factor must be in (0, 1]");
  }
  if (!std::isfinite(vf) || vf < 0 || vf > 1) {
    return InvalidArgument("variability_factor", "variability_factor must be in [0, 1]");
  }
  BufferZones z;
  const double usage_over_lead_time = in.adu * in.dlt_days;
  z.red_base = usage_over_lead_time * ltf;
  z.red_safety = z.red_base * vf;
  z.red = z.red_base + z.red_safety;
  z.yellow = usage_over_lead_time;
  z.green = std::max({in.adu * in.order_cycle_days, z.red_base, in.moq});
  z.top_of_red = z.red;
  z.top_of_yellow = z.red + z.yellow;
  z.top_of_green = z.top_of_yellow + z.green;
  return z;
}

}  // namespace giia::catalog
