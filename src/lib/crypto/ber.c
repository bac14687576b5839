/* SPDX-License-Identifier: MIT */
/*
 * An incremental BER reader for the outer CMS structure (RFC 5652, 5083):
 * it walks ContentInfo and the SignedData / EnvelopedData /
 * AuthEnvelopedData around the content, captures the small header fields
 * as raw encodings for OpenSSL's d2i, and returns the content octets as a
 * stream.  Memory is bounded whatever the input; nothing here calls OpenSSL.
 */
#include "crypto.h"

#include <stdio.h>
#include <string.h>

#define BER_BUF_SIZE ((size_t)64 << 10)
#define BER_HDR_MAX 14        /* 1 + 4 tag bytes + 1 + 8 length bytes */
#define BER_MAX_DEPTH 32      /* nesting inside a captured field */
#define BER_MAX_CHUNK_DEPTH 8 /* constructed OCTET STRING inside another */
#define BER_MAX_LEVELS 24     /* open elements around the content */
#define BER_LEN_MAX ((uint64_t)1 << 62)

/* First octets of the elements we expect. */
#define T_INTEGER 0x02
#define T_OCTETS 0x04
#define T_OCTETS_CONS 0x24
#define T_OID 0x06
#define T_SEQ 0x30
#define T_SET 0x31
#define T_CTX0_PRIM 0x80
#define T_CTX0 0xa0
#define T_CTX1 0xa1
#define T_CTX2 0xa2

static const unsigned char oid_signed[] = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                           0xf7, 0x0d, 0x01, 0x07, 0x02};
static const unsigned char oid_enveloped[] = {
        0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x03};
static const unsigned char oid_auth_enveloped[] = {0x06, 0x0b, 0x2a, 0x86, 0x48,
                                                   0x86, 0xf7, 0x0d, 0x01, 0x09,
                                                   0x10, 0x01, 0x17};

typedef struct ber_hdr {
	unsigned char first; /* the identifier octet */
	bool cons;
	bool indef;
	uint32_t tag;
	uint64_t len;
	size_t hlen;
} ber_hdr;

typedef struct ber_level {
	bool indef;
	uint64_t end; /* input offset just after the element (definite) */
} ber_level;

struct sm_cms_reader {
	sealmail_read_cb read;
	void *payload;
	unsigned char *buf;
	size_t pos, len;
	bool eof;
	uint64_t off; /* input offset of buf[pos] */

	sm_cms_type type;
	ber_level lv[BER_MAX_LEVELS];
	int nlv;
	int content_nlv; /* levels open when the content octets began */
	bool has_content;
	bool content_done; /* every content octet was returned */
	bool finished;
	bool failed;
	bool trailing_ok;    /* sm_cms_reader_allow_trailing */
	uint64_t chunk_left; /* octets left in the current primitive chunk */
	uint64_t content_len;

	sm_buf fields[SM_CMS_F_COUNT];
	bool present[SM_CMS_F_COUNT];
	size_t fields_total;
};

/* --- header parsing (shared by the stream and the memory iterator) ---- */

/*
 * Parse one identifier and length at `p` (`n` bytes available).  Returns 1
 * when done, 0 when more bytes are needed, -1 when malformed (`why` set).
 */
static int
parse_hdr(const unsigned char *p, size_t n, ber_hdr *h, const char **why)
{
	size_t i = 0;
	unsigned int lb;

	if (n < 2)
		return 0;
	h->first = p[i++];
	h->cons = (h->first & 0x20) != 0;
	h->tag = h->first & 0x1f;
	if (h->tag == 0x1f) {
		h->tag = 0;
		for (int k = 0;; k++) {
			if (i >= n)
				return 0;
			if (k == 4 || (k == 0 && p[i] == 0x80)) {
				*why = "bad tag number";
				return -1;
			}
			h->tag = h->tag << 7 | (p[i] & 0x7f);
			if ((p[i++] & 0x80) == 0)
				break;
		}
	}
	if (i >= n)
		return 0;
	lb = p[i++];
	h->indef = false;
	if (lb < 0x80) {
		h->len = lb;
	} else if (lb == 0x80) {
		if (!h->cons) {
			*why = "indefinite length on a primitive element";
			return -1;
		}
		h->indef = true;
		h->len = 0;
	} else {
		unsigned int nb = lb & 0x7f;

		if (nb > 8) {
			*why = "length too long";
			return -1;
		}
		if (n - i < nb)
			return 0;
		h->len = 0;
		for (unsigned int k = 0; k < nb; k++)
			h->len = h->len << 8 | p[i++];
		if (h->len > BER_LEN_MAX) {
			*why = "length too large";
			return -1;
		}
	}
	if (h->first == 0 && (h->len != 0 || h->indef)) {
		*why = "bad end-of-contents";
		return -1;
	}
	h->hlen = i;
	return 1;
}

