/* SPDX-License-Identifier: MIT */
/* (to be written) */
#include "internal.h"
