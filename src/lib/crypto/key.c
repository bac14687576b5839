/* SPDX-License-Identifier: MIT */
/* (to be written) */
#include "crypto_int.h"