/* --- the input buffer ------------------------------------------------- */

static int
bad(sm_cms_reader *r, sealmail_error *err, uint64_t at, const char *why)
{
	r->failed = true;
	return sm_error_set(err, SEALMAIL_EBADDATA,
	                    "CMS data malformed at offset %llu: %s",
	                    (unsigned long long)at, why);
}

static int
truncated(sm_cms_reader *r, sealmail_error *err)
{
	r->failed = true;
	return sm_error_set(err, SEALMAIL_EBADDATA,
	                    "CMS data truncated at offset %llu",
	                    (unsigned long long)(r->off + (r->len - r->pos)));
}

/* Have at least `need` (<= BER_BUF_SIZE) bytes buffered, unless at EOF. */
static int
fill(sm_cms_reader *r, size_t need, sealmail_error *err)
{
	if (r->len - r->pos >= need || r->eof)
		return SEALMAIL_OK;
	if (r->pos > 0) {
		memmove(r->buf, r->buf + r->pos, r->len - r->pos);
		r->len -= r->pos;
		r->pos = 0;
	}
	while (r->len < need && !r->eof) {
		long n = r->read(r->buf + r->len, BER_BUF_SIZE - r->len,
		                 r->payload);

		if (n < 0) {
			r->failed = true;
			return sm_error_set(err, (int)n,
			                    "cannot read the CMS data");
		}
		if (n == 0)
			r->eof = true;
		r->len += (size_t)n;
	}
	return SEALMAIL_OK;
}

static void
consume(sm_cms_reader *r, size_t n)
{
	r->pos += n;
	r->off += n;
}

/* Innermost definite end around the current position, or UINT64_MAX. */
static uint64_t
limit(const sm_cms_reader *r)
{
	for (int i = r->nlv - 1; i >= 0; i--)
		if (!r->lv[i].indef)
			return r->lv[i].end;
	return UINT64_MAX;
}

/* Look at the next header without consuming it. */
static int
peek_hdr(sm_cms_reader *r, ber_hdr *h, uint64_t lim, sealmail_error *err)
{
	const char *why = NULL;
	int rc = fill(r, BER_HDR_MAX, err), p;

	if (rc != SEALMAIL_OK)
		return rc;
	p = parse_hdr(r->buf + r->pos, r->len - r->pos, h, &why);
	if (p < 0)
		return bad(r, err, r->off, why);
	if (p == 0)
		return truncated(r, err);
	if (lim != UINT64_MAX &&
	    (r->off + h->hlen > lim ||
	     (!h->indef && h->len > lim - r->off - h->hlen)))
		return bad(r, err, r->off,
		           "element longer than the one around it");
	return SEALMAIL_OK;
}

/* Does the innermost open element end here?  (It does not consume.) */
static int
at_end(sm_cms_reader *r, bool *yes, sealmail_error *err)
{
	const ber_level *l = &r->lv[r->nlv - 1];
	int rc;

	if (!l->indef) {
		*yes = r->off >= l->end;
		return SEALMAIL_OK;
	}
	rc = fill(r, 2, err);
	if (rc != SEALMAIL_OK)
		return rc;
	if (r->len - r->pos < 2)
		return truncated(r, err);
	*yes = r->buf[r->pos] == 0 && r->buf[r->pos + 1] == 0;
	return SEALMAIL_OK;
}

/* Close the innermost open element. */
static int
pop(sm_cms_reader *r, sealmail_error *err)
{
	const ber_level *l = &r->lv[r->nlv - 1];
	bool end = false;
	int rc = at_end(r, &end, err);

	if (rc != SEALMAIL_OK)
		return rc;
	if (!end)
		return bad(r, err, r->off,
		           l->indef ? "missing end-of-contents"
		                    : "element longer than its contents");
	if (l->indef)
		consume(r, 2);
	r->nlv--;
	return SEALMAIL_OK;
}

