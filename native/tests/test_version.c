#include <otc/otc.h>

#include "check.h"

int main(void) {
  CHECK_STR_EQ(otc_version(), EXPECTED_VERSION);
  CHECK(otc_version() == otc_version()); /* static storage, not reallocated */
  printf("otc_version() = %s\n", otc_version());
  return 0;
}
