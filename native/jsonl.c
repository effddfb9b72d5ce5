/* Minimal JSON-lines parsing and writing for summit-bpf (see jsonl.h). */
#include "jsonl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cursor {
	char *p;
	const char *error;
	int depth;
};

static void skip_ws(struct cursor *c)
{
	while (*c->p == ' ' || *c->p == '\t' || *c->p == '\r' || *c->p == '\n')
		c->p++;
}

static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Parses a string starting at '"', unescaping in place; *out/len get the result. */
static int parse_string(struct cursor *c, char **out, size_t *len)
{
	if (*c->p != '"') {
		c->error = "expected string";
		return -1;
	}
	char *src = ++c->p, *dst = src, *start = src;
	for (;;) {
		unsigned char ch = (unsigned char)*src;
		if (ch == 0) {
			c->error = "unterminated string";
			return -1;
		}
		if (ch < 0x20) {
			c->error = "control character in string";
			return -1;
		}
		if (ch == '"')
			break;
		if (ch != '\\') {
			*dst++ = *src++;
			continue;
		}
		src++;
		switch (*src) {
		case '"': case '\\': case '/': *dst++ = *src++; break;
		case 'b': *dst++ = '\b'; src++; break;
		case 'f': *dst++ = '\f'; src++; break;
		case 'n': *dst++ = '\n'; src++; break;
		case 'r': *dst++ = '\r'; src++; break;
		case 't': *dst++ = '\t'; src++; break;
		case 'u': {
			int v = 0;
			for (int i = 1; i <= 4; i++) {
				int h = hexval(src[i]);
				if (h < 0) {
					c->error = "bad \\u escape";
					return -1;
				}
				v = v * 16 + h;
			}
			/* Requests only carry ASCII; other code points become '?'. */
			*dst++ = v < 0x80 ? (char)v : '?';
			src += 5;
			break;
		}
		default:
			c->error = "bad escape";
			return -1;
		}
	}
	*dst = 0;
	c->p = src + 1;
	*out = start;
	*len = (size_t)(dst - start);
	return 0;
}

static int parse_value(struct cursor *c, struct jsonl_field *f);

/* Parses and discards a nested object or array. */
static int skip_nested(struct cursor *c)
{
	char open = *c->p, close = open == '{' ? '}' : ']';
	if (++c->depth > 32) {
		c->error = "nesting too deep";
		return -1;
	}
	c->p++;
	skip_ws(c);
	if (*c->p == close) {
		c->p++;
		c->depth--;
		return 0;
	}
	for (;;) {
		struct jsonl_field tmp;
		skip_ws(c);
		if (open == '{') {
			char *k;
			size_t kl;
			if (parse_string(c, &k, &kl) < 0)
				return -1;
			skip_ws(c);
			if (*c->p != ':') {
				c->error = "expected ':'";
				return -1;
			}
			c->p++;
			skip_ws(c);
		}
		if (parse_value(c, &tmp) < 0)
			return -1;
		skip_ws(c);
		if (*c->p == ',') {
			c->p++;
			continue;
		}
		if (*c->p == close) {
			c->p++;
			c->depth--;
			return 0;
		}
		c->error = "expected ',' or closing bracket";
		return -1;
	}
}

static int parse_number(struct cursor *c, struct jsonl_field *f)
{
	char *start = c->p, *end;
	int integral = 1;
	if (*c->p == '-')
		c->p++;
	if (*c->p < '0' || *c->p > '9') {
		c->error = "bad number";
		return -1;
	}
	while ((*c->p >= '0' && *c->p <= '9') || *c->p == '.' || *c->p == 'e' || *c->p == 'E' ||
	       *c->p == '+' || *c->p == '-') {
		if (*c->p == '.' || *c->p == 'e' || *c->p == 'E')
			integral = 0;
		c->p++;
	}
	char saved = *c->p;
	*c->p = 0;
	errno = 0;
	f->num = strtod(start, &end);
	if (*end != 0) {
		*c->p = saved;
		c->error = "bad number";
		return -1;
	}
	f->is_integer = 0;
	if (integral) {
		errno = 0;
		long long v = strtoll(start, &end, 10);
		if (errno == 0 && *end == 0) {
			f->is_integer = 1;
			f->integer = v;
		}
	}
	*c->p = saved;
	f->kind = JSONL_NUMBER;
	return 0;
}

static int parse_literal(struct cursor *c, const char *word)
{
	size_t n = strlen(word);
	if (strncmp(c->p, word, n) != 0) {
		c->error = "bad literal";
		return -1;
	}
	c->p += n;
	return 0;
}

static int parse_value(struct cursor *c, struct jsonl_field *f)
{
	memset(f, 0, sizeof(*f));
	switch (*c->p) {
	case '"':
		f->kind = JSONL_STRING;
		return parse_string(c, &f->str, &f->str_len);
	case '{': case '[':
		f->kind = JSONL_NESTED;
		return skip_nested(c);
	case 't':
		f->kind = JSONL_BOOL;
		f->boolean = 1;
		return parse_literal(c, "true");
	case 'f':
		f->kind = JSONL_BOOL;
		return parse_literal(c, "false");
	case 'n':
		f->kind = JSONL_NULL;
		return parse_literal(c, "null");
	default:
		return parse_number(c, f);
	}
}

