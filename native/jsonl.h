/* Minimal JSON-lines support for summit-bpf: parses one flat request object per line and
 * writes reply objects. Nested values in requests are parsed for validity and ignored. */
#ifndef SUMMIT_JSONL_H
#define SUMMIT_JSONL_H

#include <stddef.h>
#include <stdint.h>

#define JSONL_MAX_FIELDS 32

enum jsonl_kind { JSONL_STRING, JSONL_NUMBER, JSONL_BOOL, JSONL_NULL, JSONL_NESTED };

struct jsonl_field {
	char *key;            /* points into the request line (unescaped in place) */
	enum jsonl_kind kind;
	char *str;            /* JSONL_STRING: unescaped, NUL-terminated, in place */
	size_t str_len;
	double num;           /* JSONL_NUMBER */
	int is_integer;       /* JSONL_NUMBER with no fraction/exponent and in int64 range */
	int64_t integer;
	int boolean;          /* JSONL_BOOL */
};

struct jsonl_request {
	struct jsonl_field fields[JSONL_MAX_FIELDS];
	int count;
};

/* Parses `line` (modified in place). Returns 0, or -1 with a static message in *error. */
int jsonl_parse(char *line, struct jsonl_request *req, const char **error);

/* Looks up a field by key; NULL when absent. */
const struct jsonl_field *jsonl_get(const struct jsonl_request *req, const char *key);

/* A growable output buffer for one reply line. */
struct jsonl_out {
	char *buf;
	size_t len;
	size_t cap;
	int fields; /* fields written in the current object, for commas */
};

void out_begin(struct jsonl_out *o);
void out_key(struct jsonl_out *o, const char *key);
void out_str(struct jsonl_out *o, const char *key, const char *s, size_t n);
void out_hex(struct jsonl_out *o, const char *key, const uint8_t *bytes, size_t n);
void out_int(struct jsonl_out *o, const char *key, int64_t v);
void out_bool(struct jsonl_out *o, const char *key, int v);
void out_raw(struct jsonl_out *o, const char *text);
void out_end_line(struct jsonl_out *o);  /* closes the object, writes it + '\n' to stdout */

/* Decodes hex (even length, [0-9a-fA-F]) into a new buffer; -1 on bad input. */
int hex_decode(const char *s, size_t n, uint8_t **bytes, size_t *len);

#endif
