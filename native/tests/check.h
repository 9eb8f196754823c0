#ifndef OTC_TESTS_CHECK_H
#define OTC_TESTS_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Minimal checks for CTest programs: report where it failed and exit 1. */
#define CHECK(cond)                                                        \
  do {                                                                     \
    if (!(cond)) {                                                         \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__,     \
              #cond);                                                      \
      exit(1);                                                             \
    }                                                                      \
  } while (0)

#define CHECK_STR_EQ(actual, expected)                                     \
  do {                                                                     \
    const char* a_ = (actual);                                             \
    const char* e_ = (expected);                                           \
    if (a_ == NULL || strcmp(a_, e_) != 0) {                               \
      fprintf(stderr, "%s:%d: expected \"%s\", got \"%s\"\n", __FILE__,    \
              __LINE__, e_, a_ ? a_ : "(null)");                           \
      exit(1);                                                             \
    }                                                                      \
  } while (0)

#endif /* OTC_TESTS_CHECK_H */
