/* summit-bpf: the "cycle" request: create maps, fill them, load a program whose ld_imm64 map
 * references (src=1 map, src=2 map value) hold map indices, test-run it once, list every map,
 * and close everything — one round trip instead of one per step.
 *   maps:  [{type, keySize, valueSize, maxEntries, flags, name, inner}] or the compact
 *          "type,keySize,valueSize,maxEntries,flags;..."
 *   fills: [{map, key, value}] or the compact "mapIndex:keyHex:valueHex;..." (values at full
 *          per-CPU size)
 * plus the fields of "load" and of "testRun" (without fd).
 * Failures carry "stage" (maps, fills, patch, load, testRun) and, where it applies, "index". */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "helper.h"

static void stage_error(const char *stage, const char *message, int err, long index)
{
	reply_reset();
	reply_error(message, err);
	reply_str("stage", stage);
	if (index >= 0)
		reply_int("index", index);
}

/* Applies the fills; 0, or -1 after replying. */
static int fill_maps(const struct cycle_req *c, const int *fds)
{
	for (int i = 0; i < c->nfills; i++) {
		const struct fill *f = &c->fills[i];
		struct bpf_map_info info;
		int fd = fds[f->map];
		if (map_info(fd, &info) < 0 || f->key.len != info.key_size ||
		    f->value.len != user_value_size(&info)) {
			stage_error("fills",
				    "fill key/value must be hex of the map's key and (per-CPU) value sizes",
				    0, i);
			return -1;
		}
		if (bpf_map_update_elem(fd, f->key.data, f->value.data, BPF_ANY) < 0) {
			stage_error("fills", "BPF_MAP_UPDATE_ELEM failed", errno, i);
			return -1;
		}
	}
	return 0;
}

/* Rewrites map indices in ld_imm64 src=1/src=2 into fds; 0, or -1 after replying. */
static int patch_map_refs(uint8_t *insns, size_t bytes, const int *fds, int nmaps)
{
	for (size_t i = 0; i + 8 <= bytes; i += 8) {
		uint8_t *s = insns + i;
		if (s[0] != (BPF_LD | BPF_IMM | BPF_DW))
			continue;
		int src = s[1] >> 4;
		if (src == BPF_PSEUDO_MAP_FD || src == BPF_PSEUDO_MAP_VALUE) {
			int32_t imm;
			memcpy(&imm, s + 4, 4);
			if (imm < 0 || imm >= nmaps) {
				stage_error("patch", "ld_imm64 refers to a map that does not exist", 0,
					    (long)(i / 8));
				return -1;
			}
			memcpy(s + 4, &fds[imm], 4);
		}
		i += 8; /* skip the second slot */
	}
	return 0;
}

void op_cycle(struct cycle_req *c)
{
	struct load_result res = { .fd = -1, .err = 0, .log = NULL, .logged = 0 };
	int fds[MAX_CYCLE_MAPS], nmaps = 0;
	for (; nmaps < c->nmaps; nmaps++) {
		fds[nmaps] = map_create(&c->maps[nmaps]);
		if (fds[nmaps] < 0) {
			stage_error("maps", "BPF_MAP_CREATE failed", errno, nmaps);
			goto done;
		}
	}
	if (fill_maps(c, fds) < 0)
		goto done;
	for (int i = 0; i < nmaps; i++)
		if (c->maps[i].freeze && bpf_map_freeze(fds[i]) < 0) {
			stage_error("freeze", "BPF_MAP_FREEZE failed", errno, i);
			goto done;
		}
	if (patch_map_refs(c->load.insns.data, c->load.insns.len, fds, nmaps) < 0)
		goto done;
	load_program(&c->load, &res);
	if (res.fd < 0) {
		stage_error("load", "BPF_PROG_LOAD failed", res.err, -1);
		if (res.log)
			reply_str("log", res.log);
		goto done;
	}
	c->run.fd = res.fd;
	if (run_program(&c->run) < 0) {
		stage_error("testRun", "BPF_PROG_TEST_RUN failed", errno, -1);
		goto done;
	}
	add_prog_info(reply, res.fd);
	if (res.logged)
		reply_str("log", res.log);
	json_object *maps = json_object_new_array();
	for (int i = 0; i < nmaps; i++) {
		json_object *m = json_object_new_object();
		json_object *entries = map_entries(fds[i], 1 << 20);
		if (entries)
			json_object_object_add(m, "entries", entries);
		else
			json_object_object_add(m, "errno", json_object_new_int(errno));
		json_object_array_add(maps, m);
	}
	json_object_object_add(reply, "maps", maps);
done:
	if (res.fd >= 0)
		disown_and_close(res.fd);
	for (int i = 0; i < nmaps; i++)
		disown_and_close(fds[i]);
	free(res.log);
}
