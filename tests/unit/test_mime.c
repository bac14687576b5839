/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for mime.c: header facts, multipart child ranges byte-exact
 * (CRLF, LF, padding, nesting, across read chunks, one-byte input),
 * transfer decoding, header filtering and the canonical form for signing.
 */
#include "mime.h"

#include <fcntl.h>
#include <sys/stat.h>

#include "harness.h"

/* Line ends written into byte buffers (no NUL: not strings). */
static const char CRLF[2] = {'\r', '\n'};
static const char SOFT_BREAK[3] = {'=', '\r', '\n'};

static sm_mime_source *
src_of(const char *text)
{
	sm_mime_source *s = NULL;
	sealmail_error err = {0};

	test_assert_int(sm_mime_source_new_memory(&s, text, strlen(text), &err),
	                SEALMAIL_OK);
	return s;
}

/* The bytes [a, b) of the text as a string, for comparisons. */
static char *
slice(const char *text, off_t a, off_t b)
{
	return strndup(text + a, (size_t)(b - a));
}

static void
test_message_facts(void)
{
	const char *m = "From: \"Alice\" <Alice@Example.ORG>\r\n"
	                "To: bob@example.org\r\n"
	                "Subject: =?utf-8?q?caf=C3=A9?=\r\n"
	                "Content-Type: text/plain; charset=utf-8\r\n"
	                "Content-Transfer-Encoding: Quoted-Printable\r\n"
	                "\r\n"
	                "body\r\n";
	sm_mime_source *s = src_of(m);
	sm_mime_entity e;
	sealmail_error err = {0};

	test_assert_int(
	        sm_mime_entity_parse(&e, s, 0, (off_t)strlen(m), true, &err),
	        SEALMAIL_OK);
	test_assert_str(e.from, "alice@example.org");
	test_assert_str(e.subject, "caf\xc3\xa9");
	test_assert_str(e.type, "text/plain");
	test_assert_str(e.encoding, "quoted-printable");
	test_assert_int(e.body_start, (off_t)(strstr(m, "body") - m));
	test_assert_int(e.end, (off_t)strlen(m));
	sm_mime_source_free(s);

	/* No header at all: text/plain, the body starts after the blank. */
	s = src_of("\nhello\n");
	test_assert_int(sm_mime_entity_parse(&e, s, 0, 7, false, &err),
	                SEALMAIL_OK);
	test_assert_str(e.type, "text/plain");
	test_assert_int(e.body_start, 1);
	sm_mime_source_free(s);
}

/* Every From address (groups too), IDN forms, and a long Subject cut. */
static void
test_from_list_and_cut(void)
{
	char m[2048], ascii[256];
	sm_mime_source *s;
	sm_mime_entity e;
	sealmail_error err = {0};
	int n;

	s = src_of("From: Alice <Alice@Example.org>, Eve <eve@EVIL.example>,"
	           " team: carol@example.org;\r\n\r\nbody\r\n");
	test_assert_int(sm_mime_entity_parse(&e, s, 0, sm_mime_source_size(s),
	                                     true, &err),
	                SEALMAIL_OK);
	test_assert_str(e.from, "alice@example.org");
	test_assert_str(e.from_all, "alice@example.org\neve@evil.example\n"
	                            "carol@example.org");
	sm_mime_source_free(s);

	sm_mime_address_ascii(ascii, sizeof(ascii),
	                      "a@b\xc3\xbc"
	                      "cher.example");
	test_assert_str(ascii, "a@xn--bcher-kva.example");
	sm_mime_address_ascii(ascii, sizeof(ascii), "A@xn--bcher-kva.EXAMPLE");
	test_assert_str(ascii, "a@xn--bcher-kva.example");
	/* the length of the whole form, cut or not (as snprintf) */
	test_assert_int((int)sm_mime_address_ascii(ascii, 8,
	                                           "A@B\xc3\xbc"
	                                           "cher.example"),
	                (int)strlen("a@xn--bcher-kva.example"));
	test_assert_str(ascii, "a@xn--b");
	{
		char *dup = sm_mime_address_ascii_dup("Bob@B\xc3\x9c"
		                                      "CHER.example");

		test_assert(dup != NULL);
		test_assert_str(dup != NULL ? dup : "",
		                "bob@xn--bcher-kva.example");
		sm_free(dup);
	}

	/* 300 two-byte characters: cut at a character, marked */
	n = snprintf(m, sizeof(m), "From: a@example.org\r\nSubject: ");
	for (int i = 0; i < 300; i++)
		n += snprintf(m + n, sizeof(m) - (size_t)n, "\xc3\xa9");
	(void)snprintf(m + n, sizeof(m) - (size_t)n, "\r\n\r\nbody\r\n");
	s = src_of(m);
	test_assert_int(sm_mime_entity_parse(&e, s, 0, sm_mime_source_size(s),
	                                     true, &err),
	                SEALMAIL_OK);
	test_assert(strlen(e.subject) < sizeof(e.subject));
	test_assert(strlen(e.subject) > sizeof(e.subject) - 16);
	test_assert_str(e.subject + strlen(e.subject) - strlen(SM_MIME_CUT),
	                SM_MIME_CUT);
	test_assert(
	        strncmp(e.subject + strlen(e.subject) - strlen(SM_MIME_CUT) - 2,
	                "\xc3\xa9", 2) == 0);
	sm_mime_source_free(s);
}

static int
tap_cb(const void *data, size_t len, void *payload)
{
	return sm_buf_append(payload, data, len, NULL);
}

/*
 * The children again with a tap on the first: the same ranges, the range
 * the tap was given is the first child's, and it was given exactly the
 * source's bytes there (`data`: the source's bytes).
 */
static void
check_tap(sm_mime_source *s,
          const sm_mime_entity *e,
          const char *data,
          const off_t *rg,
          size_t n)
{
	sm_buf got;
	off_t *rg2 = NULL, tapped[2];
	size_t n2 = 0;
	sealmail_error err = {0};

	sm_buf_init(&got, (size_t)sm_mime_source_size(s) + 1);
	test_assert_int(sm_mime_multipart_children_tap(&rg2, &n2, s, e, 100,
	                                               tap_cb, &got, tapped,
	                                               &err),
	                SEALMAIL_OK);
	test_assert_int(n2, n);
	test_assert(n2 == n && memcmp(rg, rg2, 2 * n * sizeof(*rg)) == 0);
	if (n > 0 && n2 == n) {
		test_assert_int(tapped[0], rg[0]);
		test_assert_int(tapped[1], rg[1]);
		test_assert_int(got.len, (size_t)(rg[1] - rg[0]));
		test_assert(got.len == (size_t)(rg[1] - rg[0]) &&
		            (got.len == 0 ||
		             memcmp(got.data, data + rg[0], got.len) == 0));
	}
	sm_buf_free(&got);
	sm_free(rg2);
}

/* Check the children of the multipart at the start of `m`. */
static void
check_children(sm_mime_source *s,
               const char *m,
               size_t n_expected,
               const char *const *expected)
{
	sm_mime_entity e;
	off_t *rg = NULL;
	size_t n = 0;
	sealmail_error err = {0};

	test_assert_int(sm_mime_entity_parse(&e, s, 0, sm_mime_source_size(s),
	                                     true, &err),
	                SEALMAIL_OK);
	test_assert_int(sm_mime_multipart_children(&rg, &n, s, &e, 100, &err),
	                SEALMAIL_OK);
	test_assert_int(n, n_expected);
	for (size_t i = 0; i < n && i < n_expected; i++) {
		size_t len = (size_t)(rg[2 * i + 1] - rg[2 * i]);
		test_assert_int(len, strlen(expected[i]));
		test_assert(len == strlen(expected[i]) &&
		            memcmp(m + rg[2 * i], expected[i], len) == 0);
	}
	check_tap(s, &e, m, rg, n);
	sm_free(rg);
}

static const char signed_crlf[] =
        "Content-Type: multipart/signed; boundary=\"b1\";\r\n"
        "\tprotocol=\"application/pkcs7-signature\"; micalg=sha-256\r\n"
        "\r\n"
        "preamble\r\n"
        "--b1\r\n"
        "Content-Type: text/plain\r\n"
        "\r\n"
        "line one\r\n"
        "--b1 is not a delimiter here\r\n"
        "\r\n"
        "--b1  \r\n"
        "Content-Type: application/pkcs7-signature\r\n"
        "\r\n"
        "AAAA\r\n"
        "--b1--\r\n"
        "epilogue\r\n";

static void
test_boundaries_crlf(void)
{
	static const char *const want[] = {
	        "Content-Type: text/plain\r\n\r\nline one\r\n"
	        "--b1 is not a delimiter here\r\n",
	        "Content-Type: application/pkcs7-signature\r\n\r\nAAAA"};
	sm_mime_source *s = src_of(signed_crlf);
	sm_mime_entity e;
	sealmail_error err = {0};

	check_children(s, signed_crlf, 2, want);
	test_assert_int(sm_mime_entity_parse(&e, s, 0, sm_mime_source_size(s),
	                                     true, &err),
	                SEALMAIL_OK);
	test_assert_str(e.type, "multipart/signed");
	test_assert_str(e.protocol, "application/pkcs7-signature");
	test_assert_str(e.boundary, "b1");
	sm_mime_source_free(s);
}

static void
test_boundaries_lf_and_empty(void)
{
	const char *m = "Content-Type: multipart/mixed; boundary=x\n"
	                "\n"
	                "--x\n"
	                "\n"
	                "a\n"
	                "--x\n"
	                "--x\n"
	                "\n"
	                "b\n"
	                "--x--";
	static const char *const want[] = {"\na", "", "\nb"};
	sm_mime_source *s = src_of(m);

	check_children(s, m, 3, want);
	sm_mime_source_free(s);
}

/* openssl cms writes CRLF content followed by an LF-only line break. */
static void
test_boundaries_mixed_eol(void)
{
	const char *m = "Content-Type: multipart/signed; boundary=\"-b\"\n\n"
	                "---b\nContent-Type: text/plain\r\n\r\nhello\r\n\n"
	                "---b\nx\r\n\r\n---b--\n";
	static const char *const want[] = {
	        "Content-Type: text/plain\r\n\r\nhello\r\n", "x\r\n"};
	sm_mime_source *s = src_of(m);

	check_children(s, m, 2, want);
	sm_mime_source_free(s);
}

static void
test_no_boundary(void)
{
	const char *m = "Content-Type: multipart/mixed; boundary=zz\r\n\r\n"
	                "no delimiter at all\r\n";
	sm_mime_source *s = src_of(m);
	sm_mime_entity e;
	off_t *rg = NULL;
	size_t n = 0;
	sealmail_error err = {0};

	test_assert_int(
	        sm_mime_entity_parse(&e, s, 0, (off_t)strlen(m), true, &err),
	        SEALMAIL_OK);
	test_assert_int(sm_mime_multipart_children(&rg, &n, s, &e, 100, &err),
	                SEALMAIL_EBADDATA);
	test_assert(strstr(err.message, "boundary not found") != NULL);
	sm_mime_source_free(s);
}

