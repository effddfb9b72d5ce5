/* summit-bpf: parses request lines with json-c into the typed requests of request.h. Every field
 * is checked for its JSON type and range here, so the operations can trust what they get. */
#include "request.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parsing state of one request: the message buffer of the first error. */
struct parser {
	char *err;
	size_t errlen;
};

static int failf(struct parser *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->err, p->errlen, fmt, ap);
	va_end(ap);
	return -1;
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

int hex_decode(const char *s, size_t n, uint8_t **bytes, size_t *len)
{
	*bytes = NULL;
	*len = 0;
	if (n % 2)
		return -1;
	uint8_t *b = malloc(n / 2 + 1);
	if (!b)
		return -1;
	for (size_t i = 0; i < n; i += 2) {
		int hi = hexval((unsigned char)s[i]), lo = hexval((unsigned char)s[i + 1]);
		if (hi < 0 || lo < 0) {
			free(b);
			return -1;
		}
		b[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	*bytes = b;
	*len = n / 2;
	return 0;
}

/* The member `key` of `obj`, or NULL when absent or JSON null. */
static json_object *member(json_object *obj, const char *key)
{
	json_object *v = NULL;
	if (!json_object_object_get_ex(obj, key, &v))
		return NULL;
	return v;
}

/* Reads an integer in [min, max]; booleans count as 0/1. Absent and not required: unchanged. */
static int get_range(struct parser *p, json_object *obj, const char *key, int required, int64_t min,
		     int64_t max, int64_t *out)
{
	json_object *v = member(obj, key);
	if (!v) {
		if (required)
			return failf(p, "missing integer field '%s'", key);
		return 0;
	}
	enum json_type t = json_object_get_type(v);
	if (t == json_type_boolean) {
		*out = json_object_get_boolean(v) ? 1 : 0;
		return 0;
	}
	if (t != json_type_int)
		return failf(p, "field '%s' must be an integer", key);
	int64_t x = json_object_get_int64(v);
	if (x < min || x > max)
		return failf(p, "field '%s' is out of range", key);
	*out = x;
	return 0;
}

static int get_u32(struct parser *p, json_object *obj, const char *key, int required, uint32_t *out)
{
	int64_t v = *out;
	if (get_range(p, obj, key, required, 0, UINT32_MAX, &v) < 0)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int get_fd(struct parser *p, json_object *obj, const char *key, int required, int *out)
{
	int64_t v = *out;
	if (get_range(p, obj, key, required, 0, INT32_MAX, &v) < 0)
		return -1;
	*out = (int)v;
	return 0;
}

static int get_bool(struct parser *p, json_object *obj, const char *key, int *out)
{
	int64_t v = *out;
	if (get_range(p, obj, key, 0, 0, 1, &v) < 0)
		return -1;
	*out = (int)v;
	return 0;
}

/* A string field (pointer into the parsed tree); NULL when absent and not required. */
static int get_str(struct parser *p, json_object *obj, const char *key, int required, const char **out)
{
	json_object *v = member(obj, key);
	*out = NULL;
	if (!v) {
		if (required)
			return failf(p, "missing string field '%s'", key);
		return 0;
	}
	if (json_object_get_type(v) != json_type_string)
		return failf(p, "field '%s' must be a string", key);
	const char *s = json_object_get_string(v);
	if (strlen(s) != (size_t)json_object_get_string_len(v))
		return failf(p, "field '%s' contains a NUL character", key);
	*out = s;
	return 0;
}

static int get_hex(struct parser *p, json_object *obj, const char *key, int required, struct bytes *out)
{
	json_object *v = member(obj, key);
	memset(out, 0, sizeof(*out));
	if (!v) {
		if (required)
			return failf(p, "missing hex field '%s'", key);
		return 0;
	}
	if (json_object_get_type(v) != json_type_string ||
	    hex_decode(json_object_get_string(v), (size_t)json_object_get_string_len(v), &out->data,
		       &out->len) < 0)
		return failf(p, "field '%s' must be an even-length hex string", key);
	out->present = 1;
	return 0;
}

static int get_array(struct parser *p, json_object *obj, const char *key, size_t max, json_object **out)
{
	json_object *v = member(obj, key);
	*out = NULL;
	if (!v)
		return 0;
	if (json_object_get_type(v) != json_type_array)
		return failf(p, "field '%s' must be an array", key);
	if (json_object_array_length(v) > max)
		return failf(p, "field '%s' has more than %zu items", key, max);
	*out = v;
	return 0;
}

static int parse_map_def(struct parser *p, json_object *o, struct map_def *d)
{
	memset(d, 0, sizeof(*d));
	int64_t extra = 0;
	if (json_object_get_type(o) != json_type_object)
		return failf(p, "a map must be an object");
	if (get_u32(p, o, "type", 1, &d->type) || get_u32(p, o, "keySize", 1, &d->key_size) ||
	    get_u32(p, o, "valueSize", 1, &d->value_size) ||
	    get_u32(p, o, "maxEntries", 1, &d->max_entries) || get_u32(p, o, "flags", 0, &d->flags) ||
	    get_range(p, o, "mapExtra", 0, 0, INT64_MAX, &extra) || get_str(p, o, "name", 0, &d->name) ||
	    get_u32(p, o, "freeze", 0, &d->freeze))
		return -1;
	d->extra = (uint64_t)extra;
	json_object *inner = member(o, "inner");
	if (!inner)
		return 0;
	if (json_object_get_type(inner) != json_type_object)
		return failf(p, "field 'inner' must be an object");
	d->has_inner = 1;
	return get_u32(p, inner, "type", 1, &d->inner_type) ||
			       get_u32(p, inner, "keySize", 1, &d->inner_key_size) ||
			       get_u32(p, inner, "valueSize", 1, &d->inner_value_size) ||
			       get_u32(p, inner, "maxEntries", 1, &d->inner_max_entries) ||
			       get_u32(p, inner, "flags", 0, &d->inner_flags)
		       ? -1
		       : 0;
}

static int parse_map_req(struct parser *p, json_object *o, struct map_req *m, int want_value)
{
	int64_t flags = 0, limit = 1 << 20;
	if (get_fd(p, o, "fd", 1, &m->fd) || get_hex(p, o, "key", 0, &m->key))
		return -1;
	if (want_value && (get_hex(p, o, "value", 1, &m->value) ||
			   get_range(p, o, "flags", 0, 0, INT64_MAX, &flags)))
		return -1;
	if (get_range(p, o, "limit", 0, 0, UINT32_MAX, &limit))
		return -1;
	m->flags = (uint64_t)flags;
	m->limit = (uint32_t)limit;
	return 0;
}

static int parse_load(struct parser *p, json_object *o, struct load_req *q)
{
	memset(q, 0, sizeof(*q));
	q->log_size = LOG_SIZE_DEFAULT;
	if (get_u32(p, o, "progType", 1, &q->prog_type) ||
	    get_u32(p, o, "expectedAttachType", 0, &q->expected_attach_type) ||
	    get_u32(p, o, "logLevel", 0, &q->log_level) || get_u32(p, o, "logSize", 0, &q->log_size) ||
	    get_u32(p, o, "progFlags", 0, &q->prog_flags) || get_hex(p, o, "insns", 1, &q->insns) ||
	    get_str(p, o, "license", 0, &q->license) || get_str(p, o, "name", 0, &q->name))
		return -1;
	if (q->insns.len == 0 || q->insns.len % 8)
		return failf(p, "insns must be a non-empty multiple of 8 bytes");
	if (!q->license)
		q->license = "GPL";
	if (q->log_size < 256)
		q->log_size = 256;
	if (q->log_size > LOG_SIZE_MAX)
		q->log_size = LOG_SIZE_MAX;
	return 0;
}

static int parse_run(struct parser *p, json_object *o, struct run_req *q, int need_fd)
{
	int64_t out_size = -1, ctx_out = -1;
	memset(q, 0, sizeof(*q));
	q->fd = -1;
	if (get_fd(p, o, "fd", need_fd, &q->fd) || get_u32(p, o, "repeat", 0, &q->repeat) ||
	    get_range(p, o, "dataOutSize", 0, 0, DATA_OUT_MAX, &out_size) ||
	    get_range(p, o, "ctxOut", 0, 0, 1, &ctx_out) || get_u32(p, o, "flags", 0, &q->flags) ||
	    get_u32(p, o, "cpu", 0, &q->cpu) || get_u32(p, o, "batchSize", 0, &q->batch) ||
	    get_hex(p, o, "dataIn", 0, &q->data) || get_hex(p, o, "ctxIn", 0, &q->ctx))
		return -1;
	if (q->repeat > INT32_MAX)
		return failf(p, "field 'repeat' is out of range");
	q->data_out_size = out_size >= 0 ? (uint32_t)out_size : q->data.present ? DATA_OUT_DEFAULT : 0;
	/* context-only types (raw_tracepoint) refuse ctx_out, so it defaults to packet runs only */
	q->ctx_out = ctx_out >= 0 ? (int)ctx_out : q->ctx.present && q->data.present;
	return 0;
}

/* Maps in the compact form "type,keySize,valueSize,maxEntries,flags;..." (the older protocol). */
static int parse_maps_string(struct parser *p, const char *s, struct cycle_req *c)
{
	while (*s) {
		unsigned long v[5];
		char *end;
		if (c->nmaps == MAX_CYCLE_MAPS)
			return failf(p, "too many maps");
		for (int i = 0; i < 5; i++) {
			if (*s < '0' || *s > '9')
				return failf(p, "maps must be 'type,keySize,valueSize,maxEntries,flags;...'");
			v[i] = strtoul(s, &end, 10);
			if (v[i] > UINT32_MAX || (i < 4 && *end != ',') || (i == 4 && *end != ';' && *end))
				return failf(p, "maps must be 'type,keySize,valueSize,maxEntries,flags;...'");
			s = end + (*end ? 1 : 0);
		}
		struct map_def *d = &c->maps[c->nmaps++];
		memset(d, 0, sizeof(*d));
		d->type = (uint32_t)v[0];
		d->key_size = (uint32_t)v[1];
		d->value_size = (uint32_t)v[2];
		d->max_entries = (uint32_t)v[3];
		d->flags = (uint32_t)v[4];
	}
	return 0;
}

/* Fills in the compact form "mapIndex:keyHex:valueHex;..." (the older protocol). */
static int parse_fills_string(struct parser *p, const char *s, struct cycle_req *c)
{
	size_t count = 0;
	for (const char *q = s; *q; q++)
		count += *q == ';';
	if (count + 1 > MAX_CYCLE_FILLS)
		return failf(p, "too many fills");
	c->fills = calloc(count + 1, sizeof(*c->fills));
	if (!c->fills)
		return failf(p, "out of memory");
	while (*s) {
		char *end;
		const char *bad = "fills must be 'mapIndex:keyHex:valueHex;...'";
		if (*s < '0' || *s > '9')
			return failf(p, "%s", bad);
		unsigned long index = strtoul(s, &end, 10);
		const char *key = end + 1, *colon = *end == ':' ? strchr(key, ':') : NULL;
		if (!colon || index >= MAX_CYCLE_MAPS)
			return failf(p, "%s", bad);
		const char *value = colon + 1, *semi = strchr(value, ';');
		size_t vlen = semi ? (size_t)(semi - value) : strlen(value);
		struct fill *f = &c->fills[c->nfills++];
		f->map = (uint32_t)index;
		if (hex_decode(key, (size_t)(colon - key), &f->key.data, &f->key.len) < 0 ||
		    hex_decode(value, vlen, &f->value.data, &f->value.len) < 0)
			return failf(p, "fill %d: key and value must be hex", c->nfills - 1);
		f->key.present = f->value.present = 1;
		s = semi ? semi + 1 : value + vlen;
	}
	return 0;
}

static int parse_cycle(struct parser *p, json_object *o, struct cycle_req *c)
{
	json_object *maps = member(o, "maps"), *fills = member(o, "fills");
	if (maps && json_object_get_type(maps) == json_type_string) {
		if (parse_maps_string(p, json_object_get_string(maps), c) < 0)
			return -1;
	} else if (maps && json_object_get_type(maps) == json_type_array) {
		size_t n = json_object_array_length(maps);
		if (n > MAX_CYCLE_MAPS)
			return failf(p, "too many maps");
		for (size_t i = 0; i < n; i++)
			if (parse_map_def(p, json_object_array_get_idx(maps, i), &c->maps[c->nmaps++]) < 0)
				return -1;
	} else if (maps) {
		return failf(p, "maps must be a string or an array");
	}
	if (fills && json_object_get_type(fills) == json_type_string) {
		if (parse_fills_string(p, json_object_get_string(fills), c) < 0)
			return -1;
	} else if (fills && json_object_get_type(fills) == json_type_array) {
		size_t n = json_object_array_length(fills);
		if (n > MAX_CYCLE_FILLS)
			return failf(p, "too many fills");
		c->fills = calloc(n + 1, sizeof(*c->fills));
		if (!c->fills)
			return failf(p, "out of memory");
		for (size_t i = 0; i < n; i++) {
			json_object *f = json_object_array_get_idx(fills, i);
			struct fill *d = &c->fills[c->nfills++];
			if (json_object_get_type(f) != json_type_object)
				return failf(p, "a fill must be an object");
			if (get_u32(p, f, "map", 1, &d->map) || get_hex(p, f, "key", 1, &d->key) ||
			    get_hex(p, f, "value", 1, &d->value))
				return -1;
		}
	} else if (fills) {
		return failf(p, "fills must be a string or an array");
	}
	for (int i = 0; i < c->nfills; i++)
		if (c->fills[i].map >= (uint32_t)c->nmaps)
			return failf(p, "fill %d refers to map %u, which the cycle does not create", i,
				     c->fills[i].map);
	return parse_load(p, o, &c->load) || parse_run(p, o, &c->run, 0) ? -1 : 0;
}

static int parse_object(struct parser *p, json_object *o, struct object_req *q)
{
	json_object *progs, *load;
	q->log_size = LOG_SIZE_DEFAULT;
	if (get_hex(p, o, "object", 1, &q->object) || get_u32(p, o, "logLevel", 0, &q->log_level) ||
	    get_u32(p, o, "logSize", 0, &q->log_size) ||
	    get_array(p, o, "programs", MAX_OBJECT_PROGRAMS, &progs) ||
	    get_array(p, o, "load", MAX_OBJECT_PROGRAMS, &load))
		return -1;
	if (q->log_size < 256)
		q->log_size = 256;
	if (q->log_size > LOG_SIZE_MAX)
		q->log_size = LOG_SIZE_MAX;
	size_t n = progs ? json_object_array_length(progs) : 0;
	q->progs = calloc(n + 1, sizeof(*q->progs));
	if (!q->progs)
		return failf(p, "out of memory");
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(progs, i);
		struct prog_override *d = &q->progs[q->nprogs++];
		if (json_object_get_type(e) != json_type_object)
			return failf(p, "a program override must be an object");
		if (get_str(p, e, "name", 1, &d->name))
			return -1;
		d->has_type = member(e, "progType") != NULL;
		d->has_attach = member(e, "expectedAttachType") != NULL;
		if (get_u32(p, e, "progType", 0, &d->type) ||
		    get_u32(p, e, "expectedAttachType", 0, &d->attach))
			return -1;
	}
	q->load_all = load == NULL;
	n = load ? json_object_array_length(load) : 0;
	q->load = calloc(n + 1, sizeof(*q->load));
	if (!q->load)
		return failf(p, "out of memory");
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(load, i);
		if (json_object_get_type(e) != json_type_string)
			return failf(p, "'load' must list program names");
		q->load[q->nload++] = json_object_get_string(e);
	}
	return 0;
}

static int parse_time(struct parser *p, json_object *o, struct time_req *q)
{
	q->samples = 1;
	q->calls = 1;
	if (parse_run(p, o, &q->run, 1) || get_u32(p, o, "samples", 0, &q->samples) ||
	    get_u32(p, o, "calls", 0, &q->calls) || get_bool(p, o, "stats", &q->stats))
		return -1;
	if (q->samples < 1 || q->samples > MAX_TIME_SAMPLES)
		return failf(p, "field 'samples' is out of range");
	if (q->calls < 1 || q->calls > 1000000)
		return failf(p, "field 'calls' is out of range");
	return 0;
}

static const struct {
	const char *name;
	enum op op;
} OPS[] = {
	{ "ping", OP_PING },		 { "createMap", OP_CREATE_MAP },   { "updateMap", OP_UPDATE_MAP },
	{ "lookupMap", OP_LOOKUP_MAP },	 { "deleteMap", OP_DELETE_MAP },   { "dumpMap", OP_DUMP_MAP },
	{ "load", OP_LOAD },		 { "testRun", OP_TEST_RUN },	   { "timeRun", OP_TIME_RUN },
	{ "cycle", OP_CYCLE },		 { "close", OP_CLOSE },		   { "pinCpu", OP_PIN_CPU },
	{ "openObject", OP_OPEN_OBJECT }, { "closeObject", OP_CLOSE_OBJECT },
	{ "freezeMap", OP_FREEZE_MAP },	  { "kernelBtf", OP_KERNEL_BTF },
};

static int parse_fields(struct parser *p, json_object *o, struct request *req)
{
	const char *name;
	json_object *op = member(o, "op");
	if (!op || json_object_get_type(op) != json_type_string)
		return failf(p, "missing string field 'op'");
	name = json_object_get_string(op);
	size_t i = 0;
	while (i < sizeof(OPS) / sizeof(OPS[0]) && strcmp(OPS[i].name, name) != 0)
		i++;
	if (i == sizeof(OPS) / sizeof(OPS[0]))
		return failf(p, "unknown op");
	req->op = OPS[i].op;
	switch (req->op) {
	case OP_PING:
	case OP_KERNEL_BTF:
		return 0;
	case OP_CREATE_MAP:
		return parse_map_def(p, o, &req->u.create);
	case OP_UPDATE_MAP:
		return parse_map_req(p, o, &req->u.map, 1);
	case OP_LOOKUP_MAP:
	case OP_DELETE_MAP:
	case OP_DUMP_MAP:
		return parse_map_req(p, o, &req->u.map, 0);
	case OP_LOAD:
		return parse_load(p, o, &req->u.load);
	case OP_TEST_RUN:
		return parse_run(p, o, &req->u.run, 1);
	case OP_TIME_RUN:
		return parse_time(p, o, &req->u.time);
	case OP_CYCLE:
		req->u.cycle = calloc(1, sizeof(*req->u.cycle));
		if (!req->u.cycle)
			return failf(p, "out of memory");
		return parse_cycle(p, o, req->u.cycle);
	case OP_CLOSE:
	case OP_FREEZE_MAP:
		return get_fd(p, o, "fd", 1, &req->u.fd);
	case OP_PIN_CPU:
		return get_fd(p, o, "cpu", 1, &req->u.cpu);
	case OP_OPEN_OBJECT:
		return parse_object(p, o, &req->u.object);
	case OP_CLOSE_OBJECT:
		return get_u32(p, o, "handle", 1, &req->u.handle);
	}
	return failf(p, "unknown op");
}

int request_parse(const char *line, size_t len, struct request *req, char *err, size_t errlen)
{
	struct parser p = { err, errlen };
	memset(req, 0, sizeof(*req));
	while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t' || line[len - 1] == '\r' ||
			   line[len - 1] == '\n'))
		len--;
	if (memchr(line, 0, len))
		return failf(&p, "NUL byte in request");
	struct json_tokener *tok = json_tokener_new_ex(JSON_TOKENER_DEFAULT_DEPTH);
	if (!tok)
		return failf(&p, "out of memory");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	json_object *root = json_tokener_parse_ex(tok, line, (int)(len > INT32_MAX ? INT32_MAX : len));
	enum json_tokener_error e = json_tokener_get_error(tok);
	size_t end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!root || e != json_tokener_success) {
		json_object_put(root);
		if (e == json_tokener_continue || e == json_tokener_success)
			return failf(&p, "invalid JSON: truncated request");
		return failf(&p, "invalid JSON: %s", json_tokener_error_desc(e));
	}
	req->root = root;
	if (end < len)
		return failf(&p, "invalid JSON: trailing characters after the request");
	if (json_object_get_type(root) != json_type_object)
		return failf(&p, "request must be a JSON object");
	json_object *id = member(root, "id");
	if (id && json_object_get_type(id) == json_type_int) {
		req->has_id = 1;
		req->id = json_object_get_int64(id);
	}
	return parse_fields(&p, root, req);
}