/* Read a header that must start with `first`, and open the element. */
static int
enter(sm_cms_reader *r,
      unsigned char first,
      const char *what,
      sealmail_error *err)
{
	ber_hdr h;
	int rc = peek_hdr(r, &h, limit(r), err);

	if (rc != SEALMAIL_OK)
		return rc;
	if (h.first != first) {
		char why[80];

		(void)snprintf(why, sizeof(why), "expected %s", what);
		return bad(r, err, r->off, why);
	}
	if (r->nlv == BER_MAX_LEVELS)
		return bad(r, err, r->off, "nested too deeply");
	consume(r, h.hlen);
	r->lv[r->nlv].indef = h.indef;
	r->lv[r->nlv].end = r->off + h.len;
	r->nlv++;
	return SEALMAIL_OK;
}

/* Is the next element (inside the innermost open one) a `first`? */
static int
next_is(sm_cms_reader *r, unsigned char first, bool *yes, sealmail_error *err)
{
	bool end = false;
	int rc = at_end(r, &end, err);

	*yes = false;
	if (rc != SEALMAIL_OK || end)
		return rc;
	rc = fill(r, 1, err);
	if (rc != SEALMAIL_OK)
		return rc;
	if (r->len == r->pos)
		return truncated(r, err);
	*yes = r->buf[r->pos] == first;
	return SEALMAIL_OK;
}

/* --- capturing header fields ------------------------------------------ */

static int
copy_raw(sm_cms_reader *r, sm_buf *out, uint64_t n, sealmail_error *err)
{
	while (n > 0) {
		size_t take;
		int rc = fill(r, 1, err);

		if (rc != SEALMAIL_OK)
			return rc;
		if (r->len == r->pos)
			return truncated(r, err);
		take = r->len - r->pos;
		if (take > n)
			take = (size_t)n;
		rc = sm_buf_append(out, r->buf + r->pos, take, err);
		if (rc != SEALMAIL_OK) {
			r->failed = true;
			return rc;
		}
		consume(r, take);
		n -= take;
	}
	return SEALMAIL_OK;
}

/* Copy one whole element (any BER) to `out`, within `lim`. */
static int
capture_tlv(sm_cms_reader *r,
            sm_buf *out,
            uint64_t lim,
            int depth,
            sealmail_error *err)
{
	ber_hdr h;
	int rc;

	if (depth > BER_MAX_DEPTH)
		return bad(r, err, r->off, "nested too deeply");
	rc = peek_hdr(r, &h, lim, err);
	if (rc != SEALMAIL_OK)
		return rc;
	if (h.first == 0)
		return bad(r, err, r->off, "unexpected end-of-contents");
	if (r->fields_total + h.hlen + h.len > SM_BER_FIELDS_MAX)
		return bad(r, err, r->off, "header fields too large");
	r->fields_total += h.hlen + (size_t)h.len;
	rc = copy_raw(r, out, h.hlen, err);
	if (rc != SEALMAIL_OK || !h.indef)
		return rc != SEALMAIL_OK ? rc : copy_raw(r, out, h.len, err);
	for (;;) {
		ber_hdr c;

		rc = peek_hdr(r, &c, lim, err);
		if (rc != SEALMAIL_OK)
			return rc;
		if (c.first == 0) {
			r->fields_total += 2;
			if (r->fields_total > SM_BER_FIELDS_MAX)
				return bad(r, err, r->off,
				           "header fields too large");
			return copy_raw(r, out, 2, err);
		}
		rc = capture_tlv(r, out, lim, depth + 1, err);
		if (rc != SEALMAIL_OK)
			return rc;
	}
}

static int
capture(sm_cms_reader *r,
        sm_cms_field f,
        unsigned char first,
        const char *what,
        sealmail_error *err)
{
	int rc = fill(r, 1, err);

	if (rc != SEALMAIL_OK)
		return rc;
	if (r->len == r->pos)
		return truncated(r, err);
	if (r->buf[r->pos] != first) {
		char why[80];

		(void)snprintf(why, sizeof(why), "expected %s", what);
		return bad(r, err, r->off, why);
	}
	rc = capture_tlv(r, &r->fields[f], limit(r), 0, err);
	if (rc == SEALMAIL_OK)
		r->present[f] = true;
	return rc;
}

static int
capture_if(sm_cms_reader *r,
           sm_cms_field f,
           unsigned char first,
           sealmail_error *err)
{
	bool yes = false;
	int rc = next_is(r, first, &yes, err);

	if (rc != SEALMAIL_OK || !yes)
		return rc;
	return capture(r, f, first, "an optional field", err);
}

/* --- the structure ---------------------------------------------------- */

