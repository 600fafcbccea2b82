#ifndef PRESIDIO_CLIBPQ_SHIM_H
#define PRESIDIO_CLIBPQ_SHIM_H
#include <libpq-fe.h>
#endif
