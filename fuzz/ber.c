/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the incremental CMS reader (crypto/ber.c) on hostile input.
 * The first byte picks the read size of the source (1..256 bytes); the rest
 * is the CMS data.  Open, read the content, finish, rebuild the detached
 * DER and walk every captured field: a clean status each time, no crash,
 * no leak, bounded memory.
 */
#include <stdint.h>
#include <string.h>

#include "crypto/crypto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct src {
	const uint8_t *p;
	size_t len, pos, step;
};

static long
src_read(void *buf, size_t len, void *payload)
{
	struct src *s = payload;
	size_t n = s->len - s->pos;

	if (n > len)
		n = len;
	if (n > s->step)
		n = s->step;
	memcpy(buf, s->p + s->pos, n);
	s->pos += n;
	return (long)n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct src s;
	sm_cms_reader *r = NULL;
	sealmail_error err;
	unsigned char buf[4096];
	long n;

	if (size < 1)
		return 0;
	s.p = data + 1;
	s.len = size - 1;
	s.pos = 0;
	s.step = data[0] == 0 ? s.len + 1 : data[0];
	if (sm_cms_reader_new(&r, src_read, &s, &err) != SEALMAIL_OK)
		return 0;
	while ((n = sm_cms_reader_read(r, buf, sizeof(buf), &err)) > 0)
		;
	if (n == 0 && sm_cms_reader_finish(r, &err) == SEALMAIL_OK) {
		sm_buf der;

		sm_buf_init(&der, SM_BER_FIELDS_MAX + 4096);
		(void)sm_cms_reader_detached_der(r, &der, &err);
		sm_buf_free(&der);
		for (int f = 0; f < SM_CMS_F_COUNT; f++) {
			size_t len, elen;
			const unsigned char *p =
			        sm_cms_reader_field(r, (sm_cms_field)f, &len);
			const unsigned char *e;
			sm_ber_iter it;

			if (p == NULL ||
			    sm_ber_iter_init(&it, p, len, &err) != SEALMAIL_OK)
				continue;
			while (sm_ber_iter_next(&it, &e, &elen, &err) == 1)
				;
		}
	}
	sm_cms_reader_free(r);
	return 0;
}