/* At the content: a primitive string or a constructed one. */
static int
start_content(sm_cms_reader *r,
              unsigned char prim,
              unsigned char cons,
              sealmail_error *err)
{
	ber_hdr h;
	int rc = peek_hdr(r, &h, limit(r), err);

	if (rc != SEALMAIL_OK)
		return rc;
	r->has_content = true;
	if (h.first == prim) {
		consume(r, h.hlen);
		r->chunk_left = h.len;
		r->content_nlv = r->nlv;
		return SEALMAIL_OK;
	}
	if (h.first != cons)
		return bad(r, err, r->off, "expected the content octets");
	r->content_nlv = r->nlv;
	return enter(r, cons, "the content octets", err);
}

static int
open_signed(sm_cms_reader *r, sealmail_error *err)
{
	bool end = false;
	int rc;

	if ((rc = capture(r, SM_CMS_F_VERSION, T_INTEGER, "a version", err)) !=
	            SEALMAIL_OK ||
	    (rc = capture(r, SM_CMS_F_DIGEST_ALGS, T_SET,
	                  "the digest algorithms", err)) != SEALMAIL_OK ||
	    (rc = enter(r, T_SEQ, "the encapsulated content", err)) !=
	            SEALMAIL_OK ||
	    (rc = capture(r, SM_CMS_F_CONTENT_TYPE, T_OID, "a content type",
	                  err)) != SEALMAIL_OK ||
	    (rc = at_end(r, &end, err)) != SEALMAIL_OK)
		return rc;
	if (end) {
		r->content_done = true;
		r->content_nlv = r->nlv;
		return SEALMAIL_OK;
	}
	rc = enter(r, T_CTX0, "the encapsulated content", err);
	if (rc != SEALMAIL_OK)
		return rc;
	return start_content(r, T_OCTETS, T_OCTETS_CONS, err);
}

static int
open_enveloped(sm_cms_reader *r, sealmail_error *err)
{
	bool end = false;
	int rc;

	if ((rc = capture(r, SM_CMS_F_VERSION, T_INTEGER, "a version", err)) !=
	            SEALMAIL_OK ||
	    (rc = capture_if(r, SM_CMS_F_ORIGINATOR_INFO, T_CTX0, err)) !=
	            SEALMAIL_OK ||
	    (rc = capture(r, SM_CMS_F_RECIPIENT_INFOS, T_SET,
	                  "the recipient infos", err)) != SEALMAIL_OK ||
	    (rc = enter(r, T_SEQ, "the encrypted content info", err)) !=
	            SEALMAIL_OK ||
	    (rc = capture(r, SM_CMS_F_CONTENT_TYPE, T_OID, "a content type",
	                  err)) != SEALMAIL_OK ||
	    (rc = capture(r, SM_CMS_F_CONTENT_ENC_ALG, T_SEQ,
	                  "the content encryption algorithm", err)) !=
	            SEALMAIL_OK ||
	    (rc = at_end(r, &end, err)) != SEALMAIL_OK)
		return rc;
	if (end) {
		r->content_done = true;
		r->content_nlv = r->nlv;
		return SEALMAIL_OK;
	}
	return start_content(r, T_CTX0_PRIM, T_CTX0, err);
}

int
sm_cms_reader_new(sm_cms_reader **out,
                  sealmail_read_cb read,
                  void *payload,
                  sealmail_error *err)
{
	sm_cms_reader *r;
	sm_buf oid;
	int rc;

	*out = NULL;
	r = sm_calloc(1, sizeof(*r));
	if (r == NULL)
		return sm_error_nomem(err);
	r->buf = sm_malloc(BER_BUF_SIZE);
	if (r->buf == NULL) {
		sm_free(r);
		return sm_error_nomem(err);
	}
	r->read = read;
	r->payload = payload;
	for (int f = 0; f < SM_CMS_F_COUNT; f++)
		sm_buf_init(&r->fields[f], SM_BER_FIELDS_MAX);
	sm_buf_init(&oid, 64);

	rc = enter(r, T_SEQ, "a ContentInfo", err);
	if (rc == SEALMAIL_OK) {
		ber_hdr h;

		rc = peek_hdr(r, &h, limit(r), err);
		if (rc == SEALMAIL_OK && (h.first != T_OID || h.len > 40))
			rc = bad(r, err, r->off, "expected a content type");
		if (rc == SEALMAIL_OK)
			rc = copy_raw(r, &oid, h.hlen + h.len, err);
	}
	if (rc == SEALMAIL_OK) {
		if (oid.len == sizeof(oid_signed) &&
		    memcmp(oid.data, oid_signed, oid.len) == 0)
			r->type = SM_CMS_SIGNED;
		else if (oid.len == sizeof(oid_enveloped) &&
		         memcmp(oid.data, oid_enveloped, oid.len) == 0)
			r->type = SM_CMS_ENVELOPED;
		else if (oid.len == sizeof(oid_auth_enveloped) &&
		         memcmp(oid.data, oid_auth_enveloped, oid.len) == 0)
			r->type = SM_CMS_AUTH_ENVELOPED;
		else
			rc = sm_error_set(err, SEALMAIL_EUNSUPPORTED,
			                  "CMS content type not supported");
	}
	sm_buf_free(&oid);
	if (rc == SEALMAIL_OK)
		rc = enter(r, T_CTX0, "the ContentInfo content", err);
	if (rc == SEALMAIL_OK)
		rc = enter(r, T_SEQ, "the CMS content", err);
	if (rc == SEALMAIL_OK)
		rc = r->type == SM_CMS_SIGNED ? open_signed(r, err)
		                              : open_enveloped(r, err);
	if (rc != SEALMAIL_OK) {
		sm_cms_reader_free(r);
		return rc;
	}
	*out = r;
	return SEALMAIL_OK;
}

