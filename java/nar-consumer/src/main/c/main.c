#include <otc/otc.h>
#include <stdio.h>
#include <string.h>

int main(void) {
  const char* version = otc_version();
  printf("libotc %s\n", version);
#ifdef EXPECTED_OTC_VERSION
  /* Built by the test command: fail when linked against the wrong library. */
  if (strcmp(version, EXPECTED_OTC_VERSION) != 0) {
    fprintf(stderr, "expected libotc %s\n", EXPECTED_OTC_VERSION);
    return 1;
  }
#endif
  return 0;
}
