#include <otc/base.h>

const char* otc_version(void) {
  return OTC_VERSION_STRING;
}
