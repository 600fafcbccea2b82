#ifndef PRESIDIO_CLZ4_SHIM_H
#define PRESIDIO_CLZ4_SHIM_H
#include <lz4.h>
#endif
