/* summit-bpf: program requests (load through the verifier, BPF_PROG_TEST_RUN). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "helper.h"

#define DATA_OUT_DEFAULT 65536
#define DATA_OUT_MAX (16 << 20)
#define LOG_SIZE_DEFAULT (1 << 20)
#define LOG_SIZE_MAX (64 << 20)
/* raw_tracepoint programs may read 12 u64 arguments; the kernel runs them on the ctx_in copy as
 * given (and on NULL without one), so shorter contexts are zero-padded to this size. */
#define RAW_TP_CTX_BYTES 96

static uint32_t prog_type_of(int fd)
{
	struct bpf_prog_info info;
	union bpf_attr attr;
	memset(&info, 0, sizeof(info));
	memset(&attr, 0, sizeof(attr));
	attr.info.bpf_fd = (uint32_t)fd;
	attr.info.info_len = sizeof(info);
	attr.info.info = (uint64_t)(uintptr_t)&info;
	return sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr) < 0 ? 0 : info.type;
}

void load_program(const struct load_request *q, struct load_result *res)
{
	int64_t level = q->log_level, size = q->log_size;
	if (size < 256)
		size = 256;
	if (size > LOG_SIZE_MAX)
		size = LOG_SIZE_MAX;
	res->fd = -1;
	res->err = 0;
	res->log = NULL;
	res->logged = 0;
	for (int attempt = 0; attempt < 8; attempt++) {
		union bpf_attr attr;
		free(res->log);
		res->log = calloc(1, (size_t)size + 1);
		if (!res->log) {
			res->err = ENOMEM;
			return;
		}
		memset(&attr, 0, sizeof(attr));
		attr.prog_type = q->prog_type;
		attr.expected_attach_type = q->expected_attach_type;
		attr.insn_cnt = (uint32_t)(q->insn_bytes / 8);
		attr.insns = (uint64_t)(uintptr_t)q->insns;
		attr.license = (uint64_t)(uintptr_t)q->license;
		attr.prog_flags = q->prog_flags;
		if (level > 0) {
			attr.log_level = (uint32_t)level;
			attr.log_size = (uint32_t)size;
			attr.log_buf = (uint64_t)(uintptr_t)res->log;
		}
		if (q->name)
			strncpy(attr.prog_name, q->name, BPF_OBJ_NAME_LEN - 1);
		res->logged = level > 0;
		res->fd = (int)sys_bpf(BPF_PROG_LOAD, &attr);
		if (res->fd >= 0) {
			own(res->fd);
			return;
		}
		res->err = errno;
		if (level == 0) { /* rejected without a log: ask again for the verifier's reasons */
			level = 1;
			continue;
		}
		if (res->err == ENOSPC && size < LOG_SIZE_MAX) {
			size *= 4;
			continue;
		}
		return;
	}
}

void write_prog_info(int fd)
{
	struct bpf_prog_info info;
	union bpf_attr attr;
	memset(&info, 0, sizeof(info));
	memset(&attr, 0, sizeof(attr));
	attr.info.bpf_fd = (uint32_t)fd;
	attr.info.info_len = sizeof(info);
	attr.info.info = (uint64_t)(uintptr_t)&info;
	if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr) < 0)
		return;
	out_int(&out, "xlatedBytes", info.xlated_prog_len);
	out_int(&out, "jitedBytes", info.jited_prog_len);
	out_int(&out, "verifiedInsns", info.verified_insns);
}

int parse_load_request(const struct jsonl_request *r, struct load_request *q, uint8_t **insns)
{
	int64_t type, attach = 0, flags = 0;
	size_t n;
	memset(q, 0, sizeof(*q));
	q->log_size = LOG_SIZE_DEFAULT;
	*insns = NULL;
	if (get_int(r, "progType", &type, 1) || get_int(r, "expectedAttachType", &attach, 0) ||
	    get_int(r, "logLevel", &q->log_level, 0) || get_int(r, "logSize", &q->log_size, 0) ||
	    get_int(r, "progFlags", &flags, 0) || get_hex(r, "insns", insns, &n, 1))
		return -1;
	if (n == 0 || n % 8) {
		reply_error("insns must be a non-empty multiple of 8 bytes", 0);
		return -1;
	}
	const struct jsonl_field *lic = jsonl_get(r, "license");
	const struct jsonl_field *name = jsonl_get(r, "name");
	q->prog_type = (uint32_t)type;
	q->expected_attach_type = (uint32_t)attach;
	q->prog_flags = (uint32_t)flags;
	q->insns = *insns;
	q->insn_bytes = n;
	q->license = lic && lic->kind == JSONL_STRING ? lic->str : "GPL";
	q->name = name && name->kind == JSONL_STRING ? name->str : NULL;
	return 0;
}

