/* summit-bpf: map requests (create, update, lookup, delete, dump) through libbpf's bpf.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "helper.h"

static int is_percpu(uint32_t type)
{
	return type == BPF_MAP_TYPE_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_ARRAY ||
	       type == BPF_MAP_TYPE_LRU_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE;
}

int map_info(int fd, struct bpf_map_info *info)
{
	__u32 len = sizeof(*info);
	memset(info, 0, sizeof(*info));
	return bpf_obj_get_info_by_fd(fd, info, &len) < 0 ? -1 : 0;
}

size_t user_value_size(const struct bpf_map_info *info)
{
	if (is_percpu(info->type))
		return (size_t)((info->value_size + 7) & ~7u) * (size_t)possible_cpus;
	return info->value_size;
}

int map_create(const struct map_def *d)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = d->flags, .map_extra = d->extra);
	char name[BPF_OBJ_NAME_LEN] = "";
	int inner = -1;
	if (d->has_inner) {
		LIBBPF_OPTS(bpf_map_create_opts, inner_opts, .map_flags = d->inner_flags);
		inner = bpf_map_create(d->inner_type, "inner", d->inner_key_size, d->inner_value_size,
				       d->inner_max_entries, &inner_opts);
		if (inner < 0)
			return -1;
		opts.inner_map_fd = (__u32)inner;
	}
	if (d->name) {
		/* the kernel accepts only [A-Za-z0-9_.] in names: others become '_' */
		size_t i = 0;
		for (; d->name[i] && i < BPF_OBJ_NAME_LEN - 1; i++) {
			char c = d->name[i];
			int okc = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
				  (c >= '0' && c <= '9') || c == '_' || c == '.';
			name[i] = okc ? c : '_';
		}
		name[i] = 0;
	}
	int fd = bpf_map_create(d->type, d->name ? name : NULL, d->key_size, d->value_size,
				d->max_entries, &opts);
	int err = errno;
	if (inner >= 0)
		close(inner); /* the outer map keeps what it needs of the template */
	errno = err;
	if (fd >= 0)
		own(fd);
	return fd < 0 ? -1 : fd;
}

/* Collects up to `limit` keys first (iterating a devmap visits every slot; deletes meanwhile
 * would restart the walk). Returns the count, or -1 with errno. */
static long collect_keys(int fd, size_t ks, size_t limit, uint8_t **keys_out)
{
	size_t unit = ks ? ks : 1, count = 0, cap = 64;
	uint8_t *keys = malloc(cap * unit);
	*keys_out = NULL;
	if (!keys)
		return -1;
	while (count < limit) {
		if (count == cap) {
			uint8_t *grown = realloc(keys, cap * 2 * unit);
			if (!grown) {
				free(keys);
				errno = ENOMEM;
				return -1;
			}
			keys = grown;
			cap *= 2;
		}
		const void *prev = count ? keys + (count - 1) * ks : NULL;
		if (bpf_map_get_next_key(fd, prev, keys + count * ks) < 0) {
			if (errno == ENOENT)
				break;
			int err = errno;
			free(keys);
			errno = err;
			return -1;
		}
		count++;
	}
	*keys_out = keys;
	return (long)count;
}

json_object *map_entries(int fd, size_t limit)
{
	struct bpf_map_info info;
	uint8_t *keys;
	if (map_info(fd, &info) < 0)
		return NULL;
	size_t ks = info.key_size, vs = user_value_size(&info);
	long count = collect_keys(fd, ks, limit, &keys);
	if (count < 0)
		return NULL;
	uint8_t *value = calloc(1, vs + 8);
	if (!value) {
		free(keys);
		errno = ENOMEM;
		return NULL;
	}
	json_object *list = json_object_new_array();
	for (long i = 0; i < count; i++) {
		uint8_t *key = keys + (size_t)i * ks;
		if (bpf_map_lookup_elem(fd, key, value) < 0)
			continue; /* deleted meanwhile, or not readable from userspace */
		json_object *e = json_object_new_object();
		json_object_object_add(e, "key", hex_string(key, ks));
		json_object_object_add(e, "value", hex_string(value, vs));
		json_object_array_add(list, e);
	}
	free(keys);
	free(value);
	return list;
}

void op_create_map(const struct map_def *d)
{
	int fd = map_create(d);
	if (fd < 0) {
		reply_error("BPF_MAP_CREATE failed", errno);
		return;
	}
	reply_ok();
	reply_int("fd", fd);
}

/* Checks the fd is a map and the key fits it; 0, or -1 after replying. */
static int check_map_request(const struct map_req *q, struct bpf_map_info *info)
{
	if (map_info(q->fd, info) < 0) {
		reply_error("not a map fd", errno);
		return -1;
	}
	if (!q->key.present && info->key_size > 0) {
		reply_error("missing hex field 'key'", 0);
		return -1;
	}
	if (q->key.len != info->key_size) {
		reply_error("key length does not match the map's key size", 0);
		return -1;
	}
	return 0;
}

void op_update_map(const struct map_req *q)
{
	struct bpf_map_info info;
	if (check_map_request(q, &info) < 0)
		return;
	if (q->value.len != user_value_size(&info)) {
		reply_error("value length does not match the map's (per-CPU) value size", 0);
		return;
	}
	if (bpf_map_update_elem(q->fd, q->key.data, q->value.data, q->flags) < 0)
		reply_error("BPF_MAP_UPDATE_ELEM failed", errno);
	else
		reply_ok();
}

void op_lookup_map(const struct map_req *q)
{
	struct bpf_map_info info;
	if (check_map_request(q, &info) < 0)
		return;
	size_t vs = user_value_size(&info);
	uint8_t *value = calloc(1, vs + 8);
	if (!value) {
		reply_error("out of memory", ENOMEM);
		return;
	}
	if (bpf_map_lookup_elem(q->fd, q->key.data, value) < 0) {
		reply_error("BPF_MAP_LOOKUP_ELEM failed", errno);
	} else {
		reply_ok();
		reply_hex("value", value, vs);
	}
	free(value);
}

void op_delete_map(const struct map_req *q)
{
	struct bpf_map_info info;
	if (check_map_request(q, &info) < 0)
		return;
	if (bpf_map_delete_elem(q->fd, q->key.data) < 0)
		reply_error("BPF_MAP_DELETE_ELEM failed", errno);
	else
		reply_ok();
}

void op_dump_map(const struct map_req *q)
{
	struct bpf_map_info info;
	if (map_info(q->fd, &info) < 0) {
		reply_error("not a map fd", errno);
		return;
	}
	json_object *entries = map_entries(q->fd, q->limit);
	if (!entries) {
		reply_error("BPF_MAP_GET_NEXT_KEY failed", errno);
		return;
	}
	reply_ok();
	reply_int("valueSize", (int64_t)user_value_size(&info));
	json_object_object_add(reply, "entries", entries);
}

void op_freeze_map(int fd)
{
	if (bpf_map_freeze(fd) < 0)
		reply_error("BPF_MAP_FREEZE failed", errno);
	else
		reply_ok();
}