void
sm_cms_reader_free(sm_cms_reader *reader)
{
	if (reader == NULL)
		return;
	for (int f = 0; f < SM_CMS_F_COUNT; f++)
		sm_buf_free(&reader->fields[f]);
	sm_free(reader->buf);
	sm_free(reader);
}

sm_cms_type
sm_cms_reader_type(const sm_cms_reader *reader)
{
	return reader->type;
}

bool
sm_cms_reader_has_content(const sm_cms_reader *reader)
{
	return reader->has_content;
}

uint64_t
sm_cms_reader_content_len(const sm_cms_reader *reader)
{
	return reader->content_len;
}

/* Move to the next primitive chunk; sets content_done at the end. */
static int
next_chunk(sm_cms_reader *r, sealmail_error *err)
{
	while (r->chunk_left == 0 && !r->content_done) {
		bool end = false;
		ber_hdr h;
		int rc;

		if (r->nlv == r->content_nlv) {
			r->content_done = true; /* one primitive string */
			break;
		}
		rc = at_end(r, &end, err);
		if (rc != SEALMAIL_OK)
			return rc;
		if (end) {
			rc = pop(r, err);
			if (rc != SEALMAIL_OK)
				return rc;
			continue;
		}
		rc = peek_hdr(r, &h, limit(r), err);
		if (rc != SEALMAIL_OK)
			return rc;
		if (h.first == T_OCTETS) {
			consume(r, h.hlen);
			r->chunk_left = h.len;
		} else if (h.first == T_OCTETS_CONS) {
			if (r->nlv - r->content_nlv >= BER_MAX_CHUNK_DEPTH)
				return bad(r, err, r->off,
				           "content nested too deeply");
			rc = enter(r, T_OCTETS_CONS, "a content chunk", err);
			if (rc != SEALMAIL_OK)
				return rc;
		} else {
			return bad(r, err, r->off, "expected a content chunk");
		}
	}
	return SEALMAIL_OK;
}

long
sm_cms_reader_read(sm_cms_reader *reader,
                   void *buf,
                   size_t len,
                   sealmail_error *err)
{
	sm_cms_reader *r = reader;
	size_t take;
	int rc;

	if (r->failed)
		return sm_error_set(err, SEALMAIL_EBADDATA,
		                    "CMS data unusable after an error");
	if (len > (size_t)1 << 30)
		len = (size_t)1 << 30;
	rc = next_chunk(r, err);
	if (rc != SEALMAIL_OK)
		return rc;
	if (r->content_done || len == 0)
		return 0;
	take = r->chunk_left < len ? (size_t)r->chunk_left : len;
	if (r->pos == r->len && take >= 16384 && !r->eof) {
		/* Large reads bypass the buffer. */
		long n = r->read(buf, take, r->payload);

		if (n < 0) {
			r->failed = true;
			return sm_error_set(err, (int)n,
			                    "cannot read the CMS data");
		}
		if (n == 0) {
			r->eof = true;
			return truncated(r, err);
		}
		r->off += (uint64_t)n;
		take = (size_t)n;
	} else {
		rc = fill(r, 1, err);
		if (rc != SEALMAIL_OK)
			return rc;
		if (r->pos == r->len)
			return truncated(r, err);
		if (take > r->len - r->pos)
			take = r->len - r->pos;
		memcpy(buf, r->buf + r->pos, take);
		consume(r, take);
	}
	r->chunk_left -= take;
	r->content_len += take;
	return (long)take;
}