void op_load(const struct jsonl_request *r)
{
	struct load_request q;
	struct load_result res;
	uint8_t *insns;
	if (parse_load_request(r, &q, &insns) < 0) {
		free(insns);
		return;
	}
	load_program(&q, &res);
	if (res.fd >= 0) {
		out_bool(&out, "ok", 1);
		out_int(&out, "fd", res.fd);
		write_prog_info(res.fd);
		if (res.logged)
			out_str(&out, "log", res.log, strlen(res.log));
	} else {
		reply_error("BPF_PROG_LOAD failed", res.err);
		if (res.log)
			out_str(&out, "log", res.log, strlen(res.log));
	}
	free(res.log);
	free(insns);
}

int parse_run_request(const struct jsonl_request *r, struct run_request *q, int need_fd)
{
	int64_t fd = -1;
	memset(q, 0, sizeof(*q));
	q->data_out_size = -1;
	q->ctx_out = -1;
	if (get_int(r, "fd", &fd, need_fd) || get_int(r, "repeat", &q->repeat, 0) ||
	    get_int(r, "dataOutSize", &q->data_out_size, 0) || get_int(r, "ctxOut", &q->ctx_out, 0) ||
	    get_int(r, "flags", &q->flags, 0) || get_int(r, "cpu", &q->cpu, 0) ||
	    get_int(r, "batchSize", &q->batch, 0) || get_hex(r, "dataIn", &q->data, &q->data_len, 0) ||
	    get_hex(r, "ctxIn", &q->ctx, &q->ctx_len, 0))
		return -1;
	q->fd = (int)fd;
	if (q->data_out_size < 0)
		q->data_out_size = q->data ? DATA_OUT_DEFAULT : 0;
	if (q->ctx_out < 0)
		q->ctx_out = q->ctx != NULL && q->data != NULL; /* context-only types (raw_tp) refuse ctx_out */
	if (q->data_out_size > DATA_OUT_MAX) {
		reply_error("dataOutSize too large", 0);
		return -1;
	}
	return 0;
}

void free_run_request(struct run_request *q)
{
	free(q->data);
	free(q->ctx);
	q->data = q->ctx = NULL;
}

int run_and_write(struct run_request *q)
{
	union bpf_attr attr;
	uint8_t *data_out = NULL, *ctx_buf = NULL;
	int status = -1;
	memset(&attr, 0, sizeof(attr));
	attr.test.prog_fd = (uint32_t)q->fd;
	attr.test.repeat = (uint32_t)q->repeat;
	attr.test.flags = (uint32_t)q->flags;
	attr.test.cpu = (uint32_t)q->cpu;
	attr.test.batch_size = (uint32_t)q->batch;
	if (q->data) {
		attr.test.data_in = (uint64_t)(uintptr_t)q->data;
		attr.test.data_size_in = (uint32_t)q->data_len;
	}
	if (q->data_out_size > 0) {
		data_out = calloc(1, (size_t)q->data_out_size);
		attr.test.data_out = (uint64_t)(uintptr_t)data_out;
		attr.test.data_size_out = (uint32_t)q->data_out_size;
	}
	if (!q->data && q->ctx_len < RAW_TP_CTX_BYTES &&
	    prog_type_of(q->fd) == BPF_PROG_TYPE_RAW_TRACEPOINT) {
		uint8_t *padded = calloc(1, RAW_TP_CTX_BYTES);
		if (!padded) {
			q->err = ENOMEM;
			reply_error("out of memory", ENOMEM);
			return -1;
		}
		if (q->ctx)
			memcpy(padded, q->ctx, q->ctx_len);
		free(q->ctx);
		q->ctx = padded;
		q->ctx_len = RAW_TP_CTX_BYTES;
	}
	if (q->ctx) {
		attr.test.ctx_in = (uint64_t)(uintptr_t)q->ctx;
		attr.test.ctx_size_in = (uint32_t)q->ctx_len;
	}
	if (q->ctx_out && q->ctx_len > 0) {
		ctx_buf = calloc(1, q->ctx_len + 256);
		attr.test.ctx_out = (uint64_t)(uintptr_t)ctx_buf;
		attr.test.ctx_size_out = (uint32_t)(q->ctx_len + 256);
	}
	if (sys_bpf(BPF_PROG_TEST_RUN, &attr) < 0) {
		q->err = errno;
		reply_error("BPF_PROG_TEST_RUN failed", q->err);
		goto done;
	}
	out_bool(&out, "ok", 1);
	out_int(&out, "retval", attr.test.retval);
	out_int(&out, "duration", attr.test.duration);
	if (data_out)
		out_hex(&out, "dataOut", data_out, attr.test.data_size_out);
	if (ctx_buf)
		out_hex(&out, "ctxOut", ctx_buf, attr.test.ctx_size_out);
	out_int(&out, "cpu", pinned_cpu);
	status = 0;
done:
	free(data_out);
	free(ctx_buf);
	return status;
}

void op_test_run(const struct jsonl_request *r)
{
	struct run_request q;
	if (parse_run_request(r, &q, 1) == 0)
		run_and_write(&q);
	free_run_request(&q);
}
