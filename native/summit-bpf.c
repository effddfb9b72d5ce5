/* summit-bpf: a small helper giving Summit the kernel's BPF verifier and BPF_PROG_TEST_RUN through
 * libbpf. It reads one JSON request per line on stdin and writes one JSON reply per line on
 * stdout (json-c both ways). Bytes (keys, values, instructions, packets, objects) are hex strings.
 * A malformed request gets {"ok":false,"error":...}; the helper never exits on a bad request, only
 * at end of input. Every reply echoes the request's numeric "id"; blank lines are ignored. This
 * file holds the main loop, dispatch, replies and fd ownership. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "helper.h"

json_object *reply;
int possible_cpus = 1;
int pinned_cpu = -1;
static unsigned char owned[MAX_FD]; /* fds created here: only these may be closed */

void own(int fd)
{
	if (fd >= 0 && fd < MAX_FD)
		owned[fd] = 1;
}

int owns(int fd)
{
	return fd >= 0 && fd < MAX_FD && owned[fd];
}

void disown_and_close(int fd)
{
	if (owns(fd)) {
		owned[fd] = 0;
		close(fd);
	}
}

void reply_ok(void)
{
	json_object_object_add(reply, "ok", json_object_new_boolean(1));
}

void reply_int(const char *key, int64_t v)
{
	json_object_object_add(reply, key, json_object_new_int64(v));
}

void reply_str(const char *key, const char *s)
{
	json_object_object_add(reply, key, json_object_new_string(s));
}

json_object *hex_string(const uint8_t *b, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	char *s = malloc(2 * n + 1);
	if (!s)
		return json_object_new_string("");
	for (size_t i = 0; i < n; i++) {
		s[2 * i] = digits[b[i] >> 4];
		s[2 * i + 1] = digits[b[i] & 15];
	}
	json_object *o = json_object_new_string_len(s, (int)(2 * n));
	free(s);
	return o;
}

void reply_hex(const char *key, const uint8_t *b, size_t n)
{
	json_object_object_add(reply, key, hex_string(b, n));
}

void reply_error(const char *message, int err)
{
	json_object_object_add(reply, "ok", json_object_new_boolean(0));
	reply_str("error", message);
	if (err) {
		reply_int("errno", err);
		reply_str("errnoText", strerror(err));
	}
}

void reply_reset(void)
{
	json_object *id = NULL;
	if (json_object_object_get_ex(reply, "id", &id))
		json_object_get(id);
	json_object_put(reply);
	reply = json_object_new_object();
	if (id)
		json_object_object_add(reply, "id", id);
}

/* Counts CPUs listed in /sys/devices/system/cpu/possible ("0-3,5"). */
static int count_possible_cpus(void)
{
	int n = libbpf_num_possible_cpus();
	return n > 0 ? n : 1;
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

static void op_close(int fd)
{
	if (!owns(fd)) {
		reply_error("fd was not created by this helper", EBADF);
		return;
	}
	disown_and_close(fd);
	reply_ok();
}

static void op_pin_cpu(int cpu)
{
	if (cpu >= CPU_SETSIZE || pin_to_cpu(cpu) < 0) {
		reply_error("cannot pin to that CPU", errno ? errno : EINVAL);
		return;
	}
	reply_ok();
	reply_int("cpu", pinned_cpu);
}

/* The effective capabilities that matter for BPF, as names. */
static json_object *bpf_capabilities(void)
{
	static const struct {
		int cap;
		const char *name;
	} caps[] = { { 39, "bpf" }, { 38, "perfmon" }, { 12, "net_admin" }, { 21, "sys_admin" } };
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	json_object *list = json_object_new_array();
	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d) < 0)
		return list;
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
		if (d[caps[i].cap / 32].effective & (1u << (caps[i].cap % 32)))
			json_object_array_add(list, json_object_new_string(caps[i].name));
	return list;
}

static void op_ping(void)
{
	char version[32];
	reply_ok();
	reply_int("version", HELPER_VERSION);
	reply_int("uid", (int64_t)geteuid());
	reply_int("possibleCpus", possible_cpus);
	reply_int("cpu", pinned_cpu);
	snprintf(version, sizeof(version), "%u.%u", libbpf_major_version(), libbpf_minor_version());
	reply_str("libbpf", version);
	json_object_object_add(reply, "capabilities", bpf_capabilities());
}

static void execute(struct request *req)
{
	switch (req->op) {
	case OP_PING:
		op_ping();
		break;
	case OP_CREATE_MAP:
		op_create_map(&req->u.create);
		break;
	case OP_UPDATE_MAP:
		op_update_map(&req->u.map);
		break;
	case OP_LOOKUP_MAP:
		op_lookup_map(&req->u.map);
		break;
	case OP_DELETE_MAP:
		op_delete_map(&req->u.map);
		break;
	case OP_DUMP_MAP:
		op_dump_map(&req->u.map);
		break;
	case OP_LOAD:
		op_load(&req->u.load);
		break;
	case OP_TEST_RUN:
		op_test_run(&req->u.run);
		break;
	case OP_TIME_RUN:
		op_time_run(&req->u.time);
		break;
	case OP_CYCLE:
		op_cycle(req->u.cycle);
		break;
	case OP_CLOSE:
		op_close(req->u.fd);
		break;
	case OP_FREEZE_MAP:
		op_freeze_map(req->u.fd);
		break;
	case OP_PIN_CPU:
		op_pin_cpu(req->u.cpu);
		break;
	case OP_OPEN_OBJECT:
		op_open_object(&req->u.object);
		break;
	case OP_CLOSE_OBJECT:
		op_close_object(req->u.handle);
		break;
	case OP_KERNEL_BTF:
		op_kernel_btf();
		break;
	}
}

static void handle(const char *line, size_t len)
{
	struct request req;
	char err[256];
	reply = json_object_new_object();
	int parsed = request_parse(line, len, &req, err, sizeof(err));
	if (req.has_id)
		reply_int("id", req.id);
	errno = 0;
	if (parsed < 0)
		reply_error(err, 0);
	else
		execute(&req);
	request_free(&req);
	const char *text = json_object_to_json_string_ext(
		reply, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	fputs(text, stdout);
	fputc('\n', stdout);
	fflush(stdout);
	json_object_put(reply);
	reply = NULL;
}

int main(void)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	capture_libbpf_messages();
	possible_cpus = count_possible_cpus();
	pin_default_cpu();
	while ((n = getline(&line, &cap, stdin)) >= 0) {
		size_t start = 0;
		while (start < (size_t)n && (line[start] == ' ' || line[start] == '\t' ||
					     line[start] == '\r' || line[start] == '\n'))
			start++;
		if (start == (size_t)n)
			continue;
		handle(line + start, (size_t)n - start);
	}
	close_all_objects();
	free(line);
	return 0;
}