/* One byte per read: the spooled source must not care. */
static long
one_byte(void *buf, size_t len, void *payload)
{
	const char **p = payload;

	if (**p == '\0' || len == 0)
		return 0;
	*(char *)buf = **p;
	(*p)++;
	return 1;
}

static void
test_one_byte_input(void)
{
	static const char *const want[] = {
	        "Content-Type: text/plain\r\n\r\nline one\r\n"
	        "--b1 is not a delimiter here\r\n",
	        "Content-Type: application/pkcs7-signature\r\n\r\nAAAA"};
	const char *cursor = signed_crlf;
	sealmail_input *in = NULL;
	sm_mime_source *s = NULL;
	sealmail_error err = {0};

	test_assert_int(
	        sealmail_input_new_callback(&in, one_byte, &cursor, &err),
	        SEALMAIL_OK);
	test_assert_int(sm_mime_source_new(&s, in, &err), SEALMAIL_OK);
	test_assert_int(sm_mime_source_size(s), (off_t)strlen(signed_crlf));
	check_children(s, signed_crlf, 2, want);
	sm_mime_source_free(s);
	sealmail_input_free(in);
}

/*
 * A source over 1 MiB (a temporary file) with delimiters placed across the
 * 64 KiB read chunks at every offset around the edge.
 */
static void
test_large_across_chunks(void)
{
	const char *head = "Content-Type: multipart/mixed; boundary=q\r\n\r\n";
	size_t hl = strlen(head);

	for (size_t shift = 0; shift < 12; shift++) {
		size_t total = (1u << 20) + 200000;
		char *m = malloc(total + 1);
		size_t pos, d1, d2;
		const char *want[2];
		sm_mime_source *s = NULL;
		sealmail_error err = {0};
		char *p0, *p1;

		memcpy(m, head, hl);
		pos = hl;
		memcpy(m + pos, "--q\r\n\r\n", 7);
		pos += 7;
		/* The second delimiter straddles offset 65536 + 6 - shift. */
		d1 = 65536 + 6 - shift - 2;
		memset(m + pos, 'a', d1 - pos);
		pos = d1;
		memcpy(m + pos, "\r\n--q\r\n\r\n", 9);
		pos += 9;
		d2 = total - 9;
		memset(m + pos, 'b', d2 - pos);
		pos = d2;
		memcpy(m + pos, "\r\n--q--\r\n", 9);
		m[total] = '\0';
		p0 = slice(m, (off_t)hl + 5, (off_t)d1);
		p1 = slice(m, (off_t)d1 + 7, (off_t)d2);
		want[0] = p0;
		want[1] = p1;
		test_assert_int(sm_mime_source_new_memory(&s, m, total, &err),
		                SEALMAIL_OK);
		check_children(s, m, 2, want);
		sm_mime_source_free(s);
		free(p0);
		free(p1);
		free(m);
	}
}

static void
test_decode_base64(void)
{
	const char *m = "Content-Type: application/octet-stream\r\n"
	                "Content-Transfer-Encoding: base64\r\n\r\n"
	                "aGVsbG8g\r\nd29ybGQ=\r\n";
	sm_mime_source *s = src_of(m);
	sm_mime_entity e;
	sm_buf out;
	sealmail_error err = {0};

	sm_buf_init(&out, 1024);
	test_assert_int(
	        sm_mime_entity_parse(&e, s, 0, (off_t)strlen(m), false, &err),
	        SEALMAIL_OK);
	test_assert_int(sm_mime_decode_body(&out, s, &e, &err), SEALMAIL_OK);
	test_assert_int(out.len, 11);
	test_assert(memcmp(out.data, "hello world", 11) == 0);
	sm_buf_free(&out);

	/* Over the buffer's maximum: a clean error. */
	sm_buf_init(&out, 4);
	test_assert_int(sm_mime_decode_body(&out, s, &e, &err),
	                SEALMAIL_EBADDATA);
	sm_buf_free(&out);
	sm_mime_source_free(s);
}

static void
test_recipients(void)
{
	const char *m = "From: a@example.org\r\n"
	                "To: Bob <Bob@Example.org>, list: carol@example.org, "
	                "dave@example.org;\r\n"
	                "Cc: bob@example.org, \"E\" <erin@example.org>\r\n"
	                "Bcc: frank@example.org\r\n\r\nbody\r\n";
	sm_mime_source *s = src_of(m);
	sm_mime_entity e;
	sm_mime_rcpt *r = NULL;
	size_t n = 0;
	sealmail_error err = {0};

	test_assert_int(
	        sm_mime_entity_parse(&e, s, 0, (off_t)strlen(m), true, &err),
	        SEALMAIL_OK);
	test_assert_int(sm_mime_recipients(&r, &n, s, &e, &err), SEALMAIL_OK);
	test_assert_int(n, 5);
	if (n == 5) {
		test_assert_str(r[0].address, "bob@example.org");
		test_assert_int(r[0].field, SM_MIME_TO);
		test_assert_str(r[1].address, "carol@example.org");
		test_assert_str(r[2].address, "dave@example.org");
		test_assert_str(r[3].address, "erin@example.org");
		test_assert_int(r[3].field, SM_MIME_CC);
		test_assert_str(r[4].address, "frank@example.org");
		test_assert_int(r[4].field, SM_MIME_BCC);
	}
	sm_mime_recipients_free(r, n);
	sm_mime_source_free(s);
}

static int
buf_cb(const void *data, size_t len, void *payload)
{
	return sm_buf_append(payload, data, len, NULL);
}

static void
test_write_headers(void)
{
	const char *m = "From: alice@example.org\n"
	                "Subject: a long\n"
	                " folded subject\n"
	                "MIME-Version: 1.0\n"
	                "Content-Type: text/plain;\n"
	                "\tcharset=us-ascii\n"
	                "Bcc: secret@example.org\n"
	                "To: bob@example.org\n"
	                "\n"
	                "body\n";
	sm_mime_source *s = src_of(m);
	sm_mime_entity e;
	sm_buf out;
	sealmail_error err = {0};

	sm_buf_init(&out, 4096);
	test_assert_int(
	        sm_mime_entity_parse(&e, s, 0, (off_t)strlen(m), true, &err),
	        SEALMAIL_OK);
	test_assert_int(sm_mime_write_headers(s, &e, false, buf_cb, &out, &err),
	                SEALMAIL_OK);
	test_assert_str((const char *)out.data, "From: alice@example.org\r\n"
	                                        "Subject: a long\r\n"
	                                        " folded subject\r\n"
	                                        "To: bob@example.org\r\n");
	sm_buf_free(&out);
	sm_mime_source_free(s);
}

/* The canonical content of `m`, as a string. */
static char *
canonical(const char *m)
{
	sm_mime_source *s = src_of(m);
	sm_buf out;
	sealmail_error err = {0};

	sm_buf_init(&out, 1 << 20);
	test_assert_int(sm_mime_write_canonical(s, buf_cb, &out, &err),
	                SEALMAIL_OK);
	sm_mime_source_free(s);
	return (char *)sm_buf_detach(&out, NULL);
}

static bool
all_crlf(const char *s)
{
	for (const char *p = s; *p; p++)
		if (*p == '\n' && (p == s || p[-1] != '\r'))
			return false;
	return true;
}

static bool
seven_bit(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p >= 0x80)
			return false;
	return true;
}