static void free_bytes(struct bytes *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

void request_free(struct request *req)
{
	switch (req->op) {
	case OP_UPDATE_MAP:
	case OP_LOOKUP_MAP:
	case OP_DELETE_MAP:
	case OP_DUMP_MAP:
		free_bytes(&req->u.map.key);
		free_bytes(&req->u.map.value);
		break;
	case OP_LOAD:
		free_bytes(&req->u.load.insns);
		break;
	case OP_TEST_RUN:
		free_bytes(&req->u.run.data);
		free_bytes(&req->u.run.ctx);
		break;
	case OP_TIME_RUN:
		free_bytes(&req->u.time.run.data);
		free_bytes(&req->u.time.run.ctx);
		break;
	case OP_CYCLE:
		if (req->u.cycle) {
			struct cycle_req *c = req->u.cycle;
			for (int i = 0; i < c->nfills; i++) {
				free_bytes(&c->fills[i].key);
				free_bytes(&c->fills[i].value);
			}
			free(c->fills);
			free_bytes(&c->load.insns);
			free_bytes(&c->run.data);
			free_bytes(&c->run.ctx);
			free(c);
		}
		break;
	case OP_OPEN_OBJECT:
		free_bytes(&req->u.object.object);
		free(req->u.object.progs);
		free(req->u.object.load);
		break;
	default:
		break;
	}
	json_object_put(req->root);
	memset(req, 0, sizeof(*req));
}
