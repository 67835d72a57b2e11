/* SPDX-License-Identifier: MIT */
/* Error codes and thread-local detailed messages. */
#include <stdarg.h>
#include <stdio.h>

#include "vpmd.h"

static __thread char vpmd_msg[512];

const char *vionic_strerror(int err)
{
	switch (err) {
	case VIONIC_OK:           return "success";
	case VIONIC_EINVAL:       return "invalid argument";
	case VIONIC_EURI:         return "device URI not understood";
	case VIONIC_ENODEV:       return "device not reachable or gone";
	case VIONIC_EPROTO:       return "protocol violation by the device";
	case VIONIC_ENOMEM:       return "out of DMA memory or mbufs";
	case VIONIC_EFEATURE:     return "feature negotiation failed";
	case VIONIC_ENEEDS_RESET: return "device needs reset";
	case VIONIC_EQUEUE:       return "queue index out of range";
	case VIONIC_ETOOBIG:      return "frame too large";
	case VIONIC_ETOOSMALL:    return "frame too small";
	case VIONIC_ESTATE:       return "call not valid in this device state";
	case VIONIC_ETIMEDOUT:    return "timed out";
	case VIONIC_ERING:        return "invalid ring size";
	default:                  return "unknown error";
	}
}

const char *vionic_last_error(void)
{
	return vpmd_msg;
}

int vpmd_err(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(vpmd_msg, sizeof(vpmd_msg), fmt, ap);
	va_end(ap);
	return err;
}

void vpmd_err_clear(void)
{
	vpmd_msg[0] = 0;
}