int
sm_cms_reader_content_foreach(sm_cms_reader *reader,
                              sealmail_write_cb write,
                              void *payload,
                              sealmail_error *err)
{
	sm_cms_reader *r = reader;

	if (r->failed)
		return sm_error_set(err, SEALMAIL_EBADDATA,
		                    "CMS data unusable after an error");
	for (;;) {
		size_t take;
		int rc = next_chunk(r, err);

		if (rc != SEALMAIL_OK)
			return rc;
		if (r->content_done)
			return SEALMAIL_OK;
		rc = fill(r, 1, err);
		if (rc != SEALMAIL_OK)
			return rc;
		if (r->pos == r->len)
			return truncated(r, err);
		take = r->len - r->pos;
		if (take > r->chunk_left)
			take = (size_t)r->chunk_left;
		rc = write(r->buf + r->pos, take, payload);
		if (rc < 0) {
			r->failed = true;
			return sm_error_set(err, rc,
			                    "cannot write the CMS content");
		}
		consume(r, take);
		r->chunk_left -= take;
		r->content_len += take;
	}
}

int
sm_cms_reader_finish(sm_cms_reader *reader, sealmail_error *err)
{
	sm_cms_reader *r = reader;
	int rc = SEALMAIL_OK;

	if (r->finished)
		return SEALMAIL_OK;
	while (!r->content_done) {
		/* Skip whatever content is left, in place. */
		if (r->chunk_left > 0) {
			size_t take;

			rc = fill(r, 1, err);
			if (rc != SEALMAIL_OK)
				return rc;
			if (r->pos == r->len)
				return truncated(r, err);
			take = r->len - r->pos;
			if (take > r->chunk_left)
				take = (size_t)r->chunk_left;
			consume(r, take);
			r->chunk_left -= take;
			r->content_len += take;
		}
		rc = next_chunk(r, err);
		if (rc != SEALMAIL_OK)
			return rc;
	}
	if (r->type == SM_CMS_SIGNED) {
		/* [0] around eContent (when present), then encapContentInfo */
		if (r->has_content && (rc = pop(r, err)) != SEALMAIL_OK)
			return rc;
		if ((rc = pop(r, err)) != SEALMAIL_OK ||
		    (rc = capture_if(r, SM_CMS_F_CERTIFICATES, T_CTX0, err)) !=
		            SEALMAIL_OK ||
		    (rc = capture_if(r, SM_CMS_F_CRLS, T_CTX1, err)) !=
		            SEALMAIL_OK ||
		    (rc = capture(r, SM_CMS_F_SIGNER_INFOS, T_SET,
		                  "the signer infos", err)) != SEALMAIL_OK)
			return rc;
	} else {
		if ((rc = pop(r, err)) != SEALMAIL_OK)
			return rc;
		if (r->type == SM_CMS_ENVELOPED) {
			rc = capture_if(r, SM_CMS_F_UNPROT_ATTRS, T_CTX1, err);
		} else if ((rc = capture_if(r, SM_CMS_F_AUTH_ATTRS, T_CTX1,
		                            err)) == SEALMAIL_OK &&
		           (rc = capture(r, SM_CMS_F_MAC, T_OCTETS, "the mac",
		                         err)) == SEALMAIL_OK) {
			rc = capture_if(r, SM_CMS_F_UNPROT_ATTRS, T_CTX2, err);
		}
		if (rc != SEALMAIL_OK)
			return rc;
	}
	/* The CMS content, [0] and ContentInfo close; nothing may follow. */
	while (r->nlv > 0)
		if ((rc = pop(r, err)) != SEALMAIL_OK)
			return rc;
	if (r->trailing_ok) {
		r->finished = true;
		return SEALMAIL_OK;
	}
	if ((rc = fill(r, 1, err)) != SEALMAIL_OK)
		return rc;
	if (r->pos != r->len)
		return bad(r, err, r->off,
		           "data after the end of the CMS data");
	r->finished = true;
	return SEALMAIL_OK;
}

void
sm_cms_reader_allow_trailing(sm_cms_reader *reader)
{
	reader->trailing_ok = true;
}

const unsigned char *
sm_cms_reader_field(const sm_cms_reader *reader,
                    sm_cms_field field,
                    size_t *len_out)
{
	if ((int)field < 0 || field >= SM_CMS_F_COUNT ||
	    !reader->present[field]) {
		*len_out = 0;
		return NULL;
	}
	*len_out = reader->fields[field].len;
	return reader->fields[field].data;
}

/* --- rebuilding a detached ContentInfo -------------------------------- */

