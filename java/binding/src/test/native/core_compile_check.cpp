// Compiled by the Maven build with -Wall -Wextra -Werror (see pom.xml, core-werror):
// JavaCPP compiles rollcall_core.h into libjniotc with -Wall only, and without -Werror.
#include "rollcall_core.h"

int main() {
  return rc_jni_status() == 0 ? 0 : 1;
}
