/* summit-bpf: whole objects loaded as libbpf loads them (bpf_object__open_mem + load): map
 * creation with flags, map-in-map and BTF, relocations, global data and CO-RE exactly as users'
 * loaders do. Per-program type and attach-type overrides cover section names libbpf does not
 * know (iproute2's "classifier"-less names, numbered sections). Pinned maps are created fresh,
 * never reused from or pinned to bpffs, so a check never touches a running system's maps.
 *   openObject:  object (hex ELF), programs [{name, progType, expectedAttachType}], load [names]
 *                (default: every program whose type is known), logLevel, logSize
 *                -> handle, programs [...], maps [...], libbpfLog
 *   closeObject: handle
 * Failures carry "stage" ("open": not an object libbpf reads; "program": a program to load is not
 * among libbpf's (e.g. a function without a symbol); "load": a program, named in "program", was
 * rejected, with "log"; "object": maps, BTF or relocations failed) and "libbpfLog". */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include "helper.h"

#define MAX_OBJECTS 64
#define MAX_OBJECT_MAPS 4096
#define CAPTURE_MAX (64 << 10)
/* Size given to ring buffers declared with 0 bytes (a power-of-two multiple of the page size). */
#define RINGBUF_BYTES (64 << 10)

struct open_object {
	struct bpf_object *obj;
	uint8_t *bytes; /* the ELF image libbpf was given, kept for the object's lifetime */
};

static struct open_object objects[MAX_OBJECTS];
static char captured[CAPTURE_MAX];
static size_t captured_len;
static int capturing;
/* Which maps of the object being opened asked to be pinned (by map order). */
static unsigned char map_pinned[MAX_OBJECT_MAPS];

static int print_libbpf(enum libbpf_print_level level, const char *format, va_list args)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	if (!capturing)
		return vfprintf(stderr, format, args);
	if (captured_len + 1 >= CAPTURE_MAX)
		return 0;
	int n = vsnprintf(captured + captured_len, CAPTURE_MAX - captured_len, format, args);
	if (n > 0)
		captured_len += (size_t)n < CAPTURE_MAX - captured_len ? (size_t)n : CAPTURE_MAX - captured_len - 1;
	return n;
}

void capture_libbpf_messages(void)
{
	libbpf_set_print(print_libbpf);
}

static const struct prog_override *override_of(const struct object_req *q, const char *name)
{
	for (int i = 0; i < q->nprogs; i++)
		if (!strcmp(q->progs[i].name, name))
			return &q->progs[i];
	return NULL;
}

static int wanted(const struct object_req *q, const char *name)
{
	for (int i = 0; i < q->nload; i++)
		if (!strcmp(q->load[i], name))
			return 1;
	return 0;
}

/* Log buffers of the programs being loaded, freed after the load. */
struct prog_logs {
	char *buf[MAX_OBJECT_PROGRAMS];
	int count;
};

static void free_logs(struct prog_logs *logs)
{
	for (int i = 0; i < logs->count; i++)
		free(logs->buf[i]);
	logs->count = 0;
}

/* The map definition fixes production loaders make where libbpf alone would fail: a ring buffer
 * declares a value type for code generators (cilium/ebpf clears its sizes), a map declares 0
 * entries and is sized at load time (Falco: one per possible CPU, ring buffers of its choice).
 * Each fix is described in
 * `adjusted`. */
struct map_def_fix {
	__u32 key_size, value_size, max_entries;
	int changed;
};

static struct map_def_fix fixed_def(struct bpf_map *map, const char *name, json_object *adjusted)
{
	char note[192];
	struct map_def_fix f = { bpf_map__key_size(map), bpf_map__value_size(map),
				 bpf_map__max_entries(map), 0 };
	if (bpf_map__type(map) == BPF_MAP_TYPE_RINGBUF && (f.key_size || f.value_size)) {
		f.key_size = f.value_size = 0;
		f.changed = 1;
		snprintf(note, sizeof(note), "map %s: ring buffer key and value sizes cleared", name);
		json_object_array_add(adjusted, json_object_new_string(note));
	}
	if (f.max_entries == 0 && bpf_map__type(map) == BPF_MAP_TYPE_RINGBUF) {
		f.max_entries = RINGBUF_BYTES;
		f.changed = 1;
		snprintf(note, sizeof(note), "map %s: ring buffer of 0 bytes declared, sized to %d", name,
			 RINGBUF_BYTES);
		json_object_array_add(adjusted, json_object_new_string(note));
	} else if (f.max_entries == 0 && bpf_map__type(map) != BPF_MAP_TYPE_PERF_EVENT_ARRAY) {
		f.max_entries = (__u32)possible_cpus;
		f.changed = 1;
		snprintf(note, sizeof(note), "map %s: 0 entries declared, sized to %d (one per CPU)", name,
			 possible_cpus);
		json_object_array_add(adjusted, json_object_new_string(note));
	}
	return f;
}

/* Template fds given to map-in-map maps whose inner definition needed a fix (closed after load). */
struct templates {
	int fd[MAX_OBJECT_MAPS];
	int count;
};