static int
put_hdr(sm_buf *out, unsigned char first, size_t len, sealmail_error *err)
{
	unsigned char h[10];
	size_t n = 0;

	h[n++] = first;
	if (len < 0x80) {
		h[n++] = (unsigned char)len;
	} else {
		unsigned int nb = 0;

		for (size_t v = len; v > 0; v >>= 8)
			nb++;
		h[n++] = (unsigned char)(0x80 | nb);
		while (nb-- > 0)
			h[n++] = (unsigned char)(len >> (8 * nb));
	}
	return sm_buf_append(out, h, n, err);
}

static int
put_field(const sm_cms_reader *r,
          sm_buf *out,
          sm_cms_field f,
          sealmail_error *err)
{
	if (!r->present[f])
		return SEALMAIL_OK;
	return sm_buf_append(out, r->fields[f].data, r->fields[f].len, err);
}

int
sm_cms_reader_detached_der(const sm_cms_reader *reader,
                           sm_buf *out,
                           sealmail_error *err)
{
	static const unsigned char empty_set[] = {T_SET, 0};
	static const unsigned char zero_mac[18] = {T_OCTETS, 16};
	const sm_cms_reader *r = reader;
	sm_buf body, inner;
	const unsigned char *oid;
	size_t oid_len;
	int rc;

	sm_buf_init(&body, SM_BER_FIELDS_MAX + 256);
	sm_buf_init(&inner, 256);
	rc = put_field(r, &body, SM_CMS_F_VERSION, err);
	if (rc == SEALMAIL_OK && r->type == SM_CMS_SIGNED) {
		rc = put_field(r, &body, SM_CMS_F_DIGEST_ALGS, err);
		if (rc == SEALMAIL_OK)
			rc = put_field(r, &inner, SM_CMS_F_CONTENT_TYPE, err);
		if (rc == SEALMAIL_OK)
			rc = put_hdr(&body, T_SEQ, inner.len, err);
		if (rc == SEALMAIL_OK)
			rc = sm_buf_append(&body, inner.data, inner.len, err);
		if (rc == SEALMAIL_OK)
			rc = put_field(r, &body, SM_CMS_F_CERTIFICATES, err);
		if (rc == SEALMAIL_OK)
			rc = put_field(r, &body, SM_CMS_F_CRLS, err);
		if (rc == SEALMAIL_OK)
			rc = r->present[SM_CMS_F_SIGNER_INFOS]
			             ? put_field(r, &body,
			                         SM_CMS_F_SIGNER_INFOS, err)
			             : sm_buf_append(&body, empty_set,
			                             sizeof(empty_set), err);
	} else if (rc == SEALMAIL_OK) {
		rc = put_field(r, &body, SM_CMS_F_ORIGINATOR_INFO, err);
		if (rc == SEALMAIL_OK)
			rc = put_field(r, &body, SM_CMS_F_RECIPIENT_INFOS, err);
		if (rc == SEALMAIL_OK)
			rc = put_field(r, &inner, SM_CMS_F_CONTENT_TYPE, err);
		if (rc == SEALMAIL_OK)
			rc = put_field(r, &inner, SM_CMS_F_CONTENT_ENC_ALG,
			               err);
		if (rc == SEALMAIL_OK)
			rc = put_hdr(&body, T_SEQ, inner.len, err);
		if (rc == SEALMAIL_OK)
			rc = sm_buf_append(&body, inner.data, inner.len, err);
		if (rc == SEALMAIL_OK && r->type == SM_CMS_AUTH_ENVELOPED) {
			rc = put_field(r, &body, SM_CMS_F_AUTH_ATTRS, err);
			if (rc == SEALMAIL_OK)
				rc = r->present[SM_CMS_F_MAC]
				             ? put_field(r, &body, SM_CMS_F_MAC,
				                         err)
				             : sm_buf_append(&body, zero_mac,
				                             sizeof(zero_mac),
				                             err);
		}
		if (rc == SEALMAIL_OK)
			rc = put_field(r, &body, SM_CMS_F_UNPROT_ATTRS, err);
	}
	if (r->type == SM_CMS_SIGNED) {
		oid = oid_signed;
		oid_len = sizeof(oid_signed);
	} else if (r->type == SM_CMS_ENVELOPED) {
		oid = oid_enveloped;
		oid_len = sizeof(oid_enveloped);
	} else {
		oid = oid_auth_enveloped;
		oid_len = sizeof(oid_auth_enveloped);
	}
	/* SEQ { oid, [0] { SEQ { body } } } */
	if (rc == SEALMAIL_OK) {
		size_t l_seq, l_ctx;
		sm_buf hdr;

		sm_buf_init(&hdr, 64);
		rc = put_hdr(&hdr, T_SEQ, body.len, err);
		l_seq = hdr.len + body.len;
		sm_buf_reset(&hdr);
		if (rc == SEALMAIL_OK)
			rc = put_hdr(&hdr, T_CTX0, l_seq, err);
		l_ctx = hdr.len + l_seq;
		sm_buf_free(&hdr);
		if (rc == SEALMAIL_OK)
			rc = put_hdr(out, T_SEQ, oid_len + l_ctx, err);
		if (rc == SEALMAIL_OK)
			rc = sm_buf_append(out, oid, oid_len, err);
		if (rc == SEALMAIL_OK)
			rc = put_hdr(out, T_CTX0, l_seq, err);
		if (rc == SEALMAIL_OK)
			rc = put_hdr(out, T_SEQ, body.len, err);
		if (rc == SEALMAIL_OK)
			rc = sm_buf_append(out, body.data, body.len, err);
	}
	sm_buf_free(&body);
	sm_buf_free(&inner);
	return rc;
}

