/* SPDX-License-Identifier: MIT */
/*
 * SMTP submission and IMAP (APPEND, UID SEARCH, UID FETCH) through libcurl:
 * the only file that includes <curl/curl.h>.  TLS is verified; STARTTLS is
 * required off loopback; credentials never reach an error message, and the
 * protocol trace goes to a callback that keeps only the server's lines.
 */
#include "net.h"

#include <arpa/inet.h>
#include <assert.h>
#include <curl/curl.h>
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "canon.h"
#include "crypto/crypto.h"

#define NET_CHUNK 16384
#define NET_REPLY_MAX 300

/*
 * libcurl is loaded (dlopen) when the network is first used, not at every
 * start: its dependencies (GSSAPI, LDAP, SSH, RTMP, ...) cost about 3 ms
 * of dynamic linking in each process, and most commands never connect
 * (issue 7, start-up).  The table is filled once, under pthread_once, like
 * curl_global_init itself; when the library cannot be loaded, stubs make
 * every call fail through the usual error paths.
 */
#define NET_LIBCURL "libcurl.so.4"

typedef struct net_lib {
	CURLcode (*global_init)(long flags);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *curl, CURLoption option, ...);
	CURLcode (*easy_perform)(CURL *curl);
	void (*easy_cleanup)(CURL *curl);
	const char *(*easy_strerror)(CURLcode code);
	void (*free)(void *p);
	struct curl_slist *(*slist_append)(struct curl_slist *list,
	                                   const char *s);
	void (*slist_free_all)(struct curl_slist *list);
	CURLU *(*url)(void);
	void (*url_cleanup)(CURLU *u);
	CURLUcode (*url_get)(const CURLU *u,
	                     CURLUPart part,
	                     char **out,
	                     unsigned int flags);
	CURLUcode (*url_set)(CURLU *u,
	                     CURLUPart part,
	                     const char *content,
	                     unsigned int flags);
} net_lib;

static pthread_once_t net_once = PTHREAD_ONCE_INIT;
static CURLcode net_init_result = CURLE_OK;
static net_lib net_curl;

static CURLcode
stub_global_init(long flags)
{
	(void)flags;
	return CURLE_FAILED_INIT;
}

static CURL *
stub_easy_init(void)
{
	return NULL;
}

static const char *
stub_easy_strerror(CURLcode code)
{
	(void)code;
	return "cannot load " NET_LIBCURL;
}

static CURLU *
stub_url(void)
{
	return NULL;
}

static void
stub_url_cleanup(CURLU *u)
{
	(void)u;
}

static void
net_init(void)
{
	void *h = dlopen(NET_LIBCURL, RTLD_NOW | RTLD_LOCAL);
	net_lib l = {0};
	bool ok = h != NULL;

#define NET_SYM(field, name)                             \
	do {                                             \
		void *sym_ = ok ? dlsym(h, name) : NULL; \
		ok = sym_ != NULL;                       \
		memcpy(&l.field, &sym_, sizeof(sym_));   \
	} while (0)
	NET_SYM(global_init, "curl_global_init");
	NET_SYM(easy_init, "curl_easy_init");
	NET_SYM(easy_setopt, "curl_easy_setopt");
	NET_SYM(easy_perform, "curl_easy_perform");
	NET_SYM(easy_cleanup, "curl_easy_cleanup");
	NET_SYM(easy_strerror, "curl_easy_strerror");
	NET_SYM(free, "curl_free");
	NET_SYM(slist_append, "curl_slist_append");
	NET_SYM(slist_free_all, "curl_slist_free_all");
	NET_SYM(url, "curl_url");
	NET_SYM(url_cleanup, "curl_url_cleanup");
	NET_SYM(url_get, "curl_url_get");
	NET_SYM(url_set, "curl_url_set");
#undef NET_SYM
	if (!ok) {
		/* Only stubs are reached: curl_easy_init and curl_url fail
		 * first, so no handle or URL ever exists. */
		l = (net_lib){.global_init = stub_global_init,
		              .easy_init = stub_easy_init,
		              .easy_strerror = stub_easy_strerror,
		              .url = stub_url,
		              .url_cleanup = stub_url_cleanup};
	}
	net_curl = l;
	/* openssl.cnf's TLS policy before libcurl's TLS starts (crypto.h) */
	sm_crypto_system_config();
	net_init_result = net_curl.global_init(CURL_GLOBAL_DEFAULT);
}

