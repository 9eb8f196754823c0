#include <otc/otc.h>
#include <stdio.h>

int main(void) {
  printf("%s\n", otc_version());
  return 0;
}
