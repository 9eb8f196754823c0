/* libotc's own allocations go through here, so that a test can make the Nth
 * one fail (otc_test_fail_allocation in <otc/testing.h>, through
 * otc_private_fail_allocation) and check every
 * out-of-memory path. Off, the cost is one relaxed atomic load. */

#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* Allocations left before the one that fails; 0 when off. */
static long countdown;

static bool should_fail(void) {
  if (__atomic_load_n(&countdown, __ATOMIC_RELAXED) == 0) {
    return false;
  }
  return __atomic_sub_fetch(&countdown, 1, __ATOMIC_RELAXED) == 0;
}

void otc_private_fail_allocation(long n) {
  __atomic_store_n(&countdown, n > 0 ? n : 0, __ATOMIC_RELAXED);
}

void* otc_malloc(size_t size) {
  return should_fail() ? NULL : malloc(size);
}

void* otc_calloc(size_t count, size_t size) {
  return should_fail() ? NULL : calloc(count, size);
}

void* otc_realloc(void* pointer, size_t size) {
  return should_fail() ? NULL : realloc(pointer, size);
}

char* otc_strdup(const char* text) {
  return should_fail() ? NULL : strdup(text);
}