static const net_lib *
net_lib_get(void)
{
	(void)pthread_once(&net_once, net_init);
	return &net_curl;
}

/* The curl calls below go through the table (typecheck macros off). */
#undef curl_easy_setopt
#define curl_global_init(f) (net_lib_get()->global_init(f))
#define curl_easy_init() (net_lib_get()->easy_init())
#define curl_easy_setopt(...) (net_lib_get()->easy_setopt(__VA_ARGS__))
#define curl_easy_perform(c) (net_lib_get()->easy_perform(c))
#define curl_easy_cleanup(c) (net_lib_get()->easy_cleanup(c))
#define curl_easy_strerror(c) (net_lib_get()->easy_strerror(c))
#define curl_free(p) (net_lib_get()->free(p))
#define curl_slist_append(l, s) (net_lib_get()->slist_append(l, s))
#define curl_slist_free_all(l) (net_lib_get()->slist_free_all(l))
#define curl_url() (net_lib_get()->url())
#define curl_url_cleanup(u) (net_lib_get()->url_cleanup(u))
#define curl_url_get(u, p, o, f) (net_lib_get()->url_get(u, p, o, f))
#define curl_url_set(u, p, c, f) (net_lib_get()->url_set(u, p, c, f))

/* One transfer: the handle, its error texts and a callback's failure. */
typedef struct xfer {
	CURL *curl;
	char errbuf[CURL_ERROR_SIZE];
	char reply[NET_REPLY_MAX];   /* the server's last line */
	char failure[NET_REPLY_MAX]; /* its last refusal (4xx/5xx, NO, BAD) */
	char where[200];             /* scheme://host:port, never credentials */
	sealmail_error cb_err;       /* set by a read/write callback */
	bool cb_failed;
} xfer;

/* SMTP 4xx/5xx, or an IMAP NO/BAD (tagged or untagged). */
static bool
is_refusal(const char *line)
{
	const char *sp;

	if ((line[0] == '4' || line[0] == '5') && line[1] >= '0' &&
	    line[1] <= '9')
		return true;
	sp = strchr(line, ' ');
	return sp != NULL && (strncasecmp(sp + 1, "NO ", 3) == 0 ||
	                      strncasecmp(sp + 1, "BAD ", 4) == 0);
}

/*
 * Keep the server's last line and its last refusal; ignore everything we
 * sent (CURLINFO_HEADER_OUT holds AUTH lines).
 */
static int
net_debug(CURL *curl, curl_infotype type, char *data, size_t size, void *ud)
{
	xfer *x = ud;
	size_t start = 0;

	(void)curl;
	if (type != CURLINFO_HEADER_IN)
		return 0;
	while (start < size) {
		size_t end = start, n;

		while (end < size && data[end] != '\n' && data[end] != '\r')
			end++;
		n = end - start;
		if (n > 0) {
			if (n >= sizeof(x->reply))
				n = sizeof(x->reply) - 1;
			for (size_t i = 0; i < n; i++) {
				unsigned char c =
				        (unsigned char)data[start + i];
				x->reply[i] =
				        (c < 0x20 || c == 0x7f) ? '?' : (char)c;
			}
			x->reply[n] = '\0';
			if (is_refusal(x->reply))
				memcpy(x->failure, x->reply, n + 1);
		}
		start = end + 1;
	}
	return 0;
}

bool
sm_net_url_is_loopback(const char *url)
{
	CURLU *u = curl_url();
	char *host = NULL;
	bool loop = false;

	if (u == NULL)
		return false;
	if (curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) ==
	            CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
		struct in_addr a4;

		if (strcasecmp(host, "localhost") == 0 ||
		    strcmp(host, "[::1]") == 0)
			loop = true;
		else if (inet_pton(AF_INET, host, &a4) == 1)
			loop = (ntohl(a4.s_addr) >> 24) == 127;
	}
	curl_free(host);
	curl_url_cleanup(u);
	return loop;
}

/* "scheme://host:port" of `url` for messages; false if it does not parse. */
static bool
net_where(char *out, size_t len, const char *url)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL;
	bool ok = false;

	if (u == NULL)
		return false;
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) ==
	            CURLUE_OK) {
		(void)snprintf(out, len, "%s://%s:%s", scheme, host, port);
		ok = true;
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return ok;
}

