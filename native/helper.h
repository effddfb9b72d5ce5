/* Shared declarations of the summit-bpf helper's parts (main loop, maps, programs, cycle). */
#ifndef SUMMIT_HELPER_H
#define SUMMIT_HELPER_H

#include <linux/bpf.h>
#include <stddef.h>
#include <stdint.h>

#include "jsonl.h"

#define HELPER_VERSION 2
#define MAX_FD 65536

/* The reply being built for the current request. */
extern struct jsonl_out out;
/* Possible CPUs: per-CPU map values hold one 8-aligned slot for each. */
extern int possible_cpus;
/* CPU this process is pinned to (test runs happen there), or -1. */
extern int pinned_cpu;

long sys_bpf(int cmd, union bpf_attr *attr);
/* Records/forgets an fd created by this helper (only those may be closed on request). */
void own(int fd);
void disown_and_close(int fd);

/* Reply helpers: error fields, integer and hex request fields (they reply on bad input). */
void reply_error(const char *message, int err);
int get_int(const struct jsonl_request *r, const char *key, int64_t *v, int required);
int get_hex(const struct jsonl_request *r, const char *key, uint8_t **b, size_t *n, int required);
void raw_hex(const uint8_t *b, size_t n);

/* maps.c */
int map_info(int fd, struct bpf_map_info *info);
size_t user_value_size(const struct bpf_map_info *info);
int map_create(uint32_t type, uint32_t key_size, uint32_t value_size, uint32_t max_entries,
	       uint32_t flags, const char *name);
int map_update(int fd, const uint8_t *key, const uint8_t *value, uint64_t flags);
/* Writes the map's entries as a JSON array ("[{"key":..,"value":..},...]"); -1 with errno
 * (nothing written) when its keys cannot be listed. */
int write_map_entries(int fd, size_t limit);
void op_create_map(const struct jsonl_request *r);
void op_update_map(const struct jsonl_request *r);
void op_lookup_map(const struct jsonl_request *r);
void op_delete_map(const struct jsonl_request *r);
void op_dump_map(const struct jsonl_request *r);

/* progs.c */
struct load_request {
	uint32_t prog_type, expected_attach_type, prog_flags;
	const uint8_t *insns;
	size_t insn_bytes;
	const char *license, *name;
	int64_t log_level, log_size;
};
struct load_result {
	int fd;      /* >= 0 on success */
	int err;     /* errno on failure */
	char *log;   /* malloc'd, NUL-terminated; may be empty */
	int logged;  /* whether a log was requested (and so is meaningful) */
};
void load_program(const struct load_request *q, struct load_result *res);
/* Writes xlatedBytes, jitedBytes, verifiedInsns of a loaded program. */
void write_prog_info(int fd);
int parse_load_request(const struct jsonl_request *r, struct load_request *q, uint8_t **insns);
struct run_request {
	int fd;
	int64_t repeat, data_out_size, ctx_out, flags, cpu, batch;
	uint8_t *data, *ctx;
	size_t data_len, ctx_len;
	int err; /* errno of a failed run */
};
int parse_run_request(const struct jsonl_request *r, struct run_request *q, int need_fd);
/* Runs and writes ok/retval/duration/dataOut/ctxOut/cpu, or replies an error; 0 on success. */
int run_and_write(struct run_request *q);
void free_run_request(struct run_request *q);
void op_load(const struct jsonl_request *r);
void op_test_run(const struct jsonl_request *r);

/* cycle.c */
void op_cycle(const struct jsonl_request *r);

#endif