static void adjust_map(struct bpf_map *map, json_object *adjusted, struct templates *t)
{
	struct map_def_fix f = fixed_def(map, bpf_map__name(map), adjusted);
	if (f.changed) {
		bpf_map__set_key_size(map, f.key_size);
		bpf_map__set_value_size(map, f.value_size);
		bpf_map__set_max_entries(map, f.max_entries);
	}
	/* libbpf 1.1 cannot change an inner map's definition; a fixed template replaces it */
	struct bpf_map *inner = bpf_map__inner_map(map);
	if (!inner || t->count == MAX_OBJECT_MAPS)
		return;
	char name[160];
	snprintf(name, sizeof(name), "%s (inner)", bpf_map__name(map));
	struct map_def_fix fi = fixed_def(inner, name, adjusted);
	if (!fi.changed)
		return;
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = bpf_map__map_flags(inner));
	int fd = bpf_map_create(bpf_map__type(inner), "inner", fi.key_size, fi.value_size,
				fi.max_entries, &opts);
	if (fd >= 0 && bpf_map__set_inner_map_fd(map, fd) == 0)
		t->fd[t->count++] = fd;
	else if (fd >= 0)
		close(fd);
}

/* Applies overrides and the load list, gives every loaded program a log buffer, unpins every map
 * and adjusts map definitions as production loaders do. 0, or -1 after replying. */
static int prepare(struct bpf_object *obj, const struct object_req *q, size_t log_size,
		   struct prog_logs *logs, json_object *adjusted, struct templates *t)
{
	struct bpf_program *prog;
	struct bpf_map *map;
	for (int i = 0; i < q->nload; i++)
		if (!bpf_object__find_program_by_name(obj, q->load[i])) {
			char msg[160];
			snprintf(msg, sizeof(msg), "libbpf finds no program named '%s' in the object",
				 q->load[i]);
			reply_error(msg, ENOENT);
			reply_str("stage", "program");
			return -1;
		}
	bpf_object__for_each_program(prog, obj) {
		const char *name = bpf_program__name(prog);
		const struct prog_override *o = override_of(q, name);
		if (o && o->has_type)
			bpf_program__set_type(prog, o->type);
		if (o && o->has_attach)
			bpf_program__set_expected_attach_type(prog, o->attach);
		int load = q->load_all ? bpf_program__type(prog) != BPF_PROG_TYPE_UNSPEC : wanted(q, name);
		bpf_program__set_autoload(prog, load);
		if (!load || logs->count == MAX_OBJECT_PROGRAMS)
			continue;
		char *buf = calloc(1, log_size + 1);
		if (!buf) {
			reply_error("out of memory", ENOMEM);
			return -1;
		}
		logs->buf[logs->count++] = buf;
		bpf_program__set_log_buf(prog, buf, log_size);
		bpf_program__set_log_level(prog, q->log_level);
	}
	int i = 0;
	bpf_object__for_each_map(map, obj) {
		if (i < MAX_OBJECT_MAPS)
			map_pinned[i++] = bpf_map__pin_path(map) != NULL;
		bpf_map__set_pin_path(map, NULL);
		adjust_map(map, adjusted, t);
	}
	return 0;
}

static json_object *describe_programs(struct bpf_object *obj, const struct object_req *q)
{
	struct bpf_program *prog;
	json_object *list = json_object_new_array();
	bpf_object__for_each_program(prog, obj) {
		json_object *p = json_object_new_object();
		size_t log_size = 0;
		const char *log = bpf_program__log_buf(prog, &log_size);
		int fd = bpf_program__fd(prog);
		json_object_object_add(p, "name", json_object_new_string(bpf_program__name(prog)));
		json_object_object_add(p, "section",
				       json_object_new_string(bpf_program__section_name(prog)));
		json_object_object_add(p, "progType", json_object_new_int64(bpf_program__type(prog)));
		json_object_object_add(
			p, "expectedAttachType",
			json_object_new_int64(bpf_program__expected_attach_type(prog)));
		json_object_object_add(p, "loaded", json_object_new_boolean(fd >= 0));
		if (fd >= 0) {
			json_object_object_add(p, "fd", json_object_new_int64(fd));
			add_prog_info(p, fd);
			if (q->log_level > 0 && log)
				json_object_object_add(p, "log", json_object_new_string(log));
		}
		json_object_array_add(list, p);
	}
	return list;
}

static json_object *describe_maps(struct bpf_object *obj)
{
	struct bpf_map *map;
	json_object *list = json_object_new_array();
	int i = 0;
	bpf_object__for_each_map(map, obj) {
		json_object *m = json_object_new_object();
		json_object_object_add(m, "name", json_object_new_string(bpf_map__name(map)));
		json_object_object_add(m, "fd", json_object_new_int64(bpf_map__fd(map)));
		json_object_object_add(m, "type", json_object_new_int64(bpf_map__type(map)));
		json_object_object_add(m, "keySize", json_object_new_int64(bpf_map__key_size(map)));
		json_object_object_add(m, "valueSize", json_object_new_int64(bpf_map__value_size(map)));
		json_object_object_add(m, "maxEntries", json_object_new_int64(bpf_map__max_entries(map)));
		json_object_object_add(m, "flags", json_object_new_int64(bpf_map__map_flags(map)));
		json_object_object_add(m, "internal", json_object_new_boolean(bpf_map__is_internal(map)));
		json_object_object_add(m, "pinning",
				       json_object_new_boolean(i < MAX_OBJECT_MAPS && map_pinned[i]));
		i++;
		json_object_array_add(list, m);
	}
	return list;
}