int jsonl_parse(char *line, struct jsonl_request *req, const char **error)
{
	struct cursor c = { .p = line, .error = NULL, .depth = 0 };
	req->count = 0;
	skip_ws(&c);
	if (*c.p != '{') {
		*error = "request is not a JSON object";
		return -1;
	}
	c.p++;
	skip_ws(&c);
	if (*c.p == '}') {
		c.p++;
		goto done;
	}
	for (;;) {
		char *key;
		size_t klen;
		skip_ws(&c);
		if (parse_string(&c, &key, &klen) < 0)
			goto bad;
		skip_ws(&c);
		if (*c.p != ':') {
			c.error = "expected ':'";
			goto bad;
		}
		c.p++;
		skip_ws(&c);
		if (req->count >= JSONL_MAX_FIELDS) {
			c.error = "too many fields";
			goto bad;
		}
		struct jsonl_field *f = &req->fields[req->count];
		if (parse_value(&c, f) < 0)
			goto bad;
		f->key = key;
		req->count++;
		skip_ws(&c);
		if (*c.p == ',') {
			c.p++;
			continue;
		}
		if (*c.p == '}') {
			c.p++;
			break;
		}
		c.error = "expected ',' or '}'";
		goto bad;
	}
done:
	skip_ws(&c);
	if (*c.p != 0) {
		*error = "trailing characters after object";
		return -1;
	}
	return 0;
bad:
	*error = c.error ? c.error : "malformed JSON";
	return -1;
}

const struct jsonl_field *jsonl_get(const struct jsonl_request *req, const char *key)
{
	for (int i = 0; i < req->count; i++)
		if (strcmp(req->fields[i].key, key) == 0)
			return &req->fields[i];
	return NULL;
}

static void out_reserve(struct jsonl_out *o, size_t extra)
{
	if (o->len + extra + 1 <= o->cap)
		return;
	size_t cap = o->cap ? o->cap : 4096;
	while (cap < o->len + extra + 1)
		cap *= 2;
	char *b = realloc(o->buf, cap);
	if (!b) {
		fputs("summit-bpf: out of memory\n", stderr);
		exit(3);
	}
	o->buf = b;
	o->cap = cap;
}

static void out_put(struct jsonl_out *o, const char *s, size_t n)
{
	out_reserve(o, n);
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

void out_begin(struct jsonl_out *o)
{
	o->len = 0;
	o->fields = 0;
	out_put(o, "{", 1);
}

void out_key(struct jsonl_out *o, const char *key)
{
	if (o->fields++)
		out_put(o, ",", 1);
	out_put(o, "\"", 1);
	out_put(o, key, strlen(key));
	out_put(o, "\":", 2);
}

void out_str(struct jsonl_out *o, const char *key, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	out_key(o, key);
	out_reserve(o, n * 6 + 2);
	o->buf[o->len++] = '"';
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '"' || ch == '\\') {
			o->buf[o->len++] = '\\';
			o->buf[o->len++] = (char)ch;
		} else if (ch == '\n') {
			o->buf[o->len++] = '\\';
			o->buf[o->len++] = 'n';
		} else if (ch < 0x20 || ch >= 0x7f) {
			memcpy(o->buf + o->len, "\\u00", 4);
			o->len += 4;
			o->buf[o->len++] = hex[ch >> 4];
			o->buf[o->len++] = hex[ch & 15];
		} else {
			o->buf[o->len++] = (char)ch;
		}
	}
	o->buf[o->len++] = '"';
}

void out_hex(struct jsonl_out *o, const char *key, const uint8_t *bytes, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	out_key(o, key);
	out_reserve(o, n * 2 + 2);
	o->buf[o->len++] = '"';
	for (size_t i = 0; i < n; i++) {
		o->buf[o->len++] = hex[bytes[i] >> 4];
		o->buf[o->len++] = hex[bytes[i] & 15];
	}
	o->buf[o->len++] = '"';
}

void out_int(struct jsonl_out *o, const char *key, int64_t v)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), "%lld", (long long)v);
	out_key(o, key);
	out_put(o, tmp, (size_t)n);
}

void out_bool(struct jsonl_out *o, const char *key, int v)
{
	out_key(o, key);
	out_put(o, v ? "true" : "false", v ? 4 : 5);
}

void out_raw(struct jsonl_out *o, const char *text)
{
	out_put(o, text, strlen(text));
}

void out_end_line(struct jsonl_out *o)
{
	out_put(o, "}\n", 2);
	fwrite(o->buf, 1, o->len, stdout);
	fflush(stdout);
}

int hex_decode(const char *s, size_t n, uint8_t **bytes, size_t *len)
{
	if (n % 2)
		return -1;
	uint8_t *b = malloc(n / 2 + 1);
	if (!b)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			free(b);
			return -1;
		}
		b[i] = (uint8_t)(hi * 16 + lo);
	}
	*bytes = b;
	*len = n / 2;
	return 0;
}