/*
 * Set up a transfer for `opts`; `proto` is "smtp" or "imap".  `url` is the
 * URL to use (it may differ from opts->url by a ";UID=" part).
 */
static int
xfer_begin(xfer *x,
           const sm_net_options *opts,
           const char *proto,
           const char *url,
           sealmail_error *err)
{
	char plain[16], secure[16];
	bool tls_scheme;
	long use_ssl;

	memset(x, 0, sizeof(*x));
	assert(opts != NULL && proto != NULL);
	if (opts->url == NULL)
		return sm_error_set(err, SEALMAIL_EINVAL, "no %s URL given",
		                    proto);
	(void)snprintf(plain, sizeof(plain), "%s://", proto);
	(void)snprintf(secure, sizeof(secure), "%ss://", proto);
	tls_scheme = strncasecmp(opts->url, secure, strlen(secure)) == 0;
	if (!tls_scheme && strncasecmp(opts->url, plain, strlen(plain)) != 0)
		return sm_error_set(err, SEALMAIL_EINVAL,
		                    "%s URL must start with %s or %s: %s",
		                    proto, plain, secure, opts->url);
	(void)net_lib_get();
	if (net_init_result != CURLE_OK)
		return sm_error_set(err, SEALMAIL_ERROR,
		                    "libcurl initialisation failed: %s",
		                    curl_easy_strerror(net_init_result));
	if (!net_where(x->where, sizeof(x->where), opts->url))
		return sm_error_set(err, SEALMAIL_EINVAL,
		                    "malformed %s URL: %s", proto, opts->url);
	x->curl = curl_easy_init();
	if (x->curl == NULL)
		return sm_error_nomem(err);

	if (tls_scheme)
		use_ssl = CURLUSESSL_ALL;
	else if (opts->tls == SM_NET_TLS_OFF)
		use_ssl = CURLUSESSL_NONE;
	else if (sm_net_url_is_loopback(opts->url))
		use_ssl = CURLUSESSL_TRY;
	else
		use_ssl = CURLUSESSL_ALL;

	if (curl_easy_setopt(x->curl, CURLOPT_URL, url) != CURLE_OK ||
	    curl_easy_setopt(x->curl, CURLOPT_PROTOCOLS_STR,
	                     strcmp(proto, "smtp") == 0
	                             ? "smtp,smtps"
	                             : "imap,imaps") != CURLE_OK ||
	    curl_easy_setopt(x->curl, CURLOPT_ERRORBUFFER, x->errbuf) !=
	            CURLE_OK ||
	    curl_easy_setopt(x->curl, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(x->curl, CURLOPT_USE_SSL, use_ssl) != CURLE_OK ||
	    curl_easy_setopt(x->curl, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK ||
	    curl_easy_setopt(x->curl, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK ||
	    curl_easy_setopt(x->curl, CURLOPT_CONNECTTIMEOUT, 30L) !=
	            CURLE_OK ||
	    curl_easy_setopt(x->curl, CURLOPT_TIMEOUT,
	                     opts->timeout_sec > 0 ? opts->timeout_sec
	                                           : 300L) != CURLE_OK ||
	    /* The trace goes to net_debug only, which drops what we send. */
	    curl_easy_setopt(x->curl, CURLOPT_DEBUGFUNCTION, net_debug) !=
	            CURLE_OK ||
	    curl_easy_setopt(x->curl, CURLOPT_DEBUGDATA, x) != CURLE_OK ||
	    curl_easy_setopt(x->curl, CURLOPT_VERBOSE, 1L) != CURLE_OK)
		return sm_error_set(err, SEALMAIL_EINVAL,
		                    "%s: libcurl refused an option: %s",
		                    x->where,
		                    x->errbuf[0] ? x->errbuf : "unsupported");
	if (opts->ca_file != NULL &&
	    curl_easy_setopt(x->curl, CURLOPT_CAINFO, opts->ca_file) !=
	            CURLE_OK)
		return sm_error_set(err, SEALMAIL_EINVAL,
		                    "CA file not usable: %s", opts->ca_file);
	if (opts->user != NULL &&
	    (curl_easy_setopt(x->curl, CURLOPT_USERNAME, opts->user) !=
	             CURLE_OK ||
	     curl_easy_setopt(x->curl, CURLOPT_PASSWORD,
	                      opts->password ? opts->password : "") !=
	             CURLE_OK))
		return sm_error_nomem(err);
	return SEALMAIL_OK;
}

/* Run the transfer and translate its outcome; `what` names the action. */
static int
xfer_perform(xfer *x, const char *what, sealmail_error *err)
{
	CURLcode rc = curl_easy_perform(x->curl);
	const char *why, *reply;
	int code;

	if (rc == CURLE_OK)
		return SEALMAIL_OK;
	if (x->cb_failed) {
		if (err != NULL)
			*err = x->cb_err;
		return x->cb_err.code;
	}
	why = x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc);
	reply = x->failure[0] ? x->failure : x->reply;
	switch (rc) {
	case CURLE_LOGIN_DENIED:
		code = SEALMAIL_EPASSPHRASE;
		why = "login refused";
		break;
	case CURLE_REMOTE_FILE_NOT_FOUND:
		code = SEALMAIL_ENOTFOUND;
		why = "not found";
		break;
	case CURLE_USE_SSL_FAILED:
		code = SEALMAIL_EIO;
		why = "the server does not offer STARTTLS, which is required "
		      "off loopback";
		break;
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
		code = SEALMAIL_EINVAL;
		break;
	default:
		code = SEALMAIL_EIO;
		break;
	}
	/*
	 * IMAP SELECT or APPEND to a mailbox that does not exist (libcurl
	 * reports a refused SELECT as a login failure).
	 */
	if ((rc == CURLE_LOGIN_DENIED &&
	     strstr(x->errbuf, "Select failed") != NULL) ||
	    strstr(x->failure, "[NONEXISTENT]") != NULL ||
	    strstr(x->failure, "[TRYCREATE]") != NULL) {
		code = SEALMAIL_ENOTFOUND;
		why = "no such mailbox";
	}
	if (reply[0] != '\0')
		return sm_error_set(err, code, "%s %s: %s (server said: %s)",
		                    what, x->where, why, reply);
	return sm_error_set(err, code, "%s %s: %s", what, x->where, why);
}

static void
xfer_end(xfer *x)
{
	if (x->curl != NULL)
		curl_easy_cleanup(x->curl);
	x->curl = NULL;
}

/* A message source for curl: our input, canonicalised to CRLF. */
typedef struct reader {
	xfer *x;
	sealmail_input *in;
	FILE *file; /* instead of `in`: an already canonical spool file */
	sm_canon canon;
	unsigned char raw[NET_CHUNK];
	unsigned char pend[2 * NET_CHUNK + 1];
	size_t pend_len, pend_pos;
	bool eof, done;
} reader;

/* Fill r->pend; returns false on a read error (recorded in r->x). */
static bool
reader_fill(reader *r)
{
	long n;

	r->pend_len = r->pend_pos = 0;
	if (r->eof) {
		r->pend_len = sm_canon_final(&r->canon, r->pend);
		r->done = true;
		return true;
	}
	n = sealmail_input_read(r->in, r->raw, sizeof(r->raw), &r->x->cb_err);
	if (n < 0) {
		r->x->cb_failed = true;
		return false;
	}
	if (n == 0)
		r->eof = true;
	else
		r->pend_len =
		        sm_canon_update(&r->canon, r->pend, r->raw, (size_t)n);
	return true;
}

static size_t
net_read(char *buf, size_t size, size_t nitems, void *ud)
{
	reader *r = ud;
	size_t want = size * nitems, got = 0;

	if (r->file != NULL) {
		got = fread(buf, 1, want, r->file);
		if (got == 0 && ferror(r->file)) {
			r->x->cb_failed = true;
			(void)sm_error_set(
			        &r->x->cb_err, SEALMAIL_EIO,
			        "reading the spooled message failed");
			return CURL_READFUNC_ABORT;
		}
		return got;
	}
	while (got < want) {
		size_t n;

		if (r->pend_pos == r->pend_len) {
			if (r->done)
				break;
			if (!reader_fill(r))
				return CURL_READFUNC_ABORT;
			continue;
		}
		n = r->pend_len - r->pend_pos;
		if (n > want - got)
			n = want - got;
		memcpy(buf + got, r->pend + r->pend_pos, n);
		r->pend_pos += n;
		got += n;
	}
	return got;
}

int
sm_net_smtp_send(const sm_net_options *opts,
                 const char *from,
                 const char *const *rcpt,
                 size_t nrcpt,
                 sealmail_input *msg,
                 sealmail_error *err)
{
	struct curl_slist *list = NULL;
	char *addr = NULL;
	reader *r = NULL;
	xfer x;
	int rc;

	assert(from != NULL && msg != NULL && (rcpt != NULL || nrcpt == 0));
	rc = xfer_begin(&x, opts, "smtp", opts->url, err);
	if (rc != SEALMAIL_OK)
		goto out;
	if (nrcpt == 0) {
		rc = sm_error_set(err, SEALMAIL_EINVAL, "no recipients");
		goto out;
	}
	for (size_t i = 0; i < nrcpt; i++) {
		struct curl_slist *next;
		size_t len = strlen(rcpt[i]) + 3;

		if (rcpt[i][0] == '\0' || strpbrk(rcpt[i], "<>\r\n ") != NULL) {
			rc = sm_error_set(err, SEALMAIL_EINVAL,
			                  "not a recipient address: %s",
			                  rcpt[i]);
			goto out;
		}
		addr = sm_malloc(len);
		if (addr == NULL) {
			rc = sm_error_nomem(err);
			goto out;
		}
		(void)snprintf(addr, len, "<%s>", rcpt[i]);
		next = curl_slist_append(list, addr);
		sm_free(addr);
		addr = NULL;
		if (next == NULL) {
			rc = sm_error_nomem(err);
			goto out;
		}
		list = next;
	}
	if (strpbrk(from, "<>\r\n ") != NULL) {
		rc = sm_error_set(err, SEALMAIL_EINVAL,
		                  "not a sender address: %s", from);
		goto out;
	}
	addr = sm_malloc(strlen(from) + 3);
	r = sm_calloc(1, sizeof(*r));
	if (addr == NULL || r == NULL) {
		rc = sm_error_nomem(err);
		goto out;
	}
	(void)snprintf(addr, strlen(from) + 3, "<%s>", from);
	r->x = &x;
	r->in = msg;
	sm_canon_init(&r->canon, SM_CANON_AUTO);
	if (curl_easy_setopt(x.curl, CURLOPT_MAIL_FROM, addr) != CURLE_OK ||
	    curl_easy_setopt(x.curl, CURLOPT_MAIL_RCPT, list) != CURLE_OK ||
	    curl_easy_setopt(x.curl, CURLOPT_UPLOAD, 1L) != CURLE_OK ||
	    curl_easy_setopt(x.curl, CURLOPT_READFUNCTION, net_read) !=
	            CURLE_OK ||
	    curl_easy_setopt(x.curl, CURLOPT_READDATA, r) != CURLE_OK) {
		rc = sm_error_nomem(err);
		goto out;
	}
	rc = xfer_perform(&x, "sending through", err);
out:
	xfer_end(&x);
	curl_slist_free_all(list);
	sm_free(addr);
	sm_free(r);
	return rc;
}

/* Mailbox URL without trailing slashes, plus `suffix`; NULL on ENOMEM. */
static char *
mailbox_url(const char *url, const char *suffix)
{
	size_t n = strlen(url), len;
	char *s;

	while (n > 0 && url[n - 1] == '/')
		n--;
	len = n + strlen(suffix) + 1;
	s = sm_malloc(len);
	if (s != NULL)
		(void)snprintf(s, len, "%.*s%s", (int)n, url, suffix);
	return s;
}

int
sm_net_imap_append(const sm_net_options *opts,
                   sealmail_input *msg,
                   sealmail_error *err)
{
	reader *r = NULL;
	FILE *spool = NULL;
	char *url = NULL;
	long size;
	xfer x;
	int rc;

	memset(&x, 0, sizeof(x));
	assert(opts != NULL && msg != NULL);
	if (opts->url == NULL)
		return sm_error_set(err, SEALMAIL_EINVAL, "no imap URL given");
	url = mailbox_url(opts->url, "");
	r = sm_calloc(1, sizeof(*r));
	if (url == NULL || r == NULL) {
		rc = sm_error_nomem(err);
		goto out;
	}
	rc = xfer_begin(&x, opts, "imap", url, err);
	if (rc != SEALMAIL_OK)
		goto out;

	/* Spool with CRLF line ends: APPEND announces the size first. */
	spool = tmpfile();
	if (spool == NULL) {
		rc = sm_error_set(err, SEALMAIL_EIO,
		                  "cannot create a temporary file for the "
		                  "message: %s",
		                  strerror(errno));
		goto out;
	}
	r->x = &x;
	r->in = msg;
	sm_canon_init(&r->canon, SM_CANON_AUTO);
	while (!r->done) {
		if (!reader_fill(r)) {
			if (err != NULL)
				*err = x.cb_err;
			rc = x.cb_err.code;
			goto out;
		}
		if (r->pend_len > 0 &&
		    fwrite(r->pend, 1, r->pend_len, spool) != r->pend_len) {
			rc = sm_error_set(err, SEALMAIL_EIO,
			                  "writing the temporary copy of the "
			                  "message failed");
			goto out;
		}
	}
	size = ftell(spool);
	if (size < 0 || fflush(spool) != 0 || fseek(spool, 0, SEEK_SET) != 0) {
		rc = sm_error_set(err, SEALMAIL_EIO,
		                  "writing the temporary copy of the message "
		                  "failed");
		goto out;
	}
	r->file = spool;
	if (curl_easy_setopt(x.curl, CURLOPT_UPLOAD, 1L) != CURLE_OK ||
	    curl_easy_setopt(x.curl, CURLOPT_INFILESIZE_LARGE,
	                     (curl_off_t)size) != CURLE_OK ||
	    curl_easy_setopt(x.curl, CURLOPT_READFUNCTION, net_read) !=
	            CURLE_OK ||
	    curl_easy_setopt(x.curl, CURLOPT_READDATA, r) != CURLE_OK) {
		rc = sm_error_nomem(err);
		goto out;
	}
	rc = xfer_perform(&x, "appending to", err);
out:
	xfer_end(&x);
	if (spool != NULL)
		(void)fclose(spool);
	sm_free(url);
	sm_free(r);
	return rc;
}

/* Streaming parser of "* SEARCH n n n" lines from the response body. */
typedef struct uid_parse {
	sm_net_uid_cb cb;
	void *payload;
	int stop;     /* the callback's non-zero answer */
	int state;    /* 0 line start, 1 in a SEARCH line, 2 skip line */
	char head[9]; /* "* SEARCH" collected at a line start */
	size_t hlen;
	uint64_t num;
	bool in_num;
	bool bad; /* a UID out of range */
} uid_parse;

static void
uid_flush(uid_parse *p)
{
	if (p->in_num && p->stop == 0) {
		if (p->num == 0 || p->num > UINT32_MAX)
			p->bad = true;
		else
			p->stop = p->cb((uint32_t)p->num, p->payload);
	}
	p->in_num = false;
	p->num = 0;
}

static size_t
net_uids_write(char *data, size_t size, size_t nmemb, void *ud)
{
	uid_parse *p = ud;
	size_t len = size * nmemb;

	for (size_t i = 0; i < len && p->stop == 0 && !p->bad; i++) {
		char c = data[i];

		if (c == '\n') {
			if (p->state == 1)
				uid_flush(p);
			p->state = 0;
			p->hlen = 0;
			continue;
		}
		switch (p->state) {
		case 0:
			p->head[p->hlen++] = c;
			if (strncasecmp(p->head, "* SEARCH", p->hlen) != 0)
				p->state = 2;
			else if (p->hlen == 8)
				p->state = 1;
			break;
		case 1:
			if (c >= '0' && c <= '9') {
				p->num = p->num * 10 + (uint64_t)(c - '0');
				if (p->num > UINT32_MAX)
					p->bad = true;
				p->in_num = true;
			} else {
				uid_flush(p);
			}
			break;
		default:
			break;
		}
	}
	return (p->stop != 0 || p->bad) ? 0 : len;
}

int
sm_net_imap_uids(const sm_net_options *opts,
                 sm_net_uid_cb cb,
                 void *payload,
                 sealmail_error *err)
{
	uid_parse p;
	char *url;
	xfer x;
	int rc;

	memset(&x, 0, sizeof(x));
	memset(&p, 0, sizeof(p));
	assert(opts != NULL && cb != NULL);
	if (opts->url == NULL)
		return sm_error_set(err, SEALMAIL_EINVAL, "no imap URL given");
	url = mailbox_url(opts->url, "");
	if (url == NULL)
		return sm_error_nomem(err);
	p.cb = cb;
	p.payload = payload;
	rc = xfer_begin(&x, opts, "imap", url, err);
	if (rc != SEALMAIL_OK)
		goto out;
	if (curl_easy_setopt(x.curl, CURLOPT_CUSTOMREQUEST, "UID SEARCH ALL") !=
	            CURLE_OK ||
	    curl_easy_setopt(x.curl, CURLOPT_WRITEFUNCTION, net_uids_write) !=
	            CURLE_OK ||
	    curl_easy_setopt(x.curl, CURLOPT_WRITEDATA, &p) != CURLE_OK) {
		rc = sm_error_nomem(err);
		goto out;
	}
	rc = xfer_perform(&x, "listing", err);
	if (rc == SEALMAIL_OK && p.state == 1)
		uid_flush(&p); /* a last line without its newline */
	if (p.stop != 0)
		rc = sm_error_set(err, p.stop, "listing %s stopped", x.where);
	else if (p.bad)
		rc = sm_error_set(err, SEALMAIL_EBADDATA,
		                  "listing %s: the server sent an invalid UID",
		                  x.where);
out:
	xfer_end(&x);
	sm_free(url);
	return rc;
}

typedef struct fetch_sink {
	xfer *x;
	sealmail_output *out;
} fetch_sink;

static size_t
net_fetch_write(char *data, size_t size, size_t nmemb, void *ud)
{
	fetch_sink *s = ud;
	size_t len = size * nmemb;

	if (sealmail_output_write(s->out, data, len, &s->x->cb_err) !=
	    SEALMAIL_OK) {
		s->x->cb_failed = true;
		return 0;
	}
	return len;
}

struct sm_net_imap {
	xfer x;
	fetch_sink sink;
};

int
sm_net_imap_open(sm_net_imap **out,
                 const sm_net_options *opts,
                 sealmail_error *err)
{
	sm_net_imap *s;
	int rc;

	assert(out != NULL && opts != NULL);
	*out = NULL;
	s = sm_calloc(1, sizeof(*s));
	if (s == NULL)
		return sm_error_nomem(err);
	rc = xfer_begin(&s->x, opts, "imap", opts->url ? opts->url : "", err);
	if (rc == SEALMAIL_OK &&
	    (curl_easy_setopt(s->x.curl, CURLOPT_WRITEFUNCTION,
	                      net_fetch_write) != CURLE_OK ||
	     curl_easy_setopt(s->x.curl, CURLOPT_WRITEDATA, &s->sink) !=
	             CURLE_OK))
		rc = sm_error_nomem(err);
	if (rc != SEALMAIL_OK) {
		sm_net_imap_free(s);
		return rc;
	}
	s->sink.x = &s->x;
	*out = s;
	return SEALMAIL_OK;
}

void
sm_net_imap_free(sm_net_imap *s)
{
	if (s == NULL)
		return;
	xfer_end(&s->x);
	sm_free(s);
}

int
sm_net_imap_get(sm_net_imap *s,
                const char *box,
                uint32_t uid,
                sealmail_output *out,
                sealmail_error *err)
{
	char suffix[32];
	char *url;
	int rc;

	assert(s != NULL && box != NULL && out != NULL);
	if (uid == 0)
		return sm_error_set(err, SEALMAIL_EINVAL, "UID 0 is not valid");
	(void)snprintf(suffix, sizeof(suffix), "/;UID=%u", (unsigned int)uid);
	url = mailbox_url(box, suffix);
	if (url == NULL)
		return sm_error_nomem(err);
	s->sink.out = out;
	s->x.errbuf[0] = s->x.reply[0] = s->x.failure[0] = '\0';
	s->x.cb_failed = false;
	if (curl_easy_setopt(s->x.curl, CURLOPT_URL, url) != CURLE_OK)
		rc = sm_error_nomem(err);
	else
		rc = xfer_perform(&s->x, "fetching from", err);
	if (rc == SEALMAIL_ENOTFOUND)
		rc = sm_error_set(err, SEALMAIL_ENOTFOUND,
		                  "no message with UID %u in %s",
		                  (unsigned int)uid, s->x.where);
	sm_free(url);
	return rc;
}

int
sm_net_imap_fetch(const sm_net_options *opts,
                  uint32_t uid,
                  sealmail_output *out,
                  sealmail_error *err)
{
	sm_net_imap *s = NULL;
	int rc;

	assert(opts != NULL && out != NULL);
	if (opts->url == NULL)
		return sm_error_set(err, SEALMAIL_EINVAL, "no imap URL given");
	rc = sm_net_imap_open(&s, opts, err);
	if (rc == SEALMAIL_OK)
		rc = sm_net_imap_get(s, opts->url, uid, out, err);
	sm_net_imap_free(s);
	return rc;
}
