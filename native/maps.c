/* summit-bpf: map requests (create, update, lookup, delete, dump). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "helper.h"

static int is_percpu(uint32_t type)
{
	return type == BPF_MAP_TYPE_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_ARRAY ||
	       type == BPF_MAP_TYPE_LRU_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE;
}

int map_info(int fd, struct bpf_map_info *info)
{
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	memset(info, 0, sizeof(*info));
	attr.info.bpf_fd = (uint32_t)fd;
	attr.info.info_len = sizeof(*info);
	attr.info.info = (uint64_t)(uintptr_t)info;
	return (int)sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr);
}

size_t user_value_size(const struct bpf_map_info *info)
{
	if (is_percpu(info->type))
		return (size_t)((info->value_size + 7) & ~7u) * (size_t)possible_cpus;
	return info->value_size;
}

int map_create(uint32_t type, uint32_t key_size, uint32_t value_size, uint32_t max_entries,
	       uint32_t flags, const char *name)
{
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.map_type = type;
	attr.key_size = key_size;
	attr.value_size = value_size;
	attr.max_entries = max_entries;
	attr.map_flags = flags;
	if (name)
		strncpy(attr.map_name, name, BPF_OBJ_NAME_LEN - 1);
	int fd = (int)sys_bpf(BPF_MAP_CREATE, &attr);
	own(fd);
	return fd;
}

int map_update(int fd, const uint8_t *key, const uint8_t *value, uint64_t flags)
{
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.map_fd = (uint32_t)fd;
	attr.key = (uint64_t)(uintptr_t)key;
	attr.value = (uint64_t)(uintptr_t)value;
	attr.flags = flags;
	return (int)sys_bpf(BPF_MAP_UPDATE_ELEM, &attr);
}

static int map_lookup(int fd, const uint8_t *key, uint8_t *value)
{
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.map_fd = (uint32_t)fd;
	attr.key = (uint64_t)(uintptr_t)key;
	attr.value = (uint64_t)(uintptr_t)value;
	return (int)sys_bpf(BPF_MAP_LOOKUP_ELEM, &attr);
}

/* Collects up to `limit` keys first (iterating a devmap visits every slot; deletes meanwhile
 * would restart the walk). Returns the count, or -1 with errno. */
