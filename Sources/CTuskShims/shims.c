// The helpers are static inline in include/CTuskShims.h; SwiftPM needs one source file.
#include "CTuskShims.h"
