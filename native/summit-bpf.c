/* summit-bpf: a small helper giving Summit access to the kernel's BPF verifier and
 * BPF_PROG_TEST_RUN through the raw bpf() syscall. It reads one JSON request per line on stdin
 * and writes one JSON reply per line on stdout. Bytes (keys, values, instructions, packets) are
 * hex strings. A malformed request gets {"ok":false,"error":...}; the helper never exits on a bad
 * request, only at end of input. Every reply echoes the request's numeric "id". Blank lines are
 * ignored. This file holds the main loop, dispatch and shared helpers. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "helper.h"

struct jsonl_out out;
int possible_cpus = 1;
int pinned_cpu = -1;
static unsigned char owned[MAX_FD]; /* fds created here: only these may be closed */

long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

void own(int fd)
{
	if (fd >= 0 && fd < MAX_FD)
		owned[fd] = 1;
}

void disown_and_close(int fd)
{
	if (fd >= 0 && fd < MAX_FD && owned[fd]) {
		owned[fd] = 0;
		close(fd);
	}
}

void reply_error(const char *message, int err)
{
	out_bool(&out, "ok", 0);
	out_str(&out, "error", message, strlen(message));
	if (err) {
		out_int(&out, "errno", err);
		const char *s = strerror(err);
		out_str(&out, "errnoText", s, strlen(s));
	}
}

int get_int(const struct jsonl_request *r, const char *key, int64_t *v, int required)
{
	const struct jsonl_field *f = jsonl_get(r, key);
	char msg[96];
	if (!f || f->kind == JSONL_NULL) {
		if (!required)
			return 0;
		snprintf(msg, sizeof(msg), "missing integer field '%s'", key);
		reply_error(msg, 0);
		return -1;
	}
	if (f->kind == JSONL_BOOL) {
		*v = f->boolean;
		return 0;
	}
	if (f->kind != JSONL_NUMBER || !f->is_integer) {
		snprintf(msg, sizeof(msg), "field '%s' must be an integer", key);
		reply_error(msg, 0);
		return -1;
	}
	*v = f->integer;
	return 0;
}

int get_hex(const struct jsonl_request *r, const char *key, uint8_t **b, size_t *n, int required)
{
	const struct jsonl_field *f = jsonl_get(r, key);
	char msg[96];
	*b = NULL;
	*n = 0;
	if (!f || f->kind == JSONL_NULL) {
		if (!required)
			return 0;
		snprintf(msg, sizeof(msg), "missing hex field '%s'", key);
		reply_error(msg, 0);
		return -1;
	}
	if (f->kind != JSONL_STRING || hex_decode(f->str, f->str_len, b, n) < 0) {
		snprintf(msg, sizeof(msg), "field '%s' must be an even-length hex string", key);
		reply_error(msg, 0);
		return -1;
	}
	return 0;
}

void raw_hex(const uint8_t *b, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	char chunk[514];
	size_t k = 0;
	chunk[k++] = '"';
	for (size_t i = 0; i < n; i++) {
		chunk[k++] = hex[b[i] >> 4];
		chunk[k++] = hex[b[i] & 15];
		if (k >= sizeof(chunk) - 3) {
			chunk[k] = 0;
			out_raw(&out, chunk);
			k = 0;
		}
	}
	chunk[k++] = '"';
	chunk[k] = 0;
	out_raw(&out, chunk);
}

/* Counts CPUs listed in /sys/devices/system/cpu/possible ("0-3,5"). */
static int count_possible_cpus(void)
{
	FILE *f = fopen("/sys/devices/system/cpu/possible", "r");
	char buf[256];
	int total = 0;
	if (!f)
		return 1;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return 1;
	}
	fclose(f);
	for (char *p = buf; *p && *p != '\n';) {
		long a = strtol(p, &p, 10), b = a;
		if (*p == '-')
			b = strtol(p + 1, &p, 10);
		total += (int)(b - a + 1);
		if (*p == ',')
			p++;
		else
			break;
	}
	return total > 0 ? total : 1;
}

static int pin_to_cpu(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0)
		return -1;
	pinned_cpu = cpu;
	return 0;
}

/* Pins to the lowest CPU this process may run on, so per-CPU map slots are predictable. */
static void pin_default_cpu(void)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		return;
	for (int i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &set)) {
			pin_to_cpu(i);
			return;
		}
}

static void op_close(const struct jsonl_request *r)
{
	int64_t fd;
	if (get_int(r, "fd", &fd, 1))
		return;
	if (fd < 0 || fd >= MAX_FD || !owned[fd]) {
		reply_error("fd was not created by this helper", EBADF);
		return;
	}
	disown_and_close((int)fd);
	out_bool(&out, "ok", 1);
}

static void op_pin_cpu(const struct jsonl_request *r)
{
	int64_t cpu;
	if (get_int(r, "cpu", &cpu, 1))
		return;
	if (cpu < 0 || cpu >= CPU_SETSIZE || pin_to_cpu((int)cpu) < 0) {
		reply_error("cannot pin to that CPU", errno);
		return;
	}
	out_bool(&out, "ok", 1);
	out_int(&out, "cpu", pinned_cpu);
}

static void op_ping(void)
{
	out_bool(&out, "ok", 1);
	out_int(&out, "version", HELPER_VERSION);
	out_int(&out, "uid", (int64_t)geteuid());
	out_int(&out, "possibleCpus", possible_cpus);
	out_int(&out, "cpu", pinned_cpu);
}

static void handle(char *line)
{
	struct jsonl_request req;
	const char *error = NULL;
	out_begin(&out);
	if (jsonl_parse(line, &req, &error) < 0) {
		reply_error(error, 0);
		out_end_line(&out);
		return;
	}
	const struct jsonl_field *id = jsonl_get(&req, "id");
	if (id && id->kind == JSONL_NUMBER && id->is_integer)
		out_int(&out, "id", id->integer);
	const struct jsonl_field *op = jsonl_get(&req, "op");
	const char *name = op && op->kind == JSONL_STRING ? op->str : NULL;
	if (!name)
		reply_error("missing string field 'op'", 0);
	else if (!strcmp(name, "ping"))
		op_ping();
	else if (!strcmp(name, "createMap"))
		op_create_map(&req);
	else if (!strcmp(name, "updateMap"))
		op_update_map(&req);
	else if (!strcmp(name, "lookupMap"))
		op_lookup_map(&req);
	else if (!strcmp(name, "deleteMap"))
		op_delete_map(&req);
	else if (!strcmp(name, "dumpMap"))
		op_dump_map(&req);
	else if (!strcmp(name, "load"))
		op_load(&req);
	else if (!strcmp(name, "testRun"))
		op_test_run(&req);
	else if (!strcmp(name, "cycle"))
		op_cycle(&req);
	else if (!strcmp(name, "close"))
		op_close(&req);
	else if (!strcmp(name, "pinCpu"))
		op_pin_cpu(&req);
	else
		reply_error("unknown op", 0);
	out_end_line(&out);
}

int main(void)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	possible_cpus = count_possible_cpus();
	pin_default_cpu();
	while ((n = getline(&line, &cap, stdin)) >= 0) {
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = 0;
		if ((size_t)n != strlen(line)) {
			out_begin(&out);
			reply_error("NUL byte in request", 0);
			out_end_line(&out);
			continue;
		}
		char *p = line;
		while (*p == ' ' || *p == '\t' || *p == '\r')
			p++;
		if (*p == 0)
			continue;
		handle(p);
	}
	free(line);
	free(out.buf);
	return 0;
}