static long collect_keys(int fd, size_t ks, size_t limit, uint8_t **keys_out)
{
	union bpf_attr attr;
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
				return -1;
			}
			keys = grown;
			cap *= 2;
		}
		memset(&attr, 0, sizeof(attr));
		attr.map_fd = (uint32_t)fd;
		attr.key = count ? (uint64_t)(uintptr_t)(keys + (count - 1) * ks) : 0;
		attr.next_key = (uint64_t)(uintptr_t)(keys + count * ks);
		if (sys_bpf(BPF_MAP_GET_NEXT_KEY, &attr) < 0) {
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

int write_map_entries(int fd, size_t limit)
{
	struct bpf_map_info info;
	uint8_t *keys;
	if (map_info(fd, &info) < 0)
		return -1;
	size_t ks = info.key_size, vs = user_value_size(&info);
	long count = collect_keys(fd, ks, limit, &keys);
	if (count < 0)
		return -1;
	uint8_t *value = calloc(1, vs + 8);
	int written = 0;
	out_raw(&out, "[");
	for (long i = 0; i < count; i++) {
		uint8_t *key = keys + (size_t)i * ks;
		if (map_lookup(fd, key, value) < 0)
			continue; /* deleted meanwhile, or not readable from userspace */
		out_raw(&out, written++ ? ",{\"key\":" : "{\"key\":");
		raw_hex(key, ks);
		out_raw(&out, ",\"value\":");
		raw_hex(value, vs);
		out_raw(&out, "}");
	}
	out_raw(&out, "]");
	free(keys);
	free(value);
	return 0;
}

void op_create_map(const struct jsonl_request *r)
{
	int64_t type, ks, vs, max, flags = 0;
	if (get_int(r, "type", &type, 1) || get_int(r, "keySize", &ks, 1) ||
	    get_int(r, "valueSize", &vs, 1) || get_int(r, "maxEntries", &max, 1) ||
	    get_int(r, "flags", &flags, 0))
		return;
	const struct jsonl_field *name = jsonl_get(r, "name");
	int fd = map_create((uint32_t)type, (uint32_t)ks, (uint32_t)vs, (uint32_t)max, (uint32_t)flags,
			    name && name->kind == JSONL_STRING ? name->str : NULL);
	if (fd < 0) {
		reply_error("BPF_MAP_CREATE failed", errno);
		return;
	}
	out_bool(&out, "ok", 1);
	out_int(&out, "fd", fd);
}

/* Shared start of update/lookup/delete: fd, key checked against the map's key size. */
static int map_request(const struct jsonl_request *r, int *fd, struct bpf_map_info *info, uint8_t **key)
{
	int64_t v;
	size_t n;
	*key = NULL;
	if (get_int(r, "fd", &v, 1))
		return -1;
	*fd = (int)v;
	if (map_info(*fd, info) < 0) {
		reply_error("not a map fd", errno);
		return -1;
	}
	if (get_hex(r, "key", key, &n, info->key_size > 0))
		return -1;
	if (n != info->key_size) {
		free(*key);
		*key = NULL;
		reply_error("key length does not match the map's key size", 0);
		return -1;
	}
	return 0;
}

void op_update_map(const struct jsonl_request *r)
{
	int fd;
	struct bpf_map_info info;
	uint8_t *key = NULL, *value = NULL;
	size_t vn;
	int64_t flags = BPF_ANY;
	if (map_request(r, &fd, &info, &key) || get_hex(r, "value", &value, &vn, 1) ||
	    get_int(r, "flags", &flags, 0))
		goto done;
	if (vn != user_value_size(&info)) {
		reply_error("value length does not match the map's (per-CPU) value size", 0);
		goto done;
	}
	if (map_update(fd, key, value, (uint64_t)flags) < 0)
		reply_error("BPF_MAP_UPDATE_ELEM failed", errno);
	else
		out_bool(&out, "ok", 1);
done:
	free(key);
	free(value);
}

void op_lookup_map(const struct jsonl_request *r)
{
	int fd;
	struct bpf_map_info info;
	uint8_t *key = NULL;
	if (map_request(r, &fd, &info, &key))
		return;
	size_t vs = user_value_size(&info);
	uint8_t *value = calloc(1, vs + 8);
	if (map_lookup(fd, key, value) < 0) {
		reply_error("BPF_MAP_LOOKUP_ELEM failed", errno);
	} else {
		out_bool(&out, "ok", 1);
		out_hex(&out, "value", value, vs);
	}
	free(value);
	free(key);
}

void op_delete_map(const struct jsonl_request *r)
{
	int fd;
	struct bpf_map_info info;
	uint8_t *key = NULL;
	union bpf_attr attr;
	if (map_request(r, &fd, &info, &key))
		return;
	memset(&attr, 0, sizeof(attr));
	attr.map_fd = (uint32_t)fd;
	attr.key = (uint64_t)(uintptr_t)key;
	if (sys_bpf(BPF_MAP_DELETE_ELEM, &attr) < 0)
		reply_error("BPF_MAP_DELETE_ELEM failed", errno);
	else
		out_bool(&out, "ok", 1);
	free(key);
}

void op_dump_map(const struct jsonl_request *r)
{
	int64_t fd, limit = 1 << 20;
	struct bpf_map_info info;
	if (get_int(r, "fd", &fd, 1) || get_int(r, "limit", &limit, 0))
		return;
	if (map_info((int)fd, &info) < 0) {
		reply_error("not a map fd", errno);
		return;
	}
	/* Write the entries into a scratch position first: on failure nothing partial is sent. */
	size_t mark = out.len;
	int fields = out.fields;
	out_bool(&out, "ok", 1);
	out_int(&out, "valueSize", (int64_t)user_value_size(&info));
	out_key(&out, "entries");
	if (write_map_entries((int)fd, limit > 0 ? (size_t)limit : 0) < 0) {
		int err = errno;
		out.len = mark;
		out.fields = fields;
		reply_error("BPF_MAP_GET_NEXT_KEY failed", err);
	}
}
