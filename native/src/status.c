#include "internal.h"

const char* otc_status_string(otc_status status) {
  switch (status) {
    case OTC_SUCCESS: return "success";
    case OTC_ERROR: return "error";
    case OTC_ERROR_INVALID_PARAM: return "invalid parameter";
    case OTC_ERROR_INVALID_STATE: return "invalid state";
    case OTC_ERROR_NOT_INITIALIZED: return "library not initialized";
    case OTC_ERROR_NO_MEMORY: return "out of memory";
    case OTC_ERROR_INVALID_HANDLE: return "invalid handle";
    default: return "unknown status";
  }
}
