/* summit-bpf: the "cycle" request: create maps, fill them, load a program whose ld_imm64 map
 * references (src=1 map, src=2 map value) hold map indices, test-run it once, list every map,
 * and close everything — one round trip instead of one per step.
 *   maps:  "type,keySize,valueSize,maxEntries,flags;..."   (may be empty)
 *   fills: "mapIndex:keyHex:valueHex;..."                  (values at full per-CPU size)
 * plus the fields of "load" (without fd patching) and of "testRun" (without fd).
 * Failures carry "stage" (maps, fills, patch, load, testRun) and, where it applies, "index". */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helper.h"

#define CYCLE_MAX_MAPS 64

static void stage_error(const char *stage, const char *message, int err, long index)
{
	reply_error(message, err);
	out_str(&out, "stage", stage, strlen(stage));
	if (index >= 0)
		out_int(&out, "index", index);
}

/* Parses the maps string and creates each map, counting them in *created (so the caller can close
 * them whatever happens); 0, or -1 after replying. */
static int create_maps(const char *spec, int *fds, int *created)
{
	int count = 0;
	*created = 0;
	const char *p = spec;
	while (*p) {
		unsigned long v[5];
		char *end;
		for (int i = 0; i < 5; i++) {
			errno = 0;
			v[i] = strtoul(p, &end, 10);
			if (end == p || errno || v[i] > 0xffffffffUL || (i < 4 && *end != ',') ||
			    (i == 4 && *end != ';' && *end != 0)) {
				stage_error("maps", "maps must be 'type,keySize,valueSize,maxEntries,flags;...'", 0,
					    count);
				return -1;
			}
			p = end + (*end ? 1 : 0);
		}
		if (count == CYCLE_MAX_MAPS) {
			stage_error("maps", "too many maps", 0, count);
			return -1;
		}
		fds[count] = map_create((uint32_t)v[0], (uint32_t)v[1], (uint32_t)v[2], (uint32_t)v[3],
					(uint32_t)v[4], NULL);
		if (fds[count] < 0) {
			stage_error("maps", "BPF_MAP_CREATE failed", errno, count);
			return -1;
		}
		*created = ++count;
	}
	return 0;
}

/* Applies "index:keyHex:valueHex;..." (modified in place); 0, or -1 after replying. */
static int fill_maps(char *spec, const int *fds, int nmaps)
{
	long entry = 0;
	for (char *p = spec; *p; entry++) {
		char *end;
		long index = strtol(p, &end, 10);
		char *key = end + 1, *colon2 = *end == ':' ? strchr(key, ':') : NULL;
		if (!colon2 || index < 0 || index >= nmaps) {
			stage_error("fills", "fills must be 'mapIndex:keyHex:valueHex;...'", 0, entry);
			return -1;
		}
		char *value = colon2 + 1, *semi = strchr(value, ';');
		size_t vlen = semi ? (size_t)(semi - value) : strlen(value);
		uint8_t *kb = NULL, *vb = NULL;
		size_t kn, vn;
		struct bpf_map_info info;
		int bad = hex_decode(key, (size_t)(colon2 - key), &kb, &kn) < 0 ||
			  hex_decode(value, vlen, &vb, &vn) < 0 || map_info(fds[index], &info) < 0 ||
			  kn != info.key_size || vn != user_value_size(&info);
		int rc = bad ? -1 : map_update(fds[index], kb, vb, BPF_ANY);
		int err = errno;
		free(kb);
		free(vb);
		if (bad) {
			stage_error("fills", "fill key/value must be hex of the map's key and (per-CPU) value sizes", 0, entry);
			return -1;
		}
		if (rc < 0) {
			stage_error("fills", "BPF_MAP_UPDATE_ELEM failed", err, entry);
			return -1;
		}
		p = semi ? semi + 1 : value + vlen;
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

void op_cycle(const struct jsonl_request *r)
{
	struct load_request lq;
	struct load_result res = { .fd = -1, .err = 0, .log = NULL, .logged = 0 };
	struct run_request rq;
	uint8_t *insns = NULL;
	int fds[CYCLE_MAX_MAPS], nmaps = 0;
	memset(&rq, 0, sizeof(rq));
	const struct jsonl_field *maps = jsonl_get(r, "maps"), *fills = jsonl_get(r, "fills");
	if ((maps && maps->kind != JSONL_STRING) || (fills && fills->kind != JSONL_STRING)) {
		reply_error("maps and fills must be strings", 0);
		return;
	}
	if (parse_load_request(r, &lq, &insns) < 0 || parse_run_request(r, &rq, 0) < 0)
		goto done;
	if (maps && create_maps(maps->str, fds, &nmaps) < 0)
		goto done;
	if (fills && fill_maps(fills->str, fds, nmaps) < 0)
		goto done;
	if (patch_map_refs(insns, lq.insn_bytes, fds, nmaps) < 0)
		goto done;
	load_program(&lq, &res);
	if (res.fd < 0) {
		stage_error("load", "BPF_PROG_LOAD failed", res.err, -1);
		if (res.log)
			out_str(&out, "log", res.log, strlen(res.log));
		goto done;
	}
	rq.fd = res.fd;
	size_t mark = out.len;
	int fields = out.fields;
	if (run_and_write(&rq) < 0) {
		out.len = mark; /* drop the run's error fields and restate them with the stage */
		out.fields = fields;
		stage_error("testRun", "BPF_PROG_TEST_RUN failed", rq.err, -1);
		goto done;
	}
	write_prog_info(res.fd);
	if (res.logged)
		out_str(&out, "log", res.log, strlen(res.log));
	out_key(&out, "maps");
	out_raw(&out, "[");
	for (int i = 0; i < nmaps; i++) {
		if (i)
			out_raw(&out, ",");
		out_raw(&out, "{\"entries\":");
		size_t before = out.len;
		if (write_map_entries(fds[i], 1 << 20) < 0) {
			out.len = before - strlen("{\"entries\":");
			out_raw(&out, "{\"errno\":");
			char num[16];
			snprintf(num, sizeof(num), "%d", errno);
			out_raw(&out, num);
		}
		out_raw(&out, "}");
	}
	out_raw(&out, "]");
done:
	if (res.fd >= 0)
		disown_and_close(res.fd);
	for (int i = 0; i < nmaps; i++)
		disown_and_close(fds[i]);
	free(res.log);
	free(insns);
	free_run_request(&rq);
}