/* After a failed load: the program whose log says why, if any. */
static struct bpf_program *rejected_program(struct bpf_object *obj)
{
	struct bpf_program *prog;
	bpf_object__for_each_program(prog, obj) {
		size_t size = 0;
		const char *log = bpf_program__log_buf(prog, &size);
		if (bpf_program__autoload(prog) && bpf_program__fd(prog) < 0 && log && log[0])
			return prog;
	}
	return NULL;
}

static void reply_captured(void)
{
	captured[captured_len] = 0;
	reply_str("libbpfLog", captured);
}

/* Opens and loads once with `log_size`; 0 with *out set, 1 to retry with a larger log, -1 after
 * replying. */
static int open_and_load(const struct object_req *q, uint8_t *bytes, size_t log_size,
			 struct bpf_object **out)
{
	struct prog_logs logs = { .count = 0 };
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = "o");
	*out = NULL;
	struct bpf_object *obj = bpf_object__open_mem(bytes, q->object.len, &opts);
	if (!obj) {
		reply_error("libbpf cannot open the object", errno);
		reply_str("stage", "open");
		return -1;
	}
	json_object *adjusted = json_object_new_array();
	struct templates t = { .count = 0 };
	int prepared = prepare(obj, q, log_size, &logs, adjusted, &t);
	int err = prepared < 0 ? 0 : bpf_object__load(obj);
	for (int i = 0; i < t.count; i++)
		close(t.fd[i]);
	if (prepared < 0) {
		json_object_put(adjusted);
		bpf_object__close(obj);
		free_logs(&logs);
		return -1;
	}
	if (err) {
		err = err < 0 ? -err : EINVAL;
		struct bpf_program *bad = rejected_program(obj);
		int full = bad && q->log_level > 0 && err == ENOSPC && log_size < LOG_SIZE_MAX;
		if (!full) {
			reply_error(bad ? "the verifier rejected a program" : "libbpf cannot load the object",
				    err);
			reply_str("stage", bad ? "load" : "object");
			if (bad) {
				size_t size = 0;
				reply_str("program", bpf_program__name(bad));
				reply_str("log", bpf_program__log_buf(bad, &size));
			}
		}
		json_object_object_add(reply, "adjusted", adjusted);
		bpf_object__close(obj);
		free_logs(&logs);
		return full ? 1 : -1;
	}
	reply_ok();
	json_object_object_add(reply, "adjusted", adjusted);
	json_object_object_add(reply, "programs", describe_programs(obj, q));
	json_object_object_add(reply, "maps", describe_maps(obj));
	/* libbpf keeps the log pointers; drop them before freeing the buffers */
	struct bpf_program *prog;
	bpf_object__for_each_program(prog, obj) bpf_program__set_log_buf(prog, NULL, 0);
	free_logs(&logs);
	*out = obj;
	return 0;
}

void op_open_object(const struct object_req *q)
{
	int slot = 0;
	while (slot < MAX_OBJECTS && objects[slot].obj)
		slot++;
	if (slot == MAX_OBJECTS) {
		reply_error("too many open objects", EMFILE);
		return;
	}
	uint8_t *bytes = malloc(q->object.len ? q->object.len : 1);
	if (!bytes) {
		reply_error("out of memory", ENOMEM);
		return;
	}
	memcpy(bytes, q->object.data, q->object.len);
	captured_len = 0;
	capturing = 1;
	struct bpf_object *obj = NULL;
	size_t log_size = q->log_size;
	int rc;
	while ((rc = open_and_load(q, bytes, log_size, &obj)) == 1)
		log_size *= 4;
	capturing = 0;
	reply_captured();
	if (rc < 0) {
		free(bytes);
		return;
	}
	objects[slot].obj = obj;
	objects[slot].bytes = bytes;
	reply_int("handle", slot + 1);
}

void op_close_object(uint32_t handle)
{
	if (handle < 1 || handle > MAX_OBJECTS || !objects[handle - 1].obj) {
		reply_error("no open object with that handle", EBADF);
		return;
	}
	struct open_object *o = &objects[handle - 1];
	bpf_object__close(o->obj);
	free(o->bytes);
	o->obj = NULL;
	o->bytes = NULL;
	reply_ok();
}

void close_all_objects(void)
{
	for (int i = 0; i < MAX_OBJECTS; i++)
		if (objects[i].obj) {
			bpf_object__close(objects[i].obj);
			free(objects[i].bytes);
			objects[i].obj = NULL;
		}
}
