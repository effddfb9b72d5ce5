/* Shared declarations of the summit-bpf helper's parts: the reply being built, fd ownership,
 * and the operations (maps.c, progs.c, cycle.c, objects.c, timing.c). */
#ifndef SUMMIT_HELPER_H
#define SUMMIT_HELPER_H

#include <linux/bpf.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "request.h"

#define HELPER_VERSION 4
#define MAX_FD 65536

/* The reply being built for the current request (a JSON object). */
extern json_object *reply;
/* Possible CPUs: per-CPU map values hold one 8-aligned slot for each. */
extern int possible_cpus;
/* CPU this process is pinned to (test runs happen there), or -1. */
extern int pinned_cpu;

/* Records/forgets an fd created by this helper (only those may be closed on request). */
void own(int fd);
void disown_and_close(int fd);
int owns(int fd);

/* Reply fields. reply_error sets ok=false, error and (when err != 0) errno and errnoText. */
void reply_error(const char *message, int err);
void reply_ok(void);
void reply_int(const char *key, int64_t v);
void reply_str(const char *key, const char *s);
void reply_hex(const char *key, const uint8_t *b, size_t n);
json_object *hex_string(const uint8_t *b, size_t n);
/* Drops every field of the reply except its id. */
void reply_reset(void);

/* maps.c */
int map_info(int fd, struct bpf_map_info *info);
size_t user_value_size(const struct bpf_map_info *info);
/* Creates a map (with its inner template for map-in-map types); fd, or -1 with errno. */
int map_create(const struct map_def *d);
/* The map's entries as a JSON array of {key, value}; NULL with errno when its keys cannot be
 * listed. */
json_object *map_entries(int fd, size_t limit);
void op_create_map(const struct map_def *d);
void op_update_map(const struct map_req *q);
void op_lookup_map(const struct map_req *q);
void op_delete_map(const struct map_req *q);
void op_dump_map(const struct map_req *q);
/* BPF_MAP_FREEZE: user space may no longer write the map (libbpf does this to .rodata). */
void op_freeze_map(int fd);

/* progs.c */
struct load_result {
	int fd;	     /* >= 0 on success */
	int err;     /* errno on failure */
	char *log;   /* malloc'd, NUL-terminated; may be empty */
	int logged;  /* whether a log was requested (and so is meaningful) */
};
void load_program(const struct load_req *q, struct load_result *res);
/* Adds xlatedBytes, jitedBytes, verifiedInsns of a loaded program to `o`. */
void add_prog_info(json_object *o, int fd);
/* Runs once and adds retval/duration/dataOut/ctxOut/cpu to the reply; 0, or -1 with errno. */
int run_program(struct run_req *q);
/* Pads a raw_tracepoint context to the 96 bytes the program may read; 0, or -1 (ENOMEM). */
int pad_raw_tp_ctx(struct run_req *q);
void op_load(const struct load_req *q);
void op_test_run(struct run_req *q);

/* cycle.c */
void op_cycle(struct cycle_req *c);

/* objects.c */
void op_open_object(const struct object_req *q);
void op_close_object(uint32_t handle);
void close_all_objects(void);
/* Routes libbpf's warnings into a buffer that openObject replies carry (see objects.c). */
void capture_libbpf_messages(void);

/* timing.c */
void op_time_run(struct time_req *q);

/* kernel-btf.c */
void op_kernel_btf(void);

#endif
