/* summit-bpf requests: one JSON object per line, parsed with json-c into typed structs. Parsing
 * makes no system calls, so the fuzz harness in fuzz/ drives it on its own. */
#ifndef SUMMIT_REQUEST_H
#define SUMMIT_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#define MAX_CYCLE_MAPS 64
#define MAX_CYCLE_FILLS 65536
#define MAX_OBJECT_PROGRAMS 1024
#define LOG_SIZE_DEFAULT (1u << 20)
#define LOG_SIZE_MAX (64u << 20)
#define DATA_OUT_DEFAULT 65536
#define DATA_OUT_MAX (16 << 20)
#define MAX_TIME_SAMPLES 10000

enum op {
	OP_PING,
	OP_CREATE_MAP,
	OP_UPDATE_MAP,
	OP_LOOKUP_MAP,
	OP_DELETE_MAP,
	OP_DUMP_MAP,
	OP_LOAD,
	OP_TEST_RUN,
	OP_TIME_RUN,
	OP_CYCLE,
	OP_CLOSE,
	OP_PIN_CPU,
	OP_OPEN_OBJECT,
	OP_CLOSE_OBJECT,
	OP_FREEZE_MAP,
	OP_KERNEL_BTF,
};

/* Decoded bytes of a hex field; `present` tells an absent field from an empty one. */
struct bytes {
	uint8_t *data;
	size_t len;
	int present;
};

/* A map to create; an inner map template for map-in-map types. */
struct map_def {
	uint32_t type, key_size, value_size, max_entries, flags;
	uint32_t freeze; /* cycle: BPF_MAP_FREEZE once filled (libbpf's .rodata) */
	uint64_t extra;
	const char *name; /* NULL when absent */
	int has_inner;
	uint32_t inner_type, inner_key_size, inner_value_size, inner_max_entries, inner_flags;
};

struct map_req {
	int fd;
	struct bytes key, value;
	uint64_t flags;
	uint32_t limit;
};

struct load_req {
	uint32_t prog_type, expected_attach_type, prog_flags, log_level, log_size;
	struct bytes insns;
	const char *license, *name;
};

struct run_req {
	int fd;
	uint32_t repeat, flags, cpu, batch;
	uint32_t data_out_size;
	int ctx_out;
	struct bytes data, ctx;
};

/* One initial map entry of a cycle. */
struct fill {
	uint32_t map;
	struct bytes key, value;
};

struct cycle_req {
	struct map_def maps[MAX_CYCLE_MAPS];
	int nmaps;
	struct fill *fills;
	int nfills;
	struct load_req load;
	struct run_req run;
};

/* Per-program settings of an opened object: a type and attach type that override the section's. */
struct prog_override {
	const char *name;
	int has_type, has_attach;
	uint32_t type, attach;
};

struct object_req {
	struct bytes object;
	struct prog_override *progs;
	int nprogs;
	const char **load; /* program names to load; load_all when the field is absent */
	int nload, load_all;
	uint32_t log_level, log_size;
};

struct time_req {
	struct run_req run;
	uint32_t samples, calls;
	int stats;
};

struct request {
	json_object *root;
	int has_id;
	int64_t id;
	enum op op;
	union {
		struct map_def create;
		struct map_req map;
		struct load_req load;
		struct run_req run;
		struct time_req time;
		struct cycle_req *cycle;
		struct object_req object;
		int fd;
		int cpu;
		uint32_t handle;
	} u;
};

/* Parses one request line of `len` bytes (no NUL needed). Returns 0, or -1 with a one-line
 * message in `err`; `req->has_id`/`req->id` are set whenever the line carried a numeric id.
 * Call request_free afterwards in both cases. */
int request_parse(const char *line, size_t len, struct request *req, char *err, size_t errlen);

/* Frees what request_parse allocated (safe on a zeroed or failed request). */
void request_free(struct request *req);

/* Decodes hex (even length, [0-9a-fA-F]) into a new buffer (never NULL on success); -1 on bad input. */
int hex_decode(const char *s, size_t n, uint8_t **bytes, size_t *len);

#endif