/* --- in-memory iteration ---------------------------------------------- */

static int
mem_bad(sealmail_error *err, const char *why)
{
	return sm_error_set(err, SEALMAIL_EBADDATA, "BER data malformed: %s",
	                    why);
}

/* Total size of the element at `p` (`n` bytes available). */
static int
mem_size(const unsigned char *p,
         size_t n,
         int depth,
         size_t *size,
         sealmail_error *err)
{
	const char *why = "truncated";
	ber_hdr h;
	size_t at;
	int rc = parse_hdr(p, n, &h, &why);

	*size = 0;
	if (rc <= 0)
		return mem_bad(err, why);
	if (depth > BER_MAX_DEPTH)
		return mem_bad(err, "nested too deeply");
	if (!h.indef) {
		if (h.len > n - h.hlen)
			return mem_bad(err, "truncated");
		*size = h.hlen + (size_t)h.len;
		return SEALMAIL_OK;
	}
	at = h.hlen;
	for (;;) {
		size_t child;

		if (n - at >= 2 && p[at] == 0 && p[at + 1] == 0) {
			*size = at + 2;
			return SEALMAIL_OK;
		}
		rc = mem_size(p + at, n - at, depth + 1, &child, err);
		if (rc != SEALMAIL_OK)
			return rc;
		at += child;
	}
}

int
sm_ber_iter_init(sm_ber_iter *iter,
                 const unsigned char *tlv,
                 size_t len,
                 sealmail_error *err)
{
	const char *why = "truncated";
	ber_hdr h;
	size_t size;
	int rc = mem_size(tlv, len, 0, &size, err);

	if (rc != SEALMAIL_OK)
		return rc;
	(void)parse_hdr(tlv, len, &h, &why);
	if (!h.cons)
		return mem_bad(err, "not a constructed element");
	iter->p = tlv + h.hlen;
	iter->left = size - h.hlen - (h.indef ? 2 : 0);
	iter->indefinite = h.indef;
	iter->done = false;
	return SEALMAIL_OK;
}

int
sm_ber_iter_next(sm_ber_iter *iter,
                 const unsigned char **elem_out,
                 size_t *elem_len_out,
                 sealmail_error *err)
{
	size_t size;
	int rc;

	*elem_out = NULL;
	*elem_len_out = 0;
	if (iter->done || iter->left == 0) {
		iter->done = true;
		return 0;
	}
	rc = mem_size(iter->p, iter->left, 1, &size, err);
	if (rc != SEALMAIL_OK)
		return rc;
	if (iter->p[0] == 0)
		return mem_bad(err, "unexpected end-of-contents");
	*elem_out = iter->p;
	*elem_len_out = size;
	iter->p += size;
	iter->left -= size;
	return 1;
}

int
sm_ber_primitive(const unsigned char *tlv,
                 size_t len,
                 const unsigned char **value_out,
                 size_t *value_len_out,
                 sealmail_error *err)
{
	const char *why = "truncated";
	ber_hdr h;

	if (parse_hdr(tlv, len, &h, &why) <= 0)
		return mem_bad(err, why);
	if (h.cons)
		return mem_bad(err, "not a primitive element");
	if (h.len > len - h.hlen)
		return mem_bad(err, "truncated");
	*value_out = tlv + h.hlen;
	*value_len_out = (size_t)h.len;
	return SEALMAIL_OK;
}