static void
test_canonical(void)
{
	char longline[1200];
	char msg[1400];
	char *c;

	/* Plain 7-bit text: only line ends change; outer headers stay out. */
	c = canonical("From: a@example.org\nSubject: s\n"
	              "Content-Type: text/plain\n\nhello\nworld\n");
	test_assert(all_crlf(c));
	test_assert(strstr(c, "Content-Type: text/plain\r\n") != NULL);
	test_assert(strstr(c, "\r\n\r\nhello\r\nworld\r\n") != NULL);
	test_assert(strstr(c, "Subject") == NULL);
	test_assert(strstr(c, "From: a@") == NULL);
	test_assert(strstr(c, "Content-Transfer-Encoding") == NULL);
	free(c);

	/* 8-bit text -> quoted-printable. */
	c = canonical("From: a@example.org\nContent-Type: text/plain; "
	              "charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
	              "caf\xc3\xa9\n");
	test_assert(strstr(c, "quoted-printable") != NULL);
	test_assert(strstr(c, "caf=C3=A9") != NULL);
	test_assert(seven_bit(c) && all_crlf(c));
	free(c);

	/* Trailing white space and "From " at a line start -> QP. */
	c = canonical("From: a@example.org\n\nline with space \nok\n");
	test_assert(strstr(c, "quoted-printable") != NULL);
	test_assert(strstr(c, "space \r\n") == NULL);
	free(c);
	c = canonical("From: a@example.org\n\nhello\nFrom here on\n");
	test_assert(strstr(c, "quoted-printable") != NULL);
	test_assert(strstr(c, "\r\nFrom here") == NULL);
	test_assert(strstr(c, "\r\n=46rom here on\r\n") != NULL);
	test_assert(all_crlf(c));
	free(c);
	/* CRLF input with 8-bit text: no stray =0D, CRLF kept. */
	c = canonical("From: a@example.org\r\nContent-Type: text/plain; "
	              "charset=utf-8\r\n\r\n\xc3\xa9t\xc3\xa9\r\nok\r\n");
	test_assert(strstr(c, "=C3=A9t=C3=A9\r\nok\r\n") != NULL);
	test_assert(strstr(c, "=0D") == NULL);
	test_assert(all_crlf(c));
	free(c);

	/* A line over 998 bytes -> QP, no line over 76 after. */
	memset(longline, 'x', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	(void)snprintf(msg, sizeof(msg), "From: a@example.org\n\n%s\n",
	               longline);
	c = canonical(msg);
	test_assert(strstr(c, "quoted-printable") != NULL);
	test_assert(strstr(c, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	                      "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx") == NULL);
	free(c);

	/* Binary data with NUL in a non-text part -> base64. */
	{
		static const char bin[] =
		        "From: a@example.org\nContent-Type: multipart/mixed; "
		        "boundary=zz\n\n--zz\nContent-Type: text/plain\n\n"
		        "hi\n--zz\nContent-Type: application/octet-stream\n"
		        "Content-Transfer-Encoding: binary\n\n\x01\x02\xff"
		        "\n--zz--\n";
		c = canonical(bin);
		test_assert(strstr(c, "Content-Transfer-Encoding: base64") !=
		            NULL);
		test_assert(strstr(c, "AQL/") != NULL);
		test_assert(seven_bit(c) && all_crlf(c));
		test_assert(strstr(c, "--zz--") != NULL);
		free(c);
	}
}

/*
 * Exact canonical forms of content left as it is (written by sm_canon in
 * 64 KiB pieces, not GMime's filter): the same bytes GMime wrote, for LF,
 * CRLF, mixed line ends, no final line end, a CRLF split between pieces,
 * and a lone CR at the end (GMime's path).
 */
static void
test_canonical_exact(void)
{
	char *c;
	size_t n = 0, big = 300000;
	char *m = malloc(big + 200), *want = malloc(2 * big + 200);

	c = canonical("From: a@example.org\nSubject: s\n"
	              "Content-Type: text/plain\n\nhello\nworld\n");
	test_assert_str(c,
	                "Content-Type: text/plain\r\n\r\nhello\r\nworld\r\n");
	free(c);
	c = canonical("From: a@example.org\r\nContent-Type: text/plain\r\n"
	              "\r\nhello\r\nworld");
	test_assert_str(c, "Content-Type: text/plain\r\n\r\nhello\r\nworld");
	free(c);
	c = canonical("From: a@example.org\n\nhi\r\nmixed\nends\r\n\n");
	test_assert_str(c, "Content-Type: text/plain; charset=utf-8\r\n\r\n"
	                   "hi\r\nmixed\r\nends\r\n\r\n");
	free(c);
	c = canonical("From: a@example.org\n\nlast\r");
	test_assert(c != NULL && strstr(c, "\r\n\r\n") != NULL);
	free(c);

	/* The first line is 65 bytes, then 64: the CR of the 1024th line end
	 * is content byte 65535, its LF byte 65536 (the next piece). */
	test_assert(m != NULL && want != NULL);
	if (m == NULL || want == NULL) {
		free(m);
		free(want);
		return;
	}
	for (int crlf = 0; crlf < 2; crlf++) {
		size_t w, len = (size_t)sprintf(m, "From: a@example.org\n\n");
		w = (size_t)sprintf(want, "Content-Type: text/plain; "
		                          "charset=utf-8\r\n\r\n");
		for (n = 0; len < big; n++) {
			size_t letters = n == 0 ? 63 : 62;
			memset(m + len, 'a' + (int)(n % 26), letters);
			memset(want + w, 'a' + (int)(n % 26), letters);
			len += letters;
			w += letters;
			if (crlf)
				m[len++] = '\r';
			m[len++] = '\n';
			want[w++] = '\r';
			want[w++] = '\n';
		}
		m[len] = want[w] = '\0';
		c = canonical(m);
		test_assert(c != NULL && strcmp(c, want) == 0);
		free(c);
	}
	free(m);
	free(want);
}

/* The canonical form of `s` by both paths; asserts they agree. */
static void
canonical_both(sm_mime_source *s, const char *what)
{
	sm_buf fast, slow;
	sealmail_error err = {0};
	int rf, rs;

	sm_buf_init(&fast, 64u << 20);
	sm_buf_init(&slow, 64u << 20);
	rf = sm_mime_write_canonical(s, buf_cb, &fast, &err);
	rs = sm_mime_write_canonical_gmime(s, buf_cb, &slow, &err);

	/* a multipart without parts is refused by both */
	if (rf != rs) {
		(void)printf("#   %s: status %d and %d\n", what, rf, rs);
		test_current_failed = 1;
	}
	if (fast.len != slow.len ||
	    (fast.len > 0 && memcmp(fast.data, slow.data, fast.len) != 0)) {
		(void)printf("#   %s: the one-read path wrote %zu bytes, "
		             "GMime %zu (or other bytes)\n",
		             what, fast.len, slow.len);
		test_current_failed = 1;
	}
	sm_buf_free(&fast);
	sm_buf_free(&slow);
}

/*
 * The one-read path for a single leaf part writes what GMime's path
 * writes, for clean content (taken as it is, or through sm_canon when LFs
 * lack their CR) and for content it hands back to GMime: a flaw right at
 * the start, or after 1 MiB that looked canonical (8-bit byte, NUL, bare
 * CR, trailing space, "From "); headers with and without Content-Type,
 * 8bit and base64 labels, LF and CRLF header blocks, an empty body.
 */
static void
test_canonical_fast(void)
{
	static const char *const heads[] = {
	        "From: a@example.org\r\nSubject: s\r\n\r\n",
	        "From: a@example.org\nContent-Type: text/plain; "
	        "charset=us-ascii\nMIME-Version: 1.0\n\n",
	        "From: a@example.org\r\nContent-Type: application/octet-"
	        "stream\r\nContent-Transfer-Encoding: 8bit\r\n\r\n",
	        "From: a@example.org\r\nContent-Type: text/plain\r\n"
	        "Content-Transfer-Encoding: base64\r\n\r\n",
	        "From: a@example.org\r\nContent-Type: multipart/mixed; "
	        "boundary=b\r\n\r\n",
	        "From: a@example.org\r\nContent-Type: text/plain\r\n"
	        "X-Folded: one\r\n two\r\n\r\n",
	        "From: a@example.org\r\nnot a header line\r\nX: y\r\n\r\n",
	        "From: a@example.org\r\nSubject: no blank line\r\n",
	        "From: a@example.org",
	        "From: a@example.org\r\nContent-Type: message/rfc822\r\n\r\n",
	        "From: a@example.org\r\nContent-Type: application/pkcs7-mime;"
	        " smime-type=signed-data\r\n\r\n",
	};
	static const char *const bodies[] = {
	        "",
	        "hello\r\nworld\r\n",
	        "hello\nworld\n",
	        "hi\r\nmixed\nends\r\n\n",
	        "no final line end",
	        ("QUJD\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nx\r\n"
	         "--b--\r\n"),
	        "last\r",
	        "From here\r\n",
	        "\xc3\xa9t\xc3\xa9\r\n",
	        "trailing \r\n",
	};
	static const char *const flaws[] = {"\x80",  "\x01",      "\r",
	                                    " \r\n", "\r\nFrom ", "\n"};
	size_t big = (1u << 20) + 4096, len;
	char *m = malloc(big + 512);
	sm_mime_source *s;
	char what[64];

	test_assert(m != NULL);
	if (m == NULL)
		return;
	for (size_t h = 0; h < SM_ARRAY_SIZE(heads); h++)
		for (size_t b = 0; b < SM_ARRAY_SIZE(bodies); b++) {
			(void)snprintf(m, big, "%s%s", heads[h], bodies[b]);
			(void)snprintf(what, sizeof(what), "head %zu body %zu",
			               h, b);
			s = src_of(m);
			canonical_both(s, what);
			sm_mime_source_free(s);
		}
	for (size_t f = 0; f <= SM_ARRAY_SIZE(flaws); f++) {
		len = (size_t)sprintf(m, "%s", heads[0]);
		while (len < big) {
			memset(m + len, 'Q', 76);
			memcpy(m + len + 76, CRLF, sizeof(CRLF));
			len += 78;
		}
		if (f < SM_ARRAY_SIZE(flaws))
			memcpy(m + len - 40, flaws[f], strlen(flaws[f]));
		m[len] = '\0';
		(void)snprintf(what, sizeof(what), "1 MiB, flaw %zu", f);
		s = src_of(m);
		canonical_both(s, what);
		sm_mime_source_free(s);
	}
	free(m);
}

/*
 * Speculative writing (one read): clean content gives GMime's bytes; a
 * flaw found after pieces were written gives SM_MIME_RETRY.  The first
 * 256 KiB piece ends with the CR of a CRLF; bare LFs start in the next
 * piece (sm_canon takes over, told the CR was written); the flaws sit in
 * the third piece, or at the very end (a last line over 998 bytes, a CR).
 */
static void
test_canonical_speculate(void)
{
	static const char head[] = "From: a@example.org\r\n\r\n";
	static const char *const tails[] = {
	        "",           "ok\n",           "caf\xc3\xa9\n",
	        "space \r\n", "\r\nFrom x\r\n", "nul\001\000\n",
	        "bare\rcr\n", "ends with CR\r", NULL};
	size_t big = 700000, len;
	char *m = malloc(big + 2000);

	test_assert(m != NULL);
	if (m == NULL)
		return;
	for (size_t t = 0; t < SM_ARRAY_SIZE(tails); t++) {
		sm_mime_source *src = NULL;
		sealmail_error err = {0};
		sm_buf spec, slow;
		size_t tlen;
		bool clean;
		int rc;

		len = (size_t)sprintf(m, "%s", head);
		/* 63 letters + CRLF, then 78-byte lines: the CR of a CRLF is
		 * body byte 262143, its LF byte 262144 (the second piece) */
		memset(m + len, 'a', 63);
		memcpy(m + len + 63, CRLF, sizeof(CRLF));
		len += 65;
		while (len - (sizeof(head) - 1) < 262145) {
			memset(m + len, 'b', 76);
			memcpy(m + len + 76, CRLF, sizeof(CRLF));
			len += 78;
		}
		/* then LF-only lines */
		while (len < big) {
			memset(m + len, 'c', 70);
			m[len + 70] = '\n';
			len += 71;
		}
		if (tails[t] == NULL) {
			/* a last line of 999 bytes, no line end */
			memset(m + len, 'd', 999);
			tlen = 999;
		} else {
			tlen = t == 5 ? 7 : strlen(tails[t]);
			memcpy(m + len, tails[t], tlen);
		}
		len += tlen;
		test_assert_int(sm_mime_source_new_memory(&src, m, len, &err),
		                SEALMAIL_OK);
		sm_buf_init(&spec, 8u << 20);
		sm_buf_init(&slow, 8u << 20);
		rc = sm_mime_write_canonical_spec(src, true, buf_cb, &spec,
		                                  &err);
		test_assert_int(
		        sm_mime_write_canonical_gmime(src, buf_cb, &slow, &err),
		        SEALMAIL_OK);
		clean = t <= 1;
		test_assert_int(rc, clean ? SEALMAIL_OK : SM_MIME_RETRY);
		/* when it retries, it had written more than the header */
		test_assert(spec.len > (clean ? 0 : 262144));
		if (clean)
			test_assert(spec.len == slow.len &&
			            memcmp(spec.data, slow.data, spec.len) ==
			                    0);
		sm_buf_free(&spec);
		sm_buf_free(&slow);
		sm_mime_source_free(src);
	}
	free(m);
}

/* `tmpl` with its two "%s" replaced by `a` and `b`, into `dst`. */
static void
fill(char *dst, const char *tmpl, const char *a, const char *b)
{
	const char *arg[2] = {a, b};
	int i = 0;

	while (*tmpl != '\0') {
		if (i < 2 && tmpl[0] == '%' && tmpl[1] == 's') {
			for (const char *s = arg[i++]; *s != '\0'; s++)
				*dst++ = *s;
			tmpl += 2;
		} else {
			*dst++ = *tmpl++;
		}
	}
	*dst = '\0';
}

/*
 * Multipart messages in one read: a text part, a 600 KiB base64
 * attachment (over two 256 KiB pieces) and a text part, and the same
 * inside multipart/mixed inside multipart/alternative.  Canonical bytes are
 * written as they are after the top header block: GMime's bytes, both ways
 * (speculating or scanning first); a flaw in the last text part (bare LF,
 * 8-bit byte in a 7bit part, "From " line, 1000-byte line) makes the
 * speculative write retry (so it was taken) and the two-pass one give
 * GMime's bytes; structures the path leaves to GMime (no close delimiter,
 * a message/rfc822 part, a nested multipart without boundary, no part,
 * multipart/digest, a nested multipart without a line break after its
 * close delimiter, a part header block with other lines than fields, no
 * line break at the end) give GMime's bytes without a retry.  A prologue
 * and an epilogue get CRLF line ends on GMime's path too (crlf_text).
 */
static void
test_canonical_multipart(void)
{
	static const char head[] =
	        "From: a@example.org\r\nSubject: mp\r\nMIME-Version: 1.0\r\n"
	        "Content-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n";
	static const char top[] =
	        "Content-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n";
	static const char *const shapes[] = {
	        /* 0: text + attachment */
	        "--outer\r\nContent-Type: text/plain\r\n\r\nhello\r\n"
	        "--outer\r\nContent-Type: application/octet-stream\r\n"
	        "Content-Transfer-Encoding: base64\r\n\r\n%s"
	        "--outer\r\nContent-Type: text/plain\r\n\r\nbye\r\n%s"
	        "--outer--\r\n",
	        /* 1: multipart/alternative inside, mixed inside that */
	        "--outer\r\nContent-Type: multipart/alternative; "
	        "boundary=alt\r\n\r\n--alt\r\nContent-Type: text/plain\r\n\r\n"
	        "plain\r\n--alt\r\nContent-Type: multipart/mixed; boundary=in"
	        "\r\n\r\n--in\r\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n"
	        "--in\r\nContent-Type: application/octet-stream\r\n"
	        "Content-Transfer-Encoding: base64\r\n\r\n%s"
	        "--in\r\nContent-Type: text/plain\r\n"
	        "Content-Transfer-Encoding: 7bit\r\n\r\nbye\r\n%s--in--\r\n"
	        "\r\n--alt--\r\n\r\n--outer--\r\nepilogue\r\n",
	};
	const char *flaws[] = {"", "bare LF\nx\r\n", "caf\xc3\xa9\r\n",
	                       "From me\r\n", NULL};
	static const char *const odd[] = {
	        /* no close delimiter */
	        "--outer\r\nContent-Type: text/plain\r\n\r\nx\r\n%s%s",
	        /* a message/rfc822 part */
	        "--outer\r\nContent-Type: message/rfc822\r\n\r\nSubject: in"
	        "\r\n\r\nbody\r\n%s%s--outer--\r\n",
	        /* a nested multipart without boundary */
	        "--outer\r\nContent-Type: multipart/mixed\r\n\r\nx\r\n%s%s"
	        "--outer--\r\n",
	        /* no part */
	        "no delimiter\r\n%s%s",
	        /* a nested multipart ending right before the delimiter
	         * (GMime ends it with a line break) */
	        "--outer\r\nContent-Type: multipart/mixed; boundary=in\r\n"
	        "\r\n--in\r\n\r\nx\r\n--in--\r\n--outer--\r\n%s%s",
	        /* lines that are no header in a part's header block */
	        "--outer\r\nnot a header\r\nX: y\r\n\r\nx\r\n%s%s"
	        "--outer--\r\n",
	        /* the message ends without a line break */
	        "--outer\r\n\r\nx\r\n%s%s--outer--",
	        /* a digest (its parts are messages) */
	        "--outer\r\nContent-Type: multipart/digest; boundary=d\r\n\r\n"
	        "--d\r\n\r\nSubject: in\r\n\r\nx\r\n--d--\r\n%s%s--outer--\r\n",
	};
	size_t blen = 0, cap = 1u << 20;
	char *b64 = malloc(cap), *m = malloc(2 * cap), *body;
	char longline[1002];

	test_assert(b64 != NULL && m != NULL);
	if (b64 == NULL || m == NULL) {
		free(b64);
		free(m);
		return;
	}
	while (blen < 600000) {
		memset(b64 + blen, 'Q', 76);
		memcpy(b64 + blen + 76, CRLF, 2);
		blen += 78;
	}
	b64[blen] = '\0';
	memset(longline, 'L', 998);
	memcpy(longline + 998, "L\r\n", 3);
	longline[1001] = '\0';
	flaws[SM_ARRAY_SIZE(flaws) - 1] = longline;
	for (size_t sh = 0; sh < SM_ARRAY_SIZE(shapes); sh++)
		for (size_t f = 0; f < SM_ARRAY_SIZE(flaws); f++) {
			sm_mime_source *src;
			sealmail_error err = {0};
			sm_buf spec, two, slow;
			int rc;

			body = m + sprintf(m, "%s", head);
			fill(body, shapes[sh], b64, flaws[f]);
			src = src_of(m);
			sm_buf_init(&spec, 8u << 20);
			sm_buf_init(&two, 8u << 20);
			sm_buf_init(&slow, 8u << 20);
			rc = sm_mime_write_canonical_spec(src, true, buf_cb,
			                                  &spec, &err);
			test_assert_int(sm_mime_write_canonical(src, buf_cb,
			                                        &two, &err),
			                SEALMAIL_OK);
			test_assert_int(sm_mime_write_canonical_gmime(
			                        src, buf_cb, &slow, &err),
			                SEALMAIL_OK);
			test_assert(two.len == slow.len &&
			            memcmp(two.data, slow.data, two.len) == 0);
			if (f == 0) {
				/* the source's body after the top header */
				test_assert_int(rc, SEALMAIL_OK);
				test_assert(spec.len == two.len &&
				            memcmp(spec.data, two.data,
				                   two.len) == 0);
				test_assert(
				        two.len == strlen(top) + strlen(body) &&
				        memcmp(two.data, top, strlen(top)) ==
				                0 &&
				        memcmp((char *)two.data + strlen(top),
				               body, strlen(body)) == 0);
			} else {
				/* pieces went out before the flaw was seen */
				test_assert_int(rc, SM_MIME_RETRY);
				test_assert(spec.len > 262144);
				/* GMime encoded the flawed part */
				test_assert(two.len !=
				            strlen(top) + strlen(body));
			}
			sm_buf_free(&spec);
			sm_buf_free(&two);
			sm_buf_free(&slow);
			sm_mime_source_free(src);
		}
	for (size_t o = 0; o < SM_ARRAY_SIZE(odd); o++) {
		sm_mime_source *src;
		sealmail_error err = {0};
		sm_buf spec, slow;
		int rs, rg;

		body = m + sprintf(m, "%s", head);
		fill(body, odd[o], b64, "");
		src = src_of(m);
		sm_buf_init(&spec, 8u << 20);
		sm_buf_init(&slow, 8u << 20);
		rs = sm_mime_write_canonical_spec(src, true, buf_cb, &spec,
		                                  &err);
		rg = sm_mime_write_canonical_gmime(src, buf_cb, &slow, &err);
		/* not a retry: GMime's path from the start */
		test_assert_int(rs, rg);
		test_assert(spec.len == slow.len &&
		            (spec.len == 0 ||
		             memcmp(spec.data, slow.data, spec.len) == 0));
		sm_buf_free(&spec);
		sm_buf_free(&slow);
		sm_mime_source_free(src);
	}
	/*
	 * A message signed before (multipart/signed at the top): its body
	 * goes out as it is on the one-read path (speculating or not), and
	 * GMime's path writes the same bytes (its prologue's line end had no
	 * CR there).
	 */
	{
		static const char sbody[] =
		        "This is a signed message.\r\n\r\n--s\r\n"
		        "Content-Type: text/plain\r\n\r\nhello\r\n--s\r\n"
		        "Content-Type: application/pkcs7-signature\r\n"
		        "Content-Transfer-Encoding: base64\r\n\r\nQUJD\r\n"
		        "--s--\r\n";
		sm_mime_source *src;
		sealmail_error err = {0};
		sm_buf spec, two, slow;
		const char *at;

		(void)sprintf(m,
		              "From: a@example.org\r\nMIME-Version: 1.0\r\n"
		              "Content-Type: multipart/signed; "
		              "protocol=\"application/pkcs7-signature\"; "
		              "micalg=sha-256; boundary=\"s\"\r\n\r\n%s",
		              sbody);
		src = src_of(m);
		sm_buf_init(&spec, 1u << 20);
		sm_buf_init(&two, 1u << 20);
		sm_buf_init(&slow, 1u << 20);
		test_assert_int(sm_mime_write_canonical_spec(src, true, buf_cb,
		                                             &spec, &err),
		                SEALMAIL_OK);
		test_assert_int(
		        sm_mime_write_canonical(src, buf_cb, &two, &err),
		        SEALMAIL_OK);
		test_assert_int(
		        sm_mime_write_canonical_gmime(src, buf_cb, &slow, &err),
		        SEALMAIL_OK);
		test_assert(spec.len == two.len && two.len == slow.len &&
		            memcmp(spec.data, two.data, two.len) == 0 &&
		            memcmp(two.data, slow.data, two.len) == 0);
		/* the top Content-Type, a blank line, the body as it is */
		at = memmem(two.data, two.len, "\r\n\r\n", 4);
		test_assert(
		        at != NULL &&
		        strncmp((char *)two.data,
		                "Content-Type: multipart/signed;", 31) == 0 &&
		        (size_t)(at + 4 - (char *)two.data) + strlen(sbody) ==
		                two.len &&
		        memcmp(at + 4, sbody, strlen(sbody)) == 0);
		sm_buf_free(&spec);
		sm_buf_free(&two);
		sm_buf_free(&slow);
		sm_mime_source_free(src);
	}
	/* A prologue, its CRLF kept (GMime's path wrote "QUJD\n\r\n--b") */
	(void)sprintf(m, "%s",
	              "From: a@example.org\r\nContent-Type: "
	              "multipart/mixed; boundary=b\r\n\r\nQUJD\r\n\r\n"
	              "--b\r\nContent-Type: text/plain\r\n\r\nx\r\n"
	              "--b--\r\n");
	{
		char *c = canonical(m);

		test_assert_str(c, "Content-Type: multipart/mixed; boundary=b"
		                   "\r\n\r\nQUJD\r\n\r\n--b\r\nContent-Type: "
		                   "text/plain\r\n\r\nx\r\n--b--\r\n");
		free(c);
	}
	free(b64);
	free(m);
}

/*
 * A file source is mapped in 8 MiB windows from the input's position (not
 * page aligned here): 17 MiB of lines whose CRLF straddles each window
 * edge, written as they are, with LF-only lines through sm_canon, and with
 * a flaw in the last window (GMime's path).
 */
static void
test_canonical_file(void)
{
	static const char head[] = "From: a@example.org\r\n\r\n";
	size_t n = (17u << 20) + 77, pre = 5;
	unsigned char *data = malloc(n);
	char path[128];

	test_assert(data != NULL);
	if (data == NULL)
		return;
	(void)snprintf(path, sizeof(path), "%s/big.eml", test_tmpdir());
	for (int variant = 0; variant < 3; variant++) {
		sealmail_input *in = NULL;
		sm_mime_source *s = NULL;
		sealmail_error err = {0};
		char what[32];
		FILE *f;
		int fd;

		memset(data, 'x', pre);
		memcpy(data + pre, head, sizeof(head) - 1);
		for (size_t i = pre + sizeof(head) - 1; i < n; i++)
			data[i] = 'A' + (unsigned char)(i % 26);
		/* a CRLF across each 8 MiB edge of the mapping */
		for (size_t w = 1; w <= 2; w++) {
			size_t at = pre + w * (8u << 20) - 1;
			data[at] = '\r';
			data[at + 1] = '\n';
		}
		for (size_t i = pre + 100; i < n - 2; i += 700) {
			data[i] = variant == 1 ? 'z' : '\r';
			data[i + 1] = '\n';
		}
		if (variant == 2)
			data[n - 1000] = 0x80;
		f = fopen(path, "wb");
		test_assert(f != NULL && fwrite(data, 1, n, f) == n &&
		            fclose(f) == 0);
		fd = open(path, O_RDONLY);
		test_assert(fd >= 0 &&
		            lseek(fd, (off_t)pre, SEEK_SET) == (off_t)pre);
		test_assert_int(sealmail_input_new_fd(&in, fd, &err),
		                SEALMAIL_OK);
		test_assert_int(sm_mime_source_new(&s, in, &err), SEALMAIL_OK);
		(void)snprintf(what, sizeof(what), "file variant %d", variant);
		canonical_both(s, what);
		sm_mime_source_free(s);
		sealmail_input_free(in);
		(void)close(fd);
	}
	free(data);
}

/*
 * `n` bytes of test data, byte i being i * mul + i / div (mod 256), each
 * test its own; NULL (and a failed assertion) when out of memory.
 */
static unsigned char *
pattern(size_t n, unsigned int mul, size_t div)
{
	unsigned char *data = malloc(n);

	test_assert(data != NULL);
	for (size_t i = 0; data != NULL && i < n; i++)
		data[i] = (unsigned char)(i * mul + i / div);
	return data;
}

/*
 * A regular file over 1 MiB is read in place: from the input's position,
 * every byte as in the file, and never appended to (it is the user's file).
 */
static void
test_file_in_place(void)
{
	char path[128];
	size_t n = (2u << 20) + 123;
	unsigned char *data = pattern(n, 7, 251), buf[256];
	sealmail_input *in = NULL;
	sm_mime_source *s = NULL;
	sealmail_error err = {0};
	FILE *f;
	int fd;

	if (data == NULL)
		return;
	(void)snprintf(path, sizeof(path), "%s/big", test_tmpdir());
	f = fopen(path, "wb");
	test_assert(f != NULL && fwrite(data, 1, n, f) == n && fclose(f) == 0);
	fd = open(path, O_RDONLY);
	test_assert(fd >= 0 && lseek(fd, 100, SEEK_SET) == 100);
	test_assert_int(sealmail_input_new_fd(&in, fd, &err), SEALMAIL_OK);
	test_assert_int(sm_mime_source_new(&s, in, &err), SEALMAIL_OK);
	test_assert_int(sm_mime_source_size(s), (off_t)(n - 100));
	test_assert_int(sm_mime_source_read(s, 0, buf, 16, &err), 16);
	test_assert(memcmp(buf, data + 100, 16) == 0);
	test_assert_int(sm_mime_source_read(s, (off_t)(n - 110), buf,
	                                    sizeof(buf), &err),
	                10);
	test_assert(memcmp(buf, data + n - 10, 10) == 0);
	/* The input counts as read to the end. */
	test_assert_int(sealmail_input_read(in, buf, sizeof(buf), &err), 0);
	test_assert_int(sm_mime_source_append(s, "x", 1, &err),
	                SEALMAIL_EINVAL);
	test_assert_str(err.message, "cannot append to an input file");
	sm_mime_source_free(s);
	sealmail_input_free(in);
	(void)close(fd);
	free(data);
}

/* A source over `data` held in a temporary file (appended past 1 MiB). */
static sm_mime_source *
file_src(const unsigned char *data, size_t len)
{
	sm_mime_source *s = NULL;
	sealmail_error err = {0};

	test_assert_int(sm_mime_source_new_empty(&s, &err), SEALMAIL_OK);
	for (size_t i = 0; i < len; i += 100000)
		test_assert_int(sm_mime_source_append(s, data + i,
		                                      len - i < 100000 ? len - i
		                                                       : 100000,
		                                      &err),
		                SEALMAIL_OK);
	return s;
}

/*
 * Views of a file, mapped 4 MiB at a time (the default), 300 000 bytes at
 * a time (a new window nearly every view, none on a page boundary) and
 * read with pread (window 0): the same bytes, the same view edges.
 */
static const size_t windows[] = {4u << 20, 300000, 0};

static void
check_views(const unsigned char *data, size_t n, size_t window, bool ahead)
{
	sm_mime_source *s;
	sealmail_error err = {0};
	const unsigned char *p;
	size_t pos = 0;
	bool same = true;
	static const size_t steps[] = {1, 4095, 65536, 1000000};

	s = file_src(data, n);
	if (window != windows[0])
		sm_mime_source_set_window(s, window);
	if (ahead) /* the next windows read on a second thread */
		sm_mime_source_set_ahead(s, 0);
	/* In order, in pieces of every size: the bytes, never a copy (a
	 * byte at a time once: the thread changes nothing inside a view). */
	for (size_t k = ahead ? 1 : 0; k < SM_ARRAY_SIZE(steps); k++) {
		pos = 0;
		while (pos < n) {
			long got = sm_mime_source_view(s, (off_t)pos, steps[k],
			                               &p, &err);
			size_t min = steps[k] < 65536 ? steps[k] : 65536;
			if (min > n - pos)
				min = n - pos;
			if (got < (long)min || got > (long)steps[k] ||
			    memcmp(p, data + pos, (size_t)got) != 0) {
				same = false;
				break;
			}
			pos += (size_t)got;
		}
		test_assert(same);
	}
	/* Around 4 MiB, backwards too, and the last byte. */
	for (size_t off = (4u << 20) - 70000; off < (4u << 20) + 10;
	     off += 6997) {
		long got = sm_mime_source_view(s, (off_t)off, 100000, &p, &err);
		test_assert(got >= 65536 &&
		            memcmp(p, data + off, (size_t)got) == 0);
	}
	test_assert_int(sm_mime_source_view(s, (off_t)n - 1, 10, &p, &err), 1);
	test_assert(p[0] == data[n - 1]);
	test_assert_int(sm_mime_source_view(s, (off_t)n, 10, &p, &err), 0);
	/* Copied views and views taken by turns: the same bytes, edges. */
	for (size_t off = 0; off < n; off += 1234567) {
		long a = sm_mime_source_view_copy(s, (off_t)off, n, &p, &err);
		test_assert(a > 0 && memcmp(p, data + off, (size_t)a) == 0);
		long b = sm_mime_source_view(s, (off_t)off, n, &p, &err);
		test_assert_int(b, a);
		test_assert(b > 0 && memcmp(p, data + off, (size_t)b) == 0);
		b = sm_mime_source_view_copy(s, (off_t)off + 1, n, &p, &err);
		test_assert_int(b, a - 1);
		test_assert(b > 0 && memcmp(p, data + off + 1, (size_t)b) == 0);
	}
	/* A view is 256 KiB from where it was asked, mapped or read. */
	test_assert_int(sm_mime_source_view(s, 1000, n, &p, &err), 256 << 10);
	test_assert_int(sm_mime_source_view(s, 1000 + 100000, n, &p, &err),
	                (256 << 10) - 100000);
	/* Copied views in order, in pieces of 4095 bytes and more. */
	for (size_t k = 1; k < SM_ARRAY_SIZE(steps); k++) {
		pos = 0;
		while (pos < n) {
			long got = sm_mime_source_view_copy(s, (off_t)pos,
			                                    steps[k], &p, &err);
			if (got <= 0 || got > (long)steps[k] ||
			    memcmp(p, data + pos, (size_t)got) != 0) {
				same = false;
				break;
			}
			pos += (size_t)got;
		}
		test_assert(same);
	}
	/* mapped views: a thread for each pass in order (none with pread) */
	if (ahead)
		test_assert_int(sm_mime_source_threads(s) >= 2, window > 0);
	sm_mime_source_free(s);
}

static void
test_views(void)
{
	size_t n = (9u << 20) + 777;
	unsigned char *data = pattern(n, 13, 4099);

	if (data == NULL)
		return;
	for (size_t w = 0; w < SM_ARRAY_SIZE(windows); w++) {
		check_views(data, n, windows[w], false);
		check_views(data, n, windows[w], true);
	}
	free(data);
}

/* A source over `n` bytes of `data` in the file at `path`, as a user's. */
static sm_mime_source *
user_file(sealmail_input **in,
          const char *path,
          const unsigned char *data,
          size_t n)
{
	sealmail_error err = {0};
	sm_mime_source *s = NULL;
	FILE *f = fopen(path, "wb");
	int fd;

	test_assert(f != NULL && fwrite(data, 1, n, f) == n && fclose(f) == 0);
	fd = open(path, O_RDONLY);
	test_assert_int(sealmail_input_new_fd(in, fd, &err), SEALMAIL_OK);
	test_assert_int(sealmail_input_set_name(*in, "msg.eml", &err),
	                SEALMAIL_OK);
	test_assert_int(sm_mime_source_new(&s, *in, &err), SEALMAIL_OK);
	(void)close(fd); /* the source keeps its own */
	return s;
}

/* Every view of `s` in order, 100 000 bytes asked at a time: the bytes. */
static bool
views_match(sm_mime_source *s, const unsigned char *data, size_t n, bool copy)
{
	sealmail_error err = {0};
	const unsigned char *p;
	size_t pos = 0;

	while (pos < n) {
		long got = copy ? sm_mime_source_view_copy(s, (off_t)pos,
		                                           100000, &p, &err)
		                : sm_mime_source_view(s, (off_t)pos, 100000, &p,
		                                      &err);
		if (got <= 0 || memcmp(p, data + pos, (size_t)got) != 0)
			return false;
		pos += (size_t)got;
	}
	return true;
}

/*
 * A second thread maps a file's windows ahead only while more than the
 * threshold is left after a window the reader came to from the one before
 * (not the first, of 256 KiB: 2 MiB short of the file's size starts one
 * then, the size less 256 KiB never), never for copied views or a source
 * in memory; the bytes are the same either way.  An early free stops the
 * thread wherever it is.
 */
static void
test_ahead_threshold(void)
{
	size_t n = (3u << 20) + 11;
	unsigned char *data = pattern(n, 7, 65521);
	char path[128];

	if (data == NULL)
		return;
	(void)snprintf(path, sizeof(path), "%s/ahead", test_tmpdir());
	for (int k = 0; k < 3; k++) {
		sealmail_input *in = NULL;
		sm_mime_source *s = user_file(&in, path, data, n);

		sm_mime_source_set_window(s, 512 << 10);
		sm_mime_source_set_ahead(s, k == 0   ? (off_t)n - (2 << 20)
		                            : k == 1 ? (off_t)n - (256 << 10)
		                                     : 0);
		test_assert(views_match(s, data, n, k == 2));
		test_assert_int(sm_mime_source_threads(s), k == 0 ? 1 : 0);
		sm_mime_source_free(s);
		sealmail_input_free(in);
	}
	/* Small and memory sources never start one. */
	{
		static const char text[] = "Subject: x\r\n\r\nbody\r\n";
		sm_mime_source *s = src_of(text);
		const unsigned char *t = (const unsigned char *)text;

		sm_mime_source_set_ahead(s, 0);
		test_assert(views_match(s, t, sizeof(text) - 1, false));
		test_assert_int(sm_mime_source_threads(s), 0);
		sm_mime_source_free(s);
	}
	/* Freed while the thread is ahead: before any view, after the first
	 * windows, mid-way. */
	for (int k = 0; k < 4; k++) {
		sealmail_input *in = NULL;
		sm_mime_source *s = user_file(&in, path, data, n);

		sm_mime_source_set_window(s, 300000);
		sm_mime_source_set_ahead(s, 0);
		test_assert(views_match(s, data, (size_t)k * 700000, false));
		test_assert_int(sm_mime_source_threads(s), k >= 1 ? 1 : 0);
		sm_mime_source_free(s);
		sealmail_input_free(in);
	}
	(void)unlink(path);
	free(data);
}

/*
 * The change guard with the second thread ahead of the views: the file
 * rewritten (the same byte) or cut short under windows the thread has
 * already mapped is refused at the next window, and the thread, which
 * touches no mapped byte, does not fault on the pages cut off.
 */
static void
test_ahead_changed(void)
{
	size_t n = (12u << 20) + 3;
	unsigned char *data = pattern(n, 31, 4093);
	char path[128];

	if (data == NULL)
		return;
	(void)snprintf(path, sizeof(path), "%s/ahead-changed", test_tmpdir());
	for (int change = 0; change < 2; change++) {
		sealmail_input *in = NULL;
		sm_mime_source *s = user_file(&in, path, data, n);
		sealmail_error err = {0};
		const unsigned char *p;
		int wfd;

		sm_mime_source_set_window(s, 1 << 20);
		sm_mime_source_set_ahead(s, 0);
		/* to 5 MiB: the thread is mapping windows ahead */
		test_assert(views_match(s, data, 5u << 20, false));
		test_assert_int(sm_mime_source_threads(s), 1);
		wfd = open(path, O_WRONLY);
		test_assert(wfd >= 0);
		if (change == 0)
			test_assert_int(pwrite(wfd, data + 100, 1, 100), 1);
		else
			test_assert_int(ftruncate(wfd, 6 << 20), 0);
		(void)close(wfd);
		/* the next window: refused, whatever the thread has mapped */
		test_assert_int(sm_mime_source_view(s, 9 << 20, 100, &p, &err),
		                SEALMAIL_ECHANGED);
		test_assert_str(err.message,
		                "msg.eml changed while it was being read");
		err.message[0] = '\0';
		test_assert_int(sm_mime_source_check(s, &err),
		                SEALMAIL_ECHANGED);
		test_assert_str(err.message,
		                "msg.eml changed while it was being read");
		sm_mime_source_free(s);
		sealmail_input_free(in);
	}
	(void)unlink(path);
	free(data);
}

static void
check_cut_delimiters(const char *head, size_t hl, size_t edge)
{
	for (size_t cut = 0; cut <= 8; cut++) {
		size_t d = edge - cut, total = d + 40;
		char *m = malloc(total + 1);
		const char *want[2];
		char *p0;
		sm_mime_source *s;

		test_assert(m != NULL);
		if (m == NULL)
			return;
		memcpy(m, head, hl);
		for (size_t i = hl; i < d - 2; i++)
			m[i] = (i - hl) % 78 == 76   ? '\r'
			       : (i - hl) % 78 == 77 ? '\n'
			                             : 'a';
		memcpy(m + d - 2, "\r\n--b1\r\n\r\nsecond\r\n--b1--\r\n", 26);
		total = d + 24;
		m[total] = '\0';
		p0 = slice(m, (off_t)hl - 2, (off_t)d - 2);
		want[0] = p0;
		want[1] = "\r\nsecond";
		s = file_src((const unsigned char *)m, total);
		check_children(s, m, 2, want);
		sm_mime_source_free(s);
		free(p0);
		free(m);
	}
}

/*
 * A delimiter line cut by the end of a view is still found: the multipart
 * in a temporary file, the delimiter moved a byte at a time across the
 * end of the first view (256 KiB from the body's start) and across 4 MiB.
 */
static void
test_boundary_across_window(void)
{
	const char *head = "Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
	                   "\r\n--b1\r\n\r\n";
	size_t hl = strlen(head);
	size_t edges[2] = {(size_t)(strstr(head, "--b1") - head) + (256u << 10),
	                   4u << 20};

	for (size_t k = 0; k < 2; k++)
		check_cut_delimiters(head, hl, edges[k]);
}

/* ---- the tap over generated layouts (differential) ---- */

/*
 * A file read in place that changes is found out: by sm_mime_source_check
 * at any time, and before a window of it is mapped.  Each change below
 * differs from what was seen in size or in its modification time: a write
 * of one byte (the same byte: no content changes) gets a later one, since
 * Linux 6.13 finer than the clock's tick once the time was looked at
 * (multigrain timestamps), as sm_mime_source_new does.  A rename (a
 * Maildir flag set by a mail program) and a chmod change the change time
 * only, and are no change.
 */
static void
test_file_changed(void)
{
	char path[128], moved[160];
	size_t n = (3u << 20) + 5;
	unsigned char *data = malloc(n);
	sealmail_error err = {0};
	const unsigned char *p;
	FILE *f;

	test_assert(data != NULL);
	if (data == NULL)
		return;
	memset(data, 'a', n);
	(void)snprintf(path, sizeof(path), "%s/changing", test_tmpdir());
	(void)snprintf(moved, sizeof(moved), "%s:2,S", path);
	for (int change = 0; change < 5; change++) {
		sealmail_input *in = NULL;
		sm_mime_source *s = NULL;
		char want[256];
		int fd, wfd;

		f = fopen(path, "wb");
		test_assert(f != NULL && fwrite(data, 1, n, f) == n &&
		            fclose(f) == 0);
		fd = open(path, O_RDONLY);
		test_assert_int(sealmail_input_new_fd(&in, fd, &err),
		                SEALMAIL_OK);
		test_assert_int(sealmail_input_set_name(in, "msg.eml", &err),
		                SEALMAIL_OK);
		test_assert_int(sm_mime_source_new(&s, in, &err), SEALMAIL_OK);
		sm_mime_source_set_window(s, 1 << 20);
		test_assert_int(sm_mime_source_view(s, 0, n, &p, &err),
		                256 << 10);
		test_assert_int(sm_mime_source_check(s, &err), SEALMAIL_OK);
		wfd = open(path, O_WRONLY);
		test_assert(wfd >= 0);
		switch (change) {
		case 0: /* the same byte written again */
			test_assert_int(pwrite(wfd, "a", 1, 10), 1);
			break;
		case 1: /* one more byte */
			test_assert_int(pwrite(wfd, "a", 1, (off_t)n), 1);
			break;
		case 2: /* cut short */
			test_assert_int(ftruncate(wfd, (off_t)n - 1000), 0);
			break;
		case 3: /* renamed and its mode changed: the bytes are not */
			test_assert_int(rename(path, moved), 0);
			test_assert_int(fchmod(wfd, 0400), 0);
			break;
		default: /* nothing: still as it was */
			break;
		}
		(void)close(wfd);
		/* A view inside the one taken is not checked, the next
		 * window is; then the check says it too. */
		test_assert_int(sm_mime_source_view(s, 100000, n, &p, &err),
		                (256 << 10) - 100000);
		(void)snprintf(want, sizeof(want),
		               "msg.eml changed while it was being read");
		err.message[0] = '\0';
		test_assert_int(sm_mime_source_view(s, 2 << 20, n, &p, &err),
		                change < 3 ? SEALMAIL_ECHANGED : 256 << 10);
		test_assert_str(err.message, change < 3 ? want : "");
		err.message[0] = '\0';
		test_assert_int(sm_mime_source_check(s, &err),
		                change < 3 ? SEALMAIL_ECHANGED : SEALMAIL_OK);
		test_assert_str(err.message, change < 3 ? want : "");
		sm_mime_source_free(s);
		sealmail_input_free(in);
		(void)close(fd);
	}
	(void)unlink(moved);
	/* Sources that are not the user's file are not watched. */
	{
		sm_mime_source *s = file_src(data, n);
		test_assert_int(sm_mime_source_check(s, &err), SEALMAIL_OK);
		sm_mime_source_free(s);
	}
	free(data);
}

static uint64_t
rnd(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/*
 * The children of the body [bs, len) of `m` by RFC 2046's rules, line by
 * line over the whole text (the reference the scan is compared with): a
 * line, without the CR before its LF (or at the end), is a delimiter when
 * it is "--" boundary, "--" or not, then only spaces and tabs; the line
 * break before it belongs to it; without a close delimiter the last child
 * runs to the end.  Returns the count; at most `max` ranges in `rg`.
 */
static size_t
ref_children(off_t *rg,
             size_t max,
             const char *m,
             size_t bs,
             size_t len,
             const char *b)
{
	size_t blen = strlen(b), n = 0, i = bs;
	off_t child = -1;
	bool closed = false;

	while (i < len && !closed) {
		const char *nl = memchr(m + i, '\n', len - i);
		size_t j = nl != NULL ? (size_t)(nl - m) : len;
		size_t body = j - i, k = blen + 2;
		int kind = 0;

		if (body > 0 && m[i + body - 1] == '\r')
			body--;
		if (body >= k && m[i] == '-' && m[i + 1] == '-' &&
		    memcmp(m + i + 2, b, blen) == 0) {
			kind = 1;
			if (body >= k + 2 && m[i + k] == '-' &&
			    m[i + k + 1] == '-') {
				kind = 2;
				k += 2;
			}
			for (; k < body; k++)
				if (m[i + k] != ' ' && m[i + k] != '\t')
					kind = 0;
		}
		if (kind != 0) {
			if (child >= 0) {
				off_t cend =
				        (off_t)i -
				        (i >= 2 && m[i - 2] == '\r' ? 2 : 1);
				if (cend < child)
					cend = child;
				if (n < max) {
					rg[2 * n] = child;
					rg[2 * n + 1] = cend;
				}
				n++;
			}
			child = (off_t)(nl != NULL ? j + 1 : j);
			closed = kind == 2;
		}
		i = nl != NULL ? j + 1 : j;
	}
	if (!closed && child >= 0 && n < max) {
		rg[2 * n] = child;
		rg[2 * n + 1] = (off_t)len;
		n++;
	}
	return n;
}

/* Append one generated line (and its line break) to `out` at *pos. */
static void
gen_line(char *out, size_t *pos, size_t cap, uint64_t *x, const char *b)
{
	static const char *const suffixes[] = {"",  "--",  " ",  "\t ", "x",
	                                       "-", "--x", " x", "--  "};
	static const char *const breaks[] = {"\r\n", "\r\n", "\r\n", "\r\n",
	                                     "\r\n", "\r\n", "\n",   "\n",
	                                     "\r",   ""};
	size_t blen = strlen(b), p = *pos;
	uint64_t r = rnd(x) % 10000;
	const char *br = breaks[rnd(x) % SM_ARRAY_SIZE(breaks)];

	if (r < 3) { /* a real delimiter, or a near miss */
		const char *suf = suffixes[rnd(x) % SM_ARRAY_SIZE(suffixes)];
		p += (size_t)snprintf(out + p, cap - p, "--%s%s", b, suf);
	} else if (r < 300) { /* a delimiter cut short */
		size_t k = (size_t)(rnd(x) % blen);
		out[p++] = '-';
		out[p++] = '-';
		for (size_t i = 0; i < k; i++)
			out[p++] = b[i];
	} else if (r < 600) { /* "--boundary" without a line break before */
		p += (size_t)snprintf(out + p, cap - p, "abc--%s", b);
	} else if (r < 620) { /* a long line */
		size_t k = (size_t)(rnd(x) % 80000);
		memset(out + p, 'x', k);
		p += k;
	} else {
		size_t k = (size_t)(rnd(x) % 90);
		for (size_t i = 0; i < k; i++)
			out[p + i] = "abc-- \t\rxyz0123"[rnd(x) % 15];
		p += k;
	}
	for (const char *c = br; *c != '\0'; c++)
		out[p++] = *c;
	*pos = p;
}

/*
 * Many generated multiparts, in memory and in a temporary file (read
 * through 256 KiB views, in each kind of window): delimiters, near misses
 * ("--b" cut short,
 * "--b" after other text, "--bx"), CRLF, LF and bare CR line breaks, long
 * lines, anywhere, so delimiters and line breaks fall across the views'
 * edges.  The scan's children are the reference's, and the tap on the
 * first child is given exactly its bytes.
 */
static void
test_tap_layouts(void)
{
	static const char *const bounds[] = {"b1", "sealmail-0123456789abcdef",
	                                     "-"};
	size_t cap = 1800000;
	char *m = malloc(cap);
	uint64_t x = 0x9e3779b97f4a7c15u;
	char path[128];

	test_assert(m != NULL);
	if (m == NULL)
		return;
	(void)snprintf(path, sizeof(path), "%s/layout", test_tmpdir());
	for (int t = 0; t < 48; t++) {
		const char *b = bounds[t % SM_ARRAY_SIZE(bounds)];
		size_t target = 1000 + (size_t)(rnd(&x) % 1200000);
		size_t pos = (size_t)snprintf(m, cap,
		                              "Content-Type: multipart/signed; "
		                              "boundary=\"%s\"\r\n\r\n"
		                              "preamble\r\n--%s\r\n",
		                              b, b);
		off_t rg[2 * 100], *got = NULL;
		size_t n_ref, n = 0, bs;
		sm_mime_entity e;
		sm_mime_source *s = NULL;
		sealmail_error err = {0};
		int fd;

		while (pos < target)
			gen_line(m, &pos, cap, &x, b);
		if (t % 3 != 2) /* else no close delimiter */
			pos += (size_t)snprintf(m + pos, cap - pos,
			                        "\r\n--%s\r\nsig\r\n--%s--\r\n",
			                        b, b);
		fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
		test_assert(fd >= 0 && write(fd, m, pos) == (ssize_t)pos);
		/* in memory, then the file in each kind of window */
		for (size_t kind = 0; kind <= SM_ARRAY_SIZE(windows); kind++) {
			if (kind == 0)
				test_assert_int(sm_mime_source_new_memory(
				                        &s, m, pos, &err),
				                SEALMAIL_OK);
			else
				test_assert_int(
				        sm_mime_source_new_fd(&s, fd,
				                              (off_t)pos, &err),
				        SEALMAIL_OK);
			if (kind > 0)
				sm_mime_source_set_window(s, windows[kind - 1]);
			test_assert_int(sm_mime_entity_parse(&e, s, 0,
			                                     (off_t)pos, true,
			                                     &err),
			                SEALMAIL_OK);
			bs = (size_t)e.body_start;
			n_ref = ref_children(rg, 100, m, bs, pos, b);
			test_assert_int(
			        sm_mime_multipart_children(&got, &n, s, &e, 100,
			                                   &err),
			        n_ref > 100 ? SEALMAIL_EBADDATA : SEALMAIL_OK);
			if (n_ref <= 100) {
				test_assert_int(n, n_ref);
				test_assert(n == n_ref &&
				            memcmp(got, rg,
				                   2 * n * sizeof(*rg)) == 0);
				check_tap(s, &e, m, got, n);
			}
			sm_free(got);
			got = NULL;
			sm_mime_source_free(s);
		}
		(void)close(fd);
	}
	(void)unlink(path);
	free(m);
}

/*
 * Every implementation of the delimiter search finds what memmem finds:
 * needles of 4 to 73 bytes planted at every offset of a buffer (so at
 * every alignment and in each implementation's tail), with near misses
 * (first and last byte right, a middle byte wrong) before them, and none.
 */
static void
test_find_delimiter(void)
{
	static const sm_mime_find_impl impls[] = {
	        SM_MIME_FIND_AUTO, SM_MIME_FIND_PORTABLE, SM_MIME_FIND_AVX2};
	static const size_t lens[] = {4, 5, 7, 37, 73};
	unsigned char buf[400];
	char needle[80];
	uint64_t x = 12345;
	int bad = 0;

	for (size_t l = 0; l < SM_ARRAY_SIZE(lens); l++) {
		size_t nlen = lens[l];
		needle[0] = '\n';
		needle[1] = needle[2] = '-';
		for (size_t i = 3; i < nlen; i++)
			needle[i] = (char)('a' + rnd(&x) % 26);
		for (size_t at = 0; at + nlen <= sizeof(buf); at++) {
			const unsigned char *want, *got;
			for (size_t i = 0; i < sizeof(buf); i++)
				buf[i] = (unsigned char)"\n-ab\r"[rnd(&x) % 5];
			/* a near miss before, then the needle at `at` */
			if (at >= nlen) {
				memcpy(buf + at - nlen, needle, nlen);
				buf[at - nlen + 1 + rnd(&x) % (nlen - 2)] ^= 1;
			}
			if (at % 3 != 2)
				memcpy(buf + at, needle, nlen);
			want = memmem(buf, sizeof(buf), needle, nlen);
			for (size_t k = 0; k < SM_ARRAY_SIZE(impls); k++) {
				got = sm_mime_find_delimiter(impls[k], buf,
				                             sizeof(buf),
				                             needle, nlen);
				if (got != want)
					bad++;
			}
		}
	}
	test_assert_int(bad, 0);
}

/* A tap that fails stops the scan with its error. */
static int
tap_fails(const void *data, size_t len, void *payload)
{
	(void)data;
	(void)len;
	(void)payload;
	return SEALMAIL_EIO;
}

static void
test_tap_error(void)
{
	sm_mime_source *s = src_of(signed_crlf);
	sm_mime_entity e;
	off_t *rg = NULL, tapped[2];
	size_t n = 0;
	sealmail_error err = {0};

	test_assert_int(sm_mime_entity_parse(&e, s, 0, sm_mime_source_size(s),
	                                     true, &err),
	                SEALMAIL_OK);
	test_assert_str(e.micalg, "sha-256");
	test_assert_int(sm_mime_multipart_children_tap(&rg, &n, s, &e, 100,
	                                               tap_fails, NULL, tapped,
	                                               &err),
	                SEALMAIL_EIO);
	test_assert_str(err.message, "cannot hash the signed part");
	test_assert(rg == NULL);
	sm_mime_source_free(s);
}

/*
 * Everything sm_mime_body_read gives, `step` bytes a read at most; `mode`
 * 1: prefetching as a hashing reader does (base64 from a file is then read
 * mapped), 2: sm_mime_body_stream (mapped, the decoder prefetching in
 * steps of its own).
 */
static long
body_all(sm_buf *out,
         sm_mime_source *s,
         const sm_mime_entity *e,
         size_t step,
         int mode)
{
	sm_mime_body *b = NULL;
	sealmail_error err = {0};
	unsigned char buf[200000];
	long n;

	test_assert_int(sm_mime_body_new(&b, s, e, &err), SEALMAIL_OK);
	if (mode == 2)
		sm_mime_body_stream(b);
	for (;;) {
		if (mode == 1)
			sm_mime_body_prefetch(b, 3000);
		n = sm_mime_body_read(buf, step, b);
		if (n <= 0)
			break;
		test_assert_int(sm_buf_append(out, buf, (size_t)n, &err),
		                SEALMAIL_OK);
	}
	if (n < 0)
		test_assert(sm_mime_body_error(b)->message[0] != '\0');
	sm_mime_body_free(b);
	return n;
}

/*
 * sm_mime_body gives what sm_mime_decode_body (GMime, whole body) gives,
 * for every encoding and read size -- or `want` when given (base64 is
 * sm_b64's lenient decoder, which also reads an unpadded last group).
 */
static void
check_body(const char *enc,
           const char *body,
           size_t blen,
           bool file,
           const char *want)
{
	static const size_t steps[] = {1, 2,  3,    5,     6,
	                               7, 64, 4096, 65536, 200000};
	sm_buf m, ref, got;
	sm_mime_source *s;
	sm_mime_entity e;
	sealmail_error err = {0};

	sm_buf_init(&m, 1 << 30);
	test_assert_int(sm_buf_printf(&m, &err,
	                              "Content-Type: application/pkcs7-mime\r\n"
	                              "Content-Transfer-Encoding: %s\r\n\r\n",
	                              enc),
	                SEALMAIL_OK);
	test_assert_int(sm_buf_append(&m, body, blen, &err), SEALMAIL_OK);
	s = file ? file_src(m.data, m.len) : NULL;
	if (!file)
		test_assert_int(
		        sm_mime_source_new_memory(&s, m.data, m.len, &err),
		        SEALMAIL_OK);
	test_assert_int(sm_mime_entity_parse(&e, s, 0, sm_mime_source_size(s),
	                                     false, &err),
	                SEALMAIL_OK);
	sm_buf_init(&ref, 1 << 30);
	if (want != NULL)
		test_assert_int(sm_buf_append(&ref, want, strlen(want), &err),
		                SEALMAIL_OK);
	else
		test_assert_int(sm_mime_decode_body(&ref, s, &e, &err),
		                SEALMAIL_OK);
	for (size_t k = 0; k < SM_ARRAY_SIZE(steps); k++) {
		if (file && steps[k] < 4096)
			continue; /* a byte at a time over MiB: too slow */
		/* a file: by turns in 4 MiB windows and 300 000-byte ones */
		if (file)
			sm_mime_source_set_window(s, windows[k % 2]);
		sm_buf_init(&got, 1 << 30);
		test_assert_int(body_all(&got, s, &e, steps[k], (int)(k % 3)),
		                0);
		test_assert_int(got.len, ref.len);
		test_assert(got.len == ref.len &&
		            (got.len == 0 ||
		             memcmp(got.data, ref.data, got.len) == 0));
		sm_buf_free(&got);
	}
	sm_buf_free(&ref);
	sm_buf_free(&m);
	sm_mime_source_free(s);
}

static void
test_body_stream(void)
{
	static const char qp[] = "caf=C3=A9 =3D=\r\nsoft break\r\n"
	                         "=0D=0A=00=FF bad =ZZ =4\r\ntrailing  \r\n=";
	static const char b64[] = "aGVs bG8g\r\n!d29y*bGQ=\r\nignored";
	size_t big = (3u << 20) + 5;
	char *text = malloc(big), *q = malloc(big * 3 + big / 70 * 3 + 8);
	size_t qn = 0;

	check_body("quoted-printable", qp, strlen(qp), false, NULL);
	check_body("base64", b64, strlen(b64), false, "hello world");
	check_body("base64", "aGk", 3, false, "hi"); /* no padding */
	check_body("binary", "\0\1\2=3D", 7, false, NULL);
	check_body("7bit", "", 0, false, NULL);
	check_body("x-unknown", "as it is=3D", 11, false, "as it is=3D");
	check_body("x-uuencode", "begin 644 f\r\n#86)C\r\n`\r\nend\r\n", 28,
	           false, NULL);
	/* Multi-MiB quoted-printable in a file: escapes and soft breaks
	 * across every read and view edge. */
	test_assert(text != NULL && q != NULL);
	if (text == NULL || q == NULL)
		goto done;
	for (size_t i = 0; i < big; i++)
		text[i] = (char)((i * 31 + i / 977) & 0xff);
	for (size_t i = 0, col = 0; i < big; i++) {
		unsigned char c = (unsigned char)text[i];
		if (col >= 72) {
			memcpy(q + qn, SOFT_BREAK, sizeof(SOFT_BREAK));
			qn += 3;
			col = 0;
		}
		if (c >= 33 && c <= 126 && c != '=') {
			q[qn++] = (char)c;
			col++;
		} else {
			qn += (size_t)sprintf(q + qn, "=%02X", c);
			col += 3;
		}
	}
	check_body("quoted-printable", q, qn, true, NULL);
	/* The same bytes in base64, from the file. */
	{
		static const char al[] =
		        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklm"
		        "nopqrstuvwxyz0123456789+/";
		size_t bn = 0;
		for (size_t i = 0; i + 3 <= big; i += 3) {
			unsigned v = (unsigned)(unsigned char)text[i] << 16 |
			             (unsigned)(unsigned char)text[i + 1] << 8 |
			             (unsigned char)text[i + 2];
			q[bn++] = al[v >> 18];
			q[bn++] = al[(v >> 12) & 63];
			q[bn++] = al[(v >> 6) & 63];
			q[bn++] = al[v & 63];
			if (bn % 78 == 76) {
				q[bn++] = '\r';
				q[bn++] = '\n';
			}
		}
		check_body("base64", q, bn, true, NULL);
	}
done:
	free(text);
	free(q);
}

static void
test_body_errors(void)
{
	/* One character in the last group holds no byte: EBADDATA. */
	const char *m = "Content-Transfer-Encoding: base64\r\n\r\naGVsbG8gd";
	sm_mime_source *s = src_of(m);
	sm_mime_entity e;
	sm_mime_body *b = NULL;
	sealmail_error err = {0};
	unsigned char buf[64];
	long n;

	test_assert_int(
	        sm_mime_entity_parse(&e, s, 0, (off_t)strlen(m), false, &err),
	        SEALMAIL_OK);
	for (int stream = 0; stream < 2; stream++) {
		test_assert_int(sm_mime_body_new(&b, s, &e, &err), SEALMAIL_OK);
		if (stream)
			sm_mime_body_stream(b);
		while ((n = sm_mime_body_read(buf, sizeof(buf), b)) > 0)
			;
		test_assert_int(n, SEALMAIL_EBADDATA);
		test_assert(strstr(sm_mime_body_error(b)->message, "base64") !=
		            NULL);
		sm_mime_body_free(b);
		b = NULL;
	}
	sm_mime_body_free(NULL);
	sm_mime_source_free(s);
}

/* The canonical form of the message m, from a source of its own. */
static void
canonical_fresh(sm_buf *out, const char *m)
{
	sm_mime_source *s = src_of(m);
	sealmail_error err = {0};

	test_assert_int(sm_mime_write_canonical(s, buf_cb, out, &err),
	                SEALMAIL_OK);
	sm_mime_source_free(s);
}

static void
check_rcpts(sm_mime_source *s, const sm_mime_entity *e, size_t want)
{
	sm_mime_rcpt *r = NULL;
	size_t n = 0;
	sealmail_error err = {0};

	test_assert_int(sm_mime_recipients(&r, &n, s, e, &err), SEALMAIL_OK);
	test_assert_int(n, want);
	if (n > 0)
		test_assert_str(r[n - 1].address, "carol@example.org");
	sm_mime_recipients_free(r, n);
}

/*
 * The header block's GMime parse is kept in the source for the next reader
 * of the same bytes (facts, recipients, the canonical write, as protect
 * reads them): each gets what a parse of its own gives.  The canonical
 * write adds a Content-Type to the message it writes, so it takes the kept
 * parse: a second write and the recipients after it parse again, and give
 * the same.  Bytes appended to a source drop the kept parse.
 */
static void
test_header_parse_kept(void)
{
	const char *m = "From: a@example.org\r\nTo: b@example.org\r\n"
	                "Cc: Carol <carol@example.org>\r\n\r\nhello\r\n";
	const char *head = "From: a@example.org\r\nTo: b@example.org\r\n";
	const char *rest = "Cc: carol@example.org\r\n\r\nbody\r\n";
	sm_mime_source *s = src_of(m);
	sm_mime_entity e, again;
	sm_buf want, w1, w2;
	sealmail_error err = {0};

	sm_buf_init(&want, 1u << 20);
	sm_buf_init(&w1, 1u << 20);
	sm_buf_init(&w2, 1u << 20);
	canonical_fresh(&want, m);
	test_assert(want.len > 0 &&
	            memmem(want.data, want.len, "Content-Type: text/plain",
	                   24) != NULL);
	test_assert_int(
	        sm_mime_entity_parse(&e, s, 0, (off_t)strlen(m), true, &err),
	        SEALMAIL_OK);
	test_assert_str(e.from, "a@example.org");
	check_rcpts(s, &e, 2);
	test_assert_int(sm_mime_write_canonical(s, buf_cb, &w1, &err),
	                SEALMAIL_OK);
	test_assert_int(sm_mime_write_canonical(s, buf_cb, &w2, &err),
	                SEALMAIL_OK);
	test_assert(w1.len == want.len && w2.len == want.len &&
	            memcmp(w1.data, want.data, want.len) == 0 &&
	            memcmp(w2.data, want.data, want.len) == 0);
	check_rcpts(s, &e, 2);
	test_assert_int(sm_mime_entity_parse(&again, s, 0, (off_t)strlen(m),
	                                     true, &err),
	                SEALMAIL_OK);
	test_assert_str(again.type, e.type);
	test_assert_int(again.body_start, e.body_start);
	sm_buf_free(&want);
	sm_buf_free(&w1);
	sm_buf_free(&w2);
	sm_mime_source_free(s);

	/* parsed while the header block was cut, then the rest appended */
	test_assert_int(sm_mime_source_new_empty(&s, &err), SEALMAIL_OK);
	test_assert_int(sm_mime_source_append(s, head, strlen(head), &err),
	                SEALMAIL_OK);
	test_assert_int(
	        sm_mime_entity_parse(&e, s, 0, (off_t)strlen(head), true, &err),
	        SEALMAIL_OK);
	test_assert_int(sm_mime_source_append(s, rest, strlen(rest), &err),
	                SEALMAIL_OK);
	test_assert_int(sm_mime_entity_parse(&e, s, 0, sm_mime_source_size(s),
	                                     true, &err),
	                SEALMAIL_OK);
	check_rcpts(s, &e, 2);
	sm_mime_source_free(s);

	/* a new window drops the kept parse once (freed once, ASan) */
	s = src_of(m);
	test_assert_int(
	        sm_mime_entity_parse(&e, s, 0, (off_t)strlen(m), true, &err),
	        SEALMAIL_OK);
	check_rcpts(s, &e, 2);
	sm_mime_source_set_window(s, 65536);
	check_rcpts(s, &e, 2);
	sm_mime_source_set_window(s, 65536);
	sm_mime_source_free(s);
}

static const struct test_case tests[] = {
        {"message_facts", test_message_facts},
        {"from_list_and_cut", test_from_list_and_cut},
        {"boundaries_crlf", test_boundaries_crlf},
        {"boundaries_lf_and_empty", test_boundaries_lf_and_empty},
        {"boundaries_mixed_eol", test_boundaries_mixed_eol},
        {"no_boundary", test_no_boundary},
        {"one_byte_input", test_one_byte_input},
        {"large_across_chunks", test_large_across_chunks},
        {"decode_base64", test_decode_base64},
        {"write_headers", test_write_headers},
        {"recipients", test_recipients},
        {"header_parse_kept", test_header_parse_kept},
        {"canonical", test_canonical},
        {"canonical_exact", test_canonical_exact},
        {"canonical_fast", test_canonical_fast},
        {"canonical_file", test_canonical_file},
        {"canonical_speculate", test_canonical_speculate},
        {"canonical_multipart", test_canonical_multipart},
        {"file_in_place", test_file_in_place},
        {"file_changed", test_file_changed},
        {"views", test_views},
        {"ahead_threshold", test_ahead_threshold},
        {"ahead_changed", test_ahead_changed},
        {"boundary_across_window", test_boundary_across_window},
        {"tap_layouts", test_tap_layouts},
        {"tap_error", test_tap_error},
        {"find_delimiter", test_find_delimiter},
        {"body_stream", test_body_stream},
        {"body_errors", test_body_errors},
};

TEST_MAIN(tests)
